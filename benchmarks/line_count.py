"""The core's size against its budget: ``python benchmarks/line_count.py`` (CI runs it; exit 1 over budget).

The core is every module of layers 0-3 of the README's table "Layers and modules" (array kernels, core,
rules, ops): a module split out of another, or a new one, counts as soon as it has its row. A line counts
when it holds code: blank lines, comments and docstrings do not (documentation is never what a budget should
squeeze). The budget is the number after "Line budget:" in that README section.
"""

from __future__ import annotations

import ast
import io
import pathlib
import re
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "turunan"
CORE_LAYERS = range(4)          # 0 array kernels, 1 core, 2 rules, 3 ops
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER}


def code_lines(source: str) -> int:
    """Lines holding a token of code: not blank, not only a comment, not part of a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in _SKIP:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines - docstrings)


def _section(readme: str) -> str:
    for chunk in re.split(r"(?m)^## ", readme)[1:]:
        if chunk.startswith("Layers and modules"):
            return chunk
    raise SystemExit("README.md has no section 'Layers and modules'")


def core_modules(readme: str) -> list[str]:
    """The paths (under src/turunan) of the README's layers 0-3 that exist."""
    rows = re.findall(r"(?m)^\| `([^`]+\.py)` \| (\d+) \|", _section(readme))
    return [path for path, layer in rows if int(layer) in CORE_LAYERS and (SRC / path).exists()]


def budget(readme: str) -> int:
    found = re.search(r"Line budget:\D*([\d,]+)", _section(readme))
    if not found:
        raise SystemExit("README.md's section 'Layers and modules' states no 'Line budget: N'")
    return int(found.group(1).replace(",", ""))


def count() -> tuple[dict[str, int], int]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sizes = {p: code_lines((SRC / p).read_text(encoding="utf-8")) for p in core_modules(readme)}
    return sizes, budget(readme)


def main() -> int:
    sizes, limit = count()
    for path, n in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  src/turunan/{path}")
    total = sum(sizes.values())
    print(f"core: {total} lines of code in {len(sizes)} modules (layers 0-3); budget {limit}"
          f" ({100 * total / limit:.0f}% used)")
    if total > limit:
        print(f"over the budget by {total - limit} lines: make the core smaller, or raise 'Line budget' in "
              "README.md (section 'Layers and modules') with the reason in the commit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
