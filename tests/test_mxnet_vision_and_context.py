"""The MXNet door's names that D2L's helper library (``d2l/mxnet.py``) imports and its later chapters reach:
``mxnet.context``, ``mxnet.image`` and ``gluon.rnn`` (import, then say what they lack), ``gluon.data.vision``'s
``FashionMNIST`` and ``transforms``, and MXNet's formatting of arrays in f-strings (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest

from turunan import book, datasets
from turunan.mxnet import context, gluon, npx
from turunan.mxnet import np as mnp
from turunan.mxnet.gluon.data.vision import FashionMNIST, transforms


# ---- context -----------------------------------------------------------------------------------------------
def test_one_cpu_context():
    cpu = context.cpu()
    assert repr(cpu) == "cpu(0)" and cpu == context.Context("cpu", 0) and cpu != context.cpu(1)
    assert hash(cpu) == hash(context.cpu()) and cpu != "cpu(0)"
    assert context.num_gpus() == 0 and npx.num_gpus() == 0 and context.current_context() == cpu
    assert npx.cpu() == cpu and context.Context(cpu) == cpu
    with cpu as ctx:
        assert ctx is cpu
    x = mnp.ones(3)
    assert x.ctx == cpu and x.context == cpu and x.as_in_context(cpu) is x and x.as_in_ctx(cpu) is x


def test_no_gpu_context_and_bad_contexts_are_refused():
    with pytest.raises(RuntimeError, match=r"gpu\(0\) is not available.*num_gpus\(\) is 0"):
        context.gpu()
    with pytest.raises(RuntimeError, match="not available"):
        npx.gpu(1)
    with pytest.raises(ValueError, match="unknown device type 'tpu'"):
        context.Context("tpu")
    with pytest.raises(TypeError, match=r"as_in_context takes a context \(mxnet.cpu\(\)\), got str"):
        mnp.ones(2).as_in_context("gpu(0)")


@pytest.mark.parametrize("module, name", [("turunan.mxnet.image", "imread"), ("turunan.mxnet.gluon.rnn", "LSTM")])
def test_modules_that_import_and_name_what_they_lack(module, name):
    import importlib
    mod = importlib.import_module(module)
    with pytest.raises(AttributeError, match=f"module '{module}' has no attribute '{name}': turunan's MXNet"):
        getattr(mod, name)
    assert gluon.rnn is importlib.import_module("turunan.mxnet.gluon.rnn")


# ---- Fashion-MNIST and transforms ------------------------------------------------------------------------------
@pytest.fixture
def fashion():
    with book.synthetic_data():
        yield FashionMNIST(train=False), datasets.synthetic_fashion_mnist(False)


def test_fashion_mnist_items_as_mxnet(fashion):
    data, (images, labels) = fashion
    assert len(data) == len(labels) == 256
    image, label = data[3]
    assert (image.shape, image.dtype, type(label)) == ((28, 28, 1), np.uint8, np.int32)
    np.testing.assert_array_equal(image.asnumpy()[..., 0], images[3])
    assert label == labels[3]
    seen = []
    with book.synthetic_data():
        FashionMNIST(train=True, transform=lambda x, y: seen.append((x.shape, int(y))) or (x, y))[5]
    assert seen == [((28, 28, 1), int(datasets.synthetic_fashion_mnist(True)[1][5]))]


def test_fashion_mnist_reads_turunans_files_and_says_where(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"not in {tmp_path}"):
        FashionMNIST(root=str(tmp_path), train=True)


def test_to_tensor_as_torchvisions(fashion):
    """HWC uint8 -> CHW float32 / 255: the same numbers as the PyTorch stand-in's ToTensor of the same image."""
    data, (images, _) = fashion
    trans = transforms.Compose([transforms.Resize((28, 28)), transforms.ToTensor()])
    x, y = data.transform_first(trans)[7]
    import turunan.torch as tt
    want = book._torchvision(tt).transforms.ToTensor()(images[7]).numpy()
    assert (x.shape, x.dtype) == ((1, 28, 28), np.float32) and isinstance(y, np.int32)
    np.testing.assert_array_equal(x.asnumpy(), want)
    batch = transforms.ToTensor()(mnp.array(np.arange(24, dtype=np.uint8).reshape(2, 2, 3, 2), dtype="uint8"))
    np.testing.assert_allclose(batch.asnumpy(), np.arange(24).reshape(2, 2, 3, 2).transpose(0, 3, 1, 2) / 255,
                               rtol=1e-6)


