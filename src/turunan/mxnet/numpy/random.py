"""``mxnet.np.random`` over turunan: seedable random ndarrays (float32), drawn from turunan's generator.

>>> from turunan.mxnet import np
>>> np.random.seed(0)
>>> np.random.normal().shape        # no size: a 0-d array, as in the chapter
()
"""

from __future__ import annotations

import numpy as _onp

import turunan as _tn

from ..._array import as_shape as _as_shape
from ..._doors import lacking as _lacking
from ..._doors import recast as _recast
from .._ndarray import ndarray as _ndarray


def _size(size) -> tuple:
    if size is None:
        return ()
    return _as_shape(size, "size")


def seed(seed: int, ctx="all") -> None:
    """Seed turunan's default generator (every door draws from it)."""
    _tn.manual_seed(seed)


def normal(loc=0.0, scale=1.0, size=None, dtype=None, ctx=None, out=None) -> _ndarray:
    return _recast(_tn.normal(loc, scale, _size(size), dtype), _ndarray)


def uniform(low=0.0, high=1.0, size=None, dtype=None, ctx=None, out=None) -> _ndarray:
    return _recast(_tn.uniform(low, high, _size(size), dtype), _ndarray)


def randn(*size, dtype=None) -> _ndarray:
    return normal(0.0, 1.0, size, dtype)


def rand(*size, dtype=None) -> _ndarray:
    return uniform(0.0, 1.0, size, dtype)


def randint(low, high=None, size=None, dtype=None, ctx=None, out=None) -> _ndarray:
    return _recast(_tn.randint(low, high, _size(size), dtype or _onp.int32), _ndarray)


def multinomial(n, pvals, size=None) -> _ndarray:
    """Counts of ``n`` draws over ``len(pvals)`` outcomes, shape ``size + (len(pvals),)``, int64 as MXNet's
    (D2L's coin tosses: ``multinomial(100, [0.5, 0.5])``)."""
    p = _onp.asarray(pvals.asnumpy() if hasattr(pvals, "asnumpy") else pvals, dtype=_onp.float64)
    counts = _tn.default_generator.rng.multinomial(int(n), p, size=None if size is None else _size(size))
    return _recast(_tn.tensor(_onp.asarray(counts, dtype=_onp.int64)), _ndarray)


def permutation(x) -> _ndarray:
    n = int(x) if isinstance(x, (int, _onp.integer)) else len(x)
    perm = _tn.default_generator.permutation(n)
    return _recast(perm, _ndarray) if isinstance(x, (int, _onp.integer)) else _recast(_tn.tensor(x)[perm], _ndarray)


__getattr__ = _lacking(__name__, "MXNet")
