// convert-branch-to-stablehlo of the matrix elements of single-column emissions and of
// a row table the same for every sample (issue 40: a diagonal's slot before a table of
// random XX couplings on pairs (0, 2), (0, 3), (2, 3), and a one-row Z0 Z1 string
// after it): no `concatenate` of (batch, rows) tensors, which XLA:CPU runs as a pass of
// its own over the table's broadcast, but the table with zeros in the columns' slots
// broadcast and each column written in its slot by a `dynamic_update_slice` (in place:
// one element per sample). The x' are built as before. Then jaxlib's verifier, and an
// execution.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: %jax-verify < %t.mlir | filecheck %s --check-prefix=JAX
// RUN: symir-run %t.mlir --input '[[1, -1, 1, 1], [-1, -1, 1, -1]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xi8>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>)
// The diagonal's and the Z0 Z1 row's elements, one column each.
// CHECK: %[[DIAG:.*]] = stablehlo.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x1xi1>, tensor<?x1xf64>
// CHECK: %[[Z01:.*]] = stablehlo.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x1xi1>, tensor<?x1xf64>
// CHECK-NOT: "stablehlo.concatenate"({{.*}}) <{dimension = 1 : i64}>
// The table, zeros in slots 0 and 4, broadcast along the batch.
// CHECK: %[[TABLE:.*]] = stablehlo.constant dense<[0.000000e+00, 1.500000e+00, -2.000000e+00, 2.500000e-01, 0.000000e+00]> : tensor<5xf64>
// CHECK-NEXT: %[[SHAPE:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[TABLES:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[TABLE]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 1>}> : (tensor<5xf64>, tensor<2xi64>) -> tensor<?x5xf64>
// The diagonal in slot 0 (the i64 zero built earlier, by the parity sums), then the
// Z0 Z1 row in slot 4.
// CHECK-NEXT: %[[M0:.*]] = stablehlo.dynamic_update_slice %[[TABLES]], %[[DIAG]], %[[ZERO:.*]], %[[ZERO]] : (tensor<?x5xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x5xf64>
// CHECK-NEXT: %[[FOUR:.*]] = stablehlo.constant dense<4> : tensor<i64>
// CHECK-NEXT: %[[MELS:.*]] = stablehlo.dynamic_update_slice %[[M0]], %[[Z01]], %[[ZERO]], %[[FOUR]] : (tensor<?x5xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x5xf64>
// CHECK-NEXT: func.return %{{.*}}, %[[MELS]] : tensor<?x5x4xi8>, tensor<?x5xf64>
// CHECK-NOT: branch.

// JAX: func.func @main(%arg0: tensor<?x4xi8>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// JAX-NOT: stablehlo.concatenate{{.*}}tensor<?x5xf64>
// JAX: stablehlo.dynamic_update_slice
// JAX: stablehlo.dynamic_update_slice
// JAX: return

// Diagonal: 0.5 s0 s2 - s0 s3 + 2 s2 s3 (1.5 and -3.5); the table's rows x with both
// spins of a pair flipped; Z0 Z1 s0 s1 (-1 and 1) in the last row, x itself.
// EXEC:      result0: (2, 5, 4) int8
// EXEC-NEXT: {{\[\[\[}} 1, -1,  1,  1],
// EXEC-NEXT:   [-1, -1, -1,  1],
// EXEC-NEXT:   [-1, -1,  1, -1],
// EXEC-NEXT:   [ 1, -1, -1, -1],
// EXEC-NEXT:   [ 1, -1,  1,  1]],
// EXEC-EMPTY:
// EXEC-NEXT:  {{\[\[}}-1, -1,  1, -1],
// EXEC-NEXT:   [ 1, -1, -1, -1],
// EXEC-NEXT:   [ 1, -1,  1,  1],
// EXEC-NEXT:   [-1, -1, -1,  1],
// EXEC-NEXT:   [-1, -1,  1, -1]]]
// EXEC-NEXT: result1: (2, 5) float64
// EXEC-NEXT: {{\[\[}}{{ *}}1.5 ,  1.5 , -2.  ,  0.25, -1.  ],
// EXEC-NEXT:  [-3.5 ,  1.5 , -2.  ,  0.25,  1.  ]]

branch.kernel @couplings sites 4 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x4xi8>):
  %d = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
  %zz = branch.parity_sum %x, %zero {offsets = array<i64: 0, 3>, masks = array<i64: 5, 9, 12>, real = array<f64: 0.5, -1.0, 2.0>, state = -1 : i64} : tensor<?x4xi8>, tensor<?x1xi64> -> tensor<?x1xf64>
  %t1 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %d, %zz, %t1 {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %rows = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %flipped = branch.flip_sites %s, %rows {masks = array<i64: 5, 9, 12>} : !branch.state<3x4xi8>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %xx = branch.parity_sum %x, %rows {offsets = array<i64: 0, 1, 2, 3>, masks = array<i64: 0, 0, 0>, real = array<f64: 1.5, -2.0, 0.25>, state = -1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xf64>
  %t3 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %xp, %mel = branch.emit %x, %flipped, %xx, %t3 {term = "strings"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %z = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %z01 = branch.parity_sum %x, %zero {offsets = array<i64: 0, 1>, masks = array<i64: 3>, real = array<f64: 1.0>, state = -1 : i64} : tensor<?x4xi8>, tensor<?x1xi64> -> tensor<?x1xf64>
  %zxp, %zmel = branch.emit %x, %z, %z01, %t1 {term = "z01"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %dxp, %xp, %zxp : tensor<?x1x4xi8>, tensor<?x3x4xi8>, tensor<?x1x4xi8> -> tensor<?x5x4xi8>
  %mels = branch.concat %dmel, %mel, %zmel : tensor<?x1xf64>, tensor<?x3xf64>, tensor<?x1xf64> -> tensor<?x5xf64>
  branch.return %xps, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
}
