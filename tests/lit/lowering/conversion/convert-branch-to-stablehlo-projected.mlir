// convert-branch-to-stablehlo on a kernel whose states are `projected` (what
// branch-choose-lowering chooses on XLA:CPU where that makes the loop that builds x' a
// vector loop, docs/cost-model.md): the TFIM ring of 4 sites (states -1, 1). The rows
// start from x projected onto the local states, clamp(-1 + 2 floor((x + 1) / 2), -1, 1)
// (x itself on local states), built once where the rows are built; the rest is as for
// `merged` states: the flips' write selects against a constant mask over all five rows
// (the diagonal row writes no site), no concatenate of x'. Then jaxlib's verifier, and
// an execution through JAX.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo | filecheck %s
// RUN: symir-opt %s -p convert-branch-to-stablehlo | %jax-verify | filecheck %s --check-prefix=JAX
// RUN: symir-opt %s -p convert-branch-to-stablehlo | symir-run - --input '[[1, -1, 1, 1], [-1, -1, 1, -1]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x4xi8>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// The value each flip writes, narrowed to the configuration type.
// CHECK: %[[FLIPPED:.*]] = stablehlo.negate %{{.*}} : tensor<?x4xi64>
// CHECK-NEXT: %[[V:.*]] = stablehlo.convert %[[FLIPPED]] : (tensor<?x4xi64>) -> tensor<?x4xi8>
// CHECK-NOT: tensor<?x4x4xi
// CHECK: %dmel = stablehlo.select
// x projected onto the local states: a = x - s0, floor(a / d) from the truncating
// division and remainder, s0 + d floor(a / d), clamped to [s0, s1].
// CHECK-NEXT: %[[S0:.*]] = stablehlo.constant dense<-1> : tensor<i8>
// CHECK-NEXT: %[[S0B:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[S0]], %{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i8>, tensor<2xi64>) -> tensor<?x4xi8>
// CHECK-NEXT: %[[A:.*]] = stablehlo.subtract %[[X]], %[[S0B]] : tensor<?x4xi8>
// CHECK-NEXT: %[[D:.*]] = stablehlo.constant dense<2> : tensor<i8>
// CHECK-NEXT: %[[DB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[D]], %{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i8>, tensor<2xi64>) -> tensor<?x4xi8>
// CHECK-NEXT: %[[Q:.*]] = stablehlo.divide %[[A]], %[[DB]] : tensor<?x4xi8>
// CHECK-NEXT: %[[R:.*]] = stablehlo.remainder %[[A]], %[[DB]] : tensor<?x4xi8>
// CHECK: %[[NEG:.*]] = stablehlo.compare LT, %[[A]], %{{.*}}, SIGNED : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x4xi1>
// CHECK-NEXT: %[[REM:.*]] = stablehlo.compare NE, %[[R]], %{{.*}}, SIGNED : (tensor<?x4xi8>, tensor<?x4xi8>) -> tensor<?x4xi1>
// CHECK-NEXT: %[[BELOW:.*]] = stablehlo.and %[[NEG]], %[[REM]] : tensor<?x4xi1>
// CHECK: %[[QM1:.*]] = stablehlo.subtract %[[Q]], %[[ONE:.*]] : tensor<?x4xi8>
// CHECK-NEXT: %[[FLOOR:.*]] = stablehlo.select %[[BELOW]], %[[QM1]], %[[Q]] : tensor<?x4xi1>, tensor<?x4xi8>
// CHECK-NEXT: %[[QD:.*]] = stablehlo.multiply %[[FLOOR]], %[[DB]] : tensor<?x4xi8>
// CHECK-NEXT: %[[GRID:.*]] = stablehlo.add %[[QD]], %[[S0B]] : tensor<?x4xi8>
// CHECK-NEXT: %[[LOW:.*]] = stablehlo.maximum %[[GRID]], %[[S0B]] : tensor<?x4xi8>
// CHECK-NEXT: %[[P:.*]] = stablehlo.minimum %[[LOW]], %[[ONE]] : tensor<?x4xi8>
// The rows: the projection over all five, then the flips' write (a 0 on the diagonal row).
// CHECK: %[[SHAPE:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}, %{{.*}}) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
// CHECK-NEXT: %[[PROWS:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[P]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 0, 2>}> : (tensor<?x4xi8>, tensor<3xi64>) -> tensor<?x5x4xi8>
// CHECK: %[[W:.*]] = "stablehlo.concatenate"(%{{.*}}, %[[V]]) <{dimension = 1 : i64}> : (tensor<?x1xi8>, tensor<?x4xi8>) -> tensor<?x5xi8>
// CHECK-NEXT: %[[M:.*]] = stablehlo.constant dense<{{\[\[}}false, false, false, false], [true, false, false, false], [false, true, false, false], [false, false, true, false], [false, false, false, true]]> : tensor<5x4xi1>
// CHECK-NEXT: %[[MB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[M]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<5x4xi1>, tensor<3xi64>) -> tensor<?x5x4xi1>
// CHECK-NEXT: %[[WB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[W]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x5xi8>, tensor<3xi64>) -> tensor<?x5x4xi8>
// Every row is active: no select against x.
// CHECK-NEXT: %[[XP:.*]] = stablehlo.select %[[MB]], %[[WB]], %[[PROWS]] : tensor<?x5x4xi1>, tensor<?x5x4xi8>
// CHECK-NEXT: %[[MELS:.*]] = "stablehlo.concatenate"(%dmel, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x1xf64>, tensor<?x4xf64>) -> tensor<?x5xf64>
// CHECK-NEXT: func.return %[[XP]], %[[MELS]] : tensor<?x5x4xi8>, tensor<?x5xf64>
// CHECK-NOT: branch.

