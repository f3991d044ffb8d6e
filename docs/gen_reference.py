"""The generated reference of the docs site: every op of every dialect, every pass, and
every lit file, made from the code at build time.

- `reference/dialects/<d>.md`, one per dialect of `symir.dialects.get_all_dialects()`:
  per op its summary (the docstring), operands and results with their IRDL constraints,
  properties and attributes, regions, traits, assembly format, the `mlir` example of the
  docstring, the verifier messages it can raise (the `invalid.mlir` cases that CHECK them)
  and the lit cases that use it;
- `reference/passes.md`: every pass of `symir.lowering.get_all_passes()` with its level,
  options (dataclass fields, their defaults and docstrings), docstring and lit files;
- `reference/lit/...`: every lit file under `tests/lit/`, one section per `// -----` case,
  which the two pages above link to.

It is an mkdocs hook (`hooks:` in mkdocs.yml): the pages are made in memory, never written
into docs/ (so tests/unit/test_docs.py does not see them), and a missing docstring
example, lit case or pass lit file is logged as a warning, which `mkdocs build --strict`
turns into a failure. `python docs/gen_reference.py OUT` writes the pages under OUT.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import itertools
import logging
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from xdsl.dialects.builtin import ArrayOfConstraint
from xdsl.ir import TypeAttribute
from xdsl.irdl import (
    AllOf,
    AnyAttr,
    AnyOf,
    BaseAttr,
    EqAttrConstraint,
    IRDLOperation,
    OptOperandDef,
    OptPropertyDef,
    OptResultDef,
    ParamAttrConstraint,
    RangeLengthConstraint,
    RangeOf,
    VarConstraint,
    VarOperandDef,
    VarResultDef,
)

from symir.dialects import get_all_dialects
from symir.lowering import _PASSES, XDSL_PASSES, get_all_passes

ROOT = Path(__file__).resolve().parents[1]
LIT = ROOT / "tests" / "lit"
SPLIT = re.compile(r"^// -----[ \t]*$", re.M)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*\n?", re.S | re.M)
CHECK = re.compile(r"//\s*CHECK(?:-[A-Z]+)?:\s?(.*)")
log = logging.getLogger("mkdocs.hooks.symir_reference")


# --------------------------------------------------------------------------- lit files


@dataclass(frozen=True)
class LitCase:
    """One `// -----` chunk of a lit file (the whole file when it has no split)."""

    file: str
    """Path relative to tests/lit/."""
    number: int
    """1-based position in the file."""
    line: int
    """1-based line of the chunk's first line."""
    text: str
    checks: tuple[str, ...]
    comments: tuple[str, ...]
    """The chunk's own comment lines (not CHECK or RUN lines), without `//`."""
    code: str
    """The chunk without its comment lines."""

    @property
    def anchor(self) -> str:
        return f"case-{self.number}"

    def link(self, from_page: str) -> str:
        """A relative link from the page `from_page` to this case."""
        return f"{_relative(lit_page(self.file), from_page)}#{self.anchor}"


def lit_page(file: str) -> str:
    """The site page of a lit file (`dialects/sym/invalid.mlir` ->
    `reference/lit/dialects/sym/invalid.md`)."""
    return "reference/lit/" + file.removesuffix(".mlir") + ".md"


def _relative(target: str, from_page: str) -> str:
    up = from_page.count("/")
    return "../" * up + target


def lit_files() -> list[str]:
    return sorted(
        p.relative_to(LIT).as_posix() for p in LIT.rglob("*.mlir") if "Output" not in p.parts
    )


def read_cases(file: str) -> list[LitCase]:
    text = (LIT / file).read_text()
    cases, line = [], 1
    for number, chunk in enumerate(SPLIT.split(text), start=1):
        lines = chunk.splitlines()
        comments = tuple(
            c.strip()[2:].strip()
            for c in lines
            if c.strip().startswith("//") and not re.match(r"//\s*(CHECK|RUN)", c.strip())
        )
        code = "\n".join(c for c in lines if not c.strip().startswith("//"))
        checks = tuple(m.group(1).strip() for m in CHECK.finditer(chunk))
        lead = len(chunk) - len(chunk.lstrip("\n"))
        text = chunk.strip("\n")
        cases.append(LitCase(file, number, line + lead, text, checks, comments, code))
        line += chunk.count("\n")
    return cases


