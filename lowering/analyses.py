"""What passes report: analyses, their printed form, and the one fingerprint.

A pass that finds something the compiler (or a user) wants to know (the fan-out of each
term, the terms it merged, the validation summary) reports it as an *analysis*: a name and
a value made of booleans, integers, strings, lists and string-keyed dicts. An analysis is
written onto the `builtin.module` as the discardable attribute `<dialect>.<name>` (MLIR's
convention for pass results), so `symir-opt` prints it and a lit test can `CHECK` it:

    builtin.module attributes {sym.fanout_analysis = {term_fanouts = {a = 3 : i64}, ...}}

This module is the whole protocol, public and the same for built-in and installed passes:

- `write_analysis(module, name, value)`: what a pass calls (or it sets the attribute
  itself: `op.attributes["sym.emission_count"] = IntegerAttr(1, i64)` is the same);
- `read_analyses(module)`: the analyses a module carries, as Python values (a record's
  fields are entries of their own: `sym.normalization = {ir_fingerprint = ...}` gives
  `normalization` and `ir_fingerprint`);
- `take_analyses(module)`: removes them and returns the attributes. `SymbolicCompiler`
  calls it right after each pass it runs on the `sym` level: the values go to
  `context.analyses` (and `artifact.analyses`), the attributes are written back only when
  the `sym` level is printed (`artifact.ir("sym")`, `annotate`), so the module the
  compiler fingerprints, memoizes and lowers is always the plain operator;
- `ANALYSES`: the built-in analyses, which pass writes each and what its fields mean
  (docs/compiler.md lists them; a test checks that every analysis a built-in pass writes
  is here);
- `fingerprint(module)`: the one fingerprint of IR, SHA-256 of the module's structure
  (SSA names and analyses dropped, large dense arrays by the digest of their bytes): `SymbolicOperatorIR.static_fingerprint`, the
  `ir_fingerprint` of `symbolic-normalization` and the compiler's cache key all use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from io import StringIO
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DenseArrayBase,
    DictionaryAttr,
    Float64Type,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    i1,
    i64,
)
from xdsl.ir import Attribute, Operation
from xdsl.printer import Printer

from symir.dialects.printing import MIN_FAST, ArrayPrinter

DIALECTS = ("sym", "branch")
"""An analysis attribute is named `<dialect>.<name>` for one of these dialects: the level
the pass that wrote it reads."""


@dataclass(frozen=True)
class Analysis:
    """A built-in analysis: the attribute it is printed as, the pass that writes it, and
    its fields (name -> meaning; empty for a value that is not a record)."""

    attribute: str
    written_by: str
    doc: str
    fields: Mapping[str, str]
    record: bool = False
    """Whether `read_analyses` also gives each field as an entry of its own."""


ANALYSES: dict[str, Analysis] = {
    "validation_summary": Analysis(
        "sym.validation_summary",
        "symbolic-validation",
        "what validation found",
        {
            "ok": "no error was found",
            "errors": "each error's message (with its code)",
            "warnings": "each warning's message (with its code)",
            "required_parameters": "the parameters without a default",
            "term_count": "the operator's terms",
        },
    ),
    "normalization": Analysis(
        "sym.normalization",
        "symbolic-normalization",
        "the canonical form's identity and what normalizing changed",
        {
            "ir_fingerprint": "`fingerprint` of the normalized module",
            "term_order": "the term names in canonical order",
            "resolved_backend": "the backend the cache key holds (`jax`)",
            "folded": "ops folded to constants (xDSL's canonicalize)",
            "removed": "ops removed as dead",
            "reordered": "commutative ops whose operands were put in canonical order",
            "scheduled": "blocks whose ops were put in canonical order",
        },
        record=True,
    ),
    "fanout_analysis": Analysis(
        "sym.fanout_analysis",
        "symbolic-fanout-analysis",
        "the static fan-out before the lowering",
        {
            "term_fanouts": "term -> its fan-out (its hint, else rows x emissions)",
            "total_fanout": "their sum",
        },
        record=True,
    ),
    "merged_row_terms": Analysis(
        "sym.merged_row_terms",
        "sym-merge-row-terms",
        "kept term -> the terms it absorbed (written only where terms merged)",
        {},
    ),
    "tabulation": Analysis(
        "sym.tabulation",
        "sym-tabulate-terms",
        "what tabulation did to the terms of one shape (written where it found a group)",
        {
            "terms": "[terms before, terms after]",
            "tabulated": "kept term -> the terms it absorbed into its table",
            "decisions": "every group of terms of one shape, tabulated or not and why",
        },
    ),
    "fusion": Analysis(
        "branch.fusion",
        "branch-fuse-equal-states",
        "kernel -> what fusion did to it",
        {
            "fanout": "[F before, F after]",
            "bytes_per_sample": "[bytes written per sample before, after]",
            "merged": "the slots merged: their emissions, terms and rows",
            "decisions": "every candidate pair of emissions, merged or not and why",
        },
    ),
}
"""The analyses the built-in passes write, by name."""


# ----------------------------------------------------------------- values <-> attributes


def to_attribute(value: Any) -> Attribute:
    """The attribute of an analysis value (bool, int, str, list/tuple, str-keyed dict)."""
    if isinstance(value, bool):
        return BoolAttr.from_bool(value)
    if isinstance(value, int):
        return IntegerAttr(value, i64)
    if isinstance(value, str):
        return StringAttr(value)
    if isinstance(value, dict):
        return DictionaryAttr({str(k): to_attribute(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return ArrayAttr([to_attribute(v) for v in value])
    raise TypeError(f"an analysis value is a bool, int, str, list or dict, not {value!r}")


def from_attribute(attr: Attribute) -> Any:
    """The Python value of an analysis attribute (`to_attribute`'s inverse)."""
    if isinstance(attr, IntegerAttr):
        return bool(attr.value.data) if attr.type == i1 else attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, DictionaryAttr):
        return {k: from_attribute(v) for k, v in attr.data.items()}
    if isinstance(attr, ArrayAttr):
        return [from_attribute(v) for v in attr.data]
    raise TypeError(f"not an analysis value: {attr}")


