"""Shapes and views: reshape, view, transpose, broadcast, tile, concatenate and stack, split and flip; and a
(nested) list holding tensors, packed into one stacked Tensor.
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
from ._elementwise import array_of, astype, tensor_of

__all__ = [
    "shape_arg", "reshape", "view", "copy", "transpose", "permute", "swapaxes", "moveaxis", "expand_dims",
    "unsqueeze", "squeeze", "flatten", "ravel", "broadcast_to", "tile", "concatenate", "cat", "stack", "split",
    "flip", "SEQUENCES", "holds_tensor", "nested_values", "from_nested",
]


def shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return as_shape(shape)      # integers only: int(2.5) made x.repeat(2.5) or reshape(x, 2.0) quietly truncate


def reshape(x, *shape) -> Tensor:
    shape = shape_arg(shape)
    size = np.size(array_of(x))
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


def ravel(x) -> Tensor:
    return reshape(x, (-1,))


def broadcast_to(x, shape) -> Tensor:
    shape = shape_arg((shape,)) if not isinstance(shape, int) else (shape,)
    broadcast_shapes(np.shape(array_of(x)), shape)
    return apply(R.broadcast_to, x, shape=shape)


def concatenate(xs, axis: int = 0) -> Tensor:
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate needs at least one tensor")
    shapes = [np.shape(array_of(x)) for x in xs]
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


def split(x, indices_or_sections, axis: int = 0) -> list:
    """NumPy's split: a number of equal sections, or the indices to split at (NumPy's slicing: an index past the
    end gives an empty piece)."""
    x = tensor_of(x)
    shape = x.shape
    a = normalize_axis(axis, len(shape), "split")
    bounds = _split_bounds(shape[a], indices_or_sections)
    pre = (slice(None),) * a
    return [x[pre + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def flip(x, axis=None) -> Tensor:
    x = tensor_of(x)
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


def _stacked(obj, dtype):
    if isinstance(obj, Tensor):
        return astype(obj, dtype)       # recorded between float dtypes; to an integer, cut as astype does
    if type(obj) in SEQUENCES and holds_tensor(obj):
        return stack([_stacked(e, dtype) for e in obj])
    return np.asarray(obj, dtype=dtype)     # a constant part


def from_nested(obj, dtype=None) -> Tensor:
    """A (nested) list/tuple holding Tensors, as one Tensor recorded from its elements."""
    try:
        ref = np.asarray(nested_values(obj), dtype=dtype)     # NumPy's dtype and its error for ragged lists
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