def _names_in(text: str, names: set[str]) -> set[str]:
    """The op names of `names` that `text` writes as ops (`x.op` or `"x.op"`, not the
    types `!x.t` or attributes `#x.a`)."""
    found = re.findall(r"(?<![!#\w.])\"?([a-z_]+\.[a-z_0-9]+)\b", text)
    return {n for n in found if n in names}


def case_uses(case: LitCase, names: set[str]) -> set[str]:
    return _names_in(case.code, names)


def case_subjects(case: LitCase, names: set[str]) -> set[str]:
    """The ops an `invalid.mlir` case is about: the op its description starts with
    (`// sym.term: ...`); else those its CHECK lines name; else the one it writes in
    generic form; else the one op of the dialect it uses; else none (a case about the
    dialect as a whole)."""
    m = re.match(r"([a-z_]+\.[a-z_0-9]+)\b", case_title(case))
    if m and m.group(1) in names:
        return {m.group(1)}
    named = _names_in(" ".join(case.checks), names)
    if named:
        return named
    generic = set(re.findall(r"\"([a-z_]+\.[a-z_0-9]+)\"\(", case.code)) & names
    if len(generic) == 1:
        return generic
    used = case_uses(case, names)
    return used if len(used) == 1 else set()


def case_message(case: LitCase) -> str:
    """The diagnostic a case CHECKs, as one line (`{{^}}` anchors dropped)."""
    return " / ".join(c.replace("{{^}}", "") for c in case.checks)


def case_title(case: LitCase) -> str:
    """The case's own description: the comment lines right above its first CHECK line."""
    lines = case.text.splitlines()
    first = next((k for k, c in enumerate(lines) if CHECK.match(c.strip())), 0)
    title: list[str] = []
    for c in reversed(lines[:first]):
        if not c.strip().startswith("//") or re.match(r"//\s*RUN:", c.strip()):
            break
        title.insert(0, c.strip()[2:].strip())
    return " ".join(t for t in title if t)


def render_lit_page(file: str) -> str:
    cases = read_cases(file)
    out = [f"# `tests/lit/{file}`\n"]
    run = [r.strip() for r in re.findall(r"//\s*RUN:(.*)", (LIT / file).read_text())]
    if run:
        out.append("Run as:\n\n" + "\n".join(f"- `{r}`" for r in run) + "\n")
    if len(cases) == 1:
        out.append(
            f'## The file {{ #{cases[0].anchor} }}\n\n```mlir linenums="{cases[0].line}"\n{cases[0].text}\n```\n'
        )
        return "\n".join(out)
    out.append(f"{len(cases)} cases, split by `// -----`.\n")
    for case in cases:
        out.append(f"## Case {case.number} · line {case.line} {{ #{case.anchor} }}\n")
        out.append(f'```mlir linenums="{case.line}"\n{case.text}\n```\n')
    return "\n".join(out)


