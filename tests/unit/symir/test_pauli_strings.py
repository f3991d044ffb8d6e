"""`symir.pauli_strings`: sums of Pauli strings as two table ops, equal to NetKet's
`PauliStrings` (docs/pauli-strings.md)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import symir as sym
from symir.errors import SymbolicDefinitionError
from symir.interpreter import reference_get_conn
from symir.lowering.pipelines import lower_ir
from symir.testing import dense_matrix

nk = pytest.importorskip("netket")


def _random(rng, n_strings: int, n: int, letters: str = "IXYZ") -> list[str]:
    return ["".join(rng.choice(list(letters), n)) for _ in range(n_strings)]


@pytest.mark.parametrize(
    ("n", "complex_weights", "seed"), [(4, False, 0), (6, True, 1), (8, False, 2)]
)
def test_dense_matrix_equals_netket(n, complex_weights, seed):
    rng = np.random.default_rng(seed)
    strings = _random(rng, 3 * n, n)
    strings += [strings[0], strings[1], "I" * n, "Z" * n, "Y" * n, "X" * n]  # repeats
    strings += [s.replace("Z", "I") for s in strings[:3]]  # patterns shared by several
    w = rng.normal(size=len(strings))
    if complex_weights:
        w = w + 1j * rng.normal(size=len(strings))
    hi = nk.hilbert.Spin(0.5, n)
    op = sym.pauli_strings(hi, strings, w)
    ref = nk.operator.PauliStrings(hi, strings, w)
    H = op.compile()
    assert H.max_conn_size == ref.max_conn_size  # one slot per distinct X/Y pattern
    np.testing.assert_allclose(H.to_dense(), dense_matrix(ref), atol=1e-10, rtol=0)
    assert op.is_hermitian == ref.is_hermitian


def test_reference_interpreter_agrees():
    rng = np.random.default_rng(7)
    n = 4
    strings = [*_random(rng, 10, n), "I" * n]
    w = rng.normal(size=len(strings)) + 0.5j
    hi = nk.hilbert.Spin(0.5, n)
    op = sym.pauli_strings(hi, strings, w)
    dense = np.zeros((2**n, 2**n), complex)
    states = hi.all_states()
    for a, x in enumerate(states.astype(int)):
        xp, mels = reference_get_conn(op, x)
        for y, m in zip(xp, mels, strict=True):
            dense[a, hi.states_to_numbers(np.asarray(y, float)[None])[0]] += m
    ref = dense_matrix(nk.operator.PauliStrings(hi, strings, w))
    np.testing.assert_allclose(dense, ref, atol=1e-12)


def test_qubits():
    rng = np.random.default_rng(4)
    strings = _random(rng, 12, 5)
    w = rng.normal(size=12)
    hi = nk.hilbert.Qubit(5)
    got = sym.pauli_strings(hi, strings, w).compile().to_dense()
    np.testing.assert_allclose(
        got, dense_matrix(nk.operator.PauliStrings(hi, strings, w)), atol=1e-12
    )


@pytest.mark.parametrize("n", [40, 70])
def test_connected_sets_on_more_than_32_qubits(n):
    """The parities of the Z/Y sites are read from words of 32 sites (2 and 3 here)."""
    rng = np.random.default_rng(5)
    strings = _random(rng, 300, n)
    strings += [s[:20] + "I" * (n - 20) for s in strings[:40]]  # some shared patterns
    strings += ["X" + "I" * (n - 2) + "Z", "Z" * n, "Y" * n]  # the last sites, all words
    w = rng.normal(size=len(strings)) + 1j * rng.normal(size=len(strings))
    hi = nk.hilbert.Spin(0.5, n)
    H = sym.pauli_strings(hi, strings, w).compile()
    ref = nk.operator.PauliStringsJax(hi, strings, w, cutoff=0.0)
    x = np.asarray(hi.random_state(__import__("jax").random.PRNGKey(0), 16))
    xp, mels = H.get_conn_padded(x.astype(np.int8))
    rxp, rmels = ref.get_conn_padded(x)
    assert xp.shape[1] == rxp.shape[1]
    for b in range(len(x)):
        got = {tuple(r): complex(m) for r, m in zip(np.asarray(xp[b]).astype(int), mels[b])}
        want = {tuple(r): complex(m) for r, m in zip(np.asarray(rxp[b]).astype(int), rmels[b])}
        assert got.keys() == want.keys()
        assert max(abs(got[k] - want[k]) for k in got) < 1e-10


def test_input_forms_agree():
    hi = nk.hilbert.Spin(0.5, 4)
    strings, w = ["XIZY", "ZZII", "IIII", "XIZI"], [0.5, -1.0, 2.0, 0.25j]
    dense = sym.pauli_strings(hi, strings, w).compile().to_dense()
    ref = dense_matrix(nk.operator.PauliStrings(hi, strings, w))
    np.testing.assert_allclose(dense, ref, atol=1e-12)
    pairs = list(zip(strings, w, strict=True))
    terms = {
        ((0, "X"), (2, "Z"), (3, "Y")): 0.5,
        ((0, "Z"), (1, "Z")): -1.0,
        (): 2.0,
        ((0, "X"), (2, "Z")): 0.25j,
    }

    class QubitOperatorLike:  # OpenFermion's QubitOperator, duck-typed
        def __init__(self, terms):
            self.terms = terms

    ir = sym.pauli_strings(hi, strings, w).to_ir()
    for form in (pairs, terms, QubitOperatorLike(terms)):
        assert sym.pauli_strings(hi, form).to_ir() == ir  # the same tables
    # one string, one weight; weights default to 1
    assert (
        sym.pauli_strings(hi, "XXII", 2.0).to_ir() == sym.pauli_strings(hi, [("XXII", 2.0)]).to_ir()
    )
    assert (
        sym.pauli_strings(hi, ["ZIII"]).to_ir() == sym.pauli_strings(hi, {((0, "Z"),): 1}).to_ir()
    )


@pytest.mark.parametrize(
    ("strings", "weights", "hilbert", "message"),
    [
        (["XYZ"], [1.0], nk.hilbert.Spin(0.5, 4), "string 0 'XYZ' has 3 letters, the space has 4"),
        (
            ["XIZI", "XQZI"],
            [1.0, 1.0],
            nk.hilbert.Spin(0.5, 4),
            "string 1 'XQZI' has the letter 'Q'",
        ),
        (["XIZI"], [1.0, 2.0], nk.hilbert.Spin(0.5, 4), "1 strings but weights of shape (2,)"),
        (["XIZ"], [1.0], nk.hilbert.Spin(1.0, 3), "two local states per site"),
        ({((5, "X"),): 1.0}, None, nk.hilbert.Spin(0.5, 4), "acts on site 5, outside [0, 4)"),
        ({((1, "W"),): 1.0}, None, nk.hilbert.Spin(0.5, 4), "has the letter 'W'"),
        ({((1, "X"), (1, "Z")): 1.0}, None, nk.hilbert.Spin(0.5, 4), "acts twice on site 1"),
        (["XIZI"], [np.nan], nk.hilbert.Spin(0.5, 4), "weights must be finite"),
    ],
)
def test_errors_name_the_problem(strings, weights, hilbert, message):
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        sym.pauli_strings(hilbert, strings, weights)


def _op_counts(n_strings: int) -> tuple[int, int, int]:
    rng = np.random.default_rng(n_strings)
    n = 30  # every string its own flip pattern
    strings = _random(rng, n_strings, n)
    w = rng.normal(size=n_strings)
    ir = sym.pauli_strings(nk.hilbert.Spin(0.5, n), strings, w).to_ir()
    sym_ops = sum(1 for _ in ir.module.walk())
    result = lower_ir(ir)
    hlo = result.stablehlo_text
    ops = sum(1 for line in hlo.splitlines() if "stablehlo." in line and "constant" not in line)
    tables = sum(v.nbytes for v in result.constants) + len(hlo)
    return sym_ops, ops, tables


def test_ir_does_not_grow_with_the_strings():
    """Ten times the strings (each its own flip pattern): the same ops at every level,
    only the tables (the constants, outlined or not) grow."""
    few, many = _op_counts(50), _op_counts(500)
    assert few[0] < 60  # labels p0..p6 (the pattern index in base 30), the two table ops
    assert few[:2] == many[:2]
    assert many[2] > few[2]  # the tables


def test_printed_ir_round_trips():
    hi = nk.hilbert.Spin(0.5, 3)
    ir = sym.pauli_strings(hi, ["XYZ", "ZZI", "IXX"], [1.0, 2.0, 3.0]).to_ir()
    text = str(ir)
    assert "sym.flip_sites" in text and "sym.parity_sum" in text
    assert sym.parse_ir(text) == ir


def test_a_string_given_twice_is_one_column_of_the_tables():
    """Couplings name the same string many times (NetKet's `PauliStrings` sums them):
    each distinct string is one entry of `sym.parity_sum`, its weights summed."""
    hi = nk.hilbert.Spin(0.5, 4)
    strings = ["ZZII", "XXII", "ZZII", "IZZI", "XXII", "ZZII", "IYYI"]
    weights = [0.5, 1.0, -0.25, 2.0, 0.5, 0.25, -1.0]
    op = sym.pauli_strings(hi, strings, weights)
    tables = re.findall(r"real = array<f64: ([^>]*)>", str(op.to_ir()))
    entries = sorted(sorted(float(v) for v in t.split(",")) for t in tables)
    assert entries == [[0.5, 2.0], [1.0, 1.5]]  # ZZII, IZZI; XXII and IYYI (-(-i)^2)
    ref = nk.operator.PauliStrings(hi, strings, weights)
    np.testing.assert_allclose(op.compile(cache=False).to_dense(), dense_matrix(ref), atol=1e-12)


@pytest.mark.parametrize(
    "strings, weights",
    [(["XYZII", "XYZII"], [1.0, -1.0]), (["XYZII"], [0.0]), ([], []), ({}, None)],
)
def test_strings_that_cancel_are_the_zero_operator(strings, weights):
    """Strings whose weights cancel (or none at all) are NetKet's zero operator; they
    failed in a NumPy reshape (sweeps 15 and 16)."""
    hi = nk.hilbert.Spin(0.5, 5)
    op = sym.pauli_strings(hi, strings, weights)
    assert op.is_hermitian
    compiled = op.compile(cache=False)
    assert compiled.max_conn_size == 1
    np.testing.assert_array_equal(compiled.to_dense(), np.zeros((32, 32)))


def test_local_energies_and_netket_expectations_equal_netkets():
    """The delta kernel of `branch.flip_sites` (`branch-return-deltas`): symir's local
    energies and `vstate.expect_and_grad` with symir's operator (the network's split
    inside NetKet) equal NetKet's `PauliStrings` (the delta kernel had refused the flips:
    every local-energy path of a Pauli sum failed)."""
    import jax

    rng = np.random.default_rng(4)
    hi = nk.hilbert.Spin(0.5, 5)
    strings = ["".join(rng.choice(list("IXYZ"), 5)) for _ in range(10)] + ["IIIII", "XXXXX"]
    weights = rng.normal(size=len(strings))
    ours = sym.pauli_strings(hi, strings, weights).compile()
    ref = nk.operator.PauliStrings(hi, strings, weights)
    assert ours.get_conn_delta(hi.all_states()[:3])[0].shape[-1] == 5  # XXXXX: 5 flips
    model = nk.models.MLP(hidden_dims=(4,), param_dtype=float)
    vs = nk.vqs.MCState(nk.sampler.MetropolisLocal(hi), model, n_samples=32, seed=1)
    # random states for the samples (both operators see the same ones): no Markov chain
    # to compile
    shape = (vs.sampler.n_chains, vs.chain_length)
    vs._samples = jax.numpy.asarray(hi.random_state(jax.random.key(2), shape))
    x = vs.samples.reshape(-1, 5)
    want = nk.vqs.get_local_kernel(vs, ref)(vs._apply_fun, vs.variables, x, ref)
    got = jax.jit(lambda v, x: sym.local_energies(vs._apply_fun, v, x, ours))(vs.variables, x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-10, rtol=0)
    (e, g), (e_ref, g_ref) = vs.expect_and_grad(ours.to_netket(hi)), vs.expect_and_grad(ref)
    assert abs(complex(e.mean) - complex(e_ref.mean)) < 1e-10
    for a, b in zip(jax.tree.leaves(g), jax.tree.leaves(g_ref), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-10, rtol=0)


def _letters(rng, n_strings: int, n: int) -> list[str]:
    """Uniform `I X Y Z` strings, drawn at once (100,000 strings in a few ms)."""
    letters = np.frombuffer(b"IXYZ", np.uint8)[rng.integers(0, 4, (n_strings, n))]
    return [row.tobytes().decode() for row in letters]


def _couplings(rng, n_pairs: int, n: int) -> tuple[list[str], np.ndarray]:
    """`J Z_i Z_j + K X_i X_j` on random pairs, as strings."""
    strings = []
    for _ in range(n_pairs):
        i, j = rng.choice(n, 2, replace=False)
        for letter in "ZX":
            s = ["I"] * n
            s[i] = s[j] = letter
            strings.append("".join(s))
    return strings, rng.normal(size=len(strings))


@pytest.mark.parametrize("model", ["pauli", "couplings"])
def test_the_stablehlo_text_does_not_grow_with_the_terms(model):
    """Terms of one shape: the tables are arguments of `@main` (stablehlo-outline-constants),
    so the StableHLO text of 1,000, 10,000 and 100,000 strings (or pairs) is the same size
    but for the digits of its shapes; the values are on the compiled operator."""
    n = 40
    hi = nk.hilbert.Spin(0.5, n)
    sizes, tables = [], []
    for count in (1_000, 10_000, 100_000):
        rng = np.random.default_rng(count)
        if model == "pauli":
            strings = _letters(rng, count, n)
            w = rng.normal(size=count)
        else:
            strings, w = _couplings(rng, count, n)
        H = sym.pauli_strings(hi, strings, w).compile()
        text = H.stablehlo_text
        sizes.append(len(text.encode()))
        tables.append(sum(v.nbytes for v in H.stablehlo_constants))
        assert '{symir.outlined = "constant"}' in text
        assert not re.search(r'dense<"0x[0-9A-F]{2048}', text), "a large table left inline"
    assert max(sizes) - min(sizes) <= 256, sizes
    assert max(sizes) < 10_000, sizes
    assert tables[0] < tables[1], tables  # the tables grow, beside the text


def test_kernels_of_one_text_and_other_tables_are_not_shared():
    """The kernel of a sum whose tables are outlined gives NetKet's matrix eagerly, in
    jax.jit and pickled; the same text with other tables is another kernel (the loaded
    modules are keyed by text and tables), with other matrix elements."""
    import pickle

    import jax

    from symir.runtime.stablehlo_exec import load_stablehlo

    rng = np.random.default_rng(3)
    n = 10
    hi = nk.hilbert.Spin(0.5, n)
    strings = _letters(rng, 300, n)
    w = rng.normal(size=300)
    H = sym.pauli_strings(hi, strings, w).compile()
    assert H.stablehlo_constants and "%table0" in H.stablehlo_text
    ref = dense_matrix(nk.operator.PauliStrings(hi, strings, w))
    np.testing.assert_allclose(H.to_dense(), ref, atol=1e-10, rtol=0)
    x = hi.all_states().astype(np.int8)
    mels = np.asarray(H.get_conn_padded(x)[1])
    jitted = jax.jit(lambda v: H.get_conn_padded(v))(x)
    np.testing.assert_array_equal(np.asarray(jitted[1]), mels)
    again = pickle.loads(pickle.dumps(H))
    np.testing.assert_array_equal(np.asarray(again.get_conn_padded(x)[1]), mels)
    passed = jax.jit(lambda op, v: op.get_conn_padded(v))(H, x)  # the operator an argument
    np.testing.assert_array_equal(np.asarray(passed[1]), mels)
    mapped = jax.vmap(H.get_conn_padded)(x.reshape(4, -1, n))
    np.testing.assert_array_equal(np.asarray(mapped[1]).reshape(mels.shape), mels)
    in_netket = H.to_netket()
    np.testing.assert_allclose(in_netket.to_dense(), ref, atol=1e-10, rtol=0)
    tables = H.stablehlo_constants
    outlined = sum(t.nbytes for t in tables)
    assert H.constants["outlined_bytes"] == outlined <= H.constants["bytes"]
    doubled = tuple(t * 2 if t.dtype == np.float64 else t for t in tables)
    assert any(t.dtype == np.float64 for t in tables)
    other = load_stablehlo(H.stablehlo_text, doubled)
    assert other is not load_stablehlo(H.stablehlo_text, tables)
    assert not np.allclose(np.asarray(other(x)[1]), mels)
    with pytest.raises(ValueError, match=r"bound constant 0 is for argument"):
        load_stablehlo(H.stablehlo_text, (np.zeros(3), *tables[1:]))


def test_a_disk_store_keeps_the_outlined_tables(tmp_path):
    from symir.compiler import DiskArtifactStore, SymbolicCompiler

    rng = np.random.default_rng(5)
    n = 10
    hi = nk.hilbert.Spin(0.5, n)
    strings = _letters(rng, 300, n)
    w = rng.normal(size=300)
    op = sym.pauli_strings(hi, strings, w)
    SymbolicCompiler(artifact_store=DiskArtifactStore(tmp_path)).compile(op)
    loaded = SymbolicCompiler(artifact_store=DiskArtifactStore(tmp_path)).compile(op)
    assert loaded.source == "disk"
    H = loaded.compiled_operator
    assert H.stablehlo_constants
    ref = dense_matrix(nk.operator.PauliStrings(hi, strings, w))
    np.testing.assert_allclose(H.to_dense(), ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize(("n", "pairs", "seed"), [(8, 12, 0), (10, 40, 3)])
def test_random_couplings_equal_netkets(n, pairs, seed):
    """`J Z_i Z_j + K X_i X_j` on random pairs: the diagonal's slot and the XX pairs' table
    of weights are lowered as the table broadcast with the diagonal written in slot 0
    (`dynamic_update_slice`, issue 40), not concatenated; the matrix, the connected
    elements and the reference interpreter's agree with NetKet's."""
    rng = np.random.default_rng(seed)
    strings, w = _couplings(rng, pairs, n)
    hi = nk.hilbert.Spin(0.5, n)
    op = sym.pauli_strings(hi, strings, w)
    H = op.compile()
    text = H.stablehlo_text
    assert "stablehlo.dynamic_update_slice" in text
    assert not re.search(r"concatenate.*-> tensor<\?x\d+xf64>", text)
    ref = nk.operator.PauliStringsJax(hi, strings, w, cutoff=0.0)
    np.testing.assert_allclose(H.to_dense(), dense_matrix(ref), atol=1e-10, rtol=0)
    x = np.asarray(hi.random_state(__import__("jax").random.PRNGKey(seed), 16))
    xp, mels = H.get_conn_padded(x.astype(np.int8))
    rxp, rmels = ref.get_conn_padded(x)
    for b in range(len(x)):
        got, want = {}, {}
        for rows, ms, into in ((xp[b], mels[b], got), (rxp[b], rmels[b], want)):
            for r, m in zip(np.asarray(rows).astype(int), np.asarray(ms)):
                into[tuple(r)] = into.get(tuple(r), 0.0) + m
        got = {k: v for k, v in got.items() if abs(v) > 1e-12}
        want = {k: v for k, v in want.items() if abs(v) > 1e-12}
        assert got.keys() == want.keys()
        assert max(abs(got[k] - want[k]) for k in got) < 1e-10
        ref_xp, ref_mels = reference_get_conn(op, x[b].astype(int))
        interp = {}
        for r, m in zip(ref_xp, ref_mels, strict=True):
            key = tuple(np.asarray(r).astype(int))
            interp[key] = interp.get(key, 0.0) + m
        interp = {k: v for k, v in interp.items() if abs(v) > 1e-12}
        assert interp.keys() == want.keys()
        assert max(abs(interp[k] - want[k]) for k in interp) < 1e-10


@pytest.mark.parametrize("space", ["spin", "qubit"])
def test_products_adjoints_and_sums_of_pauli_strings_equal_netkets(space):
    """`@`, `.H`, `.T`, `.conj()`, numbers added and multiples of `pauli_strings`
    operators are done on the strings (symir/frontend/pauli_algebra.py): `a @ b` was a
    `SymbolicDefinitionError` (the general product cannot compose `flip_sites`). Against
    NetKet's `PauliStrings` matrices, on both local-state conventions."""
    rng = np.random.default_rng(5)
    n = 5
    hi = nk.hilbert.Spin(0.5, n) if space == "spin" else nk.hilbert.Qubit(n)
    sa, sb = _random(rng, 9, n), [*_random(rng, 7, n), "Y" * n, "I" * n]
    wa = rng.normal(size=len(sa)) + 1j * rng.normal(size=len(sa))
    wb = rng.normal(size=len(sb))
    a, b = sym.pauli_strings(hi, sa, wa), sym.pauli_strings(hi, sb, wb)
    A = dense_matrix(nk.operator.PauliStrings(hi, sa, wa))
    B = dense_matrix(nk.operator.PauliStrings(hi, sb, wb))
    one = np.eye(len(A))
    cases = {
        "a @ b": (a @ b, A @ B),
        "b @ a.H": (b @ a.H, B @ A.conj().T),
        "a.T": (a.T, A.T),
        "b.T @ b.conj()": (b.T @ b.conj(), B.T @ B.conj()),
        "(a - 1.5) @ (2 * b + a / 4)": (
            (a - 1.5) @ (2 * b + a / 4),
            (A - 1.5 * one) @ (2 * B + A / 4),
        ),
    }
    for text, (op, expected) in cases.items():
        assert op._pauli is not None, text  # the strings' algebra was used
        np.testing.assert_allclose(dense_matrix(op.compile()), expected, atol=1e-12, err_msg=text)
    assert (b @ b).is_hermitian and not (a @ b).is_hermitian
    square = b @ b  # P P = I: the squares of the strings are one identity string
    assert len(square._pauli.weights) <= len(sb) * (len(sb) - 1) // 2 + 1


