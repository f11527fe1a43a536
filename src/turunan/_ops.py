"""Public operations: thin calls of the primitives, composites built from them, and Tensor's methods.

Composites get their derivatives for free from the table; a NOTE marks a composition that changes the
math at some point (the gradient of the 2-norm at zero, for instance).
"""

from __future__ import annotations

import builtins
import math
import numbers
import sys
import weakref

import numpy as np

from . import _array as _array_module
from . import _mode
from . import _rules as R
from ._array import _numeric_dtype, as_operand, as_shape, broadcast_shapes, normalize_axes, normalize_axis
from ._batched import BatchedArray, BatchingError
from ._core import StaleViewNode, Tensor, apply, apply1, apply2
from ._core import shares_memory as _core_shares_memory


def _t(x):
    if isinstance(x, Tensor):
        return x
    x = as_operand(x)       # a list holding tensors is packed (recorded), never read by NumPy
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_binary(name, x, y):
    sx, sy = np.shape(x._d if isinstance(x, Tensor) else x), np.shape(y._d if isinstance(y, Tensor) else y)
    if sx != sy and sx and sy:
        try:
            np.broadcast_shapes(sx, sy)
        except ValueError:
            raise ValueError(f"{name}: operands of shapes {sx} and {sy} cannot be broadcast together; make the "
                             "trailing dimensions equal or 1") from None


# A Python number next to a float32/float64 Tensor becomes a 0-d array of the Tensor's dtype before NumPy sees
# it: NumPy converts a Python scalar on every call (0.5 us for a 4-element product against 0.27 us for two
# arrays), and the node then saves an array for the rule, which pays the same again in backward. Under NEP 50
# a Python float takes the array's dtype, so the result is the same, bit for bit and dtype for dtype. Integers
# only where the float holds them exactly; other dtypes (float16, ints) keep NumPy's own handling.
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_EXACT = 1 << 24
_array0 = np.array


def _checked(name: str, v, operator: bool):
    """``as_operand`` for an operand beside a Tensor; for Tensor's operators NotImplemented instead of raising."""
    try:
        return as_operand(v, name)
    except TypeError:
        if operator:
            return NotImplemented
        raise


def _arith(prim, numbers: bool = True):
    """A binary op (+ - * / ** <, ...) whose operand that is not a Tensor is checked to be numbers (``as_operand``:
    a string, None or an object array raise), with Python numbers converted once (see above) if
    ``numbers`` (+ - * /; measured: the others were not faster for it, so they keep NumPy's handling).

    Ordered for the hot path: two tensors of one class pay one identity test (four before the check came), a
    tensor and a Python number two (and no call); only an operand that is neither a Tensor nor a Python number
    goes to ``as_operand``. Two operands that are both not Tensors are checked by ``apply2``.

    ``op.reflected`` is ``other <op> self``; ``op.operator`` is the form for Tensor's operators, which answers
    NotImplemented where the other operand is not numbers, as PyTorch's do: ``t + "a"`` is then Python's
    "unsupported operand type(s)" TypeError, and ``t + object_array`` is refused instead of an object "tensor".
    """
    name = prim.name

    def make(operator: bool):
        def op(x, y):
            ty, tx = type(y), type(x)
            if ty is not tx:
                if ty is float or ty is int:
                    if numbers and isinstance(x, Tensor):
                        dt = x._d.dtype
                        if (dt is _F32 or dt is _F64) and (ty is float or -_EXACT < y < _EXACT):
                            y = _array0(y, dt)
                elif tx is float or tx is int:
                    if numbers and isinstance(y, Tensor):
                        dt = y._d.dtype
                        if (dt is _F32 or dt is _F64) and (tx is float or -_EXACT < x < _EXACT):
                            x = _array0(x, dt)
                elif not isinstance(y, Tensor):
                    if isinstance(x, Tensor):
                        y = _checked(name, y, operator)
                        if y is NotImplemented:
                            return y
                elif not isinstance(x, Tensor):
                    x = _checked(name, x, operator)
                    if x is NotImplemented:
                        return x
            try:
                return apply2(prim, x, y)
            except ValueError:
                _check_binary(name, x, y)
                raise
        op.__name__ = name
        op.__doc__ = f"Elementwise {name} with NumPy broadcasting; recorded for autodiff."
        return op

    op = make(False)
    if numbers or prim.differentiable:
        operator = make(True)
    else:
        # the comparison operators (t < 0 in a while loop) keep the unchecked path: they record nothing, NumPy's
        # semantics hold (t == None is elementwise False, t < None NumPy's TypeError), and they run often
        def operator(x, y):
            try:
                return apply2(prim, x, y)
            except ValueError:
                _check_binary(name, x, y)
                raise

    def rop(y, x):      # other <op> self
        return op(x, y)
    rop.__name__ = "r" + name
    op.reflected = rop
    op.operator = operator
    return op


def _unary(prim):
    def op(x):
        return apply1(prim, x)
    op.__name__ = prim.name
    op.__doc__ = f"Elementwise {prim.name}; recorded for autodiff."
    return op


# ---- elementwise -----------------------------------------------------------------------------------------
add, subtract, multiply, divide = (_arith(p) for p in (R.add, R.subtract, R.multiply, R.divide))
power, maximum, minimum, remainder = (_arith(p, numbers=False) for p in (R.power, R.maximum, R.minimum,
                                                                          R.remainder))
true_divide = divide
negative, exp, expm1, log, log1p, sqrt, square, sin, cos, tan, tanh, sigmoid, relu, abs = (
    _unary(p) for p in (R.negative, R.exp, R.expm1, R.log, R.log1p, R.sqrt, R.square, R.sin, R.cos, R.tan,
                        R.tanh, R.sigmoid, R.relu, R.absolute))
absolute = abs
equal, not_equal, less, less_equal, greater, greater_equal, logical_and, logical_or, logical_xor, floor_divide = (
    _arith(R.NONDIFF[n], numbers=False) for n in ("equal", "not_equal", "less", "less_equal", "greater",
                                                  "greater_equal", "logical_and", "logical_or", "logical_xor",
                                                  "floor_divide"))
logical_not, isnan, isinf, isfinite, sign, floor, ceil, trunc = (
    _unary(R.NONDIFF[n]) for n in ("logical_not", "isnan", "isinf", "isfinite", "sign", "floor", "ceil", "trunc"))


def round(x, decimals: int = 0) -> Tensor:
    """Round to ``decimals``; no gradient (piecewise constant)."""
    return apply(R.NONDIFF["round"], x, decimals)


def reciprocal(x) -> Tensor:
    return divide(1, x) if not isinstance(x, Tensor) or x.dtype.kind == "f" else divide(1.0, x)


