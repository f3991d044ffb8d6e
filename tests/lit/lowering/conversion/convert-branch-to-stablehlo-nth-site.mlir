// convert-branch-to-stablehlo of branch.nth_site (the site of the k-th of some sites that
// holds a state): the matches of x at the sites, their prefix sum (ceil(log2 K) shifted
// adds), then the position of the (k+1)-th match as the number of prefix sums <= k, and
// the site at that position (-1 past the end). Three forms: the table of all ranks read
// at a rank column (a take; 3 rows, 3 sites), the same table read at ranks known at run
// time (a batched gather), and per row (3 rows, 4 sites: fewer rows than sites). Then
// jaxlib's verifier, and an execution through JAX against values worked out by hand.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, 1, 0, 1, 1, 0], [0, 1, 1, 1, 0, 1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x6xi8>) -> (tensor<?x3x6xi8>, tensor<?x3xf64>) {
// Per row (sites [5, 0, 2, 3], state 1): x at the sites (three slices: 5, then 0 and 2,
// then 3), compared with the state, the prefix sum of the matches (shifts 1 and 2),
// compared with each row's rank.
// CHECK: %[[XA:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x1xi8>, tensor<?x2xi8>, tensor<?x1xi8>) -> tensor<?x4xi8>
// CHECK: %[[EA:.*]] = stablehlo.compare EQ, %[[XA]], %{{.*}}, SIGNED : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x4xi1>
// CHECK-NEXT: %[[MA:.*]] = stablehlo.convert %[[EA]] : (tensor<?x4xi1>) -> tensor<?x4xi32>
// CHECK: %[[PA1:.*]] = stablehlo.add %[[MA]], %{{.*}} : tensor<?x4xi32>
// CHECK: %[[PA2:.*]] = stablehlo.add %[[PA1]], %{{.*}} : tensor<?x4xi32>
// CHECK: %[[CA:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[PA2]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 2>}> : (tensor<?x4xi32>, tensor<3xi64>) -> tensor<?x3x4xi32>
// CHECK: %[[LEA:.*]] = stablehlo.compare LE, %[[CA]], %{{.*}}, SIGNED : (tensor<?x3x4xi32>, tensor<?x3x4xi32>) -> tensor<?x3x4xi1>
// CHECK: "stablehlo.reduce"
// CHECK: }) : (tensor<?x3x4xi32>, tensor<i32>) -> tensor<?x3xi32>
// The site at the position: a gather from the sites with -1 appended.
// CHECK: stablehlo.constant dense<[5, 0, 2, 3, -1]> : tensor<5xi64>
// CHECK: "stablehlo.gather"
// The table (sites [4, 0, 2], state 0): all three ranks at once, a (B, 3, 3) comparison,
// then a column of -1 for the ranks out of range; read at the rank column by a take.
// CHECK: %[[LEB:.*]] = stablehlo.compare LE, %{{.*}}, %{{.*}}, SIGNED : (tensor<?x3x3xi32>, tensor<?x3x3xi32>) -> tensor<?x3x3xi1>
// CHECK: stablehlo.constant dense<[4, 0, 2, -1]> : tensor<4xi64>
// CHECK: %[[TB:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x3xi64>, tensor<?x1xi64>) -> tensor<?x4xi64>
// CHECK: stablehlo.constant dense<{{\[\[}}0], [1], [3]]> : tensor<3x1xi64>
// CHECK-NEXT: "stablehlo.dynamic_gather"(%[[TB]], %{{.*}}, %{{.*}})
// Ranks known at run time (sites [1, 3, 5], state 1): clamped into [0, 3], 3 for a rank
// out of range, and a batched gather into the table.
// CHECK: %[[GE:.*]] = stablehlo.compare GE, %{{.*}}, %{{.*}}, SIGNED : (tensor<?x3xi64>, tensor<?x3xi64>) -> tensor<?x3xi1>
// CHECK-NEXT: %[[LT:.*]] = stablehlo.compare LT, %{{.*}}, %{{.*}}, SIGNED : (tensor<?x3xi64>, tensor<?x3xi64>) -> tensor<?x3xi1>
// CHECK-NEXT: %[[IN:.*]] = stablehlo.and %[[GE]], %[[LT]] : tensor<?x3xi1>
// CHECK-NEXT: %[[IDX:.*]] = stablehlo.select %[[IN]], %{{.*}}, %{{.*}} : tensor<?x3xi1>, tensor<?x3xi64>
// CHECK-NEXT: "stablehlo.gather"(%{{.*}}, %[[IDX]])

// JAX: func.func @main(%arg0: tensor<?x6xi8>) -> (tensor<?x3x6xi8>, tensor<?x3xf64>) {
// JAX: stablehlo.reduce

// Each matrix element is 100 (a + 1) + 10 (b + 1) + (c + 1) for the three sites a, b, c.
// x = 110110: a at ranks 0, 1, 5 of [5, 0, 2, 3] holding 1: 0, 3, -1; b of [4, 0, 2]
// holding 0: 2, -1, -1; c at ranks x[0], x[1], x[2] = 1, 1, 0 of [1, 3, 5] holding 1:
// 3, 3, 1. x = 011101: a: 5, 2, -1; b: 4, 0, -1; c at ranks 0, 1, 1: 1, 3, 3.
// EXEC: result1: (2, 3) float64
// EXEC-NEXT: {{\[\[}}134., 404.,   2.],
// EXEC-NEXT: [652., 314.,   4.]]

branch.kernel @nth sites 6 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x6xi8>):
  %k = branch.column %x {values = array<i64: 0, 1, 5>} : tensor<?x6xi8> -> tensor<?x3xi64>
  %cols = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x6xi8> -> tensor<?x3xi64>
  %r = branch.read %x, %cols : tensor<?x6xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %a = branch.nth_site %x, %k {sites = array<i64: 5, 0, 2, 3>, state = 1 : i64} : tensor<?x6xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %b = branch.nth_site %x, %k {sites = array<i64: 4, 0, 2>, state = 0 : i64} : tensor<?x6xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %c = branch.nth_site %x, %r {sites = array<i64: 1, 3, 5>, state = 1 : i64} : tensor<?x6xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x6xi8> -> tensor<?x3xi64>
  %ten = branch.constant %x {value = 10 : i64} : tensor<?x6xi8> -> tensor<?x3xi64>
  %a1 = branch.add %a, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %b1 = branch.add %b, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %c1 = branch.add %c, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %a10 = branch.mul %a1, %ten : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %ab = branch.add %a10, %b1 : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %ab10 = branch.mul %ab, %ten : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %amp = branch.add %ab10, %c1 : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<3x6xi8>
  %t = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x3xi1>
  %xp, %mel = branch.emit %x, %s, %amp, %t {term = "nth"} : tensor<?x6xi8>, !branch.state<3x6xi8>, tensor<?x3xi64>, tensor<?x3xi1> -> tensor<?x3x6xi8>, tensor<?x3xf64>
  %xps = branch.concat %xp : tensor<?x3x6xi8> -> tensor<?x3x6xi8>
  %mels = branch.concat %mel : tensor<?x3xf64> -> tensor<?x3xf64>
  branch.return %xps, %mels : tensor<?x3x6xi8>, tensor<?x3xf64>
}
