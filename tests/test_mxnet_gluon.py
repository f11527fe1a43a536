"""The MXNet door's ``gluon`` and ``init`` (issue 11 item 9): the part D2L's MXNet tab of linear-regression-concise,
softmax-regression-concise and mlp-implementation uses.

Training loops are written in MXNet's style (``with autograd.record()``, ``l.backward()``, ``trainer.step(n)``) and
run side by side with the same computation on real PyTorch, from the same initial weights (copied across after the
lazy initialisation), on the same batches: the losses agree step by step (to 1e-5) and so do the final weights.
D2L's own ``Module``/``Trainer``/``Classifier``/``DataModule`` (read from ``../shared/d2l/d2l/mxnet.py``) and the
chapters' MXNet cells drive turunan's gluon too, where the book is beside the checkout. MXNet itself cannot be
installed; its documented semantics are checked by value (initialiser ranges, the loss formulas, the SGD rule,
``step(batch_size)`` rescaling, the deferred-initialisation errors' text).
"""

from __future__ import annotations

import ast
import math
import re
import types
import warnings

import numpy as onp
import pytest
from d2l_book import D2L, chapter_cell

from turunan.mxnet import MXNetError, autograd, gluon, init, np, npx
from turunan.mxnet.gluon import nn

torch = pytest.importorskip("torch")



def chapter_cell_mxnet(chapter: str, pattern: str) -> str:
    return chapter_cell(chapter, "mxnet", pattern)


def close(a, b, tol=1e-5):
    onp.testing.assert_allclose(onp.asarray(a, onp.float64), onp.asarray(b, onp.float64), rtol=tol, atol=tol)


def t_np(x):
    return x.detach().numpy()


def copy_dense(dense, linear) -> None:
    """An MXNet Dense's weights into a torch Linear: the same layout, (units, in_units)."""
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(dense.weight.data().asnumpy()))
        linear.bias.copy_(torch.tensor(dense.bias.data().asnumpy()))


def batches(n: int, size: int, seed: int):
    order = onp.random.default_rng(seed).permutation(n)
    return [order[i:i + size] for i in range(0, n, size)]


# ---- the three chapters' loops, MXNet style, against PyTorch ----------------------------------------------------
def test_linear_regression_trains_as_pytorch_step_by_step():
    npx.set_np()
    np.random.seed(0)
    rng = onp.random.default_rng(0)
    X = rng.normal(size=(1000, 2)).astype(onp.float32)
    y = (X @ onp.array([2.0, -3.4]) + 4.2 + 0.01 * rng.normal(size=1000)).astype(onp.float32).reshape(-1, 1)
    net = nn.Dense(1)
    net.initialize(init.Normal(sigma=0.01))
    net(np.array(X[:1]))                                           # the lazy initialisation happens here
    w0 = net.weight.data().asnumpy()
    assert w0.shape == (1, 2) and onp.abs(w0).max() < 0.05 and (net.bias.data().asnumpy() == 0).all()
    loss = gluon.loss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.03})
    tnet = torch.nn.Linear(2, 1)
    copy_dense(net, tnet)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.03)
    losses = []
    for _ in range(3):
        for idx in batches(1000, 32, seed=len(losses)):
            Xb, yb = np.array(X[idx]), np.array(y[idx])
            with autograd.record():
                l = loss(net(Xb), yb).mean()                   # D2L: fn(y_hat, y).mean(), then step(1)
            l.backward()
            trainer.step(1)
            tl = ((tnet(torch.tensor(X[idx])) - torch.tensor(y[idx])) ** 2 / 2).mean()
            topt.zero_grad()
            tl.backward()
            topt.step()
            close(l.item(), tl.item())
            losses.append(l.item())
    close(net.weight.data().asnumpy(), t_np(tnet.weight))
    close(net.bias.data().asnumpy(), t_np(tnet.bias))
    w, b = net.weight.data(), net.bias.data()                        # D2L's get_w_b
    assert onp.abs(w.asnumpy().ravel() - [2.0, -3.4]).max() < 0.3 and abs(b.asnumpy()[0] - 4.2) < 0.3
    assert losses[-1] < losses[0] / 50


