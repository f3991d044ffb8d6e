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

func.func @f(%a: tensor<4xf64>) {
  %0 = stablehlo.popcnt %a : tensor<4xf64>
  func.return
}

// CHECK: 'stablehlo.popcnt' operand must be a tensor of integers, got tensor<4xf64>

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

func.func @f(%a: tensor<?x8xf64>, %u: tensor<?x1xf64>, %i: tensor<i64>) {
  %0 = stablehlo.dynamic_update_slice %a, %u, %i, %i : (tensor<?x8xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x9xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_update_slice' result tensor<?x9xf64> does not match operand tensor<?x8xf64>

// -----

func.func @f(%a: tensor<?x8xf64>, %u: tensor<?x1xf32>, %i: tensor<i64>) {
  %0 = stablehlo.dynamic_update_slice %a, %u, %i, %i : (tensor<?x8xf64>, tensor<?x1xf32>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_update_slice' update element type f32 does not match operand element type f64

// -----

func.func @f(%a: tensor<?x8xf64>, %u: tensor<?xf64>, %i: tensor<i64>) {
  %0 = stablehlo.dynamic_update_slice %a, %u, %i, %i : (tensor<?x8xf64>, tensor<?xf64>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_update_slice' update tensor<?xf64> must have the rank of tensor<?x8xf64>

// -----

func.func @f(%a: tensor<?x8xf64>, %u: tensor<?x1xf64>, %i: tensor<i64>) {
  %0 = stablehlo.dynamic_update_slice %a, %u, %i : (tensor<?x8xf64>, tensor<?x1xf64>, tensor<i64>) -> tensor<?x8xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_update_slice' expects 2 start indices, got 1

// -----

func.func @f(%a: tensor<?x8xf64>, %u: tensor<?x1xf64>, %i: tensor<i64>, %j: tensor<i32>) {
  %0 = stablehlo.dynamic_update_slice %a, %u, %i, %j : (tensor<?x8xf64>, tensor<?x1xf64>, tensor<i64>, tensor<i32>) -> tensor<?x8xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_update_slice' start indices must be 0-D integer tensors of one type, got tensor<i64>, tensor<i32>

// -----

func.func @f(%a: tensor<?x8xf64>, %u: tensor<?x9xf64>, %i: tensor<i64>) {
  %0 = stablehlo.dynamic_update_slice %a, %u, %i, %i : (tensor<?x8xf64>, tensor<?x9xf64>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_update_slice' update dimension 1 of size 9 does not fit operand dimension 1 of size 8

// -----

func.func @f(%a: tensor<?x8xf64>, %u: tensor<2x1xf64>, %i: tensor<i64>) {
  %0 = stablehlo.dynamic_update_slice %a, %u, %i, %i : (tensor<?x8xf64>, tensor<2x1xf64>, tensor<i64>, tensor<i64>) -> tensor<?x8xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_update_slice' update dimension 0 of size 2 does not fit operand dimension 0 of size ?

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

// -----

// gather: offset_dims range C5
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [2], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' offset_dims [2] has 2, outside [0, 2)

// -----

// gather: collapsed range C8
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [2], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' collapsed_slice_dims [2] has 2, outside [0, 2)

// -----

// gather: operand_batching range C11 (fuzz stablehlo_f832a146 class)
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [2], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' operand_batching_dims [2] has 2, outside [0, 2)

// -----

// gather: start_indices_batching range C14
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [3], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' start_indices_batching_dims [3] has 3, outside [0, 3)

// -----

// gather: start_index_map range C19
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [2], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' start_index_map [2] has 2, outside [0, 2)

// -----

// gather: offset_dims unique C4
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0, 0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' offset_dims [0, 0] must be sorted and without repeats

// -----

// gather: collapsed sorted C7
func.func @f(%x: tensor<5x4xf64>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1, 0], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 1, 1>}> : (tensor<5x4xf64>, tensor<3x1xi32>) -> tensor<3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' collapsed_slice_dims [1, 0] must be sorted and without repeats

// -----

// gather: operand_batching sorted C10
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<operand_batching_dims = [1, 0], start_indices_batching_dims = [0, 1], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' operand_batching_dims [1, 0] must be sorted and without repeats

// -----

// gather: collapsed overlaps operand_batching C6
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0, 1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' collapsed_slice_dims and operand_batching_dims repeat a dimension: [0, 1, 0]

// -----

// gather: start_indices_batching repeats C13
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<operand_batching_dims = [0, 1], start_indices_batching_dims = [0, 0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' start_indices_batching_dims repeat a dimension: [0, 0]

// -----

// gather: start_index_map overlaps operand_batching C18
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [0], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' start_index_map and operand_batching_dims repeat a dimension: [0, 0]

// -----

// gather: operand rank C1
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' operand rank 2 must be the number of offset_dims (0), collapsed_slice_dims (1) and operand_batching_dims (0)

// -----

// gather: index_vector_dim range C2
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 3>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' index_vector_dim 3 is outside [0, 2]

// -----

// gather: index_vector_dim batching C15
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 0>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' index_vector_dim 0 is one of start_indices_batching_dims

// -----

// gather: batching counts C16
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' has 1 operand_batching_dims but 0 start_indices_batching_dims

// -----

// gather: batching sizes C17
func.func @f(%x: tensor<2x4xf64>, %idx: tensor<3x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1>}> : (tensor<2x4xf64>, tensor<3x3x1xi32>) -> tensor<3x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' operand batching dimension 0 (size 2) and start_indices batching dimension 0 (size 3) differ

// -----

// gather: start_index_map size C3
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [0, 1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' start_index_map [0, 1] must have 1 entries

// -----

// gather: batching slice size C12
func.func @f(%x: tensor<?x4xf64>, %idx: tensor<?x3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 2, 1>}> : (tensor<?x4xf64>, tensor<?x3x1xi32>) -> tensor<?x3xf64>
  func.return
}

// CHECK: 'stablehlo.gather' operand batching dimension 0 must have slice size <= 1

// -----

// gather: slice size bound C21
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 6, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.gather' slice size 6 of dimension 0 is outside [0, 5]

// -----

// gather: a dynamic slice size (found by fuzzing: a batch dimension sliced whole, which
// jaxlib refuses in a gather; stablehlo.dynamic_gather does it)
func.func @f(%x: tensor<?x4xi8>, %idx: tensor<?x1x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: -9223372036854775808, 1>}> : (tensor<?x4xi8>, tensor<?x1x1xi32>) -> tensor<?x1xi8>
  func.return
}

// CHECK: 'stablehlo.gather' slice_sizes [-9223372036854775808, 1] has -9223372036854775808: a slice size is static and >= 0 (a whole dynamic dimension is sliced by stablehlo.dynamic_gather)

// -----

// gather: result rank C22
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5xi8>
  func.return
}

// CHECK: 'stablehlo.gather' result tensor<5xi8> must have rank 2 (1 batch and 1 offset dimensions)

// -----

// gather: result shape C22
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x4xi8>
  func.return
}

// CHECK: 'stablehlo.gather' result tensor<5x4xi8> does not match the inferred shape 5x3

// -----

// gather: element type C23
func.func @f(%x: tensor<5x16xi8>, %idx: tensor<3x1xi32>) {
  %0 = "stablehlo.gather"(%x, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 5, 1>}> : (tensor<5x16xi8>, tensor<3x1xi32>) -> tensor<5x3xi16>
  func.return
}

// CHECK: 'stablehlo.gather' result element type differs from the operand's

// -----

// dynamic_gather: constant slice sizes
func.func @f(%x: tensor<?x16xi8>, %idx: tensor<3x1xi64>) {
  %sizes = stablehlo.constant dense<[5, 2]> : tensor<2xi64>
  %0 = "stablehlo.dynamic_gather"(%x, %idx, %sizes) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1], index_vector_dim = 1>}> : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<5x3xi8>
  func.return
}

// CHECK: 'stablehlo.dynamic_gather' collapsed slice dimension 1 must have slice size <= 1

// -----

// dynamic_gather: dimension numbers
func.func @f(%x: tensor<?x16xi8>, %idx: tensor<3x1xi64>, %sizes: tensor<2xi64>) {
  %0 = "stablehlo.dynamic_gather"(%x, %idx, %sizes) <{dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [1], start_index_map = [1, 1], index_vector_dim = 1>}> : (tensor<?x16xi8>, tensor<3x1xi64>, tensor<2xi64>) -> tensor<?x3xi8>
  func.return
}

// CHECK: 'stablehlo.dynamic_gather' start_index_map and operand_batching_dims repeat a dimension: [1, 1]

// -----

// reduce: input shapes C1
func.func @f(%x: tensor<2x4xf64>, %y: tensor<2x5xf64>, %z: tensor<f64>) {
  %0, %1 = "stablehlo.reduce"(%x, %y, %z, %z) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>, %c: tensor<f64>, %d: tensor<f64>):
    stablehlo.return %a, %b : tensor<f64>, tensor<f64>
  }) : (tensor<2x4xf64>, tensor<2x5xf64>, tensor<f64>, tensor<f64>) -> (tensor<2xf64>, tensor<2xf64>)
  func.return
}

// CHECK: 'stablehlo.reduce' inputs have different shapes

// -----

// reduce: init value C2
func.func @f(%x: tensor<2x4xf64>, %z: tensor<f32>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    stablehlo.return %a : tensor<f64>
  }) : (tensor<2x4xf64>, tensor<f32>) -> tensor<2xf64>
  func.return
}

// CHECK: 'stablehlo.reduce' init_value must be a tensor<f64>, got tensor<f32>

// -----

// reduce: repeated dimension C5 (fuzz stablehlo_f832a146)
func.func @f(%x: tensor<2x4xf64>, %z: tensor<f64>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 1, 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    stablehlo.return %a : tensor<f64>
  }) : (tensor<2x4xf64>, tensor<f64>) -> tensor<2xf64>
  func.return
}

