"""``python -m turunan tour``: the chapter's examples and exercises in the MXNet, PyTorch and TensorFlow styles.

Each style runs in one namespace, cell by cell, as a notebook would: the code is printed, then the value of
its last expression (``Out[n]:``), or the error a cell is meant to show. Random numbers are seeded so the
tour prints the same every time. At the end it draws sin(x) next to its derivative found by the engine
(exercise 5) into ``out/`` (``--out DIR``), if matplotlib is installed.

The cells live here, in the repository, so the tour needs nothing outside it. ``run_cell`` is also what the
tests use to run the chapter's own cells.

``--chapter NAME --tab TAB`` runs instead one of D2L's chapters as the book has it, read from ``../shared/d2l``
beside the checkout (or ``$TURUNAN_D2L``, or ``--d2l DIR``): the preliminaries (``ndarray``, ``linear-algebra``,
``calculus``, ``probability``, ``autograd``) and the chapters after them (``linear-regression-scratch``,
``linear-regression-concise``, ``softmax-regression-scratch``, ``softmax-regression-concise``,
``mlp-implementation``). The tab's cells run in order, with only the glue ``runnable`` names (import lines
swapped, magics and the book's plotting package dropped), printing what each cell shows. The later chapters use
the book's helper library (``from d2l import torch as d2l``), which ``turunan.book`` runs on the tab's door; their
Fashion-MNIST is read from its files if they are on this machine (``turunan.datasets.fashion_mnist``), else a
synthetic set of the same shapes stands in (the tour says which). The book's text is never copied into this
repository.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .book import (
    CHAPTERS,
    PRELIMINARIES,  # noqa: F401  (the tests name the preliminaries through the tour)
    Tab,
    chapter_path,
    d2l_root,
    library_path,
    load_library,
    needs_library,
    synthetic_data,
)

SEED = 0


@dataclass(frozen=True)
class Cell:
    """One notebook cell: a heading (or ""), its code, and the exception type it is meant to raise, if any."""

    heading: str
    code: str
    raises: str | None = None


def _cells(*specs) -> list[Cell]:
    out = []
    for spec in specs:
        heading, code, *rest = spec
        out.append(Cell(heading, textwrap.dedent(code).strip("\n"), rest[0] if rest else None))
    return out


def run_cell(code: str, namespace: dict):
    """Run ``code`` in ``namespace`` like a notebook cell; return the value of a final expression (or None)."""
    tree = ast.parse(code, mode="exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102  (running the tour's own cells is the point)
    if last is not None:
        return eval(compile(last, "<cell>", "eval"), namespace)  # noqa: S307
    return None


# ---- the three styles -----------------------------------------------------------------------------------------
MXNET = _cells(
    ("Setup", """
        from turunan.mxnet import autograd, np, npx
        npx.set_np()
     """),
    ("A simple example: y = 2 x·x", """
        x = np.arange(4.0)
        x
     """),
    ("", """
        # attach_grad allocates the gradient buffer once; it starts at zero
        x.attach_grad()
        x.grad
     """),
    ("", """
        # only what runs inside autograd.record() is recorded
        with autograd.record():
            y = 2 * np.dot(x, x)
        y
     """),
    ("", """
        y.backward()
        x.grad
     """),
    ("", """
        x.grad == 4 * x          # the gradient of 2 x·x is 4x
     """),
    ("", """
        with autograd.record():
            y = x.sum()
        y.backward()
        x.grad                   # grad_req='write': the new gradient replaces the old one
     """),
    ("Backward of a non-scalar", """
        with autograd.record():
            y = x * x            # a vector
        y.backward()             # MXNet sums it first: the gradient of sum(x * x)
        x.grad
     """),
    ("Detaching computation", """
        with autograd.record():
            y = x * x
            u = y.detach()       # same values as y, but a constant for the graph
            z = u * x
        z.backward()
        x.grad == u
     """),
    ("", """
        y.backward()             # y's own graph was recorded too: d(x*x)/dx = 2x
        x.grad == 2 * x
     """),
    ("Gradients through Python control flow", """
        def f(a):
            b = a * 2
            while np.linalg.norm(b) < 1000:
                b = b * 2
            if b.sum() > 0:
                c = b
            else:
                c = 100 * b
            return c

        a = np.random.normal()
        a.attach_grad()
        with autograd.record():
            d = f(a)
        d.backward()
        a.grad == d / a          # f is piecewise linear: f(a) = k a, so the gradient is d / a
     """),
    ("Exercise 1: second and third derivatives of x³", """
        x = np.arange(4.0)
        x.attach_grad()
        with autograd.record():
            y = x ** 3
            dy = autograd.grad(y, [x], create_graph=True)[0]     # 3x², itself recorded
            d2y = autograd.grad(dy, [x], create_graph=True)[0]   # 6x
        d2y.backward()                                           # 6
        dy, d2y, x.grad
     """),
    ("Exercise 2: backward twice", """
        with autograd.record():
            y = 2 * np.dot(x, x)
        y.backward()
        y.backward()             # the graph was freed by the first backward
     """, "MXNetError"),
    ("", """
        with autograd.record():
            y = 2 * np.dot(x, x)
        y.backward(retain_graph=True)
        y.backward()
        x.grad                   # grad_req='write': still 4x
     """),
    ("", """
        x.attach_grad(grad_req='add')
        with autograd.record():
            y = 2 * np.dot(x, x)
        y.backward(retain_graph=True)
        y.backward()
        x.grad                   # grad_req='add': 4x + 4x = 8x
     """),
    ("Exercise 3: f(a) for a random vector and a random matrix", """
        a = np.random.normal(size=(3,))
        a.attach_grad()
        with autograd.record():
            d = f(a)             # now a vector: f(a) = k a with one k for the whole vector
        d.backward()             # summed: the gradient of sum(k a) is k in every element
        a.grad, a.grad == d / a
     """),
    ("", """
        a = np.random.normal(size=(2, 3))
        a.attach_grad()
        with autograd.record():
            d = f(a)
        d.backward()
        a.grad == d / a
     """),
    ("Exercise 5: sin(x) and its derivative, found by backpropagation", """
        x = np.linspace(-2 * np.pi, 2 * np.pi, 100)
        x.attach_grad()
        with autograd.record():
            y = np.sin(x)
        y.backward()
        np.abs(x.grad - np.cos(x)).max()     # the engine's answer matches cos(x)
     """),
)

PYTORCH = _cells(
    ("Setup", """
        import turunan.torch as torch
     """),
    ("A simple example: y = 2 x·x", """
        x = torch.arange(4.0)
        x
     """),
    ("", """
        x.requires_grad_(True)   # like torch.arange(4.0, requires_grad=True)
        x.grad                   # None until a backward pass reaches x
     """),
    ("", """
        y = 2 * torch.dot(x, x)
        y
     """),
    ("", """
        y.backward()
        x.grad
     """),
    ("", """
        x.grad == 4 * x
     """),
    ("", """
        x.grad.zero_()           # PyTorch accumulates, so clear the old gradient first
        y = x.sum()
        y.backward()
        x.grad
     """),
    ("Backward of a non-scalar", """
        x.grad.zero_()
        y = x * x
        y.sum().backward()       # same as y.backward(torch.ones(len(x)))
        x.grad
     """),
    ("", """
        y = x * x
        y.backward()             # a non-scalar needs gradient=
     """, "RuntimeError"),
    ("Detaching computation", """
        x.grad.zero_()
        y = x * x
        u = y.detach()
        z = u * x
        z.sum().backward()
        x.grad == u
     """),
    ("", """
        x.grad.zero_()
        y.sum().backward()
        x.grad == 2 * x
     """),
    ("Gradients through Python control flow", """
        def f(a):
            b = a * 2
            while b.norm() < 1000:
                b = b * 2
            if b.sum() > 0:
                c = b
            else:
                c = 100 * b
            return c

        a = torch.randn(size=(), requires_grad=True)
        d = f(a)
        d.backward()
        a.grad == d / a
     """),
    ("Beyond the chapter: tn.jit traces f's gradient once, then replays it", """
        import turunan as tn
        df = tn.jit(tn.grad(lambda a: f(a).sum()))   # the first call runs eagerly and records a trace
        a = torch.tensor([0.5, -1.0, 2.0])
        df(a), df.trace_count    # 8 doublings: the gradient is 2 * 2**8 in every element
     """),
    ("", """
        df(1.1 * a), df.trace_count, df.replay_count   # as many doublings: replayed as generated NumPy code
     """),
    ("", """
        df(100 * a), df.trace_count      # 2 doublings: the recorded `b.norm() < 1000` guards differ, so f is
                                         # traced again along the new path (eager's path, never a stale one)
     """),
    ("", """
        [line for line in df.dump().splitlines() if line.startswith("#")]   # print(df.dump()) shows the code
     """),
    ("Exercise 1: second and third derivatives of x³", """
        x = torch.arange(4.0, requires_grad=True)
        dy, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)   # 3x²
        d2y, = torch.autograd.grad(dy.sum(), x, create_graph=True)        # 6x
        d2y.sum().backward()                                              # 6
        dy, d2y, x.grad
     """),
    ("Exercise 2: backward twice", """
        x.grad = None
        y = 2 * torch.dot(x, x)
        y.backward()
        y.backward()
     """, "RuntimeError"),
    ("", """
        x.grad = None
        y = 2 * torch.dot(x, x)
        y.backward(retain_graph=True)
        y.backward()
        x.grad                   # accumulated: 4x + 4x = 8x
     """),
    ("Exercise 3: f(a) for a random vector and a random matrix", """
        a = torch.randn(size=(3,), requires_grad=True)
        d = f(a)
        d.backward(torch.ones_like(d))   # or d.sum().backward()
        a.grad, a.grad == d / a
     """),
    ("", """
        a = torch.randn(size=(2, 3), requires_grad=True)
        d = f(a)
        d.sum().backward()
        a.grad == d / a
     """),
    ("Exercise 5: sin(x) and its derivative, found by backpropagation", """
        x = torch.linspace(-2 * 3.14159265, 2 * 3.14159265, 100, requires_grad=True)
        y = torch.sin(x)
        y.sum().backward()
        (x.grad - torch.cos(x.detach())).abs().max()     # the engine's answer matches cos(x)
     """),
)

TENSORFLOW = _cells(
    ("Setup", """
        import turunan.tensorflow as tf
     """),
    ("A simple example: y = 2 x·x", """
        x = tf.range(4, dtype=tf.float32)
        x
     """),
    ("", """
        x = tf.Variable(x)       # tapes watch Variables by themselves
     """),
    ("", """
        with tf.GradientTape() as t:
            y = 2 * tf.tensordot(x, x, axes=1)
        y
     """),
    ("", """
        x_grad = t.gradient(y, x)
        x_grad
     """),
    ("", """
        x_grad == 4 * x
     """),
    ("", """
        with tf.GradientTape() as t:
            y = tf.reduce_sum(x)
        t.gradient(y, x)         # a fresh tape, a fresh gradient
     """),
    ("Backward of a non-scalar", """
        with tf.GradientTape() as t:
            y = x * x
        t.gradient(y, x)         # the target is summed: the gradient of reduce_sum(x * x)
     """),
    ("Detaching computation", """
        with tf.GradientTape(persistent=True) as t:   # persistent: gradient() may be called again
            y = x * x
            u = tf.stop_gradient(y)
            z = u * x
        x_grad = t.gradient(z, x)
        x_grad == u
     """),
    ("", """
        t.gradient(y, x) == 2 * x
     """),
    ("Gradients through Python control flow", """
        def f(a):
            b = a * 2
            while tf.norm(b) < 1000:
                b = b * 2
            if tf.reduce_sum(b) > 0:
                c = b
            else:
                c = 100 * b
            return c

        a = tf.Variable(tf.random.normal(shape=()))
        with tf.GradientTape() as t:
            d = f(a)
        d_grad = t.gradient(d, a)
        d_grad == d / a
     """),
    ("Exercise 1: second and third derivatives of x³ (nested tapes)", """
        x = tf.Variable(tf.range(4, dtype=tf.float32))
        with tf.GradientTape() as t3:
            with tf.GradientTape() as t2:
                with tf.GradientTape() as t1:
                    y = x ** 3
                dy = t1.gradient(y, x)       # 3x², recorded by the outer tapes
            d2y = t2.gradient(dy, x)         # 6x
        d3y = t3.gradient(d2y, x)            # 6
        dy, d2y, d3y
     """),
    ("Exercise 2: gradient() twice", """
        with tf.GradientTape() as t:
            y = 2 * tf.tensordot(x, x, axes=1)
        t.gradient(y, x)
        t.gradient(y, x)         # a non-persistent tape answers once
     """, "RuntimeError"),
    ("", """
        with tf.GradientTape(persistent=True) as t:
            y = 2 * tf.tensordot(x, x, axes=1)
        t.gradient(y, x), t.gradient(y, x)   # 4x, twice: a tape does not accumulate
     """),
    ("Exercise 3: f(a) for a random vector and a random matrix", """
        a = tf.Variable(tf.random.normal(shape=(3,)))
        with tf.GradientTape() as t:
            d = f(a)
        d_grad = t.gradient(d, a)    # the target is summed
        d_grad, d_grad == d / a
     """),
    ("", """
        a = tf.Variable(tf.random.normal(shape=(2, 3)))
        with tf.GradientTape() as t:
            d = f(a)
        t.gradient(d, a) == d / a
     """),
    ("Exercise 5: sin(x) and its derivative, found by backpropagation", """
        x = tf.Variable(tf.linspace(-2 * 3.14159265, 2 * 3.14159265, 100))
        with tf.GradientTape() as t:
            y = tf.sin(x)
        tf.reduce_max(tf.abs(t.gradient(y, x) - tf.cos(x)))   # the engine's answer matches cos(x)
     """),
)

STYLES = {"mxnet": ("MXNet", MXNET), "pytorch": ("PyTorch", PYTORCH), "tensorflow": ("TensorFlow", TENSORFLOW)}


# ---- running and printing ---------------------------------------------------------------------------------------
def _indent(code: str, first: str, rest: str) -> str:
    lines = code.splitlines() or [""]
    return "\n".join([first + lines[0]] + [(rest + ln) if ln else "" for ln in lines[1:]])


def show(value) -> str:
    """A value as a notebook prints it: a long tuple gets one item per line, as IPython does."""
    text = repr(value)
    if isinstance(value, tuple) and value and (len(text) > 100 or "\n" in text):
        items = [_indent(repr(v), "", " ") for v in value]
        text = "(" + ",\n ".join(items) + ("," if len(value) == 1 else "") + ")"
    return text


def run_style(key: str, out=print) -> dict:
    """Run one style's cells in a fresh namespace, printing each like a notebook; return the namespace."""
    import turunan
    title, cells = STYLES[key]
    turunan.manual_seed(SEED)
    out("=" * 100)
    out(f"{title} — {cells[0].code.splitlines()[0]}")
    out("=" * 100)
    ns: dict = {"__name__": f"tour_{key}", "Out": {}}     # Out[n]: what cell n showed, as in IPython
    for n, cell in enumerate(cells, 1):
        if cell.heading:
            out(f"\n## {cell.heading}")
        out("")
        out(_indent(cell.code, f"In [{n}]: ", " " * len(f"In [{n}]: ")))
        try:
            value = run_cell(cell.code, ns)
        except Exception as e:  # noqa: BLE001  (a cell meant to fail shows its error, as a notebook does)
            if cell.raises is None or type(e).__name__ != cell.raises:
                raise
            out(f"{type(e).__name__}: {e}")
            continue
        if cell.raises is not None:
            raise AssertionError(f"cell {n} of the {title} tour should have raised {cell.raises}")
        if value is not None:
            ns["Out"][n] = value
            out(_indent(show(value), f"Out[{n}]: ", " " * len(f"Out[{n}]: ")))
    out("")
    return ns


