"""Programs a reader of D2L's MXNet tabs writes next (issue 11's "programs of this kind that the tests do not
contain"), run on ``turunan.mxnet`` and compared with the same program on real PyTorch 2.13 (same data, same
initial weights copied across) or with NumPy by hand where PyTorch has no twin.

The relations written into the comparisons are MXNet's documented conventions:
- ``gluon.loss.L2Loss`` is half the squared error, averaged per example;
- ``Trainer.step(batch_size)`` rescales the summed gradient of a per-example loss by ``1/batch_size``, so it is
  PyTorch on the batch mean;
- MXNet's SGD momentum carries the rate (``mom = μ·mom − lr·g; w += mom``): with a constant rate it takes
  PyTorch's steps (``b = μ·b + g; w −= lr·b``); ``wd`` adds ``wd·w`` to the rescaled gradient (PyTorch's
  ``weight_decay``);
- MXNet's Adam folds the bias corrections into the rate and adds ``epsilon`` outside them
  (``w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)``): PyTorch's Adam with ``ε' = ε/√(1−β₂ᵗ)``, checked by NumPy.
"""

from __future__ import annotations

import math
import os

import numpy as onp
import pytest

from turunan.mxnet import MXNetError, autograd, gluon, init, np, npx
from turunan.mxnet.gluon import nn


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def close(a, b, tol=1e-5):
    onp.testing.assert_allclose(onp.asarray(a, onp.float64), onp.asarray(b, onp.float64), rtol=tol, atol=tol)


def copy_dense(dense, linear, torch) -> None:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(dense.weight.data().asnumpy()))
        linear.bias.copy_(torch.tensor(dense.bias.data().asnumpy()))


def regression_data(n=120, d=5, seed=3):
    rng = onp.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(onp.float32)
    y = (onp.sin(X[:, :1]) + X[:, 1:2] ** 2 - X[:, 2:3] + 0.1 * rng.normal(size=(n, 1))).astype(onp.float32)
    return X, y


def blobs(n=200, classes=3, d=8, seed=4):
    rng = onp.random.default_rng(seed)
    centres = rng.normal(size=(classes, d)) * 2
    labels = rng.integers(0, classes, size=n)
    X = (centres[labels] + rng.normal(size=(n, d))).astype(onp.float32)
    return X, labels


# ---- 1. an MLP, Xavier init, SGD with momentum and weight decay, DataLoader, L2Loss per example ---------------
def test_mlp_regression_with_dataloader_momentum_and_weight_decay(torch):
    npx.set_np()
    X, y = regression_data()
    net = nn.Sequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dense(1))
    net.initialize(init.Xavier())
    net(np.array(X[:2]))
    tnet = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    copy_dense(net[0], tnet[0], torch)
    copy_dense(net[1], tnet[2], torch)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9, "wd": 1e-3})
    topt = torch.optim.SGD(tnet.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    loss = gluon.loss.L2Loss()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(np.array(X), np.array(y)), batch_size=20)
    first = last = None
    for _ in range(4):
        for Xb, yb in loader:
            with autograd.record():
                l = loss(net(Xb), yb)
            l.backward()
            trainer.step(Xb.shape[0])
            tl = 0.5 * ((tnet(torch.tensor(Xb.asnumpy())) - torch.tensor(yb.asnumpy())) ** 2).mean()
            topt.zero_grad()
            tl.backward()
            topt.step()
            close(l.mean().item(), tl.item())
            first = first if first is not None else tl.item()
            last = tl.item()
    close(net[0].weight.data().asnumpy(), tnet[0].weight.detach().numpy())
    close(net[1].bias.data().asnumpy(), tnet[2].bias.detach().numpy())
    assert last < first


