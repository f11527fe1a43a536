"""What a workload's setup function returns, and small helpers the workloads share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Case:
    """One framework's version of a workload: a timed ``step``, the initial-point ``grads`` to check."""

    step: Callable[[], object]
    grads: Callable[[], list]
    extra: dict[str, Callable[[], object]] = field(default_factory=dict)

    def timed(self, name: str) -> Callable[[], object]:
        return self.step if name == "step" else self.extra[name]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def to_numpy(x) -> np.ndarray:
    """Any framework's array as a NumPy array (copied, so later steps cannot change it)."""
    for attr in ("detach",):            # torch
        if hasattr(x, attr) and hasattr(x, "numpy") and not isinstance(x, np.ndarray):
            try:
                return np.array(x.detach().numpy(), copy=True)
            except TypeError:
                pass
    if hasattr(x, "data") and not isinstance(x, np.ndarray) and isinstance(x.data, np.ndarray):
        return np.array(x.data, copy=True)   # turunan Tensor
    return np.array(x, copy=True)


def jax_sgd(jax, grad_fn, params: list, X, Y, lr: float, jit: bool) -> Case:
    """A JAX training step: ``params - lr * grad`` (functional), jitted or not; the gradient at the start."""
    def update(ps, X, Y):
        return [p - lr * gp for p, gp in zip(ps, grad_fn(ps, X, Y))]

    if jit:
        grad_fn, update = jax.jit(grad_fn), jax.jit(update)
    state = {"p": params}

    def step():
        state["p"] = update(state["p"], X, Y)
        state["p"][0].block_until_ready()

    return Case(step, lambda: [np.asarray(x) for x in grad_fn(state["p"], X, Y)])


def numpy_sgd(grad_fn, params: list, X, Y, lr: float) -> Case:
    """A training step for a NumPy-level gradient function (HIPS autograd): ``p -= lr * grad`` in place."""
    def step():
        for p, gp in zip(params, grad_fn(params, X, Y)):
            p -= lr * gp

    return Case(step, lambda: [np.asarray(x) for x in grad_fn(params, X, Y)])
