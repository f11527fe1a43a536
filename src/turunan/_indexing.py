"""Indexing: ``x[index]``, take, take_along_axis, and the sorts that gather by index (argsort, sort, topk); NumPy's
gathers for ``turunan.numpy`` (diagonal, diag, repeat, roll, pad, select, partition, put_along_axis).

An advanced index (integer arrays, masks) is recorded as a gather, so its gradient is a scatter-add. Writing
through an index (``x[index] = v``) is an in-place change: ``turunan._inplace.setitem``.
"""

from __future__ import annotations

import numpy as np

from . import _batching
from . import _rules as R
from ._array import as_result, is_foreign, is_lazy, normalize_axis, zeros
from ._batched import BatchedArray, BatchingError
from ._core import Primitive, Tensor, apply
from ._elementwise import array_of, astype, clip, tensor_of, where
from ._reductions import sum as _sum
from ._shapes import broadcast_to, moveaxis, numpy_tensor, ravel, reshape
from ._shapes import copy as _shapes_copy

__all__ = ["unwrap_index", "getitem", "take", "take_along_axis", "argsort", "sort", "topk", "diagonal", "trace", "diag",
           "repeat", "roll", "pad", "select", "argpartition", "partition", "put_along_axis", "searchsorted", "unique",
           "nonzero", "numpy_where", "numpy_clip"]


def unwrap_index(index):
    """Unwrap Tensors in an index; report whether it is basic (slices/ints: no element repeats)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for i in index:
        if type(i) is int or type(i) is slice:
            out.append(i)
            continue
        if isinstance(i, Tensor):
            i = i._d
        if type(i) is BatchedArray:     # one index array per example (inside vmap): advanced indexing
            if i.dtype == bool:
                raise BatchingError("vmap: a boolean mask that differs between examples gives results of different "
                                    "shapes; use turunan.where(mask, x, 0) instead of x[mask]")
            basic = False
            out.append(i)
            continue
        if type(i) is not np.ndarray and is_foreign(i):     # a CuPy or Dask index array
            if i.dtype == bool:
                if is_lazy(i):
                    raise NotImplementedError(
                        "indexing with a boolean mask held in a Dask array: the result's shape depends on the "
                        "mask's values, which Dask does not know until it computes them; compute the mask first "
                        "(mask.compute()), or keep the shape with turunan.where(mask, x, 0)")
                out.extend(np.nonzero(i))
            else:
                out.append(i)
            basic = False
            continue
        if isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu":
            i = int(i)      # a 0-d integer array indexes like an integer (NumPy, PyTorch): a view, not a copy
        if isinstance(i, (list, np.ndarray, range)):    # a range as NumPy reads it (Dask takes arrays only)
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
    if not basic and is_lazy(x) and any(getattr(i, "ndim", 1) > 1 for i in idx if not isinstance(i, slice)):
        return _lazy_nd_gather(x, idx)
    return apply(R.getitem, x, index=idx, basic=basic)


def _lazy_nd_gather(x, idx: tuple) -> Tensor:
    """``x[..., index, ...]`` with an index array of two or more dimensions on a Dask array, which indexes with
    one-dimensional arrays only: gathered with the raveled index, then reshaped (NumPy's result, the same graph)."""
    if idx[-1] is Ellipsis:         # x[index, ...]: the same as x[index]
        idx = idx[:-1]
    arrays = [p for p, i in enumerate(idx) if not isinstance(i, slice)]
    if len(arrays) != 1 or any(i is Ellipsis for i in idx):
        raise NotImplementedError("indexing a Dask array with an integer array of two or more dimensions next to "
                                  "other index arrays or an Ellipsis: Dask indexes with one-dimensional index "
                                  "arrays only; index with index.ravel() and reshape the result")
    p = arrays[0]
    index = idx[p]
    flat = apply(R.getitem, x, index=idx[:p] + (index.ravel(),) + idx[p + 1:], basic=False)
    return reshape(flat, flat.shape[:p] + index.shape + flat.shape[p + 1:])


def _along(shape: tuple, indices: np.ndarray, axis: int) -> tuple:
    """The advanced index that picks ``indices`` along ``axis`` (NumPy's take_along_axis, broadcasting)."""
    nd = len(shape)
    return tuple(indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(shape))


def take_along_axis(x, indices, axis: int) -> Tensor:
    """NumPy's take_along_axis: ``out[..., i, ...] = x[..., indices[..., i, ...], ...]`` along ``axis``.

    An advanced ``getitem``, so its gradient is a scatter-add (repeated indices accumulate). With ``axis=None``
    both are flattened, as NumPy's.
    """
    if axis is None:
        if np.ndim(array_of(indices)) != 1:
            raise ValueError("take_along_axis: with axis=None the indices must be 1-d (they index the flattened x)")
        x, axis = ravel(numpy_tensor(x)), 0
    idx = array_of(indices)
    idx = idx if type(idx) is BatchedArray or is_foreign(idx) else np.asarray(idx)     # a CuPy index stays
    shape = np.shape(array_of(x)) if not isinstance(x, Tensor) else x.shape
    if idx.ndim != len(shape):
        raise ValueError(f"take_along_axis: indices of {idx.ndim} dims for a tensor of {len(shape)} dims")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got {idx.dtype}")
    return getitem(x, _along(shape, idx, normalize_axis(axis, len(shape), "take_along_axis")))


def take(x, indices, axis=None, mode: str = "raise") -> Tensor:
    """NumPy's take: the slices at ``indices`` along ``axis``; with ``axis=None`` (NumPy's and PyTorch's
    default) the elements of the flattened tensor. ``mode`` 'wrap' or 'clip' brings indices out of range back
    in, as NumPy's. Gradient: scatter-add."""
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis(axis, np.ndim(array_of(x)), "take")
    idx = array_of(indices)
    idx = idx if is_foreign(idx) else np.asarray(idx)      # a CuPy index stays on the device
    if mode != "raise":
        n = np.shape(array_of(x))[axis]
        if mode not in ("wrap", "clip"):
            raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
        idx = idx % n if mode == "wrap" else np.clip(idx, 0, n - 1)
    return getitem(x, (slice(None),) * axis + (idx,))


def argsort(x, axis: int = -1, descending: bool = False) -> Tensor:
    """Indices that sort ``x`` along ``axis``, stable (equal elements keep their order; NaN sorts as largest).

    No gradient (integer output)."""
    a = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(array_of(x)))
    if axis is None:
        a, axis = ravel(a), 0
    if a.ndim:
        axis = normalize_axis(axis, a.ndim, "argsort")
    return astype(apply(R.NONDIFF["argsort"], a, axis=axis, descending=bool(descending)), np.int64)


