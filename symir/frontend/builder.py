"""`DOperator`, the builder of symbolic operators.

Each iterator call (`globally`, `for_each_site`, ...) opens a new term; `where`, `emit`,
`emit_if/elseif/else`, `named` and `fanout` act on the open term; `build()` returns a
`SymbolicOperator` (symir/frontend/operator.py), whose `to_ir()` is the `sym` dialect
module.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from symir.frontend.expr import Expr, all_of, as_expr
from symir.frontend.fermion import check_update_on, is_fermionic, lifted_emissions
from symir.frontend.fermion import emissions as fermion_emissions
from symir.frontend.fermion_algebra import emission_strings, parametric_emission_strings
from symir.frontend.graph_rows import edge_colours, graph_edges, is_graph, rows_from
from symir.frontend.operator import SymbolicOperator, check_definition
from symir.frontend.pauli_terms import MAX_SIGNATURES, pauli_record, term_of_record
from symir.frontend.sectors import warn_if_leaving
from symir.frontend.tabulate import DEFER_AFTER, MIN_TERMS, defer_full_collections
from symir.frontend.term_spec import EmissionSpec, TermSpec, dtype_name
from symir.frontend.update import Update, identity
from symir.frontend.wide_terms import split_wide_terms
from symir.gc_pause import gc_paused
from symir.hilbert import FermionHilbert, as_hilbert

_ONE_EMPTY_ROW: tuple[tuple[int, ...], ...] = ((),)
"""The rows of a `globally()` term (one tuple for all of them)."""


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
        self.dtype = dtype_name(dtype)
        self.hermitian = bool(hermitian)
        # the terms written: a `TermSpec`; None, a `globally()` term without emissions
        # yet; or the record of a Pauli product (`pauli_record`, module doc of
        # symir/frontend/stored_terms.py), its expressions kept only while it is the
        # last term (`_last`: its index, update and matrix element as written)
        self._terms: list[Any] = []
        self._last: tuple[int, Update, Any] | None = None
        self._deferral: Any = None
        # no fermions and no fixed sums: an update needs neither check of `_emit`
        self._plain = not isinstance(self._space, FermionHilbert) and not getattr(
            self._space, "sectors", ()
        )
        # spins (-1, 1): a term that is a Pauli product is kept as its record once the
        # products written are sure to be routed into the tables of `pauli_strings`
        # (`_routed`); until then, as written
        self._pauli = self._plain and sorted(int(s) for s in self._space.local_states) == [-1, 1]
        # fermions: the strings of each `globally()` term of ladder products on constant
        # sites with numbers for matrix elements, by term name (None once a term is not
        # one): the operator keeps them for its algebra (symir/frontend/fermion_algebra.py)
        self._fermion_strings: dict[str, list] | None = (
            {} if isinstance(self._space, FermionHilbert) else None
        )
        # the same where coefficients hold real parameters (`symbol("t", 1.0) * cdag(0) *
        # c(1)`), by monomial: for proving hermiticity only
        self._parametric_strings: dict[str, list] | None = (
            {} if isinstance(self._space, FermionHilbert) else None
        )
        self._signatures: dict[tuple[int, int, bool], Any] = {}
        self._products = 0
        self._differ = False
        self._certain = False

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
        if len(self._terms) == DEFER_AFTER:  # a loop of many terms: no full collections
            self._deferral = defer_full_collections(self)
        return self

    def globally(self) -> DOperator:
        """A term visited once, with no labels."""
        # `_open` written out (no labels, one empty row, nothing to check): a loop of
        # 100,000 terms opens one per term, made a `TermSpec` when it is first needed
        self._terms.append(None)
        if len(self._terms) == DEFER_AFTER:
            self._deferral = defer_full_collections(self)
        return self

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
        return self._open("triplet", (a, b, c), rows_from(over, 3, "for_each_triplet"))

    def for_each_plaquette(self, a: str, b: str, c: str, d: str, *, over: Any = None) -> DOperator:
        """Every plaquette (4 sites) in `over`."""
        return self._open("plaquette", (a, b, c, d), rows_from(over, 4, "for_each_plaquette"))

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
        wanted = edge_colours(color, colors)
        if is_graph(over):
            over = graph_edges(over, wanted, f"term @term{len(self._terms)}")
        elif wanted is not None:
            raise ValueError(
                f"for_each: color=/colors= select the edges of a graph (an object with "
                f"edges() and edge_colors, such as a NetKet graph), but over= is "
                f"{type(over).__name__}"
            )
        return self._open("rows", labels, rows_from(over, len(labels), "for_each"))

    # ------------------------------------------------------------------ term clauses
    def _term(self, what: str) -> TermSpec:
        if not self._terms:
            raise ValueError(
                f"{what}() needs an open term: call an iterator such as globally() first"
            )
        term = self._terms[-1]
        if term is None or term.__class__ is tuple:
            term = self._terms[-1] = self._made(len(self._terms) - 1)
        return term

    def _made(self, k: int) -> TermSpec:
        """The `TermSpec` of `self._terms[k]`, a `globally()` term without emissions
        (None) or a Pauli product's record: the expressions as written if it is the
        last term (`_last`), else made again from the record."""
        term, name = self._terms[k], f"term{k}"
        if term is None:
            return TermSpec(name, "global", (), _ONE_EMPTY_ROW)
        last = self._last
        if last is None or last[0] != k:
            return term_of_record(term, name)
        amp = last[2] if last[2].__class__ is Expr else as_expr(last[2])
        return TermSpec(name, "global", (), _ONE_EMPTY_ROW, (), (EmissionSpec(last[1], amp),))

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
            update = identity()
        if update.__class__ is Update and tag is None and self._plain:
            # the common case written out (once per term of a loop of 100,000 terms): no
            # fermion product, no tag, nothing for `check_update_on`, `warn_if_leaving`
            amp = amplitude if amplitude.__class__ is Expr else as_expr(amplitude)
            emission = EmissionSpec(update, amp, condition, None)
            return self._set(term.with_emissions((*term.emissions, emission), chain))
        if tag is not None and not isinstance(tag, str):
            raise TypeError(f"tag must be a string, got {tag!r}")
        if self._fermion_strings is not None or self._parametric_strings is not None:
            self._note_strings(term, update, amplitude, condition is None and tag is None)
        if update.__class__ is not Update and is_fermionic(update):
            return self._emit_fermions(term, update, amplitude, condition, tag, chain)
        if not isinstance(update, Update):
            raise TypeError(
                f"emit() needs an Update (e.g. identity(), shift(...)) or a fermion product "
                f"(cdag(i) * c(j)), got {update!r}"
            )
        check_update_on(self._space, update, term.name)
        warn_if_leaving(self._space, update, term, len(term.emissions))
        emission = EmissionSpec(update, as_expr(amplitude), condition, tag)
        return self._set(term.with_emissions((*term.emissions, emission), chain))

    def _routed(self, record: tuple) -> bool:
        """Whether the Pauli products written so far, `record` the last, are routed into
        the tables of `pauli_strings` by the compiler's defaults
        (`symir.frontend.pauli_terms.route_pauli_products`: at least `MIN_TERMS`, and
        coefficients that differ within a signature or more than `MAX_SIGNATURES`
        signatures). A lattice model written bond by bond, one coefficient per kind of
        bond, is not: its terms are kept as written, for the merging of terms equal but
        for their sites."""
        self._products += 1
        c = record[2]
        key = (len(record[0]), len(record[1]), isinstance(c, complex))
        first = self._signatures.setdefault(key, c)
        self._differ = self._differ or first != c
        self._certain = self._products >= MIN_TERMS and (
            self._differ or len(self._signatures) > MAX_SIGNATURES
        )
        return self._certain

    def _note_strings(self, term: TermSpec, update: Any, amplitude: Any, plain: bool) -> None:
        """Keeps the strings of a `globally()` emission of ladder products on constant
        sites (`fermion_algebra.emission_strings`), and the same where its coefficients
        hold real parameters (`parametric_emission_strings`); any other emission ends
        the record."""
        numbers = parametric = None
        if plain and is_fermionic(update):  # predicates: build() looks at the whole term
            global_term = term.kind == "global" and not term.labels
            known, by_monomial = self._fermion_strings, self._parametric_strings
            if known is not None and (global_term or term.name in known):
                numbers = emission_strings(update, amplitude)
            if numbers is not None:
                parametric = [(p, (), w) for p, w in numbers]
            elif by_monomial is not None and (global_term or term.name in by_monomial):
                parametric = parametric_emission_strings(update, amplitude)
        for attribute, found in (
            ("_fermion_strings", numbers),
            ("_parametric_strings", parametric),
        ):
            known = getattr(self, attribute)
            if found is None:
                setattr(self, attribute, None)
            elif known is not None:
                known.setdefault(term.name, []).extend(found)

    def _emit_fermions(self, term: TermSpec, value: Any, amplitude: Any, condition, tag, chain):
        """One emission per product of `value` (symir/frontend/fermion.py): its update, its
        occupation checks ANDed with `condition`, `amplitude` times its coefficient and
        Jordan-Wigner sign."""
        lifted = lifted_emissions(value, self._space, term.name, term.labels, term.rows)
        if lifted is None:
            found = fermion_emissions(value, self._space, term.name, term.labels, term.rows)
        else:  # constant sites on one row: lifted into columns, emissions per pattern
            labels, values, found = lifted
            if values:
                rows = ((*term.rows[0], *values),)
                term = TermSpec(
                    term.name,
                    "rows",
                    labels,
                    rows,
                    term.predicates,
                    term.emissions,
                    term.fanout,
                    term.chain,
                )
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
        return self._set(term.with_emissions(tuple(emissions), chain))

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
        terms = self._terms
        if (
            self._pauli
            and terms
            and terms[-1] is None
            and update.__class__ is Update
            and tag is None
            and amplitude is None
        ):  # the first emission of a `globally()` term: a Pauli product is its record
            me = 1.0 if matrix_element is None else matrix_element
            record = pauli_record(update, me)
            if record is not None and (self._certain or self._routed(record)):
                terms[-1] = record
                self._last = (len(terms) - 1, update, me)
                return self
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
        return self._emit_in_chain("emit_if", predicate, update, matrix_element, tag, amplitude)

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
        return self._emit_in_chain("emit_elseif", predicate, update, matrix_element, tag, amplitude)

    def emit_else(
        self,
        update: Update | None = None,
        matrix_element: Any = None,
        *,
        tag: str | None = None,
        amplitude: Any = None,
    ) -> DOperator:
        """A branch active where no branch of the chain was."""
        return self._emit_in_chain("emit_else", None, update, matrix_element, tag, amplitude)

    def _emit_in_chain(
        self,
        method: str,
        predicate: Any,
        update: Any,
        matrix_element: Any,
        tag: Any,
        amplitude: Any,
    ) -> DOperator:
        """Add the branch of `method` to an if/elseif/else chain: active where `predicate`
        holds (`emit_else`: always) and no earlier branch of the chain did."""
        term = self._term(method)
        earlier = () if method == "emit_if" else term.chain
        if earlier is None:
            raise ValueError(f"{method}() must follow emit_if() or emit_elseif()")
        own = () if method == "emit_else" else (as_expr(predicate),)
        condition = own[0] if method == "emit_if" else all_of(*(~q for q in earlier), *own)
        me = self._matrix_element(matrix_element, amplitude)
        chain = None if method == "emit_else" else (*earlier, *own)
        return self._emit(term, update, me, condition, tag, chain)

    # ------------------------------------------------------------------ build
    def build(self) -> SymbolicOperator:
        """The operator; checked now (an invalid definition raises here, not at compile)."""
        from symir.frontend.operator import too_deep

        with too_deep(self.name):
            return self._build()

    def _build(self) -> SymbolicOperator:
        if self._deferral is not None:
            self._deferral()  # full collections as before (symir.frontend.tabulate)
        terms = self._terms
        if not terms:
            raise ValueError(f"operator {self.name!r} has no terms")
        written, terms = terms, split_wide_terms(terms)  # symir.frontend.wide_terms
        # not list.count: thousands of terms; a record's name is `term{k}` (the records,
        # most of a loop of 100,000 couplings, are left out at once)
        plain = [k for k, t in enumerate(terms) if t.__class__ is not tuple]
        counts = Counter(terms[k].name for k in plain if terms[k] is not None)
        for k in plain:
            term = terms[k]
            if term is None:
                raise ValueError(f"term 'term{k}' of operator {self.name!r} has no emission")
            if not term.emissions:
                raise ValueError(f"term {term.name!r} of operator {self.name!r} has no emission")
            if counts[term.name] > 1 or _record_named(terms, term.name):
                raise ValueError(f"operator {self.name!r} has two terms named {term.name!r}")
        self._last = None
        op = SymbolicOperator(
            self.hilbert, self.name, tuple(terms), dtype=self.dtype, hermitian=self.hermitian
        )
        for attribute in ("_fermion_strings", "_parametric_strings"):
            strings = getattr(self, attribute)
            if strings and all(
                t.__class__ is not tuple and t.name in strings and not t.predicates for t in written
            ):  # the terms as written: a wide one's parts have its strings
                setattr(op, attribute, tuple(s for found in strings.values() for s in found))
        # verify now, in canonical form (symir.frontend.canonical): the bodies the
        # compiler lowers; many terms equal but for their sites are built once. The
        # cyclic collector is paused meanwhile (IR objects: a collection walks every
        # object of the process, 0.1 s each with JAX and NetKet loaded)
        with gc_paused():
            check_definition(op)
        return op


def _record_named(terms: list[Any], name: str) -> bool:
    """Whether `name` is `term{j}`, the name of a record at `j` (a term named alike)."""
    digits = name[4:]
    if not name.startswith("term") or not digits.isdigit():
        return False
    j = int(digits)
    return f"term{j}" == name and j < len(terms) and terms[j].__class__ is tuple
