"""Every code snippet of ../shared/spec/compiler-pipeline-and-caching.txt and
symbolic-system-architecture.txt, with only the import changed
(`import neuralqx.experimental.operators.symbolic as sym` -> `import symir as sym`).

The architecture page's "one-sample semantic view" is labelled pseudo-code (it calls
undefined helpers such as `bind_labels`), so it is not run; the reference interpreter
(`symir.interpreter`) is its executable form.
"""

from __future__ import annotations

import numpy as np
import pytest

import symir as sym


@pytest.fixture
def hi():
    # bosons: the inspection example's `where(site(i) > 0).emit(shift(i, -1))` is an
    # annihilation there (on spin-1/2 states [-1, 1] it would leave the space: strict
    # validation rejects that)
    return sym.Fock(3, 4)


@pytest.fixture
def x_batch(hi):
    return np.random.default_rng(0).choice(np.asarray(hi.local_states), size=(8, hi.size))


@pytest.fixture
def sym_op(hi):
    return (
        sym.DOperator(hi, "spec_hop")
        .for_each_pair("i", "j")
        .emit(sym.swap("i", "j"), amplitude=0.5)
        .build()
    )


def test_pipeline_entry_points(sym_op, capsys):
    # convenience path on SymbolicOperator
    compiled = sym_op.compile(cache=True)
    # explicit compiler path
    compiler = sym.SymbolicCompiler()
    compiled = compiler.compile_operator(sym_op)

    artifact = compiler.compile(sym_op)
    print(artifact.backend, artifact.lowerer_name)
    print(artifact.cache_token())
    print([r.pass_name for r in artifact.pass_reports])

    out = capsys.readouterr().out
    assert "jax jax_symbolic_v1" in out and artifact.cache_token() in out
    assert compiled is artifact.compiled_operator  # one process-wide store: a hit


def test_manual_cache_control(sym_op):
    sym_op.compile()
    compiler = sym.SymbolicCompiler()
    print(compiler.cache_size)
    assert compiler.cache_size >= 1
    compiler.clear_cache()
    assert compiler.cache_size == 0


def test_inspection_workflow(hi, x_batch):
    sym_op = (
        sym.DOperator(hi, "demo")
        .for_each_site("i")
        .where(sym.site("i") > 0)
        .emit(sym.shift("i", -1), amplitude=1.0)
        .build()
    )

    # Definition output
    ir = sym_op.to_ir()
    print(ir.operator_name, ir.term_count)
    print(ir.static_fingerprint())

    # Compilation output
    compiler = sym.SymbolicCompiler()
    artifact = compiler.compile(sym_op)

    print(artifact.backend, artifact.lowerer_name)
    print(artifact.cache_token())
    print([r.pass_name for r in artifact.pass_reports])

    # Runtime output
    compiled = artifact.compiled_operator
    xp, mels = compiled.get_conn_padded(x_batch)

    assert xp.shape == (8, compiled.max_conn_size, 4) and mels.shape == (8, compiled.max_conn_size)
