"""The rows a DSL iterator visits, from what a user passes as `over=`: a list of site
tuples, or a NetKet graph (its edges, chosen by colour)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np


def rows_from(over: Any, arity: int | None, what: str) -> tuple[tuple[int, ...], ...]:
    """The rows of `over` (site tuples, or a graph's edges), each of `arity` sites."""
    if over is None:
        raise ValueError(f"{what} needs `over=`: the rows (tuples of site indices) to visit")
    if hasattr(over, "edges") and callable(over.edges):
        over = over.edges()
    rows = []
    for row in over:
        if isinstance(row, int | np.integer):
            row = (row,)
        values = tuple(int(v) for v in row)
        if any(v != r for v, r in zip(values, row)):
            raise ValueError(f"{what}: site indices must be integers, got {row!r}")
        rows.append(values)
    if not rows:
        raise ValueError(f"{what}: `over` has no rows")
    if arity is not None:
        for row in rows:
            if len(row) != arity:
                raise ValueError(f"{what}: row {row} has {len(row)} sites, expected {arity}")
    return tuple(rows)


def is_graph(over: Any) -> bool:
    """Whether `over` is a graph (has `edges()`)."""
    return hasattr(over, "edges") and callable(over.edges)


def edge_colours(color: Any, colors: Any) -> tuple[int, ...] | None:
    """The colours `for_each` selects (None: all of them)."""
    if color is not None and colors is not None:
        raise ValueError("for_each: give color= or colors=, not both")
    if color is not None:
        colors = (color,)
    if colors is None:
        return None
    if isinstance(colors, str) or not isinstance(colors, Iterable):
        raise ValueError(f"for_each: colors= must be a list of integers, got {colors!r}")
    found = tuple(colors)
    if not found:
        raise ValueError("for_each: colors= is empty: give at least one edge colour")
    if any(isinstance(c, bool) or not isinstance(c, int | np.integer) for c in found):
        raise ValueError(f"for_each: edge colours must be integers, got {list(found)!r}")
    return tuple(int(c) for c in found)


def graph_edges(graph: Any, wanted: tuple[int, ...] | None, where: str) -> list:
    """The edges of `graph` whose colour is in `wanted` (all when None), in the graph's
    order; warns `SYMIR-W106` when all edges of a graph with several colours are taken."""
    colours = getattr(graph, "edge_colors", None)
    if colours is None:
        if wanted is not None:
            raise ValueError(
                f"for_each: color=/colors= need a graph with edge colours (edge_colors), "
                f"got {type(graph).__name__}"
            )
        return list(graph.edges())
    edges = list(graph.edges())
    colours = [int(c) for c in colours]
    present = sorted(set(colours))
    if wanted is None:
        if len(present) > 1:
            from symir.lowering.sym.diagnostics import definition_warning

            warnings.warn(
                definition_warning(
                    "SYMIR-W106",
                    where,
                    f"for_each over a graph with the edge colours {present}: every colour is "
                    f"iterated ({len(edges)} edges); pass color=k or colors=[...] to choose",
                ),
                stacklevel=3,
            )
        return edges
    missing = sorted(set(wanted) - set(present))
    if missing:
        raise ValueError(
            f"for_each: the graph has no edge of colour {missing}; its colours are {present}"
        )
    return [e for e, c in zip(edges, colours, strict=True) if c in wanted]
