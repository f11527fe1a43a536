"""D2L's preliminaries, MXNet tab, on turunan: the cells run with ``from mxnet import ...`` swapped for ``from
turunan.mxnet import ...`` (and ``from mxnet.numpy.random import multinomial`` for its turunan twin; issue 11),
and their values are checked.

The chapters are read at run time from ``../shared/d2l/chapter_preliminaries/`` (beside the checkout; the tests
skip, saying why, when it is absent): ``ndarray``, ``linear-algebra``, ``calculus``, ``probability`` and
``autograd``. The MXNet cells (untagged, or tagged ``mxnet``) and the ``all`` cells run in order in one
namespace, as in a notebook (``turunan.tour.run_tab``, also what ``python -m turunan tour --chapter C --tab
mxnet`` prints). MXNet itself is not installed (nor installable here), so where an MXNet cell and its PyTorch
neighbour (the PyTorch cell of the same step, run on real PyTorch with the same seeds) compute the same thing,
the MXNet value is compared with PyTorch's: the same values and shapes, in MXNet's dtypes (float32 for every
array made from numbers, ``np.arange(12)`` and ``np.array([1, 2])`` included, where PyTorch's are int64; bool
for comparisons), printed as MXNet prints (``array([0., 1.])``: NumPy's repr without the default dtype). Where
the two compute different things, or MXNet's semantics differ, the MXNet value is checked against NumPy.

Glue, the smallest there is (``turunan.tour.runnable``): the book's own ``%load_ext d2lbook.tab`` cell (its tab
machinery, untagged but no tab's code) is left out; IPython magics and the imports of the book's helper package
(``from d2l import ...``) and ``matplotlib_inline`` are dropped, and the cells that plot with them are skipped.
Every other line runs unchanged.

What runs and matches (the MXNet tab's cells, numbered from 0 in each chapter; ``SPECIAL`` says how):
  ndarray (24 cells): all run; all but these as the PyTorch tab: 7 (``np.random.normal``) by shape and dtype;
    12 (``np.exp(x)``) against NumPy: MXNet's ``X = x.reshape(3, 4)`` is a copy, so ``X[:2, :] = 12`` left x at
    0..11 (PyTorch's reshape is a view there, and its exp(x) shows exp(12) eight times: the tabs really differ);
    20 (``Z[:] = ...`` keeps ``id(Z)``); 22 (the types: ``numpy.ndarray`` and the door's ndarray).
  linear-algebra (30 cells): all run; all as the PyTorch tab, 25 and 26 against the first values of the PyTorch
    cell's tuple (which adds ``A @ x`` / ``A @ B``).
  calculus (8 cells): 0-1, 3-6 as the PyTorch tab; 2 prints MXNet's float32 limits (``np.arange`` is float32, so
    h and f(1 + h) are; PyTorch's tab uses NumPy's float64), checked against NumPy in float32; 7 plots: skipped.
  probability (7 cells): 0-1 as the PyTorch tab (the same seeded coins); 2-4 (``multinomial`` draws: int64
    counts, then float32 fractions, as MXNet's) by dtype, shape and total; 5 (``cumsum`` of 10000 draws) against
    NumPy; 6 plots: skipped. (The PyTorch tab cannot sample yet: the PyTorch door lacks
    ``torch.distributions``, so these are not compared with it.)
  autograd (13 cells): all run; all as the PyTorch tab but 2 (``attach_grad`` allocates a zero gradient at once:
    MXNet's x.grad is zeros where PyTorch's is None), checked against NumPy.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from turunan import tour
from turunan.mxnet import np as mnp

CHAPTERS = tour.PRELIMINARIES
COUNTS = {"ndarray": 24, "linear-algebra": 30, "calculus": 8, "probability": 7, "autograd": 13}


class Frozen:
    """An array as a cell showed it (a later cell may change it in place): its repr, type, dtype, shape, values."""

    def __init__(self, t):
        self.repr, self.type = repr(t), type(t)
        self.dtype, self.shape = str(t.dtype), tuple(t.shape)
        self.array = np.array(t.asnumpy() if hasattr(t, "asnumpy") else t.detach().numpy())


def freeze(value):
    if isinstance(value, (tuple, list)) and type(value).__name__ != "Size":
        return type(value)(freeze(v) for v in value)
    if hasattr(value, "detach") and hasattr(value, "dtype") and not isinstance(value, type):
        return Frozen(value)
    return value


@functools.cache
def chapter_runs(chapter: str) -> tuple:
    """(the MXNet tab's runs on turunan, each with its PyTorch partner or None; the MXNet namespace at the end).
    The partner of an ``all`` cell is the same cell; of an MXNet cell, the PyTorch cell of its step."""
    pytest.importorskip("torch", reason="the cells are compared with the PyTorch tab on real PyTorch (torch extra)")
    ns: dict = {}
    ours = list(tour.run_tab(chapter, "mxnet", freeze=freeze, ns=ns))
    theirs = {r.pos: r for r in tour.run_tab(chapter, "pytorch", on_turunan=False, freeze=freeze)}
    cells = tour.d2l_cells(chapter)
    pos_of = {id(c): p for p, c in enumerate(cells)}
    paired = []
    for ran in ours:
        tabs, _, group = cells[ran.pos]
        if "all" in tabs:
            partner = theirs.get(ran.pos)
        else:
            partner = next((theirs[pos_of[id(c)]] for c in cells
                            if c[2] == group and "pytorch" in c[0] and pos_of[id(c)] in theirs), None)
        paired.append((ran, partner))
    return paired, ns


def mxnet_repr(a: np.ndarray) -> str:
    """How MXNet's np prints an array: NumPy's repr, without the dtype when it is MXNet's default (float32)."""
    text = repr(a)
    if "dtype=" in text and a.dtype == np.float32:
        return text[:text.rindex(",")] + ")"
    if "dtype=" not in text and a.dtype not in (np.float32, np.bool_):
        return text[:-1] + f", dtype={a.dtype})"
    return text


def same(got, want, where: str) -> None:
    """An MXNet value ``got`` is the PyTorch tab's ``want`` in MXNet's dtypes (float32, bool) and printing."""
    if isinstance(want, Frozen):
        assert isinstance(got, Frozen) and got.type is mnp.ndarray, f"{where}: {got!r} vs PyTorch's {want.repr}"
        expected = want.array.astype(np.bool_ if want.array.dtype == np.bool_ else np.float32)
        assert got.array.dtype == expected.dtype and got.shape == expected.shape, f"{where}: {got.repr}"
        np.testing.assert_allclose(got.array, expected, rtol=1e-6, err_msg=where)
        assert got.repr == mxnet_repr(got.array), f"{where}: {got.repr}"
        return
    if type(want).__name__ == "Size":
        assert type(got) is tuple and got == tuple(want), f"{where}: {got!r} vs {want!r}"
        return
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            same(g, w, f"{where}[{i}]")
        return
    assert got == want and type(got) is type(want), f"{where}: {got!r} vs PyTorch's {want!r}"


def is_array(v, dtype, shape) -> np.ndarray:
    assert isinstance(v, Frozen) and v.type is mnp.ndarray, v
    assert v.array.dtype == dtype and v.shape == shape, (v.repr, v.array.dtype, v.shape)
    assert v.repr == mxnet_repr(v.array)
    return v.array


# ---- the cells checked otherwise -------------------------------------------------------------------------------------
def _random_normal(ran, partner, ns):
    a = is_array(ran.value, np.float32, (3, 4))
    assert np.isfinite(a).all() and len(np.unique(a)) == 12


def _exp_of_the_unchanged_x(ran, partner, ns):
    # MXNet's reshape copies: X[:2, :] = 12 wrote into X only, x is still 0..11 (PyTorch's x changed with X)
    a = is_array(ran.value, np.float32, (12,))
    np.testing.assert_allclose(a, np.exp(np.arange(12, dtype=np.float32)), rtol=1e-6)
    np.testing.assert_allclose(partner.value.array[:8], np.exp(np.float32(12)), rtol=1e-6)


def _keeps_id(ran, partner, ns):
    for r in (ran, partner):
        ids = re.findall(r"id\(Z\): (\d+)", r.printed)
        assert len(ids) == 2 and ids[0] == ids[1], f"cell {r.n} printed {r.printed!r}"


def _types(ran, partner, ns):
    assert ran.value == (np.ndarray, mnp.ndarray)
    np.testing.assert_array_equal(ns["A"], ns["B"].asnumpy())


def torch_prefix(k: int):
    """The MXNet cell's value is the first ``k`` values of the PyTorch cell's tuple (which shows one more)."""
    def check(ran, partner, ns):
        same(ran.value, partner.value[:k] if k > 1 else partner.value[0], f"cell {ran.n}")
    return check


def _float32_limits(ran, partner, ns):
    def f(x):
        return 3 * x ** 2 - 4 * x
    want = "".join(f"h={h:.5f}, numerical limit={(f(1 + h) - f(1)) / h:.5f}\n"
                   for h in 10.0 ** np.arange(-1, -6, -1, dtype=np.float32))
    assert ran.printed == want, (ran.printed, want)
    assert ran.printed.splitlines()[0] == partner.printed.splitlines()[0]     # the same where float32 suffices


def _draw(dtype, total: int, scale: float):
    def check(ran, partner, ns):
        a = is_array(ran.value, dtype, (2,)) * scale
        assert (a >= 0).all() and np.allclose(a, np.round(a)) and round(a.sum()) == total
        if total >= 10000:      # the law of large numbers, at a margin a fair coin leaves only by a 1e-23 chance
            assert np.abs(a / total - 0.5).max() < 0.05
    return check


def _cumulative_estimates(ran, partner, ns):
    counts, cum, est = (ns[k] for k in ("counts", "cum_counts", "estimates"))
    assert isinstance(counts, mnp.ndarray) and counts.dtype == np.int64 and counts.shape == (10000, 2)
    assert (counts.asnumpy().sum(1) == 1).all()
    assert cum.dtype == np.float32 and est.dtype == np.float32
    np.testing.assert_array_equal(cum.asnumpy(), np.cumsum(counts.asnumpy().astype(np.float32), axis=0))
    np.testing.assert_allclose(est.asnumpy(), cum.asnumpy() / cum.asnumpy().sum(1, keepdims=True), rtol=1e-6)
    assert abs(est.asnumpy()[-1, 0] - 0.5) < 0.05


def _zero_gradient_buffer(ran, partner, ns):
    np.testing.assert_array_equal(is_array(ran.value, np.float32, (4,)), np.zeros(4, np.float32))
    assert partner.value is None       # PyTorch's x.grad: None until a backward reaches x


PLOT = "plots with the book's helper package (d2l) and matplotlib"
SPECIAL = {
    ("ndarray", 7): _random_normal,
    ("ndarray", 12): _exp_of_the_unchanged_x,
    ("ndarray", 20): _keeps_id,
    ("ndarray", 22): _types,
    ("linear-algebra", 25): torch_prefix(3),
    ("linear-algebra", 26): torch_prefix(1),
    ("calculus", 2): _float32_limits,
    ("calculus", 7): PLOT,
    ("probability", 2): _draw(np.int64, 100, 1.0),
    ("probability", 3): _draw(np.float32, 100, 100.0),
    ("probability", 4): _draw(np.float32, 10000, 10000.0),
    ("probability", 5): _cumulative_estimates,
    ("probability", 6): PLOT,
    ("autograd", 2): _zero_gradient_buffer,
}
CASES = [(c, n) for c in CHAPTERS for n in range(COUNTS[c])]


@pytest.fixture(scope="module", autouse=True)
def _chapters_present():
    if not (tour.d2l_root() / "chapter_preliminaries").is_dir():
        pytest.skip(f"D2L's chapters are not here: {tour.d2l_root() / 'chapter_preliminaries'} (shared/ beside "
                    "the checkout, or $TURUNAN_D2L)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_mxnet_cell_is_tested(chapter):
    assert len(tour.tab_cells(chapter, "mxnet")) == COUNTS[chapter]


@pytest.mark.parametrize("chapter, n", CASES, ids=[f"{c}-{n}" for c, n in CASES])
def test_mxnet_cell(chapter, n):
    paired, ns = chapter_runs(chapter)
    ran, partner = paired[n]
    special = SPECIAL.get((chapter, n))
    if special == PLOT:
        assert isinstance(ran.error, NameError) and ran.error.name in tour.NOT_RUN, ran.error
        pytest.skip(f"{chapter} cell {n}: {PLOT}")
    assert ran.error is None, f"{chapter} cell {n} raised {ran.error!r}\n{ran.code}"
    if chapter == "probability" and special is not None:
        special(ran, partner, ns)          # the PyTorch tab cannot sample on turunan yet, nor is it needed here
        return
    assert partner is not None and partner.error is None, f"{chapter} cell {n}: the PyTorch cell failed"
    if special is not None:
        special(ran, partner, ns)
        return
    same(ran.value, partner.value, f"{chapter} cell {n}")
    assert ran.printed == partner.printed
