// sym-differentiate refuses an operator without number parameters (it would replace the
// operator by no derivative at all: an empty module), at the operator.
//
// RUN: not symir-opt %s -p sym-differentiate 2>&1 | filecheck %s

// CHECK: sym-differentiate-no-parameters.mlir:9:3: error: ValueError: sym-differentiate: operator @ising has no number parameters (sym.param), so nothing to differentiate by
// CHECK-NEXT: sym.operator @ising
builtin.module {
  sym.operator @ising sites 2 states [-1, 1] dtype f64 {
    sym.term @zz kind "bond" labels ["i", "j"] rows [[0, 1]] {
      %i = sym.label "i"
      %j = sym.label "j"
      sym.emission {
      } amplitude {
        %a = sym.constant -1.000000e+00 : f64
        sym.yield %a : f64
      }
    }
  }
}
