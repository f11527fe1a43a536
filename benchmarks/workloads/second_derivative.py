"""d²/dx² of sum(sin(x)) over 1M float64 points: a gradient of a gradient (create_graph)."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"n": 1_000_000}, "quick": {"n": 1000}}
TOL = 1e-10


def data(size):
    return {"x": rng(4).uniform(-5, 5, size["n"])}


def setup_floor(d, size):
    x = d["x"]

    def run():
        s = np.sin(x)
        value = s.sum()        # the forward
        d1 = np.cos(x)         # the first derivative (what the first backward yields)
        d2 = np.negative(s)    # the second derivative, reusing sin(x)
        return value, d1, d2

    return Case(run, lambda: [run()[2]])


def setup_turunan(d, size):
    import turunan as tn
    x = tn.tensor(d["x"], requires_grad=True)

    def run():
        g1, = tn.autograd.grad(tn.sin(x).sum(), [x], create_graph=True)
        g2, = tn.autograd.grad(g1.sum(), [x])
        return g2

    return Case(run, lambda: [run().numpy()])


def setup_torch(d, size):
    import torch
    x = torch.tensor(d["x"], requires_grad=True)

    def run():
        g1, = torch.autograd.grad(torch.sin(x).sum(), [x], create_graph=True)
        g2, = torch.autograd.grad(g1.sum(), [x])
        return g2

    return Case(run, lambda: [run().numpy().copy()])


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    x = jnp.asarray(d["x"])
    g2 = jax.grad(lambda x: jnp.sum(jax.grad(lambda x: jnp.sum(jnp.sin(x)))(x)))
    if jit:
        g2 = jax.jit(g2)
    return Case(lambda: g2(x).block_until_ready(), lambda: [np.asarray(g2(x))])


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    x = d["x"]
    g2 = autograd.grad(lambda x: anp.sum(autograd.grad(lambda x: anp.sum(anp.sin(x)))(x)))
    return Case(lambda: g2(x), lambda: [g2(x)])
