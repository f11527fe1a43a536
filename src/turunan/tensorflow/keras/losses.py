"""``tf.keras.losses``: ``MeanSquaredError``, ``MeanAbsoluteError``, ``SparseCategoricalCrossentropy``,
``CategoricalCrossentropy`` and ``BinaryCrossentropy`` (classes and functions).

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
from ...nn.functional import binary_cross_entropy_with_logits as _bce_with_logits
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


def mean_absolute_error(y_true, y_pred):
    """The mean of the absolute differences over the last axis: one value per example."""
    y_pred = _tensor(y_pred)
    return _recast(_tn.mean(_tn.abs(y_pred - _tensor(y_true, y_pred.dtype)), axis=-1), _Tensor)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1):
    """-sum(y_true * log p) over ``axis``: ``y_pred`` holds logits or probabilities (renormalised to sum 1, then
    clipped to [1e-7, 1 - 1e-7], as Keras 2 does); ``y_true`` one-hot or any distribution."""
    if label_smoothing:
        raise NotImplementedError("categorical_crossentropy(label_smoothing=...) is not in turunan's keras yet")
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}")
    if from_logits:
        logp = _log_softmax(y_pred, axis)
    else:
        p = y_pred / _tn.sum(y_pred, axis=axis, keepdims=True)
        logp = _tn.log(_tn.clip(p, EPSILON, 1.0 - EPSILON))
    return _recast(-_tn.sum(y_true * logp, axis=axis), _Tensor)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1):
    """The mean over ``axis`` of -(y log p + (1 - y) log(1 - p)): ``y_pred`` logits (the stable form) or
    probabilities (clipped to [1e-7, 1 - 1e-7], plus 1e-7 inside the logs, as Keras 2's backend)."""
    if label_smoothing:
        raise NotImplementedError("binary_crossentropy(label_smoothing=...) is not in turunan's keras yet")
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    if from_logits:
        per = _bce_with_logits(y_pred, y_true, reduction="none")
    else:
        p = _tn.clip(y_pred, EPSILON, 1.0 - EPSILON)
        per = -(y_true * _tn.log(p + EPSILON) + (1.0 - y_true) * _tn.log(1.0 - p + EPSILON))
    return _recast(_tn.mean(per, axis=axis), _Tensor)


MAE = mae = mean_absolute_error


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


class MeanAbsoluteError(Loss):
    """The mean of the absolute errors, averaged over the batch by default."""

    _align = True

    def __init__(self, reduction: str = "auto", name: str = "mean_absolute_error") -> None:
        super().__init__(reduction, name)

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)


class CategoricalCrossentropy(Loss):
    """The cross-entropy of one-hot (or soft) labels against logits (``from_logits=True``) or probabilities."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = "auto", name: str = "categorical_crossentropy") -> None:
        super().__init__(reduction, name)
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), float(label_smoothing), axis

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)


class BinaryCrossentropy(Loss):
    """The binary cross-entropy of 0/1 labels against logits (``from_logits=True``) or probabilities."""

    _align = True

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = "auto", name: str = "binary_crossentropy") -> None:
        super().__init__(reduction, name)
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), float(label_smoothing), axis

    def call(self, y_true, y_pred):
        return binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)


def get(identifier):
    """A loss from its name (``'mse'``, ``'sparse_categorical_crossentropy'``, a class name) or a callable."""
    if callable(identifier):
        return identifier
    table = {"mse": mean_squared_error, "mean_squared_error": mean_squared_error,
             "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
             "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
             "categorical_crossentropy": categorical_crossentropy, "binary_crossentropy": binary_crossentropy,
             "MeanAbsoluteError": MeanAbsoluteError, "CategoricalCrossentropy": CategoricalCrossentropy,
             "BinaryCrossentropy": BinaryCrossentropy,
             "MeanSquaredError": MeanSquaredError, "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy}
    if identifier not in table:
        raise ValueError(f"Unknown loss function: '{identifier}'")
    out = table[identifier]
    return out() if isinstance(out, type) else out


__getattr__ = _lacking(__name__, "TensorFlow")
