// Every verifier message of the sym dialect (every `raise VerifyException` in
// dialects/sym/ that a user can reach), the parse errors of the custom forms and the
// IRDL type-constraint failures a user can hit. One case per split chunk. (Never write
// the split marker inside a comment: --split-input-file splits on it anywhere.)
//
// RUN: symir-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s
//
// xDSL's --verify-diagnostics prints the diagnostic and exits 0 (there is no MLIR
// `expected-error`), so each chunk has a CHECK line for its message. A verifier
// message is printed twice: first alone on its line, then inside the annotated generic IR
// (`| Operation does not verify: ...`). `{{^}}` anchors the CHECK to the first copy, so a
// chunk that raises no error cannot borrow the message of the chunk before it.
// Parse errors are printed as `file:line:col`, the source line, carets, then the message.

// sym.operator: at least one site
// CHECK: {{^}}'sym.operator' @op needs at least one site, got 0
sym.operator @op sites 0 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: at most as many sites as a kernel can hold
// CHECK: {{^}}'sym.operator' @op has 16777217 sites, more than the 16777216 a kernel can hold
sym.operator @op sites 16777217 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: at least one local state
// CHECK: {{^}}'sym.operator' @op has no local states
sym.operator @op sites 4 states [] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: local states strictly increasing (order)
// CHECK: {{^}}'sym.operator' @op local states must be strictly increasing, got [1, 0]
sym.operator @op sites 4 states [1, 0] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: local states strictly increasing (duplicates)
// CHECK: {{^}}'sym.operator' @op local states must be strictly increasing, got [0, 0, 1]
sym.operator @op sites 4 states [0, 0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: the dtype is one of f64, complex<f64>, f32, complex<f32>
// CHECK: {{^}}'sym.operator' @op dtype must be f64, complex<f64>, f32 or complex<f32>, got complex<f16>
sym.operator @op sites 2 states [0, 1] dtype complex<f16> {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: local states stored as array<i64> (generic form)
// CHECK: {{^}}'sym.operator' local states must be an array<i64>
"sym.operator"() <{sym_name = "op", num_sites = #builtin.int<4>, local_states = array<i32: 0, 1>, dtype = f64}> ({
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}) : () -> ()

// -----

// sym.operator: dtype is f64 or complex<f64> (IRDL)
// CHECK: {{^}}Unexpected attribute i64
sym.operator @op sites 4 states [0, 1] dtype i64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: only sym.term ops in the body
// CHECK: {{^}}'sym.operator' may only contain 'sym.term' ops, found 'test.op'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  "test.op"() : () -> ()
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}


// -----

// A value of a term (sym.constant, sym.param, every expression op, sym.label, sym.read,
// ...) outside any sym.term: directly in the operator's body
// CHECK: {{^}}'sym.constant' must be inside a 'sym.term' of a 'sym.operator', found in 'sym.operator'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  %c = sym.constant 1 : i64
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// ... outside any operator, at the top of the module
// CHECK: {{^}}'sym.constant' must be inside a 'sym.term' of a 'sym.operator', found in 'builtin.module'
%c = sym.constant 1.0 : f64

// -----

// ... or in a function
// CHECK: {{^}}'sym.param' must be inside a 'sym.term' of a 'sym.operator', found in 'func.func'
func.func @f() {
  %h = sym.param "h" : f64
  %n = sym.neg %h : f64 -> f64
  func.return
}

// -----

// ... the first op the verifier meets is reported: here the expression op
// CHECK: {{^}}'sym.neg' must be inside a 'sym.term' of a 'sym.operator', found in 'func.func'
func.func @f(%h: f64) {
  %n = sym.neg %h : f64 -> f64
  func.return
}

// -----

// sym.operator: term names are unique
// CHECK: {{^}}'sym.operator' @op has two terms named @t
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: a parameter is declared once (different defaults)
// CHECK: {{^}}'sym.param' "J" is declared twice with different types or defaults
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %J = sym.param "J" default 1.0 : f64
      sym.yield %J : f64
    }
  }
  sym.term @u kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %J = sym.param "J" default 2.0 : f64
      sym.yield %J : f64
    }
  }
}

// -----

