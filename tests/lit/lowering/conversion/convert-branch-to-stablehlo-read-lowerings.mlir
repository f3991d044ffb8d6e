// convert-branch-to-stablehlo on each `lowering` a `branch.read` of a row-table column can
// carry (set by branch-choose-lowering): `x` is x itself; `slices` concatenates strided
// slices of x over the whole batch (any number of runs: 7 here, each slice built once);
// `take` is one constant-index `dynamic_gather` without batching dimensions; `permuted`
// takes each distinct block of sites once (the column [2, 0, 3, 1] twice: one take,
// concatenated with itself; a column of one site in every row, [1, 1, ...], is that
// site's take broadcast over the rows, not concatenated once per row); `gather` is a
// gather with batching dimensions even of a static column. Then jaxlib's verifier, and
// an execution through JAX.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, -1, -1, 1], [1, 1, -1, -1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x4xi8>) -> (tensor<?x12x4xi8>, tensor<?x12xf64>) {
// x: the convert of x itself.
// CHECK: %[[A:.*]] = stablehlo.convert %[[X]] : (tensor<?x4xi8>) -> tensor<?x4xi64>
// slices: sites 3, 2, 1, 0, 3, 2, 1, 0 as seven slices; the second 2, 1 reuse the first.
// CHECK: %[[S3:.*]] = stablehlo.real_dynamic_slice %[[X]], {{.*}} -> tensor<?x1xi8>
// CHECK: %[[S2:.*]] = stablehlo.real_dynamic_slice %[[X]], {{.*}} -> tensor<?x1xi8>
// CHECK: %[[S1:.*]] = stablehlo.real_dynamic_slice %[[X]], {{.*}} -> tensor<?x1xi8>
// CHECK: %[[S03:.*]] = stablehlo.real_dynamic_slice %[[X]], {{.*}} -> tensor<?x2xi8>
// CHECK: %[[S0:.*]] = stablehlo.real_dynamic_slice %[[X]], {{.*}} -> tensor<?x1xi8>
// CHECK-NEXT: %[[SL:.*]] = "stablehlo.concatenate"(%[[S3]], %[[S2]], %[[S1]], %[[S03]], %[[S2]], %[[S1]], %[[S0]]) <{dimension = 1 : i64}>
// take: one dynamic_gather of the 8 sites, the slice sizes [batch, 1].
// CHECK: %[[IDX8:.*]] = stablehlo.constant dense<{{\[\[}}2], [0], [3], [1], [2], [0], [3], [1{{\]\]}}> : tensor<8x1xi64>
// CHECK-NEXT: %[[TK:.*]] = "stablehlo.dynamic_gather"(%[[X]], %[[IDX8]], %[[SIZES:.*]]) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false}> : (tensor<?x4xi8>, tensor<8x1xi64>, tensor<2xi64>) -> tensor<?x8xi8>
// permuted: the block 2, 0, 3, 1 taken once, concatenated twice.
// CHECK: %[[IDX4:.*]] = stablehlo.constant dense<{{\[\[}}2], [0], [3], [1{{\]\]}}> : tensor<4x1xi64>
// CHECK-NEXT: %[[BLOCK:.*]] = "stablehlo.dynamic_gather"(%[[X]], %[[IDX4]], %[[SIZES]]) {{.*}} -> tensor<?x4xi8>
// CHECK-NEXT: %{{.*}} = "stablehlo.concatenate"(%[[BLOCK]], %[[BLOCK]]) <{dimension = 1 : i64}> : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x8xi8>
// permuted, one site in every row: site 1 taken once and broadcast over the 8 rows.
// CHECK: %[[IDX1:.*]] = stablehlo.constant dense<1> : tensor<1x1xi64>
// CHECK-NEXT: %[[ONE:.*]] = "stablehlo.dynamic_gather"(%[[X]], %[[IDX1]], %[[SIZES]]) {{.*}} -> tensor<?x1xi8>
// CHECK: %{{.*}} = "stablehlo.dynamic_broadcast_in_dim"(%[[ONE]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi8>, tensor<2xi64>) -> tensor<?x8xi8>
// gather: batching dimensions, indices broadcast over the batch.
// CHECK: "stablehlo.gather"(%[[X]], %{{.*}}) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>
// CHECK-NOT: stablehlo.dynamic_gather
// CHECK-NOT: stablehlo.gather

// JAX: func.func @main(%arg0: tensor<?x4xi8>) -> (tensor<?x12x4xi8>, tensor<?x12xf64>) {
// JAX: stablehlo.real_dynamic_slice
// JAX: stablehlo.dynamic_gather
// JAX: stablehlo.dynamic_gather
// JAX: stablehlo.gather
// JAX: return

// Slots 0..3: x_i; slots 4..11: x[rev] * x[sc] + x[sc] - x[dbl] + x[1].
// EXEC: result1: (2, 12) float64
// EXEC-NEXT: {{\[\[}} 1., -1., -1.,  1., -4.,  0.,  0., -4., -4.,  0.,  0., -4.],
// EXEC-NEXT:  [ 1.,  1., -1., -1.,  0.,  0.,  0.,  4.,  0.,  0.,  0.,  4.{{\]\]}}

branch.kernel @lowerings sites 4 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x4xi8>):
  %id = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %rev = branch.column %x {values = array<i64: 3, 2, 1, 0, 3, 2, 1, 0>} : tensor<?x4xi8> -> tensor<?x8xi64>
  %sc = branch.column %x {values = array<i64: 2, 0, 3, 1, 2, 0, 3, 1>} : tensor<?x4xi8> -> tensor<?x8xi64>
  %dbl = branch.column %x {values = array<i64: 0, 1, 2, 3, 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x8xi64>
  %a = branch.read %x, %id {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %b = branch.read %x, %rev {lowering = "slices"} : tensor<?x4xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %c = branch.read %x, %sc {lowering = "take"} : tensor<?x4xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %d = branch.read %x, %sc {lowering = "permuted"} : tensor<?x4xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %same = branch.column %x {values = array<i64: 1, 1, 1, 1, 1, 1, 1, 1>} : tensor<?x4xi8> -> tensor<?x8xi64>
  %f = branch.read %x, %same {lowering = "permuted"} : tensor<?x4xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %e = branch.read %x, %dbl {lowering = "gather"} : tensor<?x4xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %bc = branch.mul %b, %c : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi64>
  %bcd = branch.add %bc, %d : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi64>
  %bcde = branch.sub %bcd, %e : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi64>
  %all = branch.add %bcde, %f : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi64>
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<8x4xi8>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x8xi1>
  %xp, %mel = branch.emit %x, %s, %all, %t {term = "reads"} : tensor<?x4xi8>, !branch.state<8x4xi8>, tensor<?x8xi64>, tensor<?x8xi1> -> tensor<?x8x4xi8>, tensor<?x8xf64>
  %s4 = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %t4 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %xp4, %mel4 = branch.emit %x, %s4, %a, %t4 {term = "site"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %xps = branch.concat %xp4, %xp : tensor<?x4x4xi8>, tensor<?x8x4xi8> -> tensor<?x12x4xi8>
  %mels = branch.concat %mel4, %mel : tensor<?x4xf64>, tensor<?x8xf64> -> tensor<?x12xf64>
  branch.return %xps, %mels : tensor<?x12x4xi8>, tensor<?x12xf64>
}
