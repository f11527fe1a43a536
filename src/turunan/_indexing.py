"""Indexing: ``x[index]``, take, take_along_axis, and the sorts that gather by index (argsort, sort, topk).

An advanced index (integer arrays, masks) is recorded as a gather, so its gradient is a scatter-add. Writing
through an index (``x[index] = v``) is an in-place change: ``turunan._inplace.setitem``.
"""

from __future__ import annotations

import numpy as np

from . import _rules as R
from ._array import normalize_axis
from ._batched import BatchedArray, BatchingError
from ._core import Tensor, apply
from ._elementwise import array_of, astype, tensor_of
from ._shapes import ravel, reshape

__all__ = ["unwrap_index", "getitem", "take", "take_along_axis", "argsort", "sort", "topk"]


def unwrap_index(index):
    """Unwrap Tensors in an index; report whether it is basic (slices/ints: no element repeats)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for i in index:
        if isinstance(i, Tensor):
            i = i._d
        if type(i) is BatchedArray:     # one index array per example (inside vmap): advanced indexing
            if i.dtype == bool:
                raise BatchingError("vmap: a boolean mask that differs between examples gives results of different "
                                    "shapes; use turunan.where(mask, x, 0) instead of x[mask]")
            basic = False
            out.append(i)
            continue
        if isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu":
            i = int(i)      # a 0-d integer array indexes like an integer (NumPy, PyTorch): a view, not a copy
        if isinstance(i, (list, np.ndarray)):
            i = np.asarray(i)
            basic = False
            if i.dtype == bool:
                out.extend(np.nonzero(i))   # a mask is advanced indexing by its nonzero positions
                continue
        elif isinstance(i, (bool, np.bool_)):
            basic = False
        out.append(i)
    if basic and Ellipsis not in out:
        # NumPy gives a scalar copy for x[1] but a 0-d view for x[1, ...]; PyTorch's x[1] is a view, so an
        # in-place change through it must reach x
        out.append(Ellipsis)
    return tuple(out), basic


def getitem(x, index) -> Tensor:
    idx, basic = unwrap_index(index)
    return apply(R.getitem, x, index=idx, basic=basic)


def _along(shape: tuple, indices: np.ndarray, axis: int) -> tuple:
    """The advanced index that picks ``indices`` along ``axis`` (NumPy's take_along_axis, broadcasting)."""
    nd = len(shape)
    return tuple(indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(shape))


def take_along_axis(x, indices, axis: int) -> Tensor:
    """NumPy's take_along_axis: ``out[..., i, ...] = x[..., indices[..., i, ...], ...]`` along ``axis``.

    An advanced ``getitem``, so its gradient is a scatter-add (repeated indices accumulate).
    """
    idx = array_of(indices)
    idx = idx if type(idx) is BatchedArray else np.asarray(idx)
    shape = np.shape(array_of(x)) if not isinstance(x, Tensor) else x.shape
    if idx.ndim != len(shape):
        raise ValueError(f"take_along_axis: indices of {idx.ndim} dims for a tensor of {len(shape)} dims")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got {idx.dtype}")
    return getitem(x, _along(shape, idx, normalize_axis(axis, len(shape), "take_along_axis")))


def take(x, indices, axis=None) -> Tensor:
    """NumPy's take: the slices at ``indices`` along ``axis``; with ``axis=None`` (NumPy's and PyTorch's
    default) the elements of the flattened tensor. Gradient: scatter-add."""
    if axis is None:
        return getitem(ravel(x), np.asarray(array_of(indices)))
    n = np.ndim(array_of(x))
    return getitem(x, (slice(None),) * normalize_axis(axis, n, "take") + (np.asarray(array_of(indices)),))


def argsort(x, axis: int = -1, descending: bool = False) -> Tensor:
    """Indices that sort ``x`` along ``axis``, stable (equal elements keep their order; NaN sorts as largest).

    No gradient (integer output)."""
    a = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(array_of(x)))
    if a.ndim:
        axis = normalize_axis(axis, a.ndim, "argsort")
    return astype(apply(R.NONDIFF["argsort"], a, axis=axis, descending=bool(descending)), np.int64)


def sort(x, axis: int = -1, descending: bool = False) -> Tensor:
    """The values of ``x`` sorted along ``axis`` (stable); the gradient goes back to each value's place."""
    return take_along_axis(x, argsort(x, axis, descending), axis)


def topk(x, k: int, axis: int = -1, largest: bool = True) -> tuple:
    """The ``k`` largest (or smallest) values along ``axis``, in order, and their indices."""
    x = tensor_of(x)
    if x.ndim == 0:
        if k != 1:
            raise ValueError(f"topk: k={k} is out of range for a 0-d tensor (k must be 1)")
        values, idx = topk(reshape(x, (1,)), 1, 0, largest)
        return reshape(values, ()), reshape(idx, ())
    axis = normalize_axis(axis, x.ndim, "topk")
    n = x.shape[axis]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for an axis of size {n}")
    idx = argsort(x, axis, largest)
    idx = idx[(slice(None),) * axis + (slice(0, k),)]
    return take_along_axis(x, idx, axis), idx
