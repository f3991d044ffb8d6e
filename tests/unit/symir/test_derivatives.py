"""Derivatives of `get_conn_padded` with respect to the operator's parameters.

Every derivative is checked against central finite differences of `with_params`
(relative error < 1e-6, float64): TFIM (h, J), Bose-Hubbard (U, J, mu), a complex
amplitude, `select`/`sqrt`/`exp` of parameters, a complex parameter, each derivative
rule on its own, random operators, every layout option of the branch passes; under
`jax.jit`, `jax.vmap`, `jax.grad`, `jax.jacfwd`/`jax.jacrev`, `jax.hessian`, with
parameters from `with_params` and the operator as a jit argument; and the
Hellmann-Feynman theorem through NetKet (`FullSumState`, `MCState`).
"""

from __future__ import annotations

import importlib.util
import itertools
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

import symir as sym
from symir import models
from symir.dialects import sym as sym_dialect
from symir.errors import SymbolicDerivativeWarning
from symir.frontend.expr import Expr
from symir.lowering import derivatives

jax.config.update("jax_enable_x64", True)

EPS = 1e-5
TOL = 1e-6
site, symbol = sym.site, sym.symbol


# --------------------------------------------------------------------------- helpers


def mels(compiled, x, **params) -> np.ndarray:
    return np.asarray(compiled.with_params(**params).get_conn_padded(x)[1])


def relative_error(ad, fd) -> float:
    """|ad - fd| / |fd| (Frobenius norms); the absolute error where fd is ~0."""
    scale = np.linalg.norm(fd)
    diff = np.linalg.norm(np.asarray(ad) - fd)
    return float(diff / scale) if scale > 1e-6 else float(diff)


def directional(compiled, x, point, name, direction):
    """(jax.jvp, central difference) of mels along `direction` of parameter `name`."""

    def f(t):
        moved = {**point, name: point[name] + t * direction}
        return compiled.with_params(**moved).get_conn_padded(x)[1]

    _, ad = jax.jvp(f, (0.0,), (1.0,))
    plus = mels(compiled, x, **{**point, name: point[name] + EPS * direction})
    minus = mels(compiled, x, **{**point, name: point[name] - EPS * direction})
    return np.asarray(ad), (plus - minus) / (2 * EPS)


def check_jacobian(compiled, x, point, tol=TOL):
    """Every slot's derivative along every real direction of every parameter of `point`
    (a complex parameter: its real and imaginary directions) against central differences."""
    for name, value in point.items():
        for direction in (1.0, 1j) if isinstance(value, complex) else (1.0,):
            ad, fd = directional(compiled, x, point, name, direction)
            assert np.all(np.isfinite(ad)), (name, direction)
            err = relative_error(ad, fd)
            assert err < tol, f"d mels / d {name} along {direction}: relative error {err:.2e}"


def chain(n):
    return [(i, (i + 1) % n) for i in range(n)]


def tfim(n=6):
    """NetKet's Ising on a ring (`symir.models.tfim`) with `J` entering as `-J`: parameters
    `h` = 0.5 and `J` = 1."""
    hi = sym.Spin(0.5, n)
    return models.tfim(hi, chain(n), h=symbol("h", 0.5), J=-symbol("J", 1.0), name="tfim_d")


def bose_hubbard(n=5, n_max=3):
    """NetKet's Bose-Hubbard on a ring (`symir.models.bose_hubbard`) without `V`:
    parameters `U` = 4, `J` = 1, `mu` = 0.5."""
    U, J, mu = symbol("U", 4.0), symbol("J", 1.0), symbol("mu", 0.5)
    hi = sym.Fock(n_max, n)
    return models.bose_hubbard(hi, chain(n), U=U, V=0.0, J=J, mu=mu, name="bose_hubbard_d")


