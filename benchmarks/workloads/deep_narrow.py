"""12 tanh layers of width 64, batch 32, MSE loss: one SGD step (float32): many small ops."""

from __future__ import annotations

import numpy as np

from ._common import Case, jax_sgd, numpy_sgd, rng

SIZES = {"full": {"layers": 12, "width": 64, "batch": 32}, "quick": {"layers": 3, "width": 8, "batch": 4}}
TOL = 1e-4
LR = 0.01


def data(size):
    r = rng(1)
    w, b = size["width"], size["batch"]
    out = {"X": r.standard_normal((b, w)).astype(np.float32), "Y": r.uniform(-0.5, 0.5, (b, w)).astype(np.float32)}
    for i in range(size["layers"]):
        out[f"W{i}"] = (r.standard_normal((w, w)) / np.sqrt(w)).astype(np.float32)
        out[f"b{i}"] = (r.standard_normal(w) * 0.1).astype(np.float32)
    return out


def _names(size):
    return [n for i in range(size["layers"]) for n in (f"W{i}", f"b{i}")]


def setup_floor(d, size):
    X, Y = d["X"], d["Y"]
    params = [d[k].copy() for k in _names(size)]
    lr = np.float32(LR)

    def grads():
        hs = [X]
        h = X
        for W, b in zip(params[0::2], params[1::2]):
            h = h @ W
            h += b
            np.tanh(h, out=h)
            hs.append(h)
        g = h - Y
        g *= np.float32(2 / g.size)                     # d mean((h - Y)^2) / dh
        out = []
        for i in range(len(hs) - 1, 0, -1):
            h = hs[i]
            g *= 1 - h * h                              # through tanh
            W = params[2 * (i - 1)]
            out += [g.sum(axis=0), hs[i - 1].T @ g]      # db, dW
            if i > 1:
                g = g @ W.T
        return out[::-1]

    def step():
        for p, g in zip(params, grads()):
            g *= lr
            p -= g

    return Case(step, grads)


def _forward(tanh, params, X, Y):
    h = X
    for W, b in zip(params[0::2], params[1::2]):
        h = tanh(h @ W + b)
    diff = h - Y
    return (diff * diff).mean()


def _torchlike(tn, d, size):
    X, Y = tn.tensor(d["X"]), tn.tensor(d["Y"])
    params = [tn.tensor(d[k].copy(), requires_grad=True) for k in _names(size)]

    opt = tn.optim.SGD(params, lr=LR)     # zero_grad (to None), backward, the library's own SGD step

    def step():
        opt.zero_grad(set_to_none=True)
        _forward(tn.tanh, params, X, Y).backward()
        opt.step()

    def grads():
        _forward(tn.tanh, params, X, Y).backward()
        out = [p.grad.numpy().copy() for p in params]
        opt.zero_grad(set_to_none=True)
        return out

    return Case(step, grads)


def setup_turunan(d, size):
    import turunan as tn
    import turunan.optim  # noqa: F401
    return _torchlike(tn, d, size)


def setup_torch(d, size):
    import torch
    import torch.optim  # noqa: F401
    return _torchlike(torch, d, size)


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    g = jax.grad(lambda p, X, Y: _forward(jnp.tanh, p, X, Y))
    return jax_sgd(jax, g, [jnp.asarray(d[k]) for k in _names(size)], jnp.asarray(d["X"]), jnp.asarray(d["Y"]),
                   LR, jit)


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    g = autograd.grad(lambda p, X, Y: _forward(anp.tanh, p, X, Y))
    return numpy_sgd(g, [d[k].copy() for k in _names(size)], d["X"], d["Y"], LR)
