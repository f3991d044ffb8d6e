// Two realistic operators written by hand: their printing through symir-opt is stable
// (a fixed point after one print, through the custom and the generic form).
//
// (SYMIR_ROUNDTRIP written out: each print checked once, and the second equal to the first.)
// RUN: symir-opt %s -o %t.1.mlir && filecheck %s < %t.1.mlir
// RUN: symir-opt %t.1.mlir -o %t.2.mlir && filecheck %s < %t.2.mlir && diff %t.1.mlir %t.2.mlir
// RUN: SYMIR_GENERIC_ROUNDTRIP
//
// Spins are the local states -1 and +1 (x[i] is the z component of spin i, up to 1/2);
// periodic chains of 4 sites, the bonds are the rows [i, j] of the iterator table.

// Transverse-field Ising chain: H = J sum_<ij> Z_i Z_j - h sum_i X_i.
// @zz is diagonal (empty update region) with amplitude J * x[i] * x[j];
// @x flips spin i (x'[i] = -x[i]) with amplitude -h.
// CHECK-LABEL: sym.operator @tfim sites 4 states [-1, 1] dtype f64 hermitian {
sym.operator @tfim sites 4 states [-1, 1] dtype f64 hermitian {
  // CHECK-LABEL: sym.term @zz kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1], [1, 2], [2, 3], [3, 0]] {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[J:.*]] = sym.label "j"
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[COUPLING:.*]] = sym.param "J" default 1.0 : f64
  // CHECK-NEXT:  %[[XI:.*]] = sym.read %[[I]] : i64
  // CHECK-NEXT:  %[[XJ:.*]] = sym.read %[[J]] : i64
  // CHECK-NEXT:  %[[CXI:.*]] = sym.mul %[[COUPLING]], %[[XI]] : f64, i64 -> f64
  // CHECK-NEXT:  %[[ZZ:.*]] = sym.mul %[[CXI]], %[[XJ]] : f64, i64 -> f64
  // CHECK-NEXT:  sym.yield %[[ZZ]] : f64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
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
  // CHECK-LABEL: sym.term @x kind "site" labels ["i"] rows {{\[\[}}0], [1], [2], [3]] {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  sym.emission "flip" {
  // CHECK-NEXT:  %[[XI:.*]] = sym.read %[[I]] : i64
  // CHECK-NEXT:  %[[FLIPPED:.*]] = sym.neg %[[XI]] : i64 -> i64
  // CHECK-NEXT:  sym.write %[[I]], %[[FLIPPED]]
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[H:.*]] = sym.param "h" default 1.0 : f64
  // CHECK-NEXT:  %[[MH:.*]] = sym.neg %[[H]] : f64 -> f64
  // CHECK-NEXT:  sym.yield %[[MH]] : f64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
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

// Heisenberg chain: H = J sum_<ij> (Z_i Z_j + X_i X_j + Y_i Y_j).
// @zz is diagonal with amplitude J * x[i] * x[j]; @exchange swaps the two spins of a bond
// where they differ (X X + Y Y = 2 (S+ S- + S- S+) on +-1 spins), amplitude 2 J.
// CHECK-LABEL: sym.operator @heisenberg sites 4 states [-1, 1] dtype f64 hermitian {
sym.operator @heisenberg sites 4 states [-1, 1] dtype f64 hermitian {
  // CHECK-LABEL: sym.term @zz kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1], [1, 2], [2, 3], [3, 0]] {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[J:.*]] = sym.label "j"
  // CHECK-NEXT:  sym.emission {
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[COUPLING:.*]] = sym.param "J" default 1.0 : f64
  // CHECK-NEXT:  %[[XI:.*]] = sym.read %[[I]] : i64
  // CHECK-NEXT:  %[[XJ:.*]] = sym.read %[[J]] : i64
  // CHECK-NEXT:  %[[XX:.*]] = sym.mul %[[XI]], %[[XJ]] : i64, i64 -> i64
  // CHECK-NEXT:  %[[ZZ:.*]] = sym.mul %[[COUPLING]], %[[XX]] : f64, i64 -> f64
  // CHECK-NEXT:  sym.yield %[[ZZ]] : f64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @zz kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2], [2, 3], [3, 0]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %coupling = sym.param "J" default 1.0 : f64
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %xx = sym.mul %xi, %xj : i64, i64 -> i64
      %zz = sym.mul %coupling, %xx : f64, i64 -> f64
      sym.yield %zz : f64
    }
  }
  // CHECK-LABEL: sym.term @exchange kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1], [1, 2], [2, 3], [3, 0]] {
  // CHECK-NEXT:  %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:  %[[J:.*]] = sym.label "j"
  // CHECK-NEXT:  %[[XI:.*]] = sym.read %[[I]] : i64
  // CHECK-NEXT:  %[[XJ:.*]] = sym.read %[[J]] : i64
  // CHECK-NEXT:  %[[DIFFER:.*]] = sym.cmp ne %[[XI]], %[[XJ]] : i64, i64
  // CHECK-NEXT:  sym.emission "exchange" if %[[DIFFER]] {
  // CHECK-NEXT:  sym.swap %[[I]], %[[J]]
  // CHECK-NEXT:  } amplitude {
  // CHECK-NEXT:  %[[COUPLING:.*]] = sym.param "J" default 1.0 : f64
  // CHECK-NEXT:  %[[TWO:.*]] = sym.constant 2.000000e+00 : f64
  // CHECK-NEXT:  %[[A:.*]] = sym.mul %[[TWO]], %[[COUPLING]] : f64, f64 -> f64
  // CHECK-NEXT:  sym.yield %[[A]] : f64
  // CHECK-NEXT:  }
  // CHECK-NEXT:  }
  sym.term @exchange kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2], [2, 3], [3, 0]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %xi = sym.read %i : i64
    %xj = sym.read %j : i64
    %differ = sym.cmp ne %xi, %xj : i64, i64
    sym.emission "exchange" if %differ {
      sym.swap %i, %j
    } amplitude {
      %coupling = sym.param "J" default 1.0 : f64
      %two = sym.constant 2.0 : f64
      %a = sym.mul %two, %coupling : f64, f64 -> f64
      sym.yield %a : f64
    }
  }
}