# ---- 2. softmax regression with one-hot labels, sparse_label=False, a rate schedule by hand ------------------
def test_softmax_regression_dense_labels_and_set_learning_rate(torch):
    X, labels = blobs()
    net = nn.Dense(3)
    net.initialize(init.Normal(sigma=0.1), force_reinit=True)
    net(np.array(X[:1]))
    tnet = torch.nn.Linear(8, 3)
    copy_dense(net, tnet, torch)
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    topt = torch.optim.SGD(tnet.parameters(), lr=0.5)
    Xa, ya = np.array(X), npx.one_hot(np.array(labels), 3)
    for epoch in range(6):
        if epoch == 3:
            trainer.set_learning_rate(trainer.learning_rate * 0.1)
            topt.param_groups[0]["lr"] *= 0.1
        with autograd.record():
            l = loss(net(Xa), ya)
        l.backward()
        trainer.step(len(X))
        tl = torch.nn.functional.cross_entropy(tnet(torch.tensor(X)), torch.tensor(labels))
        topt.zero_grad()
        tl.backward()
        topt.step()
        close(l.mean().item(), tl.item())
    assert trainer.learning_rate == pytest.approx(0.05)
    acc = (net(Xa).argmax(axis=1) == np.array(labels).astype("int64")).mean().item()
    tacc = (tnet(torch.tensor(X)).argmax(1) == torch.tensor(labels)).float().mean().item()
    assert acc == pytest.approx(tacc) and acc > 0.8


# ---- 3. a subclassed Block with dropout: off in predict mode, inverted dropout in train mode -----------------
class MLP(nn.Block):
    def __init__(self, hidden=32, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(hidden, activation="relu")
        self.drop = nn.Dropout(rate)
        self.out = nn.Dense(3)

    def forward(self, x):
        return self.out(self.drop(self.hidden(x)))


def test_subclassed_block_dropout_modes(torch):
    X, labels = blobs(n=16)
    net = MLP()
    net.initialize(init.Uniform(0.2))
    Xa = np.array(X)
    out = net(Xa)                                   # outside record: predict mode, no dropout
    tnet = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                               torch.nn.Linear(32, 3)).eval()
    copy_dense(net.hidden, tnet[0], torch)
    copy_dense(net.out, tnet[3], torch)
    close(out.asnumpy(), tnet(torch.tensor(X)).detach().numpy())
    with autograd.record(train_mode=False):
        close(net(Xa).asnumpy(), out.asnumpy())
    with autograd.predict_mode():
        close(net(Xa).asnumpy(), out.asnumpy())
    h = net.hidden(Xa).asnumpy()
    with autograd.record():
        assert autograd.is_training()
        d = net.drop(net.hidden(Xa)).asnumpy()
    kept = d != 0
    close(d[kept], 2 * h[kept])                    # kept units scaled by 1/(1-rate)
    assert 0.3 < kept[h != 0].mean() < 0.7
    with autograd.train_mode():
        assert autograd.is_training()


# ---- 4. per-parameter access: collect_params with a regex, data()/grad() against torch ----------------------
def test_collect_params_regex_and_gradients_as_torch(torch):
    X, y = regression_data(n=10)
    net = nn.Sequential()
    net.add(nn.Dense(4, activation="tanh"), nn.Dense(1))
    net.initialize(init.Normal(0.5))
    net(np.array(X))
    weights = net.collect_params(".*weight")
    assert len(weights) == 2 and all(k.endswith("weight") for k in weights.keys())
    assert len(net.collect_params(".*bias")) == 2 and len(net.collect_params()) == 4
    tnet = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    copy_dense(net[0], tnet[0], torch)
    copy_dense(net[1], tnet[2], torch)
    with autograd.record():
        l = gluon.loss.L1Loss()(net(np.array(X)), np.array(y))
    l.backward()                                    # a per-example loss: its sum is differentiated
    (tnet(torch.tensor(X)) - torch.tensor(y)).abs().sum().backward()
    close(net[0].weight.grad().asnumpy(), tnet[0].weight.grad.numpy())
    close(net[1].bias.grad().asnumpy(), tnet[2].bias.grad.numpy())
    net.collect_params().zero_grad()
    assert onp.all(net[0].weight.grad().asnumpy() == 0)


