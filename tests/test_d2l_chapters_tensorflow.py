"""D2L's chapters after the preliminaries, TensorFlow tab, on turunan (issue 11): linear regression (scratch and
concise), softmax regression (scratch and concise) and the multilayer perceptron (scratch and concise). Their
cells run with only the import lines swapped (``import tensorflow as tf`` -> ``import turunan.tensorflow as tf``,
``turunan.tour.runnable``) and the book's helper library ``from d2l import tensorflow as d2l`` (read from
``../shared/d2l/d2l/tensorflow.py`` at run time, never copied here) loaded over turunan's TensorFlow door by
``turunan.book.load_library``. TensorFlow does not install here, so what they produce is compared with the
PyTorch tab of the same chapters run on real PyTorch (``tests/test_d2l_chapters_torch.py``'s run), and with NumPy
where TensorFlow's semantics differ.

Glue (``turunan.book``'s, as in the PyTorch test): Fashion-MNIST is ``turunan.datasets.synthetic_fashion_mnist``
(1024 training and 256 validation images of the real shapes and dtypes; ``tf.keras.datasets.fashion_mnist`` reads
it inside ``book.synthetic_data()``); the ``ProgressBoard`` draws nothing and keeps its points; ``show_images``
keeps its titles.

Random numbers: one NumPy stream seeded as the PyTorch test's ``Shared`` (``RandomState(SEED)``) gives, in the
order the cells make them, every draw of both runs: ``tf.random.normal`` / ``tf.random.uniform`` (the library's
``d2l.normal`` / ``d2l.rand`` too) in the TensorFlow run, ``torch.randn`` / ``normal`` / ``rand`` in PyTorch's;
Keras' initializers (``RandomNormal``, ``GlorotUniform``) draw a Dense kernel in PyTorch's layout (out, in) and
transpose it to Keras' (in, out); the data sets' shuffles take the stream's permutations. So both runs start from
the same parameters and data and see the same batches, where their math is the same.

Where the two tabs differ, and what is compared instead:

- Initialisation in the concise chapters: PyTorch's ``LazyLinear`` draws Kaiming-uniform weights and a uniform
  bias (linear-regression-concise's ``weight.data.normal_`` acts on the still uninitialised parameter); Keras'
  ``Dense`` draws its kernel with the cell's ``RandomNormal(stddev=0.01)`` or the default Glorot uniform
  (limit sqrt(6 / (in + out))) and makes a zero bias. The reference run is then PyTorch's tab with its ``Linear``
  layers initialised as Keras initialises them, from the same stream (weights drawn (out, in); zero bias, no
  draw): the same model, so every curve point and parameter is compared.
- Batch order for Fashion-MNIST: the library's TensorFlow pipeline batches the examples in order, then shuffles
  whole batches (``.batch(b).map(...).shuffle(n)``), where PyTorch's ``DataLoader`` shuffles examples. The
  reference run's ``BatchSampler`` gives the batches of consecutive examples in the order of the stream's
  permutation of batches, the order TensorFlow's shuffle takes from the same stream: the same batches, the same
  order, so the curves are compared exactly. (The linear-regression data sets shuffle examples then batch, as
  PyTorch does: there the reference is the PyTorch test's own run, ``chapter_run(chapter, False)``.)
- Values the tabs show differently: a tensor's dtype name (``float32`` vs ``torch.float32``: the arrays' dtypes
  are compared), ``preds.shape`` (a tuple vs ``torch.Size``: compared as tuples), labels (int32 in TensorFlow's
  pipeline, int64 in PyTorch's); linear-regression-scratch's last cell prints the errors as TensorFlow formats
  a tensor (its NumPy value), so its text is compared with NumPy's text of the same arithmetic on the learnt
  parameters, whose values are compared with PyTorch's.

Compared: every cell of the TensorFlow tab runs; each cell's value against the PyTorch tab's cell at the same
place (same group of side-by-side cells) to rtol 1e-6; every point (x and y) of each trained model's training
loss, validation loss and validation accuracy curves, and its learnt parameters (Keras' kernels transposed), to
rtol 1e-4, atol 1e-5; the titles of the wrongly classified images softmax-regression-scratch shows.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from test_d2l_chapters_torch import CHAPTERS, SEED, _chapter, _frozen, _patch_random, chapter_run

from turunan import book, tour

FASHION = {"softmax-regression-scratch", "softmax-regression-concise", "mlp-implementation"}
# how Keras initialises the Dense kernels each chapter makes (the reference's Linear layers follow it)
KERAS_INIT = {"linear-regression-concise": "normal", "softmax-regression-concise": "glorot",
              "mlp-implementation": "glorot"}


@pytest.fixture(autouse=True)
def _present():
    pytest.importorskip("torch", reason="the cells are compared with the PyTorch tab on real PyTorch")
    root = tour.d2l_root()
    if not (book.library_path("tensorflow").is_file()
            and all((root / d / f"{c}.md").is_file() for c, d in CHAPTERS.items())):
        pytest.skip(f"D2L's chapters and helper library are not here: {root} (shared/ beside the checkout, or "
                    "$TURUNAN_D2L)")


# ---- the TensorFlow run: its draws from the shared stream --------------------------------------------------------
def _glorot_limit(shape) -> float:
    return math.sqrt(6.0 / (shape[0] + shape[1]))


def _patch_tensorflow(mp, rng) -> None:
    import turunan.tensorflow as tf
    from turunan.tensorflow import keras

    def constant(a, dtype):
        return tf.constant(np.asarray(a).astype(np.dtype(dtype or np.float32)))

    def normal(shape, mean=0.0, stddev=1.0, dtype=tf.float32, seed=None, name=None):
        return constant(rng.normal(mean, stddev, tuple(shape)), dtype)

    def uniform(shape, minval=0, maxval=None, dtype=tf.float32, seed=None, name=None):
        return constant(rng.uniform(minval, 1.0 if maxval is None else maxval, tuple(shape)), dtype)

    def in_torch_layout(draw):
        """An initializer's draw of a (in, out) kernel made as PyTorch's (out, in) weight, then transposed."""
        def call(self, shape, dtype=None, **kwargs):
            return constant(np.asarray(draw(self, tuple(shape)[::-1])).T, dtype)
        return call

    mp.setattr(tf.random, "normal", normal)
    mp.setattr(tf.random, "uniform", uniform)
    mp.setattr(keras.initializers.RandomNormal, "__call__",
               in_torch_layout(lambda init, shape: rng.normal(init.mean, init.stddev, shape)))
    mp.setattr(keras.initializers.GlorotUniform, "__call__",
               in_torch_layout(lambda init, shape: rng.uniform(-_glorot_limit(shape), _glorot_limit(shape), shape)))
    mp.setattr(tf.data.Dataset, "_permutation", staticmethod(lambda n, gen: rng.permutation(n).tolist()))


def _frozen_tf(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_frozen_tf(v) for v in value)
    if hasattr(value, "numpy") and hasattr(value, "dtype") and not isinstance(value, type):
        return ("tensor", np.array(value.numpy()))
    return value


def _run(chapter: str, tab: str, on_turunan: bool, freeze, ns: dict):
    ran, models = [], []
    for r in tour.run_tab(_chapter(chapter), tab, on_turunan=on_turunan, freeze=freeze, ns=ns):
        ran.append(r)
        model = ns.get("model")
        if model is not None and all(model is not m for m in models):
            models.append(model)       # mlp-implementation trains two: scratch, then concise
    return ran, models, ns["d2l"]


@functools.cache
def tensorflow_run(chapter: str):
    """The TensorFlow tab's cells on turunan: (runs, trained models, the library)."""
    with pytest.MonkeyPatch.context() as mp, book.synthetic_data():
        _patch_tensorflow(mp, np.random.RandomState(SEED))
        ns = {"__name__": f"d2l_tf_{chapter}", "d2l": book.load_library("tensorflow"), "tab": book.Tab("tensorflow")}
        return _run(chapter, "tensorflow", True, _frozen_tf, ns)


