"""Linear algebra: matmul, dot, tensordot, einsum, outer, inner, vdot, and vector and matrix norms."""

from __future__ import annotations

import builtins

import numpy as np

from . import _rules as R
from ._array import normalize_axes
from ._core import Tensor, apply, apply2
from ._elementwise import abs, array_of, astype, equal, multiply, not_equal, tensor_of, where
from ._reductions import amax, amin, axis_or_dim, norm2, sum
from ._shapes import expand_dims, moveaxis, reshape, squeeze

__all__ = ["matmul", "dot", "tensordot", "einsum", "outer", "inner", "vdot", "norm"]


def matmul(x, y) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands are promoted, batch dimensions broadcast."""
    xs = x._d.shape if isinstance(x, Tensor) else np.shape(array_of(x, "matmul"))
    ys = y._d.shape if isinstance(y, Tensor) else np.shape(array_of(y, "matmul"))
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
    xn, yn = np.ndim(array_of(x)), np.ndim(array_of(y))
    if xn == 0 or yn == 0:
        return multiply(x, y)
    if xn == 1 and yn == 1:
        if np.shape(array_of(x)) != np.shape(array_of(y)):
            raise ValueError(f"dot: vectors of shapes {np.shape(array_of(x))} and {np.shape(array_of(y))} differ in "
                             "length")
        return sum(multiply(x, y))
    if yn <= 2:
        return matmul(x, y)
    return tensordot(x, y, axes=([-1], [-2]))


def _letters(n: int, skip: str = "") -> str:
    out = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in skip]
    return "".join(out[:n])


def tensordot(x, y, axes=2) -> Tensor:
    """Sum products over the given axes (NumPy's tensordot), via einsum."""
    xs, ys = np.shape(array_of(x)), np.shape(array_of(y))
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
        if len(s) != np.ndim(array_of(o)):
            raise ValueError(f"einsum: subscripts {s!r} need a {len(s)}-d operand, got shape {np.shape(array_of(o))}")
    return apply(R.einsum, *operands, spec=spec)


def _expand_ellipsis(spec, operands):
    ins, out = spec.split("->")
    ins = ins.split(",")
    used = set(spec)
    most = builtins.max(np.ndim(array_of(o)) - (len(s) - 3) for s, o in zip(ins, operands) if "..." in s)
    fill = _letters(most, skip="".join(used))
    new_ins = []
    for s, o in zip(ins, operands):
        if "..." in s:
            k = np.ndim(array_of(o)) - (len(s) - 3)
            s = s.replace("...", fill[most - k:])
        new_ins.append(s)
    return ",".join(new_ins) + "->" + out.replace("...", fill)


def outer(x, y) -> Tensor:
    return multiply(reshape(x, (-1, 1)), reshape(y, (1, -1)))


def inner(x, y) -> Tensor:
    return tensordot(x, y, axes=([-1], [-1]))


def vdot(x, y) -> Tensor:
    return sum(multiply(reshape(x, (-1,)), reshape(y, (-1,))))


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
    x = tensor_of(x)
    ord = p if p is not None else ord
    axis = axis_or_dim(axis, dim)
    keepdims = keepdims if keepdim is None else keepdim
    if axis is not None:
        axis = normalize_axes(axis, x.ndim, "norm")    # checked once: never wraps around, never repeats
    if axis is None:
        if ord is None or (ord == 2 and x.ndim == 1) or (ord == "fro" and x.ndim == 2):
            return norm2(x, None, keepdims)
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
            return norm2(x, a, keepdims)
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
        return norm2(x, (r, c), keepdims)
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
