"""``tf.math`` over turunan: elementwise math and reductions under TensorFlow's names."""

from __future__ import annotations

from .._doors import lacking as _lacking
from ._ops import ELEMENTWISE as _ELEMENTWISE
from ._ops import REDUCTIONS as _REDUCTIONS
from ._ops import argmax, argmin, cumprod, cumsum, log_softmax, softmax  # noqa: F401

globals().update(_ELEMENTWISE)
globals().update(_REDUCTIONS)

__getattr__ = _lacking(__name__, "TensorFlow")