def render_lit_index() -> str:
    out = [
        "# Lit tests\n",
        "Every lit/FileCheck file under `tests/lit/`, rendered case by case "
        "(see [the lit tests](../../lit-tests.md) for how they run).\n",
    ]
    for file in lit_files():
        cases = read_cases(file)
        target = _relative(lit_page(file), "reference/lit/index.md")
        out.append(f"- [`{file}`]({target}): {len(cases)} case{'s' * (len(cases) != 1)}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- text


CODE_SPAN = re.compile(r"(``.*?``|`[^`]*`)", re.S)


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    return "".join(p if p.startswith("`") else change(p) for p in CODE_SPAN.split(text))


def _escape(text: str) -> str:
    """Markdown text with `<` outside code spans escaped (docstrings write `tensor<...>`)."""
    return _outside_code(text, lambda s: s.replace("<", "&lt;"))


def _cell(text: str) -> str:
    """Text for a table cell: `|` outside code spans escaped, on one line."""
    return _outside_code(text, lambda s: s.replace("|", "\\|")).replace("\n", " ")


def split_docstring(doc: str | None) -> tuple[str, list[str]]:
    """(the text, the `mlir` examples) of a docstring."""
    text = inspect.cleandoc(doc or "")
    examples = [m.group(2).rstrip("\n") for m in FENCE.finditer(text) if m.group(1) == "mlir"]
    prose = FENCE.sub(lambda m: "" if m.group(1) == "mlir" else m.group(0), text)
    return prose.strip(), examples


def name_cell(name: str, anchor: str | None = None) -> str:
    """An op, pass or option name for a table cell, kept on one line: a browser may
    otherwise break a narrow column inside `sym.read_emitted` or
    `branch-merge-exclusive-emissions` (at `.`, `_` or `-`)."""
    code = f'<code style="white-space: nowrap">{name}</code>'
    return code if anchor is None else f"[{code}](#{anchor})"


def summary_line(doc: str | None) -> str:
    prose, _ = split_docstring(doc)
    return _cell(_escape(prose.split("\n\n")[0]))


# --------------------------------------------------------------------------- ops


def _attr_name(cls: type) -> str:
    """symir's own types and attributes by their IR name (`!branch.state`), xDSL's by
    their class (`TensorType`)."""
    if cls.__module__.startswith("symir.") and hasattr(cls, "name"):
        return f"{'!' if issubclass(cls, TypeAttribute) else '#'}{cls.name}"
    return cls.__name__


_CONSTRAINTS: dict[type, Callable[..., str]] = {
    RangeLengthConstraint: lambda c: constraint_text(c.constraint),
    RangeOf: lambda c: constraint_text(c.constr),
    AnyOf: lambda c: " | ".join(constraint_text(a) for a in c.attr_constrs),
    AllOf: lambda c: " & ".join(constraint_text(a) for a in c.attr_constrs),
    EqAttrConstraint: lambda c: str(c.attr),
    BaseAttr: lambda c: _attr_name(c.attr),
    VarConstraint: lambda c: f"{c.name} = {constraint_text(c.constraint)}",
    ParamAttrConstraint: lambda c: (
        f"{_attr_name(c.base_attr)}<{', '.join(constraint_text(p) for p in c.param_constrs)}>"
    ),
    ArrayOfConstraint: lambda c: f"ArrayAttr<{constraint_text(c.elem_range_constraint)}>",
    AnyAttr: lambda c: "any",
}


def constraint_text(constraint: object) -> str:
    """An IRDL constraint as short text (`i64`, `IntegerType | Float64Type`, ...)."""
    for kind, show in _CONSTRAINTS.items():
        if isinstance(constraint, kind):
            return show(constraint)
    return type(constraint).__name__


def _arity(definition: object) -> str:
    if isinstance(definition, OptOperandDef | OptResultDef | OptPropertyDef):
        return "optional"
    if isinstance(definition, VarOperandDef | VarResultDef):
        return "variadic"
    return ""


def _value_table(title: str, defs: list) -> str:
    if not defs:
        return ""
    rows = [f"| {name_cell(n)} | `{constraint_text(d.constr)}` | {_arity(d)} |" for n, d in defs]
    return f"**{title}**\n\n| name | constraint | arity |\n|---|---|---|\n" + "\n".join(rows) + "\n"


def _trait_text(trait: object) -> str:
    parents = getattr(trait, "op_types", None)
    if parents:
        return f"{type(trait).__name__}({', '.join(p.name for p in parents)})"
    return type(trait).__name__


def _defined_by(op: type, method: str) -> type | None:
    """The class of the project that defines `method` for `op`, or None (xDSL's own)."""
    for cls in op.__mro__:
        if cls is IRDLOperation:
            return None
        function = vars(cls).get(method)
        if function is not None and not function.__module__.startswith("xdsl"):
            return cls
    return None


def custom_verifier(op: type) -> Callable | None:
    """The op's own `verify_` (the function `irdl_op_definition` wraps), or None."""
    wrapper = op.verify_
    for cell in wrapper.__closure__ or ():
        value = cell.cell_contents
        if inspect.isfunction(value) and not value.__module__.startswith("xdsl"):
            return value
    return None


def format_text(op: type) -> str:
    definition = op.get_irdl_definition()
    if definition.assembly_format:
        return f"`{definition.assembly_format}`"
    if _defined_by(op, "parse") is not None:
        return "custom (`parse` / `print` of the class): as in the example"
    return "generic form only"


@dataclass
class DialectData:
    """A dialect's ops with what the lit tests say about them."""

    name: str
    ops: list[type]
    uses: dict[str, list[LitCase]]
    """op name -> the cases (not in invalid.mlir) that use it."""
    invalid: dict[str, list[LitCase]]
    """op name -> the invalid.mlir cases about it."""
    other_invalid: list[LitCase]
    """invalid.mlir cases about no single op."""

    @property
    def page(self) -> str:
        return f"reference/dialects/{self.name}.md"


def dialect_data(name: str) -> DialectData:
    ops = list(get_all_dialects()[name]().operations)
    names = {op.name for op in ops}
    uses: dict[str, list[LitCase]] = {n: [] for n in names}
    invalid: dict[str, list[LitCase]] = {n: [] for n in names}
    other: list[LitCase] = []
    for file in lit_files():
        if not file.startswith(f"dialects/{name}/"):
            continue
        for case in read_cases(file):
            if file.endswith("/invalid.mlir"):
                subjects = case_subjects(case, names)
                for n in subjects:
                    invalid[n].append(case)
                if not subjects:
                    other.append(case)
            else:
                for n in case_uses(case, names):
                    uses[n].append(case)
    return DialectData(name, ops, uses, invalid, other)


def _anchor(op_name: str) -> str:
    return op_name.replace(".", "-")


def _source(obj: object) -> str:
    path = Path(inspect.getsourcefile(obj)).resolve()
    line = _first_line(obj, path)
    try:
        return f"{path.relative_to(ROOT).as_posix()}:{line}"
    except ValueError:
        return f"{obj.__module__}:{line}"


def _first_line(obj: object, path: Path) -> int:
    """The line where `obj`'s definition starts (its first decorator), as
    `inspect.getsourcelines` gives it, without parsing the file again for every class."""
    obj = inspect.unwrap(obj) if callable(obj) and not isinstance(obj, type) else obj
    code = getattr(obj, "__code__", None)
    if code is not None:
        return code.co_firstlineno
    return _class_lines(path)[obj.__qualname__]


@functools.cache
def _class_lines(path: Path) -> dict[str, int]:
    """Qualified name -> first line (of its first decorator) of every class in `path`."""
    lines: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = prefix + child.name
                lines[name] = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                visit(child, name + ".")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, prefix + child.name + ".<locals>.")

    visit(ast.parse(path.read_text()), "")
    return lines


