// Round trip of every stablehlo op through symir-opt (custom and generic form), and
// jaxlib's verifier on the printed module (JAX prefix: jaxlib's own printed form).
// (SYMIR_ROUNDTRIP and SYMIR_GENERIC_ROUNDTRIP written out: jaxlib reads the same prints.)
// RUN: symir-opt %s -o %t.custom.mlir && symir-opt %t.custom.mlir | filecheck %s
// RUN: symir-opt %s --print-op-generic -o %t.generic.mlir && symir-opt %t.generic.mlir | filecheck %s
// RUN: %jax-verify < %t.custom.mlir | filecheck %s --check-prefix=JAX
// RUN: %jax-verify < %t.generic.mlir | filecheck %s --check-prefix=JAX

// CHECK-LABEL: func.func @binary(
// CHECK-SAME: %[[VA:[a-z0-9_]+]]: tensor<?x4xf64>, %[[VB:[a-z0-9_]+]]: tensor<?x4xf64>) -> tensor<?x4xf64> {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.add %[[VA]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.subtract %[[V0]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.multiply %[[V1]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.divide %[[V2]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[V4:[a-z0-9_]+]] = stablehlo.remainder %[[V3]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[V5:[a-z0-9_]+]] = stablehlo.power %[[V4]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[V6:[a-z0-9_]+]] = stablehlo.maximum %[[V5]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: %[[V7:[a-z0-9_]+]] = stablehlo.minimum %[[V6]], %[[VB]] : tensor<?x4xf64>
// CHECK-NEXT: func.return %[[V7]] : tensor<?x4xf64>
// JAX-LABEL: func.func @binary(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x4xf64>, %[[VARG1:[a-z0-9_]+]]: tensor<?x4xf64>) -> tensor<?x4xf64> {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.add %[[VARG0]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.subtract %[[V0]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.multiply %[[V1]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.divide %[[V2]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: %[[V4:[a-z0-9_]+]] = stablehlo.remainder %[[V3]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: %[[V5:[a-z0-9_]+]] = stablehlo.power %[[V4]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: %[[V6:[a-z0-9_]+]] = stablehlo.maximum %[[V5]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: %[[V7:[a-z0-9_]+]] = stablehlo.minimum %[[V6]], %[[VARG1]] : tensor<?x4xf64>
// JAX-NEXT: return %[[V7]] : tensor<?x4xf64>
func.func @binary(%a: tensor<?x4xf64>, %b: tensor<?x4xf64>) -> tensor<?x4xf64> {
  %0 = stablehlo.add %a, %b : tensor<?x4xf64>
  %1 = stablehlo.subtract %0, %b : tensor<?x4xf64>
  %2 = stablehlo.multiply %1, %b : tensor<?x4xf64>
  %3 = stablehlo.divide %2, %b : tensor<?x4xf64>
  %4 = stablehlo.remainder %3, %b : tensor<?x4xf64>
  %5 = stablehlo.power %4, %b : tensor<?x4xf64>
  %6 = stablehlo.maximum %5, %b : tensor<?x4xf64>
  %7 = stablehlo.minimum %6, %b : tensor<?x4xf64>
  func.return %7 : tensor<?x4xf64>
}

