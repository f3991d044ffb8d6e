// RUN: symir-opt %s --split-input-file -p sym-lift-constant-sites | filecheck %s
// RUN: symir-opt %s --split-input-file -p sym-lift-constant-sites,sym-merge-row-terms | filecheck %s --check-prefix=MERGE

// Two bonds written with `globally()` and constant sites: each constant site becomes a
// label column (one per distinct site, in order of first use) and the global term a
// one-row `rows` term; then sym-merge-row-terms merges the two into one row table.
// CHECK-LABEL: sym.operator @two_global_bonds
// CHECK-NEXT:    sym.term @b0 kind "rows" labels ["site0", "site1"] rows {{\[\[}}0, 1]] {
// CHECK-NEXT:      sym.emission {
// CHECK-NEXT:        %[[A:.*]] = sym.label "site0"
// CHECK-NEXT:        %[[B:.*]] = sym.label "site1"
// CHECK-NEXT:        sym.swap %[[A]], %[[B]]
// CHECK-NEXT:      } amplitude {
// CHECK-NEXT:        %[[C:.*]] = sym.label "site0"
// CHECK-NEXT:        %[[XA:.*]] = sym.read %[[C]] : i64
// CHECK:           sym.term @b1 kind "rows" labels ["site0", "site1"] rows {{\[\[}}1, 2]] {

// MERGE-LABEL: sym.operator @two_global_bonds
// MERGE-NEXT:    sym.term @b0 kind "rows" labels ["site0", "site1"] rows {{\[\[}}0, 1], [1, 2]] {
// MERGE-NOT:     sym.term @b1
builtin.module {
  sym.operator @two_global_bonds sites 3 states [-1, 1] dtype f64 {
    sym.term @b0 kind "global" labels [] rows [[]] {
      sym.emission {
        %0 = sym.constant 0 : i64
        %1 = sym.constant 1 : i64
        sym.swap %0, %1
      } amplitude {
        %2 = sym.constant 0 : i64
        %3 = sym.read %2 : i64
        %4 = sym.constant 1 : i64
        %5 = sym.read %4 : i64
        %6 = sym.mul %3, %5 : i64, i64 -> i64
        sym.yield %6 : i64
      }
    }
    sym.term @b1 kind "global" labels [] rows [[]] {
      sym.emission {
        %0 = sym.constant 1 : i64
        %1 = sym.constant 2 : i64
        sym.swap %0, %1
      } amplitude {
        %2 = sym.constant 1 : i64
        %3 = sym.read %2 : i64
        %4 = sym.constant 2 : i64
        %5 = sym.read %4 : i64
        %6 = sym.mul %3, %5 : i64, i64 -> i64
        sym.yield %6 : i64
      }
    }
  }
}

// -----

// A constant that is a value, not a site (the written value, a shift's delta), stays a
// constant; a site constant next to labels adds a column after them.
// CHECK-LABEL: sym.operator @values_stay
// CHECK-NEXT:    sym.term @t kind "rows" labels ["i", "site0"] rows {{\[\[}}0, 3], [1, 3]] {
// CHECK:           %[[V:.*]] = sym.constant 1 : i64
// CHECK:           %[[S:.*]] = sym.label "site0"
// CHECK-NEXT:      sym.write %[[S]], %[[V]]
builtin.module {
  sym.operator @values_stay sites 4 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
        %v = sym.constant 1 : i64
        %s = sym.constant 3 : i64
        sym.write %s, %v
      } amplitude {
        %i = sym.label "i"
        %x = sym.read %i : i64
        sym.yield %x : i64
      }
    }
  }
}