def write_plot(out_dir: Path, out=print) -> Path | None:
    """Exercise 5's picture: sin(x) and its derivative computed by the engine, with cos(x) dashed on top."""
    import turunan

    from .plotting import plot_with_derivative
    try:
        path = plot_with_derivative(turunan.sin, np.linspace(-2 * np.pi, 2 * np.pi, 200),
                                    out_dir / "sin_and_derivative.png", name="sin", reference=np.cos)
    except ImportError as e:
        out(f"(no plot: {e})")
        return None
    out(f"Exercise 5: wrote {path} (sin(x), its derivative by backpropagation, and cos(x) dashed)")
    return path


# ---- D2L's preliminaries chapters, read from ../shared/d2l -------------------------------------------------------
TABS = ("mxnet", "pytorch", "tensorflow")

_FENCE = re.compile(r"```\{\.python \.input[^}]*\}\n(.*?)```", re.S)
_TAG = re.compile(r"\s*(?:%%tab|#@tab)\s+(.+)")
# glue: IPython magics, and imports of what is neither a framework nor installed (the book's helper package
# d2l, matplotlib_inline, tensorflow_probability) are dropped; every other line runs unchanged
_DROPPED = re.compile(r"^\s*(%.*|from d2l import .*|from matplotlib_inline import .*|"
                      r"from tensorflow_probability import .*)$")
