"""PyTorch's legacy names, still in its tutorials: ``torch.autograd.Variable`` and the typed constructors
``torch.FloatTensor``, ``torch.LongTensor``, ``torch.DoubleTensor``, ... Each makes the door's Tensor (names only).

As in PyTorch, ``Variable(t)`` is a tensor sharing ``t``'s memory, a leaf, requiring grad only if asked; every
tensor is an instance of ``Variable``, and a float32 tensor of ``FloatTensor``.

>>> import turunan.torch as torch
>>> from turunan.torch.autograd import Variable
>>> x = Variable(torch.ones(2), requires_grad=True)
>>> x, isinstance(x, Variable), isinstance(x, torch.FloatTensor), torch.LongTensor([1, 2])
(tensor([1., 1.], requires_grad=True), True, True, tensor([1, 2]))
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _core
from ._tensor import Tensor
from ._types import type_name


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _core.Tensor)

    def __subclasscheck__(cls, sub) -> bool:
        return isinstance(sub, type) and issubclass(sub, _core.Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: a leaf tensor sharing ``tensor``'s memory (PyTorch's legacy
    wrapper; since PyTorch 0.4 a Variable is a Tensor). ``volatile`` has no effect, with PyTorch's warning."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            return Tensor._wrap(np.empty((0,), np.float32)).requires_grad_(bool(requires_grad))
        if not isinstance(data, _core.Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type_name(data)}")
        return Tensor._wrap(data._d).requires_grad_(bool(requires_grad))


class _TypedMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _core.Tensor) and obj._d.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _typed(name: str, dtype) -> type:
    def __new__(cls, *args, device=None):
        """``torch.{name}(data)`` converts ``data``; ``torch.{name}(2, 3)`` is a tensor of that shape (zeros
        here: PyTorch leaves it uninitialised)."""
        return Tensor(*args, dtype=cls.dtype, device=device)
    cls = _TypedMeta(name, (), {"__new__": __new__, "dtype": np.dtype(dtype), "__module__": "turunan.torch",
                                "__doc__": f"``torch.{name}``: makes a tensor of dtype {np.dtype(dtype)}."})
    return cls


FloatTensor, DoubleTensor, HalfTensor = (_typed(n, d) for n, d in (
    ("FloatTensor", np.float32), ("DoubleTensor", np.float64), ("HalfTensor", np.float16)))
LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (_typed(n, d) for n, d in (
    ("LongTensor", np.int64), ("IntTensor", np.int32), ("ShortTensor", np.int16), ("CharTensor", np.int8),
    ("ByteTensor", np.uint8), ("BoolTensor", np.bool_)))
