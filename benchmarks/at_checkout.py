"""Run a benchmark script with symir imported from another checkout, all of it.

`PYTHONPATH=<checkout>` alone is not enough with this repository's editable install:
`symir` comes from `<checkout>`, but `symir.lowering` and `symir.dialects` are not
folders of `<checkout>/symir`, so the install's finder maps them to the folders of the
worktree the virtual environment was made for, and the run mixes the two checkouts'
lowering. Here the finder is pointed at `<checkout>` before anything is imported:

    .venv/bin/python benchmarks/at_checkout.py /tmp/base benchmarks/first_result.py \\
        --model couplings --terms 85000 --sites 40 --seed 19

(`<checkout>` a copy of another commit: `git archive <commit> | tar -x -C /tmp/base`.)
"""

from __future__ import annotations

import os
import runpy
import sys


def point_at(root: str) -> None:
    """Imports of `symir`, `symir.lowering`, `symir.dialects` (and the top-level
    `lowering`, `dialects`) from the checkout at `root`; an error when an import was made
    already or no editable finder of symir is installed."""
    if any(m == "symir" or m.startswith("symir.") for m in sys.modules):
        sys.exit("symir is imported already: point_at must run first")
    # the finder of an editable install keeps its mapping (package -> folder) in its
    # module, `__editable___symir_<version>_finder`
    modules = [sys.modules.get(getattr(f, "__module__", "")) for f in sys.meta_path]
    mappings = [getattr(m, "MAPPING", None) for m in modules]
    mappings = [m for m in mappings if isinstance(m, dict) and "symir" in m]
    if not mappings:
        sys.exit("no editable install of symir found (its finder maps `symir`)")
    folders = {"symir": "symir", "symir.lowering": "lowering", "symir.dialects": "dialects"}
    for mapping in mappings:
        for name, folder in folders.items():
            mapping[name] = os.path.join(root, folder)
    sys.path.insert(0, root)


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, script = os.path.abspath(sys.argv[1]), sys.argv[2]
    if not os.path.isdir(os.path.join(root, "symir")):
        sys.exit(f"{root} is not a checkout of symir (no symir/ folder)")
    point_at(root)
    sys.argv = sys.argv[2:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
