// convert-branch-to-stablehlo of a checked write (`shift(i, 1)` on Fock(3, 2), configurations
// in i8): the i64 value is tested against the range of i8 BEFORE it is narrowed, and a row
// whose value does not fit is invalid (so 256 cannot wrap around to 0, a valid state); then
// the final x' is tested for the local states [0, 3] as for any checked write. Executed: x0
// = 3 + 1 = 4 is not a local state (mel 0, x' = x), x1 = 0 + 1 = 1 is.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --input '[[3, 0]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @main
// CHECK: %[[V:.*]] = stablehlo.add %{{.*}}, %{{.*}} : tensor<?x2xi64>
// CHECK: %[[LO:.*]] = stablehlo.constant dense<-128> : tensor<i64>
// CHECK: %[[LOB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[LO]], %{{.*}})
// CHECK: %[[HI:.*]] = stablehlo.constant dense<127> : tensor<i64>
// CHECK: %[[HIB:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[HI]], %{{.*}})
// CHECK-NEXT: %[[GE:.*]] = stablehlo.compare GE, %[[V]], %[[LOB]], SIGNED : (tensor<?x2xi64>, tensor<?x2xi64>) -> tensor<?x2xi1>
// CHECK-NEXT: %[[LE:.*]] = stablehlo.compare LE, %[[V]], %[[HIB]], SIGNED : (tensor<?x2xi64>, tensor<?x2xi64>) -> tensor<?x2xi1>
// CHECK-NEXT: %[[FITS:.*]] = stablehlo.and %[[GE]], %[[LE]] : tensor<?x2xi1>
// CHECK-NEXT: %{{.*}} = stablehlo.and %{{.*}}, %[[FITS]] : tensor<?x2xi1>
// CHECK: %{{.*}} = stablehlo.convert %[[V]] : (tensor<?x2xi64>) -> tensor<?x2xi8>

// EXEC: result0: (1, 2, 2) int8
// EXEC-NEXT: {{\[\[\[}}3, 0],
// EXEC-NEXT: [3, 1]]]
// EXEC: result1: (1, 2) float64
// EXEC-NEXT: {{\[\[}}0., 1.]]

builtin.module {
  branch.kernel @shift sites 2 states [0, 1, 2, 3] dtype f64 params [] {
  ^bb0(%x: tensor<?x2xi8>):
    %0 = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %1 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %2 = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
    %3 = branch.read %x, %1 : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %4 = branch.add %3, %2 : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
    %5 = branch.write %0, %1, %4 {checked} : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %6 = branch.constant %x {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
    %7 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %8, %9 = branch.emit %x, %5, %6, %7 {term = "term0"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %10 = branch.concat %8 : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
    %11 = branch.concat %9 : tensor<?x2xf64> -> tensor<?x2xf64>
    branch.return %10, %11 : tensor<?x2x2xi8>, tensor<?x2xf64>
  }
}

