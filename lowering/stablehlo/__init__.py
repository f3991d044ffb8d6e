"""`symir.lowering.stablehlo`: passes on the `stablehlo` level (`stablehlo` -> `stablehlo`).

- `stablehlo_outline_constants.py`: `stablehlo-outline-constants`, the large constant
  tables of `@main` become its last arguments, their values kept beside the module and
  bound by the runtime at every call (the printed kernel does not grow with the terms).
"""
