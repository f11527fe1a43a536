"""The chapter in TensorFlow's style: ``import turunan.tensorflow as tf``.

A thin naming layer over turunan's one engine (no derivative math here). ``tf.Variable``s are watched by a
``tf.GradientTape`` automatically, other tensors through ``tape.watch``; only what a recording tape watches
is recorded; ``tape.gradient`` sums a non-scalar target; a non-persistent tape answers once; nested tapes
give higher derivatives.

>>> import turunan.tensorflow as tf
>>> x = tf.range(4, dtype=tf.float32)
>>> x
<tf.Tensor: shape=(4,), dtype=float32, numpy=array([0., 1., 2., 3.], dtype=float32)>
>>> x = tf.Variable(x)
>>> with tf.GradientTape() as t:
...     y = 2 * tf.tensordot(x, x, axes=1)
>>> t.gradient(y, x)
<tf.Tensor: shape=(4,), dtype=float32, numpy=array([ 0.,  4.,  8., 12.], dtype=float32)>
"""

from __future__ import annotations

import numpy as _np

import turunan as _tn

from .._array import as_shape as _as_shape
from .._array import normalize_axis as _normalize_axis
from .._doors import lacking as _lacking
from .._doors import recast as _recast
from . import linalg, math, nn, random
from ._ops import (
                        ELEMENTWISE as _ELEMENTWISE,
)
from ._ops import (
                        REDUCTIONS as _REDUCTIONS,
)
from ._ops import (
                        argmax,
                        argmin,
                        boolean_mask,
                        cast,
                        clip_by_value,
                        cumsum,
                        einsum,
                        eye,
                        matmul,
                        norm,
                        tensordot,
                        where,
)
from ._tape import GradientTape, UnconnectedGradients
from ._tensor import Tensor, Variable
from ._tensor import convert as _convert
from ._tensor import packed as _packed
from ._tensor import read as _read

# ---- dtypes (NumPy's, under TensorFlow's names) -------------------------------------------------------------
float16, float32, float64 = _np.dtype(_np.float16), _np.dtype(_np.float32), _np.dtype(_np.float64)
half, double = float16, float64
int8, int16, int32, int64 = _np.dtype(_np.int8), _np.dtype(_np.int16), _np.dtype(_np.int32), _np.dtype(_np.int64)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)  # noqa: A001  (tf.bool)
newaxis = None

globals().update(_ELEMENTWISE)
globals().update(_REDUCTIONS)


# ---- creating tensors ----------------------------------------------------------------------------------------
def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """An immutable tensor (float32 for Python floats, int32 for Python ints); ``shape`` fills or reshapes."""
    arr = _np.array(_convert(value, dtype), copy=True)
    if shape is not None:
        shape = tuple(shape)
        arr = _np.full(shape, arr) if arr.size == 1 else arr.reshape(shape)
    return Tensor(arr)


def convert_to_tensor(value, dtype=None, name=None) -> Tensor:
    """``value`` as a tf.Tensor (a tf.Tensor of the same dtype is returned as is)."""
    if isinstance(value, Tensor) and not isinstance(value, Variable) and (dtype is None or value.dtype == dtype):
        return value
    if isinstance(value, Variable):
        value = _read(value)    # a snapshot: assigning the variable later leaves it as it is (TF's immutability)
        return value if dtype is None else cast(value, dtype)
    value = _packed(value)      # TensorFlow packs a list of tensors (recorded)
    if isinstance(value, _tn.Tensor):
        return _recast(value if dtype is None else _tn.astype(value, dtype), Tensor)
    return Tensor(_convert(value, dtype))


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """Like Python's range, as a tensor: ``tf.range(4, dtype=tf.float32)`` is [0., 1., 2., 3.]."""
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, limit, delta))
        dtype = _np.float32 if floats else _np.int32
    return Tensor(_np.arange(start, limit, delta, dtype=dtype))


def zeros(shape, dtype=_np.float32, name=None) -> Tensor:
    return Tensor(_np.zeros(_shape(shape), dtype))


def ones(shape, dtype=_np.float32, name=None) -> Tensor:
    return Tensor(_np.ones(_shape(shape), dtype))


