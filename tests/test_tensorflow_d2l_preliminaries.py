"""D2L's preliminaries, TensorFlow tab, on turunan: the cells run with ``import tensorflow as tf`` swapped for
``import turunan.tensorflow as tf`` (issue 11), and their values are checked.

The chapters are read at run time from ``../shared/d2l/chapter_preliminaries/`` (beside the checkout; the tests
skip, saying why, when it is absent): ``ndarray``, ``linear-algebra``, ``calculus`` and ``probability``. The
``%%tab tensorflow`` and ``%%tab all`` cells run in order in one namespace, as in a notebook; the PyTorch tab
runs the same way on real PyTorch, and where a TensorFlow cell and its PyTorch neighbour compute the same thing
their values are compared (shapes, values; dtypes as each framework's defaults: TensorFlow's integers are int32
where PyTorch's are int64). Where the two tabs compute different things, the TensorFlow value is checked against
NumPy. TensorFlow itself is not installed (nor installable here).

Glue, the smallest there is: IPython magics (``%matplotlib inline``) are dropped, and so are the setup cells'
imports of the book's helper package (``from d2l import ...``), of ``matplotlib_inline`` and of
``tensorflow_probability`` (not TensorFlow, and not installed): ``tfd.Multinomial`` is a NumPy sampler in
this file (with TFP's signature: its second positional argument is ``logits``, which D2L's cells pass the
probabilities as; equal logits give equal probabilities, so the draw is the one D2L means). Every other line
runs unchanged.

What runs and matches (the TensorFlow tab's cells, numbered from 0 in each chapter; ``CHECKS`` says how):
  ndarray (24 cells): 0-6, 8, 9, 11, 13-19 as the PyTorch tab; 7 (random normal) by shape and dtype; 10 (a
    slice assigned 9, where the PyTorch tab writes 17) against NumPy; 12 (``tf.exp(x)``) against NumPy: x is
    still 0..11 in TensorFlow, where PyTorch's ``X = x.reshape(3, 4)`` is a view and ``X[:2, :] = 12`` changed x
    too (the tabs really differ there); 20 (``Z.assign`` keeps ``id(Z)``, as PyTorch's ``Z[:] =``; Z as
    PyTorch's); 21 (``tf.function``; PyTorch's tab does ``X += Y`` instead) against NumPy; 22 (the types);
    23 (``float(a)`` of a one-element NumPy array) raises NumPy's own TypeError on a NumPy that refuses
    ``float`` of a 1-d array (2.4 here): the error is in the cell's NumPy code, not in turunan, and real
    TensorFlow would meet it too; on an older NumPy it is compared with the PyTorch tab.
  linear-algebra (30 cells): all run; 17 against NumPy (the tabs differ), 25-26 against the first values of the
    PyTorch tab's tuple (which adds ``A @ x`` / ``A @ B``), the rest as the PyTorch tab (18's
    ``tf.reduce_sum(A) / tf.size(A).numpy()`` is float32, as TensorFlow converts the NumPy divisor).
  calculus (8 cells): 0 (setup, glue above), 1-6 run (2 prints what the PyTorch tab prints; 3-6 define the
    book's plotting helpers); 7 plots with them: skipped.
  probability (7 cells): 0 (setup, glue), 1 (prints what the PyTorch tab prints, same seed), 2-4 (multinomial
    draws: counts that sum to the total, checked with PyTorch's draws by shape, dtype and sum), 5 (``tf.cumsum``
    of 10000 draws, against NumPy); 6 plots with the book's helpers: skipped.
"""

from __future__ import annotations

import contextlib
import functools
import io
import random
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import turunan
import turunan.tensorflow as tf
from turunan.tour import run_cell

D2L = Path(__file__).resolve().parents[1].parent / "shared" / "d2l"
CHAPTERS = ("ndarray", "linear-algebra", "calculus", "probability")

