"""More losses and distances, as functions (re-exported by ``turunan.nn.functional``) and as modules (by
``turunan.nn``), composed from the engine's ops with PyTorch's definitions, defaults and reductions.

>>> import turunan as tn
>>> from turunan.nn import functional as F
>>> F.l1_loss(tn.tensor([1.0, 2.0]), tn.tensor([0.0, 4.0]))
tensor(1.5)
"""

from __future__ import annotations

import numpy as np

from .. import _ops as ops
from .._core import Tensor
from .module import Module

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cosine_similarity", "pairwise_distance",
           "normalize", "soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "hinge_embedding_loss"]


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def apply_reduction(loss, reduction: str):
    """A loss per element reduced as ``reduction`` says ('mean', 'sum' or 'none'), for every loss of turunan.nn."""
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


_reduce = apply_reduction


def _same_shape(op: str, input, target):
    if tuple(np.shape(input)) != tuple(np.shape(target)):
        raise ValueError(f"{op}: input shape {tuple(np.shape(input))} and target shape {tuple(np.shape(target))} "
                         "differ (PyTorch would broadcast with a warning, which is usually a bug): reshape first")


def l1_loss(input, target, reduction: str = "mean"):  # noqa: A002  (PyTorch's parameter names)
    """|input - target|, reduced."""
    input = _t(input)
    _same_shape("l1_loss", input, target)
    return _reduce(ops.abs(input - target), reduction)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):  # noqa: A002
    """0.5·d²/β where |d| < β, else |d| - 0.5·β (``beta=0``: the L1 loss)."""
    input = _t(input)
    _same_shape("smooth_l1_loss", input, target)
    d = ops.abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(ops.where(d.detach()._d < beta, 0.5 * d * d / beta, d - 0.5 * beta),     # d's array type
                   reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):  # noqa: A002
    """0.5·d² where |d| < δ, else δ·(|d| - 0.5·δ)."""
    input = _t(input)
    _same_shape("huber_loss", input, target)
    d = ops.abs(input - target)
    return _reduce(ops.where(np.asarray(d.detach().numpy()) < delta, 0.5 * d * d, delta * (d - 0.5 * delta)),
                   reduction)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):  # noqa: A002
    """Σ target·(log target - input), ``input`` being log-probabilities (PyTorch's argument order). 'mean' is
    over all elements, as PyTorch's; 'batchmean' divides by the batch size (the KL divergence)."""
    input, target = _t(input), _t(target)
    if log_target:
        pointwise = ops.exp(target) * (target - input)
    else:
        t = target.detach()._d      # of its own array type (on the device for CuPy)
        safe = ops.where(t > 0, target, 1.0)
        pointwise = ops.where(t > 0, target * (ops.log(safe) - input), 0.0 * input)
    if reduction == "batchmean":
        return ops.sum(pointwise) / (input.shape[0] if input.ndim else 1)
    return _reduce(pointwise, reduction)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """x1·x2 / max(‖x1‖·‖x2‖, eps) along ``dim``."""
    x1, x2 = _t(x1), _t(x2)
    dot = ops.sum(x1 * x2, axis=dim)
    norms = ops.sqrt(ops.sum(x1 * x1, axis=dim)) * ops.sqrt(ops.sum(x2 * x2, axis=dim))
    return dot / ops.maximum(norms, eps)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """‖x1 - x2 + eps‖_p along the last dim."""
    d = _t(x1) - x2 + eps
    if p == 2:
        out = ops.sqrt(ops.sum(d * d, axis=-1, keepdims=keepdim))
    else:
        out = ops.sum(ops.abs(d) ** p, axis=-1, keepdims=keepdim) ** (1.0 / p)
    return out


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12):  # noqa: A002
    """``input`` divided by its p-norm along ``dim`` (at least ``eps``)."""
    x = _t(input)
    if p == 2:
        norm = ops.sqrt(ops.sum(x * x, axis=dim, keepdims=True))
    else:
        norm = ops.sum(ops.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / ops.maximum(norm, eps)


def soft_margin_loss(input, target, reduction: str = "mean"):  # noqa: A002
    return _reduce(ops.softplus(-_t(target) * _t(input)), reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False, eps: float = 1e-8,  # noqa: A002
                     reduction: str = "mean"):
    input, target = _t(input), _t(target)
    loss = ops.exp(input) - target * input if log_input else input - target * ops.log(input + eps)
    if full:
        t = np.asarray(target.detach().numpy())
        stirling = t * np.log(np.where(t > 1, t, 1)) - t + 0.5 * np.log(2 * np.pi * np.where(t > 1, t, 1))
        loss = loss + np.where(t > 1, stirling, 0).astype(t.dtype)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction: str = "mean"):
    input, var = _t(input), _t(var)
    var = ops.maximum(var, eps)
    loss = 0.5 * (ops.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: str = "mean"):  # noqa: A002
    input = _t(input)
    t = np.asarray(_t(target).detach().numpy())
    loss = ops.where(t == 1, input, ops.maximum(margin - input, 0.0))
    return _reduce(loss, reduction)


# ---- as modules ---------------------------------------------------------------------------------------------------
class _Loss(Module):
    _fn = None
    _params: tuple = ()

    def __init__(self, *args, reduction: str = "mean", **kwargs) -> None:
        super().__init__()
        self.reduction = reduction
        values = dict(zip([p for p, _ in self._params], args))
        for p, default in self._params:
            setattr(self, p, kwargs.pop(p, values.get(p, default)))
        for legacy in ("size_average", "reduce"):
            if kwargs.pop(legacy, None) is not None:
                raise TypeError(f"{legacy} is PyTorch's deprecated spelling: give reduction='mean'/'sum'/'none'")
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments {sorted(kwargs)}")

    def forward(self, input, target):  # noqa: A002
        return type(self)._fn(input, target, reduction=self.reduction,
                              **{p: getattr(self, p) for p, _ in self._params})


class L1Loss(_Loss):
    _fn = staticmethod(l1_loss)


class SmoothL1Loss(_Loss):
    _fn, _params = staticmethod(smooth_l1_loss), (("beta", 1.0),)


class HuberLoss(_Loss):
    _fn, _params = staticmethod(huber_loss), (("delta", 1.0),)


class KLDivLoss(_Loss):
    _fn, _params = staticmethod(kl_div), (("log_target", False),)


class SoftMarginLoss(_Loss):
    _fn = staticmethod(soft_margin_loss)


class BCELoss(Module):
    """Binary cross-entropy of probabilities (``F.binary_cross_entropy``), with an optional ``weight``."""

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__()
        self.weight, self.reduction = weight, reduction

    def forward(self, input, target):  # noqa: A002
        from .functional import binary_cross_entropy  # functional re-exports this module
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class CosineSimilarity(Module):
    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


MODULES = ["L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "SoftMarginLoss", "BCELoss", "CosineSimilarity",
           "PairwiseDistance"]
