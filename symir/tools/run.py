"""``symir-run``: verify or execute a StableHLO module (as printed by xDSL) through JAX.

Usage::

    symir-run --verify-only FILE|-        # jaxlib parse + verify; print jaxlib's form
    symir-run FILE|- --input '[[1, 2], [3, 4]]:int8' [--input ...]
    symir-run FILE|- --print-module --input ...   # jaxlib's form, then the results

Inputs are JSON nested lists (or a scalar) followed by ``:`` and a numpy dtype name.
For complex dtypes the innermost elements are ``[re, im]`` pairs.

Each result of ``@main`` is printed as ``resultN: (shape) dtype`` followed by its values
in a fixed ``numpy.array2string`` format (full precision, no summarisation), so that lit
tests can FileCheck them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import numpy as np

_PRINT_OPTIONS = {
    "separator": ", ",
    "threshold": sys.maxsize,
    "max_line_width": 10_000,
    "floatmode": "unique",
}


def parse_input(spec: str) -> np.ndarray:
    """``'[[1, 2], [3, 4]]:int8'`` -> numpy array."""
    values, sep, dtype = spec.rpartition(":")
    if not sep:
        raise ValueError(f"--input {spec!r}: expected '<json>:<dtype>'")
    try:
        dt = np.dtype(dtype.strip())
    except TypeError as e:
        raise ValueError(f"--input {spec!r}: unknown dtype {dtype!r}") from e
    try:
        data = json.loads(values)
    except json.JSONDecodeError as e:
        raise ValueError(f"--input {spec!r}: invalid JSON: {e}") from e
    try:
        if dt.kind == "c":
            arr = np.asarray(data, dtype=np.float64)
            if arr.shape[-1:] != (2,):
                raise ValueError(f"--input {spec!r}: complex values must be [re, im] pairs")
            return (arr[..., 0] + 1j * arr[..., 1]).astype(dt)
        return np.asarray(data, dtype=dt)
    except (OverflowError, TypeError) as e:  # 300 for int8, a string for float64
        raise ValueError(f"--input {spec!r}: {e}") from e


_OTHER_LEVEL = re.compile(r"Dialect `(sym|branch)['`] not found[^\n]*")


def explain(error: Exception) -> str:
    """The message of `error`; jaxlib's for a module of sym or branch IR (a dialect it
    does not know) says to lower it first."""
    message = str(error)
    m = _OTHER_LEVEL.search(message)
    if m is None:
        return message
    return (
        f"the module holds {m.group(1)} IR (jaxlib: {m.group(0).strip()}); symir-run "
        "executes StableHLO: lower it first (symir-opt FILE -p symir-lower | symir-run - ...)"
    )


def format_result(name: str, value) -> str:
    arr = np.asarray(value)
    shape = "(" + ", ".join(str(d) for d in arr.shape) + ("," if arr.ndim == 1 else "") + ")"
    body = np.array2string(arr, **_PRINT_OPTIONS)
    return f"{name}: {shape} {arr.dtype}\n{body}"


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path) as f:
        return f.read()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="symir-run", description="Verify or execute a StableHLO module through JAX."
    )
    ap.add_argument("file", help="module text file, or '-' for stdin")
    ap.add_argument(
        "--verify-only",
        action="store_true",
        help="parse and verify with jaxlib and print jaxlib's form of the module",
    )
    ap.add_argument(
        "--print-module",
        action="store_true",
        help="print jaxlib's form of the module (as --verify-only does), then execute it",
    )
    ap.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="JSON:DTYPE",
        help="an argument of @main, e.g. '[[1, -1]]:int8' (repeat for each argument)",
    )
    args = ap.parse_args(argv)

    from symir.runtime.stablehlo_exec import (
        StableHLOError,
        load_stablehlo,
        verify_and_print,
    )

    try:
        text = _read(args.file)
        if args.verify_only or args.print_module:
            sys.stdout.write(verify_and_print(text))
        if args.verify_only:
            return 0
        inputs = [parse_input(s) for s in args.input]
        module = load_stablehlo(text)
        outs = module(*inputs)
        if len(module.out_specs) == 1:
            outs = (outs,)
        for i, out in enumerate(outs):
            print(format_result(f"result{i}", out))
    except (StableHLOError, ValueError, OSError) as e:
        print(f"symir-run: error: {explain(e)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
