"""The TensorFlow door's ``tf.keras`` (issue 11 item 8): the part D2L's TensorFlow tab of linear-regression-concise,
softmax-regression-concise and mlp-implementation uses.

Training loops are written in TensorFlow's style (``tf.GradientTape``, ``optimizer.apply_gradients``) and run side
by side with the same computation on real PyTorch, from the same initial weights (copied across), on the same
batches: the losses agree step by step (to 1e-5) and so do the final weights. D2L's own ``Module``/``Trainer``/
``Classifier`` (read from ``../shared/d2l/d2l/tensorflow.py``) and the chapters' model cells drive turunan's keras
too, where the book is beside the checkout. TensorFlow itself is not installed; Keras' documented semantics are
checked by value (initializer statistics, loss reductions, the SGD rule).
"""

from __future__ import annotations

import ast
import re
import types
import warnings

import numpy as np
import pytest
from d2l_book import D2L, chapter_cell

import turunan.tensorflow as tf

torch = pytest.importorskip("torch")

keras = tf.keras


def chapter_cell_tensorflow(chapter: str, pattern: str) -> str:
    return chapter_cell(chapter, "tensorflow", pattern)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


def t_np(x):
    return x.detach().numpy() if isinstance(x, torch.Tensor) else x.numpy()


def batches(n: int, size: int, seed: int):
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + size] for i in range(0, n, size)]


def copy_dense_to_torch(dense, linear) -> None:
    """Keras' kernel is (in, out), PyTorch's weight (out, in)."""
    kernel, bias = dense.get_weights()
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
        linear.bias.copy_(torch.from_numpy(bias))


# ---- training, side by side with PyTorch ---------------------------------------------------------------------------
class LinearRegression(keras.Model):
    """linear-regression-concise's model, as D2L's Module makes it a keras Model (``call`` -> ``self.net``)."""

    def __init__(self):
        super().__init__()
        initializer = tf.initializers.RandomNormal(stddev=0.01)
        self.net = keras.layers.Dense(1, kernel_initializer=initializer)

    def call(self, X):
        return self.net(X)


def test_linear_regression_trains_as_pytorch_step_by_step():
    rng = np.random.default_rng(0)
    true_w, true_b = np.array([2.0, -3.4], np.float32), 4.2
    X = rng.normal(size=(1000, 2)).astype(np.float32)
    y = (X @ true_w + true_b + rng.normal(scale=0.01, size=1000)).astype(np.float32).reshape(-1, 1)

    model = LinearRegression()
    assert model.trainable_variables == []                  # built lazily, on the first call
    model(X[:1])
    kernel, bias = model.trainable_variables
    assert kernel.shape == (2, 1) and bias.shape == (1,) and not bias.numpy().any()
    assert 0 < float(np.std(kernel.numpy())) < 0.1          # RandomNormal(stddev=0.01)
    loss_fn, opt = keras.losses.MeanSquaredError(), keras.optimizers.SGD(0.03)

    net = torch.nn.Linear(2, 1)
    copy_dense_to_torch(model.net, net)
    topt = torch.optim.SGD(net.parameters(), lr=0.03)

    losses = []
    for epoch in range(3):
        for idx in batches(1000, 32, seed=epoch):
            xb, yb = tf.constant(X[idx]), tf.constant(y[idx])
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))

            tloss = torch.nn.functional.mse_loss(net(torch.from_numpy(X[idx])), torch.from_numpy(y[idx]))
            topt.zero_grad()
            tloss.backward()
            topt.step()
            close(loss.numpy(), t_np(tloss))
            losses.append(float(loss))
    assert int(opt.iterations.numpy()) == 3 * 32
    close(kernel.numpy(), t_np(net.weight).T)
    close(bias.numpy(), t_np(net.bias))
    w, b = model.get_weights()                               # D2L's get_w_b
    assert np.abs(w.ravel() - true_w).max() < 0.05 and abs(b[0] - true_b) < 0.05
    assert losses[-1] < 1e-3 < losses[0]