def peierls(n=5, n_max=2):
    """Hopping with a complex phase: -t e^{i phi} b_j^+ b_i + h.c. (complex amplitudes)."""
    hi = sym.Fock(n_max, n)
    t, phi = symbol("t", 1.0), symbol("phi", 0.3)
    phase = sym.complex_(sym.cos(phi), sym.sin(phi))
    ni, nj = site("i"), site("j")
    return (
        sym.DOperator(hi, "peierls", hermitian=True)
        .for_each(("i", "j"), over=chain(n))
        .emit(sym.hop("i", "j"), matrix_element=-t * phase * sym.sqrt(ni * sym.emitted("j")))
        .emit(
            sym.hop("j", "i"),
            matrix_element=-t * sym.conj(phase) * sym.sqrt(nj * sym.emitted("i")),
        )
        .build()
    )


def select_sqrt_exp(n=4):
    hi = sym.Spin(1, n)
    a, b, c = symbol("a", 0.7), symbol("b", 1.3), symbol("c", -0.4)
    si, sj = site("i"), site("j")
    return (
        sym.DOperator(hi, "select_sqrt_exp")
        .for_each(("i", "j"), over=chain(n))
        .emit(
            sym.identity(),
            matrix_element=sym.select(si > sj, sym.sqrt(a * b + si * si), sym.exp(c * sj) * a),
        )
        .emit_if(si < 2, sym.shift("i", 2), matrix_element=sym.exp(-a * b) * sym.sqrt(si + 3.0))
        .build()
    )


def configurations(space, count=40, seed=0):
    if space.n_states <= count:
        return np.asarray(space.all_states())
    rng = np.random.default_rng(seed)
    states = np.asarray(space.local_states, dtype=np.int8)
    return rng.choice(states, size=(count, space.size))


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize(
    ("model", "point"),
    [
        (tfim, {"h": 0.73, "J": 1.21}),
        (bose_hubbard, {"U": 3.7, "J": 0.9, "mu": 0.45}),
        (peierls, {"t": 1.1, "phi": 0.37}),
        (select_sqrt_exp, {"a": 0.71, "b": 1.33, "c": -0.42}),
    ],
    ids=["tfim", "bose_hubbard", "complex_amplitude", "select_sqrt_exp"],
)
def test_models_against_finite_differences(model, point):
    op = model()
    compiled = op.compile()
    x = configurations(op.space)
    check_jacobian(compiled, x, point)


def test_complex_parameter_both_directions():
    # a complex z: mels depend on z holomorphically (z * s), through conj, re and |z|
    hi = sym.Spin(0.5, 3)
    z = symbol("z", 0.4 - 0.8j)
    op = (
        sym.DOperator(hi, "zop")
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=z * site("i") + sym.conj(z) * z)
        .emit(sym.write("i", -site("i")), matrix_element=sym.real(z) + abs(z) * sym.imag(z) * 1j)
        .build()
    )
    compiled = op.compile()
    check_jacobian(compiled, hi.all_states(), {"z": 0.45 - 0.7j})
    # jax.grad of a real function of z follows JAX's convention (the conjugate of the
    # gradient): compare with the two real directions
    x = hi.all_states()

    def f(z):
        return jnp.sum(jnp.abs(compiled.with_params(z=z).get_conn_padded(x)[1]) ** 2)

    g = complex(jax.grad(f)(0.45 - 0.7j))
    fx = (f(0.45 + EPS - 0.7j) - f(0.45 - EPS - 0.7j)) / (2 * EPS)
    fy = (f(0.45 - 0.7j + 1j * EPS) - f(0.45 - 0.7j - 1j * EPS)) / (2 * EPS)
    assert g == pytest.approx(complex(fx, -fy), rel=TOL)


