"""D2L's chapters after the preliminaries, MXNet tab, on turunan (issue 11): linear regression (scratch and
concise), softmax regression (scratch and concise) and the multilayer perceptron (scratch and concise). Their
MXNet cells (untagged, ``mxnet`` and ``all``) run with only ``from mxnet ...`` swapped for ``from turunan.mxnet
...`` (``turunan.tour.runnable``), over the book's helper library ``from d2l import mxnet as d2l``
(``../shared/d2l/d2l/mxnet.py``, read at run time and run over the MXNet door by ``turunan.book.load_library``).

MXNet is retired and does not install here, so the reference is the PyTorch tab of the same chapters run on real
PyTorch (``test_d2l_chapters_torch.chapter_run``: the torch extra; these tests skip without it). The glue is that
test's (``turunan.book``): a synthetic Fashion-MNIST of the same shapes and dtypes, a board that keeps its points,
and one NumPy random stream seeded with the same ``SEED``. Here every draw the MXNet cells make comes from that
stream the way the PyTorch tab's twin draw does: ``np.random.normal`` / ``randn`` / ``rand`` / ``uniform`` (and
D2L's aliases of them), the initialisers that ``initialize()`` runs (``init.Normal``, ``init.Uniform``), and the
shuffling ``DataLoader``'s permutation each epoch. So both tabs see the same data, batch order and initial
parameters wherever they draw the same numbers.

Where the tabs really differ, the PyTorch reference is run with MXNet's rule in its place (said here, nowhere
else): the concise models' initialisation, and gluon's ``L2Loss``.

- Initialisation (linear-regression-concise, softmax-regression-concise, mlp-implementation's concise MLP):
  gluon's ``Dense`` takes the weight from ``initialize(init)`` (``init.Normal(sigma=0.01)`` in linear regression;
  ``init.Uniform()``, uniform in [-0.07, 0.07], where no initialiser is given) and zeros for the bias, drawn at
  the first forward pass (deferred); PyTorch's ``LazyLinear`` draws both from its Kaiming-uniform rule at the
  first forward pass (the ``weight.data.normal_`` of the PyTorch linear-regression cell fills the uninitialised
  parameter: nothing). The reference's ``Linear.reset_parameters`` (which ``LazyLinear`` calls when it
  materialises, at the same point of the run) draws MXNet's weight from the shared stream and zeros the bias.
- Loss (linear-regression-concise): gluon's ``L2Loss`` is half the squared error (``0.5 * (pred - label)²``),
  PyTorch's ``MSELoss`` the whole; with the same learning rate MXNet's steps are half PyTorch's. The reference's
  ``MSELoss`` is halved, which is exactly MXNet's loss: its curve and its steps are then MXNet's.

Checked: every MXNet cell of each chapter runs, without an error. The cells with a value are softmax-regression-
scratch's: each is compared with the PyTorch cell of the same step (values to rtol 1e-6, float32 as PyTorch's
there; ``preds.shape`` is a tuple in MXNet, ``torch.Size`` in PyTorch: compared by value). What the cells print
(linear regression's errors in ``w`` and ``b``) is checked against NumPy: MXNet formats an array as NumPy's ``str``
(``[ 0.1 -0.2]``, not ``array(...)``), the text must be exactly that of the values computed with NumPy from the
cells' own data and learnt parameters; the numbers are also checked against the reference's learnt parameters.
For each model trained (one per chapter, two in mlp-implementation: scratch, then concise), every point of its
training loss, validation loss and validation accuracy curves and its learnt parameters are compared with the
reference's to rtol 1e-4, atol 1e-5 (they agree to about 2e-7; against the unpatched PyTorch tab the concise
chapters' curves differ by 200% and more, so the rules above are what makes them one computation); and the
titles of the wrongly classified images that softmax-regression-scratch's last cell shows are PyTorch's.
``max_epochs`` is the cells' own (3 and 10): nothing is shortened.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
from test_d2l_chapters_torch import SEED, _board, chapter_run

from turunan import book, tour

CHAPTERS = ("linear-regression-scratch", "linear-regression-concise", "softmax-regression-scratch",
            "softmax-regression-concise", "mlp-implementation")
# the chapters whose concise models gluon initialises otherwise than PyTorch: MXNet's weight initialiser there
GLUON_INIT = {"linear-regression-concise": "normal", "softmax-regression-concise": "uniform",
              "mlp-implementation": "uniform"}


@pytest.fixture(autouse=True)
def _present():
    pytest.importorskip("torch", reason="the MXNet tab is compared with the PyTorch tab on real PyTorch (torch extra)")
    missing = [p for p in [book.library_path("mxnet"), *map(book.chapter_path, CHAPTERS)] if not p.is_file()]
    if missing:
        pytest.skip(f"D2L's chapters and helper library are not here: {missing[0]} (shared/ beside the checkout, or "
                    "$TURUNAN_D2L)")


# ---- the MXNet tab on turunan, its draws from the shared stream ---------------------------------------------
class Stream:
    """The MXNet cells' random draws, from a NumPy stream seeded with SEED, as the PyTorch test's ``Shared``:
    ``normal``/``uniform``/``randn``/``rand`` under ``mxnet.np.random``'s signatures, float32 ndarrays."""

    def __init__(self):
        self.rng = np.random.RandomState(SEED)

    @staticmethod
    def _nd(a, dtype=None):
        from turunan.mxnet import np as mnp
        return mnp.array(np.asarray(a, np.float32), dtype=dtype or np.float32)

    @staticmethod
    def _shape(size):
        return () if size is None else (size,) if isinstance(size, int) else tuple(size)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=None, ctx=None, out=None):
        return self._nd(self.rng.normal(loc, scale, self._shape(size)), dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=None, ctx=None, out=None):
        return self._nd(self.rng.uniform(low, high, self._shape(size)), dtype)

    def randn(self, *size, dtype=None):
        return self._nd(self.rng.standard_normal(size), dtype)

    def rand(self, *size, dtype=None):
        return self._nd(self.rng.uniform(0.0, 1.0, size), dtype)