def classification_data(seed: int = 1, n: int = 600, classes: int = 4):
    """Images (n, 4, 4) of ``classes`` separable blobs, integer labels (int32, as D2L's FashionMNIST gives)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(classes, 4, 4))
    labels = rng.integers(0, classes, size=n)
    X = (centres[labels] + rng.normal(size=(n, 4, 4))).astype(np.float32)
    return X, labels.astype(np.int32)


def train_side_by_side(model, tnet, opt, topt, X, labels, epochs: int):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    losses = []
    for epoch in range(epochs):
        for idx in batches(len(X), 64, seed=10 + epoch):
            xb, yb = tf.constant(X[idx]), tf.constant(labels[idx])
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))

            tloss = torch.nn.functional.cross_entropy(tnet(torch.from_numpy(X[idx])),
                                                      torch.from_numpy(labels[idx]).long())
            topt.zero_grad()
            tloss.backward()
            topt.step()
            close(loss.numpy(), t_np(tloss))
            losses.append(float(loss))
    return losses


def accuracy(model, X, labels) -> float:
    return float(np.mean(np.argmax(model(X).numpy(), axis=1) == labels))


def test_softmax_regression_trains_as_pytorch_step_by_step():
    X, labels = classification_data()
    model = keras.models.Sequential()                         # softmax-regression-concise's net
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(4))
    model(X[:2])
    assert [tuple(v.shape) for v in model.trainable_variables] == [(16, 4), (4,)]
    tnet = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    copy_dense_to_torch(model.layers[1], tnet[1])
    losses = train_side_by_side(model, tnet, keras.optimizers.SGD(0.1), torch.optim.SGD(tnet.parameters(), lr=0.1),
                                X, labels, epochs=3)
    close(model.layers[1].kernel.numpy(), t_np(tnet[1].weight).T)
    assert losses[-1] < losses[0] / 4 and accuracy(model, X, labels) > 0.95


@pytest.mark.parametrize("nesterov", [False, True])
def test_mlp_with_momentum_trains_as_pytorch_step_by_step(nesterov):
    X, labels = classification_data(seed=2)
    model = keras.models.Sequential([                         # mlp-implementation's concise MLP
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation='relu'),
        keras.layers.Dense(4)])
    model(X[:2])
    tnet = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    copy_dense_to_torch(model.layers[1], tnet[1])
    copy_dense_to_torch(model.layers[2], tnet[3])
    # Keras' velocity = m v - lr g, w += v is PyTorch's v = m v + g, w -= lr v at a constant rate (and Nesterov too)
    opt = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=nesterov)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.05, momentum=0.9, nesterov=nesterov)
    losses = train_side_by_side(model, tnet, opt, topt, X, labels, epochs=3)
    for mine, theirs in zip(model.trainable_variables, [tnet[1].weight, tnet[1].bias, tnet[3].weight, tnet[3].bias]):
        close(mine.numpy(), t_np(theirs).T if mine.ndim == 2 else t_np(theirs), tol=1e-4)
    assert losses[-1] < 0.2 and accuracy(model, X, labels) > 0.95


class MLPScratch(keras.Model):
    """mlp-implementation's MLPScratch: tf.Variables assigned as attributes are the model's weights."""

    def __init__(self, num_inputs, num_outputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs = num_inputs
        self.W1 = tf.Variable(tf.random.normal((num_inputs, num_hiddens)) * sigma)
        self.b1 = tf.Variable(tf.zeros(num_hiddens))
        self.W2 = tf.Variable(tf.random.normal((num_hiddens, num_outputs)) * sigma)
        self.b2 = tf.Variable(tf.zeros(num_outputs))

    def call(self, X):
        X = tf.reshape(X, (-1, self.num_inputs))
        H = tf.math.maximum(tf.matmul(X, self.W1) + self.b1, 0)
        return tf.matmul(H, self.W2) + self.b2


def test_mlp_scratch_variables_are_tracked_and_train():
    tf.random.set_seed(0)
    X, labels = classification_data(seed=3)
    model = MLPScratch(16, 4, 32, sigma=0.1)
    assert [v for v in model.trainable_variables] == [model.W1, model.b1, model.W2, model.b2]
    loss_fn, opt = keras.losses.SparseCategoricalCrossentropy(from_logits=True), keras.optimizers.SGD(0.1)
    first = None
    for epoch in range(5):
        for idx in batches(len(X), 64, seed=epoch):
            with tf.GradientTape() as tape:
                loss = loss_fn(labels[idx], model(X[idx]))
            first = float(loss) if first is None else first
            opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    assert float(loss) < first / 4 and accuracy(model, X, labels) > 0.95


# ---- D2L's own classes driving turunan's keras -----------------------------------------------------------------------
D2L_CLASSES = ("HyperParameters", "Module", "Trainer", "LinearRegression", "Classifier", "SoftmaxRegression")


def d2l_namespace():
    """d2l's Module, Trainer, Classifier, LinearRegression and SoftmaxRegression, their source read from the book's
    library and run over ``turunan.tensorflow``; the progress board (matplotlib) is a stub that draws nothing."""
    path = D2L / "d2l" / "tensorflow.py"
    if not path.exists():
        pytest.skip(f"D2L's library is not beside the checkout ({path})")
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    picked = {node.name: ast.get_source_segment(source, node) for node in tree.body
              if isinstance(node, ast.ClassDef) and node.name in D2L_CLASSES}
    d2l = types.SimpleNamespace(nn_Module=tf.keras.Model, reshape=tf.reshape, astype=tf.cast, argmax=tf.argmax,
                                float32=tf.float32, reduce_mean=tf.reduce_mean, matmul=tf.matmul,
                                numpy=lambda x, *a, **k: x.numpy(*a, **k))

    class ProgressBoard:
        def __init__(self, *args, **kwargs):
            self.points = []

        def draw(self, x, y, label, every_n=1):
            self.points.append((label, float(y)))

    ns = {"tf": tf, "np": np, "d2l": d2l, "inspect": __import__("inspect"), "ProgressBoard": ProgressBoard}
    for name in D2L_CLASSES:
        exec(compile(picked[name], str(path), "exec"), ns)      # noqa: S102 - the book's own code
        setattr(d2l, name, ns[name])
    d2l.add_to_class = lambda Class: (lambda obj: setattr(Class, obj.__name__, obj))
    return d2l, ns


class Data:
    """What D2L's Trainer reads from a DataModule: lists of (X, y) batches."""

    def __init__(self, X, y, size=32):
        self.train = [(tf.constant(X[i]), tf.constant(y[i])) for i in batches(len(X), size, seed=0)]

    def train_dataloader(self):
        return self.train

    def val_dataloader(self):
        return self.train[:2]


