"""D2L's chapters after the preliminaries, PyTorch tab, on turunan (issue 11): linear regression (scratch and
concise), softmax regression (scratch and concise) and the multilayer perceptron (scratch and concise). Their
cells run with only the import lines swapped (``import torch`` -> ``import turunan.torch as torch``,
``turunan.tour.runnable``), once on turunan and once on real PyTorch, and what they produce is compared.

The book's helper library ``from d2l import torch as d2l`` is ``../shared/d2l/d2l/torch.py``, read at run time
(never copied here) and executed as a module whose imports of ``torch`` (and ``torch.nn``, ...) give
``turunan.torch`` in turunan's run and PyTorch in PyTorch's (an ``__import__`` of the module's own). Glue, the
same in both runs, for what it needs that is not the chapters' values:

- The glue is ``turunan.book``'s. ``torchvision``'s ``FashionMNIST`` is a small synthetic data set of the same
  shapes and dtypes (``turunan.datasets.synthetic_fashion_mnist``: 28x28 uint8 images, 10 classes; 1024
  training and 256 validation examples, each image 20% its class's template and 80% noise, so the models learn
  but not perfectly), identical in both runs; ``transforms.ToTensor`` gives float32 (1, 28, 28) in [0, 1] as
  torchvision's does. The data modules load with ``num_workers=0`` (in memory).
- The book's ``ProgressBoard`` does not draw (``display=False``): it keeps the points it would plot, which are
  the losses and accuracies compared here; ``show_images`` keeps its titles and draws nothing. ``pandas``,
  ``requests``, ``IPython``, ``matplotlib_inline`` (imported by the library, unused by these chapters) are
  empty modules. Every statement of the library runs (none is left out).
- Random numbers: turunan's generator is not PyTorch's, so in both runs the random draws the chapters make
  (``torch.randn``, ``torch.normal``, ``torch.rand``, the uniform and normal fills of the layers'
  initialisations, and the shuffling ``DataLoader``'s permutation each epoch) are taken from one NumPy stream
  seeded identically: the initial parameters, the data and the batch order are the same in both runs.
- The cells' ``tab.selected(...)`` (the book's tab machinery) is True for ``'pytorch'``.

``max_epochs`` is the cells' own (3 and 10): nothing is shortened.

What runs and matches: all five chapters, every cell of their PyTorch tab, on both. Compared: each cell's value
(tensors by dtype, shape and values to rtol 1e-6; ``torch.Size`` by value) and its printed text (exactly: the
errors in ``w`` and ``b`` that linear-regression-scratch prints); for each model trained (one per chapter, two
in mlp-implementation: scratch, then concise) every point of its training loss, validation loss and validation
accuracy curves and its learnt parameters, to rtol 1e-4, atol 1e-5 (they agree to about 1e-7); and the titles
of the wrongly classified images softmax-regression-scratch's last cell shows.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from turunan import book, tour

CHAPTERS = {
    "linear-regression-scratch": "chapter_linear-regression",
    "linear-regression-concise": "chapter_linear-regression",
    "softmax-regression-scratch": "chapter_linear-classification",
    "softmax-regression-concise": "chapter_linear-classification",
    "mlp-implementation": "chapter_multilayer-perceptrons",
}
SEED = 0


def _library() -> Path:
    return book.library_path("pytorch")


def _chapter(name: str) -> str:
    # turunan.tour reads chapter_preliminaries/<chapter>.md: the other chapters are its siblings
    return f"../{CHAPTERS[name]}/{name}"


@pytest.fixture(autouse=True)
def _present():
    pytest.importorskip("torch", reason="the cells are compared with real PyTorch (the torch extra)")
    root = tour.d2l_root()
    if not (_library().is_file() and all((root / d / f"{c}.md").is_file() for c, d in CHAPTERS.items())):
        pytest.skip(f"D2L's chapters and helper library are not here: {root} (shared/ beside the checkout, or "
                    "$TURUNAN_D2L)")


# ---- one stream of random numbers for both runs ----------------------------------------------------------------
class Shared:
    """The random draws of a run, from a NumPy stream seeded with SEED (the same in both runs)."""

    def __init__(self, fw):
        self.fw, self.rng = fw, np.random.RandomState(SEED)

    def tensor(self, a, requires_grad=False, dtype=None):
        t = self.fw.tensor(np.asarray(a, np.float32))
        if dtype is not None:
            t = t.to(dtype)
        return t.requires_grad_(True) if requires_grad else t

    @staticmethod
    def _shape(size):
        return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)

    def randn(self, *size, requires_grad=False, dtype=None, **_):
        return self.tensor(self.rng.standard_normal(self._shape(size)), requires_grad, dtype)

    def rand(self, *size, requires_grad=False, dtype=None, **_):
        return self.tensor(self.rng.uniform(0.0, 1.0, self._shape(size)), requires_grad, dtype)

    def normal(self, mean=0.0, std=1.0, size=(), *, requires_grad=False, dtype=None, **_):
        return self.tensor(self.rng.normal(mean, std, tuple(size)), requires_grad, dtype)

    def permutation(self, n):
        return self.rng.permutation(n)

    # the layers' initialisations: arrays for turunan's init (its ``_rng(generator)``), a fill for PyTorch's
    def uniform(self, a, b, shape):
        return self.rng.uniform(a, b, shape)

    def normal_array(self, mean, std, shape):
        return self.rng.normal(mean, std, shape)


def _patch_random(mp, fw, on_turunan: bool) -> Shared:
    shared = Shared(fw)
    for name in ("randn", "rand", "normal"):
        mp.setattr(fw, name, getattr(shared, name))

    def fill(draw):
        def method(self, a=0.0, b=1.0, *, generator=None, **kw):
            with fw.no_grad():
                self.copy_(fw.tensor(np.asarray(draw(a, b, tuple(self.shape)), np.float32)).to(self.dtype))
            return self
        return method

    mp.setattr(fw.Tensor, "uniform_", fill(shared.uniform))
    mp.setattr(fw.Tensor, "normal_", fill(shared.normal_array))
    if on_turunan:
        import turunan.data
        import turunan.nn.init

        class Rng:
            uniform = staticmethod(shared.uniform)
            normal = staticmethod(shared.normal_array)

        mp.setattr(turunan.nn.init, "_rng", lambda generator=None: Rng)
        mp.setattr(turunan.data.DataLoader, "_order",
                   lambda self: shared.permutation(len(self.dataset)) if self.shuffle
                   else np.arange(len(self.dataset)))
    else:
        from torch.utils.data import RandomSampler

        def order(self):        # one permutation an epoch (PyTorch's sampler draws a second, unused, at the end)
            assert not self.replacement and self.num_samples == len(self.data_source)
            yield from shared.permutation(len(self.data_source)).tolist()

        mp.setattr(RandomSampler, "__iter__", order)
    return shared


# ---- the book's helper library, over one framework ------------------------------------------------------------
def load_d2l(fw, on_turunan: bool):
    """``d2l/torch.py`` as a module whose ``torch`` is ``fw`` (``turunan.book.load_library``: the glue)."""
    return book.load_library("pytorch", on_turunan)


def test_the_whole_library_loads():
    """Every statement of the book's library runs on the door (no alias of a missing name is left out)."""
    (_, _, ours), (_, _, theirs) = runs("linear-regression-scratch")
    assert theirs.skipped == [] and ours.skipped == [], ours.skipped