// CHECK-LABEL: func.func @logic(
// CHECK-SAME: %[[VA:[a-z0-9_]+]]: tensor<4xi1>, %[[VB:[a-z0-9_]+]]: tensor<4xi1>, %[[VC:[a-z0-9_]+]]: tensor<4xi8>) -> (tensor<4xi1>, tensor<4xi8>) {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.and %[[VA]], %[[VB]] : tensor<4xi1>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.or %[[V0]], %[[VB]] : tensor<4xi1>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.not %[[V1]] : tensor<4xi1>
// CHECK-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.not %[[VC]] : tensor<4xi8>
// CHECK-NEXT: %[[V4:[a-z0-9_]+]] = stablehlo.popcnt %[[V3]] : tensor<4xi8>
// CHECK-NEXT: func.return %[[V2]], %[[V4]] : tensor<4xi1>, tensor<4xi8>
// JAX-LABEL: func.func @logic(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<4xi1>, %[[VARG1:[a-z0-9_]+]]: tensor<4xi1>, %[[VARG2:[a-z0-9_]+]]: tensor<4xi8>) -> (tensor<4xi1>, tensor<4xi8>) {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.and %[[VARG0]], %[[VARG1]] : tensor<4xi1>
// JAX-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.or %[[V0]], %[[VARG1]] : tensor<4xi1>
// JAX-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.not %[[V1]] : tensor<4xi1>
// JAX-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.not %[[VARG2]] : tensor<4xi8>
// JAX-NEXT: %[[V4:[a-z0-9_]+]] = stablehlo.popcnt %[[V3]] : tensor<4xi8>
// JAX-NEXT: return %[[V2]], %[[V4]] : tensor<4xi1>, tensor<4xi8>
func.func @logic(%a: tensor<4xi1>, %b: tensor<4xi1>, %c: tensor<4xi8>) -> (tensor<4xi1>, tensor<4xi8>) {
  %0 = stablehlo.and %a, %b : tensor<4xi1>
  %1 = stablehlo.or %0, %b : tensor<4xi1>
  %2 = stablehlo.not %1 : tensor<4xi1>
  %3 = stablehlo.not %c : tensor<4xi8>
  %4 = stablehlo.popcnt %3 : tensor<4xi8>
  func.return %2, %4 : tensor<4xi1>, tensor<4xi8>
}

// CHECK-LABEL: func.func @unary(
// CHECK-SAME: %[[VA:[a-z0-9_]+]]: tensor<4xf64>) -> tensor<4xf64> {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.negate %[[VA]] : tensor<4xf64>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.abs %[[V0]] : (tensor<4xf64>) -> tensor<4xf64>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.sqrt %[[V1]] : tensor<4xf64>
// CHECK-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.exponential %[[V2]] : tensor<4xf64>
// CHECK-NEXT: %[[V4:[a-z0-9_]+]] = stablehlo.log %[[V3]] : tensor<4xf64>
// CHECK-NEXT: %[[V5:[a-z0-9_]+]] = stablehlo.sine %[[V4]] : tensor<4xf64>
// CHECK-NEXT: %[[V6:[a-z0-9_]+]] = stablehlo.cosine %[[V5]] : tensor<4xf64>
// CHECK-NEXT: %[[V7:[a-z0-9_]+]] = stablehlo.floor %[[V6]] : tensor<4xf64>
// CHECK-NEXT: func.return %[[V7]] : tensor<4xf64>
// JAX-LABEL: func.func @unary(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<4xf64>) -> tensor<4xf64> {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.negate %[[VARG0]] : tensor<4xf64>
// JAX-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.abs %[[V0]] : tensor<4xf64>
// JAX-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.sqrt %[[V1]] : tensor<4xf64>
// JAX-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.exponential %[[V2]] : tensor<4xf64>
// JAX-NEXT: %[[V4:[a-z0-9_]+]] = stablehlo.log %[[V3]] : tensor<4xf64>
// JAX-NEXT: %[[V5:[a-z0-9_]+]] = stablehlo.sine %[[V4]] : tensor<4xf64>
// JAX-NEXT: %[[V6:[a-z0-9_]+]] = stablehlo.cosine %[[V5]] : tensor<4xf64>
// JAX-NEXT: %[[V7:[a-z0-9_]+]] = stablehlo.floor %[[V6]] : tensor<4xf64>
// JAX-NEXT: return %[[V7]] : tensor<4xf64>
func.func @unary(%a: tensor<4xf64>) -> tensor<4xf64> {
  %0 = stablehlo.negate %a : tensor<4xf64>
  %1 = stablehlo.abs %0 : (tensor<4xf64>) -> tensor<4xf64>
  %2 = stablehlo.sqrt %1 : tensor<4xf64>
  %3 = stablehlo.exponential %2 : tensor<4xf64>
  %4 = stablehlo.log %3 : tensor<4xf64>
  %5 = stablehlo.sine %4 : tensor<4xf64>
  %6 = stablehlo.cosine %5 : tensor<4xf64>
  %7 = stablehlo.floor %6 : tensor<4xf64>
  func.return %7 : tensor<4xf64>
}

