// convert-branch-to-stablehlo on a branch.quadratic_form (what branch-choose-lowering
// makes of a diagonal sum of products of two reads): A (N x N) is a constant (built from
// the pairs as onehot(i)^T diag(weights) onehot(j) past DENSE_MATRIX entries,
// tests/unit/lowering/test_quadratic_form_matrix.py); then y = x A and sum(x * y) are
// two dot_generals. Here the weights 0.5, 1.5, -2 are 1, 3, -4 times the unit 0.5,
// so A holds 1, 3, -4 and the products run in f32 (exact: sums of integers below 2^24),
// and the f64 result is 0.5 times theirs; the linear weights -0.8 and 0.25 are not
// multiples of 0.5: w . x is added in f64, then the constant, and the per-entry value
// is broadcast to one row. Then jaxlib's verifier, and an execution through JAX.
// (convert-branch-to-stablehlo-quadratic-form-f64.mlir: weights without a unit.)
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, 2, 0], [2, 2, 1], [0, 0, 0]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x3xi8>) -> (tensor<?x1x3xi8>, tensor<?x1xf64>) {
// CHECK: %[[XF:.*]] = stablehlo.convert %[[X]] : (tensor<?x3xi8>) -> tensor<?x3xf32>
// A, a constant (3 x 3 entries): the integer weights at the pairs' sites.
// CHECK-NEXT: %[[A:.*]] = stablehlo.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, -4.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x3xf32>
// CHECK-NEXT: %[[Y:.*]] = "stablehlo.dot_general"(%[[XF]], %[[A]]) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>}> : (tensor<?x3xf32>, tensor<3x3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: %[[Q:.*]] = "stablehlo.dot_general"(%[[XF]], %[[Y]]) <{dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]>}> : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?xf32>
// CHECK-NEXT: %[[Q64:.*]] = stablehlo.convert %[[Q]] : (tensor<?xf32>) -> tensor<?xf64>
// Times the unit.
// CHECK-NEXT: %[[U:.*]] = stablehlo.constant dense<5.000000e-01> : tensor<f64>
// CHECK-NEXT: %[[UB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[U]], %{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<f64>, tensor<1xi64>) -> tensor<?xf64>
// CHECK-NEXT: %[[QU:.*]] = stablehlo.multiply %[[Q64]], %[[UB]] : tensor<?xf64>
// The linear weights per site, in f64.
// CHECK-NEXT: %[[XD:.*]] = stablehlo.convert %[[X]] : (tensor<?x3xi8>) -> tensor<?x3xf64>
// CHECK-NEXT: %[[LIN:.*]] = stablehlo.constant dense<[-8.000000e-01, 0.000000e+00, 2.500000e-01]> : tensor<3xf64>
// CHECK: %[[LB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[LIN]], %{{.*}}) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xf64>, tensor<2xi64>) -> tensor<?x3xf64>
// CHECK-NEXT: %[[WX:.*]] = "stablehlo.dot_general"(%[[XD]], %[[LB]]) <{dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]>}> : (tensor<?x3xf64>, tensor<?x3xf64>) -> tensor<?xf64>
// CHECK-NEXT: %[[QW:.*]] = stablehlo.add %[[QU]], %[[WX]] : tensor<?xf64>
// CHECK-NEXT: %[[C:.*]] = stablehlo.constant dense<1.000000e+00> : tensor<f64>
// CHECK-NEXT: %[[CB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[C]], %{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<f64>, tensor<1xi64>) -> tensor<?xf64>
// CHECK-NEXT: %[[QC:.*]] = stablehlo.add %[[QW]], %[[CB]] : tensor<?xf64>
// CHECK: %{{.*}} = "stablehlo.dynamic_broadcast_in_dim"(%[[QC]], %{{.*}}) <{broadcast_dimensions = array<i64: 0>}> : (tensor<?xf64>, tensor<2xi64>) -> tensor<?x1xf64>
// CHECK-NOT: branch.

// JAX: func.func @main(%arg0: tensor<?x3xi8>) -> (tensor<?x1x3xi8>, tensor<?x1xf64>) {
// JAX: stablehlo.dot_general {{.*}}, contracting_dims = [1] x [0]
// JAX: stablehlo.dot_general {{.*}}, batching_dims = [0] x [0], contracting_dims = [1] x [1]
// JAX: return

// 0.5 x0^2 + 1.5 x0 x1 - 2 x1 x2 - 0.8 x0 + 0.25 x2 + 1.
// EXEC: result1: (3, 1) float64
// EXEC-NEXT: {{\[\[}}3.7{{ *}}],
// EXEC-NEXT:  [3.65{{0*[0-9]*}}],
// EXEC-NEXT:  [1.{{ *}}{{\]\]}}

branch.kernel @form sites 3 states [0, 1, 2] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x3xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 0, 0, 1, 1, 2>, weights = array<f64: 0.5, 1.5, -2.0>, sites = array<i64: 0, 2>, linear = array<f64: -0.8, 0.25>, constant = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp, %mel = branch.emit %x, %s, %q, %t {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %xps = branch.concat %xp : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
  %mels = branch.concat %mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x3xi8>, tensor<?x1xf64>
}
