"""The rest of NumPy's numerical functions, composed from turunan's ops (no row of their own: their derivatives
come from the ops they are written with). ``turunan.numpy`` takes each name that it does not define otherwise.

Where a composition decides something from the values (which slots ``insert`` fills, where ``interp``'s points
fall, how many multiples of 2π ``unwrap`` adds), that decision is a constant of the graph, as in HIPS autograd and
JAX: the derivative is the one of the piece that the value falls in.

>>> import turunan.numpy as tnp
>>> x = tnp.array([1.0, 2.0, 4.0], requires_grad=True)
>>> tnp.median(x).backward()
>>> x.grad
tensor([0., 1., 0.], dtype=turunan.float64)
"""

from __future__ import annotations

import numpy as np

from .. import _ops
from .._array import beside
from .._core import Tensor

__all__ = [
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "pow", "concat", "permute_dims",
    "matrix_transpose", "astype", "cumulative_sum", "cumulative_prod", "asanyarray", "ascontiguousarray",
    "asfortranarray", "asarray_chkfinite", "require", "copy", "full_like", "logspace", "geomspace", "cbrt",
    "copysign", "heaviside", "ldexp", "frexp", "modf", "divmod", "unstack", "rollaxis", "resize", "delete",
    "insert", "extract", "compress", "choose", "diagflat", "vander", "polyval", "polyadd", "polysub", "polymul",
    "polyder", "polyint", "poly", "polyfit", "convolve", "correlate", "cov", "corrcoef", "median", "percentile",
    "quantile", "nanmedian", "nanpercentile", "nanquantile", "trapezoid", "interp", "unwrap", "apply_along_axis",
    "apply_over_axes", "block", "matvec", "vecmat", "vecdot", "trim_zeros", "piecewise", "sort_complex",
    "real_if_close", "meshgrid", "ediff1d",
]


def _t(x) -> Tensor:
    return _ops.tensor_of(x if isinstance(x, Tensor) else np.asarray(_ops.nested_values(x))
                          if type(x) in (list, tuple) and not _ops.holds_tensor(x) else x)


def _v(x) -> np.ndarray:
    """The values (for decisions that are constants of the graph)."""
    return np.asarray(x.detach().numpy() if isinstance(x, Tensor) else _ops.nested_values(x))


# ---- NumPy 2's names for existing functions ----------------------------------------------------------------------
acos, acosh, asin, asinh, atan, atan2, atanh = (_ops.arccos, _ops.arccosh, _ops.arcsin, _ops.arcsinh, _ops.arctan,
                                                _ops.arctan2, _ops.arctanh)
pow = _ops.power  # noqa: A001


def concat(arrays, axis=0):
    return _ops.concatenate(arrays, axis=axis)


def permute_dims(a, axes=None):
    return _ops.transpose(_t(a), axes)


def matrix_transpose(x):
    return _ops.swapaxes(_t(x), -1, -2)


def astype(x, dtype, copy: bool = True):
    return _ops.astype(_t(x), dtype)


def _cumulative(fn, x, axis, dtype, include_initial, initial):
    x = _t(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError("cumulative_sum/prod of an array of more than one dimension needs axis=, as NumPy's")
        axis = 0
    out = fn(x if dtype is None else _ops.astype(x, dtype), axis=axis)
    if include_initial:
        shape = list(out.shape)
        shape[axis] = 1
        out = _ops.concatenate([np.full(shape, initial, out.dtype), out], axis=axis)
    return out


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial: bool = False):
    return _cumulative(_ops.cumsum, x, axis, dtype, include_initial, 0)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial: bool = False):
    return _cumulative(_ops.cumprod, x, axis, dtype, include_initial, 1)


# ---- conversions and creation ------------------------------------------------------------------------------------
def asanyarray(a, dtype=None, order=None):
    a = _t(a)
    return a if dtype is None or a.dtype == np.dtype(dtype) else _ops.astype(a, dtype)


ascontiguousarray = asfortranarray = asanyarray


def require(a, dtype=None, requirements=None):
    return asanyarray(a, dtype)


def asarray_chkfinite(a, dtype=None, order=None):
    if not np.isfinite(_v(a)).all():
        raise ValueError("array must not contain infs or NaNs")
    return asanyarray(a, dtype)