// CHECK-LABEL: func.func @complex(
// CHECK-SAME: %[[VRE:[a-z0-9_]+]]: tensor<4xf64>, %[[VIM:[a-z0-9_]+]]: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.complex %[[VRE]], %[[VIM]] : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xcomplex<f64>>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.real %[[V0]] : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.imag %[[V0]] : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
// CHECK-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.abs %[[V0]] : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
// CHECK-NEXT: func.return %[[V1]], %[[V2]], %[[V3]] : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>
// JAX-LABEL: func.func @complex(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<4xf64>, %[[VARG1:[a-z0-9_]+]]: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.complex %[[VARG0]], %[[VARG1]] : tensor<4xcomplex<f64>>
// JAX-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.real %[[V0]] : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
// JAX-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.imag %[[V0]] : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
// JAX-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.abs %[[V0]] : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
// JAX-NEXT: return %[[V1]], %[[V2]], %[[V3]] : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>
func.func @complex(%re: tensor<4xf64>, %im: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
  %0 = stablehlo.complex %re, %im : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xcomplex<f64>>
  %1 = stablehlo.real %0 : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
  %2 = stablehlo.imag %0 : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
  %3 = stablehlo.abs %0 : (tensor<4xcomplex<f64>>) -> tensor<4xf64>
  func.return %1, %2, %3 : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>
}

// CHECK-LABEL: func.func @compare_select(
// CHECK-SAME: %[[VA:[a-z0-9_]+]]: tensor<4xf64>, %[[VB:[a-z0-9_]+]]: tensor<4xf64>, %[[VI:[a-z0-9_]+]]: tensor<4xi8>) -> (tensor<4xf64>, tensor<4xi1>, tensor<4xi1>) {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.compare LT, %[[VA]], %[[VB]], FLOAT : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.select %[[V0]], %[[VA]], %[[VB]] : tensor<4xi1>, tensor<4xf64>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.compare NE, %[[VI]], %[[VI]], SIGNED : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
// CHECK-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.compare EQ, %[[VA]], %[[VB]] : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
// CHECK-NEXT: func.return %[[V1]], %[[V2]], %[[V3]] : tensor<4xf64>, tensor<4xi1>, tensor<4xi1>
// JAX-LABEL: func.func @compare_select(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<4xf64>, %[[VARG1:[a-z0-9_]+]]: tensor<4xf64>, %[[VARG2:[a-z0-9_]+]]: tensor<4xi8>) -> (tensor<4xf64>, tensor<4xi1>, tensor<4xi1>) {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.compare LT, %[[VARG0]], %[[VARG1]], FLOAT : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
// JAX-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.select %[[V0]], %[[VARG0]], %[[VARG1]] : tensor<4xi1>, tensor<4xf64>
// JAX-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.compare NE, %[[VARG2]], %[[VARG2]], SIGNED : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
// JAX-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.compare EQ, %[[VARG0]], %[[VARG1]] : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
// JAX-NEXT: return %[[V1]], %[[V2]], %[[V3]] : tensor<4xf64>, tensor<4xi1>, tensor<4xi1>
func.func @compare_select(%a: tensor<4xf64>, %b: tensor<4xf64>, %i: tensor<4xi8>) -> (tensor<4xf64>, tensor<4xi1>, tensor<4xi1>) {
  %0 = stablehlo.compare LT, %a, %b, FLOAT : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
  %1 = stablehlo.select %0, %a, %b : tensor<4xi1>, tensor<4xf64>
  %2 = stablehlo.compare NE, %i, %i, SIGNED : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %3 = stablehlo.compare EQ, %a, %b : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
  func.return %1, %2, %3 : tensor<4xf64>, tensor<4xi1>, tensor<4xi1>
}

