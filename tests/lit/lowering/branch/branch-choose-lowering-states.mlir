// branch-choose-lowering: how the rows of each branch.state are lowered
// (docs/cost-model.md), shown as `{lowering = ...}` on the state (`concat`, the default,
// carries none). On a CPU the loop that builds x' stays a (vector) loop only if N times
// its body reaches LLVM's full-unroll threshold (XLA runs no SLP vectorizer; the cost
// model's `loop_body`): with one write per row `merged` from 50 sites, `projected` for
// spins from 16, else `concat`; two writes per row make the body heavier (`merged` from
// 34 sites). On a GPU, `concat`. Options force a choice: `projected` only where the
// local states are evenly spaced (else `merged`). The pass is idempotent.
//
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu},branch-choose-lowering{target=cpu}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=gpu}' | filecheck %s --check-prefix=GPU
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu states=merged}' | filecheck %s --check-prefix=MERGED
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu states=projected}' | filecheck %s --check-prefix=PROJECTED
// RUN: symir-opt %s --split-input-file -p 'branch-choose-lowering{target=cpu},branch-choose-lowering{target=cpu states=concat}' | filecheck %s --check-prefix=CONCAT
// RUN: not symir-opt %s --split-input-file -p 'branch-choose-lowering{states=bogus}' 2>&1 | filecheck %s --check-prefix=BAD

// BAD: ValueError: branch-choose-lowering states must be one of ('auto', 'concat', 'merged', 'projected'), got 'bogus'

// Spins on 16 sites: projected on a CPU.
// CHECK-LABEL: branch.kernel @spins16
// CHECK: branch.state %x {lowering = "projected"} : tensor<?x16xi8> -> !branch.state<16x16xi8>
// GPU-LABEL: branch.kernel @spins16
// GPU: branch.state %x : tensor<?x16xi8> -> !branch.state<16x16xi8>
// MERGED-LABEL: branch.kernel @spins16
// MERGED: branch.state %x {lowering = "merged"} : tensor<?x16xi8>
// PROJECTED-LABEL: branch.kernel @spins16
// PROJECTED: branch.state %x {lowering = "projected"} : tensor<?x16xi8>
// CONCAT-LABEL: branch.kernel @spins16
// CONCAT: branch.state %x : tensor<?x16xi8> -> !branch.state<16x16xi8>

branch.kernel @spins16 sites 16 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x16xi8>):
  %s = branch.state %x : tensor<?x16xi8> -> !branch.state<16x16xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15>} : tensor<?x16xi8> -> tensor<?x16xi64>
  %xi = branch.read %x, %i : tensor<?x16xi8>, tensor<?x16xi64> -> tensor<?x16xi64>
  %v = branch.neg %xi : tensor<?x16xi64> -> tensor<?x16xi64>
  %s1 = branch.write %s, %i, %v : !branch.state<16x16xi8>, tensor<?x16xi64>, tensor<?x16xi64> -> !branch.state<16x16xi8>
  %m = branch.constant %x {value = -1.0 : f64} : tensor<?x16xi8> -> tensor<?x16xf64>
  %t = branch.constant %x {value = true} : tensor<?x16xi8> -> tensor<?x16xi1>
  %xp, %mel = branch.emit %x, %s1, %m, %t {term = "flip"} : tensor<?x16xi8>, !branch.state<16x16xi8>, tensor<?x16xf64>, tensor<?x16xi1> -> tensor<?x16x16xi8>, tensor<?x16xf64>
  branch.return %xp, %mel : tensor<?x16x16xi8>, tensor<?x16xf64>
}

// -----

// Spins on 12 sites: a scalar loop either way on a CPU, concat.
// CHECK-LABEL: branch.kernel @spins12
// CHECK: branch.state %x : tensor<?x12xi8> -> !branch.state<12x12xi8>
// PROJECTED-LABEL: branch.kernel @spins12
// PROJECTED: branch.state %x {lowering = "projected"} : tensor<?x12xi8>

