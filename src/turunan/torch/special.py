"""``torch.special``: PyTorch's names over ``turunan.scipy.special`` (its kernels are SciPy's: the ``scipy``
extra) and the core's functions.

>>> import turunan.torch as torch
>>> torch.special.expit(torch.tensor([0.0]))
tensor([0.5000])
"""

from __future__ import annotations

import importlib

from .. import numpy as tnp
from .._doors import lacking, recast
from ._functions import as_input
from ._tensor import Tensor


def _scipy_special():
    try:
        return importlib.import_module("turunan.scipy.special")
    except ImportError as e:
        raise ImportError(f"torch.special's functions here are turunan.scipy.special's, which need SciPy: "
                          f"pip install 'turunan[scipy]' ({e})") from None


def _named(name: str):
    def op(input, *, out=None):  # noqa: A002  (PyTorch's parameter name)
        if out is not None:
            raise TypeError(f"turunan.torch.special.{name} does not support out=")
        x = as_input(input, name)           # a bad input is refused before SciPy is needed
        return recast(getattr(_scipy_special(), name)(x), Tensor)
    op.__name__ = name
    op.__doc__ = f"torch.special.{name} (turunan.scipy.special.{name})."
    return op


(erf, erfc, erfinv, erfcinv, expit, gammaln, digamma, psi, i0, i1, ndtr, ndtri, log_ndtr, entr) = (
    _named(n) for n in ("erf", "erfc", "erfinv", "erfcinv", "expit", "gammaln", "digamma", "psi", "i0",
                        "i1", "ndtr", "ndtri", "log_ndtr", "entr"))


def logit(input, eps=None, *, out=None):  # noqa: A002
    """log(p / (1 - p)), with ``p`` clamped to [eps, 1 - eps] first when ``eps`` is given (PyTorch's)."""
    if out is not None:
        raise TypeError("turunan.torch.special.logit does not support out=")
    p = as_input(input, "logit")
    if eps is not None:
        p = recast(tnp.clip(p, eps, 1 - eps), Tensor)
    return recast(_scipy_special().logit(p), Tensor)


def i0e(input):  # noqa: A002
    return recast(_scipy_special().ive(0, as_input(input, "i0e")), Tensor)


def i1e(input):  # noqa: A002
    return recast(_scipy_special().ive(1, as_input(input, "i1e")), Tensor)


def polygamma(n: int, input):  # noqa: A002
    x = as_input(input, "polygamma")
    return recast(_scipy_special().polygamma(n, x), Tensor).to(x.dtype)    # PyTorch keeps the input's dtype


def multigammaln(input, p: int):  # noqa: A002
    return recast(_scipy_special().multigammaln(as_input(input, "multigammaln"), p), Tensor)


def xlogy(input, other):  # noqa: A002
    return recast(_scipy_special().xlogy(as_input(input, "xlogy"), other), Tensor)


def xlog1py(input, other):  # noqa: A002
    return recast(_scipy_special().xlog1py(as_input(input, "xlog1py"), other), Tensor)


def sinc(input):  # noqa: A002
    return recast(tnp.sinc(as_input(input, "sinc")), Tensor)


def expm1(input):  # noqa: A002
    return recast(tnp.expm1(as_input(input, "expm1")), Tensor)


def exp2(input):  # noqa: A002
    return recast(tnp.exp2(as_input(input, "exp2")), Tensor)


def log1p(input):  # noqa: A002
    return recast(tnp.log1p(as_input(input, "log1p")), Tensor)


def logsumexp(input, dim, keepdim: bool = False):  # noqa: A002
    return recast(tnp.logsumexp(as_input(input, "logsumexp"), axis=dim, keepdims=keepdim), Tensor)


__getattr__ = lacking(__name__, "PyTorch")