def copy(a, order="K", subok=False):
    return _ops.copy(_t(a))


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """An array of ``a``'s shape (or ``shape``) filled with ``fill_value``; differentiable in ``fill_value``."""
    shape = np.shape(_v(a)) if shape is None else shape
    dtype = np.result_type(_v(a)) if dtype is None else dtype
    fill = _t(fill_value)
    return _ops.astype(_ops.broadcast_to(fill, shape), dtype) if isinstance(fill_value, Tensor) else \
        Tensor._wrap(np.full(shape, fill_value, dtype))


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop)``; differentiable in ``start``, ``stop`` and ``base``."""
    steps = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    start, stop = _t(start), _t(stop)
    exponent = start + (stop - start) * steps
    return _ops.power(_t(base), exponent)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """A geometric progression from ``start`` to ``stop`` (both of one sign)."""
    start, stop = _t(start), _t(stop)
    steps = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    sign = np.sign(_v(start))
    return sign * _ops.exp(_ops.log(_ops.abs(start)) * (1 - steps) + _ops.log(_ops.abs(stop)) * steps)


# ---- elementwise ---------------------------------------------------------------------------------------------------
def cbrt(x):
    """The real cube root. NOTE: its derivative at 0 is infinite, as the function's is."""
    x = _t(x)
    return _ops.sign(x) * _ops.power(_ops.abs(x), 1.0 / 3.0)


def copysign(x1, x2):
    """``|x1|`` with the sign of ``x2`` (its sign bit: -0.0 counts as negative); no gradient to ``x2``."""
    x1 = _t(x1)
    return _ops.where(np.signbit(_v(x2)), -_ops.abs(x1), _ops.abs(x1))


def heaviside(x1, x2):
    """0 below zero, 1 above, ``x2`` at zero (the gradient reaches ``x2`` only there)."""
    v = _v(x1)
    return _ops.where(v == 0, _t(x2), (v > 0).astype(np.result_type(v, _v(x2), np.float16)))


def ldexp(x1, x2):
    return _t(x1) * np.exp2(_v(x2)).astype(np.result_type(_v(x1), np.float16))


def frexp(x):
    """(mantissa, exponent): the mantissa is ``x / 2**exponent`` (differentiable), the exponent an integer."""
    _, exponent = np.frexp(_v(x))
    return _t(x) / np.exp2(exponent).astype(_v(x).dtype), Tensor._wrap(exponent)


def modf(x):
    """(fractional part, integral part): ``x - trunc(x)`` carries ``x``'s gradient, the integral part none."""
    x = _t(x)
    whole = _ops.trunc(x)
    return x - whole, whole


def divmod(x1, x2):  # noqa: A001
    return _ops.floor_divide(x1, x2), _ops.mod(x1, x2)


# ---- shapes and selection ------------------------------------------------------------------------------------------
def unstack(x, /, *, axis=0):
    x = _t(x)
    return tuple(_ops.moveaxis(x, axis, 0)[i] for i in range(x.shape[axis]))


def rollaxis(a, axis, start=0):
    a = _t(a)
    n = a.ndim
    if not -n <= axis < n:
        raise np.exceptions.AxisError(f"axis {axis} is out of bounds for an array of {n} dimensions")
    axis %= n
    if not -n <= start <= n:
        raise np.exceptions.AxisError(f"start={start} is out of bounds for an array of {n} dimensions")
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = [i for i in range(n) if i != axis]
    axes.insert(start, axis)
    return _ops.transpose(a, axes)


def resize(a, new_shape):
    """``a``'s elements repeated in order to fill ``new_shape`` (NumPy's ``resize``, not the method)."""
    a = _t(a)
    new_shape = (new_shape,) if np.ndim(new_shape) == 0 else tuple(new_shape)
    size = int(np.prod(new_shape))
    if a.size == 0 or size == 0:
        return Tensor._wrap(np.zeros(new_shape, a.dtype))
    return _ops.reshape(_ops.take(_ops.ravel(a), np.arange(size) % a.size), new_shape)


def delete(arr, obj, axis=None):
    arr = _t(arr)
    if axis is None:
        arr, axis = _ops.ravel(arr), 0
    keep = np.delete(np.arange(arr.shape[axis]), obj)
    return _ops.take(arr, keep, axis=axis)


