"""Imports go only downward: every module of ``src/turunan`` against the layer table of the README.

The README's section "Layers and modules" gives each module a layer (0 = array kernels ... 7 = tools; see
``docs/design.md``, "Layers"). Read from the source with ``ast`` (nothing is imported), the rules are:

1. a module uses only modules of its own layer or a lower one. Imports inside functions count too; a lazy
   import of a higher layer is allowed only where ``LAZY`` below names it, with its reason;
2. the imports that run when a module loads (module level) form no cycle;
3. no module uses a private name (``_x``) of another turunan module (``from ._core import _x``, ``mod._x``)
   unless the README's list of allowed private names has that row; a private *module* (``torch/_tensor.py``)
   is for the modules of its own package;
4. every module is in the table, and every row of the table names a module that exists.
"""

from __future__ import annotations

import ast
import dataclasses
import pathlib
import re

import pytest
from readme import README

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "turunan"
PKG = "turunan"
SECTION = "Layers and modules"

# function-level imports of a HIGHER layer, each a lazy load with its reason: (importer, imported) -> why
LAZY = {
    ("__init__.py", "nn/serialization.py"):
        "tn.save / tn.load are nn's; `import turunan` stays light and loads nn on first use",
    ("viz.py", "_cli.py"):
        "the `graph` command's entry point lives with the pictures it draws; its parser loads when it runs",
    ("_jit_reach.py", "optim/__init__.py"):
        "tn.jit traces turunan's own SGD and Adam updates (exact types: a subclass stays a host call); the optimisers "
        "are looked up only when a step reaches one, so `import turunan` does not load them",
}


# ---- reading the table ----------------------------------------------------------------------------------
def _cells(line: str) -> list[str]:
    return [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]


def _table(text: str, header: tuple[str, ...]) -> list[list[str]]:
    """The rows of the markdown table of ``text`` whose header starts with ``header``."""
    rows, inside = [], False
    for line in text.splitlines():
        if not line.startswith("|"):
            inside = False
            continue
        cells = _cells(line)
        if tuple(c.lower() for c in cells[:len(header)]) == header:
            inside = True
        elif inside and not set(line) <= set("|-: "):
            rows.append(cells)
    return rows


def readme_tables(text: str) -> tuple[dict[str, int], set[tuple[str, str, str]]]:
    """(module path -> layer, {(user, private name, owner)}) from the text of the README section."""
    layers: dict[str, int] = {}
    for cells in _table(text, ("module", "layer")):
        path, layer = cells[0], cells[1]
        assert path not in layers, f"README's layer table lists {path} twice"
        assert layer.isdigit(), f"README's layer table: {path} has layer {layer!r}, not a number"
        layers[path] = int(layer)
    allowed = {(c[0], c[1], c[2]) for c in _table(text, ("module", "uses private name", "of module"))}
    return layers, allowed


def readme_section() -> str:
    for chunk in re.split(r"(?m)^## ", README.read_text(encoding="utf-8"))[1:]:
        if chunk.startswith(SECTION):
            return chunk
    raise AssertionError(f"README has no section {SECTION!r}")


# ---- reading the source ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Use:
    """One use of another module: ``user`` (a path) uses ``module`` (or its attribute ``name``) at ``line``."""
    user: str
    line: int
    module: str                   # dotted, e.g. turunan.torch._tensor
    name: str | None              # the attribute taken from it, None for the module itself
    at_load: bool                 # runs when ``user`` is imported (not inside a function)
    is_import: bool               # an import statement (not an attribute of an imported module)
    text: str

    def where(self) -> str:
        return f"src/turunan/{self.user}:{self.line}: `{self.text}`"