def _frozen(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_frozen(v) for v in value)
    if hasattr(value, "detach") and hasattr(value, "dtype") and not isinstance(value, type):
        return ("tensor", str(value.dtype), np.array(value.detach().numpy()))
    return value


@functools.cache
def chapter_run(chapter: str, on_turunan: bool):
    """The cells' runs, the models they trained (``model``, each time it is bound anew) and the library."""
    if on_turunan:
        import turunan.torch as fw
    else:
        import torch as fw
    with pytest.MonkeyPatch.context() as mp, book.synthetic_data():
        _patch_random(mp, fw, on_turunan)
        d2l = load_d2l(fw, on_turunan)
        ns = {"__name__": f"d2l_{chapter}", "d2l": d2l, "tab": book.Tab("pytorch")}
        ran, models = [], []
        for r in tour.run_tab(_chapter(chapter), "pytorch", on_turunan=on_turunan, freeze=_frozen, ns=ns):
            ran.append(r)
            model = ns.get("model")
            if model is not None and all(model is not m for m in models):
                models.append(model)       # mlp-implementation trains two: scratch, then concise
    return ran, models, d2l


def runs(chapter: str):
    return chapter_run(chapter, True), chapter_run(chapter, False)


def _array(t):
    return np.array(t.detach().numpy())


def _board(model) -> dict:
    return {k: np.array([float(p.y) for p in v]) for k, v in model.board.data.items()}


def _learnt(model) -> list:
    """The model's parameters; for linear regression from scratch (plain tensors ``w``, ``b``, not registered),
    its attributes that require grad."""
    params = list(model.parameters())
    return params or [v for _, v in sorted(vars(model).items()) if getattr(v, "requires_grad", False) is True]