def _patch_random(mp) -> Stream:
    """Before the library loads (its ``normal = np.random.normal`` keeps what it finds): the door's samplers, which
    the cells, D2L's aliases and ``init``'s initialisers call, and the loader's order, draw from one stream."""
    import turunan.data
    import turunan.mxnet.numpy.random as door_random
    stream = Stream()
    for name in ("normal", "uniform", "randn", "rand"):
        mp.setattr(door_random, name, getattr(stream, name))
    mp.setattr(turunan.data.DataLoader, "_order", lambda self: stream.rng.permutation(len(self.dataset))
               if self.shuffle else np.arange(len(self.dataset)))
    return stream


def _frozen(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_frozen(v) for v in value)
    if hasattr(value, "asnumpy"):
        return ("array", str(value.dtype), value.asnumpy())
    return value


@functools.cache
def mxnet_run(chapter: str):
    """The MXNet tab's runs, the models it trained (``model``, each time bound anew), the library, the namespace."""
    with pytest.MonkeyPatch.context() as mp, book.synthetic_data():
        _patch_random(mp)
        d2l = book.load_library("mxnet")
        ns = {"__name__": f"d2l_{chapter}", "d2l": d2l, "tab": book.Tab("mxnet")}
        ran, models = [], []
        for r in tour.run_tab(chapter, "mxnet", freeze=_frozen, ns=ns):
            ran.append(r)
            model = ns.get("model")
            if model is not None and all(model is not m for m in models):
                models.append(model)
    return ran, models, d2l, ns


# ---- the reference: the PyTorch tab on PyTorch, with MXNet's rule where the tabs differ -----------------------
def _gluon_reset(kind: str):
    """``Linear.reset_parameters`` as gluon initialises a ``Dense``: the weight from ``init.Normal(0.01)`` or
    ``init.Uniform(0.07)`` (the shared stream: the PyTorch test patches ``normal_``/``uniform_``), bias zeros."""
    import torch

    def reset_parameters(self):
        with torch.no_grad():
            if kind == "normal":
                self.weight.normal_(0.0, 0.01)
            else:
                self.weight.uniform_(-0.07, 0.07)
            if self.bias is not None:
                self.bias.zero_()
    return reset_parameters


