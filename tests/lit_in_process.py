"""A lit test's RUN lines, run inside this process (tests/test_lit.py).

What lit does for a `.mlir` file under tests/lit, without its processes: lit itself reads
the file and the configuration (`tests/lit/lit.cfg.py`, the one place the substitutions
are defined: lit's discovery loads it, as `lit tests/lit` does), takes the RUN lines,
applies the substitutions and parses each line with its internal shell's parser. Only
the execution differs: each command is the `main()` of a console script of this venv
(`symir-opt`, `symir-run`, `xdsl-opt`, `filecheck`), called with its argv, stdin, stdout
and stderr in memory, or lit's `diff`, or the two `sed` scripts the files use (`sed -n
'N,/RE/p'`: lines N to the first after it matching RE; `sed '$d'`: all but the last
line), with `not` and pipes (pipefail, as lit runs them), `&&`, `<`, `>`, `2>` and
`2>&1`. Anything else (another command or shell construct) is an
error naming it, never a test that silently passes.

Starting the processes (Python, xDSL, JAX, filecheck and lit imported again each time)
cost more than the tools' work; in one process the imports are done once per worker.
What the process keeps between calls is reset around each command as a fresh process
would have it: `sys.argv` and the standard streams, the environment (exactly lit's, that
is `config.environment`), the current directory (the test's temporary directory), the
warning filters (Python's defaults, not pytest's), `jax_enable_x64` (off, as JAX starts,
unless the environment sets it; `symir-run` turns it on for a 64-bit module it loads) and
`symir-run`'s cache of loaded modules (empty: a module loaded by an earlier test, with x64
on, would be called without turning it on again).
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.metadata
import io
import os
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import lit.discovery
import lit.LitConfig
import lit.Test
import lit.TestRunner
from lit.ShCommands import Command, GlobItem, Pipeline, Seq
from lit.ShUtil import ShParser

LIT_DIR = Path(__file__).parent / "lit"
TOOLS = ("symir-opt", "symir-run", "xdsl-opt", "filecheck")


class UnsupportedRunLine(ValueError):
    """A RUN line uses a command or a shell construct this runner does not execute."""


@dataclass
class Outcome:
    """The exit status of the file's RUN lines (0: all passed) and a log like lit's."""

    exit_code: int
    log: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.log)


def _lit_config() -> lit.LitConfig.LitConfig:
    return lit.LitConfig.LitConfig(
        progname="lit",
        path=[],
        diagnostic_level="note",
        useValgrind=False,
        valgrindLeakCheck=False,
        valgrindArgs=[],
        noExecute=False,
        debug=False,
        isWindows=False,
        order="lexical",
        params={},
    )


@cache
def _suite_test() -> lit.Test.Test:
    """A test of tests/lit as lit's discovery makes it (its suite and lit.cfg.py)."""
    first = min(p for p in LIT_DIR.rglob("*.mlir") if "Output" not in p.parts)
    (test,) = lit.discovery.find_tests_for_inputs(_lit_config(), [str(first)])
    return test


def lit_test(path: Path) -> lit.Test.Test:
    """The lit test of `path` with tests/lit's configuration; a file elsewhere (the
    runner's own tests') gets a suite rooted at its directory with the same config."""
    suite = _suite_test().suite
    if path.is_relative_to(LIT_DIR):
        return lit.Test.Test(suite, path.relative_to(LIT_DIR).parts, suite.config)
    elsewhere = lit.Test.TestSuite(suite.name, str(path.parent), str(path.parent), suite.config)
    return lit.Test.Test(elsewhere, (path.name,), suite.config)


def script(path: Path, tmp_dir: Path) -> list[str]:
    """The RUN lines of `path` after lit's substitutions (`%t` in `tmp_dir`)."""
    path, tmp_dir = path.resolve(), tmp_dir.resolve()  # lit's paths are absolute
    test = lit_test(path)
    parsed = lit.TestRunner.parseIntegratedTestScript(test)
    if isinstance(parsed, lit.Test.Result):  # UNSUPPORTED, UNRESOLVED: not run
        raise UnsupportedRunLine(f"{path}: lit would not run it: {parsed.output}")
    if test.xfails or test.requires or test.unsupported:
        raise UnsupportedRunLine(f"{path}: XFAIL/REQUIRES/UNSUPPORTED are not supported")
    tmp_base = str(tmp_dir / path.name)
    substitutions = lit.TestRunner.getDefaultSubstitutions(test, str(tmp_dir), tmp_base)
    return lit.TestRunner.applySubstitutions(
        parsed,
        substitutions,
        {f: True for f in test.config.available_features},
        recursion_limit=test.config.recursiveExpansionLimit,
    )


