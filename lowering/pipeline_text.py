"""Textual pipelines: the `symir-opt -p` syntax, for the compiler too.

A pipeline is xDSL's pass-pipeline text (`xdsl.utils.arg_spec.parse_pipeline`: passes
separated by commas, each with optional `{key=value ...}` options), read against every
registered pass (`symir.lowering.get_all_passes`: symir's, xDSL's generic ones and those
of installed plugin packages). `symir-lower` stands for the default lowering; it takes
the `LoweringOptions` fields as options, and two more that insert passes into it without
retyping it:

    symir-lower{after=branch-fuse-equal-states:my-pass}
    symir-lower{before=convert-branch-to-stablehlo:my-pass after=cse:other-pass}
    symir-lower{after="branch-sort-rows:my-pass{threshold=2},cse"}

`after=ANCHOR:PASSES` / `before=ANCHOR:PASSES` put PASSES (a pipeline of their own, with
options when quoted) right after / before the pass ANCHOR of the default lowering (its
first occurrence; `cse#2` names the second); several insertions are separated by commas.
`expand` replaces every `symir-lower` of a pass list by its inner passes, so that
`--print-between-passes`, the levels check and the lowering's records see each of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, replace
from typing import Any

from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import ArgSpec, parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

DEFAULT_PIPELINE = "symir-lower"
"""The default lowering, as a pipeline."""
LOWER = "symir-lower"
INSERTION_FIELDS = ("after", "before")

_BARE_INSERTION = re.compile(r"(?<=[=,])([A-Za-z0-9_.-]+(?:#[0-9]+)?:[A-Za-z0-9_.-]+)(?=[,}\s])")


class PipelineError(ValueError):
    """A pipeline that cannot be built: a syntax error, an unknown pass or option, a
    bad insertion, or passes in an order that gives one of them the wrong level."""


def quote_insertions(text: str) -> str:
    """`text` with every bare `anchor:pass` option value quoted, so that xDSL's lexer
    (which has no `:` token) reads `symir-lower{after=a:b}` as `after="a:b"`."""
    return _BARE_INSERTION.sub(r'"\1"', text)


def parse_specs(text: str) -> list[ArgSpec]:
    """The pass specs of `text` (xDSL's pipeline syntax; bare insertions quoted)."""
    try:
        return list(parse_pipeline(quote_insertions(text)))
    except ArgSpecParseError as e:
        raise PipelineError(f"cannot parse the pipeline {text!r}: {e}") from None


def _build(spec: ArgSpec, available: dict[str, Callable[[], type[ModulePass]]]) -> ModulePass:
    if spec.name not in available:
        import difflib

        close = difflib.get_close_matches(spec.name, available, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise PipelineError(
            f"unknown pass {spec.name!r}{hint}; the passes are listed by `symir-opt --help` "
            "(another package's passes are found through its `xdsl.universe` entry point)"
        )
    cls = available[spec.name]()
    try:
        return cls.from_pass_spec(spec)
    except Exception as e:
        raise PipelineError(f"pass {spec.name!r}: bad options {spec}: {e}") from None


def _insertions(values: Sequence[str], option: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        anchor, sep, passes = str(value).partition(":")
        if not sep or not anchor or not passes:
            raise PipelineError(
                f"symir-lower{{{option}=...}}: expected ANCHOR:PASSES (e.g. "
                f"{option}=branch-fuse-equal-states:my-pass), got {value!r}"
            )
        out.append((anchor, passes))
    return out


def _anchor_index(names: list[str], anchor: str, option: str) -> int:
    name, _, k = anchor.partition("#")
    seen = 0
    for i, n in enumerate(names):
        if n == name:
            seen += 1
            if seen == (int(k) if k else 1):
                return i
    raise PipelineError(
        f"symir-lower{{{option}={anchor}:...}}: the default lowering has no pass {anchor!r} "
        f"(its passes, for these options: {', '.join(names)})"
    )


def insert_passes(
    inner: Sequence[ModulePass],
    after: Sequence[str] = (),
    before: Sequence[str] = (),
    available: dict[str, Callable[[], type[ModulePass]]] | None = None,
) -> tuple[ModulePass, ...]:
    """`inner` (the default lowering's passes) with the `after` / `before` insertions
    (`ANCHOR:PASSES` each) made; anchors are names of `inner`, never inserted passes."""
    if not after and not before:
        return tuple(inner)
    available = available if available is not None else _available()
    names = [p.name for p in inner]
    slots: list[list[ModulePass]] = [[] for _ in range(len(inner) + 1)]
    # slot i holds what goes right before inner[i] (slot len: after the last pass)
    for option, values in (("before", before), ("after", after)):
        for anchor, text in _insertions(values, option):
            i = _anchor_index(names, anchor, option)
            built = [_build(s, available) for s in parse_specs(text)]
            slots[i if option == "before" else i + 1].extend(built)
    out: list[ModulePass] = []
    for i, p in enumerate(inner):
        out.extend(slots[i])
        out.append(p)
    out.extend(slots[-1])
    return tuple(out)


def _available() -> dict[str, Callable[[], type[ModulePass]]]:
    from symir.lowering import get_all_passes

    return get_all_passes()


def lower_passes(lowering: Any, spec_pass: Any = None) -> tuple[ModulePass, ...]:
    """The inner passes of `symir-lower` for the options `lowering` (its `passes()`:
    a subclass that overrides it is obeyed), with the insertions of `spec_pass` (a
    `SymirLowerPass`) or of `lowering` itself when it is one."""
    source = spec_pass if spec_pass is not None else lowering
    inner = lowering.passes()
    return insert_passes(inner, getattr(source, "after", ()), getattr(source, "before", ()))


def expand(passes: Iterable[ModulePass]) -> tuple[ModulePass, ...]:
    """`passes` with every `symir-lower` replaced by its inner passes (and insertions)."""
    out: list[ModulePass] = []
    for p in passes:
        if p.name == LOWER and callable(getattr(p, "passes", None)):
            out.extend(expand(lower_passes(p)))
        else:
            out.append(p)
    return tuple(out)


def build_pipeline(
    text: str,
    options: Any,
    available: dict[str, Callable[[], type[ModulePass]]] | None = None,
) -> tuple[ModulePass, ...]:
    """The flat pass list of the pipeline `text`. `symir-lower` in it is the default
    lowering for `options` (a `LoweringOptions`, or a subclass whose `passes()` is
    obeyed) with the options written in the text replacing the fields of `options`, and
    its insertions made."""
    available = available if available is not None else _available()
    out: list[ModulePass] = []
    for spec in parse_specs(text):
        if spec.name != LOWER:
            out.append(_build(spec, available))
            continue
        parsed = _build(spec, available)
        given = set(spec.normalize_parameter_names().parameters)
        lowering_fields = {f.name for f in fields(options)} - {"pipeline", *INSERTION_FIELDS}
        overrides = {k: getattr(parsed, k) for k in given & lowering_fields}
        try:
            lowering = replace(options, **overrides) if overrides else options
        except (TypeError, ValueError) as e:
            raise PipelineError(f"symir-lower: bad options {spec}: {e}") from None
        out.extend(lower_passes(lowering, parsed))
    return tuple(out)


def pass_specs(passes: Iterable[ModulePass]) -> tuple[str, ...]:
    """Each pass as its full textual spec, default options written (for cache keys)."""
    out = []
    for p in passes:
        try:
            spec = str(p.pipeline_pass_spec(include_default=True))
        except Exception:  # a pass whose fields are not pass options
            spec = f"{p.name}<{type(p).__module__}.{type(p).__qualname__}:{p!r}>"
        out.append(spec)
    return tuple(out)


__all__ = [
    "DEFAULT_PIPELINE",
    "PipelineError",
    "build_pipeline",
    "expand",
    "insert_passes",
    "lower_passes",
    "parse_specs",
    "pass_specs",
    "quote_insertions",
]