@functools.cache
def reference_run(chapter: str):
    if chapter not in GLUON_INIT:
        return chapter_run(chapter, False)
    import torch

    class HalfMSELoss(torch.nn.MSELoss):
        """gluon's L2Loss, averaged: half PyTorch's MSELoss."""

        def forward(self, input, target):  # noqa: A002  (PyTorch's parameter name)
            return super().forward(input, target) / 2

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.nn.Linear, "reset_parameters", _gluon_reset(GLUON_INIT[chapter]))
        if chapter == "linear-regression-concise":
            mp.setattr(torch.nn, "MSELoss", HalfMSELoss)
        return chapter_run.__wrapped__(chapter, False)


def _learnt_mxnet(model) -> list:
    """The parameters D2L's ``Module.parameters()`` gives: a gluon ParameterDict's data in order, or the scratch
    ndarrays (sorted by attribute name: ``get_scratch_params`` walks ``dir``)."""
    params = model.parameters()
    values = params.values() if hasattr(params, "values") else params
    return [np.array((p.data() if hasattr(p, "data") and callable(p.data) else p).asnumpy()) for p in values]


def _learnt_torch(model) -> list:
    """The same parameters of the PyTorch model, in the same order: a layer's in registration order; scratch
    parameters (registered, or plain tensors that require grad) sorted by name."""
    named = dict(model.named_parameters())
    if named and any("." in n for n in named):
        return [p.detach().numpy().copy() for p in named.values()]
    named = named or {k: v for k, v in vars(model).items() if getattr(v, "requires_grad", False) is True}
    return [named[k].detach().numpy().copy() for k in sorted(named)]


# ---- the tests ------------------------------------------------------------------------------------------------
def test_the_library_loads_but_for_aliases_of_what_turunan_lacks():
    """D2L's ``mxnet.py`` runs over the door; it may leave out only aliases of NumPy names the core has not got
    (``turunan.book`` skips an alias that fails): where ``turunan.numpy`` has one, the door must name it."""
    import turunan.numpy
    *_, d2l, _ = mxnet_run("linear-regression-scratch")
    left_out = {s.partition(" =")[0] for s in d2l.skipped}
    assert not [name for name in left_out if hasattr(turunan.numpy, name)], f"name {left_out} in mxnet.np"
    assert left_out <= {"meshgrid", "sinh", "cosh"}, d2l.skipped
    assert d2l.USE_MXNET and d2l.num_gpus() == 0 and repr(d2l.try_gpu()) == "cpu(0)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_cell_runs(chapter):
    ran, *_ = mxnet_run(chapter)
    assert len(ran) == len(tour.tab_cells(chapter, "mxnet")) > 0
    for r in ran:
        assert r.error is None, f"{chapter} cell {r.n} raised {r.error!r}\n{r.code}"


def _steps(chapter: str, ran) -> dict:
    """The tab's cells by step: (group of side-by-side cells in the chapter, the cell's rank in it for this tab)."""
    groups = [g for _, _, g in tour.d2l_cells(chapter)]
    out: dict = {}
    for r in ran:
        rank = sum(1 for group, _ in out if group == groups[r.pos])
        out[groups[r.pos], rank] = r
    return out


