// convert-branch-to-stablehlo on a branch.quadratic_form whose weights are no integer
// multiples of one unit small enough for f32 (0.1 and 0.3 are binary fractions whose
// common unit is 2^-55): the products run in f64, A holding the weights, and the linear
// weights join y = x A + w before the row-wise product. Then jaxlib's verifier, and an
// execution through JAX.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo | filecheck %s
// RUN: symir-opt %s -p convert-branch-to-stablehlo | %jax-verify | filecheck %s --check-prefix=JAX
// RUN: symir-opt %s -p convert-branch-to-stablehlo | symir-run - --input '[[1, 2, 0], [2, 2, 1], [0, 0, 0]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x3xi8>) -> (tensor<?x1x3xi8>, tensor<?x1xf64>) {
// CHECK: %[[XF:.*]] = stablehlo.convert %[[X]] : (tensor<?x3xi8>) -> tensor<?x3xf64>
// CHECK-NEXT: %[[A:.*]] = stablehlo.constant dense<{{\[\[}}0.000000e+00, 1.000000e-01, 0.000000e+00], [0.000000e+00, 0.000000e+00, 3.000000e-01], [0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x3xf64>
// CHECK-NEXT: %[[Y:.*]] = "stablehlo.dot_general"(%[[XF]], %[[A]]) {{.*}} : (tensor<?x3xf64>, tensor<3x3xf64>) -> tensor<?x3xf64>
// CHECK-NEXT: %[[LIN:.*]] = stablehlo.constant dense<[0.000000e+00, -1.000000e+00, 0.000000e+00]> : tensor<3xf64>
// CHECK: %[[LB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[LIN]], %{{.*}}) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xf64>, tensor<2xi64>) -> tensor<?x3xf64>
// CHECK-NEXT: %[[YW:.*]] = stablehlo.add %[[Y]], %[[LB]] : tensor<?x3xf64>
// CHECK-NEXT: %[[Q:.*]] = "stablehlo.dot_general"(%[[XF]], %[[YW]]) {{.*}} : (tensor<?x3xf64>, tensor<?x3xf64>) -> tensor<?xf64>
// CHECK-NOT: f32
// CHECK: %{{.*}} = "stablehlo.dynamic_broadcast_in_dim"(%[[Q]], %{{.*}}) <{broadcast_dimensions = array<i64: 0>}> : (tensor<?xf64>, tensor<2xi64>) -> tensor<?x1xf64>
// CHECK-NOT: branch.

// JAX: func.func @main(%arg0: tensor<?x3xi8>) -> (tensor<?x1x3xi8>, tensor<?x1xf64>) {
// JAX: stablehlo.dot_general {{.*}}, batching_dims = [0] x [0], contracting_dims = [1] x [1]
// JAX: return

// 0.1 x0 x1 + 0.3 x1 x2 - x1.
// EXEC: result1: (3, 1) float64
// EXEC-NEXT: {{\[\[}}-1.8{{ *}}],
// EXEC-NEXT:  [-1.{{ *}}],
// EXEC-NEXT:  [ 0.{{ *}}{{\]\]}}

branch.kernel @form sites 3 states [0, 1, 2] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x3xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 1, 1, 2>, weights = array<f64: 0.1, 0.3>, sites = array<i64: 1>, linear = array<f64: -1.0>, constant = 0.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp, %mel = branch.emit %x, %s, %q, %t {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %xps = branch.concat %xp : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
  %mels = branch.concat %mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x3xi8>, tensor<?x1xf64>
}