// sym.operator: a parameter is declared once (different types)
// CHECK: {{^}}'sym.param' "J" is declared twice with different types or defaults
sym.operator @op sites 4 states [0, 1] dtype complex<f64> {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %J = sym.param "J" : f64
    %K = sym.param "J" : complex<f64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: labels are unique
// CHECK: {{^}}'sym.term' @t has duplicate labels ['i', 'i']
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "i"] rows [[0, 1]] {
    %i = sym.label "i"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: at least one row (a global term has one empty row)
// CHECK: {{^}}'sym.term' @t has an empty row table
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: one entry per label in each row
// CHECK: {{^}}'sym.term' @t row 1 [1] has 1 entries but the term has 2 labels ['i', 'j']
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1], [1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: row entries are sites in [0, N)
// CHECK: {{^}}'sym.term' @t row 1 [3, 4] has site index 4 outside [0, 4)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1], [3, 4]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: negative row entry
// CHECK: {{^}}'sym.term' @t row 0 [-1, 0] has site index -1 outside [0, 4)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[-1, 0]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: fan-out hint >= 0
// CHECK: {{^}}'sym.term' @t fan-out hint must be >= 0, got -1
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] fanout -1 {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: at most one sym.where
// CHECK: {{^}}'sym.term' @t has 2 'sym.where' ops, at most one
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    sym.where %p
    sym.where %p
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: at least one emission
// CHECK: {{^}}'sym.term' @t has no emission
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %p = sym.constant true
    sym.where %p
  }
}

// -----

// sym.term: only inside sym.operator
// CHECK: {{^}}'sym.term' expects parent op 'sym.operator'
sym.term @t kind "global" labels [] rows [[]] {
  sym.emission {
  } amplitude {
    %a = sym.constant 1.0 : f64
    sym.yield %a : f64
  }
}

// -----

// sym.where: only inside sym.term
// CHECK: {{^}}'sym.where' expects parent op 'sym.term'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %p = sym.constant true
      sym.where %p
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.where: the predicate is i1 (custom form: a parse error)
// CHECK: operand is used with type i1, but has been previously used or defined with type i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.where %i
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.where: the predicate is i1 (generic form: IRDL)
// CHECK: {{^}}operand 'predicate' at position 0 does not verify:
// CHECK-NEXT: Expected attribute i1 but got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    "sym.where"(%i) : (i64) -> ()
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.emission: no sym.yield in the update region
// CHECK: {{^}}'sym.emission' update region must not contain 'sym.yield'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      sym.write %i, %j
      sym.yield %i : i64
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.emission: the amplitude region ends with sym.yield
// CHECK: {{^}}'sym.emission' amplitude region must end with 'sym.yield'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
    }
  }
}

// -----

// sym.emission: the `if` operand is i1 (IRDL)
// CHECK: {{^}}operand 'condition' at position 0 does not verify:
// CHECK-NEXT: Expected attribute i1 but got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission if %i {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.emission: only inside sym.term
// CHECK: {{^}}'sym.emission' expects parent op 'sym.term'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      sym.emission {
      } amplitude {
        %b = sym.constant 1.0 : f64
        sym.yield %b : f64
      }
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.yield: a complex amplitude needs a complex operator
// CHECK: {{^}}'sym.yield' amplitude is complex<f64> but operator @op has dtype f64; declare the operator complex
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %z = sym.param "z" : complex<f64>
      sym.yield %z : complex<f64>
    }
  }
}

// -----

// sym.yield: terminates the amplitude region
// CHECK: {{^}}'sym.yield' must be the last operation in its parent block
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %b = sym.constant 1.0 : f64
      sym.yield %b : f64
      %a = sym.constant 1.0 : f64
    }
  }
}

// -----

// sym.yield: only inside sym.emission
// CHECK: {{^}}'sym.yield' expects parent op 'sym.emission'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
    %b = sym.constant 1.0 : f64
    sym.yield %b : f64
  }
}

// -----

