"""`symir-opt`: xDSL's opt driver, with symir's dialects and passes and plain errors.

The dialects and passes come from symir's xDSL universe (`symir.universe`, registered as
an `xdsl.universe` entry point), exactly as the stock `xdsl-opt` finds them; this driver
adds: the passes of every installed package that registers an `xdsl.universe` entry
point (listed by `--help` under their package); `symir-lower` expanded into its inner
passes (`--print-between-passes` shows each); the level of the IR checked before each
pass (a pass given another level is an error); the input verified even when no pass
runs; and a bad input or a failing pass gives one line on stderr and exit status 1, not
a traceback (set `SYMIR_DEBUG=1` for the traceback). It never imports JAX.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from dataclasses import fields

from xdsl.utils.exceptions import (
    ArgSpecParseError,
    DiagnosticException,
    ParseError,
    VerifyException,
)
from xdsl.xdsl_opt_main import xDSLOptMain

from symir.dialects.dominance import check_dominance
from symir.dialects.locations import (
    located_failure,
    located_parse_error,
    located_verify_error,
)
from symir.dialects.module_checks import check_declarations
from symir.dialects.parsing import parse_module
from symir.lowering.pipeline_text import PipelineError


def _summary(name: str, factory) -> str:
    """The first line of the pass's docstring, and its options with their defaults."""
    from symir.lowering import XDSL_PASSES

    if name in XDSL_PASSES:
        return XDSL_PASSES[name]
    cls = factory()
    doc = (cls.__doc__ or "").strip().splitlines()[0]
    options = " ".join(f"{f.name}={getattr(cls, f.name)}" for f in fields(cls))
    return f"{doc} {{{options}}}" if options else doc


def _sections(available) -> list[tuple[str, list[str]]]:
    """The passes grouped by the package that registers them: symir's (and xDSL's
    generic ones), then each plugin package's (`xdsl.universe` entry points)."""
    from symir.lowering import get_plugin_passes, plugin_universes

    plugin_passes = get_plugin_passes()  # not a name two packages register
    sections: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for package, universe in plugin_universes().items():
        names = [n for n in universe.all_passes if n in available and n in plugin_passes]
        seen.update(names)
        sections.append((f"passes of {package} (xdsl.universe plugin)", names))
    own = [n for n in available if n not in seen]
    return [("passes of symir", own), *sections]


def _pass_list(available) -> str:
    """The epilog of `--help`: every pass with its summary, grouped by package."""
    width = max(len(n) for n in available)
    return "\n\n".join(
        f"{title}:\n"
        + "\n".join(f"  {name:<{width}}  {_summary(name, available[name])}" for name in names)
        for title, names in _sections(available)
    )


class SymirOptMain(xDSLOptMain):
    """`xdsl-opt` limited to symir's passes (and xDSL's generic ones symir uses), that
    verifies its input before the passes run."""

    def register_all_dialects(self):
        """The dialects of every `xdsl.universe` (xDSL's, symir's, the plugins'); a
        name registered twice keeps its first definition, where xDSL's own
        `Universe.get_multiverse` refuses every call."""
        from symir.universe import all_dialects

        for name, factory in all_dialects().items():
            self.ctx.register_dialect(name, factory)

    def register_all_targets(self):
        from symir.universe import all_targets

        for name, factory in all_targets().items():
            self.available_targets.setdefault(name, factory)

    def register_all_passes(self):
        """symir's passes (`symir.lowering.get_all_passes`); a pass name registered
        twice is reported once (a warning) and refused only where a pipeline names it."""
        from symir.lowering import get_all_passes

        for name, factory in get_all_passes().items():
            self.register_pass(name, factory)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser):
        super().register_all_arguments(arg_parser)
        for action in arg_parser._actions:
            if "--passes" in action.option_strings:
                action.help = (
                    "comma-separated passes, each with optional {options}, e.g. "
                    "'convert-sym-to-branch{x_dtype=i16},branch-coalesce-diagonal' "
                    "(the passes are listed below)"
                )
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter
        print_help = arg_parser.print_help

        def print_help_with_passes(file=None):
            # the list imports every pass module (a second and more): only for --help
            arg_parser.epilog = _pass_list(self.available_passes)
            print_help(file)

        arg_parser.print_help = print_help_with_passes

    def setup_pipeline(self):
        """The pipeline of `-p`, read by `symir.lowering.pipeline_text` (errors point
        into the text as typed; an unknown pass names the close ones), with every
        `symir-lower` expanded into its inner passes (so that `--print-between-passes`
        prints the IR after each, under its name) and the level of the module checked
        before each pass (`symir.lowering.levels`)."""
        from xdsl.passes import PassPipeline

        from symir.lowering.levels import LevelCheck
        from symir.lowering.pipeline_text import build_passes, expand

        passes = build_passes(self.args.passes, self.available_passes)
        self.args.passes = ""
        super().setup_pipeline()  # an empty pipeline with xDSL's callback (verification,
        # --print-between-passes, --time-passes), which ours runs
        self.pipeline = PassPipeline(expand(passes), LevelCheck(self.pipeline.callback))

    def parse_chunk(self, chunk, file_extension: str, start_offset: int = 0):
        """xDSL's parse of an `.mlir` chunk, through `symir.dialects.parsing.parse_module`
        (a diagnostic, never a crash or a hang inside xDSL's parser)."""
        if file_extension != "mlir":
            return super().parse_chunk(chunk, file_extension, start_offset)
        data = chunk.read()
        text = data.decode(errors="replace") if isinstance(data, bytes) else data
        return parse_module(
            self.ctx,
            text,
            self.get_input_name(),
            implicit_module=not self.args.no_implicit_module,
            line_offset=start_offset,
        )

    def apply_passes(self, prog):
        try:
            prog.verify()
        except VerifyException as e:
            # where: the op's file:line:col, the source line and a caret (MLIR's form)
            e.located = located_verify_error(prog, e)  # type: ignore[attr-defined]
            raise
        check_dominance(prog)  # xDSL's verifier accepts a use before its definition
        check_declarations(prog)  # a body-less public func.func (MLIR refuses it)
        super().apply_passes(prog)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A Python warning as one line on stderr (a pass name two packages register)."""
    print(f"symir-opt: warning: {message}", file=sys.stderr)


def main(args: list[str] | None = None) -> None:
    warnings.showwarning = _show_warning
    try:
        SymirOptMain(
            description=(
                "symir modular optimizer driver: reads sym, branch or stablehlo IR, runs the "
                "passes given with -p (see --help's list; `symir-lower` is the whole default "
                "lowering) and prints the result"
            ),
            args=args,
        ).run()
    except ParseError as e:
        print(located_parse_error(e), file=sys.stderr)
        sys.exit(1)
    except (VerifyException, DiagnosticException) as e:
        located = getattr(e, "located", None)
        if located is not None and ": error: " not in located.split("\n", 1)[0]:
            located = f"symir-opt: error: {located}"  # an op without a file location
        print(located or f"symir-opt: error: {e}", file=sys.stderr)
        sys.exit(1)
    except (ArgSpecParseError, PipelineError) as e:  # a bad -p pipeline
        print(f"symir-opt: error: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # a pass failed: report it, not a traceback (SYMIR_DEBUG=1 shows it)
        if os.environ.get("SYMIR_DEBUG"):
            raise
        # where: the op the failing pattern was rewriting, or each finding's op
        located = getattr(e, "located", None) or located_failure(e)
        print(located or f"symir-opt: error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