FENCE = re.compile(r"```\{\.python \.input[^}]*\}\n(.*?)```", re.S)
TAB = re.compile(r"\s*(?:%%tab|#@tab)\s+(.+)")
# setup lines the glue drops: magics, and imports of packages that are neither TensorFlow nor installable here
DROPPED = re.compile(r"^\s*(%.*|from d2l import .*|from matplotlib_inline import .*|"
                     r"from tensorflow_probability import .*)$")
SWAP = ("import tensorflow as tf", "import turunan.tensorflow as tf")


# ---- reading the chapters --------------------------------------------------------------------------------------
def cells(chapter: str) -> list:
    """The chapter's code cells in file order, as (tabs, code, group): cells of one group stand side by side in
    the file (the tabs of one step, with nothing but blank lines between them). Untagged cells are MXNet's."""
    text = (D2L / "chapter_preliminaries" / f"{chapter}.md").read_text(encoding="utf-8")
    out, group, end = [], -1, None
    for m in FENCE.finditer(text):
        first, _, rest = m.group(1).partition("\n")
        tag = TAB.match(first)
        tabs = frozenset(t.strip() for t in tag.group(1).split(",")) if tag else frozenset({"mxnet"})
        if end is None or text[end:m.start()].strip():
            group += 1
        out.append((tabs, rest if tag else m.group(1), group))
        end = m.end()
    return out


def runnable(code: str, tab: str) -> str:
    lines = [line for line in code.splitlines() if not DROPPED.match(line)]
    code = "\n".join(lines) + "\n"
    return code.replace(*SWAP) if tab == "tensorflow" else code


# ---- glue: tensorflow_probability's Multinomial, the part D2L's cells use -------------------------------------
class Multinomial:
    """``tfd.Multinomial(total_count, logits=None, probs=None).sample(sample_shape=())``: counts per category,
    as a tf.Tensor of the probabilities' dtype (TFP's signature; NumPy's sampler)."""

    rng = np.random.default_rng(0)

    def __init__(self, total_count, logits=None, probs=None):
        self.total = int(total_count)
        self.dtype = np.asarray(logits if probs is None else probs).dtype
        if probs is None:
            z = np.exp(np.asarray(logits, dtype=np.float64))
            self.p = z / z.sum()
        else:
            self.p = np.asarray(probs, dtype=np.float64)

    def sample(self, sample_shape=()):
        shape = (sample_shape,) if isinstance(sample_shape, int) else tuple(sample_shape)
        return tf.constant(self.rng.multinomial(self.total, self.p, size=shape).astype(self.dtype))


# ---- running the tabs ------------------------------------------------------------------------------------------
class Ran(types.SimpleNamespace):
    """One cell's run: its code, the value of its last expression, what it printed, what it raised."""


def run_tab(chapter: str, tab: str, skip: set) -> dict:
    """Run the ``tab`` cells (and the ``all`` cells) of ``chapter`` in order in one namespace; by file position.
    Python's and NumPy's global random states are seeded for the run (both tabs draw the same coins) and put back
    afterwards."""
    saved = random.getstate(), np.random.get_state()
    try:
        return _run_tab(chapter, tab, skip)
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])


def _run_tab(chapter: str, tab: str, skip: set) -> dict:
    random.seed(0)
    np.random.seed(0)
    turunan.manual_seed(0)
    Multinomial.rng = np.random.default_rng(0)
    ns: dict = {"tfd": types.SimpleNamespace(Multinomial=Multinomial)} if tab == "tensorflow" else {}
    if tab == "pytorch":
        import torch
        torch.manual_seed(0)
    out, n = {}, 0
    for pos, (tabs, code, _) in enumerate(cells(chapter)):
        if tab not in tabs and "all" not in tabs:
            continue
        ran = Ran(n=n, code=code, value=None, printed="", error=None)
        out[pos] = ran
        n += 1
        if ran.n in skip:
            continue
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                ran.value = snapshot(run_cell(runnable(code, tab), ns))
        except Exception as e:   # noqa: BLE001  (each cell's error is checked by the cell's own test)
            ran.error = e
        ran.printed = buf.getvalue()
        ran.ns = {k: snapshot(v) for k, v in ns.items() if not k.startswith("__")}
    return out


