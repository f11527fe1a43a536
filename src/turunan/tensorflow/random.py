"""``tf.random`` over turunan: seedable normal and uniform tensors (turunan's generator).

>>> import turunan.tensorflow as tf
>>> tf.random.set_seed(0)
>>> tf.random.normal(shape=()).shape
()
"""

from __future__ import annotations

import numpy as _np

import turunan as _tn

from .._array import as_shape as _as_shape
from .._doors import lacking as _lacking
from .._doors import recast as _recast
from ._tensor import Tensor as _Tensor


def _shape(shape) -> tuple:
    return _as_shape(shape)


def set_seed(seed: int) -> None:
    """Seed turunan's default generator (every door draws from it)."""
    _tn.manual_seed(seed)


def normal(shape, mean=0.0, stddev=1.0, dtype=_np.float32, seed=None, name=None) -> _Tensor:
    gen = _tn.Generator(seed) if seed is not None else None
    return _recast(_tn.normal(mean, stddev, _shape(shape), dtype, generator=gen), _Tensor)


def uniform(shape, minval=0, maxval=None, dtype=_np.float32, seed=None, name=None) -> _Tensor:
    """Uniform in [minval, maxval) (maxval 1 for floats); an integer dtype needs maxval."""
    gen = _tn.Generator(seed) if seed is not None else None
    if _np.dtype(dtype).kind in "iu":
        if maxval is None:
            raise ValueError("Must specify maxval for integer dtype")
        return _recast(_tn.randint(minval, maxval, _shape(shape), dtype, gen), _Tensor)
    return _recast(_tn.uniform(minval, 1.0 if maxval is None else maxval, _shape(shape), dtype, generator=gen),
                   _Tensor)


def shuffle(value, seed=None, name=None) -> _Tensor:
    gen = _tn.Generator(seed) if seed is not None else _tn.default_generator
    perm = gen.permutation(len(value))
    return _recast(value[perm] if isinstance(value, _tn.Tensor) else _tn.tensor(value)[perm], _Tensor)


__getattr__ = _lacking(__name__, "TensorFlow")
