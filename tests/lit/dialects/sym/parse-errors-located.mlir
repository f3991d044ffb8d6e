// Parse errors are reported where the problem is (issue 35, item 13): an unknown op at
// its name, not at its first operand; a missing operand at the end of the op that lacks
// it, not at the start of the next line. One case per split chunk. (Never write the
// split marker inside a comment: --split-input-file splits on it anywhere.)
//
// RUN: symir-opt %s --split-input-file --parsing-diagnostics | filecheck %s
// RUN: not symir-opt %s --split-input-file 2>&1 | filecheck %s --check-prefix=FIRST
//
// --parsing-diagnostics prints each chunk's error (`file:line:col`, the source line, a
// caret under the column, the message) and goes on; without it symir-opt stops at the
// first error, as MLIR prints it.

// An unknown op with results: the caret under its name.
// CHECK:      parse-errors-located.mlir:24:12
// CHECK-NEXT: {{^}}      %f = sym.negate %xi : i64 -> i64
// CHECK-NEXT: {{^}}           ^^^^^^^^^^
// CHECK-NEXT: Operation sym.negate is not registered
// FIRST:      parse-errors-located.mlir:24:12: error: Operation sym.negate is not registered
sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      %f = sym.negate %xi : i64 -> i64
      sym.write %i, %f
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// An unknown op without results, in the generic form: the caret under its name.
// CHECK:      parse-errors-located.mlir:45:7
// CHECK-NEXT: {{^}}      "sym.overwrite"(%i) : (i64) -> ()
// CHECK-NEXT: {{^}}      ^^^^^^^^^^^^^^^
// CHECK-NEXT: Operation sym.overwrite is not registered
sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      "sym.overwrite"(%i) : (i64) -> ()
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// A missing operand: after the last operand given, not on the next line.
// CHECK:      parse-errors-located.mlir:65:19
// CHECK-NEXT: {{^}}      sym.write %i{{$}}
// CHECK-NEXT: {{^}}                  ^
// CHECK-NEXT: Expected ','
sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      sym.write %i
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// A missing operand after a comma, followed by a comment line: after the comma.
// CHECK:      parse-errors-located.mlir:85:20
// CHECK-NEXT: {{^}}      sym.write %i,{{$}}
// CHECK-NEXT: {{^}}                   ^
// CHECK-NEXT: operand expected
sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      sym.write %i,
      // the value was meant to be here
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// A result type the op's syntax constrains (`sym.read` gives an i64): xDSL checks it while
// parsing and raised it with no position ("Expected attribute i64 but got f64", sweep 10).
// CHECK:      parse-errors-located.mlir:106:30
// CHECK-NEXT: {{^}}      %xi = sym.read %i : f64
// CHECK-NEXT: {{^}}                             ^
// CHECK-NEXT: Expected attribute i64 but got f64 (the op just parsed)
sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : f64
      sym.write %i, %xi
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}

// -----

// An operand too many: at the token after the op, with what was expected there.
// CHECK:      parse-errors-located.mlir:127:23
// CHECK-NEXT: {{^}}      sym.write %i, %v, %v{{$}}
// CHECK-NEXT: {{^}}                      ^
// CHECK-NEXT: unexpected `,` after an operation: expected the next operation, a block label or `}` (an operand or attribute the op does not take?)
sym.operator @x sites 2 states [-1, 1] dtype f64 {
  sym.term @flip kind "site" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %v = sym.constant 1 : i64
      sym.write %i, %v, %v
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
