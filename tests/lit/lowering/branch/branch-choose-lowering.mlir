// branch-choose-lowering: how each read and each diagonal sum is lowered, by the cost
// model of a target (docs/cost-model.md), shown in the IR: `{lowering = ...}` on every read
// of a row-table column, `branch.quadratic_form` for a diagonal sum of products of at most
// two reads with constant coefficients. Options force a choice (experiments); the last
// RUN line applies the pass twice (idempotent).
//
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu diagonal=rows}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=gpu diagonal=rows}' | filecheck %s --check-prefix=GPU
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu}' | filecheck %s --check-prefix=DENSE
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{diagonal=dense}' | filecheck %s --check-prefix=DENSE
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{diagonal=dense}' | filecheck %s --check-prefix=FORCED
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{reads=take diagonal=rows}' | filecheck %s --check-prefix=TAKE
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{reads=permuted diagonal=rows}' | filecheck %s --check-prefix=PERM
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{reads=x diagonal=rows}' | filecheck %s --check-prefix=XFORCED
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu},branch-choose-lowering{target=cpu}' | filecheck %s --check-prefix=DENSE
// RUN: not symir-opt %s --split-input-file -p 'branch-choose-lowering{reads=bogus}' 2>&1 | filecheck %s --check-prefix=BAD
// RUN: not symir-opt %s --split-input-file -p 'branch-choose-lowering{target=tpu}' 2>&1 | filecheck %s --check-prefix=BADTARGET

// BAD: ValueError: branch-choose-lowering reads must be one of ('auto', 'x', 'slices', 'take', 'permuted', 'gather'), got 'bogus'
// BADTARGET: ValueError: target must be one of ('auto', 'cpu', 'gpu'), got 'tpu'

