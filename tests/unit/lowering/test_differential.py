"""Differential tests: `op.compile().get_conn_padded` against the reference interpreter.

Every DSL construct (iterators, predicates, emissions, updates, expressions) is compiled
on small Hilbert spaces and compared with `symir.interpreter.reference_get_conn_padded` on
every basis state (and on random configurations of a larger space), as multisets of
`(x', mel)`: configurations exactly, matrix elements to 1e-12, branches with a zero
matrix element ignored. The compiled operator coalesces all identity-update (diagonal)
branches into one, so by default the branches with `x' == x` are compared summed; with
`coalesce_diagonal=False` the full multisets are compared. The padding contract
(`xp == x`, `mel == 0` for padded/inactive slots) and the static fan-out are checked too.
These exact comparisons are made on the kernel compiled without fusion
(`enable_fusion=False`); the default, fused kernel (`branch-fuse-equal-states` merges
branches with provably equal connected states) is compared with the reference after
merging equal states (the matrix elements of all branches with one `x'` summed), and its
fan-out must not exceed the unfused one. A hypothesis test does the same on random
operators from a small grammar.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

import symir as sym
from symir.interpreter import reference_get_conn_padded, static_fanout
from symir.testing import first_difference

TOL = 1e-12
ZERO = 1e-13  # |mel| below this counts as a zero matrix element (ignored)

HILBERTS = {
    "spin_half": sym.Spin(0.5, 3),
    "fock2": sym.Fock(2, 3),
    "spin1": sym.Spin(1, 3),
    "generic": sym.DiscreteHilbert((-1, 0, 2), 3),
}

# --------------------------------------------------------------------------- helpers


def configurations(space, n_random: int = 48, seed: int = 0) -> np.ndarray:
    """Every basis state of a small space, else random configurations."""
    if space.n_states <= 100:
        return space.all_states()
    rng = np.random.default_rng(seed)
    return rng.choice(np.asarray(space.local_states), size=(n_random, space.size))


def expected_fanout(op) -> int:
    """Non-identity emissions count rows x emissions; all identity ones share one slot."""
    diagonal = False
    total = 0
    for t in op.terms:
        for e in t.emissions:
            if e.update.steps:
                total += len(t.rows)
            else:
                diagonal = True
    return total + int(diagonal)


def check(op, x=None, params=None, *, coalesce: bool = True, fanout: int | None = None):
    """Compiles `op` and compares it with the reference on `x` (default: all states):
    without fusion exactly (`fanout`: the expected fan-out of that kernel), then the
    default, fused kernel after merging equal states. Returns the fused kernel and its
    outputs."""
    space = op.space
    if x is None:
        x = configurations(space)
    x = np.asarray(x, dtype=np.int32)
    # strict validation off: several cases leave the local states on purpose, to test
    # that such branches become padding
    options = {"strict_validation": False, "coalesce_diagonal": coalesce}
    compiled = op.compile(enable_fusion=False, **options)
    if any(e.condition is not None for t in op.terms for e in t.emissions):
        # exclusive emissions (emit_if chains) may share slots: the exact fan-out is
        # checked without that merge, the merged kernel must be as correct and narrower
        unmerged = op.compile(enable_fusion=False, merge_exclusive_emissions=False, **options)
        check_against_reference(op, unmerged, x, params, coalesce, fanout)
        if fanout is None:
            fanout = unmerged.max_conn_size
        assert compiled.max_conn_size <= fanout
        fanout = compiled.max_conn_size
    check_against_reference(op, compiled, x, params, coalesce, fanout)
    fused = op.compile(**options)
    assert fused.max_conn_size <= compiled.max_conn_size
    return check_against_reference(op, fused, x, params, coalesce, fused.max_conn_size, True)


def check_against_reference(op, compiled, x, params, coalesce, fanout, fused=False):
    space = op.space
    if params:
        compiled = compiled.with_params(**params)
    xp, mels = compiled.get_conn_padded(x)
    xp, mels = np.asarray(xp), np.asarray(mels)
    f = compiled.max_conn_size
    # static fan-out and the shape/dtype contract
    if fanout is None:
        fanout = expected_fanout(op) if coalesce else static_fanout(op.to_ir())
    # at most the static count: rows the compiler proves inactive (a predicate that folds to
    # false, `p & !p`) are dropped; the branches themselves are compared below, in full
    assert f <= fanout, f"fan-out {f}, expected at most {fanout}\n{op.to_ir()}"
    assert xp.shape == (*x.shape[:-1], f, space.size) and xp.dtype == x.dtype
    assert mels.shape == (*x.shape[:-1], f)
    assert mels.dtype == np.dtype(op.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rxp, rmels = reference_get_conn_padded(op.to_ir(), x, params)
    # the multisets of branches: all of them, the diagonal summed (what diagonal
    # coalescing does) or every connected state summed (what fusion of equal states does)
    merge = "states" if fused else "diagonal" if coalesce else "none"
    found = first_difference(
        (xp, mels), (rxp, rmels), x, merge=merge, atol=TOL, rtol=TOL, zero=ZERO
    )
    assert found is None, f"{found}\n{op.to_ir()}"
    for b in range(len(x)):
        # padding contract: a compiled slot is either a reference branch or `x' = x, 0`
        rset = [tuple(s) for s in rxp[b].tolist()]
        for s, m in zip(xp[b].tolist(), mels[b].tolist(), strict=True):
            if m == 0 and tuple(s) != tuple(x[b].tolist()):
                # an active branch with a zero matrix element is allowed only if the
                # reference has it too
                assert tuple(s) in rset, (
                    f"x={x[b].tolist()}: slot x'={s} with mel 0 is neither padding "
                    f"(x' = x) nor a reference branch\n{op.to_ir()}"
                )
    return compiled, xp, mels


def states(space) -> tuple[int, ...]:
    return space.local_states


# --------------------------------------------------------------------------- cases
# Each case: a function `(hi) -> SymbolicOperator` using only local states of `hi`.

site, symbol = sym.site, sym.symbol


def _op(hi, name="op", **kw):
    return sym.DOperator(hi, name, **kw)


def c_globally(hi):
    return _op(hi).globally().emit(sym.identity(), matrix_element=0.5 + sym.source_index(0)).build()


def c_for_each_site(hi):
    s = states(hi)
    return _op(hi).for_each_site("i").emit(sym.write("i", s[-1]), matrix_element=-0.3).build()


def c_for_each_pair(hi):
    return (
        _op(hi)
        .for_each_pair("i", "j")
        .emit(sym.swap("i", "j"), matrix_element=1.0 + site("i") - 0.5 * site("j"))
        .build()
    )


def c_for_each_distinct_pair(hi):
    return (
        _op(hi)
        .for_each_distinct_pair("i", "j")
        .where(site("i") != site("j"))
        .emit(sym.swap("i", "j"), matrix_element=0.25 * site("i").index + 1.0)
        .build()
    )


def c_for_each_triplet(hi):
    return (
        _op(hi)
        .for_each_triplet("a", "b", "c", over=[(0, 1, 2), (2, 0, 1), (1, 2, 0)])
        .emit(sym.permute("a", "b", "c"), matrix_element=1.0 + site("a") * site("c"))
        .build()
    )


def c_for_each_plaquette(hi):
    # on 3 sites a plaquette row repeats a site (rows need not be distinct sites)
    return (
        _op(hi)
        .for_each_plaquette("a", "b", "c", "d", over=[(0, 1, 2, 0), (1, 2, 0, 2)])
        .emit(sym.swap("a", "b").swap("c", "d"), matrix_element=2.0 - site("d"))
        .build()
    )


def c_for_each_edges(hi):
    return (
        _op(hi)
        .for_each(("i", "j"), over=[(0, 1), (1, 2), (2, 0)])
        .emit(sym.identity(), matrix_element=site("i") * site("j"))
        .for_each("k", over=[0, 2])
        .emit(sym.shift("k", states(hi)[1] - states(hi)[0]), matrix_element=0.7)
        .build()
    )


def c_where_repeated(hi):
    s = states(hi)
    return (
        _op(hi)
        .for_each_distinct_pair("i", "j")
        .where(site("i") == s[0])
        .where(site("j") != s[0])
        .where(site("i").index < site("j").index)
        .emit(sym.swap("i", "j"), matrix_element=1.5)
        .build()
    )


def c_emit_tags(hi):
    s = states(hi)
    return (
        _op(hi)
        .for_each_site("i")
        .emit(sym.write("i", s[0]), matrix_element=0.5, tag="down")
        .emit(sym.write("i", s[-1]), matrix_element=-0.5, tag="up")
        .emit(sym.identity(), matrix_element=site("i"), tag="diag")
        .build()
    )


def c_emit_if_chain(hi):
    s = states(hi)
    return (
        _op(hi)
        .for_each_site("i")
        .emit_if(site("i") == s[0], sym.write("i", s[-1]), matrix_element=1.0)
        .emit_elseif(site("i") == s[-1], sym.write("i", s[0]), matrix_element=2.0)
        .emit_else(sym.identity(), matrix_element=3.0)
        .build()
    )


def c_emit_if_only(hi):
    s = states(hi)
    return (
        _op(hi)
        .for_each_pair("i", "j")
        .emit_if(site("i") > site("j"), sym.swap("i", "j"), matrix_element=-1.0)
        .emit_elseif(site("i") < site("j"), sym.identity(), matrix_element=0.5)
        .emit(sym.write("j", s[0]), matrix_element=0.125)
        .build()
    )


def c_identity(hi):
    return (
        _op(hi)
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=site("i") * site("i"))
        .for_each_site("i")
        .emit(matrix_element=0.25)  # no update = identity
        .build()
    )


def c_write_expr(hi):
    # write a value computed from the configuration (often not a local state -> dropped)
    return _op(hi).for_each_site("i").emit(sym.write("i", -site("i")), matrix_element=-1.0).build()


def c_write_neighbour(hi):
    # site index expression: i + 1 (mod N)
    return (
        _op(hi)
        .for_each_site("i")
        .emit(
            sym.write(site("i").index + 1, site("i")),
            matrix_element=1.0 + site(site("i").index + 1),
        )
        .build()
    )


def c_shift(hi):
    s = states(hi)
    d = s[1] - s[0]
    return (
        _op(hi)
        .for_each_site("i")
        .emit(sym.shift("i", d), matrix_element=1.0)
        .emit(sym.shift("i", -d), matrix_element=-2.0)
        .build()
    )


def c_shift_there_and_back(hi):
    # intermediate x' leaves the local states; only the final x' is checked
    return (
        _op(hi)
        .for_each_site("i")
        .emit(sym.shift("i", 7).shift("i", -7), matrix_element=0.5)
        .build()
    )


def c_shift_mod(hi):
    return (
        _op(hi)
        .for_each_site("i")
        .emit(sym.shift_mod("i", 1), matrix_element=1.0)
        .emit(sym.shift_mod("i", -1), matrix_element=0.5)
        .emit(sym.shift_mod("i", 5), matrix_element=0.25)
        .build()
    )


def c_hop(hi):
    return (
        _op(hi)
        .for_each(("i", "j"), over=[(0, 1), (1, 2), (2, 0)])
        .emit(sym.hop("i", "j"), matrix_element=-sym.sqrt(site("i").abs() * (emitted_abs("j"))))
        .emit(sym.hop("j", "i"), matrix_element=-0.5)
        .build()
    )


def emitted_abs(label):
    return sym.emitted(label).abs()


def c_swap(hi):
    return (
        _op(hi)
        .for_each_distinct_pair("i", "j")
        .emit(sym.swap("i", "j"), matrix_element=sym.emitted("i") - sym.emitted("j") + 0.5)
        .build()
    )


def c_permute(hi):
    return (
        _op(hi)
        .globally()
        .emit(sym.permute(0, 1, 2), matrix_element=1.0 + sym.target_index(0))
        .emit(sym.permute(2, 1), matrix_element=2.0 + sym.target_index(2))
        .build()
    )


def c_affine(hi):
    return (
        _op(hi)
        .for_each_site("i")
        .emit(sym.affine("i", scale=-1), matrix_element=1.0)
        .emit(sym.affine("i", scale=2, bias=-1), matrix_element=0.5)
        .emit(sym.affine("i", scale=1, bias=site("i")), matrix_element=0.25)
        .build()
    )


def c_scatter(hi):
    s = states(hi)
    return (
        _op(hi)
        .for_each_distinct_pair("i", "j")
        .emit(sym.scatter(["i", "j"], [s[-1], s[0]]), matrix_element=1.0)
        # a repeated site keeps the last value
        .emit(sym.scatter(["i", "i", "j"], [s[0], s[1], site("i")]), matrix_element=0.5)
        .build()
    )


def c_invalidate(hi):
    s = states(hi)
    return (
        _op(hi)
        .for_each_site("i")
        .emit(sym.invalidate(), matrix_element=5.0)
        .emit(sym.write("i", s[0]).invalidate(), matrix_element=3.0)
        .emit(
            sym.Update.cond(site("i") == s[0], sym.invalidate(), sym.write("i", s[0])),
            matrix_element=1.0,
        )
        .build()
    )


def c_cond(hi):
    s = states(hi)
    return (
        _op(hi)
        .for_each_distinct_pair("i", "j")
        .emit(
            sym.Update.cond(site("i") > site("j"), sym.swap("i", "j"), sym.write("i", s[-1])),
            matrix_element=1.0 + site("i"),
        )
        .emit(sym.cond(site("i") == site("j"), sym.write("j", s[0])), matrix_element=0.5)
        .emit(
            sym.write("i", s[0]).when(site("j") != s[0], None, sym.write("j", s[-1])),
            matrix_element=-0.25,
        )
        .build()
    )


def c_cond_nested(hi):
    s = states(hi)
    inner = sym.cond(site("j") == s[-1], sym.write("i", s[0]), sym.swap("i", "j"))
    return (
        _op(hi)
        .for_each_distinct_pair("i", "j")
        .emit(
            sym.cond(site("i") != s[0], inner, sym.shift("i", 2 * (s[1] - s[0]))),
            matrix_element=1.0,
        )
        .build()
    )


def diag(expr):
    """An operator on `hi` with one diagonal term per site whose mel is `expr(i)`."""

    def build(hi, dtype="float64"):
        return (
            _op(hi, dtype=dtype)
            .for_each_site("i")
            .emit(sym.identity(), matrix_element=expr("i"))
            .build()
        )

    return build


def offdiag(expr):
    """One off-diagonal (swap) branch per ordered distinct pair with mel `expr(i, j)`;
    `emitted` reads the swapped configuration."""

    def build(hi):
        return (
            _op(hi)
            .for_each_distinct_pair("i", "j")
            .emit(sym.swap("i", "j"), matrix_element=expr("i", "j"))
            .build()
        )

    return build


def a(i):
    return site(i).abs() + 1.0  # positive


EXPR_CASES = {
    "value": diag(lambda i: site(i)),
    "index": diag(lambda i: site(i).index * 0.5 + site(i)),
    "abs": diag(lambda i: site(i).abs() + abs(site(i) - 1)),
    "source_index": diag(lambda i: sym.source_index(0) * site(i) + sym.source_index(2)),
    "add_sub": diag(lambda i: site(i) + 1.5 - site(site(i).index + 1) - 0.25),
    "mul_div": diag(lambda i: site(i) * 3 / a(i) + 1 / (2.0 * a(i))),
    "int_div": diag(lambda i: site(i) / 2),
    "pow": diag(lambda i: a(i) ** 0.5 + site(i) ** 2 + 2 ** site(i) + a(i) ** -1.5),
    "neg": diag(lambda i: -site(i) - (-(site(i) * 0.5))),
    # a table read at a row-static key (a constant per row) and at a value of x
    "lookup": diag(
        lambda i: (
            sym.lookup({0: 0.5, 2: -1.25, 7: 3.0}, site(i).index * 2)
            + sym.lookup([1.5, -0.5, 0.0, 2.0], site(i) + 1)
        )
    ),
    # at run-time keys: a dense table from a negative first key (a gather, with keys
    # outside it), and keys too far apart for one (a select per key)
    "lookup_runtime_keys": diag(
        lambda i: (
            sym.lookup({-3: 1.5, -1: 0.25, 2: 4.0, 3: -8.0}, site(i) * 2 - 1)
            + 10 * sym.lookup({-(10**12): 1.0, 0: 0.5, 10**12: 2.0}, site(i) * 10**12)
        )
    ),
    "sqrt": diag(lambda i: sym.sqrt(a(i)) + sym.sqrt(site(i) * site(i))),
    "exp": diag(lambda i: sym.exp(site(i) * 0.3)),
    "log": diag(lambda i: sym.log(a(i)) + sym.log(site(i) * site(i) + 0.5)),
    "sin_cos": diag(lambda i: sym.sin(site(i) * 0.7) + sym.cos(site(i) + 0.2)),
    "min_max": diag(lambda i: sym.minimum(site(i), 0.5) + sym.maximum(site(i), 0) * 2),
    "min_max_int": diag(lambda i: sym.minimum(site(i), site(site(i).index + 1)) * 1.0),
    "select": diag(lambda i: sym.select(site(i) > 0, site(i) * 2.0, -0.5)),
    "select_int": diag(lambda i: sym.select(site(i) >= site(site(i).index + 2), site(i), 3)),
    "wrap_mod": diag(lambda i: sym.wrap_mod(site(i) + 1) + 0.5 * sym.wrap_mod(site(i) - 3)),
    "all_any_of": diag(
        lambda i: sym.select(
            sym.any_of(sym.all_of(site(i) > 0, site(i) < 2), site(i) == -1), 1.0, 0.25
        )
    ),
    "and_or_not": diag(
        lambda i: sym.select(((site(i) != 0) & ~(site(i) > 1)) | (site(i).index == 2), 2.0, -1.0)
    ),
    "comparisons": diag(
        lambda i: (
            sym.select(site(i) < 0, 1.0, 0.0)
            + sym.select(site(i) <= 0, 2.0, 0.0)
            + sym.select(site(i) > 0, 4.0, 0.0)
            + sym.select(site(i) >= 0, 8.0, 0.0)
            + sym.select(site(i) == 0, 16.0, 0.0)
            + sym.select(site(i) != 0, 32.0, 0.0)
            + sym.select(site(i) * 0.5 < 0.25, 64.0, 0.0)
        )
    ),
    "count_parity": diag(
        lambda i: (
            sym.count(0, i) * 1.0
            + 10 * sym.count(i, 3)
            + 100 * sym.count(site(i).index - 1, site(i).index + 2)  # clamped to [0, N]
            + 1000 * sym.count(site(i).index + 2, i)  # empty: lo > hi
            + 0.5 * sym.parity(sym.count(0, 3) + site(i))
        )
    ),
    "count_runtime_bounds": diag(
        lambda i: sym.count(sym.minimum(site(i) + 1, 3), 3) + 0.25 * sym.count(0, site(0) + 2)
    ),
    # the k-th of some sites holding a state: static ranks (the shared table, read by a
    # take), ranks known at run time (a gather into the table), one row (per-row form)
    "nth_site_static_rank": diag(
        lambda i: 1.0 * sym.nth_site(i, 2, [2, 0, 1]) + 10 * sym.nth_site(i, -1, [0, 1, 2])
    ),
    "nth_site_runtime_rank": diag(
        lambda i: (
            1.0 * sym.nth_site(site(i) + 1, 0, [1, 2]) + 10 * sym.nth_site(-site(i), 2, [2, 0])
        )
    ),
    "nth_site_one_row": lambda hi: (
        _op(hi)
        .globally()
        .emit(
            sym.identity(),
            matrix_element=1.0 * sym.nth_site(site(0) + 1, 2, [0, 1, 2])
            + 10 * sym.nth_site(1, 0, [2, 1, 0])
            + 100 * sym.nth_site(site(2), -1, [1, 2, 0]),
        )
        .build()
    ),
    "symbol_real": diag(lambda i: symbol("J", 0.75) * site(i) + symbol("h", -1.25)),
    "symbol_int_default": diag(lambda i: symbol("K", 2) * site(i)),
    "emitted": offdiag(lambda i, j: sym.emitted(i) * 2.0 + sym.emitted(j) - site(i)),
    "target_index": offdiag(lambda i, j: sym.target_index(0) - 0.5 * sym.target_index(1) + 1.0),
    "emitted_index_expr": offdiag(lambda i, j: sym.emitted(sym.site(i).index + 1) + 0.5),
}

COMPLEX_CASES = {
    "symbol_complex": diag(lambda i: symbol("g", 0.5 - 1.0j) * site(i) + 1.0),
    "complex_literal": diag(lambda i: (0.25 + 2.0j) * site(i) - 1j),
    "conj": diag(lambda i: sym.conj(symbol("g", 0.5 - 1.0j) * (site(i) + 2))),
    "real_imag": diag(
        lambda i: (
            sym.real(symbol("g", 0.5 - 1.0j) * site(i)) + 3.0 * sym.imag(sym.complex_(site(i), 0.5))
        )
    ),
    "complex_fns": diag(
        lambda i: (
            sym.exp(sym.complex_(0.0, site(i)))
            + sym.sqrt(sym.complex_(site(i), 0.0))
            + sym.sin(1j * site(i))
            + sym.cos(0.5j + site(i))
            + sym.log(sym.complex_(a(i), 1.0))
        )
    ),
    "complex_pow_div_abs": diag(
        lambda i: (
            sym.complex_(a(i), 1.0) ** 2 / sym.complex_(1.0, site(i))
            + sym.complex_(site(i), 1.0).abs()
        )
    ),
    "complex_select_eq": diag(lambda i: sym.select(sym.complex_(site(i), 0) == 1, 1j, 2.0 + 0j)),
    "conj_of_real": diag(lambda i: sym.conj(site(i) * 0.5)),
}

UPDATE_CASES = {
    "globally": c_globally,
    "for_each_site": c_for_each_site,
    "for_each_pair": c_for_each_pair,
    "for_each_distinct_pair": c_for_each_distinct_pair,
    "for_each_triplet": c_for_each_triplet,
    "for_each_plaquette": c_for_each_plaquette,
    "for_each_edges": c_for_each_edges,
    "where_repeated": c_where_repeated,
    "emit_tags": c_emit_tags,
    "emit_if_chain": c_emit_if_chain,
    "emit_if_only": c_emit_if_only,
    "identity": c_identity,
    "write_expr": c_write_expr,
    "write_neighbour": c_write_neighbour,
    "shift": c_shift,
    "shift_there_and_back": c_shift_there_and_back,
    "shift_mod": c_shift_mod,
    "hop": c_hop,
    "swap": c_swap,
    "permute": c_permute,
    "affine": c_affine,
    "scatter": c_scatter,
    "invalidate": c_invalidate,
    "cond": c_cond,
    "cond_nested": c_cond_nested,
}

ALL_CASES = {**UPDATE_CASES, **EXPR_CASES, **COMPLEX_CASES}


# --------------------------------------------------------------------------- tests


def contiguous(space) -> bool:
    st_ = space.local_states
    return list(st_) == list(range(st_[0], st_[0] + len(st_)))


MOD_CASES = ("shift_mod", "wrap_mod")  # need contiguous local states (verifier)


@pytest.mark.parametrize("hname", list(HILBERTS))
@pytest.mark.parametrize("case", [c for c in UPDATE_CASES if c not in MOD_CASES])
def test_update_construct(case, hname):
    check(UPDATE_CASES[case](HILBERTS[hname]))


@pytest.mark.parametrize("case", [c for c in {**EXPR_CASES, **COMPLEX_CASES} if c not in MOD_CASES])
def test_expression_construct(case):
    # generic local states (-1, 0, 2): negative, zero and positive values, non-contiguous
    check(ALL_CASES[case](HILBERTS["generic"]))


@pytest.mark.parametrize(
    "space", [sym.Fock(2, 3), sym.Fock(3, 3), sym.DiscreteHilbert((-2, -1, 0), 3)]
)
@pytest.mark.parametrize("case", MOD_CASES)
def test_mod_construct(case, space):
    check(ALL_CASES[case](space))


@pytest.mark.parametrize("hname", ["spin_half", "spin1", "generic"])
@pytest.mark.parametrize("case", MOD_CASES)
def test_mod_needs_contiguous_states(case, hname):
    with pytest.raises(sym.SymbolicDefinitionError, match="contiguous"):
        ALL_CASES[case](HILBERTS[hname])


@pytest.mark.parametrize(
    "case",
    [
        "globally",
        "for_each_pair",
        "emit_tags",
        "emit_if_chain",
        "identity",
        "scatter",
        "invalidate",
        "cond",
        "emitted",
        "symbol_complex",
    ],
)
def test_construct_uncoalesced(case):
    # no diagonal coalescing: the full multisets (diagonal branches too) agree, and the
    # fan-out is the reference's static one (rows x emissions per term)
    op = ALL_CASES[case](HILBERTS["generic"])
    check(op, coalesce=False)


@pytest.mark.parametrize("case", ["hop", "cond", "permute", "index", "symbol_real"])
def test_random_configurations_larger_space(case):
    hi = sym.DiscreteHilbert((-1, 0, 2), 7)  # 2187 states: random configurations
    op = ALL_CASES[case](hi)
    x = configurations(hi, n_random=40, seed=1)
    assert len(x) == 40
    check(op, x)


def test_batch_shape_and_params():
    op = EXPR_CASES["symbol_real"](HILBERTS["spin1"])
    space = op.space
    x = space.all_states()[:6].reshape(2, 3, 3).astype(np.int32)
    compiled = op.compile().with_params(J=-0.5, h=2.0)
    xp, mels = compiled.get_conn_padded(x)
    _rxp, rmels = reference_get_conn_padded(op.to_ir(), x, {"J": -0.5, "h": 2.0})
    assert xp.shape == (2, 3, 1, 3) and mels.shape == (2, 3, 1)
    np.testing.assert_allclose(np.asarray(mels)[..., 0], rmels.sum(-1), atol=TOL)
    check(op, params={"J": -0.5, "h": 2.0})


def test_netket_graph_edges_as_rows():
    nk = pytest.importorskip("netket")
    graph = nk.graph.Chain(4, pbc=True)
    hi = sym.Spin(0.5, 4)
    op = (
        _op(hi)
        .for_each(("i", "j"), over=graph)
        .where(site("i") != site("j"))
        .emit(sym.swap("i", "j"), matrix_element=0.5)
        .build()
    )
    check(op)


def test_summed_rows_sorted_on_scrambled_edges():
    # NetKet's Chain(16, pbc=True) edges come scrambled; branch-sort-summed-rows sorts the
    # rows that only feed the diagonal sum (masked, with a parameter) in a copy of their
    # own, and the swap emitted from the same table (sharing the mask) keeps its order.
    nk = pytest.importorskip("netket")
    from symir.lowering.pipelines import LoweringOptions, lower_ir

    edges = nk.graph.Chain(16, pbc=True).edges()
    assert edges != sorted(edges)
    hi = sym.Spin(0.5, 16)
    si, sj = site("i"), site("j")
    op = (
        _op(hi)
        .for_each(("i", "j"), over=edges)
        .emit_if(si != sj, sym.identity(), matrix_element=symbol("J", 1.0) * si * sj)
        .emit_if(si != sj, sym.swap("i", "j"), matrix_element=-2.0)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-1.0)
        .build()
    )
    check(op, params={"J": 0.7})
    # branch-sort-summed-rows alone (branch-sort-rows, which sorts the whole term, off)
    levels = lower_ir(op.to_ir(), LoweringOptions(sort_rows=False, target="cpu")).levels
    unsorted = lower_ir(
        op.to_ir(), LoweringOptions(sort_rows=False, sort_summed_rows=False, target="cpu")
    ).levels
    first = [i for i, _ in edges]
    ordered = f"array<i64: {', '.join(map(str, sorted(first)))}>"
    scrambled = f"array<i64: {', '.join(map(str, first))}>"
    assert ordered in levels["branch"] and ordered not in unsorted["branch"]
    assert scrambled in levels["branch"]  # the swap's rows
    # the two reads of the sum are slices now (two runs each); those of the mask and swap
    # stay gathers (which, unsorted, the reads of equal columns share with the sum)
    gathers = levels["stablehlo"].count('"stablehlo.gather"')
    assert gathers == unsorted["stablehlo"].count('"stablehlo.gather"') == 2
    assert levels["stablehlo"].count("real_dynamic_slice") == 4
    assert "real_dynamic_slice" not in unsorted["stablehlo"]
    # by default branch-sort-rows sorts the whole term first: the swap's rows too, and no
    # read is a gather any more
    default = lower_ir(op.to_ir(), LoweringOptions(target="cpu")).levels
    assert scrambled not in default["branch"] and ordered in default["branch"]
    assert "gather" not in default["stablehlo"]


# ------------------------------------------------------------------ padding contract


def test_padding_all_inactive():
    # predicate never true / invalidated / leaves the local states: every slot is x' = x, 0
    hi = HILBERTS["fock2"]
    op = (
        _op(hi)
        .for_each_site("i")
        .where(site("i") > 5)
        .emit(sym.shift("i", 1), matrix_element=1.0)
        .for_each_site("i")
        .emit(sym.invalidate(), matrix_element=2.0)
        .for_each_site("i")
        .emit(sym.shift("i", 3), matrix_element=3.0)
        .for_each_site("i")
        .emit_if(site("i") < 0, sym.write("i", 0), matrix_element=4.0)
        .build()
    )
    x = hi.all_states().astype(np.int32)
    # shift by 3 leaves n_max 2 on purpose; fusion merges the three invalidated branches
    # (equal states: all invalid) into one slot
    for fusion, f in [(False, 12), (True, 10)]:
        compiled = op.compile(strict_validation=False, enable_fusion=fusion)
        xp, mels = compiled.get_conn_padded(x)
        assert compiled.max_conn_size == f
        np.testing.assert_array_equal(np.asarray(xp), np.repeat(x[:, None, :], f, axis=1))
        np.testing.assert_array_equal(np.asarray(mels), 0.0)


def test_padding_boundary_branches():
    # Fock n_max 2: shift +1 at n = 2 and -1 at n = 0 leave the space -> padding
    hi = HILBERTS["fock2"]
    op = (
        _op(hi)
        .for_each_site("i")
        .emit(sym.shift("i", 1), matrix_element=1.0)
        .emit(sym.shift("i", -1), matrix_element=1.0)
        .build()
    )
    x = np.array([[2, 0, 1]], dtype=np.int32)
    xp, mels = op.compile().get_conn_padded(x)
    xp, mels = np.asarray(xp)[0], np.asarray(mels)[0]
    inactive = mels == 0
    assert inactive.sum() == 2
    np.testing.assert_array_equal(xp[inactive], np.repeat(x, 2, axis=0))
    got = sorted(tuple(s) for s in xp[~inactive].tolist())
    assert got == sorted([(1, 0, 1), (2, 1, 1), (2, 0, 2), (2, 0, 0)])


def test_fanout_hint():
    hi = HILBERTS["spin_half"]
    op = (
        _op(hi)
        .for_each_distinct_pair("i", "j")
        .where(site("i").index < site("j").index)
        .emit(sym.swap("i", "j"), matrix_element=0.5)
        .fanout(3)
        .build()
    )
    assert op.to_ir().terms[0].fanout == 3
    # the hint does not compact: the operator's F is the compiled kernel's
    assert op.max_conn_size == op.compile().max_conn_size == 3
    compiled, _, _ = check(op, fanout=compiled_fanout(op))
    assert compiled.max_conn_size <= 6
    # fused: the swaps of (i, j) and (j, i) share a slot, which the mask gives to i < j
    assert compiled.max_conn_size == 3


def compiled_fanout(op):
    return op.compile(enable_fusion=False).max_conn_size


# ------------------------------------------------------------------ hypothesis

_UNARY_SAFE = ["neg", "abs", "sin", "cos", "exp_small", "sqrt_pos", "log_pos", "wrap_mod"]


@st.composite
def value_expr(draw, labels, depth=2, *, emitted_ok=False, n=3, mod=True):
    """A real (f64 or i64) expression without NaN: reads, constants, parameters."""
    choices = ["read", "const", "index", "param"]
    if emitted_ok and labels:
        choices.append("emitted")
    if depth > 0:
        choices += ["bin", "bin", "un", "select", "minmax"]
    kind = draw(st.sampled_from(choices))
    lab = (
        (lambda: draw(st.sampled_from(labels))) if labels else (lambda: draw(st.integers(0, n - 1)))
    )
    if kind == "read":
        return site(lab()).value
    if kind == "emitted":
        return sym.emitted(lab()).value
    if kind == "const":
        return (
            sym.select(True, draw(st.sampled_from([0.5, -1.25, 2.0, 1.0])), 0.0)
            if draw(st.booleans())
            else draw(st.sampled_from([1, 2, -1, 0.5, -0.75]))
        )
    if kind == "index":
        return site(lab()).index if labels else sym.source_index(lab())
    if kind == "param":
        # one default per name: two defaults for one name is an invalid operator
        return symbol(*draw(st.sampled_from([("p", 0.3), ("q", 1.5)])))
    sub = lambda: draw(value_expr(labels, depth - 1, emitted_ok=emitted_ok, n=n, mod=mod))  # noqa: E731
    if kind == "bin":
        op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
        x, y = sub(), sub()
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return x / (abs(y) + 1.0)
        return (abs(x) + 0.5) ** sym.minimum(sym.maximum(y, -2.0), 2.0)
    if kind == "un":
        u = draw(st.sampled_from(_UNARY_SAFE if mod else _UNARY_SAFE[:-1]))
        x = sub()
        return {
            "neg": lambda: -x,
            "abs": lambda: abs(x),
            "sin": lambda: sym.sin(x),
            "cos": lambda: sym.cos(x),
            "exp_small": lambda: sym.exp(sym.minimum(sym.maximum(x, -5.0), 5.0)),
            "sqrt_pos": lambda: sym.sqrt(abs(x)),
            "log_pos": lambda: sym.log(abs(x) + 0.5),
            "wrap_mod": lambda: sym.wrap_mod(site(lab()) + draw(st.integers(-3, 3))),
        }[u]()
    if kind == "select":
        return sym.select(draw(predicate(labels, n=n)), sub(), sub())
    return (sym.minimum if draw(st.booleans()) else sym.maximum)(sub(), sub())


@st.composite
def predicate(draw, labels, depth=1, n=3):
    kind = draw(st.sampled_from(["cmp", "cmp", "not", "and", "or"] if depth > 0 else ["cmp"]))
    if kind == "cmp":
        lab = draw(st.sampled_from(labels)) if labels else draw(st.integers(0, n - 1))
        lhs = site(lab).value
        rhs = draw(
            st.one_of(
                st.integers(-2, 2),
                st.just(site(draw(st.sampled_from(labels))).value if labels else 0),
                st.just(site(lab).index),
            )
        )
        cmp = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return {
            "<": lhs < rhs,
            "<=": lhs <= rhs,
            ">": lhs > rhs,
            ">=": lhs >= rhs,
            "==": lhs == rhs,
            "!=": lhs != rhs,
        }[cmp]
    sub = lambda: draw(predicate(labels, depth - 1, n=n))  # noqa: E731
    if kind == "not":
        return ~sub()
    if kind == "and":
        return sym.all_of(sub(), sub())
    return sym.any_of(sub(), sub())


@st.composite
def update(draw, labels, states_, depth=1, n=3, mod=True):
    if not labels:
        labels = list(range(n))
    lab = lambda: draw(st.sampled_from(labels))  # noqa: E731
    state = lambda: draw(st.sampled_from(states_))  # noqa: E731
    kinds = [
        "identity",
        "write",
        "shift",
        "hop",
        "swap",
        "permute",
        "affine",
        "scatter",
        "invalidate",
        "write_expr",
    ] + (["shift_mod"] if mod else [])
    if depth > 0:
        kinds += ["cond", "chain"]
    kind = draw(st.sampled_from(kinds))
    if kind == "identity":
        return sym.identity()
    if kind == "write":
        return sym.write(lab(), state())
    if kind == "write_expr":
        return sym.write(lab(), site(lab()).value)
    if kind == "shift":
        return sym.shift(lab(), draw(st.sampled_from([-2, -1, 1, 2])))
    if kind == "shift_mod":
        return sym.shift_mod(lab(), draw(st.sampled_from([-1, 1, 2])))
    if kind == "hop":
        return sym.hop(lab(), lab())
    if kind == "swap":
        return sym.swap(lab(), lab())
    if kind == "permute":
        k = draw(st.integers(2, 3))
        return sym.permute(*(lab() for _ in range(k)))
    if kind == "affine":
        return sym.affine(
            lab(), scale=draw(st.sampled_from([-1, 1, 2])), bias=draw(st.integers(-1, 1))
        )
    if kind == "scatter":
        k = draw(st.integers(1, 2))
        return sym.scatter([lab() for _ in range(k)], [state() for _ in range(k)])
    if kind == "invalidate":
        return sym.invalidate()
    if kind == "cond":
        p = draw(predicate(labels if isinstance(labels[0], str) else [], n=n))
        return sym.cond(
            p,
            draw(update(labels, states_, 0, n=n, mod=mod)),
            draw(update(labels, states_, 0, n=n, mod=mod)),
        )
    return draw(update(labels, states_, 0, n=n, mod=mod)).then(
        draw(update(labels, states_, 0, n=n, mod=mod))
    )


ITERATORS = ["globally", "site", "pair", "distinct_pair", "triplet", "plaquette", "edges"]


@st.composite
def random_operator(draw):
    hname = draw(st.sampled_from([*list(HILBERTS), "spin_half_4"]))
    hi = HILBERTS.get(hname) or sym.Spin(0.5, 4)
    n = hi.size
    states_ = list(hi.local_states)
    mod = contiguous(hi)
    dtype = draw(st.sampled_from(["float64", "float64", "complex128"]))
    b = sym.DOperator(hi, "rnd", dtype=dtype)
    for _ in range(draw(st.integers(1, 3))):
        it = draw(st.sampled_from(ITERATORS))
        rows_of = lambda k: draw(  # noqa: E731
            st.lists(st.tuples(*[st.integers(0, n - 1)] * k), min_size=1, max_size=3)
        )
        if it == "globally":
            b.globally()
            labels = []
        elif it == "site":
            b.for_each_site("i")
            labels = ["i"]
        elif it == "pair":
            b.for_each_pair("i", "j")
            labels = ["i", "j"]
        elif it == "distinct_pair":
            b.for_each_distinct_pair("i", "j")
            labels = ["i", "j"]
        elif it == "triplet":
            b.for_each_triplet("a", "b", "c", over=rows_of(3))
            labels = ["a", "b", "c"]
        elif it == "plaquette":
            b.for_each_plaquette("a", "b", "c", "d", over=rows_of(4))
            labels = ["a", "b", "c", "d"]
        else:
            b.for_each(("i", "j"), over=rows_of(2))
            labels = ["i", "j"]
        for _ in range(draw(st.integers(0, 2))):
            b.where(draw(predicate(labels, n=n)))
        for _ in range(draw(st.integers(1, 3))):
            upd = draw(update(labels, states_, n=n, mod=mod))
            amp = draw(value_expr(labels, emitted_ok=True, n=n, mod=mod))
            if dtype == "complex128" and draw(st.booleans()):
                amp = amp * sym.complex_(0.5, draw(st.sampled_from([-1.0, 1.0])))
            how = draw(st.sampled_from(["emit", "emit", "if", "if_else"]))
            if how == "emit":
                b.emit(upd, matrix_element=amp)
            elif how == "if":
                b.emit_if(draw(predicate(labels, n=n)), upd, matrix_element=amp)
            else:
                b.emit_if(draw(predicate(labels, n=n)), upd, matrix_element=amp)
                b.emit_elseif(draw(predicate(labels, n=n)), sym.identity(), matrix_element=0.5)
                b.emit_else(draw(update(labels, states_, n=n, mod=mod)), matrix_element=-amp)
    return b.build()


# the examples: the hypothesis profile's (tests/conftest.py: 25 by default, fewer on CI)
@given(op=random_operator(), coalesce=st.booleans())
def test_random_operators(op, coalesce):
    note(str(op.to_ir()))
    check(op, coalesce=coalesce)


# ---------------------------------------------------------------- fusion of equal states

FUSABLE_UPDATES = [
    lambda: sym.write("i", -site("i")).write("j", -site("j")),  # spin-1/2 flip of a bond
    lambda: sym.swap("i", "j"),
    lambda: sym.swap("j", "i"),
    lambda: sym.hop("i", "j"),
    lambda: sym.invalidate(),
    lambda: sym.write("i", site("i").value),  # the identity, written as a write
    lambda: sym.cond(site("i") == site("j"), sym.identity(), sym.swap("i", "j")),
]


@st.composite
def fusable_operator(draw):
    """Several terms applying one update program on one bond list, in forms that fusion
    may merge (equal rows, permuted rows, labels read the other way round, ordered pairs)
    or must not (other programs, other tags, asymmetric updates on reversed bonds), with
    random predicates and amplitudes."""
    hi = draw(st.sampled_from([sym.Spin(0.5, 4), sym.Spin(0.5, 3), HILBERTS["generic"]]))
    n, states_ = hi.size, list(hi.local_states)
    labels = ["i", "j"]
    dtype = draw(st.sampled_from(["float64", "complex128"]))
    flips = hi.local_states == (-1, 1)
    base = draw(st.sampled_from(FUSABLE_UPDATES[0 if flips else 1 :]))
    rows = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=4)
    )
    b = sym.DOperator(hi, "fz", dtype=dtype)
    for _ in range(draw(st.integers(2, 4))):
        form = draw(st.sampled_from(["same", "permuted", "reversed", "pairs", "other"]))
        if form == "pairs":
            b.for_each_distinct_pair("i", "j")
        else:
            over = list(draw(st.permutations(rows))) if form == "permuted" else rows
            b.for_each(("j", "i") if form == "reversed" else ("i", "j"), over=over)
        if draw(st.booleans()):
            b.where(draw(predicate(labels, n=n)))
        upd = draw(update(labels, states_, n=n, mod=False)) if form == "other" else base()
        amp = draw(value_expr(labels, emitted_ok=True, n=n, mod=False))
        if dtype == "complex128" and draw(st.booleans()):
            amp = amp * sym.complex_(0.5, 1.0)
        tag = draw(st.sampled_from([None, None, "t"]))
        if draw(st.booleans()):
            b.emit(upd, matrix_element=amp, tag=tag)
        else:
            b.emit_if(draw(predicate(labels, n=n)), upd, matrix_element=amp, tag=tag)
    return b.build()


@settings(max_examples=settings.default.max_examples * 6 // 5)  # 30 by default
@given(op=fusable_operator(), coalesce=st.booleans())
def test_random_fusable_operators(op, coalesce):
    # fused and unfused kernels against the reference (see `check`)
    note(str(op.to_ir()))
    check(op, coalesce=coalesce)


# ---------------------------------------------------------------- exclusive emissions


def test_exclusive_chain_arms_share_one_slot():
    # three arms of one chain on 3 sites: one slot per row (F = 3, not 9); the same
    # operator as a cyclic shift_mod, checked against the reference
    hi = sym.DiscreteHilbert((0, 1, 2), 3)
    n = site("i")
    chained = (
        _op(hi)
        .for_each_site("i")
        .emit_if(n == 0, sym.write("i", 1), matrix_element=1.0)
        .emit_elseif(n == 1, sym.write("i", 2), matrix_element=2.0)
        .emit_else(sym.write("i", 0), matrix_element=3.0)
        .build()
    )
    compiled, _, _ = check(chained)
    assert compiled.max_conn_size == 3
    shifted = (
        _op(hi)
        .for_each_site("i")
        .emit(sym.shift_mod("i", 1), matrix_element=sym.select(n == 0, 1.0, n + 1.0))
        .build()
    )
    np.testing.assert_allclose(compiled.to_dense(), shifted.compile().to_dense(), atol=1e-12)


def test_two_chains_and_a_tag_keep_their_own_slots():
    hi = sym.DiscreteHilbert((0, 1, 2), 3)
    n = site("i")
    op = (
        _op(hi)
        .for_each_site("i")
        .emit_if(n == 0, sym.write("i", 1), matrix_element=1.0)
        .emit_else(sym.write("i", 0), matrix_element=2.0)
        .emit_if(n == 2, sym.write("i", 1), matrix_element=3.0)
        .emit_else(sym.write("i", 2), matrix_element=4.0, tag="kept apart")
        .build()
    )
    compiled, _, _ = check(op)
    # chain 1 merged (3 slots); chain 2's arms differ in tag (3 + 3 slots)
    assert compiled.max_conn_size == 9
    assert op.compile(merge_exclusive_emissions=False, enable_fusion=False).max_conn_size == 12
    # unmerged chains: fusion gives the first arms of both (equal writes) one slot
    assert op.compile(merge_exclusive_emissions=False).max_conn_size == 9


# ------------------------------------------------------------------ values past the dtype


@pytest.mark.parametrize("x_dtype", ["i8", "i16", "auto"])
@pytest.mark.parametrize(
    "update",
    [
        lambda: sym.write(0, sym.site(1) * sym.site(2)),  # 255..266 on Fock(100): wraps in i8
        lambda: sym.write(0, sym.site(1) * sym.site(2) - 65536 + 3),  # wraps in i16 too
        lambda: sym.shift(0, sym.site(1) * 3),
        lambda: sym.affine(0, scale=sym.site(1), bias=sym.site(2)),
        lambda: sym.write(0, -sym.site(1) * 129),  # past the negative end
    ],
)
def test_checked_writes_past_the_configuration_dtype_drop_the_branch(update, x_dtype):
    """A computed value that does not fit the configuration dtype must not wrap around
    into a valid state: the kernel agrees with the reference (which computes exactly)."""
    hi = sym.Fock(100, 3)
    op = _op(hi).globally().emit(update(), matrix_element=1.0).build()
    values = [0, 1, 2, 3, 4, 15, 16, 17, 50, 85, 86, 99, 100]
    rng = np.random.default_rng(1)
    x = np.array([[a, b, c] for a in (0, 7) for b in values for c in values], np.int32)
    x = x[rng.permutation(len(x))[:120]]
    compiled = op.compile(strict_validation=False, x_dtype=x_dtype)
    check_against_reference(op, compiled, x, None, True, compiled.max_conn_size)


PAST_AND_BACK = {
    # 127 + 7 - 7 (the fuzzer's case) and 0 + 300 - 173 = 127 come back; 1 + 300 - 173 and
    # 127 + 300 - 173 do not (128, 254: not states)
    "chain": lambda i: sym.shift(i, 7).shift(i, -7),
    "far": lambda i: sym.shift(i, 300).shift(i, -173),
    "cond": lambda i: sym.cond(
        site(i) > 0, sym.shift(i, 7).shift(i, -7), sym.shift(i, 300).shift(i, -173)
    ),
}


def c_past_the_dtype_and_back(hi, how="chain"):
    """Updates whose value leaves the configuration dtype (i8 for the states [0, 1, 127])
    in between; the `emit_if` chain is merged into one slot (`select_state`)."""
    update = PAST_AND_BACK[how]
    return (
        _op(hi)
        .for_each_site("i")
        .emit(update("i"), matrix_element=0.5)
        .emit_if(site("i") == 127, PAST_AND_BACK["chain"]("i"), matrix_element=2.0)
        .emit_elseif(site("i") < 127, PAST_AND_BACK["far"]("i"), matrix_element=3.0)
        .build()
    )


@pytest.mark.parametrize("how", list(PAST_AND_BACK))
def test_a_value_past_the_configuration_dtype_that_comes_back_counts(how):
    """Only the final x' must be local states (docs/semantics.md): a value that leaves
    the configuration dtype in between and comes back keeps its branch in the kernel, as
    in the reference, which computes exactly (issue 25's fuzz mismatch: the states [0, 1,
    127], `shift(i, 7)` then `shift(i, -7)` at 127 was dropped in i8)."""
    hi = sym.DiscreteHilbert((0, 1, 127), 3)
    compiled, _, _ = check(c_past_the_dtype_and_back(hi, how))
    x = np.full(3, 127, np.int8)
    xp, mels = (np.asarray(a) for a in compiled.get_conn_padded(x))
    assert xp.dtype == np.int8
    # at 127 the "chain" comes back (0.5 per site where it is emitted) and so does the
    # emit_if chain's first arm (2.0 per site); "far" gives 254, no branch
    diagonal = mels[(xp == x).all(axis=-1)].sum()
    assert diagonal == pytest.approx({"chain": 7.5, "far": 6.0, "cond": 7.5}[how])


def test_i64_arithmetic_wraps_around_in_the_reference_as_in_the_kernel():
    """`i64` is 64-bit two's complement in both (issue 25: the reference computed exactly
    and raised OverflowError converting a huge product to f64): a comparison, a matrix
    element, `shift_mod` (2**64 is 1 mod 3, so wrapping first matters) and three shifts
    adding 2**64 (the identity in 64 bits) all see the wrapped values."""
    hi = HILBERTS["fock2"]  # states 0, 1, 2
    big = 2**63 - 1
    near = site("i") + (big - 1)  # 2**63 - 2, 2**63 - 1, then -2**63
    op = (
        _op(hi)
        .for_each_site("i")
        .emit_if(near < 0, sym.write("i", 0), matrix_element=near * 1e-18)
        .emit(sym.shift_mod("i", big), matrix_element=1.0)
        .emit(sym.shift("i", big).shift("i", big).shift("i", 2), matrix_element=0.5)
        .build()
    )
    check(op)
    x = np.array([2, 1, 0], np.int8)
    _, ref = reference_get_conn_padded(op.to_ir(), x)
    assert ref.sum() == pytest.approx(-(2**63) * 1e-18 + 3 * 1.0 + 3 * 0.5)


def test_a_count_past_i32_is_summed_in_i64():
    """`sym.count` sums in i32 only where no sum of N local states can leave it: four
    sites of 2**30 sum to 2**32 (0 in i32), as the reference computes."""
    hi = sym.DiscreteHilbert((0, 2**30), 4)
    op = _op(hi).globally().emit(sym.identity(), matrix_element=sym.count(0, 4) * 0.5).build()
    compiled, _, _ = check(op, x=np.array([[0, 0, 0, 0], [2**30] * 4, [2**30, 0, 2**30, 0]]))
    x = np.full(4, 2**30, np.int32)
    assert np.asarray(compiled.get_conn_padded(x)[1]).sum() == 2.0**31


# ------------------------------------------------------------------ lowering choices
# branch-choose-lowering picks how each read and diagonal sum is lowered; every choice
# must compute the same branches. Each model is compiled with every read lowering forced,
# with the diagonal as rows and as dense quadratic forms, for both targets' cost models,
# and compared with the reference on every basis state.


def _square_bonds(side: int) -> list[tuple[int, int]]:
    bonds = [
        (r * side + c, ((r + dr) % side) * side + (c + dc) % side)
        for r in range(side)
        for c in range(side)
        for dr, dc in ((0, 1), (1, 0))
    ]
    return bonds[::-1][1::2] + bonds[::-1][0::2]  # scrambled: rows not in site order


def _choice_models():
    spins, fock = sym.Spin(0.5, 9), sym.Fock(2, 4)
    bonds, ring = _square_bonds(3), [(0, 1), (1, 2), (2, 3), (3, 0)]
    si, sj = site("i"), site("j")
    return {
        "tfim_2d": _op(spins)
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), matrix_element=0.5 * si * sj)
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-1.0)
        .build(),
        "heisenberg_2d_param": _op(spins)
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), matrix_element=symbol("J", 1.0) * si * sj)
        .emit_if(si != sj, sym.swap("i", "j"), matrix_element=-2.0 * symbol("J", 1.0))
        .build(),
        "bose_hubbard": _op(fock)
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=2.0 * site("i") * (site("i") - 1) - 0.3 * site("i"))
        .for_each(("i", "j"), over=ring)
        .emit(sym.identity(), matrix_element=0.5 * si * sj + 1.0)
        .emit(sym.hop("i", "j"), matrix_element=-sym.sqrt(si * sym.emitted("j")))
        .build(),
        "powers_and_division": _op(fock)
        .for_each(("i", "j"), over=ring)
        .emit(sym.identity(), matrix_element=si**2 / 4 - sj / 2 + symbol("K", 2) * si * sj)
        .emit(sym.identity(), matrix_element=sym.sqrt(si + 1.0))
        .build(),
        "complex_dtype": _op(spins)
        .for_each(("i", "j"), over=bonds)
        .emit(sym.identity(), matrix_element=si * sj - 0.25)
        .emit_if(si != sj, sym.swap("i", "j"), matrix_element=symbol("g", 0.5 - 1.0j))
        .build(),
    }


CHOICE_MODELS = _choice_models()
CHOICE_PARAMS = {"heisenberg_2d_param": {"J": 0.7}, "powers_and_division": {"K": 3}}


READS = ("auto", "x", "slices", "take", "permuted", "gather")
DIAGONALS = ("rows", "dense", "auto")
TARGETS = ("cpu", "gpu")


def _pairwise_choices() -> list[tuple[str, str, str, str]]:
    """Model x reads x diagonal x target, every *pair* of values once at least (a
    pairwise covering array: 30 kernels, not the 180 of the full product). Row (m, r)
    takes diagonal (m + r) % 3 and target (m + r) % 2: for a fixed model, reads runs
    over 6 consecutive values of m + r, which covers every diagonal, target and
    diagonal-target pair, and the same holds the other way round."""
    models = sorted(CHOICE_MODELS)
    rows = [
        (model, reads, DIAGONALS[(m + r) % 3], TARGETS[(m + r) % 2])
        for m, model in enumerate(models)
        for r, reads in enumerate(READS)
    ]
    for a, b in itertools.combinations(range(4), 2):
        values = (models, READS, DIAGONALS, TARGETS)
        assert {(row[a], row[b]) for row in rows} == set(itertools.product(values[a], values[b]))
    return rows


@pytest.mark.parametrize("model, reads, diagonal, target", _pairwise_choices())
def test_every_lowering_choice_equals_the_reference(model, reads, diagonal, target):
    op = CHOICE_MODELS[model]
    params = CHOICE_PARAMS.get(model)
    options = dict(read_lowering=reads, diagonal_lowering=diagonal, target=target)
    fanout = op.compile(strict_validation=False).max_conn_size  # choices never change F
    compiled = op.compile(strict_validation=False, **options)
    check_against_reference(op, compiled, configurations(op.space), params, True, fanout)
    text = compiled.stablehlo_text
    if diagonal == "dense":
        assert "stablehlo.dot_general" in text, "every model here has a quadratic form"
    if diagonal == "rows":
        assert "stablehlo.dot_general" not in text
    if reads == "take":
        assert "stablehlo.dynamic_gather" in text


def test_choices_are_visible_in_the_branch_ir():
    from symir.lowering.pipelines import LoweringOptions, lower_ir

    ir = CHOICE_MODELS["tfim_2d"].to_ir()
    dense = lower_ir(ir, LoweringOptions(diagonal_lowering="dense", target="cpu")).levels
    assert "branch.quadratic_form" in dense["branch"]
    assert '{lowering = "x"}' in dense["branch"]  # the flips read x itself
    rows = lower_ir(ir, LoweringOptions(diagonal_lowering="rows", read_lowering="take")).levels
    assert "branch.quadratic_form" not in rows["branch"] and "branch.sum_rows" in rows["branch"]
    assert rows["branch"].count('{lowering = "take"}') == 3


@pytest.mark.parametrize("states", ["concat", "merged"])
def test_writes_on_2d_tables_are_one_broadcast_select_each(states):
    # rows not in site order: every write is still one select over (batch, rows, sites),
    # against a compare of a site iota with the written site (concat) or a constant mask
    # of the sites it writes (merged: the diagonal row and the bonds' rows built
    # together, no concatenate of x'); no scatter, no gather of x'
    import re

    op = CHOICE_MODELS["heisenberg_2d_param"]
    text = op.compile(target="cpu", state_lowering=states).stablehlo_text
    bonds = len(_square_bonds(3))
    rows = bonds + 1 if states == "merged" else bonds
    assert "scatter" not in text
    if states == "merged":
        writes = re.findall(rf"stablehlo.constant dense<.*> : tensor<{rows}x9xi1>", text)
        assert not re.findall(r"concatenate.* -> tensor<\?x\d+x9xi8>", text)
    else:
        writes = re.findall(rf"compare EQ, .* -> tensor<\?x{rows}x9xi1>", text)
    assert len(writes) == 2  # the swap: two writes
    selects = re.findall(
        rf"stablehlo.select .* tensor<\?x{rows}x9xi1>, tensor<\?x{rows}x9xi8>", text
    )
    assert len(selects) == 3  # two writes and the emission's mask
    gathers = re.findall(
        r"\"stablehlo.(?:dynamic_)?gather\"\(%[^,]+, [^)]*\) .* \((tensor<[^,]+),", text
    )
    assert all(g == "tensor<?x9xi8>" for g in gathers), gathers  # reads of x only


def test_sorted_emitted_rows_are_the_same_branches():
    # NetKet's Chain(8) edges come scrambled: branch-sort-rows emits the swap's rows in
    # the order that makes its reads slices; the multiset of branches is unchanged
    nk = pytest.importorskip("netket")
    from symir.lowering.pipelines import LoweringOptions, lower_ir

    edges = nk.graph.Chain(8, pbc=True).edges()
    hi = sym.Spin(0.5, 8)
    si, sj = site("i"), site("j")
    op = (
        _op(hi)
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=si * sj)
        .emit_if(si != sj, sym.swap("i", "j"), matrix_element=-2.0)
        .build()
    )
    for sort_rows in (True, False):
        compiled = op.compile(sort_rows=sort_rows)
        check_against_reference(op, compiled, configurations(hi), None, True, len(edges) + 1)
    levels = lower_ir(op.to_ir(), LoweringOptions(target="cpu")).levels
    unsorted = lower_ir(op.to_ir(), LoweringOptions(target="cpu", sort_rows=False)).levels
    first = [i for i, _ in edges]
    assert f"array<i64: {', '.join(map(str, sorted(first)))}>" in levels["branch"]
    assert '"gather"' not in levels["branch"] and "stablehlo.gather" not in levels["stablehlo"]
    assert '{lowering = "gather"}' in unsorted["branch"]
    # the slot order of the emitted branches changed, the branches did not
    x = configurations(hi)
    a = op.compile(sort_rows=True).get_conn_padded(x)
    b = op.compile(sort_rows=False).get_conn_padded(x)
    assert not np.array_equal(np.asarray(a[0]), np.asarray(b[0]))