// CHECK-LABEL: func.func @constants(
// CHECK-SAME: ) -> (tensor<2xf64>, tensor<2xcomplex<f64>>, tensor<i8>) {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.constant dense<[1.500000e+00, -2.000000e+00]> : tensor<2xf64>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.constant dense<[(1.000000e+00,2.000000e+00), (0.000000e+00,-1.000000e+00)]> : tensor<2xcomplex<f64>>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.constant dense<-3> : tensor<i8>
// CHECK-NEXT: func.return %[[V0]], %[[V1]], %[[V2]] : tensor<2xf64>, tensor<2xcomplex<f64>>, tensor<i8>
// JAX-LABEL: func.func @constants(
// JAX-SAME: ) -> (tensor<2xf64>, tensor<2xcomplex<f64>>, tensor<i8>) {
// JAX-NEXT: %[[VCST:[a-z0-9_]+]] = stablehlo.constant dense<[1.500000e+00, -2.000000e+00]> : tensor<2xf64>
// JAX-NEXT: %[[VCST_0:[a-z0-9_]+]] = stablehlo.constant dense<[(1.000000e+00,2.000000e+00), (0.000000e+00,-1.000000e+00)]> : tensor<2xcomplex<f64>>
// JAX-NEXT: %[[VC:[a-z0-9_]+]] = stablehlo.constant dense<-3> : tensor<i8>
// JAX-NEXT: return %[[VCST]], %[[VCST_0]], %[[VC]] : tensor<2xf64>, tensor<2xcomplex<f64>>, tensor<i8>
func.func @constants() -> (tensor<2xf64>, tensor<2xcomplex<f64>>, tensor<i8>) {
  %0 = stablehlo.constant dense<[1.5, -2.0]> : tensor<2xf64>
  %1 = stablehlo.constant dense<[(1.0, 2.0), (0.0, -1.0)]> : tensor<2xcomplex<f64>>
  %2 = stablehlo.constant dense<-3> : tensor<i8>
  func.return %0, %1, %2 : tensor<2xf64>, tensor<2xcomplex<f64>>, tensor<i8>
}

// CHECK-LABEL: func.func @shapes(
// CHECK-SAME: %[[VX:[a-z0-9_]+]]: tensor<2x3xf64>) -> (tensor<6xf64>, tensor<4x3xf64>, tensor<2x3xi8>) {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.reshape %[[VX]] : (tensor<2x3xf64>) -> tensor<6xf64>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = "stablehlo.concatenate"(%[[VX]], %[[VX]]) <{dimension = 0 : i64}> : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<4x3xf64>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.convert %[[VX]] : (tensor<2x3xf64>) -> tensor<2x3xi8>
// CHECK-NEXT: func.return %[[V0]], %[[V1]], %[[V2]] : tensor<6xf64>, tensor<4x3xf64>, tensor<2x3xi8>
// JAX-LABEL: func.func @shapes(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<2x3xf64>) -> (tensor<6xf64>, tensor<4x3xf64>, tensor<2x3xi8>) {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.reshape %[[VARG0]] : (tensor<2x3xf64>) -> tensor<6xf64>
// JAX-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.concatenate %[[VARG0]], %[[VARG0]], dim = 0 : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<4x3xf64>
// JAX-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.convert %[[VARG0]] : (tensor<2x3xf64>) -> tensor<2x3xi8>
// JAX-NEXT: return %[[V0]], %[[V1]], %[[V2]] : tensor<6xf64>, tensor<4x3xf64>, tensor<2x3xi8>
func.func @shapes(%x: tensor<2x3xf64>) -> (tensor<6xf64>, tensor<4x3xf64>, tensor<2x3xi8>) {
  %0 = stablehlo.reshape %x : (tensor<2x3xf64>) -> tensor<6xf64>
  %1 = "stablehlo.concatenate"(%x, %x) <{dimension = 0 : i64}> : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<4x3xf64>
  %2 = stablehlo.convert %x : (tensor<2x3xf64>) -> tensor<2x3xi8>
  func.return %0, %1, %2 : tensor<6xf64>, tensor<4x3xf64>, tensor<2x3xi8>
}

// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[VX:[a-z0-9_]+]]: tensor<?x16xi8>) -> (tensor<i32>, tensor<?x16xi8>) {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.get_dimension_size"(%[[VX]]) <{dimension = 0 : i64}> : (tensor<?x16xi8>) -> tensor<i32>
// CHECK-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.reshape %[[V0]] : (tensor<i32>) -> tensor<1xi32>
// CHECK-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.constant dense<16> : tensor<1xi32>
// CHECK-NEXT: %[[V3:[a-z0-9_]+]] = "stablehlo.concatenate"(%[[V1]], %[[V2]]) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
// CHECK-NEXT: %[[V4:[a-z0-9_]+]] = stablehlo.constant dense<1> : tensor<16xi8>
// CHECK-NEXT: %[[V5:[a-z0-9_]+]] = "stablehlo.dynamic_broadcast_in_dim"(%[[V4]], %[[V3]]) <{broadcast_dimensions = array<i64: 1>}> : (tensor<16xi8>, tensor<2xi32>) -> tensor<?x16xi8>
// CHECK-NEXT: func.return %[[V0]], %[[V5]] : tensor<i32>, tensor<?x16xi8>
// JAX-LABEL: func.func @dynamic(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x16xi8>) -> (tensor<i32>, tensor<?x16xi8>) {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.get_dimension_size %[[VARG0]], dim = 0 : (tensor<?x16xi8>) -> tensor<i32>
// JAX-NEXT: %[[V1:[a-z0-9_]+]] = stablehlo.reshape %[[V0]] : (tensor<i32>) -> tensor<1xi32>
// JAX-NEXT: %[[VC:[a-z0-9_]+]] = stablehlo.constant dense<16> : tensor<1xi32>
// JAX-NEXT: %[[V2:[a-z0-9_]+]] = stablehlo.concatenate %[[V1]], %[[VC]], dim = 0 : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
// JAX-NEXT: %[[VC_0:[a-z0-9_]+]] = stablehlo.constant dense<1> : tensor<16xi8>
// JAX-NEXT: %[[V3:[a-z0-9_]+]] = stablehlo.dynamic_broadcast_in_dim %[[VC_0]], %[[V2]], dims = [1] : (tensor<16xi8>, tensor<2xi32>) -> tensor<?x16xi8>
// JAX-NEXT: return %[[V0]], %[[V3]] : tensor<i32>, tensor<?x16xi8>
func.func @dynamic(%x: tensor<?x16xi8>) -> (tensor<i32>, tensor<?x16xi8>) {
  %0 = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x16xi8>) -> tensor<i32>
  %1 = stablehlo.reshape %0 : (tensor<i32>) -> tensor<1xi32>
  %2 = stablehlo.constant dense<[16]> : tensor<1xi32>
  %3 = "stablehlo.concatenate"(%1, %2) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
  %4 = stablehlo.constant dense<1> : tensor<16xi8>
  %5 = "stablehlo.dynamic_broadcast_in_dim"(%4, %3) <{broadcast_dimensions = array<i64: 1>}> : (tensor<16xi8>, tensor<2xi32>) -> tensor<?x16xi8>
  func.return %0, %5 : tensor<i32>, tensor<?x16xi8>
}

