// branch-merge-exclusive-emissions: the emissions of one term whose masks are pairwise
// provably exclusive (one has p, the other not p, as conjuncts; or their comparisons of one
// integer value with constants allow no integer together; or, as formulas of and, or,
// not, such comparisons and branch.member, no assignment meets both) become one branch.emit
// whose state and amplitude are selected by the masks and whose mask is their `or`;
// everything else keeps its own slots. The second RUN line applies the pass twice: it is
// idempotent, the same checks hold.
//
// RUN: symir-opt %s --split-input-file -p branch-merge-exclusive-emissions | filecheck %s
// RUN: symir-opt %s --split-input-file -p branch-merge-exclusive-emissions,branch-merge-exclusive-emissions | filecheck %s

// An emit_if / emit_elseif / emit_else chain (masks c0, !c0 & c1, !c0 & !c1): one slot per
// row, F = 2 instead of 6. The first arm's state and amplitude win where c0 holds.
// CHECK-LABEL: branch.kernel @chain
// CHECK: %[[C0:.*]] = branch.cmp eq %{{.*}}, %{{.*}}
// CHECK: %[[S0:.*]] = branch.write
// CHECK: %[[A0:.*]] = branch.constant %{{.*}} {value = 1.000000e+00 : f64}
// CHECK: %[[C1:.*]] = branch.cmp eq %{{.*}}, %{{.*}}
// CHECK: %[[N0:.*]] = branch.not %[[C0]]
// CHECK: %[[M1:.*]] = branch.and %[[C1]], %[[N0]]
// CHECK: %[[S1:.*]] = branch.write
// CHECK: %[[A1:.*]] = branch.constant %{{.*}} {value = 2.000000e+00 : f64}
// CHECK: %[[N1:.*]] = branch.not %[[C1]]
// CHECK: %[[M2:.*]] = branch.and %[[N1]], %[[N0]]
// CHECK: %[[S2:.*]] = branch.write
// CHECK: %[[A2:.*]] = branch.constant %{{.*}} {value = 3.000000e+00 : f64}
// CHECK: %[[S12:.*]] = branch.select_state %[[M1]], %[[S1]], %[[S2]]
// CHECK-NEXT: %[[A12:.*]] = branch.select %[[M1]], %[[A1]], %[[A2]]
// CHECK-NEXT: %[[S012:.*]] = branch.select_state %[[C0]], %[[S0]], %[[S12]]
// CHECK-NEXT: %[[A012:.*]] = branch.select %[[C0]], %[[A0]], %[[A12]]
// CHECK-NEXT: %[[M:.*]] = branch.or %[[C0]], %[[M1]], %[[M2]]
// CHECK-NEXT: %[[XP:.*]], %[[MEL:.*]] = branch.emit %{{.*}}, %[[S012]], %[[A012]], %[[M]] {term = "clock"} : {{.*}} -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[XPS:.*]] = branch.concat %[[XP]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[MELS:.*]] = branch.concat %[[MEL]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[XPS]], %[[MELS]]
branch.kernel @chain sites 2 states [0, 1, 2] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %two = branch.constant %x {value = 2 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %c0 = branch.cmp eq %v, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %s0 = branch.write %s, %col, %one : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a0 = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %s0, %a0, %c0 {term = "clock"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %c1 = branch.cmp eq %v, %one : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %n0 = branch.not %c0 : tensor<?x2xi1> -> tensor<?x2xi1>
  %m1 = branch.and %c1, %n0 : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %s1 = branch.write %s, %col, %two : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a1 = branch.constant %x {value = 2.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %s1, %a1, %m1 {term = "clock"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %n1 = branch.not %c1 : tensor<?x2xi1> -> tensor<?x2xi1>
  %m2 = branch.and %n1, %n0 : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %s2 = branch.write %s, %col, %zero : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a2 = branch.constant %x {value = 3.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %s2, %a2, %m2 {term = "clock"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x6x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x6xf64>
  branch.return %xp, %mel : tensor<?x6x2xi8>, tensor<?x6xf64>
}

// -----

// Two chains in one term: each chain is merged, the chains stay apart (c and d read
// different sites: independent), and a different tag or another term is never merged: F = 2 + 2 + 2 + 2.
// CHECK-LABEL: branch.kernel @apart
// CHECK: %[[C:.*]] = branch.cmp eq %{{.*}}, %{{.*}}
// CHECK-NEXT: %[[NC:.*]] = branch.not %[[C]] :
// CHECK: %[[D:.*]] = branch.cmp ne %{{.*}}, %{{.*}}
// CHECK-NEXT: %[[ND:.*]] = branch.not %[[D]] :
// CHECK: %[[OC:.*]] = branch.or %[[C]], %[[NC]] :
// CHECK-NEXT: %[[E1:.*]], %[[M1:.*]] = branch.emit {{.*}}, %[[OC]] {term = "t"}
// CHECK: %[[OD:.*]] = branch.or %[[D]], %[[ND]] :
// CHECK-NEXT: %[[E2:.*]], %[[M2:.*]] = branch.emit {{.*}}, %[[OD]] {term = "t"}
// CHECK: branch.concat %[[E1]], %[[E2]], %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : {{.*}} -> tensor<?x8x2xi8>
// CHECK-NOT: branch.or
branch.kernel @apart sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %minus = branch.constant %x {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %c = branch.cmp eq %v, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %nc = branch.not %c : tensor<?x2xi1> -> tensor<?x2xi1>
  %other = branch.column %x {values = array<i64: 1, 0>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %w = branch.read %x, %other : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %d = branch.cmp ne %w, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %nd = branch.not %d : tensor<?x2xi1> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %flip = branch.neg %v : tensor<?x2xi64> -> tensor<?x2xi64>
  %s1 = branch.write %s, %col, %flip : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %s2 = branch.write %s, %col, %minus : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %s3 = branch.write %s, %col, %v : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %s4 = branch.write %s, %other, %flip : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %s5 = branch.write %s, %col, %one : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %s6 = branch.write %s, %other, %minus : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %s1, %a, %c {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %s2, %a, %d {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %s3, %a, %nc {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp3, %mel3 = branch.emit %x, %s4, %a, %nd {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp4, %mel4 = branch.emit %x, %s5, %a, %c {term = "t", tag = "other"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp5, %mel5 = branch.emit %x, %s6, %a, %nc {term = "u"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3, %xp4, %xp5 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x12x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3, %mel4, %mel5 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x12xf64>
  branch.return %xp, %mel : tensor<?x12x2xi8>, tensor<?x12xf64>
}

// -----

// Masks that are not exclusive (`v == w` and `v != -1` both hold where v = w = 1):
// nothing changes.
// CHECK-LABEL: branch.kernel @unproved
// CHECK-NOT: branch.or
// CHECK-NOT: branch.select_state
// CHECK: branch.concat %{{.*}}, %{{.*}} : tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x4x2xi8>
branch.kernel @unproved sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %minus = branch.constant %x {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %other = branch.column %x {values = array<i64: 1, 0>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %w = branch.read %x, %other : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %c = branch.cmp eq %v, %w : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %d = branch.cmp ne %v, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %flip = branch.neg %v : tensor<?x2xi64> -> tensor<?x2xi64>
  %s1 = branch.write %s, %col, %flip : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %s1, %a, %c {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %s1, %a, %d {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1 : tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x4x2xi8>
  %mel = branch.concat %mel0, %mel1 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x4xf64>
  branch.return %xp, %mel : tensor<?x4x2xi8>, tensor<?x4xf64>
}

// -----

// `v == w` and `v != w` of two reads: two SSA values, neither the negation of the other,
// but a comparison of two integer values is decided as a flag of its canonical form
// (`v != w` is `not (v == w)`): one slot per row.
// CHECK-LABEL: branch.kernel @relations
// CHECK: %[[EQ:.*]] = branch.cmp eq
// CHECK: %[[NE:.*]] = branch.cmp ne
// CHECK: %[[O:.*]] = branch.or %[[EQ]], %[[NE]] :
// CHECK-NEXT: %[[E:.*]], %{{.*}} = branch.emit {{.*}}, %[[O]] {term = "t"}
// CHECK: branch.concat %[[E]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
branch.kernel @relations sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %minus = branch.constant %x {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %other = branch.column %x {values = array<i64: 1, 0>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %w = branch.read %x, %other : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %c = branch.cmp eq %v, %w : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %d = branch.cmp ne %v, %w : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %flip = branch.neg %v : tensor<?x2xi64> -> tensor<?x2xi64>
  %s1 = branch.write %s, %col, %flip : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %s1, %a, %c {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %s1, %a, %d {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1 : tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x4x2xi8>
  %mel = branch.concat %mel0, %mel1 : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x4xf64>
  branch.return %xp, %mel : tensor<?x4x2xi8>, tensor<?x4xf64>
}

// -----

// One read against two different constants (`v == -1`, `v == 1`: an exchange written as
// one `emit_if` per local state) is exclusive; against the same constant twice it is not
// (both may fire): F = 2 + 2 + 2 -> 2 + 2.
// CHECK-LABEL: branch.kernel @states
// CHECK: %[[DOWN:.*]] = branch.cmp eq %[[V:.*]], %[[MINUS:.*]] :
// CHECK: %[[UP:.*]] = branch.cmp eq %[[V]], %[[PLUS:.*]] :
// CHECK: %[[AGAIN:.*]] = branch.cmp eq %[[V]], %[[MINUS]] :
// CHECK: %[[O:.*]] = branch.or %[[DOWN]], %[[UP]] :
// CHECK-NEXT: %[[E:.*]], %[[M:.*]] = branch.emit {{.*}}, %[[O]] {term = "t"}
// CHECK: branch.concat %[[E]], %{{.*}} : tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x4x2xi8>
branch.kernel @states sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %minus = branch.constant %x {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %plus = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %down = branch.cmp eq %v, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %up = branch.cmp eq %v, %plus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %again = branch.cmp eq %v, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %s0 = branch.write %s, %col, %plus : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %s1 = branch.write %s, %col, %minus : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %s0, %a, %down {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %s1, %a, %up {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %s0, %a, %again {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x6x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x6xf64>
  branch.return %xp, %mel : tensor<?x6x2xi8>, tensor<?x6xf64>
}

// -----

// Comparisons of one read with constants, on either side, that no integer meets together:
// `v < 0`, `0 < v` and `v == 0` pairwise exclusive, one slot per row (F = 2 + 2 + 2 -> 2);
// `v <= 0` meets `v < 0` at -1 and `v == 0` at 0, so it keeps its slots (F = 2 + 2).
// CHECK-LABEL: branch.kernel @intervals
// CHECK: %[[NEG:.*]] = branch.cmp lt %[[V:.*]], %[[ZERO:.*]] :
// CHECK: %[[POS:.*]] = branch.cmp lt %[[ZERO]], %[[V]] :
// CHECK: %[[NUL:.*]] = branch.cmp eq %[[V]], %[[ZERO]] :
// CHECK: %[[LE:.*]] = branch.cmp le %[[V]], %[[ZERO]] :
// CHECK: %[[O:.*]] = branch.or %[[NEG]], %[[POS]], %[[NUL]] :
// CHECK-NEXT: %[[E:.*]], %[[M:.*]] = branch.emit {{.*}}, %[[O]] {term = "t"}
// CHECK: branch.concat %[[E]], %{{.*}} : tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x4x2xi8>
branch.kernel @intervals sites 2 states [-1, 0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %neg = branch.cmp lt %v, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %pos = branch.cmp lt %zero, %v : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %nul = branch.cmp eq %v, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %le = branch.cmp le %v, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %s0 = branch.write %s, %col, %zero : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %s0, %a, %neg {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %s0, %a, %pos {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %s, %a, %nul {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp3, %mel3 = branch.emit %x, %s, %a, %le {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x8x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x8xf64>
  branch.return %xp, %mel : tensor<?x8x2xi8>, tensor<?x8xf64>
}

// -----

// Disjunctions of local states, decided as formulas: (v == -1) | (v == 0) against
// v == 1, and branch.member {-1, 0} against v > 0, merge (one slot per site each); the
// member against v >= 0 (both hold at v = 0) does not. (Each arm writes its own state:
// arms of one state are left to branch-fuse-equal-states where that leaves fewer slots.)

// CHECK-LABEL: branch.kernel @disjunctions
// CHECK: %[[LOW:.*]] = branch.or {{.*}} : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
// CHECK: %[[TOP:.*]] = branch.cmp eq
// CHECK: %[[IN:.*]] = branch.member {{.*}} {states = array<i64: -1, 0>}
// CHECK: %[[GT:.*]] = branch.cmp gt
// CHECK: %[[O1:.*]] = branch.or %[[LOW]], %[[TOP]] :
// CHECK-NEXT: %[[E1:.*]], %{{.*}} = branch.emit {{.*}}, %[[O1]] {term = "t"}
// CHECK: %[[O2:.*]] = branch.or %[[IN]], %[[GT]] :
// CHECK-NEXT: %[[E2:.*]], %{{.*}} = branch.emit {{.*}}, %[[O2]] {term = "u"}
// CHECK: branch.concat %[[E1]], %[[E2]], %{{.*}} : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x6x2xi8>
branch.kernel @disjunctions sites 2 states [-1, 0, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %minus = branch.constant %x {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %zero = branch.constant %x {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %m1 = branch.cmp eq %v, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %z = branch.cmp eq %v, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %low = branch.or %m1, %z : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %top = branch.cmp eq %one, %v : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %in = branch.member %v {states = array<i64: -1, 0>} : tensor<?x2xi64> -> tensor<?x2xi1>
  %gt = branch.cmp gt %v, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %ge = branch.cmp ge %v, %zero : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %up = branch.write %s, %col, %one : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %down = branch.write %s, %col, %minus : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %flip = branch.neg %v : tensor<?x2xi64> -> tensor<?x2xi64>
  %mid = branch.write %s, %col, %zero : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %keep = branch.write %s, %col, %v : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %negated = branch.write %s, %col, %flip : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %up, %a, %low {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %down, %a, %top {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %mid, %a, %in {term = "u"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp3, %mel3 = branch.emit %x, %negated, %a, %gt {term = "u"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp4, %mel4 = branch.emit %x, %keep, %a, %ge {term = "u"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3, %xp4 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x10x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3, %mel4 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x10xf64>
  branch.return %xp, %mel : tensor<?x10x2xi8>, tensor<?x10xf64>
}

// -----

// Arms x -> 1 twice (not exclusive) and x -> -1 twice, one of these never active: merged
// across states, the never-active arm would join the first x -> 1 arm and hide it from
// branch-fuse-equal-states (3 slots per row, where fusion gives 2). Merged only within a
// state: the two x -> -1 arms are one emission, the x -> 1 arms are left to fusion.

// CHECK-LABEL: branch.kernel @fusion_first
// CHECK: %[[OK:.*]] = branch.cmp ne
// CHECK: %[[NEVER:.*]] = branch.and
// CHECK: %[[DOWN:.*]] = branch.write %{{.*}}, %{{.*}}, %minus
// CHECK: %[[XP0:.*]], %{{.*}} = branch.emit %{{.*}}, %[[UP:.*]], %{{.*}}, %low {term = "t"}
// CHECK-NEXT: %[[XP1:.*]], %{{.*}} = branch.emit %{{.*}}, %[[UP]], %{{.*}}, %[[OK]] {term = "t"}
// CHECK: branch.select_state %[[OK]], %[[DOWN]], %[[DOWN]]
// CHECK: %[[OR:.*]] = branch.or %[[OK]], %[[NEVER]] :
// CHECK-NEXT: %[[E:.*]], %{{.*}} = branch.emit {{.*}}, %[[OR]] {term = "t"}
// CHECK: branch.concat %[[XP0]], %[[XP1]], %[[E]] : {{.*}} -> tensor<?x6x2xi8>
branch.kernel @fusion_first sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %col = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %v = branch.read %x, %col : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %minus = branch.constant %x {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %low = branch.cmp eq %v, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %ok = branch.cmp ne %v, %one : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %gt = branch.cmp gt %v, %one : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %lt = branch.cmp lt %v, %minus : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
  %never = branch.and %gt, %lt : tensor<?x2xi1>, tensor<?x2xi1> -> tensor<?x2xi1>
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %up = branch.write %s, %col, %one : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %down = branch.write %s, %col, %minus : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %up, %a, %low {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %up, %a, %ok {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %down, %a, %ok {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp3, %mel3 = branch.emit %x, %down, %a, %never {term = "t"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x8x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x8xf64>
  branch.return %xp, %mel : tensor<?x8x2xi8>, tensor<?x8xf64>
}
