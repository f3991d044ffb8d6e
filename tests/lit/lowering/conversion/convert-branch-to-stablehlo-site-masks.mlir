// convert-branch-to-stablehlo on the table ops of symir.pauli_strings (branch.parity_sum,
// branch.flip_sites) and on writes that flip their sites (lowering/branch/_flips.py),
// states `projected`, 3 sites:
// * the diagonal's parity_sum (strings Z0 Z1 and Z1 Z2, more strings per row than the
//   sites allow in sign counts): a quadratic form in the spins z = 1 - 2 (x == -1), one
//   dot_general with the row's 3 x 3 matrix of pair coefficients, its products with z
//   summed over the sites by a reduce (which XLA fuses with them);
// * the strings' parity_sum: row 0 holds a string without Z/Y (X alone: its coefficient
//   is a constant, no count), row 1 one without and one with Z on site 0: the sites of
//   x on -1 packed in an i32 word (a dot_general with the powers of two), the parity of
//   the word and the string's mask (and, popcnt, and 1) selecting its coefficient or its
//   negation, summed over the row's strings by a reduce, plus the row's constant 0.25;
// * x' of the diagonal, of the flip_sites rows (masks {0} and {1, 2}) and of a row with
//   two writes -x at sites 0 and 2: one select of s0 + s1 - x over all four rows, with
//   one constant mask (no concatenate of (batch, rows, sites) tensors, no select per
//   write).
// Then an execution through JAX.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo -o %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --input '[[1, -1, 1], [-1, -1, 1]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x3xi8>) -> (tensor<?x4x3xi8>, tensor<?x4xf64>) {
// The diagonal: z, then z Q and its product with z summed over the sites.
// CHECK: %[[Z:.*]] = stablehlo.subtract %{{.*}}, %{{.*}} : tensor<?x3xf64>
// CHECK-NEXT: %[[Q:.*]] = stablehlo.constant dense<{{\[\[\[}}0.000000e+00, 5.000000e-01, 0.000000e+00], [0.000000e+00, 0.000000e+00, -1.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00]]]> : tensor<1x3x3xf64>
// CHECK-NEXT: %[[ZQ:.*]] = "stablehlo.dot_general"(%[[Z]], %[[Q]]) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]>}> : (tensor<?x3xf64>, tensor<1x3x3xf64>) -> tensor<?x1x3xf64>
// CHECK: %[[ZQZ:.*]] = stablehlo.multiply %[[ZQ]], %{{.*}} : tensor<?x1x3xf64>
// CHECK: %[[D:.*]] = "stablehlo.reduce"(%[[ZQZ]], %{{.*}}) <{dimensions = array<i64: 2>}> ({
// CHECK: }) : (tensor<?x1x3xf64>, tensor<f64>) -> tensor<?x1xf64>
// Row 0 of the strings: its constant 2.0.
// CHECK: %[[C0:.*]] = stablehlo.constant dense<2.000000e+00> : tensor<1xf64>
// CHECK-NEXT: %[[ROW0:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[C0]], %{{.*}}) <{broadcast_dimensions = array<i64: 1>}> : (tensor<1xf64>, tensor<2xi64>) -> tensor<?x1xf64>
// Row 1: one string with a mask (site 0: 1), -1.5 times its sign, plus 0.25.
// CHECK: %[[EQ:.*]] = stablehlo.compare EQ, %{{[a-z0-9_]+}}, %{{.*}}, SIGNED : (tensor<?x3xi8>, tensor<?x3xi8>) -> tensor<?x3xi1>
// CHECK-NEXT: %[[HITS:.*]] = stablehlo.convert %[[EQ]] : (tensor<?x3xi1>) -> tensor<?x3xi32>
// CHECK-NEXT: %[[POW:.*]] = stablehlo.constant dense<[1, 2, 4]> : tensor<3xi32>
// CHECK-NEXT: %[[WORD:.*]] = "stablehlo.dot_general"(%[[HITS]], %[[POW]]) {{.*}} : (tensor<?x3xi32>, tensor<3xi32>) -> tensor<?xi32>
// CHECK-NEXT: %[[MASK:.*]] = stablehlo.constant dense<1> : tensor<1x1xi32>
// CHECK: %[[WB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[WORD]], %{{.*}}) <{broadcast_dimensions = array<i64: 0>}> : (tensor<?xi32>, tensor<3xi64>) -> tensor<?x1x1xi32>
// CHECK-NEXT: %[[BOTH:.*]] = stablehlo.and %[[WB]], %{{.*}} : tensor<?x1x1xi32>
// CHECK-NEXT: %[[BITS:.*]] = stablehlo.popcnt %[[BOTH]] : tensor<?x1x1xi32>
// CHECK: %[[ODD:.*]] = stablehlo.and %[[BITS]], %{{.*}} : tensor<?x1x1xi32>
// CHECK: %[[EVEN:.*]] = stablehlo.compare EQ, %[[ODD]], %{{.*}}, SIGNED : (tensor<?x1x1xi32>, tensor<?x1x1xi32>) -> tensor<?x1x1xi1>
// CHECK-NEXT: stablehlo.constant dense<-1.500000e+00> : tensor<1x1xf64>
// CHECK-NEXT: stablehlo.constant dense<1.500000e+00> : tensor<1x1xf64>
// CHECK: %[[SEL:.*]] = stablehlo.select %[[EVEN]], %{{.*}}, %{{.*}} : tensor<?x1x1xi1>, tensor<?x1x1xf64>
// CHECK-NEXT: %[[SUM:.*]] = "stablehlo.reduce"(%[[SEL]], %{{.*}}) <{dimensions = array<i64: 2>}> ({
// CHECK: }) : (tensor<?x1x1xf64>, tensor<f64>) -> tensor<?x1xf64>
// CHECK-NEXT: %[[C1:.*]] = stablehlo.constant dense<2.500000e-01> : tensor<1xf64>
// CHECK-NEXT: %[[C1B:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[C1]], %{{.*}}) {{.*}} -> tensor<?x1xf64>
// CHECK-NEXT: %[[ROW1:.*]] = stablehlo.add %[[SUM]], %[[C1B]] : tensor<?x1xf64>
// CHECK-NEXT: %{{.*}} = "stablehlo.concatenate"(%[[ROW0]], %[[ROW1]]) <{dimension = 1 : i64}> : (tensor<?x1xf64>, tensor<?x1xf64>) -> tensor<?x2xf64>
// x': x projected, its rows, and one select with the mask of the flipped sites.
// CHECK: %[[P:.*]] = stablehlo.minimum %{{.*}}, %{{.*}} : tensor<?x3xi8>
// CHECK: %[[ROWS:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[P]], %[[SHAPE:.*]]) <{broadcast_dimensions = array<i64: 0, 2>}> : (tensor<?x3xi8>, tensor<3xi64>) -> tensor<?x4x3xi8>
// CHECK-NEXT: %[[TOTAL:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}, %[[SHAPE]]) <{broadcast_dimensions = array<i64>}> : (tensor<i8>, tensor<3xi64>) -> tensor<?x4x3xi8>
// CHECK-NEXT: %[[M:.*]] = stablehlo.constant dense<{{\[\[}}false, false, false], [true, false, false], [false, true, true], [true, false, true]]> : tensor<4x3xi1>
// CHECK-NEXT: %[[MB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[M]], %[[SHAPE]]) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<4x3xi1>, tensor<3xi64>) -> tensor<?x4x3xi1>
// CHECK-NEXT: %[[FLIPPED:.*]] = stablehlo.subtract %[[TOTAL]], %[[ROWS]] : tensor<?x4x3xi8>
// CHECK-NEXT: %[[XP:.*]] = stablehlo.select %[[MB]], %[[FLIPPED]], %[[ROWS]] : tensor<?x4x3xi1>, tensor<?x4x3xi8>
// CHECK-NEXT: %[[MELS:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x1xf64>, tensor<?x2xf64>, tensor<?x1xf64>) -> tensor<?x4xf64>
// CHECK-NEXT: func.return %[[XP]], %[[MELS]] : tensor<?x4x3xi8>, tensor<?x4xf64>
// CHECK-NOT: branch.

