// branch-coalesce-diagonal: every emission whose state is the identity (branch.state %x
// straight into branch.emit) of every term is summed into one width-1 branch put first
// (term = "diagonal"); the other emissions follow in their order.
//
// RUN: symir-opt %s --split-input-file -p convert-sym-to-branch,branch-coalesce-diagonal | filecheck %s
// The original diagonal branch.emit ops stay (their masked mel feeds branch.sum_rows); a
// second run leaves them (and everything else) as they are:
// RUN: symir-opt %s --split-input-file -p convert-sym-to-branch,branch-coalesce-diagonal,branch-coalesce-diagonal | filecheck %s
// A delta kernel (branch-return-deltas) returns no emissions' xp: it is left as it is.
// RUN: symir-opt %s --split-input-file -p convert-sym-to-branch,branch-return-deltas > %t.deltas.mlir
// RUN: symir-opt %s --split-input-file -p convert-sym-to-branch,branch-return-deltas,branch-coalesce-diagonal | diff %t.deltas.mlir -
// A kernel that returns derivatives (slot for slot with mels) is refused: its slots
// would change under them.
// RUN: not symir-opt %s --split-input-file -p convert-sym-to-branch,branch-differentiate,branch-coalesce-diagonal 2>&1 | filecheck %s --check-prefix=DERIV
// DERIV: ValueError: branch-coalesce-diagonal: kernel @tfim returns derivatives ['J', 'h'] slot for slot with its matrix elements, and this pass would change its slots: run it before branch-differentiate (at op 'branch.return')

// TFIM on 4 sites: the zz emission (identity update) becomes one branch.sum_rows and a
// width-1 `term = "diagonal"` emit, first in the concat; the flips follow: F = N + 1 = 5.
// CHECK-LABEL: branch.kernel @tfim sites 4 states [-1, 1] dtype f64 params ["J", "h"] hermitian {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x4xi8>, %[[VJ:[a-zA-Z0-9_]+]]: tensor<f64>, %[[VH:[a-zA-Z0-9_]+]]: tensor<f64>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
// CHECK-NEXT: %[[VJ_2:.*]] = branch.column %[[VX]] {values = array<i64: 1, 2, 3, 0>} : tensor<?x4xi8> -> tensor<?x4xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<4x4xi8>
// CHECK-NEXT: %[[VCOUPLING:.*]] = branch.splat %[[VJ]], %[[VX]] : tensor<f64>, tensor<?x4xi8> -> tensor<?x4xf64>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %[[VXJ:.*]] = branch.read %[[VX]], %[[VJ_2]] : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %[[VCXI:.*]] = branch.mul %[[VCOUPLING]], %[[VXI]] : tensor<?x4xf64>, tensor<?x4xi64> -> tensor<?x4xf64>
// CHECK-NEXT: %[[VZZ:.*]] = branch.mul %[[VCXI]], %[[VXJ]] : tensor<?x4xf64>, tensor<?x4xi64> -> tensor<?x4xf64>
// CHECK-NEXT: %[[V1:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
// CHECK-NEXT: %[[V2:[a-zA-Z0-9_]+]], %[[V3:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V0]], %[[VZZ]], %[[V1]] {term = "zz"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
// CHECK-NEXT: %[[VI_1:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1, 2, 3>} : tensor<?x4xi8> -> tensor<?x4xi64>
// CHECK-NEXT: %[[V4:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<4x4xi8>
// CHECK-NEXT: %[[VXI_1:.*]] = branch.read %[[VX]], %[[VI_1]] : tensor<?x4xi8>, tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %[[VFLIPPED:.*]] = branch.neg %[[VXI_1]] : tensor<?x4xi64> -> tensor<?x4xi64>
// CHECK-NEXT: %[[V5:.*]] = branch.write %[[V4]], %[[VI_1]], %[[VFLIPPED]] : !branch.state<4x4xi8>, tensor<?x4xi64>, tensor<?x4xi64> -> !branch.state<4x4xi8>
// CHECK-NEXT: %[[VH_1:.*]] = branch.splat %[[VH]], %[[VX]] : tensor<f64>, tensor<?x4xi8> -> tensor<?x4xf64>
// CHECK-NEXT: %[[VMH:.*]] = branch.neg %[[VH_1]] : tensor<?x4xf64> -> tensor<?x4xf64>
// CHECK-NEXT: %[[V6:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x4xi1>
// CHECK-NEXT: %[[V7:[a-zA-Z0-9_]+]], %[[V8:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V5]], %[[VMH]], %[[V6]] {term = "x", tag = "flip"} : tensor<?x4xi8>, !branch.state<4x4xi8>, tensor<?x4xf64>, tensor<?x4xi1> -> tensor<?x4x4xi8>, tensor<?x4xf64>
// CHECK-NEXT: %[[V9:.*]] = branch.sum_rows %[[V3]] : tensor<?x4xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[V10:.*]] = branch.state %[[VX]] : tensor<?x4xi8> -> !branch.state<1x4xi8>
// CHECK-NEXT: %[[V11:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x4xi8> -> tensor<?x1xi1>
// CHECK-NEXT: %[[V12:[a-zA-Z0-9_]+]], %[[V13:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V10]], %[[V9]], %[[V11]] {term = "diagonal"} : tensor<?x4xi8>, !branch.state<1x4xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x4xi8>, tensor<?x1xf64>
// CHECK-NEXT: %[[V14:.*]] = branch.concat %[[V12]], %[[V7]] : tensor<?x1x4xi8>, tensor<?x4x4xi8> -> tensor<?x5x4xi8>
// CHECK-NEXT: %[[V15:.*]] = branch.concat %[[V13]], %[[V8]] : tensor<?x1xf64>, tensor<?x4xf64> -> tensor<?x5xf64>
// CHECK-NEXT: branch.return %[[V14]], %[[V15]] : tensor<?x5x4xi8>, tensor<?x5xf64>
// CHECK-NEXT: }
sym.operator @tfim sites 4 states [-1, 1] dtype f64 hermitian {
  sym.term @zz kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2], [2, 3], [3, 0]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %coupling = sym.param "J" default 1.0 : f64
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %cxi = sym.mul %coupling, %xi : f64, i64 -> f64
      %zz = sym.mul %cxi, %xj : f64, i64 -> f64
      sym.yield %zz : f64
    }
  }
  sym.term @x kind "site" labels ["i"] rows [[0], [1], [2], [3]] {
    %i = sym.label "i"
    sym.emission "flip" {
      %xi = sym.read %i : i64
      %flipped = sym.neg %xi : i64 -> i64
      sym.write %i, %flipped
    } amplitude {
      %h = sym.param "h" default 1.0 : f64
      %mh = sym.neg %h : f64 -> f64
      sym.yield %mh : f64
    }
  }
}

