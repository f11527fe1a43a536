"""PyTorch's names for the core's NumPy-parity functions: shapes (``tril``, ``diagonal``, ``narrow``, ``roll``,
``meshgrid``, ...), elementwise (``sinh``, ``atan2``, ``lerp``, ``addcmul``, ...), reductions (``median``,
``var_mean``, ``logcumsumexp``, ...) and distances. Each is a name (and PyTorch's argument order and result
shapes) over ``turunan.numpy``'s functions, which hold the math (docs/design.md, principle 6); the result is the
door's Tensor. ``torch.linalg`` and ``torch.special`` are their own modules.

>>> import turunan.torch as torch
>>> torch.tril(torch.ones(2, 2))
tensor([[1., 0.],
        [1., 1.]])
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import _core
from .. import numpy as tnp
from .._doors import recast
from ._functions import as_input
from ._tensor import Tensor
from ._types import checked_dim, return_types


def _out(value):
    return recast(value, Tensor)


def _named_grad(out, name: str):
    """The name PyTorch's ``grad_fn`` shows for this op (the node and its rules are the core's)."""
    return _core.name_grad_fn(out, name) if out.grad_fn is not None else out


def _dims(dims) -> list:
    return [dims] if isinstance(dims, (int, np.integer)) else list(dims)


# ---- shapes and selection --------------------------------------------------------------------------------------
def narrow(input, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """The ``length`` entries of ``dim`` from ``start`` (a view, as PyTorch's)."""
    x = as_input(input, "narrow")
    dim = checked_dim(dim, x.ndim)
    n = x.shape[dim]
    start = int(start) + (n if start < 0 else 0)
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return x[(slice(None),) * dim + (slice(start, start + length),)]


def select(input, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice at ``index`` along ``dim``, without that dim."""
    x = as_input(input, "select")
    dim = checked_dim(dim, x.ndim)
    n = x.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {tuple(x.shape)} at dimension "
                         f"{dim}")
    return x[(slice(None),) * dim + (int(index),)]


def nonzero(input, *, as_tuple: bool = False):  # noqa: A002
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or one per dim with ``as_tuple``."""
    values = np.asarray(as_input(input, "nonzero").detach().numpy())
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(values))
    return Tensor._wrap(np.argwhere(values).astype(np.int64))


def argwhere(input) -> Tensor:  # noqa: A002
    return nonzero(input)


def tril(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    return _named_grad(_out(tnp.tril(as_input(input, "tril"), diagonal)), "TrilBackward0")


def triu(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    return _named_grad(_out(tnp.triu(as_input(input, "triu"), diagonal)), "TriuBackward0")


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    return _named_grad(_out(tnp.diagonal(as_input(input, "diagonal"), offset, dim1, dim2)), "DiagonalBackward0")


def diag(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    return _out(tnp.diag(as_input(input, "diag"), diagonal))


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices with ``input``'s last dim on their diagonal (``dim1=-2, dim2=-1`` only)."""
    x = as_input(input, "diag_embed")
    if (dim1, dim2) != (-2, -1):
        raise NotImplementedError("diag_embed: turunan offers dim1=-2, dim2=-1 (PyTorch's default)")
    k = x.shape[-1]
    n = k + builtins.abs(offset)
    place = np.zeros((k, n, n), x.dtype)        # place[i] puts element i at (i + down, i + right)
    i = np.arange(k)
    place[i, i + builtins.max(-offset, 0), i + builtins.max(offset, 0)] = 1
    return _out(tnp.einsum("...i,irc->...rc", x, place))


def trace(input) -> Tensor:  # noqa: A002
    return _named_grad(_out(tnp.trace(as_input(input, "trace"))), "TraceBackward0")


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Grids from vectors; PyTorch's default indexing is ``'ij'`` (NumPy's is ``'xy'``)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(_out(g) for g in tnp.meshgrid(*tensors, indexing=indexing))


def kron(input, other) -> Tensor:  # noqa: A002
    return _out(tnp.kron(as_input(input, "kron"), other))


def cross(input, other, dim=None) -> Tensor:  # noqa: A002
    """The cross product along ``dim`` (by default the first dim of size 3, as PyTorch's ``torch.cross``)."""
    x = as_input(input, "cross")
    if dim is None:
        dim = next((d for d, n in enumerate(np.broadcast_shapes(tuple(x.shape), tuple(np.shape(other))))
                    if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _out(tnp.cross(x, other, axis=dim))


def roll(input, shifts, dims=None) -> Tensor:  # noqa: A002
    x = as_input(input, "roll")
    return _out(tnp.roll(x, shifts, axis=dims))


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:  # noqa: A002
    return _out(tnp.rot90(as_input(input, "rot90"), k, axes=tuple(dims)))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:  # noqa: A002
    """Each element (or slice along ``dim``) repeated ``repeats`` times (NumPy's ``repeat``)."""
    x = as_input(input, "repeat_interleave")
    if repeats is None:         # torch.repeat_interleave(repeats): the indices repeated
        return Tensor._wrap(np.repeat(np.arange(x.shape[0]), np.asarray(x.detach().numpy())).astype(np.int64))
    reps = np.asarray(repeats.detach().numpy() if hasattr(repeats, "detach") else repeats)
    return _out(tnp.repeat(x, reps, axis=dim))


def tile(input, dims) -> Tensor:  # noqa: A002
    return _out(tnp.tile(as_input(input, "tile"), tuple(_dims(dims))))


def broadcast_tensors(*tensors) -> tuple:
    return tuple(_out(t) for t in tnp.broadcast_arrays(*[as_input(t, "broadcast_tensors") for t in tensors]))


def atleast_1d(*tensors):
    outs = [_out(tnp.atleast_1d(as_input(t, "atleast_1d"))) for t in tensors]
    return outs[0] if len(outs) == 1 else tuple(outs)


def atleast_2d(*tensors):
    outs = [_out(tnp.atleast_2d(as_input(t, "atleast_2d"))) for t in tensors]
    return outs[0] if len(outs) == 1 else tuple(outs)


def atleast_3d(*tensors):
    outs = [_out(tnp.atleast_3d(as_input(t, "atleast_3d"))) for t in tensors]
    return outs[0] if len(outs) == 1 else tuple(outs)


def unflatten(input, dim: int, sizes) -> Tensor:  # noqa: A002
    x = as_input(input, "unflatten")
    dim = checked_dim(dim, x.ndim)
    sizes = list(sizes)
    if sizes.count(-1) == 1:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes[sizes.index(-1)] = x.shape[dim] // known
    if int(np.prod(sizes)) != x.shape[dim]:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} "
                           f"({x.shape[dim]}) in the input tensor")
    return x.reshape(tuple(x.shape[:dim]) + tuple(sizes) + tuple(x.shape[dim + 1:]))


def take(input, index) -> Tensor:  # noqa: A002
    """The elements of the flattened ``input`` at ``index``."""
    return _out(tnp.take(as_input(input, "take"), np.asarray(index.detach().numpy() if hasattr(index, "detach")
                                                              else index)))


def take_along_dim(input, indices, dim=None) -> Tensor:  # noqa: A002
    x = as_input(input, "take_along_dim")
    idx = np.asarray(indices.detach().numpy() if hasattr(indices, "detach") else indices)
    if dim is None:
        return _out(tnp.take_along_axis(tnp.ravel(x), idx.ravel(), 0))
    return _out(tnp.take_along_axis(x, idx, dim))


def _tensors(tensors, name: str) -> list:
    """A sequence of tensors, as PyTorch's stacking functions take (its message for anything else)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    return list(tensors)


def vstack(tensors) -> Tensor:
    return _out(tnp.vstack(_tensors(tensors, "vstack")))


def hstack(tensors) -> Tensor:
    return _out(tnp.hstack(_tensors(tensors, "hstack")))


def dstack(tensors) -> Tensor:
    return _out(tnp.dstack(_tensors(tensors, "dstack")))


def column_stack(tensors) -> Tensor:
    return _out(tnp.column_stack(_tensors(tensors, "column_stack")))


row_stack = vstack


def block_diag(*tensors) -> Tensor:
    """The tensors (0-, 1- or 2-d) on the diagonal of one matrix."""
    mats = [tnp.atleast_2d(as_input(t, "block_diag")) for t in tensors]
    rows = builtins.sum(m.shape[0] for m in mats)
    cols = builtins.sum(m.shape[1] for m in mats)
    dtype = np.result_type(*[m.dtype for m in mats]) if mats else np.float32
    out, r, c = [], 0, 0
    for m in mats:
        out.append(tnp.pad(tnp.astype(m, dtype), ((r, rows - r - m.shape[0]), (c, cols - c - m.shape[1]))))
        r, c = r + m.shape[0], c + m.shape[1]
    return _out(builtins.sum(out[1:], out[0]) if out else Tensor._wrap(np.zeros((0, 0), np.float32)))


def cartesian_prod(*tensors) -> Tensor:
    grids = tnp.meshgrid(*tensors, indexing="ij")
    if len(grids) == 1:
        return _out(grids[0])
    return _out(tnp.stack([tnp.ravel(g) for g in grids], axis=1))


def vander(x, N=None, increasing: bool = False) -> Tensor:  # noqa: N803  (PyTorch's parameter name)
    return _out(tnp.vander(as_input(x, "vander"), N, increasing))


# ---- elementwise -----------------------------------------------------------------------------------------------
def _unary(name: str, core=None):
    fn = core or getattr(tnp, name)

    def op(input, *, out=None):  # noqa: A002
        if out is not None:
            raise TypeError(f"turunan.torch.{name} does not support out=")
        return _out(fn(as_input(input, name)))
    op.__name__ = name
    op.__doc__ = f"torch.{name}: elementwise (turunan.numpy's {getattr(fn, '__name__', name)})."
    return op


(sinh, cosh, asin, acos, atan, asinh, acosh, atanh, log10, trunc, fix, deg2rad, rad2deg, sinc, signbit,
 arcsin, arccos, arctan, arcsinh, arccosh, arctanh) = (
    _unary(n, getattr(tnp, c)) for n, c in (
        ("sinh", "sinh"), ("cosh", "cosh"), ("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"),
        ("asinh", "arcsinh"), ("acosh", "arccosh"), ("atanh", "arctanh"), ("log10", "log10"), ("trunc", "trunc"),
        ("fix", "trunc"), ("deg2rad", "deg2rad"), ("rad2deg", "rad2deg"), ("sinc", "sinc"),
        ("signbit", "signbit"), ("arcsin", "arcsin"), ("arccos", "arccos"), ("arctan", "arctan"),
        ("arcsinh", "arcsinh"), ("arccosh", "arccosh"), ("arctanh", "arctanh")))


def frac(input) -> Tensor:  # noqa: A002
    x = as_input(input, "frac")
    return _out(x - tnp.trunc(x))


def atan2(input, other) -> Tensor:  # noqa: A002
    return _out(tnp.arctan2(as_input(input, "atan2"), other))


arctan2 = atan2


def hypot(input, other) -> Tensor:  # noqa: A002
    return _out(tnp.hypot(as_input(input, "hypot"), other))


def fmod(input, other) -> Tensor:  # noqa: A002
    """The remainder with the sign of the dividend (C's fmod)."""
    return _out(tnp.fmod(as_input(input, "fmod"), other))


def logaddexp(input, other) -> Tensor:  # noqa: A002
    return _out(tnp.logaddexp(as_input(input, "logaddexp"), other))


def logaddexp2(input, other) -> Tensor:  # noqa: A002
    return _out(tnp.logaddexp2(as_input(input, "logaddexp2"), other))


def clamp_min(input, min) -> Tensor:  # noqa: A002
    return _out(tnp.maximum(as_input(input, "clamp_min"), min))


def clamp_max(input, max) -> Tensor:  # noqa: A002
    return _out(tnp.minimum(as_input(input, "clamp_max"), max))


def lerp(input, end, weight) -> Tensor:  # noqa: A002
    """``input + weight * (end - input)``."""
    x = as_input(input, "lerp")
    return _out(x + weight * (end - x))


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:  # noqa: A002
    return _out(as_input(input, "addcmul") + value * tensor1 * tensor2)


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:  # noqa: A002
    return _out(as_input(input, "addcdiv") + value * tensor1 / tensor2)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    return _out(beta * as_input(input, "baddbmm") + alpha * tnp.matmul(batch1, batch2))


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    return _out(beta * as_input(input, "addmm") + alpha * tnp.matmul(mat1, mat2))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: A002
    return _out(tnp.isclose(as_input(input, "isclose"), other, rtol, atol, equal_nan))


# ---- reductions ------------------------------------------------------------------------------------------------
def _lower_median(x, dim, keepdim: bool):
    order = np.argsort(np.asarray(x.detach().numpy()), axis=dim, kind="stable")
    k = (x.shape[dim] - 1) // 2
    idx = np.take(order, [k], axis=dim)
    values = tnp.take_along_axis(x, idx, dim)
    if not keepdim:
        values, idx = tnp.squeeze(values, dim), np.squeeze(idx, dim)
    return _out(values), Tensor._wrap(idx.astype(np.int64))


def median(input, dim=None, keepdim: bool = False):  # noqa: A002
    """PyTorch's median: the lower of the two middle values (not their mean, as NumPy's); with ``dim``,
    ``(values, indices)``."""
    x = as_input(input, "median")
    if dim is None:
        return _lower_median(tnp.ravel(x), 0, False)[0]
    values, indices = _lower_median(x, checked_dim(dim, x.ndim), keepdim)
    return return_types.median(values, indices) if hasattr(return_types, "median") else (values, indices)


def nanmedian(input, dim=None, keepdim: bool = False):  # noqa: A002
    x = as_input(input, "nanmedian")
    if dim is None:
        flat = tnp.ravel(x)
        keep = np.flatnonzero(~np.isnan(np.asarray(flat.detach().numpy())))
        return _lower_median(tnp.take(flat, keep), 0, False)[0] if keep.size else _out(tnp.ravel(x)[0] * np.nan)
    raise NotImplementedError("nanmedian(dim=...) is not offered by turunan.torch: use turunan.numpy.nanmedian")


def var_mean(input, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):  # noqa: A002
    x = as_input(input, "var_mean")
    return x.var(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim=keepdim) if dim is not None \
        else x.mean()


def std_mean(input, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):  # noqa: A002
    x = as_input(input, "std_mean")
    return x.std(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim=keepdim) if dim is not None \
        else x.mean()


def count_nonzero(input, dim=None) -> Tensor:  # noqa: A002
    values = np.asarray(as_input(input, "count_nonzero").detach().numpy())
    return Tensor._wrap(np.asarray(np.count_nonzero(values, axis=dim)).astype(np.int64))


def logcumsumexp(input, dim: int) -> Tensor:  # noqa: A002
    """``log(cumsum(exp(x)))`` along ``dim``, shifted by the slice's maximum for stability."""
    x = as_input(input, "logcumsumexp")
    dim = checked_dim(dim, x.ndim)
    m = np.max(np.asarray(x.detach().numpy()), axis=dim, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return _out(tnp.log(tnp.cumsum(tnp.exp(x - m), axis=dim)) + m)


def bincount(input, weights=None, minlength: int = 0) -> Tensor:  # noqa: A002
    values = np.asarray(as_input(input, "bincount").detach().numpy())
    w = None if weights is None else np.asarray(weights.detach().numpy() if hasattr(weights, "detach") else weights)
    out = np.bincount(values, w, minlength)
    return Tensor._wrap(out.astype(np.int64) if w is None else out)


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False, side=None,  # noqa: A002
                 sorter=None) -> Tensor:
    side = side or ("right" if right else "left")
    seq = np.asarray(sorted_sequence.detach().numpy() if hasattr(sorted_sequence, "detach") else sorted_sequence)
    v = np.asarray(input.detach().numpy() if hasattr(input, "detach") else input)
    if seq.ndim == 1:
        out = np.searchsorted(seq, v, side=side)
    else:
        out = np.stack([np.searchsorted(s, vv, side=side) for s, vv in zip(seq.reshape(-1, seq.shape[-1]),
                                                                            v.reshape(-1, v.shape[-1]))])
        out = out.reshape(v.shape)
    return Tensor._wrap(out.astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    values = np.asarray(as_input(input, "histc").detach().numpy())
    lo, hi = (float(values.min()), float(values.max())) if min == max == 0 else (min, max)
    counts, _ = np.histogram(values, bins=bins, range=(lo, hi))
    return Tensor._wrap(counts.astype(values.dtype))


# ---- distances ---------------------------------------------------------------------------------------------------
def dist(input, other, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm of ``input - other``."""
    diff = tnp.ravel(as_input(input, "dist") - other)
    return _out(tnp.linalg.norm(diff, ord=p))


def cdist(x1, x2, p: float = 2.0, compute_mode=None) -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M)."""
    a, b = as_input(x1, "cdist"), as_input(x2, "cdist")
    diff = tnp.expand_dims(a, -2) - tnp.expand_dims(b, -3)
    return _out(tnp.linalg.norm(diff, ord=p, axis=-1))     # a zero distance has a zero gradient (the norm's)


NAMES = [n for n in dir() if not n.startswith("_") and callable(globals()[n]) and n not in (
    "annotations", "recast", "as_input", "checked_dim", "Tensor", "return_types")]
# the Tensor methods PyTorch has for these (x.tril(), x.narrow(1, 0, 2), ...)
METHODS = ("narrow", "select", "nonzero", "argwhere", "tril", "triu", "diagonal", "diag", "diag_embed", "trace",
           "kron", "cross", "roll", "rot90", "repeat_interleave", "tile", "unflatten", "take", "take_along_dim",
           "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan",
           "arcsinh", "arccosh", "arctanh", "log10", "trunc", "fix", "frac", "deg2rad", "rad2deg", "sinc",
           "signbit", "atan2", "arctan2", "hypot", "fmod", "logaddexp", "logaddexp2", "clamp_min", "clamp_max",
           "lerp", "addcmul", "addcdiv", "baddbmm", "addmm", "isclose", "median", "nanmedian", "count_nonzero",
           "logcumsumexp", "bincount", "histc", "dist")