// update ops live in an update region, not in the term body
// CHECK: {{^}}'sym.write' must be inside the update region of 'sym.emission'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.write %i, %j
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// update ops live in an update region, not in the amplitude region
// CHECK: {{^}}'sym.swap' must be inside the update region of 'sym.emission'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      sym.swap %i, %j
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.cond is an update op too
// CHECK: {{^}}'sym.cond' must be inside the update region of 'sym.emission'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    sym.cond %p {
    } else {
    }
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.cond: the condition is i1 (IRDL)
// CHECK: {{^}}operand 'condition' at position 0 does not verify:
// CHECK-NEXT: Expected attribute i1 but got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      sym.cond %i {
        sym.invalidate
      } else {
      }
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// update ops: a constant site lies in [0, N)
// CHECK: {{^}}'sym.write' site index 4 is outside [0, 4)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %s = sym.constant 4 : i64
      %v = sym.constant 1 : i64
      sym.write %s, %v
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// update ops: a constant site lies in [0, N) (every site operand is checked)
// CHECK: {{^}}'sym.swap' site index -1 is outside [0, 4)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %s = sym.constant -1 : i64
      sym.swap %i, %s
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// update ops: a site operand is i64 (custom form: a parse error)
// CHECK: operand is used with type i64, but has been previously used or defined with type f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %f = sym.constant 1.0 : f64
      sym.shift %f, %j
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// update ops: a site operand is i64 (generic form: IRDL)
// CHECK: {{^}}operand 'site' at position 0 does not verify:
// CHECK-NEXT: Expected attribute i64 but got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %f = sym.constant 1.0 : f64
      "sym.write"(%f, %j) : (f64, i64) -> ()
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.shift_mod: needs contiguous local states
// CHECK: {{^}}'sym.shift_mod' needs contiguous integer local states, got [-1, 1]
sym.operator @op sites 4 states [-1, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      sym.shift_mod %i, %j
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.permute: at least two sites
// CHECK: {{^}}'sym.permute' needs at least two sites, got 1
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      sym.permute %i
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.scatter: at least one site
// CHECK: {{^}}'sym.scatter' needs at least one site
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      sym.scatter [], []
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.scatter: as many sites as values (generic form: IRDL, before the verifier)
// CHECK: {{^}}Operation has 3 operands for 2 variadic operands marked as having the same size.
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      "sym.scatter"(%i, %j, %i) : (i64, i64, i64) -> ()
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.constant: type is i1, i64 or f64
// CHECK: {{^}}'sym.constant' type must be one of i1, i64, f64, got i32
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %c = sym.constant 1 : i32
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.constant: value type matches the result type (generic form)
// CHECK: {{^}}'sym.constant' value type must match its result type
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %c = "sym.constant"() <{value = 1 : i64}> : () -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.term: a row entry is a signed i64 (parse error, where it is written)
// CHECK: 'sym.term' row entry 99999999999999999999999 is outside the signed range of i64 [-2**63, 2**63)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 99999999999999999999999]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: a local state is a signed i64 (parse error)
// CHECK: 'sym.operator' local state 9223372036854775808 is outside the signed range of i64 [-2**63, 2**63)
sym.operator @op sites 4 states [0, 9223372036854775808] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.constant: an integer, float, true or false (parse error)
// CHECK: 'sym.constant' expects an integer or float attribute
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %c = sym.constant "one"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.constant: an i64 is signed; 2**63, which xDSL's signless i64 holds as -2**63, is
// refused where it is written (parse error)
// CHECK: 'sym.constant' integer 9223372036854775808 is outside the signed range of i64 [-2**63, 2**63) (symir's i64 values are signed)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %c = sym.constant 9223372036854775808 : i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.constant: 2**64 - 1 in the generic form (parse error)
// CHECK: 'sym.constant' integer 18446744073709551615 is outside the signed range of i64 [-2**63, 2**63) (symir's i64 values are signed)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %c = "sym.constant"() <{value = 18446744073709551615 : i64}> : () -> i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a default written in hex is the bit pattern of an f64, as sym.constant
// reads it (0x7FF8000000000000 is nan), and a default must be finite
// CHECK: {{^}}'sym.param' "g" has a non-finite default nan (a parameter default must be finite)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %g = sym.param "g" default 0x7FF8000000000000 : f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a non-finite default in the generic form
// CHECK: {{^}}'sym.param' "g" has a non-finite default inf (a parameter default must be finite)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %g = "sym.param"() <{param_name = "g", default = 0x7FF0000000000000 : f64}> : () -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a non-finite part of a complex default
// CHECK: {{^}}'sym.param' "z" has a non-finite default (1+nanj) (a parameter default must be finite)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %z = sym.param "z" default (1.0, 0x7FF8000000000000) : complex<f64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: the name is an identifier
// CHECK: {{^}}'sym.param' name "my param" must be an identifier
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.param "my param" : f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a complex default needs complex<f64> (generic form)
// CHECK: {{^}}'sym.param' "w" has a complex default but type f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %w = "sym.param"() <{param_name = "w", default = [1.0 : f64, 2.0 : f64]}> : () -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a complex default needs complex<f64> (custom form: parse error)
// CHECK: 'sym.param' complex default needs complex<f64>, got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %w = sym.param "w" default (1.0, 2.0) : f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: complex<f64> needs a complex default (generic form)
// CHECK: {{^}}'sym.param' "w" of type complex<f64> needs a complex default (re, im)
sym.operator @op sites 4 states [0, 1] dtype complex<f64> {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %w = "sym.param"() <{param_name = "w", default = 1.0 : f64}> : () -> complex<f64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: the type is f64 or complex<f64> (IRDL)
// CHECK: {{^}}result 'result' at position 0 does not verify:
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %w = sym.param "w" : i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.label: only inside a sym.term
// CHECK: {{^}}'sym.label' must be inside a 'sym.term' of a 'sym.operator', found in 'builtin.module'
%i = sym.label "i"

// -----

// sym.label: a label of the enclosing term
// CHECK: {{^}}'sym.label' "k" is not a label of term @t (labels: ['i', 'j'])
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %k = sym.label "k"
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.read: a constant site lies in [0, N)
// CHECK: {{^}}'sym.read' site index 4 is outside [0, 4)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %s = sym.constant 4 : i64
    %x = sym.read %s : i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.read_emitted: not in the term body
// CHECK: {{^}}'sym.read_emitted' reads x' and is only allowed in the amplitude region of 'sym.emission'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %y = sym.read_emitted %i : i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.read_emitted: not in the update region
// CHECK: {{^}}'sym.read_emitted' reads x' and is only allowed in the amplitude region of 'sym.emission'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %y = sym.read_emitted %i : i64
      sym.write %j, %y
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.read_emitted: a constant site lies in [0, N)
// CHECK: {{^}}'sym.read_emitted' site index 7 is outside [0, 4)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %s = sym.constant 7 : i64
      %y = sym.read_emitted %s : i64
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// binary ops: operands are i64, f64 or complex<f64>
// CHECK: {{^}}'sym.add' lhs must be one of i64, f64, complex<f64>, got i1
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    %r = sym.add %p, %i : i1, i64 -> i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.min / sym.max: real operands only
// CHECK: {{^}}'sym.max' rhs must be one of i64, f64, got complex<f64>
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %z = sym.param "z" : complex<f64>
    %r = sym.max %i, %z : i64, complex<f64> -> complex<f64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// binary ops: the result is the promoted type
// CHECK: {{^}}'sym.add' result type must be i64 for operands i64, i64, got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = sym.add %i, %j : i64, i64 -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.div: the result is at least f64
// CHECK: {{^}}'sym.div' result type must be f64 for operands i64, i64, got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = sym.div %i, %j : i64, i64 -> i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.pow: promotion to complex<f64>
// CHECK: {{^}}'sym.pow' result type must be complex<f64> for operands f64, complex<f64>, got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %f = sym.constant 2.0 : f64
    %z = sym.param "z" : complex<f64>
    %r = sym.pow %f, %z : f64, complex<f64> -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// binary ops: the result type is a sym value type (IRDL)
// CHECK: {{^}}result 'result' at position 0 does not verify:
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = "sym.mul"(%i, %j) : (i64, i64) -> tensor<2xi64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// unary ops: operand is i64, f64 or complex<f64>
// CHECK: {{^}}'sym.neg' operand must be one of i64, f64, complex<f64>, got i1
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    %r = sym.neg %p : i1 -> i1
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.real / sym.imag: complex operand only
// CHECK: {{^}}'sym.imag' operand must be one of complex<f64>, got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %f = sym.constant 2.0 : f64
    %r = sym.imag %f : f64 -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// unary ops: the result type is the operand type
// CHECK: {{^}}'sym.neg' result type must be i64 for operand i64, got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = sym.neg %i : i64 -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sqrt, exp, log, sin, cos: the result is at least f64
// CHECK: {{^}}'sym.sqrt' result type must be f64 for operand i64, got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = sym.sqrt %i : i64 -> i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.abs: the modulus of a complex value is f64
// CHECK: {{^}}'sym.abs' result type must be f64 for operand complex<f64>, got complex<f64>
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %z = sym.param "z" : complex<f64>
    %r = sym.abs %z : complex<f64> -> complex<f64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.floor: real values only
// CHECK: {{^}}'sym.floor' is not defined on complex values; take sym.real or sym.imag first
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %z = sym.param "z" : complex<f64>
    %r = sym.floor %z : complex<f64> -> complex<f64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.wrap_mod: integer operand only
// CHECK: {{^}}'sym.wrap_mod' operand must be one of i64, got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %f = sym.constant 2.0 : f64
    %r = sym.wrap_mod %f : f64 -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.wrap_mod: needs contiguous local states
// CHECK: {{^}}'sym.wrap_mod' needs contiguous integer local states, got [-1, 1]
sym.operator @op sites 4 states [-1, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = sym.wrap_mod %i : i64 -> i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.complex: real parts are i64 or f64
// CHECK: {{^}}'sym.complex' re must be one of i64, f64, got i1
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    %r = sym.complex %p, %i : i1, i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.complex: the result is complex<f64> (generic form: IRDL)
// CHECK: {{^}}result 'result' at position 0 does not verify:
// CHECK-NEXT: Expected attribute complex<f64> but got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = "sym.complex"(%i, %j) : (i64, i64) -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.cmp: predicate is lt, le, gt, ge, eq or ne (generic form: the #sym<cmp_predicate>
// enum attribute refuses any other keyword)
// CHECK: Expected `lt`, `le`, `gt`, `ge`, `eq`, or `ne`.
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = "sym.cmp"(%i, %j) <{predicate = #sym<cmp_predicate lte>}> : (i64, i64) -> i1
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.cmp: predicate keyword (custom form: parse error)
// CHECK: Expected one of 'eq', 'ge', 'gt', 'le', 'lt', 'ne'
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = sym.cmp lte %i, %j : i64, i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.cmp: ordering is not defined on complex values
// CHECK: {{^}}'sym.cmp' lt is not defined on complex values
sym.operator @op sites 4 states [0, 1] dtype complex<f64> {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %z = sym.param "z" : complex<f64>
    %f = sym.constant 1.0 : f64
    %r = sym.cmp lt %z, %f : complex<f64>, f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.cmp: operands are sym value types
// CHECK: {{^}}'sym.cmp' lhs must be one of i1, i64, f64, complex<f64>, got i32
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
  ^bb0(%v: i32):
    %r = sym.cmp eq %v, %v : i32, i32
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.and / sym.or: at least one operand
// CHECK: {{^}}'sym.and' needs at least one operand
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = "sym.and"() : () -> i1
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.or: at least one operand (custom form)
// CHECK: {{^}}'sym.or' needs at least one operand
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = sym.or
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.and / sym.or / sym.not: i1 operands (IRDL)
// CHECK: {{^}}operand 'inputs' at positions 0 to 1 does not verify:
// CHECK-NEXT: Expected attribute i1 but got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    %r = "sym.and"(%p, %i) : (i1, i64) -> i1
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.not: i1 operand (IRDL)
// CHECK: {{^}}operand 'input' at position 0 does not verify:
// CHECK-NEXT: Expected attribute i1 but got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = "sym.not"(%i) : (i64) -> i1
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.select: the result is the promoted type
// CHECK: {{^}}'sym.select' result type must be f64, got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    %f = sym.constant 1.0 : f64
    %r = sym.select %p, %i, %f : i64, f64 -> i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.select: the values are numbers, not predicates
// CHECK: {{^}}'sym.select' if_true must be one of i64, f64, complex<f64>, got i1
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %p = sym.constant true
    %r = sym.select %p, %p, %p : i1, i1 -> i1
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.select: the condition is i1 (generic form: IRDL)
// CHECK: {{^}}operand 'condition' at position 0 does not verify:
// CHECK-NEXT: Expected attribute i1 but got i64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1]] {
    %i = sym.label "i"
    %j = sym.label "j"
    %r = "sym.select"(%i, %i, %j) : (i64, i64, i64) -> i64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// promotion: only i1, i64, f64 and complex<f64> are sym value types
// CHECK: {{^}}unsupported sym value type i32
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
  ^bb0(%v: i32):
    %p = sym.constant true
    %r = sym.select %p, %v, %v : i32, i32 -> i32
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.operator: an SSA value used before its definition (xDSL's parser accepts forward
// references, and its verifier does not check dominance)
// CHECK: {{^}}'sym.cmp': %v (operand #0) is used before its definition (SSA values must be defined before they are used)
sym.operator @op sites 2 states [0, 1] dtype f64 {
  sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
    %c = sym.cmp gt %v, %z : i64, i64
    %i = sym.label "i"
    %v = sym.read %i : i64
    %z = sym.constant 0 : i64
    sym.where %c
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.count: a constant bound lies in [0, N] (N itself is the end of the configuration)
// CHECK: {{^}}'sym.count' upper bound 5 is outside [0, 4]
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %lo = sym.constant 0 : i64
    %hi = sym.constant 5 : i64
    %n = sym.count %lo, %hi : i64
    sym.emission {
    } amplitude {
      sym.yield %n : i64
    }
  }
}

// -----

// sym.count: a negative constant lower bound
// CHECK: {{^}}'sym.count' lower bound -1 is outside [0, 4]
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %lo = sym.constant -1 : i64
    %hi = sym.constant 4 : i64
    %n = sym.count %lo, %hi : i64
    sym.emission {
    } amplitude {
      sym.yield %n : i64
    }
  }
}

// -----

// sym.nth_site: at least one site
// CHECK: {{^}}'sym.nth_site' needs at least one site
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %s = sym.nth_site %k {sites = array<i64>, state = 1 : i64} : i64
    sym.emission {
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.nth_site: distinct sites
// CHECK: {{^}}'sym.nth_site' sites must be distinct, got [0, 2, 0]
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %s = sym.nth_site %k {sites = array<i64: 0, 2, 0>, state = 1 : i64} : i64
    sym.emission {
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.nth_site: sites in [0, N)
// CHECK: {{^}}'sym.nth_site' site 4 is outside [0, 4)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %s = sym.nth_site %k {sites = array<i64: 0, 4>, state = 1 : i64} : i64
    sym.emission {
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.nth_site: the state is a local state
// CHECK: {{^}}'sym.nth_site' state 2 is not a local state [0, 1]
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %s = sym.nth_site %k {sites = array<i64: 0, 1>, state = 2 : i64} : i64
    sym.emission {
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.nth_site: sites are i64
// CHECK: {{^}}'sym.nth_site' sites must be an array<i64>
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %s = sym.nth_site %k {sites = array<i32: 0, 1>, state = 1 : i64} : i64
    sym.emission {
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.nth_site: the state is an i64
// CHECK: {{^}}'sym.nth_site' state must be an i64 integer
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %s = sym.nth_site %k {sites = array<i64: 0, 1>, state = 1 : i32} : i64
    sym.emission {
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.nth_site: a constant rank lies in [0, number of sites)
// CHECK: {{^}}'sym.nth_site' rank 2 is outside [0, 2) for 2 sites
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 2 : i64
    %s = sym.nth_site %k {sites = array<i64: 0, 1>, state = 1 : i64} : i64
    sym.emission {
    } amplitude {
      sym.yield %s : i64
    }
  }
}

// -----

// sym.parity: an integer operand only
// CHECK: {{^}}'sym.parity' needs an integer (i64) operand, got f64
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %f = sym.constant 1.5 : f64
    %s = sym.parity %f : f64 -> f64
    sym.emission {
    } amplitude {
      sym.yield %s : f64
    }
  }
}

// -----

// sym.lookup: a key given twice
// CHECK: {{^}}'sym.lookup' keys must be distinct
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 1 : i64
    %r = sym.lookup %k {keys = array<i64: 1, 1>, values = array<f64: 0.5, 0.5>} : i64 -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.lookup: as many keys as values
// CHECK: {{^}}'sym.lookup' has 2 keys but 1 values
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 1 : i64
    %r = sym.lookup %k {keys = array<i64: 0, 1>, values = array<f64: 0.5>} : i64 -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a table is a tensor<Kxf64>
// CHECK: {{^}}'sym.param' table "t" must be a tensor<Kxf64> with K >= 1, got tensor<2xi64>
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0]] {
    %i = sym.label "i"
    %t = sym.param "t" : tensor<2xi64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a table's default is an array<f64>
// CHECK: {{^}}'sym.param' table "t" needs an array<f64: ...> default
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0]] {
    %i = sym.label "i"
    %t = "sym.param"() <{param_name = "t", default = 1.0 : f64}> : () -> tensor<2xf64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: a table's default has K entries
// CHECK: {{^}}'sym.param' table "t" of 2 entries has a default of 3
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0]] {
    %i = sym.label "i"
    %t = sym.param "t" default array<f64: 1.0, 2.0, 3.0> : tensor<2xf64>
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.param: an array default belongs to a table
// CHECK: {{^}}'sym.param' "t" has an array default but type f64 (a table is tensor<Kxf64>)
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0]] {
    %i = sym.label "i"
    %t = sym.param "t" default array<f64: 1.0> : f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.lookup: static values or a table parameter, not both
// CHECK: {{^}}'sym.lookup' needs either static values or a table parameter operand, not both
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0]] {
    %i = sym.label "i"
    %t = sym.param "t" : tensor<1xf64>
    %c = sym.lookup %i, %t {keys = array<i64: 0>, values = array<f64: 1.0>} : i64, tensor<1xf64> -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.lookup: the table parameter has one entry per key
// CHECK: {{^}}'sym.lookup' has 2 keys: its table parameter must be tensor<2xf64>, got tensor<3xf64>
sym.operator @op sites 4 states [0, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0]] {
    %i = sym.label "i"
    %t = sym.param "t" : tensor<3xf64>
    %c = sym.lookup %i, %t {keys = array<i64: 0, 1>} : i64, tensor<3xf64> -> f64
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.parity_sum: offsets from 0, never decreasing
// CHECK: {{^}}'sym.parity_sum' offsets must start at 0 and never decrease
sym.operator @op sites 3 states [-1, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %v = sym.parity_sum %k {offsets = array<i64: 0, 2, 1>, masks = array<i64: 1>, real = array<f64: 1.0>, state = 1 : i64} : f64
    sym.emission {
    } amplitude {
      sym.yield %v : f64
    }
  }
}