def _verifier_text(op: type, data: DialectData) -> str:
    verifier = custom_verifier(op)
    if verifier is None:
        return "the IRDL constraints only"
    sharing = [o for o in data.ops if custom_verifier(o) is verifier and o is not op]
    links = ", ".join(f"[`{o.name}`](#{_anchor(o.name)})" for o in sharing)
    shared = f", shared with {links}" if links else ""
    return f"`{verifier.__qualname__}` (`{_source(verifier)}`){shared}"


def _messages(op: type, data: DialectData) -> str:
    cases = data.invalid[op.name]
    if not cases:
        return "No `invalid.mlir` case is about this op alone.\n"
    lines = []
    for case in cases:
        title = case_title(case).removeprefix(f"{op.name}:").strip()
        prefix = f"{_escape(title)}: " if title else ""
        lines.append(
            f"- {prefix}`{case_message(case)}` ([case {case.number}]({case.link(data.page)}))"
        )
    return "\n".join(lines) + "\n"


GENERATED_TEST = "tests/unit/dialects/test_counterparts.py"
"""The round trip of every generated `branch` counterpart (they need no lit case)."""


def generated_from(op: type) -> type | None:
    """The `sym` op a generated `branch` counterpart is made from (`counterpart_op`)."""
    return getattr(op, "GENERATED_FROM", None)


