// convert-branch-to-stablehlo of values that are the same in every row and computed from
// x (row-uniform: lowering/conversion/row_uniform.py): here `n m + n` and `n == m`, n and
// m counts of constant bounds, read by per-row ops. The ops computing them come first
// (`n == m`, written after the column `j`, is moved before it), then their first rows
// are reduced together along a new axis by one `reduce` of two inputs, each with its
// identity (a sum with 0, an OR with false: a reduction XLA never fuses into its
// consumers, so each is computed once per sample, not again in every row of the loops
// that read it) and broadcast back to the rows; the per-row ops read those. Their
// operands, used only by row-uniform ops, are left as they are. On a GPU
// (`target=gpu`) not: a reduction there is a kernel launch of its own. Then jaxlib's
// verifier, and an execution against values worked out by hand.
//
// RUN: symir-opt %s -p 'convert-branch-to-stablehlo{target=cpu}' > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-opt %s -p 'convert-branch-to-stablehlo{target=gpu}' | filecheck %s --check-prefix=GPU
// RUN: symir-run %t.mlir --input '[[1, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// CHECK: %nm = stablehlo.multiply %n, %m : tensor<?x4xi64>
// CHECK-NEXT: %u = stablehlo.add %nm, %n : tensor<?x4xi64>
// CHECK-NEXT: %same = stablehlo.compare EQ, %n, %m, SIGNED : (tensor<?x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi1>
// CHECK: %[[FIRST:.*]] = stablehlo.real_dynamic_slice %u, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x1xi64>
// CHECK: %[[ROW:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[FIRST]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi64>, tensor<3xi64>) -> tensor<?x1x1xi64>
// CHECK: %[[ZERO:.*]] = "stablehlo.dynamic_broadcast_in_dim"
// CHECK-NEXT: %[[PAIR:.*]] = "stablehlo.concatenate"(%[[ROW]], %[[ZERO]]) <{dimension = 2 : i64}> : (tensor<?x1x1xi64>, tensor<?x1x1xi64>) -> tensor<?x1x2xi64>
// CHECK-NEXT: %[[FIRST2:.*]] = stablehlo.real_dynamic_slice %same, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4xi1>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x1xi1>
// CHECK: %[[PAIR2:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 2 : i64}> : (tensor<?x1x1xi1>, tensor<?x1x1xi1>) -> tensor<?x1x2xi1>
// CHECK-NEXT: %[[ONCE:.*]], %[[ONCE2:.*]] = "stablehlo.reduce"(%[[PAIR]], %[[PAIR2]], %{{.*}}, %{{.*}}) <{dimensions = array<i64: 2>}>
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<i64>, %[[B:.*]]: tensor<i1>, %[[C:.*]]: tensor<i64>, %[[D:.*]]: tensor<i1>):
// CHECK-NEXT: %[[SUM:.*]] = stablehlo.add %[[A]], %[[C]] : tensor<i64>
// CHECK-NEXT: %[[ANY:.*]] = stablehlo.or %[[B]], %[[D]] : tensor<i1>
// CHECK-NEXT: stablehlo.return %[[SUM]], %[[ANY]] : tensor<i64>, tensor<i1>
// CHECK: %[[ROWS:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[ONCE]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi64>, tensor<2xi64>) -> tensor<?x4xi64>
// CHECK-NEXT: %[[ROWS2:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[ONCE2]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi1>, tensor<2xi64>) -> tensor<?x4xi1>
// CHECK: %j = "stablehlo.dynamic_broadcast_in_dim"
// CHECK-NEXT: %ju = stablehlo.add %j, %[[ROWS]] : tensor<?x4xi64>
// CHECK-NEXT: %amp = stablehlo.select %[[ROWS2]], %ju, %j : tensor<?x4xi1>, tensor<?x4xi64>

// GPU-LABEL: func.func @main
// GPU-NOT: stablehlo.reduce
// GPU: %ju = stablehlo.add %j, %u : tensor<?x4xi64>
// GPU: %amp = stablehlo.select %same, %ju, %j : tensor<?x4xi1>, tensor<?x4xi64>

// x = 101110: n = 2, m = 2, n m + n = 6, n == m: row j is j + 6; x = 000111: n = 0,
// m = 3, n != m: row j is j.
// EXEC: result1: (2, 4) float64
// EXEC-NEXT: {{\[\[}}6., 7., 8., 9.],
// EXEC-NEXT: [0., 1., 2., 3.]]

branch.kernel @uniform sites 6 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x6xi8>):
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x6xi8> -> tensor<?x4xi64>
  %three = branch.constant %x {value = 3 : i64} : tensor<?x6xi8> -> tensor<?x4xi64>
  %six = branch.constant %x {value = 6 : i64} : tensor<?x6xi8> -> tensor<?x4xi64>
  %n = branch.count %x, %zero, %three : tensor<?x6xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %m = branch.count %x, %three, %six : tensor<?x6xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %nm = branch.mul %n, %m : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %u = branch.add %nm, %n : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %j = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x6xi8> -> tensor<?x4xi64>
  %ju = branch.add %j, %u : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %same = branch.cmp eq %n, %m : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi1>
  %amp = branch.select %same, %ju, %j : tensor<?x4xi1>, tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<4x6xi8>
  %t = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x4xi1>
  %xp, %mel = branch.emit %x, %s, %amp, %t {term = "uniform"} : tensor<?x6xi8>, !branch.state<4x6xi8>, tensor<?x4xi64>, tensor<?x4xi1> -> tensor<?x4x6xi8>, tensor<?x4xf64>
  %xps = branch.concat %xp : tensor<?x4x6xi8> -> tensor<?x4x6xi8>
  %mels = branch.concat %mel : tensor<?x4xf64> -> tensor<?x4xf64>
  branch.return %xps, %mels : tensor<?x4x6xi8>, tensor<?x4xf64>
}
