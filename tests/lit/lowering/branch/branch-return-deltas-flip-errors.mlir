// branch-return-deltas on Pauli strings whose flip pattern is known only at run time: an
// error naming the op and why (the delta entries of a flip are its mask's sites, so the
// pattern of each row must be static).
//
// RUN: not symir-opt %s -p branch-return-deltas 2>&1 | filecheck %s

// The row's pattern is read from the configuration: no static sites per row.
// CHECK: branch-return-deltas-flip-errors.mlir:16:5: error: ValueError: branch-return-deltas: 'branch.flip_sites' needs an index that is static per row (a branch.column or branch.constant): a key known only at run time is not supported
// CHECK-NEXT: %f = branch.flip_sites %s, %k
builtin.module {
  branch.kernel @runtime_pattern sites 3 states [0, 1] dtype f64 params [] {
  ^bb0(%x: tensor<?x3xi8>):
    %i = branch.column %x {values = array<i64: 0>} : tensor<?x3xi8> -> tensor<?x1xi64>
    %k = branch.read %x, %i : tensor<?x3xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
    %s = branch.state %x : tensor<?x3xi8> -> !branch.state<1x3xi8>
    %f = branch.flip_sites %s, %k {masks = array<i64: 1, 6>} : !branch.state<1x3xi8>, tensor<?x1xi64> -> !branch.state<1x3xi8>
    %a = branch.constant %x {value = 0.5 : f64} : tensor<?x3xi8> -> tensor<?x1xf64>
    %t = branch.constant %x {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
    %xp, %mel = branch.emit %x, %f, %a, %t {term = "strings"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
    %xps = branch.concat %xp : tensor<?x1x3xi8> -> tensor<?x1x3xi8>
    %mels = branch.concat %mel : tensor<?x1xf64> -> tensor<?x1xf64>
    branch.return %xps, %mels : tensor<?x1x3xi8>, tensor<?x1xf64>
  }
}
