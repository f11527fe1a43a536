"""A jvp (true forward mode) of F(W) = tanh(tanh(X W) V2), X 128x100, against F alone (row ".../forward").
Target: the jvp at most about 3x the function."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"b": 128, "n": 100}, "quick": {"b": 4, "n": 6}}
TOL = 1e-8
TIMED = ["step", "forward"]


def data(size):
    r, b, n = rng(13), size["b"], size["n"]
    return {"X": r.standard_normal((b, n)), "W": r.standard_normal((n, n)) / np.sqrt(n),
            "V2": r.standard_normal((n, n)) / np.sqrt(n), "T": r.standard_normal((n, n))}


def setup_floor(d, size):
    X, W, V2, T = d["X"], d["W"], d["V2"], d["T"]

    def fwd():
        return np.tanh(np.tanh(X @ W) @ V2)

    def jvp():
        h = np.tanh(X @ W)
        dh = (1 - h * h) * (X @ T)
        y = np.tanh(h @ V2)
        return y, (1 - y * y) * (dh @ V2)

    return Case(jvp, lambda: [jvp()[1]], {"forward": fwd})


def setup_turunan(d, size):
    import turunan as tn
    from turunan.func import jvp
    X, W, V2, T = (tn.tensor(d[k]) for k in ("X", "W", "V2", "T"))
    f = lambda W: tn.tanh(tn.tanh(X @ W) @ V2)
    return Case(lambda: jvp(f, (W,), (T,)), lambda: [jvp(f, (W,), (T,))[1].numpy()], {"forward": lambda: f(W)})


def setup_torch(d, size):
    import torch
    from torch.func import jvp
    X, W, V2, T = (torch.tensor(d[k]) for k in ("X", "W", "V2", "T"))
    f = lambda W: torch.tanh(torch.tanh(X @ W) @ V2)
    return Case(lambda: jvp(f, (W,), (T,)), lambda: [jvp(f, (W,), (T,))[1].numpy().copy()],
                {"forward": lambda: f(W)})


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    X, W, V2, T = (jnp.asarray(d[k]) for k in ("X", "W", "V2", "T"))
    f = lambda W: jnp.tanh(jnp.tanh(X @ W) @ V2)
    j = lambda W, T: jax.jvp(f, (W,), (T,))[1]
    if jit:
        f, j = jax.jit(f), jax.jit(j)
    return Case(lambda: j(W, T).block_until_ready(), lambda: [np.asarray(j(W, T))],
                {"forward": lambda: f(W).block_until_ready()})


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)
