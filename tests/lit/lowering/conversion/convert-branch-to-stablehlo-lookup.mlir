// convert-branch-to-stablehlo of branch.lookup (a static table read at integer keys): at
// a row-table column the looked-up values are a constant; at keys known only at run time
// a gather from a dense table spanning the keys (min -1 .. max 2, then a 0.0 that keys
// outside the span read), or, for keys too far apart for a dense table, one select per
// key. Then jaxlib's verifier, and an execution through JAX against values worked out by
// hand.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[0, 1, 2], [2, 2, 1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x3xi8>) -> (tensor<?x2x3xi8>, tensor<?x2xf64>) {
// At the column [0, 2]: the values 0.5 and 0.0 (2 is no key).
// CHECK: %[[STATIC:.*]] = stablehlo.constant dense<[5.000000e-01, 0.000000e+00]> : tensor<2xf64>
// At x[0], x[1] - 1 (run time): offset by the first key (-1), the offsets outside [0, 4)
// sent to the 0.0 at the end, a gather from the dense table.
// CHECK: %[[OFF:.*]] = stablehlo.subtract %k, %{{.*}} : tensor<?x2xi64>
// CHECK: %[[GE:.*]] = stablehlo.compare GE, %[[OFF]], %{{.*}}, SIGNED
// CHECK-NEXT: %[[LT:.*]] = stablehlo.compare LT, %[[OFF]], %{{.*}}, SIGNED
// CHECK-NEXT: %[[IN:.*]] = stablehlo.and %[[GE]], %[[LT]] : tensor<?x2xi1>
// CHECK-NEXT: %[[AT:.*]] = stablehlo.select %[[IN]], %[[OFF]], %{{.*}} : tensor<?x2xi1>, tensor<?x2xi64>
// CHECK-NEXT: %[[DENSE:.*]] = stablehlo.constant dense<[2.500000e-01, 0.000000e+00, 1.500000e+00, 4.000000e+00, 0.000000e+00]> : tensor<5xf64>
// CHECK-NEXT: "stablehlo.gather"(%[[DENSE]], %[[AT]])
// Keys 0 and 10^12: a compare and a select per key.
// CHECK: stablehlo.compare EQ, %{{.*}}, %{{.*}}, SIGNED
// CHECK: stablehlo.compare EQ, %{{.*}}, %{{.*}}, SIGNED

// JAX: func.func @main(%arg0: tensor<?x3xi8>) -> (tensor<?x2x3xi8>, tensor<?x2xf64>) {
// JAX: stablehlo.gather

// Each matrix element is static + 10 dense + 100 sparse. x = 012: static 0.5, 0.0;
// dense at keys x[0] - 1, x[1] - 1 = -1, 0: 0.25, 0.0; sparse at 10^12 x[2], x[1] =
// 2 10^12, 10^12: 0.0, 3.0. x = 221: dense at 1, 1: 1.5, 1.5; sparse at 10^12, 2 10^12:
// 3.0, 0.0.
// EXEC: result1: (2, 2) float64
// EXEC-NEXT: {{\[\[}}  3. , 300. ],
// EXEC-NEXT: [315.5,  15. ]]

branch.kernel @lookups sites 3 states [0, 1, 2] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %col = branch.column %x {values = array<i64: 0, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %static = branch.lookup %col {keys = array<i64: 0, 1>, values = array<f64: 0.5, -1.0>} : tensor<?x2xi64> -> tensor<?x2xf64>
  %c01 = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %c01 : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
  %k = branch.sub %v, %one : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %dense = branch.lookup %k {keys = array<i64: -1, 1, 2>, values = array<f64: 0.25, 1.5, 4.0>} : tensor<?x2xi64> -> tensor<?x2xf64>
  %c21 = branch.column %x {values = array<i64: 2, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %w = branch.read %x, %c21 : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %tera = branch.constant %x {value = 1000000000000 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
  %kk = branch.mul %w, %tera : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %sparse = branch.lookup %kk {keys = array<i64: 0, 1000000000000>, values = array<f64: -7.0, 3.0>} : tensor<?x2xi64> -> tensor<?x2xf64>
  %ten = branch.constant %x {value = 10.0 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
  %hundred = branch.constant %x {value = 100.0 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
  %d10 = branch.mul %dense, %ten : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
  %s100 = branch.mul %sparse, %hundred : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
  %a1 = branch.add %static, %d10 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
  %amp = branch.add %a1, %s100 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
  %xp, %mel = branch.emit %x, %s, %amp, %t {term = "lookups"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %xps = branch.concat %xp : tensor<?x2x3xi8> -> tensor<?x2x3xi8>
  %mels = branch.concat %mel : tensor<?x2xf64> -> tensor<?x2xf64>
  branch.return %xps, %mels : tensor<?x2x3xi8>, tensor<?x2xf64>
}
