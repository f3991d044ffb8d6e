// RUN: symir-opt %s --split-input-file -p 'sym-tabulate-terms{min_terms=2}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'sym-tabulate-terms{min_terms=2}' | symir-opt --split-input-file | filecheck %s
// RUN: symir-opt %s --split-input-file -p 'sym-tabulate-terms{min_terms=2},sym-tabulate-terms{min_terms=2}' | filecheck %s
// RUN: symir-opt %s --split-input-file -p sym-tabulate-terms | filecheck %s --check-prefix=DEFAULT

// Three terms that differ only in their coefficient (labels named differently, the
// product's operands in another order: neither is part of the shape) become one term:
// the coefficient is read from a table keyed by the index of the row's term in the
// group, the new column tab0. The report names the kept and absorbed terms.
// CHECK:       builtin.module attributes {sym.tabulation = {terms = [3 : i64, 1 : i64], tabulated = {z0 = ["z1", "z2"]}, decisions = [{term = "z0", terms = 3 : i64, rows = [4 : i64, 4 : i64], decision = "tabulated", reason = "tabulated", columns = 1 : i64, tables = 1 : i64, ops = [27 : i64, 11 : i64]}]}} {
// CHECK-LABEL: sym.operator @coefficients
// CHECK-NEXT:    sym.term @z0 kind "rows" labels ["i", "j", "tab0"] rows {{\[\[}}0, 1, 0], [1, 2, 1], [2, 3, 2], [3, 0, 2]] {
// CHECK:           %[[P:.*]] = sym.mul %{{.*}}, %{{.*}} : i64, i64 -> i64
// CHECK-NEXT:      %[[K:.*]] = sym.label "tab0"
// CHECK-NEXT:      %[[C:.*]] = sym.lookup %[[K]] {keys = array<i64: 0, 1, 2>, values = array<f64: 5.000000e-01, -1.250000e+00, 2.000000e+00>} : i64 -> f64
// CHECK-NEXT:      %[[A:.*]] = sym.mul %[[C]], %[[P]] : f64, i64 -> f64
// CHECK-NEXT:      sym.yield %[[A]] : f64
// CHECK-NOT:     sym.term
// DEFAULT-LABEL: sym.operator @coefficients
// DEFAULT:       sym.term @z0 kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1]] {
// DEFAULT:       sym.term @z1
// DEFAULT:       sym.term @z2
builtin.module {
  sym.operator @coefficients sites 4 states [-1, 1] dtype f64 {
    sym.term @z0 kind "rows" labels ["i", "j"] rows [[0, 1]] {
      sym.emission {
      } amplitude {
        %i = sym.label "i"
        %xi = sym.read %i : i64
        %j = sym.label "j"
        %xj = sym.read %j : i64
        %p = sym.mul %xi, %xj : i64, i64 -> i64
        %c = sym.constant 0.5 : f64
        %a = sym.mul %c, %p : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
    sym.term @z1 kind "rows" labels ["a", "b"] rows [[1, 2]] {
      sym.emission {
      } amplitude {
        %i = sym.label "a"
        %xi = sym.read %i : i64
        %j = sym.label "b"
        %xj = sym.read %j : i64
        %p = sym.mul %xi, %xj : i64, i64 -> i64
        %c = sym.constant -1.25 : f64
        %a = sym.mul %p, %c : i64, f64 -> f64
        sym.yield %a : f64
      }
    }
    sym.term @z2 kind "rows" labels ["i", "j"] rows [[2, 3], [3, 0]] {
      sym.emission {
      } amplitude {
        %i = sym.label "i"
        %xi = sym.read %i : i64
        %j = sym.label "j"
        %xj = sym.read %j : i64
        %p = sym.mul %xi, %xj : i64, i64 -> i64
        %c = sym.constant 2.0 : f64
        %a = sym.mul %c, %p : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// Integer constants of an amplitude: a count's bounds and a factor. The lower bound
// equals the label i in every row and reads it; the upper bound (3, 5, 4: 5 = N is no
// site index) is tab0 + 3; the factor (-3, 7, -3) is -3 plus 10 or 0 written in two
// base-5 digits, tab1 + 5 tab2. The written value 1 is the same in every term and stays.
// CHECK:       builtin.module attributes {sym.tabulation = {terms = [3 : i64, 1 : i64], tabulated = {h0 = ["h1", "h2"]}
// CHECK-LABEL: sym.operator @bounds
// CHECK-NEXT:    sym.term @h0 kind "rows" labels ["i", "j", "tab0", "tab1", "tab2"] rows {{\[\[}}0, 3, 0, 0, 0], [1, 4, 2, 0, 2], [2, 0, 1, 0, 0]] {
// CHECK:           %[[ONE:.*]] = sym.constant 1 : i64
// CHECK-NEXT:      sym.write %{{.*}}, %[[ONE]]
// CHECK:           %[[I:.*]] = sym.label "i"
// CHECK-NEXT:      %[[T0:.*]] = sym.label "tab0"
// CHECK-NEXT:      %[[THREE:.*]] = sym.constant 3 : i64
// CHECK-NEXT:      %[[HI:.*]] = sym.add %[[T0]], %[[THREE]] : i64, i64 -> i64
// CHECK-NEXT:      %[[N:.*]] = sym.count %[[I]], %[[HI]] : i64
// CHECK-NEXT:      %[[S:.*]] = sym.parity %[[N]] : i64 -> i64
// CHECK-NEXT:      %[[T1:.*]] = sym.label "tab1"
// CHECK-NEXT:      %[[T2:.*]] = sym.label "tab2"
// CHECK-NEXT:      %[[BASE:.*]] = sym.constant 5 : i64
// CHECK-NEXT:      %[[HIGH:.*]] = sym.mul %[[T2]], %[[BASE]] : i64, i64 -> i64
// CHECK-NEXT:      %[[DIGITS:.*]] = sym.add %[[T1]], %[[HIGH]] : i64, i64 -> i64
// CHECK-NEXT:      %[[LOW:.*]] = sym.constant -3 : i64
// CHECK-NEXT:      %[[F:.*]] = sym.add %[[DIGITS]], %[[LOW]] : i64, i64 -> i64
// CHECK-NEXT:      %[[A:.*]] = sym.mul %[[F]], %[[S]] : i64, i64 -> i64
// CHECK-NEXT:      sym.yield %[[A]] : i64
// CHECK-NOT:     sym.term
builtin.module {
  sym.operator @bounds sites 5 states [0, 1] dtype f64 {
    sym.term @h0 kind "rows" labels ["i", "j"] rows [[0, 3]] {
      sym.emission {
        %i = sym.label "i"
        %one = sym.constant 1 : i64
        sym.write %i, %one
      } amplitude {
        %lo = sym.constant 0 : i64
        %hi = sym.constant 3 : i64
        %n = sym.count %lo, %hi : i64
        %s = sym.parity %n : i64 -> i64
        %f = sym.constant -3 : i64
        %a = sym.mul %f, %s : i64, i64 -> i64
        sym.yield %a : i64
      }
    }
    sym.term @h1 kind "rows" labels ["i", "j"] rows [[1, 4]] {
      sym.emission {
        %i = sym.label "i"
        %one = sym.constant 1 : i64
        sym.write %i, %one
      } amplitude {
        %lo = sym.constant 1 : i64
        %hi = sym.constant 5 : i64
        %n = sym.count %lo, %hi : i64
        %s = sym.parity %n : i64 -> i64
        %f = sym.constant 7 : i64
        %a = sym.mul %f, %s : i64, i64 -> i64
        sym.yield %a : i64
      }
    }
    sym.term @h2 kind "rows" labels ["i", "j"] rows [[2, 0]] {
      sym.emission {
        %i = sym.label "i"
        %one = sym.constant 1 : i64
        sym.write %i, %one
      } amplitude {
        %lo = sym.constant 2 : i64
        %hi = sym.constant 4 : i64
        %n = sym.count %lo, %hi : i64
        %s = sym.parity %n : i64 -> i64
        %f = sym.constant -3 : i64
        %a = sym.mul %f, %s : i64, i64 -> i64
        sym.yield %a : i64
      }
    }
  }
}

// -----

// More terms than sites: the index of a term in the group takes two base-2 digits,
// tab0 + 2 tab1 (the coefficient is no factor of the amplitude: rows are not combined).
// CHECK-LABEL: sym.operator @two_digits
// CHECK-NEXT:    sym.term @x0 kind "rows" labels ["i", "tab0", "tab1"] rows {{\[\[}}0, 0, 0], [1, 1, 0], [0, 0, 1]] {
// CHECK:           %[[T0:.*]] = sym.label "tab0"
// CHECK-NEXT:      %[[T1:.*]] = sym.label "tab1"
// CHECK-NEXT:      %[[TWO:.*]] = sym.constant 2 : i64
// CHECK-NEXT:      %[[HIGH:.*]] = sym.mul %[[T1]], %[[TWO]] : i64, i64 -> i64
// CHECK-NEXT:      %[[K:.*]] = sym.add %[[T0]], %[[HIGH]] : i64, i64 -> i64
// CHECK-NEXT:      %[[C:.*]] = sym.lookup %[[K]] {keys = array<i64: 0, 1, 2>, values = array<f64: 1.000000e+00, 2.000000e+00, 3.000000e+00>} : i64 -> f64
// CHECK-NEXT:      %[[A:.*]] = sym.add %[[C]], %{{.*}} : f64, i64 -> f64
// CHECK-NEXT:      sym.yield %[[A]] : f64
// CHECK-NOT:     sym.term
builtin.module {
  sym.operator @two_digits sites 2 states [-1, 1] dtype f64 {
    sym.term @x0 kind "rows" labels ["i"] rows [[0]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %c = sym.constant 1.0 : f64
        %a = sym.add %c, %x : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
    sym.term @x1 kind "rows" labels ["i"] rows [[1]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %c = sym.constant 2.0 : f64
        %a = sym.add %c, %x : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
    sym.term @x2 kind "rows" labels ["i"] rows [[0]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %c = sym.constant 3.0 : f64
        %a = sym.add %c, %x : f64, i64 -> f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// The coefficient is the amplitude of the only emission: rows equal in every column are
// one branch written twice, combined with their coefficients summed (rows [3, 2]); the
// key then indexes the rows.
// CHECK:       builtin.module attributes {sym.tabulation = {terms = [3 : i64, 1 : i64], tabulated = {d0 = ["d1", "d2"]}, decisions = [{term = "d0", terms = 3 : i64, rows = [3 : i64, 2 : i64]
// CHECK-LABEL: sym.operator @duplicates
// CHECK-NEXT:    sym.term @d0 kind "rows" labels ["i", "tab0"] rows {{\[\[}}0, 0], [1, 1]] {
// CHECK:           %[[C:.*]] = sym.lookup %{{.*}} {keys = array<i64: 0, 1>, values = array<f64: 4.000000e+00, 2.000000e+00>} : i64 -> f64
// CHECK-NEXT:      sym.yield %[[C]] : f64
builtin.module {
  sym.operator @duplicates sites 2 states [-1, 1] dtype f64 {
    sym.term @d0 kind "rows" labels ["i"] rows [[0]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %c = sym.constant 1.0 : f64
        sym.yield %c : f64
      }
    }
    sym.term @d1 kind "rows" labels ["i"] rows [[1]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %c = sym.constant 2.0 : f64
        sym.yield %c : f64
      }
    }
    sym.term @d2 kind "rows" labels ["i"] rows [[0]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %c = sym.constant 3.0 : f64
        sym.yield %c : f64
      }
    }
  }
}

// -----

// Terms that write different constants are different shapes: a written value is never
// tabulated. Nothing to decide, no report.
// CHECK:       builtin.module {
// CHECK-NEXT:  sym.operator @writes
// CHECK-NEXT:    sym.term @w0
// CHECK:         sym.term @w1
builtin.module {
  sym.operator @writes sites 2 states [0, 1] dtype f64 {
    sym.term @w0 kind "rows" labels ["i"] rows [[0]] {
      sym.emission {
        %i = sym.label "i"
        %v = sym.constant 0 : i64
        sym.write %i, %v
      } amplitude {
        %c = sym.constant 0.5 : f64
        sym.yield %c : f64
      }
    }
    sym.term @w1 kind "rows" labels ["i"] rows [[1]] {
      sym.emission {
        %i = sym.label "i"
        %v = sym.constant 1 : i64
        sym.write %i, %v
      } amplitude {
        %c = sym.constant 0.5 : f64
        sym.yield %c : f64
      }
    }
  }
}

// -----

// Terms of one shape with equal constants are left to sym-merge-row-terms, with the
// reason; below min_terms (8 by default) a group is kept apart, with its reason.
// CHECK:       builtin.module attributes {sym.tabulation = {terms = [2 : i64, 2 : i64], tabulated = {}, decisions = [{term = "e0", terms = 2 : i64, rows = [2 : i64, 2 : i64], decision = "apart", reason = "constants_equal", columns = 0 : i64, tables = 0 : i64, ops = [14 : i64, 14 : i64]}]}} {
// CHECK-LABEL: sym.operator @equal
// CHECK-NEXT:    sym.term @e0 kind "rows" labels ["i"] rows {{\[\[}}0]] {
// CHECK:         sym.term @e1 kind "rows" labels ["i"] rows {{\[\[}}1]] {
// DEFAULT:     decisions = [{term = "e0", terms = 2 : i64, rows = [2 : i64, 2 : i64], decision = "apart", reason = "constants_equal"
builtin.module {
  sym.operator @equal sites 2 states [-1, 1] dtype f64 {
    sym.term @e0 kind "rows" labels ["i"] rows [[0]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %c = sym.constant 0.5 : f64
        sym.yield %c : f64
      }
    }
    sym.term @e1 kind "rows" labels ["i"] rows [[1]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %c = sym.constant 0.5 : f64
        sym.yield %c : f64
      }
    }
  }
}

// -----

// Terms of one row read their labels as the constants of that row: @l0 counts from its
// label a to b, @l1 from b to a (its sites in the other order). As constants the bounds
// are slots, so the two are one shape; the bounds (1, 2 and 4, 5) are new columns tab0
// and tab1 (no label holds them in both terms), the coefficient a table at tab2. The
// label ops left without a use are erased.
// CHECK:       builtin.module attributes {sym.tabulation = {terms = [2 : i64, 1 : i64], tabulated = {l0 = ["l1"]}
// CHECK-LABEL: sym.operator @one_row
// CHECK-NEXT:    sym.term @l0 kind "rows" labels ["a", "b", "tab0", "tab1", "tab2"] rows {{\[\[}}1, 4, 1, 4, 0], [5, 2, 2, 5, 1]] {
// CHECK:           } amplitude {
// CHECK-NEXT:        %[[LO:.*]] = sym.label "tab0"
// CHECK-NEXT:        %[[HI:.*]] = sym.label "tab1"
// CHECK-NEXT:        %[[N:.*]] = sym.count %[[LO]], %[[HI]] : i64
// CHECK-NEXT:        %[[S:.*]] = sym.parity %[[N]] : i64 -> i64
// CHECK-NEXT:        %[[K:.*]] = sym.label "tab2"
// CHECK-NEXT:        %[[C:.*]] = sym.lookup %[[K]] {keys = array<i64: 0, 1>, values = array<f64: 5.000000e-01, -1.500000e+00>} : i64 -> f64
// CHECK-NEXT:        %[[M:.*]] = sym.mul %[[C]], %[[S]] : f64, i64 -> f64
// CHECK-NEXT:        sym.yield %[[M]] : f64
// CHECK-NOT:     sym.term
builtin.module {
  sym.operator @one_row sites 6 states [0, 1] dtype f64 {
    sym.term @l0 kind "rows" labels ["a", "b"] rows [[1, 4]] {
      sym.emission {
        %a = sym.label "a"
        %one = sym.constant 1 : i64
        sym.write %a, %one
      } amplitude {
        %lo = sym.label "a"
        %hi = sym.label "b"
        %n = sym.count %lo, %hi : i64
        %s = sym.parity %n : i64 -> i64
        %c = sym.constant 0.5 : f64
        %m = sym.mul %c, %s : f64, i64 -> f64
        sym.yield %m : f64
      }
    }
    sym.term @l1 kind "rows" labels ["a", "b"] rows [[5, 2]] {
      sym.emission {
        %a = sym.label "a"
        %one = sym.constant 1 : i64
        sym.write %a, %one
      } amplitude {
        %lo = sym.label "b"
        %hi = sym.label "a"
        %n = sym.count %lo, %hi : i64
        %s = sym.parity %n : i64 -> i64
        %c = sym.constant -1.5 : f64
        %m = sym.mul %c, %s : f64, i64 -> f64
        sym.yield %m : f64
      }
    }
  }
}