def _defined_at(op: type) -> str:
    """Where `op` is defined: its class, or for a generated op the factory and the `sym` op
    it is made from."""
    source = generated_from(op)
    if source is None:
        return f"`{op.__module__}.{op.__name__}` (`{_source(op)}`)"
    factory = sys.modules[op.__module__].counterpart_op
    return (
        f"`{op.__module__}.{op.__name__}`, generated by `{factory.__name__}` "
        f"(`{_source(factory)}`) from [`{source.name}`]({source.name.split('.')[0]}.md"
        f"#{_anchor(source.name)}) (`{_source(source)}`)"
    )


def _tested_in(op: type, data: DialectData) -> str:
    by_file: dict[str, list[LitCase]] = {}
    for case in data.uses[op.name]:
        by_file.setdefault(case.file, []).append(case)
    if not by_file:
        if generated_from(op) is not None:
            return f"none; its round trip is generated (`{GENERATED_TEST}`)"
        return "no lit case"
    parts = []
    for file, cases in by_file.items():
        name = file.split("/")[-1]
        if len(read_cases(file)) == 1:
            parts.append(f"[`{name}`]({cases[0].link(data.page)})")
            continue
        links = ", ".join(f"[{c.number}]({c.link(data.page)})" for c in cases)
        parts.append(f"`{name}` (case {links})")
    return "; ".join(parts)


def render_op(op: type, data: DialectData) -> str:
    definition = op.get_irdl_definition()
    prose, examples = split_docstring(op.__doc__)
    out = [
        f"## `{op.name}` {{ #{_anchor(op.name)} }}\n",
        f"{_defined_at(op)}\n",
        _escape(prose) + "\n",
    ]
    out += [f"```mlir\n{example}\n```\n" for example in examples]
    out.append(_value_table("Operands", definition.operands))
    out.append(_value_table("Results", definition.results))
    props = list(definition.properties.items()) + list(definition.attributes.items())
    out.append(_value_table("Properties and attributes", props))
    regions = ", ".join(f"`{n}` ({type(r).__name__})" for n, r in definition.regions)
    # sorted: xDSL keeps the traits in a frozenset, whose order changes from run to run
    traits = sorted(_trait_text(t) for t in definition.traits) + [
        type(o).__name__ for o in definition.options
    ]
    facts = [
        ("Regions", regions),
        ("Traits", ", ".join(f"`{t}`" for t in traits)),
        ("Assembly format", format_text(op)),
        ("Verifier", _verifier_text(op, data)),
        ("Lit cases", _tested_in(op, data)),
    ]
    out.append("\n".join(f"- **{k}**: {v}" for k, v in facts if v) + "\n")
    out.append("**Verifier messages**\n\n" + _messages(op, data))
    return "\n".join(o for o in out if o)


def defining_module(ops: Iterable[type]) -> str:
    """The module or package that defines `ops`: the longest common prefix of their
    modules (`symir.dialects.sym` for the ops of `symir.dialects.sym.structure`, ...)."""
    common: list[str] = []
    for names in zip(*(op.__module__.split(".") for op in ops)):
        if len(set(names)) != 1:
            break
        common.append(names[0])
    return ".".join(common)


def render_dialect(data: DialectData) -> str:
    lines = [
        f"# The `{data.name}` dialect: op reference\n",
        f"Generated from the IRDL definitions in `{defining_module(data.ops)}` and the lit tests "
        f"under [`tests/lit/dialects/{data.name}/`](../lit/index.md); the guide is "
        f"[dialects/{data.name}.md](../../dialects/{data.name}.md).\n",
        "| op | summary |\n|---|---|",
    ]
    lines += [
        f"| {name_cell(op.name, _anchor(op.name))} | {summary_line(op.__doc__)} |"
        for op in data.ops
    ]
    lines.append("")
    lines += [render_op(op, data) for op in data.ops]
    if data.other_invalid:
        lines.append("## Cases about the dialect as a whole { #dialect-cases }\n")
        lines += [
            f"- {_escape(case_title(c))}: `{case_message(c)}` ([case {c.number}]({c.link(data.page)}))"
            for c in data.other_invalid
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- passes


def field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings (a string right after `x: T = ...`) of `cls` and its bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for stmt, after in itertools.pairwise(body):
            doc = getattr(getattr(after, "value", None), "value", None)
            # a docstring is a bare string statement: not the string default of the next field
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(after, ast.Expr)
                and isinstance(doc, str)
            ):
                docs[ast.unparse(stmt.target)] = inspect.cleandoc(doc)
    return docs


