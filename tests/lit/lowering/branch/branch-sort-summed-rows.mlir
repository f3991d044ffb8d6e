// branch-sort-summed-rows: the row table of a slice that only feeds a branch.sum_rows is
// sorted (all its branch.column ops by one permutation, the lexicographic order of the
// rows) when that lowers the number of strided runs of its columns, so that
// convert-branch-to-stablehlo reads them as slices of x. Rows that also feed an emitted
// branch, a concat or another sum_rows keep their order. The second RUN line applies
// the pass twice: it is idempotent, the same checks hold.
//
// RUN: symir-opt %s --split-input-file -p branch-sort-summed-rows | filecheck %s
// RUN: symir-opt %s --split-input-file -p branch-sort-summed-rows,branch-sort-summed-rows | filecheck %s

// TFIM on NetKet's Chain(6, pbc=True) after coalescing: the bonds come scrambled
// ((0, 1), (0, 5), (1, 2), (3, 4), (2, 3), (4, 5): 4 + 4 runs) and only feed the sum;
// sorted, i is 0, 0..4 and j is 1, 5, 2..5 (2 + 2 runs). The flips are emitted: unchanged.
// CHECK-LABEL: branch.kernel @tfim
// CHECK-NEXT: ^bb0(%[[X:[a-zA-Z0-9_]+]]: tensor<?x6xi8>):
// CHECK-NEXT: %[[S:.*]] = branch.state %[[X]] : tensor<?x6xi8> -> !branch.state<6x6xi8>
// CHECK-NEXT: %[[I:.*]] = branch.column %[[X]] {values = array<i64: 0, 0, 1, 2, 3, 4>}
// CHECK-NEXT: %[[XI:.*]] = branch.read %[[X]], %[[I]]
// CHECK-NEXT: %[[J:.*]] = branch.column %[[X]] {values = array<i64: 1, 5, 2, 3, 4, 5>}
// CHECK-NEXT: %[[XJ:.*]] = branch.read %[[X]], %[[J]]
// CHECK-NEXT: %[[ZZ:.*]] = branch.mul %[[XI]], %[[XJ]]
// CHECK-NEXT: %[[T:.*]] = branch.constant %[[X]] {value = true}
// CHECK-NEXT: %{{.*}}, %[[MEL:[a-zA-Z0-9_]+]] = branch.emit %[[X]], %[[S]], %[[ZZ]], %[[T]] {term = "zz"}
// CHECK-NEXT: %{{.*}} = branch.state %[[X]]
// CHECK-NEXT: %[[F:.*]] = branch.column %[[X]] {values = array<i64: 5, 4, 3, 2, 1, 0>}
// CHECK: %[[SUM:.*]] = branch.sum_rows %[[MEL]]
// CHECK: branch.return
branch.kernel @tfim sites 6 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x6xi8>):
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<6x6xi8>
  %i = branch.column %x {values = array<i64: 0, 0, 1, 3, 2, 4>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xi = branch.read %x, %i : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %j = branch.column %x {values = array<i64: 1, 5, 2, 4, 3, 5>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xj = branch.read %x, %j : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %zz = branch.mul %xi, %xj : tensor<?x6xi64>, tensor<?x6xi64> -> tensor<?x6xi64>
  %t = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x6xi1>
  %zxp, %zmel = branch.emit %x, %s, %zz, %t {term = "zz"} : tensor<?x6xi8>, !branch.state<6x6xi8>, tensor<?x6xi64>, tensor<?x6xi1> -> tensor<?x6x6xi8>, tensor<?x6xf64>
  %s2 = branch.state %x : tensor<?x6xi8> -> !branch.state<6x6xi8>
  %f = branch.column %x {values = array<i64: 5, 4, 3, 2, 1, 0>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xf = branch.read %x, %f : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %nf = branch.neg %xf : tensor<?x6xi64> -> tensor<?x6xi64>
  %w = branch.write %s2, %f, %nf : !branch.state<6x6xi8>, tensor<?x6xi64>, tensor<?x6xi64> -> !branch.state<6x6xi8>
  %mh = branch.constant %x {value = -1.0 : f64} : tensor<?x6xi8> -> tensor<?x6xf64>
  %t2 = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x6xi1>
  %fxp, %fmel = branch.emit %x, %w, %mh, %t2 {term = "x", tag = "flip"} : tensor<?x6xi8>, !branch.state<6x6xi8>, tensor<?x6xf64>, tensor<?x6xi1> -> tensor<?x6x6xi8>, tensor<?x6xf64>
  %sum = branch.sum_rows %zmel : tensor<?x6xf64> -> tensor<?x1xf64>
  %ds = branch.state %x : tensor<?x6xi8> -> !branch.state<1x6xi8>
  %dt = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %ds, %sum, %dt {term = "diagonal"} : tensor<?x6xi8>, !branch.state<1x6xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x6xi8>, tensor<?x1xf64>
  %xp = branch.concat %dxp, %fxp : tensor<?x1x6xi8>, tensor<?x6x6xi8> -> tensor<?x7x6xi8>
  %mels = branch.concat %dmel, %fmel : tensor<?x1xf64>, tensor<?x6xf64> -> tensor<?x7xf64>
  branch.return %xp, %mels : tensor<?x7x6xi8>, tensor<?x7xf64>
}

// -----

// A masked diagonal emission with a parameter and a label used as a value: the mask,
// the amplitude and the column used in arithmetic are permuted alike. The identity
// state and the all-true constant are the same in every row: shared with the emitted
// branch, they do not stop the sort.
// CHECK-LABEL: branch.kernel @masked
// CHECK-NEXT: ^bb0(%[[X:[a-zA-Z0-9_]+]]: tensor<?x4xi8>, %[[H:[a-zA-Z0-9_]+]]: tensor<f64>):
// CHECK-NEXT: %[[S:.*]] = branch.state %[[X]]
// CHECK-NEXT: %[[T:.*]] = branch.constant %[[X]] {value = true}
// CHECK-NEXT: %[[I:.*]] = branch.column %[[X]] {values = array<i64: 0, 1, 2, 3>}
// CHECK-NEXT: %[[J:.*]] = branch.column %[[X]] {values = array<i64: 2, 3, 0, 1>}
// CHECK-NEXT: %[[XI:.*]] = branch.read %[[X]], %[[I]]
// CHECK-NEXT: %[[XJ:.*]] = branch.read %[[X]], %[[J]]
// CHECK-NEXT: %[[NE:.*]] = branch.cmp ne %[[XI]], %[[XJ]]
// CHECK-NEXT: %[[HS:.*]] = branch.splat %[[H]], %[[X]]
// CHECK-NEXT: %[[AMP:.*]] = branch.mul %[[HS]], %[[I]]
// CHECK-NEXT: %{{.*}}, %[[MEL:[a-zA-Z0-9_]+]] = branch.emit %[[X]], %[[S]], %[[AMP]], %[[NE]] {term = "d"}
// CHECK-NEXT: %{{.*}}, %[[OMEL:[a-zA-Z0-9_]+]] = branch.emit %[[X]], %[[S]], %[[HS2:.*]], %[[T]] {term = "o"}
// CHECK-NEXT: %{{.*}} = branch.sum_rows %[[MEL]]
branch.kernel @masked sites 4 states [-1, 1] dtype f64 params ["h"] hermitian {
^bb0(%x: tensor<?x4xi8>, %h: tensor<f64>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %i = branch.column %x {values = array<i64: 3, 1, 2, 0>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %j = branch.column %x {values = array<i64: 1, 3, 0, 2>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xi = branch.read %x, %i : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %xj = branch.read %x, %j : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %ne = branch.cmp ne %xi, %xj : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi1>
  %hs = branch.splat %h, %x : tensor<f64>, tensor<?x4xi8> -> tensor<?x4xf64>
  %amp = branch.mul %hs, %i : tensor<?x4xf64>, tensor<?x4xi64> -> tensor<?x4xf64>
  %dxp, %dmel = branch.emit %x, %s, %amp, %ne {term = "d"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %oxp, %omel = branch.emit %x, %s, %hs, %t {term = "o"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %sum = branch.sum_rows %dmel : tensor<?x4xf64> -> tensor<?x1xf64>
  %ds = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %dt = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %sxp, %smel = branch.emit %x, %ds, %sum, %dt {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xp = branch.concat %sxp, %oxp : tensor<?x1x4xi8>, tensor<?x4x4xi8> -> tensor<?x5x4xi8>
  %mels = branch.concat %smel, %omel : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
  branch.return %xp, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
}

// -----

// Reads that feed both the sum and an emitted branch (its mask and its write): the
// emitted rows keep their order (they are the output order of xp and mels); the sum gets
// a sorted copy of the row-dependent ops it needs (columns, reads, product, emit), put
// before it. What only the sum used is then dead and removed.
// CHECK-LABEL: branch.kernel @shared
// CHECK-NEXT: ^bb0(%[[X:[a-zA-Z0-9_]+]]: tensor<?x6xi8>):
// CHECK-NEXT: %[[S:.*]] = branch.state %[[X]]
// CHECK-NEXT: %[[I:.*]] = branch.column %[[X]] {values = array<i64: 0, 0, 1, 3, 2, 4>}
// CHECK-NEXT: %[[XI:.*]] = branch.read %[[X]], %[[I]]
// CHECK-NEXT: %[[J:.*]] = branch.column %[[X]] {values = array<i64: 1, 5, 2, 4, 3, 5>}
// CHECK-NEXT: %[[XJ:.*]] = branch.read %[[X]], %[[J]]
// CHECK-NEXT: %[[T:.*]] = branch.constant %[[X]] {value = true}
// CHECK-NEXT: %[[NE:.*]] = branch.cmp ne %[[XI]], %[[XJ]]
// CHECK-NEXT: %[[A:.*]] = branch.constant %[[X]] {value = 2.000000e+00 : f64}
// CHECK-NEXT: %[[W:.*]] = branch.write %[[S]], %[[I]], %[[XJ]]
// CHECK-NEXT: %[[HXP:[a-zA-Z0-9_]+]], %[[HMEL:[a-zA-Z0-9_]+]] = branch.emit %[[X]], %[[W]], %[[A]], %[[NE]] {term = "hop"}
// CHECK-NEXT: %[[I2:.*]] = branch.column %[[X]] {values = array<i64: 0, 0, 1, 2, 3, 4>}
// CHECK-NEXT: %[[XI2:.*]] = branch.read %[[X]], %[[I2]]
// CHECK-NEXT: %[[J2:.*]] = branch.column %[[X]] {values = array<i64: 1, 5, 2, 3, 4, 5>}
// CHECK-NEXT: %[[XJ2:.*]] = branch.read %[[X]], %[[J2]]
// CHECK-NEXT: %[[ZZ2:.*]] = branch.mul %[[XI2]], %[[XJ2]]
// CHECK-NEXT: %{{.*}}, %[[ZMEL2:[a-zA-Z0-9_]+]] = branch.emit %[[X]], %[[S]], %[[ZZ2]], %[[T]] {term = "zz"}
// CHECK-NEXT: %{{.*}} = branch.sum_rows %[[ZMEL2]]
// CHECK: branch.concat %{{.*}}, %[[HXP]]
// CHECK-NEXT: branch.concat %{{.*}}, %[[HMEL]]
branch.kernel @shared sites 6 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x6xi8>):
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<6x6xi8>
  %i = branch.column %x {values = array<i64: 0, 0, 1, 3, 2, 4>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xi = branch.read %x, %i : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %j = branch.column %x {values = array<i64: 1, 5, 2, 4, 3, 5>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xj = branch.read %x, %j : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %zz = branch.mul %xi, %xj : tensor<?x6xi64>, tensor<?x6xi64> -> tensor<?x6xi64>
  %t = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x6xi1>
  %zxp, %zmel = branch.emit %x, %s, %zz, %t {term = "zz"} : tensor<?x6xi8>, !branch.state<6x6xi8>, tensor<?x6xi64>, tensor<?x6xi1> -> tensor<?x6x6xi8>, tensor<?x6xf64>
  %ne = branch.cmp ne %xi, %xj : tensor<?x6xi64>, tensor<?x6xi64> -> tensor<?x6xi1>
  %a = branch.constant %x {value = 2.0 : f64} : tensor<?x6xi8> -> tensor<?x6xf64>
  %w = branch.write %s, %i, %xj : !branch.state<6x6xi8>, tensor<?x6xi64>, tensor<?x6xi64> -> !branch.state<6x6xi8>
  %hxp, %hmel = branch.emit %x, %w, %a, %ne {term = "hop"} : tensor<?x6xi8>, !branch.state<6x6xi8>, tensor<?x6xf64>, tensor<?x6xi1> -> tensor<?x6x6xi8>, tensor<?x6xf64>
  %sum = branch.sum_rows %zmel : tensor<?x6xf64> -> tensor<?x1xf64>
  %ds = branch.state %x : tensor<?x6xi8> -> !branch.state<1x6xi8>
  %dt = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %ds, %sum, %dt {term = "diagonal"} : tensor<?x6xi8>, !branch.state<1x6xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x6xi8>, tensor<?x1xf64>
  %xp = branch.concat %dxp, %hxp : tensor<?x1x6xi8>, tensor<?x6x6xi8> -> tensor<?x7x6xi8>
  %mels = branch.concat %dmel, %hmel : tensor<?x1xf64>, tensor<?x6xf64> -> tensor<?x7xf64>
  branch.return %xp, %mels : tensor<?x7x6xi8>, tensor<?x7xf64>
}

// -----

// The same rows summed twice: the first sum gets a sorted copy, after which the second
// is their only user and sorts them in place. Rows summed after a concat (not row-wise)
// keep their order.
// CHECK-LABEL: branch.kernel @two_sums
// CHECK-NEXT: ^bb0(%[[X:[a-zA-Z0-9_]+]]: tensor<?x6xi8>):
// CHECK-NEXT: %[[I:.*]] = branch.column %[[X]] {values = array<i64: 0, 0, 1, 2, 3, 4>}
// CHECK-NEXT: %[[XI:.*]] = branch.read %[[X]], %[[I]]
// CHECK-NEXT: %[[J:.*]] = branch.column %[[X]] {values = array<i64: 1, 5, 2, 4, 3, 5>}
// CHECK-NEXT: %[[XJ:.*]] = branch.read %[[X]], %[[J]]
// CHECK-NEXT: %[[I2:.*]] = branch.column %[[X]] {values = array<i64: 0, 0, 1, 2, 3, 4>}
// CHECK-NEXT: %[[XI2:.*]] = branch.read %[[X]], %[[I2]]
// CHECK-NEXT: %{{.*}} = branch.sum_rows %[[XI2]]
// CHECK-NEXT: %{{.*}} = branch.sum_rows %[[XI]]
// CHECK-NEXT: %{{.*}} = branch.column %[[X]] {values = array<i64: 4, 0, 2, 3, 1, 5>}
branch.kernel @two_sums sites 6 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x6xi8>):
  %i = branch.column %x {values = array<i64: 0, 0, 1, 3, 2, 4>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xi = branch.read %x, %i : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %j = branch.column %x {values = array<i64: 1, 5, 2, 4, 3, 5>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xj = branch.read %x, %j : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %sum1 = branch.sum_rows %xi : tensor<?x6xi64> -> tensor<?x1xi64>
  %sum2 = branch.sum_rows %xi : tensor<?x6xi64> -> tensor<?x1xi64>
  %k = branch.column %x {values = array<i64: 4, 0, 2, 3, 1, 5>} : tensor<?x6xi8> -> tensor<?x6xi64>
  %xk = branch.read %x, %k : tensor<?x6xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %both = branch.concat %xj, %xk : tensor<?x6xi64>, tensor<?x6xi64> -> tensor<?x12xi64>
  %sum3 = branch.sum_rows %both : tensor<?x12xi64> -> tensor<?x1xi64>
  %a = branch.add %sum1, %sum2 : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
  %b = branch.add %a, %sum3 : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
  %ds = branch.state %x : tensor<?x6xi8> -> !branch.state<1x6xi8>
  %dt = branch.constant %x {value = true} : tensor<?x6xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %ds, %b, %dt {term = "diagonal"} : tensor<?x6xi8>, !branch.state<1x6xi8>, tensor<?x1xi64>, tensor<?x1xi1> -> tensor<?x1x6xi8>, tensor<?x1xf64>
  %xp = branch.concat %dxp : tensor<?x1x6xi8> -> tensor<?x1x6xi8>
  %mels = branch.concat %dmel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xp, %mels : tensor<?x1x6xi8>, tensor<?x1xf64>
}

// -----

// An order that sorting does not improve is kept: the ring (0, 1), (1, 2), (2, 3),
// (3, 0) is 1 + 2 runs either way; so is a row order that the sort would change
// but not shorten ((3, 0) first: 2 + 1 runs).
// CHECK-LABEL: branch.kernel @in_order
// CHECK: branch.column %{{.*}} {values = array<i64: 0, 1, 2, 3>}
// CHECK: branch.column %{{.*}} {values = array<i64: 1, 2, 3, 0>}
// CHECK: branch.column %{{.*}} {values = array<i64: 3, 0, 1, 2>}
// CHECK: branch.column %{{.*}} {values = array<i64: 0, 1, 2, 3>}
branch.kernel @in_order sites 4 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x4xi8>):
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %j = branch.column %x {values = array<i64: 1, 2, 3, 0>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xi = branch.read %x, %i : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %xj = branch.read %x, %j : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %zz = branch.mul %xi, %xj : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %sum1 = branch.sum_rows %zz : tensor<?x4xi64> -> tensor<?x1xi64>
  %k = branch.column %x {values = array<i64: 3, 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %l = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xk = branch.read %x, %k : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %xl = branch.read %x, %l : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %kl = branch.mul %xk, %xl : tensor<?x4xi64>, tensor<?x4xi64> -> tensor<?x4xi64>
  %sum2 = branch.sum_rows %kl : tensor<?x4xi64> -> tensor<?x1xi64>
  %b = branch.add %sum1, %sum2 : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
  %ds = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %dt = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %dxp, %dmel = branch.emit %x, %ds, %b, %dt {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xi64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xp = branch.concat %dxp : tensor<?x1x4xi8> -> tensor<?x1x4xi8>
  %mels = branch.concat %dmel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xp, %mels : tensor<?x1x4xi8>, tensor<?x1xf64>
}
