// branch-fuse-equal-states: branches (an emission and a row) whose connected states are
// provably equal share one slot, amplitude sum(select(mask_k, amp_k, 0)), mask or(mask_k).
// The proof is structural: each row's update program evaluated with the row's sites (what
// is written where); rows of different emissions align through re-indexed columns. The
// report is the module attribute branch.fusion: what merged, and every decision (each
// pair of emissions with rows writing the same sites: merged, or apart and why, as row
// pairs per reason). The second RUN line applies the pass twice: it is idempotent (and
// keeps the report of the run that merged). The FORCED lines replay or force merge
// groups (option groups): exactly those merge; an unsound group is refused.
//
// RUN: symir-opt %s --split-input-file -p branch-fuse-equal-states | filecheck %s
// RUN: symir-opt %s --split-input-file -p branch-fuse-equal-states,branch-fuse-equal-states | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'branch-fuse-equal-states{merge_diagonal=false}' | filecheck %s --check-prefix=NODIAG

// Heisenberg's xx and yy terms on one bond list: both flip sites i and j (yy in the other
// order); one slot per bond, amplitude xx + select(mask_yy, yy, 0), mask or(true, m) = true.
// The report names the merged emissions; F goes from 6 to 3.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {equal = {fanout = [6 : i64, 3 : i64], bytes_per_sample = [66 : i64, 33 : i64], merged = [{emissions = ["xx", "yy"], terms = ["xx", "yy"], rows = 3 : i64}], decisions = [{emissions = ["xx", "yy"], decision = "merged", rows = {merged = 3 : i64}}]}}}
// CHECK: %[[TRUE:.*]] = branch.constant %x {value = true}
// CHECK: %[[F0:.*]] = branch.write %w0, %j0, %nj0
// CHECK: %[[A0:.*]] = branch.constant %x {value = 1.000000e+00 : f64}
// CHECK: %[[A1:.*]] = branch.neg %p1
// CHECK-NEXT: %[[M1:.*]] = branch.cmp ne %vi1, %vj1
// CHECK-NEXT: %[[ZERO:.*]] = branch.constant %x {value = 0 : i64}
// CHECK-NEXT: %[[SEL:.*]] = branch.select %[[M1]], %[[A1]], %[[ZERO]]
// CHECK-NEXT: %[[AMP:.*]] = branch.add %[[A0]], %[[SEL]]
// CHECK-NEXT: %[[XP:.*]], %[[MEL:.*]] = branch.emit %x, %[[F0]], %[[AMP]], %[[TRUE]] {term = "xx"} : {{.*}} -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: branch.concat %[[XP]] : tensor<?x3x3xi8> -> tensor<?x3x3xi8>
// CHECK-NOT: branch.emit
branch.kernel @equal sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %true = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %i0 = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %j0 = branch.column %x {values = array<i64: 1, 2, 0>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vi0 = branch.read %x, %i0 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %ni0 = branch.neg %vi0 : tensor<?x3xi64> -> tensor<?x3xi64>
  %w0 = branch.write %s, %i0, %ni0 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %vj0 = branch.read %x, %j0 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %nj0 = branch.neg %vj0 : tensor<?x3xi64> -> tensor<?x3xi64>
  %f0 = branch.write %w0, %j0, %nj0 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %a0 = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %xp0, %mel0 = branch.emit %x, %f0, %a0, %true {term = "xx"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %i1 = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %j1 = branch.column %x {values = array<i64: 1, 2, 0>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vj1 = branch.read %x, %j1 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %nj1 = branch.neg %vj1 : tensor<?x3xi64> -> tensor<?x3xi64>
  %w1 = branch.write %s, %j1, %nj1 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %vi1 = branch.read %x, %i1 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %ni1 = branch.neg %vi1 : tensor<?x3xi64> -> tensor<?x3xi64>
  %f1 = branch.write %w1, %i1, %ni1 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %p1 = branch.mul %vi1, %vj1 : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %a1 = branch.neg %p1 : tensor<?x3xi64> -> tensor<?x3xi64>
  %m1 = branch.cmp ne %vi1, %vj1 : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
  %xp1, %mel1 = branch.emit %x, %f1, %a1, %m1 {term = "yy"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xp = branch.concat %xp0, %xp1 : tensor<?x3x3xi8>, tensor<?x3x3xi8> -> tensor<?x6x3xi8>
  %mel = branch.concat %mel0, %mel1 : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x6xf64>
  branch.return %xp, %mel : tensor<?x6x3xi8>, tensor<?x6xf64>
}

// -----

// Different sites are never merged: a flip of i, a flip of i and j, a copy of x[j] to i.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {apart = {fanout = [9 : i64, 9 : i64], bytes_per_sample = [99 : i64, 99 : i64], merged = [], decisions = [{emissions = ["x", "copy"], decision = "apart", rows = {different_written_values = 3 : i64}}]}}}
// CHECK: %xp0, %mel0 = branch.emit %x, %f0, %a, %true {term = "x"}
// CHECK: %xp1, %mel1 = branch.emit %x, %f1, %a, %true {term = "xx"}
// CHECK: %xp2, %mel2 = branch.emit %x, %w, %a, %true {term = "copy"}
// CHECK: branch.concat %xp0, %xp1, %xp2 :
branch.kernel @apart sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %true = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %j = branch.column %x {values = array<i64: 1, 2, 0>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %vj = branch.read %x, %j : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %ni = branch.neg %vi : tensor<?x3xi64> -> tensor<?x3xi64>
  %nj = branch.neg %vj : tensor<?x3xi64> -> tensor<?x3xi64>
  %f0 = branch.write %s, %i, %ni : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp0, %mel0 = branch.emit %x, %f0, %a, %true {term = "x"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %f1 = branch.write %f0, %j, %nj : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp1, %mel1 = branch.emit %x, %f1, %a, %true {term = "xx"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %w = branch.write %s, %i, %vj : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp2, %mel2 = branch.emit %x, %w, %a, %true {term = "copy"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xp = branch.concat %xp0, %xp1, %xp2 : tensor<?x3x3xi8>, tensor<?x3x3xi8>, tensor<?x3x3xi8> -> tensor<?x9x3xi8>
  %mel = branch.concat %mel0, %mel1, %mel2 : tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x9xf64>
  branch.return %xp, %mel : tensor<?x9x3xi8>, tensor<?x9xf64>
}

// -----

// Row tables that match up to a permutation: the second term lists the bonds reversed,
// (j, i), in another order. Its row r swaps the sites of row 2 - r of the first term, so
// its amplitude and mask are recomputed on re-indexed columns ([0, 2, 1] -> [1, 2, 0],
// [2, 1, 0] -> [0, 1, 2]) and the rows align.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {permuted = {fanout = [6 : i64, 3 : i64], bytes_per_sample = [66 : i64, 33 : i64], merged = [{emissions = ["swap", "swap_reversed"], terms = ["swap", "swap_reversed"], rows = 3 : i64}], decisions = [{emissions = ["swap", "swap_reversed"], decision = "merged", rows = {merged = 3 : i64}}]}}}
// CHECK: %[[F0:.*]] = branch.write %w0, %j0, %vi0
// CHECK: %[[A0:.*]] = branch.constant %x {value = 1.000000e+00 : f64}
// CHECK-NEXT: %[[I1:.*]] = branch.column %x {values = array<i64: 1, 2, 0>}
// CHECK-NEXT: %[[J1:.*]] = branch.column %x {values = array<i64: 0, 1, 2>}
// CHECK-NEXT: %[[VI1:.*]] = branch.read %x, %[[I1]]
// CHECK-NEXT: %[[VJ1:.*]] = branch.read %x, %[[J1]]
// CHECK-NEXT: %[[M1:.*]] = branch.cmp ne %[[VI1]], %[[VJ1]]
// CHECK-NEXT: %[[ZERO:.*]] = branch.constant %x {value = 0 : i64}
// CHECK-NEXT: %[[SEL:.*]] = branch.select %[[M1]], %[[I1]], %[[ZERO]]
// CHECK-NEXT: %[[AMP:.*]] = branch.add %[[A0]], %[[SEL]]
// CHECK-NEXT: branch.emit %x, %[[F0]], %[[AMP]], %true {term = "swap"} : {{.*}} -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NOT: branch.emit
branch.kernel @permuted sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %true = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %i0 = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %j0 = branch.column %x {values = array<i64: 1, 2, 0>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vi0 = branch.read %x, %i0 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %vj0 = branch.read %x, %j0 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %w0 = branch.write %s, %i0, %vj0 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %f0 = branch.write %w0, %j0, %vi0 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %a0 = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %xp0, %mel0 = branch.emit %x, %f0, %a0, %true {term = "swap"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %i1 = branch.column %x {values = array<i64: 0, 2, 1>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %j1 = branch.column %x {values = array<i64: 2, 1, 0>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vi1 = branch.read %x, %i1 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %vj1 = branch.read %x, %j1 : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %w1 = branch.write %s, %i1, %vj1 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %f1 = branch.write %w1, %j1, %vi1 : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %m1 = branch.cmp ne %vi1, %vj1 : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
  %xp1, %mel1 = branch.emit %x, %f1, %i1, %m1 {term = "swap_reversed"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xp = branch.concat %xp0, %xp1 : tensor<?x3x3xi8>, tensor<?x3x3xi8> -> tensor<?x6x3xi8>
  %mel = branch.concat %mel0, %mel1 : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x6xf64>
  branch.return %xp, %mel : tensor<?x6x3xi8>, tensor<?x6xf64>
}

// -----

// Ordered pairs (for_each_distinct_pair): (i, j) and (j, i) swap the same two sites. The
// six rows of one emission become three slots with two layers, rows [0, 1, 3] and
// [2, 4, 5], each on re-indexed columns: the second layer's columns are the first's, i
// and j exchanged, so its copies are the first's ops (a copy that computes what an
// earlier one computes is that one) and only its mask is new; both masks are selected
// and or-ed.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {pairs = {fanout = [6 : i64, 3 : i64], bytes_per_sample = [66 : i64, 33 : i64], merged = [{emissions = ["exchange", "exchange"], terms = ["exchange"], rows = 3 : i64}], decisions = []}}}
// CHECK: %[[I:.*]] = branch.column %x {values = array<i64: 0, 0, 1>}
// CHECK-NEXT: %[[J:.*]] = branch.column %x {values = array<i64: 1, 2, 2>}
// CHECK-NEXT: %[[VI:.*]] = branch.read %x, %[[I]]
// CHECK-NEXT: %[[VJ:.*]] = branch.read %x, %[[J]]
// CHECK: %[[F:.*]] = branch.write %{{.*}}, %[[J]], %[[VI]] : !branch.state<3x3xi8>
// CHECK-NEXT: %[[M:.*]] = branch.cmp ne %[[VI]], %[[VJ]]
// CHECK-NEXT: %[[M2:.*]] = branch.cmp ne %[[VJ]], %[[VI]]
// CHECK-NEXT: %[[ZERO:.*]] = branch.constant %x {value = 0 : i64}
// CHECK-NEXT: %[[S1:.*]] = branch.select %[[M]], %[[I]], %[[ZERO]]
// CHECK-NEXT: %[[S2:.*]] = branch.select %[[M2]], %[[J]], %[[ZERO]]
// CHECK-NEXT: %[[AMP:.*]] = branch.add %[[S1]], %[[S2]]
// CHECK-NEXT: %[[MASK:.*]] = branch.or %[[M]], %[[M2]]
// CHECK-NEXT: branch.emit %x, %[[F]], %[[AMP]], %[[MASK]] {term = "exchange"} : {{.*}} -> tensor<?x3x3xi8>, tensor<?x3xf64>
branch.kernel @pairs sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<6x3xi8>
  %i = branch.column %x {values = array<i64: 0, 0, 1, 1, 2, 2>} : tensor<?x3xi8> -> tensor<?x6xi64>
  %j = branch.column %x {values = array<i64: 1, 2, 0, 2, 0, 1>} : tensor<?x3xi8> -> tensor<?x6xi64>
  %vi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %vj = branch.read %x, %j : tensor<?x3xi8>, tensor<?x6xi64> -> tensor<?x6xi64>
  %w = branch.write %s, %i, %vj : !branch.state<6x3xi8>, tensor<?x6xi64>, tensor<?x6xi64> -> !branch.state<6x3xi8>
  %f = branch.write %w, %j, %vi : !branch.state<6x3xi8>, tensor<?x6xi64>, tensor<?x6xi64> -> !branch.state<6x3xi8>
  %m = branch.cmp ne %vi, %vj : tensor<?x6xi64>, tensor<?x6xi64> -> tensor<?x6xi1>
  %xp0, %mel0 = branch.emit %x, %f, %i, %m {term = "exchange"} : tensor<?x3xi8>, !branch.state<6x3xi8>, tensor<?x6xi64>, tensor<?x6xi1> -> tensor<?x6x3xi8>, tensor<?x6xf64>
  %xp = branch.concat %xp0 : tensor<?x6x3xi8> -> tensor<?x6x3xi8>
  %mel = branch.concat %mel0 : tensor<?x6xf64> -> tensor<?x6xf64>
  branch.return %xp, %mel : tensor<?x6x3xi8>, tensor<?x6xf64>
}

// -----

// A tag is a request to keep branches apart: the two emissions tagged "a" merge (and
// keep the tag), the one tagged "b" and the untagged one keep their slots.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {tags = {fanout = [8 : i64, 6 : i64], bytes_per_sample = [80 : i64, 60 : i64], merged = [{emissions = ["t#0", "u#0"], terms = ["t", "u"], rows = 2 : i64}], decisions = [{emissions = ["t#0", "t#1"], decision = "apart", rows = {different_tags = 2 : i64}}, {emissions = ["t#0", "u#0"], decision = "merged", rows = {merged = 2 : i64}}, {emissions = ["t#0", "u#1"], decision = "apart", rows = {different_tags = 2 : i64}}, {emissions = ["t#1", "u#0"], decision = "apart", rows = {different_tags = 2 : i64}}, {emissions = ["t#1", "u#1"], decision = "apart", rows = {different_tags = 2 : i64}}, {emissions = ["u#0", "u#1"], decision = "apart", rows = {different_tags = 2 : i64}}]}}}
// CHECK: %xp1, %mel1 = branch.emit %x, %f, %a, %true {term = "t", tag = "b"}
// CHECK-NEXT: %xp3, %mel3 = branch.emit %x, %f, %b, %true {term = "u"}
// CHECK-NEXT: %[[AMP:.*]] = branch.add %a, %b
// CHECK-NEXT: %[[XP:.*]], %{{.*}} = branch.emit %x, %f, %[[AMP]], %true {term = "t", tag = "a"}
// CHECK-NEXT: branch.concat %[[XP]], %xp1, %xp3 :
branch.kernel @tags sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %true = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
  %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %vi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %ni = branch.neg %vi : tensor<?x2xi64> -> tensor<?x2xi64>
  %f = branch.write %s, %i, %ni : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %b = branch.constant %x {value = 2.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %f, %a, %true {term = "t", tag = "a"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %f, %a, %true {term = "t", tag = "b"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %f, %b, %true {term = "u", tag = "a"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp3, %mel3 = branch.emit %x, %f, %b, %true {term = "u"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x8x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x8xf64>
  branch.return %xp, %mel : tensor<?x8x2xi8>, tensor<?x8xf64>
}

// -----

// A select_state of two equal states is that state (it merges with the plain flip); a
// select_state of different states (flip or identity) is not equal to either.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {conditional = {fanout = [6 : i64, 4 : i64], bytes_per_sample = [60 : i64, 40 : i64], merged = [{emissions = ["flip", "both_arms_flip"], terms = ["flip", "both_arms_flip"], rows = 2 : i64}], decisions = [{emissions = ["flip", "both_arms_flip"], decision = "merged", rows = {merged = 2 : i64}}]}}}
// CHECK: %xp2, %mel2 = branch.emit %x, %maybe, %a, %true {term = "flip_if"}
// CHECK-NEXT: %[[AMP:.*]] = branch.add %a, %a
// CHECK-NEXT: %[[XP:.*]], %{{.*}} = branch.emit %x, %f, %[[AMP]], %true {term = "flip"}
// CHECK-NEXT: branch.concat %[[XP]], %xp2 :
branch.kernel @conditional sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %true = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %vi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %ni = branch.neg %vi : tensor<?x2xi64> -> tensor<?x2xi64>
  %p = branch.cmp lt %vi, %ni : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %f = branch.write %s, %i, %ni : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %xp0, %mel0 = branch.emit %x, %f, %a, %true {term = "flip"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %same = branch.select_state %p, %f, %f : tensor<?x2xi1>, !branch.state<2x2xi8>, !branch.state<2x2xi8> -> !branch.state<2x2xi8>
  %xp1, %mel1 = branch.emit %x, %same, %a, %true {term = "both_arms_flip"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %maybe = branch.select_state %p, %f, %s : tensor<?x2xi1>, !branch.state<2x2xi8>, !branch.state<2x2xi8> -> !branch.state<2x2xi8>
  %xp2, %mel2 = branch.emit %x, %maybe, %a, %true {term = "flip_if"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x6x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x6xf64>
  branch.return %xp, %mel : tensor<?x6x2xi8>, tensor<?x6xf64>
}

// -----

// Invalidated branches are all equal (padding whatever was written before): the five
// rows of two terms become one slot, each term's rows summed (branch.sum_rows) instead of
// one copy per row. Checked writes of equal values (x + 1 and 1 + x: commutative
// operands are ordered) merge: equal final states are equally valid.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {invalid = {fanout = [11 : i64, 4 : i64], bytes_per_sample = [121 : i64, 44 : i64], merged = [{emissions = ["dropped", "dropped", "dropped_after_a_write", "dropped_after_a_write", "dropped_after_a_write"], terms = ["dropped", "dropped_after_a_write"], rows = 1 : i64}, {emissions = ["raise", "raise_again"], terms = ["raise", "raise_again"], rows = 3 : i64}], decisions = [{emissions = ["dropped", "dropped_after_a_write"], decision = "merged", rows = {merged = 6 : i64}}, {emissions = ["raise", "raise_again"], decision = "merged", rows = {merged = 3 : i64}}]}}}
// CHECK: %[[W3:.*]] = branch.write %s3, %i, %up {checked}
// CHECK-NEXT: %[[S:.*]] = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
// CHECK-NEXT: %[[D:.*]] = branch.invalidate %[[S]] : !branch.state<1x3xi8> -> !branch.state<1x3xi8>
// CHECK-NEXT: %[[SUM2:.*]] = branch.sum_rows %a2 : tensor<?x2xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[TRUE:.*]] = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
// CHECK-NEXT: %[[SUM3:.*]] = branch.sum_rows %a3 : tensor<?x3xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[AMP:.*]] = branch.add %[[SUM2]], %[[SUM3]]
// CHECK-NEXT: %[[XP:.*]], %{{.*}} = branch.emit %x, %[[D]], %[[AMP]], %[[TRUE]] {term = "dropped"} : {{.*}} -> tensor<?x1x3xi8>, tensor<?x1xf64>
// CHECK-NEXT: %[[AMP2:.*]] = branch.add %a3, %a3
// CHECK-NEXT: %[[XP2:.*]], %{{.*}} = branch.emit %x, %[[W3]], %[[AMP2]], %true3 {term = "raise"}
// CHECK-NEXT: branch.concat %[[XP]], %[[XP2]] : tensor<?x1x3xi8>, tensor<?x3x3xi8> -> tensor<?x4x3xi8>
branch.kernel @invalid sites 3 states [0, 1, 2] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %true2 = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
  %a2 = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
  %s2 = branch.state %x : tensor<?x3xi8> -> !branch.state<2x3xi8>
  %d2 = branch.invalidate %s2 : !branch.state<2x3xi8> -> !branch.state<2x3xi8>
  %xp0, %mel0 = branch.emit %x, %d2, %a2, %true2 {term = "dropped"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
  %true3 = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %a3 = branch.constant %x {value = 2.0 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %s3 = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
  %up = branch.add %vi, %one : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %w3 = branch.write %s3, %i, %up {checked} : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %d3 = branch.invalidate %w3 : !branch.state<3x3xi8> -> !branch.state<3x3xi8>
  %xp1, %mel1 = branch.emit %x, %d3, %a3, %true3 {term = "dropped_after_a_write"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xp2, %mel2 = branch.emit %x, %w3, %a3, %true3 {term = "raise"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %up2 = branch.add %one, %vi : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
  %w4 = branch.write %s3, %i, %up2 {checked} : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp3, %mel3 = branch.emit %x, %w4, %a3, %true3 {term = "raise_again"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3 : tensor<?x2x3xi8>, tensor<?x3x3xi8>, tensor<?x3x3xi8>, tensor<?x3x3xi8> -> tensor<?x11x3xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3 : tensor<?x2xf64>, tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x11xf64>
  branch.return %xp, %mel : tensor<?x11x3xi8>, tensor<?x11xf64>
}

// -----

// A state that is provably x (x[i] written back to i) merges with the coalesced diagonal
// slot; with merge_diagonal=false (the default lowering's coalesce_diagonal=false) it is
// left alone.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {diagonal = {fanout = [4 : i64, 1 : i64], bytes_per_sample = [44 : i64, 11 : i64], merged = [{emissions = ["diagonal", "written_back", "written_back", "written_back"], terms = ["z", "written_back"], rows = 1 : i64}], decisions = [{emissions = ["diagonal", "written_back"], decision = "merged", rows = {merged = 3 : i64}}]}}}
// CHECK: %[[SUM:.*]] = branch.sum_rows %zmel
// CHECK: %[[ROWS:.*]] = branch.sum_rows %a : tensor<?x3xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[AMP:.*]] = branch.add %[[SUM]], %[[ROWS]]
// CHECK-NEXT: %[[XP:.*]], %{{.*}} = branch.emit %x, %s1, %[[AMP]], %true1 {term = "diagonal"}
// CHECK-NEXT: branch.concat %[[XP]] : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
// NODIAG-LABEL: builtin.module attributes {branch.fusion = {diagonal = {fanout = [4 : i64, 4 : i64], bytes_per_sample = [44 : i64, 44 : i64], merged = [], decisions = [{emissions = ["diagonal", "written_back"], decision = "apart", rows = {diagonal_kept_apart = 3 : i64}}]}}}
// NODIAG: branch.concat %xp0, %xp1 : tensor<?x1x3xi8>, tensor<?x3x3xi8> -> tensor<?x4x3xi8>
branch.kernel @diagonal sites 3 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %true = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %zxp, %zmel = branch.emit %x, %s, %vi, %true {term = "z"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %sum = branch.sum_rows %zmel : tensor<?x3xf64> -> tensor<?x1xf64>
  %s1 = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
  %true1 = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
  %xp0, %mel0 = branch.emit %x, %s1, %sum, %true1 {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
  %same = branch.write %s, %i, %vi : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %a = branch.constant %x {value = 0.5 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %xp1, %mel1 = branch.emit %x, %same, %a, %true {term = "written_back"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xp = branch.concat %xp0, %xp1 : tensor<?x1x3xi8>, tensor<?x3x3xi8> -> tensor<?x4x3xi8>
  %mel = branch.concat %mel0, %mel1 : tensor<?x1xf64>, tensor<?x3xf64> -> tensor<?x4xf64>
  branch.return %xp, %mel : tensor<?x4x3xi8>, tensor<?x4xf64>
}

// -----

// Writes at sites known only at run time (x[i] used as a site) stay in sequence: equal
// sequences merge (a, b: after value numbering, as after CSE), a different order does
// not (c writes the dynamic site first, d last).
// CHECK-LABEL: builtin.module attributes {branch.fusion = {dynamic_sites = {fanout = [12 : i64, 9 : i64], bytes_per_sample = [132 : i64, 99 : i64], merged = [{emissions = ["a", "b"], terms = ["a", "b"], rows = 3 : i64}], decisions = [{emissions = ["a", "b"], decision = "merged", rows = {merged = 3 : i64}}, {emissions = ["a", "c"], decision = "apart", rows = {different_written_values = 3 : i64}}, {emissions = ["b", "c"], decision = "apart", rows = {different_written_values = 3 : i64}}]}}}
// CHECK: %xp2, %mel2 = branch.emit %x, %w2, %a, %true {term = "c"}
// CHECK: %xp3, %mel3 = branch.emit %x, %d3, %a, %true {term = "d"}
// CHECK-NEXT: %[[AMP:.*]] = branch.add %a, %a
// CHECK-NEXT: %[[XP:.*]], %{{.*}} = branch.emit %x, %d0, %[[AMP]], %true {term = "a"}
// CHECK-NEXT: branch.concat %[[XP]], %xp2, %xp3 :
branch.kernel @dynamic_sites sites 3 states [0, 1, 2] dtype f64 params [] {
^bb0(%x: tensor<?x3xi8>):
  %s = branch.state %x : tensor<?x3xi8> -> !branch.state<3x3xi8>
  %true = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
  %i = branch.column %x {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
  %vi = branch.read %x, %i : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %d0 = branch.write %s, %vi, %one : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp0, %mel0 = branch.emit %x, %d0, %a, %true {term = "a"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %vi1 = branch.read %x, %i : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %d1 = branch.write %s, %vi1, %one : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp1, %mel1 = branch.emit %x, %d1, %a, %true {term = "b"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %w2 = branch.write %d0, %i, %one : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp2, %mel2 = branch.emit %x, %w2, %a, %true {term = "c"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %w3 = branch.write %s, %i, %one : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %d3 = branch.write %w3, %vi, %one : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
  %xp3, %mel3 = branch.emit %x, %d3, %a, %true {term = "d"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3 : tensor<?x3x3xi8>, tensor<?x3x3xi8>, tensor<?x3x3xi8>, tensor<?x3x3xi8> -> tensor<?x12x3xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3 : tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x12xf64>
  branch.return %xp, %mel : tensor<?x12x3xi8>, tensor<?x12xf64>
}

// -----

// A molecule's excitations: each row moves the k-th particle to the l-th hole, sites
// found in x (branch.nth_site). The rows of both emissions write different run-time
// sites, so their states are told apart by hashing them (one hash per row, with numpy,
// equal keys giving equal hashes): all distinct, nothing merges and no pair of
// emissions is a candidate, without the exact analysis's Python work per row and op.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {excitations = {fanout = [6 : i64, 6 : i64], bytes_per_sample = [72 : i64, 72 : i64], merged = [], decisions = []}}}
// CHECK: %xp0, %mel0 = branch.emit %x, %h0, %a, %true {term = "down"}
// CHECK: %xp1, %mel1 = branch.emit %x, %h1, %a, %true {term = "up"}
// CHECK-NEXT: branch.concat %xp0, %xp1 :
branch.kernel @excitations sites 4 states [0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x4xi8>):
  %s = branch.state %x : tensor<?x4xi8> -> !branch.state<3x4xi8>
  %true = branch.constant %x {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
  %k = branch.column %x {values = array<i64: 0, 0, 1>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %l = branch.column %x {values = array<i64: 0, 1, 0>} : tensor<?x4xi8> -> tensor<?x3xi64>
  %p0 = branch.nth_site %x, %k {sites = array<i64: 0, 1>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %q0 = branch.nth_site %x, %l {sites = array<i64: 0, 1>, state = 0 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %w0 = branch.write %s, %p0, %zero : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %h0 = branch.write %w0, %q0, %one : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %xp0, %mel0 = branch.emit %x, %h0, %a, %true {term = "down"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %p1 = branch.nth_site %x, %k {sites = array<i64: 2, 3>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %q1 = branch.nth_site %x, %l {sites = array<i64: 2, 3>, state = 0 : i64} : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
  %w1 = branch.write %s, %p1, %zero : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %h1 = branch.write %w1, %q1, %one : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
  %xp1, %mel1 = branch.emit %x, %h1, %a, %true {term = "up"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
  %xp = branch.concat %xp0, %xp1 : tensor<?x3x4xi8>, tensor<?x3x4xi8> -> tensor<?x6x4xi8>
  %mel = branch.concat %mel0, %mel1 : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x6xf64>
  branch.return %xp, %mel : tensor<?x6x4xi8>, tensor<?x6xf64>
}
