"""Textual pipelines: the `symir-opt -p` syntax, for the compiler too.

A pipeline is xDSL's pass-pipeline text (`xdsl.utils.arg_spec.parse_pipeline`: passes
separated by commas, each with optional `{key=value ...}` options), read against every
registered pass (`symir.lowering.get_all_passes`: symir's, xDSL's generic ones and those
of installed plugin packages). `symir-lower` stands for the default lowering; it takes
the `LoweringOptions` fields as options, and two more that insert passes into it without
retyping it:

    symir-lower{after=branch-fuse-equal-states:my-pass}
    symir-lower{before=convert-branch-to-stablehlo:my-pass after=cse:other-pass}
    symir-lower{after=branch-fuse-equal-states:my-pass,cse#2:other-pass}
    symir-lower{after="branch-sort-rows:my-pass{threshold=2},cse"}
    symir-lower{force_fusion="xx+yy","p+q"}

`after=ANCHOR:PASSES` / `before=ANCHOR:PASSES` put PASSES (a pipeline of their own, with
options when quoted) right after / before the pass ANCHOR of the default lowering (its
first occurrence; `cse#2` names the second). The options of a pass are separated by
spaces, as in xDSL, or by commas (`{after=a:p,before=b:q}`: a comma followed by `name=`
starts the next option); the values of one option (several insertions, several merge
groups) by commas. A value that is not a bare name or `ANCHOR:PASS` is quoted: a merge
group `"xx+yy"`, a pass with options. Syntax errors point into the text as typed.
`expand` replaces every `symir-lower` of a pass list by its inner passes, so that
`--print-between-passes`, the levels check and the lowering's records see each of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, is_dataclass, replace
from typing import Any

from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import ArgSpec, parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

DEFAULT_PIPELINE = "symir-lower"
"""The default lowering, as a pipeline."""
LOWER = "symir-lower"
INSERTION_FIELDS = ("after", "before")

_BARE_INSERTION = re.compile(r"[A-Za-z0-9_.-]+(?:#[0-9]+)?:[A-Za-z0-9_.-]+(?=[,}\s]|$)")
"""A bare `anchor:pass` option value (xDSL's lexer has no `:`: it is quoted for it)."""
_NEXT_OPTION = re.compile(r",\s*[A-Za-z0-9_-]+\s*=")
"""A comma that starts the next option of a pass (xDSL wants a space there)."""
_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"?')
_XDSL_LOCATION = re.compile(r"^pass-pipeline:\d+:(\d+)$", re.M)


class PipelineError(ValueError):
    """A pipeline that cannot be built: a syntax error, an unknown pass or option, a
    bad insertion, or passes in an order that gives one of them the wrong level."""


def _to_xdsl(text: str) -> tuple[str, list[int]]:
    """`text` in xDSL's pipeline syntax, and for each character of that (and its end)
    the index in `text` it comes from: inside `{...}`, a bare `anchor:pass` value is
    quoted (`after=a:b` is read as `after="a:b"`) and a comma before the next option is
    read as the space xDSL wants (`{after=a:b,before=c:d}`); quoted strings are kept."""
    out: list[str] = []
    origin: list[int] = []
    depth = i = 0
    while i < len(text):
        c = text[i]
        bare = _BARE_INSERTION.match(text, i) if depth and text[i - 1] in "=," else None
        if c == '"':
            end = _STRING.match(text, i).end()  # type: ignore[union-attr]
            out.append(text[i:end])
            origin.extend(range(i, end))
            i = end
        elif bare is not None:
            out.append(f'"{bare.group()}"')
            origin.extend([i, *range(i, bare.end()), bare.end()])
            i = bare.end()
        else:
            depth += {"{": 1, "}": -1}.get(c, 0)
            out.append(" " if depth and _NEXT_OPTION.match(text, i) else c)
            origin.append(i)
            i += 1
    origin.append(len(text))
    return "".join(out), origin


def quote_insertions(text: str) -> str:
    """`text` in xDSL's pipeline syntax: every bare `anchor:pass` option value quoted, so
    that xDSL's lexer (which has no `:`) reads `symir-lower{after=a:b}` as `after="a:b"`,
    and a comma between two options read as a space (`_to_xdsl`)."""
    return _to_xdsl(text)[0]


def _syntax_error(text: str, error: ArgSpecParseError) -> str:
    """xDSL's report of a syntax error in `_to_xdsl(text)`, pointing into `text` as the
    user typed it, with a hint for an unquoted merge group (`a+b`)."""
    _, origin = _to_xdsl(text)
    found = _XDSL_LOCATION.search(str(error))
    if found is None:
        return f"cannot parse the pipeline {text!r}: {error}"
    at = origin[min(int(found.group(1)) - 1, len(origin) - 1)]
    what = str(error).strip().splitlines()[-1].strip()  # under xDSL's caret
    message = f"cannot parse the pipeline at column {at + 1}: {what}\n{text}\n{' ' * at}^"
    start = max(text.rfind(c, 0, at) for c in "=,{ ") + 1
    value = re.match(r"[^\s{},=\"]*", text[start:]).group()  # type: ignore[union-attr]
    if "+" in value:
        message += (
            f"\nhint: a merge group (emissions joined by '+') must be quoted: \"{value}\"; "
            'several are separated by commas: symir-lower{force_fusion="xx+yy","p+q"}'
        )
    return message


def parse_specs(text: str) -> list[ArgSpec]:
    """The pass specs of `text` (xDSL's pipeline syntax, read by `_to_xdsl`); a syntax
    error is a `PipelineError` that points into `text` as typed, and so is an option
    given twice to one pass (xDSL keeps the last silently: `{target=cpu target=gpu}`)."""
    converted = quote_insertions(text)
    try:
        specs = list(parse_pipeline(converted))
    except ArgSpecParseError as e:
        raise PipelineError(_syntax_error(text, e)) from None
    _refuse_repeated_options(converted)
    return specs


_OPTION_NAME = re.compile(r"([A-Za-z0-9_-]+)\s*=")


def _refuse_repeated_options(converted: str) -> None:
    """A `PipelineError` naming the first option given twice inside one `{...}` of the
    xDSL text `converted` (quoted values skipped; `-` and `_` in a name are one)."""
    depth, k, start, names = 0, 0, 0, set()
    while k < len(converted):
        c = converted[k]
        if c == '"':
            k = _STRING.match(converted, k).end()  # type: ignore[union-attr]
            continue
        if c == "{":
            depth += 1
            if depth == 1:
                start, names = k, set()
        elif c == "}":
            depth -= 1
        elif depth == 1 and (converted[k - 1] in "{ \t"):
            found = _OPTION_NAME.match(converted, k)
            if found:
                name = found.group(1).replace("-", "_")
                if name in names:
                    owner = re.findall(r"[A-Za-z0-9_.-]+$", converted[:start].rstrip())
                    raise PipelineError(
                        f"pass {owner[-1] if owner else '?'!r} is given the option {name!r} "
                        "twice; give it once (several values of one option are separated "
                        'by commas: symir-lower{force_fusion="xx+yy","p+q"})'
                    )
                names.add(name)
        k += 1


def _build(spec: ArgSpec, available: dict[str, Callable[[], type[ModulePass]]]) -> ModulePass:
    from symir.lowering import pass_clashes

    if spec.name in pass_clashes():
        raise PipelineError(pass_clashes()[spec.name])
    if spec.name not in available:
        raise PipelineError(
            f"unknown pass {spec.name!r}{_did_you_mean(spec.name, available)}; the passes "
            "are listed by `symir-opt --help` (another package's passes are found through "
            "its `xdsl.universe` entry point)"
        )
    cls = available[spec.name]()
    names = [f.name for f in fields(cls)] if is_dataclass(cls) else None
    for given in spec.normalize_parameter_names().parameters:
        if names is not None and given not in names:
            raise PipelineError(
                f"pass {spec.name!r} has no option {given!r}{_did_you_mean(given, names)}; "
                f"its options: {', '.join(names) or 'none'}"
            )
    try:
        return cls.from_pass_spec(spec)
    except Exception as e:
        raise PipelineError(f"pass {spec.name!r}: bad options: {e}") from None


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean a, b?)`: the names of `known` close to `name` (difflib), or ``."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


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


def build_passes(
    text: str, available: dict[str, Callable[[], type[ModulePass]]] | None = None
) -> tuple[ModulePass, ...]:
    """The passes the pipeline `text` names, as written (`symir-lower` not expanded:
    `expand`), each built from `available` (default: every registered pass); raises
    `PipelineError` (a syntax error pointing into `text`, an unknown pass with the
    names it may be a misspelling of, bad options)."""
    available = available if available is not None else _available()
    return tuple(_build(spec, available) for spec in parse_specs(text))


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
    "build_passes",
    "build_pipeline",
    "expand",
    "insert_passes",
    "lower_passes",
    "parse_specs",
    "pass_specs",
    "quote_insertions",
]
