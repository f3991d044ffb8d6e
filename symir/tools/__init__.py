"""`symir.tools`: symir's commands (the `[project.scripts]` of `pyproject.toml`).

- `cli.py`: `symir` (`symir demo`, the README's main job);
- `opt.py`: `symir-opt`, xDSL's opt driver with symir's dialects and passes (from the
  universe), plain one-line errors, and a readable `--help`; it never imports JAX;
- `run.py`: `symir-run`, verifies or executes a StableHLO module through JAX.

Adding a command: a module here with a `main()`, one line in `[project.scripts]`, a lit
test that runs it, and a line in `.ci/wheel-smoke` that runs it from the built wheel.
Passes and dialects are not registered here: they come from `symir.lowering` and
`symir.dialects` through `symir.universe`.
"""
