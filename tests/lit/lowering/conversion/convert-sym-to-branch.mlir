// convert-sym-to-branch: one sym.operator per split chunk, one chunk per construct
// (iterator kinds, update ops, predicates, read_emitted, complex amplitudes, parameters,
// checked and unchecked writes). Every line of the resulting branch.kernel is checked.
//
// RUN: symir-opt %s --split-input-file -p convert-sym-to-branch -o %t.mlir && filecheck %s < %t.mlir
// The result parses back and verifies as branch IR.
// RUN: symir-opt %t.mlir --split-input-file | filecheck %s
//
// Conventions of the lowering: a label becomes a branch.column of its site in every row
// (M rows = the term's iterator table); sym.constant and sym.param become branch.constant
// and branch.splat over those rows; the update program is a chain of !branch.state values
// starting at branch.state %x; the mask of branch.emit is the term predicate AND the
// emission predicate (an all-true constant when there is none).

// global iterator: one empty row (M = 1); x[k] read at a constant site; no predicate ->
// an all-true mask; a diagonal emission is a bare branch.state.
// CHECK-LABEL: branch.kernel @global sites 4 states [-1, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<1x4xi8>
// CHECK-NEXT: %[[VK:.*]] = branch.constant %[[VX]] {value = 2 : i64} : tensor<?x4xi8> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VXK:.*]] = branch.read %[[VX]], %[[VK]] : tensor<?x4xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
// CHECK-NEXT: %[[V2:[a-zA-Z0-9_]+]], %[[V3:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V0]], %[[VXK]], %[[V1]] {term = "g"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xi64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
// CHECK-NEXT: %[[V4:.*]] = branch.concat %[[V2]] : tensor<?x1x4xi8> -> tensor<?x1x4xi8>
// CHECK-NEXT: %[[V5:.*]] = branch.concat %[[V3]] : tensor<?x1xf64> -> tensor<?x1xf64>
// CHECK-NEXT: branch.return %[[V4]], %[[V5]] : tensor<?x1x4xi8>, tensor<?x1xf64>
// CHECK-NEXT: }
sym.operator @global sites 4 states [-1, 1] dtype f64 {
  sym.term @g kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %k = sym.constant 2 : i64
      %xk = sym.read %k : i64
      sym.yield %xk : i64
    }
  }
}

// -----

