"""``tf.keras.datasets``: the data sets Keras loads (``fashion_mnist``), from ``turunan.datasets``."""

from __future__ import annotations

from ...._doors import lacking as _lacking
from . import fashion_mnist

__all__ = ["fashion_mnist"]

__getattr__ = _lacking(__name__, "TensorFlow")
