"""``torch.distributions.multinomial.Multinomial``: counts of ``total_count`` draws over categories.

>>> import turunan.torch as torch
>>> from turunan.torch.distributions.multinomial import Multinomial
>>> counts = Multinomial(10, torch.tensor([0.5, 0.5])).sample((3,))
>>> counts.shape, counts.dtype, counts.sum(1).tolist()
(torch.Size([3, 2]), torch.float32, [10.0, 10.0, 10.0])
"""

from __future__ import annotations

import numpy as np

from ..._creation import default_generator
from .._tensor import Tensor


class Multinomial:
    """PyTorch's Multinomial: ``probs`` (or ``logits``) over the last axis, normalised; ``sample(sample_shape)``
    gives float counts of shape ``sample_shape + batch_shape + (categories,)``, each summing to ``total_count``."""

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if isinstance(total_count, bool) or not isinstance(total_count, (int, np.integer)):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        raw = probs if probs is not None else logits
        p = np.asarray(raw._d if hasattr(raw, "_d") else raw, dtype=np.float64)
        if p.ndim == 0:
            raise ValueError("probs/logits must have at least one dimension (the categories)")
        if logits is not None:
            p = np.exp(p - p.max(axis=-1, keepdims=True))
        if (p < 0).any() or not np.isfinite(p).all():
            raise ValueError("probs must be non-negative and finite")
        self.total_count = int(total_count)
        self.probs = p / p.sum(axis=-1, keepdims=True)
        self._dtype = getattr(raw, "dtype", None)

    @property
    def batch_shape(self) -> tuple:
        return self.probs.shape[:-1]

    @property
    def event_shape(self) -> tuple:
        return self.probs.shape[-1:]

    def sample(self, sample_shape=()) -> Tensor:
        shape = tuple(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,)
        flat = self.probs.reshape(-1, self.probs.shape[-1])
        rng = default_generator.rng
        draws = np.stack([rng.multinomial(self.total_count, row, size=shape) for row in flat], axis=len(shape))
        out = draws.reshape(shape + self.probs.shape).astype(np.float32)
        return Tensor(out)