def classification_data(seed: int = 1, n: int = 600, classes: int = 4):
    """Images (n, 1, 4, 4) of ``classes`` separable blobs, int32 labels (as D2L's FashionMNIST gives)."""
    rng = onp.random.default_rng(seed)
    centres = rng.normal(size=(classes, 16)) * 2
    labels = rng.integers(0, classes, size=n).astype(onp.int32)
    X = (centres[labels] + rng.normal(size=(n, 16))).astype(onp.float32).reshape(n, 1, 4, 4)
    return X, labels


def train_side_by_side(net, tnet, trainer, topt, X, labels, epochs: int, per_example: bool = False):
    """MXNet-style loop and PyTorch's, same batches; with ``per_example`` the MXNet loss is not averaged and
    ``step(batch_size)`` does the division (MXNet's documented rescaling)."""
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    steps = 0
    for epoch in range(epochs):
        for idx in batches(len(X), 64, seed=epoch):
            Xb, yb = np.array(X[idx]), np.array(labels[idx])
            with autograd.record():
                l = loss(net(Xb), yb)
                if not per_example:
                    l = l.mean()
            l.backward()
            trainer.step(len(idx) if per_example else 1)
            tl = torch.nn.functional.cross_entropy(tnet(torch.tensor(X[idx])), torch.tensor(labels[idx]).long())
            topt.zero_grad()
            tl.backward()
            topt.step()
            close(l.mean().item(), tl.item())
            steps += 1
    return steps


def accuracy(net, X, labels) -> float:
    return float((net(np.array(X)).asnumpy().argmax(axis=1) == labels).mean())


def test_softmax_regression_trains_as_pytorch_step_by_step():
    np.random.seed(1)
    X, labels = classification_data(seed=1)
    net = nn.Dense(4)
    net.initialize()                                                 # Uniform(0.07), as the chapter
    net(np.array(X[:2]))
    assert net.weight.shape == (4, 16)
    assert onp.abs(net.weight.data().asnumpy()).max() <= 0.07 and (net.bias.data().asnumpy() == 0).all()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    tnet = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    copy_dense(net, tnet[1])
    train_side_by_side(net, tnet, trainer, torch.optim.SGD(tnet.parameters(), lr=0.1), X, labels, epochs=3)
    close(net.weight.data().asnumpy(), t_np(tnet[1].weight))
    assert accuracy(net, X, labels) > 0.95


@pytest.mark.parametrize("per_example", [False, True])
def test_mlp_with_momentum_and_weight_decay_trains_as_pytorch_step_by_step(per_example):
    np.random.seed(2)
    X, labels = classification_data(seed=2)
    net = nn.Sequential()
    net.add(nn.Dense(32, activation="relu"), nn.Dense(4))
    net.initialize()
    net(np.array(X[:2]))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3})
    tnet = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    copy_dense(net[0], tnet[1])
    copy_dense(net[1], tnet[3])
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    train_side_by_side(net, tnet, trainer, topt, X, labels, epochs=3, per_example=per_example)
    close(net[0].weight.data().asnumpy(), t_np(tnet[1].weight))
    close(net[1].bias.data().asnumpy(), t_np(tnet[3].bias))
    assert accuracy(net, X, labels) > 0.95


def test_gradients_of_a_per_example_loss_are_summed_as_mxnet():
    """``l.backward()`` on a per-example loss sums it: the gradient is the sum over the batch."""
    np.random.seed(3)
    X, labels = classification_data(seed=3, n=8)
    net = nn.Dense(4, in_units=16)                                   # in_units known: initialised at once
    net.initialize(init.Xavier())
    assert net.weight.data().shape == (4, 16)
    tnet = torch.nn.Linear(16, 4)
    copy_dense(net, tnet)
    with autograd.record():
        l = gluon.loss.SoftmaxCrossEntropyLoss()(net(np.array(X)), np.array(labels.astype(onp.float32)))
    assert l.shape == (8,)
    l.backward()
    tl = torch.nn.functional.cross_entropy(tnet(torch.tensor(X.reshape(8, -1))), torch.tensor(labels).long(),
                                           reduction="sum")
    tl.backward()
    close(net.weight.grad().asnumpy(), t_np(tnet.weight.grad))
    close(net.bias.grad().asnumpy(), t_np(tnet.bias.grad))
    with autograd.record():                                          # grad_req 'write': overwritten, not added
        l = gluon.loss.SoftmaxCrossEntropyLoss()(net(np.array(X)), np.array(labels))
    l.backward()
    close(net.weight.grad().asnumpy(), t_np(tnet.weight.grad))


