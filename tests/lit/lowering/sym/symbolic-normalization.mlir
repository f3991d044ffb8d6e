// RUN: symir-opt %s -p symbolic-normalization -o %t.mlir && filecheck %s < %t.mlir
// RUN: symir-opt %t.mlir | filecheck %s

// Constant operands fold (2 + 3 -> 5, then 5 * 1.5 -> 7.5), dead constants go, and the
// operands of a commutative op get a canonical order.
// CHECK-LABEL: builtin.module attributes {sym.normalization = {ir_fingerprint = "{{[0-9a-f]+}}", term_order = ["t"], resolved_backend = "jax", folded = 2 : i64
// CHECK: sym.emission
// CHECK-NOT: sym.add
// CHECK: sym.constant 7.500000e+00 : f64
// CHECK-NEXT: sym.yield
builtin.module {
  sym.operator @n sites 2 states [0, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      sym.emission {
      } amplitude {
        %a = sym.constant 2 : i64
        %b = sym.constant 3 : i64
        %c = sym.add %a, %b : i64, i64 -> i64
        %d = sym.constant 1.5 : f64
        %e = sym.mul %c, %d : i64, f64 -> f64
        sym.yield %e : f64
      }
    }
  }
}