# The cases a generic operand cannot reach (every rule of DERIVATIVES is checked on its
# own by `test_every_rule_against_finite_differences` below): integer operands of `pow`,
# a zero base, complex operands, a literal branch of `select`, integer-only amplitudes.
RULES = {
    "pow_int_exponent": lambda p, q, s: (p * s) ** 3,
    "pow_int_base": lambda p, q, s: (s + 2) ** q,
    "pow_zero_base": lambda p, q, s: (s - s) ** (q + 1.0) + p,
    "min_tie_free": lambda p, q, s: sym.minimum(p * s, q),
    "abs_complex": lambda p, q, s: abs(sym.complex_(p, q * s)),
    "abs_through_zero": lambda p, q, s: abs(p * s - q),
    "conj": lambda p, q, s: sym.conj(sym.complex_(p * s, q)) * (1 + 1j),
    "real": lambda p, q, s: sym.real(sym.complex_(p, q) * sym.complex_(s, p)),
    "imag": lambda p, q, s: sym.imag(sym.complex_(p, q) * sym.complex_(s, p)),
    "exp_complex": lambda p, q, s: sym.exp(sym.complex_(p, q * s)),
    "floor": lambda p, q, s: p * sym.floor(q * s + 0.5) + sym.floor(p * s),
    "select_mixed": lambda p, q, s: sym.select(s > 0, p, 2),
    "wrap_mod": lambda p, q, s: p * sym.wrap_mod(s + 1),
    "integer_only": lambda p, q, s: p + (s * s - 1),
}


def rule_operator(name, amplitude):
    """An operator on three-state sites whose two emissions have `amplitude`."""
    hi = sym.DiscreteHilbert((-1, 0, 1), 2)
    return (
        sym.DOperator(hi, f"rule_{name}", dtype="complex128")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=amplitude)
        .emit(sym.identity(), matrix_element=amplitude * site("i"))
        .build()
    )


def generic_operands(p, q, s):
    """Operands of every kind a rule may need, in its domain and away from its kinks:
    reals in [0.9, 4.0] (positive, distinct, not integers at p = 0.61, q = 1.37),
    a complex value, a predicate."""
    reals = [p * s + q + 2, q * s * 0.5 + p + 1.0, p * q + s * 0.25 + 1.5]
    return {"real": reals, "complex": [sym.complex_(p * s + 2, q)], "bool": [s > 0]}


def generic_amplitude(mnemonic, p, q, s):
    """The op `mnemonic` on the first operand kinds (real, then complex, then a
    predicate, per operand) that make it verify."""
    op = sym_dialect.EXPRESSION_OPS[mnemonic]
    arity = len(op.get_irdl_definition().operands)
    kinds = generic_operands(p, q, s)
    for choice in itertools.product(kinds, repeat=arity):
        args = [kinds[k][j % len(kinds[k])] for j, k in enumerate(choice)]
        expr = Expr(mnemonic, *args)
        try:
            rule_operator(mnemonic, expr)
        except sym.SymbolicDefinitionError:
            continue
        return expr
    raise AssertionError(f"no operands of the generic kinds make 'sym.{mnemonic}' verify")


@pytest.mark.parametrize("mnemonic", sorted(derivatives.DERIVATIVES))
def test_every_rule_against_finite_differences(mnemonic):
    p, q = symbol("p", 0.6), symbol("q", 1.4)
    compiled = rule_operator(mnemonic, generic_amplitude(mnemonic, p, q, site("i"))).compile()
    point = {k: v for k, v in {"p": 0.61, "q": 1.37}.items() if k in compiled.params}
    assert point, f"the generic amplitude of 'sym.{mnemonic}' does not depend on p or q"
    check_jacobian(compiled, sym.DiscreteHilbert((-1, 0, 1), 2).all_states(), point)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_case_against_finite_differences(rule):
    p, q = symbol("p", 0.6), symbol("q", 1.4)
    compiled = rule_operator(rule, RULES[rule](p, q, site("i"))).compile()
    point = {k: v for k, v in {"p": 0.61, "q": 1.37}.items() if k in compiled.params}
    check_jacobian(compiled, sym.DiscreteHilbert((-1, 0, 1), 2).all_states(), point)


