// A value used but never defined is reported at its use (xDSL reports it at the end of
// the input), with the source line and a caret under it.
//
// RUN: not symir-opt %s 2>&1 | filecheck %s

// CHECK:      located-undefined-value.mlir:19:24: error: use of undefined value '%99'
// CHECK-NEXT: {{^}}      %b = sym.mul %a, %99 : f64, f64 -> f64
// CHECK-NEXT: {{^}}                       ^{{$}}

sym.operator @x sites 4 states [-1, 1] dtype f64 {
  sym.term @t kind "rows" labels ["i"] rows [[0], [1]] {
    %i = sym.label "i"
    sym.emission {
      %xi = sym.read %i : i64
      %f = sym.neg %xi : i64 -> i64
      sym.write %i, %f
    } amplitude {
      %a = sym.constant 1.0 : f64
      %b = sym.mul %a, %99 : f64, f64 -> f64
      sym.yield %b : f64
    }
  }
}
