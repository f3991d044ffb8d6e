// RUN: symir-opt %s -p symbolic-fanout-analysis -o %t.mlir && filecheck %s < %t.mlir
// RUN: symir-opt %t.mlir | filecheck %s

// The hint wins; otherwise rows x emissions.
// CHECK-LABEL: builtin.module attributes {sym.fanout_analysis = {term_fanouts = {a = 3 : i64, b = 1 : i64}, total_fanout = 4 : i64}}
builtin.module {
  sym.operator @f sites 3 states [0, 1] dtype f64 {
    sym.term @a kind "site" labels ["i"] rows [[0], [1], [2]] {
      sym.emission {
      } amplitude {
        %x = sym.constant 1.0 : f64
        sym.yield %x : f64
      }
    }
    sym.term @b kind "site" labels ["i"] rows [[0], [1], [2]] fanout 1 {
      sym.emission {
      } amplitude {
        %y = sym.constant 2.0 : f64
        sym.yield %y : f64
      }
    }
  }
}
