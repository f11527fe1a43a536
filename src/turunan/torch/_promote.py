"""PyTorch's type promotion, as casts before the core's ops (docs/design.md, principle 6: dtypes and names, no math).

The core promotes as NumPy does; PyTorch differs, and a reader of the chapter sees the difference in every
printed dtype. PyTorch's rules (``c10/core/ScalarType.h``, ``ATen/native/TypeProperties.cpp``):

- categories, lowest first: bool < integer < floating < complex; between categories the higher one wins
  (``int64 + float16`` is float16), within one NumPy's table holds (``uint8 + int8`` is int16);
- operands come in three ranks: tensors with dimensions, 0-d tensors, and Python numbers. A lower rank takes
  part only when its category is higher than every higher rank's (``float16 tensor * 0-d float64`` is
  float16; ``int tensor * 0-d float64`` is float64);
- a Python float counts as the default dtype (float32), a Python int as int64, a Python bool as bool;
- true division of integers (or bools) gives the default float dtype, float32, and so do the floating
  functions (``sqrt``, ``exp``, ...) of integer tensors.

The door casts its operands to the result dtype with ``turunan.astype`` (differentiable) and then calls the
core op; the core sees operands of one dtype and computes in it, as PyTorch does.

>>> import turunan.torch as torch
>>> (torch.tensor([1, 2]) / torch.tensor([2, 2])).dtype, (torch.tensor([1, 2]) * 2.5).dtype
(torch.float32, torch.float32)
>>> (torch.ones(2, dtype=torch.float16) * torch.tensor(2.0, dtype=torch.float64)).dtype
torch.float16
"""

from __future__ import annotations

import numpy as np

from .. import _core
from .. import _ops as ops
from .._array import as_operand

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3
_CATEGORY = {"b": _BOOL, "i": _INT, "u": _INT, "f": _FLOAT, "c": _COMPLEX}
BOOL, INT64, FLOAT32 = np.dtype(np.bool_), np.dtype(np.int64), np.dtype(np.float32)
DEFAULT_FLOAT = FLOAT32
_COMPLEX64, _COMPLEX128 = np.dtype(np.complex64), np.dtype(np.complex128)


def category(dt: np.dtype) -> int:
    return _CATEGORY.get(dt.kind, _FLOAT)


def promote_types(a, b):
    """``torch.promote_types`` on NumPy dtypes (None stands for 'no operand of this rank')."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    ca, cb = category(a), category(b)
    if ca == cb or _COMPLEX in (ca, cb):
        return np.promote_types(a, b)
    return a if ca > cb else b


def _combine(higher, lower):
    """c10's ``combine_categories``: a lower rank counts only when its category is above the higher rank's."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = category(higher), category(lower)
    if ch == _COMPLEX:
        return higher
    if cl == _COMPLEX:
        return (_COMPLEX128 if higher.itemsize == 8 else _COMPLEX64) if ch == _FLOAT else lower
    if ch == _FLOAT:
        return higher
    if ch == _BOOL or cl == _FLOAT:
        return promote_types(higher, lower)
    return higher


def _scalar_dtype(value):
    """The dtype a Python (or NumPy) number takes part with, or None if ``value`` is not a number."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)):
        return INT64
    if isinstance(value, (float, np.floating)):
        return DEFAULT_FLOAT
    if isinstance(value, (complex, np.complexfloating)):
        return _COMPLEX64
    return None


def _is_array(o) -> bool:
    """An array object (not a number, not a list): its dtype read as it is, without converting it."""
    return not isinstance(o, np.generic) and hasattr(o, "dtype") and hasattr(o, "ndim") and hasattr(o, "astype")


def result_type(*operands) -> np.dtype:
    """PyTorch's ``torch.result_type`` of tensors (turunan's or NumPy arrays) and Python numbers."""
    dim = zero = wrapped = None
    for o in operands:
        if isinstance(o, (_core.Tensor, np.ndarray)):
            data = o._d if isinstance(o, _core.Tensor) else o
            if data.ndim:
                dim = promote_types(dim, data.dtype)
            else:
                zero = promote_types(zero, data.dtype)
            continue
        d = _scalar_dtype(o)
        if d is None:
            # an array of another kind (CuPy's, Dask's, a jitted step's recorded one) as it is: np.asarray would
            # copy it to the host, compute it, or read its values; a list as PyTorch would make it a tensor
            a = o if _is_array(o) else np.asarray(o)
            if a.dtype.kind not in "biufc":
                continue
            if a.ndim:
                dim = promote_types(dim, a.dtype)
            else:
                zero = promote_types(zero, a.dtype)
        else:
            wrapped = promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def cast(value, dt: np.dtype, name: str = "this operation"):
    """``value`` in dtype ``dt``: a Tensor through ``turunan.astype`` (recorded), anything else as an array."""
    if isinstance(value, _core.Tensor):
        return value if value._d.dtype == dt else ops.astype(value, dt)
    if isinstance(value, np.ndarray) or _is_array(value):
        return value if value.dtype == dt else value.astype(dt)
    # a Python number wraps as PyTorch's cast does (300 -> uint8 44); a string or None is refused, not cast
    return np.asarray(as_operand(value, name)).astype(dt)


def _same(x, y, division: bool):
    """The common case, needing no cast: one dtype, or a Python number no higher in category than the tensor."""
    if isinstance(x, _core.Tensor):
        dx = x._d.dtype
        ty = type(y)
        if ty is float or ty is int:
            k = dx.kind
            return k == "f" or (ty is int and not division and k in "iu")
        if isinstance(y, _core.Tensor) and y._d.dtype == dx:
            return not division or dx.kind in "fc"
    return False


def operands(x, y, division: bool = False, keep_scalars: bool = False, name: str = "this operation") -> tuple:
    """``x`` and ``y`` cast to their PyTorch result dtype (float32 for a true division of integers).

    ``keep_scalars``: a Python number that needs no cast stays one (so the op can tell it from a tensor)."""
    if _same(x, y, division) or _same(y, x, division):
        return x, y
    # off the fast path: an operand that is not a tensor must be numbers (a string failed in NumPy's cast with
    # "could not convert string to float"; None took no part in the dtype and became NaN)
    if not isinstance(x, _core.Tensor):
        x = as_operand(x, name)
    if not isinstance(y, _core.Tensor):
        y = as_operand(y, name)
    dt = result_type(x, y)
    if dt is None:
        return x, y
    if division and category(dt) < _FLOAT:
        dt = DEFAULT_FLOAT
    return (x if keep_scalars and _scalar_dtype(x) == dt else cast(x, dt),
            y if keep_scalars and _scalar_dtype(y) == dt else cast(y, dt))


def floating(x, name: str = "torch"):
    """``x`` as PyTorch's floating functions see it: an integer or bool tensor becomes float32."""
    if isinstance(x, _core.Tensor):
        return x if x._d.dtype.kind in "fc" else ops.astype(x, DEFAULT_FLOAT)
    a = as_operand(x, name)                 # numbers only: None became a NaN float32 tensor
    a = a if _is_array(a) else np.asarray(a)
    return x if a.dtype.kind in "fc" else a.astype(DEFAULT_FLOAT)
