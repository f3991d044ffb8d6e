// branch-return-deltas on a kernel that cannot give deltas: an error naming the kernel and why.
//
// RUN: not symir-opt %s -p branch-return-deltas 2>&1 | filecheck %s

// A kernel whose xp is not a concat of emissions: no deltas, an error naming the kernel.
// CHECK: branch-return-deltas-errors.mlir:15:5: error: ValueError: branch-return-deltas: kernel @bare does not return a branch.concat of branch.emit results as xp, so the sites each slot writes are not known
// CHECK-NEXT: branch.return %xp, %mel
builtin.module {
  branch.kernel @bare sites 2 states [-1, 1] dtype f64 params [] {
  ^bb0(%x: tensor<?x2xi8>):
    %s = branch.state %x : tensor<?x2xi8> -> !branch.state<1x2xi8>
    %a = branch.constant %x {value = 1.0 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
    %t = branch.constant %x {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
    %xp, %mel = branch.emit %x, %s, %a, %t {term = "t"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
    branch.return %xp, %mel : tensor<?x1x2xi8>, tensor<?x1xf64>
  }
}