// -----

// Two diagonal emissions, one guarded by an emission predicate: both coalesce; the
// guarded one's mask stays on its branch.emit, whose masked mel goes into the sum
// (branch.sum_rows of each, joined with branch.add).
// CHECK-LABEL: branch.kernel @guarded sites 3 states [0, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x3xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1, 2>} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x3xi8>, tensor<?x3xi64> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VONE:.*]] = branch.constant %[[VX]] {value = 1 : i64} : tensor<?x3xi8> -> tensor<?x3xi64>
// CHECK-NEXT: %[[VOCCUPIED:.*]] = branch.cmp eq %[[VXI]], %[[VONE]] : tensor<?x3xi64>, tensor<?x3xi64> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VMU:.*]] = branch.constant %[[VX]] {value = -5.000000e-01 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V1:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V2:[a-zA-Z0-9_]+]], %[[V3:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V0]], %[[VMU]], %[[V1]] {term = "n"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[V4:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VU:.*]] = branch.constant %[[VX]] {value = 2.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V5:[a-zA-Z0-9_]+]], %[[V6:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V4]], %[[VU]], %[[VOCCUPIED]] {term = "n"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[V7:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[V8:.*]] = branch.write %[[V7]], %[[VI]], %[[VONE]] : !branch.state<3x3xi8>, tensor<?x3xi64>, tensor<?x3xi64> -> !branch.state<3x3xi8>
// CHECK-NEXT: %[[VT:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x3xi8> -> tensor<?x3xf64>
// CHECK-NEXT: %[[V9:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x3xi8> -> tensor<?x3xi1>
// CHECK-NEXT: %[[V10:[a-zA-Z0-9_]+]], %[[V11:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V8]], %[[VT]], %[[V9]] {term = "n", tag = "create"} : tensor<?x3xi8>, !branch.state<3x3xi8>, tensor<?x3xf64>, tensor<?x3xi1> -> tensor<?x3x3xi8>, tensor<?x3xf64>
// CHECK-NEXT: %[[V12:.*]] = branch.sum_rows %[[V3]] : tensor<?x3xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[V13:.*]] = branch.sum_rows %[[V6]] : tensor<?x3xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[V14:.*]] = branch.add %[[V12]], %[[V13]] : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>
// CHECK-NEXT: %[[V15:.*]] = branch.state %[[VX]] : tensor<?x3xi8> -> !branch.state<1x3xi8>
// CHECK-NEXT: %[[V16:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x3xi8> -> tensor<?x1xi1>
// CHECK-NEXT: %[[V17:[a-zA-Z0-9_]+]], %[[V18:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V15]], %[[V14]], %[[V16]] {term = "diagonal"} : tensor<?x3xi8>, !branch.state<1x3xi8>, tensor<?x1xf64>, tensor<?x1xi1> -> tensor<?x1x3xi8>, tensor<?x1xf64>
// CHECK-NEXT: %[[V19:.*]] = branch.concat %[[V17]], %[[V10]] : tensor<?x1x3xi8>, tensor<?x3x3xi8> -> tensor<?x4x3xi8>
// CHECK-NEXT: %[[V20:.*]] = branch.concat %[[V18]], %[[V11]] : tensor<?x1xf64>, tensor<?x3xf64> -> tensor<?x4xf64>
// CHECK-NEXT: branch.return %[[V19]], %[[V20]] : tensor<?x4x3xi8>, tensor<?x4xf64>
// CHECK-NEXT: }
sym.operator @guarded sites 3 states [0, 1] dtype f64 {
  sym.term @n kind "site" labels ["i"] rows [[0], [1], [2]] {
    %i = sym.label "i"
    %xi = sym.read %i : i64
    %one = sym.constant 1 : i64
    %occupied = sym.cmp eq %xi, %one : i64, i64
    sym.emission {
    } amplitude {
      %mu = sym.constant -5.000000e-01 : f64
      sym.yield %mu : f64
    }
    sym.emission if %occupied {
    } amplitude {
      %u = sym.constant 2.0 : f64
      sym.yield %u : f64
    }
    sym.emission "create" {
      sym.write %i, %one
    } amplitude {
      %t = sym.constant 1.0 : f64
      sym.yield %t : f64
    }
  }
}

