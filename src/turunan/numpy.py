"""``turunan.numpy``: NumPy's names, recorded. Write NumPy code against this module and differentiate it.

Unlike the PyTorch-like top level, this namespace keeps NumPy's own dtype rules (``array([1.0])`` is
float64), as HIPS autograd's ``autograd.numpy`` does: a NumPy program keeps its numbers. Plain ``numpy``
functions called on Tensors are recorded too (the array protocols); this module is for code that wants
turunan's Tensors from its creation functions as well. A NumPy name without a rule raises AttributeError
naming it.

>>> import turunan as tn
>>> import turunan.numpy as tnp
>>> x = tnp.array([0.5, 1.0], requires_grad=True)
>>> y = tnp.sum(tnp.sin(x) * tnp.exp(-x * x))
>>> y.backward()
>>> x.grad.dtype
dtype('float64')
"""

from __future__ import annotations

import numpy as _np

from . import _ops
from ._core import Tensor
from ._methods import FUNCTIONS as _FUNCTIONS
from ._methods import UFUNCS as _UFUNCS

# every NumPy function and ufunc that has a rule, under NumPy's own name
for _table in (_UFUNCS, _FUNCTIONS):
    for _np_fn, _op in _table.items():
        _name = getattr(_np_fn, "__name__", None)
        if _name and _name not in ("norm", "shape", "ndim", "size", "result_type"):
            globals()[_name] = _op
abs = _ops.abs  # noqa: A001
round = _ops.round  # noqa: A001
max, min = _ops.amax, _ops.amin  # noqa: A001
logsumexp, softmax, log_softmax = _ops.logsumexp, _ops.softmax, _ops.log_softmax
shape, ndim, size = _np.shape, _np.ndim, _np.size

float16, float32, float64 = _np.float16, _np.float32, _np.float64
int32, int64, bool_ = _np.int32, _np.int64, _np.bool_
pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None


class linalg:
    """``turunan.numpy.linalg``: the norms (vector and matrix) with NumPy's semantics."""

    norm = staticmethod(_ops.norm)


def _make(data, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def array(obj, dtype=None, requires_grad: bool = False) -> Tensor:
    """A Tensor copy of ``obj`` with NumPy's dtype rules (floats are float64)."""
    return _make(_np.array(obj.data if isinstance(obj, Tensor) else obj, dtype=dtype), requires_grad)


def asarray(obj, dtype=None) -> Tensor:
    if isinstance(obj, Tensor) and (dtype is None or obj.dtype == _np.dtype(dtype)):
        return obj
    return _make(_np.asarray(obj.data if isinstance(obj, Tensor) else obj, dtype=dtype), False)


def _creator(fn):
    def make(*args, requires_grad: bool = False, **kwargs) -> Tensor:
        return _make(fn(*args, **kwargs), requires_grad)
    make.__name__ = fn.__name__
    make.__doc__ = f"numpy.{fn.__name__}, returning a Tensor (NumPy's dtype rules)."
    return make


zeros, ones, full, empty, arange, linspace, eye, identity = (
    _creator(f) for f in (_np.zeros, _np.ones, _np.full, _np.empty, _np.arange, _np.linspace, _np.eye, _np.identity))


def _like(fn):
    def make(a, dtype=None, requires_grad: bool = False) -> Tensor:
        return _make(fn(a.data if isinstance(a, Tensor) else a, dtype=dtype), requires_grad)
    make.__name__ = fn.__name__
    return make


zeros_like, ones_like, empty_like = (_like(f) for f in (_np.zeros_like, _np.ones_like, _np.empty_like))


def __getattr__(name: str):
    if hasattr(_np, name):
        raise AttributeError(f"turunan.numpy has no rule for numpy.{name}; use a function it has, or call "
                             f"numpy.{name} on .detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy' has no attribute {name!r}")
