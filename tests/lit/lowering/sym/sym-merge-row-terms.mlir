// RUN: symir-opt %s --split-input-file -p sym-merge-row-terms | filecheck %s
// RUN: symir-opt %s --split-input-file -p sym-merge-row-terms,sym-merge-row-terms | filecheck %s

// Two bonds written as two terms with equal bodies (SSA names play no part) become one
// term with both rows, under the first term's name.
// CHECK-LABEL: sym.operator @two_bonds
// CHECK-NEXT:    sym.term @b0 kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1], [1, 2]] {
// CHECK:           sym.write
// CHECK:         }
// CHECK-NOT:     sym.term @b1
builtin.module {
  sym.operator @two_bonds sites 3 states [-1, 1] dtype f64 {
    sym.term @b0 kind "rows" labels ["i", "j"] rows [[0, 1]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %a = sym.constant 0.5 : f64
        sym.yield %a : f64
      }
    }
    sym.term @b1 kind "rows" labels ["i", "j"] rows [[1, 2]] {
      sym.emission {
        %site = sym.label "i"
        %read = sym.read %site : i64
        %flipped = sym.neg %read : i64 -> i64
        sym.write %site, %flipped
      } amplitude {
        %half = sym.constant 0.5 : f64
        sym.yield %half : f64
      }
    }
  }
}

// -----

// Terms with equal bodies merge across a term with another body, which keeps its place.
// CHECK-LABEL: sym.operator @interleaved
// CHECK-NEXT:    sym.term @zz0 kind "rows" labels ["i", "j"] rows {{\[\[}}0, 1], [2, 3]] {
// CHECK:         sym.term @x0 kind "site" labels ["i"] rows {{\[\[}}0], [1], [2], [3]] {
// CHECK-NOT:     sym.term @zz1
builtin.module {
  sym.operator @interleaved sites 4 states [-1, 1] dtype f64 {
    sym.term @zz0 kind "rows" labels ["i", "j"] rows [[0, 1]] {
      sym.emission {
      } amplitude {
        %i = sym.label "i"
        %xi = sym.read %i : i64
        %j = sym.label "j"
        %xj = sym.read %j : i64
        %p = sym.mul %xi, %xj : i64, i64 -> i64
        sym.yield %p : i64
      }
    }
    sym.term @x0 kind "site" labels ["i"] rows [[0], [1], [2], [3]] {
      sym.emission {
        %i = sym.label "i"
        %x = sym.read %i : i64
        %y = sym.neg %x : i64 -> i64
        sym.write %i, %y
      } amplitude {
        %a = sym.constant -1.0 : f64
        sym.yield %a : f64
      }
    }
    sym.term @zz1 kind "rows" labels ["i", "j"] rows [[2, 3]] {
      sym.emission {
      } amplitude {
        %i = sym.label "i"
        %xi = sym.read %i : i64
        %j = sym.label "j"
        %xj = sym.read %j : i64
        %p = sym.mul %xi, %xj : i64, i64 -> i64
        sym.yield %p : i64
      }
    }
  }
}

// -----

// Bodies that differ (an amplitude, a tag) stay apart. Labels are compared by position
// and the kind is only a description: a term with another label name or another kind
// but the same body merges (the kept term keeps its names; its kind becomes "rows").
// CHECK-LABEL: sym.operator @apart
// CHECK-NEXT:    sym.term @amp1 kind "rows" labels ["i"] rows {{\[\[}}0], [0], [1]] {
// CHECK:         sym.term @amp2 kind "site" labels ["i"] rows {{\[\[}}1]] {
// CHECK:         sym.term @tagged kind "site" labels ["i"] rows {{\[\[}}2]] {
// CHECK-NOT:     sym.term @other_label
// CHECK-NOT:     sym.term @other_kind
builtin.module {
  sym.operator @apart sites 3 states [0, 1] dtype f64 {
    sym.term @amp1 kind "site" labels ["i"] rows [[0]] {
      sym.emission {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
    sym.term @amp2 kind "site" labels ["i"] rows [[1]] {
      sym.emission {
      } amplitude {
        %a = sym.constant 2.0 : f64
        sym.yield %a : f64
      }
    }
    sym.term @tagged kind "site" labels ["i"] rows [[2]] {
      sym.emission "t" {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
    sym.term @other_label kind "site" labels ["k"] rows [[0]] {
      sym.emission {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
    sym.term @other_kind kind "rows" labels ["i"] rows [[1]] {
      sym.emission {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
  }
}

// -----

// Fan-out hints bound a term's branches: merged terms get the sum of their hints; a term
// without a hint does not merge with one that has one.
// CHECK-LABEL: sym.operator @hints
// CHECK-NEXT:    sym.term @h0 kind "site" labels ["i"] rows {{\[\[}}0], [1]] fanout 3 {
// CHECK:         sym.term @none kind "site" labels ["i"] rows {{\[\[}}2]] {
// CHECK-NOT:     sym.term @h1
builtin.module {
  sym.operator @hints sites 3 states [0, 1] dtype f64 {
    sym.term @h0 kind "site" labels ["i"] rows [[0]] fanout 1 {
      sym.emission {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
    sym.term @h1 kind "site" labels ["i"] rows [[1]] fanout 2 {
      sym.emission {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
    sym.term @none kind "site" labels ["i"] rows [[2]] {
      sym.emission {
      } amplitude {
        %a = sym.constant 1.0 : f64
        sym.yield %a : f64
      }
    }
  }
}
