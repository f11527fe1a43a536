"""``mxnet.npx`` over turunan: ``set_np`` and the deep-learning operators MXNet keeps outside ``np``.

>>> from turunan.mxnet import np, npx
>>> npx.set_np()
>>> npx.relu(np.array([-1.0, 2.0]))
array([0., 2.])
"""

from __future__ import annotations

import types

import numpy as _onp

import turunan as _tn

from .._array import as_operand
from .._doors import adapt as _adapt
from .._doors import lacking as _lacking
from ._ndarray import ndarray as _ndarray
from ._ndarray import own as _own
from .context import cpu, current_context, gpu, num_gpus  # noqa: F401  (npx.cpu() etc. are MXNet's names)
from .numpy import random as _np_random

_np_semantics = True


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Turn on MXNet's NumPy semantics (turunan.mxnet always has them; kept so the chapter's line runs)."""
    global _np_semantics
    _np_semantics = True


def reset_np() -> None:
    global _np_semantics
    _np_semantics = False


def is_np_array() -> bool:
    return _np_semantics


def is_np_shape() -> bool:
    return _np_semantics


current_device = current_context

relu = _adapt(_tn.relu, _ndarray, "relu")
sigmoid = _adapt(_tn.sigmoid, _ndarray, "sigmoid")


def softmax(data, axis: int = -1):
    return _adapt(_tn.softmax, _ndarray)(data, axis)


def log_softmax(data, axis: int = -1):
    return _adapt(_tn.log_softmax, _ndarray)(data, axis)


def batch_dot(a, b, transpose_a: bool = False, transpose_b: bool = False):
    """Batched matrix product of 3-d arrays (the last two axes), as ``npx.batch_dot``."""
    if transpose_a:
        a = _tn.swapaxes(a, -1, -2)
    if transpose_b:
        b = _tn.swapaxes(b, -1, -2)
    return _adapt(_tn.matmul, _ndarray)(a, b)


def batch_flatten(data):
    """Flatten every axis but the first."""
    shape = _onp.shape(data._d if isinstance(data, _tn.Tensor) else as_operand(data, "batch_flatten"))
    if not shape:
        raise ValueError("batch_flatten: a 0-d array has no batch axis; give at least 1 dimension")
    return _own(_adapt(_tn.reshape, _ndarray)(data, (shape[0], -1)), data)     # an operator: a new array


def one_hot(data, depth: int, on_value: float = 1.0, off_value: float = 0.0, dtype=_onp.float32):
    """``on_value`` where a new last axis equals the integer ``data``, ``off_value`` elsewhere (not differentiable:
    it is data). An index outside [0, depth) gives a row of ``off_value``, as in MXNet."""
    idx = _onp.asarray(data._d if isinstance(data, _tn.Tensor) else data).astype(_onp.int64)
    out = _onp.where(idx[..., None] == _onp.arange(int(depth)), on_value, off_value).astype(dtype)
    return _ndarray(out)


def _array_of(x) -> _onp.ndarray:
    return _onp.asarray(x._d if isinstance(x, _tn.Tensor) else x)


def pick(data, index, axis: int = -1, mode: str = "clip", keepdims: bool = False):
    """``data``'s element at ``index`` along ``axis``, for each position of the other axes (``index`` has
    ``data``'s shape without ``axis``; float indices holding integers are fine, as MXNet's). ``mode='clip'``
    clips an index into range, ``'wrap'`` takes it modulo the axis' length.

    >>> from turunan.mxnet import np
    >>> pick(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, 0]))
    array([2., 3.])
    """
    if mode not in ("clip", "wrap"):
        raise ValueError(f"pick: mode must be 'clip' or 'wrap', got {mode!r}")
    shape = _onp.shape(_array_of(data))
    axis = axis % len(shape)
    idx = _array_of(index)
    if idx.dtype.kind == "f" and not _onp.all(idx == _onp.round(idx)):
        raise ValueError("pick: the indices must hold whole numbers")
    idx = idx.astype(_onp.int64)
    n = shape[axis]
    idx = _onp.clip(idx, 0, n - 1) if mode == "clip" else idx % n
    want = shape[:axis] + shape[axis + 1:]
    if idx.shape != want:
        if idx.size != int(_onp.prod(want)):
            raise ValueError(f"pick: index of shape {idx.shape} does not match data {shape} without axis {axis}")
        idx = idx.reshape(want)
    out = _adapt(_tn.take_along_axis, _ndarray)(data, _onp.expand_dims(idx, axis), axis)
    return out if keepdims else _adapt(_tn.squeeze, _ndarray)(out, axis)


def sequence_mask(data, sequence_length=None, use_sequence_length: bool = False, value: float = 0.0,
                  axis: int = 0):
    """``value`` at the steps of each sequence past its length: ``axis`` (0 or 1) is time, the other of the first
    two the batch; without ``use_sequence_length`` the data as it is.

    >>> from turunan.mxnet import np
    >>> sequence_mask(np.ones((2, 3)), np.array([1, 2]), True, axis=1)
    array([[1., 0., 0.],
           [1., 1., 0.]])
    """
    if _array_of(data).dtype.kind not in "biufc":      # numbers only, even where nothing is masked
        raise TypeError(f"sequence_mask: data must be an array of numbers, got {type(data).__name__} {data!r:.40}")
    if not use_sequence_length:
        return data
    if axis not in (0, 1):
        raise ValueError(f"sequence_mask: axis must be 0 or 1 (the time axis), got {axis}")
    shape = _onp.shape(_array_of(data))
    lengths = _array_of(sequence_length).reshape(-1)
    batch_axis = 1 - axis
    if lengths.shape[0] != shape[batch_axis]:
        raise ValueError(f"sequence_mask: {lengths.shape[0]} lengths for a batch of {shape[batch_axis]}")
    steps = _onp.arange(shape[axis])
    keep = steps[:, None] < lengths[None, :] if axis == 0 else steps[None, :] < lengths[:, None]
    keep = keep.reshape(keep.shape + (1,) * (len(shape) - 2))
    return _adapt(_tn.where, _ndarray)(keep, data, _onp.asarray(value, _array_of(data).dtype))


random = types.SimpleNamespace(seed=_np_random.seed)

__getattr__ = _lacking(__name__, "MXNet")
