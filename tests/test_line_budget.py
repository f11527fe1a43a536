"""The core (layers 0-3 of the README's table) stays within the line budget the README states.

``benchmarks/line_count.py`` counts (CI prints its table); this test makes ``make test`` refuse a core that
grew past the budget as well.
"""

from __future__ import annotations

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("line_count", ROOT / "benchmarks" / "line_count.py")
line_count = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(line_count)


def test_the_core_is_within_its_line_budget():
    sizes, budget = line_count.count()
    total = sum(sizes.values())
    assert {"_array.py", "_mode.py", "_core.py", "_engine.py", "_rules.py", "_ops.py"} <= set(sizes)
    assert total <= budget, (f"the core has {total} lines of code, over its budget of {budget} (README.md, "
                             f"'Layers and modules'): {sizes}")


def test_only_code_counts():
    source = '"""A docstring\nof two lines."""\n\n# a comment\nx = 1  # counted\n\n\ndef f():\n    """Doc."""\n' \
             '    return (1,\n            2)\n'
    assert line_count.code_lines(source) == 4
