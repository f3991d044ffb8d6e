"""`symir`: the command line. `symir demo` is the main job of the README."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

LEVELS = {
    "sym": (
        "the operator as written, one op per DSL construct: a `sym.term` per iterator "
        "(`@zz` over the {n} bonds, `@x` over the {n} sites) holding its row table, and per "
        "emission an update region (how x' is made from x) and an amplitude region (the "
        "matrix element); verified, fingerprinted, the cache key"
    ),
    "branch": (
        "one `branch.kernel`: the operator vectorised over a batch of configurations, each "
        "term reading its sites through its row table, values as tensors of branches; the "
        "branch passes have summed every "
        "diagonal branch into one slot, so the fan-out is F = N + 1 = {f}"
    ),
    "stablehlo": (
        "the kernel JAX runs: `@main(x: tensor<?x{n}xi8>, h)` returning x' (?x{f}x{n}) and "
        "the matrix elements (?x{f}); `?` is the batch, the same compiled module serves "
        "every batch size"
    ),
}
"""What each level printed by `symir demo` is (docs/index.md has the full story)."""


def _explain(text: str, width: int = 88) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width - 3, initial_indent="// ", subsequent_indent="// "))


def demo(
    n_sites: int = 16, batch: int = 4096, h: float = 1.0, seed: int = 0, show_ir: bool = True
) -> int:
    """Builds a periodic transverse-field Ising chain, says what it built, prints every
    IR level with what it is, runs it and checks it against the reference interpreter."""
    import symir as sym
    from symir.interpreter import reference_get_conn_padded
    from symir.lowering.pipelines import lower_ir
    from symir.testing import first_difference

    hi = sym.Spin(0.5, n_sites)
    edges = [(i, (i + 1) % n_sites) for i in range(n_sites)]
    op = (
        sym.DOperator(hi, "tfim", hermitian=True)
        .for_each(("i", "j"), over=edges)
        .named("zz")
        .emit(sym.identity(), matrix_element=sym.site("i") * sym.site("j"))
        .for_each_site("i")
        .named("x")
        .emit(sym.write("i", -sym.site("i")), matrix_element=-sym.symbol("h", h))
        .build()
    )
    ir = op.to_ir()
    print(
        _explain(
            f"symir demo: the transverse-field Ising chain H = sum_i Z_i Z_(i+1) - h sum_i "
            f"X_i on {n_sites} spin-1/2 sites with periodic boundaries, h = {h}, written "
            "with the DSL (two terms: `zz` on the bonds, `x` on the sites), lowered level by "
            "level, compiled to a JAX kernel, run on a random batch and checked against "
            "the reference interpreter."
        )
    )
    start = time.perf_counter()
    levels = lower_ir(ir).levels
    lowering_ms = (time.perf_counter() - start) * 1e3
    for level in ("sym", "branch", "stablehlo"):
        print(f"// ===== {level} =====")
        print(_explain(LEVELS[level].format(n=n_sites, f=n_sites + 1)))
        if show_ir:
            print(levels[level])

    start = time.perf_counter()
    compiled = op.compile()
    compile_s = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array(hi.local_states, dtype=np.int8), size=(batch, n_sites))
    xp, mels = compiled.get_conn_padded(x)
    xp, mels = np.asarray(xp), np.asarray(mels)  # first call: includes XLA compilation

    checked = min(batch, 256)
    reference = reference_get_conn_padded(ir, x[:checked])
    found = first_difference((xp[:checked], mels[:checked]), reference, x[:checked])
    if found is not None:
        print(f"MISMATCH with the reference interpreter: {found}", file=sys.stderr)
        return 1

    rounds = []
    for _ in range(20):
        t0 = time.perf_counter()
        out = compiled.get_conn_padded(x)
        out[1].block_until_ready()
        rounds.append(time.perf_counter() - t0)
    median = float(np.median(rounds))

    print("// ===== result =====")
    print(f"operator: {op!r}")
    print(f"compiled: {compiled}")
    print(f"fingerprint: {ir.static_fingerprint()}")
    print(f"fan-out F = {compiled.max_conn_size} (N + 1 = {n_sites + 1})")
    print(f"x[0]     = {x[0].tolist()}")
    print(f"mels[0]  = {mels[0].tolist()}")
    print(f"xp[0][1] = {xp[0][1].tolist()}")
    print(f"checked {checked} samples against the reference interpreter: OK")
    print(f"passes: {lowering_ms:.1f} ms; compile incl. XLA: {compile_s * 1e3:.0f} ms")
    print(
        f"get_conn_padded: batch {batch}: median {median * 1e3:.3f} ms "
        f"({batch / median / 1e6:.2f} M samples/s)"
    )
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="symir", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="build, print, run and check a transverse-field Ising chain")
    d.add_argument("--sites", type=int, default=16)
    d.add_argument("--batch", type=int, default=4096)
    d.add_argument("--h", type=float, default=1.0)
    d.add_argument(
        "--no-ir", action="store_true", help="say what each level is without printing its IR"
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        sys.exit(demo(args.sites, args.batch, args.h, show_ir=not args.no_ir))


if __name__ == "__main__":
    main()