def _same_value(got, want, where):
    if isinstance(want, tuple) and want and want[0] == "tensor":
        assert got[0] == "array" and f"torch.{got[1]}" == want[1], f"{where}: {got[:2]} vs PyTorch's {want[:2]}"
        assert got[2].shape == want[2].shape, where
        np.testing.assert_allclose(got[2], want[2], rtol=1e-6, err_msg=where)
    elif type(want).__name__ == "Size":
        assert type(got) is tuple and got == tuple(want), f"{where}: {got!r} vs PyTorch's {want!r}"
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same_value(g, w, f"{where}[{i}]")
    else:
        assert got == want, f"{where}: {got!r} vs PyTorch's {want!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_values_as_the_pytorch_tab(chapter):
    """Each MXNet cell with a value against the PyTorch cell of the same step (softmax-regression-scratch has five;
    the other chapters' cells define and train, their results are the next tests')."""
    ours = _steps(chapter, mxnet_run(chapter)[0])
    theirs = _steps(chapter, reference_run(chapter)[0])
    compared = 0
    for step, r in ours.items():
        if r.value is not None:
            assert step in theirs, f"{chapter} cell {r.n} has no PyTorch twin"
            _same_value(r.value, theirs[step].value, f"{chapter} cell {r.n}")
            compared += 1
    assert compared == (5 if chapter == "softmax-regression-scratch" else 0)


@pytest.mark.parametrize("chapter, n_models", [(c, 2 if c.startswith("mlp") else 1) for c in CHAPTERS])
def test_training_matches_the_pytorch_tab(chapter, n_models):
    _, ours, *_ = mxnet_run(chapter)
    _, theirs, _ = reference_run(chapter)
    assert len(ours) == len(theirs) == n_models
    for i, (o, t) in enumerate(zip(ours, theirs)):
        where = f"{chapter} model {i}"
        a, b = _board(o), _board(t)
        assert sorted(a) == sorted(b) and a, f"{where}: board {sorted(a)} vs {sorted(b)}"
        for k in b:
            assert len(a[k]) == len(b[k]) > 0, f"{where} {k}: {len(a[k])} points vs {len(b[k])}"
            np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-5, err_msg=f"{where} {k}")
        pa, pb = _learnt_mxnet(o), _learnt_torch(t)
        assert pa and [p.shape for p in pa] == [p.shape for p in pb], where
        for j, (x, y) in enumerate(zip(pa, pb)):
            np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5, err_msg=f"{where} parameter {j}")


def _w_and_b(learnt: list, chapter: str) -> tuple:
    """Linear regression's (w, b), flat: a Dense layer's (weight, bias), or the scratch model's (b, w) by name."""
    w, b = learnt if chapter.endswith("concise") else learnt[::-1]
    return w.reshape(-1), b.reshape(-1)


@pytest.mark.parametrize("chapter", ["linear-regression-scratch", "linear-regression-concise"])
def test_printed_errors_are_numpys_text(chapter):
    """``print(f'error in estimating w: {data.w - d2l.reshape(w, data.w.shape)}')``: MXNet formats an array as
    NumPy's ``str``; the text is exactly NumPy's for the same float32 values, and those are the reference's."""
    ran, models, _, ns = mxnet_run(chapter)
    (printed,) = [r.printed for r in ran if r.printed]
    w_true, b_true = np.float32([2, -3.4]), np.float32(4.2)
    w, b = _w_and_b(_learnt_mxnet(models[0]), chapter)
    assert printed == f"error in estimating w: {w_true - w}\nerror in estimating b: {b_true - b}\n"
    tw, tb = _w_and_b(_learnt_torch(reference_run(chapter)[1][0]), chapter)
    numbers = [float(x) for x in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", printed)]
    np.testing.assert_allclose(numbers, np.concatenate([w_true - tw, b_true - tb]), rtol=1e-4, atol=1e-5)
    assert np.asarray(ns["data"].w.asnumpy()).tolist() == w_true.tolist()


def test_the_wrongly_classified_images_are_pytorchs():
    """softmax-regression-scratch's last cell shows the validation images the model gets wrong, titled with the
    true and the predicted label: the same images, the same titles as the PyTorch tab's."""
    *_, ours, _ = mxnet_run("softmax-regression-scratch")
    *_, theirs = reference_run("softmax-regression-scratch")
    assert len(theirs.shown) == 1 and len(theirs.shown[0]) > 0
    assert ours.shown == theirs.shown
