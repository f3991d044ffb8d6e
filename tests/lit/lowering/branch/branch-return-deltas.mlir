// branch-return-deltas: the kernel returns, for every slot, the sites its branch writes and
// the values of xp there (K entries per slot, K = the most writes on a branch's path, at least
// 1), with mels unchanged, instead of xp: branch.return_deltas %sites, %values, %mels. Each
// state is followed through its writes as (batch, rows) values; an emission's rule (mask,
// validity, checked writes) becomes explicit ops; state_read becomes the last write to its
// site, else x there; the states, emissions and the xp concat are removed. Errors:
// branch-return-deltas-errors.mlir.
//
// RUN: symir-opt %s --split-input-file -p branch-return-deltas | filecheck %s
// RUN: symir-opt %s --split-input-file -p branch-return-deltas,branch-return-deltas | filecheck %s
// RUN: symir-opt %s --split-input-file -p branch-differentiate,branch-return-deltas | filecheck %s --check-prefix=DIFF
// RUN: symir-opt %s --split-input-file -p branch-return-deltas,convert-branch-to-stablehlo | filecheck %s --check-prefix=HLO

// A flip (one write: K = 1) and a coalesced diagonal (no write: K entries (0, x[0])). Always
// active (mask true, no checked write): the written value and the amplitude are used as they
// are. A second run changes nothing.
// CHECK-LABEL: branch.kernel @flip
// CHECK-NEXT: ^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
// CHECK-NEXT: %i = branch.column %x {values = array<i64: 0, 1>}
// CHECK-NEXT: %xi = branch.read %x, %i
// CHECK-NEXT: %v = branch.neg %xi
// CHECK-NEXT: %a = branch.splat %h, %x
// CHECK-NEXT: %[[S:.*]] = branch.stack %i : tensor<?x2xi64> -> tensor<?x2x1xi64>
// CHECK-NEXT: %[[V:.*]] = branch.stack %v : tensor<?x2xi64> -> tensor<?x2x1xi64>
// CHECK-NEXT: %one = branch.constant %x {value = 1.000000e+00 : f64}
// CHECK-NEXT: %[[ZERO:.*]] = branch.column %x {values = array<i64: 0>} : tensor<?x2xi8> -> tensor<?x1xi64>
// CHECK-NEXT: %[[X0:.*]] = branch.read %x, %[[ZERO]]
// CHECK-NEXT: %[[DS:.*]] = branch.stack %[[ZERO]] : tensor<?x1xi64> -> tensor<?x1x1xi64>
// CHECK-NEXT: %[[DV:.*]] = branch.stack %[[X0]] : tensor<?x1xi64> -> tensor<?x1x1xi64>
// CHECK-NEXT: %mels = branch.concat %one, %a
// CHECK-NEXT: %[[SITES:.*]] = branch.concat %[[DS]], %[[S]] : tensor<?x1x1xi64>, tensor<?x2x1xi64> -> tensor<?x3x1xi64>
// CHECK-NEXT: %[[VALUES:.*]] = branch.concat %[[DV]], %[[V]] : tensor<?x1x1xi64>, tensor<?x2x1xi64> -> tensor<?x3x1xi64>
// CHECK-NEXT: branch.return_deltas %[[SITES]], %[[VALUES]], %mels : tensor<?x3x1xi64>, tensor<?x3x1xi64>, tensor<?x3xf64>
// CHECK-NOT: branch.state
// CHECK-NOT: branch.emit
// The derivative kernel's delta form: the derivatives of mels follow it, named in wrt.
// DIFF-LABEL: branch.kernel @flip
// DIFF: branch.return_deltas %{{.*}}, %{{.*}}, %mels, %{{.*}} {wrt = ["h"]} : tensor<?x3x1xi64>, tensor<?x3x1xi64>, tensor<?x3xf64>, tensor<?x3xf64>
// Lowered: sites as i32, values in the configurations' type (i8), then mels.
// HLO-LABEL: func.func @main(%x: tensor<?x2xi8>, %h: tensor<f64>) -> (tensor<?x3x1xi32>, tensor<?x3x1xi8>, tensor<?x3xf64>)
// HLO: func.return %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3x1xi32>, tensor<?x3x1xi8>, tensor<?x3xf64>
builtin.module {
  branch.kernel @flip sites 2 states [-1, 1] dtype f64 params ["h"] {
  ^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
    %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %xi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %v = branch.neg %xi : tensor<?x2xi64> -> tensor<?x2xi64>
    %w = branch.write %s, %i, %v : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %a = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %t = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %xp, %mel = branch.emit %x, %w, %a, %t {term = "flip"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %d = branch.state %x : tensor<?x2xi8> -> !branch.state<1x2xi8>
    %one = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
    %t1 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
    %dxp, %dmel = branch.emit %x, %d, %one, %t1 {term = "diagonal"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
    %xps = branch.concat %dxp, %xp : tensor<?x1x2xi8>, tensor<?x2x2xi8> -> tensor<?x3x2xi8>
    %mels = branch.concat %dmel, %mel : tensor<?x1xf64>, tensor<?x2xf64> -> tensor<?x3xf64>
    branch.return %xps, %mels : tensor<?x3x2xi8>, tensor<?x3xf64>
  }
}

// -----

// A boson hop (Bose-Hubbard): two checked writes at the columns i and j (different in every
// row: no comparison). The state_reads become the written value (%up) or x there (%xj); the
// validity is each final value a local state, tested on the exact i64 values (no test of
// the i8 range: a value may leave it and come back, only the final one counts); an
// inactive row gets x's values at its sites (%xi, %xj), its mel 0.
// CHECK-LABEL: branch.kernel @hop
// CHECK: %down = branch.add %xi, %m1
// CHECK-NEXT: %xj = branch.read %x, %j
// CHECK-NEXT: %up = branch.add %xj, %p1
// CHECK-NEXT: %prod = branch.mul %xi, %up
// CHECK-NEXT: %amp = branch.sqrt %prod
// CHECK-NEXT: %[[IN1:.*]] = branch.member %down {states = array<i64: 0, 1, 2>}
// CHECK-NEXT: %[[IN2:.*]] = branch.member %up {states = array<i64: 0, 1, 2>}
// CHECK-NEXT: %[[ACTIVE:.*]] = branch.and %[[IN1]], %[[IN2]]
// CHECK-NEXT: %[[VI:.*]] = branch.select %[[ACTIVE]], %down, %xi
// CHECK-NEXT: %[[VJ:.*]] = branch.select %[[ACTIVE]], %up, %xj
// CHECK-NEXT: %[[S:.*]] = branch.stack %i, %j : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2x2xi64>
// CHECK-NEXT: %[[V:.*]] = branch.stack %[[VI]], %[[VJ]]
// CHECK-NEXT: %[[Z:.*]] = branch.constant %x {value = 0.000000e+00 : f64}
// CHECK-NEXT: %mel = branch.select %[[ACTIVE]], %amp, %[[Z]]
// CHECK: branch.return_deltas %{{.*}}, %{{.*}}, %mels : tensor<?x2x2xi64>, tensor<?x2x2xi64>, tensor<?x2xf64>
// HLO-LABEL: func.func @main(%x: tensor<?x3xi8>) -> (tensor<?x2x2xi32>, tensor<?x2x2xi8>, tensor<?x2xf64>)
builtin.module {
  branch.kernel @hop sites 3 states [0, 1, 2] dtype f64 params [] {
  ^bb0(%x: tensor<?x3xi8>):
    %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
    %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
    %j = branch.column %x {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
    %xi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %m1 = branch.constant %x {value = -1 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
    %p1 = branch.constant %x {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
    %down = branch.add %xi, %m1 : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
    %s1 = branch.write %s, %i, %down {checked} : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %xj = branch.state_read %s1, %j : !branch.state<2x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %up = branch.add %xj, %p1 : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
    %s2 = branch.write %s1, %j, %up {checked} : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %nj = branch.state_read %s2, %j : !branch.state<2x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %prod = branch.mul %xi, %nj : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
    %amp = branch.sqrt %prod : tensor<?x2xi64> -> tensor<?x2xf64>
    %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
    %xp, %mel = branch.emit %x, %s2, %amp, %t {term = "hop"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
    %xps = branch.concat %xp : tensor<?x2x3xi8> -> tensor<?x2x3xi8>
    %mels = branch.concat %mel : tensor<?x2xf64> -> tensor<?x2xf64>
    branch.return %xps, %mels : tensor<?x2x3xi8>, tensor<?x2xf64>
  }
}

// -----

// A select_state of histories of one and two writes (the second invalidated): the shorter
// is padded at its front with (i, x[i]), which changes nothing; entries are selected one by
// one (a site equal on both sides is kept), the validity is (p and true) or (not p and
// false). The later entry's site is known only at run time, so the first entry's final
// value compares the sites. A write at a site computed at run time (%k, already wrapped
// into [0, N)) is compared with the column j.
// CHECK-LABEL: branch.kernel @choice
// CHECK: %[[F:.*]] = branch.constant %x {value = false}
// CHECK-NEXT: %[[V0:.*]] = branch.select %p, %xi, %xj
// CHECK-NEXT: %[[S1:.*]] = branch.select %p, %i, %j
// CHECK-NEXT: %[[V1:.*]] = branch.select %p, %zero, %xi
// CHECK-NEXT: %[[NP:.*]] = branch.not %p
// CHECK-NEXT: %[[R:.*]] = branch.and %[[NP]], %[[F]]
// CHECK-NEXT: %[[VALID:.*]] = branch.or %p, %[[R]]
// CHECK: %[[SAME:.*]] = branch.cmp eq %i, %[[S1]]
// CHECK-NEXT: %[[FINAL0:.*]] = branch.select %[[SAME]], %[[V1]], %[[V0]]
// CHECK-NEXT: %[[OUT0:.*]] = branch.select %[[VALID]], %[[FINAL0]], %xi
// CHECK-NEXT: %[[XS1:.*]] = branch.read %x, %[[S1]]
// CHECK-NEXT: %[[OUT1:.*]] = branch.select %[[VALID]], %[[V1]], %[[XS1]]
// CHECK-NEXT: branch.stack %i, %[[S1]]
// CHECK-NEXT: branch.stack %[[OUT0]], %[[OUT1]]
// CHECK: %mel = branch.select %[[VALID]], %a, %{{.*}}
// CHECK-NEXT: %k = branch.wrap_mod %xi {low = 0 : i64, count = 3 : i64}
// CHECK-NEXT: %[[SAMEK:.*]] = branch.cmp eq %k, %j
// CHECK-NEXT: %[[FINALK:.*]] = branch.select %[[SAMEK]], %xi, %zero
// CHECK-NEXT: %[[XK:.*]] = branch.read %x, %k
// CHECK-NEXT: branch.select %p, %[[FINALK]], %[[XK]]
// CHECK: branch.stack %k, %j
// CHECK: branch.return_deltas %{{.*}}, %{{.*}}, %mels : tensor<?x4x2xi64>, tensor<?x4x2xi64>, tensor<?x4xf64>
builtin.module {
  branch.kernel @choice sites 3 states [-1, 0, 1] dtype f64 params [] {
  ^bb0(%x: tensor<?x3xi8>):
    %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
    %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
    %j = branch.column %x {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
    %xi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %xj = branch.read %x, %j : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %zero = branch.constant %x {value = 0 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
    %p = branch.cmp gt %xi, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
    %one = branch.write %s, %i, %zero : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %two_a = branch.write %s, %i, %xj : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %two = branch.write %two_a, %j, %xi : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %gone = branch.invalidate %two : !branch.state<2x3xi8> -> !branch.state<2x3xi8>
    %sel = branch.select_state %p, %one, %gone : tensor<?x2xi1>, !branch.state<2x3xi8>, !branch.state<2x3xi8> -> !branch.state<2x3xi8>
    %a = branch.constant %x {value = 0.5 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
    %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
    %xp, %mel = branch.emit %x, %sel, %a, %t {term = "choice"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
    %k = branch.wrap_mod %xi {low = 0 : i64, count = 3 : i64} : tensor<?x2xi64> -> tensor<?x2xi64>
    %r = branch.write %s, %k, %zero : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %r2 = branch.write %r, %j, %xi : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %rxp, %rmel = branch.emit %x, %r2, %a, %p {term = "runtime"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
    %xps = branch.concat %xp, %rxp : tensor<?x2x3xi8>, tensor<?x2x3xi8> -> tensor<?x4x3xi8>
    %mels = branch.concat %mel, %rmel : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x4xf64>
    branch.return %xps, %mels : tensor<?x4x3xi8>, tensor<?x4xf64>
  }
}

// -----

// The states carry the lowering branch-choose-lowering chose for the kernel's x' (the branch
// level a delta kernel starts from): the delta kernel builds no x', so the choice is dropped
// with the states; the deltas are @flip's, and the lowered kernel projects nothing.
// CHECK-LABEL: branch.kernel @flip_lowered
// CHECK-NOT: branch.state
// CHECK-NOT: lowering
// CHECK: %[[S:.*]] = branch.stack %i : tensor<?x2xi64> -> tensor<?x2x1xi64>
// CHECK-NEXT: %[[V:.*]] = branch.stack %v : tensor<?x2xi64> -> tensor<?x2x1xi64>
// CHECK: branch.return_deltas %{{.*}}, %{{.*}}, %mels : tensor<?x3x1xi64>, tensor<?x3x1xi64>, tensor<?x3xf64>
// DIFF-LABEL: branch.kernel @flip_lowered
// DIFF: branch.return_deltas %{{.*}}, %{{.*}}, %mels, %{{.*}} {wrt = ["h"]}
// HLO-LABEL: func.func @main(%x: tensor<?x2xi8>, %h: tensor<f64>) -> (tensor<?x3x1xi32>, tensor<?x3x1xi8>, tensor<?x3xf64>)
// HLO-NOT: stablehlo.clamp
// HLO: func.return %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3x1xi32>, tensor<?x3x1xi8>, tensor<?x3xf64>
builtin.module {
  branch.kernel @flip_lowered sites 2 states [-1, 1] dtype f64 params ["h"] {
  ^bb0(%x: tensor<?x2xi8>, %h: tensor<f64>):
    %s = branch.state %x {lowering = "projected"} : tensor<?x2xi8> -> !branch.state<2x2xi8>
    %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
    %xi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %v = branch.neg %xi : tensor<?x2xi64> -> tensor<?x2xi64>
    %w = branch.write %s, %i, %v : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
    %a = branch.splat %h, %x : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
    %t = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
    %xp, %mel = branch.emit %x, %w, %a, %t {term = "flip"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
    %d = branch.state %x {lowering = "merged"} : tensor<?x2xi8> -> !branch.state<1x2xi8>
    %one = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
    %t1 = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
    %dxp, %dmel = branch.emit %x, %d, %one, %t1 {term = "diagonal"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
    %xps = branch.concat %dxp, %xp : tensor<?x1x2xi8>, tensor<?x2x2xi8> -> tensor<?x3x2xi8>
    %mels = branch.concat %dmel, %mel : tensor<?x1xf64>, tensor<?x2xf64> -> tensor<?x3xf64>
    branch.return %xps, %mels : tensor<?x3x2xi8>, tensor<?x3xf64>
  }
}

// -----

// A select_state whose condition is the constant true, between a written state and an
// invalidated one: the branch is the written one, valid in every row (no validity or mask
// left: the amplitude is mels as it is).
// CHECK-LABEL: branch.kernel @select_true
// CHECK: %[[R:.*]] = branch.read %x, %i
// CHECK-NEXT: %[[V:.*]] = branch.select %t, %v, %[[R]]
// CHECK-NEXT: %a = branch.constant %x {value = 1.000000e+00 : f64}
// CHECK-NEXT: %[[S:.*]] = branch.stack %i
// CHECK-NEXT: %[[W:.*]] = branch.stack %[[V]]
// CHECK-NEXT: %mels = branch.concat %a
// CHECK: branch.return_deltas %{{.*}}, %{{.*}}, %mels
branch.kernel @select_true sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<1x2xi8>
  %i = branch.column %x {values = array<i64: 1>} : tensor<?x2xi8> -> tensor<?x1xi64>
  %v = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x1xi64>
  %w = branch.write %s, %i, %v : !branch.state<1x2xi8>, tensor<?x1xi64>, tensor<?x1xi64> -> !branch.state<1x2xi8>
  %inv = branch.invalidate %s : !branch.state<1x2xi8> -> !branch.state<1x2xi8>
  %t = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
  %sel = branch.select_state %t, %w, %inv : tensor<?x1xi1>, !branch.state<1x2xi8>, !branch.state<1x2xi8> -> !branch.state<1x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
  %xp, %mel = branch.emit %x, %sel, %a, %t {term = "t"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
  %xps = branch.concat %xp : tensor<?x1x2xi8> -> tensor<?x1x2xi8>
  %mels = branch.concat %mel : tensor<?x1xf64> -> tensor<?x1xf64>
  branch.return %xps, %mels : tensor<?x1x2xi8>, tensor<?x1xf64>
}

// -----

// Pauli strings' flips (branch.flip_sites, states [0, 1]): row 0 flips mask {0}, row 1
// mask {1, 2}, row 2 an index outside the table (no site). K = 2, the most sites of a
// row's mask: entry j is the j-th site of each row's mask as a column (row 0 repeats its
// first flip, the empty row 2 names site 0), its value a + b x there, a = s0 + s1 and b = -1
// where the row flips, a = 0 and b = 1 where it does not (x unchanged).
// CHECK-LABEL: branch.kernel @strings
// CHECK-NEXT: ^bb0(%x: tensor<?x3xi8>):
// CHECK-NEXT: %[[A:.*]] = branch.column %x {values = array<i64: 1, 1, 0>}
// CHECK-NEXT: %[[B:.*]] = branch.column %x {values = array<i64: -1, -1, 1>}
// CHECK-NEXT: %[[S0:.*]] = branch.column %x {values = array<i64: 0, 1, 0>}
// CHECK-NEXT: %[[X0:.*]] = branch.read %x, %[[S0]]
// CHECK-NEXT: %[[BX0:.*]] = branch.mul %[[B]], %[[X0]]
// CHECK-NEXT: %[[V0:.*]] = branch.add %[[A]], %[[BX0]]
// CHECK-NEXT: %[[S1:.*]] = branch.column %x {values = array<i64: 0, 2, 0>}
// CHECK-NEXT: %[[X1:.*]] = branch.read %x, %[[S1]]
// CHECK-NEXT: %[[BX1:.*]] = branch.mul %[[B]], %[[X1]]
// CHECK-NEXT: %[[V1:.*]] = branch.add %[[A]], %[[BX1]]
// The first entry's final value: the second where it names the same site.
// CHECK: %[[SAME:.*]] = branch.cmp eq %[[S0]], %[[S1]]
// CHECK-NEXT: %[[F0:.*]] = branch.select %[[SAME]], %[[V1]], %[[V0]]
// CHECK-NEXT: %[[SITES:.*]] = branch.stack %[[S0]], %[[S1]] : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3x2xi64>
// CHECK-NEXT: %[[VALUES:.*]] = branch.stack %[[F0]], %[[V1]]
// CHECK: branch.return_deltas %{{.*}}, %{{.*}}, %mels : tensor<?x3x2xi64>, tensor<?x3x2xi64>, tensor<?x3xf64>
// CHECK-NOT: branch.flip_sites
// HLO-LABEL: func.func @main(%x: tensor<?x3xi8>) -> (tensor<?x3x2xi32>, tensor<?x3x2xi8>, tensor<?x3xf64>)
builtin.module {
  branch.kernel @strings sites 3 states [0, 1] dtype f64 params [] {
  ^bb0(%x: tensor<?x3xi8>):
    %k = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
    %s = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
    %f = branch.flip_sites %s, %k {masks = array<i64: 1, 6>} : !branch.state<3x3xi8>, tensor<?x3xi64> -> !branch.state<3x3xi8>
    %a = branch.constant %x {value = 0.5 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
    %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
    %xp, %mel = branch.emit %x, %f, %a, %t {term = "strings"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
    %xps = branch.concat %xp : tensor<?x3x3xi8> -> tensor<?x3x3xi8>
    %mels = branch.concat %mel : tensor<?x3xf64> -> tensor<?x3xf64>
    branch.return %xps, %mels : tensor<?x3x3xi8>, tensor<?x3xf64>
  }
}

// -----

// A select_state of two arms that write the same two sites in opposite orders (a hop and
// its conjugate merged into one slot, branch-merge-exclusive-emissions): the columns %i and
// %j differ in every row, so the order of the writes changes nothing and the second arm's
// entries are taken in the first arm's order. The slot's sites are %i, %j whichever arm is
// active (no select of sites: they stay static); only the values are selected. The second
// emission's arms write %i and %k, which name one site in some row: kept entry by entry.
// CHECK-LABEL: branch.kernel @hop_both_ways
// CHECK-NOT: branch.select %p, %i, %j
// CHECK-NOT: branch.select %p, %j, %i
// CHECK: %[[V0:.*]] = branch.select %p, %one, %zero
// CHECK-NEXT: %[[V1:.*]] = branch.select %p, %zero, %one
// CHECK: branch.stack %i, %j : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2x2xi64>
// CHECK-NEXT: branch.stack %[[V0]], %[[V1]]
// CHECK: %[[K0:.*]] = branch.select %p, %i, %k
// CHECK: %[[K1:.*]] = branch.select %p, %k, %i
// CHECK: branch.stack %[[K0]], %[[K1]]
// CHECK: branch.return_deltas
// HLO-LABEL: func.func @main(%x: tensor<?x3xi8>) -> (tensor<?x4x2xi32>, tensor<?x4x2xi8>, tensor<?x4xf64>)
builtin.module {
  branch.kernel @hop_both_ways sites 3 states [0, 1] dtype f64 params [] {
  ^bb0(%x: tensor<?x3xi8>):
    %s = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
    %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
    %j = branch.column %x {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
    %k = branch.column %x {values = array<i64: 0, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
    %xi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %xj = branch.read %x, %j : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
    %zero = branch.constant %x {value = 0 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
    %one = branch.constant %x {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
    %p = branch.cmp gt %xj, %xi : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
    %fwd_i = branch.write %s, %i, %one : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %fwd = branch.write %fwd_i, %j, %zero : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %back_j = branch.write %s, %j, %one : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %back = branch.write %back_j, %i, %zero : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %hop = branch.select_state %p, %fwd, %back : tensor<?x2xi1>, !branch.state<2x3xi8>, !branch.state<2x3xi8> -> !branch.state<2x3xi8>
    %a = branch.constant %x {value = -1.0 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
    %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
    %xp, %mel = branch.emit %x, %hop, %a, %t {term = "hop"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
    %other_i = branch.write %s, %i, %xj : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %other = branch.write %other_i, %k, %xi : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %other_k = branch.write %s, %k, %xi : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %other_b = branch.write %other_k, %i, %xj : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
    %mixed = branch.select_state %p, %other, %other_b : tensor<?x2xi1>, !branch.state<2x3xi8>, !branch.state<2x3xi8> -> !branch.state<2x3xi8>
    %xq, %meq = branch.emit %x, %mixed, %a, %t {term = "mixed"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
    %xps = branch.concat %xp, %xq : tensor<?x2x3xi8>, tensor<?x2x3xi8> -> tensor<?x4x3xi8>
    %mels = branch.concat %mel, %meq : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x4xf64>
    branch.return %xps, %mels : tensor<?x4x3xi8>, tensor<?x4xf64>
  }
}
