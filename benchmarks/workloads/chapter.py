"""The chapter's computations end to end: 2x.x (4x), sum (ones), x*x (2x), detach, control flow."""

from __future__ import annotations

import numpy as np

from ._common import Case

SIZES = {"full": {}, "quick": {}}
TOL = 1e-5


def data(size):
    return {"x": np.arange(4.0, dtype=np.float32), "a": np.float32(0.7)}


def _f(a, norm, total):
    """The chapter's control-flow function: a while loop and an if on the values."""
    b = a * 2
    while norm(b) < 1000:
        b = b * 2
    if total(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def setup_floor(d, size):
    x0, a = d["x"], d["a"]

    def run():
        g1 = 4 * x0                       # y = 2 x.x
        g2 = np.ones_like(x0)             # y = x.sum()
        g3 = 2 * x0                       # y = (x * x).sum()
        g4 = x0 * x0                      # z = u * x with u = detach(x * x)
        scale = np.float32(2)             # d = f(a) is linear in a: its derivative is the factor applied
        b = a * scale
        while abs(b) < 1000:
            b, scale = b * 2, scale * 2
        if b <= 0:
            scale = scale * 100
        return [g1, g2, g3, g4, np.array(scale, dtype=np.float32)]

    return Case(run, run)


def _torchlike(tn, x0, a0, zero):
    x = tn.tensor(x0, requires_grad=True)
    y = 2 * tn.dot(x, x)
    y.backward()
    g1 = x.grad.numpy().copy()
    zero(x)
    y = x.sum()
    y.backward()
    g2 = x.grad.numpy().copy()
    zero(x)
    y = x * x
    y.sum().backward()
    g3 = x.grad.numpy().copy()
    zero(x)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    g4 = x.grad.numpy().copy()
    a = tn.tensor(a0, requires_grad=True)
    dd = _f(a, lambda b: b.norm(), lambda b: b.sum())
    dd.backward()
    return [g1, g2, g3, g4, a.grad.numpy().copy()]


def setup_turunan(d, size):
    import turunan as tn

    def zero(x):
        x.grad.zero_()
    run = lambda: _torchlike(tn, d["x"], d["a"], zero)
    return Case(run, run)


def setup_torch(d, size):
    import torch

    def zero(x):
        x.grad.zero_()
    run = lambda: _torchlike(torch, d["x"], d["a"], zero)
    return Case(run, run)


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    from jax import lax
    x, a = jnp.asarray(d["x"]), jnp.asarray(d["a"])
    fns = [jax.grad(lambda x: 2 * jnp.dot(x, x)), jax.grad(lambda x: x.sum()), jax.grad(lambda x: (x * x).sum()),
           jax.grad(lambda x: (lax.stop_gradient(x * x) * x).sum())]
    if jit:   # the first four compile; the fifth's Python control flow on values cannot be traced (JAX would
        fns = [jax.jit(g) for g in fns]   # need lax.while_loop, which has no reverse rule): it runs eagerly
    fns.append(jax.grad(lambda a: _f(a, jnp.linalg.norm, jnp.sum)))

    def run():
        out = [g(x) for g in fns[:4]] + [fns[4](a)]
        return [np.asarray(o) for o in out]     # np.asarray waits for the result
    return Case(run, run)


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    from autograd.tracer import getval  # HIPS autograd's detach
    x, a = d["x"], d["a"]
    fns = [autograd.grad(lambda x: 2 * anp.dot(x, x)), autograd.grad(lambda x: anp.sum(x)),
           autograd.grad(lambda x: anp.sum(x * x)),
           autograd.grad(lambda x: anp.sum(getval(x * x) * x)),
           autograd.grad(lambda a: _f(a, anp.linalg.norm, anp.sum))]

    def run():
        return [np.asarray(g(x), dtype=np.float32) for g in fns[:4]] + [np.asarray(fns[4](a), dtype=np.float32)]
    return Case(run, run)
