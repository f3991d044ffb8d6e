// symir-opt's messages for a whole module, each with `symir-opt: error:` or a
// file:line:col, never an xDSL or Python internal (sweep 16): a symbol defined twice, an
// op with an empty body, a sym-level pass given several operators, an empty input (read
// as an empty module, as MLIR reads one), and symir-run given sym IR. Each case is cut
// out of this file with sed (symir-opt stops at the first error), so the line numbers
// are those of the cut-out file.
//
// RUN: sed -n '35,/^\/\/ END/p' %s > %t.dup.mlir
// RUN: not symir-opt %t.dup.mlir 2>&1 | filecheck %s
// RUN: sed -n '56,/^\/\/ END/p' %s > %t.two.mlir
// RUN: not symir-opt %t.two.mlir -p symbolic-normalization 2>&1 | filecheck %s --check-prefix=NORM
// RUN: not symir-opt %t.two.mlir -p symbolic-fanout-analysis 2>&1 | filecheck %s --check-prefix=FANOUT
// RUN: not symir-run %t.two.mlir --input '[[1, 1]]:int8' 2>&1 | filecheck %s --check-prefix=LOWERFIRST
// RUN: sed -n '77,/^\/\/ END/p' %s > %t.body.mlir
// RUN: not symir-opt %t.body.mlir 2>&1 | filecheck %s --check-prefix=BODY
// RUN: sed -n '82,/^\/\/ END/p' %s > %t.empty.mlir
// RUN: symir-opt %t.empty.mlir | filecheck %s --check-prefix=EMPTY

// CHECK:    dup.mlir:11:1: error: Redefinition of symbol "tfim"
// CHECK-NEXT: {{^}}sym.operator @tfim sites 2 states [-1, 1] dtype f64 {
// CHECK-NEXT: {{^}}^

// NORM:      two.mlir:11:1: error: ValueError: symbolic-normalization: expected a module holding exactly one 'sym.operator', found 2: @tfim, @other (the pass takes one operator per module)
// NORM-NEXT: {{^}}sym.operator @other sites 2 states [-1, 1] dtype f64 {
// FANOUT:    two.mlir:11:1: error: ValueError: symbolic-fanout-analysis: expected a module holding exactly one 'sym.operator', found 2: @tfim, @other (the pass takes one operator per module)

// LOWERFIRST: symir-run: error: the module holds sym IR (jaxlib: Dialect `sym' not found for custom op 'sym.operator'); symir-run executes StableHLO: lower it first (symir-opt FILE -p symir-lower | symir-run - ...)

// BODY:      body.mlir:2:1: error: Operation func.func contains empty block in single-block region that expects at least a terminator
// BODY-NEXT: {{^}}func.func @main(%x: tensor<?x4xi8>) -> tensor<?x4xi8> {

// EMPTY:      builtin.module {
// EMPTY-NEXT: }

// a symbol defined twice
sym.operator @tfim sites 2 states [-1, 1] dtype f64 {
  sym.term @z kind "site" labels ["i"] rows [[0], [1]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
sym.operator @tfim sites 2 states [-1, 1] dtype f64 {
  sym.term @z kind "site" labels ["i"] rows [[0], [1]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
// END

// two operators
sym.operator @tfim sites 2 states [-1, 1] dtype f64 {
  sym.term @z kind "site" labels ["i"] rows [[0], [1]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
sym.operator @other sites 2 states [-1, 1] dtype f64 {
  sym.term @z kind "site" labels ["i"] rows [[0], [1]] {
    sym.emission {
    } amplitude {
      %a = sym.constant 1.0 : f64
      sym.yield %a : f64
    }
  }
}
// END

// an empty body
func.func @main(%x: tensor<?x4xi8>) -> tensor<?x4xi8> {
}
// END

// comments only: an empty module
// END
