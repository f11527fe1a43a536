"""Reading D2L's chapters (``../shared/d2l``, beside the checkout) in tests: never copied into the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

D2L = Path(__file__).resolve().parents[1].parent / "shared" / "d2l"
_CELL = re.compile(r"```\{\.python \.input[^}]*\}\n%%tab ([^\n]+)\n(.*?)```", re.S)


def chapter_cell(chapter: str, tab: str, pattern: str) -> str:
    """The cell of ``tab`` (or of every tab) in ``chapter`` whose code matches ``pattern``; the test skips when
    the book is not beside the checkout."""
    path = D2L / chapter
    if not path.exists():
        pytest.skip(f"D2L's chapter is not beside the checkout ({path})")
    for m in _CELL.finditer(path.read_text("utf-8")):
        if (tab in m.group(1) or m.group(1).strip() == "all") and re.search(pattern, m.group(2)):
            return m.group(2)
    raise AssertionError(f"no cell matching {pattern!r} in {chapter}")
