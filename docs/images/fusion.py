"""Draws `docs/images/fusion.svg`: the fan-out F and the `get_conn_padded` time of a few
models compiled with fusion off (`enable_fusion=False`) and on (the default).

A small measurement (periodic chains of 16 spins, a batch of 1024 random configurations,
the median of 20 jitted calls after a warm-up), drawn as plain SVG (no library).
Regenerate: `.venv/bin/python docs/images/fusion.py` (a few seconds; the times depend on
the machine, F does not). The full study is `benchmarks/fusion.py` (docs/benchmarks.md).
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path
from xml.sax.saxutils import escape

import jax
import numpy as np

import symir as sym

OUT = Path(__file__).with_suffix(".svg")
N, BATCH, ROUNDS = 16, 1024, 20
site = sym.site


def pauli_bonds(name, *, xx=0.0, yy=0.0, zz=0.0, hx=0.0):
    """`sum_<ij> xx X_i X_j + yy Y_i Y_j + zz Z_i Z_j - hx sum_i X_i`, one term per product."""
    bonds = [(i, (i + 1) % N) for i in range(N)]
    si, sj = site("i"), site("j")
    flip = sym.write("i", -si).write("j", -sj)
    b = sym.DOperator(sym.Spin(0.5, N), name, hermitian=True)
    if xx:
        b.for_each(("i", "j"), over=bonds).emit(flip, matrix_element=xx)
    if yy:
        b.for_each(("i", "j"), over=bonds).emit(flip, matrix_element=-yy * si * sj)
    if zz:
        b.for_each(("i", "j"), over=bonds).emit(sym.identity(), matrix_element=zz * si * sj)
    if hx:
        b.for_each_site("i").emit(sym.write("i", -site("i")), matrix_element=-hx)
    return b.build()


MODELS = {
    "Heisenberg (xx+yy+zz)": pauli_bonds("heisenberg", xx=1.0, yy=1.0, zz=1.0),
    "XY (xx+yy)": pauli_bonds("xy", xx=1.0, yy=1.0),
    "XXZ + field": pauli_bonds("xxz", xx=1.0, yy=1.0, zz=0.4, hx=0.5),
}


def median_ms(compiled, x) -> float:
    f = jax.jit(compiled.get_conn_padded)
    jax.block_until_ready(f(x))
    times = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        jax.block_until_ready(f(x))
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def measure() -> list[tuple[str, int, int, float, float]]:
    x = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), size=(BATCH, N))
    rows = []
    for name, op in MODELS.items():
        off, on = op.compile(enable_fusion=False), op.compile()
        rows.append(
            (name, off.max_conn_size, on.max_conn_size, median_ms(off, x), median_ms(on, x))
        )
    return rows


W, ROW, LEFT, BAR = 760, 58, 190, 240
OFF, ON = "#b0bec5", "#1e88e5"


def _text(x: float, y: float, s: str, size: int = 12, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="sans-serif"{extra}>{escape(s)}</text>'


def _bars(x0: float, y: float, a: float, b: float, top: float, fmt: str) -> list[str]:
    out = []
    for k, (v, colour) in enumerate(((a, OFF), (b, ON))):
        w = BAR * v / top
        yy = y + 18 * k
        out.append(f'<rect x="{x0}" y="{yy}" width="{w:.1f}" height="14" fill="{colour}"/>')
        out.append(_text(x0 + w + 4, yy + 11, fmt.format(v), 11))
    return out


def render(rows) -> str:
    height = 90 + ROW * len(rows) + 30
    x_f, x_t = LEFT, LEFT + BAR + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" viewBox="0 0 {W} {height}">',
        f'<rect width="{W}" height="{height}" fill="white"/>',
        _text(10, 22, f"Fusion off / on: periodic chains of {N} spins", 15, font_weight="bold"),
        _text(x_f, 50, "fan-out F", 13, font_weight="bold"),
        _text(x_t, 50, f"get_conn_padded, batch {BATCH} (ms)", 13, font_weight="bold"),
    ]
    f_top = max(max(r[1], r[2]) for r in rows)
    t_top = max(max(r[3], r[4]) for r in rows)
    for k, (name, f_off, f_on, t_off, t_on) in enumerate(rows):
        y = 66 + ROW * k
        parts.append(_text(10, y + 20, name, 12))
        parts += _bars(x_f, y, f_off, f_on, f_top, "{:.0f}")
        parts += _bars(x_t, y, t_off, t_on, t_top, "{:.2f}")
    y = height - 16
    parts += [
        f'<rect x="10" y="{y - 10}" width="12" height="12" fill="{OFF}"/>',
        _text(26, y, "enable_fusion=False", 11),
        f'<rect x="160" y="{y - 10}" width="12" height="12" fill="{ON}"/>',
        _text(176, y, "fusion on (default)", 11),
        _text(
            330, y, f"measured on {platform.machine()}, jax {jax.__version__}", 11, fill="#607d8b"
        ),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def main() -> None:
    rows = measure()
    for row in rows:
        print("{:24s} F {:3d} -> {:3d}   {:7.3f} ms -> {:7.3f} ms".format(*row))
    OUT.write_text(render(rows))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
