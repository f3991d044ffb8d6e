// convert-branch-to-stablehlo on a branch.kernel (the TFIM chain of 4 sites after
// convert-sym-to-branch and branch-coalesce-diagonal): func.func @main over a dynamic
// batch, xp tensor<?x5x4xi8> and mels tensor<?x5xf64>; then jaxlib's own verifier on the
// printed module, and an execution of it through JAX.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1]]:int8' --input '1.0:float64' --input '0.5:float64' | filecheck %s --check-prefixes=JAX,EXEC

// One argument per runtime parameter (in the kernel's order), the batch stays dynamic.
// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x4xi8>, %[[J:[A-Za-z0-9_]+]]: tensor<f64>, %[[H:[A-Za-z0-9_]+]]: tensor<f64>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// The batch size, once, as the leading entry of every broadcast shape.
// CHECK-NEXT: %[[N32:.*]] = "stablehlo.get_dimension_size"(%[[X]]) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
// CHECK-NEXT: %[[N64:.*]] = stablehlo.convert %[[N32]] : (tensor<i32>) -> tensor<i64>
// CHECK-NEXT: %[[N:.*]] = stablehlo.reshape %[[N64]] : (tensor<i64>) -> tensor<1xi64>
// branch.column: a constant row of sites broadcast over the batch.
// CHECK-NEXT: %[[IROW:.*]] = stablehlo.constant dense<[0, 1, 2, 3]> : tensor<4xi64>
// CHECK-NEXT: %[[FOUR:.*]] = stablehlo.constant dense<4> : tensor<1xi64>
// CHECK-NEXT: %[[SHAPE2:.*]] = "stablehlo.concatenate"(%[[N]], %[[FOUR]]) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[I:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[IROW]], %[[SHAPE2]]) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xi64>, tensor<2xi64>) -> tensor<?x4xi64>
// CHECK-NEXT: %[[JROW:.*]] = stablehlo.constant dense<[1, 2, 3, 0]> : tensor<4xi64>
// CHECK-NEXT: %[[JJ:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[JROW]], %[[SHAPE2]]) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xi64>, tensor<2xi64>) -> tensor<?x4xi64>
// branch.state: the mask of its rows (all valid); x repeated over the rows is built
// where an emission needs it.
// CHECK: %[[TRUE:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}, %[[SHAPE2]]) <{broadcast_dimensions = array<i64>}> : (tensor<i1>, tensor<2xi64>) -> tensor<?x4xi1>
// branch.splat of the parameter J.
// CHECK: %[[COUPLING:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[J]], %[[SHAPE2]]) <{broadcast_dimensions = array<i64>}> : (tensor<f64>, tensor<2xi64>) -> tensor<?x4xf64>
// branch.read of the static sites 0, 1, 2, 3: x itself, widened to i64 (no gather).
// CHECK-NEXT: %[[XI:.*]] = stablehlo.convert %[[X]] : (tensor<?x4xi8>) -> tensor<?x4xi64>
// branch.read of the static sites 1, 2, 3, 0: two slices of x over the whole batch
// (x[:, 1:4] and x[:, 0:1]), joined along the sites.
// A constant (the unit strides here) is built once and shared by its users.
// CHECK-NEXT: %[[START1:.*]] = stablehlo.constant dense<[0, 1]> : tensor<2xi64>
// CHECK-NEXT: %[[STEP1:.*]] = stablehlo.constant dense<1> : tensor<2xi64>
// CHECK-NEXT: %[[TAIL:.*]] = stablehlo.real_dynamic_slice %[[X]], %[[START1]], %[[SHAPE2]], %[[STEP1]] : (tensor<?x4xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x3xi8>
// CHECK-NEXT: %[[START0:.*]] = stablehlo.constant dense<0> : tensor<2xi64>
// CHECK-NEXT: %[[ONE:.*]] = stablehlo.constant dense<1> : tensor<1xi64>
// CHECK-NEXT: %[[LIMIT0:.*]] = "stablehlo.concatenate"(%[[N]], %[[ONE]]) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[HEAD:.*]] = stablehlo.real_dynamic_slice %[[X]], %[[START0]], %[[LIMIT0]], %[[STEP1]] : (tensor<?x4xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x1xi8>
// CHECK-NEXT: %[[RJ:.*]] = "stablehlo.concatenate"(%[[TAIL]], %[[HEAD]]) <{dimension = 1 : i64}> : (tensor<?x3xi8>, tensor<?x1xi8>) -> tensor<?x4xi8>
// CHECK-NEXT: %{{.*}} = stablehlo.convert %[[RJ]] : (tensor<?x4xi8>) -> tensor<?x4xi64>
// CHECK-NOT: stablehlo.gather
// CHECK: %[[CXI:.*]] = stablehlo.multiply %[[COUPLING]], %{{.*}} : tensor<?x4xf64>
// CHECK-NEXT: %[[XJF:.*]] = stablehlo.convert %{{.*}} : (tensor<?x4xi64>) -> tensor<?x4xf64>
// CHECK-NEXT: %[[ZZ:.*]] = stablehlo.multiply %[[CXI]], %[[XJF]] : tensor<?x4xf64>
// branch.emit of the zz term: mel where the mask holds (the constant true mask AND the
// state's validity is that mask), else 0; its x' (only summed rows use this emission)
// is not built.
// CHECK-NOT: tensor<?x4x4xi8>
// CHECK: %[[ZZMEL:.*]] = stablehlo.select %[[TRUE]], %[[ZZ]], %{{.*}} : tensor<?x4xi1>, tensor<?x4xf64>
// branch.write (the flip): the value stored, narrowed to the configuration type.
// CHECK: %[[FLIPPED:.*]] = stablehlo.negate %{{.*}} : tensor<?x4xi64>
// CHECK-NEXT: %[[NARROW:.*]] = stablehlo.convert %[[FLIPPED]] : (tensor<?x4xi64>) -> tensor<?x4xi8>
// CHECK: %[[HB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[H]], %[[SHAPE2]])
// CHECK-NEXT: %[[MH:.*]] = stablehlo.negate %[[HB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[FLIPMEL:.*]] = stablehlo.select %[[TRUE]], %[[MH]], %{{.*}} : tensor<?x4xi1>, tensor<?x4xf64>
// branch.sum_rows: a reduce over the rows of the masked zz mels.
// CHECK: %[[SUM:.*]] = "stablehlo.reduce"(%[[ZZMEL]], %{{.*}}) <{dimensions = array<i64: 1>}> ({
// CHECK: stablehlo.add
// CHECK: }) : (tensor<?x4xf64>, tensor<f64>) -> tensor<?xf64>
// The diagonal emit (width 1).
// CHECK: %[[DIAGMEL:.*]] = stablehlo.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x1xi1>, tensor<?x1xf64>
// branch.concat of the x' of the two emissions: each built (every row active: no select
// against x), the flip's as one broadcast select against an iota of sites (no
// scatter; sites and iota in i8, the narrowest type holding -1 .. 4, each emission's
// sites converted before the rows are joined), then concatenated along the rows,
// diagonal first.
// CHECK: %[[DIAGXP:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[X]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 2>}> : (tensor<?x4xi8>, tensor<3xi64>) -> tensor<?x1x4xi8>
// CHECK-NEXT: %[[SHAPE3:.*]] = "stablehlo.concatenate"(%[[N]], %{{.*}}, %{{.*}}) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
// CHECK-NEXT: %[[XROWS:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[X]], %[[SHAPE3]]) <{broadcast_dimensions = array<i64: 0, 2>}> : (tensor<?x4xi8>, tensor<3xi64>) -> tensor<?x4x4xi8>
// CHECK-NEXT: %[[AT8:.*]] = stablehlo.convert %{{.*}} : (tensor<?x4xi64>) -> tensor<?x4xi8>
// CHECK-NEXT: %[[IOTA:.*]] = stablehlo.constant dense<[0, 1, 2, 3]> : tensor<4xi8>
// CHECK-NEXT: %[[SITES:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[IOTA]], %[[SHAPE3]]) <{broadcast_dimensions = array<i64: 2>}> : (tensor<4xi8>, tensor<3xi64>) -> tensor<?x4x4xi8>
// CHECK-NEXT: %[[AT:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[AT8]], %[[SHAPE3]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x4xi8>, tensor<3xi64>) -> tensor<?x4x4xi8>
// CHECK-NEXT: %[[HIT:.*]] = stablehlo.compare EQ, %[[SITES]], %[[AT]], SIGNED : (tensor<?x4x4xi8>, tensor<?x4x4xi8>) -> tensor<?x4x4xi1>
// CHECK-NEXT: %[[NEWV:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[NARROW]], %[[SHAPE3]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x4xi8>, tensor<3xi64>) -> tensor<?x4x4xi8>
// CHECK-NEXT: %[[FLIPXP:.*]] = stablehlo.select %[[HIT]], %[[NEWV]], %[[XROWS]] : tensor<?x4x4xi1>, tensor<?x4x4xi8>
// CHECK-NEXT: %[[XP:.*]] = "stablehlo.concatenate"(%[[DIAGXP]], %[[FLIPXP]]) <{dimension = 1 : i64}> : (tensor<?x1x4xi8>, tensor<?x4x4xi8>) -> tensor<?x5x4xi8>
// CHECK-NEXT: %[[MELS:.*]] = "stablehlo.concatenate"(%[[DIAGMEL]], %[[FLIPMEL]]) <{dimension = 1 : i64}> : (tensor<?x1xf64>, tensor<?x4xf64>) -> tensor<?x5xf64>
// CHECK-NEXT: func.return %[[XP]], %[[MELS]] : tensor<?x5x4xi8>, tensor<?x5xf64>
// No branch op is left.
// CHECK-NOT: branch.