# ---- 5. save_parameters / load_parameters into a fresh net ---------------------------------------------------
def test_save_and_load_parameters(tmp_path):
    def make():
        net = nn.Sequential()
        net.add(nn.Dense(6, activation="relu"), nn.Dense(2))
        return net
    net = make()
    net.initialize(init.Xavier())
    x = np.array(onp.random.default_rng(0).normal(size=(3, 4)).astype(onp.float32))
    y = net(x)
    path = os.fspath(tmp_path / "mlp.params")
    net.save_parameters(path)
    clone = make()
    clone.load_parameters(path)
    close(clone(x).asnumpy(), y.asnumpy(), tol=0)
    wrong = nn.Sequential()
    wrong.add(nn.Dense(6, activation="relu"), nn.Dense(3))
    with pytest.raises(MXNetError, match="shape incompatible"):
        wrong.load_parameters(path)
    longer = make()
    longer.add(nn.Dense(1))
    with pytest.raises(MXNetError, match="'2.weight' is missing"):
        longer.load_parameters(path)
    longer.load_parameters(path, allow_missing=True)
    close(longer[0](x).asnumpy(), net[0](x).asnumpy(), tol=0)


# ---- 6. sigmoid binary cross-entropy classification against torch's BCEWithLogits ---------------------------
def test_logistic_regression_with_sigmoid_bce(torch):
    X, labels = blobs(n=100, classes=2)
    net = nn.Dense(1)
    net.initialize(init.Constant(0.01))
    net(np.array(X[:1]))
    tnet = torch.nn.Linear(8, 1)
    copy_dense(net, tnet, torch)
    loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.3})
    topt = torch.optim.SGD(tnet.parameters(), lr=0.3)
    yf = labels.astype(onp.float32).reshape(-1, 1)
    for _ in range(5):
        with autograd.record():
            l = loss(net(np.array(X)), np.array(labels.astype(onp.float32)))
        l.backward()
        trainer.step(len(X))
        tl = torch.nn.functional.binary_cross_entropy_with_logits(tnet(torch.tensor(X)), torch.tensor(yf))
        topt.zero_grad()
        tl.backward()
        topt.step()
        close(l.mean().item(), tl.item())


# ---- 7. Adam in the Trainer, MXNet's rule (epsilon outside the bias corrections) by NumPy --------------------
def mxnet_adam_by_hand(w, grads, lr, b1, b2, eps, wd):
    m = onp.zeros_like(w)
    v = onp.zeros_like(w)
    for t, g in enumerate(grads, 1):
        g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (onp.sqrt(v) + eps)
    return w


def test_trainer_adam_is_mxnets_rule():
    net = nn.Dense(2, in_units=3, use_bias=False)
    net.initialize(init.Constant(0.5))
    w0 = net.weight.data().asnumpy().astype(onp.float64)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1, "epsilon": 1e-3, "wd": 0.01})
    rng = onp.random.default_rng(5)
    grads = []
    for _ in range(4):
        x = np.array(rng.normal(size=(4, 3)).astype(onp.float32))
        with autograd.record():
            l = (net(x) ** 2).sum()
        l.backward()
        grads.append(net.weight.grad().asnumpy().astype(onp.float64) / 4)
        trainer.step(4)
    want = mxnet_adam_by_hand(w0, grads, 0.1, 0.9, 0.999, 1e-3, 0.01)
    close(net.weight.data().asnumpy(), want, tol=1e-5)


def test_trainer_adam_trains_an_mlp_as_torch_adam_with_tiny_epsilon(torch):
    # with ε → 0 the two Adam conventions coincide: step by step against torch.optim.Adam
    X, y = regression_data(n=40)
    net = nn.Sequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(1))
    net.initialize(init.Xavier())
    net(np.array(X[:1]))
    tnet = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    copy_dense(net[0], tnet[0], torch)
    copy_dense(net[1], tnet[2], torch)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01, "epsilon": 1e-12})
    topt = torch.optim.Adam(tnet.parameters(), lr=0.01, eps=1e-12)
    for _ in range(5):
        with autograd.record():
            l = gluon.loss.L2Loss()(net(np.array(X)), np.array(y))
        l.backward()
        trainer.step(len(X))
        tl = 0.5 * ((tnet(torch.tensor(X)) - torch.tensor(y)) ** 2).mean()
        topt.zero_grad()
        tl.backward()
        topt.step()
        close(l.mean().item(), tl.item(), tol=1e-4)