def snapshot(value):
    """``value`` as the cell showed it: PyTorch's tensors change in place later (``X[:2, :] = 12`` writes into
    ``x`` too, through the view ``x.reshape(3, 4)``), so they are copied; TensorFlow's tensors cannot change."""
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        return type(value)(snapshot(v) for v in value)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().clone()
    return value


@functools.cache
def chapter_run(chapter: str):
    """The TensorFlow tab's cells (by number), each with its PyTorch partner: the same cell for an ``all`` cell,
    else the PyTorch cell of its group (None if the group has none)."""
    skip_tf = {n for n, spec in CHECKS[chapter].items() if spec[0] == "skip"}
    tf_runs = run_tab(chapter, "tensorflow", skip_tf)
    torch_runs = run_tab(chapter, "pytorch", TORCH_SKIP.get(chapter, set()))
    all_cells = cells(chapter)
    paired = []
    for pos, ran in tf_runs.items():
        tabs, _, group = all_cells[pos]
        if "all" in tabs:
            partner = torch_runs.get(pos)
        else:
            partner = next((torch_runs[p] for p, (t, _, g) in enumerate(all_cells)
                            if g == group and "pytorch" in t and p in torch_runs), None)
        paired.append((ran, partner))
    return paired


# ---- comparing ---------------------------------------------------------------------------------------------------
TORCH_TO_TF_DTYPE = {"float32": "float32", "float64": "float64", "bool": "bool", "int64": "int32"}


def same(got, want, where: str) -> None:
    """A TensorFlow-tab value ``got`` equals the PyTorch tab's ``want``: structure, shapes, values, and dtypes
    (PyTorch's int64 is TensorFlow's int32, both frameworks' defaults)."""
    import torch
    if isinstance(want, (tuple, list)) and not isinstance(want, torch.Size):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            same(g, w, f"{where}[{i}]")
        return
    if isinstance(want, torch.Tensor):
        assert isinstance(got, tf.Tensor), f"{where}: a {type(got).__name__} where PyTorch gives a tensor"
        w = want.detach().numpy()
        assert got.shape == tuple(w.shape), f"{where}: shape {got.shape} vs {tuple(w.shape)}"
        assert got.dtype.name == TORCH_TO_TF_DTYPE[str(w.dtype)], f"{where}: dtype {got.dtype} vs {w.dtype}"
        np.testing.assert_allclose(np.asarray(got.numpy()), w, rtol=1e-6, err_msg=where)
        return
    if isinstance(want, torch.Size):
        assert tuple(got) == tuple(want), f"{where}: shape {got} vs {tuple(want)}"
        return
    if isinstance(want, (bool, int, float)) and isinstance(got, tf.Tensor):     # x.numel() vs tf.size(x)
        assert got.shape == () and got.numpy() == want, f"{where}: {got!r} vs {want!r}"
        return
    assert got == want, f"{where}: {got!r} vs {want!r}"


def a(t) -> np.ndarray:
    return np.asarray(t.numpy() if isinstance(t, tf.Tensor) else t)


# ---- what each TensorFlow cell must give -------------------------------------------------------------------------
def torch_prefix(k: int):
    """The TF cell's tuple equals the first ``k`` values of the PyTorch cell's (which shows one more value)."""
    def check(ran, partner):
        same(ran.value, partner.value[:k] if k > 1 else partner.value[0], f"cell {ran.n}")
    return ("custom", check)


