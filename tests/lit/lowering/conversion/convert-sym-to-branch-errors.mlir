// convert-sym-to-branch failures name the op the conversion was rewriting: its
// file:line:col, the source line and a caret (MLIR's form), not a bare exception.
//
// RUN: not symir-opt %s -p 'convert-sym-to-branch{x_dtype=i8}' 2>&1 | filecheck %s

// Local states that the requested configuration type cannot hold (line 13, column 3:
// the sym.operator).
// CHECK: convert-sym-to-branch-errors.mlir:13:3: error: ValueError: x_dtype='i8': the local states (from 0 to 300) do not fit in i8; leave x_dtype='auto' or take a wider type
// CHECK-NEXT: sym.operator @big sites 2 states [0, 300] dtype f64 {
// CHECK-NEXT: ^

builtin.module {
  sym.operator @big sites 2 states [0, 300] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %a = sym.constant 1.000000e+00 : f64
        sym.yield %a : f64
      }
    }
  }
}