def test_d2l_linear_regression_with_the_books_trainer():
    d2l, _ = d2l_namespace()
    tf.random.set_seed(1)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 2)).astype(np.float32)
    y = (X @ np.array([2.0, -3.4]) + 4.2).astype(np.float32).reshape(-1, 1)
    model = d2l.LinearRegression(lr=0.03)
    trainer = d2l.Trainer(max_epochs=3)
    trainer.fit(model, Data(X, y))
    w, b = model.get_w_b()
    assert np.abs(w.ravel() - [2.0, -3.4]).max() < 0.05 and abs(b[0] - 4.2) < 0.05
    assert model.board.points[-1][0] == "val_loss"


def test_d2l_softmax_and_mlp_cells_with_the_books_trainer():
    d2l, ns = d2l_namespace()
    X, labels = classification_data(seed=4)
    data = Data(X, labels, size=64)
    # softmax-regression-concise: the library's SoftmaxRegression (Sequential().add(Flatten()), .add(Dense))
    model = d2l.SoftmaxRegression(num_outputs=4, lr=0.1)
    d2l.Trainer(max_epochs=3).fit(model, data)
    assert accuracy(model, X, labels) > 0.95
    # mlp-implementation: the chapter's own cells, the concise MLP and MLPScratch with its relu and forward
    cells = [chapter_cell_tensorflow("chapter_multilayer-perceptrons/mlp-implementation.md", pattern) for pattern in
             (r"class MLPScratch", r"def relu", r"@d2l.add_to_class\(MLPScratch\)", r"class MLP\(d2l")]
    for code in cells:
        exec(code, ns)      # noqa: S102
    for model in (ns["MLPScratch"](num_inputs=16, num_outputs=4, num_hiddens=32, lr=0.1, sigma=0.1),
                  ns["MLP"](num_outputs=4, num_hiddens=32, lr=0.1)):
        d2l.Trainer(max_epochs=4).fit(model, data)
        assert accuracy(model, X, labels) > 0.95
    assert len(model.trainable_variables) == 4 and model.net.layers[1].activation is keras.activations.relu