// CHECK: 'stablehlo.reduce' dimensions [1, 1] repeat

// -----

// reduce: body argument types C6
func.func @f(%x: tensor<2x4xf64>, %z: tensor<f64>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %a : tensor<f32>
  }) : (tensor<2x4xf64>, tensor<f64>) -> tensor<2xf64>
  func.return
}

// CHECK: 'stablehlo.reduce' body must take (tensor<f64>, tensor<f64>)

// -----

// reduce: body results C6
func.func @f(%x: tensor<2x4xf64>, %z: tensor<f64>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    stablehlo.return
  }) : (tensor<2x4xf64>, tensor<f64>) -> tensor<2xf64>
  func.return
}

// CHECK: 'stablehlo.reduce' body must return (tensor<f64>)

// -----

// reduce: inferred result C7
func.func @f(%x: tensor<2x4xf64>, %z: tensor<f64>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    stablehlo.return %a : tensor<f64>
  }) : (tensor<2x4xf64>, tensor<f64>) -> tensor<4xf64>
  func.return
}

// CHECK: 'stablehlo.reduce' result tensor<4xf64> does not match the inferred type tensor<2xf64>

// -----

// reduce: result element type C8
func.func @f(%x: tensor<2x4xf64>, %z: tensor<f64>) {
  %0 = "stablehlo.reduce"(%x, %z) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    stablehlo.return %a : tensor<f64>
  }) : (tensor<2x4xf64>, tensor<f64>) -> tensor<2xf32>
  func.return
}

