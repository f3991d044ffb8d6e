// convert-branch-to-stablehlo of branch.count (the particles on a range of sites) and
// branch.parity: static bounds (row-table columns) and bounds known at run time, each as
// a masked reduction and as a prefix sum (the first count has no strategy: the cost model
// takes the masked reduction for 2 rows of 6 sites; the others fix theirs); an empty
// range (lo > hi) counts 0; the same static range in every row (no strategy) is counted
// once, two columns of the prefix sums, and broadcast over the rows. Then jaxlib's
// verifier, and an
// execution through JAX against the counts worked out by hand.
//
// RUN: symir-opt %s -p convert-branch-to-stablehlo > %t.mlir
// RUN: filecheck %s < %t.mlir
// RUN: symir-run %t.mlir --print-module --input '[[1, 1, 0, 1, 1, 0], [0, 1, 1, 1, 0, 1]]:int8' | filecheck %s --check-prefixes=JAX,EXEC

// CHECK: func.func @main(%[[X:[A-Za-z0-9_]+]]: tensor<?x6xi8>) -> (tensor<?x2x6xi8>, tensor<?x2xf64>) {
// Static bounds, masked: x (as i32) times the constant mask of [lo, hi) per row, summed
// over the sites.
// CHECK: %[[XS:.*]] = stablehlo.convert %[[X]] : (tensor<?x6xi8>) -> tensor<?x6xi32>
// CHECK-NEXT: %[[MASK:.*]] = stablehlo.constant dense<{{\[\[}}1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 0, 0]]> : tensor<2x6xi32>
// CHECK: %[[X3:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[XS]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 2>}> : (tensor<?x6xi32>, tensor<3xi64>) -> tensor<?x2x6xi32>
// CHECK-NEXT: %[[M3:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%[[MASK]], %{{.*}}) <{broadcast_dimensions = array<i64: 1, 2>}> : (tensor<2x6xi32>, tensor<3xi64>) -> tensor<?x2x6xi32>
// CHECK-NEXT: %[[PROD:.*]] = stablehlo.multiply %[[X3]], %[[M3]] : tensor<?x2x6xi32>
// CHECK: "stablehlo.reduce"(%[[PROD]], %{{.*}}) <{dimensions = array<i64: 2>}>
// CHECK: }) : (tensor<?x2x6xi32>, tensor<i32>) -> tensor<?x2xi32>
// CHECK-NEXT: %[[MASKED:.*]] = stablehlo.convert %{{.*}} : (tensor<?x2xi32>) -> tensor<?x2xi64>
// Static bounds, prefix: ceil(log2 6) = 3 shifted adds (shifts 1, 2, 4), a leading 0,
// then P[hi] - P[lo] by two batched gathers at the constant bounds.
// CHECK: %[[S1:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x1xi32>, tensor<?x5xi32>) -> tensor<?x6xi32>
// CHECK-NEXT: %[[Y1:.*]] = stablehlo.add %{{.*}}, %[[S1]] : tensor<?x6xi32>
// CHECK: %[[S2:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x2xi32>, tensor<?x4xi32>) -> tensor<?x6xi32>
// CHECK-NEXT: %[[Y2:.*]] = stablehlo.add %[[Y1]], %[[S2]] : tensor<?x6xi32>
// CHECK: %[[S4:.*]] = "stablehlo.concatenate"(%{{.*}}, %{{.*}}) <{dimension = 1 : i64}> : (tensor<?x4xi32>, tensor<?x2xi32>) -> tensor<?x6xi32>
// CHECK-NEXT: %[[Y4:.*]] = stablehlo.add %[[Y2]], %[[S4]] : tensor<?x6xi32>
// CHECK: %[[P:.*]] = "stablehlo.concatenate"(%{{.*}}, %[[Y4]]) <{dimension = 1 : i64}> : (tensor<?x1xi32>, tensor<?x6xi32>) -> tensor<?x7xi32>
// CHECK-NEXT: %[[LOC:.*]] = stablehlo.constant dense<[0, 2]> : tensor<2xi64>
// CHECK: %[[HIC:.*]] = stablehlo.constant dense<[6, 4]> : tensor<2xi64>
// CHECK: %[[UP:.*]] = "stablehlo.gather"(%[[P]], %{{.*}})
// CHECK-NEXT: %[[DOWN:.*]] = "stablehlo.gather"(%[[P]], %{{.*}})
// CHECK-NEXT: %{{.*}} = stablehlo.subtract %[[UP]], %[[DOWN]] : tensor<?x2xi32>
// Run-time bounds, masked: the mask is compared against an iota of the sites.
// CHECK: %[[IOTA:.*]] = "stablehlo.dynamic_broadcast_in_dim"(%{{.*}}, %{{.*}}) <{broadcast_dimensions = array<i64: 2>}> : (tensor<6xi64>, tensor<3xi64>) -> tensor<?x2x6xi64>
// CHECK: %[[GE:.*]] = stablehlo.compare GE, %[[IOTA]], %{{.*}}, SIGNED
// CHECK: %[[LT:.*]] = stablehlo.compare LT, %[[IOTA]], %{{.*}}, SIGNED
// CHECK-NEXT: %[[IN:.*]] = stablehlo.and %[[GE]], %[[LT]] : tensor<?x2x6xi1>
// CHECK: stablehlo.select %[[IN]], %{{.*}}, %{{.*}} : tensor<?x2x6xi1>, tensor<?x2x6xi32>
// Run-time bounds, prefix: the bounds are clamped to [0, 6] and hi to at least lo.
// CHECK: %[[CLO:.*]] = stablehlo.minimum %{{.*}}, %{{.*}} : tensor<?x2xi64>
// CHECK: %[[CHI:.*]] = stablehlo.minimum %{{.*}}, %{{.*}} : tensor<?x2xi64>
// CHECK-NEXT: %[[CHI2:.*]] = stablehlo.maximum %[[CHI]], %[[CLO]] : tensor<?x2xi64>
// The prefix sums are built once per kernel: the run-time and the same-range counts
// gather from the static prefix count's P.
// CHECK-NEXT: "stablehlo.gather"(%[[P]], %[[CHI2]])
// CHECK-NEXT: "stablehlo.gather"(%[[P]], %[[CLO]])
// The same static range [1, 5) in both rows: P[5] - P[1] taken once, broadcast.
// CHECK: %[[C5:.*]] = stablehlo.constant dense<5> : tensor<1x1xi64>
// CHECK-NEXT: %[[P5:.*]] = "stablehlo.dynamic_gather"(%[[P]], %[[C5]], %{{.*}}) {{.*}} -> tensor<?x1xi32>
// CHECK-NEXT: %[[C1:.*]] = stablehlo.constant dense<1> : tensor<1x1xi64>
// CHECK-NEXT: %[[P1:.*]] = "stablehlo.dynamic_gather"(%[[P]], %[[C1]], %{{.*}}) {{.*}} -> tensor<?x1xi32>
// CHECK-NEXT: %[[ONCE:.*]] = stablehlo.subtract %[[P5]], %[[P1]] : tensor<?x1xi32>
// CHECK-NEXT: %{{.*}} = "stablehlo.dynamic_broadcast_in_dim"(%[[ONCE]], %{{.*}}) <{broadcast_dimensions = array<i64: 0, 1>}> : (tensor<?x1xi32>, tensor<2xi64>) -> tensor<?x2xi32>
// Parity: 1 - 2 |n rem 2|.
// CHECK: %[[REM:.*]] = stablehlo.remainder %{{.*}}, %[[TWO:.*]] : tensor<?x2xi64>
// CHECK-NEXT: %[[ODD:.*]] = stablehlo.abs %[[REM]] : (tensor<?x2xi64>) -> tensor<?x2xi64>
// CHECK-NEXT: %[[TWICE:.*]] = stablehlo.multiply %[[TWO]], %[[ODD]] : tensor<?x2xi64>
// CHECK-NEXT: %{{.*}} = stablehlo.subtract %{{.*}}, %[[TWICE]] : tensor<?x2xi64>

