"""``mxnet.random`` over turunan: ``seed`` and the legacy samplers (all from turunan's generator).

>>> from turunan import mxnet
>>> mxnet.random.seed(42)
>>> mxnet.random.normal(shape=(2,)).shape
(2,)
"""

from __future__ import annotations

from .._doors import lacking as _lacking
from ._ndarray import ndarray
from .numpy import random as _np_random

seed = _np_random.seed


def normal(loc=0.0, scale=1.0, shape=(), dtype=None, ctx=None, out=None) -> ndarray:
    return _np_random.normal(loc, scale, shape, dtype)


def uniform(low=0.0, high=1.0, shape=(), dtype=None, ctx=None, out=None) -> ndarray:
    return _np_random.uniform(low, high, shape, dtype)


def randint(low, high, shape=(), dtype=None, ctx=None, out=None) -> ndarray:
    return _np_random.randint(low, high, shape, dtype)


__getattr__ = _lacking(__name__, "MXNet")