_SWAPS = {
    "mxnet": [(r"^(\s*)from mxnet([. ])", r"\1from turunan.mxnet\2")],
    "pytorch": [(r"^(\s*)import torch$", r"\1import turunan.torch as torch"),
                (r"^(\s*)from torch([. ])", r"\1from turunan.torch\2")],
    "tensorflow": [(r"^(\s*)import tensorflow as tf$", r"\1import turunan.tensorflow as tf")],
}
# names a cell meets only where it needs what the glue dropped: the book's plotting helpers, TFP's distributions
NOT_RUN = {"d2l": "plots with the book's helper package d2l", "backend_inline": "plots with matplotlib_inline",
           "tfd": "samples with tensorflow_probability (not TensorFlow; not installed)"}


def d2l_cells(chapter: str, root: Path | None = None) -> list:
    """A chapter's code cells in file order, as (tabs, code, group); cells of one group stand side by side in the
    file (one step's tabs, nothing but blank lines between them). Untagged cells are MXNet's, except the book's
    own ``%load_ext d2lbook.tab`` cell (its tab machinery, no tab's code), which is left out."""
    text = chapter_path(chapter, root).read_text(encoding="utf-8")
    out, group, end = [], -1, None
    for m in _FENCE.finditer(text):
        first, _, rest = m.group(1).partition("\n")
        tag = _TAG.match(first)
        if end is None or text[end:m.start()].strip():
            group += 1
        end = m.end()
        if not tag and first.startswith("%load_ext d2lbook"):
            continue
        tabs = frozenset(t.strip() for t in tag.group(1).split(",")) if tag else frozenset({"mxnet"})
        out.append((tabs, rest if tag else m.group(1), group))
    return out