def dotted(path: str) -> str:
    parts = [PKG, *path[:-3].split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def read_package(root: pathlib.Path = SRC) -> dict[str, str]:
    """Module path (relative to ``root``, e.g. ``torch/_tensor.py``) -> source."""
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.py"))}


def uses(sources: dict[str, str]) -> list[Use]:
    """Every use of a turunan module by another, in every module of ``sources``."""
    names = {dotted(p): p for p in sources}
    found: list[Use] = []
    for path, source in sources.items():
        found += _Reader(path, source, names).read()
    return [u for u in found if u.module in names]      # a module that is not there is Python's to refuse


class _Reader(ast.NodeVisitor):
    def __init__(self, path: str, source: str, modules: dict[str, str]) -> None:
        self.path, self.source, self.modules = path, source, modules
        self.me = dotted(path)
        self.package = self.me if path.endswith("__init__.py") else self.me.rpartition(".")[0]
        self.bound: dict[str, str] = {}     # local name -> the turunan module it names
        self.depth = 0
        self.found: list[Use] = []

    def read(self) -> list[Use]:
        tree = ast.parse(self.source, self.path)
        for node in ast.walk(tree):                      # bindings first: a function may use a later import
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._imports(node, record=False)
        self.visit(tree)
        return self.found

    def _use(self, node, module, name, is_import) -> None:
        text = ast.get_source_segment(self.source, node) or ""
        self.found.append(Use(self.path, node.lineno, module, name, self.depth == 0, is_import,
                              " ".join(text.split())))

    def _imports(self, node, record: bool) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name != PKG and not a.name.startswith(PKG + "."):
                    continue
                parts = a.name.split(".")
                while ".".join(parts) not in self.modules and len(parts) > 1:
                    parts.pop()
                target = ".".join(parts)
                if record:
                    self._use(node, target, None, True)
                self.bound[a.asname or PKG] = target if a.asname else PKG
            return
        if node.level:
            base = self.package.split(".")
            base = base[:len(base) - node.level + 1]
            base = ".".join(base + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        if base != PKG and not base.startswith(PKG + "."):
            return
        for a in node.names:
            sub = f"{base}.{a.name}"
            if sub in self.modules:
                self.bound[a.asname or a.name] = sub
                if record:
                    self._use(node, sub, None, True)
            elif record:
                self._use(node, base, None if a.name == "*" else a.name, True)

    def visit_Import(self, node) -> None:
        self._imports(node, record=True)

    visit_ImportFrom = visit_Import

    def _function(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Attribute(self, node) -> None:
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in self.bound:
            self.generic_visit(node)
            return
        module, rest = self.bound[base.id], chain[::-1]
        walked = False
        while rest and f"{module}.{rest[0]}" in self.modules:
            module, walked = f"{module}.{rest.pop(0)}", True
        if walked:
            self._use(node, module, None, False)
        if rest and is_private(rest[0]):
            self._use(node, module, rest[0], False)


# ---- the rules ------------------------------------------------------------------------------------------
def check(sources: dict[str, str], layers: dict[str, int], allowed_private=frozenset(), lazy=None) -> list[str]:
    """Every broken rule, one message each, naming the file, the line and the import."""
    lazy = LAZY if lazy is None else lazy
    path_of = {dotted(p): p for p in sources}
    problems = [f"src/turunan/{p} is not in the README's layer table ({SECTION!r}): add a row "
                f"`| {p} | <layer> | <its job> |`" for p in sources if p not in layers]
    found = uses(sources)
    for u in found:
        target = path_of[u.module]
        if target == u.user:
            continue
        mine, theirs = layers.get(u.user), layers.get(target)
        if mine is not None and theirs is not None and theirs > mine:
            if u.at_load or (u.user, target) not in lazy:
                problems.append(f"{u.where()} uses {target} (layer {theirs}) from {u.user} (layer {mine}): imports "
                                "go only downward" + ("" if u.at_load else " (a lazy import of a higher layer "
                                                      "needs a reason in tests/test_layers.py's LAZY)"))
        if u.name is not None and is_private(u.name) and (u.user, u.name, target) not in allowed_private:
            problems.append(f"{u.where()} uses the private name {u.name} of {target}: make it public, or list "
                            f"`| {u.user} | {u.name} | {target} | <why> |` in the README's allowed private names")
        parts = u.module.split(".")
        private = [i for i, part in enumerate(parts) if is_private(part)]
        if private:
            owner, me = ".".join(parts[:private[0]]), dotted(u.user)
            if me != owner and not me.startswith(owner + "."):
                problems.append(f"{u.where()} uses {target}, a private module of {owner}: only its own package "
                                "may")
    problems += _cycles([u for u in found if u.at_load and u.is_import], path_of)
    return list(dict.fromkeys(problems))


def _cycles(edges: list[Use], path_of: dict[str, str]) -> list[str]:
    graph: dict[str, dict[str, Use]] = {}
    for u in edges:
        target = path_of[u.module]
        if target != u.user:
            graph.setdefault(u.user, {}).setdefault(target, u)
    problems, done = [], set()
    for start in sorted(graph):
        # a shortest path from start back to itself, if any (breadth first)
        back: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in back:
            nxt = []
            for m in frontier:
                for t in graph.get(m, {}):
                    if t not in back:
                        back[t] = m
                        nxt.append(t)
            frontier = nxt
        if start not in back:
            continue
        cycle, m = [], start
        while True:
            cycle.append(m)
            m = back[m]
            if m == start:
                break
        cycle = cycle[::-1]
        key = frozenset(cycle)
        if key in done:
            continue
        done.add(key)
        steps = [graph[a][b] for a, b in zip([start, *cycle[:-1]], cycle)]
        problems.append("import cycle at module level: " + " -> ".join(s.where() for s in steps))
    return problems


# ---- the tests ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def table():
    return readme_tables(readme_section())


def test_imports_follow_the_layer_table(table):
    layers, allowed = table
    problems = check(read_package(), layers, allowed)
    assert not problems, f"{len(problems)} import(s) break the layers:\n" + "\n".join(problems)


def test_every_row_of_the_table_is_a_module(table):
    layers, _ = table
    missing = sorted(set(layers) - set(read_package()))
    assert not missing, ("the README's layer table lists modules that do not exist (remove or rename the rows): "
                         + ", ".join(missing))


def test_layer_numbers_are_those_of_the_legend(table):
    layers, _ = table
    legend = {int(c[0]) for c in _table(readme_section(), ("layer", "name")) if c[0].isdigit()}
    assert legend == set(range(len(legend))), legend
    assert set(layers.values()) <= legend


def test_the_lists_of_exceptions_hold_only_what_is_used(table):
    """The allow-lists stay short: a row whose use is gone goes too."""
    _, allowed = table
    sources = read_package()
    path_of = {dotted(p): p for p in sources}
    found = uses(sources)
    private = {(u.user, u.name, path_of[u.module]) for u in found if u.name is not None}
    stale = sorted(row for row in allowed if row not in private)
    assert not stale, f"the README allows private names that nothing uses any more: {stale}"
    lazy = {(u.user, path_of[u.module]) for u in found if not u.at_load}
    stale = sorted(pair for pair in LAZY if pair not in lazy)
    assert not stale, f"LAZY lists imports that are gone: {stale}"


# ---- the checker can fail ---------------------------------------------------------------------------------
FAKE_LAYERS = {"__init__.py": 2, "_low.py": 0, "_mid.py": 1, "high.py": 2, "pkg/__init__.py": 2, "pkg/_own.py": 2}


def fake() -> dict[str, str]:
    return {p: "" for p in FAKE_LAYERS}


def test_a_clean_fake_package_passes():
    src = fake()
    src["_mid.py"] = "from ._low import thing\nfrom . import _low\n_low.public()\n"
    src["high.py"] = "import turunan as tn\nfrom .pkg import x\nfrom . import _mid\n"
    src["pkg/__init__.py"] = "from ._own import x\n"
    src["pkg/_own.py"] = "def f():\n    from .. import high\n"
    assert check(src, FAKE_LAYERS, lazy={}) == []


@pytest.mark.parametrize("user, source, expected", [
    ("_low.py", "from ._mid import helper\n", "_low.py:1: `from ._mid import helper` uses _mid.py (layer 1)"),
    ("_low.py", "def f():\n    from . import high\n", "_low.py:2: `from . import high` uses high.py (layer 2)"),
    ("_low.py", "import turunan.high as h\n", "_low.py:1: `import turunan.high as h` uses high.py"),
    ("_mid.py", "from ._low import _secret\n", "uses the private name _secret of _low.py"),
    ("_mid.py", "from . import _low\nx = _low._secret\n", "_mid.py:2: `_low._secret` uses the private name"),
    ("high.py", "import turunan\nturunan._low._k()\n", "`turunan._low._k` uses the private name _k of _low.py"),
    ("_mid.py", "def f():\n    import turunan as t\n    return t.high.g\n", "_mid.py:3: `t.high.g` uses high.py"),
    ("_mid.py", "from .pkg import _own\n", "uses pkg/_own.py (layer 2)"),
    ("pkg/__init__.py", "from . import _own\nfrom ._own import y\nfrom .. import _low\n", None),
    ("_low.py", "from .nowhere import x\nimport numpy._core\n", None),
])
def test_the_checker_names_a_bad_import(user, source, expected):
    src = fake()
    src[user] = source
    problems = check(src, FAKE_LAYERS, lazy={})
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_the_checker_refuses_a_private_module_of_another_package():
    src = fake()
    src["other.py"] = "from .pkg._own import y\n"
    problems = check(src, {**FAKE_LAYERS, "other.py": 2}, lazy={})
    assert any("a private module of turunan.pkg" in p for p in problems), problems


def test_the_checker_finds_a_cycle_and_an_unlisted_module():
    src = fake()
    src["high.py"] = "from .pkg import x\n"
    src["pkg/__init__.py"] = "from ..high import y\n"
    src["new.py"] = ""
    problems = check(src, FAKE_LAYERS, lazy={})
    assert any(p.startswith("import cycle") and "high.py:1" in p and "pkg/__init__.py:1" in p for p in problems)
    assert any("src/turunan/new.py is not in the README's layer table" in p for p in problems)


def test_the_checker_allows_what_the_lists_allow():
    src = fake()
    src["_mid.py"] = "from ._low import _secret\n"
    assert check(src, FAKE_LAYERS, {("_mid.py", "_secret", "_low.py")}, lazy={}) == []
    src["_low.py"] = "def f():\n    from . import high\n"
    assert check(src, FAKE_LAYERS, {("_mid.py", "_secret", "_low.py")}, lazy={("_low.py", "high.py"): "a reason"}) == []
    src["_low.py"] = "from . import high\n"            # at load time: no reason makes it downward
    assert check(src, FAKE_LAYERS, lazy={("_low.py", "high.py"): "a reason"}) != []
