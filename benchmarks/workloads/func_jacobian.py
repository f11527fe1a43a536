"""Jacobian of a 100 -> 100 tanh MLP (two layers): jacrev (the row "func_jacobian") and jacfwd (".../jacfwd")."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"n": 100}, "quick": {"n": 8}}
TOL = 1e-8
TIMED = ["step", "jacfwd"]


def data(size):
    r, n = rng(11), size["n"]
    return {"x": r.standard_normal(n), "W1": r.standard_normal((n, n)) / np.sqrt(n),
            "W2": r.standard_normal((n, n)) / np.sqrt(n)}


def setup_floor(d, size):
    x, W1, W2 = d["x"], d["W1"], d["W2"]

    def jac():      # by hand: J = diag(1 - y^2) W2^T diag(1 - h^2) W1^T
        h = np.tanh(x @ W1)
        y = np.tanh(h @ W2)
        return (1 - y * y)[:, None] * ((W2.T * (1 - h * h)[None, :]) @ W1.T)

    return Case(jac, lambda: [jac()], {"jacfwd": jac})


def setup_turunan(d, size):
    import turunan as tn
    from turunan.func import jacfwd, jacrev
    x, W1, W2 = tn.tensor(d["x"]), tn.tensor(d["W1"]), tn.tensor(d["W2"])
    f = lambda x: tn.tanh(tn.tanh(x @ W1) @ W2)
    jr, jf = jacrev(f), jacfwd(f)
    return Case(lambda: jr(x), lambda: [jr(x).numpy(), jf(x).numpy()][:1], {"jacfwd": lambda: jf(x)})


def setup_torch(d, size):
    import torch
    from torch.func import jacfwd, jacrev
    x, W1, W2 = (torch.tensor(d[k]) for k in ("x", "W1", "W2"))
    f = lambda x: torch.tanh(torch.tanh(x @ W1) @ W2)
    jr, jf = jacrev(f), jacfwd(f)
    return Case(lambda: jr(x), lambda: [jr(x).numpy().copy()], {"jacfwd": lambda: jf(x)})


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    x, W1, W2 = (jnp.asarray(d[k]) for k in ("x", "W1", "W2"))
    f = lambda x: jnp.tanh(jnp.tanh(x @ W1) @ W2)
    jr, jf = jax.jacrev(f), jax.jacfwd(f)
    if jit:
        jr, jf = jax.jit(jr), jax.jit(jf)
    return Case(lambda: jr(x).block_until_ready(), lambda: [np.asarray(jr(x))],
                {"jacfwd": lambda: jf(x).block_until_ready()})


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)
