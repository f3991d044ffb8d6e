// Every verifier of the stablehlo dialect, one case per chunk.
// RUN: symir-opt --split-input-file --verify-diagnostics --parsing-diagnostics %s | filecheck %s
func.func @f(%a: tensor<4xf64>, %b: tensor<4xf32>) {
  %0 = "stablehlo.add"(%a, %b) : (tensor<4xf64>, tensor<4xf32>) -> tensor<4xf64>
  func.return
}

// CHECK: operand 'rhs' at position 1 does not verify:
// CHECK-NEXT: attribute tensor<4xf64> expected from variable 'T', but got tensor<4xf32>

// -----

func.func @f(%a: tensor<4xf64>) {
  %0 = stablehlo.compare LT, %a, %a, FLOAT : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64>
  func.return
}

// CHECK: 'stablehlo.compare' result must be tensor<4xi1>, got tensor<4xf64>

// -----

func.func @f(%a: tensor<4xi64>) {
  %0 = stablehlo.floor %a : tensor<4xi64>
  func.return
}

// CHECK: 'stablehlo.floor' operand must be a tensor of floats, got tensor<4xi64>

// -----

func.func @f(%p: tensor<4xi8>, %a: tensor<4xf64>) {
  %0 = stablehlo.select %p, %a, %a : tensor<4xi8>, tensor<4xf64>
  func.return
}

// CHECK: 'stablehlo.select' predicate must have i1 elements, got tensor<4xi8>

// -----

func.func @f(%p: tensor<3xi1>, %a: tensor<4xf64>) {
  %0 = stablehlo.select %p, %a, %a : tensor<3xi1>, tensor<4xf64>
  func.return
}

// CHECK: 'stablehlo.select' predicate shape (3,) must be scalar or equal to the operand shape (4,)

// -----

func.func @f(%a: tensor<4xcomplex<f64>>) {
  %0 = stablehlo.abs %a : (tensor<4xcomplex<f64>>) -> tensor<4xf32>
  func.return
}

// CHECK: 'stablehlo.abs' result element type must be f64, got f32

// -----

func.func @f(%a: tensor<4xf64>) {
  %0 = stablehlo.convert %a : (tensor<4xf64>) -> tensor<5xi8>
  func.return
}

// CHECK: 'stablehlo.convert' operand and result shapes differ: tensor<4xf64> vs tensor<5xi8>

// -----

func.func @f(%a: tensor<4xf64>) {
  %0 = stablehlo.complex %a, %a : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xcomplex<f32>>
  func.return
}

// CHECK: 'stablehlo.complex' result type must be tensor<4xcomplex<f64>>, got tensor<4xcomplex<f32>>

// -----

func.func @f() {
  %0 = "stablehlo.constant"() <{value = dense<1> : tensor<2xi8>}> : () -> tensor<2xi32>
  func.return
}

// CHECK: 'stablehlo.constant' result type tensor<2xi32> differs from the value type tensor<2xi8>

// -----

func.func @f(%a: tensor<2x3xf64>) {
  %0 = stablehlo.reshape %a : (tensor<2x3xf64>) -> tensor<5xf64>
  func.return
}

// CHECK: 'stablehlo.reshape' element counts differ: tensor<2x3xf64> vs tensor<5xf64>

// -----

func.func @f(%a: tensor<2x3xf64>) {
  %0 = "stablehlo.concatenate"(%a, %a) <{dimension = 2 : i64}> : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<4x3xf64>
  func.return
}

// CHECK: 'stablehlo.concatenate' dimension 2 out of range for rank 2

// -----

func.func @f(%a: tensor<2x3xf64>, %b: tensor<2x3xi8>) {
  %0 = "stablehlo.concatenate"(%a, %b) <{dimension = 0 : i64}> : (tensor<2x3xf64>, tensor<2x3xi8>) -> tensor<4x3xf64>
  func.return
}

// CHECK: 'stablehlo.concatenate' inputs must have equal element types and ranks, got tensor<2x3xf64> and tensor<2x3xi8>

// -----

func.func @f(%a: tensor<?x4xf64>) {
  %0 = "stablehlo.get_dimension_size"(%a) <{dimension = 2 : i64}> : (tensor<?x4xf64>) -> tensor<i32>
  func.return
}

