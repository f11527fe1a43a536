"""Hessian of f(x) = sum(tanh(x W)), x of 100, W 100x100: turunan.hessian (forward over reverse) against
torch.func.hessian, jax.hessian and HIPS autograd's hessian."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"n": 100}, "quick": {"n": 6}}
TOL = 1e-8


def data(size):
    r, n = rng(17), size["n"]
    return {"x": r.standard_normal(n), "W": r.standard_normal((n, n)) / np.sqrt(n)}


def setup_floor(d, size):
    x, W = d["x"], d["W"]

    def hess():      # by hand: H = W diag(-2 t (1 - t^2)) W^T with t = tanh(x W)
        t = np.tanh(x @ W)
        return (W * (-2 * t * (1 - t * t))) @ W.T

    return Case(hess, lambda: [hess()])


def setup_turunan(d, size):
    import turunan as tn
    x, W = tn.tensor(d["x"]), tn.tensor(d["W"])
    h = tn.hessian(lambda x: tn.tanh(x @ W).sum())
    return Case(lambda: h(x), lambda: [h(x).numpy()])


def setup_torch(d, size):
    import torch
    from torch.func import hessian
    x, W = torch.tensor(d["x"]), torch.tensor(d["W"])
    h = hessian(lambda x: torch.tanh(x @ W).sum())
    return Case(lambda: h(x), lambda: [h(x).numpy().copy()])


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    x, W = jnp.asarray(d["x"]), jnp.asarray(d["W"])
    h = jax.hessian(lambda x: jnp.tanh(x @ W).sum())
    if jit:
        h = jax.jit(h)
    return Case(lambda: h(x).block_until_ready(), lambda: [np.asarray(h(x))])


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    x, W = d["x"], d["W"]
    h = autograd.hessian(lambda x: anp.sum(anp.tanh(anp.dot(x, W))))
    return Case(lambda: h(x), lambda: [h(x)])
