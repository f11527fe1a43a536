"""``mxnet.np`` over turunan: a NumPy-like namespace whose functions return MXNet ndarrays.

Every function here is a core turunan op under its NumPy name (recorded inside ``autograd.record()``);
creation functions follow MXNet's defaults (float32, even for ``arange(4)`` and ``array([1, 2])``).
A NumPy name this namespace lacks raises AttributeError naming it.

>>> from turunan.mxnet import np
>>> np.arange(4.0)
array([0., 1., 2., 3.])
>>> np.linalg.norm(np.array([3, 4]))
array(5.)
"""

from __future__ import annotations

import builtins as _builtins

import numpy as _onp

import turunan as _tn
import turunan.numpy as _tnp

from ..._array import as_operand as _as_operand
from ..._array import as_shape as _as_shape
from ..._doors import adapt as _adapt
from ..._doors import lacking as _lacking
from ..._doors import recast as _recast
from .._ndarray import as_ndarray as _as_ndarray
from .._ndarray import ndarray
from .._ndarray import own as _own
from . import linalg, random

_F32 = _onp.float32

# ---- dtypes and constants --------------------------------------------------------------------------------
float16, float32, float64 = _onp.float16, _onp.float32, _onp.float64
int8, int16, int32, int64, uint8 = _onp.int8, _onp.int16, _onp.int32, _onp.int64, _onp.uint8
bool_ = _onp.bool_
bool = _onp.bool_  # noqa: A001  (MXNet's np.bool)
pi, e, inf, nan, newaxis = _onp.pi, _onp.e, _onp.inf, _onp.nan, None

# ---- the core's ops under their NumPy names --------------------------------------------------------------
_OPS = (
    # elementwise
    "abs", "absolute", "add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum",
    "negative", "exp", "expm1", "log", "log1p", "sqrt", "square", "sin", "cos", "tan", "tanh", "sign",
    "reciprocal", "floor", "ceil", "round", "clip", "where", "remainder", "equal", "not_equal", "less",
    "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "logical_not", "isnan", "isinf",
    "isfinite",
    # linear algebra
    "dot", "matmul", "tensordot", "inner", "outer", "vdot", "einsum",
    # reductions
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var", "cumsum", "all",
    "any",
    # shapes that make new arrays
    "concatenate", "stack",
)
globals().update({_name: _adapt(getattr(_tn, _name), ndarray, _name) for _name in _OPS})
mod = remainder  # noqa: F821  (defined just above)

# shapes: the core returns views where NumPy does; MXNet's operators always return arrays in their own memory
# (mxnet.np.reshape: "It will be always a copy of the original array"), so a view is copied (see _ndarray.own)
_COPYING = ("reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "ravel", "broadcast_to",
            "split", "flip")


def _copying(fn, name: str):
    def wrapper(a, *args, **kwargs):
        return _own(_recast(fn(a, *args, **kwargs), ndarray), a)
    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


globals().update({_name: _copying(getattr(_tn, _name), _name) for _name in _COPYING})

# NumPy names the core keeps in turunan.numpy (not at turunan's top level); D2L's library aliases these three
globals().update({_name: _adapt(getattr(_tnp, _name), ndarray, _name) for _name in ("sinh", "cosh")})


def meshgrid(*xi, **kwargs):
    """Coordinate grids (``turunan.numpy.meshgrid``), each an array in its own memory, as MXNet's."""
    return [_own(g, x) for g, x in zip(_recast(list(_tnp.meshgrid(*xi, **kwargs)), ndarray), xi)]


# ---- creation, with MXNet's float32 defaults --------------------------------------------------------------
def array(object, dtype=None, ctx=None) -> ndarray:  # noqa: A002  (NumPy's parameter name)
    """An ndarray holding a copy of ``object`` (float32 unless ``object`` is an array with its own dtype)."""
    if isinstance(object, _tn.Tensor):
        return _as_ndarray(object._d.copy(), dtype or object.dtype)
    return _as_ndarray(object, dtype)


def asarray(a, dtype=None, ctx=None) -> ndarray:
    """``a`` as an ndarray (no copy when it already is one of that dtype)."""
    return _as_ndarray(a, dtype)


def _shape(shape) -> tuple:
    return _as_shape(shape)


def zeros(shape, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.zeros(_shape(shape), dtype or _F32))


def ones(shape, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.ones(_shape(shape), dtype or _F32))


def empty(shape, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.empty(_shape(shape), dtype or _F32))


def full(shape, fill_value, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.full(_shape(shape), fill_value, dtype or _F32))


def zeros_like(a, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.zeros_like(_onp.asarray(a), dtype=dtype))


def ones_like(a, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.ones_like(_onp.asarray(a), dtype=dtype))


def full_like(a, fill_value, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.full_like(_onp.asarray(a), fill_value, dtype=dtype))


def empty_like(a, dtype=None, order: str = "C", ctx=None) -> ndarray:
    return ndarray(_onp.empty_like(_onp.asarray(a), dtype=dtype))


def arange(start, stop=None, step=1, dtype=None, ctx=None) -> ndarray:
    """Evenly spaced values; float32 by default, as in MXNet (``np.arange(4)`` is ``[0., 1., 2., 3.]``)."""
    return ndarray(_onp.arange(start, stop, step, dtype=dtype or _F32) if stop is not None
                   else _onp.arange(start, dtype=dtype or _F32))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype=None, axis: int = 0,
             ctx=None):
    out = ndarray(_onp.linspace(start, stop, num, endpoint=endpoint, dtype=dtype or _F32, axis=axis))
    if retstep:
        return out, (stop - start) / _builtins.max(num - 1 if endpoint else num, 1)
    return out


def eye(N: int, M: int | None = None, k: int = 0, dtype=None, ctx=None) -> ndarray:  # noqa: N803
    return ndarray(_onp.eye(N, M, k, dtype=dtype or _F32))


def identity(n: int, dtype=None, ctx=None) -> ndarray:
    return eye(n, dtype=dtype)


def shape(a) -> tuple:
    return _onp.shape(_onp.asarray(a))


def size(a) -> int:
    return int(_onp.size(_onp.asarray(a)))


def ndim(a) -> int:
    return int(_onp.ndim(a._d if isinstance(a, _tn.Tensor) else _as_operand(a, "ndim")))   # numbers only


__getattr__ = _lacking(__name__, "MXNet")
