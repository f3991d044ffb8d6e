// RUN: symir-opt %s -p symbolic-validation | filecheck %s
// RUN: symir-opt %s -p symbolic-validation | symir-opt | filecheck %s

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