def test_a_parameter_of_integer_value_gets_a_zero_derivative_where_it_is_unused():
    # a parameter that only appears in a term whose amplitude does not use it
    hi = sym.Spin(0.5, 3)
    op = (
        sym.DOperator(hi, "unused")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=2.0)
        .emit(sym.identity(), matrix_element=symbol("h", 1.0) * 0 + 1.0)
        .build()
    )
    ad, fd = directional(op.compile(), hi.all_states(), {"h": 1.0}, "h", 1.0)
    assert np.all(ad == 0) and np.all(fd == 0)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"coalesce_diagonal": False},
        {"merge_exclusive_emissions": False},
        {"sort_summed_rows": False},
        {"coalesce_diagonal": False, "merge_exclusive_emissions": False},
        {"x_dtype": "i32"},
    ],
    ids=repr,
)
def test_slot_for_slot_under_every_layout(options):
    # the derivative kernel is the differentiated primal kernel: the same slots whatever
    # the branch passes did (coalesced diagonal, merged chains, sorted summed rows)
    hi = sym.Fock(2, 4)
    n, m = site("i"), site("j")
    a, b = symbol("a", 0.8), symbol("b", -1.1)
    edges = [(0, 1), (2, 3), (1, 2), (3, 0), (0, 2)]  # not in order: sorting has work
    op = (
        sym.DOperator(hi, "layouts")
        .for_each(("i", "j"), over=edges)
        .emit(sym.identity(), matrix_element=a * n * m)
        .emit_if(n == 0, sym.write("i", 1), matrix_element=b * (m + 1))
        .emit_elseif(n == 1, sym.write("i", 2), matrix_element=a * b)
        .emit_else(sym.write("i", 0), matrix_element=sym.exp(b * m))
        .for_each_site("i")
        .emit(sym.identity(), matrix_element=b * b * n)
        .build()
    )
    compiled = op.compile(**options)
    x = np.asarray(hi.all_states())
    check_jacobian(compiled, x, {"a": 0.83, "b": -1.07})
    # the derivative kernel's xp and mels are the primal kernel's
    from symir.runtime.compiled import _kernel_call

    flat = jnp.asarray(x, dtype=compiled._spec.x_dtype)
    outs = _kernel_call(compiled._spec, 1)(flat, *compiled._params)
    prim = _kernel_call(compiled._spec, 0)(flat, *compiled._params)
    np.testing.assert_array_equal(np.asarray(outs[0]), np.asarray(prim[0]))
    np.testing.assert_allclose(np.asarray(outs[1]), np.asarray(prim[1]), rtol=1e-14, atol=1e-14)
    assert len(outs) == 2 + 2  # xp, mels, d/da, d/db


# ------------------------------------------------------------- random operators


