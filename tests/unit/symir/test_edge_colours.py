"""Edge colours: `for_each(..., over=graph, color=k)` / `colors=[...]` select the edges of
a NetKet graph by colour (issue 21, item 1).

References: NetKet's `graph.edges(filter_color=k)` for the rows, and for the J1-J2
matrix the Pauli sum `sum_c J_c sum_<ij> of colour c (X X + Y Y + Z Z)` built with
`numpy.kron` on NetKet's coloured edges (NetKet's own `Heisenberg(hi, graph, J=[J1, J2])`
is the same matrix, but its first `to_dense` costs 3-8 s of numba compilation here), on
square, triangular and honeycomb graphs with two colours (`max_neighbor_order=2`), 8-9
sites.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symir as sym

nk = pytest.importorskip("netket")

J1, J2 = 1.0, 0.45
GRAPHS = {
    "square": lambda: nk.graph.Square(3, max_neighbor_order=2),
    "triangular": lambda: nk.graph.Triangular([3, 3], max_neighbor_order=2),
    "honeycomb": lambda: nk.graph.Honeycomb([2, 2], max_neighbor_order=2),
}


def exchange(hi, graph, coupling, **select):
    """sum over the selected bonds of coupling (Z Z + X X + Y Y) (NetKet's convention)."""
    return (
        sym.DOperator(hi, "bond", hermitian=True)
        .for_each(("i", "j"), over=graph, **select)
        .emit(sym.identity(), matrix_element=coupling * sym.site("i") * sym.site("j"))
        .emit_if(sym.site("i") != sym.site("j"), sym.swap("i", "j"), 2.0 * coupling)
        .build()
    )


@pytest.fixture(scope="module", params=sorted(GRAPHS))
def graph(request):
    return GRAPHS[request.param]()


@pytest.mark.parametrize("colour", [0, 1])
def test_color_selects_netket_edges(graph, colour):
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    op = (
        sym.DOperator(hi, "zz")
        .for_each(("i", "j"), over=graph, color=colour)
        .emit(sym.identity(), matrix_element=sym.site("i") * sym.site("j"))
        .build()
    )
    rows = [tuple(r) for r in op.to_ir().terms[0].rows]
    assert rows == [tuple(e) for e in graph.edges(filter_color=colour)]
    assert rows  # both colours have bonds on these graphs


def test_colors_list_is_the_union_in_graph_order(graph):
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SYMIR-W106 once colours are chosen
        op = (
            sym.DOperator(hi, "zz")
            .for_each(("i", "j"), over=graph, colors=[1, 0])
            .emit(sym.identity(), matrix_element=sym.site("i"))
            .build()
        )
    assert [tuple(r) for r in op.to_ir().terms[0].rows] == [tuple(e) for e in graph.edges()]


PAULI = {
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0, -1.0]).astype(complex),
}


def pauli_j1_j2(hi, graph) -> np.ndarray:
    """The J1-J2 Heisenberg matrix in NetKet's basis (local state +1 first, first site
    most significant: checked against `hi.all_states()`)."""
    n = graph.n_nodes
    digits = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1
    assert np.array_equal(np.asarray(hi.all_states()), 1 - 2 * digits)
    h = np.zeros((2**n, 2**n), dtype=complex)
    for (i, j), colour in zip(graph.edges(), graph.edge_colors, strict=True):
        for p in PAULI.values():
            factors = [p if k in (i, j) else np.eye(2) for k in range(n)]
            term = factors[0]
            for f in factors[1:]:
                term = np.kron(term, f)
            h += (J1, J2)[colour] * term
    return h


def test_j1_j2_equals_the_pauli_sum(graph):
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    ours = exchange(hi, graph, J1, color=0) + exchange(hi, graph, J2, color=1)
    np.testing.assert_allclose(
        ours.compile().to_netket().to_dense(), pauli_j1_j2(hi, graph), rtol=0, atol=1e-10
    )


def test_all_colours_warns_with_a_stable_code(graph):
    hi = nk.hilbert.Spin(0.5, graph.n_nodes)
    with pytest.warns(sym.SymbolicDefinitionWarning, match=r"^SYMIR-W106 term @term0: ") as w:
        sym.DOperator(hi, "zz").for_each(("i", "j"), over=graph)
    assert w[0].message.code == "SYMIR-W106"
    assert "edge colours [0, 1]" in str(w[0].message)


def test_one_colour_graph_does_not_warn():
    graph = nk.graph.Chain(4, pbc=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sym.DOperator(sym.Spin(0.5, 4), "zz").for_each(("i", "j"), over=graph)


@pytest.mark.parametrize(
    ("over", "select", "message"),
    [
        ("graph", {"color": 2}, r"no edge of colour \[2\]; its colours are \[0, 1\]"),
        ("graph", {"color": 0, "colors": [1]}, "color= or colors=, not both"),
        ("graph", {"colors": "01"}, "list of integers"),
        ("graph", {"color": 0.5}, "edge colours must be integers"),
        ("graph", {"colors": []}, "colors= is empty"),
        ("rows", {"color": 0}, "select the edges of a graph"),
    ],
)
def test_bad_colour_selection_is_a_clear_error(over, select, message):
    graph = nk.graph.Square(2, max_neighbor_order=2)
    rows = [(0, 1), (1, 2)]
    d = sym.DOperator(sym.Spin(0.5, 4), "zz")
    with pytest.raises(ValueError, match=message):
        d.for_each(("i", "j"), over=graph if over == "graph" else rows, **select)