def _default_text(field: dataclasses.Field) -> str:
    if field.default is not dataclasses.MISSING:
        return f"`{field.default!r}`"
    if field.default_factory is not dataclasses.MISSING:
        return f"`{field.default_factory()!r}`"
    return "required"


def _options_table(cls: type) -> str:
    fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
    if not fields:
        return "No options.\n"
    docs = field_docs(cls)
    rows = [
        f"| {name_cell(f.name)} | `{getattr(f.type, '__name__', f.type)}` | "
        f"{_cell(_default_text(f))} | {_cell(_escape(docs.get(f.name, '')))} |"
        for f in fields
    ]
    return "| option | type | default | description |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def pass_level(name: str) -> str:
    """The level a pass works on, read from the room of the registry entry."""
    if name not in _PASSES:
        return "any level (xDSL's generic pass)"
    room = _PASSES[name][0].split(".")[0]
    if room == "conversion":
        source, target = re.fullmatch(r"convert-(\w+)-to-(\w+)", name).groups()
        return f"`{source}` → `{target}` (`lowering/conversion/`)"
    if room == "pipelines":
        return "`sym` → `stablehlo`, the whole default lowering (`lowering/pipelines.py`)"
    return f"`{room}` (`lowering/{room}/`)"


def pass_lit_files(name: str) -> list[str]:
    """The lit files named after the pass: `<room>/<name>[-*].mlir` or
    `<room>-<name>[-*].mlir` (`pipelines-symir-lower.mlir`)."""
    found = []
    for file in lit_files():
        stem = file.split("/")[-1].removesuffix(".mlir")
        room = _PASSES.get(name, ("",))[0].split(".")[0]
        if file.startswith("lowering/") and any(
            stem == base or stem.startswith(base + "-") for base in (name, f"{room}-{name}")
        ):
            found.append(file)
    return found


def pass_run_by(name: str) -> list[str]:
    """The lit files whose RUN lines name the pass in a pipeline."""
    pattern = re.compile(rf"RUN:.*-p[ =]?\S*(?<![\w-]){re.escape(name)}(?![\w-])")
    return [f for f in lit_files() if pattern.search((LIT / f).read_text())]


def render_pass(name: str, cls: type) -> str:
    page = "reference/passes.md"
    own = pass_lit_files(name)
    others = [f for f in pass_run_by(name) if f not in own]
    doc = inspect.cleandoc(cls.__doc__ or XDSL_PASSES.get(name, ""))
    module_doc = inspect.cleandoc(sys.modules[cls.__module__].__doc__ or "")
    out = [
        f"## `{name}` {{ #{name} }}\n",
        f"`{cls.__module__}.{cls.__qualname__}` · level: {pass_level(name)}\n",
        _escape(doc) + "\n",
    ]
    if name in _PASSES and module_doc:
        out.append(
            '??? info "From the module\'s docstring"\n\n'
            + textwrap.indent(_escape(module_doc), "    ")
            + "\n"
        )
    out.append("**Options**\n\n" + _options_table(cls))
    links = [f"[`{f}`]({_relative(lit_page(f), page)})" for f in own]
    runs = [f"[`{f}`]({_relative(lit_page(f), page)})" for f in others]
    out.append(f"- **Lit file{'s' * (len(links) > 1)}**: {', '.join(links) or 'none'}")
    if runs:
        out.append(f"- **Also run by**: {', '.join(runs)}")
    return "\n".join(out) + "\n"


