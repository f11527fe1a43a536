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