def run_file(path: Path, tmp_dir: Path) -> Outcome:
    """Runs the RUN lines of `path` as lit would (each line after the last succeeded)."""
    path, tmp_dir = path.resolve(), tmp_dir.resolve()
    test = lit_test(path)
    outcome = Outcome(0)
    for line in script(path, tmp_dir):
        match = re.fullmatch(lit.TestRunner.kPdbgRegex, line)
        where, command = match.groups() if match else ("command line", line)
        command = command.strip()
        try:
            tree = ShParser(command, False, test.config.pipefail).parse()
        except ValueError as e:
            raise UnsupportedRunLine(f"{where}: {command}: {e}") from None
        outcome.log.append(f"# {where}\n$ {command}")
        _check_supported(tree, command)
        with _fresh_process(test.config.environment, tmp_dir):
            outcome.exit_code = _run(tree, outcome.log)
        if outcome.exit_code != 0:
            outcome.log.append(f"error: command failed with exit status {outcome.exit_code}")
            break
    return outcome


def _check_supported(tree, command: str) -> None:
    """Every node of the line is one this runner executes (before any is run)."""
    if isinstance(tree, Seq):
        if tree.op != "&&":
            raise UnsupportedRunLine(f"{command}: the operator {tree.op!r} is not supported")
        _check_supported(tree.lhs, command)
        _check_supported(tree.rhs, command)
        return
    if not isinstance(tree, Pipeline) or tree.negate:
        raise UnsupportedRunLine(f"{command}: {tree!r} is not supported")
    for cmd in tree.commands:
        args = _without_not(cmd)[1]
        if any(isinstance(a, GlobItem) for a in cmd.args):
            raise UnsupportedRunLine(f"{command}: glob patterns are not supported")
        if not args or args[0] not in (*TOOLS, "diff", "sed"):
            name = args[0] if args else "not"
            raise UnsupportedRunLine(
                f"{command}: the command {name!r} is not supported (only {', '.join(TOOLS)}, "
                "diff, sed and not)"
            )
        if args[0] == "sed":
            _sed_program(args[1:], command)
        if args[0] == "diff" and (
            len(args) != 3 or any(a.startswith("-") and a != "-" for a in args[1:])
        ):
            raise UnsupportedRunLine(
                f"{command}: {' '.join(args)} is not supported (only `diff FILE FILE`, - for stdin)"
            )
        for op, _ in cmd.redirects:
            if op not in (("<",), (">",), (">", 2), (">&", 2)):
                raise UnsupportedRunLine(f"{command}: the redirection {op!r} is not supported")
        for op, target in cmd.redirects:
            if op == (">&", 2) and target != "1":
                raise UnsupportedRunLine(f"{command}: 2>&{target} is not supported (only 2>&1)")


def _without_not(cmd: Command) -> tuple[int, list[str]]:
    """The number of leading `not`s and the command after them."""
    args = list(cmd.args)
    nots = 0
    while args and args[0] == "not":
        args.pop(0)
        nots += 1
    if args and args[0].startswith("--"):  # `not --crash`
        raise UnsupportedRunLine(f"not {args[0]} is not supported")
    return nots, args


def _run(tree, log: list[str]) -> int:
    if isinstance(tree, Seq):  # "&&" only (_check_supported)
        code = _run(tree.lhs, log)
        return code if code != 0 else _run(tree.rhs, log)
    return _run_pipeline(tree, log)


class _Sink(io.BytesIO):
    """An output kept after the tool closes it (xDSL closes what `-o` opened, not stdout:
    still, a tool closing its stdout must not lose it)."""

    def close(self) -> None:
        pass


def _run_pipeline(pipeline: Pipeline, log: list[str]) -> int:
    """Each command after the previous one, its stdin the previous one's stdout; the
    status is the last failing command's (lit's pipefail)."""
    stdin = b""
    status = 0
    last = len(pipeline.commands) - 1
    for i, cmd in enumerate(pipeline.commands):
        nots, args = _without_not(cmd)
        stdout, stderr = ("pipe" if i < last else "out"), "err"
        this_stdin = stdin
        for op, target in cmd.redirects:
            if op == ("<",):
                this_stdin = Path(target).read_bytes()
            elif op == (">",):
                stdout = ("file", target)
            elif op == (">", 2):
                stderr = ("file", target)
            else:  # 2>&1
                stderr = stdout
        sinks = {key: _Sink() for key in {stdout, stderr}}
        code = _call(args, this_stdin, sinks[stdout], sinks[stderr])
        for _ in range(nots):  # lit's `not`: 0 when the command failed, else 1
            code = 0 if code != 0 else 1
        log.append(f"# executed command: {' '.join(cmd.args)} (exit status {code})")
        stdin = b""
        for key, sink in sinks.items():
            data = sink.getvalue()
            if key == "pipe":
                stdin = data
            elif key in ("out", "err"):
                if data:
                    log.append(
                        f"# .---command {'stdout' if key == 'out' else 'stderr'}---\n"
                        + data.decode(errors="replace")
                    )
            elif key[1] != os.devnull:
                Path(key[1]).write_bytes(data)
        if code != 0:
            status = code
    return status


