// convert-branch-to-stablehlo on a delta kernel (branch-return-deltas): branch.stack puts
// each input on a new last axis ((batch, rows, 1)) and concatenates them there;
// branch.return_deltas returns the sites as i32, the values in the configurations' type
// (i8), then mels (and the derivatives of a derivative kernel). Then jaxlib's verifier, and an execution.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, -1], [-1, -1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%x: tensor<?x2xi8>) -> (tensor<?x1x2xi32>, tensor<?x1x2xi8>, tensor<?x1xf64>) {
// CHECK: %[[A:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%i, %[[SHAPE:.*]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi64>, tensor<3xi64>) -> tensor<?x1x1xi64>
// CHECK-NEXT: %[[B:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%j, %[[SHAPE]]) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi64>, tensor<3xi64>) -> tensor<?x1x1xi64>
// CHECK-NEXT: %sites = "stablehlo.concatenate"(%[[A]], %[[B]]) <{dimension = 2 : i64}> : (tensor<?x1x1xi64>, tensor<?x1x1xi64>) -> tensor<?x1x2xi64>
// CHECK: %values = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 2 : i64}> : (tensor<?x1x1xi64>, tensor<?x1x1xi64>) -> tensor<?x1x2xi64>
// One input (%one): the broadcast itself, here the one already built for %sites, no concatenate.
// CHECK-NOT: stablehlo.concatenate
// CHECK: %[[S32:.*]] = stablehlo.convert %sites : (tensor<?x1x2xi64>) -> tensor<?x1x2xi32>
// CHECK-NEXT: %[[V8:.*]] = stablehlo.convert %values : (tensor<?x1x2xi64>) -> tensor<?x1x2xi8>
// CHECK-NEXT: func.return %[[S32]], %[[V8]], %mel : tensor<?x1x2xi32>, tensor<?x1x2xi8>, tensor<?x1xf64>
// JAX: func.func @main(%arg0: tensor<?x2xi8>) -> (tensor<?x1x2xi32>, tensor<?x1x2xi8>, tensor<?x1xf64>) {
// The sites (0, 1) and the values (x1, x0) of the swap, for each configuration.
// EXEC: result0: (2, 1, 2) int32
// EXEC: result1: (2, 1, 2) int8
// EXEC-NEXT: {{\[\[\[}}-1,  1]],
// EXEC: {{\[\[}}-1, -1{{\]\]\]}}
// EXEC: result2: (2, 1) float64
builtin.module {
  branch.kernel @deltas sites 2 states [-1, 1] dtype f64 params [] {
  ^bb0(%x: tensor<?x2xi8>):
    %i = branch.column %x {values = array<i64: 0>} : tensor<?x2xi8> -> tensor<?x1xi64>
    %j = branch.column %x {values = array<i64: 1>} : tensor<?x2xi8> -> tensor<?x1xi64>
    %xi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
    %xj = branch.read %x, %j : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
    %sites = branch.stack %i, %j : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1x2xi64>
    %values = branch.stack %xj, %xi : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1x2xi64>
    %one = branch.stack %i : tensor<?x1xi64> -> tensor<?x1x1xi64>
    %mel = branch.constant %x {value = 0.5 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
    branch.return_deltas %sites, %values, %mel : tensor<?x1x2xi64>, tensor<?x1x2xi64>, tensor<?x1xf64>
  }
}