def test_data_loader_batches_of_fashion_mnist(fashion):
    data, (images, labels) = fashion
    loader = gluon.data.DataLoader(data.transform_first(transforms.ToTensor()), 100, shuffle=False)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    X, y = batches[-1]
    assert (X.shape, X.dtype, y.shape, y.dtype) == ((56, 1, 28, 28), np.float32, (56,), np.int32)
    np.testing.assert_array_equal(y.asnumpy(), labels[200:])
    np.testing.assert_allclose(X.asnumpy()[:, 0] * 255, images[200:], atol=1e-4)


def test_transforms_refuse_what_they_cannot_do():
    image = mnp.zeros((28, 14, 1), dtype="uint8")                # height 28, width 14
    assert transforms.Resize((14, 28))(image) is image           # MXNet's size is (width, height)
    with pytest.raises(NotImplementedError, match=r"no image interpolation.*this one is 14x28"):
        transforms.Resize(28)(image)
    with pytest.raises(ValueError, match="size must be an int or a"):
        transforms.Resize((0, 28))
    with pytest.raises(ValueError, match=r"Resize takes an image \(H, W, C\)"):
        transforms.Resize(28)(mnp.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"ToTensor takes an image \(H, W, C\).*got shape \(28, 28\)"):
        transforms.ToTensor()(mnp.zeros((28, 28)))
    with pytest.raises(TypeError, match="Compose takes callables"):
        transforms.Compose([transforms.ToTensor(), 3])


# ---- printing in f-strings -------------------------------------------------------------------------------------
def test_format_as_mxnet():
    """MXNet's ``ndarray.__format__``: a 0-d array formats as its number, any other as NumPy's ``str``."""
    x = mnp.array([0.5, -1.25])
    assert f"{x}" == str(np.float32([0.5, -1.25])) == "[ 0.5  -1.25]"
    assert f"{mnp.array(2.5):.3f}" == "2.500" and f"{mnp.array(3.0)}" == "3.0"
    with pytest.raises(TypeError, match="Cannot format mxnet.numpy.ndarray with format_spec"):
        f"{x:.2f}"


# ---- the NumPy names D2L's library aliases (sinh, cosh, meshgrid): the core's, under MXNet's names ------------
def test_sinh_cosh_meshgrid_as_numpy():
    from turunan.mxnet import autograd
    x = mnp.array([-1.5, 0.25, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (mnp.sinh(x) * mnp.cosh(x)).sum()           # d/dx = cosh(2x)
    y.backward()
    a = np.float32([-1.5, 0.25, 2.0])
    np.testing.assert_allclose(y.asnumpy(), (np.sinh(a) * np.cosh(a)).sum(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), np.cosh(2 * a), rtol=1e-5)
    u, v = mnp.array([1.0, 2.0]), mnp.array([3.0, 4.0, 5.0])
    grids = mnp.meshgrid(u, v)
    for got, want in zip(grids, np.meshgrid(np.float32([1, 2]), np.float32([3, 4, 5]))):
        assert type(got).__name__ == "ndarray" and got.dtype == np.float32
        np.testing.assert_array_equal(got.asnumpy(), want)
    grids[0][0, 0] = 100                                 # each grid owns its memory, as MXNet's arrays do
    assert u.asnumpy().tolist() == [1.0, 2.0]


def test_vision_resolves_on_first_use():
    """``gluon.data.vision`` loads when first named (it subclasses gluon.data's Dataset, so gluon.data cannot
    import it at its own import): a fresh interpreter reaches FashionMNIST through the attribute alone."""
    import subprocess
    import sys
    code = ("import turunan.mxnet as mx; vision = mx.gluon.data.vision; "
            "print(vision.FashionMNIST.__name__, vision.transforms.ToTensor.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.split() == ["FashionMNIST", "ToTensor"], out.stderr
