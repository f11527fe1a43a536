"""``turunan.scipy.signal``: SciPy's ``signal.convolve``, differentiable in both inputs (HIPS autograd's
``autograd.scipy.signal.convolve``, JAX's ``jax.scipy.signal.convolve``).

SciPy computes the values (``method='auto'``, ``'direct'`` or ``'fft'``, as SciPy's); the reverse rule for one
input correlates the cotangent (zero-padded to the full convolution's shape) with the other input, so
derivatives of any order come for free (see ``turunan._rules_fft``). SciPy is an optional extra: without it, a
call raises ImportError saying ``pip install 'turunan[scipy]'``.

>>> import turunan as tn
>>> from turunan.scipy.signal import convolve
>>> x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> convolve(x, tn.tensor([1.0, -1.0])).sum().backward()     # every output sums x_i * (1 - 1)
>>> x.grad
tensor([0., 0., 0.])
"""

from __future__ import annotations

from .._rules_fft import signal_convolve as convolve

__all__ = ["convolve"]