def test_trainer_refuses_unknown_optimizer_and_options():
    net = nn.Dense(1, in_units=2)
    net.initialize()
    with pytest.raises(NotImplementedError, match="adamax"):
        gluon.Trainer(net.collect_params(), "adamax")
    with pytest.raises(TypeError, match="momentum"):
        gluon.Trainer(net.collect_params(), "adam", {"momentum": 0.9})


# ---- 8. npx helpers by NumPy ---------------------------------------------------------------------------------
def test_npx_helpers_by_numpy():
    rng = onp.random.default_rng(6)
    a = rng.normal(size=(4, 5)).astype(onp.float32)
    x = np.array(a)
    close(npx.relu(x).asnumpy(), onp.maximum(a, 0))
    e = onp.exp(a - a.max(axis=1, keepdims=True))
    close(npx.softmax(x).asnumpy(), e / e.sum(axis=1, keepdims=True))
    close(npx.log_softmax(x).asnumpy(), onp.log(e / e.sum(axis=1, keepdims=True)))
    close(npx.softmax(x, axis=0).asnumpy().sum(axis=0), onp.ones(5))
    oh = npx.one_hot(np.array([0, 2, 4]), 5).asnumpy()
    close(oh, onp.eye(5)[[0, 2, 4]])


# ---- 9. the np functions D2L's readers reach, with a gradient through them ----------------------------------
def test_array_manipulation_and_gradients_through_it():
    a = onp.arange(12, dtype=onp.float32).reshape(3, 4)
    x = np.array(a)
    x.attach_grad()
    with autograd.record():
        z = np.concatenate([x, x * 2], axis=0)              # (6, 4)
        s = np.stack([x, x ** 2], axis=0)                   # (2, 3, 4)
        r = x.reshape(4, 3)
        total = z.sum() + s[1].sum() + (r[:, 0] * 3).sum()
    total.backward()
    want = 3 + 2 * a
    want.reshape(4, 3)[:, 0] += 3
    close(x.grad.asnumpy(), want)
    assert z.shape == (6, 4) and s.shape == (2, 3, 4)
    assert np.argmax(x, axis=1).asnumpy().tolist() == [3, 3, 3]
    assert x.astype("int32").dtype == onp.int32
    y = x.copy()
    y[1, :] = 0
    y += 1
    assert y.asnumpy()[1].tolist() == [1, 1, 1, 1] and x.asnumpy()[1, 0] == 4
    assert repr(np.array([[1.0, 2.0]])) == "array([[1., 2.]])"


def test_sgd_momentum_carries_the_rate_across_set_learning_rate():
    # MXNet: mom = μ·mom − lr·g; w += mom. After the rate changes, the old momentum keeps its old rate
    # (PyTorch's buffer of gradients would rescale it): checked against NumPy by hand.
    net = nn.Dense(1, in_units=2, use_bias=False)
    net.initialize(init.Constant(1.0))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    w, mom = onp.ones((1, 2)), onp.zeros((1, 2))
    x = np.array([[1.0, -2.0]])
    for step, lr in enumerate([0.1, 0.1, 0.01, 0.01]):
        if step == 2:
            trainer.set_learning_rate(0.01)
        with autograd.record():
            l = (net(x) ** 2).sum()
        l.backward()
        g = net.weight.grad().asnumpy().astype(onp.float64)
        trainer.step(1)
        mom = 0.9 * mom - lr * g
        w = w + mom
        close(net.weight.data().asnumpy(), w)


