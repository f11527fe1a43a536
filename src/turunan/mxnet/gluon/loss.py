"""``mxnet.gluon.loss``: losses as blocks, one value per example (MXNet 1.x, ``python/mxnet/gluon/loss.py``).

Every loss averages over all axes but ``batch_axis`` (0), so ``loss(pred, label)`` has shape ``(batch,)``;
``weight`` scales it and ``sample_weight`` (broadcast against the loss before the average) weighs elements.
A per-example loss given to ``backward()`` is summed (the MXNet door's rule), and ``Trainer.step(batch_size)``
divides by the batch size, which together make the mean; D2L takes ``.mean()`` and calls ``step(1)`` instead.

- ``L2Loss``: ``0.5 * (pred - label)²`` (``weight / 2`` times the square), ``label`` reshaped to ``pred``'s
  shape first (``reshape_like``), so a label of shape ``(n,)`` against a prediction ``(n, 1)`` is fine.
- ``L1Loss``: ``|pred - label|``.
- ``SoftmaxCrossEntropyLoss(axis=-1, sparse_label=True, from_logits=False)``: ``-log_softmax(pred)[label]``
  (``pick``) for class-index labels, ``-sum(label * log_softmax(pred))`` for dense ones; labels may be float
  arrays holding class indices, as MXNet's usually are.

>>> from turunan.mxnet import np
>>> L2Loss()(np.array([[1.0], [3.0]]), np.array([0.0, 1.0]))
array([0.5, 2. ])
"""

from __future__ import annotations

import numpy as _onp

from ... import _ops as ops
from ..._doors import lacking as _lacking
from ..._doors import recast
from ...nn.functional import binary_cross_entropy_with_logits as _bce_with_logits
from .._ndarray import MXNetError, ndarray
from .block import Block

__all__ = ["Loss", "L2Loss", "L1Loss", "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "SigmoidBinaryCrossEntropyLoss",
           "SigmoidBCELoss"]


def _reshape_like(label, pred):
    if not isinstance(label, ndarray):
        label = ndarray(_onp.asarray(label, dtype=pred.dtype))
    if label.shape == pred.shape:
        return label
    if label.size != pred.size:
        raise MXNetError(f"reshape_like: label of shape {label.shape} cannot take the shape of pred "
                         f"{pred.shape}")
    return label.reshape(pred.shape)


class Loss(Block):
    """The base class: ``weight`` (a scalar factor) and ``batch_axis`` (the axis kept)."""

    def __init__(self, weight=None, batch_axis: int = 0, prefix: str | None = None, params=None) -> None:
        super().__init__(prefix, params)
        self._weight = weight
        self._batch_axis = batch_axis

    def _finish(self, loss, sample_weight, weight):
        if sample_weight is not None:
            loss = loss * sample_weight
        if weight is not None:
            loss = loss * weight
        axes = tuple(a for a in range(loss.ndim) if a != self._batch_axis % max(loss.ndim, 1))
        if axes:
            loss = ops.mean(loss, axis=axes)
        return recast(loss, ndarray)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"


class L2Loss(Loss):
    """``weight/2 * (pred - label)²``, averaged per example (``weight`` 1 by default)."""

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def forward(self, pred, label, sample_weight=None):
        label = _reshape_like(label, pred)
        return self._finish(ops.square(label - pred), sample_weight, self._weight / 2)


class L1Loss(Loss):
    """``weight * |pred - label|``, averaged per example."""

    def __init__(self, weight=None, batch_axis: int = 0, **kwargs) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def forward(self, pred, label, sample_weight=None):
        label = _reshape_like(label, pred)
        return self._finish(ops.abs(label - pred), sample_weight, self._weight)


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of ``softmax(pred)`` with class indices (``sparse_label=True``) or distributions."""

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False, weight=None,
                 batch_axis: int = 0, **kwargs) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis, self._sparse_label, self._from_logits = axis, sparse_label, from_logits

    def forward(self, pred, label, sample_weight=None):
        logp = pred if self._from_logits else ops.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            idx = label.asnumpy() if isinstance(label, ndarray) else _onp.asarray(label)
            if idx.dtype.kind == "f":
                if not _onp.all(_onp.isfinite(idx) & (idx == _onp.round(idx))):
                    raise MXNetError("SoftmaxCrossEntropyLoss: sparse labels must be whole class indices")
            idx = idx.astype(_onp.int64)
            axis = self._axis % logp.ndim
            depth = logp.shape[axis]
            if idx.size and (idx.min() < 0 or idx.max() >= depth):
                raise MXNetError(f"SoftmaxCrossEntropyLoss: a label is outside the {depth} classes "
                                 f"(got {idx.min()}..{idx.max()})")
            # pick(logp, label, axis, keepdims=True): the label array lacks the class axis
            idx = _onp.expand_dims(idx.reshape(logp.shape[:axis] + logp.shape[axis + 1:]), axis)
            loss = -ops.take_along_axis(logp, idx, axis)
        else:
            label = _reshape_like(label, logp)
            loss = -ops.sum(logp * label, axis=self._axis, keepdims=True)
        return self._finish(loss, sample_weight, self._weight)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy of ``sigmoid(pred)`` (``from_sigmoid=False``, stable form) with 0/1 labels."""

    def __init__(self, from_sigmoid: bool = False, weight=None, batch_axis: int = 0, **kwargs) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def forward(self, pred, label, sample_weight=None):
        label = _reshape_like(label, pred)
        if not self._from_sigmoid:   # the core's stable form, element by element
            loss = _bce_with_logits(pred, label, reduction="none")
        else:
            eps = 1e-12
            loss = -(ops.log(pred + eps) * label + ops.log(1.0 - pred + eps) * (1.0 - label))
        return self._finish(loss, sample_weight, self._weight)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


__getattr__ = _lacking(__name__, "MXNet")
