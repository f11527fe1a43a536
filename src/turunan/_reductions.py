"""Reductions over axes: sum, mean, prod, var and std, max and min, argmax and argmin, logsumexp, softmax,
cumulative sums and products, all and any.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _elementwise as E
from . import _rules as R
from ._array import anywhere, kind, normalize_axes, normalize_axis
from ._core import Tensor, apply, apply1, name_grad_fn
from ._elementwise import array_of, astype, exp, tensor_of
from ._shapes import reshape

__all__ = [
    "axis_or_dim", "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
    "norm2", "logsumexp", "log_softmax", "softmax", "cumsum", "cumprod", "all", "any",
    # NumPy's signatures (turunan.numpy)
    "numpy_sum", "numpy_mean", "numpy_prod", "numpy_var", "numpy_std", "numpy_amax", "numpy_amin", "numpy_cumsum",
    "numpy_cumprod", "ptp", "average", "nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod",
    "nancumsum", "nancumprod",
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


def _squared_magnitude(c):
    """|c|², real: NumPy's and PyTorch's variance of complex values is the mean of |x - mean|², not of (x - mean)²."""
    return c * c if kind(c) != "c" else R.real(c * R.conj(c))


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
        return name_grad_fn(_reduce(R.sum_, _squared_magnitude(centred), axis, keepdims) / dof, "VarBackward0")
    # NOTE: no degree of freedom left (correction >= n): the variance is S / 0, inf (NaN where S = 0, a constant
    # input), as PyTorch's. Its gradient is 2 (x - mean) / 0: -inf or +inf by the side of the mean, NaN at it, as
    # PyTorch's along an axis with correction == n. The mean's own term is 2 sum(x - mean) / 0 = 0 * inf, which
    # would make every entry NaN; it is 0 before the division (the deviations sum to 0), so it is left out here.
    # (PyTorch's full reduction gives +inf on both sides of the mean, and along an axis with correction > n a
    # finite number: neither is copied.)
    centred = x - mean(x.detach(), axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        return name_grad_fn(_reduce(R.sum_, _squared_magnitude(centred), axis, keepdims) * np.inf, "VarBackward0")


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


# ---- NumPy's signatures: turunan.numpy's reductions, and numpy.sum(t, ...) on a Tensor ------------------------
# NumPy orders the parameters otherwise than the functions above (np.mean(a, axis, dtype, out, keepdims)), takes
# dtype=, where= and initial=, and computes the mean, variance and average of integers in float64. These follow it,
# composed from the functions above; out= is refused (results are new tensors).
def _no_out(out, op: str) -> None:
    if out is not None:
        raise TypeError(f"{op}(..., out=...) is not supported on tensors: turunan's results are new tensors (and "
                        "writing into an array would cut it from the graph); assign the result instead")


def _numpy_input(a, dtype, floating: bool = False) -> Tensor:
    """``a`` as a Tensor by NumPy's rules, of ``dtype`` if given; integers and bools as float64 if ``floating``."""
    x = tensor_of(a)
    if dtype is not None:
        return astype(x, dtype)
    if floating and x.dtype.kind in "iub":
        return astype(x, np.float64)
    if x.dtype.kind in "iu" and x.dtype.itemsize < 8:
        return astype(x, np.int64 if x.dtype.kind == "i" else np.uint64)    # NumPy's sum of int32 is int64
    return x


def _mask(where, x: Tensor) -> Tensor:
    """NumPy's ``where=`` of a reduction: a bool mask that broadcasts against ``x``, as a tensor of x's shape."""
    mask = tensor_of(where)
    if mask.dtype != bool:
        raise TypeError(f"where= must be a bool mask, got dtype {mask.dtype}; compare first (e.g. where=x > 0)")
    return E.logical_and(mask, np.ones(x.shape, bool))


def numpy_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None) -> Tensor:
    """numpy.sum: ``where`` leaves entries out, ``initial`` is added.

    >>> numpy_sum([1.0, 2.0, 3.0], where=[True, False, True])
    tensor(4., dtype=turunan.float64)
    """
    _no_out(out, "sum")
    x = _numpy_input(a, dtype)
    if where is not None:
        x = E.where(_mask(where, x), x, 0)
    total = sum(x, axis, keepdims)
    return total if initial is None else total + initial


def _count_where(mask: Tensor, axis, keepdims, dtype) -> Tensor:
    return sum(astype(mask, dtype), axis, keepdims)