# ---- the reference: the PyTorch tab on PyTorch, where needed with Keras' initialisation and batch order --------
def _keras_initialised_linear(shared, kind: str):
    import torch

    def reset_parameters(self):
        shape = tuple(self.weight.shape)        # (out, in), as the TensorFlow run draws it
        if kind == "normal":
            w = shared.rng.normal(0.0, 0.01, shape)
        else:
            w = shared.rng.uniform(-_glorot_limit(shape), _glorot_limit(shape), shape)
        with torch.no_grad():
            self.weight.copy_(torch.tensor(np.asarray(w, np.float32)))
            if self.bias is not None:
                self.bias.zero_()
    return reset_parameters


def _batches_in_shuffled_order(shared):
    """A shuffled DataLoader's batches as TensorFlow's ``.batch(b).shuffle(n)`` gives them: consecutive examples,
    batch by batch in the order of one permutation of the batches (drawn from the stream)."""
    from torch.utils.data import BatchSampler, RandomSampler
    plain = BatchSampler.__iter__

    def batches(self):
        if not isinstance(self.sampler, RandomSampler):
            yield from plain(self)
            return
        n, size = len(self.sampler.data_source), self.batch_size
        for b in shared.permutation(math.ceil(n / size)).tolist():
            yield list(range(b * size, min(n, (b + 1) * size)))
    return batches