class MLPScratchBlock(nn.Block):
    """mlp-implementation's MLPScratch: ndarrays as attributes (not Parameters), found by ``dir()``."""

    def __init__(self, num_inputs, num_outputs, num_hiddens, sigma=0.1):
        super().__init__()
        self.num_inputs = num_inputs
        self.W1 = np.random.randn(num_inputs, num_hiddens) * sigma
        self.b1 = np.zeros(num_hiddens)
        self.W2 = np.random.randn(num_hiddens, num_outputs) * sigma
        self.b2 = np.zeros(num_outputs)
        for param in self.get_scratch_params():
            param.attach_grad()

    def get_scratch_params(self):
        return [getattr(self, a) for a in dir(self) if isinstance(getattr(self, a), np.ndarray)]

    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        H = np.maximum(np.dot(X, self.W1) + self.b1, 0)
        return np.dot(H, self.W2) + self.b2


def test_a_block_with_scratch_arrays_trains():
    np.random.seed(4)
    X, labels = classification_data(seed=4)
    model = MLPScratchBlock(16, 4, 32)
    params = model.get_scratch_params()
    assert len(params) == 4 and len(model.collect_params()) == 0
    for _ in range(4):
        for idx in batches(len(X), 64, seed=0):
            with autograd.record():
                l = gluon.loss.SoftmaxCrossEntropyLoss()(model(np.array(X[idx])), np.array(labels[idx])).mean()
            l.backward()
            for p in params:                                          # D2L's SGD.step
                p -= 0.1 * p.grad
    assert accuracy(model, X, labels) > 0.95


# ---- D2L's own classes driving turunan's gluon ------------------------------------------------------------------
D2L_CLASSES = ("HyperParameters", "Module", "DataModule", "Trainer", "SyntheticRegressionData", "SGD",
               "LinearRegression", "Classifier", "SoftmaxRegression")
D2L_ALIASES = ("numpy", "reshape", "reduce_mean", "argmax", "astype", "float32", "matmul", "randn", "zeros",
               "normal", "tensor", "to")


def d2l_namespace():
    """d2l's classes, their source read from the book's library (``d2l/mxnet.py``) and run over ``turunan.mxnet``;
    the progress board (matplotlib) is a stub that draws nothing."""
    path = D2L / "d2l" / "mxnet.py"
    if not path.exists():
        pytest.skip(f"D2L's library is not beside the checkout ({path})")
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    picked = {node.name: ast.get_source_segment(source, node) for node in tree.body
              if isinstance(node, ast.ClassDef) and node.name in D2L_CLASSES}
    aliases = [ast.get_source_segment(source, node) for node in tree.body
               if isinstance(node, ast.Assign) and len(node.targets) == 1
               and getattr(node.targets[0], "id", None) in D2L_ALIASES]
    d2l = types.SimpleNamespace(nn_Module=nn.Block, gpu=npx.gpu, num_gpus=lambda: 0)

    class ProgressBoard:
        def __init__(self, *args, **kwargs):
            self.points = []

        def draw(self, x, y, label, every_n=1):
            self.points.append((label, float(y)))

    ns = {"np": np, "npx": npx, "autograd": autograd, "gluon": gluon, "init": init, "nn": nn, "d2l": d2l,
          "math": math, "inspect": __import__("inspect"), "ProgressBoard": ProgressBoard,
          "tab": types.SimpleNamespace(selected=lambda *names: "mxnet" in names)}
    for code in aliases:
        exec(compile(code, str(path), "exec"), ns)               # noqa: S102 - the book's own code
        name = code.split("=")[0].strip()
        setattr(d2l, name, ns[name])
    for name in D2L_CLASSES:
        exec(compile(picked[name], str(path), "exec"), ns)      # noqa: S102 - the book's own code
        setattr(d2l, name, ns[name])
    d2l.add_to_class = lambda Class: (lambda obj: setattr(Class, obj.__name__, obj))
    return d2l, ns


class Data:
    """What D2L's Trainer reads from a DataModule: gluon DataLoaders, as D2L's get_tensorloader makes them."""

    def __init__(self, X, y, size=64):
        self.X, self.y, self.size = np.array(X), np.array(y), size

    def train_dataloader(self):
        return gluon.data.DataLoader(gluon.data.ArrayDataset(self.X, self.y), self.size, shuffle=True)

    def val_dataloader(self):
        return gluon.data.DataLoader(gluon.data.ArrayDataset(self.X[:128], self.y[:128]), self.size)


