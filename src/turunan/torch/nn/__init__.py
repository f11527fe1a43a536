"""``torch.nn`` over turunan: ``turunan.nn``'s names, resolved lazily, with PyTorch's tensors.

A layer here is turunan's, as a subclass of the same name made on first use (``torch.nn.Linear`` subclasses
``turunan.nn.Linear``; ``torch.nn.Module`` is the base to subclass): what it registers is the door's, so its
parameters are PyTorch tensors as in PyTorch (``layer.weight.size()``, ``.t()``, ``.data``, ``.std()`` keep
PyTorch's meaning, and arithmetic on them gives PyTorch tensors), and ``module.to(device)`` takes a device as
PyTorch's does. ``isinstance`` answers for turunan's class too (``torch.nn.Linear`` takes in a
``turunan.nn.Linear``). Names only: the layers and their math are ``turunan.nn``'s.

>>> import turunan.torch as torch
>>> layer = torch.nn.Linear(3, 2)
>>> layer.weight.size(), type(layer.weight).__name__, type(layer.weight * 2).__name__
(torch.Size([2, 3]), 'Parameter', 'Tensor')
"""

from __future__ import annotations

import importlib

import numpy as np

from ... import _core
from ..._doors import forwarded_dir, forwarder, recast
from .._printing import format_torch
from .._tensor import Tensor
from .._types import check_device, np_dtype
from . import functional, parallel, utils  # noqa: F401  (torch.nn.functional, .parallel and .utils as attributes too)

_forward = forwarder(__name__, "turunan.nn", "PyTorch")
_made: dict = {}                # turunan's class -> the door's


def _turunan_nn():
    return importlib.import_module("turunan.nn")


def _parameter_class(base: type) -> type:
    class Parameter(base, Tensor):
        """PyTorch's ``nn.Parameter``: a door tensor that a Module registers and an optimiser updates; it shares
        ``data``'s memory and requires grad unless told otherwise. Results of operations on it are Tensors."""

        __slots__ = ()
        _result_cls = Tensor

        def __init__(self, data=None, requires_grad: bool = True) -> None:
            if data is None:
                data = np.empty((0,), np.float32)
            # the core's constructor (the door Tensor's would make data float32, as torch.Tensor(data) does)
            _core.Tensor.__init__(self, data._d if isinstance(data, _core.Tensor) else data,
                                  requires_grad=requires_grad)

        def __repr__(self) -> str:
            return "Parameter containing:\n" + format_torch(self)

        __str__ = __repr__

    Parameter.__module__, Parameter.__qualname__ = __name__, "Parameter"
    return Parameter


def _own(value, parameter: type, buffer: bool = False):
    """``value`` as the door's: a turunan Parameter becomes this door's in place (the same object, which an
    optimiser may already hold); a buffer, a door Tensor sharing its memory."""
    if isinstance(value, _turunan_nn().Parameter):
        if not isinstance(value, parameter):
            value.__class__ = parameter
    elif buffer and isinstance(value, _core.Tensor):
        value = recast(value, Tensor)
    return value


class _Meta(type):
    """``isinstance(x, torch.nn.Linear)`` holds for any ``turunan.nn.Linear`` (the door's class is a name for it)."""

    def __instancecheck__(cls, obj) -> bool:
        base = cls.__dict__.get("_turunan_class")
        return isinstance(obj, base) if base is not None else type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub) -> bool:
        base = cls.__dict__.get("_turunan_class")
        return issubclass(sub, base) if base is not None else type.__subclasscheck__(cls, sub)


class _PyTorchModule:
    """What the door adds to a turunan Module: what it registers is the door's; devices as PyTorch takes them."""

    def __setattr__(self, name: str, value) -> None:
        registered = "_buffers" in self.__dict__ and name in self._buffers
        super().__setattr__(name, _own(value, __getattr__("Parameter"), registered))

    def register_parameter(self, name: str, param) -> None:
        super().register_parameter(name, _own(param, __getattr__("Parameter")))

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        super().register_buffer(name, tensor, persistent)
        if self._buffers.get(name) is not None:
            self._buffers[name] = _own(self._buffers[name], __getattr__("Parameter"), True)

    def to(self, *args, **kwargs):
        """``model.to('cpu')``, ``model.to(torch.float64)``, ``model.to(device, dtype)``, ``model.to(tensor)``:
        the CPU is the only device; a dtype converts the floating-point parameters and buffers."""
        dtype = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, _core.Tensor):
                dtype = a._d.dtype
            elif isinstance(a, str) or type(a).__name__ == "device":
                check_device(a)
            else:
                dtype = a
        return self if dtype is None else super().to(np_dtype(dtype))

    def cpu(self):
        return self

    def cuda(self, device=None):
        check_device("cuda")

    def half(self):
        return self.to(np.float16)


def _module_class(base: type) -> type:
    cls = _Meta(base.__name__, (_PyTorchModule, base), {
        "__module__": __name__, "__qualname__": base.__name__, "_turunan_class": base,
        "__doc__": f"PyTorch's ``nn.{base.__name__}``: turunan's, registering the door's parameters.\n\n"
                   + (base.__doc__ or "")})
    return cls


def _lazy_linear() -> type:
    """PyTorch's ``nn.LazyLinear``: a door ``Linear`` whose ``in_features`` is read from its first input."""
    linear = __getattr__("Linear")

    class LazyLinear(linear):
        """PyTorch's ``nn.LazyLinear(out_features)``: until the first call its parameters are uninitialised (empty,
        shape ``(0,)``, the same objects an optimiser may already hold); the first input's last dimension gives
        ``in_features``, the parameters take their shapes in place and are initialised as ``Linear``'s
        (``reset_parameters``), and the module becomes a ``Linear``, as in PyTorch."""

        def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
            check_device(device)
            _turunan_nn().Module.__init__(self)
            self.in_features, self.out_features = 0, out_features
            self._lazy_dtype = np_dtype(dtype) or np.dtype(np.float32)
            self.weight = _turunan_nn().Parameter(np.empty((0,), self._lazy_dtype))
            if bias:
                self.bias = _turunan_nn().Parameter(np.empty((0,), self._lazy_dtype))
            else:
                self.register_parameter("bias", None)

        def forward(self, x):
            if self.in_features == 0:
                self.in_features = int(x.shape[-1])
                self.weight.data = np.zeros((self.out_features, self.in_features), self._lazy_dtype)
                if self.bias is not None:
                    self.bias.data = np.zeros((self.out_features,), self._lazy_dtype)
                self.reset_parameters()
                del self._lazy_dtype
                self.__class__ = linear
            return linear.forward(self, x)

        def extra_repr(self) -> str:
            if self.in_features == 0:
                return f"in_features=0, out_features={self.out_features}, bias={self.bias is not None}"
            return super().extra_repr()

    LazyLinear.__module__, LazyLinear.__qualname__ = __name__, "LazyLinear"
    return LazyLinear


def __getattr__(name: str):
    if name == "LazyLinear":
        made = _made.get(name)
        if made is None:
            made = _made[name] = _lazy_linear()
        return made
    value = _forward(name)          # resolved each time (lazily); the door's class is made once per turunan class
    if not isinstance(value, type) or not (name == "Parameter" or issubclass(value, _turunan_nn().Module)):
        return value
    made = _made.get(value)
    if made is None:
        made = _made[value] = _parameter_class(value) if name == "Parameter" else _module_class(value)
    return made


def __dir__() -> list:
    return forwarded_dir(["functional", "utils", "LazyLinear"], "turunan.nn")