// CHECK-LABEL: func.func @real_dynamic_slice(
// CHECK-SAME: %[[VX:[a-z0-9_]+]]: tensor<?x16xi8>, %[[VLIM:[a-z0-9_]+]]: tensor<2xi64>) -> tensor<?x8xi8> {
// CHECK-NEXT: %[[VS:[a-z0-9_]+]] = stablehlo.constant dense<[0, 1]> : tensor<2xi64>
// CHECK-NEXT: %[[VST:[a-z0-9_]+]] = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.real_dynamic_slice %[[VX]], %[[VS]], %[[VLIM]], %[[VST]] : (tensor<?x16xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x8xi8>
// CHECK-NEXT: func.return %[[V0]] : tensor<?x8xi8>
// JAX-LABEL: func.func @real_dynamic_slice(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x16xi8>, %[[VARG1:[a-z0-9_]+]]: tensor<2xi64>) -> tensor<?x8xi8> {
// JAX-NEXT: %[[VC:[a-z0-9_]+]] = stablehlo.constant dense<[0, 1]> : tensor<2xi64>
// JAX-NEXT: %[[VC0:[a-z0-9_]+]] = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.real_dynamic_slice %[[VARG0]], %[[VC]], %[[VARG1]], %[[VC0]] : (tensor<?x16xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x8xi8>
// JAX-NEXT: return %[[V0]] : tensor<?x8xi8>
func.func @real_dynamic_slice(%x: tensor<?x16xi8>, %lim: tensor<2xi64>) -> tensor<?x8xi8> {
  %s = stablehlo.constant dense<[0, 1]> : tensor<2xi64>
  %st = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
  %0 = stablehlo.real_dynamic_slice %x, %s, %lim, %st : (tensor<?x16xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x8xi8>
  func.return %0 : tensor<?x8xi8>
}

// CHECK-LABEL: func.func @dynamic_update_slice(
// CHECK-SAME: %[[VA:[a-z0-9_]+]]: tensor<?x8xf64>, %[[VU:[a-z0-9_]+]]: tensor<?x1xf64>) -> tensor<?x8xf64> {
// CHECK-NEXT: %[[VI:[a-z0-9_]+]] = stablehlo.constant dense<0> : tensor<i64>
// CHECK-NEXT: %[[VJ:[a-z0-9_]+]] = stablehlo.constant dense<3> : tensor<i64>
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.dynamic_update_slice %[[VA]], %[[VU]], %[[VI]], %[[VJ]] : (tensor<?x8xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
// CHECK-NEXT: func.return %[[V0]] : tensor<?x8xf64>
// JAX-LABEL: func.func @dynamic_update_slice(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x8xf64>, %[[VARG1:[a-z0-9_]+]]: tensor<?x1xf64>) -> tensor<?x8xf64> {
// JAX-NEXT: %[[VC:[a-z0-9_]+]] = stablehlo.constant dense<0> : tensor<i64>
// JAX-NEXT: %[[VC0:[a-z0-9_]+]] = stablehlo.constant dense<3> : tensor<i64>
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.dynamic_update_slice %[[VARG0]], %[[VARG1]], %[[VC]], %[[VC0]] : (tensor<?x8xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
// JAX-NEXT: return %[[V0]] : tensor<?x8xf64>
func.func @dynamic_update_slice(%a: tensor<?x8xf64>, %u: tensor<?x1xf64>) -> tensor<?x8xf64> {
  %i = stablehlo.constant dense<0> : tensor<i64>
  %j = stablehlo.constant dense<3> : tensor<i64>
  %0 = stablehlo.dynamic_update_slice %a, %u, %i, %j : (tensor<?x8xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
  func.return %0 : tensor<?x8xf64>
}

// CHECK-LABEL: func.func @gather(
// CHECK-SAME: %[[VX:[a-z0-9_]+]]: tensor<5x16xi8>, %[[VIDX:[a-z0-9_]+]]: tensor<3x1xi32>) -> tensor<5x3xi8> {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.gather"(%[[VX]], %[[VIDX]]) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
// CHECK-NEXT: func.return %[[V0]] : tensor<5x3xi8>
// JAX-LABEL: func.func @gather(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<5x16xi8>, %[[VARG1:[a-z0-9_]+]]: tensor<3x1xi32>) -> tensor<5x3xi8> {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.gather"(%[[VARG0]], %[[VARG1]]) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
// JAX-NEXT: return %[[V0]] : tensor<5x3xi8>
func.func @gather(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) -> tensor<5x3xi8> {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return %0 : tensor<5x3xi8>
}

// CHECK-LABEL: func.func @reduce(
// CHECK-SAME: %[[VX:[a-z0-9_]+]]: tensor<?x4xf64>) -> tensor<?xf64> {
// CHECK-NEXT: %[[VZERO:[a-z0-9_]+]] = stablehlo.constant dense<0.000000e+00> : tensor<f64>
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.reduce"(%[[VX]], %[[VZERO]]) <{dimensions = array<i64: 1>}> ({
// CHECK-NEXT: ^bb0(%[[VA:[a-z0-9_]+]]: tensor<f64>, %[[VB:[a-z0-9_]+]]: tensor<f64>):
// CHECK-NEXT: %[[VS:[a-z0-9_]+]] = stablehlo.add %[[VA]], %[[VB]] : tensor<f64>
// CHECK-NEXT: stablehlo.return %[[VS]] : tensor<f64>
// CHECK-NEXT: }) : (tensor<?x4xf64>, tensor<f64>) -> tensor<?xf64>
// CHECK-NEXT: func.return %[[V0]] : tensor<?xf64>
// JAX-LABEL: func.func @reduce(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x4xf64>) -> tensor<?xf64> {
// JAX-NEXT: %[[VCST:[a-z0-9_]+]] = stablehlo.constant dense<0.000000e+00> : tensor<f64>
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.reduce(%[[VARG0]] init: %[[VCST]]) applies stablehlo.add across dimensions = [1] : (tensor<?x4xf64>, tensor<f64>) -> tensor<?xf64>
// JAX-NEXT: return %[[V0]] : tensor<?xf64>
func.func @reduce(%x: tensor<?x4xf64>) -> tensor<?xf64> {
  %zero = stablehlo.constant dense<0.0> : tensor<f64>
  %0 = "stablehlo.reduce"(%x, %zero) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    %s = stablehlo.add %a, %b : tensor<f64>
    stablehlo.return %s : tensor<f64>
  }) : (tensor<?x4xf64>, tensor<f64>) -> tensor<?xf64>
  func.return %0 : tensor<?xf64>
}

// CHECK-LABEL: func.func @dot_general(
// CHECK-SAME: %[[VA:[a-z0-9_]+]]: tensor<?x4xf64>, %[[VB:[a-z0-9_]+]]: tensor<4x3xf64>) -> tensor<?x3xf64> {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.dot_general"(%[[VA]], %[[VB]]) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>}> : (tensor<?x4xf64>, tensor<4x3xf64>) -> tensor<?x3xf64>
// CHECK-NEXT: func.return %[[V0]] : tensor<?x3xf64>
// JAX-LABEL: func.func @dot_general(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x4xf64>, %[[VARG1:[a-z0-9_]+]]: tensor<4x3xf64>) -> tensor<?x3xf64> {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.dot_general %[[VARG0]], %[[VARG1]], contracting_dims = [1] x [0] : (tensor<?x4xf64>, tensor<4x3xf64>) -> tensor<?x3xf64>
// JAX-NEXT: return %[[V0]] : tensor<?x3xf64>
func.func @dot_general(%a: tensor<?x4xf64>, %b: tensor<4x3xf64>) -> tensor<?x3xf64> {
  %0 = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>}> : (tensor<?x4xf64>, tensor<4x3xf64>) -> tensor<?x3xf64>
  func.return %0 : tensor<?x3xf64>
}

// CHECK-LABEL: func.func @dot_general_batched(
// CHECK-SAME: %[[VA:[a-z0-9_]+]]: tensor<?x4xf64>, %[[VB:[a-z0-9_]+]]: tensor<?x4xf64>) -> tensor<?xf64> {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.dot_general"(%[[VA]], %[[VB]]) <{dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]>}> : (tensor<?x4xf64>, tensor<?x4xf64>) -> tensor<?xf64>
// CHECK-NEXT: func.return %[[V0]] : tensor<?xf64>
// JAX-LABEL: func.func @dot_general_batched(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x4xf64>, %[[VARG1:[a-z0-9_]+]]: tensor<?x4xf64>) -> tensor<?xf64> {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.dot_general %[[VARG0]], %[[VARG1]], batching_dims = [0] x [0], contracting_dims = [1] x [1] : (tensor<?x4xf64>, tensor<?x4xf64>) -> tensor<?xf64>
// JAX-NEXT: return %[[V0]] : tensor<?xf64>
func.func @dot_general_batched(%a: tensor<?x4xf64>, %b: tensor<?x4xf64>) -> tensor<?xf64> {
  %0 = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]>}> : (tensor<?x4xf64>, tensor<?x4xf64>) -> tensor<?xf64>
  func.return %0 : tensor<?xf64>
}

