// convert-branch-to-stablehlo on a kernel whose states are `merged` (what
// branch-choose-lowering chooses where XLA:CPU vectorises the loop that builds x'): the
// Heisenberg ring of 4 sites, a swap of the two sites of each bond where they differ
// (two writes per row, the emission masked) and the diagonal row. A write of static
// sites selects against a constant mask of the sites it writes; the x' of the two
// emissions the branch.concat joins are built together, one select per write over all
// five rows (the diagonal row writes no site: a row of false; its value a 0), then one
// select of the active rows against x: no concatenate of (batch, rows, sites) tensors.
// Then jaxlib's verifier, and an execution through JAX.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo | filecheck %s
// RUN: symir-opt %s -p convert-branch-to-stablehlo | %jax-verify | filecheck %s --check-prefix=JAX
// RUN: symir-opt %s -p convert-branch-to-stablehlo | symir-run - --input '[[1, -1, 1, -1], [1, 1, -1, -1]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x4xi8>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// CHECK: %[[TRUE:.*]] = stablehlo.constant dense<true> : tensor<i1>
// The values each write stores, narrowed to the configuration type.
// CHECK: %[[ANTI:.*]] = stablehlo.compare NE, %[[XI:.*]], %[[XJ:.*]], SIGNED : (tensor<?x4xi64>, tensor<?x4xi64>) -> tensor<?x4xi1>
// CHECK-NEXT: %[[V1:.*]] = stablehlo.convert %[[XJ]] : (tensor<?x4xi64>) -> tensor<?x4xi8>
// CHECK: %[[V2:.*]] = stablehlo.convert %[[XI]] : (tensor<?x4xi64>) -> tensor<?x4xi8>
// CHECK-NOT: tensor<?x4x4xi
// CHECK: %[[DIAGT:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[TRUE]], %{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i1>, tensor<2xi64>) -> tensor<?x1xi1>
// x over all five rows.
// CHECK: %[[SHAPE:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}, %{{.*}}) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
// CHECK-NEXT: %[[XROWS:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[X]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 0, 2>}> : (tensor<?x4xi8>, tensor<3xi64>) -> tensor<?x5x4xi8>
// The first write of every row: the values, a 0 for the diagonal row.
// CHECK-NEXT: %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<i8>
// CHECK-NEXT: %[[ZEROS:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[ZERO]], %{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i8>, tensor<2xi64>) -> tensor<?x1xi8>
// CHECK-NEXT: %[[W1:.*]] = "stablehlo.concatenate"(%[[ZEROS]], %[[V1]]) <{dimension = 1 : i64}> : (tensor<?x1xi8>, tensor<?x4xi8>) -> tensor<?x5xi8>
// Its mask: sites 0, 1, 0, 2 of the bonds' first column, nothing on the diagonal row.
// CHECK-NEXT: %[[M1:.*]] = stablehlo.constant dense<{{\[\[}}false, false, false, false], [true, false, false, false], [false, true, false, false], [true, false, false, false], [false, false, true, false]]> : tensor<5x4xi1>
// CHECK-NEXT: %[[M1B:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[M1]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<5x4xi1>, tensor<3xi64>) -> tensor<?x5x4xi1>
// CHECK-NEXT: %[[W1B:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[W1]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x5xi8>, tensor<3xi64>) -> tensor<?x5x4xi8>
// CHECK-NEXT: %[[C1:.*]] = stablehlo.select %[[M1B]], %[[W1B]], %[[XROWS]] : tensor<?x5x4xi1>, tensor<?x5x4xi8>
// The second write: sites 1, 2, 3, 3.
// CHECK-NEXT: %[[W2:.*]] = "stablehlo.concatenate"(%[[ZEROS]], %[[V2]]) <{dimension = 1 : i64}> : (tensor<?x1xi8>, tensor<?x4xi8>) -> tensor<?x5xi8>
// CHECK-NEXT: %[[M2:.*]] = stablehlo.constant dense<{{\[\[}}false, false, false, false], [false, true, false, false], [false, false, true, false], [false, false, false, true], [false, false, false, true]]> : tensor<5x4xi1>
// CHECK-NEXT: %[[M2B:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[M2]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<5x4xi1>, tensor<3xi64>) -> tensor<?x5x4xi1>
// CHECK-NEXT: %[[W2B:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[W2]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x5xi8>, tensor<3xi64>) -> tensor<?x5x4xi8>
// CHECK-NEXT: %[[C2:.*]] = stablehlo.select %[[M2B]], %[[W2B]], %[[C1]] : tensor<?x5x4xi1>, tensor<?x5x4xi8>
// The rows that are active (the diagonal always, a bond where its sites differ), else x.
// CHECK-NEXT: %[[ACTIVE:.*]] = "stablehlo.concatenate"(%[[DIAGT]], %[[ANTI]]) <{dimension = 1 : i64}> : (tensor<?x1xi1>, tensor<?x4xi1>) -> tensor<?x5xi1>
// CHECK-NEXT: %[[AB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[ACTIVE]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x5xi1>, tensor<3xi64>) -> tensor<?x5x4xi1>
// CHECK-NEXT: %[[XP:.*]] = stablehlo.select %[[AB]], %[[C2]], %[[XROWS]] : tensor<?x5x4xi1>, tensor<?x5x4xi8>
// CHECK-NEXT: %[[MELS:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x1xf64>, tensor<?x4xf64>) -> tensor<?x5xf64>
// CHECK-NEXT: func.return %[[XP]], %[[MELS]] : tensor<?x5x4xi8>, tensor<?x5xf64>
// CHECK-NOT: branch.