def test_d2l_linear_regression_with_the_books_data_and_trainer():
    d2l, _ = d2l_namespace()
    np.random.seed(1)
    model = d2l.LinearRegression(lr=0.03)
    data = d2l.SyntheticRegressionData(w=d2l.tensor([2, -3.4]), b=4.2)
    trainer = d2l.Trainer(max_epochs=3)
    trainer.fit(model, data)
    assert isinstance(model.parameters(), gluon.parameter.ParameterDict)      # Module.parameters' test
    w, b = model.get_w_b()
    err_w = data.w - d2l.reshape(w, data.w.shape)
    # L2Loss is half the squared error: 96 steps at lr 0.03 leave ~(1 - 0.03)^96 of the start (PyTorch's tab
    # uses MSELoss, twice the gradient, and ends closer)
    assert onp.abs(err_w.asnumpy()).max() < 0.3 and abs((data.b - b).asnumpy()[0]) < 0.3
    assert model.board.points[-1][0] == "val_loss"


def test_d2l_softmax_and_mlp_cells_with_the_books_trainer():
    d2l, ns = d2l_namespace()
    np.random.seed(5)
    X, labels = classification_data(seed=5)
    data = Data(X, labels)
    # softmax-regression-concise: the library's SoftmaxRegression (Dense(num_outputs), initialize()) and loss
    model = d2l.SoftmaxRegression(num_outputs=4, lr=0.1)
    d2l.Trainer(max_epochs=3).fit(model, data)
    assert accuracy(model, X, labels) > 0.95
    assert model.board.points[-1][0] == "val_acc"
    # mlp-implementation: the chapter's own cells, MLPScratch (its relu and forward) and the concise MLP
    cells = [chapter_cell_mxnet("chapter_multilayer-perceptrons/mlp-implementation.md", pattern) for pattern in
             (r"class MLPScratch", r"def relu", r"@d2l.add_to_class\(MLPScratch\)", r"class MLP\(d2l")]
    for code in cells:
        exec(code, ns)      # noqa: S102
    scratch = ns["MLPScratch"](num_inputs=16, num_outputs=4, num_hiddens=32, lr=0.1, sigma=0.1)
    assert isinstance(scratch.parameters(), list) and len(scratch.parameters()) == 4    # d2l.SGD on scratch arrays
    for model in (scratch, ns["MLP"](num_outputs=4, num_hiddens=32, lr=0.1)):
        d2l.Trainer(max_epochs=4).fit(model, data)
        assert accuracy(model, X, labels) > 0.95
    assert [p.shape for p in model.parameters().values()] == [(32, 16), (32,), (4, 32), (4,)]


def test_d2l_linear_regression_chapter_cells():
    d2l, ns = d2l_namespace()
    chapter = "chapter_linear-regression/linear-regression-concise.md"
    for pattern in (r"class LinearRegression", r"def forward", r"def loss", r"def configure_optimizers"):
        exec(chapter_cell_mxnet(chapter, pattern), ns)      # noqa: S102
    np.random.seed(2)
    exec(chapter_cell_mxnet(chapter, r"model = LinearRegression"), ns)      # noqa: S102 - trains, as the book
    exec(chapter_cell_mxnet(chapter, r"def get_w_b"), ns)      # noqa: S102 - and reads w, b
    assert onp.abs((ns["data"].w - d2l.reshape(ns["w"], ns["data"].w.shape)).asnumpy()).max() < 0.3
    assert ns["model"].net.weight.data().shape == (1, 2)


