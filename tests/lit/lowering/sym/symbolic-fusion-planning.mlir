// RUN: symir-opt %s -p symbolic-fusion-planning | filecheck %s
// RUN: symir-opt %s -p symbolic-fusion-planning{enable-fusion=false} | filecheck %s --check-prefix=NOFUSE

// Terms with equal row tables share a group.
// CHECK-LABEL: builtin.module attributes {sym.fusion_groups = {{\[}}["a", "c"], ["b"]]}
// NOFUSE-LABEL: builtin.module attributes {sym.fusion_groups = {{\[}}["a"], ["b"], ["c"]]}
builtin.module {
  sym.operator @g sites 3 states [0, 1] dtype f64 {
    sym.term @a kind "site" labels ["i"] rows [[0], [1], [2]] {
      sym.emission {
      } amplitude {
        %x = sym.constant 1.0 : f64
        sym.yield %x : f64
      }
    }
    sym.term @b kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %y = sym.constant 2.0 : f64
        sym.yield %y : f64
      }
    }
    sym.term @c kind "site" labels ["i"] rows [[0], [1], [2]] {
      sym.emission {
      } amplitude {
        %z = sym.constant 3.0 : f64
        sym.yield %z : f64
      }
    }
  }
}
