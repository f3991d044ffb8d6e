"""The op tables of the docs pages, generated from the code, so that a new op or rule needs
no row written by hand: `python docs/gen_tables.py` rewrites them, `--check` says which is
stale (`tests/unit/test_docs_tables.py` runs the check).

A table lives in its page between `<!-- generated: NAME -->` and `<!-- end: NAME -->`:

- `sym-expression-ops` (docs/dialects/sym.md): every op of `sym.EXPRESSION_OPS`, with the
  `mlir` example and the first paragraph of its docstring;
- `stablehlo-<module>` (docs/dialects/stablehlo.md): the ops each module of
  `dialects/stablehlo/` defines, with the first paragraph of the docstring and the
  `branch` elementwise ops it is the one-op lowering of (`ELEMENTWISE` of
  `convert-branch-to-stablehlo`);
- `derivative-rules` (docs/derivatives.md): the rules of `DERIVATIVES`, one row per rule
  function with the mnemonics it differentiates and its docstring.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
EXAMPLE = re.compile(r"```mlir\n(.*?)```", re.S)


def summary(doc: str | None) -> str:
    """The first paragraph of a docstring on one line, with `|` escaped for a table."""
    first = (doc or "").strip().split("\n\n", 1)[0]
    return " ".join(first.split()).replace("|", "\\|")


def example(op: type) -> str:
    """The line of the op's docstring example that uses the op."""
    block = EXAMPLE.search(op.__doc__ or "")
    lines = block[1].splitlines() if block else []
    line = next((x.strip() for x in lines if op.name in x), "")
    return f"`{line}`".replace("|", "\\|") if line else ""


def sym_expression_ops() -> str:
    from symir.dialects import sym

    rows = [
        f"| `{op.name}` | {example(op)} | {summary(op.__doc__)} |"
        for op in sym.EXPRESSION_OPS.values()
    ]
    return "\n".join(["| op | syntax | meaning |", "|---|---|---|", *rows])


def stablehlo_module(module_name: str) -> Callable[[], str]:
    def table() -> str:
        from symir.dialects import stablehlo
        from symir.dialects.registry import operations_defined_in
        from symir.lowering.conversion.convert_branch_to_stablehlo import ELEMENTWISE

        lowering_of: dict[type, list[str]] = {}
        for source, target in ELEMENTWISE.items():
            lowering_of.setdefault(target, []).append(f"`{source.name}`")
        module = getattr(stablehlo, module_name)
        rows = [
            f"| `{op.name}` | {summary(op.__doc__)} | {', '.join(lowering_of.get(op, [])) or '—'} |"
            for op in operations_defined_in(module)
        ]
        return "\n".join(["| op | what it does | one-op lowering of |", "|---|---|---|", *rows])

    return table


def derivative_rules() -> str:
    from symir.lowering.derivatives import DERIVATIVES

    by_rule: dict[Callable, list[str]] = {}
    for mnemonic, rule in DERIVATIVES.items():
        by_rule.setdefault(rule, []).append(f"`{mnemonic}`")
    rows = [f"| {', '.join(names)} | {summary(rule.__doc__)} |" for rule, names in by_rule.items()]
    return "\n".join(["| op | tangent |", "|---|---|", *rows])


TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    "sym-expression-ops": ("dialects/sym.md", sym_expression_ops),
    **{
        f"stablehlo-{m}": ("dialects/stablehlo.md", stablehlo_module(m))
        for m in ("elementwise", "tensor", "indexing", "contraction", "reduction")
    },
    "derivative-rules": ("derivatives.md", derivative_rules),
}
"""Table name -> (its page under docs/, the function that makes it)."""


def regenerate(text: str, name: str, table: str) -> str:
    """`text` with the table `name` replaced by `table`; a page without the markers of
    `name` raises ValueError."""
    begin, end = f"<!-- generated: {name} -->", f"<!-- end: {name} -->"
    if begin not in text or end not in text:
        raise ValueError(f"no '{begin}' ... '{end}' markers")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def stale() -> list[str]:
    """The tables whose page does not hold what the code generates now."""
    found = []
    for name, (page, make) in TABLES.items():
        text = (DOCS / page).read_text()
        if regenerate(text, name, make()) != text:
            found.append(f"{name} in docs/{page}")
    return found


def main(argv: list[str]) -> int:
    if "--check" in argv:
        names = stale()
        for name in names:
            print(f"stale: {name} (run python docs/gen_tables.py)")
        return 1 if names else 0
    for name, (page, make) in TABLES.items():
        path = DOCS / page
        path.write_text(regenerate(path.read_text(), name, make()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
