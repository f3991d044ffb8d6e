// convert-branch-to-stablehlo on the three forms of a `branch.read` of a row-table column
// (static sites): the identity column is x itself, a column made of at most four strided
// runs is a concatenation of slices over the whole batch, any other column is a gather
// with batching dimensions. Then jaxlib's verifier, and an execution through JAX.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, -1, 1, 1, -1, -1, 1, -1], [1, 1, 1, 1, 1, 1, 1, -1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x8xi8>) -> (tensor<?x8x8xi8>, tensor<?x8xf64>) {
// CHECK: %[[N:.*]] = stablehlo.reshape %{{.*}} : (tensor<i64>) -> tensor<1xi64>
// CHECK: %[[SHAPE2:.*]] = "stablehlo.concatenate"(%[[N]], %{{.*}}) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
// CHECK: %[[SROW:.*]] = stablehlo.constant dense<[7, 5, 3, 1, 6, 4, 2, 0]> : tensor<8xi64>
// CHECK-NEXT: %[[SCATTERED:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[SROW]], %[[SHAPE2]]) <{broadcast_dimensions = array<i64: 1>}> : (tensor<8xi64>, tensor<2xi64>) -> tensor<?x8xi64>
// Sites 0..7: x itself.
// CHECK: %[[XA:.*]] = stablehlo.convert %[[X]] : (tensor<?x8xi8>) -> tensor<?x8xi64>
// Sites 0, 2, 4, 6, 1, 3, 5, 7: x[:, 0:7:2] and x[:, 1:8:2].
// CHECK-NEXT: %[[START0:.*]] = stablehlo.constant dense<0> : tensor<2xi64>
// CHECK-NEXT: %[[STEP:.*]] = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-NEXT: %[[LIMIT0:.*]] = stablehlo.constant dense<7> : tensor<1xi64>
// CHECK-NEXT: %[[SHAPE7:.*]] = "stablehlo.concatenate"(%[[N]], %[[LIMIT0]]) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[EVEN:.*]] = stablehlo.real_dynamic_slice %[[X]], %[[START0]], %[[SHAPE7]], %[[STEP]] : (tensor<?x8xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x4xi8>
// CHECK-NEXT: %[[START1:.*]] = stablehlo.constant dense<[0, 1]> : tensor<2xi64>
// CHECK-NEXT: %[[ODD:.*]] = stablehlo.real_dynamic_slice %[[X]], %[[START1]], %[[SHAPE2]], %[[STEP]] : (tensor<?x8xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x4xi8>
// CHECK-NEXT: %[[RB:.*]] = "stablehlo.concatenate"(%[[EVEN]], %[[ODD]]) <{dimension = 1 : i64}> : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x8xi8>
// CHECK-NEXT: %[[XB:.*]] = stablehlo.convert %[[RB]] : (tensor<?x8xi8>) -> tensor<?x8xi64>
// Sites 7, 5, 3, 1, 6, 4, 2, 0 (seven runs): a gather with batching dimensions.
// CHECK-NEXT: %[[RC:.*]] = "stablehlo.gather"(%[[X]], %[[SCATTERED]]) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>
// CHECK-SAME: (tensor<?x8xi8>, tensor<?x8xi64>) -> tensor<?x8xi8>
// CHECK-NEXT: %[[XC:.*]] = stablehlo.convert %[[RC]] : (tensor<?x8xi8>) -> tensor<?x8xi64>
// CHECK-NEXT: %[[AB:.*]] = stablehlo.multiply %[[XA]], %[[XB]] : tensor<?x8xi64>
// CHECK-NEXT: %{{.*}} = stablehlo.multiply %[[AB]], %[[XC]] : tensor<?x8xi64>

// JAX: func.func @main(%arg0: tensor<?x8xi8>) -> (tensor<?x8x8xi8>, tensor<?x8xf64>) {
// JAX: stablehlo.real_dynamic_slice
// JAX: stablehlo.real_dynamic_slice
// JAX: stablehlo.gather
// JAX: return

// mel[r] = x[r] * x[(0, 2, 4, 6, 1, 3, 5, 7)[r]] * x[(7, 5, 3, 1, 6, 4, 2, 0)[r]].
// EXEC: result1: (2, 8) float64
// EXEC-NEXT: {{\[\[}}-1.,  1., -1., -1.,  1.,  1., -1.,  1.],
// EXEC-NEXT:  [-1.,  1.,  1.,  1.,  1.,  1.,  1.,  1.{{\]\]}}

branch.kernel @reads sites 8 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x8xi8>):
  %all = branch.column %x {values = array<i64: 0, 1, 2, 3, 4, 5, 6, 7>} : tensor<?x8xi8> -> tensor<?x8xi64>
  %strided = branch.column %x {values = array<i64: 0, 2, 4, 6, 1, 3, 5, 7>} : tensor<?x8xi8> -> tensor<?x8xi64>
  %scattered = branch.column %x {values = array<i64: 7, 5, 3, 1, 6, 4, 2, 0>} : tensor<?x8xi8> -> tensor<?x8xi64>
  %a = branch.read %x, %all : tensor<?x8xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %b = branch.read %x, %strided : tensor<?x8xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %c = branch.read %x, %scattered : tensor<?x8xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %ab = branch.mul %a, %b : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi64>
  %abc = branch.mul %ab, %c : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi64>
  %s = branch.state %x : tensor<?x8xi8> -> !branch.state<8x8xi8>
  %true = branch.constant %x {value = true} : tensor<?x8xi8> -> tensor<?x8xi1>
  %xp, %mel = branch.emit %x, %s, %abc, %true {term = "reads"} : tensor<?x8xi8>, !branch.state<8x8xi8>, tensor<?x8xi64>, tensor<?x8xi1> -> tensor<?x8x8xi8>, tensor<?x8xf64>
  branch.return %xp, %mel : tensor<?x8x8xi8>, tensor<?x8xf64>
}