@functools.cache
def reference_run(chapter: str):
    """The PyTorch tab on PyTorch, as the TensorFlow tab's math goes (see the module's text)."""
    if chapter not in FASHION and chapter not in KERAS_INIT:
        return chapter_run(chapter, False)
    import torch
    from torch.utils.data import BatchSampler
    with pytest.MonkeyPatch.context() as mp, book.synthetic_data():
        shared = _patch_random(mp, torch, False)
        if chapter in FASHION:
            mp.setattr(BatchSampler, "__iter__", _batches_in_shuffled_order(shared))
        if chapter in KERAS_INIT:
            mp.setattr(torch.nn.Linear, "reset_parameters", _keras_initialised_linear(shared, KERAS_INIT[chapter]))
        ns = {"__name__": f"d2l_ref_{chapter}", "d2l": book.load_library("pytorch", False),
              "tab": book.Tab("pytorch")}
        return _run(chapter, "pytorch", False, _frozen, ns)


# ---- comparing --------------------------------------------------------------------------------------------------
def _pairs(chapter: str) -> list:
    """(TensorFlow cell, PyTorch cell) side by side: the n-th cell of each tab within one group of the chapter."""
    groups = [group for _, _, group in tour.d2l_cells(_chapter(chapter))]
    ours, theirs = tensorflow_run(chapter)[0], reference_run(chapter)[0]
    pairs = []
    for g in sorted({groups[r.pos] for r in ours}):
        a, b = [r for r in ours if groups[r.pos] == g], [r for r in theirs if groups[r.pos] == g]
        assert len(a) == len(b), f"{chapter} group {g}: {len(a)} TensorFlow cells, {len(b)} PyTorch cells"
        pairs += zip(a, b)
    return pairs


def _same_value(got, want, where: str, rtol=1e-6) -> None:
    """A TensorFlow cell's value against the PyTorch tab's: tensors by their arrays' dtype, shape and values,
    ``torch.Size`` as a tuple, the rest as they are."""
    if isinstance(want, tuple) and want and want[0] == "tensor":
        assert isinstance(got, tuple) and got[0] == "tensor", f"{where}: {got!r} vs a tensor"
        a, b = got[1], want[2]
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, err_msg=where)
    elif type(want).__name__ == "Size":
        assert tuple(got) == tuple(want), f"{where}: {got!r} vs {want!r}"
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same_value(g, w, f"{where}[{i}]", rtol)
    else:
        assert got == want, f"{where}: {got!r} vs PyTorch's {want!r}"


def _points(model) -> dict:
    return {k: (np.array([float(p.x) for p in v]), np.array([float(p.y) for p in v]))
            for k, v in model.board.data.items()}


def _tensorflow_parameters(model) -> dict:
    """The learnt parameters: a scratch model's tf.Variables by attribute name; a net's Dense layers' kernels
    (transposed to PyTorch's (out, in)) and biases, numbered by layer."""
    import turunan.tensorflow as tf
    net = getattr(model, "net", None)
    if net is None:
        return {k: v.numpy() for k, v in vars(model).items() if isinstance(v, tf.Variable)}
    dense = [layer for layer in getattr(net, "layers", [net]) if getattr(layer, "kernel", None) is not None]
    return {f"{i}.{k}": a for i, layer in enumerate(dense)
            for k, a in (("weight", layer.kernel.numpy().T), ("bias", layer.bias.numpy()))}


def _torch_parameters(model) -> dict:
    import torch
    net = getattr(model, "net", None)
    if net is None:
        params = dict(model.named_parameters()) or {k: v for k, v in vars(model).items()
                                                    if getattr(v, "requires_grad", False) is True}
        return {k: v.detach().numpy().copy() for k, v in params.items()}
    linear = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    return {f"{i}.{k}": getattr(m, k).detach().numpy().copy() for i, m in enumerate(linear) for k in ("weight", "bias")}