// CHECK: 'stablehlo.get_dimension_size' dimension 2 out of range for rank 2

// -----

func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' slice_sizes has 1 entries, operand rank is 2

// -----

func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 2>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' collapsed slice dimension 1 must have slice size <= 1

// -----

func.func @f(%x: tensor<2x4xf64>, %z: tensor<f64>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 2>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    stablehlo.return %a : tensor<f64>
  }) : (tensor<2x4xf64>, tensor<f64>) -> tensor<2xf64>
  func.return
}

// CHECK: 'stablehlo.reduce' dimension 2 out of range for rank 2

// -----

func.func @f(%x: tensor<2x4xf64>, %z: tensor<f64>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>):
    stablehlo.return %a : tensor<f64>
  }) : (tensor<2x4xf64>, tensor<f64>) -> tensor<2xf64>
  func.return
}

// CHECK: 'stablehlo.reduce' body must take 2 arguments, got 1

// -----

func.func @f(%x: tensor<4xf64>) {
  %0 = "stablehlo.compare"(%x, %x) <{comparison_direction = #stablehlo<comparison_direction LESS>}> : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
  func.return
}

// CHECK: Expected `EQ`, `NE`, `GE`, `GT`, `LE`, or `LT`.

// -----

func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], bogus = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: unknown field 'bogus' in stablehlo.gather, expected one of ('offset_dims', 'collapsed_slice_dims', 'operand_batching_dims', 'start_indices_batching_dims', 'start_index_map', 'index_vector_dim')

// -----

func.func @f(%a: tensor<2x3xf64>) {
  %0 = stablehlo.reshape %a : (tensor<2x3xf64>) -> tensor<6xf32>
  func.return
}

// CHECK: 'stablehlo.reshape' element types differ: tensor<2x3xf64> vs tensor<6xf32>

// -----

func.func @f(%a: tensor<3xf64>, %s: tensor<2xi64>) {
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%a, %s) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xf64>, tensor<2xi64>) -> tensor<?x3xi8>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' element types differ: tensor<3xf64> vs tensor<?x3xi8>

// -----

func.func @f(%a: tensor<3xf64>, %s: tensor<2xi64>) {
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%a, %s) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<3xf64>, tensor<2xi64>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' broadcast_dimensions has 2 entries, operand rank is 1

// -----

func.func @f(%a: tensor<3x3xf64>, %s: tensor<3xi64>) {
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%a, %s) <{broadcast_dimensions = array<i64: 1, 1>}> : (tensor<3x3xf64>, tensor<3xi64>) -> tensor<?x3x3xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' broadcast_dimensions [1, 1] has duplicates

// -----

func.func @f(%a: tensor<3xf64>, %s: tensor<2xi64>) {
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%a, %s) <{broadcast_dimensions = array<i64: 2>}> : (tensor<3xf64>, tensor<2xi64>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' broadcast dimension 2 out of range for result rank 2

// -----

func.func @f(%a: tensor<3xf64>, %s: tensor<2xi64>) {
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%a, %s) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xf64>, tensor<2xi64>) -> tensor<?x2xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' operand dimension 0 of size 3 cannot broadcast to result dimension 1 of size 2

// -----

func.func @f(%x: tensor<?x16xi8>, %b: tensor<2xi64>) {
  %0 = stablehlo.real_dynamic_slice %x, %b, %b, %b : (tensor<?x16xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x8xf64>
  func.return
}

// CHECK: 'stablehlo.real_dynamic_slice' result tensor<?x8xf64> does not match operand tensor<?x16xi8>

// -----

func.func @f(%x: tensor<?x16xi8>, %b: tensor<2xi64>, %c: tensor<3xi64>) {
  %0 = stablehlo.real_dynamic_slice %x, %b, %c, %b : (tensor<?x16xi8>, tensor<2xi64>, tensor<3xi64>, tensor<2xi64>) -> tensor<?x8xi8>
  func.return
}

// CHECK: 'stablehlo.real_dynamic_slice' limit_indices must be a tensor<2x...>, got tensor<3xi64>

// -----

func.func @f() {
  %0 = "stablehlo.concatenate"() <{dimension = 0 : i64}> : () -> tensor<0xf64>
  func.return
}

// CHECK: 'stablehlo.concatenate' needs at least one input

// -----

func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], offset_dims = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: duplicate field 'offset_dims' in stablehlo.gather

