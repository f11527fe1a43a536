"""Reductions over axes: sum, mean, prod, var and std, max and min, argmax and argmin, logsumexp, softmax,
cumulative sums and products, all and any.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _rules as R
from ._array import normalize_axes, normalize_axis
from ._core import Tensor, apply, apply1, name_grad_fn
from ._elementwise import array_of, astype, exp, tensor_of
from ._shapes import reshape

__all__ = [
    "axis_or_dim", "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
    "norm2", "logsumexp", "log_softmax", "softmax", "cumsum", "cumprod", "all", "any",
]


def axis_or_dim(axis, dim):
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


def _reduce_axis(x, axis, op: str):
    """A reduction's ``axis`` checked (``turunan._array.normalize_axis``): an int, a tuple, or None (all axes,
    nothing to check: the common call pays nothing). A 0-d tensor takes axis 0 or -1, as NumPy and PyTorch let
    it; it is passed on as given."""
    n = x.ndim if isinstance(x, Tensor) else np.ndim(x)
    if isinstance(axis, tuple):
        return normalize_axes(axis, n, op)
    if n == 0:
        normalize_axis(axis, 1, op)
        return axis
    return normalize_axis(axis, n, op)


def _reduce(prim, x, axis, keepdims):
    if axis is not None:
        axis = _reduce_axis(x, axis, prim.name)
    return apply1(prim, x, {"axis": axis, "keepdims": bool(keepdims)})


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None) -> Tensor:
    """Sum over ``axis`` (all axes by default). ``dim``/``keepdim`` are accepted as PyTorch spells them."""
    x = x if dtype is None else astype(x, dtype)
    if isinstance(x, Tensor) and x.dtype == bool:
        x = astype(x, np.int64)
    axis = axis_or_dim(axis, dim)
    out = _reduce(R.sum_, x, axis, keepdims if keepdim is None else keepdim)
    # PyTorch's names: SumBackward0 for the full sum (its path pays nothing), SumBackward1 along axes
    return out if axis is None else name_grad_fn(out, "SumBackward1")


def _count(shape, axis) -> int:
    if axis is None or not shape:   # NumPy lets a 0-d array reduce over axis 0 / -1
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod([shape[a] for a in axes])


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    x = tensor_of(x)
    axis = axis_or_dim(axis, dim)
    if axis is not None:
        axis = _reduce_axis(x, axis, "mean")
    if x.dtype.kind in "iub":
        x = astype(x, np.float32)
    out = _reduce(R.sum_, x, axis, keepdims if keepdim is None else keepdim) / _count(x.shape, axis)
    # a sum and a division, shown as the op the user called: PyTorch's MeanBackward0 (all axes) / MeanBackward1 (dim)
    return name_grad_fn(out, "MeanBackward0" if axis is None else "MeanBackward1")


def prod(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return _reduce(R.prod, x, axis_or_dim(axis, dim), keepdims if keepdim is None else keepdim)


def amax(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """Largest value; the gradient is split evenly between ties (PyTorch's amax)."""
    return _reduce(R.amax, x, axis_or_dim(axis, dim), keepdims if keepdim is None else keepdim)


def amin(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return _reduce(R.amin, x, axis_or_dim(axis, dim), keepdims if keepdim is None else keepdim)


max, min = amax, amin


def _arg_axis(x, axis, dim, op: str):
    axis = axis_or_dim(axis, dim)
    if isinstance(axis, tuple):
        raise TypeError(f"{op}: axis must be one integer (or None for the flattened tensor), got {axis}")
    return axis if axis is None else _reduce_axis(x, axis, op)


def argmax(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return apply(R.NONDIFF["argmax"], x, axis=_arg_axis(x, axis, dim, "argmax"),
                 keepdims=keepdims if keepdim is None else keepdim)


def argmin(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return apply(R.NONDIFF["argmin"], x, axis=_arg_axis(x, axis, dim, "argmin"),
                 keepdims=keepdims if keepdim is None else keepdim)


def var(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None) -> Tensor:
    """Variance, NumPy's ``ddof=0`` by default (PyTorch's front door passes ``correction=1``)."""
    x = tensor_of(x)
    axis = axis_or_dim(axis, dim)
    keepdims = keepdims if keepdim is None else keepdim
    ddof = ddof if correction is None else correction
    if axis is not None:
        axis = _reduce_axis(x, axis, "var")      # checked before _count indexes the shape with it
    dof = _count(x.shape, axis) - ddof
    if dof > 0:
        centred = x - mean(x, axis, keepdims=True)
        return name_grad_fn(_reduce(R.sum_, centred * centred, axis, keepdims) / dof, "VarBackward0")
    # NOTE: no degree of freedom left (correction >= n): the variance is S / 0, inf (NaN where S = 0, a constant
    # input), as PyTorch's. Its gradient is 2 (x - mean) / 0: -inf or +inf by the side of the mean, NaN at it, as
    # PyTorch's along an axis with correction == n. The mean's own term is 2 sum(x - mean) / 0 = 0 * inf, which
    # would make every entry NaN; it is 0 before the division (the deviations sum to 0), so it is left out here.
    # (PyTorch's full reduction gives +inf on both sides of the mean, and along an axis with correction > n a
    # finite number: neither is copied.)
    centred = x - mean(x.detach(), axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        return name_grad_fn(_reduce(R.sum_, centred * centred, axis, keepdims) * np.inf, "VarBackward0")


def std(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None) -> Tensor:
    """Standard deviation: the 2-norm of the deviations over √(n − ddof), so that where it is 0 (a constant
    input) its gradient is 0, as in PyTorch (sqrt(var) gave NaN there)."""
    x = tensor_of(x)
    axis = axis_or_dim(axis, dim)
    keepdims = keepdims if keepdim is None else keepdim
    ddof = ddof if correction is None else correction
    if x.dtype.kind in "iub":
        x = astype(x, np.float32)
    centred = x - mean(x, axis, keepdims=True)
    out = norm2(centred, axis, keepdims) / math.sqrt(builtins.max(_count(x.shape, axis) - ddof, 0))
    return name_grad_fn(out, "StdBackward0")


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """log(sum(exp(x))) without overflow."""
    return _reduce(R.logsumexp, x, axis_or_dim(axis, dim), keepdims if keepdim is None else keepdim)


def log_softmax(x, axis=None, *, dim=None) -> Tensor:
    x = tensor_of(x)
    axis = axis_or_dim(axis, dim)
    return apply(R.log_softmax, x, axis=-1 if axis is None else _reduce_axis(x, axis, "log_softmax"))


def softmax(x, axis=None, *, dim=None) -> Tensor:
    return name_grad_fn(exp(log_softmax(x, axis, dim=dim)), "SoftmaxBackward0")


def _cumulative(prim, x, axis, dim, op: str) -> Tensor:
    """cumsum / cumprod along ``axis`` (the flattened tensor if None). A 0-d tensor takes axis 0 or -1 and
    stays 0-d, as in PyTorch (NumPy would give a 1-d result, and its gradient the wrong shape)."""
    axis = axis_or_dim(axis, dim)
    if axis is None:
        return apply(prim, reshape(x, (-1,)), axis=-1)
    n = np.ndim(array_of(x))
    if n == 0:
        normalize_axis(axis, 1, op)
        return reshape(apply(prim, reshape(x, (1,)), axis=-1), ())
    # counted from the end: the rules then still find it behind leading batch axes of a cotangent
    return apply(prim, x, axis=normalize_axis(axis, n, op) - n)


def cumprod(x, axis=None, *, dim=None) -> Tensor:
    """Cumulative product along ``axis`` (the flattened tensor if None); its gradient is exact at zeros."""
    return _cumulative(R.cumprod, x, axis, dim, "cumprod")


def cumsum(x, axis=None, *, dim=None) -> Tensor:
    return _cumulative(R.cumsum, x, axis, dim, "cumsum")


def all(x, axis=None, keepdims=False) -> Tensor:
    if axis is not None:
        axis = _reduce_axis(x, axis_or_dim(axis, None), "all")
    return _as_plain(apply(R.NONDIFF["all"], x, axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False) -> Tensor:
    if axis is not None:
        axis = _reduce_axis(x, axis_or_dim(axis, None), "any")
    return _as_plain(apply(R.NONDIFF["any"], x, axis=axis, keepdims=keepdims))


def _as_plain(t: Tensor) -> Tensor:
    # all/any answer a plain tensor (as they always have), whatever front-door class their input has
    return t if type(t) is Tensor else Tensor._wrap(t._d)


def norm2(x, axis, keepdims):
    """The 2-norm over ``axis`` (all axes if None), one primitive whose gradient at x = 0 is 0 (std and norm)."""
    if x.dtype.kind in "iub":
        x = astype(x, np.float32)
    return apply(R.norm2, x, axis=axis, keepdims=bool(keepdims))
