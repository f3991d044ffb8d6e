// convert-branch-to-stablehlo on the reads of x' and the validity after checked writes.
// @hop writes n_i - 1 at i and n_j + 1 at j (checked: 0 - 1 leaves the states [0, 1, 2])
// and reads x'_j: every state remembers the writes that made it, so the read is x_j
// overridden by the last write to the same site, with its exact i64 value ((batch, rows)
// selects, no gather from the (batch, rows, sites) configurations), and the emission's
// validity tests only the values written (a value overwritten later does not count), no
// reduce over the sites. After a branch.select_state the writes are chosen entry by entry
// (`select %p` of the sites and of the values; the state with fewer writes gets entries at
// site -1, which no read takes, holding a local state), and the read and the validity are
// computed from them in the same way. Then jaxlib's verifier, and an execution.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, 0, 2], [2, 2, 1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x3xi8>) -> (tensor<?x6x3xi8>, tensor<?x6xf64>) {
// CHECK: %[[I:[a-z0-9_]+]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xi64>, tensor<2xi64>) -> tensor<?x3xi64>
// CHECK: %[[J:[a-z0-9_]+]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xi64>, tensor<2xi64>) -> tensor<?x3xi64>
// The two writes, each narrowed to i8 for the configurations only.
// CHECK: %{{.*}} = stablehlo.convert %di : (tensor<?x3xi64>) -> tensor<?x3xi8>
// CHECK: %{{.*}} = stablehlo.convert %dj : (tensor<?x3xi64>) -> tensor<?x3xi8>
// x'_j: x_j, then the write at i if i == j, then the write at j.
// CHECK: %[[JI:.*]] = stablehlo.compare EQ, %[[J]], %[[I]], SIGNED : (tensor<?x3xi64>, tensor<?x3xi64>) -> tensor<?x3xi1>
// CHECK-NEXT: %[[V1:.*]] = stablehlo.select %[[JI]], %di, %nj : tensor<?x3xi1>, tensor<?x3xi64>
// CHECK-NEXT: %[[JJ:.*]] = stablehlo.compare EQ, %[[J]], %[[J]], SIGNED
// CHECK-NEXT: %after = stablehlo.select %[[JJ]], %dj, %[[V1]] : tensor<?x3xi1>, tensor<?x3xi64>
// Validity: the value written at i is a state (or i is written again, at j), and the
// value written at j is a state.
// CHECK: stablehlo.compare GE, %di
// CHECK: stablehlo.compare LE, %di
// CHECK: %[[OVER:.*]] = stablehlo.compare EQ, %[[I]], %[[J]], SIGNED
// CHECK-NEXT: stablehlo.or %{{.*}}, %[[OVER]] : tensor<?x3xi1>
// CHECK-NEXT: stablehlo.compare GE, %dj
// CHECK-NEXT: stablehlo.compare LE, %dj
// CHECK-NOT: stablehlo.gather
// CHECK-NOT: stablehlo.reduce
// CHECK: %p = stablehlo.compare LT
// After the select_state: the entries chosen by %p (site -1 and the state 0 where %p is
// false: %s0 has no writes), the read of x'_i from them, the validity from them.
// CHECK: %[[NOWHERE:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i64>, tensor<2xi64>) -> tensor<?x3xi64>
// CHECK-NEXT: %[[S1:.*]] = stablehlo.select %p, %[[I]], %[[NOWHERE]] : tensor<?x3xi1>, tensor<?x3xi64>
// CHECK-NEXT: %[[V1:.*]] = stablehlo.select %p, %di, %{{.*}} : tensor<?x3xi1>, tensor<?x3xi64>
// CHECK-NEXT: %[[S2:.*]] = stablehlo.select %p, %[[J]], %[[NOWHERE]] : tensor<?x3xi1>, tensor<?x3xi64>
// CHECK-NEXT: %[[V2:.*]] = stablehlo.select %p, %dj, %{{.*}} : tensor<?x3xi1>, tensor<?x3xi64>
// CHECK-NEXT: %[[IS1:.*]] = stablehlo.compare EQ, %[[I]], %[[S1]], SIGNED
// CHECK-NEXT: %[[R1:.*]] = stablehlo.select %[[IS1]], %[[V1]], %ni
// CHECK-NEXT: %[[IS2:.*]] = stablehlo.compare EQ, %[[I]], %[[S2]], SIGNED
// CHECK-NEXT: %back = stablehlo.select %[[IS2]], %[[V2]], %[[R1]]
// CHECK: stablehlo.compare GE, %[[V1]]
// CHECK: stablehlo.compare LE, %[[V2]]
// CHECK: %mel2 = stablehlo.select
// CHECK-NOT: stablehlo.gather
// CHECK-NOT: stablehlo.reduce

// JAX: func.func @main(%arg0: tensor<?x3xi8>) -> (tensor<?x6x3xi8>, tensor<?x6xf64>) {
// JAX-NOT: stablehlo.gather
// JAX-NOT: stablehlo.reduce
// JAX: return

// hop: n_i * n'_j where both written values are states, else 0; cond: x'_i.
// EXEC: result1: (2, 6) float64
// EXEC-NEXT: {{\[\[}}1., 0., 4., 1., 0., 2.],
// EXEC-NEXT:  [0., 4., 0., 2., 2., 0.{{\]\]}}

branch.kernel @hop sites 3 states [0, 1, 2] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x3xi8>):
  %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %j = branch.column %x {values = array<i64: 1, 2, 0>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %s0 = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %ni = branch.read %x, %i : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %nj = branch.read %x, %j : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
  %di = branch.sub %ni, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %dj = branch.add %nj, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s1 = branch.write %s0, %i, %di {checked} : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %s2 = branch.write %s1, %j, %dj {checked} : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %after = branch.state_read %s2, %j : !branch.state<3x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %amp = branch.mul %ni, %after : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %xp, %mel = branch.emit %x, %s2, %amp, %t {term = "hop"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %p = branch.cmp lt %ni, %nj : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
  %s3 = branch.select_state %p, %s2, %s0 : tensor<?x3xi1>, !branch.state<3x3xi8>, !branch.state<3x3xi8> -> !branch.state<3x3xi8>
  %back = branch.state_read %s3, %i : !branch.state<3x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %xp2, %mel2 = branch.emit %x, %s3, %back, %t {term = "cond"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xps = branch.concat %xp, %xp2 : tensor<?x3x3xi8>, tensor<?x3x3xi8> -> tensor<?x6x3xi8>
  %mels = branch.concat %mel, %mel2 : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x6xf64>
  branch.return %xps, %mels : tensor<?x6x3xi8>, tensor<?x6xf64>
}
