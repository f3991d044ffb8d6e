"""`DOperator`, the builder of symbolic operators, and the operators it builds.

Each iterator call (`globally`, `for_each_site`, ...) opens a new term; `where`, `emit`,
`emit_if/elseif/else`, `named` and `fanout` act on the open term; `build()` returns a
`SymbolicOperator`, whose `to_ir()` is the `sym` dialect module.
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from symir.frontend import hermiticity
from symir.frontend.expr import Expr, all_of, as_expr
from symir.frontend.fermion import check_update_on, is_fermionic
from symir.frontend.fermion import emissions as fermion_emissions
from symir.frontend.sectors import warn_if_leaving
from symir.frontend.update import Update
from symir.hilbert import DiscreteHilbert, as_hilbert, hilbert_difference

_DTYPES = {
    "float64": "float64",
    "f64": "float64",
    "double": "float64",
    "complex128": "complex128",
    "c128": "complex128",
    "float32": "float32",
    "f32": "float32",
    "single": "float32",
    "complex64": "complex64",
    "c64": "complex64",
}


def promote_dtypes(*dtypes: str) -> str:
    """The dtype of an operator built from operators of `dtypes` (a sum, a product):
    complex if any is, single precision only if all are."""
    complex_ = any(d.startswith("complex") for d in dtypes)
    single = all(d in ("float32", "complex64") for d in dtypes)
    if complex_:
        return "complex64" if single else "complex128"
    return "float32" if single else "float64"


def _dtype_name(dtype: Any) -> str:
    if dtype is float:
        return "float64"
    if dtype is complex:
        return "complex128"
    name = str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype
    if name not in _DTYPES:
        raise ValueError(
            f"operator dtype must be float64, complex128, float32 or complex64, got {dtype!r}"
        )
    return _DTYPES[name]


@dataclass(frozen=True)
class EmissionSpec:
    """One emission: update program, matrix element, optional predicate and tag."""

    update: Update
    amplitude: Expr
    condition: Expr | None = None
    tag: str | None = None


@dataclass(frozen=True)
class TermSpec:
    """One term: iterator (kind, labels, rows), predicate, emissions, fan-out hint."""

    name: str
    kind: str
    labels: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...]
    predicates: tuple[Expr, ...] = ()
    emissions: tuple[EmissionSpec, ...] = ()
    fanout: int | None = None
    chain: tuple[Expr, ...] | None = field(default=None, compare=False)

    @property
    def predicate(self) -> Expr | None:
        if not self.predicates:
            return None
        return self.predicates[0] if len(self.predicates) == 1 else all_of(*self.predicates)


def _rows_from(over: Any, arity: int | None, what: str) -> tuple[tuple[int, ...], ...]:
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


def _is_graph(over: Any) -> bool:
    return hasattr(over, "edges") and callable(over.edges)


def _edge_colours(color: Any, colors: Any) -> tuple[int, ...] | None:
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
    if not found or any(isinstance(c, bool) or not isinstance(c, int | np.integer) for c in found):
        raise ValueError(f"for_each: edge colours must be integers, got {list(found)!r}")
    return tuple(int(c) for c in found)


def _graph_edges(graph: Any, wanted: tuple[int, ...] | None, where: str) -> list:
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


def _is_scalar(value: Any) -> bool:
    """A number (Python or numpy, not bool) or a symbolic expression."""
    if isinstance(value, Expr):
        return True
    return isinstance(value, int | float | complex | np.number) and not isinstance(
        value, bool | np.bool_
    )


def _space_text(hilbert: Any, space: DiscreteHilbert) -> str:
    """A short description of the space an operator acts on."""
    if not isinstance(hilbert, DiscreteHilbert):
        return str(hilbert)  # NetKet's own
    if type(space) is DiscreteHilbert:
        return f"{space.size} sites with local states {list(space.local_states)}"
    return repr(space)


def _register_netket_dispatch() -> None:
    """Makes `vstate.expect(op)` / `expect_and_grad(op)` accept a `SymbolicOperator`:
    when NetKet is imported, its integration (found by entry point, as for
    `to_netket`) registers the dispatch rules on import (symir/integrations/
    netket_dispatch.py)."""
    import sys

    if "netket" in sys.modules:
        from symir.runtime.integrations import integration

        integration("netket")


class DOperator:
    """Builder of a symbolic operator on a discrete Hilbert space.

    ```python
    op = (
        DOperator(hi, "tfim")
        .for_each(("i", "j"), over=edges).emit(identity(), matrix_element=J * site("i") * site("j"))
        .for_each_site("i").emit(write("i", -site("i")), matrix_element=-h)
        .build()
    )
    ```
    """

    def __init__(
        self,
        hilbert: Any,
        name: str = "operator",
        *,
        dtype: Any = "float64",
        hermitian: bool = False,
    ):
        self.hilbert = hilbert
        self._space = as_hilbert(hilbert)
        if not isinstance(name, str) or not name:
            raise ValueError(f"operator name must be a non-empty string, got {name!r}")
        self.name = name
        self.dtype = _dtype_name(dtype)
        self.hermitian = bool(hermitian)
        self._terms: list[TermSpec] = []

    # ------------------------------------------------------------------ iterators
    def _open(self, kind: str, labels: Sequence[str], rows) -> DOperator:
        labels = tuple(labels)
        for label in labels:
            if not isinstance(label, str) or not label.isidentifier():
                raise ValueError(f"labels must be identifiers, got {label!r}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"labels of one term must be distinct, got {list(labels)}")
        n = self._space.size
        for row in rows:
            for k in row:
                if not 0 <= k < n:
                    raise ValueError(
                        f"{kind} iterator row {list(row)} has site {k} outside [0, {n})"
                    )
        name = f"term{len(self._terms)}"
        self._terms.append(TermSpec(name, kind, labels, tuple(rows)))
        return self

    def globally(self) -> DOperator:
        """A term visited once, with no labels."""
        return self._open("global", (), [()])

    def for_each_site(self, label: str) -> DOperator:
        """A term visited for every site `label = 0 .. N-1`."""
        return self._open("site", (label,), [(i,) for i in range(self._space.size)])

    def for_each_pair(self, a: str, b: str) -> DOperator:
        """Every ordered pair of sites, including `a == b`."""
        n = self._space.size
        return self._open("pair", (a, b), list(itertools.product(range(n), repeat=2)))

    def for_each_distinct_pair(self, a: str, b: str) -> DOperator:
        """Every ordered pair of distinct sites."""
        n = self._space.size
        return self._open("distinct_pair", (a, b), list(itertools.permutations(range(n), 2)))

    def for_each_triplet(self, a: str, b: str, c: str, *, over: Any = None) -> DOperator:
        """Every triplet of sites in `over`."""
        return self._open("triplet", (a, b, c), _rows_from(over, 3, "for_each_triplet"))

    def for_each_plaquette(self, a: str, b: str, c: str, d: str, *, over: Any = None) -> DOperator:
        """Every plaquette (4 sites) in `over`."""
        return self._open("plaquette", (a, b, c, d), _rows_from(over, 4, "for_each_plaquette"))

    def for_each(
        self,
        labels: str | Sequence[str],
        *,
        over: Any,
        color: int | None = None,
        colors: Sequence[int] | None = None,
    ) -> DOperator:
        """Every row of `over` (graph edges, any k-body index sets), bound to `labels`.

        For a NetKet graph, `color=k` keeps the edges of colour `k` and `colors=[...]`
        those of any of the colours (`nk.graph.Square(L, max_neighbor_order=2)`: 0 the
        nearest, 1 the next-nearest neighbours). Without either, every edge is visited,
        and a graph with more than one colour gets the warning `SYMIR-W106`.
        """
        if isinstance(labels, str):
            labels = (labels,)
        labels = tuple(labels)
        wanted = _edge_colours(color, colors)
        if _is_graph(over):
            over = _graph_edges(over, wanted, f"term @term{len(self._terms)}")
        elif wanted is not None:
            raise ValueError(
                f"for_each: color=/colors= select the edges of a graph (an object with "
                f"edges() and edge_colors, such as a NetKet graph), but over= is "
                f"{type(over).__name__}"
            )
        return self._open("rows", labels, _rows_from(over, len(labels), "for_each"))

    # ------------------------------------------------------------------ term clauses
    def _term(self, what: str) -> TermSpec:
        if not self._terms:
            raise ValueError(
                f"{what}() needs an open term: call an iterator such as globally() first"
            )
        return self._terms[-1]

    def _set(self, term: TermSpec) -> DOperator:
        self._terms[-1] = term
        return self

    def where(self, predicate: Any) -> DOperator:
        """Restricts the term to visits where `predicate` holds; repeated calls are ANDed."""
        term = self._term("where")
        if term.emissions:
            raise ValueError("where() must come before the term's emissions")
        return self._set(replace(term, predicates=(*term.predicates, as_expr(predicate))))

    def named(self, name: str) -> DOperator:
        """Names the open term."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"term names must be identifiers, got {name!r}")
        return self._set(replace(self._term("named"), name=name))

    def fanout(self, hint: int) -> DOperator:
        """An upper bound on the active branches of the open term for one configuration.

        The hint is a promise that the reference interpreter checks and validation
        reports on; it does NOT compact the kernel: the compiled fan-out F is what the
        branch passes leave (see `SymbolicOperator.max_conn_size`). A `UserWarning` says
        so each time a hint is given.
        """
        if not isinstance(hint, int | np.integer) or hint < 0:
            raise ValueError(f"fan-out hint must be a non-negative integer, got {hint!r}")
        warnings.warn(
            f"fan-out hint {int(hint)}: hints do not compact the kernel (its fan-out F is what "
            "the compiler's branch passes leave, see SymbolicOperator.max_conn_size); the "
            "hint is only checked by the reference interpreter and validation",
            UserWarning,
            stacklevel=2,
        )
        return self._set(replace(self._term("fanout"), fanout=int(hint)))

    max_conn_size = fanout

    def _emit(self, term: TermSpec, update: Any, amplitude: Any, condition, tag, chain):
        if update is None:
            update = Update()
        if tag is not None and not isinstance(tag, str):
            raise TypeError(f"tag must be a string, got {tag!r}")
        if is_fermionic(update):
            return self._emit_fermions(term, update, amplitude, condition, tag, chain)
        if not isinstance(update, Update):
            raise TypeError(
                f"emit() needs an Update (e.g. identity(), shift(...)) or a fermion product "
                f"(cdag(i) * c(j)), got {update!r}"
            )
        check_update_on(self._space, update, term.name)
        warn_if_leaving(self._space, update, term, len(term.emissions))
        emission = EmissionSpec(update, as_expr(amplitude), condition, tag)
        return self._set(replace(term, emissions=(*term.emissions, emission), chain=chain))

    def _emit_fermions(self, term: TermSpec, value: Any, amplitude: Any, condition, tag, chain):
        """One emission per product of `value` (symir/frontend/fermion.py): its update, its
        occupation checks ANDed with `condition`, `amplitude` times its coefficient and
        Jordan-Wigner sign."""
        found = fermion_emissions(value, self._space, term.name, term.labels, term.rows)
        emissions = list(term.emissions)
        for fe in found:
            amp = as_expr(amplitude)
            if fe.coefficient is not None:
                amp = fe.coefficient * amp
            if fe.sign is not None:
                amp = amp * fe.sign
            checks = [p for p in (condition, fe.condition) if p is not None]
            cond = None if not checks else checks[0] if len(checks) == 1 else all_of(*checks)
            emissions.append(EmissionSpec(fe.update, amp, cond, tag))
        return self._set(replace(term, emissions=tuple(emissions), chain=chain))

    def _matrix_element(self, matrix_element: Any, amplitude: Any) -> Any:
        if matrix_element is not None and amplitude is not None:
            raise ValueError("pass either matrix_element= or amplitude=, not both")
        value = matrix_element if matrix_element is not None else amplitude
        return 1.0 if value is None else value

    def emit(
        self,
        update: Update | None = None,
        matrix_element: Any = None,
        *,
        tag: str | None = None,
        amplitude: Any = None,
    ) -> DOperator:
        """Adds a branch: `x' = update(x)` with matrix element `matrix_element`; or, for a
        fermion product (`cdag("i") * c("j")`) or a sum of them, one branch per product
        with its Jordan-Wigner sign and occupation checks (symir/frontend/fermion.py)."""
        term = self._term("emit")
        me = self._matrix_element(matrix_element, amplitude)
        return self._emit(term, update, me, None, tag, None)

    def emit_if(
        self,
        predicate: Any,
        update: Update | None = None,
        matrix_element: Any = None,
        *,
        tag: str | None = None,
        amplitude: Any = None,
    ) -> DOperator:
        """Starts an if/elseif/else chain: a branch active where `predicate` holds."""
        term = self._term("emit_if")
        p = as_expr(predicate)
        me = self._matrix_element(matrix_element, amplitude)
        return self._emit(term, update, me, p, tag, (p,))

    def emit_elseif(
        self,
        predicate: Any,
        update: Update | None = None,
        matrix_element: Any = None,
        *,
        tag: str | None = None,
        amplitude: Any = None,
    ) -> DOperator:
        """A branch active where `predicate` holds and no earlier branch of the chain did."""
        term = self._term("emit_elseif")
        if term.chain is None:
            raise ValueError("emit_elseif() must follow emit_if() or emit_elseif()")
        p = as_expr(predicate)
        condition = all_of(*(~q for q in term.chain), p)
        me = self._matrix_element(matrix_element, amplitude)
        return self._emit(term, update, me, condition, tag, (*term.chain, p))

    def emit_else(
        self,
        update: Update | None = None,
        matrix_element: Any = None,
        *,
        tag: str | None = None,
        amplitude: Any = None,
    ) -> DOperator:
        """A branch active where no branch of the chain was."""
        term = self._term("emit_else")
        if term.chain is None:
            raise ValueError("emit_else() must follow emit_if() or emit_elseif()")
        condition = all_of(*(~q for q in term.chain))
        me = self._matrix_element(matrix_element, amplitude)
        return self._emit(term, update, me, condition, tag, None)

    # ------------------------------------------------------------------ build
    def build(self) -> SymbolicOperator:
        """The operator; checked now (an invalid definition raises here, not at compile)."""
        if not self._terms:
            raise ValueError(f"operator {self.name!r} has no terms")
        names = [t.name for t in self._terms]
        for term in self._terms:
            if not term.emissions:
                raise ValueError(f"term {term.name!r} of operator {self.name!r} has no emission")
            if names.count(term.name) > 1:
                raise ValueError(f"operator {self.name!r} has two terms named {term.name!r}")
        op = SymbolicOperator(
            self.hilbert, self.name, tuple(self._terms), dtype=self.dtype, hermitian=self.hermitian
        )
        # verify now, in canonical form (symir.frontend.canonical): the bodies the
        # compiler lowers; many terms equal but for their sites are built once
        _check_definition(op)
        return op


