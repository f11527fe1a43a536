"""``tf.keras.losses``: ``MeanSquaredError`` and ``SparseCategoricalCrossentropy`` (classes and functions).

Called as Keras' are, ``loss(y_true, y_pred, sample_weight=None)`` (the truth first), recorded on the tapes like
any op. Keras 2's rules: a per-example loss (MSE: the mean over the last axis; the cross-entropy: one value per
label), then the reduction: ``'sum_over_batch_size'`` (``'auto'``, the default: the sum over the number of
per-example values), ``'sum'`` or ``'none'``. Where ``y_pred`` has one axis more than ``y_true`` and it has size 1
(or the other way round), that axis is squeezed first, as Keras does (so (n,) targets and (n, 1) outputs match).
"""

from __future__ import annotations

import numpy as _np

import turunan as _tn

from ..._doors import lacking as _lacking
from ..._doors import recast as _recast
from .._ops import log_softmax as _log_softmax
from .._tensor import Tensor as _Tensor
from .._tensor import convert as _convert

_REDUCTIONS = ("auto", "none", "sum", "sum_over_batch_size")
EPSILON = 1e-7      # Keras' backend.epsilon(): probabilities are clipped to [eps, 1 - eps]


def _tensor(x, dtype=None):
    if isinstance(x, _tn.Tensor):
        return x if dtype is None or x.dtype == dtype else _tn.astype(x, dtype)
    return _Tensor(_convert(x, dtype))


def _squeeze_or_expand(y_pred, y_true):
    """Keras' squeeze_or_expand_dimensions: squeeze a trailing axis of size 1 where the ranks differ by one."""
    rp, rt = len(y_pred.shape), len(y_true.shape)
    if rp == rt + 1 and y_pred.shape[-1] == 1:
        y_pred = _tn.squeeze(y_pred, -1)
    elif rt == rp + 1 and y_true.shape[-1] == 1:
        y_true = _tn.squeeze(y_true, -1)
    return y_pred, y_true


def mean_squared_error(y_true, y_pred):
    """The mean of the squared differences over the last axis: one value per example."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    try:
        diff = y_pred - y_true
    except ValueError as e:
        raise ValueError(f"mean_squared_error: y_true of shape {tuple(y_true.shape)} and y_pred of shape "
                         f"{tuple(y_pred.shape)} do not broadcast ({e})") from None
    return _recast(_tn.mean(diff * diff, axis=-1), _Tensor)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False, axis: int = -1, ignore_class=None):
    """-log p[label], one value per label: ``y_pred`` holds logits (``from_logits=True``) or probabilities
    (clipped to [1e-7, 1 - 1e-7], then renormalised, as Keras 2 does), classes along ``axis`` (the last)."""
    if ignore_class is not None:
        raise NotImplementedError("sparse_categorical_crossentropy(ignore_class=...) is not in turunan's keras yet")
    y_pred = _tensor(y_pred)
    if axis not in (-1, len(y_pred.shape) - 1):
        y_pred = _tn.moveaxis(y_pred, axis, -1)
    if len(y_pred.shape) < 1:
        raise ValueError("sparse_categorical_crossentropy: y_pred needs a class axis, got a scalar")
    labels = _np.asarray(y_true._d if isinstance(y_true, _tn.Tensor) else y_true)
    if labels.dtype.kind == "f":
        if not _np.all(_np.isfinite(labels)) or not _np.all(labels == _np.round(labels)):
            raise ValueError("sparse_categorical_crossentropy: labels must be whole numbers (class indices), got "
                             f"{labels.ravel()[:5]}")
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"sparse_categorical_crossentropy: labels must be integers, got dtype {labels.dtype}")
    outer, classes = tuple(y_pred.shape[:-1]), y_pred.shape[-1]
    if labels.size != int(_np.prod(outer)):
        raise ValueError(f"`labels.shape` must equal `logits.shape` except for the last dimension. Received: "
                         f"labels.shape={labels.shape} and logits.shape={tuple(y_pred.shape)}")
    labels = labels.astype(_np.int64).reshape(outer)
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        raise ValueError(f"Received a label value of {labels[bad].ravel()[0]} which is outside the valid range of "
                         f"[0, {classes}).")
    if not from_logits:
        y_pred = _tn.log(_tn.clip(y_pred, EPSILON, 1.0 - EPSILON))
    logp = _log_softmax(y_pred, -1)
    picked = _tn.take_along_axis(logp, labels[..., None], axis=-1)
    return _recast(-_tn.squeeze(picked, -1), _Tensor)


MSE = mse = mean_squared_error


class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-example losses; ``__call__`` weights and reduces them."""

    _align = False      # squeeze a trailing axis of size 1 where the ranks differ by one (Keras' function wrappers)

    def __init__(self, reduction: str = "auto", name: str | None = None) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid Reduction Key: {reduction}. Expected keys are \"{_REDUCTIONS}\"")
        self.reduction = reduction
        self.name = name

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred)
        if self._align:
            y_true = _tensor(y_true, y_pred.dtype)
            y_pred, y_true = _squeeze_or_expand(y_pred, y_true)
        losses = _tensor(self.call(y_true, y_pred))
        losses = _tn.astype(losses, y_pred.dtype) if losses.dtype != y_pred.dtype else losses
        if sample_weight is not None:
            weight = _tensor(sample_weight, losses.dtype)
            if len(weight.shape) == len(losses.shape) + 1 and weight.shape[-1] == 1:
                weight = _tn.squeeze(weight, -1)
            losses = losses * weight
        if self.reduction == "none":
            return _recast(losses, _Tensor)
        total = _tn.sum(losses)
        if self.reduction == "sum":
            return _recast(total, _Tensor)
        return _recast(total / max(1, int(_np.prod(losses.shape))), _Tensor)

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "name": self.name}


class MeanSquaredError(Loss):
    """The mean of the squared errors (no 1/2 factor), averaged over the batch by default."""

    _align = True

    def __init__(self, reduction: str = "auto", name: str = "mean_squared_error") -> None:
        super().__init__(reduction, name)

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)


class SparseCategoricalCrossentropy(Loss):
    """The cross-entropy of integer labels against logits (``from_logits=True``) or probabilities."""

    def __init__(self, from_logits: bool = False, ignore_class=None, reduction: str = "auto",
                 name: str = "sparse_categorical_crossentropy") -> None:
        super().__init__(reduction, name)
        self.from_logits = bool(from_logits)
        self.ignore_class = ignore_class
        if ignore_class is not None:
            raise NotImplementedError("SparseCategoricalCrossentropy(ignore_class=...) is not in turunan's keras yet")

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, from_logits=self.from_logits)

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits, "ignore_class": self.ignore_class}


def get(identifier):
    """A loss from its name (``'mse'``, ``'sparse_categorical_crossentropy'``, a class name) or a callable."""
    if callable(identifier):
        return identifier
    table = {"mse": mean_squared_error, "mean_squared_error": mean_squared_error,
             "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
             "MeanSquaredError": MeanSquaredError, "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy}
    if identifier not in table:
        raise ValueError(f"Unknown loss function: '{identifier}'")
    out = table[identifier]
    return out() if isinstance(out, type) else out


__getattr__ = _lacking(__name__, "TensorFlow")
