"""``tf.keras.metrics``: ``Mean`` and ``SparseCategoricalAccuracy``, running values over the batches of an epoch
(``update_state``, ``result``, ``reset_state``), as a hand-written training loop keeps them.

>>> m = Mean()
>>> m.update_state([1.0, 2.0]); m.update_state(6.0)
>>> float(m.result())
3.0
"""

from __future__ import annotations

import numpy as _np

from ..._doors import lacking as _lacking
from .._tensor import Tensor as _Tensor

__all__ = ["Metric", "Mean", "SparseCategoricalAccuracy"]


def _values(x) -> _np.ndarray:
    return _np.asarray(x._d if hasattr(x, "_d") else x, dtype=_np.float64)


class Metric:
    """A weighted running mean: ``total`` and ``count`` kept between ``update_state`` calls."""

    def __init__(self, name: str | None = None, dtype=None) -> None:
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    reset_states = reset_state

    def _add(self, values, sample_weight=None) -> None:
        values = _values(values).ravel()
        weight = _np.ones_like(values) if sample_weight is None else _np.broadcast_to(
            _values(sample_weight).ravel(), values.shape)
        self.total += float((values * weight).sum())
        self.count += float(weight.sum())

    def result(self) -> _Tensor:
        return _Tensor(_np.float32(self.total / self.count if self.count else 0.0))

    def __call__(self, *args, **kwargs) -> _Tensor:
        self.update_state(*args, **kwargs)
        return self.result()


class Mean(Metric):
    """The mean of every value given so far (``sample_weight`` weighs them)."""

    def update_state(self, values, sample_weight=None) -> None:
        self._add(values, sample_weight)


class SparseCategoricalAccuracy(Metric):
    """The fraction of examples whose largest score is at the integer label's index."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None) -> None:
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        scores, labels = _values(y_pred), _values(y_true)
        labels = labels.reshape(scores.shape[:-1])
        self._add(scores.argmax(-1) == labels, sample_weight)


__getattr__ = _lacking(__name__, "TensorFlow")