# ---- layers ----------------------------------------------------------------------------------------------------------
def test_dense_builds_lazily_with_keras_defaults():
    tf.random.set_seed(0)
    dense = keras.layers.Dense(300)
    assert not dense.built and dense.weights == [] and dense.kernel is None
    out = dense(np.ones((2, 200)))                           # NumPy float64 in: cast to the layer's float32
    assert out.shape == (2, 300) and out.dtype == tf.float32 and isinstance(out, tf.Tensor)
    assert dense.built and [v.name for v in dense.weights] == [f"{dense.name}/kernel:0", f"{dense.name}/bias:0"]
    k = dense.kernel.numpy()
    limit = np.sqrt(6 / (200 + 300))                         # GlorotUniform: Keras' default kernel initializer
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.95 * limit
    close(k.var(), limit ** 2 / 3, tol=2e-3)
    assert not dense.bias.numpy().any()
    # rank 3: along the last axis (Keras' tensordot)
    x = np.random.default_rng(0).normal(size=(2, 5, 200)).astype(np.float32)
    close(dense(x).numpy(), x @ k, tol=1e-4)
    assert dense.count_params() == 200 * 300 + 300


def test_dense_options_and_names():
    a, b = keras.layers.Dense(2), keras.layers.Dense(2)
    assert re.fullmatch(r"dense(_\d+)?", a.name) and a.name != b.name
    named = keras.layers.Dense(3, activation="relu", use_bias=False, name="hidden", kernel_initializer="ones")
    out = named(tf.constant([[1.0, -2.0]]))
    assert named.bias is None and len(named.weights) == 1 and named.kernel.name == "hidden/kernel:0"
    assert out.numpy().tolist() == [[0.0, 0.0, 0.0]]          # relu(1 - 2)
    eager = keras.layers.Dense(4, input_shape=(3,))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        eager(tf.ones((2, 5)))
    assert eager(tf.ones((2, 3))).shape == (2, 4) and eager.kernel.shape == (3, 4)
    seq = keras.Sequential([keras.layers.Dense(4, input_shape=(3,)), keras.layers.Dense(2)])
    assert [tuple(v.shape) for v in seq.trainable_variables] == [(3, 4), (4,), (4, 2), (2,)]   # built at once
    ints = keras.layers.Dense(1, kernel_initializer="ones")(tf.constant([[1, 2]]))
    assert ints.dtype == tf.float32 and ints.numpy().tolist() == [[3.0]]
    assert keras.layers.Dense(1, kernel_initializer="ones")([[1.0, 2.0], [3.0, 4.0]]).numpy().tolist() == [[3.0], [7.0]]

    class Custom(keras.layers.Layer):                         # a layer of one's own: build + add_weight + call
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    custom = Custom()
    assert custom.name.startswith("custom") and custom(tf.ones((2, 3))).shape == (2, 3)
    assert custom.trainable_weights == [custom.w] and custom.w.name == f"{custom.name}/w:0"


