"""Reductions along dims that PyTorch's door names: extremes with their indices, and one norm over several dims.

``max_along``/``min_along`` give the largest/smallest values along one dim together with their indices, and
the values' gradient follows the indices: the values are gathered at the returned indices, so at a tie the
whole gradient goes to the one element whose index is returned (PyTorch's rule for ``max(dim)``), where the
core's ``amax`` splits it evenly between the ties. ``vector_norm`` is the ``p``-norm of the elements over
several dims taken together as one vector. Both are written on the core's ops, whose rules give the gradients.

>>> import turunan as tn
>>> x = tn.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
>>> values, indices = max_along(x, 1)
>>> indices
tensor([1, 0])
>>> values.sum().backward()
>>> x.grad                  # the tie in row 0: all of its gradient to index 1
tensor([[0., 1., 0.],
        [1., 0., 0.]])
>>> vector_norm(tn.tensor([[[3.0], [4.0]], [[0.0], [0.0]]]), 2, (1, 2))
tensor([5., 0.])
"""

from __future__ import annotations

import numpy as np

from . import _ops as ops
from ._array import as_operand, normalize_axes, normalize_axis
from ._core import Tensor


def _tensor(x) -> Tensor:
    """``x`` as a Tensor: numbers and numeric arrays wrapped, a list holding tensors packed (recorded)."""
    if not isinstance(x, Tensor):
        x = as_operand(x)
    return x if isinstance(x, Tensor) else Tensor(x)


def _along(pick, arg, x, dim, keepdim: bool) -> tuple:
    x = _tensor(x)
    if x.ndim == 0 or not isinstance(dim, (int, np.integer)):
        # one element (or a dim that is not one int, which the core's ops check and refuse)
        return pick(x, dim, keepdim), arg(x, dim, keepdim)
    d = normalize_axis(dim, x.ndim, "dim")
    kept = arg(x, d, True)
    index = list(np.ogrid[tuple(slice(0, n) for n in kept.shape)])
    index[d] = kept._d
    values = ops.getitem(x, tuple(index))        # a gather: the gradient goes only to the returned index
    if not keepdim:
        values, kept = ops.squeeze(values, d), ops.squeeze(kept, d)
    return values, kept


def max_along(x, dim: int, keepdim: bool = False) -> tuple[Tensor, Tensor]:
    """``(values, indices)``: the largest elements along ``dim`` and their (first) indices.

    The gradient of ``values`` goes wholly to the element at ``indices``, also at a tie (PyTorch's rule for
    ``max(dim)``; ``amax`` splits it between the ties). ``keepdim`` keeps ``dim`` with size 1. A 0-d ``x`` is
    its own maximum, at index 0.
    """
    return _along(ops.amax, ops.argmax, x, dim, keepdim)


def min_along(x, dim: int, keepdim: bool = False) -> tuple[Tensor, Tensor]:
    """``(values, indices)``: the smallest elements along ``dim`` and their (first) indices; the gradient
    follows the indices, as in ``max_along``."""
    return _along(ops.amin, ops.argmin, x, dim, keepdim)


def vector_norm(x, p=2, dims=None, keepdim: bool = False) -> Tensor:
    """The vector ``p``-norm of ``x``'s elements over ``dims`` (all of them when None), taken as one vector.

    One int ``dims`` is the core's norm along that axis. Several are moved last and merged into one axis,
    over which the core's norm does the math (and its rule the gradient). ``keepdim`` keeps the reduced dims
    with size 1. A 0-d ``x`` is a vector of one element (its ``dims`` are not read).
    """
    x = _tensor(x)
    if isinstance(dims, (int, np.integer)):
        return ops.norm(x, p, int(dims), keepdim)
    if dims is None and p == 2:
        return ops.norm(x, None, None, keepdim)     # sqrt of the sum of squares, any ndim
    nd, shape = x.ndim, tuple(x.shape)
    dims = sorted(normalize_axes(tuple(range(nd) if dims is None else dims), nd, "norm")) if nd else []
    rest = [d for d in range(nd) if d not in dims]
    flat = ops.reshape(ops.transpose(x, tuple(rest + dims)), tuple(shape[d] for d in rest) + (-1,))
    out = ops.norm(flat, p, -1)
    if keepdim:
        out = ops.reshape(out, tuple(1 if d in dims else shape[d] for d in range(nd)))
    return out