// JAX: func.func @main(%arg0: tensor<?x6xi8>) -> (tensor<?x2x6xi8>, tensor<?x2xf64>) {
// JAX: stablehlo.reduce
// JAX: stablehlo.gather

// The digits of each matrix element are (masked, prefix, run-time masked, run-time prefix,
// empty, same range) counts, times the parity of the run-time prefix count: for x =
// 110110, rows [0, 6) and [2, 4) count 4 and 1; the run-time ranges [0, x[0] + 3) =
// [0, 4) and [2, x[2] + 3) = [2, 3) count 3 (odd: a minus sign) and 0; [1, 5) counts 3.
// EXEC: result1: (2, 2) float64
// EXEC-NEXT: {{\[\[}}-443303.,  110003.],
// EXEC-NEXT: [ 442203.,  222203.]]

branch.kernel @counts sites 6 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x6xi8>):
  %lo = branch.column %x {values = array<i64: 0, 2>} : tensor<?x6xi8> -> tensor<?x2xi64>
  %hi = branch.column %x {values = array<i64: 6, 4>} : tensor<?x6xi8> -> tensor<?x2xi64>
  %three = branch.constant %x {value = 3 : i64} : tensor<?x6xi8> -> tensor<?x2xi64>
  %xlo = branch.read %x, %lo : tensor<?x6xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %dyn = branch.add %xlo, %three : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %masked = branch.count %x, %lo, %hi : tensor<?x6xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %prefix = branch.count %x, %lo, %hi {strategy = "prefix"} : tensor<?x6xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %dmasked = branch.count %x, %lo, %dyn {strategy = "masked"} : tensor<?x6xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %dprefix = branch.count %x, %lo, %dyn {strategy = "prefix"} : tensor<?x6xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %empty = branch.count %x, %hi, %lo {strategy = "prefix"} : tensor<?x6xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %slo = branch.column %x {values = array<i64: 1, 1>} : tensor<?x6xi8> -> tensor<?x2xi64>
  %shi = branch.column %x {values = array<i64: 5, 5>} : tensor<?x6xi8> -> tensor<?x2xi64>
  %same = branch.count %x, %slo, %shi : tensor<?x6xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %sign = branch.parity %dprefix : tensor<?x2xi64> -> tensor<?x2xi64>
  %ten = branch.constant %x {value = 10 : i64} : tensor<?x6xi8> -> tensor<?x2xi64>
  %a1 = branch.mul %masked, %ten : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a2 = branch.add %a1, %prefix : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a3 = branch.mul %a2, %ten : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a4 = branch.add %a3, %dmasked : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a5 = branch.mul %a4, %ten : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a6 = branch.add %a5, %dprefix : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a7 = branch.mul %a6, %ten : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a8 = branch.add %a7, %empty : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a9 = branch.mul %a8, %ten : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %a10 = branch.add %a9, %same : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %amp = branch.mul %a10, %sign : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<2x6xi8>
  %t = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x2xi1>
  %xp, %mel = branch.emit %x, %s, %amp, %t {term = "counts"} : tensor<?x6xi8>, !branch.state<2x6xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x6xi8>, tensor<?x2xf64>
  %xps = branch.concat %xp : tensor<?x2x6xi8> -> tensor<?x2x6xi8>
  %mels = branch.concat %mel : tensor<?x2xf64> -> tensor<?x2xf64>
  branch.return %xps, %mels : tensor<?x2x6xi8>, tensor<?x2xf64>
}