def numpy_mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None) -> Tensor:
    """numpy.mean: integers in float64, the mean of the entries ``where`` selects.

    >>> numpy_mean([1, 2, 4])
    tensor(2.33333333, dtype=turunan.float64)
    """
    _no_out(out, "mean")
    x = _numpy_input(a, dtype, floating=True)
    if where is None:
        return mean(x, axis, keepdims)
    mask = _mask(where, x)
    with np.errstate(invalid="ignore", divide="ignore"):    # an empty selection is NaN, as NumPy's (0 / 0)
        return sum(E.where(mask, x, 0), axis, keepdims) / _count_where(mask, axis, keepdims, x.dtype)


def _deviations(a, axis, dtype, ddof, correction, where, given_mean):
    """(x − mean where selected, else 0; count of selected entries, an int without ``where``; ddof)."""
    if correction is not None:
        ddof = _one_of(ddof, correction)
    x = _numpy_input(a, dtype, floating=True)
    if axis is not None:
        axis = _reduce_axis(x, axis_or_dim(axis, None), "var")
    mask = None if where is None else _mask(where, x)
    m = numpy_mean(x, axis, keepdims=True, where=mask) if given_mean is None else tensor_of(given_mean)
    centred = x - m
    if mask is None:
        return centred, axis, _count(x.shape, axis), ddof
    real_dtype = np.finfo(x.dtype).dtype if kind(x) == "c" else x.dtype     # a count of complex values is real
    return E.where(mask, centred, 0), axis, _count_where(mask, axis, False, real_dtype), ddof


def numpy_var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
              correction=None) -> Tensor:
    """numpy.var: the divisor is n − ``ddof`` (``correction``); ``where`` selects entries, ``mean`` is used as
    the centre if given (NumPy's, for speed: it must be the mean, kept with keepdims=True).

    >>> numpy_var([1.0, 2.0, 3.0, 4.0], ddof=1)
    tensor(1.66666667, dtype=turunan.float64)
    """
    _no_out(out, "var")
    if where is None and mean is None:
        ddof = ddof if correction is None else _one_of(ddof, correction)
        return var(_numpy_input(a, dtype, floating=True), axis, keepdims, ddof)
    centred, axis, n, ddof = _deviations(a, axis, dtype, ddof, correction, where, mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sum(_squared_magnitude(centred), axis, keepdims) / _divisor(n, ddof, centred.shape, axis, keepdims)


def numpy_std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
              correction=None) -> Tensor:
    """numpy.std: the 2-norm of the deviations over √(n − ddof), so its gradient at a constant input is 0.

    >>> numpy_std([1.0, 3.0])
    tensor(1., dtype=turunan.float64)
    """
    _no_out(out, "std")
    if where is None and mean is None:
        ddof = ddof if correction is None else _one_of(ddof, correction)
        return std(_numpy_input(a, dtype, floating=True), axis, keepdims, ddof)
    centred, axis, n, ddof = _deviations(a, axis, dtype, ddof, correction, where, mean)
    d = _divisor(n, ddof, centred.shape, axis, keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = E.sqrt(d) if isinstance(d, Tensor) else math.sqrt(d) if d >= 0 else math.nan
        return norm2(centred, axis, keepdims) / root


def _one_of(ddof, correction):
    if ddof != 0:
        raise ValueError("give ddof or correction, not both (they are the same: the divisor is n - ddof)")
    return correction


def _divisor(n, ddof, shape: tuple, axis, keepdims: bool):
    """n − ddof, a Python float (``n`` an int) or a tensor of the reduction's shape (``n`` counted per slice).
    NOTE: where it is 0 or less the result is inf or NaN, as NumPy's (which warns)."""
    if isinstance(n, int):
        return float(n - ddof)
    return reshape(n - ddof, _reduced_shape(shape, axis, keepdims))


def _reduced_shape(shape: tuple, axis, keepdims: bool) -> tuple:
    """``shape`` after a reduction over ``axis`` (None, or non-negative axes, as _reduce_axis gives them)."""
    axes = range(len(shape)) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def numpy_prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None) -> Tensor:
    """numpy.prod: ``where`` leaves entries out (as 1s), ``initial`` multiplies; exact gradients at zeros.

    >>> numpy_prod([2.0, 0.0, 3.0], where=[True, False, True])
    tensor(6., dtype=turunan.float64)
    """
    _no_out(out, "prod")
    x = _numpy_input(a, dtype)
    if where is not None:
        x = E.where(_mask(where, x), x, 1)
    p = prod(x, axis, keepdims)
    return p if initial is None else p * initial