def test_a_pauli_product_past_the_limit_of_pairs_is_refused(monkeypatch):
    from symir.frontend import pauli_algebra

    hi = nk.hilbert.Spin(0.5, 3)
    a = sym.pauli_strings(hi, ["XII", "IYI", "IIZ", "XYZ"], 1.0)
    monkeypatch.setattr(pauli_algebra, "MAX_PRODUCT_PAIRS", 10)
    with pytest.raises(ValueError, match=r"\(4 distinct Pauli strings\) and .* 16 pairs"):
        a @ a


@pytest.mark.parametrize("space", ["spin", "qubit"])
def test_pauli_strings_times_a_dsl_operator_either_way_equal_the_matrix_products(space):
    """`pauli_strings(...) @ op` and `op @ pauli_strings(...)` for a DSL operator without
    strings: the general product refused the tables' `flip_sites`; the strings are now
    written one term per string (`pauli_terms.written_terms`). Against NetKet's matrices."""
    rng = np.random.default_rng(11)
    n = 4
    hi = nk.hilbert.Spin(0.5, n) if space == "spin" else nk.hilbert.Qubit(n)
    strings = [*_random(rng, 4, n), "YIIY", "IIII"]
    w = rng.normal(size=len(strings))
    p = sym.pauli_strings(hi, strings, w)
    flip = 1 - sym.site("i") if space == "qubit" else -sym.site("i")
    d = (
        sym.DOperator(hi, "d")
        .for_each_site("i")
        .emit(sym.write("i", flip), matrix_element=0.3 * (sym.site("i") + 2))
        .emit(sym.identity(), matrix_element=0.1 * sym.site("i"))
        .build()
    )
    P = dense_matrix(nk.operator.PauliStrings(hi, strings, w))
    D = dense_matrix(d.compile())
    assert np.abs(dense_matrix((p @ d).compile()) - P @ D).max() < 1e-12
    assert np.abs(dense_matrix((d @ p).compile()) - D @ P).max() < 1e-12


