"""``turunan.numpy.linalg``: NumPy's linear algebra, recorded.

>>> import turunan.numpy as tnp
>>> float(tnp.linalg.norm(tnp.array([3.0, 4.0])))
5.0
"""

from __future__ import annotations

import numpy as _np

from .. import _ops

norm = _ops.norm


def __getattr__(name: str):
    if hasattr(_np.linalg, name):
        raise AttributeError(f"turunan.numpy.linalg has no rule for numpy.linalg.{name} yet; call numpy.linalg."
                             f"{name} on .detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy.linalg' has no attribute {name!r}")
