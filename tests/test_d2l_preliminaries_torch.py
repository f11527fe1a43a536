"""D2L's preliminaries, PyTorch tab, on turunan: the cells run with ``import torch`` swapped for ``import
turunan.torch as torch`` (issue 11), and every cell is compared with the same cell run on real PyTorch.

The chapters are read at run time from ``../shared/d2l/chapter_preliminaries/`` (beside the checkout; the tests
skip, saying why, when it is absent): ``ndarray``, ``linear-algebra``, ``calculus``, ``probability`` and
``autograd``. The ``%%tab pytorch`` and ``%%tab all`` cells run in order in one namespace, as in a notebook
(``turunan.tour.run_tab``, also what ``python -m turunan tour --chapter C --tab pytorch`` prints), once on
turunan and once on PyTorch, with the same seeds. A cell matches when it shows the same thing: the same repr
(PyTorch's printing, ``grad_fn`` included), the same printed text, and, for tensors, the same type of value,
dtype, shape, ``requires_grad`` and values (exactly; ``rtol=1e-6`` where a float32 kernel may round the last
bit differently).

Glue, the smallest there is (``turunan.tour.runnable``): IPython magics (``%matplotlib inline``) and the imports
of the book's helper package (``from d2l import ...``) and of ``matplotlib_inline`` are dropped; the cells that
plot with them fail alike on both (a NameError for ``d2l`` or ``backend_inline``) and are skipped here. Every
other line runs unchanged, ``from torch.x import ...`` becoming ``from turunan.torch.x import ...``.

What runs and matches (the PyTorch tab's cells, numbered from 0 in each chapter; ``SPECIAL`` says how):
  ndarray (24 cells): all but these match exactly; 7 (``torch.randn``: turunan's generator is not PyTorch's)
    by type, dtype and shape; 12 (``torch.exp(x)``) to rtol 1e-6 (float32 exp(12) rounds differently: NumPy's
    162754.78, PyTorch's 162754.80); 20 (``Z[:] = ...`` keeps ``id(Z)``: both print one id twice); 22 (the
    types: ``numpy.ndarray`` and the door's Tensor where PyTorch's is ``torch.Tensor``).
  linear-algebra (30 cells), autograd (13 cells): all match exactly.
  calculus (8 cells): 0-6 match; 7 plots with the book's helpers: skipped.
  probability (6 cells): 1 matches (the same seeded coins); 0 imports
    ``torch.distributions.multinomial.Multinomial`` and 2-5 sample from it: their draws are compared by type,
    dtype, shape and total counts (the generators differ). 5 also plots with the book's helpers after its draws.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from turunan import tour

CHAPTERS = tour.PRELIMINARIES
COUNTS = {"ndarray": 24, "linear-algebra": 30, "calculus": 8, "probability": 6, "autograd": 13}


class Frozen:
    """A tensor as a cell showed it (a later cell may change it in place): its repr, type, dtype, shape,
    requires_grad and values."""

    def __init__(self, t):
        self.repr, self.type = repr(t), type(t)
        self.dtype, self.shape = str(t.dtype), tuple(t.shape)
        self.requires_grad = bool(t.requires_grad)
        self.array = np.array(t.detach().numpy())


def freeze(value):
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields") and type(value).__name__ != "Size":
        return type(value)(freeze(v) for v in value)
    if hasattr(value, "detach") and hasattr(value, "dtype") and not isinstance(value, type):
        return Frozen(value)
    return value


@functools.cache
def chapter_runs(chapter: str) -> list:
    """(turunan's run, PyTorch's run) for each cell of the chapter's PyTorch tab."""
    pytest.importorskip("torch", reason="the cells are compared with real PyTorch (the torch extra)")
    ours = list(tour.run_tab(chapter, "pytorch", freeze=freeze))
    theirs = list(tour.run_tab(chapter, "pytorch", on_turunan=False, freeze=freeze))
    return list(zip(ours, theirs))


def same(got, want, where: str, exact: bool = True) -> None:
    if isinstance(want, Frozen):
        assert isinstance(got, Frozen), f"{where}: {got!r} where PyTorch shows {want.repr}"
        assert got.type.__name__ == want.type.__name__ == "Tensor", f"{where}: {got.type} vs {want.type}"
        assert (got.dtype, got.shape, got.requires_grad) == (want.dtype, want.shape, want.requires_grad), \
            f"{where}: {got.repr} vs {want.repr}"
        assert got.array.dtype == want.array.dtype, f"{where}: {got.array.dtype} vs {want.array.dtype}"
        if exact:
            np.testing.assert_array_equal(got.array, want.array, err_msg=where)
            assert got.repr == want.repr, f"{where}:\n{got.repr}\nvs PyTorch's\n{want.repr}"
        else:
            np.testing.assert_allclose(got.array, want.array, rtol=1e-6, err_msg=where)
        return
    if isinstance(want, (tuple, list)) and type(want).__name__ != "Size":
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            same(g, w, f"{where}[{i}]", exact)
        return
    assert repr(got) == repr(want) and got == want, f"{where}: {got!r} vs PyTorch's {want!r}"


# ---- the cells that are not compared exactly ----------------------------------------------------------------------
def _random_normal(ours, theirs):
    v, w = ours.value, theirs.value
    assert (v.type.__name__, v.dtype, v.shape) == ("Tensor", w.dtype, w.shape) == ("Tensor", "torch.float32", (3, 4))
    assert np.isfinite(v.array).all() and len(np.unique(v.array)) == 12