# ---- blocks, parameters, lazy initialisation ------------------------------------------------------------------
def test_dense_is_lazy_and_says_so_with_mxnets_messages():
    net = nn.Dense(3)
    name = net.weight.name
    assert re.fullmatch(r"dense\d+_weight", name) and net.bias.name == name[:-6] + "bias"
    assert net.weight.shape == (3, 0)
    with pytest.raises(RuntimeError, match=rf"Parameter '{name}' has not been initialized. Note that you should "
                                           r"initialize parameters and create Trainer with Block.collect_params"):
        net.weight.data()
    with pytest.raises(RuntimeError, match="has not been initialized"):
        net(np.ones((2, 5)))                                     # forward before initialize()
    net.initialize()
    with pytest.raises(gluon.DeferredInitializationError,
                       match=rf"Parameter '{name}' has not been initialized yet because initialization was "
                             r"deferred. Actual initialization happens during the first forward pass"):
        net.weight.data()
    assert isinstance(gluon.DeferredInitializationError("x"), MXNetError)
    out = net(np.ones((2, 5)))
    assert out.shape == (2, 3) and net.weight.data().shape == (3, 5) and net.weight.grad().shape == (3, 5)
    with pytest.raises(MXNetError, match="Shape inconsistent"):
        net(np.ones((2, 4)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        before = net.weight.data().asnumpy()
        net.initialize(init.Constant(1.0))
    assert "already initialized, ignoring. Set force_reinit=True" in str(caught[0].message)
    assert (net.weight.data().asnumpy() == before).all()
    w = net.weight.data()
    net.initialize(init.Constant(1.0), force_reinit=True)
    assert (net.weight.data().asnumpy() == 1).all() and (net.bias.data().asnumpy() == 0).all()   # bias: 'zeros'
    assert repr(net) == "Dense(5 -> 3, linear)" and w is not net.weight.data()


def test_dense_flatten_options_and_activations():
    x = np.random.normal(size=(2, 3, 4))
    flat = nn.Dense(5, in_units=12)
    flat.initialize()
    assert flat(x).shape == (2, 5)
    last = nn.Dense(5, flatten=False, activation="relu", use_bias=False)
    last.initialize()
    y = last(x)
    assert y.shape == (2, 3, 5) and last.bias is None and (y.asnumpy() >= 0).all()
    close(y.asnumpy(), onp.maximum(x.asnumpy() @ last.weight.data().asnumpy().T, 0))
    for act, fn in (("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("softrelu", torch.nn.functional.softplus)):
        d = nn.Dense(2, activation=act, in_units=12)
        d.initialize(init.Normal(1.0))
        ref = fn(torch.tensor(x.asnumpy().reshape(2, -1)) @ torch.tensor(d.weight.data().asnumpy()).T)
        close(d(x).asnumpy(), ref.numpy())
    with pytest.raises(MXNetError, match="Invalid Input: 'gelu2'"):
        nn.Dense(2, activation="gelu2")
    assert nn.Flatten()(x).shape == (2, 12) and nn.Activation("relu")(x).shape == (2, 3, 4)
    with pytest.raises(TypeError, match="mxnet ndarrays"):
        flat(onp.ones((2, 12)))


def test_block_registers_children_in_order_and_collects_recursively():
    class Net(nn.Block):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential()
            self.body.add(nn.Dense(4, activation="relu"), nn.Dense(3))
            self.head = nn.Dense(2)
            self.scale = 2.0

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    net = Net()
    net.initialize(init.Xavier())
    assert net(np.ones((5, 6))).shape == (5, 2)
    params = net.collect_params()
    assert isinstance(params, gluon.ParameterDict)
    assert [p.shape for p in params.values()] == [(4, 6), (4,), (3, 4), (3,), (2, 3), (2,)]
    assert list(net.collect_params(".*bias").keys()) == [k for k in params if k.endswith("bias")]
    assert len(net.body) == 2 and isinstance(net.body[1], nn.Dense) and len(net.body[:1]) == 1
    bound = math.sqrt(6 / (6 + 4))                                    # Xavier: uniform, avg fan, magnitude 3
    assert onp.abs(net.body[0].weight.data().asnumpy()).max() <= bound
    params.setattr("grad_req", "null")
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        net.head.weight.grad()
    params.setattr("grad_req", "write")
    with autograd.record():
        l = net(np.ones((5, 6))).sum()
    l.backward()
    assert net.head.weight.grad().shape == (2, 3)
    params.zero_grad()
    assert (net.head.weight.grad().asnumpy() == 0).all()

    class Early(nn.Block):
        def __init__(self):
            self.d = nn.Dense(1)

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Early()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Block()(np.ones(2))


def test_initializers_as_mxnet():
    np.random.seed(0)
    big = (200, 300)
    for initializer, check in (
            (init.Normal(sigma=0.01), lambda w: abs(w.std() - 0.01) < 1e-3 and abs(w.mean()) < 1e-3),
            (init.Uniform(), lambda w: w.min() >= -0.07 and w.max() <= 0.07 and w.max() > 0.069),
            (init.Uniform(0.5), lambda w: w.min() >= -0.5 and w.max() > 0.49),
            (init.Zero(), lambda w: (w == 0).all()), (init.One(), lambda w: (w == 1).all()),
            (init.Constant(3.0), lambda w: (w == 3).all()),
            (init.Xavier(), lambda w: w.max() <= math.sqrt(6 / 500) and w.max() > 0.99 * math.sqrt(6 / 500)),
            (init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2),
             lambda w: abs(w.std() - math.sqrt(2 / 300)) < 0.002)):
        d = nn.Dense(big[0], in_units=big[1])
        d.initialize(initializer)
        w = d.weight.data().asnumpy()
        assert w.dtype == onp.float32 and check(w), initializer
        assert (d.bias.data().asnumpy() == 0).all()                  # the bias keeps its own 'zeros'
    d = nn.Dense(3, in_units=2, bias_initializer="ones")
    d.initialize(init.Normal(1.0))
    assert (d.bias.data().asnumpy() == 1).all()

    class MyInit(init.Initializer):                                  # D2L's parameters chapter, MXNet tab
        def _init_weight(self, name, data):
            data[:] = np.random.uniform(-10, 10, data.shape)
            data *= np.abs(data) >= 5

    d = nn.Dense(8, in_units=4)
    d.initialize(MyInit())
    w = d.weight.data().asnumpy()
    assert ((w == 0) | (onp.abs(w) >= 5)).all() and (w != 0).any()
    with pytest.raises(ValueError, match="Unknown initialization pattern"):
        gluon.Parameter("scale", shape=(2,)).initialize(default_init=init.Normal())
    with pytest.raises(ValueError, match="at least 2D"):
        gluon.Parameter("v_weight", shape=(2,)).initialize(init.Xavier())
    np.random.seed(7)
    a = nn.Dense(3, in_units=2)
    a.initialize()
    np.random.seed(7)
    b = nn.Dense(3, in_units=2)
    b.initialize()
    assert (a.weight.data().asnumpy() == b.weight.data().asnumpy()).all()  # seeded by mxnet's np.random.seed


# ---- losses --------------------------------------------------------------------------------------------------
def test_l2_and_l1_loss_as_mxnet_documents():
    pred = np.array([[1.0, 2.0], [3.0, 5.0]])
    label = np.array([[0.0, 2.0], [1.0, 1.0]])
    close(gluon.loss.L2Loss()(pred, label).asnumpy(), [0.25, 5.0])          # mean over axis 1 of (p-l)²/2
    close(gluon.loss.L2Loss(weight=4.0)(pred, label).asnumpy(), [1.0, 20.0])
    close(gluon.loss.L1Loss()(pred, label).asnumpy(), [0.5, 3.0])
    close(gluon.loss.L2Loss()(np.array([[1.0], [3.0]]), np.array([0.0, 1.0])).asnumpy(), [0.5, 2.0])  # reshape_like
    close(gluon.loss.L2Loss()(pred, label, np.array([[1.0], [0.0]])).asnumpy(), [0.25, 0.0])     # sample_weight
    with pytest.raises(MXNetError, match="reshape_like"):
        gluon.loss.L2Loss()(pred, np.array([1.0, 2.0, 3.0]))


def test_softmax_cross_entropy_as_torch():
    rng = onp.random.default_rng(0)
    logits = rng.normal(size=(6, 5)).astype(onp.float32)
    labels = rng.integers(0, 5, size=6)
    ref = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels), reduction="none").numpy()
    fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for lab in (np.array(labels.astype(onp.float32)), np.array(labels.astype(onp.int32)), labels):
        close(fn(np.array(logits), lab).asnumpy(), ref)
    dense = onp.eye(5, dtype=onp.float32)[labels]
    close(gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)(np.array(logits), np.array(dense)).asnumpy(), ref)
    logp = torch.log_softmax(torch.tensor(logits), -1).numpy()
    close(gluon.loss.SoftmaxCrossEntropyLoss(from_logits=True)(np.array(logp), np.array(labels)).asnumpy(), ref)
    seq = rng.normal(size=(2, 3, 5)).astype(onp.float32)              # (batch, time, classes): mean over time
    seq_labels = rng.integers(0, 5, size=(2, 3))
    ref_seq = torch.nn.functional.cross_entropy(torch.tensor(seq).reshape(6, 5), torch.tensor(seq_labels).reshape(6),
                                                reduction="none").reshape(2, 3).mean(1).numpy()
    close(fn(np.array(seq), np.array(seq_labels)).asnumpy(), ref_seq)
    with pytest.raises(MXNetError, match="outside the 5 classes"):
        fn(np.array(logits), np.array([0, 1, 2, 3, 4, 5]))
    with pytest.raises(MXNetError, match="whole class indices"):
        fn(np.array(logits), np.array([0.5, 1, 2, 3, 4, 0]))
    x = rng.normal(size=(4, 3)).astype(onp.float32)
    z = (rng.random(size=(4, 3)) > 0.5).astype(onp.float32)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(z), reduction="none")
    close(gluon.loss.SigmoidBCELoss()(np.array(x), np.array(z)).asnumpy(), bce.mean(1).numpy())