// site iterator: one column per label; sym.write of -x[i] (states symmetric) is unchecked.
// CHECK-LABEL: branch.kernel @site sites 3 states [-1, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x3xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VM:.*]] = branch.neg %[[VXI]] : tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VI]], %[[VM]] : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = -1.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V2:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V3:[a-zA-Z0-9_]+]], %[[V4:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V1]], %[[VA]], %[[V2]] {term = "x", tag = "flip"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[V5:.*]] = branch.concat %[[V3]] : tensor<?x3x3xi8> -> tensor<?x3x3xi8>
// CHECK-NEXT: %[[V6:.*]] = branch.concat %[[V4]] : tensor<?x3xf64> -> tensor<?x3xf64>
// CHECK-NEXT: branch.return %[[V5]], %[[V6]] : tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: }
sym.operator @site sites 3 states [-1, 1] dtype f64 {
  sym.term @x kind "site" labels ["i"] rows [[0], [1], [2]] {
    %i = sym.label "i"
    sym.emission "flip" {
      %xi = sym.read %i : i64
      %m = sym.neg %xi : i64 -> i64
      sym.write %i, %m
    } amplitude {
      %a = sym.constant -1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// pair iterator with sym.swap: two reads (of x: nothing is written yet), two unchecked
// writes.
// CHECK-LABEL: branch.kernel @pair sites 3 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x3xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 0, 1>} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VJ:.*]] = branch.column %[[VX]] {values = array<i64: 1, 2, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[V1:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.read %[[VX]], %[[VJ]] : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.write %[[V0]], %[[VI]], %[[V2]] : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[V4:.*]] = branch.write %[[V3]], %[[VJ]], %[[V1]] : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 5.000000e-01 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V5:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V6:[a-zA-Z0-9_]+]], %[[V7:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V4]], %[[VA]], %[[V5]] {term = "ex"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[V8:.*]] = branch.concat %[[V6]] : tensor<?x3x3xi8> -> tensor<?x3x3xi8>
// CHECK-NEXT: %[[V9:.*]] = branch.concat %[[V7]] : tensor<?x3xf64> -> tensor<?x3xf64>
// CHECK-NEXT: branch.return %[[V8]], %[[V9]] : tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: }
sym.operator @pair sites 3 states [0, 1] dtype f64 {
  sym.term @ex kind "pair" labels ["i", "j"] rows [[0, 1], [0, 2], [1, 2]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      sym.swap %i, %j
    } amplitude {
      %a = sym.constant 5.000000e-01 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// rows (graph edges) iterator with sym.shift: read, add, checked write.
// CHECK-LABEL: branch.kernel @edges sites 4 states [0, 1, 2] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1, 3>} : tensor<?x4xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VJ:.*]] = branch.column %[[VX]] {values = array<i64: 1, 3, 2>} : tensor<?x4xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<3x4xi8>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VMONE:.*]] = branch.constant %[[VX]] {value = -1 : i64} : tensor<?x4xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.add %[[V1]], %[[VMONE]] : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.write %[[V0]], %[[VI]], %[[V2]] {checked} : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
// CHECK-NEXT: %[[V4:.*]] = branch.state_read %[[V3]], %[[VJ]] : !branch.state<3x4xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V5:.*]] = branch.add %[[V4]], %[[VONE]] : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V6:.*]] = branch.write %[[V3]], %[[VJ]], %[[V5]] {checked} : !branch.state<3x4xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x4xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = -1.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V7:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V8:[a-zA-Z0-9_]+]], %[[V9:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V6]], %[[VA]], %[[V7]] {term = "hop"} : tensor<?x4xi8>, !branch.state<3x4xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x4xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[V10:.*]] = branch.concat %[[V8]] : tensor<?x3x4xi8> -> tensor<?x3x4xi8>
// CHECK-NEXT: %[[V11:.*]] = branch.concat %[[V9]] : tensor<?x3xf64> -> tensor<?x3xf64>
// CHECK-NEXT: branch.return %[[V10]], %[[V11]] : tensor<?x3x4xi8>, tensor<?x3xf64>
// CHECK-NEXT: }
sym.operator @edges sites 4 states [0, 1, 2] dtype f64 {
  sym.term @hop kind "rows" labels ["i", "j"] rows [[0, 1], [1, 3], [3, 2]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %one = sym.constant 1 : i64
      %mone = sym.constant -1 : i64
      sym.shift %i, %mone
      sym.shift %j, %one
    } amplitude {
      %a = sym.constant -1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// k-body iterator with sym.permute: K reads, then K unchecked writes (cyclic rotation).
// CHECK-LABEL: branch.kernel @kbody sites 4 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[VA:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VB:.*]] = branch.column %[[VX]] {values = array<i64: 1, 2>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VC:.*]] = branch.column %[[VX]] {values = array<i64: 2, 3>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[V1:.*]] = branch.read %[[VX]], %[[VA]] : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.read %[[VX]], %[[VB]] : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.read %[[VX]], %[[VC]] : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V4:.*]] = branch.write %[[V0]], %[[VA]], %[[V2]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[V5:.*]] = branch.write %[[V4]], %[[VB]], %[[V3]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[V6:.*]] = branch.write %[[V5]], %[[VC]], %[[V1]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VV:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V7:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V8:[a-zA-Z0-9_]+]], %[[V9:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V6]], %[[VV]], %[[V7]] {term = "ring"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V10:.*]] = branch.concat %[[V8]] : tensor<?x2x4xi8> -> tensor<?x2x4xi8>
// CHECK-NEXT: %[[V11:.*]] = branch.concat %[[V9]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V10]], %[[V11]] : tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @kbody sites 4 states [0, 1] dtype f64 {
  sym.term @ring kind "kbody" labels ["a", "b", "c"] rows [[0, 1, 2], [1, 2, 3]] {
    %a = sym.label "a"
    %b = sym.label "b"
    %c = sym.label "c"
    sym.emission {
      sym.permute %a, %b, %c
    } amplitude {
      %v = sym.constant 1.0 : f64
      sym.yield %v : f64
    }
  }
}

// -----

// sym.shift_mod: read, add, wrap into the states, unchecked write (wrap_mod is a state).
// CHECK-LABEL: branch.kernel @clock sites 2 states [0, 1, 2] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.add %[[V1]], %[[VONE]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.wrap_mod %[[V2]] {low = 0 : i64, count = 3 : i64} : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V4:.*]] = branch.write %[[V0]], %[[VI]], %[[V3]] : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V5:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V6:[a-zA-Z0-9_]+]], %[[V7:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V4]], %[[VA]], %[[V5]] {term = "up"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V8:.*]] = branch.concat %[[V6]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[V9:.*]] = branch.concat %[[V7]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V8]], %[[V9]] : tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @clock sites 2 states [0, 1, 2] dtype f64 {
  sym.term @up kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %one = sym.constant 1 : i64
      sym.shift_mod %i, %one
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.affine: read, scale, add, checked write.
// CHECK-LABEL: branch.kernel @affine sites 2 states [-1, 0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VS:.*]] = branch.constant %[[VX]] {value = -1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VB:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.mul %[[VS]], %[[V1]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.add %[[V2]], %[[VB]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V4:.*]] = branch.write %[[V0]], %[[VI]], %[[V3]] {checked} : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V5:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V6:[a-zA-Z0-9_]+]], %[[V7:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V4]], %[[VA]], %[[V5]] {term = "refl"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V8:.*]] = branch.concat %[[V6]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[V9:.*]] = branch.concat %[[V7]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V8]], %[[V9]] : tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @affine sites 2 states [-1, 0, 1] dtype f64 {
  sym.term @refl kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %s = sym.constant -1 : i64
      %b = sym.constant 0 : i64
      sym.affine %i, %s, %b
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.scatter: one write per (site, value), in order; constants that are states are unchecked.
// CHECK-LABEL: branch.kernel @scatter sites 4 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 2>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VJ:.*]] = branch.column %[[VX]] {values = array<i64: 1, 3>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VZERO:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VI]], %[[VONE]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[V2:.*]] = branch.write %[[V1]], %[[VJ]], %[[VZERO]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x4xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V3:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V4:[a-zA-Z0-9_]+]], %[[V5:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V2]], %[[VA]], %[[V3]] {term = "set"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V6:.*]] = branch.concat %[[V4]] : tensor<?x2x4xi8> -> tensor<?x2x4xi8>
// CHECK-NEXT: %[[V7:.*]] = branch.concat %[[V5]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V6]], %[[V7]] : tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @scatter sites 4 states [0, 1] dtype f64 {
  sym.term @set kind "rows" labels ["i", "j"] rows [[0, 1], [2, 3]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %zero = sym.constant 0 : i64
      %one = sym.constant 1 : i64
      sym.scatter [%i, %j], [%one, %zero]
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.invalidate after a write: branch.invalidate of the current state.
// CHECK-LABEL: branch.kernel @invalidate sites 2 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VI]], %[[VONE]] : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[V2:.*]] = branch.invalidate %[[V1]] : !branch.state<2x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V3:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V4:[a-zA-Z0-9_]+]], %[[V5:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V2]], %[[VA]], %[[V3]] {term = "kill"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V6:.*]] = branch.concat %[[V4]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[V7:.*]] = branch.concat %[[V5]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V6]], %[[V7]] : tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @invalidate sites 2 states [0, 1] dtype f64 {
  sym.term @kill kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %one = sym.constant 1 : i64
      sym.write %i, %one
      sym.invalidate
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.cond: both programs inlined, then branch.select_state of their last states (an
// empty else keeps the state before the cond).
// CHECK-LABEL: branch.kernel @cond sites 3 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x3xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VJ:.*]] = branch.column %[[VX]] {values = array<i64: 1, 2>} : tensor<?x3xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VXJ:.*]] = branch.read %[[VX]], %[[VJ]] : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VP:.*]] = branch.cmp ne %[[VXI]], %[[VXJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V1:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.read %[[VX]], %[[VJ]] : tensor<?x3xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.write %[[V0]], %[[VI]], %[[V2]] : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[V4:.*]] = branch.write %[[V3]], %[[VJ]], %[[V1]] : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[V5:.*]] = branch.invalidate %[[V0]] : !branch.state<2x3xi8> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[V6:.*]] = branch.select_state %[[VP]], %[[V4]], %[[V5]] : tensor<?x2xi1>, !branch.state<2x3xi8>, !branch.state<2x3xi8> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[VQ:.*]] = branch.cmp eq %[[VXI]], %[[VXJ]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V7:.*]] = branch.write %[[V6]], %[[VI]], %[[VONE]] : !branch.state<2x3xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[V8:.*]] = branch.select_state %[[VQ]], %[[V7]], %[[V6]] : tensor<?x2xi1>, !branch.state<2x3xi8>, !branch.state<2x3xi8> -> !branch.state<2x3xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V9:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x3xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V10:[a-zA-Z0-9_]+]], %[[V11:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V8]], %[[VA]], %[[V9]] {term = "c"} : tensor<?x3xi8>, !branch.state<2x3xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x3xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V12:.*]] = branch.concat %[[V10]] : tensor<?x2x3xi8> -> tensor<?x2x3xi8>
// CHECK-NEXT: %[[V13:.*]] = branch.concat %[[V11]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V12]], %[[V13]] : tensor<?x2x3xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @cond sites 3 states [0, 1] dtype f64 {
  sym.term @c kind "pair" labels ["i", "j"] rows [[0, 1], [1, 2]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %p = sym.cmp ne %xi, %xj : i64, i64
      sym.cond %p {
        sym.swap %i, %j
      } else {
        sym.invalidate
      }
      %q = sym.cmp eq %xi, %xj : i64, i64
      sym.cond %q {
        %one = sym.constant 1 : i64
        sym.write %i, %one
      } else {
      }
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// Term predicate alone is the mask; an emission predicate alone is the mask; both are
// joined with branch.and (term predicate first).
// CHECK-LABEL: branch.kernel @predicates sites 3 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x3xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VZERO:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VP:.*]] = branch.cmp gt %[[VXI]], %[[VZERO]] : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V1:[a-zA-Z0-9_]+]], %[[V2:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V0]], %[[VA]], %[[VP]] {term = "t"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[VQ:.*]] = branch.cmp eq %[[VXI]], %[[VZERO]] : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V3:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[V4:.*]] = branch.write %[[V3]], %[[VI]], %[[VONE]] : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VA_1:.*]] = branch.constant %[[VX]] {value = 2.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V5:.*]] = branch.and %[[VP]], %[[VQ]] : tensor<?x3xi1>, tensor<?x3xi1> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V6:[a-zA-Z0-9_]+]], %[[V7:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V4]], %[[VA_1]], %[[V5]] {term = "t", tag = "both"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[VI_1:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VXI_1:.*]] = branch.read %[[VX]], %[[VI_1]] : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VZERO_1:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VQ_1:.*]] = branch.cmp ne %[[VXI_1]], %[[VZERO_1]] : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V8:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VA_2:.*]] = branch.constant %[[VX]] {value = 3.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V9:[a-zA-Z0-9_]+]], %[[V10:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V8]], %[[VA_2]], %[[VQ_1]] {term = "u"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[V11:.*]] = branch.concat %[[V1]], %[[V6]], %[[V9]] : tensor<?x3x3xi8>, tensor<?x3x3xi8>, tensor<?x3x3xi8> -> tensor<?x9x3xi8>
// CHECK-NEXT: %[[V12:.*]] = branch.concat %[[V2]], %[[V7]], %[[V10]] : tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x9xf64>
// CHECK-NEXT: branch.return %[[V11]], %[[V12]] : tensor<?x9x3xi8>, tensor<?x9xf64>
// CHECK-NEXT: }
sym.operator @predicates sites 3 states [0, 1] dtype f64 {
  sym.term @t kind "site" labels ["i"] rows [[0], [1], [2]] {
    %i = sym.label "i"
    %xi = sym.read %i : i64
    %zero = sym.constant 0 : i64
    %p = sym.cmp gt %xi, %zero : i64, i64
    sym.where %p
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
    %q = sym.cmp eq %xi, %zero : i64, i64
    sym.emission "both" if %q {
      %one = sym.constant 1 : i64
      sym.write %i, %one
    } amplitude {
      %a = sym.constant 2.0 : f64
      sym.yield %a : f64
    }
  }
  sym.term @u kind "site" labels ["i"] rows [[0], [1], [2]] {
    %i = sym.label "i"
    %xi = sym.read %i : i64
    %zero = sym.constant 0 : i64
    %q = sym.cmp ne %xi, %zero : i64, i64
    sym.emission if %q {
    } amplitude {
      %a = sym.constant 3.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.read_emitted: branch.state_read of the emission's final state.
// CHECK-LABEL: branch.kernel @read_emitted sites 2 states [0, 1, 2] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.add %[[V1]], %[[VONE]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.write %[[V0]], %[[VI]], %[[V2]] {checked} : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VN:.*]] = branch.state_read %[[V3]], %[[VI]] : !branch.state<2x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VS:.*]] = branch.sqrt %[[VN]] : tensor<?x2xi64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V4:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V5:[a-zA-Z0-9_]+]], %[[V6:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V3]], %[[VS]], %[[V4]] {term = "up"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V7:.*]] = branch.concat %[[V5]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[V8:.*]] = branch.concat %[[V6]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V7]], %[[V8]] : tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @read_emitted sites 2 states [0, 1, 2] dtype f64 {
  sym.term @up kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %one = sym.constant 1 : i64
      sym.shift %i, %one
    } amplitude {
      %n = sym.read_emitted %i : i64
      %s = sym.sqrt %n : i64 -> f64
      sym.yield %s : f64
    }
  }
}

// -----

// Complex amplitudes: dtype complex<f64>, sym.complex and a complex parameter.
// CHECK-LABEL: branch.kernel @complex sites 2 states [-1, 1] dtype complex<f64> params ["w"] hermitian {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>, %[[VW:[a-zA-Z0-9_]+]]: tensor<complex<f64>>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VM:.*]] = branch.neg %[[VXI]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VI]], %[[VM]] : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VXI_1:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VZERO:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VIY:.*]] = branch.complex %[[VZERO]], %[[VXI_1]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VW_1:.*]] = branch.splat %[[VW]], %[[VX]] : tensor<complex<f64>>, tensor<?x2xi8> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[VAMP:.*]] = branch.mul %[[VW_1]], %[[VIY]] : tensor<?x2xcomplex<f64>>, tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[V2:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V3:[a-zA-Z0-9_]+]], %[[V4:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V1]], %[[VAMP]], %[[V2]] {term = "y"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xcomplex<f64>>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xcomplex<f64>>
// CHECK-NEXT: %[[V5:.*]] = branch.concat %[[V3]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[V6:.*]] = branch.concat %[[V4]] : tensor<?x2xcomplex<f64>> -> tensor<?x2xcomplex<f64>>
// CHECK-NEXT: branch.return %[[V5]], %[[V6]] : tensor<?x2x2xi8>, tensor<?x2xcomplex<f64>>
// CHECK-NEXT: }
sym.operator @complex sites 2 states [-1, 1] dtype complex<f64> hermitian {
  sym.term @y kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      %m = sym.neg %xi : i64 -> i64
      sym.write %i, %m
    } amplitude {
      %xi = sym.read %i : i64
      %zero = sym.constant 0 : i64
      %iy = sym.complex %zero, %xi : i64, i64
      %w = sym.param "w" default (0.5, -1.5) : complex<f64>
      %amp = sym.mul %w, %iy : complex<f64>, complex<f64> -> complex<f64>
      sym.yield %amp : complex<f64>
    }
  }
}

// -----

// Parameters: kernel arguments in name order (one per name, however often it is used),
// each use a branch.splat over the term's rows.
// CHECK-LABEL: branch.kernel @params sites 2 states [-1, 1] dtype f64 params ["J", "alpha", "h"] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>, %[[VJ:[a-zA-Z0-9_]+]]: tensor<f64>, %[[VALPHA:[a-zA-Z0-9_]+]]: tensor<f64>, %[[VH:[a-zA-Z0-9_]+]]: tensor<f64>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0>} : tensor<?x2xi8> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VJ_2:.*]] = branch.column %[[VX]] {values = array<i64: 1>} : tensor<?x2xi8> -> tensor<?x1xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<1x2xi8>
// CHECK-NEXT: %[[VJJ:.*]] = branch.splat %[[VJ]], %[[VX]] : tensor<f64>, tensor<?x2xi8> -> tensor<?x1xf64>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VXJ:.*]] = branch.read %[[VX]], %[[VJ_2]] : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VZZ:.*]] = branch.mul %[[VXI]], %[[VXJ]] : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VE:.*]] = branch.mul %[[VJJ]], %[[VZZ]] : tensor<?x1xf64>, tensor<?x1xi64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[V1:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
// CHECK-NEXT: %[[V2:[a-zA-Z0-9_]+]], %[[V3:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V0]], %[[VE]], %[[V1]] {term = "zz"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
// CHECK-NEXT: %[[VI_1:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V4:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VXI_1:.*]] = branch.read %[[VX]], %[[VI_1]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VM:.*]] = branch.neg %[[VXI_1]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V5:.*]] = branch.write %[[V4]], %[[VI_1]], %[[VM]] : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VH_1:.*]] = branch.splat %[[VH]], %[[VX]] : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VA:.*]] = branch.splat %[[VALPHA]], %[[VX]] : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VJ_1:.*]] = branch.splat %[[VJ]], %[[VX]] : tensor<f64>, tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VHA:.*]] = branch.mul %[[VH_1]], %[[VA]] : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[VE_1:.*]] = branch.mul %[[VHA]], %[[VJ_1]] : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V6:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V7:[a-zA-Z0-9_]+]], %[[V8:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V5]], %[[VE_1]], %[[V6]] {term = "x"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V9:.*]] = branch.concat %[[V2]], %[[V7]] : tensor<?x1x2xi8>, tensor<?x2x2xi8> -> tensor<?x3x2xi8>
// CHECK-NEXT: %[[V10:.*]] = branch.concat %[[V3]], %[[V8]] : tensor<?x1xf64>, tensor<?x2xf64> -> tensor<?x3xf64>
// CHECK-NEXT: branch.return %[[V9]], %[[V10]] : tensor<?x3x2xi8>, tensor<?x3xf64>
// CHECK-NEXT: }
sym.operator @params sites 2 states [-1, 1] dtype f64 {
  sym.term @zz kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %jj = sym.param "J" default 1.0 : f64
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %zz = sym.mul %xi, %xj : i64, i64 -> i64
      %e = sym.mul %jj, %zz : f64, i64 -> f64
      sym.yield %e : f64
    }
  }
  sym.term @x kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      %m = sym.neg %xi : i64 -> i64
      sym.write %i, %m
    } amplitude {
      %h = sym.param "h" : f64
      %a = sym.param "alpha" : f64
      %j = sym.param "J" default 1.0 : f64
      %ha = sym.mul %h, %a : f64, f64 -> f64
      %e = sym.mul %ha, %j : f64, f64 -> f64
      sym.yield %e : f64
    }
  }
}

// -----

// Checked and unchecked writes: a value that is certainly a local state (a constant in
// the states, a read, a neg of a read on symmetric states, a select of such) is written
// unchecked; anything else ({checked}) invalidates the branch where it is not a state.
// (A constant outside the states is rejected by the sym verifier already.)
// CHECK-LABEL: branch.kernel @checked sites 2 states [-1, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0>} : tensor<?x2xi8> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VJ:.*]] = branch.column %[[VX]] {values = array<i64: 1>} : tensor<?x2xi8> -> tensor<?x1xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<1x2xi8>
// CHECK-NEXT: %[[VIN:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x2xi8> -> tensor<?x1xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VI]], %[[VIN]] : !branch.state<1x2xi8>, tensor<?x1xi64>, tensor<?x1xi64> -> !branch.state<1x2xi8>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VXJ:.*]] = branch.read %[[VX]], %[[VJ]] : tensor<?x2xi8>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[VSUM:.*]] = branch.add %[[VXI]], %[[VXJ]] : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[V2:.*]] = branch.write %[[V1]], %[[VI]], %[[VSUM]] {checked} : !branch.state<1x2xi8>, tensor<?x1xi64>, tensor<?x1xi64> -> !branch.state<1x2xi8>
// CHECK-NEXT: %[[VT:.*]] = branch.cmp gt %[[VXI]], %[[VXJ]] : tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi1>
// CHECK-NEXT: %[[VSEL:.*]] = branch.select %[[VT]], %[[VXI]], %[[VIN]] : tensor<?x1xi1>, tensor<?x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
// CHECK-NEXT: %[[V3:.*]] = branch.write %[[V2]], %[[VJ]], %[[VSEL]] : !branch.state<1x2xi8>, tensor<?x1xi64>, tensor<?x1xi64> -> !branch.state<1x2xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x1xf64>
// CHECK-NEXT: %[[V4:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x1xi1>
// CHECK-NEXT: %[[V5:[a-zA-Z0-9_]+]], %[[V6:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V3]], %[[VA]], %[[V4]] {term = "w"} : tensor<?x2xi8>, !branch.state<1x2xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x2xi8>, tensor<?x1xf64>
// CHECK-NEXT: %[[V7:.*]] = branch.concat %[[V5]] : tensor<?x1x2xi8> -> tensor<?x1x2xi8>
// CHECK-NEXT: %[[V8:.*]] = branch.concat %[[V6]] : tensor<?x1xf64> -> tensor<?x1xf64>
// CHECK-NEXT: branch.return %[[V7]], %[[V8]] : tensor<?x1x2xi8>, tensor<?x1xf64>
// CHECK-NEXT: }
sym.operator @checked sites 2 states [-1, 1] dtype f64 {
  sym.term @w kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %in = sym.constant 1 : i64
      sym.write %i, %in
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %sum = sym.add %xi, %xj : i64, i64 -> i64
      sym.write %i, %sum
      %t = sym.cmp gt %xi, %xj : i64, i64
      %sel = sym.select %t, %xi, %in : i64, i64 -> i64
      sym.write %j, %sel
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.count -> branch.count of x; sym.parity -> branch.parity. An integer op of labels
// and integer constants is folded row by row into a branch.column (min(i, j) + 1 and
// max(i, j) here), so that the count's bounds are static.
// CHECK-LABEL: branch.kernel @jw sites 4 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 2>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VJ:.*]] = branch.column %[[VX]] {values = array<i64: 3, 1>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %{{.*}} = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VLO:.*]] = branch.column %[[VX]] {values = array<i64: 1, 2>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VHI:.*]] = branch.column %[[VX]] {values = array<i64: 3, 2>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VN:.*]] = branch.count %[[VX]], %[[VLO]], %[[VHI]] : tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VS:.*]] = branch.parity %[[VN]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VZERO:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VJ]], %[[VZERO]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[V2:.*]] = branch.write %[[V1]], %[[VI]], %[[VONE]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VT:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V3:[a-zA-Z0-9_]+]], %[[V4:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V2]], %[[VS]], %[[VT]] {term = "hop"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V5:.*]] = branch.concat %[[V3]] : tensor<?x2x4xi8> -> tensor<?x2x4xi8>
// CHECK-NEXT: %[[V6:.*]] = branch.concat %[[V4]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V5]], %[[V6]] : tensor<?x2x4xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @jw sites 4 states [0, 1] dtype f64 {
  sym.term @hop kind "rows" labels ["i", "j"] rows [[0, 3], [2, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %one = sym.constant 1 : i64
    %lo = sym.min %i, %j : i64, i64 -> i64
    %lo1 = sym.add %lo, %one : i64, i64 -> i64
    %hi = sym.max %i, %j : i64, i64 -> i64
    %n = sym.count %lo1, %hi : i64
    %s = sym.parity %n : i64 -> i64
    sym.emission {
      %zero = sym.constant 0 : i64
      sym.write %j, %zero
      sym.write %i, %one
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.nth_site -> branch.nth_site of %x at the converted rank (here a label's column):
// the k-th particle moves to the k-th hole, sites found per configuration; the sign is
// the parity of the particles between them (a count at run-time bounds).
// CHECK-LABEL: branch.kernel @excite sites 4 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>):
// CHECK-NEXT: %[[VK:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VP:.*]] = branch.nth_site %[[VX]], %[[VK]] {sites = array<i64: 0, 1, 2, 3>, state = 1 : i64} : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VH:.*]] = branch.nth_site %[[VX]], %[[VK]] {sites = array<i64: 0, 1, 2, 3>, state = 0 : i64} : tensor<?x4xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VLO:.*]] = branch.min %[[VP]], %[[VH]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VHI:.*]] = branch.max %[[VP]], %[[VH]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VN:.*]] = branch.count %[[VX]], %[[VLO]], %[[VHI]] : tensor<?x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VS:.*]] = branch.parity %[[VN]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VZERO:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x4xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VP]], %[[VZERO]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[V2:.*]] = branch.write %[[V1]], %[[VH]], %[[VONE]] : !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x4xi8>
// CHECK-NEXT: %[[VT:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V3:[a-zA-Z0-9_]+]], %[[V4:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V2]], %[[VS]], %[[VT]] {term = "excite"} : tensor<?x4xi8>, !branch.state<2x4xi8>, tensor<?x2xi64>, tensor<?x2xi1> -> tensor<?x2x4xi8>, tensor<?x2xf64>
sym.operator @excite sites 4 states [0, 1] dtype f64 {
  sym.term @excite kind "rows" labels ["k"] rows [[0], [1]] {
    %k = sym.label "k"
    %p = sym.nth_site %k {sites = array<i64: 0, 1, 2, 3>, state = 1 : i64} : i64
    %h = sym.nth_site %k {sites = array<i64: 0, 1, 2, 3>, state = 0 : i64} : i64
    %lo = sym.min %p, %h : i64, i64 -> i64
    %hi = sym.max %p, %h : i64, i64 -> i64
    %n = sym.count %lo, %hi : i64
    %s = sym.parity %n : i64 -> i64
    sym.emission {
      %zero = sym.constant 0 : i64
      %one = sym.constant 1 : i64
      sym.write %p, %zero
      sym.write %h, %one
    } amplitude {
      sym.yield %s : i64
    }
  }
}