// JAX: func.func @main(%arg0: tensor<?x4xi8>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// JAX: stablehlo.select {{.*}} : tensor<?x5x4xi1>, tensor<?x5x4xi8>
// JAX: return

// Row 0: x, the zz sum; rows 1-4: the bonds (0,1), (1,2), (0,3), (2,3) swapped where
// their sites differ (mel -2), else x (mel 0).
// EXEC:      result0: (2, 5, 4) int8
// EXEC-NEXT: {{\[\[\[}} 1, -1,  1, -1],
// EXEC-NEXT:   [-1,  1,  1, -1],
// EXEC-NEXT:   [ 1,  1, -1, -1],
// EXEC-NEXT:   [-1, -1,  1,  1],
// EXEC-NEXT:   [ 1, -1, -1,  1]],
// EXEC-EMPTY:
// EXEC-NEXT:  {{\[\[}} 1,  1, -1, -1],
// EXEC-NEXT:   [ 1,  1, -1, -1],
// EXEC-NEXT:   [ 1, -1,  1, -1],
// EXEC-NEXT:   [-1,  1, -1,  1],
// EXEC-NEXT:   [ 1,  1, -1, -1]]]
// EXEC-NEXT: result1: (2, 5) float64
// EXEC-NEXT: {{\[\[}}-4., -2., -2., -2., -2.],
// EXEC-NEXT:  [ 0.,  0., -2., -2.,  0.]]

branch.kernel @heisenberg sites 4 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x {lowering = "merged"} : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 0, 2>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xi = branch.read %x, %i {lowering = "slices"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %j = branch.column %x {values = array<i64: 1, 2, 3, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xj = branch.read %x, %j {lowering = "slices"} : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %anti = branch.cmp ne %xi, %xj : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi1>
  %s1 = branch.write %s, %i, %xj : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
  %s2 = branch.write %s1, %j, %xi : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
  %m = branch.constant %x {value = -2.0 : f64} : tensor<?x4xi8> -> tensor<?x4xf64>
  %xp, %mel = branch.emit %x, %s2, %m, %anti {term = "term0"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %q = branch.quadratic_form %x {pairs = array<i64: 0, 1, 0, 3, 1, 2, 2, 3>, weights = array<f64: 1.0, 1.0, 1.0, 1.0>, sites = array<i64>, linear = array<f64>, constant = 0.0 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %d = branch.state %x {lowering = "merged"} : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %d, %q, %t {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %dxp, %xp : tensor<?x1x4xi8>, tensor<?x4x4xi8> -> tensor<?x5x4xi8>
  %mels = branch.concat %dmel, %mel : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
  branch.return %xps, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
}