# ---- Trainer and data ---------------------------------------------------------------------------------------------
def test_trainer_sgd_rule_and_rescaling():
    p = gluon.Parameter("w_weight", shape=(3,))
    p.initialize(init.Constant(1.0))
    w = p.data()
    trainer = gluon.Trainer({"w": p}, "sgd", {"learning_rate": 0.5, "wd": 0.1, "clip_gradient": 1.0})
    with autograd.record():
        l = (w * np.array([4.0, 8.0, -40.0])).sum()
    l.backward()
    trainer.step(8)                                              # g = clip(grad/8, ±1) + wd*w = [0.6, 1.1, -0.9]
    close(w.asnumpy(), 1 - 0.5 * onp.array([0.6, 1.1, -0.9]))
    assert p.data() is w                                         # updated in place
    trainer.set_learning_rate(0.1)
    assert trainer.learning_rate == 0.1
    with autograd.record():
        with pytest.raises(RuntimeError, match="outside of autograd.record"):
            trainer.step(1)
    with pytest.raises(NotImplementedError, match=r"optimizers \['adam', 'sgd'\]"):
        gluon.Trainer({"w": p}, "adamax")
    with pytest.raises(TypeError, match="unexpected optimizer parameters"):
        gluon.Trainer({"w": p}, "sgd", {"learning_rat": 0.1})
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer([w], "sgd")
    frozen = gluon.Parameter("f_weight", shape=(2,), grad_req="null")
    frozen.initialize(init.One())
    gluon.Trainer([frozen], "sgd", {"learning_rate": 1.0}).step(1)        # skipped, no gradient
    assert (frozen.data().asnumpy() == 1).all()


