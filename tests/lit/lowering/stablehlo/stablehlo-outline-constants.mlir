// stablehlo-outline-constants: each constant of @main's body whose data holds at least
// min_bytes bytes (and is not a splat) becomes a new last argument of @main, %table0,
// %table1, ... in the order the constants appear, marked {symir.outlined = "constant"};
// smaller constants, splats and constants in nested regions stay; dead ops go first.
// The output parses back and the pass is idempotent (the second run line: the same checks hold).
// The outlined module, run with the tables given as its last arguments, computes what
// the original computes (EXEC, both runs checked by the same lines).
//
// RUN: symir-opt %s --split-input-file -p 'stablehlo-outline-constants{min_bytes=4}' | symir-opt --split-input-file | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'stablehlo-outline-constants{min_bytes=4},stablehlo-outline-constants{min_bytes=4}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p stablehlo-outline-constants | filecheck %s --check-prefix=DEFAULT
// RUN: not symir-opt %s --split-input-file -p 'stablehlo-outline-constants{min_bytes=0}' 2>&1 | filecheck %s --check-prefix=ERR
//
// RUN: sed -n '1,/^\/\/ -----/p' %s | sed '$d' > %t.kernel.mlir
// RUN: symir-run %t.kernel.mlir --input '[[1, -1, 1, 1], [-1, -1, -1, 1]]:int8' | filecheck %s --check-prefix=EXEC
// RUN: symir-opt %t.kernel.mlir -p 'stablehlo-outline-constants{min_bytes=4}' -o %t.outlined.mlir
// RUN: symir-run %t.outlined.mlir --input '[[1, -1, 1, 1], [-1, -1, -1, 1]]:int8' --input '[0.5, -1.0, 2.0, 0.25]:float64' --input '[true, false, true, true]:bool' | filecheck %s --check-prefix=EXEC

// ERR: min_bytes must be at least 1, got 0

// A flip mask (4 x i1 = 4 bytes) and coefficients (4 x f64 = 32 bytes) become %table0
// and %table1, in the order they appear; the splat (dense<0>, one value printed) and the
// 2-byte %s stay (and the scalars); %dead, read by nothing, is removed, not outlined. With the default
// threshold (1024 bytes) nothing here is outlined.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%x: tensor<?x4xi8>, %table0: tensor<4xf64> {symir.outlined = "constant"}, %table1: tensor<4xi1> {symir.outlined = "constant"})
// CHECK-NOT: dense<[0.5
// CHECK-NOT: dense<[7, 8, 9, 10]>
// CHECK: %z = stablehlo.constant dense<0> : tensor<4xi8>
// CHECK: %s = stablehlo.constant dense<[0, 1]> : tensor<2xi8>
// CHECK: "stablehlo.dot_general"(%xf, %table0)
// CHECK: "stablehlo.dynamic_broadcast_in_dim"(%table1, %shape)
// CHECK: stablehlo.add %xp, %sb
// DEFAULT-LABEL: func.func @main
// DEFAULT-SAME: (%x: tensor<?x4xi8>) -> (tensor<?x4xi8>, tensor<?xf64>)
// DEFAULT-NOT: symir.outlined
// EXEC: result0: (2, 4) int8
// EXEC-NEXT: {{\[\[}}-1,  0, -1,  0],
// EXEC-NEXT:  [ 1,  0,  1,  0{{\]\]}}
// EXEC-NEXT: result1: (2,) float64
// EXEC-NEXT: [ 3.75, -1.25]
func.func @main(%x: tensor<?x4xi8>) -> (tensor<?x4xi8>, tensor<?xf64>) {
  %w = stablehlo.constant dense<[0.5, -1.0, 2.0, 0.25]> : tensor<4xf64>
  %m = stablehlo.constant dense<[true, false, true, true]> : tensor<4xi1>
  %z = stablehlo.constant dense<0> : tensor<4xi8>
  %s = stablehlo.constant dense<[0, 1]> : tensor<2xi8>
  %dead = stablehlo.constant dense<[7, 8, 9, 10]> : tensor<4xi32>
  %xf = stablehlo.convert %x : (tensor<?x4xi8>) -> tensor<?x4xf64>
  %e = "stablehlo.dot_general"(%xf, %w) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>}> : (tensor<?x4xf64>, tensor<4xf64>) -> tensor<?xf64>
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x4xi8>) -> tensor<i32>
  %n1 = stablehlo.reshape %n : (tensor<i32>) -> tensor<1xi32>
  %c4 = stablehlo.constant dense<4> : tensor<1xi32>
  %shape = "stablehlo.concatenate"(%n1, %c4) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
  %mb = "stablehlo.dynamic_broadcast_in_dim"(%m, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xi1>, tensor<2xi32>) -> tensor<?x4xi1>
  %zb = "stablehlo.dynamic_broadcast_in_dim"(%z, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xi8>, tensor<2xi32>) -> tensor<?x4xi8>
  %neg = stablehlo.subtract %zb, %x : tensor<?x4xi8>
  %xp = stablehlo.select %mb, %neg, %x : tensor<?x4xi1>, tensor<?x4xi8>
  %s4 = "stablehlo.concatenate"(%s, %s) <{dimension = 0 : i64}> : (tensor<2xi8>, tensor<2xi8>) -> tensor<4xi8>
  %sb = "stablehlo.dynamic_broadcast_in_dim"(%s4, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xi8>, tensor<2xi32>) -> tensor<?x4xi8>
  %out = stablehlo.add %xp, %sb : tensor<?x4xi8>
  func.return %out, %e : tensor<?x4xi8>, tensor<?xf64>
}

