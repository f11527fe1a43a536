"""``turunan.numpy``: NumPy's names, recorded. Write NumPy code against this module and differentiate it.

Unlike the PyTorch-like top level, this namespace keeps NumPy's own dtype rules (``array([1.0])`` is
float64), as HIPS autograd's ``autograd.numpy`` does: a NumPy program keeps its numbers. Plain ``numpy``
functions called on Tensors are recorded too (the array protocols); this module is for code that wants
turunan's Tensors from its creation functions as well. A NumPy name without a rule raises AttributeError
naming it. A list of tensors given to any function here is recorded (``tnp.mean([x, x + 2])``,
``tnp.array([x, x ** 2])``), as in HIPS autograd; plain ``numpy`` refuses to read a tensor that requires grad.

>>> import turunan as tn
>>> import turunan.numpy as tnp
>>> x = tnp.array([0.5, 1.0], requires_grad=True)
>>> y = tnp.sum(tnp.sin(x) * tnp.exp(-x * x))
>>> y.backward()
>>> x.grad.dtype
dtype('float64')
"""

from __future__ import annotations

import functools

import numpy as _np

from . import _ops
from ._core import Tensor
from ._methods import FUNCTIONS as _FUNCTIONS
from ._methods import UFUNCS as _UFUNCS

# ---- lists of Tensors ------------------------------------------------------------------------------------
# NumPy code writes arrays as lists: ``np.mean([x, x + 2])``, ``np.array([x, x**2])``. Converting such a list
# with numpy.asarray would cut every Tensor in it from the graph (a silent zero gradient), so every function
# here first turns a (nested) list or tuple that holds a Tensor into one recorded Tensor, stacked from its
# elements (HIPS autograd's ``array_from_args``). A list without Tensors becomes an array, by NumPy's rules.
# the helpers live in turunan._ops, which packs lists for the core's ops and the doors in the same way
_SEQ = _ops._SEQ
_holds_tensor, _values, _stacked, _from_nested = _ops._holds_tensor, _ops._values, _ops._stacked, _ops._from_nested


def _lift(obj):
    """An array-like argument, ready for turunan's ops: a list/tuple becomes a (recorded) Tensor or an array."""
    if type(obj) in _SEQ:
        return _from_nested(obj) if _holds_tensor(obj) else _np.asarray(obj)
    return obj


def _lifting(fn, where):
    """``fn`` with its array-like positional arguments lifted: ``where`` is their positions, ``None`` for all,
    or ``"seq"`` for a first argument that is a sequence of array-likes (concatenate, stack)."""
    if where == "seq":
        def op(xs, *args, **kwargs):
            return fn([_lift(x) for x in xs] if type(xs) in _SEQ else xs, *args, **kwargs)
    elif where is None:
        def op(*args, **kwargs):
            for a in args:
                if type(a) in _SEQ:     # rare: only then build a new argument tuple
                    args = [_lift(b) for b in args]
                    break
            return fn(*args, **kwargs)
    else:
        def op(*args, **kwargs):
            for i in where:
                if i < len(args) and type(args[i]) in _SEQ:
                    args = [_lift(b) if j in where else b for j, b in enumerate(args)]
                    break
            return fn(*args, **kwargs)
    functools.update_wrapper(op, fn, updated=())
    return op


def _float64(fn):
    """NumPy's mean, var and std of integers are float64 (turunan's top level follows PyTorch: float32)."""
    def op(x, *args, **kwargs):
        x = _lift(x)
        if _np.asarray(x._d if isinstance(x, Tensor) else x).dtype.kind in "iub":
            x = _ops.astype(x, _np.float64)
        return fn(x, *args, **kwargs)
    functools.update_wrapper(op, fn, updated=())
    return op


# which positional arguments of a NumPy function are array-likes (first argument only, if not listed)
_ARRAY_ARGS = {
    _np.dot: (0, 1), _np.tensordot: (0, 1), _np.outer: (0, 1), _np.inner: (0, 1), _np.vdot: (0, 1),
    _np.matmul: (0, 1), _np.take_along_axis: (0, 1), _np.take: (0, 1), _np.where: (0, 1, 2),
    _np.clip: (0, 1, 2), _np.einsum: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10), _np.concatenate: "seq", _np.stack: "seq",
    _np.result_type: None,
}

