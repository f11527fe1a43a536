"""``tf.nn`` over turunan: the activations the next chapters reach for first, and the two cross-entropies with
logits (per example, no reduction, as TensorFlow's), over ``turunan.nn.functional.cross_entropy``."""

from __future__ import annotations

import numpy as _np

import turunan as _tn

from .._doors import lacking as _lacking
from .._doors import recast as _recast
from ..nn.functional import cross_entropy as _cross_entropy
from ._ops import ELEMENTWISE as _ELEMENTWISE
from ._ops import log_softmax, relu, softmax  # noqa: F401
from ._tensor import Tensor as _Tensor
from ._tensor import convert as _convert
from ._tensor import packed as _packed

sigmoid, tanh, softplus = _ELEMENTWISE["sigmoid"], _ELEMENTWISE["tanh"], _ELEMENTWISE["softplus"]



def _tensor(x):
    x = _packed(x)
    return x if isinstance(x, _tn.Tensor) else _Tensor(_convert(x))


def _class_axis_last(x, axis: int):
    return x if axis in (-1, len(x.shape) - 1) else _tn.moveaxis(x, axis, -1)


def softmax_cross_entropy_with_logits(labels, logits, axis: int = -1, name=None):
    """``-sum(labels * log_softmax(logits), axis)``: one value per example; ``labels`` are distributions.

    >>> import turunan.tensorflow as tf
    >>> round(float(softmax_cross_entropy_with_logits([[0.0, 1.0]], [[0.0, 0.0]])[0]), 4)
    0.6931
    """
    logits = _tensor(logits)
    labels = _tn.astype(_tensor(labels), logits.dtype)
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(f"labels and logits must have the same shape, got {tuple(labels.shape)} and "
                         f"{tuple(logits.shape)}")
    logits, labels = _class_axis_last(logits, axis), _class_axis_last(labels, axis)
    flat = _cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1, labels.shape[-1]),
                          reduction="none")
    return _recast(flat.reshape(tuple(logits.shape[:-1])), _Tensor)


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """``-log_softmax(logits)[label]`` per example; ``labels`` are integer class indices (one rank less).

    >>> import turunan.tensorflow as tf
    >>> round(float(sparse_softmax_cross_entropy_with_logits([1], [[0.0, 0.0]])[0]), 4)
    0.6931
    """
    logits = _tensor(logits)
    labels = _np.asarray(_tensor(labels)._d)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits takes integer labels, got {labels.dtype} "
                        "(cast them with tf.cast(labels, tf.int32))")
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"labels must have the shape of logits without its last axis: labels {labels.shape}, "
                         f"logits {tuple(logits.shape)}")
    depth = logits.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= depth):
        raise ValueError(f"Received a label value of {labels.max() if labels.max() >= depth else labels.min()} "
                         f"which is outside the valid range of [0, {depth}).")
    flat = _cross_entropy(logits.reshape(-1, depth), _np.asarray(labels.reshape(-1), _np.int64), reduction="none")
    return _recast(flat.reshape(labels.shape), _Tensor)


__getattr__ = _lacking(__name__, "TensorFlow")
