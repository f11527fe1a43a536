"""Hessian-vector product (forward over reverse) of f(W) = sum(tanh(tanh(X W) V2)), X 128x100, W 100x100,
against the gradient of the same f (row ".../grad"). Target: hvp at most 4x the gradient."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"b": 128, "n": 100}, "quick": {"b": 4, "n": 6}}
TOL = 1e-8
TIMED = ["step", "grad"]


def data(size):
    r, b, n = rng(12), size["b"], size["n"]
    return {"X": r.standard_normal((b, n)), "W": r.standard_normal((n, n)) / np.sqrt(n),
            "V2": r.standard_normal((n, n)) / np.sqrt(n), "T": r.standard_normal((n, n))}


def setup_floor(d, size):
    X, W, V2, T = d["X"], d["W"], d["V2"], d["T"]

    def grad():
        h = np.tanh(X @ W)
        y = np.tanh(h @ V2)
        gh = ((1 - y * y) @ V2.T) * (1 - h * h)
        return X.T @ gh

    def hvp():
        h = np.tanh(X @ W)
        dh = (1 - h * h) * (X @ T)
        y = np.tanh(h @ V2)
        gy = 1 - y * y
        dy = gy * (dh @ V2)
        dgh = ((-2 * y * dy) @ V2.T) * (1 - h * h) + (gy @ V2.T) * (-2 * h * dh)
        return X.T @ dgh

    return Case(hvp, lambda: [hvp()], {"grad": grad})


def setup_turunan(d, size):
    import turunan as tn
    from turunan.func import grad, hvp
    X, W, V2, T = (tn.tensor(d[k]) for k in ("X", "W", "V2", "T"))
    f = lambda W: tn.tanh(tn.tanh(X @ W) @ V2).sum()
    g = grad(f)
    return Case(lambda: hvp(f, (W,), (T,)), lambda: [hvp(f, (W,), (T,)).numpy()], {"grad": lambda: g(W)})


def setup_torch(d, size):
    import torch
    from torch.func import grad, jvp
    X, W, V2, T = (torch.tensor(d[k]) for k in ("X", "W", "V2", "T"))
    f = lambda W: torch.tanh(torch.tanh(X @ W) @ V2).sum()
    g = grad(f)
    h = lambda: jvp(g, (W,), (T,))[1]
    return Case(h, lambda: [h().numpy().copy()], {"grad": lambda: g(W)})


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    X, W, V2, T = (jnp.asarray(d[k]) for k in ("X", "W", "V2", "T"))
    f = lambda W: jnp.tanh(jnp.tanh(X @ W) @ V2).sum()
    g = jax.grad(f)
    h = lambda W, T: jax.jvp(g, (W,), (T,))[1]
    if jit:
        g, h = jax.jit(g), jax.jit(h)
    return Case(lambda: h(W, T).block_until_ready(), lambda: [np.asarray(h(W, T))],
                {"grad": lambda: g(W).block_until_ready()})


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)
