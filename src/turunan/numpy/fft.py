"""``turunan.numpy.fft``: NumPy's discrete Fourier transforms, recorded, to any order.

The same names and arguments as ``numpy.fft`` (``n``, ``axis``/``axes``, ``s``, ``norm``), and ``numpy.fft.fft(t)`` on
a Tensor is recorded too. The transforms are linear: each reverse rule is a transform again (see
``turunan._rules_fft``). Complex gradients follow HIPS autograd's and JAX's convention.

>>> import numpy as np
>>> import turunan.numpy as tnp
>>> x = tnp.array([1.0, 2.0, 0.5, -1.0], requires_grad=True)
>>> power = tnp.sum(tnp.abs(tnp.fft.fft(x)) ** 2)      # Parseval: n * sum(x ** 2)
>>> power.backward()
>>> np.allclose(x.grad.numpy(), 2 * 4 * x.detach().numpy())
True
"""

from __future__ import annotations

import numpy as _np

from .. import _rules_fft as _f

fft, ifft, fft2, ifft2, fftn, ifftn = _f.fft_1d, _f.ifft_1d, _f.fft2, _f.ifft2, _f.fftn, _f.ifftn
rfft, irfft, rfft2, irfft2, rfftn, irfftn = _f.rfft_1d, _f.irfft_1d, _f.rfft2, _f.irfft2, _f.rfftn, _f.irfftn
hfft, ihfft, fftshift, ifftshift = _f.hfft, _f.ihfft, _f.fftshift, _f.ifftshift
fftfreq, rfftfreq = _np.fft.fftfreq, _np.fft.rfftfreq      # frequencies: plain arrays, no gradient


def __getattr__(name: str):
    if hasattr(_np.fft, name):
        raise AttributeError(f"turunan.numpy.fft has no rule for numpy.fft.{name} yet; call numpy.fft.{name} on "
                             ".detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy.fft' has no attribute {name!r}")