# --------------------------------------------------------------------------- the protocol


def is_analysis(key: str) -> bool:
    """Whether a module attribute's name is an analysis's (`<dialect>.<name>`)."""
    dialect, dot, _ = key.partition(".")
    return bool(dot) and dialect in DIALECTS


def write_analysis(module: ModuleOp, name: str, value: Any, dialect: str = "sym") -> None:
    """Reports the analysis `name`: the attribute `<dialect>.<name>` of `module`."""
    if dialect not in DIALECTS:
        raise ValueError(f"an analysis is written by a pass of {DIALECTS}, not {dialect!r}")
    module.attributes[f"{dialect}.{name}"] = to_attribute(value)


def read_analysis(module: ModuleOp, name: str, dialect: str = "sym") -> Any:
    """The value of one analysis of `module`, or None when it carries none."""
    attr = module.attributes.get(f"{dialect}.{name}")
    return from_attribute(attr) if attr is not None else None


def read_analyses(module: ModuleOp | Mapping[str, Attribute]) -> dict[str, Any]:
    """The analyses `module` carries (or the attributes `take_analyses` took), by name
    (the attribute `sym.<name>` is the entry `<name>`), with the fields of a record
    (`ANALYSES[...].record`) as entries too."""
    attributes = module.attributes if isinstance(module, ModuleOp) else module
    found: dict[str, Any] = {}
    for key, attr in attributes.items():
        if not is_analysis(key):
            continue
        name = key.partition(".")[2]
        try:
            found[name] = from_attribute(attr)
        except TypeError:
            continue  # an attribute of that dialect that is no analysis value
        known = ANALYSES.get(name)
        if known is not None and known.record and isinstance(found[name], dict):
            found.update(found[name])
    return found


def take_analyses(module: ModuleOp) -> dict[str, Attribute]:
    """Removes the analyses from `module`; returns their attributes (`read_analyses`
    reads them, `annotate` puts them back)."""
    taken = {k: v for k, v in module.attributes.items() if is_analysis(k)}
    for key in taken:
        del module.attributes[key]
    return taken


def annotate(module: ModuleOp, attributes: Mapping[str, Attribute]) -> ModuleOp:
    """`module` with the analysis attributes `attributes` written onto it (in place)."""
    module.attributes.update(attributes)
    return module


def without_analyses(module: ModuleOp) -> ModuleOp:
    """A clone of `module` without its analyses."""
    clone = module.clone()
    take_analyses(clone)
    return clone


class _DigestPrinter(ArrayPrinter):
    """The printer of `attribute_digest_text` (the attributes `fingerprint` does not
    write itself, the normalization's operand keys): a large dense array of integers or
    finite floats (a coefficient table of 10^5 entries) printed as its element type and
    the SHA-256 of its bytes, not as its numbers. Those are the arrays whose printed text
    reads back to the same bytes (`_reads_back`), so an attribute and its
    printed-and-parsed copy print alike."""

    def print_attribute(self, attribute: Attribute) -> None:
        if isinstance(attribute, DenseArrayBase) and len(attribute) >= MIN_FAST:
            if _reads_back(attribute):
                self.print_string("array<")
                Printer.print_attribute(self, attribute.elt_type)
                digest = hashlib.sha256(attribute.data.data).hexdigest()
                self.print_string(f": sha256 {digest}>")
                return
        super().print_attribute(attribute)


