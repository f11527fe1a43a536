"""sum(tanh(A @ B) @ C) for 1024x1024 float32 matrices: gradients wrt A, B and C."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"n": 1024}, "quick": {"n": 16}}
TOL = 1e-4


def data(size):
    r, n = rng(3), size["n"]
    return {k: (r.standard_normal((n, n)) / np.sqrt(np.sqrt(n))).astype(np.float32) for k in "ABC"}


def setup_floor(d, size):
    A, B, C = d["A"], d["B"], d["C"]

    def grads():
        T = A @ B
        np.tanh(T, out=T)
        out = T @ C
        loss = out.sum()
        G = np.ones_like(out)          # d loss / d out, back-propagated as a general head gradient
        dC = T.T @ G
        dT = G @ C.T
        T *= T
        np.subtract(1, T, out=T)       # 1 - tanh^2
        dT *= T
        return [dT @ B.T, A.T @ dT, dC], loss

    return Case(grads, lambda: grads()[0])


def setup_turunan(d, size):
    import turunan as tn
    A, B, C = (tn.tensor(d[k], requires_grad=True) for k in "ABC")

    def step():
        for t in (A, B, C):
            t.grad = None
        (tn.tanh(A @ B) @ C).sum().backward()

    return Case(step, lambda: (step(), [t.grad.numpy() for t in (A, B, C)])[1])


def setup_torch(d, size):
    import torch
    A, B, C = (torch.tensor(d[k], requires_grad=True) for k in "ABC")

    def step():
        for t in (A, B, C):
            t.grad = None
        (torch.tanh(A @ B) @ C).sum().backward()

    return Case(step, lambda: (step(), [t.grad.numpy().copy() for t in (A, B, C)])[1])


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    A, B, C = (jnp.asarray(d[k]) for k in "ABC")
    g = jax.grad(lambda A, B, C: jnp.sum(jnp.tanh(A @ B) @ C), argnums=(0, 1, 2))
    if jit:
        g = jax.jit(g)
    return Case(lambda: g(A, B, C)[0].block_until_ready(), lambda: [np.asarray(x) for x in g(A, B, C)])


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    A, B, C = d["A"], d["B"], d["C"]
    g = autograd.grad(lambda A, B, C: anp.sum(anp.tanh(A @ B) @ C), argnum=(0, 1, 2))
    return Case(lambda: g(A, B, C), lambda: list(g(A, B, C)))
