"""``torch.distributions.Normal`` and ``Categorical`` over the door's tensors: every formula is a composition
of the door's differentiable ops (so ``log_prob``, ``entropy`` and ``rsample`` carry gradients to ``loc``,
``scale`` and ``logits``); draws come from turunan's default generator (NumPy's numbers, not PyTorch's).

>>> import turunan.torch as torch
>>> d = torch.distributions.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
>>> d.log_prob(torch.tensor([0.0, 1.0]))
tensor([-0.9189, -1.6121])
>>> tuple(d.sample((3,)).shape), tuple(torch.distributions.Categorical(logits=torch.zeros(2, 4)).sample().shape)
((3, 2), (2,))
"""

from __future__ import annotations

import math

import numpy as np

from ... import _core
from ..._creation import default_generator
from ..._doors import recast
from .._tensor import Tensor


def _as_float_tensor(v) -> Tensor:
    if isinstance(v, Tensor):
        return v if v.dtype.is_floating_point else v.float()
    return Tensor(np.asarray(v, dtype=np.float32))


def _expand(t: Tensor, shape: tuple) -> Tensor:
    return t if tuple(t.shape) == tuple(shape) else t.expand(*shape)


def _shape(sample_shape) -> tuple:
    return (int(sample_shape),) if isinstance(sample_shape, (int, np.integer)) else tuple(sample_shape)


class Normal:
    """PyTorch's ``Normal(loc, scale)``: batch shape is the broadcast of the two; event shape ``()``."""

    def __init__(self, loc, scale, validate_args=None) -> None:
        loc, scale = _as_float_tensor(loc), _as_float_tensor(scale)
        shape = np.broadcast_shapes(tuple(loc.shape), tuple(scale.shape))
        self.loc, self.scale = _expand(loc, shape), _expand(scale, shape)
        if (np.asarray(self.scale.detach().numpy()) <= 0).any():
            raise ValueError("Normal: scale must be positive (got a value <= 0)")
        self.batch_shape, self.event_shape = self.loc.size(), self.loc.size()[:0]

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: self.scale)
    variance = property(lambda self: self.scale ** 2)

    def rsample(self, sample_shape=()) -> Tensor:
        """``loc + scale·ε`` with ε standard normal: differentiable in ``loc`` and ``scale``."""
        shape = _shape(sample_shape) + tuple(self.batch_shape)
        eps = default_generator.rng.standard_normal(shape).astype(self.loc.detach().numpy().dtype)
        return self.loc + self.scale * Tensor(eps)

    def sample(self, sample_shape=()) -> Tensor:
        return self.rsample(sample_shape).detach()

    def log_prob(self, value) -> Tensor:
        value = _as_float_tensor(value)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value) -> Tensor:
        return 0.5 * (1 + ((_as_float_tensor(value) - self.loc) / (self.scale * math.sqrt(2))).erf())

    def __repr__(self) -> str:
        return f"Normal(loc: {self.loc.size()}, scale: {self.scale.size()})"


class Categorical:
    """PyTorch's ``Categorical(probs=...)`` or ``(logits=...)`` over the last axis: ``sample`` gives int64
    category indices of shape ``sample_shape + batch_shape``."""

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            probs = _as_float_tensor(probs)
            self.probs = probs / probs.sum(-1, keepdim=True)
            self.logits = self.probs.clamp(min=np.finfo(np.float32).tiny).log()
        else:
            logits = _as_float_tensor(logits)
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        if self.logits.dim() == 0:
            raise ValueError("probs/logits must have at least one dimension (the categories)")
        self.batch_shape, self.event_shape = self.logits.size()[:-1], self.logits.size()[:0]

    def sample(self, sample_shape=()) -> Tensor:
        p = np.asarray(self.probs.detach().numpy(), dtype=np.float64)
        flat = p.reshape(-1, p.shape[-1])
        n = int(np.prod(_shape(sample_shape), dtype=np.int64))
        u = default_generator.rng.random((n, flat.shape[0], 1))
        picks = (u > np.cumsum(flat, -1) / flat.sum(-1, keepdims=True)).sum(-1)
        picks = np.minimum(picks, p.shape[-1] - 1).reshape(_shape(sample_shape) + p.shape[:-1]).astype(np.int64)
        return recast(_core.Tensor(picks), Tensor)     # int64, as PyTorch's (the door's Tensor() makes float32)

    def log_prob(self, value) -> Tensor:
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        shape = np.broadcast_shapes(tuple(value.shape), tuple(self.batch_shape))
        logits = _expand(self.logits, shape + (self.logits.size(-1),))
        return logits.gather(-1, _expand(value.long(), shape).unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> Tensor:
        return -(self.probs * self.logits).sum(-1)

    def __repr__(self) -> str:
        return f"Categorical(probs: {self.probs.size()}, logits: {self.logits.size()})"
