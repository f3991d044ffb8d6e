// The default lowering as one pass, `symir-lower`, run by symir-opt and by the stock
// xdsl-opt (which finds symir's dialects and passes through the `xdsl.universe` entry
// point), with and without options.
//
// RUN: symir-opt %s -p symir-lower | filecheck %s
// RUN: xdsl-opt %s -p symir-lower | filecheck %s
// RUN: xdsl-opt %s -p 'symir-lower{coalesce_diagonal=false}' | filecheck %s --check-prefix=NOCOAL
// RUN: xdsl-opt %s -p 'symir-lower{x_dtype=i32}' | filecheck %s --check-prefix=I32
// RUN: xdsl-opt %s -p convert-sym-to-branch | filecheck %s --check-prefix=BRANCH

sym.operator @tfim sites 4 states [-1, 1] dtype f64 hermitian {
  sym.term @zz kind "rows" labels ["i", "j"] rows [[0, 1], [1, 2], [2, 3], [3, 0]] {
    %i = sym.label "i"
    %j = sym.label "j"
    sym.emission {
    } amplitude {
      %xi = sym.read %i : i64
      %xj = sym.read %j : i64
      %zz = sym.mul %xi, %xj : i64, i64 -> i64
      sym.yield %zz : i64
    }
  }
  sym.term @x kind "site" labels ["i"] rows [[0], [1], [2], [3]] {
    %i = sym.label "i"
    sym.emission "flip" {
      %xi = sym.read %i : i64
      %flipped = sym.neg %xi : i64 -> i64
      sym.write %i, %flipped
    } amplitude {
      %h = sym.param "h" default 1.0 : f64
      %mh = sym.neg %h : f64 -> f64
      sym.yield %mh : f64
    }
  }
}

// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%{{.*}}: tensor<?x4xi8>, %{{.*}}: tensor<f64>) -> (tensor<?x5x4xi8>, tensor<?x5xf64>)
// CHECK-NOT: branch.
// CHECK-NOT: sym.

// NOCOAL-LABEL: func.func @main
// NOCOAL-SAME:    -> (tensor<?x8x4xi8>, tensor<?x8xf64>)

// I32-LABEL: func.func @main
// I32-SAME:    (%{{.*}}: tensor<?x4xi32>, %{{.*}}: tensor<f64>) -> (tensor<?x5x4xi32>, tensor<?x5xf64>)

// BRANCH-LABEL: branch.kernel @tfim
// BRANCH: branch.emit
// BRANCH-NOT: sym.
