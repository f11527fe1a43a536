"""A chain of 200,000 tiny ops (x -> tanh(x) * c on 4 float64 numbers), forward + backward: a deep graph alive at
once, where Python's cyclic garbage collector would walk the recorded nodes again and again (turunan._gc); the
"forward" row is the recording alone."""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"n": 4, "rounds": 100_000}, "quick": {"n": 4, "rounds": 200}}
TOL = 1e-6
TIMED = ["forward", "step"]
C = 1.0001      # tanh contracts towards 0 slowly; the factor keeps the values (and the gradient) away from 0


def data(size):
    return {"x": rng(5).uniform(0.5, 1.0, size["n"])}


def setup_floor(d, size):
    x0, rounds = d["x"], size["rounds"]

    def forward():
        x = x0
        saved = []
        for _ in range(rounds):
            t = np.tanh(x)
            saved.append(t)
            x = t * C
        return x, saved

    def fwd_bwd():
        x, saved = forward()
        g = np.ones_like(x)
        for t in reversed(saved):
            g = g * C * (1 - t * t)
        return g

    return Case(fwd_bwd, lambda: [fwd_bwd()], {"forward": forward})


def _generic(tanh, x, rounds):
    for _ in range(rounds):
        x = tanh(x) * C
    return x.sum()


def setup_turunan(d, size):
    import turunan as tn
    x = tn.tensor(d["x"], requires_grad=True)

    def step():
        x.grad = None
        _generic(tn.tanh, x, size["rounds"]).backward()

    return Case(step, lambda: (step(), [x.grad.numpy()])[1],
                {"forward": lambda: _generic(tn.tanh, x, size["rounds"])})


def setup_torch(d, size):
    import torch
    x = torch.tensor(d["x"], requires_grad=True)

    def step():
        x.grad = None
        _generic(torch.tanh, x, size["rounds"]).backward()

    return Case(step, lambda: (step(), [x.grad.numpy().copy()])[1],
                {"forward": lambda: _generic(torch.tanh, x, size["rounds"])})


def setup_hips(d, size):
    import autograd
    import autograd.numpy as anp
    x = d["x"]
    f = lambda x: _generic(anp.tanh, x, size["rounds"])  # noqa: E731
    g = autograd.grad(f)
    return Case(lambda: g(x), lambda: [g(x)], {"forward": lambda: f(x)})   # (its forward records nothing)
