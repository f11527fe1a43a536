"""Shapes and views: reshape, view, transpose, broadcast, tile, concatenate and stack, split and flip; and a
(nested) list holding tensors, packed into one stacked Tensor. NumPy's assembly functions (vstack, atleast_2d,
tril, rot90, array_split, ...) are compositions of these, for ``turunan.numpy``.
"""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from . import _array as _array_module
from . import _rules as R
from ._array import as_shape, broadcast_shapes, normalize_axes, normalize_axis
from ._core import Tensor, apply, apply1
from ._core import shares_memory as _core_shares_memory
from ._elementwise import array_of, astype, where

__all__ = [
    "shape_arg", "reshape", "view", "copy", "transpose", "permute", "swapaxes", "moveaxis", "expand_dims",
    "unsqueeze", "squeeze", "flatten", "ravel", "broadcast_to", "tile", "concatenate", "cat", "stack", "split",
    "flip", "SEQUENCES", "holds_tensor", "nested_values", "from_nested", "numpy_tensor", "atleast_1d", "atleast_2d",
    "atleast_3d", "vstack", "row_stack", "hstack", "dstack", "column_stack", "append", "broadcast_arrays", "tril",
    "triu", "fliplr", "flipud", "rot90", "array_split", "hsplit", "vsplit", "dsplit", "r_", "c_",
]


def shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return as_shape(shape)      # integers only: int(2.5) made x.repeat(2.5) or reshape(x, 2.0) quietly truncate


def reshape(x, *shape) -> Tensor:
    shape = shape_arg(shape)
    data = array_of(x)
    size = data.size if hasattr(data, "shape") else np.size(data)   # np.size would compute a Dask array
    if builtins.any(s < -1 for s in shape):
        # NumPy reads any negative size as "infer this one": reshape(x, (-2, 3)) gave (2, 3); PyTorch refuses it
        raise ValueError(f"reshape: invalid shape dimension {builtins.min(shape)} in {shape}: sizes are >= 0, "
                         "with at most one -1 (inferred)")
    try:
        np.broadcast_to(np.empty((), dtype=bool), (size,)).reshape(shape)
    except ValueError:
        raise ValueError(f"cannot reshape a tensor of shape {np.shape(array_of(x))} ({size} elements) into shape "
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
        n = np.ndim(array_of(x))
        axes = normalize_axes(axes if isinstance(axes, (tuple, list)) else (axes,), n, "transpose")
        if len(axes) != n:
            raise ValueError(f"transpose: axes {axes} must name every one of the {n} axes once (a permutation of "
                             f"{tuple(range(n))})")
    return apply(R.transpose, x, axes=axes)


def permute(x, *axes) -> Tensor:
    return transpose(x, shape_arg(axes))


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    n = np.ndim(array_of(x))
    a, b = normalize_axis(axis1, n, "swapaxes"), normalize_axis(axis2, n, "swapaxes")
    axes = list(range(n))
    axes[a], axes[b] = axes[b], axes[a]
    return apply(R.transpose, x, axes=tuple(axes))


def moveaxis(x, source, destination) -> Tensor:
    n = np.ndim(array_of(x))
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
    shape = list(np.shape(array_of(x)))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    for a in sorted(normalize_axes(axes, len(shape) + len(axes), "expand_dims")):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


unsqueeze = expand_dims


def squeeze(x, axis=None) -> Tensor:
    shape = np.shape(array_of(x))
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
    shape = np.shape(array_of(x))
    s = normalize_axis(start_dim, builtins.max(len(shape), 1), "flatten")
    e = normalize_axis(end_dim, builtins.max(len(shape), 1), "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (for {len(shape)} "
                         "dimensions); give start_dim <= end_dim")
    if not shape:
        return reshape(x, (1,))
    return reshape(x, shape[:s] + (-1,) + shape[e + 1:])


def ravel(x, order: str = "C") -> Tensor:
    """The elements in one axis, in C order (last axis fastest); ``order="F"`` reads the first axis fastest."""
    if order not in ("C", "F", "A", "K"):
        raise ValueError(f"ravel: order must be one of 'C', 'F', 'A', 'K', got {order!r}")
    return reshape(transpose(x) if order == "F" else x, (-1,))


def broadcast_to(x, shape) -> Tensor:
    shape = shape_arg((shape,)) if not isinstance(shape, int) else (shape,)
    broadcast_shapes(np.shape(array_of(x)), shape)
    return apply(R.broadcast_to, x, shape=shape)


def _constant_beside(x, dev):
    """A constant piece of a concatenation (a number, a NumPy array, a Tensor made of them: ``r_[x, 0.5]``,
    ``diff(x, prepend=0.5)``) moved next to the device array ``dev``; anything else (a Tensor that is differentiated,
    or holds a device array already) as it is."""
    if isinstance(x, Tensor):
        if x.requires_grad or x._tangents or type(x._d) is not np.ndarray:
            return x
        return Tensor._wrap(_array_module.beside(x._d, dev))
    return _array_module.beside(x, dev) if isinstance(x, (np.ndarray, np.generic, int, float)) else x


def concatenate(xs, axis: int = 0) -> Tensor:
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate needs at least one tensor")
    datas = [array_of(x) for x in xs]
    shapes = [np.shape(d) for d in datas]
    nd = len(shapes[0])
    if axis is None:
        return concatenate([ravel(x) for x in xs], 0)
    if nd == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated (they have no axis); use stack, or "
                         "reshape them to 1-d first")
    a = normalize_axis(axis, nd, "concatenate")
    dev = None if all(type(d) is np.ndarray for d in datas) else \
        next((d for d in datas if _array_module.is_foreign(d)), None)
    if dev is not None:     # constants given with device (CuPy) arrays join them on the device
        xs = [_constant_beside(x, dev) for x in xs]
    for s in shapes:
        if len(s) != nd or s[:a] + s[a + 1:] != shapes[0][:a] + shapes[0][a + 1:]:
            raise ValueError(f"concatenate along axis {axis}: shapes {shapes} must agree except on that axis")
    return apply(R.concatenate, *xs, axis=a, sizes=tuple(s[a] for s in shapes))