_VERIFIED_BODIES: OrderedDict[tuple, None] = OrderedDict()
"""Keys (`_definition_key`) of operators whose canonical `sym` IR was built and verified:
another operator with the same key differs only in the sites of its rows."""
_VERIFIED_MAX = 512


def _definition_key(op: SymbolicOperator, terms: Sequence[TermSpec]) -> tuple:
    """What the `sym` IR of `op` (in canonical form, `terms`) depends on, but the site
    indices of its rows: its space, dtype and every term's body (`body_key`), kind,
    label count and fan-out hint."""
    from symir.frontend.canonical import body_key

    space = op.space
    return (
        repr(space),
        op._requested_dtype,
        tuple((body_key(t), t.kind, len(t.labels), t.fanout) for t in terms),
    )


def _check_definition(op: SymbolicOperator) -> None:
    """Builds and verifies `op`'s canonical `sym` IR (`op.canonical_ir()`), unless an
    operator that differs only in the sites of its rows was verified before (128
    single-bond operators written alike verify one body, not 128): then only what the
    verifier checks of the rows is checked (their length and site range, as
    `sym.term`'s verifier), with the same message."""
    from symir.frontend.canonical import canonical_terms

    terms, _ = canonical_terms(op.terms, lift=True)
    key = _definition_key(op, terms)
    if key not in _VERIFIED_BODIES:
        op.canonical_ir()
        _VERIFIED_BODIES[key] = None
        while len(_VERIFIED_BODIES) > _VERIFIED_MAX:
            _VERIFIED_BODIES.popitem(last=False)
        return
    _VERIFIED_BODIES.move_to_end(key)
    n = op.space.size
    for t in terms:
        term = f"'sym.term' @{t.name}"
        if len(set(t.labels)) != len(t.labels):
            _invalid(f"{term} has duplicate labels {list(t.labels)}")
        if not t.rows:
            _invalid(f"{term} has an empty row table")
        for index, row in enumerate(t.rows):
            if len(row) != len(t.labels):
                _invalid(
                    f"{term} row {index} {list(row)} has {len(row)} entries but the term "
                    f"has {len(t.labels)} labels {list(t.labels)}"
                )
            for k in row:
                if not 0 <= k < n:
                    _invalid(f"{term} row {index} {list(row)} has site index {k} outside [0, {n})")


