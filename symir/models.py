"""Common lattice models in the DSL, written to equal NetKet's operators of the same name.

Each builder takes a Hilbert space (symir's or NetKet's) and the bonds: a NetKet graph or
a list of site pairs. A coupling is a number or a DSL expression; by default it is a
parameter (`sym.symbol`) with NetKet's default value, so `compiled.with_params(h=0.5)`
changes it without compiling again and `jax.grad` can differentiate with respect to it.

| builder | equals | on |
| --- | --- | --- |
| `tfim(hi, bonds, h=, J=)` | `nk.operator.Ising(hi, graph, h=h, J=J)`: `-h sum_i X_i + J sum_<ij> Z_i Z_j` | spin 1/2 |
| `heisenberg(hi, bonds, J=, sign_rule=)` | `nk.operator.Heisenberg(hi, graph, J=J, sign_rule=...)` | spin 1/2 |
| `j1j2(hi, graph, J1=, J2=)` | a `GraphOperator` with the Heisenberg bond `J1` on colour 0 and `J2` on colour 1 (no sign rule) | spin 1/2 |
| `bose_hubbard(hi, bonds, U=, V=, J=, mu=)` | `nk.operator.BoseHubbard(hi, graph, U=U, V=V, J=J, mu=mu)` | Fock |
| `fermi_hubbard(hi, bonds, t=, U=)` | `netket_fermi_hubbard(hi, bonds, t=, U=)`: `-t sum_<ij>,s (cdag_is c_js + h.c.) + U sum_i n_i,up n_i,down` written with NetKet's `create`/`destroy`/`number` (NetKet has no Fermi-Hubbard class; this is the reference the tests and benchmarks share) | spin-1/2 fermions |

```python
import netket as nk
from symir import models

hi = nk.hilbert.Spin(0.5, 16)
graph = nk.graph.Square(4)
op = models.heisenberg(hi, graph)  # sign rule on: the square lattice is bipartite
compiled = op.compile().with_params(J=0.5)
```
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from symir.frontend.builder import DOperator
from symir.frontend.expr import emitted, site, sqrt, symbol
from symir.frontend.fermion import c, cdag, n
from symir.frontend.operator import SymbolicOperator
from symir.frontend.update import hop, identity, swap, write
from symir.hilbert import FermionHilbert, as_hilbert

__all__ = [
    "bonds",
    "bose_hubbard",
    "fermi_hubbard",
    "heisenberg",
    "is_bipartite",
    "j1j2",
    "netket_fermi_hubbard",
    "tfim",
]


def bonds(graph_or_edges: Any, color: int | None = None) -> list[tuple[int, int]]:
    """The site pairs of a NetKet graph (those of one edge colour if `color` is given) or of
    a list of pairs."""
    if hasattr(graph_or_edges, "edges") and callable(graph_or_edges.edges):
        if color is None:
            edges = graph_or_edges.edges()
        else:
            edges = graph_or_edges.edges(filter_color=color)
    elif color is not None:
        raise ValueError("an edge colour needs a NetKet graph, not a list of pairs")
    else:
        edges = graph_or_edges
    try:
        out = [(int(i), int(j)) for i, j in edges]
    except (TypeError, ValueError) as err:
        raise TypeError(
            "bonds: expected a NetKet graph or a list of (i, j) site pairs, got "
            f"{type(graph_or_edges).__name__} {graph_or_edges!r:.80}"
        ) from err
    if not out:
        raise ValueError("no bonds" + ("" if color is None else f" of colour {color}"))
    return out


def is_bipartite(edges: Iterable[tuple[int, int]]) -> bool:
    """Whether the graph of these bonds is bipartite (two-colourable)."""
    neighbours: dict[int, list[int]] = {}
    for i, j in edges:
        neighbours.setdefault(i, []).append(j)
        neighbours.setdefault(j, []).append(i)
    side: dict[int, int] = {}
    for start in neighbours:
        if start in side:
            continue
        side[start], stack = 0, [start]
        while stack:
            i = stack.pop()
            for j in neighbours[i]:
                if j not in side:
                    side[j] = 1 - side[i]
                    stack.append(j)
                elif side[j] == side[i]:
                    return False
    return True


def _coupling(value: Any, name: str, default: float) -> Any:
    return symbol(name, default) if value is None else _real_if_exact(value)


def _real_if_exact(value: Any) -> Any:
    """A complex number whose imaginary part is 0 as a real one (the model stays
    hermitian: `_hermitian_for_real_couplings`); anything else as it is."""
    if isinstance(value, complex | np.complexfloating) and value.imag == 0:
        return float(value.real)
    return value


def _hermitian_for_real_couplings(op: SymbolicOperator) -> SymbolicOperator:
    """`op` (a model built as hermitian: each term next to its conjugate with the same
    coupling) as it is where its matrix elements are real, else without the
    declaration: a complex coupling (`h=1+0.5j`, a complex `symbol`) makes the model
    non-hermitian (its elements are not conjugated between a term and its conjugate),
    and a declaration kept there made NetKet take the hermitian gradient formula
    (`expect_and_grad` off by up to 0.27 on TFIM, sweep 8). Whether an element is
    complex is the compiler's type inference (`op.dtype`), so any expression counts.
    `hermiticity` may still establish it (a parameter-free operator whose matrix is
    hermitian)."""
    if not op.dtype.startswith("complex"):
        return op
    return SymbolicOperator(
        op.hilbert,
        op.name,
        tuple(op.terms),
        dtype=op._requested_dtype,
        hermitian=False,
        hermitian_reason=(
            f"not declared hermitian: the model {op.name!r} is hermitian for real "
            "couplings only, and one of its couplings is complex"
        ),
    )


def _check_states(hilbert: Any, model: str, netket: str) -> None:
    """Refuses a space whose local states are not those the model is written for: spin
    1/2's -1 and 1 (the flip `write(i, -x_i)` and `Z_i = x_i`) or, for `bose_hubbard`,
    the occupations 0 .. n_max. On a qubit's 0 and 1 the TFIM and the Heisenberg model
    were other operators (a flip of 0 is 0, Z_i Z_j is 0 or 1), and on spin 1 a model
    NetKet refuses, without a word (sweep 24)."""
    states = tuple(as_hilbert(hilbert).local_states)
    if model == "bose_hubbard":
        if states == tuple(range(len(states))):
            return
        wanted = "the occupations 0 .. n_max (nk.hilbert.Fock or sym.Fock)"
    elif states == (-1, 1):
        return
    else:
        wanted = "-1 and 1 of spin 1/2 (nk.hilbert.Spin(0.5, N) or sym.Spin(0.5, N))"
    hint = "; on qubits, sym.pauli_strings takes Pauli terms" if len(states) == 2 else ""
    raise ValueError(
        f"models.{model} is NetKet's {netket} on the local states {wanted}, but {hilbert} "
        f"has the local states {list(states)}: write the model for that space with "
        f"sym.DOperator (docs/writing-an-operator.md){hint}"
    )


def tfim(
    hilbert: Any, graph: Any, *, h: Any = None, J: Any = None, name: str = "tfim"
) -> SymbolicOperator:
    """The transverse-field Ising model, NetKet's `Ising`: `-h sum_i X_i + J sum_<ij> Z_i
    Z_j` (Z is the local state, -1 or 1). `h`, `J`: parameters `h` = 1, `J` = 1 unless
    given."""
    _check_states(hilbert, "tfim", "Ising")
    h, J = _coupling(h, "h", 1.0), _coupling(J, "J", 1.0)
    return _hermitian_for_real_couplings(
        DOperator(hilbert, name, hermitian=True)
        .for_each_site("i")
        .emit(write("i", -site("i")), matrix_element=-h)
        .for_each(("i", "j"), over=bonds(graph))
        .emit(identity(), matrix_element=J * site("i") * site("j"))
        .build()
    )


def heisenberg(
    hilbert: Any,
    graph: Any,
    *,
    J: Any = None,
    sign_rule: bool | Sequence[bool] | None = None,
    name: str = "heisenberg",
) -> SymbolicOperator:
    """NetKet's `Heisenberg`: `J sum_<ij> (Z_i Z_j + X_i X_j + Y_i Y_j)`, the exchange with
    Marshall's sign (`-2` instead of `2` on anti-aligned pairs) if `sign_rule`, which
    defaults to NetKet's: on where the bonds are bipartite. `J`: parameter `J` = 1 unless
    given. As NetKet's, `J` may be a sequence, `J[c]` on the bonds of edge colour `c` of
    a NetKet graph, with `sign_rule` a sequence of as many (default: off on every colour);
    before sweep 27 a sequence raised "cannot use [...] of type list in a symbolic
    expression"."""
    _check_states(hilbert, "heisenberg", "Heisenberg")
    if isinstance(J, Sequence) and not isinstance(J, str):
        rules = [False] * len(J) if sign_rule is None else list(sign_rule)
        if len(rules) != len(J):
            raise ValueError(
                f"heisenberg: {len(J)} couplings J (one per edge colour) need as many "
                f"sign rules, got {sign_rule!r}"
            )
        layers = [(bonds(graph, color=c), j, r) for c, (j, r) in enumerate(zip(J, rules))]
    else:
        edges = bonds(graph)
        rule = is_bipartite(edges) if sign_rule is None else sign_rule
        layers = [(edges, _coupling(J, "J", 1.0), rule)]
    for colour, (edges, _, rule) in enumerate(layers):
        # Marshall's sign is a basis change of one sublattice: none without two (NetKet
        # raises alike; before, an operator of another model was built silently)
        if rule and not is_bipartite(edges):
            where = f"the bonds of colour {colour}" if len(layers) > 1 else "the bonds"
            raise ValueError(
                f"heisenberg: sign_rule=True for {where}, which are not bipartite: "
                "Marshall's sign rule needs two sublattices (pass sign_rule=False)"
            )
    op = DOperator(hilbert, name, hermitian=True)
    for edges, coupling, rule in layers:
        coupling = _real_if_exact(coupling)
        exchange = -2.0 if rule else 2.0
        op = (
            op.for_each(("i", "j"), over=edges)
            .emit(identity(), matrix_element=coupling * site("i") * site("j"))
            .emit_if(site("i") != site("j"), swap("i", "j"), matrix_element=exchange * coupling)
        )
    return _hermitian_for_real_couplings(op.build())


def j1j2(
    hilbert: Any, graph: Any, *, J1: Any = None, J2: Any = None, name: str = "j1j2"
) -> SymbolicOperator:
    """`sum_c J_c sum_<ij>_c (Z_i Z_j + X_i X_j + Y_i Y_j)` over the bonds of colour c = 0
    (nearest neighbours, `J1`) and 1 (next-nearest, `J2`) of a NetKet graph made with
    `max_neighbor_order=2`, or a pair `(bonds_1, bonds_2)`; no sign rule. `J1`, `J2`:
    parameters `J1` = 1, `J2` = 0.5 unless given."""
    _check_states(hilbert, "j1j2", "J1-J2 GraphOperator")
    if isinstance(graph, tuple) and len(graph) == 2:
        layers = [bonds(graph[0]), bonds(graph[1])]
    else:
        layers = [bonds(graph, color=0), bonds(graph, color=1)]
    op = DOperator(hilbert, name, hermitian=True)
    for edges, coupling in zip(layers, (_coupling(J1, "J1", 1.0), _coupling(J2, "J2", 0.5))):
        op = (
            op.for_each(("i", "j"), over=edges)
            .emit(identity(), matrix_element=coupling * site("i") * site("j"))
            .emit_if(site("i") != site("j"), swap("i", "j"), matrix_element=2.0 * coupling)
        )
    return _hermitian_for_real_couplings(op.build())


def bose_hubbard(
    hilbert: Any,
    graph: Any,
    *,
    U: Any = None,
    V: Any = None,
    J: Any = None,
    mu: Any = None,
    name: str = "bose_hubbard",
) -> SymbolicOperator:
    """NetKet's `BoseHubbard`: `sum_i (U/2 n_i (n_i - 1) - mu n_i) + sum_<ij> (V n_i n_j -
    J (b_i^+ b_j + b_j^+ b_i))`. Parameters `U` = 1, `V` = 0, `J` = 1, `mu` = 0 unless
    given."""
    _check_states(hilbert, "bose_hubbard", "BoseHubbard")
    U, V = _coupling(U, "U", 1.0), _coupling(V, "V", 0.0)
    J, mu = _coupling(J, "J", 1.0), _coupling(mu, "mu", 0.0)
    ni, nj = site("i"), site("j")
    op = (
        DOperator(hilbert, name, hermitian=True)
        .for_each_site("i")
        .emit(identity(), matrix_element=U / 2 * ni * (ni - 1) - mu * ni)
        .for_each(("i", "j"), over=bonds(graph))
        .emit(identity(), matrix_element=V * ni * nj)
    )
    # b_j^+ b_i: <x'| b_j^+ b_i |x> = sqrt(n_i (n_j + 1)) = sqrt(n_i x'_j)
    ij = (hop("i", "j"), -J * sqrt(ni * emitted("j")))
    ji = (hop("j", "i"), -J * sqrt(nj * emitted("i")))
    if tuple(as_hilbert(hilbert).local_states) == (0, 1):
        # hard-core bosons: the hops of a bond need one site full and the other empty,
        # so at most one fires; written as conditions (the hops' own checks are on the
        # written values, which `branch-merge-exclusive-emissions` does not read) they
        # share a slot: F 1 + bonds instead of 1 + 2 bonds (NetKet's)
        op = op.emit_if((ni > 0) & (nj < 1), ij[0], matrix_element=ij[1])
        op = op.emit_if((nj > 0) & (ni < 1), ji[0], matrix_element=ji[1])
    else:
        op = op.emit(ij[0], matrix_element=ij[1]).emit(ji[0], matrix_element=ji[1])
    return _hermitian_for_real_couplings(op.build())


def fermi_hubbard(
    hilbert: Any, graph: Any, *, t: Any = 1.0, U: Any = 4.0, name: str = "hubbard"
) -> SymbolicOperator:
    """The Fermi-Hubbard model on spin-1/2 fermions (`sym.Fermions(L, 2)` or NetKet's
    `SpinOrbitalFermions(L, s=0.5)`; the bonds are between orbitals): `-t sum_<ij>,s
    (cdag_is c_js + cdag_js c_is) + U sum_i n_i,up n_i,down`. `t`, `U`: constants 1 and 4
    unless given (numbers or DSL expressions)."""
    space = as_hilbert(hilbert)
    if not isinstance(space, FermionHilbert) or space.n_spin_subsectors != 2:
        # a Spin or Fock space had no `index` (a bare AttributeError), spinless fermions no
        # spin projection -1 (sweep 24)
        raise ValueError(
            f"models.fermi_hubbard is written for spin-1/2 fermions (sym.Fermions(L, 2) or "
            f"nk.hilbert.SpinOrbitalFermions(L, s=0.5)), got {hilbert}"
        )
    t, U = _real_if_exact(t), _real_if_exact(U)
    edges = bonds(graph)
    hops = [(space.index(i, sz), space.index(j, sz)) for i, j in edges for sz in (-1, 1)]
    pairs = [(space.index(i, -1), space.index(i, 1)) for i in range(space.n_orbitals)]
    return _hermitian_for_real_couplings(
        DOperator(hilbert, name, hermitian=True)
        .for_each(("i", "j"), over=hops)
        .emit(cdag("i") * c("j") + cdag("j") * c("i"), matrix_element=-t)
        .for_each(("u", "d"), over=pairs)
        .emit(n("u") * n("d"), matrix_element=U)
        .build()
    )


def netket_fermi_hubbard(hilbert: Any, graph: Any, *, t: float = 1.0, U: float = 4.0) -> Any:
    """NetKet's Fermi-Hubbard operator, the reference `fermi_hubbard` equals: `-t
    sum_<ij>,s (cdag_is c_js + cdag_js c_is) + U sum_i n_i,up n_i,down` written with
    NetKet's `create`/`destroy`/`number` on its `SpinOrbitalFermions` `hilbert` (a
    `FermionOperator2nd`; `.to_jax_operator()` for its JAX form). Needs NetKet."""
    from netket.operator.fermion import create, destroy, number

    h = 0.0
    for i, j in bonds(graph):
        for sz in (-1, 1):
            h = h - t * (create(hilbert, i, sz) @ destroy(hilbert, j, sz))
            h = h - t * (create(hilbert, j, sz) @ destroy(hilbert, i, sz))
    for i in range(hilbert.n_orbitals):
        h = h + U * number(hilbert, i, 1) @ number(hilbert, i, -1)
    return h