# ---- 10. a small CNN (Conv2D, MaxPool2D, Flatten, Dense), NCHW as MXNet, trained as torch ------------------
def test_small_cnn_trains_as_torch(torch):
    rng = onp.random.default_rng(10)
    X = rng.normal(size=(24, 1, 8, 8)).astype(onp.float32)
    labels = rng.integers(0, 4, size=24)
    net = nn.Sequential()
    net.add(nn.Conv2D(3, kernel_size=3, padding=1, activation="relu"), nn.MaxPool2D(pool_size=2),
            nn.Conv2D(5, kernel_size=3, strides=1), nn.MaxPool2D(pool_size=2, strides=1), nn.Flatten(), nn.Dense(4))
    net.initialize(init.Xavier())
    assert net(np.array(X[:2])).shape == (2, 4)
    assert net[0].weight.data().shape == (3, 1, 3, 3) and net[2].weight.data().shape == (5, 3, 3, 3)
    tnet = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(3, 5, 3), torch.nn.MaxPool2d(2, stride=1), torch.nn.Flatten(),
                               torch.nn.Linear(5, 4))
    for mine, theirs in ((net[0], tnet[0]), (net[2], tnet[3]), (net[5], tnet[6])):
        copy_dense(mine, theirs, torch)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.5})
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.5)
    for _ in range(4):
        with autograd.record():
            l = loss(net(np.array(X)), np.array(labels))
        l.backward()
        trainer.step(len(X))
        tl = torch.nn.functional.cross_entropy(tnet(torch.tensor(X)), torch.tensor(labels))
        topt.zero_grad()
        tl.backward()
        topt.step()
        close(l.mean().item(), tl.item())
    close(net[0].weight.data().asnumpy(), tnet[0].weight.detach().numpy())
    with pytest.raises(MXNetError, match="Conv2D takes"):
        net[0](np.ones((8, 8)))


# ---- 11. npx.pick (D2L's cross-entropy by hand) and npx.sequence_mask, with gradients -----------------------
def test_pick_cross_entropy_by_hand_as_torch(torch):
    rng = onp.random.default_rng(13)
    logits = rng.normal(size=(6, 4)).astype(onp.float32)
    labels = rng.integers(0, 4, size=6)
    x = np.array(logits)
    x.attach_grad()
    with autograd.record():
        l = -npx.pick(npx.log_softmax(x), np.array(labels.astype(onp.float32)))   # float labels, as MXNet's
    l.backward()
    tx = torch.tensor(logits, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(labels), reduction="none")
    tl.sum().backward()
    close(l.asnumpy(), tl.detach().numpy())
    close(x.grad.asnumpy(), tx.grad.numpy())
    assert npx.pick(x, np.array(labels), keepdims=True).shape == (6, 1)
    close(npx.pick(x, np.array([9] * 6)).asnumpy(), logits[:, 3])                  # clip
    close(npx.pick(x, np.array([5] * 6), mode="wrap").asnumpy(), logits[:, 1])
    close(npx.pick(x, np.array([0, 1, 5, 2]), axis=0).asnumpy(),
          [logits[0, 0], logits[1, 1], logits[5, 2], logits[2, 3]])
    with pytest.raises(ValueError, match="whole numbers"):
        npx.pick(x, np.array([0.5] * 6))


def test_sequence_mask_by_numpy_with_gradient():
    a = onp.arange(24, dtype=onp.float32).reshape(4, 3, 2)       # (time, batch, feature): axis=0
    x = np.array(a)
    x.attach_grad()
    with autograd.record():
        y = npx.sequence_mask(x, np.array([1, 4, 2]), use_sequence_length=True, value=-1.0)
        s = (y * y).sum()
    s.backward()
    keep = onp.arange(4)[:, None] < onp.array([1, 4, 2])[None, :]
    close(y.asnumpy(), onp.where(keep[..., None], a, -1.0))
    close(x.grad.asnumpy(), onp.where(keep[..., None], 2 * a, 0.0))
    b = npx.sequence_mask(np.ones((2, 3)), np.array([3, 0]), use_sequence_length=True, axis=1)
    close(b.asnumpy(), [[1, 1, 1], [0, 0, 0]])
    assert npx.sequence_mask(x) is x
    with pytest.raises(ValueError, match="lengths for a batch"):
        npx.sequence_mask(x, np.array([1, 2]), use_sequence_length=True)