def where(condition, x, y) -> Tensor:
    """``x`` where ``condition`` holds, else ``y``; the gradient flows to the chosen side."""
    # numbers only (where("abc", x, y) took the string's truth); a list holding tensors comes back packed
    condition, x, y = (v if isinstance(v, Tensor) else as_operand(v, "where") for v in (condition, x, y))
    return apply(R.where, condition, x, y)


def clip(x, min=None, max=None) -> Tensor:
    """Clamp to [min, max]; the gradient is 1 inside (bounds included, as in PyTorch) and 0 outside."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    x, lo, hi = (v if isinstance(v, Tensor) else as_operand(v, "clip") for v in (x, lo, hi))
    return apply(R.clip, x, lo, hi)


clamp = clip


def softplus(x) -> Tensor:
    """log(1 + exp(x)), computed without overflow; its derivative is sigmoid(x) everywhere, 0 included."""
    return apply(R.softplus, x)


def fmax(x, y) -> Tensor:
    """Elementwise maximum that ignores NaN (NumPy's fmax): NaN only where both are. The gradient goes to the
    side taken, ``x`` on ties, as PyTorch's fmax."""
    return where(logical_or(greater_equal(x, y), isnan(y)), x, y)


def fmin(x, y) -> Tensor:
    """Elementwise minimum that ignores NaN (NumPy's fmin); the gradient as ``fmax``'s."""
    return where(logical_or(less_equal(x, y), isnan(y)), x, y)


# ---- reductions ------------------------------------------------------------------------------------------
def _axis(axis, dim):
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
    return _reduce(R.sum_, x, _axis(axis, dim), keepdims if keepdim is None else keepdim)


def _count(shape, axis) -> int:
    if axis is None or not shape:   # NumPy lets a 0-d array reduce over axis 0 / -1
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod([shape[a] for a in axes])


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    x = _t(x)
    axis = _axis(axis, dim)
    if axis is not None:
        axis = _reduce_axis(x, axis, "mean")
    if x.dtype.kind in "iub":
        x = astype(x, np.float32)
    return sum(x, axis, keepdims if keepdim is None else keepdim) / _count(x.shape, axis)


def prod(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return _reduce(R.prod, x, _axis(axis, dim), keepdims if keepdim is None else keepdim)


def amax(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """Largest value; the gradient is split evenly between ties (PyTorch's amax)."""
    return _reduce(R.amax, x, _axis(axis, dim), keepdims if keepdim is None else keepdim)


def amin(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    return _reduce(R.amin, x, _axis(axis, dim), keepdims if keepdim is None else keepdim)


max, min = amax, amin


def _arg_axis(x, axis, dim, op: str):
    axis = _axis(axis, dim)
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
    x = _t(x)
    axis = _axis(axis, dim)
    keepdims = keepdims if keepdim is None else keepdim
    ddof = ddof if correction is None else correction
    if axis is not None:
        axis = _reduce_axis(x, axis, "var")      # checked before _count indexes the shape with it
    dof = _count(x.shape, axis) - ddof
    if dof > 0:
        centred = x - mean(x, axis, keepdims=True)
        return sum(centred * centred, axis, keepdims) / dof
    # NOTE: no degree of freedom left (correction >= n): the variance is S / 0, inf (NaN where S = 0, a constant
    # input), as PyTorch's. Its gradient is 2 (x - mean) / 0: -inf or +inf by the side of the mean, NaN at it, as
    # PyTorch's along an axis with correction == n. The mean's own term is 2 sum(x - mean) / 0 = 0 * inf, which
    # would make every entry NaN; it is 0 before the division (the deviations sum to 0), so it is left out here.
    # (PyTorch's full reduction gives +inf on both sides of the mean, and along an axis with correction > n a
    # finite number: neither is copied.)
    centred = x - mean(x.detach(), axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        return sum(centred * centred, axis, keepdims) * np.inf


def std(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None) -> Tensor:
    """Standard deviation: the 2-norm of the deviations over √(n − ddof), so that where it is 0 (a constant
    input) its gradient is 0, as in PyTorch (sqrt(var) gave NaN there)."""
    x = _t(x)
    axis = _axis(axis, dim)
    keepdims = keepdims if keepdim is None else keepdim
    ddof = ddof if correction is None else correction
    if x.dtype.kind in "iub":
        x = astype(x, np.float32)
    centred = x - mean(x, axis, keepdims=True)
    return _norm2(centred, axis, keepdims) / math.sqrt(builtins.max(_count(x.shape, axis) - ddof, 0))


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
    """log(sum(exp(x))) without overflow."""
    return _reduce(R.logsumexp, x, _axis(axis, dim), keepdims if keepdim is None else keepdim)


def log_softmax(x, axis=None, *, dim=None) -> Tensor:
    x = _t(x)
    axis = _axis(axis, dim)
    return apply(R.log_softmax, x, axis=-1 if axis is None else _reduce_axis(x, axis, "log_softmax"))


def softmax(x, axis=None, *, dim=None) -> Tensor:
    return exp(log_softmax(x, axis, dim=dim))


def _cumulative(prim, x, axis, dim, op: str) -> Tensor:
    """cumsum / cumprod along ``axis`` (the flattened tensor if None). A 0-d tensor takes axis 0 or -1 and
    stays 0-d, as in PyTorch (NumPy would give a 1-d result, and its gradient the wrong shape)."""
    axis = _axis(axis, dim)
    if axis is None:
        return apply(prim, reshape(x, (-1,)), axis=-1)
    n = np.ndim(_data(x))
    if n == 0:
        normalize_axis(axis, 1, op)
        return reshape(apply(prim, reshape(x, (1,)), axis=-1), ())
    # counted from the end: the rules then still find it behind leading batch axes of a cotangent
    return apply(prim, x, axis=normalize_axis(axis, n, op) - n)


def cumsum(x, axis=None, *, dim=None) -> Tensor:
    return _cumulative(R.cumsum, x, axis, dim, "cumsum")


def all(x, axis=None, keepdims=False) -> Tensor:
    if axis is not None:
        axis = _reduce_axis(x, _axis(axis, None), "all")
    return _as_plain(apply(R.NONDIFF["all"], x, axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False) -> Tensor:
    if axis is not None:
        axis = _reduce_axis(x, _axis(axis, None), "any")
    return _as_plain(apply(R.NONDIFF["any"], x, axis=axis, keepdims=keepdims))


def _as_plain(t: Tensor) -> Tensor:
    # all/any answer a plain tensor (as they always have), whatever front-door class their input has
    return t if type(t) is Tensor else Tensor._wrap(t._d)


def _norm2(x, axis, keepdims):
    if x.dtype.kind in "iub":
        x = astype(x, np.float32)
    return apply(R.norm2, x, axis=axis, keepdims=bool(keepdims))


def _pnorm(x, p, axis: int, keepdims: bool) -> Tensor:
    """(sum |x|^p)^(1/p) along ``axis``, for p other than 0, 1, 2 and +-inf.

    NOTE: composed with safe wheres (the unused branch sees 1, not 0), so that zeros give PyTorch's gradients
    instead of 0 * inf = NaN. An entry 0 gets gradient 0 (d|x|^p/dx = p |x|^(p-1) is infinite there for p < 1),
    and so does every entry of a norm that is 0 (d s^(1/p)/ds is infinite at s = 0 for p > 1): the gradient of
    the norm of zeros is 0 for any p, as torch.linalg.vector_norm's, and an L3 penalty on a weight that reaches
    0 gives it gradient 0, not NaN. Second derivatives at zeros are those of the wheres: 0, as PyTorch's for
    p = 3 (it gives NaN for other p). For p < 0 an entry 0 makes the sum inf and the norm 0, gradient 0, as PyTorch.
    """
    a = abs(x)
    zero = equal(a, 0)
    powered = where(zero, 0.0 if p > 0 else np.inf, where(zero, 1, a) ** p)
    total = sum(powered, axis, keepdims)
    if p < 0:
        return total ** (1.0 / p)
    empty = equal(total, 0)
    return where(empty, 0, where(empty, 1, total) ** (1.0 / p))


def norm(x, ord=None, axis=None, keepdims=False, *, dim=None, keepdim=None, p=None) -> Tensor:
    """Vector and matrix norms with NumPy's ``linalg.norm`` semantics (``p`` is PyTorch's name for ``ord``).

    The 2-norm (and Frobenius) is one primitive whose gradient at x = 0 is 0, as in PyTorch.

    >>> import turunan as tn
    >>> tn.norm(tn.tensor([3.0, 4.0]))
    tensor(5.)
    """
    x = _t(x)
    ord = p if p is not None else ord
    axis = _axis(axis, dim)
    keepdims = keepdims if keepdim is None else keepdim
    if axis is not None:
        axis = normalize_axes(axis, x.ndim, "norm")    # checked once: never wraps around, never repeats
    if axis is None:
        if ord is None or (ord == 2 and x.ndim == 1) or (ord == "fro" and x.ndim == 2):
            return _norm2(x, None, keepdims)
        if x.ndim == 1:
            axis = (0,)
        elif x.ndim == 2:
            axis = (0, 1)
        else:
            raise ValueError(f"norm with ord={ord!r} of a {x.ndim}-d tensor needs axis (1 axis for a vector norm, "
                             "2 for a matrix norm)")
    if len(axis) == 1:
        a = axis[0]
        if isinstance(ord, str):    # 'fro'/'nuc' are matrix norms; NumPy's message (a str compared to 0 before)
            raise ValueError(f"Invalid norm order {ord!r} for vectors")
        if ord is None or ord == 2:
            return _norm2(x, a, keepdims)
        if ord == np.inf:
            return amax(abs(x), a, keepdims)
        if ord == -np.inf:
            return amin(abs(x), a, keepdims)
        if ord == 0:
            return sum(astype(not_equal(x, 0), x.dtype), a, keepdims)
        if ord == 1:
            return sum(abs(x), a, keepdims)
        return _pnorm(x, ord, a, keepdims)
    if len(axis) != 2:
        raise ValueError(f"norm: axis must name 1 or 2 axes, got {axis}")
    r, c = axis
    if ord is None or ord == "fro":
        return _norm2(x, (r, c), keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        over, then = (r, c) if ord in (1, -1) else (c, r)
        sums = sum(abs(x), over, keepdims=True)
        pick = amax if ord in (1, np.inf) else amin
        out = pick(sums, then, keepdims=True)
        return out if keepdims else squeeze(out, (r, c))
    if ord == 2:
        moved = moveaxis(x, (r, c), (-2, -1))
        out = apply(R.matrix_norm2, moved)
        if keepdims:
            out = expand_dims(expand_dims(out, builtins.min(r, c)), builtins.max(r, c))
        return out
    raise ValueError(f"norm: unsupported ord={ord!r}; use None, 'fro', 1, 2, inf, -inf (or a number for vectors)")


# ---- linear algebra --------------------------------------------------------------------------------------
def matmul(x, y) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands are promoted, batch dimensions broadcast."""
    xs = x._d.shape if isinstance(x, Tensor) else np.shape(_data(x, "matmul"))
    ys = y._d.shape if isinstance(y, Tensor) else np.shape(_data(y, "matmul"))
    xn, yn = len(xs), len(ys)
    if xn == 0 or yn == 0:
        raise ValueError("matmul: operands must be at least 1-d; use * for a scalar product")
    if xs[-1] != ys[0 if yn == 1 else -2]:
        raise ValueError(f"matmul: shapes {xs} and {ys} do not match (inner dimensions {xs[-1]} and "
                         f"{ys[0 if yn == 1 else -2]} differ)")
    if xn >= 2 and yn >= 2:
        return apply2(R.matmul, x, y)
    xx = reshape(x, (1, -1)) if xn == 1 else x
    yy = reshape(y, (-1, 1)) if yn == 1 else y
    out = apply2(R.matmul, xx, yy)
    if yn == 1:
        out = squeeze(out, -1)
    if xn == 1:
        out = squeeze(out, -1 if yn == 1 else -2)
    if xn == 1 or yn == 1:
        _own_result(out)
    return out


def _own_result(out: Tensor) -> None:
    """A composite's result that is a view of an intermediate nobody else holds is a tensor of its own (PyTorch's
    matmul of vectors is no view): its history is the same, only the view link goes."""
    if getattr(out, "_view", None) is not None:
        del out._view


def dot(x, y) -> Tensor:
    """NumPy's dot: inner product of vectors, matrix product of matrices, sum-product over the last axis."""
    xn, yn = np.ndim(_data(x)), np.ndim(_data(y))
    if xn == 0 or yn == 0:
        return multiply(x, y)
    if xn == 1 and yn == 1:
        if np.shape(_data(x)) != np.shape(_data(y)):
            raise ValueError(f"dot: vectors of shapes {np.shape(_data(x))} and {np.shape(_data(y))} differ in length")
        return sum(multiply(x, y))
    if yn <= 2:
        return matmul(x, y)
    return tensordot(x, y, axes=([-1], [-2]))


def _letters(n: int, skip: str = "") -> str:
    out = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in skip]
    return "".join(out[:n])


def tensordot(x, y, axes=2) -> Tensor:
    """Sum products over the given axes (NumPy's tensordot), via einsum."""
    xs, ys = np.shape(_data(x)), np.shape(_data(y))
    xn, yn = len(xs), len(ys)
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, (bool, np.bool_)):
        k = int(axes)
        if not 0 <= k <= builtins.min(xn, yn):
            raise ValueError(f"tensordot: axes={k} is out of range: it contracts the last {k} axes of a {xn}-d "
                             f"and the first {k} of a {yn}-d operand (expected 0 <= axes <= {builtins.min(xn, yn)})")
        ax_x, ax_y = tuple(range(xn - k, xn)), tuple(range(k))
    else:
        try:
            ax_x, ax_y = axes
        except (TypeError, ValueError):
            raise TypeError(f"tensordot: axes must be an integer or a pair (axes of x, axes of y), got {axes!r}") \
                from None
        ax_x = normalize_axes(ax_x, xn, "tensordot")
        ax_y = normalize_axes(ax_y, yn, "tensordot")
    if len(ax_x) != len(ax_y):
        raise ValueError("tensordot: both operands need the same number of contracted axes")
    for a, b in zip(ax_x, ax_y):
        if xs[a] != ys[b]:
            raise ValueError(f"tensordot: axis {a} of x (size {xs[a]}) and axis {b} of y (size {ys[b]}) are "
                             f"contracted together, so their sizes must match (shapes {xs} and {ys})")
    letters = _letters(xn + yn)
    sx = list(letters[:xn])
    sy = list(letters[xn:xn + yn])
    for a, b in zip(ax_x, ax_y):
        sy[b] = sx[a]
    out = [c for i, c in enumerate(sx) if i not in ax_x] + [c for i, c in enumerate(sy) if i not in ax_y]
    return einsum("".join(sx) + "," + "".join(sy) + "->" + "".join(out), x, y)


def einsum(spec: str, *operands) -> Tensor:
    """Einstein summation (NumPy's einsum), with gradients for every operand."""
    if not isinstance(spec, str):
        raise TypeError(f"einsum: the first argument must be the subscripts string (e.g. 'ij,jk->ik'), got "
                        f"{type(spec).__name__} {spec!r}")
    spec = spec.replace(" ", "")
    if "->" not in spec:
        counts = {}
        for c in spec.replace(",", "").replace(".", ""):
            counts[c] = counts.get(c, 0) + 1
        out = "".join(sorted(c for c, k in counts.items() if k == 1))
        spec = spec + "->" + ("..." if "..." in spec else "") + out
    if "..." in spec:
        spec = _expand_ellipsis(spec, operands)
    ins = spec.split("->")[0].split(",")
    if len(ins) != len(operands):
        raise ValueError(f"einsum: {spec!r} names {len(ins)} operands but {len(operands)} were given")
    for s, o in zip(ins, operands):
        if len(s) != np.ndim(_data(o)):
            raise ValueError(f"einsum: subscripts {s!r} need a {len(s)}-d operand, got shape {np.shape(_data(o))}")
    return apply(R.einsum, *operands, spec=spec)


def _expand_ellipsis(spec, operands):
    ins, out = spec.split("->")
    ins = ins.split(",")
    used = set(spec)
    most = builtins.max(np.ndim(_data(o)) - (len(s) - 3) for s, o in zip(ins, operands) if "..." in s)
    fill = _letters(most, skip="".join(used))
    new_ins = []
    for s, o in zip(ins, operands):
        if "..." in s:
            k = np.ndim(_data(o)) - (len(s) - 3)
            s = s.replace("...", fill[most - k:])
        new_ins.append(s)
    return ",".join(new_ins) + "->" + out.replace("...", fill)


def outer(x, y) -> Tensor:
    return multiply(reshape(x, (-1, 1)), reshape(y, (1, -1)))


def inner(x, y) -> Tensor:
    return tensordot(x, y, axes=([-1], [-1]))


def vdot(x, y) -> Tensor:
    return sum(multiply(reshape(x, (-1,)), reshape(y, (-1,))))


# ---- shapes ----------------------------------------------------------------------------------------------
def _data(x, op: str = "this operation"):
    """A tensor's array, or a value given in its place checked to be numbers (``as_operand``; a list holding
    tensors gives its packed values)."""
    if isinstance(x, Tensor):
        return x._d
    v = as_operand(x, op)
    return v._d if isinstance(v, Tensor) else v


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return as_shape(shape)      # integers only: int(2.5) made x.repeat(2.5) or reshape(x, 2.0) quietly truncate


def reshape(x, *shape) -> Tensor:
    shape = _shape_arg(shape)
    size = np.size(_data(x))
    if builtins.any(s < -1 for s in shape):
        # NumPy reads any negative size as "infer this one": reshape(x, (-2, 3)) gave (2, 3); PyTorch refuses it
        raise ValueError(f"reshape: invalid shape dimension {builtins.min(shape)} in {shape}: sizes are >= 0, "
                         "with at most one -1 (inferred)")
    try:
        np.broadcast_to(np.empty((), dtype=bool), (size,)).reshape(shape)
    except ValueError:
        raise ValueError(f"cannot reshape a tensor of shape {np.shape(_data(x))} ({size} elements) into shape "
                         f"{shape}") from None
    return apply(R.reshape, x, shape=shape)


def copy(x) -> Tensor:
    """A copy in its own C-ordered memory (PyTorch's ``contiguous()`` of a non-contiguous tensor); recorded,
    the gradient passes through unchanged."""
    return apply1(R.copy, x)


def view(x, *shape) -> Tensor:
    """PyTorch's ``view``: ``reshape`` that must not copy. Where the new shape cannot be laid over the tensor's
    memory (a transposed or expanded tensor), it raises, as PyTorch does, instead of returning a copy that an
    in-place change would then not reach."""
    out = reshape(x, *shape)
    if isinstance(x, Tensor) and out._d.size and not _core_shares_memory(out._d, x._d):
        raise RuntimeError(f"view size is not compatible with input tensor's size and stride (shape {x.shape} to "
                           f"{out.shape}: at least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return out


def transpose(x, axes=None, *more) -> Tensor:
    """Permute the axes (reverse them if ``axes`` is None), NumPy's transpose."""
    if more:
        axes = (axes,) + more
    if axes is not None:
        n = np.ndim(_data(x))
        axes = normalize_axes(axes if isinstance(axes, (tuple, list)) else (axes,), n, "transpose")
        if len(axes) != n:
            raise ValueError(f"transpose: axes {axes} must name every one of the {n} axes once (a permutation of "
                             f"{tuple(range(n))})")
    return apply(R.transpose, x, axes=axes)


def permute(x, *axes) -> Tensor:
    return transpose(x, _shape_arg(axes))


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    n = np.ndim(_data(x))
    a, b = normalize_axis(axis1, n, "swapaxes"), normalize_axis(axis2, n, "swapaxes")
    axes = list(range(n))
    axes[a], axes[b] = axes[b], axes[a]
    return apply(R.transpose, x, axes=tuple(axes))


def moveaxis(x, source, destination) -> Tensor:
    n = np.ndim(_data(x))
    src = normalize_axes(source, n, "moveaxis")
    dst = normalize_axes(destination, n, "moveaxis")
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must name as many axes")
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return apply(R.transpose, x, axes=tuple(order))


def expand_dims(x, axis) -> Tensor:
    """Insert axes of size 1 at ``axis`` (positions in the result, which has one more dimension per axis)."""
    shape = list(np.shape(_data(x)))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    for a in sorted(normalize_axes(axes, len(shape) + len(axes), "expand_dims")):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


unsqueeze = expand_dims


def squeeze(x, axis=None) -> Tensor:
    shape = np.shape(_data(x))
    if axis is None:
        new = tuple(s for s in shape if s != 1)
    else:
        axes = normalize_axes(axis, len(shape), "squeeze")
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"cannot squeeze axis {a} of shape {shape}: its size is {shape[a]}, not 1")
        new = tuple(s for i, s in enumerate(shape) if i not in axes)
    return reshape(x, new)


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes ``start_dim`` to ``end_dim`` (both included) into one; a 0-d tensor becomes 1-d (PyTorch's
    flatten, which also lets a 0-d tensor name axis 0 or -1)."""
    shape = np.shape(_data(x))
    s = normalize_axis(start_dim, builtins.max(len(shape), 1), "flatten")
    e = normalize_axis(end_dim, builtins.max(len(shape), 1), "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (for {len(shape)} "
                         "dimensions); give start_dim <= end_dim")
    if not shape:
        return reshape(x, (1,))
    return reshape(x, shape[:s] + (-1,) + shape[e + 1:])


def ravel(x) -> Tensor:
    return reshape(x, (-1,))


def broadcast_to(x, shape) -> Tensor:
    shape = _shape_arg((shape,)) if not isinstance(shape, int) else (shape,)
    broadcast_shapes(np.shape(_data(x)), shape)
    return apply(R.broadcast_to, x, shape=shape)


def concatenate(xs, axis: int = 0) -> Tensor:
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate needs at least one tensor")
    shapes = [np.shape(_data(x)) for x in xs]
    nd = len(shapes[0])
    if axis is None:
        return concatenate([ravel(x) for x in xs], 0)
    if nd == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated (they have no axis); use stack, or "
                         "reshape them to 1-d first")
    a = normalize_axis(axis, nd, "concatenate")
    for s in shapes:
        if len(s) != nd or s[:a] + s[a + 1:] != shapes[0][:a] + shapes[0][a + 1:]:
            raise ValueError(f"concatenate along axis {axis}: shapes {shapes} must agree except on that axis")
    return apply(R.concatenate, *xs, axis=a, sizes=tuple(s[a] for s in shapes))


cat = concatenate


def stack(xs, axis: int = 0) -> Tensor:
    xs = list(xs)
    if not xs:
        raise ValueError("stack needs at least one tensor")
    shapes = {np.shape(_data(x)) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    a = normalize_axis(axis, np.ndim(_data(xs[0])) + 1, "stack")     # an axis of the result
    return concatenate([expand_dims(x, a) for x in xs], a)


# ---- lists of Tensors ------------------------------------------------------------------------------------
# A (nested) list or tuple that holds a Tensor, given where one tensor goes (tn.exp([x, 2 * x]), tf.reshape([x,
# y], ...)), is one recorded Tensor stacked from its elements, as HIPS autograd, JAX and TensorFlow pack it:
# NumPy reading it would make a constant and silently cut the gradient (the doors' tensors let NumPy read them).
# The core converts every operand that is not a Tensor in one place, _array.as_operand, which calls
# _pack_sequence (registered below: _array may not import upward). turunan.numpy uses the same helpers.
_SEQ = (list, tuple)


def _holds_tensor(obj) -> bool:
    for e in obj:
        if isinstance(e, Tensor) or (type(e) in _SEQ and _holds_tensor(e)):
            return True
    return False


def _values(obj):
    """``obj`` with each Tensor replaced by its array: what NumPy would have built, for its dtype and shape."""
    if isinstance(obj, Tensor):
        return obj._d
    if type(obj) in _SEQ:
        return [_values(e) for e in obj]
    return obj


def _stacked(obj, dtype):
    if isinstance(obj, Tensor):
        return astype(obj, dtype)       # recorded between float dtypes; to an integer, cut as astype does
    if type(obj) in _SEQ and _holds_tensor(obj):
        return stack([_stacked(e, dtype) for e in obj])
    return np.asarray(obj, dtype=dtype)     # a constant part


def _from_nested(obj, dtype=None) -> Tensor:
    """A (nested) list/tuple holding Tensors, as one Tensor recorded from its elements."""
    try:
        ref = np.asarray(_values(obj), dtype=dtype)     # NumPy's dtype and its error for ragged lists
    except ValueError as e:
        raise ValueError(f"cannot make one array of this list of tensors: {e}") from None
    if ref.dtype.kind not in "biufc":
        raise TypeError(f"cannot make an array of a list that holds tensors and non-numbers (NumPy would make it "
                        f"{ref.dtype}); give numbers, tensors and arrays of one shape")
    out = _stacked(obj, ref.dtype)
    return out if isinstance(out, Tensor) else Tensor._wrap(out)


def _pack_sequence(obj):
    """``obj`` (a list or tuple) as one recorded Tensor if it holds a Tensor, else None (_array.as_operand's hook)."""
    return _from_nested(obj) if _holds_tensor(obj) else None


_array_module.pack_sequence = _pack_sequence


def _split_bounds(n: int, indices_or_sections) -> list:
    """Where ``split`` cuts an axis of size ``n``: ``k`` equal sections, or at the given indices."""
    if isinstance(indices_or_sections, (bool, np.bool_)):
        raise TypeError(f"split: the number of sections must be an integer, got the bool {indices_or_sections}")
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"split: the number of sections must be a positive integer, got {k}")
        if n % k:
            raise ValueError(f"split: an axis of size {n} does not divide into {k} equal sections")
        return [i * (n // k) for i in range(k + 1)]
    if isinstance(indices_or_sections, numbers.Number) or (isinstance(indices_or_sections, (np.ndarray, Tensor))
                                                           and np.ndim(_data(indices_or_sections)) == 0):
        raise ValueError(f"split: the number of sections must be a whole number, got {indices_or_sections!r}; "
                         "give an int, or a list of indices to split at")
    if isinstance(indices_or_sections, (str, bytes)) or not hasattr(indices_or_sections, "__iter__"):
        raise TypeError(f"split: give a number of sections or a list of indices, got "
                        f"{type(indices_or_sections).__name__} {indices_or_sections!r}")
    cuts = []
    for i in _data(indices_or_sections) if isinstance(indices_or_sections, Tensor) else indices_or_sections:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise ValueError(f"split: the indices to split at must be integers, got {i!r} in "
                             f"{indices_or_sections!r}")
        cuts.append(int(i))
    return [0, *cuts, n]


def split(x, indices_or_sections, axis: int = 0) -> list:
    """NumPy's split: a number of equal sections, or the indices to split at (NumPy's slicing: an index past the
    end gives an empty piece)."""
    x = _t(x)
    shape = x.shape
    a = normalize_axis(axis, len(shape), "split")
    bounds = _split_bounds(shape[a], indices_or_sections)
    pre = (slice(None),) * a
    return [x[pre + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def flip(x, axis=None) -> Tensor:
    x = _t(x)
    n = x.ndim
    axes = range(n) if axis is None else normalize_axes(axis, n, "flip")
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(n))]


def astype(x, dtype) -> Tensor:
    dtype = _numeric_dtype(dtype)      # numbers only: astype(x, str) made a string "tensor"
    if isinstance(x, Tensor) and x.dtype == dtype:
        return x
    # integers and bools carry no gradient (PyTorch: the result requires no grad), never a straight-through 1
    return apply(R.astype if dtype.kind in "fc" else R.cast, x, dtype=dtype)


# ---- indexing --------------------------------------------------------------------------------------------
def _index(index):
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
    idx, basic = _index(index)
    return apply(R.getitem, x, index=idx, basic=basic)


# ---- in place --------------------------------------------------------------------------------------------
def _inplace(self: Tensor, op, *others, overlap_ok: bool = False, direct: bool = True) -> Tensor:
    """Run ``op(self, *others)`` and write the result into ``self``'s own buffer.

    The version counter goes up, so any node that saved the old value *before* this call refuses to backward
    through it. The op itself is recorded on ``old``, a handle on the same memory and the same place in the
    graph: if its rules kept ``old`` (``y.mul_(z)`` needs y's old value for z's gradient, ``y.pow_(2)`` for
    y's), ``old`` gets a copy of the value before the write, as PyTorch saves ``original_self``. Ops whose
    rules need nothing (``+=``) copy nothing.
    """
    recording = _mode.state.enabled and (self.requires_grad or builtins.any(
        isinstance(o, Tensor) and o.requires_grad for o in others))
    if getattr(self, "_view", None) is not None:
        if not overlap_ok or recording:     # a fill of one value is harmless only where nothing is recorded
            _check_no_overlap(self)
        if not recording and _mode.state.enabled:
            _check_inplace_allowed(self, False)     # an unrecorded write through a view of a leaf that requires grad
    if not recording:
        result = op(self, *others)
        _check_inplace_shape(self, result)
        np.copyto(self._d, result._d, casting="same_kind")
        self._bump_version()
        _written_unrecorded(self)
        if result._tangents is not None or self._tangents is not None:
            self._tangents = result._tangents      # forward mode: the new value's tangents (turunan.func.jvp)
            if getattr(self, "_view", None) is not None or getattr(self, "_views", None):
                _rewrite_family(self, recording=False)     # and those of the tensors sharing its memory
        return self
    _check_inplace_allowed(self, direct)
    _check_not_one_of_many(self)
    old = type(self)._result_type()._wrap(self._d, self._node, self.requires_grad)
    old._tangents = self._tangents
    unshared = sys.getrefcount(old)
    result = op(old, *others)
    _check_inplace_shape(self, result)
    if sys.getrefcount(old) > unshared:     # something recorded kept the old value: it must not see the write
        old._d = old._d.copy()
    np.copyto(self._d, result._d, casting="same_kind")
    self._bump_version()
    _set_node(self, result._node)
    self.requires_grad = result.requires_grad
    if result._tangents is not None or self._tangents is not None:
        self._tangents = result._tangents      # before the views re-derive from self: they take these tangents
    _rewrite_views(self)
    return self


def _check_no_overlap(t: Tensor) -> None:
    """An expanded view shows one element in several places: an in-place op would write it once per place."""
    a = t._d
    if builtins.any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location. Please clone() the tensor before performing the operation.")


def _check_inplace_shape(self: Tensor, result: Tensor) -> None:
    if result.shape != self.shape:
        raise ValueError(f"in-place operation would change the shape from {self.shape} to {result.shape}; "
                         "use the out-of-place form")


def _check_inplace_allowed(t: Tensor, direct: bool = True) -> None:
    """A recorded in-place change must not land in a leaf that requires grad, directly or through a view."""
    if _leaf_like(t) and direct:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation (this view was "
                           "taken while its base required no grad, and PyTorch keeps such views as leaves once the "
                           "base comes to require it); take the view again, or use an out-of-place op")
    while t is not None:
        if t.requires_grad and t._node is None:
            raise RuntimeError("a leaf tensor that requires grad (or a view of one) is being used in an in-place "
                               "operation; update it inside `with turunan.no_grad():` (as optimisers do), or use "
                               "an out-of-place op")
        view = getattr(t, "_view", None)
        t = view[0] if view is not None else None


# ---- outputs of functions that return several views (PyTorch's split, chunk, unbind) ----------------------
# turunan records an in-place change through any view exactly (each output is its own getitem view), but PyTorch
# refuses these for such outputs, and its door follows: the change itself raises while it would be recorded, and
# a change to the base or a sibling makes the output unusable in autograd (turunan._core.StaleViewNode).
_MANY_VIEWS = ("This view is the output of a function that returns multiple views. Such functions do not allow the "
               "output views to be modified inplace. You should replace the inplace operation by an out-of-place one.")


def mark_multi_output_views(outputs, name: str) -> None:
    """Mark ``outputs`` (views of one base made by one call of the function ``name``) as PyTorch's multi-output
    views: see above."""
    global _any_multi_output_views
    for i, t in enumerate(outputs):
        view = getattr(t, "_view", None)
        if view is not None:
            t._view = view[:3] + ((name, i),)
            _any_multi_output_views = True
            # by the version counter the memory's users share: a write through any alias of the memory (a
            # detach()ed copy of a view, say), not only through the recorded views, makes them stale
            key = id(t._version)
            refs = _MULTI_BY_VERSION.get(key)
            if refs is None or not builtins.any(r() is not None and r()._version is t._version for r in refs):
                refs = _MULTI_BY_VERSION[key] = []
            refs.append(weakref.ref(t))


_MULTI_BY_VERSION: dict = {}    # id of a version counter -> weak references to the multi-output views sharing it


def _stale_sharing_version(t: Tensor) -> None:
    """Every multi-output view that shares ``t``'s version counter (``t``'s memory) becomes stale."""
    refs = _MULTI_BY_VERSION.get(id(t._version))
    if not refs:
        return
    alive = [v for v in (r() for r in refs) if v is not None and v._version is t._version]
    if not alive:
        del _MULTI_BY_VERSION[id(t._version)]
        return
    for v in alive:
        _stale_below(v)


def _check_not_one_of_many(t: Tensor) -> None:
    view = getattr(t, "_view", None)
    if view is not None and len(view) > 3:
        name, i = view[3]
        raise RuntimeError(f"Output {i} of {name} is a view and is being modified inplace. {_MANY_VIEWS}")


def _stale(v: Tensor) -> None:
    """Make the multi-output view ``v`` refuse any further use in autograd (its base changed in place)."""
    if v.requires_grad and v._node is not None and not isinstance(v._node, StaleViewNode):
        name, i = v._view[3]
        v._node = StaleViewNode(v._node, f"Output {i} of {name} is a view and its base or another view of its base "
                                         f"has been modified inplace. {_MANY_VIEWS}")


def _stale_below(t: Tensor) -> None:
    stack = [t]
    while stack:
        v = stack.pop()
        _stale(v)
        stack.extend(w for w in (r() for r in getattr(v, "_views", None) or ()) if w is not None and w._view[0] is v)


def _family(t: Tensor):
    """Every live tensor sharing memory with ``t`` through recorded views: the topmost base, then its views."""
    view = getattr(t, "_view", None)
    while view is not None:
        t = view[0]
        view = getattr(t, "_view", None)
    stack = [t]
    while stack:
        base = stack.pop()
        yield base
        for ref in list(getattr(base, "_views", None) or ()):
            v = ref()
            if v is not None and v._view[0] is base:
                stack.append(v)


_any_multi_output_views = False     # until the first is made, an unrecorded write has nothing to look for


def _written_unrecorded(t: Tensor) -> None:
    """After an in-place write that was not recorded (no_grad, or nothing requires grad)."""
    if not _any_multi_output_views:
        return
    _stale_sharing_version(t)   # the views of one memory share its version counter: that finds them all


def _inverse_view(base: Tensor, view: Tensor, prim, params) -> Tensor:
    """``base``'s new value, recorded in terms of its old graph and ``view``'s new graph (the row's inverse)."""
    if prim.inverse is None:
        raise RuntimeError(f"an in-place change through a {prim.name} view cannot be recorded; change a copy instead")
    return prim.inverse(base, view, **params)


# Views taken while their base required no grad, and which came to require it through an in-place change of the
# base or another view: PyTorch treats these as leaves that require grad, so an in-place change of one (or of a
# view of one) is refused with the leaf error. Their values and gradients are the same either way.
_LEAF_LIKE_VIEWS: dict = {}     # id -> weak reference (a WeakSet would compare tensors with ==)


def _leaf_like(t: Tensor) -> bool:
    ref = _LEAF_LIKE_VIEWS.get(id(t)) if _LEAF_LIKE_VIEWS else None
    return ref is not None and ref() is t


def _mark_leaf_like(t: Tensor) -> None:
    key = id(t)
    _LEAF_LIKE_VIEWS[key] = weakref.ref(t, lambda _, key=key: _LEAF_LIKE_VIEWS.pop(key, None))


def _rewrite_views(t: Tensor) -> None:
    """After a recorded in-place change of ``t``: the graphs of the tensors sharing its memory follow.

    Each base above ``t`` takes ``t``'s new values (PyTorch's CopySlices); then every live view below the
    topmost base re-derives its node from its base, so later uses see the new history. Iterative.
    """
    untracked = [m for m in _family(t) if not m.requires_grad and m is not t and getattr(m, "_view", None)]
    _rewrite_family(t)
    if _any_multi_output_views:
        _stale_sharing_version(t)     # aliases outside the family (a detach()ed view) share the counter too
    for m in untracked:
        if m.requires_grad:
            _mark_leaf_like(m)


def _set_node(t: Tensor, node) -> None:
    """Give ``t`` a new history. A retained grad moves with it (PyTorch moves ``retains_grad`` to the new
    grad_fn): ``t.grad`` is then the gradient of the value after the change, not before."""
    if t._retain and node is not None:
        old = t._node
        if old is not None and old.retained is not None and old.retained() is t:
            old.retained = None
        node.retain(t)
    t._node = node


def _follow(t: Tensor, new: Tensor, recording: bool) -> None:
    """``t`` takes ``new``'s history (when recording) and its forward-mode tangents (whenever there are any)."""
    if recording:
        _set_node(t, new._node)
        t.requires_grad = new.requires_grad
    if new._tangents is not None or t._tangents is not None:
        t._tangents = new._tangents


def _rewrite_family(t: Tensor, recording: bool = True) -> None:
    """The bases above ``t`` and the views below them follow ``t``'s new value: their graphs when the change
    was recorded, and their forward-mode tangents (turunan.func.jvp) in any case."""
    child = t
    view = getattr(child, "_view", None)
    while view is not None:
        base, prim, params = view[:3]
        new = _inverse_view(base, child, prim, params)
        _follow(base, new, recording)
        child = base
        view = getattr(child, "_view", None)
    stack = [child]
    while stack:
        base = stack.pop()
        for ref in list(getattr(base, "_views", None) or ()):
            v = ref()
            if v is None or v._view[0] is not base:
                continue
            _, prim, params = v._view[:3]
            with _mode.set_grad_enabled(recording):
                fresh = apply(prim, base, **params)     # the same view, recorded from the base's new graph
            _follow(v, fresh, recording)
            if recording and len(v._view) > 3:
                _stale_below(v)     # an output of split/chunk/unbind, and every view of it: unusable
                continue
            stack.append(v)


def setitem(x: Tensor, index, value) -> None:
    idx, _ = _index(index)
    recording = _mode.state.enabled and (x.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    tangents = x._tangents or (isinstance(value, Tensor) and value._tangents)
    if not recording and not tangents:
        if _mode.state.enabled and getattr(x, "_view", None) is not None:
            _check_inplace_allowed(x, False)
        x._d[idx] = _data(value)
        x._bump_version()
        if _any_multi_output_views:
            _written_unrecorded(x)
        return
    # PyTorch writes x[i] = v through a fresh view of x (x itself only for x[...] = v): see _LEAF_LIKE_VIEWS
    whole = index is Ellipsis or (isinstance(index, tuple) and builtins.all(i is Ellipsis for i in index))
    _inplace(x, lambda t, v: apply(R.index_update, t, v, index=idx), value, direct=whole)


def zero_(x: Tensor) -> Tensor:
    return fill_(x, 0)


def fill_(x: Tensor, value) -> Tensor:
    """Set every element to ``value``, in place. Recorded on a non-leaf (PyTorch's FillBackward: the gradient
    through the old values is zero; a Tensor ``value`` of one element gets the sum of the gradient); a leaf that
    requires grad is refused, as for every in-place op, outside ``no_grad``."""
    kind = type(value)
    if kind is not int and kind is not float:       # the common call, x.grad.zero_(), checks nothing more
        if isinstance(value, Tensor) and value._d.size != 1:
            raise ValueError(f"fill_ takes a number or a one-element tensor, got a tensor of shape {value.shape}")
        if not (isinstance(value, (Tensor, numbers.Number, np.generic))
                or (isinstance(value, np.ndarray) and value.ndim == 0)) or isinstance(value, (str, bytes)):
            raise TypeError(f"fill_ takes a number or a one-element tensor, got {kind.__name__}")
    recording = _mode.state.enabled and (x.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    if not recording and not x._tangents and not (isinstance(value, Tensor) and value._tangents):
        if _mode.state.enabled and getattr(x, "_view", None) is not None:
            _check_inplace_allowed(x, False)
        x._d[...] = value._d if isinstance(value, Tensor) else value
        x._bump_version()
        if _any_multi_output_views:
            _written_unrecorded(x)
        return x
    if isinstance(value, Tensor):
        value = reshape(value, ())
    return _inplace(x, lambda t, v: where(True, astype(v, t.dtype) if isinstance(v, Tensor) else v, t), value,
                    overlap_ok=True)     # every element gets the same value: PyTorch allows it on expanded views


# ---- added for the PyTorch front door's names (repeat, sort, topk, gather, cumprod, ...) ------------------
def tile(x, reps) -> Tensor:
    """NumPy's tile (PyTorch's ``repeat``): ``x`` repeated ``reps[i]`` times along each axis; broadcast then
    reshape, so the gradient is the sum over the copies."""
    reps = as_shape(reps, "tile: reps")      # integers only: int("a") and a float's iteration leaked out
    shape = np.shape(_data(x))
    d = builtins.max(len(reps), len(shape))
    reps, shape = (1,) * (d - len(reps)) + reps, (1,) * (d - len(shape)) + shape
    spread = reshape(x, builtins.sum(((1, s) for s in shape), ()))
    spread = broadcast_to(spread, builtins.sum(((r, s) for r, s in zip(reps, shape)), ()))
    out = reshape(spread, tuple(r * s for r, s in zip(reps, shape)))
    if isinstance(x, Tensor) and _core_shares_memory(out._d, x._d):
        out = copy(out)     # reps of all ones reshape back to a view: NumPy's tile (and PyTorch's repeat) copy
    return out


def _along(shape: tuple, indices: np.ndarray, axis: int) -> tuple:
    """The advanced index that picks ``indices`` along ``axis`` (NumPy's take_along_axis, broadcasting)."""
    nd = len(shape)
    return tuple(indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(shape))


def take_along_axis(x, indices, axis: int) -> Tensor:
    """NumPy's take_along_axis: ``out[..., i, ...] = x[..., indices[..., i, ...], ...]`` along ``axis``.

    An advanced ``getitem``, so its gradient is a scatter-add (repeated indices accumulate).
    """
    idx = _data(indices)
    idx = idx if type(idx) is BatchedArray else np.asarray(idx)
    shape = np.shape(_data(x)) if not isinstance(x, Tensor) else x.shape
    if idx.ndim != len(shape):
        raise ValueError(f"take_along_axis: indices of {idx.ndim} dims for a tensor of {len(shape)} dims")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got {idx.dtype}")
    return getitem(x, _along(shape, idx, normalize_axis(axis, len(shape), "take_along_axis")))


def take(x, indices, axis=None) -> Tensor:
    """NumPy's take: the slices at ``indices`` along ``axis``; with ``axis=None`` (NumPy's and PyTorch's
    default) the elements of the flattened tensor. Gradient: scatter-add."""
    if axis is None:
        return getitem(ravel(x), np.asarray(_data(indices)))
    n = np.ndim(_data(x))
    return getitem(x, (slice(None),) * normalize_axis(axis, n, "take") + (np.asarray(_data(indices)),))


def argsort(x, axis: int = -1, descending: bool = False) -> Tensor:
    """Indices that sort ``x`` along ``axis``, stable (equal elements keep their order; NaN sorts as largest).

    No gradient (integer output)."""
    a = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(_data(x)))
    if a.ndim:
        axis = normalize_axis(axis, a.ndim, "argsort")
    return astype(apply(R.NONDIFF["argsort"], a, axis=axis, descending=bool(descending)), np.int64)


def sort(x, axis: int = -1, descending: bool = False) -> Tensor:
    """The values of ``x`` sorted along ``axis`` (stable); the gradient goes back to each value's place."""
    return take_along_axis(x, argsort(x, axis, descending), axis)


def topk(x, k: int, axis: int = -1, largest: bool = True) -> tuple:
    """The ``k`` largest (or smallest) values along ``axis``, in order, and their indices."""
    x = _t(x)
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


def cumprod(x, axis=None, *, dim=None) -> Tensor:
    """Cumulative product along ``axis`` (the flattened tensor if None); its gradient is exact at zeros."""
    return _cumulative(R.cumprod, x, axis, dim, "cumprod")


def erf(x) -> Tensor:
    """The error function, 2/√π ∫₀ˣ exp(−t²) dt (SciPy's kernel when installed, else Python's ``math.erf``)."""
    return apply1(R.erf, x)


def rsqrt(x) -> Tensor:
    """1 / sqrt(x)."""
    return reciprocal(sqrt(x))


def log2(x) -> Tensor:
    """Base-2 logarithm (exact at powers of two)."""
    return apply1(R.log2, x)


def exp2(x) -> Tensor:
    """2 ** x (exact at integers)."""
    return apply1(R.exp2, x)


def elu(x, alpha: float = 1.0) -> Tensor:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere; the exponential only ever sees x <= 0 (no inf * 0)."""
    x = _t(x)
    positive = logical_not(less_equal(x, 0))    # NaN counts as positive: elu(NaN) passes the gradient, as PyTorch's
    return where(positive, x, multiply(expm1(where(positive, 0, x)), alpha))


def trunc_divide(x, y) -> Tensor:
    """x / y rounded toward zero, in the operands' dtype (C's integer division); piecewise constant, so no
    gradient. NumPy has only the floor form (``floor_divide``).

    >>> import turunan as tn
    >>> tn.trunc_divide(tn.tensor([7, -7]), tn.tensor([2, 2]))
    tensor([ 3, -3])
    """
    q = trunc(divide(x, y))
    dt = np.result_type(_data(x), _data(y))
    return q if q.dtype == dt else astype(q, dt)
