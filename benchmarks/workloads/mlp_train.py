"""MLP 784-256-10, ReLU, softmax cross-entropy, batch 128: one SGD training step (float32)."""

from __future__ import annotations

import numpy as np

from ._common import Case, jax_sgd, numpy_sgd, rng

SIZES = {"full": {"batch": 128, "sizes": (784, 256, 10)}, "quick": {"batch": 16, "sizes": (20, 16, 5)}}
TOL = 1e-4
LR = 0.01


def data(size):
    r = rng(0)
    n_in, n_hid, n_out = size["sizes"]
    b = size["batch"]
    y = r.integers(0, n_out, b)
    return {"X": r.standard_normal((b, n_in)).astype(np.float32), "y": y,
            "Y": np.eye(n_out, dtype=np.float32)[y],
            "W1": (r.standard_normal((n_in, n_hid)) / np.sqrt(n_in)).astype(np.float32),
            "b1": np.zeros(n_hid, np.float32),
            "W2": (r.standard_normal((n_hid, n_out)) / np.sqrt(n_hid)).astype(np.float32),
            "b2": np.zeros(n_out, np.float32)}


NAMES = ("W1", "b1", "W2", "b2")


def setup_floor(d, size):
    X, Y = d["X"], d["Y"]
    W1, b1, W2, b2 = (d[k].copy() for k in NAMES)
    lr = np.float32(LR)
    batch = np.float32(X.shape[0])

    def grads():
        h = X @ W1
        h += b1
        np.maximum(h, 0, out=h)                         # relu in place: h is the activation
        z = h @ W2
        z += b2
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)               # softmax
        # loss = -sum(Y * log softmax) / batch; its gradient wrt the logits:
        z -= Y
        z /= batch
        dW2 = h.T @ z
        db2 = z.sum(axis=0)
        dh = z @ W2.T
        dh *= h > 0
        dW1 = X.T @ dh
        db1 = dh.sum(axis=0)
        return [dW1, db1, dW2, db2]

    def step():
        for p, g in zip((W1, b1, W2, b2), grads()):
            g *= lr
            p -= g

    return Case(step, grads)


def setup_turunan(d, size):
    import turunan as tn
    import turunan.optim  # noqa: F401
    X, Y = tn.tensor(d["X"]), tn.tensor(d["Y"])
    params = [tn.tensor(d[k].copy(), requires_grad=True) for k in NAMES]
    W1, b1, W2, b2 = params
    batch = X.shape[0]

    def backward():
        h = tn.relu(X @ W1 + b1)
        logp = tn.log_softmax(h @ W2 + b2, axis=1)
        loss = -(logp * Y).sum() / batch
        loss.backward()

    return _with_sgd(tn, params, backward)


def _with_sgd(tn, params, backward):
    """The step of a torch-style library: zero_grad (to None), backward, its own optim.SGD step."""
    opt = tn.optim.SGD(params, lr=LR)

    def step():
        opt.zero_grad(set_to_none=True)
        backward()
        opt.step()

    def grads():
        backward()
        out = [p.grad.numpy().copy() for p in params]
        opt.zero_grad(set_to_none=True)
        return out

    return Case(step, grads)


def setup_torch(d, size):
    import torch
    import torch.nn.functional as F
    import torch.optim  # noqa: F401
    X, y = torch.tensor(d["X"]), torch.tensor(d["y"])
    params = [torch.tensor(d[k].copy(), requires_grad=True) for k in NAMES]
    W1, b1, W2, b2 = params

    def backward():
        h = torch.relu(X @ W1 + b1)
        loss = F.cross_entropy(h @ W2 + b2, y)
        loss.backward()

    return _with_sgd(torch, params, backward)


def _loss_np(anp, logsumexp):
    def loss(params, X, Y):
        W1, b1, W2, b2 = params
        h = anp.maximum(X @ W1 + b1, 0)
        z = h @ W2 + b2
        logp = z - logsumexp(z, axis=1, keepdims=True)
        return -anp.sum(logp * Y) / X.shape[0]
    return loss


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    from jax.nn import relu
    from jax.scipy.special import logsumexp

    def loss(params, X, Y):
        W1, b1, W2, b2 = params
        z = relu(X @ W1 + b1) @ W2 + b2
        return -jnp.sum((z - logsumexp(z, axis=1, keepdims=True)) * Y) / X.shape[0]

    return jax_sgd(jax, jax.grad(loss), [jnp.asarray(d[k]) for k in NAMES], jnp.asarray(d["X"]),
                   jnp.asarray(d["Y"]), LR, jit)


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp
    return numpy_sgd(autograd.grad(_loss_np(anp, logsumexp)), [d[k].copy() for k in NAMES], d["X"], d["Y"], LR)