def _random_normal(ran, partner):
    v = ran.value
    assert isinstance(v, tf.Tensor) and v.shape == (3, 4) and v.dtype == np.float32
    assert np.isfinite(a(v)).all() and len(np.unique(a(v))) == 12
    assert tuple(partner.value.shape) == v.shape and str(partner.value.dtype) == "torch.float32"


def _slice_assign_9(ran, partner):
    want = np.arange(12, dtype=np.float32).reshape(3, 4)
    X = ran.ns["X"]
    np.testing.assert_array_equal(a(X), want)                # the variable copied X: X is as it was
    want[1, 2] = 9
    v = ran.value
    assert isinstance(v, tf.Variable) and v.dtype == np.float32
    np.testing.assert_array_equal(a(v), want)


def _exp_of_the_unchanged_x(ran, partner):
    # TensorFlow's X = tf.reshape(x, ...) is a new tensor, and the slice assignments wrote into X_var: x is
    # still 0..11. (The PyTorch tab's X = x.reshape(3, 4) is a view of x, so its X[:2, :] = 12 changed x too:
    # its exp(x) shows exp(12) eight times.)
    v = ran.value
    assert isinstance(v, tf.Tensor) and v.dtype == np.float32
    np.testing.assert_allclose(a(v), np.exp(np.arange(12, dtype=np.float32)), rtol=1e-6)
    np.testing.assert_allclose(partner.value.numpy()[:8], np.exp(np.float32(12)), rtol=1e-6)


def _assign_keeps_id(ran, partner):
    for r in (ran, partner):
        ids = re.findall(r"id\(Z\): (\d+)", r.printed)
        assert len(ids) == 2 and ids[0] == ids[1], f"cell {r.n} printed {r.printed!r}"
    same(tf.convert_to_tensor(ran.ns["Z"]), partner.ns["Z"], "Z")


def _tf_function(ran, partner):
    X, Y = a(ran.ns["X"]), a(ran.ns["Y"])
    v = ran.value
    assert isinstance(v, tf.Tensor) and v.dtype == np.float32
    np.testing.assert_allclose(a(v), X + 4 * Y, rtol=1e-6)


def _to_numpy_and_back(ran, partner):
    A, B = ran.value
    assert A is np.ndarray and B is tf.Tensor
    np.testing.assert_array_equal(ran.ns["A"], a(ran.ns["B"]))
    assert partner.value[0] is np.ndarray


def _float_of_a_one_element_array(ran, partner):
    try:
        float(np.array([3.5]))
    except TypeError:       # NumPy >= 2.3: the cell's own NumPy call refuses; turunan is not involved
        assert isinstance(ran.error, TypeError) and "0-dimensional" in str(ran.error), ran.error
        assert ran.ns["a"].shape == (1,) and ran.ns["a"].dtype == np.float32 and ran.ns["a"][0] == 3.5
        return
    assert ran.error is None, ran.error
    same(ran.value, tuple(partner.value), f"cell {ran.n}")


def _sums_over_both_axes(ran, partner):
    s01, s = ran.value
    for t in (s01, s):
        assert isinstance(t, tf.Tensor) and t.dtype == np.float32 and t.shape == () and a(t) == 15.0


def _prints_the_same(ran, partner):
    assert ran.printed and ran.printed == partner.printed, (ran.printed, partner.printed)


def _draw(total: int, scale: float):
    def check(ran, partner):
        v = ran.value
        assert isinstance(v, tf.Tensor) and v.shape == (2,) and v.dtype == np.float32
        counts = a(v) * scale
        assert (counts >= 0).all() and np.allclose(counts, np.round(counts)) and round(counts.sum()) == total
        w = partner.value.numpy()
        assert w.shape == (2,) and w.dtype == np.float32 and round(w.sum() * scale) == total
        if total >= 10000:      # the law of large numbers, at a margin a fair coin leaves only by a 1e-23 chance
            assert np.abs(a(v) - 0.5).max() < 0.05 and np.abs(w - 0.5).max() < 0.05
    return ("custom", check)


