// Constants holding inf/nan print as MLIR's raw hex-string form, which both xDSL and
// jaxlib read bit-exactly. The custom parser of stablehlo.constant also reads MLIR's hex
// bit-pattern elements (`dense<0xFF800000>`, as jaxlib prints them) bit-exactly.
// The generic form prints them as hex literals, which xDSL 0.74's own parser reads as
// integers; symir-opt's parser reads them as bit patterns (hex_float.parse_dense_body).
// RUN: symir-opt %s -o %t.mlir && symir-opt %t.mlir | filecheck %s
// RUN: SYMIR_GENERIC_ROUNDTRIP
// RUN: symir-run %t.mlir --print-module | filecheck %s --check-prefixes=JAX,EXEC

// CHECK-LABEL: func.func @main(
// CHECK-NEXT: %[[C:.*]] = stablehlo.constant dense<"0x000000000000F03F000000000000F07F000000000000F0FF000000000000F87F"> : tensor<4xf64>
// CHECK-NEXT: %[[F:.*]] = stablehlo.constant dense<"0x000080FF"> : tensor<f32>
// CHECK-NEXT: %[[Z:.*]] = stablehlo.constant dense<"0x0000807F000000400000807F00000040"> : tensor<2xcomplex<f32>>
// CHECK-NEXT: func.return %[[C]], %[[F]], %[[Z]] : tensor<4xf64>, tensor<f32>, tensor<2xcomplex<f32>>
// JAX: stablehlo.constant dense<[1.000000e+00, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000]> : tensor<4xf64>
// JAX: stablehlo.constant dense<0xFF800000> : tensor<f32>
// EXEC: result0: (4,) float64
// EXEC-NEXT: [  1.,  inf, -inf,  nan]
// EXEC-NEXT: result1: () float32
// EXEC-NEXT: -inf
// EXEC-NEXT: result2: (2,) complex64
// EXEC-NEXT: [inf+2.j, inf+2.j]
func.func @main() -> (tensor<4xf64>, tensor<f32>, tensor<2xcomplex<f32>>) {
  %0 = stablehlo.constant dense<"0x000000000000F03F000000000000F07F000000000000F0FF000000000000F87F"> : tensor<4xf64>
  %1 = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %2 = stablehlo.constant dense<(0x7F800000,2.0)> : tensor<2xcomplex<f32>>
  func.return %0, %1, %2 : tensor<4xf64>, tensor<f32>, tensor<2xcomplex<f32>>
}