def test_array_dataset_and_data_loader():
    X = np.arange(20.0).reshape(10, 2)
    y = np.array(onp.arange(10, dtype=onp.int32))
    ds = gluon.data.ArrayDataset(X, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert isinstance(xi, np.ndarray) and xi.tolist() == [6.0, 7.0] and int(yi) == 3
    loader = gluon.data.DataLoader(ds, batch_size=4)
    got = list(loader)
    assert len(loader) == 3 and [b[0].shape for b in got] == [(4, 2), (4, 2), (2, 2)]
    assert isinstance(got[0], list) and isinstance(got[0][0], np.ndarray) and got[0][1].dtype == onp.int32
    assert len(list(gluon.data.DataLoader(ds, 4, last_batch="discard"))) == 2
    seen = onp.concatenate([b[1].asnumpy() for b in gluon.data.DataLoader(ds, 3, shuffle=True)])
    assert sorted(seen.tolist()) == list(range(10))
    single = list(gluon.data.DataLoader(gluon.data.ArrayDataset(X), 5))
    assert isinstance(single[0], np.ndarray) and single[0].shape == (5, 2)
    with pytest.raises(AssertionError, match="same length"):
        gluon.data.ArrayDataset(X, np.arange(3))
    with pytest.raises(ValueError, match="rollover"):
        gluon.data.DataLoader(ds, 4, last_batch="rollover")
    simple = gluon.data.SimpleDataset([(onp.ones(2, onp.float32), 1)] * 5).transform_first(lambda x: x * 2)
    xb, yb = next(iter(gluon.data.DataLoader(simple, 5)))
    assert xb.shape == (5, 2) and (xb.asnumpy() == 2).all() and yb.shape == (5,)


def test_names_resolve_as_in_mxnet():
    import turunan.mxnet as mx
    assert mx.init is init and mx.initializer is init and mx.gluon is gluon
    assert gluon.nn.Block is gluon.Block and gluon.nn.HybridSequential is gluon.nn.Sequential
    assert gluon.parameter.ParameterDict is gluon.ParameterDict
    with pytest.raises(AttributeError, match="BatchNorm"):
        gluon.nn.BatchNorm  # noqa: B018
