"""``mxnet.np.linalg`` over turunan: the norms (the rest raises AttributeError naming what is missing)."""

from __future__ import annotations

import turunan as _tn

from ..._doors import adapt as _adapt
from ..._doors import lacking as _lacking
from .._ndarray import ndarray as _ndarray

norm = _adapt(_tn.norm, _ndarray, "norm")

__getattr__ = _lacking(__name__, "MXNet")