def tab_cells(chapter: str, tab: str, root: Path | None = None) -> list[str]:
    """The code of ``tab``'s cells (its own and the ``all`` cells), in order."""
    return [code for tabs, code, _ in d2l_cells(chapter, root) if tab in tabs or "all" in tabs]


def runnable(code: str, tab: str, on_turunan: bool = True) -> str:
    """A cell as it runs on turunan: the glue's lines dropped, the framework's imports swapped for turunan's
    (``on_turunan=False``: only the glue, for the framework itself)."""
    code = "\n".join(line for line in code.splitlines() if not _DROPPED.match(line)) + "\n"
    for pattern, repl in _SWAPS[tab] if on_turunan else ():
        code = re.sub(pattern, repl, code, flags=re.M)
    return code


@dataclass
class Ran:
    """One cell's run: its number in the tab, its position among the chapter's cells, the code as run, the value of
    its last expression (``freeze`` applied), what it printed and what it raised."""

    n: int
    pos: int
    code: str
    value: object = None
    printed: str = ""
    error: Exception | None = None


def run_tab(chapter: str, tab: str, on_turunan: bool = True, root: Path | None = None, freeze=lambda v: v,
            ns: dict | None = None):
    """Run one tab of a D2L chapter cell by cell in one namespace, as a notebook does; yield each cell's ``Ran``.
    Python's, NumPy's and turunan's random numbers are seeded (and PyTorch's, where the tab runs on it), and
    Python's and NumPy's global states put back afterwards. ``freeze(value)`` keeps a value as the cell showed it
    (a later cell may change a tensor in place). ``ns``: the namespace to run in (a fresh one by default)."""
    import random
    import sys

    import turunan
    saved = random.getstate(), np.random.get_state()
    random.seed(SEED)
    np.random.seed(SEED)
    turunan.manual_seed(SEED)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(SEED)
    ns = {"__name__": f"d2l_{tab}"} if ns is None else ns
    try:
        pos_n = [(p, c) for p, (tabs, c, _) in enumerate(d2l_cells(chapter, root)) if tab in tabs or "all" in tabs]
        for n, (pos, code) in enumerate(pos_n):
            ran = Ran(n, pos, runnable(code, tab, on_turunan))
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf):
                    ran.value = freeze(run_cell(ran.code, ns))
            except Exception as e:  # noqa: BLE001  (a notebook shows a cell's error and goes on)
                ran.error = e
            ran.printed = buf.getvalue()
            yield ran
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])