// CHECK: 'stablehlo.reduce' result tensor<2xf32> does not match the inferred type tensor<2xf64>

// -----

// real_dynamic_slice: stride
func.func @f(%x: tensor<?x4xi8>, %lim: tensor<2xi64>) {
  %start = stablehlo.constant dense<[0, 0]> : tensor<2xi64>
  %stride = stablehlo.constant dense<[1, 0]> : tensor<2xi64>
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
  %n64 = stablehlo.convert %n : (tensor<i32>) -> tensor<i64>
  %n1 = stablehlo.reshape %n64 : (tensor<i64>) -> tensor<1xi64>
  %l1 = stablehlo.constant dense<4> : tensor<1xi64>
  %limit = "stablehlo.concatenate"(%n1, %l1) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %0 = stablehlo.real_dynamic_slice %x, %start, %limit, %stride : (tensor<?x4xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x4xi8>
  func.return
}

// CHECK: 'stablehlo.real_dynamic_slice' stride 0 of dimension 1 must be > 0

// -----

// real_dynamic_slice: start
func.func @f(%x: tensor<?x4xi8>, %lim: tensor<2xi64>) {
  %start = stablehlo.constant dense<[0, -1]> : tensor<2xi64>
  %stride = stablehlo.constant dense<[1, 1]> : tensor<2xi64>
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
  %n64 = stablehlo.convert %n : (tensor<i32>) -> tensor<i64>
  %n1 = stablehlo.reshape %n64 : (tensor<i64>) -> tensor<1xi64>
  %l1 = stablehlo.constant dense<4> : tensor<1xi64>
  %limit = "stablehlo.concatenate"(%n1, %l1) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %0 = stablehlo.real_dynamic_slice %x, %start, %limit, %stride : (tensor<?x4xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x5xi8>
  func.return
}

// CHECK: 'stablehlo.real_dynamic_slice' start -1 of dimension 1 must be >= 0

// -----

// real_dynamic_slice: start past limit
func.func @f(%x: tensor<?x4xi8>, %lim: tensor<2xi64>) {
  %start = stablehlo.constant dense<[0, 3]> : tensor<2xi64>
  %stride = stablehlo.constant dense<[1, 1]> : tensor<2xi64>
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
  %n64 = stablehlo.convert %n : (tensor<i32>) -> tensor<i64>
  %n1 = stablehlo.reshape %n64 : (tensor<i64>) -> tensor<1xi64>
  %l1 = stablehlo.constant dense<2> : tensor<1xi64>
  %limit = "stablehlo.concatenate"(%n1, %l1) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %0 = stablehlo.real_dynamic_slice %x, %start, %limit, %stride : (tensor<?x4xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x0xi8>
  func.return
}

// CHECK: 'stablehlo.real_dynamic_slice' start 3 of dimension 1 is past its limit 2

// -----

// real_dynamic_slice: limit past size
func.func @f(%x: tensor<?x4xi8>, %lim: tensor<2xi64>) {
  %start = stablehlo.constant dense<[0, 0]> : tensor<2xi64>
  %stride = stablehlo.constant dense<[1, 1]> : tensor<2xi64>
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
  %n64 = stablehlo.convert %n : (tensor<i32>) -> tensor<i64>
  %n1 = stablehlo.reshape %n64 : (tensor<i64>) -> tensor<1xi64>
  %l1 = stablehlo.constant dense<5> : tensor<1xi64>
  %limit = "stablehlo.concatenate"(%n1, %l1) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %0 = stablehlo.real_dynamic_slice %x, %start, %limit, %stride : (tensor<?x4xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x5xi8>
  func.return
}

// CHECK: 'stablehlo.real_dynamic_slice' limit 5 of dimension 1 is past its size 4

// -----

// real_dynamic_slice: result size (through the concatenate)
func.func @f(%x: tensor<?x4xi8>, %lim: tensor<2xi64>) {
  %start = stablehlo.constant dense<[0, 1]> : tensor<2xi64>
  %stride = stablehlo.constant dense<[1, 2]> : tensor<2xi64>
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
  %n64 = stablehlo.convert %n : (tensor<i32>) -> tensor<i64>
  %n1 = stablehlo.reshape %n64 : (tensor<i64>) -> tensor<1xi64>
  %l1 = stablehlo.constant dense<4> : tensor<1xi64>
  %limit = "stablehlo.concatenate"(%n1, %l1) <{dimension = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %0 = stablehlo.real_dynamic_slice %x, %start, %limit, %stride : (tensor<?x4xi8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x1xi8>
  func.return
}

// CHECK: 'stablehlo.real_dynamic_slice' result dimension 1 has size 1, but the slice [1:4:2] has 2

// -----

// dynamic_broadcast_in_dim: output_dimensions length
func.func @f(%v: tensor<4xf64>) {
  %shape = stablehlo.constant dense<[3, 4, 1]> : tensor<3xi64>
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%v, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xf64>, tensor<3xi64>) -> tensor<?x4xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' output_dimensions must be a tensor<2xiK>, got tensor<3xi64>

// -----

// dynamic_broadcast_in_dim: output dimension vs result
func.func @f(%v: tensor<4xf64>) {
  %shape = stablehlo.constant dense<[3, 5]> : tensor<2xi64>
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%v, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xf64>, tensor<2xi64>) -> tensor<?x4xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' output dimension 0 is 3, but the result is tensor<?x4xf64> (a dynamic dimension is the batch size)

// -----

// dynamic_broadcast_in_dim: operand vs output dimension
func.func @f(%v: tensor<4xf64>) {
  %shape = stablehlo.constant dense<[3, 5]> : tensor<2xi64>
  %0 = "stablehlo.dynamic_broadcast_in_dim"(%v, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xf64>, tensor<2xi64>) -> tensor<?x?xf64>
  func.return
}

// CHECK: 'stablehlo.dynamic_broadcast_in_dim' operand dimension 0 of size 4 cannot broadcast to result dimension 1 of size ?

// -----

// func: body-less public declaration (fuzz stablehlo_f5b46ad5)
func.func @unary(%a: tensor<4xf64>) -> tensor<4xf64>

// CHECK: 'func.func' @unary has no body: a declaration must be private (`func.func private @unary(...)`), MLIR refuses a public one