// -----

// An emission that is the identity only under a predicate (sym.cond with one identity
// side) ends in a branch.select_state, not an identity state: nothing is coalesced.
// CHECK-LABEL: branch.kernel @cond_identity sites 2 states [-1, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VZERO:.*]] = branch.constant %[[VX]] {value = 0 : i64} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VUP:.*]] = branch.cmp gt %[[VXI]], %[[VZERO]] : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VM:.*]] = branch.neg %[[VXI]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VI]], %[[VM]] : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[V2:.*]] = branch.select_state %[[VUP]], %[[V1]], %[[V0]] : tensor<?x2xi1>, !branch.state<2x2xi8>, !branch.state<2x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V3:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V4:[a-zA-Z0-9_]+]], %[[V5:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V2]], %[[VA]], %[[V3]] {term = "c"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V6:.*]] = branch.concat %[[V4]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[V7:.*]] = branch.concat %[[V5]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V6]], %[[V7]] : tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @cond_identity sites 2 states [-1, 1] dtype f64 {
  sym.term @c kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    %xi = sym.read %i : i64
    %zero = sym.constant 0 : i64
    %up = sym.cmp gt %xi, %zero : i64, i64
    sym.emission {
      sym.cond %up {
        %m = sym.neg %xi : i64 -> i64
        sym.write %i, %m
      } else {
      }
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// No diagonal emission at all: the kernel is unchanged.
// CHECK-LABEL: branch.kernel @offdiag sites 2 states [-1, 1] dtype f64 params [] {
// CHECK-NEXT: ^bb0(%[[VX:[a-zA-Z0-9_]+]]: tensor<?x2xi8>):
// CHECK-NEXT: %[[VI:.*]] = branch.column %[[VX]] {values = array<i64: 0, 1>} : tensor<?x2xi8> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V0:.*]] = branch.state %[[VX]] : tensor<?x2xi8> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VXI:.*]] = branch.read %[[VX]], %[[VI]] : tensor<?x2xi8>, tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[VM:.*]] = branch.neg %[[VXI]] : tensor<?x2xi64> -> tensor<?x2xi64>
// CHECK-NEXT: %[[V1:.*]] = branch.write %[[V0]], %[[VI]], %[[VM]] : !branch.state<2x2xi8>, tensor<?x2xi64>, tensor<?x2xi64> -> !branch.state<2x2xi8>
// CHECK-NEXT: %[[VA:.*]] = branch.constant %[[VX]] {value = 1.000000e+00 : f64} : tensor<?x2xi8> -> tensor<?x2xf64>
// CHECK-NEXT: %[[V2:.*]] = branch.constant %[[VX]] {value = true} : tensor<?x2xi8> -> tensor<?x2xi1>
// CHECK-NEXT: %[[V3:[a-zA-Z0-9_]+]], %[[V4:[a-zA-Z0-9_]+]] = branch.emit %[[VX]], %[[V1]], %[[VA]], %[[V2]] {term = "x"} : tensor<?x2xi8>, !branch.state<2x2xi8>, tensor<?x2xf64>, tensor<?x2xi1> -> tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: %[[V5:.*]] = branch.concat %[[V3]] : tensor<?x2x2xi8> -> tensor<?x2x2xi8>
// CHECK-NEXT: %[[V6:.*]] = branch.concat %[[V4]] : tensor<?x2xf64> -> tensor<?x2xf64>
// CHECK-NEXT: branch.return %[[V5]], %[[V6]] : tensor<?x2x2xi8>, tensor<?x2xf64>
// CHECK-NEXT: }
sym.operator @offdiag sites 2 states [-1, 1] dtype f64 {
  sym.term @x kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      %m = sym.neg %xi : i64 -> i64
      sym.write %i, %m
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
