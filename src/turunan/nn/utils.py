"""Gradient clipping and flat parameter vectors: PyTorch's ``torch.nn.utils`` helpers, on turunan's tensors.

They act on the arrays in place (the gradients, or the parameters), outside any recorded graph, as PyTorch's do.

>>> import turunan as tn
>>> from turunan.nn import utils
>>> w = tn.tensor([3.0, 4.0], requires_grad=True)
>>> (w * w).sum().backward()                    # grad [6, 8], norm 10
>>> float(utils.clip_grad_norm_([w], max_norm=5.0))
10.0
>>> w.grad.round(decimals=4)
tensor([3., 4.])
"""

from __future__ import annotations

import math

import numpy as np

from .._core import Tensor
from .._mode import no_grad
from .._shapes import concatenate

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _tensors(parameters) -> list[Tensor]:
    items = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in items:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected Tensors (e.g. model.parameters()), got a {type(p).__name__}")
    return items


def _grads(parameters) -> list[np.ndarray]:
    return [p.grad._d for p in _tensors(parameters) if p.grad is not None]


def _norm(a: np.ndarray, norm_type: float) -> np.ndarray:
    a = np.abs(a.ravel())
    if norm_type == math.inf:
        return a.max(initial=0).astype(a.dtype)
    return (np.sum(a ** norm_type) ** (1.0 / norm_type)).astype(a.dtype)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale the gradients of ``parameters`` together so that their joint ``norm_type`` norm is at most
    ``max_norm``; returns the norm they had (a Tensor), as PyTorch's ``clip_grad_norm_``.

    As PyTorch's, the scale is ``max_norm / (total + 1e-6)`` clamped to at most 1 (so gradients already within
    the bound are multiplied by 1). Parameters without a gradient are skipped.

    >>> import turunan as tn
    >>> w = tn.tensor([1.0], requires_grad=True)
    >>> (w * 0.5).sum().backward()
    >>> float(clip_grad_norm_([w], 1.0)), float(w.grad[0])
    (0.5, 0.5)
    """
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"norm_type must be positive (2.0, 1.0 or inf), got {norm_type}")
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.float32(0.0))
    per_param = np.stack([_norm(g, norm_type) for g in grads])
    total = _norm(per_param, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is non-finite ({total}), so "
                           "clipping would give NaNs; pass error_if_nonfinite=False to clip anyway")
    # in the gradients' dtype, as PyTorch computes it (a float32 sum differs from a float64 one in the last bit)
    one = total.dtype.type
    scale = np.minimum(one(max_norm) / (total + one(1e-6)), one(1.0))
    for g in grads:
        g *= scale.astype(g.dtype)
    return Tensor(total)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient of ``parameters`` into ``[-clip_value, clip_value]`` in place.

    >>> import turunan as tn
    >>> w = tn.tensor([1.0, -1.0], requires_grad=True)
    >>> (w * 3.0).sum().backward()
    >>> clip_grad_value_([w], 0.5); w.grad
    tensor([0.5, 0.5])
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


def parameters_to_vector(parameters) -> Tensor:
    """The parameters flattened and joined into one 1-D Tensor (differentiable, as PyTorch's).

    >>> import turunan as tn
    >>> parameters_to_vector([tn.ones((2, 2)), tn.zeros(1)])
    tensor([1., 1., 1., 1., 0.])
    """
    return concatenate([p.reshape(-1) for p in _tensors(parameters)])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (in place, reshaped to each one).

    >>> import turunan as tn
    >>> a, b = tn.zeros(2), tn.zeros(1)
    >>> vector_to_parameters(tn.tensor([1.0, 2.0, 3.0]), [a, b]); a, b
    (tensor([1., 2.]), tensor([3.]))
    """
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"expected a 1-D Tensor to copy into the parameters, got {type(vec).__name__} "
                        f"of shape {getattr(vec, 'shape', None)}")
    params = _tensors(parameters)
    need = sum(p._d.size for p in params)
    if vec.shape[0] != need:
        raise ValueError(f"the vector has {vec.shape[0]} entries but the parameters hold {need}")
    start = 0
    with no_grad():
        for p in params:
            p._d[...] = vec._d[start:start + p._d.size].reshape(p._d.shape)
            p._bump_version()
            start += p._d.size
