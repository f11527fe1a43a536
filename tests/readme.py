"""The README's ```python blocks, grouped by its ``## `` sections (a section's blocks form one session)."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def sections() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in re.split(r"(?m)^## ", README.read_text(encoding="utf-8"))[1:]:
        title = chunk.splitlines()[0].strip()
        out[title] = re.findall(r"```python\n(.*?)```", chunk, flags=re.S)
    return out


def blocks(title_start: str) -> list[str]:
    """The blocks of the section whose title starts with ``title_start``."""
    for title, found in sections().items():
        if title.startswith(title_start):
            return found
    raise KeyError(f"README has no section starting with {title_start!r}")
