// convert-branch-to-stablehlo of a lone emission (its x' returned as it is, not
// concatenated with other emissions' rows): x' reads the row's mask at every site, so the
// mask is computed once per row as the AND-reduction of [mask, true] along a new axis.
// XLA:CPU fuses a mask's reads, converts and compares into the loop that builds x' (once
// per site: a fermion two-body kernel of one pattern was 3x slower) but never fuses a
// reduction into its consumers. The masks of concatenated emissions are concatenated,
// which XLA computes apart: they get no reduction (convert-branch-to-stablehlo.mlir).
// Executed on two configurations: a hop from the site of column %a (occupied) to the
// site of column %b (empty), active on rows 0, 1, 5 and on rows 2, 3, 6, 7.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --input '[[1, 0, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// CHECK: %[[M:.*]] = stablehlo.and %{{.*}}, %{{.*}} : tensor<?x8xi1>
// CHECK: %[[TRUE:.*]] = stablehlo.constant dense<true> : tensor<i1>
// CHECK: %[[M3:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[M]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x8xi1>, tensor<3xi64>) -> tensor<?x8x1xi1>
// CHECK-NEXT: %[[T3:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[TRUE]], %{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i1>, tensor<3xi64>) -> tensor<?x8x1xi1>
// CHECK-NEXT: %[[PAIR:.*]] = "stablehlo.concatenate"(%[[M3]], %[[T3]]) <{dimension = 2 : i64}> : (tensor<?x8x1xi1>, tensor<?x8x1xi1>) -> tensor<?x8x2xi1>
// CHECK-NEXT: %[[ACTIVE:.*]] = "stablehlo.reduce"(%[[PAIR]], %[[TRUE]]) <{dimensions = array<i64: 2>}> ({
// CHECK: stablehlo.and
// CHECK: }) : (tensor<?x8x2xi1>, tensor<i1>) -> tensor<?x8xi1>
// CHECK: %[[A3:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[ACTIVE]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x8xi1>, tensor<3xi64>) -> tensor<?x8x6xi1>
// CHECK-NEXT: %[[XP:.*]] = stablehlo.select %[[A3]], %{{.*}}, %{{.*}} : tensor<?x8x6xi1>, tensor<?x8x6xi8>
// CHECK: %[[MEL:.*]] = stablehlo.select %[[ACTIVE]], %{{.*}}, %{{.*}} : tensor<?x8xi1>, tensor<?x8xf64>
// CHECK-NEXT: func.return %[[XP]], %[[MEL]] : tensor<?x8x6xi8>, tensor<?x8xf64>

// EXEC: result0: (2, 8, 6) int8
// EXEC-NEXT: {{\[\[\[}}1, 1, 1, 0, 0, 0],
// EXEC-NEXT: [0, 0, 1, 1, 1, 0],
// EXEC-NEXT: [1, 0, 1, 0, 1, 0],
// EXEC-NEXT: [1, 0, 1, 0, 1, 0],
// EXEC-NEXT: [1, 0, 1, 0, 1, 0],
// EXEC-NEXT: [0, 0, 1, 0, 1, 1],
// EXEC-NEXT: [1, 0, 1, 0, 1, 0],
// EXEC-NEXT: [1, 0, 1, 0, 1, 0]],
// EXEC: {{\[\[}}0, 1, 1, 0, 0, 1],
// EXEC-NEXT: [0, 1, 1, 0, 0, 1],
// EXEC-NEXT: [1, 1, 1, 0, 0, 0],
// EXEC-NEXT: [0, 0, 1, 0, 1, 1],
// EXEC-NEXT: [0, 1, 1, 0, 0, 1],
// EXEC-NEXT: [0, 1, 1, 0, 0, 1],
// EXEC-NEXT: [0, 1, 0, 0, 1, 1],
// EXEC-NEXT: [1, 1, 1, 0, 0, 0]]]
// EXEC: result1: (2, 8) float64
// EXEC-NEXT: {{\[\[}}-1., -1.,  0.,  0.,  0., -1.,  0.,  0.],
// EXEC-NEXT: [ 0.,  0., -1., -1.,  0.,  0., -1., -1.]]

// @lone_hop: a hop of one fermion from the site of column %a to that of column %b,
// active where the first is occupied and the second empty; 8 rows on 6 sites.
branch.kernel @lone_hop sites 6 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x6xi8>):
  %a = branch.column %x {values = array<i64: 4, 0, 5, 1, 3, 0, 2, 5>} : tensor<?x6xi8> -> tensor<?x8xi64>
  %xa = branch.read %x, %a : tensor<?x6xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %b = branch.column %x {values = array<i64: 1, 3, 0, 4, 2, 5, 4, 0>} : tensor<?x6xi8> -> tensor<?x8xi64>
  %xb = branch.read %x, %b : tensor<?x6xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x6xi8> -> tensor<?x8xi64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x6xi8> -> tensor<?x8xi64>
  %full = branch.cmp eq %xa, %one : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi1>
  %empty = branch.cmp eq %xb, %zero : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi1>
  %m = branch.and %full, %empty : tensor<?x8xi1>, tensor<?x8xi1> -> tensor<?x8xi1>
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<8x6xi8>
  %s1 = branch.write %s, %a, %zero : !branch.state<8x6xi8>, tensor<?x8xi64>, tensor<?x8xi64> -> !branch.state<8x6xi8>
  %s2 = branch.write %s1, %b, %one : !branch.state<8x6xi8>, tensor<?x8xi64>, tensor<?x8xi64> -> !branch.state<8x6xi8>
  %t = branch.constant %x {value = -1.000000e+00 : f64} : tensor<?x6xi8> -> tensor<?x8xf64>
  %xp, %mel = branch.emit %x, %s2, %t, %m {term = "hop"} : tensor<?x6xi8>, !branch.state<8x6xi8>, tensor<?x8xf64>, tensor<?x8xi1> -> tensor<?x8x6xi8>, tensor<?x8xf64>
  branch.return %xp, %mel : tensor<?x8x6xi8>, tensor<?x8xf64>
}