cat = concatenate


def stack(xs, axis: int = 0) -> Tensor:
    xs = list(xs)
    if not xs:
        raise ValueError("stack needs at least one tensor")
    shapes = {np.shape(array_of(x)) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    a = normalize_axis(axis, np.ndim(array_of(xs[0])) + 1, "stack")     # an axis of the result
    return concatenate([expand_dims(x, a) for x in xs], a)


def tile(x, reps) -> Tensor:
    """NumPy's tile (PyTorch's ``repeat``): ``x`` repeated ``reps[i]`` times along each axis; broadcast then
    reshape, so the gradient is the sum over the copies."""
    reps = as_shape(reps, "tile: reps")      # integers only: int("a") and a float's iteration leaked out
    shape = np.shape(array_of(x))
    d = builtins.max(len(reps), len(shape))
    reps, shape = (1,) * (d - len(reps)) + reps, (1,) * (d - len(shape)) + shape
    spread = reshape(x, builtins.sum(((1, s) for s in shape), ()))
    spread = broadcast_to(spread, builtins.sum(((r, s) for r, s in zip(reps, shape)), ()))
    out = reshape(spread, tuple(r * s for r, s in zip(reps, shape)))
    if isinstance(x, Tensor) and _core_shares_memory(out._d, x._d):
        out = copy(out)     # reps of all ones reshape back to a view: NumPy's tile (and PyTorch's repeat) copy
    return out


def _split_bounds(n: int, indices_or_sections, equal: bool = True) -> list:
    """Where ``split`` cuts an axis of size ``n``: ``k`` equal sections, or at the given indices; with
    ``equal=False`` (array_split) the first ``n % k`` sections are one longer."""
    if isinstance(indices_or_sections, (bool, np.bool_)):
        raise TypeError(f"split: the number of sections must be an integer, got the bool {indices_or_sections}")
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"split: the number of sections must be a positive integer, got {k}")
        if n % k and equal:
            raise ValueError(f"split: an axis of size {n} does not divide into {k} equal sections; use "
                             "array_split for sections of unequal size")
        each, extra = divmod(n, k)
        return [i * each + builtins.min(i, extra) for i in range(k + 1)]
    if isinstance(indices_or_sections, numbers.Number) or (isinstance(indices_or_sections, (np.ndarray, Tensor))
                                                           and np.ndim(array_of(indices_or_sections)) == 0):
        raise ValueError(f"split: the number of sections must be a whole number, got {indices_or_sections!r}; "
                         "give an int, or a list of indices to split at")
    if isinstance(indices_or_sections, (str, bytes)) or not hasattr(indices_or_sections, "__iter__"):
        raise TypeError(f"split: give a number of sections or a list of indices, got "
                        f"{type(indices_or_sections).__name__} {indices_or_sections!r}")
    cuts = []
    for i in array_of(indices_or_sections) if isinstance(indices_or_sections, Tensor) else indices_or_sections:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise ValueError(f"split: the indices to split at must be integers, got {i!r} in "
                             f"{indices_or_sections!r}")
        cuts.append(int(i))
    return [0, *cuts, n]


