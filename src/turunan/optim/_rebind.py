"""In-place updates for arrays that cannot be written in place (Dask's, JAX's): the optimisers' one update code.

The optimisers update with NumPy's in-place forms (``x -= s``, ``np.multiply(g, lr, out=s)``, ``buf *= mu``): on
a NumPy or CuPy array they write into the buffer. On a Dask array ``x -= s`` only rebinds the local name ``x``
(Dask arrays have no ``__isub__``), so the parameter silently kept its value: a step that did nothing. Instead of a
second, functional copy of every optimiser, the update runs on ``Rebind`` boxes: each in-place operation computes
the new array and rebinds the box to it, and ``Optimizer.step`` puts the boxes' arrays back into the parameter
and its state afterwards. The update code is the same for every array type.

>>> import numpy as np
>>> box = Rebind(np.ones(2)); y = box; y -= 0.5; box.a
array([0.5, 0.5])
"""

from __future__ import annotations

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from .._array import assign, is_lazy

__all__ = ["Rebind", "boxed", "needs_rebind", "unboxed"]


def needs_rebind(a) -> bool:
    """Whether an update must rebind rather than write: a lazy array (Dask: writing into one with ``out=`` would
    change what an earlier graph saved of it) or an immutable one (JAX)."""
    if type(a) is np.ndarray:
        return False
    return is_lazy(a) or not hasattr(type(a), "__setitem__")


def _unbox(v):
    if isinstance(v, (list, tuple)):
        return type(v)(map(_unbox, v))
    return v.a if isinstance(v, Rebind) else v


def _box(v):
    return Rebind(v) if hasattr(v, "shape") and not isinstance(v, (np.generic, Rebind)) else v


def boxed(state: dict) -> dict:
    """``state`` with its arrays boxed (in place: the optimiser's update code mutates this dict)."""
    for k, v in state.items():
        state[k] = _box(v)
    return state


def unboxed(state: dict) -> dict:
    for k, v in state.items():
        state[k] = _unbox(v)
    return state


class Rebind(NDArrayOperatorsMixin):
    """A mutable box around an immutable array: in-place operations (``+=``, ``out=``) rebind it to their result."""

    __slots__ = ("a",)

    def __init__(self, a) -> None:
        self.a = a

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        kwargs.pop("casting", None)       # the result is cast to the box's dtype below
        result = getattr(ufunc, method)(*map(_unbox, inputs), **kwargs)
        if out is None:
            return Rebind(result)
        (box,) = out
        box.a = result if result.dtype == box.a.dtype else result.astype(box.a.dtype)
        return box

    def __array_function__(self, func, types, args, kwargs):
        if func is np.copyto:       # a write into the box: rebind it to the source, broadcast and cast
            args[0].a = assign(args[0].a, _unbox(args[1]))
            return None
        return _box(func(*_unbox(args), **{k: _unbox(v) for k, v in kwargs.items()}))

    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)

    def copy(self) -> Rebind:
        return Rebind(self.a.copy())

    def astype(self, dtype, copy: bool = True) -> Rebind:
        return Rebind(self.a.astype(dtype))
