"""`symir`: the command line. `symir demo` is the main job of the README."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def demo(n_sites: int = 16, batch: int = 4096, h: float = 1.0, seed: int = 0) -> int:
    """Builds a periodic transverse-field Ising chain, prints every IR level, runs it and
    checks it against the reference interpreter."""
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
    start = time.perf_counter()
    levels = lower_ir(ir).levels
    lowering_ms = (time.perf_counter() - start) * 1e3
    for level in ("sym", "branch", "stablehlo"):
        print(f"// ===== {level} =====")
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
    print(f"operator: {compiled}")
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
    args = parser.parse_args(argv)
    if args.command == "demo":
        sys.exit(demo(args.sites, args.batch, args.h))


if __name__ == "__main__":
    main()