def _random_operator_strategy():
    path = Path(__file__).resolve().parents[1] / "lowering" / "test_differential.py"
    spec = importlib.util.spec_from_file_location("_differential_grammar", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.random_operator()


@settings(max_examples=max(4, settings.default.max_examples * 2 // 5))  # 10 by default
@given(op=_random_operator_strategy(), coalesce=st.booleans())
def test_random_operators_against_finite_differences(op, coalesce):
    # the random operators of the differential tests use parameters p, q in amplitudes
    # (their predicates and updates do not); moved off their defaults, away from ties
    note(str(op.to_ir()))
    # strict validation off, as in the differential tests (some updates leave the states)
    compiled = op.compile(strict_validation=False, coalesce_diagonal=coalesce)
    params = set(compiled.params)
    point = {k: v for k, v in {"p": 0.3137, "q": 1.4213}.items() if k in params}
    x = configurations(op.space, count=24)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nan/inf in some amplitudes
        m = mels(compiled, x, **point)
    if point and np.all(np.isfinite(m)):
        check_jacobian(compiled, x, point, tol=1e-5)


# --------------------------------------------------------------------------- transforms


@pytest.fixture(scope="module")
def compiled_tfim():
    return tfim().compile()


def energy_like(op, x):
    xp, m = op.get_conn_padded(x)
    return jnp.sum(m * jnp.prod(xp, axis=-1).astype(m.dtype) * jnp.arange(1, m.shape[-1] + 1))


def test_grad_jit_vmap_jacobians(compiled_tfim):
    x = configurations(compiled_tfim._spec.space, count=16)

    @jax.jit  # each transformation below compiles one program, not op by op
    def f(h, J):
        return energy_like(compiled_tfim.with_params(h=h, J=J), x)

    point = (0.73, 1.21)
    fd = [
        (f(0.73 + EPS, 1.21) - f(0.73 - EPS, 1.21)) / (2 * EPS),
        (f(0.73, 1.21 + EPS) - f(0.73, 1.21 - EPS)) / (2 * EPS),
    ]
    for grad in (
        jax.grad(f, argnums=(0, 1)),
        jax.jit(jax.grad(f, argnums=(0, 1))),
        jax.jacfwd(f, argnums=(0, 1)),
        jax.jacrev(f, argnums=(0, 1)),
    ):
        g = grad(*point)
        assert [relative_error(a, b) < TOL for a, b in zip(g, fd)] == [True, True]
    hs = jnp.array([0.5, 0.73, 1.4])
    batched = jax.vmap(jax.grad(f), in_axes=(0, None))(hs, 1.21)
    one_by_one = [jax.grad(f)(h, 1.21) for h in hs]
    np.testing.assert_allclose(np.asarray(batched), np.asarray(one_by_one), rtol=1e-12)
    # a vmapped axis of configurations, folded into the kernel's batch
    xs = np.stack([x, x[::-1]])
    per = jax.vmap(
        lambda xb: jax.grad(lambda h: energy_like(compiled_tfim.with_params(h=h), xb))(0.7)
    )(xs)
    for k, xb in enumerate(xs):
        expected = jax.grad(lambda h, xb=xb: energy_like(compiled_tfim.with_params(h=h), xb))(0.7)
        assert float(per[k]) == pytest.approx(float(expected), rel=1e-12)


def test_jacobian_of_mels_matches_jacfwd_and_jacrev(compiled_tfim):
    x = configurations(compiled_tfim._spec.space, count=8)

    def m(params):
        return compiled_tfim.with_params(h=params[0], J=params[1]).get_conn_padded(x)[1]

    p = jnp.array([0.73, 1.21])
    forward, reverse = jax.jacfwd(m)(p), jax.jacrev(m)(p)
    assert forward.shape == (8, 7, 2)
    np.testing.assert_allclose(np.asarray(forward), np.asarray(reverse), rtol=1e-14)
    # TFIM: d mels/dh is -1 on every flip slot, d mels/dJ the diagonal's -sum s_i s_j
    np.testing.assert_array_equal(np.asarray(forward[:, 1:, 0]), -1.0)
    zz = -np.sum(x * np.roll(x, -1, axis=1), axis=1)
    np.testing.assert_allclose(np.asarray(forward[:, 0, 1]), zz)


def test_operator_as_a_jit_argument(compiled_tfim):
    x = configurations(compiled_tfim._spec.space, count=8)

    @jax.jit
    def f(op):
        return energy_like(op, x)

    g = jax.grad(f)(compiled_tfim.with_params(h=0.9, J=1.1))
    assert isinstance(g, type(compiled_tfim))  # the gradient is an operator-shaped pytree
    direct = jax.grad(lambda h, J: energy_like(compiled_tfim.with_params(h=h, J=J), x), (0, 1))
    expected = direct(0.9, 1.1)
    assert float(g.params["h"]) == pytest.approx(float(expected[0]), rel=1e-12)
    assert float(g.params["J"]) == pytest.approx(float(expected[1]), rel=1e-12)


def test_hessian_where_smooth():
    op = select_sqrt_exp()
    compiled = op.compile()
    x = configurations(op.space, count=20)

    def f(p):
        return jnp.sum(compiled.with_params(a=p[0], b=p[1], c=p[2]).get_conn_padded(x)[1] ** 2)

    p0 = jnp.array([0.71, 1.33, -0.42])
    hess = jax.jit(jax.hessian(f))
    hessian = np.asarray(hess(p0))
    grad = jax.jit(jax.grad(f))
    fd = np.stack(
        [(grad(p0 + EPS * e) - grad(p0 - EPS * e)) / (2 * EPS) for e in np.eye(3)], axis=1
    )
    assert relative_error(hessian, fd) < TOL
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-12)
    # third order: the kernel of order 3, through jacfwd of the hessian
    third = np.asarray(jax.jit(jax.jacfwd(jax.hessian(f)))(p0))
    fd3 = np.stack(
        [
            (np.asarray(hess(p0 + EPS * e)) - np.asarray(hess(p0 - EPS * e))) / (2 * EPS)
            for e in np.eye(3)
        ],
        axis=2,
    )
    assert relative_error(third, fd3) < 1e-5


def test_a_required_parameter_given_by_with_params():
    hi = sym.Spin(0.5, 3)
    op = (
        sym.DOperator(hi, "required")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=symbol("g") ** 2)
        .build()
    )
    compiled = op.compile()
    x = hi.all_states()
    g = jax.grad(lambda g: jnp.sum(compiled.with_params(g=g).get_conn_padded(x)[1]))(0.5)
    assert float(g) == pytest.approx(2 * 0.5 * 3 * len(x))
    with pytest.raises(ValueError, match="needs a value for the parameter"):
        jax.grad(lambda h: jnp.sum(compiled.get_conn_padded(x)[1] * h))(0.5)


def test_a_parameter_in_a_predicate_warns_and_is_held_fixed():
    # theta decides which rows are active (a step): the derivative leaves the step out,
    # which is the derivative away from the jumps (theta = 0.3 is not a local state)
    hi = sym.Spin(1, 3)
    theta = symbol("theta", 0.3)
    op = (
        sym.DOperator(hi, "threshold_runtime")
        .for_each_site("i")
        .where(site("i") > theta)
        .emit(sym.shift("i", -2), matrix_element=theta * theta)
        .build()
    )
    compiled = op.compile()
    x = hi.all_states()
    # (the warning comes when the derivative kernel is built: once per process)
    with pytest.warns(SymbolicDerivativeWarning, match="parameter 'theta' decides term @term0"):
        check_jacobian(compiled, x, {"theta": 0.3})


def test_empty_batch(compiled_tfim):
    empty = np.zeros((0, 6), dtype=np.int8)
    g = jax.grad(lambda h: jnp.sum(compiled_tfim.with_params(h=h).get_conn_padded(empty)[1]))(1.0)
    assert float(g) == 0.0


# --------------------------------------------------------------------------- NetKet


@pytest.mark.parametrize("dtype", [float, complex])
def test_netket_full_sum_state_hellmann_feynman(dtype):
    """Real and complex states: with a complex one the traced `to_sparse()` multiplies
    a complex vector, whose cotangent its real entries take the real part of (a
    `TypeError` from the transpose of JAX's `BCOO` product before)."""
    nk = pytest.importorskip("netket")
    n = 6
    hi = nk.hilbert.Spin(0.5, n)
    op = sym.to_netket(tfim(n).compile())  # on symir's space: the NetKet Spin(1/2, n)
    op = sym.to_netket(op.compiled, hi)
    vs = nk.vqs.FullSumState(hi, nk.models.RBM(alpha=1, param_dtype=dtype), seed=3)
    h = 0.8

    def energy(h):
        return vs.expect(op.with_params(h=h)).mean.real

    dH_dh = -sum(nk.operator.spin.sigmax(hi, i) for i in range(n))
    expected = float(vs.expect(dH_dh).mean.real)
    assert float(jax.grad(energy)(h)) == pytest.approx(expected, rel=1e-10)
    # the concrete operator still gives NetKet's scipy matrix
    assert not isinstance(op.to_sparse(), jax.Array)


def test_netket_mc_state_hellmann_feynman():
    nk = pytest.importorskip("netket")
    n = 4
    hi = nk.hilbert.Spin(0.5, n)
    op = sym.to_netket(tfim(n).compile(), hi)
    sampler = nk.sampler.MetropolisLocal(hi, n_chains=16)
    vs = nk.vqs.MCState(
        sampler, nk.models.RBM(alpha=1, param_dtype=float), n_samples=64, seed=1, sampler_seed=2
    )
    vs.n_discard_per_chain = vs.chain_length  # one compiled chain (its length is static)
    g = jax.grad(lambda h: vs.expect(op.with_params(h=h)).mean.real)(0.8)
    dH_dh = -sum(nk.operator.spin.sigmax(hi, i) for i in range(n))
    # the same samples: the estimate of <dH/dh> itself
    assert float(g) == pytest.approx(float(vs.expect(dH_dh).mean.real), rel=1e-10)


# ------------------------------------------------------------- dH/dp as an operator


def dense(compiled, **params):
    return compiled.with_params(**params).to_dense()


@pytest.mark.parametrize(
    ("model", "point"),
    [
        (tfim, {"h": 0.73, "J": 1.21}),
        (bose_hubbard, {"U": 3.7, "J": 0.9, "mu": 0.45}),
        (peierls, {"t": 1.1, "phi": 0.37}),
        (select_sqrt_exp, {"a": 0.71, "b": 1.33, "c": -0.42}),
    ],
    ids=["tfim", "bose_hubbard", "complex_amplitude", "select_sqrt_exp"],
)
def test_derivative_operator_is_the_derivative_of_the_matrix(model, point):
    # sym-differentiate's dH/dp, compiled on its own, against central differences of H
    op = model()
    compiled = op.compile()
    compiler = sym.SymbolicCompiler()
    for name in point:
        d_ir = op.to_ir().derivative(name)
        assert d_ir.operator_name == f"{op.name}__d_{name}"
        assert d_ir.is_hermitian == op.to_ir().is_hermitian
        d_op = compiler.compile_operator(d_ir)
        d_dense = dense(d_op, **{k: v for k, v in point.items() if k in d_op.params})
        fd = (
            dense(compiled, **{**point, name: point[name] + EPS})
            - dense(compiled, **{**point, name: point[name] - EPS})
        ) / (2 * EPS)
        assert relative_error(d_dense, fd) < TOL, name


def test_derivative_operator_of_tfim_is_minus_the_transverse_field():
    op = tfim(4)
    d_h = sym.SymbolicCompiler().compile_operator(op.to_ir().derivative("h"))
    x_field = (
        sym.DOperator(op.space, "x")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=-1.0)
        .build()
    )
    np.testing.assert_array_equal(d_h.to_dense(), x_field.compile().to_dense())
    assert d_h.params == {}  # -h differentiated is -1: no parameter left