def fill(dims, value, name=None) -> Tensor:
    """``value`` everywhere in shape ``dims``; recorded when ``value`` is a watched tensor (TensorFlow's Fill has a
    gradient for its value: the sum of the incoming gradient)."""
    value = _packed(value)
    if isinstance(value, _tn.Tensor):
        return _recast(_tn.copy(_tn.broadcast_to(value, _shape(dims))), Tensor)
    return Tensor(_np.full(_shape(dims), _convert(value)))


def zeros_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.zeros_like(_np.asarray(input), dtype=dtype))


def ones_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.ones_like(_np.asarray(input), dtype=dtype))


def linspace(start, stop, num: int, name=None, axis: int = 0) -> Tensor:
    return Tensor(_np.linspace(start, stop, int(num), dtype=_np.float32, axis=axis))


def _shape(shape) -> tuple:
    if isinstance(shape, _tn.Tensor):
        shape = shape._d.tolist()
    return _as_shape(shape)


# ---- shapes --------------------------------------------------------------------------------------------------
def reshape(tensor, shape, name=None) -> Tensor:
    return _recast(_tn.reshape(tensor, _shape(shape)), Tensor)


def transpose(a, perm=None, conjugate: bool = False, name=None) -> Tensor:
    return _recast(_tn.transpose(a, None if perm is None else tuple(perm)), Tensor)


def expand_dims(input, axis: int, name=None) -> Tensor:  # noqa: A002
    return _recast(_tn.expand_dims(input, axis), Tensor)


def squeeze(input, axis=None, name=None) -> Tensor:  # noqa: A002
    return _recast(_tn.squeeze(input, axis), Tensor)


def concat(values, axis: int, name="concat") -> Tensor:
    return _recast(_tn.concatenate(values, axis), Tensor)


def stack(values, axis: int = 0, name="stack") -> Tensor:
    return _recast(_tn.stack(values, axis), Tensor)


def split(value, num_or_size_splits, axis: int = 0, num=None, name="split") -> list:
    """Split into ``num_or_size_splits`` equal parts, or parts of the listed sizes."""
    if isinstance(num_or_size_splits, (int, _np.integer)):
        return _recast(_tn.split(value, int(num_or_size_splits), axis), Tensor)
    bounds = list(_np.cumsum(num_or_size_splits)[:-1])
    return _recast(_tn.split(value, bounds, axis), Tensor)


def shape(input, out_type=_np.int32, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.array(_np.shape(_np.asarray(input)), dtype=out_type))


def size(input, out_type=_np.int32, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.array(_np.size(_np.asarray(input)), dtype=out_type))


def rank(input, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.array(_np.ndim(_np.asarray(input)), dtype=_np.int32))


def one_hot(indices, depth: int, on_value=None, off_value=None, axis=None, dtype=_np.float32, name=None) -> Tensor:
    """``on_value`` where the new axis (``axis``, last by default) equals ``indices``, ``off_value`` elsewhere (data,
    not differentiable). An index outside [0, depth) gives a row of ``off_value``, as in TensorFlow."""
    idx = _np.asarray(indices._d if isinstance(indices, _tn.Tensor) else indices).astype(_np.int64)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    out = _np.where(idx[..., None] == _np.arange(int(depth)), on, off).astype(dtype)
    if axis is not None:
        out = _np.moveaxis(out, -1, _normalize_axis(axis, out.ndim, "one_hot"))
    return Tensor(out)


# ---- the graph -----------------------------------------------------------------------------------------------
def stop_gradient(input, name=None) -> Tensor:  # noqa: A002
    """The same value, cut from the tape: no gradient flows through it."""
    return _recast(input.detach() if isinstance(input, _tn.Tensor) else constant(input), Tensor)


def identity(input, name=None) -> Tensor:  # noqa: A002
    """A new tf.Tensor with ``input``'s value (recorded): never the Variable itself, and it keeps its value when
    the variable is assigned later (``old = tf.identity(w); ...; w - old``)."""
    if isinstance(input, _tn.Tensor):
        return _read(input)
    return convert_to_tensor(input)


def is_tensor(x):
    """True for a tf.Tensor or tf.Variable."""
    return isinstance(x, Tensor)


__all__ = sorted(n for n in globals() if not n.startswith("_"))

__getattr__ = _lacking(__name__, "TensorFlow")