def sort(x, axis: int = -1, descending: bool = False) -> Tensor:
    """The values of ``x`` sorted along ``axis`` (stable; flattened if None); the gradient goes back to each
    value's place."""
    x, axis = _flat_if_none(x, axis)
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


# ---- NumPy's gathers (turunan.numpy): diagonals, repeats, rolls, padding, selections ------------------------
# Each is an advanced getitem (gradient: scatter-add) or a write into constants (index_update), so no new rows.
def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """NumPy's diagonal: the ``offset`` diagonal of the planes ``axis1``, ``axis2``, as the last axis.

    >>> import turunan.numpy as tnp
    >>> tnp.diagonal(tnp.arange(9.0).reshape(3, 3), 1)
    tensor([1., 5.], dtype=turunan.float64)
    """
    a = numpy_tensor(a)
    if a.ndim < 2:
        raise ValueError(f"diagonal: the input must be at least 2-d, got {a.ndim}-d")
    i, j = normalize_axis(axis1, a.ndim, "diagonal"), normalize_axis(axis2, a.ndim, "diagonal")
    if i == j:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same axis ({axis1}, {axis2})")
    moved = moveaxis(a, (i, j), (-2, -1))
    offset = int(offset)
    return apply(R.diagonal, moved, offset=offset)      # a view of a's memory, as PyTorch's diagonal


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """NumPy's trace: the sum along a diagonal (of each plane ``axis1``, ``axis2``)."""
    return _sum(diagonal(a, offset, axis1, axis2), -1)


def diag(v, k: int = 0) -> Tensor:
    """NumPy's diag: the ``k``-th diagonal of a matrix, or a square matrix with a vector on its ``k``-th diagonal
    (a scatter of the vector into zeros; its gradient is the diagonal of the cotangent)."""
    v = numpy_tensor(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"diag: the input must be 1-d (to build a matrix) or 2-d (to take a diagonal), got {v.ndim}-d")
    k = int(k)
    n = v.shape[0] + abs(k)
    steps = np.arange(v.shape[0])
    return apply(R.scatter_add, v, shape=(n, n), index=(steps + max(-k, 0), steps + max(k, 0)), basic=False)


