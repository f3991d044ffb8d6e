"""`SymbolicOperator`, the value a `DOperator` builds (symir/frontend/builder.py), with
its algebra: scalar `*`, `+`, `-`, `@`, `H`, `T` and `conj`, each giving a new operator
whose terms are fused into one kernel; and `SymbolicOperatorSum`.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np

from symir.frontend import fermion_algebra, hermiticity, pauli_algebra
from symir.frontend.expr import Expr, SiteSelector, _python_number, as_expr
from symir.frontend.netket_hook import register_netket_dispatch
from symir.frontend.sectors import assumed_sectors, keeps_every_sector
from symir.frontend.stored_terms import StoredTerms, as_terms, has_records
from symir.frontend.term_spec import EmissionSpec, TermSpec, dtype_name, promote_dtypes
from symir.frontend.update import Update
from symir.gc_pause import gc_paused
from symir.hilbert import DiscreteHilbert, as_hilbert, hilbert_difference


def _coefficient(value: Any) -> Any:
    """`value` as an operator's coefficient: a symbolic expression (a site's value too),
    or a number (Python's, a `Fraction`, numpy's, or the one number of a 0-d array, a
    concrete JAX array's too) as a Python number; None for anything else, a bool included (`op * True`
    was an operator that failed only when compiled, on an `i1` factor of its matrix
    elements). A traced JAX value is a `TypeError` that points to `sym.symbol`."""
    if isinstance(value, Expr | SiteSelector):
        return as_expr(value)
    if isinstance(value, int | float | complex | np.number) or (
        getattr(value, "shape", None) == () and hasattr(value, "dtype")
    ):
        number = _python_number(value)
        return None if isinstance(number, bool) else number
    if isinstance(value, numbers.Rational):  # `fractions.Fraction(1, 3)`, as NetKet's take it
        return float(value)
    return None


def _space_text(hilbert: Any, space: DiscreteHilbert) -> str:
    """A short description of the space an operator acts on."""
    if not isinstance(hilbert, DiscreteHilbert):
        return str(hilbert)  # NetKet's own
    if type(space) is DiscreteHilbert:
        return f"{space.size} sites with local states {list(space.local_states)}"
    return repr(space)


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


def check_definition(op: SymbolicOperator) -> None:
    """Builds and verifies `op`'s canonical `sym` IR (`op.canonical_ir()`), unless an
    operator that differs only in the sites of its rows was verified before (128
    single-bond operators written alike verify one body, not 128): then only what the
    verifier checks of the rows is checked (their length and site range, as
    `sym.term`'s verifier), with the same message."""
    terms = op.canonical_terms()[0]
    _check_constant_writes(terms, op.space.local_states)
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


def _constant_writes(update: Any):
    """The constant values of the `write` steps of `update` (in `cond`s too)."""
    for step in update.steps:
        if step[0] == "write" and step[2].op == "const":
            yield step[2].args[0]
        elif step[0] == "cond":
            yield from _constant_writes(step[2])
            yield from _constant_writes(step[3])


def _check_constant_writes(terms: Any, states: tuple[int, ...]) -> None:
    """A constant written with `write` is a local state (the IR allows any constant, a
    value in between or one that folding made: `sym.WriteOp`)."""
    for t in terms:
        for e in t.emissions:
            for v in _constant_writes(e.update):
                if v not in states:
                    _invalid(f"'sym.write' writes {v}, which is not a local state {list(states)}")


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
        # as written, with the records of Pauli products a builder kept in their place
        # (symir.frontend.stored_terms); `terms` reads them as terms
        self._stored = tuple(terms)
        self._records = has_records(self._stored)
        self._requested_dtype = dtype_name(dtype)
        self.hermitian = hermitian
        self._hermitian_reason = hermitian_reason or hermiticity.declared(hermitian)
        self._adjoint_of: SymbolicOperator | None = None  # set on `a.H` (hermiticity.py)
        self._factors: tuple[SymbolicOperator, SymbolicOperator] | None = None  # on `a @ b`
        self._ir = None
        self._hermiticity: tuple[bool, str] | None = None
        self._fanout: int | None = None  # F, once compiled with the default options
        self._keeps_sectors: bool | None = None  # sectors.keeps_every_sector, once asked
        self._assumed_sectors: tuple | None = None  # sectors.assumed_sectors, once asked
        self._netket: Any = None
        # the fermion strings and weights it is the sum of, where known (a `fermion_terms`
        # operator, a DOperator of ladder products: symir/frontend/fermion_algebra.py)
        self._fermion_strings: fermion_algebra.Strings | None = None
        # the same where coefficients hold real parameters, `(product, monomial, weight)`
        # (`fermion_algebra.parametric_emission_strings`): to prove hermiticity only
        self._parametric_strings: tuple | None = None
        # the Pauli strings it is the sum of, where known (`pauli_strings`, sums and
        # multiples of it: symir/frontend/pauli_algebra.py)
        self._pauli: pauli_algebra.PauliSum | None = None
        # `(strings, factor)` where it is `factor * strings`, `factor` symbolic and
        # `strings` Pauli strings or such a multiple (`_without_tables`)
        self._scaled_pauli: tuple[SymbolicOperator, Any] | None = None
        register_netket_dispatch()

    @property
    def terms(self) -> Sequence[TermSpec]:
        """The terms (`TermSpec`), in the order written. A Pauli product that a builder
        stored as a record (symir/frontend/stored_terms.py) is made again on each read:
        the same operator as written, its expressions in the record's form."""
        return StoredTerms(self._stored) if self._records else self._stored

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
        from symir.frontend.product import term_exprs, walk

        found: dict[str, str] = {}

        def visit(e: Expr) -> None:
            if e.op == "param" and len(e.args) > 3 and e.args[3] is not None:
                found.setdefault(e.args[0], e.args[3])

        for term in self.terms:
            for e in term_exprs(term):
                walk(e, visit)
        return dict(sorted(found.items()))

    def to_ir(self):
        """The `sym` dialect form of this operator (built once, immutable)."""
        if self._ir is None:
            from symir.frontend.build import build_ir

            self._ir = build_ir(self)
        return self._ir

    def canonical_terms(
        self,
        lift_constant_sites: bool = True,
        tabulate_terms: bool = True,
        route_pauli_products: bool = True,
    ) -> tuple[tuple[TermSpec, ...], dict[str, list[str]], dict[str, Any]]:
        """This operator's terms in canonical form (`symir.frontend.canonical`: constant
        sites lifted into row tables, terms equal but for their rows merged; with
        `tabulate_terms`, terms of one shape tabulated, `symir.frontend.tabulate`), what
        was merged (kept term -> absorbed terms) and the tabulation's report; computed
        once per setting. With `route_pauli_products`, the tabulation first writes Pauli
        products as `pauli_strings` does (`symir.frontend.pauli_terms`)."""
        cache = self.__dict__.setdefault("_canonical_terms", {})
        key = (lift_constant_sites, tabulate_terms, route_pauli_products)
        if key not in cache:
            from symir.frontend.canonical import canonical_terms

            terms, tabulated, report = self._stored, {}, {}
            if tabulate_terms and lift_constant_sites:  # it lifts the sites it tabulates
                from symir.frontend.tabulate import tabulate_terms as tabulate

                terms, tabulated, report = tabulate(
                    terms,
                    self.space.size,
                    hilbert=self.hilbert,
                    states=tuple(int(s) for s in self.space.local_states)
                    if route_pauli_products
                    else (),
                )
            terms, merged = canonical_terms(as_terms(terms), lift=lift_constant_sites)
            if tabulated:
                from symir.frontend.tabulate import absorb

                merged = absorb(tabulated, merged)
            cache[key] = (terms, merged, report)
        return cache[key]

    def canonical_ir(
        self,
        lift_constant_sites: bool = True,
        tabulate_terms: bool = True,
        route_pauli_products: bool = True,
    ):
        """The `sym` form of this operator in canonical form (`canonical_terms`), and
        what was merged (kept term -> absorbed terms); built once per setting. The
        compiler lowers this form: the same bonds written any way give one kernel."""
        cache = self.__dict__.setdefault("_canonical", {})
        key = (lift_constant_sites, tabulate_terms, route_pauli_products)
        if key not in cache:
            from symir.frontend.build import build_ir

            terms, merged, _ = self.canonical_terms(*key)
            same = len(terms) == len(self.terms) and all(
                a is b for a, b in zip(terms, self.terms, strict=True)
            )
            ir = self.to_ir() if same else build_ir(self, terms)
            cache[key] = (ir, merged)
        return cache[key]

    def tabulation(
        self, lift_constant_sites: bool = True, route_pauli_products: bool = True
    ) -> dict[str, Any]:
        """What the DSL's tabulation did to this operator's canonical form
        (`symir.frontend.tabulate`; `sym.tabulation`'s form, empty when it found no two
        terms of one shape)."""
        return self.canonical_terms(lift_constant_sites, True, route_pauli_products)[2]

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

    def to_netket(
        self,
        hilbert: Any = None,
        *,
        deduplicate_connected_components: bool | None = None,
        **compile_options: Any,
    ) -> Any:
        """This operator compiled (`compile(**compile_options)`) and wrapped as a NetKet
        `DiscreteJaxOperator` (symir.integrations.netket), its `is_hermitian` that of
        this operator (declared or established); `deduplicate_connected_components`: the
        adapter's option (`sym.to_netket`'s), not a compile option."""
        adapter_options = {}
        if deduplicate_connected_components is not None:
            adapter_options["deduplicate_connected_components"] = deduplicate_connected_components
        if (
            hilbert is None
            and not compile_options
            and not adapter_options
            and self._netket is not None
        ):
            return self._netket
        compiled = self.compile(**compile_options)
        if self.is_hermitian and not compiled.is_hermitian:
            compiled = compiled.as_hermitian()
        adapter = compiled.to_netket(hilbert, **adapter_options)
        adapter._source = self  # for adapter.to_local_operator() (netket_local.py)
        if hilbert is None and not compile_options and not adapter_options:
            self._netket = adapter
        return adapter

    def collect(self) -> Any:
        """NetKet's name for an operator's final form, which its drivers (`VMC`,
        `VMC_SR`) ask for: the compiled NetKet adapter (`to_netket()`)."""
        return self.to_netket()

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
        # numpy's complex64 is no Python `complex`: `np.iscomplexobj` sees both
        real = not isinstance(factor, Expr) and not np.iscomplexobj(factor)
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
        op = SymbolicOperator(
            self.hilbert,
            self.name,
            terms,
            dtype=self._requested_dtype,
            hermitian=hermitian,
            hermitian_reason=reason,
        )
        if self._fermion_strings is not None:
            op._fermion_strings = fermion_algebra.scaled(self._fermion_strings, factor)
        number = fermion_algebra.number(factor)
        if self._pauli is not None and number is not None:
            op._pauli = self._pauli.scaled(number)
        elif self._pauli is not None or self._scaled_pauli is not None:
            # a symbolic multiple of Pauli strings: its tables cannot carry the factor, so
            # products and adjoints write the strings as terms and scale those
            op._scaled_pauli = (self, factor)
        return op

    def __mul__(self, factor: Any) -> SymbolicOperator:
        if isinstance(factor, SymbolicOperator):
            return NotImplemented
        return self._scaled(self._factor(factor))

    __rmul__ = __mul__

    def __neg__(self) -> SymbolicOperator:
        return self._scaled(-1.0)

    def _factor(self, factor: Any) -> Any:
        number = _coefficient(factor)
        if number is None:
            raise TypeError(
                f"cannot scale the operator {self.name!r} by {factor!r} of type "
                f"{type(factor).__name__}: a factor is a number or a symbolic expression"
            )
        return number

    def __truediv__(self, factor: Any) -> SymbolicOperator:
        factor = self._factor(factor)
        if not isinstance(factor, Expr) and factor == 0:
            raise ZeroDivisionError(f"the operator {self.name!r} divided by zero")
        return self._scaled(1.0 / factor)

    def __add__(self, other: Any) -> SymbolicOperator:
        if _is_netket_operator(other):
            return self._as_netket_for(other) + other
        if isinstance(other, SymbolicOperator):
            return SymbolicOperatorSum([self, other])
        other = _coefficient(other)
        if other is None:
            return NotImplemented
        if not isinstance(other, Expr) and other == 0:
            return self  # so that sum([...]) works
        return SymbolicOperatorSum([self, self._constant(other)])

    def __radd__(self, other: Any) -> Any:
        if _is_netket_operator(other):
            return other + self._as_netket_for(other)
        if _coefficient(other) is None:
            return NotImplemented
        return self.__add__(other)  # 0 + op is op (sum([...])), c + op a diagonal constant

    def __sub__(self, other: Any) -> Any:
        if _is_netket_operator(other):
            return self._as_netket_for(other) - other
        if isinstance(other, SymbolicOperator):
            return SymbolicOperatorSum([self, -other])
        other = _coefficient(other)
        if other is None:
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other: Any) -> Any:
        if _is_netket_operator(other):
            return other - self._as_netket_for(other)
        other = _coefficient(other)
        if other is None:
            return NotImplemented
        return (-self) + other

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
        return self.to_netket(other.hilbert)

    def _constant(self, value: Any) -> SymbolicOperator:
        """`value` times the identity on this operator's space: one diagonal branch, in
        this operator's precision (a number added to a `float32` operator kept it
        `float64`, where a multiple is `float32`, as NetKet's `LocalOperator + 1` is)."""
        real = not isinstance(value, complex | Expr) and not np.iscomplexobj(value)
        emission = EmissionSpec(Update(), as_expr(value))
        term = TermSpec("term0", "global", (), ((),), emissions=(emission,))
        dtype = "float32" if self.dtype in ("float32", "complex64") else "float64"
        op = SymbolicOperator(self.hilbert, "constant", (term,), dtype=dtype, hermitian=real)
        check_definition(op)
        if self._fermion_strings is not None:  # the empty string: `(H - E0) @ (H - E0)`
            op._fermion_strings = fermion_algebra.scaled((((), 1.0),), value)
        number = fermion_algebra.number(value)
        if self._pauli is not None and number is not None:  # the string I...I
            op._pauli = self._pauli.identity(number)
        return op

    def __matmul__(self, other: Any) -> Any:
        """The operator product as one operator (symir/frontend/product.py); with a
        NetKet operator, NetKet's product of the two (as for `+`)."""
        if _is_netket_operator(other):
            return self._as_netket_for(other) @ other
        if not isinstance(other, SymbolicOperator):
            return NotImplemented
        from symir.frontend.product import product_terms

        if self.space != other.space:  # for the strings' product and product_terms alike
            raise ValueError(
                f"cannot multiply operators on different Hilbert spaces: {self.name!r} and "
                f"{other.name!r} differ in {hilbert_difference(self.space, other.space)}"
            )
        hermitian, reason = hermiticity.product(self, other)
        name = f"{self.name}_at_{other.name}"
        dtype = promote_dtypes(self.dtype, other.dtype)
        a, b = self._fermion_strings, other._fermion_strings
        if self._pauli is not None and other._pauli is not None:
            # products of Pauli strings: multiplied site by site, built as tables
            found = pauli_algebra.product(self._pauli, other._pauli, (self.name, other.name))
            op = self._from_pauli(name, found)
        elif a is not None and b is not None:
            # products of fermion strings: the strings multiplied, built as tables
            strings = fermion_algebra.product(a, b, self.space.size, (self.name, other.name))
            op = self._from_strings(name, strings, dtype, hermitian, reason)
        else:
            # a product of terms; Pauli strings written as terms, not tables (pauli.written)
            left, right = _without_tables(self), _without_tables(other)
            dtype = promote_dtypes(left.dtype, right.dtype)
            op = self._derived(
                name, product_terms(left, right), dtype=dtype, hermitian=hermitian, reason=reason
            )
        op._factors = (self, other)
        return op

    def _from_strings(
        self, name: str, strings: Any, dtype: str, hermitian: bool, reason: str | None
    ) -> SymbolicOperator:
        """The operator of these fermion strings (fermion_algebra.py), keeping them."""
        terms, complex_ = fermion_algebra.build_terms(self.hilbert, strings)
        op = SymbolicOperator(
            self.hilbert,
            name,
            terms,
            dtype=promote_dtypes(dtype, "complex128") if complex_ else dtype,
            hermitian=hermitian,
            hermitian_reason=reason,
        )
        check_definition(op)
        op._fermion_strings = strings
        return op

    def _from_pauli(self, name: str, strings: pauli_algebra.PauliSum) -> SymbolicOperator:
        """The operator of these Pauli strings (`pauli_strings`' tables), keeping them."""
        return strings.operator(self.hilbert, name)

    def __rmatmul__(self, other: Any) -> Any:
        """`netket_operator @ op`: NetKet's product of the two (as for `+`)."""
        if _is_netket_operator(other):
            return other @ self._as_netket_for(other)
        return NotImplemented

    def _derived(
        self, name: str, terms, *, dtype: str, hermitian: bool, reason: str | None = None
    ) -> SymbolicOperator:
        op = SymbolicOperator(
            self.hilbert, name, terms, dtype=dtype, hermitian=hermitian, hermitian_reason=reason
        )
        # verify now, in canonical form (symir.frontend.canonical): the bodies the
        # compiler lowers; many terms equal but for their sites are built once
        check_definition(op)
        return op

    def _transposed(self, conj: bool) -> SymbolicOperator:
        from symir.frontend.product import transpose_terms

        real = not self.dtype.startswith("complex")
        adjoint = conj or real  # the transpose of a real operator is its adjoint
        if adjoint and self._adjoint_of is not None:
            # (A^dagger)^dagger is A: its own emissions, not the adjoint's adjoint (each
            # adjoint of constant writes multiplies them: A.H.H of a 9x9 local operator on
            # Fock(3, 3) took over a minute to compile)
            return self._adjoint_of
        conj = conj and not real
        hermitian = self.hermitian and adjoint
        if hermitian:
            reason = f"the adjoint of the hermitian {self.name!r}"
        else:
            reason = f"not proved hermitian: the {'adjoint' if adjoint else 'transpose'} of "
            reason += f"{self.name!r}, which is not marked hermitian"
            if self.hermitian:
                reason = f"not proved hermitian: the transpose of the complex {self.name!r}"
        name = f"{self.name}_{'H' if conj else 'T'}"
        if self._scaled_pauli is not None:  # the strings written as terms, then scaled
            return _without_tables(self)._transposed(conj)
        if self._pauli is not None:  # weights conjugated, or (-1)^#Y for the transpose
            op = self._from_pauli(name, self._pauli.adjoint(conj))
        elif self._fermion_strings is not None:  # the strings reversed, daggers flipped
            strings = fermion_algebra.adjoint(self._fermion_strings, conj=conj)
            op = self._from_strings(name, strings, self.dtype, hermitian, reason)
        else:
            op = self._derived(
                name,
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

        op = self._derived(
            f"{self.name}_conj",
            conjugate_terms(self),
            dtype=self.dtype,
            hermitian=self.hermitian,
            reason=self._hermitian_reason,
        )
        if self._fermion_strings is not None:
            op._fermion_strings = fermion_algebra.conjugate(self._fermion_strings)
        if self._pauli is not None:
            op._pauli = self._pauli.conjugate()
        return op

    conjugate = conj

    def assumed_sectors(self) -> tuple[tuple[int, int, int], ...]:
        """The fixed sums of the space that the rows rely on (`sectors.assumed_sectors`:
        sites found by rank among a sector's particles or holes, unchecked); the compiler
        gives the kernel them (`CompiledOperator.assuming_sectors`), so that a row outside
        them is NaN or refused, never another operator's row."""
        if self._assumed_sectors is None:  # the terms do not change: found once
            self._assumed_sectors = assumed_sectors(self.space, self.terms)
        return self._assumed_sectors

    def compile(self, cache: bool = True, **kwargs: Any):
        """The executable operator (see `symir.compiler`): keyword arguments are
        `SymbolicCompilerOptions` fields, and `params={name: value}` gives parameter
        values (required for a `symbol` without a default)."""
        from symir.compiler.entry import compile_operator

        # the cyclic collector paused, as in DOperator.build: a full collection walks
        # every object of the process (the terms of a large operator, JAX's and NetKet's),
        # 0.5 s of the compile of 10,000 terms written one by one
        with gc_paused(), too_deep(self.name):
            compiled = compile_operator(self, cache=cache, **kwargs)
        if not kwargs:
            self._fanout = compiled.max_conn_size
        if self._keeps_sectors is None:  # the terms do not change: proved once
            self._keeps_sectors = keeps_every_sector(self.space, self.terms)
        if self._keeps_sectors and not compiled.keeps_sectors:
            # exchanges and hops of a constrained space: no configuration of the space
            # connects outside it, so the runtime's sector check is left out
            compiled = compiled.keeping_sectors()
        return compiled.with_source(self)


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
        self._join_strings(flat)

    def _join_strings(self, flat: list[SymbolicOperator]) -> None:
        """The fermion or Pauli strings of the sum, where every operand keeps them."""
        if all(op._fermion_strings is not None for op in flat):
            self._fermion_strings = fermion_algebra.joined([op._fermion_strings for op in flat])
        if all(op._pauli is not None for op in flat):
            self._pauli = pauli_algebra.joined([op._pauli for op in flat])


def _without_tables(op: SymbolicOperator) -> SymbolicOperator:
    """`op`, or for Pauli strings (`pauli_strings`' `flip_sites` tables, which the
    general product cannot compose) the same strings written one term per string
    (`pauli_terms.written_terms`), times its symbolic factor where it has one."""
    if op._scaled_pauli is not None:
        strings, factor = op._scaled_pauli
        return _without_tables(strings)._scaled(factor)
    strings = op._pauli
    if strings is None:
        return op
    from symir.errors import SymbolicDefinitionError
    from symir.frontend.pauli_tables import _down_state
    from symir.frontend.pauli_terms import MAX_WRITTEN_STRINGS, written_terms

    count = len(strings.weights)
    if count > MAX_WRITTEN_STRINGS:
        raise SymbolicDefinitionError(
            f"the product of {op.name!r} ({count} Pauli strings) with an operator that is "
            f"not Pauli strings: the strings are multiplied as terms, one per string, up "
            f"to {MAX_WRITTEN_STRINGS} (about 1 s of build and compile each); write the "
            "other operator as Pauli strings (a product of strings is multiplied site by "
            "site), or multiply NetKet's operators (`op.to_netket() @ other.to_netket()`)"
        )
    down = _down_state(op.hilbert, strings.states)
    up = next(s for s in strings.states if s != down)
    terms = written_terms(strings.letters, strings.weights, down, up)
    written = SymbolicOperator(op.hilbert, op.name, terms, dtype=op.dtype, hermitian=op.hermitian)
    check_definition(written)
    return written


@contextmanager
def too_deep(name: str):
    """A RecursionError inside (an expression nested past Python's recursion limit in
    the compiler's walks) as a SymbolicDefinitionError that says what to write instead."""
    from symir.errors import SymbolicDefinitionError

    try:
        yield
    except RecursionError:
        raise SymbolicDefinitionError(
            f"operator {name!r}: an expression is nested too deeply for the compiler (past "
            "Python's recursion limit): a sum or product of hundreds of terms written as one "
            "expression, such as sum(w[i] * site(i) * site(i + 1) for i in ...); write its "
            "terms as rows (for_each) or as terms of their own"
        ) from None