def split(x, indices_or_sections, axis: int = 0, *, _equal: bool = True) -> list:
    """NumPy's split: a number of equal sections, or the indices to split at (NumPy's slicing: an index past the
    end gives an empty piece)."""
    x = numpy_tensor(x)
    shape = x.shape
    a = normalize_axis(axis, len(shape), "split")
    bounds = _split_bounds(shape[a], indices_or_sections, _equal)
    pre = (slice(None),) * a
    return [x[pre + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def array_split(x, indices_or_sections, axis: int = 0) -> list:
    """NumPy's array_split: as ``split``, but ``k`` sections need not be equal (the first ones are longer)."""
    return split(x, indices_or_sections, axis, _equal=False)


def _split_along(name: str, axis_of, least: int, along: str):
    def split_at(x, indices_or_sections) -> list:
        x = numpy_tensor(x)
        if x.ndim < least:
            raise ValueError(f"{name} only works on arrays of {least} or more dimensions, got {x.ndim}-d")
        return split(x, indices_or_sections, axis_of(x.ndim))
    split_at.__name__ = split_at.__qualname__ = name
    split_at.__doc__ = f"NumPy's {name}: ``split`` along {along}."
    return split_at


hsplit = _split_along("hsplit", lambda nd: 1 if nd > 1 else 0, 1, "the second axis (the first, for 1-d)")
vsplit = _split_along("vsplit", lambda nd: 0, 2, "the first axis")
dsplit = _split_along("dsplit", lambda nd: 2, 3, "the third axis")


def flip(x, axis=None) -> Tensor:
    x = numpy_tensor(x)
    n = x.ndim
    axes = range(n) if axis is None else normalize_axes(axis, n, "flip")
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(n))]


# ---- lists of Tensors ------------------------------------------------------------------------------------
# A (nested) list or tuple that holds a Tensor, given where one tensor goes (tn.exp([x, 2 * x]), tf.reshape([x,
# y], ...)), is one recorded Tensor stacked from its elements, as HIPS autograd, JAX and TensorFlow pack it:
# NumPy reading it would make a constant and silently cut the gradient (the doors' tensors let NumPy read them).
# The core converts every operand that is not a Tensor in one place, _array.as_operand, which calls
# _pack_sequence (registered below: _array may not import upward). turunan.numpy uses the same helpers.
SEQUENCES = (list, tuple)


def holds_tensor(obj) -> bool:
    for e in obj:
        if isinstance(e, Tensor) or (type(e) in SEQUENCES and holds_tensor(e)):
            return True
    return False


def nested_values(obj):
    """``obj`` with each Tensor replaced by its array: what NumPy would have built, for its dtype and shape."""
    if isinstance(obj, Tensor):
        return obj._d
    if type(obj) in SEQUENCES:
        return [nested_values(e) for e in obj]
    return obj


def _stand_ins(obj):
    if isinstance(obj, Tensor):
        return np.zeros(obj.shape, obj.dtype)
    return [_stand_ins(e) for e in obj] if type(obj) in SEQUENCES else obj


def _stacked(obj, dtype):
    if isinstance(obj, Tensor):
        return astype(obj, dtype)       # recorded between float dtypes; to an integer, cut as astype does
    if type(obj) in SEQUENCES and holds_tensor(obj):
        return stack([_stacked(e, dtype) for e in obj])
    return np.asarray(obj, dtype=dtype)     # a constant part


def from_nested(obj, dtype=None) -> Tensor:
    """A (nested) list/tuple holding Tensors, as one Tensor recorded from its elements."""
    try:    # NumPy's dtype and its error for ragged lists, from stand-ins of each tensor's shape and dtype (the
        # values themselves may be batched, inside vmap)
        ref = np.asarray(_stand_ins(obj), dtype=dtype)
    except ValueError as e:
        raise ValueError(f"cannot make one array of this list of tensors: {e}") from None
    if ref.dtype.kind not in "biufc":
        raise TypeError(f"cannot make an array of a list that holds tensors and non-numbers (NumPy would make it "
                        f"{ref.dtype}); give numbers, tensors and arrays of one shape")
    out = _stacked(obj, ref.dtype)
    return out if isinstance(out, Tensor) else Tensor._wrap(out)


def _pack_sequence(obj):
    """``obj`` (a list or tuple) as one recorded Tensor if it holds a Tensor, else None (_array.as_operand's hook)."""
    return from_nested(obj) if holds_tensor(obj) else None