branch.kernel @spins12 sites 12 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x12xi8>):
  %s = branch.state %x : tensor<?x12xi8> -> !branch.state<12x12xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11>} : tensor<?x12xi8> -> tensor<?x12xi64>
  %xi = branch.read %x, %i : tensor<?x12xi8>, tensor<?x12xi64> -> tensor<?x12xi64>
  %v = branch.neg %xi : tensor<?x12xi64> -> tensor<?x12xi64>
  %s1 = branch.write %s, %i, %v : !branch.state<12x12xi8>, tensor<?x12xi64>, tensor<?x12xi64> -> !branch.state<12x12xi8>
  %m = branch.constant %x {value = -1.0 : f64} : tensor<?x12xi8> -> tensor<?x12xf64>
  %t = branch.constant %x {value = true} : tensor<?x12xi8> -> tensor<?x12xi1>
  %xp, %mel = branch.emit %x, %s1, %m, %t {term = "flip"} : tensor<?x12xi8>, !branch.state<12x12xi8>, tensor<?x12xf64>, tensor<?x12xi1> -> tensor<?x12x12xi8>, tensor<?x12xf64>
  branch.return %xp, %mel : tensor<?x12x12xi8>, tensor<?x12xf64>
}

// -----

// Spins on 56 sites: the plain loop is a vector loop on a CPU, merged.
// CHECK-LABEL: branch.kernel @spins56
// CHECK: branch.state %x {lowering = "merged"} : tensor<?x56xi8> -> !branch.state<56x56xi8>
// GPU-LABEL: branch.kernel @spins56
// GPU: branch.state %x : tensor<?x56xi8> -> !branch.state<56x56xi8>

branch.kernel @spins56 sites 56 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x56xi8>):
  %s = branch.state %x : tensor<?x56xi8> -> !branch.state<56x56xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55>} : tensor<?x56xi8> -> tensor<?x56xi64>
  %xi = branch.read %x, %i : tensor<?x56xi8>, tensor<?x56xi64> -> tensor<?x56xi64>
  %v = branch.neg %xi : tensor<?x56xi64> -> tensor<?x56xi64>
  %s1 = branch.write %s, %i, %v : !branch.state<56x56xi8>, tensor<?x56xi64>, tensor<?x56xi64> -> !branch.state<56x56xi8>
  %m = branch.constant %x {value = -1.0 : f64} : tensor<?x56xi8> -> tensor<?x56xf64>
  %t = branch.constant %x {value = true} : tensor<?x56xi8> -> tensor<?x56xi1>
  %xp, %mel = branch.emit %x, %s1, %m, %t {term = "flip"} : tensor<?x56xi8>, !branch.state<56x56xi8>, tensor<?x56xf64>, tensor<?x56xi1> -> tensor<?x56x56xi8>, tensor<?x56xf64>
  branch.return %xp, %mel : tensor<?x56x56xi8>, tensor<?x56xf64>
}

// -----

// Bosons (local states 0..3, step 1) on 24 sites, one write per row: the projection
// would only clamp, not enough for LLVM: concat on a CPU. Forced projected: allowed
// (evenly spaced).
// CHECK-LABEL: branch.kernel @bosons24
// CHECK: branch.state %x : tensor<?x24xi8> -> !branch.state<24x24xi8>
// PROJECTED-LABEL: branch.kernel @bosons24
// PROJECTED: branch.state %x {lowering = "projected"} : tensor<?x24xi8>

branch.kernel @bosons24 sites 24 states [0, 1, 2, 3] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x24xi8>):
  %s = branch.state %x : tensor<?x24xi8> -> !branch.state<24x24xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23>} : tensor<?x24xi8> -> tensor<?x24xi64>
  %xi = branch.read %x, %i : tensor<?x24xi8>, tensor<?x24xi64> -> tensor<?x24xi64>
  %v = branch.neg %xi : tensor<?x24xi64> -> tensor<?x24xi64>
  %s1 = branch.write %s, %i, %v : !branch.state<24x24xi8>, tensor<?x24xi64>, tensor<?x24xi64> -> !branch.state<24x24xi8>
  %m = branch.constant %x {value = -1.0 : f64} : tensor<?x24xi8> -> tensor<?x24xf64>
  %t = branch.constant %x {value = true} : tensor<?x24xi8> -> tensor<?x24xi1>
  %xp, %mel = branch.emit %x, %s1, %m, %t {term = "flip"} : tensor<?x24xi8>, !branch.state<24x24xi8>, tensor<?x24xf64>, tensor<?x24xi1> -> tensor<?x24x24xi8>, tensor<?x24xf64>
  branch.return %xp, %mel : tensor<?x24x24xi8>, tensor<?x24xf64>
}

