"""Linear algebra: matmul, dot, tensordot, einsum, outer, inner, vdot, kron, cross, vector and matrix norms; and
NumPy's differences (diff, gradient)."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from . import _rules as R
from ._array import kind, normalize_axes, normalize_axis
from ._core import Tensor, apply, apply2
from ._elementwise import abs, array_of, astype, equal, multiply, not_equal, tensor_of, where
from ._indexing import getitem
from ._reductions import amax, amin, axis_or_dim, norm2, sum
from ._rules_linalg import matrix_norm_from_svd
from ._shapes import broadcast_to, concatenate, expand_dims, moveaxis, numpy_tensor, reshape, squeeze, stack

__all__ = [
    "matmul", "dot", "tensordot", "einsum", "outer", "inner", "vdot", "norm", "kron", "cross", "diff", "gradient",
]


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


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _letters(n: int, skip: str = "") -> str:
    out = [c for c in _LETTERS if c not in skip]
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


def _subscripts_from_lists(args: tuple):
    """NumPy's second einsum form, ``einsum(a, [0, 1], b, [1, 2], [0, 2])``, as a subscripts string."""
    def letters(sub) -> str:
        try:
            return "".join("..." if i is Ellipsis else _LETTERS[operator.index(i)] for i in sub)
        except (TypeError, IndexError):
            raise ValueError(f"einsum: subscripts in a list must be integers in [0, 52) or Ellipsis, got {sub!r}") \
                from None
    n = len(args) // 2
    spec = ",".join(letters(s) for s in args[1:2 * n:2])
    return (spec + "->" + letters(args[-1]) if len(args) % 2 else spec), args[0:2 * n:2]


def _diagonal_of_repeats(x, sub: str):
    """An operand whose subscripts repeat a letter (``'ii'``) as its diagonal over each repeated letter, one
    axis per distinct letter: the einsum row then never sees a repeated subscript within an operand."""
    distinct = "".join(dict.fromkeys(sub))
    if len(distinct) == len(sub):
        return x, sub
    shape = np.shape(array_of(x))
    sizes = {}
    for c, n in zip(sub, shape):
        if sizes.setdefault(c, n) != n:
            raise ValueError(f"einsum: subscript {c!r} is repeated in {sub!r} for axes of sizes {sizes[c]} and {n}; "
                             "a repeated subscript takes a diagonal, so the sizes must match")
    place = {c: i for i, c in enumerate(distinct)}
    index = tuple(np.arange(n).reshape([n if j == place[c] else 1 for j in range(len(distinct))])
                  for c, n in zip(sub, shape))
    return getitem(x, index), distinct


def einsum(spec: str, *operands, optimize=None) -> Tensor:
    """Einstein summation (NumPy's einsum), with gradients for every operand; also NumPy's form with lists of
    integer subscripts, and subscripts repeated within an operand (``'ii->i'``: its diagonal).

    >>> import turunan.numpy as tnp
    >>> tnp.einsum("ii->", tnp.eye(3))
    tensor(3., dtype=turunan.float64)
    """
    if not isinstance(spec, str) and operands and isinstance(operands[0], (list, tuple)):
        spec, operands = _subscripts_from_lists((spec,) + operands)
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
    operands, ins = zip(*[_diagonal_of_repeats(o, s) for o, s in zip(operands, ins)]) if ins else ((), ())
    return apply(R.einsum, *operands, spec=",".join(ins) + "->" + spec.split("->")[1])


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
    """NumPy's inner: the sum-product over the last axes; a 0-d operand multiplies."""
    if np.ndim(array_of(x)) == 0 or np.ndim(array_of(y)) == 0:
        return multiply(x, y)
    return tensordot(x, y, axes=([-1], [-1]))


def vdot(x, y) -> Tensor:
    """numpy.vdot: the flattened dot product, with the first argument conjugated where it is complex.

    >>> vdot([1j, 2.0], [1j, 1.0])
    tensor(3.+0.j, dtype=turunan.complex128)
    """
    x = tensor_of(x)
    if kind(x) == "c":
        x = R.conj(x)
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
    if ord in (-2, "nuc"):      # from the singular values (turunan._rules_linalg): derivatives to any order
        return matrix_norm_from_svd(x, ord, (r, c), keepdims)
    raise ValueError(f"norm: unsupported ord={ord!r}; use None, 'fro', 'nuc', 1, 2, -2, inf, -inf (or a number for "
                     "vectors)")


