"""The pipeline lists in the docs follow the default lowering (issue 22): a pass added to,
removed from or moved in `LoweringOptions.passes()` fails here until compiler.md,
passes.md and index.md say so too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symir.lowering import get_all_passes
from symir.lowering.pipelines import LoweringOptions

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _default_names() -> list[str]:
    names = [p.name for p in LoweringOptions().passes()]
    return [n for i, n in enumerate(names) if n != "cse" or "cse" not in names[:i]]


def _names_in(text: str) -> list[str]:
    """Registered pass names in order of appearance, `cse` once."""
    known = sorted(get_all_passes(), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, known)) + r")(?![\w-])")
    found = pattern.findall(text)
    return [n for i, n in enumerate(found) if n != "cse" or "cse" not in found[:i]]


def _marked(page: str) -> str:
    text = (DOCS / page).read_text()
    match = re.search(r"<!-- default-pipeline -->(.*?)<!-- /default-pipeline -->", text, re.S)
    assert match, f"docs/{page} has no <!-- default-pipeline --> ... <!-- /--> list"
    return match.group(1)


def _levels_diagram() -> str:
    text = (DOCS / "index.md").read_text()
    match = re.search(r"## The levels.*?```\n(.*?)```", text, re.S)
    assert match, "docs/index.md has no levels diagram"
    return match.group(1)


def _check(where: str, listed: list[str]) -> None:
    """Fails naming what the list `where` lacks, has too many of, or has out of order."""
    expected = _default_names()
    if listed == expected:
        return
    missing = [n for n in expected if n not in listed]
    extra = [n for n in listed if n not in expected]
    what = [f"add {missing}" if missing else "", f"remove {extra}" if extra else ""]
    what = [w for w in what if w] or ["put them in order"]
    raise AssertionError(
        f"{where} lists the default lowering as {listed}, but LoweringOptions.passes() "
        f"runs {expected}: {', '.join(what)} (docs/adding-a-pass.md)"
    )


@pytest.mark.parametrize("page", ["compiler.md", "passes.md"])
def test_marked_pipeline_lists_follow_the_default_lowering(page):
    _check(f"docs/{page} (between the <!-- default-pipeline --> marks)", _names_in(_marked(page)))


def test_the_levels_diagram_follows_the_default_lowering():
    _check("the levels diagram of docs/index.md", _names_in(_levels_diagram()))


def test_a_stale_list_is_found_and_what_it_lacks_is_named():
    stale = "`convert-sym-to-branch`, `branch-coalesce-diagonal`, `convert-branch-to-stablehlo`"
    assert _names_in(stale) != _default_names()
    with pytest.raises(AssertionError, match=r"add \['sym-lift-constant-sites'"):
        _check("a page", _names_in(stale))
    swapped = _default_names()
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(AssertionError, match="put them in order"):
        _check("a page", swapped)
