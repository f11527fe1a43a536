"""300 elementwise ops on a 4-element float32 vector, forward + backward: per-op overhead."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"n": 4, "rounds": 60}, "quick": {"n": 4, "rounds": 4}}
TOL = 1e-4
# one round is 5 ops, x -> tanh(sin(x) * 2 + 0.01) * 0.5; 60 rounds = 300 ops, then a sum. Each round's
# derivative stays near 1, so the gradient neither vanishes nor explodes (float32 all the way)


def data(size):
    return {"x": rng(0).uniform(-0.5, 0.5, size["n"]).astype(np.float32)}


def setup_floor(d, size):
    x0, rounds = d["x"], size["rounds"]
    two, c, half = np.float32(2), np.float32(0.01), np.float32(0.5)

    def fwd_bwd():
        x = x0
        saved = []
        for _ in range(rounds):
            t = np.tanh(np.sin(x) * two + c)
            saved.append((x, t))
            x = t * half
        loss = x.sum()
        g = np.ones_like(x)
        for x, t in reversed(saved):
            g = g * half                 # * 0.5
            g = g * (1 - t * t)          # tanh
            g = g * two                  # * 2 (+ 0.01 passes g through)
            g = g * np.cos(x)            # sin
        return loss, g

    return Case(fwd_bwd, lambda: [fwd_bwd()[1]])


def _generic(tn_sin, tn_tanh, x, rounds):
    for _ in range(rounds):
        x = tn_tanh(tn_sin(x) * 2.0 + 0.01) * 0.5
    return x.sum()


def setup_turunan(d, size):
    import turunan as tn
    x = tn.tensor(d["x"], requires_grad=True)

    def step():
        x.grad = None
        _generic(tn.sin, tn.tanh, x, size["rounds"]).backward()

    return Case(step, lambda: (step(), [x.grad.numpy()])[1])


def setup_torch(d, size):
    import torch
    x = torch.tensor(d["x"], requires_grad=True)

    def step():
        x.grad = None
        _generic(torch.sin, torch.tanh, x, size["rounds"]).backward()

    return Case(step, lambda: (step(), [x.grad.numpy().copy()])[1])


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    x = jnp.asarray(d["x"])
    g = jax.grad(lambda x: _generic(jnp.sin, jnp.tanh, x, size["rounds"]))
    if jit:
        g = jax.jit(g)
    return Case(lambda: g(x).block_until_ready(), lambda: [np.asarray(g(x))])


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    x = d["x"]
    g = autograd.grad(lambda x: _generic(anp.sin, anp.tanh, x, size["rounds"]))
    return Case(lambda: g(x), lambda: [g(x)])
