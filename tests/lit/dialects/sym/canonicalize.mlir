// xDSL's `canonicalize` folds the sym expression ops (their `fold`, from the op's
// `evaluate`: the reference interpreter's meaning) and removes the dead pure ops.
//
// RUN: symir-opt %s -p canonicalize -o %t.mlir && filecheck %s < %t.mlir
// RUN: symir-opt %t.mlir | filecheck %s

sym.operator @fold sites 2 states [0, 1, 2] dtype complex<f64> {

  // Constant operands fold, also in a chain; the dead constants go.
  // CHECK-LABEL: sym.term @chain
  // CHECK-NEXT:    sym.emission {
  // CHECK-NEXT:    } amplitude {
  // CHECK-NEXT:      %[[C:.*]] = sym.constant 7.500000e+00 : f64
  // CHECK-NEXT:      sym.yield %[[C]] : f64
  // CHECK-NEXT:    }
  sym.term @chain kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 2 : i64
      %b = sym.constant 3 : i64
      %c = sym.add %a, %b : i64, i64 -> i64
      %d = sym.constant 1.5 : f64
      %e = sym.mul %c, %d : i64, f64 -> f64
      sym.yield %e : f64
    }
  }

  // Every kind of op folds: unary functions, powers (at least f64), min, wrap_mod (into
  // the operator's states 0 .. 2: 5 -> 2), comparisons and logic, in every region.
  // CHECK-LABEL: sym.term @kinds
  // CHECK-NEXT:    %[[T:.*]] = sym.constant true
  // CHECK-NEXT:    sym.where %[[T]]
  // CHECK-NEXT:    sym.emission {
  // CHECK-NEXT:      %[[I:.*]] = sym.label "i"
  // CHECK-NEXT:      %[[W:.*]] = sym.constant 2 : i64
  // CHECK-NEXT:      sym.write %[[I]], %[[W]]
  // CHECK-NEXT:    } amplitude {
  // CHECK-NEXT:      %[[M:.*]] = sym.constant 2.500000e-01 : f64
  // CHECK-NEXT:      sym.yield %[[M]] : f64
  // CHECK-NEXT:    }
  sym.term @kinds kind "site" labels ["i"] rows [[0]] {
    %four = sym.constant 4 : i64
    %two = sym.constant 2 : i64
    %lt = sym.cmp lt %two, %four : i64, i64
    %f = sym.constant false
    %nf = sym.not %f
    %and = sym.and %lt, %nf
    %or = sym.or %f, %and
    sym.where %or
    sym.emission {
      %i = sym.label "i"
      %five = sym.constant 5 : i64
      %w = sym.wrap_mod %five : i64 -> i64
      sym.write %i, %w
    } amplitude {
      %x = sym.constant 4 : i64
      %s = sym.sqrt %x : i64 -> f64
      %half = sym.constant 0.5 : f64
      %p = sym.pow %half, %two : f64, i64 -> f64
      %m = sym.min %s, %p : f64, f64 -> f64
      sym.yield %m : f64
    }
  }

  // Values a sym.constant cannot hold are not folded: a non-finite float (1 / 0,
  // sqrt(-1)), an i64 that overflows 64 bits, a complex value.
  // CHECK-LABEL: sym.term @kept
  // CHECK:         sym.div
  // CHECK:         sym.sqrt
  // CHECK:         sym.add
  // CHECK:         sym.complex
  sym.term @kept kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %one = sym.constant 1.0 : f64
      %zero = sym.constant 0 : i64
      %inf = sym.div %one, %zero : f64, i64 -> f64
      %m1 = sym.constant -1.0 : f64
      %nan = sym.sqrt %m1 : f64 -> f64
      %big = sym.constant 9223372036854775807 : i64
      %i1 = sym.constant 1 : i64
      %over = sym.add %big, %i1 : i64, i64 -> i64
      %s = sym.add %inf, %nan : f64, f64 -> f64
      %z = sym.complex %s, %over : f64, i64
      sym.yield %z : complex<f64>
    }
  }

  // An op on a non-constant operand stays, except where it is the identity: the
  // conjugate of a real value is that value.
  // CHECK-LABEL: sym.term @runtime
  // CHECK-NEXT:    sym.emission {
  // CHECK-NEXT:    } amplitude {
  // CHECK-NEXT:      %[[H:.*]] = sym.param "h" : f64
  // CHECK-NEXT:      %[[ONE:.*]] = sym.constant 1.000000e+00 : f64
  // CHECK-NEXT:      %[[A:.*]] = sym.add %[[H]], %[[ONE]] : f64, f64 -> f64
  // CHECK-NEXT:      sym.yield %[[A]] : f64
  // CHECK-NEXT:    }
  sym.term @runtime kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %h = sym.param "h" : f64
      %c = sym.conj %h : f64 -> f64
      %one = sym.constant 1.0 : f64
      %a = sym.add %c, %one : f64, f64 -> f64
      %dead = sym.neg %a : f64 -> f64
      sym.yield %a : f64
    }
  }
}
