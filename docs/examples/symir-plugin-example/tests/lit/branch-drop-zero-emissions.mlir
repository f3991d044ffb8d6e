// RUN: symir-opt %s -p branch-drop-zero-emissions | filecheck %s
// RUN: not symir-opt %s -p convert-branch-to-stablehlo,branch-drop-zero-emissions 2>&1 | filecheck %s --check-prefix=LEVEL

// The zero-amplitude swap's three slots are dropped: F goes from 7 to 4.
// CHECK-LABEL: branch.kernel @z
// CHECK:         %[[FLIP_XP:.*]], %[[FLIP_MEL:.*]] = branch.emit {{.*}} {term = "flip"}
// CHECK:         %[[XP:.*]] = branch.concat %[[FLIP_XP]] : tensor<?x4x4xi8> -> tensor<?x4x4xi8>
// CHECK-NEXT:    %[[MELS:.*]] = branch.concat %[[FLIP_MEL]] : tensor<?x4xf64> -> tensor<?x4xf64>
// CHECK-NEXT:    branch.return %[[XP]], %[[MELS]] : tensor<?x4x4xi8>, tensor<?x4xf64>

// The pass reads the branch level: given the stablehlo level, symir-opt says so.
// LEVEL: symir-opt: error: PassLevelError: pass 'branch-drop-zero-emissions' reads the 'branch' level, but its input is at the 'stablehlo' level

builtin.module {
  branch.kernel @z sites 4 states [-1, 1] dtype f64 params [] {
  ^bb0(%x: tensor<?x4xi8>):
    %k = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
    %0 = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
    %xk = branch.read %x, %k : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
    %f = branch.neg %xk : tensor<?x4xi64> -> tensor<?x4xi64>
    %1 = branch.write %0, %k, %f : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
    %a = branch.constant %x {value = -5.000000e-01 : f64} : tensor<?x4xi8> -> tensor<?x4xf64>
    %2 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
    %3, %4 = branch.emit %x, %1, %a, %2 {term = "flip"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
    %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
    %j = branch.column %x {values = array<i64: 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x3xi64>
    %5 = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
    %xi = branch.read %x, %i : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
    %xj = branch.read %x, %j : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
    %6 = branch.write %5, %i, %xj : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
    %7 = branch.write %6, %j, %xi : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
    %zero = branch.constant %x {value = 0.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
    %8 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
    %9, %10 = branch.emit %x, %7, %zero, %8 {term = "swap"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
    %11 = branch.concat %3, %9 : tensor<?x4x4xi8>, tensor<?x3x4xi8> -> tensor<?x7x4xi8>
    %12 = branch.concat %4, %10 : tensor<?x4xf64>, tensor<?x3xf64> -> tensor<?x7xf64>
    branch.return %11, %12 : tensor<?x7x4xi8>, tensor<?x7xf64>
  }
}