def repeat(a, repeats, axis=None) -> Tensor:
    """NumPy's repeat: each element (each slice along ``axis``; of the flattened input if None) ``repeats``
    times; the gradient sums the copies."""
    a = numpy_tensor(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.ndim, "repeat")
    counts = array_of(repeats, "repeat")
    if np.asarray(counts).dtype.kind not in "iu":
        raise TypeError(f"repeat: repeats must be integers, got {repeats!r}")
    return take(a, np.repeat(np.arange(a.shape[axis]), counts), axis)


def roll(a, shift, axis=None) -> Tensor:
    """NumPy's roll: elements shifted by ``shift`` along ``axis`` (of the flattened input if None), those that
    fall off one end coming back at the other."""
    a = numpy_tensor(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    if shifts.ndim > 1 or shifts.dtype.kind not in "iu" or axes.dtype.kind not in "iu":
        raise ValueError(f"roll: shift and axis must be integers or 1-d sequences of them, got {shift!r}, {axis!r}")
    total = dict.fromkeys(range(a.ndim), 0)
    for s, ax in zip(shifts.ravel(), axes.ravel()):
        total[normalize_axis(int(ax), a.ndim, "roll")] += int(s)
    out = a
    for ax, s in total.items():
        n = a.shape[ax]
        if n and s % n:
            out = take(out, (np.arange(n) - s) % n, ax)
    return out if out is not a else _shapes_copy(a)


_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(array, pad_width, mode: str = "constant", **kwargs) -> Tensor:
    """NumPy's pad, for the modes that copy values: ``constant`` (the input written into a constant array) and
    ``edge``, ``reflect``, ``symmetric``, ``wrap`` (gathers of the input's own elements)."""
    x = numpy_tensor(array)
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a {x.ndim}-d input: give one int, (before, "
                         "after), or one (before, after) pair per axis") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must not be negative, got {pad_width!r}")
    if mode == "constant":
        fill = kwargs.pop("constant_values", 0)
        if kwargs or isinstance(fill, Tensor):
            raise TypeError(f"pad: mode 'constant' takes constant_values (numbers) only, got {sorted(kwargs) or fill}")
        base = np.pad(zeros(x.shape, x.dtype, like=x), widths.tolist(), constant_values=fill)    # x's array type
        inside = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
        return apply(R.index_update, base, x, index=inside)
    if mode not in _GATHER_MODES:
        raise NotImplementedError(f"pad: mode {mode!r} is not supported on tensors; use one of 'constant', "
                                  f"{', '.join(repr(m) for m in _GATHER_MODES)}")
    if kwargs.get("reflect_type", "even") != "even" or set(kwargs) - {"reflect_type"}:
        raise NotImplementedError(f"pad: mode {mode!r} supports only reflect_type='even', got {kwargs}")
    out = x
    for ax, (before, after) in enumerate(widths):
        if before or after:
            out = take(out, np.pad(np.arange(x.shape[ax]), (int(before), int(after)), mode=mode), ax)
    return out


def select(condlist, choicelist, default=0) -> Tensor:
    """NumPy's select: from ``choicelist``, the first whose condition holds, else ``default`` (wheres)."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions but {len(choicelist)} choices; give one of each")
    if not len(condlist):
        raise ValueError("select: condlist must not be empty")
    out = default
    for i in reversed(range(len(condlist))):
        cond = array_of(condlist[i], "select")
        kind = cond.dtype if hasattr(cond, "dtype") else np.asarray(cond).dtype     # a batched array has one too
        if kind != np.bool_:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean, got {kind}")
        out = where(condlist[i], choicelist[i], out)
    return numpy_tensor(out)


def _flat_if_none(a, axis):
    a = numpy_tensor(a)
    return (ravel(a), 0) if axis is None else (a, axis)


def argpartition(a, kth, axis=-1, kind: str = "introselect", order=None) -> Tensor:
    """NumPy's argpartition: indices that put the ``kth`` element(s) where a sort would (no gradient)."""
    if order is not None:
        raise TypeError("argpartition: order= (fields of structured arrays) does not apply to tensors")
    a, axis = _flat_if_none(a, axis)
    return apply(_ARGPARTITION, a, kth=kth, axis=normalize_axis(axis, a.ndim, "argpartition"), kind=kind)


def _argpartition(x, kth, axis, kind):
    return np.argpartition(x, kth, axis=axis, kind=kind)


# no gradient, so no row of the derivative table (as turunan.numpy's isclose); vmap moves its axis past the batch
_ARGPARTITION = Primitive("argpartition", _argpartition, batch=_batching.along_axis(_argpartition))


def partition(a, kth, axis=-1, kind: str = "introselect", order=None) -> Tensor:
    """NumPy's partition: the ``kth`` element(s) in sorted place, smaller ones before, larger after; the
    gradient goes back to each value's place."""
    a, axis = _flat_if_none(a, axis)
    return take_along_axis(a, argpartition(a, kth, axis, kind, order), axis)


def put_along_axis(arr, indices, values, axis, inplace: bool = True) -> Tensor:
    """``arr`` with ``values`` written at ``indices`` along ``axis`` (NumPy's put_along_axis), as a new Tensor.

    JAX's convention: NumPy's own writes in place, which a function of this module cannot do to its input, so
    ``inplace=False`` must be given (the default raises rather than silently leave ``arr`` unchanged). Where an
    index repeats, the last write wins, as in NumPy, and only that value gets the gradient.
    """
    if inplace:
        raise ValueError("put_along_axis: turunan.numpy returns the result instead of changing arr in place; pass "
                         "inplace=False and use the returned tensor (JAX's convention)")
    arr, axis = _flat_if_none(arr, axis)
    index, picked, shape = _last_writes(arr.shape, indices, axis)
    values = ravel(broadcast_to(numpy_tensor(values), shape))
    return apply(R.index_update, arr, getitem(values, picked), index=index)


def _last_writes(shape: tuple, indices, axis: int):
    """The advanced index of take_along_axis, kept to each element's last write; and which writes those are."""
    idx = np.asarray(array_of(indices, "put_along_axis"))
    if idx.ndim != len(shape) or idx.dtype.kind not in "iu":
        raise ValueError(f"put_along_axis: indices must be integers with as many dims as arr ({len(shape)}), "
                         f"got {idx.dtype} of {idx.ndim} dims")
    full = np.broadcast_arrays(*_along(shape, idx, normalize_axis(axis, len(shape), "put_along_axis")))
    flat = np.ravel_multi_index(tuple(np.where(i < 0, i + n, i) for i, n in zip(full, shape)), shape)
    _, first_from_end = np.unique(flat.ravel()[::-1], return_index=True)
    picked = flat.size - 1 - first_from_end
    return tuple(i.ravel()[picked] for i in full), picked, flat.shape


def searchsorted(a, v, side: str = "left", sorter=None) -> Tensor:
    """NumPy's searchsorted: where ``v`` would be inserted into sorted ``a`` (integers, no gradient)."""
    return Tensor._wrap(_on_device(np.searchsorted(array_of(a), array_of(v), side=side,
                                                   sorter=None if sorter is None else array_of(sorter))))


def _on_device(a):
    """A result of data-dependent size as a tensor holds it: a CuPy array as it is; a Dask one computed (its shape
    is unknown until then), anything else as a NumPy array."""
    return np.asarray(a) if is_lazy(a) else as_result(a)


def unique(ar, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis=None, *, equal_nan: bool = True):
    """NumPy's unique: the sorted distinct values (and the arrays asked for), without gradient: which values
    are distinct changes in jumps, so no derivative exists."""
    out = np.unique(array_of(ar), return_index, return_inverse, return_counts, axis, equal_nan=equal_nan)
    return tuple(Tensor._wrap(_on_device(o)) for o in out) if isinstance(out, tuple) else Tensor._wrap(out)


def nonzero(a) -> tuple:
    """NumPy's nonzero: the indices of the nonzero elements, one integer tensor per axis (no gradient)."""
    d = array_of(a, "nonzero")
    return tuple(Tensor._wrap(i) for i in np.nonzero(d if is_foreign(d) and not is_lazy(d) else np.asarray(d)))


def numpy_where(condition, x=None, y=None):
    """NumPy's where: ``x`` where ``condition`` holds, else ``y`` (recorded); with the condition alone, its
    ``nonzero`` indices."""
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither (for the indices where the condition holds)")
    return where(condition, x, y)


def numpy_clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None) -> Tensor:
    """NumPy's clip signature (``a_min``/``a_max`` or ``min``/``max``); a missing bound of an integer input
    keeps it integer (the top level's clip fills it with an infinity, a float)."""
    if out is not None:
        raise TypeError("clip(..., out=...) is not supported on tensors; use the returned tensor")
    a = numpy_tensor(a)
    lo, hi = (a_min if min is None else min), (a_max if max is None else max)
    if a.dtype.kind in "iu" and (lo is None) != (hi is None):
        info = np.iinfo(a.dtype)
        lo, hi = (info.min if lo is None else lo), (info.max if hi is None else hi)
    return clip(a, lo, hi)
