"""`symir.lowering`: every pass of symir, by level, and the one pass registry.

Rooms (see docs/where-does-my-change-go.md):

- `conversion/`: the passes that change level, `convert-sym-to-branch` and
  `convert-branch-to-stablehlo` (one rewrite pattern per source op);
- `sym/`: passes on the `sym` level (validation, normalization, analyses);
- `branch/`: optimisations on the `branch` level (coalescing, merging, fusing, sorting);
- `stablehlo/`: passes on the `stablehlo` level (large constant tables outlined);
- `pipelines.py`: the default lowering as one composite pass (`symir-lower`) and the
  options every pipeline consumer shares.

Adding a pass: write it as an xDSL `ModulePass` in the room of its level, in a file named
after it (`branch-foo` in `branch/branch_foo.py`), add ONE line to `_PASSES` below, a lit
file `tests/lit/lowering/<room>/branch-foo.mlir` and a section in docs/passes.md (the
checklist: docs/adding-a-pass.md). The registry is lazy: nothing is imported until a
pass is used, so `symir-opt` and `xdsl-opt` start fast and never import JAX. Everything
reads this one registry: `symir-opt`, the stock `xdsl-opt` (through `symir.universe`),
`make_pass`, the default lowering (`pipelines.py`) and the compiler's stages. xDSL's
generic passes that symir uses (`XDSL_PASSES`) are exposed under their xDSL names.

Passes of other packages: any installed package that registers an xDSL `Universe`
through the `xdsl.universe` entry point (as for the stock `xdsl-opt`) adds its passes to
`get_all_passes` (`plugin_universes`, `get_plugin_passes`): `symir-opt`, `make_pass` and
the compiler's pipelines (`symir.lowering.pipeline_text`) can name them; see
docs/your-own-pass.md. Nothing in symir is edited for that. A name registered twice (a
plugin's pass named as one of symir's, or two plugins' passes of one name) is left out
and reported (`pass_clashes`): naming it in a pipeline is an error that names both
packages; every other call works.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import import_module

from xdsl.passes import ModulePass
from xdsl.universe import Universe

_PASSES: dict[str, tuple[str, str]] = {
    # conversions between levels
    "convert-sym-to-branch": ("conversion.convert_sym_to_branch", "ConvertSymToBranchPass"),
    "convert-branch-to-stablehlo": (
        "conversion.convert_branch_to_stablehlo",
        "ConvertBranchToStablehloPass",
    ),
    # sym level
    "symbolic-validation": ("sym.symbolic_validation", "SymbolicValidationPass"),
    "symbolic-normalization": ("sym.symbolic_normalization", "SymbolicNormalizationPass"),
    "symbolic-fanout-analysis": ("sym.symbolic_fanout_analysis", "SymbolicFanoutAnalysisPass"),
    "sym-differentiate": ("sym.sym_differentiate", "SymDifferentiatePass"),
    "sym-merge-row-terms": ("sym.sym_merge_row_terms", "SymMergeRowTermsPass"),
    "sym-lift-constant-sites": ("sym.sym_lift_constant_sites", "SymLiftConstantSitesPass"),
    "sym-tabulate-terms": ("sym.sym_tabulate_terms", "SymTabulateTermsPass"),
    # branch level
    "branch-coalesce-diagonal": ("branch.branch_coalesce_diagonal", "BranchCoalesceDiagonalPass"),
    "branch-merge-exclusive-emissions": (
        "branch.branch_merge_exclusive_emissions",
        "BranchMergeExclusiveEmissionsPass",
    ),
    "branch-sort-summed-rows": ("branch.branch_sort_summed_rows", "BranchSortSummedRowsPass"),
    "branch-fuse-equal-states": ("branch.branch_fuse_equal_states", "BranchFuseEqualStatesPass"),
    "branch-differentiate": ("branch.branch_differentiate", "BranchDifferentiatePass"),
    "branch-return-deltas": ("branch.branch_return_deltas", "BranchReturnDeltasPass"),
    "branch-sort-rows": ("branch.branch_sort_rows", "BranchSortRowsPass"),
    "branch-choose-lowering": ("branch.branch_choose_lowering", "BranchChooseLoweringPass"),
    # stablehlo level
    "stablehlo-outline-constants": (
        "stablehlo.stablehlo_outline_constants",
        "StablehloOutlineConstantsPass",
    ),
    # the default pipeline as one pass
    "symir-lower": ("pipelines", "SymirLowerPass"),
}
"""symir's passes: MLIR-style name -> (module under `symir.lowering`, class name)."""