def render_passes() -> str:
    passes = get_all_passes()
    order = [*_PASSES, *(n for n in passes if n not in _PASSES)]
    lines = [
        "# Pass reference\n",
        "Generated from the pass registry (`symir.lowering.get_all_passes()`): symir's passes "
        "in registry order, then xDSL's generic ones that symir pipelines use. Options are "
        "given in a pipeline as `-p 'name{option=value}'` (`symir-opt`) or as keyword "
        "arguments of `symir.lowering.make_pass(name, ...)`. The walkthrough with IR before "
        "and after each pass is [passes.md](../passes.md).\n",
        "| pass | level | summary |\n|---|---|---|",
    ]
    classes = {n: passes[n]() for n in order}
    for n in order:
        summary = summary_line(classes[n].__doc__ or XDSL_PASSES.get(n, ""))
        lines.append(f"| {name_cell(n, n)} | {_cell(pass_level(n))} | {summary} |")
    lines.append("")
    lines += [render_pass(n, classes[n]) for n in order]
    return "\n".join(lines)


# --------------------------------------------------------------------------- checks


def missing_examples(ops: Iterable[type]) -> list[str]:
    """The ops whose docstring has no `mlir` example."""
    return [op.name for op in ops if not split_docstring(op.__doc__)[1]]


def uncovered_verifiers(data: DialectData) -> list[str]:
    """The custom verifiers (`verify_`) of a dialect that no `invalid.mlir` case about
    any op using them exercises."""
    covered = {custom_verifier(op) for op in data.ops if data.invalid[op.name]}
    return sorted(
        {
            f"{custom_verifier(op).__qualname__} (of {op.name})"
            for op in data.ops
            if custom_verifier(op) is not None and custom_verifier(op) not in covered
        }
    )


def unused_ops(data: DialectData) -> list[type]:
    """The ops of a dialect that no lit case uses, but for the generated `branch`
    counterparts, whose round trip `GENERATED_TEST` checks."""
    return [op for op in data.ops if not data.uses[op.name] and generated_from(op) is None]


def problems() -> list[str]:
    """What the reference cannot show: an op with no docstring example or no lit case, a
    symir pass with no lit file named after it."""
    found = []
    for name in get_all_dialects():
        data = dialect_data(name)
        found += [
            f"op {n} has no `mlir` example in its docstring" for n in missing_examples(data.ops)
        ]
        found += [
            f"op {op.name} is used by no lit case under tests/lit/dialects/{name}/ "
            "(besides invalid.mlir)"
            for op in unused_ops(data)
        ]
        found += [
            f"verifier {v} has no case in tests/lit/dialects/{name}/invalid.mlir"
            for v in uncovered_verifiers(data)
        ]
    found += [
        f"pass {n} has no lit file tests/lit/lowering/<room>/{n}.mlir"
        for n in _PASSES
        if not pass_lit_files(n)
    ]
    found += [
        f"option {o} has no description (a docstring under the field)"
        for o in undocumented_options()
    ]
    return found


def undocumented_options(names: Iterable[str] | None = None) -> list[str]:
    """The options (`pass.field`) of symir's passes without an attribute docstring."""
    passes = get_all_passes()
    found = []
    for n in _PASSES if names is None else names:
        cls = passes[n]()
        docs = field_docs(cls)
        fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
        found += [f"{n}.{f.name}" for f in fields if not docs.get(f.name)]
    return found


def pages() -> dict[str, str]:
    """Every generated page: site path -> Markdown."""
    out = {
        f"reference/dialects/{n}.md": render_dialect(dialect_data(n)) for n in get_all_dialects()
    }
    out["reference/passes.md"] = render_passes()
    out["reference/lit/index.md"] = render_lit_index()
    out.update({lit_page(f): render_lit_page(f) for f in lit_files()})
    return out


# --------------------------------------------------------------------------- mkdocs hook


def on_files(files, config):
    """mkdocs hook: adds the generated pages to the site."""
    from mkdocs.structure.files import File

    for problem in problems():
        log.warning("reference: %s", problem)
    for uri, text in pages().items():
        files.append(File.generated(config, uri, content=text))
    return files


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/reference")
    for uri, text in pages().items():
        (target / uri).parent.mkdir(parents=True, exist_ok=True)
        (target / uri).write_text(text)
    print(f"{len(pages())} pages written under {target}")
