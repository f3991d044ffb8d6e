// A pass given IR of another level than the one it reads is an error naming the pass,
// the level it reads and the level it got; symir-opt exits non-zero (`not`).
//
// RUN: not symir-opt %s -p convert-branch-to-stablehlo 2>&1 | filecheck %s
// RUN: not symir-opt %s -p symir-lower,branch-sort-rows 2>&1 | filecheck %s --check-prefix=AFTER

// CHECK: symir-opt: error: PassLevelError: pass 'convert-branch-to-stablehlo' reads the 'branch' level, but its input is at the 'sym' level
// AFTER: symir-opt: error: PassLevelError: pass 'branch-sort-rows' reads the 'branch' level, but its input is at the 'stablehlo' level

sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      %f = sym.neg %xi : i64 -> i64
      sym.write %i, %f
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