// jaxlib parses and verifies the module and prints it back with the same signature.
// JAX: func.func @main(%arg0: tensor<?x4xi8>, %arg1: tensor<f64>, %arg2: tensor<f64>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>) {
// JAX: stablehlo.get_dimension_size %arg0, dim = 0
// JAX: stablehlo.real_dynamic_slice
// JAX: stablehlo.reduce
// JAX: stablehlo.compare EQ
// JAX: stablehlo.concatenate {{.*}}, dim = 1 : (tensor<?x1x4xi8>, tensor<?x4x4xi8>) -> tensor<?x5x4xi8>
// JAX: return

// J = 1, h = 0.5. Slot 0: x itself with sum_i x_i x_{i+1} (periodic); slots 1..4: x with
// spin i flipped, mel -h.
// EXEC:      result0: (3, 5, 4) int8
// EXEC-NEXT: {{\[\[\[}} 1,  1,  1,  1],
// EXEC-NEXT:   [-1,  1,  1,  1],
// EXEC-NEXT:   [ 1, -1,  1,  1],
// EXEC-NEXT:   [ 1,  1, -1,  1],
// EXEC-NEXT:   [ 1,  1,  1, -1]],
// EXEC-EMPTY:
// EXEC-NEXT:  {{\[\[}} 1, -1,  1, -1],
// EXEC-NEXT:   [-1, -1,  1, -1],
// EXEC-NEXT:   [ 1,  1,  1, -1],
// EXEC-NEXT:   [ 1, -1, -1, -1],
// EXEC-NEXT:   [ 1, -1,  1,  1]],
// EXEC-EMPTY:
// EXEC-NEXT:  {{\[\[}} 1,  1, -1, -1],
// EXEC-NEXT:   [-1,  1, -1, -1],
// EXEC-NEXT:   [ 1, -1, -1, -1],
// EXEC-NEXT:   [ 1,  1,  1, -1],
// EXEC-NEXT:   [ 1,  1, -1,  1{{\]\]\]}}
// EXEC-NEXT: result1: (3, 5) float64
// EXEC-NEXT: {{\[\[}} 4. , -0.5, -0.5, -0.5, -0.5],
// EXEC-NEXT:  [-4. , -0.5, -0.5, -0.5, -0.5],
// EXEC-NEXT:  [ 0. , -0.5, -0.5, -0.5, -0.5{{\]\]}}