def _same_training(ours, theirs, where, rtol=1e-4, atol=1e-5):
    a, b = _board(ours), _board(theirs)
    assert sorted(a) == sorted(b) and a, f"{where}: board {sorted(a)} vs {sorted(b)}"
    for k in b:
        assert len(a[k]) == len(b[k]) > 0, f"{where} {k}: {len(a[k])} points vs {len(b[k])}"
        np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol, err_msg=f"{where} {k}")
    pa, pb = [_array(p) for p in _learnt(ours)], [_array(p) for p in _learnt(theirs)]
    assert pa, f"{where}: no parameters"
    assert [p.shape for p in pa] == [p.shape for p in pb], where
    for i, (x, y) in enumerate(zip(pa, pb)):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"{where} parameter {i}")


def _same_value(got, want, where, rtol=1e-6):
    if isinstance(want, tuple) and want and want[0] == "tensor":
        assert got[:2] == want[:2], f"{where}: {got[:2]} vs {want[:2]}"
        assert got[2].shape == want[2].shape and got[2].dtype == want[2].dtype, where
        np.testing.assert_allclose(got[2], want[2], rtol=rtol, err_msg=where)
    elif type(want).__name__ == "Size":
        assert type(got).__name__ == "Size" and tuple(got) == tuple(want), f"{where}: {got!r} vs {want!r}"
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same_value(g, w, f"{where}[{i}]", rtol)
    else:
        assert got == want, f"{where}: {got!r} vs PyTorch's {want!r}"


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_every_cell_runs_on_both(chapter):
    (ours, _, _), (theirs, _, _) = runs(chapter)
    assert len(ours) == len(theirs) == len(tour.tab_cells(_chapter(chapter), "pytorch")) > 0
    for o, t in zip(ours, theirs):
        assert t.error is None, f"{chapter} cell {t.n} fails on PyTorch itself: {t.error!r}"
        assert o.error is None, f"{chapter} cell {o.n} raised {o.error!r}\n{o.code}"
        _same_value(o.value, t.value, f"{chapter} cell {o.n}")
        assert o.printed == t.printed, f"{chapter} cell {o.n} printed {o.printed!r}, PyTorch {t.printed!r}"


@pytest.mark.parametrize("chapter, n_models", [(c, 2 if c.startswith("mlp") else 1) for c in CHAPTERS])
def test_training_matches_pytorch(chapter, n_models):
    (_, ours, _), (_, theirs, _) = runs(chapter)
    assert len(ours) == len(theirs) == n_models
    for i, (o, t) in enumerate(zip(ours, theirs)):
        _same_training(o, t, f"{chapter} model {i}")


def test_the_wrongly_classified_images_are_pytorchs():
    """softmax-regression-scratch's last cell shows the validation images the model gets wrong, titled with the
    true and the predicted label: the same images, the same titles."""
    (_, _, ours), (_, _, theirs) = runs("softmax-regression-scratch")
    assert len(theirs.shown) == 1 and len(theirs.shown[0]) > 0
    assert ours.shown == theirs.shown


def _lazy_and_loader(fw) -> list:
    lazy = fw.nn.LazyLinear(3)
    facts = [repr(lazy), isinstance(lazy, fw.nn.Linear)]
    opt = fw.optim.SGD(lazy.parameters(), lr=0.1)
    lazy.weight.data.normal_(0, 0.01)           # on the uninitialised parameter: nothing to fill, as in PyTorch
    y = lazy(fw.ones(2, 5))
    y.sum().backward()
    opt.step()                                  # the optimiser holds the same parameters, now materialised
    facts += [repr(lazy), type(lazy).__name__, tuple(lazy.weight.shape), tuple(lazy.bias.shape), tuple(y.shape)]
    data = fw.utils.data.TensorDataset(fw.arange(6.0), fw.arange(6))
    loader = fw.utils.data.DataLoader(data, batch_size=4, shuffle=False, num_workers=0)
    batches = list(loader)
    facts += [len(loader), [type(b).__name__ for b in batches], [[t.tolist() for t in b] for b in batches]]
    return facts


def test_lazy_linear_and_data_loader_as_pytorch():
    """The two names the chapters needed from the door: ``nn.LazyLinear`` (in_features from the first input, the
    same parameter objects, then a ``Linear``) and ``DataLoader`` with PyTorch's keywords (lists of tensors)."""
    import torch

    import turunan.torch
    assert _lazy_and_loader(turunan.torch) == _lazy_and_loader(torch)
