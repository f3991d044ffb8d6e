"""`symir.frontend`: the DSL, and building the `sym` IR of what it defines.

- `expr.py`: expressions and predicates (`site`, `emitted`, `symbol`, arithmetic,
  comparisons, `&`/`|`/`~`, `sqrt`, `select`, ...);
- `update.py`: update programs (`write`, `shift`, `swap`, `cond`, ...), chainable;
- `fermion.py`: ladder operators (`cdag`, `c`, `n`), their products and sums, and the
  emissions a product becomes (Jordan-Wigner signs in NetKet's convention);
- `operator.py`: the builder `DOperator` (iterators, `where`, `emit`, `emit_if`, ...),
  `SymbolicOperator` and `SymbolicOperatorSum`;
- `product.py`: the terms of `a @ b`, `op.H`, `op.T` and `op.conj()` (DSL terms rewritten;
  `operator.py` builds the operators from them);
- `emit.py`: DSL expressions and update programs -> `sym` ops in a block;
- `build.py`: `build_ir`, a DSL operator -> its verified `SymbolicOperatorIR`.

The frontend sits above the compiler (`SymbolicOperator.compile()` calls it) and imports
nothing of the integrations or the tools (tests/unit/test_layering.py).

Adding a construct: a new iterator is a method of `DOperator` that builds a row table
(no new IR); a new expression or update is a node in `expr.py` or a step in `update.py`,
emitted as its `sym` op in `emit.py` (the op itself goes in `dialects/sym/`), and
exported from `symir/__init__.py` if public. Errors a user can make are raised at
definition time as `SymbolicDefinitionError`, naming the problem. Tests:
tests/unit/symir/test_dsl.py; docs/where-does-my-change-go.md lists the rest.
"""