def _extreme(reduce, pick, name: str, a, axis, out, keepdims, initial, where) -> Tensor:
    _no_out(out, name)
    x = tensor_of(a)
    if where is not None:
        if initial is None:
            raise ValueError(f"{name} with where= needs initial= (NumPy's rule: the slices where selects nothing "
                             "need a value); e.g. initial=-inf for max")
        x = E.where(_mask(where, x), x, initial)
    top = reduce(x, axis, keepdims)
    return top if initial is None else pick(top, initial)


def numpy_amax(a, axis=None, out=None, keepdims=False, initial=None, where=None) -> Tensor:
    """numpy.max: ``initial`` takes part, ``where`` leaves entries out; ties split the gradient evenly.

    >>> numpy_amax([1.0, 5.0, 2.0], where=[True, False, True], initial=0.0)
    tensor(2., dtype=turunan.float64)
    """
    return _extreme(amax, E.maximum, "max", a, axis, out, keepdims, initial, where)


def numpy_amin(a, axis=None, out=None, keepdims=False, initial=None, where=None) -> Tensor:
    """numpy.min, as ``numpy_amax``.

    >>> numpy_amin([[1.0, 5.0], [0.5, 2.0]], axis=1)
    tensor([1. , 0.5], dtype=turunan.float64)
    """
    return _extreme(amin, E.minimum, "min", a, axis, out, keepdims, initial, where)


def ptp(a, axis=None, out=None, keepdims=False) -> Tensor:
    """Peak to peak, max − min (NumPy's ptp).

    >>> ptp([3.0, -1.0, 2.0])
    tensor(4., dtype=turunan.float64)
    """
    _no_out(out, "ptp")
    x = tensor_of(a)
    return amax(x, axis, keepdims) - amin(x, axis, keepdims)


def numpy_cumsum(a, axis=None, dtype=None, out=None) -> Tensor:
    """numpy.cumsum (the flattened input if ``axis`` is None).

    >>> numpy_cumsum([[1.0, 2.0], [3.0, 4.0]])
    tensor([ 1.,  3.,  6., 10.], dtype=turunan.float64)
    """
    _no_out(out, "cumsum")
    return cumsum(_numpy_input(a, dtype), axis)


def numpy_cumprod(a, axis=None, dtype=None, out=None) -> Tensor:
    """numpy.cumprod (the flattened input if ``axis`` is None); exact gradients at zeros.

    >>> numpy_cumprod([1.0, 2.0, 3.0])
    tensor([1., 2., 6.], dtype=turunan.float64)
    """
    _no_out(out, "cumprod")
    return cumprod(_numpy_input(a, dtype), axis)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """numpy.average: the mean weighted by ``weights`` (of ``a``'s shape, or 1-d along one ``axis``); with
    ``returned`` also the sum of the weights. Differentiable in ``a`` and in ``weights``.

    >>> average([1.0, 2.0, 4.0], weights=[3.0, 1.0, 0.0])
    tensor(1.25, dtype=turunan.float64)
    """
    x = tensor_of(a)
    if axis is not None:
        axis = _reduce_axis(x, axis_or_dim(axis, None), "average")
    if weights is None:
        avg = numpy_mean(x, axis, keepdims=keepdims)
        # with returned, the number of entries averaged, of the average's shape and dtype (a constant)
        return (avg, Tensor._wrap(np.full(avg.shape, _count(x.shape, axis), avg.dtype))) if returned else avg
    w = _weights_along(tensor_of(weights), x, axis)
    if x.dtype.kind in "iub":
        x = astype(x, np.float64)
    total = sum(w * np.ones(x.shape, bool), axis, keepdims)    # the weights' sum, broadcast as NumPy's
    if anywhere(array_of(total) == 0):
        raise ZeroDivisionError("average: the weights sum to zero, so they cannot be normalized; give weights "
                                "whose sum is not zero along the axis")
    avg = sum(x * w, axis, keepdims) / total
    return (avg, total) if returned else avg


def _weights_along(w: Tensor, x: Tensor, axis) -> Tensor:
    """NumPy's rule for ``weights`` whose shape is not ``a``'s: 1-d, of the length of the one ``axis``."""
    if w.shape == x.shape:
        return w
    if axis is None:
        raise TypeError("average: axis must be given when the shapes of a and weights differ")
    if w.ndim != 1 or isinstance(axis, tuple) and len(axis) != 1:
        raise TypeError("average: weights must be 1-d (along one axis) when their shape differs from a's "
                        f"{x.shape}; got weights of shape {w.shape}")
    ax = axis[0] if isinstance(axis, tuple) else axis
    if w.shape[0] != x.shape[ax]:
        raise ValueError(f"average: {w.shape[0]} weights do not fit axis {ax} of length {x.shape[ax]}")
    return reshape(w, tuple(-1 if i == ax else 1 for i in range(x.ndim)))