def _fashion_mnist_here() -> bool:
    from . import datasets
    try:
        datasets.fashion_mnist(train=False)
    except (OSError, ValueError):
        return False
    return True


def run_chapter(chapter: str, tab: str, root: Path | None = None, out=print) -> dict:
    """Run one tab of a D2L chapter on turunan, printing each cell as a notebook would; return the counts."""
    counts = {"ran": 0, "not run": 0, "failed": 0}
    out(f"D2L, {chapter}, the {tab} tab, on turunan (random numbers seeded with {SEED}).")
    ns, data = None, contextlib.nullcontext()
    if needs_library(chapter):
        ns = {"__name__": f"d2l_{tab}", "d2l": load_library(tab, root=root), "tab": Tab(tab)}
        if "FashionMNIST" in chapter_path(chapter, root).read_text(encoding="utf-8") and not _fashion_mnist_here():
            out("(Fashion-MNIST's files are not on this machine: a synthetic set of the same shapes stands in, "
                "turunan.datasets.synthetic_fashion_mnist; the board draws nothing, it keeps its points.)")
            data = synthetic_data()
    with data:
        _print_cells(run_tab(chapter, tab, root=root, ns=ns), counts, out, ns)
    out(f"\n{chapter} ({tab}): {counts['ran']} cells ran, {counts['not run']} not run (they need what the glue "
        f"drops), {counts['failed']} failed.")
    return counts


