"""Per-example gradients: vmap(grad(loss), in_axes=(None, 0, 0)) of an MLP 784-128-10 with a cross-entropy loss
over a batch of 64 examples (float32): the gradient of every example's loss for every weight at once, as in
torch.func's per-sample-gradients tutorial. The floor is the hand-written batched backward (outer products)."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"batch": 64, "d_in": 784, "hidden": 128, "classes": 10},
         "quick": {"batch": 4, "d_in": 6, "hidden": 5, "classes": 3}}
TOL = 1e-4


def data(size):
    r = rng(21)
    b, d, h, c = size["batch"], size["d_in"], size["hidden"], size["classes"]
    return {"X": r.standard_normal((b, d)).astype(np.float32), "y": r.integers(0, c, b),
            "W1": (r.standard_normal((d, h)) / np.sqrt(d)).astype(np.float32), "b1": np.zeros(h, np.float32),
            "W2": (r.standard_normal((h, c)) / np.sqrt(h)).astype(np.float32), "b2": np.zeros(c, np.float32)}


def setup_floor(d, size):
    X, y, W1, b1, W2 = d["X"], d["y"], d["W1"], d["b1"], d["W2"]
    b2 = d["b2"]

    def grads():
        h = np.tanh(X @ W1 + b1)                        # (B, H)
        z = h @ W2 + b2
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        p[np.arange(len(y)), y] -= 1                    # d loss_i / d z_i
        gh = (p @ W2.T) * (1 - h * h)
        return [np.einsum("bi,bj->bij", X, gh), gh, np.einsum("bi,bj->bij", h, p), p]

    return Case(grads, grads)


def _loss(lib, logsumexp, pick):
    def loss(params, x, y):
        W1, b1, W2, b2 = params
        z = lib.tanh(x @ W1 + b1) @ W2 + b2
        return logsumexp(z) - pick(z, y)
    return loss


def setup_turunan(d, size):
    import turunan as tn
    from turunan.func import grad
    params = [tn.tensor(d[k]) for k in ("W1", "b1", "W2", "b2")]
    X, y = tn.tensor(d["X"]), tn.tensor(d["y"])
    per_example = tn.vmap(grad(_loss(tn, lambda z: tn.logsumexp(z, 0), lambda z, y: z[y])), in_axes=(None, 0, 0))
    run = lambda: per_example(params, X, y)
    return Case(run, lambda: [g.numpy() for g in run()])


def setup_torch(d, size):
    import torch
    from torch.func import grad, vmap
    params = [torch.tensor(d[k]) for k in ("W1", "b1", "W2", "b2")]
    X, y = torch.tensor(d["X"]), torch.tensor(d["y"])
    pick = lambda z, y: torch.gather(z, 0, y[None])[0]        # torch.func cannot index with a batched label
    per_example = vmap(grad(_loss(torch, lambda z: torch.logsumexp(z, 0), pick)), in_dims=(None, 0, 0))
    run = lambda: per_example(params, X, y)
    return Case(run, lambda: [g.numpy().copy() for g in run()])


def _jax(d, size, jit):
    import jax
    import jax.numpy as jnp
    params = [jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2")]
    X, y = jnp.asarray(d["X"]), jnp.asarray(d["y"])
    per_example = jax.vmap(jax.grad(_loss(jnp, lambda z: jax.nn.logsumexp(z, 0), lambda z, y: z[y])),
                           in_axes=(None, 0, 0))
    if jit:
        per_example = jax.jit(per_example)

    def run():
        out = per_example(params, X, y)
        out[0].block_until_ready()
        return out
    return Case(run, lambda: [np.asarray(g) for g in run()])


def setup_jax(d, size):
    return _jax(d, size, False)


def setup_jax_jit(d, size):
    return _jax(d, size, True)
