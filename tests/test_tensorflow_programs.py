"""Programs a reader of D2L's TensorFlow tabs writes next (issue 11's "programs of this kind that the tests do not
contain"), run on ``turunan.tensorflow`` and compared with the same program on real PyTorch 2.13 (same data, the
same initial weights copied across) or with NumPy by hand where PyTorch has no twin.

The relations written into the comparisons are Keras' documented conventions:
- a ``Dense`` kernel is ``(in, out)``: PyTorch's ``Linear.weight`` is its transpose;
- Keras' SGD velocity carries the rate (``v = μv − lr·g; w += v``; Nesterov ``w += μv − lr·g``): with a constant
  rate it is PyTorch's SGD with the same momentum/nesterov;
- Keras' Adam adds ``epsilon`` (1e-7 by default) outside the bias corrections, as TF does
  (``w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)``): checked by NumPy, and against torch's Adam when ε is negligible;
- ``fit``'s ``history['loss']`` is the epoch's batch losses averaged with the batch sizes as weights.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import turunan.tensorflow as tf

keras = tf.keras


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


def copy_dense(dense, linear, torch) -> None:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(dense.kernel.numpy().T))
        linear.bias.copy_(torch.tensor(dense.bias.numpy()))


def regression_data(n=96, d=4, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (np.tanh(X[:, :1]) - X[:, 1:2] * X[:, 2:3] + 0.05 * rng.normal(size=(n, 1))).astype(np.float32)
    return X, y


def blobs(n=150, classes=3, d=6, seed=8):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, d)) * 2
    labels = rng.integers(0, classes, size=n).astype(np.int32)
    X = (centres[labels] + rng.normal(size=(n, d))).astype(np.float32)
    return X, labels


class MLP(keras.Model):
    def __init__(self, hidden=16, out=3):
        super().__init__()
        self.hidden = keras.layers.Dense(hidden, activation="relu")
        self.out = keras.layers.Dense(out)

    def call(self, x):
        return self.out(self.hidden(x))


def torch_mlp(torch, net, d, hidden=16, out=3):
    tnet = torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, out))
    copy_dense(net.hidden, tnet[0], torch)
    copy_dense(net.out, tnet[2], torch)
    return tnet


# ---- 1. a subclassed Model, a GradientTape loop, SGD with Nesterov momentum, sparse CE from logits ------------
@pytest.mark.parametrize("nesterov", [False, True])
def test_subclassed_model_tape_loop_with_momentum(torch, nesterov):
    X, labels = blobs()
    net = MLP()
    net(X[:1])
    tnet = torch_mlp(torch, net, 6)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=nesterov)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9, nesterov=nesterov)
    for _ in range(3):
        for i in range(0, len(X), 50):
            xb, yb = X[i:i + 50], labels[i:i + 50]
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, net(xb))
            grads = tape.gradient(loss, net.trainable_variables)
            opt.apply_gradients(zip(grads, net.trainable_variables))
            tl = torch.nn.functional.cross_entropy(tnet(torch.tensor(xb)), torch.tensor(yb).long())
            topt.zero_grad()
            tl.backward()
            topt.step()
            close(float(loss), tl.item())
    close(net.hidden.kernel.numpy(), tnet[0].weight.detach().numpy().T)
    assert int(opt.iterations.numpy()) == 9


# ---- 2. Sequential + compile + fit (history), evaluate, predict: MSE with SGD ---------------------------------
def test_sequential_compile_fit_evaluate_predict(torch):
    X, y = regression_data()
    model = keras.Sequential([keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    model(X[:1])
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    copy_dense(model.layers[0], tnet[0], torch)
    copy_dense(model.layers[1], tnet[2], torch)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    history = model.fit(X, y, epochs=3, batch_size=40, verbose=0, shuffle=False)   # batches 40, 40, 16
    topt = torch.optim.SGD(tnet.parameters(), lr=0.05)
    want = []
    for _ in range(3):
        total = 0.0
        for i in range(0, len(X), 40):
            tl = ((tnet(torch.tensor(X[i:i + 40])) - torch.tensor(y[i:i + 40])) ** 2).mean()
            topt.zero_grad()
            tl.backward()
            topt.step()
            total += tl.item() * len(X[i:i + 40])
        want.append(total / len(X))
    close(history.history["loss"], want)
    assert history.epoch == [0, 1, 2]
    with torch.no_grad():
        full = tnet(torch.tensor(X))
    close(model.evaluate(X, y, verbose=0), ((full - torch.tensor(y)) ** 2).mean().item())
    close(model.predict(X, verbose=0), full.numpy())


# ---- 3. compile with 'adam' and metrics=['accuracy'] on a tf.data pipeline ------------------------------------
def test_fit_on_a_tf_data_pipeline_with_accuracy_matches_arrays():
    X, labels = blobs(n=64)

    def make():
        tf.random.set_seed(3)
        m = keras.Sequential([keras.layers.Dense(10, activation="relu"), keras.layers.Dense(3)])
        m(X[:1])                                    # built now, from the seeded generator
        m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
        return m
    a, b = make(), make()
    ha = a.fit(X, labels, epochs=4, batch_size=16, verbose=0, shuffle=False)
    data = tf.data.Dataset.from_tensor_slices((X, labels)).batch(16)
    hb = b.fit(data, epochs=4, verbose=0)
    close(ha.history["loss"], hb.history["loss"], tol=1e-6)
    close(ha.history["accuracy"], hb.history["accuracy"], tol=0)
    assert ha.history["loss"][-1] < ha.history["loss"][0]
    loss, acc = a.evaluate(X, labels, verbose=0)
    pred = a.predict(X, verbose=0).argmax(1)
    assert acc == pytest.approx((pred == labels).mean())
    assert 0 <= acc <= 1 and loss > 0


# ---- 4. Adam, Keras' rule by NumPy; and against torch where epsilon is negligible ------------------------------
def test_adam_is_keras_rule():
    w = tf.Variable([[0.5, -1.0], [2.0, 0.25]])
    opt = keras.optimizers.Adam(learning_rate=0.1)
    x = np.array([[1.0, 2.0], [-0.5, 0.3]], np.float32)
    ref, m, v = w.numpy().astype(np.float64), 0.0, 0.0
    for t in range(1, 5):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.matmul(x, w) ** 2)
        (g,) = tape.gradient(loss, [w])
        g = g.numpy().astype(np.float64)
        opt.apply_gradients([(tf.constant(g.astype(np.float32)), w)])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref = ref - 0.1 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
        close(w.numpy(), ref)


def test_adam_tape_loop_as_torch_with_tiny_epsilon(torch):
    X, labels = blobs(n=60)
    net = MLP()
    net(X[:1])
    tnet = torch_mlp(torch, net, 6)
    opt = keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-12)
    topt = torch.optim.Adam(tnet.parameters(), lr=0.01, eps=1e-12)
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, net(X)))
        opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
        tl = torch.nn.functional.cross_entropy(tnet(torch.tensor(X)), torch.tensor(labels).long())
        topt.zero_grad()
        tl.backward()
        topt.step()
        close(float(loss), tl.item(), tol=1e-4)


def test_optimizer_names_and_refusals():
    assert isinstance(keras.optimizers.get("adam"), keras.optimizers.Adam)
    assert keras.optimizers.Adam().epsilon == 1e-7
    with pytest.raises(ValueError, match="optimizer identifier"):
        keras.optimizers.get("nadam")
    with pytest.raises(ValueError, match="beta_1"):
        keras.optimizers.Adam(beta_1=1.5)
    model = keras.Sequential([keras.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(np.ones((2, 2), np.float32), np.ones(2, np.float32))
    model.compile(optimizer="sgd", loss="mse", metrics=["auc"])
    with pytest.raises(ValueError, match="auc"):
        model.fit(np.ones((2, 2), np.float32), np.ones(2, np.float32), verbose=0)


# ---- 5. the cross-entropies of tf.nn, against torch, with their gradients ------------------------------------
def test_tf_nn_cross_entropies_as_torch(torch):
    rng = np.random.default_rng(9)
    logits = rng.normal(size=(5, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=5).astype(np.int32)
    soft = rng.dirichlet(np.ones(4), size=5).astype(np.float32)
    z = tf.Variable(logits)
    with tf.GradientTape(persistent=True) as tape:
        sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z)
        dense = tf.nn.softmax_cross_entropy_with_logits(labels=soft, logits=z)
        s1, s2 = tf.reduce_sum(sparse), tf.reduce_sum(dense)
    tz = torch.tensor(logits, requires_grad=True)
    tsparse = torch.nn.functional.cross_entropy(tz, torch.tensor(labels).long(), reduction="none")
    close(sparse.numpy(), tsparse.detach().numpy())
    close(tape.gradient(s1, z).numpy(), torch.autograd.grad(tsparse.sum(), tz)[0].numpy())
    tdense = torch.nn.functional.cross_entropy(tz, torch.tensor(soft), reduction="none")
    close(dense.numpy(), tdense.detach().numpy())
    close(tape.gradient(s2, z).numpy(), torch.autograd.grad(tdense.sum(), tz)[0].numpy())
    one_hot = tf.one_hot(labels, 4)
    close(tf.nn.softmax_cross_entropy_with_logits(one_hot, logits).numpy(), tsparse.detach().numpy())
    t = tf.nn.softmax_cross_entropy_with_logits(np.swapaxes(soft, 0, 1), np.swapaxes(logits, 0, 1), axis=0)
    close(t.numpy(), tdense.detach().numpy())
    with pytest.raises(TypeError, match="integer labels"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels.astype(np.float32), logits)
    with pytest.raises(ValueError, match="outside the valid range"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels + 4, logits)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.softmax_cross_entropy_with_logits(soft[:, :3], logits)


# ---- 6. variables by hand: assign_add/assign_sub, reductions, one_hot, printing -------------------------------
def test_scratch_softmax_regression_with_variables():
    X, labels = blobs(n=40, d=3)
    W = tf.Variable(tf.random.normal((3, 3), 0, 0.01))
    b = tf.Variable(tf.zeros(3))
    W0, b0 = W.numpy().astype(np.float64), b.numpy().astype(np.float64)
    for _ in range(3):
        with tf.GradientTape() as tape:
            logits = tf.matmul(X, W) + b
            y_hat = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=1, keepdims=True)
            loss = -tf.reduce_mean(tf.reduce_sum(tf.one_hot(labels, 3) * tf.math.log(y_hat), axis=1))
        dW, db = tape.gradient(loss, [W, b])
        W.assign_sub(0.5 * dW)
        b.assign_add(-0.5 * db)
        # by hand: d loss / d logits = (softmax - onehot) / n
        z = X.astype(np.float64) @ W0 + b0
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        d = (p - np.eye(3)[labels]) / len(X)
        W0, b0 = W0 - 0.5 * X.T @ d, b0 - 0.5 * d.sum(0)
        close(W.numpy(), W0)
        close(b.numpy(), b0)
    assert float(tf.reduce_max(tf.constant([1.0, 3.0]))) == 3.0
    assert float(tf.reduce_min(tf.constant([1.0, 3.0]))) == 1.0
    assert repr(tf.constant([1.0, 2.0])) == "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], " \
                                            "dtype=float32)>"


# ---- 7. a small channels-last CNN (Conv2D 'same'/'valid', MaxPool2D, Flatten, Dense) trained as torch --------
def test_small_cnn_channels_last_trains_as_torch(torch):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(20, 7, 7, 2)).astype(np.float32)        # NHWC, as Keras
    labels = rng.integers(0, 3, size=20).astype(np.int32)
    model = keras.Sequential([keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                              keras.layers.MaxPool2D(pool_size=2, strides=1),
                              keras.layers.Conv2D(5, (2, 2)), keras.layers.Flatten(), keras.layers.Dense(3)])
    assert model(X[:2]).shape == (2, 3)
    conv1, conv2, dense = model.layers[0], model.layers[2], model.layers[4]
    assert conv1.kernel.shape == (3, 3, 2, 4) and conv2.kernel.shape == (2, 2, 4, 5)
    # TF's 'same' with stride 2 on 7: out 4, total padding 2 (1 before, 1 after); torch's padding=1 is the same
    tconv1, tconv2 = torch.nn.Conv2d(2, 4, 3, stride=2, padding=1), torch.nn.Conv2d(4, 5, 2)
    tdense = torch.nn.Linear(5 * 2 * 2, 3)
    with torch.no_grad():
        for mine, theirs in ((conv1, tconv1), (conv2, tconv2)):
            theirs.weight.copy_(torch.tensor(mine.kernel.numpy().transpose(3, 2, 0, 1)))
            theirs.bias.copy_(torch.tensor(mine.bias.numpy()))
        # Keras flattens (h, w, c); torch flattens (c, h, w): permute the dense rows to match
        k = dense.kernel.numpy().reshape(2, 2, 5, 3).transpose(2, 0, 1, 3).reshape(20, 3)
        tdense.weight.copy_(torch.tensor(k.T))
        tdense.bias.copy_(torch.tensor(dense.bias.numpy()))

    def tmodel(x):
        h = torch.nn.functional.max_pool2d(torch.relu(tconv1(x.permute(0, 3, 1, 2))), 2, 1)
        return tdense(tconv2(h).flatten(1))
    params = [*tconv1.parameters(), *tconv2.parameters(), *tdense.parameters()]
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(X, labels, epochs=3, batch_size=20, verbose=0)
    topt = torch.optim.SGD(params, lr=0.05, momentum=0.9)
    for epoch in range(3):
        tl = torch.nn.functional.cross_entropy(tmodel(torch.tensor(X)), torch.tensor(labels).long())
        topt.zero_grad()
        tl.backward()
        topt.step()
        close(history.history["loss"][epoch], tl.item())
    with torch.no_grad():
        close(model.predict(X, verbose=0), tmodel(torch.tensor(X)).numpy(), tol=1e-4)
    with pytest.raises(ValueError, match="expected ndim=4"):
        conv1(np.ones((7, 7, 2), np.float32))


def test_dropout_only_in_training():
    tf.random.set_seed(0)
    model = keras.Sequential([keras.layers.Dense(32, activation="relu"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(2), keras.layers.Softmax()])
    x = np.random.default_rng(12).normal(size=(8, 4)).astype(np.float32)
    out = model(x).numpy()
    close(model(x, training=False).numpy(), out, tol=0)
    close(model.predict(x, verbose=0), out, tol=0)
    close(out.sum(axis=1), np.ones(8))
    h = model.layers[0](x).numpy()
    d = model.layers[1](h, training=True).numpy()
    kept = d != 0
    close(d[kept], 2 * h[kept])
    assert 0.3 < kept[h != 0].mean() < 0.7
    with pytest.raises(ValueError, match="between 0 and 1"):
        keras.layers.Dropout(1.5)


# ---- 8. a loop that keeps its own metrics; SGD's velocity keeps its old rate after the rate changes -----------
def test_loop_with_keras_metrics_by_numpy():
    X, labels = blobs(n=45)
    tf.random.set_seed(1)
    net = MLP()
    opt = keras.optimizers.SGD(learning_rate=0.2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    mean_loss, acc = keras.metrics.Mean(), keras.metrics.SparseCategoricalAccuracy()
    seen_losses, hits = [], []
    for i in range(0, len(X), 20):                     # batches of 20, 20, 5
        xb, yb = X[i:i + 20], labels[i:i + 20]
        with tf.GradientTape() as tape:
            logits = net(xb)
            loss = loss_fn(yb, logits)
        opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
        mean_loss.update_state(loss)
        acc.update_state(yb, logits)
        seen_losses.append(float(loss))
        hits.extend(logits.numpy().argmax(1) == yb)
    close(mean_loss.result().numpy(), np.mean(seen_losses))     # Mean: each update_state one value
    close(acc.result().numpy(), np.mean(hits))                 # accuracy: per example
    acc.reset_state()
    assert float(acc.result()) == 0.0
    assert float(keras.metrics.Mean()([1.0, 2.0, 6.0], sample_weight=[1, 1, 0])) == 1.5


def test_sgd_velocity_carries_the_rate_when_it_changes():
    w = tf.Variable([1.0, -2.0])
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    ref, vel = np.array([1.0, -2.0]), np.zeros(2)
    for lr in (0.1, 0.1, 0.01, 0.01):
        opt.learning_rate = lr
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(w * w * w)
        g = tape.gradient(loss, w)
        vel = 0.9 * vel - lr * g.numpy().astype(np.float64)
        opt.apply_gradients([(g, w)])
        ref = ref + vel
        close(w.numpy(), ref)


# ---- 9. the other Keras losses a reader reaches for, against torch, with gradients ---------------------------
def test_more_keras_losses_as_torch(torch):
    rng = np.random.default_rng(14)
    logits = rng.normal(size=(6, 3)).astype(np.float32)
    onehot = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=6)]
    z = tf.Variable(logits)
    tz = torch.tensor(logits, requires_grad=True)
    F = torch.nn.functional
    cases = [
        (keras.losses.CategoricalCrossentropy(from_logits=True), onehot,
         lambda t: F.cross_entropy(t, torch.tensor(onehot))),
        (keras.losses.CategoricalCrossentropy(), onehot,                       # probabilities in (0, 1)
         lambda t: F.cross_entropy(torch.log(torch.softmax(t, 1)), torch.tensor(onehot))),
        (keras.losses.MeanAbsoluteError(), onehot, lambda t: (t - torch.tensor(onehot)).abs().mean()),
        (keras.losses.BinaryCrossentropy(from_logits=True), onehot,
         lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(onehot))),
    ]
    for loss_fn, target, twin in cases:
        with tf.GradientTape() as tape:
            pred = z if loss_fn.name != "categorical_crossentropy" or loss_fn.from_logits else tf.nn.softmax(z)
            loss = loss_fn(target, pred)
        tl = twin(tz)
        close(float(loss), tl.item())
        close(tape.gradient(loss, z).numpy(), torch.autograd.grad(tl, tz)[0].numpy())
    # BinaryCrossentropy on probabilities, (n, 1) outputs against (n,) labels, as a sigmoid classifier gives them
    p = 1 / (1 + np.exp(-logits[:, :1]))
    y = onehot[:, 0]
    want = -np.mean(y * np.log(p[:, 0] + 1e-7) + (1 - y) * np.log(1 - p[:, 0] + 1e-7))
    close(float(keras.losses.BinaryCrossentropy()(y, p)), want)
    close(keras.losses.get("binary_crossentropy")(y[:, None], p).numpy().mean(), want)   # the function: per example
    with pytest.raises(ValueError, match="same shape"):
        keras.losses.CategoricalCrossentropy()(onehot[:, :2], logits)


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.9, False), (0.5, True)])
def test_rmsprop_is_tensorflows_rule(momentum, centered):
    # TF: ms = ρ·ms + (1−ρ)g²; (centered: mg = ρ·mg + (1−ρ)g, ms − mg²); mom = μ·mom + lr·g/√(… + ε); w −= mom
    w = tf.Variable([0.5, -1.5, 2.0])
    opt = keras.optimizers.RMSprop(learning_rate=0.05, momentum=momentum, centered=centered, epsilon=1e-3)
    ref, ms, mg, mom = w.numpy().astype(np.float64), 0.0, 0.0, 0.0
    for lr in (0.05, 0.05, 0.01):
        opt.learning_rate = lr
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.sin(w) * w)
        g = tape.gradient(loss, w)
        opt.apply_gradients([(g, w)])
        g = g.numpy().astype(np.float64)
        ms = 0.9 * ms + 0.1 * g * g
        mg = 0.9 * mg + 0.1 * g
        mom = momentum * mom + lr * g / np.sqrt(ms - (mg * mg if centered else 0) + 1e-3)
        ref = ref - mom
        close(w.numpy(), ref)
    assert isinstance(keras.optimizers.get("rmsprop"), keras.optimizers.RMSprop)