def insert(arr, obj, values, axis=None):
    """NumPy's insert; which slots hold the new values is NumPy's own answer (computed on index codes)."""
    arr, values = _t(arr), _t(values)
    if axis is None:
        arr, axis = _ops.ravel(arr), 0
    # NumPy's own insert on index codes says which slots are new and which value each holds
    codes = np.insert(np.zeros(arr.shape), obj, np.arange(1, values.size + 1).reshape(values.shape), axis=axis)
    line = np.moveaxis(codes, axis, 0).reshape(codes.shape[axis], -1)
    new_slot = line[:, 0] > 0 if line.shape[1] else np.zeros(codes.shape[axis], bool)
    source = np.maximum(np.cumsum(~new_slot) - 1, 0)        # where each slot's old element came from
    shape = [1] * codes.ndim
    shape[axis] = -1
    mask = np.broadcast_to(new_slot.reshape(shape), codes.shape)
    old = _ops.take(arr, source, axis=axis)
    new = _ops.reshape(_ops.take(_ops.ravel(values), np.maximum(codes.astype(np.int64) - 1, 0).ravel()),
                       codes.shape)
    return _ops.where(mask, _ops.astype(new, old.dtype), old)


def extract(condition, arr):
    return _ops.take(_ops.ravel(_t(arr)), np.flatnonzero(_v(condition)))


def compress(condition, a, axis=None):
    a = _t(a)
    picked = np.flatnonzero(_v(condition))
    return _ops.take(a, picked, axis=axis)


def choose(a, choices, out=None, mode="raise"):
    index = _v(a)
    if mode == "wrap":
        index = index % len(choices)
    elif mode == "clip":
        index = np.clip(index, 0, len(choices) - 1)
    elif (index < 0).any() or (index >= len(choices)).any():
        raise ValueError("invalid entry in choice array")
    arrays = _ops.broadcast_arrays(*[_t(c) for c in choices], index)
    stacked = _ops.stack(arrays[:-1], axis=0)
    index = np.broadcast_to(index, stacked.shape[1:])
    return _ops.take_along_axis(stacked, index[None], 0)[0]


def diagflat(v, k=0):
    return _ops.diag(_ops.ravel(_t(v)), k)


def vander(x, N=None, increasing=False):
    x = _t(x)
    n = x.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    return _ops.power(_ops.expand_dims(x, 1), powers.astype(x.dtype))


def ediff1d(ary, to_end=None, to_begin=None):
    parts = [_ops.diff(_ops.ravel(_t(ary)))]
    if to_begin is not None:
        parts.insert(0, _ops.ravel(_t(to_begin)))
    if to_end is not None:
        parts.append(_ops.ravel(_t(to_end)))
    return _ops.concatenate(parts) if len(parts) > 1 else parts[0]


def trim_zeros(filt, trim="fb", axis=None):
    v = _v(filt)
    nonzero = np.flatnonzero(v)
    if nonzero.size == 0:
        return _t(filt)[0:0]
    first = int(nonzero[0]) if "f" in trim.lower() else 0
    last = int(nonzero[-1]) + 1 if "b" in trim.lower() else len(v)
    return _t(filt)[first:last]


def block(arrays):
    """NumPy's block: nested lists concatenated, innermost along the last axis."""
    def depth(x):
        return 1 + depth(x[0]) if type(x) is list else 0

    def build(x, d, total):
        if type(x) is not list:
            t = _t(x)
            return _ops.reshape(t, (1,) * (total - t.ndim) + tuple(t.shape)) if t.ndim < total else t
        parts = [build(p, d + 1, total) for p in x]
        return _ops.concatenate(parts, axis=-(total - d))
    d = depth(arrays)
    leaves = []
    stack = [arrays]
    while stack:
        x = stack.pop()
        if type(x) is list:
            stack.extend(x)
        else:
            leaves.append(np.ndim(_v(x)))
    return build(arrays, 0, max(d, max(leaves, default=0)))


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate grids from vectors; each grid differentiates back to its vector."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    xs = [_ops.ravel(_t(x)) for x in xi]
    n = len(xs)
    shapes = [[1] * n for _ in xs]
    for i, x in enumerate(xs):
        shapes[i][i] = x.shape[0]
    if indexing == "xy" and n > 1:
        for s in shapes:
            s[0], s[1] = s[1], s[0]
    grids = [_ops.reshape(x, tuple(s)) for x, s in zip(xs, shapes)]
    if sparse:
        return tuple(grids)
    full = tuple(int(max(s[d] for s in shapes)) for d in range(n))
    return tuple(_ops.broadcast_to(g, full) for g in grids)


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    arr = _t(arr)
    moved = _ops.moveaxis(arr, axis, -1)
    outer = moved.shape[:-1]
    results = [_t(func1d(moved[idx], *args, **kwargs)) for idx in np.ndindex(*outer)]
    stacked = _ops.stack(results, axis=0)
    out = _ops.reshape(stacked, tuple(outer) + tuple(stacked.shape[1:]))
    if stacked.ndim == 1:
        return out
    axis = axis % arr.ndim
    for k in range(stacked.ndim - 1):       # the function's own axes go where ``axis`` was
        out = _ops.moveaxis(out, len(outer) + k, axis + k)
    return out