_array_module.pack_sequence = _pack_sequence


# ---- NumPy's assembly functions (turunan.numpy), composed from the rows above ------------------------------
def numpy_tensor(x) -> Tensor:
    """``x`` as a Tensor by NumPy's dtype rules (``1.5`` is float64, as ``numpy.asarray`` makes it; the top
    level's ``tensor_of`` follows PyTorch's float32); a list holding tensors is packed and recorded."""
    if isinstance(x, Tensor):
        return x
    v = _array_module.as_operand(x, "turunan.numpy")
    return v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v))


def _at_least(ndim: int, place):
    def promote(*arys):
        out = []
        for a in arys:
            a = numpy_tensor(a)
            out.append(a if a.ndim >= ndim else reshape(a, place(a.shape)))
        return out[0] if len(out) == 1 else tuple(out)
    promote.__name__ = promote.__qualname__ = f"atleast_{ndim}d"
    promote.__doc__ = f"NumPy's atleast_{ndim}d: each input viewed with at least {ndim} dimensions (recorded)."
    return promote


atleast_1d = _at_least(1, lambda s: (1,))
atleast_2d = _at_least(2, lambda s: (1,) * (2 - len(s)) + s)
atleast_3d = _at_least(3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])


def _sequence(tup, op: str) -> list:
    if not isinstance(tup, (list, tuple)):
        raise TypeError(f"{op}: arrays to stack must be passed as a list or tuple, got {type(tup).__name__}")
    return list(tup)


def _cast(arrs: list, dtype) -> list:
    """NumPy's ``dtype=`` of the stacking functions: every input cast first (recorded between float dtypes)."""
    return arrs if dtype is None else [astype(a, dtype) for a in arrs]


def vstack(tup, *, dtype=None, casting: str = "same_kind") -> Tensor:
    """NumPy's vstack: the inputs as rows (1-d inputs become rows), concatenated along the first axis."""
    return concatenate(_cast([atleast_2d(a) for a in _sequence(tup, "vstack")], dtype), 0)


row_stack = vstack


def hstack(tup, *, dtype=None, casting: str = "same_kind") -> Tensor:
    """NumPy's hstack: concatenated along the second axis (the first, for 1-d inputs)."""
    arrs = _cast([atleast_1d(a) for a in _sequence(tup, "hstack")], dtype)
    return concatenate(arrs, 0 if arrs and arrs[0].ndim == 1 else 1)


def dstack(tup) -> Tensor:     # NumPy's dstack takes no dtype=
    """NumPy's dstack: concatenated along the third axis (inputs promoted by atleast_3d)."""
    return concatenate([atleast_3d(a) for a in _sequence(tup, "dstack")], 2)


def column_stack(tup) -> Tensor:
    """NumPy's column_stack: 1-d inputs as columns, 2-d as they are, concatenated along the second axis."""
    cols = [numpy_tensor(a) for a in _sequence(tup, "column_stack")]
    return concatenate([c if c.ndim >= 2 else reshape(c, (-1, 1)) for c in cols], 1)


