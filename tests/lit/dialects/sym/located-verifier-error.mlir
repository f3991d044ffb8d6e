// A verifier error of parsed IR is reported at the offending op, as MLIR does:
// file:line:col, the source line, and a caret under the op.
//
// RUN: not symir-opt %s 2>&1 | filecheck %s

// CHECK:      located-verifier-error.mlir:14:3: error: 'sym.term' @t row 1 [1, 9] has site index 9 outside [0, 4)
// CHECK-NEXT: {{^}}  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1], [1, 9]] {
// CHECK-NEXT: {{^}}  ^{{$}}

// The `sym.term` on line 14 names site 9 of a 4-site operator.

sym.operator @x sites 4 states [-1, 1] dtype f64 {
  // the offending op:
  sym.term @t kind "rows" labels ["i", "j"] rows [[0, 1], [1, 9]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      sym.write %i, %xj
      sym.write %j, %xi
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
