"""sum(sin(x) * exp(-x*x)) over 10M float32: the forward alone, forward + backward, peak memory."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"n": 10_000_000}, "quick": {"n": 1000}}
TOL = 1e-5
TIMED = ["forward", "step"]


def data(size):
    return {"x": rng(2).uniform(-3, 3, size["n"]).astype(np.float32)}


def setup_floor(d, size):
    x = d["x"]

    def forward():
        e = np.square(x)
        np.negative(e, out=e)
        np.exp(e, out=e)
        s = np.sin(x)
        s *= e
        return s.sum()

    def fwd_bwd():
        s = np.sin(x)
        e = np.square(x)
        np.negative(e, out=e)
        np.exp(e, out=e)
        p = s * e
        loss = p.sum()
        # d/dx sin(x) exp(-x^2) = cos(x) exp(-x^2) - 2 x sin(x) exp(-x^2)
        g = np.cos(x)
        g *= e
        p *= x
        p *= np.float32(-2)
        g += p
        return loss, g

    return Case(fwd_bwd, lambda: [fwd_bwd()[1]], {"forward": forward})


def setup_turunan(d, size):
    import turunan as tn
    x = tn.tensor(d["x"], requires_grad=True)

    def loss():
        return (tn.sin(x) * tn.exp(-x * x)).sum()

    def step():
        x.grad = None
        loss().backward()

    def forward():
        with tn.no_grad():       # the forward alone: nothing recorded, as for PyTorch
            return loss()

    return Case(step, lambda: (step(), [x.grad.numpy()])[1], {"forward": forward})


def setup_torch(d, size):
    import torch
    x = torch.tensor(d["x"], requires_grad=True)

    def forward():
        return (torch.sin(x) * torch.exp(-x * x)).sum()

    def step():
        x.grad = None
        forward().backward()

    def fwd_only():
        with torch.no_grad():    # what the forward costs when nothing is recorded
            return forward()

    return Case(step, lambda: (step(), [x.grad.numpy().copy()])[1], {"forward": fwd_only})


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    x = jnp.asarray(d["x"])
    f = lambda x: jnp.sum(jnp.sin(x) * jnp.exp(-x * x))
    g = jax.grad(f)
    if jit:
        f, g = jax.jit(f), jax.jit(g)
    return Case(lambda: g(x).block_until_ready(), lambda: [np.asarray(g(x))],
                {"forward": lambda: f(x).block_until_ready()})


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    x = d["x"]
    f = lambda x: anp.sum(anp.sin(x) * anp.exp(-x * x))
    g = autograd.grad(f)
    return Case(lambda: g(x), lambda: [g(x)], {"forward": lambda: f(x)})