def test_dense_refuses_what_keras_refuses():
    dense = keras.layers.Dense(2)
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        dense(tf.ones(3))
    assert not dense.built
    dense(tf.ones((1, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        dense(tf.ones((1, 4)))
    for units in (0, -1, 2.5, "2"):
        with pytest.raises(ValueError, match="units"):
            keras.layers.Dense(units)
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        keras.layers.Dense(2, kernel_init="zeros")
    with pytest.raises(ValueError, match="Unknown activation function: 'relux'"):
        keras.layers.Dense(2, activation="relux")
    with pytest.raises(ValueError, match="Unknown initializer"):
        keras.layers.Dense(2, kernel_initializer="glorot")
    with pytest.raises(NotImplementedError, match="kernel_regularizer"):
        keras.layers.Dense(2, kernel_regularizer="l2")


def test_flatten_relu_and_activation_layers():
    x = tf.reshape(tf.range(24, dtype=tf.float32), (2, 3, 4))
    assert keras.layers.Flatten()(x).shape == (2, 12)
    assert keras.layers.Flatten()(tf.ones(5)).shape == (5, 1)
    np.testing.assert_array_equal(keras.layers.Flatten(data_format="channels_first")(x).numpy(),
                                  np.moveaxis(x.numpy(), 1, -1).reshape(2, -1))
    with pytest.raises(ValueError, match="min_ndim=1"):
        keras.layers.Flatten()(tf.constant(1.0))
    v = tf.constant([-2.0, -0.5, 0.5, 3.0, 8.0])
    assert keras.layers.ReLU()(v).numpy().tolist() == [0.0, 0.0, 0.5, 3.0, 8.0]
    np.testing.assert_allclose(keras.layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=1.0)(v).numpy(),
                               [-0.3, -0.15, -0.05, 3.0, 6.0], rtol=1e-6)
    with pytest.raises(ValueError, match="negative_slope"):
        keras.layers.ReLU(negative_slope=-1)
    assert keras.layers.Activation("tanh")(v).numpy()[0] == np.tanh(np.float32(-2.0))
    w = tf.Variable([[1.0, -1.0]])                            # gradients flow through the layers
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(keras.layers.ReLU()(keras.layers.Flatten()(w * 3.0)))
    assert tape.gradient(y, w).numpy().tolist() == [[3.0, 0.0]]


# ---- models --------------------------------------------------------------------------------------------------------
class Block(keras.Model):
    def __init__(self):
        super().__init__()
        self.layers_list = [keras.layers.Dense(3), keras.layers.Dense(2)]
        self.scale = tf.Variable(2.0)
        self.frozen = tf.Variable([1.0], trainable=False)
        self.config = {"note": "not a layer", "head": keras.layers.Dense(1)}

    def call(self, x, training=None):
        self.seen_training = training
        for layer in self.layers_list:
            x = layer(x)
        return self.config["head"](x) * self.scale


def test_model_tracks_layers_and_variables_in_keras_order():
    m = Block()
    out = m(tf.ones((4, 5)), training=True)
    assert out.shape == (4, 1) and m.seen_training is True
    d1, d2 = m.layers_list
    head = m.config["head"]
    assert m.trainable_variables == [m.scale, d1.kernel, d1.bias, d2.kernel, d2.bias, head.kernel, head.bias]
    assert m.non_trainable_variables == [m.frozen]
    assert m.layers == [d1, d2, head] and m.get_layer(d2.name) is d2
    assert len(m.weights) == 8 and m.count_params() == 1 + 1 + 18 + 8 + 3
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(m(tf.ones((4, 5))))
    grads = tape.gradient(loss, m.trainable_variables)
    assert all(g is not None for g in grads)
    m.trainable = False                                          # Keras: a frozen model's weights are non-trainable
    assert m.trainable_variables == [] and len(m.non_trainable_variables) == 8 and not d1.trainable
    m.trainable = True
    weights = m.get_weights()
    m.set_weights([w + 1 for w in weights])
    close(d1.kernel.numpy(), weights[1] + 1)
    with pytest.raises(ValueError, match="weight shape"):
        m.set_weights([w.T if w.ndim == 2 else w for w in weights])
    with pytest.raises(ValueError, match="expecting 8 weights"):
        m.set_weights(weights[:3])


def test_sequential_and_predict():
    seq = keras.Sequential([keras.layers.Dense(3, kernel_initializer="ones"), keras.layers.ReLU()], name="seq")
    assert keras.models.Sequential is keras.Sequential and seq.name == "seq"
    x = np.arange(10.0).reshape(5, 2)
    np.testing.assert_allclose(seq.predict(x, batch_size=2), np.repeat(x.sum(1, keepdims=True), 3, 1))
    seq.add(keras.layers.Dense(1))
    assert seq(x).shape == (5, 1) and len(seq.trainable_variables) == 4
    assert isinstance(seq.pop(), keras.layers.Dense) and len(seq.layers) == 2
    with pytest.raises(TypeError, match="must be an instance of class Layer"):
        seq.add(lambda x: x)
    with pytest.raises(ValueError, match="unique names"):
        seq.add(seq.layers[0])


def test_model_misuse_says_what_is_missing():
    class Forgot(keras.Model):
        def __init__(self):
            self.net = keras.layers.Dense(1)

    with pytest.raises(RuntimeError, match=r"forgot to call `super\(\).__init__\(\)`"):
        Forgot()

    class NoCall(keras.Model):
        pass

    with pytest.raises(NotImplementedError, match="must define call"):
        NoCall()(tf.ones((1, 1)))
    with pytest.raises(NotImplementedError, match="functional API"):
        keras.Model(inputs=1, outputs=2)
    with pytest.raises(RuntimeError, match="must compile"):
        keras.Sequential().fit(np.ones((2, 2)), np.ones(2))
    for where, name in ((keras.layers, "Conv3D"), (keras, "Input"), (keras.optimizers, "Nadam"),
                        (keras.losses, "Huber"), (keras.initializers, "Orthogonal")):
        with pytest.raises(AttributeError, match=f"'{name}'"):
            getattr(where, name)


# ---- initializers ----------------------------------------------------------------------------------------------------
def test_initializers_statistics_and_seeds():
    assert tf.initializers is keras.initializers
    x = keras.initializers.RandomNormal(mean=1.0, stddev=0.01)((400, 500)).numpy()
    assert x.dtype == np.float32 and x.shape == (400, 500)
    assert abs(x.mean() - 1.0) < 1e-4 and abs(x.std() - 0.01) < 1e-4
    u = keras.initializers.RandomUniform(-0.2, 0.3)((200_000,)).numpy()
    assert u.min() >= -0.2 and u.max() < 0.3 and abs(u.mean() - 0.05) < 2e-3
    g = keras.initializers.GlorotUniform()((300, 500), dtype=tf.float64).numpy()
    limit = np.sqrt(6 / 800)
    assert g.dtype == np.float64 and np.abs(g).max() <= limit and abs(g.var() - limit ** 2 / 3) < 1e-4
    conv = keras.initializers.GlorotUniform()((3, 3, 16, 32)).numpy()     # fans times the receptive field
    assert np.abs(conv).max() <= np.sqrt(6 / (9 * 16 + 9 * 32))
    he = keras.initializers.HeUniform()((400, 10)).numpy()
    assert np.abs(he).max() <= np.sqrt(6 / 400)
    assert not keras.initializers.Zeros()((2, 3)).numpy().any()
    assert keras.initializers.Constant(2.5)((2,)).numpy().tolist() == [2.5, 2.5]
    seeded = keras.initializers.RandomNormal(seed=3)
    np.testing.assert_array_equal(seeded((4,)).numpy(), seeded((4,)).numpy())   # Keras 2: same values each call
    unseeded = keras.initializers.RandomNormal()
    assert not np.array_equal(unseeded((4,)).numpy(), unseeded((4,)).numpy())
    tf.random.set_seed(7)
    first = keras.layers.Dense(3)(tf.ones((1, 2)))
    tf.random.set_seed(7)
    np.testing.assert_array_equal(first.numpy(), keras.layers.Dense(3)(tf.ones((1, 2))).numpy())
    assert isinstance(keras.initializers.get("glorot_uniform"), keras.initializers.GlorotUniform)
    assert isinstance(keras.initializers.get("RandomNormal"), keras.initializers.RandomNormal)
    with pytest.raises(ValueError, match="floating"):
        keras.initializers.RandomNormal()((2,), dtype=tf.int32)


# ---- losses ----------------------------------------------------------------------------------------------------------
def test_mean_squared_error_as_keras():
    mse = keras.losses.MeanSquaredError()
    y_true = np.array([[0.0, 1.0], [0.0, 0.0]], np.float32)
    y_pred = np.array([[1.0, 1.0], [1.0, 0.0]], np.float32)
    assert float(mse(y_true, y_pred)) == 0.5                 # Keras' documented example
    assert float(mse(y_true, y_pred, sample_weight=[0.7, 0.3])) == pytest.approx(0.25)
    assert float(keras.losses.MeanSquaredError(reduction="sum")(y_true, y_pred)) == 1.0
    assert keras.losses.MeanSquaredError(reduction="none")(y_true, y_pred).numpy().tolist() == [0.5, 0.5]
    # (n,) targets against (n, 1) outputs: the trailing axis is squeezed (no (n, n) broadcast)
    t, p = np.arange(4.0), np.arange(4.0).reshape(4, 1) + 1
    assert float(mse(t, p)) == 1.0
    assert keras.losses.mean_squared_error(y_true, y_pred).numpy().tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        keras.losses.MeanSquaredError(reduction="mean_please")


def test_sparse_categorical_crossentropy_as_torch():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 5)).astype(np.float32)
    labels = np.array([0, 4, 2, 2, 1, 3], np.int32)
    want = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels).long(),
                                             reduction="none").numpy()
    scce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    close(scce(labels, logits).numpy(), want)
    close(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels.reshape(6, 1), logits), want.mean())
    close(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels.astype(np.float32), logits),
          want.mean())
    probs = torch.softmax(torch.from_numpy(logits), 1).numpy()
    close(keras.losses.SparseCategoricalCrossentropy()(labels, probs), want.mean())
    # probabilities are clipped to [1e-7, 1 - 1e-7], as Keras' are: a zero probability gives -log(1e-7), not inf
    assert float(keras.losses.sparse_categorical_crossentropy([1], [[1.0, 0.0]])[0]) == pytest.approx(
        -np.log(1e-7 / (1 - 1e-7 + 1e-7)), rel=1e-4)
    # gradient through the tape: softmax(logits) - onehot(labels), over the batch
    z = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)
    onehot = np.eye(5)[labels]
    close(tape.gradient(loss, z).numpy(), (probs - onehot) / 6)
    with pytest.raises(ValueError, match="label value of 5 which is outside the valid range of \\[0, 5\\)"):
        scce(np.array([5, 0, 0, 0, 0, 0]), logits)
    with pytest.raises(ValueError, match="must equal `logits.shape` except for the last dimension"):
        scce(labels[:4], logits)
    with pytest.raises(ValueError, match="whole numbers"):
        scce(labels + 0.5, logits)


