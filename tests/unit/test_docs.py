"""Every `python` block of docs/*.md runs as written.

The blocks of one page run in order in one namespace (a page builds its example up step
by step), from a temporary working directory. A fragment that is not meant to run uses a
fence without a language.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PAGES = sorted(p for p in DOCS.rglob("*.md") if BLOCK.search(p.read_text()))


def test_the_pages_with_examples_are_found():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"compiler.md", "runtime.md", "writing-a-pattern.md", "index.md"} <= names
    assert len(BLOCK.findall((DOCS / "compiler.md").read_text())) >= 4


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_examples_run(page, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs.{page.stem}"}
    for k, block in enumerate(BLOCK.findall(page.read_text())):
        code = compile(block, f"{page.name} (python block {k})", "exec")
        exec(code, namespace)