// A zz bond table (6 bonds on 4 sites, scrambled) that only feeds the diagonal sum, and
// flips emitted. Rows as written: %i (4 strided runs) is slices; %j (6 runs) is a
// constant-index take on a CPU (the read only feeds a sum) and a batched gather on a GPU;
// the flips' identity column is x. Auto on a CPU (and forced dense): the sum is
// x^T A x with A from the bonds ((1, 2) and (2, 1) add up), its reads are gone.
// CHECK-LABEL: branch.kernel @summed
// CHECK: branch.read %{{.*}}, %{{.*}} {lowering = "slices"} : tensor<?x4xi8>, tensor<?x6xi64>
// CHECK-NEXT: %[[J:.*]] = branch.column
// CHECK-NEXT: branch.read %{{.*}}, %[[J]] {lowering = "take"} : tensor<?x4xi8>, tensor<?x6xi64>
// CHECK: branch.read %{{.*}}, %{{.*}} {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64>
// CHECK: branch.sum_rows
// GPU-LABEL: branch.kernel @summed
// GPU: branch.read %{{.*}}, %{{.*}} {lowering = "slices"} : tensor<?x4xi8>, tensor<?x6xi64>
// GPU: branch.read %{{.*}}, %{{.*}} {lowering = "gather"} : tensor<?x4xi8>, tensor<?x6xi64>
// GPU: branch.read %{{.*}}, %{{.*}} {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64>
// DENSE-LABEL: branch.kernel @summed
// DENSE-NEXT: ^bb0(%[[X:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// DENSE-NOT: tensor<?x6x
// DENSE: branch.read %[[X]], %{{.*}} {lowering = "x"} : tensor<?x4xi8>, tensor<?x4xi64>
// DENSE-NOT: branch.sum_rows
// DENSE: %[[Q:.*]] = branch.quadratic_form %[[X]] {pairs = array<i64: 0, 1, 0, 2, 0, 3, 1, 2, 2, 3>, weights = array<f64: 5.000000e-01, 5.000000e-01, 5.000000e-01, 1.000000e+00, 5.000000e-01>, sites = array<i64>, linear = array<f64>, constant = 0.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
// DENSE: branch.emit %[[X]], %{{.*}}, %[[Q]], %{{.*}} {term = "diagonal"}
// TAKE-LABEL: branch.kernel @summed
// TAKE-COUNT-3: {lowering = "take"}
// PERM-LABEL: branch.kernel @summed
// PERM-COUNT-3: {lowering = "permuted"}
// XFORCED-LABEL: branch.kernel @summed
// XFORCED: {lowering = "slices"}
// XFORCED: {lowering = "take"}
// XFORCED: {lowering = "x"}
// @summed: a zz bond table (scrambled, 6 bonds on 4 sites) only feeding the diagonal sum,
// and flips emitted. 
branch.kernel @summed sites 4 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<6x4xi8>
  %i = branch.column %x {values = array<i64: 2, 0, 3, 1, 0, 2>} : tensor<?x4xi8> -> tensor<?x6xi64>
  %xi = branch.read %x, %i : tensor<?x4xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %j = branch.column %x {values = array<i64: 3, 1, 0, 2, 2, 1>} : tensor<?x4xi8> -> tensor<?x6xi64>
  %xj = branch.read %x, %j : tensor<?x4xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %c = branch.constant %x {value = 5.000000e-01 : f64} : tensor<?x4xi8> -> tensor<?x6xf64>
  %cxi = branch.mul %c, %xi : tensor<?x6xf64>, tensor<?x6xi64> -> tensor<?x6xf64>
  %zz = branch.mul %cxi, %xj : tensor<?x6xf64>, tensor<?x6xi64> -> tensor<?x6xf64>
  %t = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x6xi1>
  %zz_xp, %zz_mel = branch.emit %x, %s, %zz, %t {term = "zz"} : tensor<?x4xi8>, !branch.state<6x4xi8>, tensor<?x6xf64>, tensor<?x6xi1> -> tensor<?x6x4xi8>, tensor<?x6xf64>
  %s2 = branch.state %x : tensor<?x4xi8> -> !branch.state<4x4xi8>
  %k = branch.column %x {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
  %xk = branch.read %x, %k : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
  %m = branch.neg %xk : tensor<?x4xi64> -> tensor<?x4xi64>
  %s3 = branch.write %s2, %k, %m : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
  %h = branch.constant %x {value = -1.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x4xf64>
  %t4 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
  %f_xp, %f_mel = branch.emit %x, %s3, %h, %t4 {term = "x"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
  %sum = branch.sum_rows %zz_mel : tensor<?x6xf64> -> tensor<?x1xf64>
  %d = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t1 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %d_xp, %d_mel = branch.emit %x, %d, %sum, %t1 {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %d_xp, %f_xp : tensor<?x1x4xi8>, tensor<?x4x4xi8> -> tensor<?x5x4xi8>
  %mels = branch.concat %d_mel, %f_mel : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
  branch.return %xps, %mels : tensor<?x5x4xi8>, tensor<?x5xf64>
}

// -----

// The on-site energy U/2 n (n - 1) - mu n (U = 1, mu = 0.3) is 0.5 n_i^2 - 0.8 n_i: pairs
// (i, i) and linear sites; 1.5 n_p n_q adds the pairs (0, 1), (1, 2). The three sums were
// added by coalescing: one form, plus the sum that is not a polynomial (a sqrt).
// DENSE-LABEL: branch.kernel @onsite
// DENSE-NOT: branch.sum_rows %a_mel
// DENSE: %[[SB:.*]] = branch.sum_rows %b_mel
// DENSE: %[[Q:.*]] = branch.quadratic_form %{{.*}} {pairs = array<i64: 0, 0, 0, 1, 1, 1, 1, 2, 2, 2>, weights = array<f64: 5.000000e-01, 1.500000e+00, 5.000000e-01, 1.500000e+00, 5.000000e-01>, sites = array<i64: 0, 1, 2>, linear = array<f64: -8.000000e-01, -8.000000e-01, -8.000000e-01>, constant = 0.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
// DENSE-NEXT: %[[T:.*]] = branch.add %[[Q]], %[[SB]] : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
// DENSE-NEXT: branch.emit %{{.*}}, %{{.*}}, %[[T]], %{{.*}} {term = "diagonal"}
// DENSE-NOT: branch.sum_rows
// CHECK-LABEL: branch.kernel @onsite
// CHECK-COUNT-3: branch.sum_rows
branch.kernel @onsite sites 3 states [0, 1, 2, 3] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x3xi8>):
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %n = branch.read %x, %i : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
  %nm1 = branch.sub %n, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %nn = branch.mul %n, %nm1 : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %two = branch.constant %x {value = 2.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %u = branch.div %nn, %two : tensor<?x3xi64>, tensor<?x3xf64> -> tensor<?x3xf64>
  %mu = branch.constant %x {value = 3.000000e-01 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %mun = branch.mul %mu, %n : tensor<?x3xf64>, tensor<?x3xi64> -> tensor<?x3xf64>
  %e = branch.sub %u, %mun : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3xf64>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %a_xp, %a_mel = branch.emit %x, %s, %e, %t {term = "onsite"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %s2 = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %p = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %q = branch.column %x {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %np = branch.read %x, %p : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %nq = branch.read %x, %q : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %sq = branch.sqrt %np : tensor<?x2xi64> -> tensor<?x2xf64>
  %v = branch.mul %sq, %nq : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
  %t2 = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
  %b_xp, %b_mel = branch.emit %x, %s2, %v, %t2 {term = "sqrt"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %s3 = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %c = branch.constant %x {value = 1.500000e+00 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
  %cn = branch.mul %c, %np : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
  %w = branch.mul %cn, %nq : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
  %c_xp, %c_mel = branch.emit %x, %s3, %w, %t2 {term = "nn"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %sa = branch.sum_rows %a_mel : tensor<?x3xf64> -> tensor<?x1xf64>
  %sb = branch.sum_rows %b_mel : tensor<?x2xf64> -> tensor<?x1xf64>
  %sab = branch.add %sa, %sb : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
  %sc = branch.sum_rows %c_mel : tensor<?x2xf64> -> tensor<?x1xf64>
  %total = branch.add %sab, %sc : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
  %d = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %t1 = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %d_xp, %d_mel = branch.emit %x, %d, %total, %t1 {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %xps = branch.concat %d_xp : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
  %mels = branch.concat %d_mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// A parameter factor: J * (x_0 x_1 + x_1 x_2) is the form times the parameter (one row);
// on a CPU its rows (two slices) are cheaper. Not quadratic forms, even forced: a mask
// that compares two reads (on states -1 and 1), a product of three reads.
// DENSE-LABEL: branch.kernel @not_forms
// CHECK-LABEL: branch.kernel @not_forms
// CHECK-COUNT-3: branch.sum_rows
// FORCED-LABEL: branch.kernel @not_forms
// FORCED-SAME: params ["J"]
// FORCED-NEXT: ^bb0(%[[X:[a-zA-Z0-9_]+]]: tensor<?x3xi8>, %[[J:[a-zA-Z0-9_]+]]: tensor<f64>):
// FORCED: %[[Q:.*]] = branch.quadratic_form %[[X]] {pairs = array<i64: 0, 1, 1, 2>, weights = array<f64: 1.000000e+00, 1.000000e+00>, sites = array<i64>, linear = array<f64>, constant = 0.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
// FORCED-NEXT: %[[JS:.*]] = branch.splat %[[J]], %[[X]] : tensor<f64>, tensor<?x3xi8> -> tensor<?x1xf64>
// FORCED-NEXT: %[[SA:.*]] = branch.mul %[[Q]], %[[JS]] : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
// FORCED-NEXT: %[[SB:.*]] = branch.sum_rows %b_mel
// FORCED-NEXT: branch.add %[[SA]], %[[SB]]
// FORCED-NEXT: branch.sum_rows %c_mel
// FORCED-NOT: branch.quadratic_form
// FORCED-NOT: branch.sum_rows
branch.kernel @not_forms sites 3 states [-1, 1] dtype f64 params ["J"] hermitian {
^bb0(%x: tensor<?x3xi8>, %J: tensor<f64>):
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %p = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %q = branch.column %x {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
  %xp_ = branch.read %x, %p : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %xq = branch.read %x, %q : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %zz = branch.mul %xp_, %xq : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %j = branch.splat %J, %x : tensor<f64>, tensor<?x3xi8> -> tensor<?x2xf64>
  %jzz = branch.mul %j, %zz : tensor<?x2xf64>, tensor<?x2xi64> -> tensor<?x2xf64>
  %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
  %a_xp, %a_mel = branch.emit %x, %s, %jzz, %t {term = "param"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %ne = branch.cmp ne %xp_, %xq : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %b_xp, %b_mel = branch.emit %x, %s, %zz, %ne {term = "masked"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %zzz = branch.mul %zz, %xq : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  %c_xp, %c_mel = branch.emit %x, %s, %zzz, %t {term = "cubic"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %sa = branch.sum_rows %a_mel : tensor<?x2xf64> -> tensor<?x1xf64>
  %sb = branch.sum_rows %b_mel : tensor<?x2xf64> -> tensor<?x1xf64>
  %sab = branch.add %sa, %sb : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
  %sc = branch.sum_rows %c_mel : tensor<?x2xf64> -> tensor<?x1xf64>
  %total = branch.add %sab, %sc : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
  %d = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %t1 = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %d_xp, %d_mel = branch.emit %x, %d, %total, %t1 {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %xps = branch.concat %d_xp : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
  %mels = branch.concat %d_mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x3xi8>, tensor<?x1xf64>
}

// -----

// A diagonal emission masked by reads of two-state sites (a molecule's `n_P n_R`, on the
// states 0 and 1): `x == 1` is x, `0 != x` is x, `x == 0` is 1 - x, an `and` the product.
// The masked rows are a form: 0.5 x0 x1 + 2 x1 x2 - x0 x3 from %pairs, 3 (1 - x0) x2
// from %hole (pair (0, 2) -3, site 2 linear 3), merged; auto on a CPU takes it.
// CHECK-LABEL: branch.kernel @masked_pairs
// CHECK: %sa = branch.sum_rows %a_mel
// CHECK: %sb = branch.sum_rows %b_mel
// DENSE-LABEL: branch.kernel @masked_pairs
// DENSE: %[[T:.*]] = branch.quadratic_form %{{.*}} {pairs = array<i64: 0, 1, 0, 2, 0, 3, 1, 2>, weights = array<f64: 5.000000e-01, -3.000000e+00, -1.000000e+00, 2.000000e+00>, sites = array<i64: 2>, linear = array<f64: 3.000000e+00>, constant = 0.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
// DENSE-NOT: branch.sum_rows
// DENSE: branch.emit %{{.*}}, %{{.*}}, %[[T]], %{{.*}} {term = "diagonal"}
// FORCED-LABEL: branch.kernel @masked_pairs
// FORCED: branch.quadratic_form
branch.kernel @masked_pairs sites 4 states [0, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %p = branch.column %x {values = array<i64: 0, 1, 0>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %q = branch.column %x {values = array<i64: 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %np = branch.read %x, %p : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %nq = branch.read %x, %q : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %hp = branch.cmp eq %np, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
  %hq = branch.cmp ne %zero, %nq : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
  %both = branch.and %hp, %hq : tensor<?x3xi1>, tensor<?x3xi1> -> tensor<?x3xi1>
  %k = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %w = branch.lookup %k {keys = array<i64: 0, 1, 2>, values = array<f64: 5.000000e-01, 2.000000e+00, -1.000000e+00>} : tensor<?x3xi64> -> tensor<?x3xf64>
  %a_xp, %a_mel = branch.emit %x, %s, %w, %both {term = "pairs"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %s1 = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %r = branch.column %x {values = array<i64: 0>} : tensor<?x4xi8> -> tensor<?x1xi64>
  %t = branch.column %x {values = array<i64: 2>} : tensor<?x4xi8> -> tensor<?x1xi64>
  %nr = branch.read %x, %r : tensor<?x4xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %nt = branch.read %x, %t : tensor<?x4xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %one1 = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
  %zero1 = branch.constant %x {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
  %er = branch.cmp eq %nr, %zero1 : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi1>
  %ht = branch.cmp eq %nt, %one1 : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi1>
  %hole = branch.and %er, %ht : tensor<?x1xi1>, tensor<?x1xi1> -> tensor<?x1xi1>
  %three = branch.constant %x {value = 3.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x1xf64>
  %b_xp, %b_mel = branch.emit %x, %s1, %three, %hole {term = "hole"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %sa = branch.sum_rows %a_mel : tensor<?x3xf64> -> tensor<?x1xf64>
  %sb = branch.sum_rows %b_mel : tensor<?x1xf64> -> tensor<?x1xf64>
  %total = branch.add %sa, %sb : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
  %d = branch.state %x : tensor<?x4xi8> -> !branch.state<1x4xi8>
  %t1 = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
  %d_xp, %d_mel = branch.emit %x, %d, %total, %t1 {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
  %xps = branch.concat %d_xp : tensor<?x1x4xi8> -> tensor<?x1x4xi8>
  %mels = branch.concat %d_mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x4xi8>, tensor<?x1xf64>
}

// -----

// A mask `x == 1` on three local states is not of degree 1 in x: rows, even forced.
// CHECK-LABEL: branch.kernel @masked_three_states
// CHECK: branch.sum_rows
// FORCED-LABEL: branch.kernel @masked_three_states
// FORCED-NOT: branch.quadratic_form
// FORCED: branch.sum_rows %a_mel
branch.kernel @masked_three_states sites 2 states [0, 1, 2] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x2xi8>):
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<1x2xi8>
  %p = branch.column %x {values = array<i64: 0>} : tensor<?x2xi8> -> tensor<?x1xi64>
  %np = branch.read %x, %p : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x1xi64>
  %hp = branch.cmp eq %np, %one : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi1>
  %w = branch.constant %x {value = 2.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
  %a_xp, %a_mel = branch.emit %x, %s, %w, %hp {term = "level"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
  %sa = branch.sum_rows %a_mel : tensor<?x1xf64> -> tensor<?x1xf64>
  %d = branch.state %x : tensor<?x2xi8> -> !branch.state<1x2xi8>
  %t1 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
  %d_xp, %d_mel = branch.emit %x, %d, %sa, %t1 {term = "diagonal"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
  %xps = branch.concat %d_xp : tensor<?x1x2xi8> -> tensor<?x1x2xi8>
  %mels = branch.concat %d_mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x2xi8>, tensor<?x1xf64>
}

// -----

// A lone emission (its x' returned as it is, not concatenated): convert-branch-to-stablehlo
// computes its mask once, in a reduction, into which XLA:CPU fuses the reads; a batched
// gather there builds its (batch, rows, 2) indices on every call (`gather_index_element`),
// so on a CPU the reads of both columns (8 rows, more runs than slices take) are constant-
// index takes; on a GPU, batched gathers.
// CHECK-LABEL: branch.kernel @lone_hop
// CHECK: branch.read %{{.*}}, %{{.*}} {lowering = "take"} : tensor<?x6xi8>, tensor<?x8xi64>
// CHECK: branch.read %{{.*}}, %{{.*}} {lowering = "take"} : tensor<?x6xi8>, tensor<?x8xi64>
// GPU-LABEL: branch.kernel @lone_hop
// GPU: branch.read %{{.*}}, %{{.*}} {lowering = "gather"} : tensor<?x6xi8>, tensor<?x8xi64>
// GPU: branch.read %{{.*}}, %{{.*}} {lowering = "gather"} : tensor<?x6xi8>, tensor<?x8xi64>
branch.kernel @lone_hop sites 6 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x6xi8>):
  %a = branch.column %x {values = array<i64: 4, 0, 5, 1, 3, 0, 2, 5>} : tensor<?x6xi8> -> tensor<?x8xi64>
  %xa = branch.read %x, %a : tensor<?x6xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %b = branch.column %x {values = array<i64: 1, 3, 0, 4, 2, 5, 4, 0>} : tensor<?x6xi8> -> tensor<?x8xi64>
  %xb = branch.read %x, %b : tensor<?x6xi8>, tensor<?x8xi64> -> tensor<?x8xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x6xi8> -> tensor<?x8xi64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x6xi8> -> tensor<?x8xi64>
  %full = branch.cmp eq %xa, %one : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi1>
  %empty = branch.cmp eq %xb, %zero : tensor<?x8xi64>, tensor<?x8xi64> -> tensor<?x8xi1>
  %m = branch.and %full, %empty : tensor<?x8xi1>, tensor<?x8xi1> -> tensor<?x8xi1>
  %s = branch.state %x : tensor<?x6xi8> -> !branch.state<8x6xi8>
  %s1 = branch.write %s, %a, %zero : !branch.state<8x6xi8>, tensor<?x8xi64>, tensor<?x8xi64> -> !branch.state<8x6xi8>
  %s2 = branch.write %s1, %b, %one : !branch.state<8x6xi8>, tensor<?x8xi64>, tensor<?x8xi64> -> !branch.state<8x6xi8>
  %t = branch.constant %x {value = -1.000000e+00 : f64} : tensor<?x6xi8> -> tensor<?x8xf64>
  %xp, %mel = branch.emit %x, %s2, %t, %m {term = "hop"} : tensor<?x6xi8>, !branch.state<8x6xi8>, tensor<?x8xf64>, tensor<?x8xi1> -> tensor<?x8x6xi8>, tensor<?x8xf64>
  branch.return %xp, %mel : tensor<?x8x6xi8>, tensor<?x8xf64>
}
