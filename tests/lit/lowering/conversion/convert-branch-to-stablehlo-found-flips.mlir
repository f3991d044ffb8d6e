// convert-branch-to-stablehlo of writes that flip sites found at run time: a write of the
// constant 0 at a site `branch.nth_site` found holding 1, of 1 at one found holding 0
// (a fermion's annihilation and creation), is a flip (lowering/branch/_flips.py,
// `is_state_flip`). The x' of a concat of such chains (3 hops of two writes, 1 removal of
// one) is one select: the `or` of one compare per write (the k-th writes of all rows,
// -1 where a row has none), `and` the rows' activity, choosing `1 - x` over `x`; no
// select per write, no last select of the activity. Then jaxlib's verifier, and an
// execution through JAX against values worked out by hand.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --input '[[1, 0, 1, 0], [0, 1, 1, 0]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// The first writes of the four rows (the hops' annihilations, the removal), then the
// second (the hops' creations; -1 for the removal's row), each compared with the sites.
// CHECK: %[[FIRST:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x3xi8>, tensor<?x1xi8>) -> tensor<?x4xi8>
// CHECK: %[[IOTA:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}, %{{.*}}) <{broadcast_dimensions = array<i64: 2>}> : (tensor<4xi8>, tensor<3xi64>) -> tensor<?x4x4xi8>
// CHECK: %[[AT1:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[FIRST]], %{{.*}})
// CHECK-NEXT: %[[HIT1:.*]] = stablehlo.compare EQ, %[[IOTA]], %[[AT1]], SIGNED : (tensor<?x4x4xi8>, tensor<?x4x4xi8>) -> tensor<?x4x4xi1>
// CHECK: %[[SECOND:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x3xi8>, tensor<?x1xi8>) -> tensor<?x4xi8>
// CHECK-NEXT: %[[AT2:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[SECOND]], %{{.*}})
// CHECK-NEXT: %[[HIT2:.*]] = stablehlo.compare EQ, %[[IOTA]], %[[AT2]], SIGNED : (tensor<?x4x4xi8>, tensor<?x4x4xi8>) -> tensor<?x4x4xi1>
// CHECK-NEXT: %[[HIT:.*]] = stablehlo.or %[[HIT1]], %[[HIT2]] : tensor<?x4x4xi1>
// The hops are active where their electron was found, the removal always.
// CHECK-NEXT: %[[ACTIVE:.*]] = "stablehlo.concatenate"(%found, %true) <{dimension = 1 : i64}> : (tensor<?x3xi1>, tensor<?x1xi1>) -> tensor<?x4xi1>
// CHECK-NEXT: %[[A3:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[ACTIVE]], %{{.*}})
// CHECK-NEXT: %[[FLIP:.*]] = stablehlo.and %[[HIT]], %[[A3]] : tensor<?x4x4xi1>
// CHECK-NEXT: %[[X3:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%x, %{{.*}}) <{broadcast_dimensions = array<i64: 0, 2>}>
// CHECK-NEXT: %[[ONE:.*]] = "stablehlo.dynamic_broadcast_in_dim"
// CHECK-NEXT: %[[NOT:.*]] = stablehlo.subtract %[[ONE]], %[[X3]] : tensor<?x4x4xi8>
// CHECK-NEXT: %xps = stablehlo.select %[[FLIP]], %[[NOT]], %[[X3]] : tensor<?x4x4xi1>, tensor<?x4x4xi8>
// CHECK-NOT: stablehlo.select {{.*}} tensor<?x4x4xi1>

// x = 1010: electrons at 0, 2, holes at 1, 3. Hop k: the k-th electron (0, 2, none) to
// the hole of rank (0, 0, 1): 0110, 1100, and x (no third electron: inactive, though
// its hole, 3, was found); the removal takes the electron of rank 1 in the order 3, 2,
// 1, 0 (site 0): 0010. x = 0110: electrons 1, 2, holes 0, 3: 1010, 1100, x; 0010.
// EXEC: result0: (2, 4, 4) int8
// EXEC-NEXT: {{\[\[\[}}0, 1, 1, 0],
// EXEC-NEXT: [1, 1, 0, 0],
// EXEC-NEXT: [1, 0, 1, 0],
// EXEC-NEXT: [0, 0, 1, 0]],
// EXEC: {{\[\[}}1, 0, 1, 0],
// EXEC-NEXT: [1, 1, 0, 0],
// EXEC-NEXT: [0, 1, 1, 0],
// EXEC-NEXT: [0, 0, 1, 0]]]
// EXEC: result1: (2, 4) float64
// EXEC-NEXT: {{\[\[}}1., 1., 0., 2.],
// EXEC-NEXT: [1., 1., 0., 2.]]

branch.kernel @found_flips sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %ka = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %kb = branch.column %x {values = array<i64: 0, 0, 1>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %a = branch.nth_site %x, %ka {sites = array<i64: 0, 1, 2, 3>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %b = branch.nth_site %x, %kb {sites = array<i64: 0, 1, 2, 3>, state = 0 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %none = branch.constant %x {value = -1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %found = branch.cmp ne %a, %none : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
  %s = branch.state %x {lowering = "merged"} : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %s1 = branch.write %s, %a, %zero : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %s2 = branch.write %s1, %b, %one : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %hop = branch.constant %x {value = 1.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %xp, %mel = branch.emit %x, %s2, %hop, %found {term = "hop"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %kc = branch.column %x {values = array<i64: 1>} : tensor<?x4xi8> -> tensor<?x1xi64>
  %c = branch.nth_site %x, %kc {sites = array<i64: 3, 2, 1, 0>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %zero1 = branch.constant %x {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
  %t = branch.state %x {lowering = "merged"} : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t1 = branch.write %t, %c, %zero1 : !branch.state<1x4xi8>, tensor<?x1xi64>, tensor<?x1xi64> -> !branch.state<1x4xi8>
  %two = branch.constant %x {value = 2.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %true = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %xq, %meq = branch.emit %x, %t1, %two, %true {term = "remove"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %xp, %xq : tensor<?x3x4xi8>, tensor<?x1x4xi8> -> tensor<?x4x4xi8>
  %mels = branch.concat %mel, %meq : tensor<?x3xf64>, tensor<?x1xf64> -> tensor<?x4xf64>
  branch.return %xps, %mels : tensor<?x4x4xi8>, tensor<?x4xf64>
}