def append(arr, values, axis=None) -> Tensor:
    """NumPy's append: ``values`` after ``arr`` along ``axis`` (both flattened when ``axis`` is None)."""
    arr, values = numpy_tensor(arr), numpy_tensor(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


def broadcast_arrays(*args) -> tuple:
    """NumPy's broadcast_arrays: every input broadcast to their common shape (recorded)."""
    ts = [numpy_tensor(a) for a in args]
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(broadcast_to(t, shape) for t in ts)


def _triangle(name: str, keep):
    def tri(m, k: int = 0) -> Tensor:
        m = numpy_tensor(m)
        if m.ndim == 0:
            raise ValueError(f"{name}: the input must be at least 1-d (a matrix, or a stack of them), got a 0-d value")
        mask = _array_module.beside(keep(m.shape[-2:], int(k)), m)     # on the device for a CuPy m
        return where(mask, m, np.zeros((), m.dtype))
    tri.__name__ = tri.__qualname__ = name
    tri.__doc__ = (f"NumPy's {name}: the {'lower' if name == 'tril' else 'upper'} triangle of each matrix (from the "
                   f"``k``-th diagonal), zeros elsewhere; recorded as a where, so the gradient is zero off it.\n\n"
                   f"    >>> import turunan.numpy as tnp\n    >>> tnp.{name}(tnp.ones((2, 2))).sum()\n"
                   f"    tensor(3., dtype=turunan.float64)\n    ")
    return tri


# where(mask, m, 0) keeps the gradient on the kept triangle and gives 0 elsewhere; a 1-d input broadcasts as rows
tril = _triangle("tril", lambda shape, k: np.tri(*shape, k=k, dtype=bool))
triu = _triangle("triu", lambda shape, k: ~np.tri(*shape, k=k - 1, dtype=bool))


def fliplr(m) -> Tensor:
    """NumPy's fliplr: reverse the second axis (the input must be at least 2-d)."""
    m = numpy_tensor(m)
    if m.ndim < 2:
        raise ValueError(f"fliplr: the input must be at least 2-d, got {m.ndim}-d")
    return flip(m, 1)


def flipud(m) -> Tensor:
    """NumPy's flipud: reverse the first axis (the input must be at least 1-d)."""
    m = numpy_tensor(m)
    if m.ndim < 1:
        raise ValueError("flipud: the input must be at least 1-d, got a 0-d value")
    return flip(m, 0)


def rot90(m, k: int = 1, axes=(0, 1)) -> Tensor:
    """NumPy's rot90: rotate by 90 degrees ``k`` times in the plane of ``axes``, from the first toward the
    second; flips and a swap of axes, so the gradient is the inverse rotation."""
    m = numpy_tensor(m)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must name 2 axes, got {axes!r}")
    if m.ndim < 2:
        raise ValueError(f"rot90: the input must be at least 2-d, got {m.ndim}-d")
    a, b = normalize_axis(axes[0], m.ndim, "rot90"), normalize_axis(axes[1], m.ndim, "rot90")
    if a == b:
        raise ValueError(f"rot90: the two axes must differ, got {axes!r}")
    k = int(k) % 4
    if k == 0:
        return copy(m)
    if k == 2:
        return flip(m, (a, b))
    return swapaxes(flip(m, b), a, b) if k == 1 else flip(swapaxes(m, a, b), b)


class _Concatenator:
    """NumPy's ``r_`` and ``c_``: ``r_[x, 0.0, 1:4]`` concatenates tensors, numbers and ranges (a slice is an
    ``arange``, or a ``linspace`` for a complex step ``5j``), recorded; a leading string ``"axis"`` or
    ``"axis,ndmin[,trans1d]"`` sets the axis, the least number of dimensions and where a promoted 1-d input goes."""

    def __init__(self, axis: int, ndmin: int, trans1d: int):
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key) -> Tensor:
        key = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if key and isinstance(key[0], str):
            try:    # "axis", "axis,ndmin" or "axis,ndmin,trans1d": the values not given keep their defaults
                given = [int(v) for v in key[0].split(",")]
                axis, ndmin, trans1d = (given + [ndmin, trans1d][len(given) - 1:])[:3]
            except ValueError:
                raise ValueError(f"r_/c_: unknown directive {key[0]!r}; give 'axis' or 'axis,ndmin[,trans1d]' (the "
                                 "matrix directives 'r' and 'c' are not supported)") from None
            key = key[1:]
        parts, kinds = [], []
        for item in key:
            if isinstance(item, str):
                raise ValueError(f"r_/c_: a directive string must come first, got {item!r} later")
            scalar = isinstance(item, (int, float, complex, bool, np.generic))
            if isinstance(item, slice):
                item = self._range(item)
            t = numpy_tensor(item)
            kinds.append(item if scalar else t.dtype)
            parts.append(self._promoted(t, ndmin, trans1d))
        dtype = np.result_type(*kinds)
        return concatenate([p if p.dtype == dtype else astype(p, dtype) for p in parts], axis)

    @staticmethod
    def _range(item: slice) -> np.ndarray:
        start = 0 if item.start is None else item.start
        step = 1 if item.step is None else item.step
        if isinstance(step, (complex, np.complexfloating)):
            return np.linspace(start, item.stop, int(abs(step)))
        return np.arange(start, item.stop, step)

    @staticmethod
    def _promoted(t: Tensor, ndmin: int, trans1d: int) -> Tensor:
        """``t`` with at least ``ndmin`` dims: its own axes start at ``trans1d`` (-1: last), the new ones around."""
        missing = ndmin - t.ndim
        if missing <= 0:
            return t
        out = reshape(t, (1,) * missing + t.shape)
        if trans1d == -1:
            return out
        start = trans1d + missing + 1 if trans1d < 0 else trans1d
        order = list(range(missing, ndmin))
        axes = list(range(missing))
        return transpose(out, tuple(axes[:start] + order + axes[start:]))


r_ = _Concatenator(0, 1, -1)
c_ = _Concatenator(-1, 2, 0)