# ---- NaN-ignoring reductions: NaN entries left out (their gradient is 0), as NumPy's nan* functions ---------
def _no_nan(a, fill) -> tuple:
    x = tensor_of(a)
    if x.dtype.kind not in "fc":
        return x, None
    nan = E.isnan(x)
    return E.where(nan, fill, x), nan


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None) -> Tensor:
    """numpy.nansum: NaN counts as 0 (and gets no gradient).

    >>> nansum([1.0, float('nan'), 2.0])
    tensor(3., dtype=turunan.float64)
    """
    return numpy_sum(_no_nan(a, 0)[0], axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None) -> Tensor:
    """numpy.nanprod: NaN counts as 1.

    >>> nanprod([2.0, float('nan'), 3.0])
    tensor(6., dtype=turunan.float64)
    """
    return numpy_prod(_no_nan(a, 1)[0], axis, dtype, out, keepdims, initial, where)


def nancumsum(a, axis=None, dtype=None, out=None) -> Tensor:
    """numpy.nancumsum: NaN counts as 0.

    >>> nancumsum([1.0, float('nan'), 2.0])
    tensor([1., 1., 3.], dtype=turunan.float64)
    """
    return numpy_cumsum(_no_nan(a, 0)[0], axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None) -> Tensor:
    """numpy.nancumprod: NaN counts as 1.

    >>> nancumprod([2.0, float('nan'), 3.0])
    tensor([2., 2., 6.], dtype=turunan.float64)
    """
    return numpy_cumprod(_no_nan(a, 1)[0], axis, dtype, out)


def _selected(a, where) -> tuple:
    """``a`` as a Tensor, and the mask of its entries that are not NaN (and selected by ``where``)."""
    x = tensor_of(a)
    keep = None if x.dtype.kind not in "fc" else E.logical_not(E.isnan(x))
    if where is not None:
        keep = _mask(where, x) if keep is None else E.logical_and(keep, _mask(where, x))
    return x, keep


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None) -> Tensor:
    """numpy.nanmean: the mean of the entries that are not NaN (NaN where a slice holds none).

    >>> nanmean([1.0, float('nan'), 2.0])
    tensor(1.5, dtype=turunan.float64)
    """
    x, keep = _selected(a, where)
    return numpy_mean(x if keep is None else E.where(keep, x, 0), axis, dtype, out, keepdims, where=keep)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
           correction=None) -> Tensor:
    """numpy.nanvar: the variance of the entries that are not NaN.

    >>> nanvar([1.0, float('nan'), 3.0])
    tensor(1., dtype=turunan.float64)
    """
    x, keep = _selected(a, where)
    return numpy_var(x if keep is None else E.where(keep, x, 0), axis, dtype, out, ddof, keepdims, where=keep,
                     mean=mean, correction=correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
           correction=None) -> Tensor:
    """numpy.nanstd: the standard deviation of the entries that are not NaN (gradient 0 at a constant slice).

    >>> nanstd([1.0, float('nan'), 3.0])
    tensor(1., dtype=turunan.float64)
    """
    x, keep = _selected(a, where)
    return numpy_std(x if keep is None else E.where(keep, x, 0), axis, dtype, out, ddof, keepdims, where=keep,
                     mean=mean, correction=correction)


def _nan_extreme(reduce, fill, a, axis, out, keepdims) -> Tensor:
    _no_out(out, reduce.__name__)
    x, nan = _no_nan(a, fill)
    top = reduce(x, axis, keepdims)
    if nan is None:
        return top
    # a slice of NaN only is NaN, as NumPy's (which warns)
    return E.where(all(nan, axis, keepdims), np.nan, top)


def nanmax(a, axis=None, out=None, keepdims=False) -> Tensor:
    """numpy.nanmax: the largest entry that is not NaN.

    >>> nanmax([1.0, float('nan'), 3.0])
    tensor(3., dtype=turunan.float64)
    """
    return _nan_extreme(amax, -np.inf, a, axis, out, keepdims)


def nanmin(a, axis=None, out=None, keepdims=False) -> Tensor:
    """numpy.nanmin: the smallest entry that is not NaN.

    >>> nanmin([1.0, float('nan'), 3.0])
    tensor(1., dtype=turunan.float64)
    """
    return _nan_extreme(amin, np.inf, a, axis, out, keepdims)
