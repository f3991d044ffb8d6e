"""Draws the level diagram of the docs, `docs/images/levels.svg` (plain SVG, no library).

Regenerate after changing it: `.venv/bin/python docs/images/levels.py`.
tests/unit/test_docs_site.py checks that the committed SVG is what this script draws.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

OUT = Path(__file__).with_suffix(".svg")

# (title, what it is, where it lives, fill colour)
LEVELS = [
    (
        "Python DSL",
        'DOperator(hilbert).for_each_site("i").where(...).emit(...).build()',
        "symir/frontend/",
        "#eceff1",
    ),
    (
        "sym",
        "operator · terms (iterator rows) · where · emissions · updates · expressions",
        "dialects/sym/ · passes: lowering/sym/ (validation, normalization, analyses)",
        "#e3f2fd",
    ),
    (
        "branch",
        "vectorised over a batch: one kernel, branch states, emits, concatenation",
        "dialects/branch/ · passes: lowering/branch/ (coalesce, merge, sort)",
        "#e8f5e9",
    ),
    (
        "stablehlo",
        "func.func @main(%x: tensor<?xNxiK>, params...) -> (x', mels)",
        "dialects/stablehlo/ · the batch dimension ? stays dynamic",
        "#fff3e0",
    ),
    (
        "JAX",
        "CompiledOperator.get_conn_padded(x) → (x' (..., F, N), mels (..., F))",
        "symir/runtime/",
        "#fce4ec",
    ),
]
# the arrow below each level but the last: (label, where it lives)
STEPS = [
    ("op.to_ir()", "symir/frontend/emit.py"),
    ("convert-sym-to-branch", "lowering/conversion/"),
    ("convert-branch-to-stablehlo", "lowering/conversion/"),
    ("jaxlib", "symir/runtime/"),
]

WIDTH, LEFT, BOX_W, BOX_H, GAP, TOP = 880, 190, 670, 72, 46, 20
SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
MONO = "ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'DejaVu Sans Mono', monospace"


def _text(x: float, y: float, s: str, size: int, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'  <text x="{x}" y="{y}" font-size="{size}"{extra}>{escape(s)}</text>'


def _box(k: int) -> list[str]:
    title, what, where, fill = LEVELS[k]
    y = TOP + k * (BOX_H + GAP)
    return [
        f'  <rect x="{LEFT}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" '
        f'fill="{fill}" stroke="#546e7a" stroke-width="1.5"/>',
        _text(LEFT + 14, y + 24, title, 17, font_weight="bold", font_family=SANS),
        _text(LEFT + 14, y + 45, what, 12.5, font_family=MONO, fill="#263238"),
        _text(LEFT + 14, y + 63, where, 11.5, font_family=SANS, fill="#607d8b"),
    ]


def _arrow(k: int) -> list[str]:
    label, where = STEPS[k]
    y0 = TOP + k * (BOX_H + GAP) + BOX_H
    x = LEFT + 60
    return [
        f'  <line x1="{x}" y1="{y0 + 2}" x2="{x}" y2="{y0 + GAP - 8}" stroke="#37474f" '
        'stroke-width="2" marker-end="url(#head)"/>',
        _text(x + 14, y0 + GAP / 2 + 4, label, 13, font_family=MONO, font_weight="bold"),
        _text(
            x + 14 + 8.2 * len(label) + 12,
            y0 + GAP / 2 + 4,
            where,
            11.5,
            font_family=SANS,
            fill="#607d8b",
        ),
    ]


def _pipeline_bracket() -> list[str]:
    """`symir-lower`, the default lowering as one pass, spans sym -> stablehlo."""
    y0 = TOP + 1 * (BOX_H + GAP) + BOX_H / 2
    y1 = TOP + 3 * (BOX_H + GAP) + BOX_H / 2
    x = LEFT - 24
    mid = (y0 + y1) / 2
    return [
        f'  <path d="M {x + 12} {y0} H {x} V {y1} H {x + 12}" fill="none" stroke="#37474f" '
        'stroke-width="1.5"/>',
        _text(
            x - 10,
            mid - 8,
            "symir-lower",
            13,
            font_family=MONO,
            font_weight="bold",
            text_anchor="end",
        ),
        _text(
            x - 10,
            mid + 10,
            "lowering/pipelines.py",
            11.5,
            font_family=SANS,
            fill="#607d8b",
            text_anchor="end",
        ),
        _text(
            x - 10,
            mid + 26,
            "op.compile()",
            11.5,
            font_family=MONO,
            fill="#607d8b",
            text_anchor="end",
        ),
    ]


def render() -> str:
    height = TOP * 2 + len(LEVELS) * BOX_H + (len(LEVELS) - 1) * GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="symir levels">',
        "  <title>symir: the levels, from the Python DSL to JAX</title>",
        '  <defs><marker id="head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#37474f"/>'
        "</marker></defs>",
        f'  <rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for k in range(len(LEVELS)):
        parts += _box(k)
    for k in range(len(STEPS)):
        parts += _arrow(k)
    parts += _pipeline_bracket()
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.write_text(render())
    print(f"wrote {out}")