def _cumulative_estimates(ran, partner):
    counts, cum, est = (ran.ns[k] for k in ("counts", "cum_counts", "estimates"))
    assert counts.shape == (10000, 2) and counts.dtype == np.float32 and (a(counts).sum(1) == 1).all()
    assert cum.dtype == np.float32
    np.testing.assert_array_equal(a(cum), np.cumsum(a(counts), axis=0))
    assert isinstance(est, np.ndarray) and est.dtype == np.float32 and est.shape == (10000, 2)
    np.testing.assert_allclose(est, a(cum) / a(cum).sum(1, keepdims=True), rtol=1e-6)
    assert abs(est[-1, 0] - 0.5) < 0.05


TORCH = ("torch",)
PLOT = ("skip", "plots with the book's helper package (d2l) and matplotlib")

CHECKS = {
    "ndarray": {
        **{n: TORCH for n in (0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 13, 14, 15, 16, 17, 18, 19)},
        7: ("custom", _random_normal),
        10: ("custom", _slice_assign_9),
        12: ("custom", _exp_of_the_unchanged_x),
        20: ("custom", _assign_keeps_id),
        21: ("custom", _tf_function),
        22: ("custom", _to_numpy_and_back),
        23: ("custom", _float_of_a_one_element_array),
    },
    "linear-algebra": {
        **{n: TORCH for n in range(30) if n not in (17, 25, 26)},
        17: ("custom", _sums_over_both_axes),
        25: torch_prefix(3),
        26: torch_prefix(1),
    },
    "calculus": {0: TORCH, 1: TORCH, 2: ("custom", _prints_the_same), 3: TORCH, 4: TORCH, 5: TORCH, 6: TORCH,
                 7: PLOT},
    "probability": {
        0: TORCH,
        1: ("custom", _prints_the_same),
        2: _draw(100, 1.0),
        3: _draw(100, 100.0),
        4: _draw(10000, 10000.0),
        5: ("custom", _cumulative_estimates),
        6: PLOT,
    },
}
# PyTorch cells (by number in the PyTorch tab) not to run: the one that counts, then plots with the book's helpers
TORCH_SKIP = {"probability": {5}}

CASES = [(c, n) for c in CHAPTERS for n in sorted(CHECKS[c])]


@pytest.fixture(scope="module", autouse=True)
def _chapters_present():
    if not (D2L / "chapter_preliminaries").is_dir():
        pytest.skip(f"D2L's chapters are not here: {D2L / 'chapter_preliminaries'} (shared/ beside the checkout)")
    pytest.importorskip("torch", reason="the PyTorch tab runs on real PyTorch (the torch extra)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_tensorflow_cell_has_a_check(chapter):
    n_tf = sum(1 for tabs, _, _ in cells(chapter) if "tensorflow" in tabs or "all" in tabs)
    assert sorted(CHECKS[chapter]) == list(range(n_tf)), f"{chapter}: the chapter has {n_tf} TensorFlow cells"


@pytest.mark.parametrize("chapter, n", CASES, ids=[f"{c}-{n}" for c, n in CASES])
def test_tensorflow_cell(chapter, n):
    ran, partner = chapter_run(chapter)[n]
    kind, *rest = CHECKS[chapter][n]
    if kind == "skip":
        pytest.skip(f"{chapter} cell {n}: {rest[0]}")
    if kind == "custom" and rest[0] is _float_of_a_one_element_array:
        rest[0](ran, partner)
        return
    assert ran.error is None, f"{chapter} cell {n} raised {ran.error!r}\n{ran.code}"
    if kind == "torch":
        assert partner is not None and partner.error is None, f"{chapter} cell {n}: the PyTorch cell failed"
        same(ran.value, partner.value, f"{chapter} cell {n}")
        assert ran.printed == partner.printed or not partner.printed
    else:
        rest[0](ran, partner)