def _close(ours, theirs):
    same(ours.value, theirs.value, f"cell {ours.n}", exact=False)


def _keeps_id(ours, theirs):
    for r in (ours, theirs):
        ids = re.findall(r"id\(Z\): (\d+)", r.printed)
        assert len(ids) == 2 and ids[0] == ids[1], f"cell {r.n} printed {r.printed!r}"


def _types(ours, theirs):
    import turunan.torch
    assert ours.value == (np.ndarray, turunan.torch.Tensor)
    assert theirs.value[0] is np.ndarray and theirs.value[1].__name__ == "Tensor"


PLOT = "plots with the book's helper package (d2l) and matplotlib"
def _multinomial(ours, theirs):
    """``torch.distributions.multinomial.Multinomial``'s draws: counts of the same type, dtype and shape as
    PyTorch's, summing to the same totals (the generators differ, so the counts may too)."""
    if isinstance(theirs.error, NameError) and theirs.error.name == "d2l":   # cell 5: draws, then plots
        assert isinstance(ours.error, NameError) and ours.error.name == "d2l", ours.error
        return
    assert ours.error is None and theirs.error is None, (ours.error, theirs.error)
    v, w = ours.value, theirs.value
    if v is None:
        return
    assert (v.type.__name__, v.dtype, v.shape) == ("Tensor", w.dtype, w.shape)
    assert np.isclose(v.array.sum(), w.array.sum())


SPECIAL = {
    ("ndarray", 7): _random_normal,
    ("ndarray", 12): _close,
    ("ndarray", 20): _keeps_id,
    ("ndarray", 22): _types,
    ("calculus", 7): PLOT,
    **{("probability", n): _multinomial for n in (0, 2, 3, 4, 5)},
}
CASES = [(c, n) for c in CHAPTERS for n in range(COUNTS[c])]


@pytest.fixture(autouse=True)
def _chapters_present(request):
    if request.node.name.startswith(("test_the_tour_refuses", "test_the_tour_says")):     # need no chapter
        return
    if not (tour.d2l_root() / "chapter_preliminaries").is_dir():
        pytest.skip(f"D2L's chapters are not here: {tour.d2l_root() / 'chapter_preliminaries'} (shared/ beside "
                    "the checkout, or $TURUNAN_D2L)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_pytorch_cell_is_tested(chapter):
    assert len(tour.tab_cells(chapter, "pytorch")) == COUNTS[chapter]


@pytest.mark.parametrize("chapter, n", CASES, ids=[f"{c}-{n}" for c, n in CASES])
def test_pytorch_cell(chapter, n):
    ours, theirs = chapter_runs(chapter)[n]
    special = SPECIAL.get((chapter, n))
    if special == PLOT:
        assert isinstance(theirs.error, NameError) and theirs.error.name in tour.NOT_RUN, theirs.error
        assert isinstance(ours.error, NameError) and ours.error.name == theirs.error.name, ours.error
        pytest.skip(f"{chapter} cell {n}: {PLOT}")
    if special is _multinomial:
        special(ours, theirs)
        return
    assert theirs.error is None, f"{chapter} cell {n} fails on PyTorch itself: {theirs.error!r}"
    assert ours.error is None, f"{chapter} cell {n} raised {ours.error!r}\n{ours.code}"
    if special is not None:
        special(ours, theirs)
        return
    same(ours.value, theirs.value, f"{chapter} cell {n}")
    assert ours.printed == theirs.printed


# ---- python -m turunan tour --chapter C --tab T --------------------------------------------------------------------
@pytest.mark.parametrize("tab, shown", [
    ("pytorch", "Out[2]: tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11.])"),
    ("mxnet", "Out[2]: array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11.])"),
    ("tensorflow", "Out[2]: <tf.Tensor: shape=(12,), dtype=float32, numpy="),
])
def test_the_tour_runs_a_chapter_tab(tab, shown, capsys):
    status = tour.main(["--chapter", "ndarray", "--tab", tab])
    out, err = capsys.readouterr()
    assert shown in out and "In [1]: " in out
    if tab == "tensorflow":     # float(a) of a 1-element NumPy array: NumPy >= 2.3 refuses, in the cell's own code
        assert status in (0, 1) and ("0 failed" in out or "only 0-dimensional arrays" in out)
    else:
        assert status == 0 and err == "" and f"ndarray ({tab}): 24 cells ran, 0 not run" in out


def test_the_tour_shows_what_it_does_not_run(capsys):
    assert tour.main(["--chapter", "calculus", "--tab", "mxnet"]) == 0
    out = capsys.readouterr().out
    assert "(plots with matplotlib_inline: not run)" in out and "7 cells ran, 1 not run" in out


@pytest.mark.parametrize("args, words", [
    (["--chapter", "nosuch"], ["--chapter", "invalid choice: 'nosuch'", "ndarray"]),
    (["--chapter", "ndarray", "--tab", "jax"], ["--tab", "invalid choice: 'jax'", "mxnet"]),
    (["--tab", "mxnet"], ["--tab needs --chapter"]),
])
def test_the_tour_refuses_an_unknown_chapter_or_tab_in_one_line(args, words, capsys):
    with pytest.raises(SystemExit) as e:
        tour.main(args)
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)


def test_the_tour_says_in_one_line_when_the_chapters_are_absent(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        tour.main(["--chapter", "ndarray", "--tab", "mxnet", "--d2l", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and len(err.splitlines()) == 1 and "D2L's file is not here" in err, err