def test_many_pauli_strings_times_a_dsl_operator_is_refused_with_the_sizes():
    hi = nk.hilbert.Spin(0.5, 12)
    strings = _random(np.random.default_rng(2), 300, 12)
    p = sym.pauli_strings(hi, strings, np.ones(len(strings)))
    d = sym.DOperator(hi, "d").for_each_site("i").emit(sym.write("i", -sym.site("i"))).build()
    with pytest.raises(SymbolicDefinitionError, match=r"\(300 Pauli strings\) .* up to 256"):
        p @ d


def test_a_symbolic_multiple_of_pauli_strings_has_an_adjoint_and_products():
    """`g * pauli_strings(...)` with `g` a symbol kept no strings (its tables cannot carry
    a symbolic factor), so `.H` and `@` were refused (`flip_sites`): they now write the
    strings as terms and scale those. Against NetKet's matrices at a value of `g`."""
    rng = np.random.default_rng(5)
    n = 4
    hi = nk.hilbert.Spin(0.5, n)
    strings = [*_random(rng, 5, n), "YIZI"]
    w = rng.normal(size=len(strings)) + 1j * rng.normal(size=len(strings))
    g = sym.symbol("g", dtype=complex)
    p = g * sym.pauli_strings(hi, strings, w)
    q = sym.pauli_strings(hi, ["XIII", "IZZI"], [0.5, -1.0])
    value = 0.7 - 0.4j
    P = value * dense_matrix(nk.operator.PauliStrings(hi, strings, w))
    Q = dense_matrix(nk.operator.PauliStrings(hi, ["XIII", "IZZI"], [0.5, -1.0]))

    def matrix(op):
        return dense_matrix(op.compile(params={"g": value}))

    assert np.abs(matrix(p.H) - P.conj().T).max() < 1e-12
    assert np.abs(matrix(p.T) - P.T).max() < 1e-12
    assert np.abs(matrix(p @ q) - P @ Q).max() < 1e-12
    assert np.abs(matrix(q @ (2 * p)) - Q @ (2 * P)).max() < 1e-12