def _reads_back(attribute: DenseArrayBase) -> bool:
    """Whether the array's printed text reads back to its bytes: signless integers of 8
    to 64 bits, or finite `f64`s."""
    t = attribute.elt_type
    if isinstance(t, IntegerType):
        return t.width.data in (8, 16, 32, 64) and t.signedness.data == Signedness.SIGNLESS
    data = attribute.data.data
    return isinstance(t, Float64Type) and bool(np.isfinite(np.frombuffer(data, "<f8")).all())


def attribute_digest_text(attribute: Attribute) -> str:
    """`attribute` as `fingerprint` prints it: its printed text, a large dense array of
    integers or finite floats as its element type and the SHA-256 of its bytes."""
    out = StringIO()
    _DigestPrinter(stream=out).print_attribute(attribute)
    return out.getvalue()


def fingerprint(module: ModuleOp) -> str:
    """SHA-256 of the module's structure, SSA names and analyses dropped, so equal
    operators, however written and whatever passes reported on them, fingerprint equally.
    The one fingerprint of IR (`SymbolicOperatorIR.static_fingerprint`).

    Read from the ops themselves, not from their printed text (which took 0.24 s of the
    0.27 at 56 spin orbitals, where the IR is fingerprinted twice per compile): each op's
    name, its operands by number (values numbered as they are first met), its properties
    and attributes (one sorted list of names and texts: `attribute_digest_text`, large
    dense arrays by the digest of their bytes, each distinct attribute printed once),
    its results' types and its regions' blocks with their arguments' types and names.
    What tells two modules' printed text apart tells their fingerprints apart; a module
    and its printed-and-parsed copy, custom or generic, fingerprint alike."""
    structure = _Structure()
    structure.visit(module, top=True)
    return hashlib.sha256("\n".join(structure.parts).encode()).hexdigest()


class _Structure:
    """The lines `fingerprint` hashes, one op after the other."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.texts: dict[int, str] = {}  # by the attribute's id: it lives as long
        self.numbers: dict[object, int] = {}  # values and blocks, as first met

    def text(self, attribute: Attribute) -> str:
        """The attribute as a string that tells it apart from any other: an integer, a
        string, a dense array whose text reads back to its bytes (by its bytes) or an
        array of such (a term's rows: 9,000 dense arrays at 56 spin orbitals, most of
        the time of printing the module) written here, with a tag per kind; any other
        by its printed text (`attribute_digest_text`), once per attribute, after its
        length. Each kind's string delimits itself, so no two attributes, nor two lists
        of them, give the same text."""
        kind = type(attribute)  # exactly (`isinstance` of these generic classes is slow)
        if kind is IntegerAttr:
            return f"#{attribute.value.data}:{self.text(attribute.type)}"
        if kind is ArrayAttr:
            return "[" + ",".join(self.text(a) for a in attribute.data) + "]"
        if kind is StringAttr:
            return "s" + repr(attribute.data)
        if kind is DenseArrayBase and _reads_back(attribute):
            data = attribute.data.data
            digest = data.hex() if len(data) <= 64 else hashlib.sha256(data).hexdigest()
            return f"d{self.text(attribute.elt_type)}:{digest}"
        found = self.texts.get(id(attribute))
        if found is None:  # with its length: any text it holds cannot end it early
            printed = attribute_digest_text(attribute)
            found = self.texts[id(attribute)] = f"t{len(printed)}:{printed}"
        return found

    def number(self, value: object) -> str:
        found = self.numbers.get(value)
        if found is None:
            found = self.numbers[value] = len(self.numbers)
        return str(found)

    def visit(self, op: Operation, top: bool = False) -> None:
        entries = [*op.properties.items(), *op.attributes.items()]
        if top:
            entries = [(k, v) for k, v in entries if not is_analysis(k)]
        entries.sort(key=lambda entry: entry[0])
        self.parts.append(op.name)
        self.parts.append(",".join(self.number(v) for v in op.operands))
        self.parts.append(",".join(f"{k}={self.text(v)}" for k, v in entries))
        for r in op.results:
            self.number(r)
        self.parts.append(",".join(self.text(r.type) for r in op.results))
        self.parts.append(",".join(self.number(b) for b in op.successors))
        for region in op.regions:
            self.parts.append("{")
            for block in region.blocks:
                self.number(block)
                args = (f"{a.name_hint}:{self.text(a.type)}" for a in block.args)
                self.parts.append("^" + ",".join(args))
                for a in block.args:
                    self.number(a)
                for inner in block.ops:
                    self.visit(inner)
            self.parts.append("}")


__all__ = [
    "ANALYSES",
    "DIALECTS",
    "Analysis",
    "annotate",
    "attribute_digest_text",
    "fingerprint",
    "from_attribute",
    "is_analysis",
    "read_analyses",
    "read_analysis",
    "take_analyses",
    "to_attribute",
    "without_analyses",
    "write_analysis",
]
