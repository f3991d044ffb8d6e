// branch-fuse-equal-states{groups=...}: the merge groups, forced or replayed as the report
// prints them (emissions joined by '+'): exactly those merge (where their states are
// proved equal, as always). A group that cannot merge is refused, naming the emission and
// the reasons; so is a name that is no emission of the kernel.
//
// RUN: symir-opt %s -p branch-fuse-equal-states | filecheck %s
// RUN: symir-opt %s -p 'branch-fuse-equal-states{groups="p+q"}' | filecheck %s --check-prefix=FORCED
// RUN: not symir-opt %s -p 'branch-fuse-equal-states{groups="p+w"}' 2>&1 | filecheck %s --check-prefix=UNSOUND
// RUN: not symir-opt %s -p 'branch-fuse-equal-states{groups="p+nope"}' 2>&1 | filecheck %s --check-prefix=UNKNOWN

// By default p, q and r (equal states) share one slot; w writes another value.
// CHECK-LABEL: builtin.module attributes {branch.fusion = {groups = {fanout = [8 : i64, 4 : i64], bytes_per_sample = [80 : i64, 40 : i64], merged = [{emissions = ["p", "q", "r"], terms = ["p", "q", "r"], rows = 2 : i64}], decisions = [{emissions = ["p", "q"], decision = "merged", rows = {merged = 2 : i64}}, {emissions = ["p", "r"], decision = "merged", rows = {merged = 2 : i64}}, {emissions = ["p", "w"], decision = "apart", rows = {different_written_values = 2 : i64}}, {emissions = ["q", "r"], decision = "merged", rows = {merged = 2 : i64}}, {emissions = ["q", "w"], decision = "apart", rows = {different_written_values = 2 : i64}}, {emissions = ["r", "w"], decision = "apart", rows = {different_written_values = 2 : i64}}]}}}

// Forced to p+q only: r keeps its slot (F 6, not 4), and the report says why.
// FORCED-LABEL: builtin.module attributes {branch.fusion = {groups = {fanout = [8 : i64, 6 : i64], bytes_per_sample = [80 : i64, 60 : i64], merged = [{emissions = ["p", "q"], terms = ["p", "q"], rows = 2 : i64}], decisions = [{emissions = ["p", "q"], decision = "merged", rows = {merged = 2 : i64}}, {emissions = ["p", "r"], decision = "apart", rows = {not_in_forced_group = 2 : i64}},
// FORCED: {emissions = ["q", "r"], decision = "apart", rows = {not_in_forced_group = 2 : i64}}

// UNSOUND: symir-opt: error: ValueError: branch-fuse-equal-states: unsound fusion group 'p+w': emission 'p' shares no provably equal connected state with the others (reasons: different_written_values)
// UNKNOWN: symir-opt: error: ValueError: branch-fuse-equal-states: fusion group 'nope+p' names ['nope'], not emissions of this kernel (they are ['p', 'q', 'r', 'w'])

branch.kernel @groups sites 2 states [-1, 1] dtype f64 params [] {
^bb0(%x: tensor<?x2xi8>):
  %s = branch.state %x : tensor<?x2xi8> -> !branch.state<2x2xi8>
  %true = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
  %i = branch.column %x {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
  %vi = branch.read %x, %i : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
  %ni = branch.neg %vi : tensor<?x2xi64> -> tensor<?x2xi64>
  %f = branch.write %s, %i, %ni : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %one = branch.constant %x {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
  %g = branch.write %s, %i, %one : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
  %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
  %xp0, %mel0 = branch.emit %x, %f, %a, %true {term = "p"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp1, %mel1 = branch.emit %x, %f, %a, %true {term = "q"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp2, %mel2 = branch.emit %x, %f, %a, %true {term = "r"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp3, %mel3 = branch.emit %x, %g, %a, %true {term = "w"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
  %xp = branch.concat %xp0, %xp1, %xp2, %xp3 : tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8>, tensor<?x2x2xi8> -> tensor<?x8x2xi8>
  %mel = branch.concat %mel0, %mel1, %mel2, %mel3 : tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x8xf64>
  branch.return %xp, %mel : tensor<?x8x2xi8>, tensor<?x8xf64>
}