def apply_over_axes(func, a, axes):
    val = _t(a)
    for axis in np.atleast_1d(axes).tolist():
        axis = axis % val.ndim
        res = _t(func(val, axis))
        if res.ndim == val.ndim:
            val = res
        elif res.ndim == val.ndim - 1:
            val = _ops.expand_dims(res, axis)
        else:
            raise ValueError("function is not returning an array of the correct shape")
    return val


def sort_complex(a):
    a = _t(a)
    v = _v(a)
    order = np.lexsort((v.imag, v.real)) if v.ndim == 1 else None
    if order is None:
        raise ValueError("sort_complex sorts 1-d arrays here: ravel the input first")
    out = _ops.take(a, order)
    return out if np.iscomplexobj(v) else _ops.astype(out, np.result_type(v.dtype, np.complex64))


def real_if_close(a, tol=100):
    a = _t(a)
    v = _v(a)
    if not np.iscomplexobj(v):
        return a
    limit = tol * np.finfo(v.dtype).eps if tol > 1 else tol
    return _real(a) if np.all(np.abs(v.imag) < limit) else a


def matvec(x1, x2, /):
    return _ops.matmul(_t(x1), _ops.expand_dims(_t(x2), -1))[..., 0]


def vecmat(x1, x2, /):
    x1 = _t(x1)
    if np.iscomplexobj(_v(x1)):
        x1 = _conj(x1)
    return _ops.matmul(_ops.expand_dims(x1, -2), _t(x2))[..., 0, :]


def vecdot(x1, x2, /, *, axis=-1):
    x1 = _t(x1)
    if np.iscomplexobj(_v(x1)):
        x1 = _conj(x1)
    return _ops.sum(x1 * _t(x2), axis=axis)


def piecewise(x, condlist, funclist, *args, **kw):
    """NumPy's piecewise. Each function sees only the values its condition picks (the others are replaced by a
    picked value, so a function undefined elsewhere gives no NaN gradient through the unpicked branch)."""
    x = _t(x)
    conds = [np.asarray(_v(c), bool) for c in (condlist if isinstance(condlist, (list, tuple)) else [condlist])]
    if len(funclist) == len(conds) + 1:           # the otherwise-function
        conds.append(~np.any(conds, axis=0))
    out = x * 0
    for cond, fn in zip(conds, funclist):
        cond = np.broadcast_to(cond, x.shape)
        if not cond.any():
            continue
        if callable(fn):
            safe = _ops.where(cond, x, x[tuple(np.argwhere(cond)[0])])
            value = fn(safe, *args, **kw)
        else:
            value = fn
        out = _ops.where(cond, value, out)
    return out


# ---- polynomials ---------------------------------------------------------------------------------------------------
def polyval(p, x):
    """Horner's rule; differentiable in the coefficients and in ``x``."""
    p, x = _t(p), _t(x)
    y = x * 0
    for i in range(p.shape[0]):
        y = y * x + p[i]
    return y


def _pad_front(p, n):
    return _ops.concatenate([np.zeros(n - p.shape[0], p.dtype), p]) if p.shape[0] < n else p


def polyadd(a1, a2):
    a1, a2 = _ops.ravel(_t(a1)), _ops.ravel(_t(a2))
    n = max(a1.shape[0], a2.shape[0])
    return _pad_front(a1, n) + _pad_front(a2, n)


def polysub(a1, a2):
    a1, a2 = _ops.ravel(_t(a1)), _ops.ravel(_t(a2))
    n = max(a1.shape[0], a2.shape[0])
    return _pad_front(a1, n) - _pad_front(a2, n)


def polymul(a1, a2):
    return convolve(_ops.ravel(_t(a1)), _ops.ravel(_t(a2)))


def polyder(p, m=1):
    p = _ops.ravel(_t(p))
    for _ in range(m):
        n = p.shape[0] - 1
        if n <= 0:
            return p[:0] if n < 0 else Tensor._wrap(np.zeros(1, p.dtype))
        p = p[:-1] * np.arange(n, 0, -1).astype(p.dtype)
    return p