def _invalid(message: str) -> None:
    from symir.errors import SymbolicDefinitionError

    raise SymbolicDefinitionError(f"invalid sym IR: {message}")


class SymbolicOperator:
    """A symbolic operator: a Hilbert space, a name, a dtype and terms.

    `to_ir()` gives the `sym` dialect module (`SymbolicOperatorIR`); `+`, `-` and scalar
    `*` build new operators whose terms are fused into one operator.
    """

    def __init__(
        self,
        hilbert: Any,
        name: str,
        terms: tuple[TermSpec, ...],
        *,
        dtype: str = "float64",
        hermitian: bool = False,
        hermitian_reason: str | None = None,
    ):
        self.hilbert = hilbert
        self.space: DiscreteHilbert = as_hilbert(hilbert)
        self.name = name
        self.terms = terms
        self._requested_dtype = _dtype_name(dtype)
        self.hermitian = hermitian
        self._hermitian_reason = hermitian_reason or hermiticity.declared(hermitian)
        self._adjoint_of: SymbolicOperator | None = None  # set on `a.H` (hermiticity.py)
        self._ir = None
        self._hermiticity: tuple[bool, str] | None = None
        self._fanout: int | None = None  # F, once compiled with the default options
        self._netket: Any = None
        _register_netket_dispatch()

    @property
    def is_hermitian(self) -> bool:
        """True when marked (declared `hermitian=True`, or proved from the parts of a
        product, sum or adjoint: `hermitian_reason`) or when symir establishes it from
        the kernels: the conjugate transpose compiles to the same kernel (proved for
        every parameter value), or, for an operator without parameters on a small
        space, the matrix equals its conjugate transpose (`hermiticity` says which;
        symir/frontend/hermiticity.py). False means "not established", not "proved
        non-hermitian" unless `hermiticity` says so."""
        return self.hermiticity[0]

    @property
    def hermiticity(self) -> tuple[bool, str]:
        """`(is_hermitian, how it was established or why not)`."""
        if self._hermiticity is None:
            self._hermiticity = hermiticity.establish(self)
        return self._hermiticity

    @property
    def hermitian_reason(self) -> str:
        """Why the operator is (or is not) marked hermitian: declared by its author, or
        proved from the structure of a product, sum or adjoint
        (symir/frontend/hermiticity.py); when not marked, what would prove it."""
        return self._hermitian_reason

    def __getstate__(self) -> dict[str, Any]:
        # Pickled without its IR (an xDSL module): `to_ir()` rebuilds it, equal, so a
        # compile of the unpickled operator finds the artifact its original left in the
        # compiler's cache.
        state = dict(self.__dict__)
        state["_ir"] = None
        state.pop("_canonical", None)  # the canonical IR too (`canonical_ir`)
        state["_netket"] = None  # the kept NetKet adapter is remade on first use
        return state

    @property
    def dtype(self) -> str:
        """The requested dtype (`float64`, `complex128`, `float32`, `complex64`), made
        complex (of the same precision) if any matrix element is complex."""
        return self.to_ir().dtype_str

    @property
    def max_conn_size(self) -> int:
        """The fan-out F of the kernel that `compile()` (default options) builds: the
        number of connected configurations per input, after the branch passes merged
        what they can prove equal (the compilation is cached, so a later `compile()` is
        free). A kernel compiled with other options can have another F: read it from
        that `CompiledOperator`. An operator that fails strict validation still has a
        fan-out (validation does not change the kernel), so F is read from the kernel
        compiled without it."""
        from symir.errors import SymbolicCompilerError

        try:
            return self.compile().max_conn_size
        except SymbolicCompilerError as e:
            if e.stage != "pre_cache":
                raise
        # outside the handler: a failure of this compile is not chained to the first's
        return self.compile(strict_validation=False).max_conn_size

    @property
    def parameter_docs(self) -> dict[str, str]:
        """Parameter name -> the `doc` given to `symbol(..., doc=...)` (parameters
        without a doc are left out)."""
        from symir.frontend.product import _term_exprs, _walk

        found: dict[str, str] = {}

        def visit(e: Expr) -> None:
            if e.op == "param" and len(e.args) > 3 and e.args[3] is not None:
                found.setdefault(e.args[0], e.args[3])

        for term in self.terms:
            for e in _term_exprs(term):
                _walk(e, visit)
        return dict(sorted(found.items()))

    def to_ir(self):
        """The `sym` dialect form of this operator (built once, immutable)."""
        if self._ir is None:
            from symir.frontend.build import build_ir

            self._ir = build_ir(self)
        return self._ir

    def canonical_ir(self, lift_constant_sites: bool = True):
        """The `sym` form of this operator in canonical form (`symir.frontend.canonical`:
        constant sites lifted into row tables, terms equal but for their rows merged),
        and what was merged (kept term -> absorbed terms); built once per setting. The
        compiler lowers this form: the same bonds written any way give one kernel."""
        cache = self.__dict__.setdefault("_canonical", {})
        if lift_constant_sites not in cache:
            from symir.frontend.build import build_ir
            from symir.frontend.canonical import canonical_terms

            terms, merged = canonical_terms(self.terms, lift=lift_constant_sites)
            same = len(terms) == len(self.terms) and all(
                a is b for a, b in zip(terms, self.terms, strict=True)
            )
            ir = self.to_ir() if same else build_ir(self, terms)
            cache[lift_constant_sites] = (ir, merged)
        return cache[lift_constant_sites]

    def __repr__(self) -> str:
        shown = [
            f"{t.name}: {len(t.rows)} row(s) x {len(t.emissions)} emission(s)"
            for t in self.terms[:4]
        ]
        if len(self.terms) > 4:
            shown.append(f"... {len(self.terms) - 4} more")
        terms = ", ".join(shown)
        fanout = "" if self._fanout is None else f", F={self._fanout}"
        return (
            f"{type(self).__name__}({self.name!r} on {_space_text(self.hilbert, self.space)}, "
            f"{len(self.terms)} term(s) [{terms}], dtype={self._requested_dtype}{fanout})"
        )

    def to_netket(self, hilbert: Any = None, **compile_options: Any) -> Any:
        """This operator compiled (`compile(**compile_options)`) and wrapped as a NetKet
        `DiscreteJaxOperator` (symir.integrations.netket), its `is_hermitian` that of
        this operator (declared or established)."""
        if hilbert is None and not compile_options and self._netket is not None:
            return self._netket
        compiled = self.compile(**compile_options)
        if self.is_hermitian and not compiled.is_hermitian:
            compiled = compiled.as_hermitian()
        adapter = compiled.to_netket(hilbert)
        adapter._source = self  # for adapter.to_local_operator() (netket_local.py)
        if hilbert is None and not compile_options:
            self._netket = adapter
        return adapter

    # ------------------------------------------------------------------ algebra
    def _scaled(self, factor: Any) -> SymbolicOperator:
        f = as_expr(factor)
        terms = tuple(
            replace(
                t,
                emissions=tuple(replace(e, amplitude=f * e.amplitude) for e in t.emissions),
            )
            for t in self.terms
        )
        real = not isinstance(factor, complex | Expr)
        hermitian = self.hermitian and real
        if hermitian:
            reason = f"a real multiple of the hermitian {self.name!r}"
        elif self.hermitian:
            reason = (
                f"not proved hermitian: {self.name!r} is hermitian but the factor {factor!r} "
                "is not a real number"
            )
        else:
            reason = self._hermitian_reason
        return SymbolicOperator(
            self.hilbert,
            self.name,
            terms,
            dtype=self._requested_dtype,
            hermitian=hermitian,
            hermitian_reason=reason,
        )

    def __mul__(self, factor: Any) -> SymbolicOperator:
        if isinstance(factor, SymbolicOperator):
            return NotImplemented
        return self._scaled(factor)

    __rmul__ = __mul__

    def __neg__(self) -> SymbolicOperator:
        return self._scaled(-1.0)

    def __truediv__(self, factor: Any) -> SymbolicOperator:
        return self._scaled(1.0 / factor)

    def __add__(self, other: Any) -> SymbolicOperator:
        if _is_scalar(other) and not isinstance(other, Expr) and other == 0:
            return self  # so that sum([...]) works
        if _is_netket_operator(other):
            return self._as_netket_for(other) + other
        if _is_scalar(other):
            return SymbolicOperatorSum([self, self._constant(other)])
        if not isinstance(other, SymbolicOperator):
            return NotImplemented
        return SymbolicOperatorSum([self, other])

    def __radd__(self, other: Any) -> Any:
        if _is_netket_operator(other):
            return other + self._as_netket_for(other)
        if _is_scalar(other):
            return self.__add__(other)  # 0 + op is op (sum([...])), c + op a diagonal constant
        return NotImplemented

    def __sub__(self, other: Any) -> Any:
        if _is_netket_operator(other):
            return self._as_netket_for(other) - other
        if _is_scalar(other):
            return self + (-other)
        if not isinstance(other, SymbolicOperator):
            return NotImplemented
        return SymbolicOperatorSum([self, -other])

    def __rsub__(self, other: Any) -> Any:
        if _is_netket_operator(other):
            return other - self._as_netket_for(other)
        if _is_scalar(other):
            return (-self) + other
        return NotImplemented

    def _as_netket_for(self, other: Any) -> Any:
        """This operator compiled and wrapped as a NetKet operator on `other`'s Hilbert
        space (`symbolic + netket_operator` is NetKet's sum of the two kernels; to fuse
        two symir operators into one kernel, add the symbolic operators)."""
        difference = hilbert_difference(self.hilbert, other.hilbert)
        if difference is not None:
            raise ValueError(
                f"cannot combine the symbolic operator {self.name!r} with the NetKet "
                f"operator {type(other).__name__}: their Hilbert spaces differ in {difference}"
            )
        return self.compile().to_netket(other.hilbert)

    def _constant(self, value: Any) -> SymbolicOperator:
        """`value` times the identity on this operator's space: one diagonal branch."""
        real = not isinstance(value, complex | Expr) and not np.iscomplexobj(value)
        return (
            DOperator(self.hilbert, "constant", hermitian=real)
            .globally()
            .emit(Update(), matrix_element=value)
            .build()
        )

    def __matmul__(self, other: Any) -> SymbolicOperator:
        """The operator product as one operator (symir/frontend/product.py)."""
        if not isinstance(other, SymbolicOperator):
            return NotImplemented
        from symir.frontend.product import product_terms

        hermitian, reason = hermiticity.product(self, other)
        return self._derived(
            f"{self.name}_at_{other.name}",
            product_terms(self, other),
            dtype=promote_dtypes(self.dtype, other.dtype),
            hermitian=hermitian,
            reason=reason,
        )

    def _derived(
        self, name: str, terms, *, dtype: str, hermitian: bool, reason: str | None = None
    ) -> SymbolicOperator:
        op = SymbolicOperator(
            self.hilbert, name, terms, dtype=dtype, hermitian=hermitian, hermitian_reason=reason
        )
        # verify now, in canonical form (symir.frontend.canonical): the bodies the
        # compiler lowers; many terms equal but for their sites are built once
        _check_definition(op)
        return op

    def _transposed(self, conj: bool) -> SymbolicOperator:
        from symir.frontend.product import transpose_terms

        real = not self.dtype.startswith("complex")
        adjoint = conj or real  # the transpose of a real operator is its adjoint
        conj = conj and not real
        hermitian = self.hermitian and adjoint
        if hermitian:
            reason = f"the adjoint of the hermitian {self.name!r}"
        else:
            reason = f"not proved hermitian: the {'adjoint' if adjoint else 'transpose'} of "
            reason += f"{self.name!r}, which is not marked hermitian"
            if self.hermitian:
                reason = f"not proved hermitian: the transpose of the complex {self.name!r}"
        op = self._derived(
            f"{self.name}_{'H' if conj else 'T'}",
            transpose_terms(self, conj=conj),
            dtype=self.dtype,
            hermitian=hermitian,
            reason=reason,
        )
        if adjoint:
            op._adjoint_of = self
        return op

    @property
    def H(self) -> SymbolicOperator:
        """The conjugate transpose, where the update programs have a provable inverse."""
        return self._transposed(conj=True)

    @property
    def T(self) -> SymbolicOperator:
        """The transpose, where the update programs have a provable inverse."""
        return self._transposed(conj=False)

    def transpose(self) -> SymbolicOperator:
        """`self.T`."""
        return self.T

    def conj(self) -> SymbolicOperator:
        """The elementwise complex conjugate (NetKet's `conj()`; `H` transposes too)."""
        if not self.dtype.startswith("complex"):
            return self
        from symir.frontend.product import conjugate_terms

        return self._derived(
            f"{self.name}_conj",
            conjugate_terms(self),
            dtype=self.dtype,
            hermitian=self.hermitian,
            reason=self._hermitian_reason,
        )

    conjugate = conj

    def compile(self, cache: bool = True, **kwargs: Any):
        """The executable operator (see `symir.compiler`): keyword arguments are
        `SymbolicCompilerOptions` fields, and `params={name: value}` gives parameter
        values (required for a `symbol` without a default)."""
        from symir.compiler.entry import compile_operator

        compiled = compile_operator(self, cache=cache, **kwargs)
        if not kwargs:
            self._fanout = compiled.max_conn_size
        return compiled