// -----

// A constant in a reduce's body (isolated from @main's arguments) stays, however large;
// the reduce's operand, at the top level, is outlined.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%x: tensor<?x3xf64>, %table0: tensor<3xf64> {symir.outlined = "constant"})
// CHECK: stablehlo.multiply %x, %wb
// CHECK: ^bb0(%a: tensor<f64>, %b: tensor<f64>):
// CHECK-NEXT: %big = stablehlo.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf64>
// DEFAULT-LABEL: func.func @main
// DEFAULT-SAME: (%x: tensor<?x3xf64>) -> tensor<?xf64>
func.func @main(%x: tensor<?x3xf64>) -> tensor<?xf64> {
  %w = stablehlo.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf64>
  %n = "stablehlo.get_dimension_size"(%x) <{dimension = 0 : i64}> : (tensor<?x3xf64>) -> tensor<i32>
  %n1 = stablehlo.reshape %n : (tensor<i32>) -> tensor<1xi32>
  %c3 = stablehlo.constant dense<3> : tensor<1xi32>
  %shape = "stablehlo.concatenate"(%n1, %c3) <{dimension = 0 : i64}> : (tensor<1xi32>, tensor<1xi32>) -> tensor<2xi32>
  %wb = "stablehlo.dynamic_broadcast_in_dim"(%w, %shape) <{broadcast_dimensions = array<i64: 1>}> : (tensor<3xf64>, tensor<2xi32>) -> tensor<?x3xf64>
  %p = stablehlo.multiply %x, %wb : tensor<?x3xf64>
  %zero = stablehlo.constant dense<0.0> : tensor<f64>
  %r = "stablehlo.reduce"(%p, %zero) <{dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    %big = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf64>
    %pick = stablehlo.constant dense<[1.0, 0.0]> : tensor<2xf64>
    %one = "stablehlo.dot_general"(%big, %pick) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [0], rhs_contracting_dimensions = [0]>}> : (tensor<2xf64>, tensor<2xf64>) -> tensor<f64>
    %ab = stablehlo.add %a, %b : tensor<f64>
    %s = stablehlo.multiply %ab, %one : tensor<f64>
    stablehlo.return %s : tensor<f64>
  }) : (tensor<?x3xf64>, tensor<f64>) -> tensor<?xf64>
  func.return %r : tensor<?xf64>
}