# ---- optimizers ------------------------------------------------------------------------------------------------------
def test_sgd_rule_and_keras_documented_example():
    opt = keras.optimizers.SGD(learning_rate=0.1)
    var = tf.Variable(1.0)
    loss = lambda: (var ** 2) / 2.0                           # d(loss)/d(var) = var
    opt.minimize(loss, [var])
    assert var.numpy() == pytest.approx(0.9)                  # Keras' docstring: 1 - 0.1 * 1
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    var = tf.Variable(1.0)
    opt.minimize(loss, [var])
    assert var.numpy() == pytest.approx(0.9)
    opt.minimize(loss, [var])
    assert var.numpy() == pytest.approx(0.72)                 # Keras' docstring: the steps are 0.1, then 0.18
    assert int(opt.iterations.numpy()) == 2
    w = tf.Variable([1.0, 2.0])
    keras.optimizers.SGD(0.5, weight_decay=0.1).apply_gradients([(tf.constant([0.0, 2.0]), w)])
    close(w.numpy(), [1.0 - 0.05, 2.0 - 0.1 - 1.0])
    w = tf.Variable([0.0, 0.0])
    keras.optimizers.SGD(1.0, global_clipnorm=1.0).apply_gradients([(tf.constant([3.0, 4.0]), w)])
    close(w.numpy(), [-0.6, -0.8])
    opt = keras.optimizers.SGD(0.1)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.lr == 0.5


def test_apply_gradients_misuse():
    opt = keras.optimizers.SGD(0.1)
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(tf.constant(1.0), a), (None, b)])
    assert a.numpy() == pytest.approx(0.9) and b.numpy() == 2.0
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, a)])
    with pytest.raises(TypeError, match="tf.Variables"):
        opt.apply_gradients([(tf.constant(1.0), tf.constant(1.0))])
    with pytest.raises(ValueError, match="Shapes of the gradient"):
        opt.apply_gradients([(tf.ones(2), a)])
    for bad in (float("nan"), -0.1, float("inf")):
        with pytest.raises(ValueError, match="learning rate"):
            keras.optimizers.SGD(bad)
    with pytest.raises(ValueError, match="momentum"):
        keras.optimizers.SGD(0.1, momentum=1.5)
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        keras.optimizers.SGD(0.1, decay_rate=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.optimizers.SGD(0.1).apply_gradients(zip([tf.constant(1.0)], [a]))