branch.kernel @tfim sites 4 states [-1, 1] dtype f64 params ["J", "h"] hermitian {
^bb0(%x: tensor<?x4xi8>, %J: tensor<f64>, %h: tensor<f64>):
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %j = branch.column %x {values = array<i64: 1, 2, 3, 0>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %0 = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %coupling = branch.splat %J, %x : tensor<f64>, tensor<?x4xi8> -> tensor<?x4xf64>
  %xi = branch.read %x, %i : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %xj = branch.read %x, %j : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %cxi = branch.mul %coupling, %xi : tensor<?x4xf64>, tensor<?x4xi64> -> tensor<?x4xf64>
  %zz = branch.mul %cxi, %xj : tensor<?x4xf64>, tensor<?x4xi64> -> tensor<?x4xf64>
  %1 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %2, %3 = branch.emit %x, %0, %zz, %1 {term = "zz"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %i_1 = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %4 = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %xi_1 = branch.read %x, %i_1 : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %flipped = branch.neg %xi_1 : tensor<?x4xi64> -> tensor<?x4xi64>
  %5 = branch.write %4, %i_1, %flipped : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
  %h_1 = branch.splat %h, %x : tensor<f64>, tensor<?x4xi8> -> tensor<?x4xf64>
  %mh = branch.neg %h_1 : tensor<?x4xf64> -> tensor<?x4xf64>
  %6 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %7, %8 = branch.emit %x, %5, %mh, %6 {term = "x", tag = "flip"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %9 = branch.sum_rows %3 : tensor<?x4xf64> -> tensor<?x1xf64>
  %10 = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %11 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %12, %13 = branch.emit %x, %10, %9, %11 {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %14 = branch.concat %12, %7 : tensor<?x1x4xi8>, tensor<?x4x4xi8> -> tensor<?x5x4xi8>
  %15 = branch.concat %13, %8 : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
  branch.return %14, %15 : tensor<?x5x4xi8>, tensor<?x5xf64>
}