// CHECK-LABEL: func.func @iota() -> tensor<3x4xi64> {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.iota"() <{iota_dimension = 1 : i64}> : () -> tensor<3x4xi64>
// CHECK-NEXT: func.return %[[V0]] : tensor<3x4xi64>
// JAX-LABEL: func.func @iota() -> tensor<3x4xi64> {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = stablehlo.iota dim = 1 : tensor<3x4xi64>
// JAX-NEXT: return %[[V0]] : tensor<3x4xi64>
func.func @iota() -> tensor<3x4xi64> {
  %0 = "stablehlo.iota"() <{iota_dimension = 1 : i64}> : () -> tensor<3x4xi64>
  func.return %0 : tensor<3x4xi64>
}

// CHECK-LABEL: func.func @dynamic_gather(
// CHECK-SAME: %[[VX:[a-z0-9_]+]]: tensor<?x16xi8>, %[[VIDX:[a-z0-9_]+]]: tensor<3x1xi64>, %[[VS:[a-z0-9_]+]]: tensor<2xi64>) -> tensor<?x3xi8> {
// CHECK-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.dynamic_gather"(%[[VX]], %[[VIDX]], %[[VS]]) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false}> : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<?x3xi8>
// CHECK-NEXT: func.return %[[V0]] : tensor<?x3xi8>
// JAX-LABEL: func.func @dynamic_gather(
// JAX-SAME: %[[VARG0:[a-z0-9_]+]]: tensor<?x16xi8>, %[[VARG1:[a-z0-9_]+]]: tensor<3x1xi64>, %[[VARG2:[a-z0-9_]+]]: tensor<2xi64>) -> tensor<?x3xi8> {
// JAX-NEXT: %[[V0:[a-z0-9_]+]] = "stablehlo.dynamic_gather"(%[[VARG0]], %[[VARG1]], %[[VARG2]]) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false}> : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<?x3xi8>
// JAX-NEXT: return %[[V0]] : tensor<?x3xi8>
func.func @dynamic_gather(%x: tensor<?x16xi8>, %idx: tensor<3x1xi64>, %sizes: tensor<2xi64>) -> tensor<?x3xi8> {
  %0 = "stablehlo.dynamic_gather"(%x, %idx, %sizes) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, indices_are_sorted = false}> : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<?x3xi8>
  func.return %0 : tensor<?x3xi8>
}
