// convert-branch-to-stablehlo on a branch.quadratic_form with zero weights: they are
// dropped before the products, so no `dot_general` multiplies by a matrix of zeros
// (XLA's CPU compiler can miscompile a program holding one beside another
// `dot_general`): one pair of weight 0.3 is left (its exact f32 form, unit 0.3: A a
// constant holding its 1), and no linear part; all of them zero, the form is its
// constant.
//
// RUN: symir-opt %s --split-input-file -p convert-branch-to-stablehlo | filecheck %s
// RUN: symir-opt %s --split-input-file -p convert-branch-to-stablehlo | %jax-verify | filecheck %s --check-prefix=JAX

// CHECK-LABEL: func.func @main
// CHECK: stablehlo.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x3xf32>
// CHECK-NOT: tensor<3xf
// CHECK: stablehlo.constant dense<3.000000e-01> : tensor<f64>
// CHECK: return
// JAX: func.func @main
// JAX: return
branch.kernel @some_zero sites 3 states [0, 1, 2] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x3xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 1, 1, 2>, weights = array<f64: 0.0, 0.3>, sites = array<i64: 1>, linear = array<f64: 0.0>, constant = 0.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp, %mel = branch.emit %x, %s, %q, %t {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %xps = branch.concat %xp : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
  %mels = branch.concat %mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// CHECK-LABEL: func.func @main
// CHECK-NOT: dot_general
// CHECK: stablehlo.constant dense<2.000000e+00> : tensor<f64>
// CHECK-NOT: dot_general
// CHECK: return
// JAX: func.func @main
// JAX-NOT: dot_general
// JAX: return
branch.kernel @all_zero sites 3 states [0, 1, 2] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x3xi8>):
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 1>, weights = array<f64: 0.0>, sites = array<i64: 2>, linear = array<f64: 0.0>, constant = 2.0 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp, %mel = branch.emit %x, %s, %q, %t {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %xps = branch.concat %xp : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
  %mels = branch.concat %mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x3xi8>, tensor<?x1xf64>
}
