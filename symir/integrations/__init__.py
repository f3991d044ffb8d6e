"""`symir.integrations`: adapters of compiled operators to other frameworks.

- `netket.py`: `to_netket`, a `CompiledOperator` as a NetKet `DiscreteJaxOperator`
  (NetKet is the optional extra `symir[netket]`).

An integration may import the runtime; the runtime never imports an integration: it
finds one by name through the `symir.integrations` entry point
(`symir.runtime.integrations.integration`). Adding one: a module here with a callable
`(compiled_operator, **options) -> object`, registered in `pyproject.toml` under
`[project.entry-points."symir.integrations"]`, with its tests in tests/unit/symir/ and a
section in docs/runtime.md.
"""
