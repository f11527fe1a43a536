"""``tf.nn`` over turunan: the activations the next chapters reach for first."""

from __future__ import annotations

from .._doors import lacking as _lacking
from ._ops import ELEMENTWISE as _ELEMENTWISE
from ._ops import log_softmax, relu, softmax  # noqa: F401

sigmoid, tanh, softplus = _ELEMENTWISE["sigmoid"], _ELEMENTWISE["tanh"], _ELEMENTWISE["softplus"]

__getattr__ = _lacking(__name__, "TensorFlow")
