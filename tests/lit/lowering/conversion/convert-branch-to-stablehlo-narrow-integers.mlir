// convert-branch-to-stablehlo{narrow_integers=true}: the kernel's i64 values whose bounds
// fit i32 (x holds its local states 0 and 1; the nth_site's table of sites; products and
// sums of bounded values) computed in i32; a product that may pass 2^31 (a1 * 3e9) and
// the quotient of it stay i64, and the quotient (bounds 0 .. 6) is converted to i32 where
// an i32 sum takes it; the element (an integer converted to f64) is the same as the i64
// kernel's. Then jaxlib's verifier, and an execution through jax (11 (a + 1) for a the
// site of rank 0, 1, 5 among the sites [5, 0, 2, 3] holding 1), the same as without.
//
// RUN: symir-opt %s -p 'convert-branch-to-stablehlo{narrow_integers=true}' > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, 1, 0, 1, 1, 0], [0, 1, 1, 1, 0, 1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.wide.mlir
// RUN: filecheck %s --check-prefix=WIDE < %t.wide.mlir
// RUN: symir-run %t.wide.mlir --input '[[1, 1, 0, 1, 1, 0], [0, 1, 1, 1, 0, 1]]:int8' | filecheck %s --check-prefix=EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x6xi8>) -> (tensor<?x3x6xi8>, tensor<?x3xf64>) {
// The table of sites and the gather from it in i32.
// CHECK: stablehlo.constant dense<[5, 0, 2, 3, -1]> : tensor<5xi32>
// CHECK: %[[A:.*]] = "stablehlo.gather"({{.*}}) -> tensor<?x3xi32>
// CHECK: %[[A1:.*]] = stablehlo.add %[[A]], %{{.*}} : tensor<?x3xi32>
// a1 * 3e9 is not bounded by i32: a1 back to i64 for it (right after a1), the quotient
// in i64.
// CHECK-NEXT: %[[A64:.*]] = stablehlo.convert %[[A1]] : (tensor<?x3xi32>) -> tensor<?x3xi64>
// CHECK-NEXT: %[[A10:.*]] = stablehlo.multiply %[[A1]], %{{.*}} : tensor<?x3xi32>
// CHECK-NEXT: %[[FAR:.*]] = stablehlo.multiply %[[A64]], %{{.*}} : tensor<?x3xi64>
// CHECK: %[[Q:.*]] = stablehlo.divide %[[FAR]], %{{.*}} : tensor<?x3xi64>
// CHECK: %[[Q32:.*]] = stablehlo.convert %[[Q]] : (tensor<?x3xi64>) -> tensor<?x3xi32>
// CHECK: %[[AMP:.*]] = stablehlo.add %[[A10]], %[[Q32]] : tensor<?x3xi32>
// CHECK: stablehlo.convert %[[AMP]] : (tensor<?x3xi32>) -> tensor<?x3xf64>

// Without the option every integer is i64.
// WIDE: stablehlo.constant dense<[5, 0, 2, 3, -1]> : tensor<5xi64>
// WIDE-NOT: xi32>) -> tensor<?x3xf64>

// JAX: func.func @main(%arg0: tensor<?x6xi8>) -> (tensor<?x3x6xi8>, tensor<?x3xf64>) {

// x = 110110: the sites holding 1 among [5, 0, 2, 3] are 0 and 3: a = 0, 3, -1;
// x = 011101: 5, 2, 3: a = 5, 2, -1.
// EXEC: result1: (2, 3) float64
// EXEC-NEXT: {{\[\[}}11., 44.,  0.],
// EXEC-NEXT: [66., 33.,  0.]]

branch.kernel @narrow sites 6 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x6xi8>):
  %k = branch.column %x {values = array<i64: 0, 1, 5>} : tensor<?x6xi8> -> tensor<?x3xi64>
  %a = branch.nth_site %x, %k {sites = array<i64: 5, 0, 2, 3>, state = 1 : i64} : tensor<?x6xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x6xi8> -> tensor<?x3xi64>
  %ten = branch.constant %x {value = 10 : i64} : tensor<?x6xi8> -> tensor<?x3xi64>
  %big = branch.constant %x {value = 3000000000 : i64} : tensor<?x6xi8> -> tensor<?x3xi64>
  %a1 = branch.add %a, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %a10 = branch.mul %a1, %ten : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %far = branch.mul %a1, %big : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %q = branch.quotient %far, %big : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %amp = branch.add %a10, %q : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<3x6xi8>
  %t = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x3xi1>
  %xp, %mel = branch.emit %x, %s, %amp, %t {term = "narrow"} : tensor<?x6xi8>, !branch.state<3x6xi8>, tensor<?x3xi64>, tensor<?x3xi1> -> tensor<?x3x6xi8>, tensor<?x3xf64>
  %xps = branch.concat %xp : tensor<?x3x6xi8> -> tensor<?x3x6xi8>
  %mels = branch.concat %mel : tensor<?x3xf64> -> tensor<?x3xf64>
  branch.return %xps, %mels : tensor<?x3x6xi8>, tensor<?x3xf64>
}
