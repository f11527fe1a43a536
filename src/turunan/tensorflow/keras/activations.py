"""``tf.keras.activations``: the activations a Dense layer names by string (``activation='relu'``)."""

from __future__ import annotations

import turunan as _tn

from ..._doors import lacking as _lacking
from ..._doors import recast as _recast
from .._ops import ELEMENTWISE as _ELEMENTWISE
from .._ops import relu as _relu
from .._ops import softmax as _softmax
from .._tensor import Tensor as _Tensor


def relu(x, alpha: float = 0.0, max_value=None, threshold: float = 0.0):
    """max(x, 0); with ``alpha`` a leaky slope below ``threshold``, with ``max_value`` a ceiling (Keras')."""
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return _relu(x)
    out = _tn.where(x >= threshold, x, alpha * (x - threshold))
    if max_value is not None:
        out = _tn.minimum(out, max_value)
    return _recast(out, _Tensor)


def sigmoid(x):
    return _ELEMENTWISE["sigmoid"](x)


def tanh(x):
    return _ELEMENTWISE["tanh"](x)


def softplus(x):
    return _ELEMENTWISE["softplus"](x)


def exponential(x):
    return _ELEMENTWISE["exp"](x)


def softmax(x, axis: int = -1):
    """Softmax along ``axis`` (the last by default, as Keras')."""
    return _softmax(x, axis)


def linear(x):
    """The identity (what ``activation=None`` means)."""
    return x


_BY_NAME = {f.__name__: f for f in (relu, sigmoid, tanh, softplus, exponential, softmax, linear)}


def get(identifier):
    """The activation ``identifier`` names (``'relu'``), ``linear`` for None, or the callable itself."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise ValueError(f"Unknown activation function: '{identifier}'. turunan's keras has "
                             f"{', '.join(sorted(_BY_NAME))}; pass a callable for any other") from None
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation) -> str:
    return getattr(activation, "__name__", repr(activation))


__getattr__ = _lacking(__name__, "TensorFlow")