XDSL_PASSES = {
    "canonicalize": "xDSL: folds ops (sym's expression ops fold) and applies canonical forms.",
    "cse": "xDSL: common-subexpression elimination of pure ops.",
    "dce": "xDSL: removes dead pure ops.",
    "reconcile-unrealized-casts": "xDSL: folds unrealized_conversion_cast chains away.",
}
"""xDSL's own generic passes that symir pipelines use (name -> one-line summary),
exposed under their xDSL names."""


def _lazy(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    def factory() -> type[ModulePass]:
        return getattr(import_module(f"{__name__}.{module}"), cls)

    return factory


def get_symir_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """symir's own passes: name -> factory returning the pass class (imported lazily)."""
    return {name: _lazy(module, cls) for name, (module, cls) in _PASSES.items()}


_BUILTIN_UNIVERSES = ("symir", "xdsl")
"""The `xdsl.universe` entry points that are not plugins: symir's own and xDSL's."""


@lru_cache(maxsize=1)
def plugin_universes() -> dict[str, Universe]:
    """The xDSL universes of the other installed packages: the package (distribution)
    name -> its `Universe`, found through the `xdsl.universe` entry point, as `xdsl-opt`
    finds them (loaded once per process; only the universes, not their passes, are
    imported)."""
    from importlib.metadata import entry_points

    found: dict[str, Universe] = {}
    for ep in sorted(entry_points(group="xdsl.universe"), key=lambda e: e.name):
        if ep.name in _BUILTIN_UNIVERSES:
            continue
        universe = ep.load()
        if not isinstance(universe, Universe):
            raise ValueError(
                f"the xdsl.universe entry point {ep.name!r} ({ep.value}) is not an xDSL Universe"
            )
        package = ep.dist.name if ep.dist is not None else ep.name
        found[package] = universe
    return found


def _clash(name: str, packages: list[str]) -> str:
    """The report of the pass `name` registered by each of `packages`."""
    fix = (
        "symir's default lowering runs symir's own; rename the package's pass"
        if packages[0] == "symir"
        else "rename one of them, or uninstall one package"
    )
    return (
        f"the pass {name!r} is registered by both {' and '.join(map(repr, packages))} "
        f"(xdsl.universe entry points): a pipeline that names it is refused ({fix})"
    )


def _plugin_registry() -> tuple[dict[str, Callable[[], type[ModulePass]]], dict[str, str]]:
    """The plugin packages' passes (name -> factory) but those whose name is taken
    twice, and for each such name the message that says by whom."""
    own = set(_PASSES) | set(XDSL_PASSES)
    owners: dict[str, list[str]] = {}
    factories: dict[str, Callable[[], type[ModulePass]]] = {}
    for package, universe in plugin_universes().items():
        for name, factory in universe.all_passes.items():
            owners.setdefault(name, ["symir"] if name in own else []).append(package)
            factories[name] = factory
    clashes = {name: _clash(name, who) for name, who in owners.items() if len(who) > 1}
    passes = {name: f for name, f in factories.items() if name not in clashes}
    return passes, clashes


def get_plugin_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """The passes the other installed packages register (name -> factory), but a name
    that is symir's own or that two packages register (`pass_clashes`)."""
    return _plugin_registry()[0]


def pass_clashes() -> dict[str, str]:
    """Each pass name registered twice (by a plugin package and symir, or by two plugin
    packages) -> the message that names both. Such a name is refused in a pipeline text
    (`symir.lowering.pipeline_text`); everything else keeps working (xDSL's own
    `Universe.get_multiverse` refuses every call instead)."""
    return _plugin_registry()[1]


_REPORTED: set[str] = set()
"""The clashes `get_all_passes` warned of (each once per process)."""


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Every pass a symir pipeline can name: symir's, xDSL's generic ones, and those of
    every installed package that registers an `xdsl.universe` entry point; a name two
    packages register is left out, with a `PassNameClashWarning` (once per process)."""
    import warnings

    from xdsl.transforms import get_all_passes as xdsl_passes

    from symir.errors import PassNameClashWarning

    for message in pass_clashes().values():
        if message not in _REPORTED:
            _REPORTED.add(message)
            warnings.warn(message, PassNameClashWarning, stacklevel=2)
    generic = xdsl_passes()
    return {
        **{name: generic[name] for name in XDSL_PASSES},
        **get_symir_passes(),
        **get_plugin_passes(),
    }


def make_pass(name: str, **options: object) -> ModulePass:
    """The pass registered as `name`, built with `options` (its dataclass fields)."""
    passes = get_all_passes()
    if name not in passes and name in pass_clashes():
        raise KeyError(pass_clashes()[name])
    if name not in passes:
        raise KeyError(f"no pass named {name!r}; the passes are {sorted(passes)}")
    return passes[name]()(**options)


__all__ = [
    "XDSL_PASSES",
    "get_all_passes",
    "get_plugin_passes",
    "get_symir_passes",
    "make_pass",
    "pass_clashes",
    "plugin_universes",
]
