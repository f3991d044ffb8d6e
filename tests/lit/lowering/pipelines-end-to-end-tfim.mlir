// End to end from sym: the full pipeline (convert-sym-to-branch, branch-coalesce-diagonal,
// convert-branch-to-stablehlo), then jaxlib's verifier and an execution through JAX.
// Batch of 2 configurations, J = 1.5 and h = 0.25 (parameters in name order).
//
// RUN: symir-opt %s -p convert-sym-to-branch,branch-coalesce-diagonal,convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, 1, 1, 1], [1, -1, -1, 1]]:int8' --input '1.5:float64' --input '0.25:float64' | filecheck %s --check-prefixes=JAX,EXEC
//
// CHECK: func.func @main(%{{.*}}: tensor<?x4xi8>, %{{.*}}: tensor<f64>, %{{.*}}: tensor<f64>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// CHECK-NOT: branch.
// CHECK-NOT: sym.
// CHECK: func.return %{{.*}}, %{{.*}} : tensor<?x5x4xi8>, tensor<?x5xf64>
// JAX: func.func @main(%arg0: tensor<?x4xi8>, %arg1: tensor<f64>, %arg2: tensor<f64>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
//
// Slot 0: diagonal J * sum_i x_i x_{i+1} (periodic): 6 for all up, 1.5*(-1+1-1+1) = 0;
// slots 1..4: spin i flipped, mel -h.
// EXEC:      result0: (2, 5, 4) int8
// EXEC-NEXT: {{\[\[\[}} 1,  1,  1,  1],
// EXEC-NEXT:   [-1,  1,  1,  1],
// EXEC-NEXT:   [ 1, -1,  1,  1],
// EXEC-NEXT:   [ 1,  1, -1,  1],
// EXEC-NEXT:   [ 1,  1,  1, -1]],
// EXEC-EMPTY:
// EXEC-NEXT:  {{\[\[}} 1, -1, -1,  1],
// EXEC-NEXT:   [-1, -1, -1,  1],
// EXEC-NEXT:   [ 1,  1, -1,  1],
// EXEC-NEXT:   [ 1, -1,  1,  1],
// EXEC-NEXT:   [ 1, -1, -1, -1{{\]\]\]}}
// EXEC-NEXT: result1: (2, 5) float64
// EXEC-NEXT: {{\[\[}} 6.  , -0.25, -0.25, -0.25, -0.25],
// EXEC-NEXT:  [ 0.  , -0.25, -0.25, -0.25, -0.25{{\]\]}}

// TFIM on 4 sites: the zz emission (identity update) becomes one branch.sum_rows and a
// width-1 `term = "diagonal"` emit, first in the concat; the flips follow: F = N + 1 = 5.
sym.operator @tfim sites 4 states [-1, 1] dtype f64 hermitian {
  sym.term @zz kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2], [2, 3], [3, 0]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %coupling = sym.param "J" default 1.0 : f64
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %cxi = sym.mul %coupling, %xi : f64, i64 -> f64
      %zz = sym.mul %cxi, %xj : f64, i64 -> f64
      sym.yield %zz : f64
    }
  }
  sym.term @x kind "site" labels ["i"] rows [[0], [1], [2], [3]] {
    %i = sym.label "i"
    sym.emission "flip" {
      %xi = sym.read %i : i64
      %flipped = sym.neg %xi : i64 -> i64
      sym.write %i, %flipped
    } amplitude {
      %h = sym.param "h" default 1.0 : f64
      %mh = sym.neg %h : f64 -> f64
      sym.yield %mh : f64
    }
  }
}

