// sym-differentiate refuses a table parameter by name (it has no direction of its own),
// at the operator.
//
// RUN: not symir-opt %s -p 'sym-differentiate{wrt=p,coefficients}' 2>&1 | filecheck %s

// CHECK: sym-differentiate-errors.mlir:9:3: error: ValueError: sym-differentiate: ['coefficients'] are table parameters of operator @table, which have no direction of their own: differentiate by them at the branch level (`branch-differentiate{tables=true}`)
// CHECK-NEXT: sym.operator @table
builtin.module {
  sym.operator @table sites 2 states [-1, 1] dtype f64 {
    sym.term @t kind "site" labels ["i"] rows [[0], [1]] {
      %i = sym.label "i"
      sym.emission {
      } amplitude {
        %xi = sym.read %i : i64
        %table = sym.param "coefficients" default array<f64: 0.25, -1.0> : tensor<2xf64>
        %read = sym.lookup %xi, %table {keys = array<i64: -1, 1>} : i64, tensor<2xf64> -> f64
        %p = sym.param "p" : f64
        %a = sym.mul %read, %p : f64, f64 -> f64
        sym.yield %a : f64
      }
    }
  }
}