def _call(args: list[str], stdin: bytes, out: _Sink, err: _Sink) -> int:
    name, *rest = args
    out_text = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    err_text = (
        out_text if err is out else io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    )
    if name == "diff":
        return _diff(rest, stdin, out_text)
    if name == "sed":
        return _sed(rest, stdin, out_text)
    main = _console_script(name)
    saved = sys.argv, sys.stdin, sys.stdout, sys.stderr
    sys.argv = [name, *rest]
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = out_text, err_text
    try:
        code = main()
    except SystemExit as e:
        code = e.code
    except Exception:  # a crash: a traceback and status 1, as the process would give
        traceback.print_exc(file=err_text)
        code = 1
    finally:
        for stream in (out_text, err_text):
            stream.flush()
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=err_text)  # sys.exit("message"), as the interpreter reports it
    err_text.flush()
    return 1


@cache
def _console_script(name: str):
    """The function the venv's `bin/<name>` script calls."""
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name=name)
    return entry.load()


def _diff(files: list[str], stdin: bytes, out) -> int:
    """lit's builtin `diff A B` (`-` for stdin): status 1 and a unified diff when the
    texts differ."""
    a, b = (stdin if f == "-" else Path(f).read_bytes() for f in files)
    if a == b:
        return 0
    lines = difflib.unified_diff(
        a.decode(errors="replace").splitlines(keepends=True),
        b.decode(errors="replace").splitlines(keepends=True),
        files[0],
        files[1],
    )
    out.write("".join(lines))
    return 1


_SED_RANGE = re.compile(r"(\d+),/((?:[^/\\]|\\/)*)/p")


def _sed_program(args: list[str], command: str = "") -> tuple[bool, str, list[str]]:
    """`[-n] SCRIPT [FILE]` with SCRIPT `N,/RE/p` (RE: literal text, `\\/` for a slash,
    an optional leading `^`) or `$d`; anything else is refused."""
    quiet = args[:1] == ["-n"]
    rest = args[1:] if quiet else args
    if not rest or len(rest) > 2:
        raise UnsupportedRunLine(f"{command}: sed {' '.join(args)} is not supported")
    program, files = rest[0], rest[1:]
    match = _SED_RANGE.fullmatch(program)
    literal = match and re.fullmatch(r"\^?(?:[^\\.*\[\]^$+?(){}|]|\\/)*", match.group(2))
    if not ((program == "$d" and not quiet) or (literal and quiet and int(match.group(1)) >= 1)):
        raise UnsupportedRunLine(
            f"{command}: sed {' '.join(args)} is not supported (only `sed -n 'N,/TEXT/p'` "
            "and `sed '$d'`)"
        )
    return quiet, program, files


def _sed(args: list[str], stdin: bytes, out) -> int:
    _, program, files = _sed_program(args)
    data = Path(files[0]).read_bytes() if files else stdin
    lines = data.decode().splitlines(keepends=True)
    if program == "$d":
        out.write("".join(lines[:-1]))
        return 0
    first, pattern = _SED_RANGE.fullmatch(program).groups()
    anchored = pattern.startswith("^")
    text = pattern.removeprefix("^").replace("\\/", "/")
    start = int(first) - 1
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if (lines[i].startswith(text) if anchored else text in lines[i])
        ),
        len(lines) - 1,
    )
    out.write("".join(lines[start : end + 1]))
    return 0


@contextlib.contextmanager
def _fresh_process(environment: dict[str, str], cwd: Path):
    """The process state a command started by lit would find, restored afterwards."""
    import jax

    from symir.runtime import stablehlo_exec

    saved_env = dict(os.environ)
    saved_modules = dict(stablehlo_exec._CACHE)  # symir-run's loaded modules
    saved_cwd = os.getcwd()
    saved_x64 = jax.config.read("jax_enable_x64")
    with warnings.catch_warnings():
        warnings.resetwarnings()  # Python's default filters, not pytest's
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        for category in (
            DeprecationWarning,
            PendingDeprecationWarning,
            ImportWarning,
            ResourceWarning,
        ):
            warnings.filterwarnings("ignore", category=category, append=True)
        saved_show = warnings.showwarning
        try:
            os.environ.clear()
            os.environ.update(environment)
            os.chdir(cwd)
            stablehlo_exec.clear_cache()
            jax.config.update(
                "jax_enable_x64",
                environment.get("JAX_ENABLE_X64", "").lower() in ("1", "true", "yes", "on"),
            )
            yield
        finally:
            warnings.showwarning = saved_show  # symir-opt's main replaces it
            jax.config.update("jax_enable_x64", saved_x64)
            stablehlo_exec.clear_cache()
            stablehlo_exec._CACHE.update(saved_modules)
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