// JAX: func.func @main(%arg0: tensor<?x4xi8>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// JAX: stablehlo.divide
// JAX: stablehlo.remainder
// JAX: stablehlo.minimum
// JAX: return

// h = 0.5: row 0 is x with the zz sum of the ring, rows 1-4 x with one spin flipped.
// EXEC:      result0: (2, 5, 4) int8
// EXEC-NEXT: {{\[\[\[}} 1, -1,  1,  1],
// EXEC-NEXT:   [-1, -1,  1,  1],
// EXEC-NEXT:   [ 1,  1,  1,  1],
// EXEC-NEXT:   [ 1, -1, -1,  1],
// EXEC-NEXT:   [ 1, -1,  1, -1]],
// EXEC-EMPTY:
// EXEC-NEXT:  {{\[\[}}-1, -1,  1, -1],
// EXEC-NEXT:   [ 1, -1,  1, -1],
// EXEC-NEXT:   [-1,  1,  1, -1],
// EXEC-NEXT:   [-1, -1, -1, -1],
// EXEC-NEXT:   [-1, -1,  1,  1]]]
// EXEC-NEXT: result1: (2, 5) float64
// EXEC-NEXT: {{\[\[}} 0. , -0.5, -0.5, -0.5, -0.5],
// EXEC-NEXT:  [ 0. , -0.5, -0.5, -0.5, -0.5]]

branch.kernel @tfim sites 4 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x {lowering = "projected"} : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xi = branch.read %x, %i {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %flipped = branch.neg %xi : tensor<?x4xi64> -> tensor<?x4xi64>
  %s1 = branch.write %s, %i, %flipped : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
  %mh = branch.constant %x {value = -0.5 : f64} : tensor<?x4xi8> -> tensor<?x4xf64>
  %t4 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %xp, %mel = branch.emit %x, %s1, %mh, %t4 {term = "term0"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 1, 0, 3, 1, 2, 2, 3>, weights = array<f64: 1.0, 1.0, 1.0, 1.0>, sites = array<i64>, linear = array<f64>, constant = 0.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %d = branch.state %x {lowering = "projected"} : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %d, %q, %t {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %dxp, %xp : tensor<?x1x4xi8>, tensor<?x4x4xi8> -> tensor<?x5x4xi8>
  %mels = branch.concat %dmel, %mel : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
  branch.return %xps, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
}