# ---- the tests ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_every_cell_of_the_tensorflow_tab_runs(chapter):
    ran = tensorflow_run(chapter)[0]
    assert len(ran) == len(tour.tab_cells(_chapter(chapter), "tensorflow")) > 0
    for r in ran:
        assert r.error is None, f"{chapter} cell {r.n} raised {r.error!r}\n{r.code}"


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_cell_values_match_the_pytorch_tab(chapter):
    compared = 0
    for ours, theirs in _pairs(chapter):
        where = f"{chapter} cell {ours.n} (PyTorch's {theirs.n})"
        assert theirs.error is None, f"{where} fails on PyTorch itself: {theirs.error!r}"
        assert (ours.value is None) == (theirs.value is None), f"{where}: {ours.value!r} vs {theirs.value!r}"
        if theirs.value is not None:
            _same_value(ours.value, theirs.value, where)
            compared += 1
        if chapter != "linear-regression-scratch" or ours is not tensorflow_run(chapter)[0][-1]:
            assert ours.printed == theirs.printed == "", f"{where} printed {ours.printed!r}, {theirs.printed!r}"
    assert compared == {"softmax-regression-scratch": 5}.get(chapter, 0)


def test_linear_regression_scratch_prints_the_errors_as_tensorflow_formats_them():
    """The last cell prints ``data.w - reshape(model.w, ...)`` and ``data.b - model.b``: TensorFlow formats a
    tensor as its NumPy value. Compared with NumPy's text of the same float32 arithmetic on the learnt values (the
    values themselves are compared with PyTorch's in the training test)."""
    ran, (model,), _ = tensorflow_run("linear-regression-scratch")
    w_true = np.array([2, -3.4], np.float32)
    w, b = model.w.numpy(), model.b.numpy()
    want = (f"error in estimating w: {w_true - w.reshape(w_true.shape)}\n"
            f"error in estimating b: {np.float32(4.2) - b}\n")
    assert ran[-1].printed == want
    assert float(np.max(np.abs(w_true - w.ravel()))) < 0.5    # it learnt (3 epochs, lr 0.03)


@pytest.mark.parametrize("chapter, n_models", [(c, 2 if c.startswith("mlp") else 1) for c in CHAPTERS])
def test_training_matches_the_pytorch_tab(chapter, n_models, rtol=1e-4, atol=1e-5):
    (_, ours, _), (_, theirs, _) = tensorflow_run(chapter), reference_run(chapter)
    assert len(ours) == len(theirs) == n_models
    for i, (o, t) in enumerate(zip(ours, theirs)):
        where = f"{chapter} model {i}"
        a, b = _points(o), _points(t)
        assert sorted(a) == sorted(b) and a, f"{where}: board {sorted(a)} vs {sorted(b)}"
        for k in b:
            assert len(a[k][1]) == len(b[k][1]) > 0, f"{where} {k}: {len(a[k][1])} points vs {len(b[k][1])}"
            np.testing.assert_array_equal(a[k][0], b[k][0], err_msg=f"{where} {k} x")
            np.testing.assert_allclose(a[k][1], b[k][1], rtol=rtol, atol=atol, err_msg=f"{where} {k}")
        pa, pb = _tensorflow_parameters(o), _torch_parameters(t)
        assert sorted(pa) == sorted(pb) and pa, f"{where}: parameters {sorted(pa)} vs {sorted(pb)}"
        assert len(o.trainable_variables) == len(pa), f"{where}: trainable_variables {len(o.trainable_variables)}"
        for k in pb:
            assert pa[k].shape == pb[k].shape, f"{where} {k}: {pa[k].shape} vs {pb[k].shape}"
            np.testing.assert_allclose(pa[k], pb[k], rtol=rtol, atol=atol, err_msg=f"{where} parameter {k}")


def test_the_wrongly_classified_images_are_the_pytorch_tabs():
    """softmax-regression-scratch's last cell shows the first validation batch's images the model gets wrong,
    titled with the true and the predicted label: the same images, the same titles."""
    ours, theirs = tensorflow_run("softmax-regression-scratch")[2], reference_run("softmax-regression-scratch")[2]
    assert len(theirs.shown) == 1 and len(theirs.shown[0]) > 0
    assert ours.shown == theirs.shown

