// RUN: symir-opt %s --split-input-file -p 'symbolic-validation{strict=false}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'symbolic-validation{strict=false}' | symir-opt --split-input-file | filecheck %s
// RUN: not symir-opt %s --split-input-file -p symbolic-validation 2>&1 | filecheck %s --check-prefix=STRICT

// A fan-out hint below rows x emissions, a constant-false predicate and a duplicate
// emission are warnings, written onto the module.
// CHECK-LABEL: builtin.module attributes {sym.validation_summary = {ok = true, errors = [],
// CHECK-SAME: "term @t: fan-out hint 1 is smaller than rows x emissions = 4
// CHECK-SAME: "term @t: the predicate is constant false"
// CHECK-SAME: "term @t: duplicate emissions (kept: multiset)"
// CHECK-SAME: term_count = 1 : i64}
// CHECK: sym.operator @v sites 2 states [0, 1] dtype f64

builtin.module {
  sym.operator @v sites 2 states [0, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] fanout 1 {
      %p = sym.constant false
      sym.where %p
      sym.emission {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
      sym.emission {
      } amplitude {
        %b = sym.constant 1.0 : f64
        sym.yield %b : f64
      }
    }
  }
}

// -----

// Well-formed IR that cannot mean what its author wanted: a shift that leaves every local
// state, a scatter writing a non-local state, a division by zero (emission 2 writes 3, then
// shifts it back to 1: fine). Strict validation
// (the default) fails; otherwise the errors are reported and the module is kept.
// CHECK-LABEL: builtin.module attributes {sym.validation_summary = {ok = false, errors = [
// CHECK-SAME: "term @flip, emission 0: 'sym.shift' by 1 maps no local state [-1, 1] to a local state, so every branch it emits is invalid"
// CHECK-SAME: "term @flip, emission 1: 'sym.scatter' writes 3, which is not a local state [-1, 1]"
// CHECK-SAME: "term @flip: 'sym.div' by the constant zero"
// CHECK-NOT: "term @flip, emission 2
// CHECK-SAME: warnings = []
// CHECK: sym.operator @e sites 2 states [-1, 1] dtype f64

// STRICT: symir-opt: error: SymbolicValidationError: term @flip, emission 0: 'sym.shift' by 1 maps no local state [-1, 1] to a local state, so every branch it emits is invalid; term @flip, emission 1: 'sym.scatter' writes 3, which is not a local state [-1, 1]; term @flip: 'sym.div' by the constant zero
builtin.module {
  sym.operator @e sites 2 states [-1, 1] dtype f64 {
    sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
        %i = sym.label "i"
        %d = sym.constant 1 : i64
        sym.shift %i, %d
      } amplitude {
        %a = sym.constant 1.0 : f64
        %z = sym.constant 0 : i64
        %q = sym.div %a, %z : f64, i64 -> f64
        sym.yield %q : f64
      }
      sym.emission {
        %i = sym.label "i"
        %v = sym.constant 3 : i64
        %w = sym.constant 1 : i64
        sym.scatter [%i, %i], [%w, %v]
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
      sym.emission {
        %i = sym.label "i"
        %v = sym.constant 3 : i64
        %w = sym.constant 1 : i64
        sym.scatter [%i, %i], [%v, %w]
        %d = sym.constant -2 : i64
        sym.shift %i, %d
      } amplitude {
        %a = sym.constant 1.0 : f64
        %i2 = sym.label "i"
        %r = sym.read %i2 : i64
        %q = sym.div %a, %r : f64, i64 -> f64
        sym.yield %q : f64
      }
    }
  }
}