def polyint(p, m=1, k=None):
    p = _ops.ravel(_t(p))
    ks = np.zeros(m) if k is None else np.atleast_1d(k)
    for i in range(m):
        n = p.shape[0]
        p = _ops.concatenate([p / np.arange(n, 0, -1).astype(p.dtype), _t(ks[i]).reshape(1)])
    return p


def poly(seq_of_zeros):
    """The monic polynomial with these roots (1-d input)."""
    roots = _ops.ravel(_t(seq_of_zeros))
    out = Tensor._wrap(np.ones(1, np.result_type(roots.dtype, np.float64)))
    for i in range(roots.shape[0]):
        out = convolve(out, _ops.stack([_t(1.0), -roots[i]]))
    return out


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial coefficients, highest power first: the pseudo-inverse of the Vandermonde matrix
    applied to ``y`` (``full``/``cov`` are not offered)."""
    if full or cov:
        raise NotImplementedError("polyfit(full=True / cov=True) is not offered by turunan.numpy: fit, then "
                                  "compute the residuals from polyval")
    from . import linalg
    lhs = vander(_t(x), deg + 1)
    rhs = _t(y)
    if w is not None:
        lhs = lhs * _ops.expand_dims(_t(w), 1)
        rhs = rhs * (_t(w) if rhs.ndim == 1 else _ops.expand_dims(_t(w), 1))
    return _ops.matmul(linalg.pinv(lhs), rhs)


# ---- signals and statistics --------------------------------------------------------------------------------------
def convolve(a, v, mode="full"):
    """1-d discrete convolution, as a gather of ``v`` and a weighted sum (differentiable in both)."""
    a, v = _ops.ravel(_t(a)), _ops.ravel(_t(v))
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError("convolve: inputs cannot be empty")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    n, m = a.shape[0], v.shape[0]
    k = np.arange(n + m - 1)
    shift = k[None, :] - np.arange(n)[:, None]               # v's index for a[i] in c[k]
    valid = (shift >= 0) & (shift < m)
    gathered = _ops.take(v, np.clip(shift, 0, m - 1)) * valid.astype(np.result_type(_v(a), np.float16))
    full = _ops.sum(_ops.expand_dims(a, 1) * gathered, axis=0)
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start:start + n]
    if mode == "valid":
        return full[m - 1:n]
    raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")


def correlate(a, v, mode="valid"):
    v = _ops.ravel(_t(v))
    if np.iscomplexobj(_v(v)):
        v = _conj(v)
    a = _ops.ravel(_t(a))
    if v.shape[0] > a.shape[0]:                # NumPy's correlate with the longer second: reversed result
        return _ops.flip(correlate(v, a, mode), 0)
    return convolve(a, _ops.flip(v, 0), mode)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    x = _t(m)
    if x.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    x = _ops.atleast_2d(x)
    if not rowvar and x.shape[0] != 1:
        x = _ops.transpose(x)
    if y is not None:
        yy = _ops.atleast_2d(_t(y))
        if not rowvar and yy.shape[0] != 1:
            yy = _ops.transpose(yy)
        x = _ops.concatenate([x, yy], axis=0)
    if dtype is None:
        dtype = np.result_type(_v(x).dtype, np.float64)
    x = _ops.astype(x, dtype)
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    if fweights is not None:
        w = np.asarray(_v(fweights), float)
    if aweights is not None:
        aw = _t(aweights)
        w = aw if w is None else aw * w
    if w is None:
        avg = _ops.mean(x, axis=1)
        fact = x.shape[1] - ddof
        xc = x - _ops.expand_dims(avg, 1)
        return _ops.squeeze(_ops.matmul(xc, _ops.transpose(_conj(xc))) / fact)
    w = _t(w)
    w_sum = _ops.sum(w)
    avg = _ops.sum(x * w, axis=1) / w_sum
    if ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * _ops.sum(w * _t(aweights)) / w_sum
    xc = x - _ops.expand_dims(avg, 1)
    return _ops.squeeze(_ops.matmul(xc * w, _ops.transpose(_conj(xc))) / fact)


def _conj(x):
    return np.conjugate(x) if np.iscomplexobj(_v(x)) else x      # the table's conj row, through NumPy's protocol


def _real(x):
    return np.real(x)


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return c / c
    d = _ops.sqrt(_ops.diagonal(c))
    return c / _ops.expand_dims(d, 1) / _ops.expand_dims(d, 0)


def _quantile(a, q, axis, keepdims, method, ignore_nan):
    """Linear interpolation between the order statistics (NumPy's default ``method='linear'``)."""
    if method != "linear":
        raise NotImplementedError(f"quantile method {method!r}: turunan.numpy offers NumPy's default, 'linear'")
    a = _t(a)
    ndim_in, axis_in = a.ndim, axis
    if axis is None:
        a, axis = _ops.ravel(a), 0
    axis = axis % a.ndim
    moved = _ops.moveaxis(a, axis, -1)
    values = _v(moved)
    order = np.argsort(values, axis=-1, kind="stable")        # NaNs sort last
    srt = _ops.take_along_axis(moved, order, -1)
    last = values.shape[-1]
    n_valid = (~np.isnan(values)).sum(-1, keepdims=True) if ignore_nan else np.full(values.shape[:-1] + (1,), last)
    qs = np.asarray(q, float)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    outs = []
    for qv in np.atleast_1d(qs).ravel():
        pos = qv * (n_valid - 1)
        lo = np.clip(np.floor(pos).astype(np.int64), 0, last - 1)
        hi = np.clip(np.ceil(pos).astype(np.int64), 0, last - 1)
        frac = beside((pos - np.floor(pos)).astype(_v(srt).dtype), a)     # on the device for a CuPy a
        low = _ops.take_along_axis(srt, lo, -1)
        res = low + (_ops.take_along_axis(srt, hi, -1) - low) * frac
        bad = np.isnan(values).any(-1, keepdims=True) if not ignore_nan else n_valid == 0
        if bad.any():
            res = _ops.where(beside(bad, a), np.nan, res)
        outs.append(res[..., 0])
    out = _ops.stack(outs, 0) if np.ndim(qs) else outs[0]
    if keepdims:
        lead = 1 if np.ndim(qs) else 0
        if axis_in is None:
            out = _ops.reshape(out, tuple(out.shape[:lead]) + (1,) * ndim_in)
        else:
            out = _ops.expand_dims(out, lead + axis)
    return out


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None):
    if weights is not None:
        raise NotImplementedError("quantile(weights=) is not offered by turunan.numpy")
    return _quantile(a, q, axis, keepdims, method, False)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
               weights=None):
    return quantile(a, np.asarray(q, float) / 100.0, axis, out, overwrite_input, method, keepdims, weights=weights)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile(a, 0.5, axis, keepdims, "linear", False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                weights=None):
    if weights is not None:
        raise NotImplementedError("nanquantile(weights=) is not offered by turunan.numpy")
    return _quantile(a, q, axis, keepdims, method, True)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                  weights=None):
    return nanquantile(a, np.asarray(q, float) / 100.0, axis, out, overwrite_input, method, keepdims,
                       weights=weights)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return _quantile(a, 0.5, axis, keepdims, "linear", True)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _t(y)
    y = _ops.moveaxis(y, axis, -1)
    if x is None:
        d = dx
    else:
        x = _t(x)
        d = _ops.diff(x) if x.ndim == 1 else _ops.diff(_ops.moveaxis(x, axis, -1), axis=-1)
    return _ops.sum(d * (y[..., 1:] + y[..., :-1]) / 2.0, axis=-1)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation; differentiable in ``x``, ``xp`` and ``fp`` (which interval a point falls
    in is a constant)."""
    if period is not None:
        raise NotImplementedError("interp(period=) is not offered by turunan.numpy: wrap x into one period first")
    x, xp, fp = _t(x), _t(xp), _t(fp)
    xv, xpv = _v(x), _v(xp)
    n = xpv.shape[0]
    i = np.clip(np.searchsorted(xpv, xv, side="right"), 1, n - 1)
    x0, x1 = _ops.take(xp, i - 1), _ops.take(xp, i)
    f0, f1 = _ops.take(fp, i - 1), _ops.take(fp, i)
    inside = f0 + (f1 - f0) * (x - x0) / (x1 - x0)
    exact_last = xv == xpv[-1]
    inside = _ops.where(exact_last, fp[n - 1], inside)
    below = fp[0] if left is None else _t(left)
    above = fp[n - 1] if right is None else _t(right)
    return _ops.where(xv < xpv[0], below, _ops.where(xv > xpv[-1], above, inside))


def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """Phase unwrapping: ``p`` plus the multiples of ``period`` NumPy adds (a constant: the gradient is 1)."""
    values = _v(p)
    jumps = np.unwrap(values, discont=discont, axis=axis, period=period) - values
    return _t(p) + jumps