def test_derivative_operator_of_a_complex_parameter():
    hi = sym.Spin(0.5, 2)
    z = symbol("z", 0.4 - 0.8j)
    op = (
        sym.DOperator(hi, "zop")
        .for_each_site("i")
        .emit(sym.write("i", -site("i")), matrix_element=z * z * site("i") + sym.conj(z))
        .build()
    )
    ir = op.to_ir()
    compiled = op.compile()
    compiler = sym.SymbolicCompiler()
    z0 = 0.45 - 0.7j
    for imaginary, direction in ((False, 1.0), (True, 1j)):
        d = compiler.compile_operator(ir.derivative("z", imaginary=imaginary))
        assert d.name == ("zop__d_im_z" if imaginary else "zop__d_re_z")
        fd = (dense(compiled, z=z0 + EPS * direction) - dense(compiled, z=z0 - EPS * direction)) / (
            2 * EPS
        )
        assert relative_error(dense(d, z=z0), fd) < TOL


def test_derivative_operator_errors_and_warnings():
    op = tfim(3)
    with pytest.raises(ValueError, match="has no parameter 'g'; its parameters are"):
        op.to_ir().derivative("g")
    with pytest.raises(ValueError, match="parameter 'h' is real: it has no imaginary direction"):
        op.to_ir().derivative("h", imaginary=True)
    hi = sym.Spin(1, 3)
    theta = symbol("theta", 0.3)
    thresholded = (
        sym.DOperator(hi, "threshold")
        .for_each_site("i")
        .where(site("i") > theta)
        .emit(sym.shift("i", -2), matrix_element=theta * theta)
        .build()
    )
    with pytest.warns(SymbolicDerivativeWarning, match="'theta' decides the predicate of term"):
        d = thresholded.to_ir().derivative("theta")
    # the predicate is kept: dH/dtheta has H's branches, each with 2 theta
    compiled = sym.SymbolicCompiler().compile_operator(d)
    np.testing.assert_allclose(
        compiled.to_dense(), 2 * 0.3 / 0.3**2 * thresholded.compile().to_dense(), rtol=1e-14
    )