def _board(ns: dict | None) -> str:
    """What the model's progress board would have drawn last: each curve's final point (the board draws nothing
    here)."""
    data = getattr(getattr((ns or {}).get("model"), "board", None), "data", None)
    if not data:
        return ""
    return "(the board's last points: " + ", ".join(f"{k} {float(v[-1].y):.4f} at epoch {float(v[-1].x):g}"
                                                  for k, v in data.items() if v) + ")"


def _print_cells(runs, counts: dict, out, ns: dict | None = None) -> None:
    shown = ""
    for ran in runs:
        n = ran.n + 1
        out("")
        out(_indent(ran.code.strip("\n") or "(only the book's setup: nothing to run)", f"In [{n}]: ",
                    " " * len(f"In [{n}]: ")))
        if ran.printed:
            out(ran.printed.rstrip("\n"))
        e = ran.error
        if isinstance(e, NameError) and e.name in NOT_RUN:
            out(f"({NOT_RUN[e.name]}: not run)")
            counts["not run"] += 1
        elif e is not None:
            out(f"{type(e).__name__}: {e}")
            counts["failed"] += 1
        else:
            if ran.value is not None:
                out(_indent(show(ran.value), f"Out[{n}]: ", " " * len(f"Out[{n}]: ")))
            counts["ran"] += 1
        board = _board(ns)
        if board and board != shown:
            out(board)
            shown = board


def main(argv: list[str] | None = None) -> int:
    """Print the tour, style by style, then write the exercise-5 plot; or run one tab of a D2L chapter."""
    from ._cli import ArgumentParser, say_error
    parser = ArgumentParser(prog="python -m turunan tour", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the exercise-5 plot (default: out)")
    parser.add_argument("--style", choices=["all", *STYLES], default="all", help="which style(s) to show")
    parser.add_argument("--no-plot", action="store_true", help="skip the plot")
    parser.add_argument("--chapter", choices=list(CHAPTERS),
                        help="run this D2L chapter from ../shared/d2l instead (with --tab)")
    parser.add_argument("--tab", choices=TABS, help="the chapter's tab to run (default: pytorch)")
    parser.add_argument("--d2l", metavar="DIR", help="D2L's files (default: $TURUNAN_D2L or ../shared/d2l)")
    args = parser.parse_args(argv)
    if args.tab and not args.chapter:
        parser.error("--tab needs --chapter (one of " + ", ".join(CHAPTERS) + ")")
    if args.chapter:
        root = d2l_root(args.d2l)
        library = library_path(args.tab or "pytorch", root)
        for path in (chapter_path(args.chapter, root), *([library] if needs_library(args.chapter) else [])):
            if not path.is_file():
                parser.fail(f"D2L's file is not here: {path} (put shared/d2l beside the checkout, or give --d2l "
                            f"DIR or $TURUNAN_D2L)")
        counts = run_chapter(args.chapter, args.tab or "pytorch", root)
        if counts["failed"]:
            return say_error(parser.prog, f"{counts['failed']} cell(s) of {args.chapter} ({args.tab or 'pytorch'})"
                                          " failed")
        return 0
    keys = list(STYLES) if args.style == "all" else [args.style]
    print(f"The chapter 'Automatic Differentiation', three ways (random numbers seeded with {SEED}).\n")
    for key in keys:
        run_style(key)
    if not args.no_plot:
        write_plot(Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