// Rows: the diagonal 0.5 z0 z1 - z1 z2; X0 (2.0); X1 X2 (0.25) and X1 X2 Z0 (-1.5); X0 X2 (0.75).
// EXEC:      result0: (2, 4, 3) int8
// EXEC-NEXT: {{\[\[\[}} 1, -1,  1],
// EXEC-NEXT:   [-1, -1,  1],
// EXEC-NEXT:   [ 1,  1, -1],
// EXEC-NEXT:   [-1, -1, -1]],
// EXEC-EMPTY:
// EXEC-NEXT:  {{\[\[}}-1, -1,  1],
// EXEC-NEXT:   [ 1, -1,  1],
// EXEC-NEXT:   [-1,  1, -1],
// EXEC-NEXT:   [ 1, -1, -1]]]
// EXEC-NEXT: result1: (2, 4) float64
// EXEC-NEXT: {{\[\[}} 0.5 ,  2.  , -1.25,  0.75],
// EXEC-NEXT:  [ 1.5 ,  2.  ,  1.75,  0.75]]

branch.kernel @pauli sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %k0 = branch.column %x {values = array<i64: 0>} : tensor<?x3xi8> -> tensor<?x1xi64>
  %d = branch.parity_sum %x, %k0 {offsets = array<i64: 0, 2>, masks = array<i64: 3, 6>, real = array<f64: 0.5, -1.0>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x1xi64> -> tensor<?x1xf64>
  %s0 = branch.state %x {lowering = "projected"} : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %t0 = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp0, %m0 = branch.emit %x, %s0, %d, %t0 {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %k = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %v = branch.parity_sum %x, %k {offsets = array<i64: 0, 1, 3>, masks = array<i64: 0, 0, 1>, real = array<f64: 2.0, 0.25, -1.5>, state = -1 : i64} : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xf64>
  %s = branch.state %x {lowering = "projected"} : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %f = branch.flip_sites %s, %k {masks = array<i64: 1, 6>} : !branch.state<2x3xi8>, tensor<?x2xi64> -> !branch.state<2x3xi8>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
  %xp1, %m1 = branch.emit %x, %f, %v, %t {term = "strings"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %s2 = branch.state %x {lowering = "projected"} : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %i = branch.column %x {values = array<i64: 0>} : tensor<?x3xi8> -> tensor<?x1xi64>
  %xi = branch.read %x, %i {lowering = "slices"} : tensor<?x3xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %ni = branch.neg %xi : tensor<?x1xi64> -> tensor<?x1xi64>
  %w1 = branch.write %s2, %i, %ni : !branch.state<1x3xi8>, tensor<?x1xi64>, tensor<?x1xi64> -> !branch.state<1x3xi8>
  %j = branch.column %x {values = array<i64: 2>} : tensor<?x3xi8> -> tensor<?x1xi64>
  %xj = branch.read %x, %j {lowering = "slices"} : tensor<?x3xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %nj = branch.neg %xj : tensor<?x1xi64> -> tensor<?x1xi64>
  %w2 = branch.write %w1, %j, %nj : !branch.state<1x3xi8>, tensor<?x1xi64>, tensor<?x1xi64> -> !branch.state<1x3xi8>
  %c = branch.constant %x {value = 0.75 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
  %xp2, %m2 = branch.emit %x, %w2, %c, %t0 {term = "xx"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %xp = branch.concat %xp0, %xp1, %xp2 : tensor<?x1x3xi8>, tensor<?x2x3xi8>, tensor<?x1x3xi8> -> tensor<?x4x3xi8>
  %mel = branch.concat %m0, %m1, %m2 : tensor<?x1xf64>, tensor<?x2xf64>, tensor<?x1xf64> -> tensor<?x4xf64>
  branch.return %xp, %mel : tensor<?x4x3xi8>, tensor<?x4xf64>
}
