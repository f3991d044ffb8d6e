// RUN: symir-opt %s --split-input-file -p 'symbolic-validation{strict=false}' -o %t.mlir && filecheck %s < %t.mlir
// RUN: symir-opt %t.mlir --split-input-file | filecheck %s
// RUN: not symir-opt %s --split-input-file -p symbolic-validation 2>&1 | filecheck %s --check-prefix=STRICT
// RUN: symir-opt %s --split-input-file -p 'symbolic-validation{strict=false ignore_warnings=SYMIR-W103,SYMIR-W104}' | filecheck %s --check-prefix=IGNORE
// RUN: symir-opt %s --split-input-file -p 'symbolic-validation{strict=false warnings_as_errors=all}' | filecheck %s --check-prefix=WERROR

// A fan-out hint below rows x emissions, a constant-false predicate and a duplicate
// emission are warnings, written onto the module.
// CHECK-LABEL: builtin.module attributes {sym.validation_summary = {ok = true, errors = [],
// CHECK-SAME: "SYMIR-W104 term @t: fan-out hint 1 is smaller than rows x emissions = 4
// CHECK-SAME: "SYMIR-W101 term @t: the predicate is constant false"
// CHECK-SAME: "SYMIR-W103 term @t: duplicate emissions (kept: multiset)"
// CHECK-SAME: term_count = 1 : i64}
// CHECK: sym.operator @v sites 2 states [0, 1] dtype f64

// Ignored codes are not reported; warnings_as_errors=all makes every warning an error.
// IGNORE-LABEL: builtin.module attributes {sym.validation_summary = {ok = true, errors = [], warnings = ["SYMIR-W101 term @t: the predicate is constant false"], required_parameters = [], term_count = 1 : i64}}
// WERROR-LABEL: builtin.module attributes {sym.validation_summary = {ok = false, errors = ["SYMIR-W104 term @t: fan-out hint 1
// WERROR-SAME: "SYMIR-W101 term @t: the predicate is constant false"
// WERROR-SAME: "SYMIR-W103 term @t: duplicate emissions (kept: multiset)"
// WERROR-SAME: warnings = []

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
// CHECK-SAME: "SYMIR-E002 term @flip, emission 0: 'sym.shift' by 1 maps no local state [-1, 1] to a local state, so every branch it emits is invalid"
// CHECK-SAME: "SYMIR-E003 term @flip, emission 1: 'sym.scatter' writes 3, which is not a local state [-1, 1]"
// CHECK-SAME: "SYMIR-E004 term @flip: 'sym.div' by the constant zero"
// CHECK-NOT: "term @flip, emission 2
// CHECK-SAME: warnings = []
// CHECK: sym.operator @e sites 2 states [-1, 1] dtype f64

// Strict: each error at its op's file:line:col (absolute lines: filecheck's @LINE
// arithmetic is unreliable), with the source line and a caret.
// STRICT: symbolic-validation.mlir:72:9: error: SYMIR-E002 term @flip, emission 0: 'sym.shift' by 1 maps no local state [-1, 1] to a local state, so every branch it emits is invalid
// STRICT-NEXT: sym.shift %i, %d
// STRICT-NEXT: ^
// STRICT-NEXT: symbolic-validation.mlir:83:9: error: SYMIR-E003 term @flip, emission 1: 'sym.scatter' writes 3, which is not a local state [-1, 1]
// STRICT-NEXT: sym.scatter [%i, %i], [%w, %v]
// STRICT-NEXT: ^
// STRICT-NEXT: symbolic-validation.mlir:76:9: error: SYMIR-E004 term @flip: 'sym.div' by the constant zero
// STRICT-NEXT: %q = sym.div %a, %z : f64, i64 -> f64
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

// -----

// An emission predicate that is constant false (the emission never contributes), and a
// parameter without a default, listed as required.
// CHECK-LABEL: builtin.module attributes {sym.validation_summary = {ok = true, errors = [],
// CHECK-SAME: warnings = ["SYMIR-W102 term @c, emission 0: the 'sym.emission' predicate is constant false"]
// CHECK-SAME: required_parameters = ["g"]
// CHECK: sym.operator @c sites 2 states [0, 1] dtype f64
builtin.module {
  sym.operator @c sites 2 states [0, 1] dtype f64 {
    sym.term @c kind "site" labels ["i"] rows [[0], [1]] {
      %f = sym.constant false
      sym.emission if %f {
      } amplitude {
        %g = sym.param "g" : f64
        sym.yield %g : f64
      }
    }
  }
}

// -----

// A constant that is not a finite number (NaN written as MLIR's hexadecimal float): every
// matrix element computed from it is NaN (strict, an error at the constant:
// test_a_constant_that_is_not_finite_is_an_error_at_compile).
// CHECK-LABEL: builtin.module attributes {sym.validation_summary = {ok = false, errors = [
// CHECK-SAME: "SYMIR-E008 term @flip: 'sym.constant' nan is not a finite number: every matrix element computed from it is NaN or infinite"
// CHECK: sym.constant 0x7ff8000000000000 : f64
builtin.module {
  sym.operator @n sites 2 states [-1, 1] dtype f64 {
    sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
        %i = sym.label "i"
        %d = sym.constant 1 : i64
        sym.write %i, %d
      } amplitude {
        %a = sym.constant 0x7FF8000000000000 : f64
        sym.yield %a : f64
      }
    }
  }
}