// -----

// sym.parity_sum: one mask per coefficient
// CHECK: {{^}}'sym.parity_sum' has 1 mask words for 2 coefficients: needs 1 per coefficient on 3 sites
sym.operator @op sites 3 states [-1, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %v = sym.parity_sum %k {offsets = array<i64: 0, 2>, masks = array<i64: 1>, real = array<f64: 1.0, 2.0>, state = 1 : i64} : f64
    sym.emission {
    } amplitude {
      sym.yield %v : f64
    }
  }
}

// -----

// sym.parity_sum: masks inside the sites
// CHECK: {{^}}'sym.parity_sum' has a mask with a site outside [0, 3)
sym.operator @op sites 3 states [-1, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %v = sym.parity_sum %k {offsets = array<i64: 0, 1>, masks = array<i64: 8>, real = array<f64: 1.0>, state = 1 : i64} : f64
    sym.emission {
    } amplitude {
      sym.yield %v : f64
    }
  }
}

// -----

// sym.parity_sum: complex result with imaginary parts only
// CHECK: {{^}}'sym.parity_sum' result must be f64 (without imaginary parts), got complex<f64>
sym.operator @op sites 3 states [-1, 1] dtype complex<f64> {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %v = sym.parity_sum %k {offsets = array<i64: 0, 1>, masks = array<i64: 1>, real = array<f64: 1.0>, state = 1 : i64} : complex<f64>
    sym.emission {
    } amplitude {
      sym.yield %v : complex<f64>
    }
  }
}

// -----

// sym.parity_sum: the state is a local state
// CHECK: {{^}}'sym.parity_sum' state 0 is not a local state [-1, 1]
sym.operator @op sites 3 states [-1, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    %k = sym.constant 0 : i64
    %v = sym.parity_sum %k {offsets = array<i64: 0, 1>, masks = array<i64: 1>, real = array<f64: 1.0>, state = 0 : i64} : f64
    sym.emission {
    } amplitude {
      sym.yield %v : f64
    }
  }
}

// -----

// sym.flip_sites: two local states
// CHECK: {{^}}'sym.flip_sites' needs two local states, operator @op has [0, 1, 2]
sym.operator @op sites 3 states [0, 1, 2] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
      %k = sym.constant 0 : i64
      sym.flip_sites %k {masks = array<i64: 1>}
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// sym.flip_sites: masks inside the sites
// CHECK: {{^}}'sym.flip_sites' has a mask with a site outside [0, 3)
sym.operator @op sites 3 states [-1, 1] dtype f64 {
  sym.term @t kind "global" labels [] rows [[]] {
    sym.emission {
      %k = sym.constant 0 : i64
      sym.flip_sites %k {masks = array<i64: 15>}
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
