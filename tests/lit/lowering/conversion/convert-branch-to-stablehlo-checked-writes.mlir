// convert-branch-to-stablehlo of checked writes (on the states [0, 3], configurations in
// i8): the configurations hold each written value narrowed to i8 (which wraps around where
// it does not fit), but the value is remembered as the exact i64 one: a later read of x'
// takes it, and the final x' is tested for the local states on it, so a value that left
// i8 never wraps around into a valid state and one that comes back counts (only the final
// x' must be local states, as in the reference). Emission "away" writes x_i + 256 (wraps
// to x_i in i8, a valid state: tested on 259 and 256, both dropped); "back" then reads
// x'_i (the exact value) and writes x'_i - 255 = x_i + 1. Executed on x = [3, 0]: "away"
// is padding in both rows; "back" gives 4 at site 0 (not a state: padding) and 1 at
// site 1 (x' = [3, 1], mel 1).
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --input '[[3, 0]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// CHECK: %far = stablehlo.add %xi, %c256 : tensor<?x2xi64>
// No test of the i8 range before it is narrowed (nor anywhere else).
// CHECK-NOT: dense<127>
// CHECK: %{{.*}} = stablehlo.convert %far : (tensor<?x2xi64>) -> tensor<?x2xi8>
// The read of x'_i takes the exact value written, not the i8 configurations.
// CHECK: %now = stablehlo.select %{{.*}}, %far, %xi : tensor<?x2xi1>, tensor<?x2xi64>
// CHECK: %near = stablehlo.subtract %now, %c255 : tensor<?x2xi64>
// CHECK-NOT: dense<127>
// CHECK: %{{.*}} = stablehlo.convert %near : (tensor<?x2xi64>) -> tensor<?x2xi8>
// "away": the exact value is tested for the local states [0, 3].
// CHECK: %[[LO:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i64>, tensor<2xi64>) -> tensor<?x2xi64>
// CHECK-NEXT: stablehlo.compare GE, %far, %[[LO]], SIGNED
// CHECK: %[[HI:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}) <{broadcast_dimensions = array<i64>}> : (tensor<i64>, tensor<2xi64>) -> tensor<?x2xi64>
// CHECK-NEXT: stablehlo.compare LE, %far, %[[HI]], SIGNED
// CHECK: %mel1 = stablehlo.select
// "back": the first write counts only where it is overwritten later (the same site), the
// second is tested on its exact value.
// CHECK: stablehlo.compare GE, %far
// CHECK: stablehlo.compare LE, %far
// CHECK: stablehlo.compare EQ, %i, %i, SIGNED
// CHECK: stablehlo.compare GE, %near
// CHECK: stablehlo.compare LE, %near
// CHECK: %mel2 = stablehlo.select
// The configurations hold the narrowed values.
// CHECK: stablehlo.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x2xi1>, tensor<?x2x2xi8>
// CHECK: %xps = "stablehlo.concatenate"

// EXEC: result0: (1, 4, 2) int8
// EXEC-NEXT: {{\[\[\[}}3, 0],
// EXEC-NEXT: [3, 0],
// EXEC-NEXT: [3, 0],
// EXEC-NEXT: [3, 1]]]
// EXEC: result1: (1, 4) float64
// EXEC-NEXT: {{\[\[}}0., 0., 0., 1.]]

builtin.module {
  branch.kernel @shift sites 2 states [0, 1, 2, 3] dtype f64 params [] {
  ^bb0(%x: tensor<?x2xi8>):
    %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %c256 = branch.constant %x {value = 256 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
    %c255 = branch.constant %x {value = 255 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
    %xi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %far = branch.add %xi, %c256 : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
    %away = branch.write %s, %i, %far {checked} : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %now = branch.state_read %away, %i : !branch.state<2x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %near = branch.sub %now, %c255 : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
    %back = branch.write %away, %i, %near {checked} : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %one = branch.constant %x {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
    %t = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %xp1, %mel1 = branch.emit %x, %away, %one, %t {term = "away"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %xp2, %mel2 = branch.emit %x, %back, %one, %t {term = "back"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %xps = branch.concat %xp1, %xp2 : tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x4x2xi8>
    %mels = branch.concat %mel1, %mel2 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x4xf64>
    branch.return %xps, %mels : tensor<?x4x2xi8>, tensor<?x4xf64>
  }
}
