"""Checkpointing a deep tanh network (16 blocks of 4 layers, 256 wide, batch 256): forward + backward with each
block checkpointed (the row itself) and without (".../plain"): the time cost and, in the memory table, the
peak saved. PyTorch uses torch.utils.checkpoint (non-reentrant)."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"blocks": 16, "per_block": 4, "width": 256, "batch": 256},
         "quick": {"blocks": 2, "per_block": 2, "width": 8, "batch": 4}}
TOL = 1e-4
TIMED = ["step", "plain"]


def data(size):
    r = rng(21)
    w = size["width"]
    d = {"X": r.standard_normal((size["batch"], w)).astype(np.float32)}
    for i in range(size["blocks"]):
        d[f"W{i}"] = (r.standard_normal((w, w)) / np.sqrt(w)).astype(np.float32)
    return d


def _names(size):
    return [f"W{i}" for i in range(size["blocks"])]


def setup_floor(d, size):
    X = d["X"]
    Ws = [d[k] for k in _names(size)]
    k = size["per_block"]

    def grads():
        acts = [X]                          # every activation kept, as a hand-written backward needs
        h = X
        for W in Ws:
            for _ in range(k):
                h = np.tanh(h @ W)
                acts.append(h)
        g = 2 * h / h.size                  # d mean(h*h) / dh
        out = [np.zeros_like(W) for W in Ws]
        a = len(acts) - 1
        for i in range(len(Ws) - 1, -1, -1):
            for _ in range(k):
                h, prev = acts[a], acts[a - 1]
                g = g * (1 - h * h)
                out[i] += prev.T @ g
                g = g @ Ws[i].T
                a -= 1
        return out

    return Case(grads, grads, {"plain": grads})


def _torchlike(tn, checkpoint, d, size):
    X = tn.tensor(d["X"])
    Ws = [tn.tensor(d[k].copy(), requires_grad=True) for k in _names(size)]
    k = size["per_block"]

    def block(h, W):
        for _ in range(k):
            h = tn.tanh(h @ W)
        return h

    def run(ckpt):
        for W in Ws:
            W.grad = None
        h = X
        for W in Ws:
            h = checkpoint(block, h, W) if ckpt else block(h, W)
        (h * h).mean().backward()

    def grads():
        run(True)
        return [W.grad.numpy().copy() for W in Ws]

    return Case(lambda: run(True), grads, {"plain": lambda: run(False)})


def setup_turunan(d, size):
    import turunan as tn
    return _torchlike(tn, lambda f, *a: tn.checkpoint(f)(*a), d, size)


def setup_torch(d, size):
    import torch
    from torch.utils.checkpoint import checkpoint
    return _torchlike(torch, lambda f, *a: checkpoint(f, *a, use_reentrant=False), d, size)