// -----

// Local states not evenly spaced: no projection, even forced (merged instead).
// CHECK-LABEL: branch.kernel @uneven20
// CHECK: branch.state %x : tensor<?x20xi8> -> !branch.state<20x20xi8>
// PROJECTED-LABEL: branch.kernel @uneven20
// PROJECTED: branch.state %x {lowering = "merged"} : tensor<?x20xi8>

branch.kernel @uneven20 sites 20 states [-3, -1, 2] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x20xi8>):
  %s = branch.state %x : tensor<?x20xi8> -> !branch.state<20x20xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19>} : tensor<?x20xi8> -> tensor<?x20xi64>
  %xi = branch.read %x, %i : tensor<?x20xi8>, tensor<?x20xi64> -> tensor<?x20xi64>
  %v = branch.neg %xi : tensor<?x20xi64> -> tensor<?x20xi64>
  %s1 = branch.write %s, %i, %v : !branch.state<20x20xi8>, tensor<?x20xi64>, tensor<?x20xi64> -> !branch.state<20x20xi8>
  %m = branch.constant %x {value = -1.0 : f64} : tensor<?x20xi8> -> tensor<?x20xf64>
  %t = branch.constant %x {value = true} : tensor<?x20xi8> -> tensor<?x20xi1>
  %xp, %mel = branch.emit %x, %s1, %m, %t {term = "flip"} : tensor<?x20xi8>, !branch.state<20x20xi8>, tensor<?x20xf64>, tensor<?x20xi1> -> tensor<?x20x20xi8>, tensor<?x20xf64>
  branch.return %xp, %mel : tensor<?x20x20xi8>, tensor<?x20xf64>
}

// -----

// Two writes per row (a swap) on 36 spins: merged on a CPU.
// CHECK-LABEL: branch.kernel @swaps36
// CHECK: branch.state %x {lowering = "merged"} : tensor<?x36xi8> -> !branch.state<36x36xi8>
// GPU-LABEL: branch.kernel @swaps36
// GPU: branch.state %x : tensor<?x36xi8> -> !branch.state<36x36xi8>
branch.kernel @swaps36 sites 36 states [-1, 1] dtype f64 params [] hermitian {
^bb0(%x: tensor<?x36xi8>):
  %s = branch.state %x : tensor<?x36xi8> -> !branch.state<36x36xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35>} : tensor<?x36xi8> -> tensor<?x36xi64>
  %j = branch.column %x {values = array<i64: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 0>} : tensor<?x36xi8> -> tensor<?x36xi64>
  %xi = branch.read %x, %i : tensor<?x36xi8>, tensor<?x36xi64> -> tensor<?x36xi64>
  %xj = branch.read %x, %j : tensor<?x36xi8>, tensor<?x36xi64> -> tensor<?x36xi64>
  %s1 = branch.write %s, %i, %xj : !branch.state<36x36xi8>, tensor<?x36xi64>, tensor<?x36xi64> -> !branch.state<36x36xi8>
  %s2 = branch.write %s1, %j, %xi : !branch.state<36x36xi8>, tensor<?x36xi64>, tensor<?x36xi64> -> !branch.state<36x36xi8>
  %m = branch.constant %x {value = 0.5 : f64} : tensor<?x36xi8> -> tensor<?x36xf64>
  %t = branch.constant %x {value = true} : tensor<?x36xi8> -> tensor<?x36xi1>
  %xp, %mel = branch.emit %x, %s2, %m, %t {term = "swap"} : tensor<?x36xi8>, !branch.state<36x36xi8>, tensor<?x36xf64>, tensor<?x36xi1> -> tensor<?x36x36xi8>, tensor<?x36xf64>
  branch.return %xp, %mel : tensor<?x36x36xi8>, tensor<?x36xf64>
}
