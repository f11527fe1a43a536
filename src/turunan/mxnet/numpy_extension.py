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


random = types.SimpleNamespace(seed=_np_random.seed)

__getattr__ = _lacking(__name__, "MXNet")