# ---- NumPy's products and differences (turunan.numpy), composed ---------------------------------------------
def kron(a, b) -> Tensor:
    """NumPy's kron: the Kronecker product, a broadcast product of the two with their axes interleaved.

    >>> import turunan.numpy as tnp
    >>> tnp.kron(tnp.array([1.0, 2.0]), tnp.array([1.0, 10.0]))
    tensor([ 1., 10.,  2., 20.], dtype=turunan.float64)
    """
    a, b = numpy_tensor(a), numpy_tensor(b)
    nd = builtins.max(a.ndim, b.ndim)
    sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
    interleaved = lambda shape, first: builtins.sum(((n, 1) if first else (1, n) for n in shape), ())  # noqa: E731
    spread = multiply(reshape(a, interleaved(sa, True)), reshape(b, interleaved(sb, False)))
    return reshape(spread, tuple(m * n for m, n in zip(sa, sb)))


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None) -> Tensor:
    """NumPy's cross: the cross product of 3-vectors (or 2-vectors, whose z is 0) along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = numpy_tensor(a), numpy_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("cross: the inputs must hold vectors (at least 1-d), got a 0-d value")
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"incompatible dimensions for cross product (dimension must be 2 or 3), got vectors of "
                         f"{a.shape[-1]} and {b.shape[-1]}")
    ax, bx = [a[..., i] for i in range(a.shape[-1])], [b[..., i] for i in range(b.shape[-1])]
    z = ax[0] * bx[1] - ax[1] * bx[0]
    if len(ax) == len(bx) == 2:
        return z
    if len(ax) == 2:    # a's z is 0: the terms it is in drop out (not multiplied by zero: NaN in b stays apart)
        x, y = ax[1] * bx[2], -(ax[0] * bx[2])
    elif len(bx) == 2:
        x, y = -(ax[2] * bx[1]), ax[2] * bx[0]
    else:
        x, y = ax[1] * bx[2] - ax[2] * bx[1], ax[2] * bx[0] - ax[0] * bx[2]
    out = stack(list(builtins.map(numpy_tensor, (x, y, z))), -1)
    return moveaxis(out, -1, axisc)


def _slice_along(axis: int, ndim: int, part: slice) -> tuple:
    return (slice(None),) * axis + (part,) + (slice(None),) * (ndim - axis - 1)


def diff(a, n: int = 1, axis: int = -1, prepend=None, append=None) -> Tensor:
    """NumPy's diff: the ``n``-th difference along ``axis`` (``prepend``/``append`` joined first)."""
    a = numpy_tensor(a)
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis(axis, a.ndim, "diff")
    if int(n) < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    ends = [e for e in (prepend, a, append) if e is not None]
    if len(ends) > 1:
        side = a.shape[:axis] + (1,) + a.shape[axis + 1:]
        ends = [e if e is a or np.ndim(array_of(e)) else broadcast_to(numpy_tensor(e), side) for e in ends]
        a = concatenate(ends, axis)
    later, earlier = _slice_along(axis, a.ndim, slice(1, None)), _slice_along(axis, a.ndim, slice(None, -1))
    for _ in range(int(n)):
        a = not_equal(a[later], a[earlier]) if a.dtype == bool else a[later] - a[earlier]
    return a


def _gradient_along(f, axis: int, spacing, edge_order: int):
    """One axis of ``gradient``: second-order central differences inside, one-sided ones of ``edge_order`` at
    the two ends, for uniform spacing (a number) or given coordinates (NumPy's formulas for uneven steps)."""
    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) "
                         "elements are required.")
    at = lambda part: f[_slice_along(axis, f.ndim, part)]  # noqa: E731
    coords = np.asarray(array_of(spacing))
    if coords.ndim == 0:
        h = coords
        inside = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        if edge_order == 1:
            first, last = (at(slice(1, 2)) - at(slice(0, 1))) / h, (at(slice(-1, None)) - at(slice(-2, -1))) / h
        else:
            first = (-1.5 / h) * at(slice(0, 1)) + (2.0 / h) * at(slice(1, 2)) + (-0.5 / h) * at(slice(2, 3))
            last = (0.5 / h) * at(slice(-3, -2)) + (-2.0 / h) * at(slice(-2, -1)) + (1.5 / h) * at(slice(-1, None))
        return concatenate([first, inside, last], axis)
    if coords.shape != (n,):
        raise ValueError(f"gradient: coordinates for axis {axis} must be 1-d of its length {n}, got {coords.shape}")
    dx = np.diff(coords).astype(np.float64 if coords.dtype.kind in "iub" else coords.dtype)
    along = lambda c: c.reshape((-1,) + (1,) * (f.ndim - axis - 1))  # noqa: E731
    d1, d2 = along(dx[:-1]), along(dx[1:])
    inside = (-d2 / (d1 * (d1 + d2))) * at(slice(None, -2)) + ((d2 - d1) / (d1 * d2)) * at(slice(1, -1)) \
        + (d1 / (d2 * (d1 + d2))) * at(slice(2, None))
    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / dx[0]
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / dx[-1]
    else:
        e1, e2 = dx[0], dx[1]
        first = (-(2.0 * e1 + e2) / (e1 * (e1 + e2))) * at(slice(0, 1)) + ((e1 + e2) / (e1 * e2)) * at(slice(1, 2)) \
            + (-e1 / (e2 * (e1 + e2))) * at(slice(2, 3))
        e1, e2 = dx[-2], dx[-1]
        last = (e2 / (e1 * (e1 + e2))) * at(slice(-3, -2)) + (-(e2 + e1) / (e1 * e2)) * at(slice(-2, -1)) \
            + ((2.0 * e2 + e1) / (e2 * (e1 + e2))) * at(slice(-1, None))
    return concatenate([first, inside, last], axis)


def gradient(f, *varargs, axis=None, edge_order: int = 1):
    """NumPy's gradient: central differences inside, one-sided at the ends, along each axis; one array per axis
    (a tuple), or one array when a single axis is asked for. ``varargs``: the spacing, one number for all axes,
    or one number or coordinate array per axis."""
    f = numpy_tensor(f)
    if f.dtype.kind in "iub":
        f = astype(f, np.float64)
    axes = tuple(range(f.ndim)) if axis is None else normalize_axes(axis, f.ndim, "gradient")
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(array_of(varargs[0])) == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError(f"gradient: give no spacing, one for all axes, or one per axis ({len(axes)}); got "
                        f"{len(varargs)}")
    # computed with the spacings' precision, kept in f's dtype (NumPy writes into an array of f's dtype)
    out = tuple(_gradient_along(f, a, s, edge_order) for a, s in zip(axes, spacings))
    out = tuple(g if g.dtype == f.dtype else astype(g, f.dtype) for g in out)
    return out[0] if len(out) == 1 else out