# every NumPy function and ufunc that has a rule, under NumPy's own name
for _np_fn, _op in _UFUNCS.items():
    globals()[_np_fn.__name__] = _lifting(_op, None)     # a ufunc's arguments are all array-likes
for _np_fn, _op in _FUNCTIONS.items():
    _name = getattr(_np_fn, "__name__", None)
    if _name and _name not in ("norm", "shape", "ndim", "size", "result_type"):
        globals()[_name] = _lifting(_op, _ARRAY_ARGS.get(_np_fn, (0,)))
mean, var, std = _float64(_ops.mean), _float64(_ops.var), _float64(_ops.std)
abs = _lifting(_ops.abs, None)  # noqa: A001
round = _lifting(_ops.round, (0,))  # noqa: A001
max, min = _lifting(_ops.amax, (0,)), _lifting(_ops.amin, (0,))  # noqa: A001
logsumexp, softmax, log_softmax = (_lifting(f, (0,)) for f in (_ops.logsumexp, _ops.softmax, _ops.log_softmax))


def shape(a) -> tuple:
    return _np.shape(_values(a))


def ndim(a) -> int:
    return _np.ndim(_values(a))


def size(a, axis=None) -> int:
    return _np.size(_values(a), axis)


float16, float32, float64 = _np.float16, _np.float32, _np.float64
int32, int64, bool_ = _np.int32, _np.int64, _np.bool_
pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None


class linalg:
    """``turunan.numpy.linalg``: the norms (vector and matrix) with NumPy's semantics."""

    norm = staticmethod(_lifting(_ops.norm, (0,)))


def _make(data, requires_grad: bool) -> Tensor:
    t = data if isinstance(data, Tensor) else Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def array(obj, dtype=None, requires_grad: bool = False) -> Tensor:
    """A Tensor copy of ``obj`` with NumPy's dtype rules (floats are float64).

    Tensors in ``obj`` (``obj`` itself, or the elements of a nested list) stay in the graph: the copy is
    recorded, as HIPS autograd's ``np.array`` is.
    """
    if isinstance(obj, Tensor):
        dt = obj.dtype if dtype is None else _np.dtype(dtype)
        if dt != obj.dtype:
            out = _ops.astype(obj, dt)      # a new array; recorded between floating dtypes
        elif dt.kind in "fc":
            out = _ops.multiply(obj, _np.ones((), dt))    # a recorded copy (exact: x * 1 is x, NaN and -0 too)
        else:
            out = type(obj)._result_type()._wrap(obj._d.copy())
        return _make(out, requires_grad)
    if type(obj) in _SEQ and _holds_tensor(obj):
        return _make(_from_nested(obj, dtype), requires_grad)
    return _make(_np.array(obj, dtype=dtype), requires_grad)


def asarray(obj, dtype=None) -> Tensor:
    """``obj`` as a Tensor: itself if it is one already (of ``dtype``), recorded from the elements of a list."""
    if isinstance(obj, Tensor):
        return obj if dtype is None or obj.dtype == _np.dtype(dtype) else _ops.astype(obj, dtype)
    if type(obj) in _SEQ and _holds_tensor(obj):
        return _from_nested(obj, dtype)
    return _make(_np.asarray(obj, dtype=dtype), False)


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
        return _make(fn(_values(a), dtype=dtype), requires_grad)    # only a's shape and dtype are read
    make.__name__ = fn.__name__
    return make


zeros_like, ones_like, empty_like = (_like(f) for f in (_np.zeros_like, _np.ones_like, _np.empty_like))


def __getattr__(name: str):
    if hasattr(_np, name):
        raise AttributeError(f"turunan.numpy has no rule for numpy.{name}; use a function it has, or call "
                             f"numpy.{name} on .detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy' has no attribute {name!r}")