def _is_netket_operator(value: Any) -> bool:
    """A NetKet operator (an `AbstractOperator`, the symir adapter included), recognised
    without importing NetKet."""
    return any(
        c.__name__ == "AbstractOperator" and c.__module__.split(".")[0] == "netket"
        for c in type(value).__mro__
    )


class SymbolicOperatorSum(SymbolicOperator):
    """A sum of operators on one Hilbert space, fused into one operator (one kernel)."""

    def __init__(self, operators: Iterable[SymbolicOperator], name: str | None = None):
        flat: list[SymbolicOperator] = []
        for op in operators:
            if isinstance(op, SymbolicOperatorSum):
                flat.extend(op.operators)
            elif isinstance(op, SymbolicOperator):
                flat.append(op)
            else:
                raise TypeError(f"can only sum symbolic operators, got {type(op).__name__}")
        if not flat:
            raise ValueError("SymbolicOperatorSum needs at least one operator")
        space = flat[0].space
        for op in flat[1:]:
            if op.space != space:
                raise ValueError(
                    f"cannot add operators on different Hilbert spaces: {flat[0].name!r} "
                    f"and {op.name!r} differ in {hilbert_difference(space, op.space)}"
                )
        self.operators = tuple(flat)
        terms: list[TermSpec] = []
        for k, op in enumerate(flat):
            for t in op.terms:
                terms.append(replace(t, name=f"{op.name}_{k}_{t.name}"))
        dtype = promote_dtypes(*(op._requested_dtype for op in flat))
        hermitian, reason = hermiticity.total(self.operators)
        super().__init__(
            flat[0].hilbert,
            name or "_plus_".join(op.name for op in flat),
            tuple(terms),
            dtype=dtype,
            hermitian=hermitian,
            hermitian_reason=reason,
        )