// -----

func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0]>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: stablehlo.gather needs 'index_vector_dim'

// -----

func.func @f() {
  %0 = stablehlo.constant dense<[0x7FF0000000000000, 1.0, 2.0]> : tensor<2xf64>
  func.return
}

// CHECK: dense literal has 3 elements, type tensor<2xf64> needs 2

// -----

// A use before its definition inside @main: symir-opt rejects it (jaxlib would say
// "operand #0 does not dominate this use")
func.func @main(%a: tensor<4xf64>) -> tensor<4xf64> {
  %1 = stablehlo.add %0, %a : tensor<4xf64>
  %0 = stablehlo.negate %a : tensor<4xf64>
  func.return %1 : tensor<4xf64>
}

// CHECK: 'stablehlo.add': operand #0 is used before its definition (SSA values must be defined before they are used)

// -----

func.func @f(%a: tensor<?x4xf64>, %b: tensor<4x3xf64>) {
  %0 = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [2], rhs_contracting_dimensions = [0]>}> : (tensor<?x4xf64>, tensor<4x3xf64>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.dot_general' lhs contracting dimension 2 out of range for rank 2

// -----

func.func @f(%a: tensor<?x4xf64>, %b: tensor<4x3xf64>) {
  %0 = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0, 1]>}> : (tensor<?x4xf64>, tensor<4x3xf64>) -> tensor<?xf64>
  func.return
}

// CHECK: 'stablehlo.dot_general' has 1 lhs and 2 rhs contracting dimensions

// -----

func.func @f(%a: tensor<?x4xf64>, %b: tensor<3x4xf64>) {
  %0 = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>}> : (tensor<?x4xf64>, tensor<3x4xf64>) -> tensor<?x4xf64>
  func.return
}

// CHECK: 'stablehlo.dot_general' contracting dimensions 1 and 0 differ in size (4 vs 3)

// -----

func.func @f(%a: tensor<?x4xf64>, %b: tensor<4x3xf64>) {
  %0 = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>}> : (tensor<?x4xf64>, tensor<4x3xf64>) -> tensor<?x4xf64>
  func.return
}

// CHECK: 'stablehlo.dot_general' result must have shape ?x3

// -----

func.func @f(%a: tensor<?x4xf64>, %b: tensor<4x3xf64>) {
  %0 = "stablehlo.dot_general"(%a, %b) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], bogus = [0]>}> : (tensor<?x4xf64>, tensor<4x3xf64>) -> tensor<?x3xf64>
  func.return
}

// CHECK: unknown field 'bogus' in stablehlo.dot, expected one of ('lhs_batching_dimensions', 'rhs_batching_dimensions', 'lhs_contracting_dimensions', 'rhs_contracting_dimensions')

// -----

func.func @f() {
  %0 = "stablehlo.iota"() <{iota_dimension = 2 : i64}> : () -> tensor<3x4xi64>
  func.return
}

// CHECK: 'stablehlo.iota' iota_dimension 2 out of range for rank 2

// -----

func.func @f() {
  %0 = "stablehlo.iota"() <{iota_dimension = 0 : i64}> : () -> tensor<?x4xi64>
  func.return
}

// CHECK: 'stablehlo.iota' result must have a static shape, got tensor<?x4xi64>

// -----

func.func @f(%x: tensor<?x16xi8>, %idx: tensor<3x1xi64>, %sizes: tensor<3xi64>) {
  %0 = "stablehlo.dynamic_gather"(%x, %idx, %sizes) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>}> : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<3xi64>) -> tensor<?x3xi8>
  func.return
}

// CHECK: 'stablehlo.dynamic_gather' slice_sizes must be a tensor<2x...>, got tensor<3xi64>

// -----

func.func @f(%x: tensor<?x16xi8>, %idx: tensor<3x1xi64>, %sizes: tensor<2xi64>) {
  %0 = "stablehlo.dynamic_gather"(%x, %idx, %sizes) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>}> : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<?x3xi64>
  func.return
}

// CHECK: 'stablehlo.dynamic_gather' result element type differs from the operand's
