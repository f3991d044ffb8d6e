// `symir-lower` is expanded into its inner passes: --print-between-passes prints the IR
// after each of them under its name, and `symir-lower{after=ANCHOR:PASSES}` inserts
// passes without retyping the default lowering.
//
// RUN: symir-opt %s -p symir-lower --print-between-passes | filecheck %s
// RUN: symir-opt %s -p 'symir-lower{after=branch-fuse-equal-states:dce}' --print-between-passes | filecheck %s --check-prefix=INSERT

// CHECK-LABEL: IR after sym-merge-row-terms:
// CHECK:       sym.operator @x
// CHECK-LABEL: IR after convert-sym-to-branch:
// CHECK:       branch.kernel @x
// CHECK-LABEL: IR after branch-coalesce-diagonal:
// CHECK-LABEL: IR after branch-merge-exclusive-emissions:
// CHECK-LABEL: IR after branch-fuse-equal-states:
// CHECK-LABEL: IR after branch-sort-rows:
// CHECK-LABEL: IR after branch-sort-summed-rows:
// CHECK-LABEL: IR after cse:
// CHECK-LABEL: IR after branch-choose-lowering:
// CHECK-LABEL: IR after convert-branch-to-stablehlo:
// CHECK:       func.func @main

// INSERT-LABEL: IR after branch-fuse-equal-states:
// INSERT-LABEL: IR after dce:
// INSERT-LABEL: IR after branch-sort-rows:

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
