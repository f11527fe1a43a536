"""``turunan.numpy.fft``: NumPy's discrete Fourier transforms, recorded."""

from __future__ import annotations

import numpy as _np


def __getattr__(name: str):
    if hasattr(_np.fft, name):
        raise AttributeError(f"turunan.numpy.fft has no rule for numpy.fft.{name} yet; call numpy.fft.{name} on "
                             ".detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy.fft' has no attribute {name!r}")
