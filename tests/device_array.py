"""A CPU stand-in for a CuPy array: answers NumPy's protocols, refuses to become a NumPy array.

CuPy arrays live in GPU memory. NumPy calls on them (``np.sin(a)``, ``np.matmul(a, b)``, ``np.sum(a)``) are
answered by CuPy through ``__array_ufunc__`` and ``__array_function__`` and return CuPy arrays; converting one to
NumPy implicitly (``np.asarray(a)``, ``float(a)`` on a non-scalar) raises ``TypeError`` and asks for ``.get()``;
mixing a CuPy array with a NumPy array in one call raises too (the data would have to cross the bus). This class
does the same on the CPU, so that CI (no GPU) proves the engine never assumes a NumPy ndarray: every place that
calls ``np.asarray``, allocates ``np.zeros`` next to the user's array, or reads ``.base`` fails here as on CuPy.

As CuPy's (``cupy/_core/core.pyx``): ``__array_ufunc__`` takes its own arrays, NumPy's (then refused: no implicit
transfer) and scalars, and answers ``NotImplemented`` to anything else (a turunan Tensor, a list; also the tuple
index of ``np.add.at``), so NumPy asks the other operand or raises ``TypeError``; ``__array_function__`` defers
unless every type is its own or NumPy's; results are 0-d arrays where NumPy gives scalars; ``flags`` holds the
layout only (no ``writeable``: CuPy has no read-only arrays); host index arrays and host values in an assignment
are taken (CuPy copies them over); ``np.asarray(host, like=a)`` is an explicit copy to the device. Not mirrored:
which functions and SciPy ufuncs CuPy lacks (this class answers every NumPy function), and writable broadcast views.

>>> import numpy as np
>>> a = DeviceArray(np.arange(3.0))
>>> type(np.sin(a)).__name__, np.sum(a).get()
('DeviceArray', array(3.))
"""

from __future__ import annotations

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = ["DeviceArray", "to_device", "to_host"]


class ImplicitConversion(TypeError):
    pass


def _unwrap(value, where: str):
    if isinstance(value, DeviceArray):
        return value._a
    if isinstance(value, np.ndarray) and value.ndim > 0:
        # CuPy: "Unsupported type <class 'numpy.ndarray'>" -- host and device arrays never meet in one call
        raise TypeError(f"{where}: a NumPy array (shape {value.shape}) mixed with a device array; move it with "
                        "cupy.asarray first")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, where) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, where) for k, v in value.items()}
    return value


def _unwrap_index(index):
    if isinstance(index, tuple):
        return tuple(_unwrap_index(i) for i in index)
    return index._a if isinstance(index, DeviceArray) else index


def _wrap(value):
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, np.generic):     # CuPy returns 0-d arrays where NumPy returns scalars
        return DeviceArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class _Flags:
    """CuPy's ``flags``: the memory layout only. There is no ``writeable``: CuPy has no read-only arrays."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, flags) -> None:
        self.c_contiguous, self.f_contiguous, self.owndata = flags.c_contiguous, flags.f_contiguous, flags.owndata

    def __getitem__(self, key: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous, "OWNDATA": self.owndata}[key]


_TRANSFERS = {np.asarray, np.array, np.asanyarray, np.ascontiguousarray}


class DeviceArray(NDArrayOperatorsMixin):
    """An array in "device memory": NumPy's protocols work, implicit conversion does not (as CuPy's)."""

    __slots__ = ("_a",)

    def __init__(self, array) -> None:
        self._a = np.asarray(array)

    # -- NumPy's protocols: answered here, results stay on the device
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"numpy.{ufunc.__name__}"
        for x in inputs + tuple(kwargs.get("out") or ()):
            # as CuPy's: only its own arrays, NumPy's (refused below: no implicit transfer) and scalars are taken;
            # anything else (a turunan Tensor holding a device array, a list) gets NotImplemented, so NumPy asks
            # the other type, with this array as it is, or raises TypeError
            if not isinstance(x, (DeviceArray, np.ndarray, np.generic, int, float, complex)):
                return NotImplemented
        if method == "at":          # ufunc.at(a, indices, b): host index arrays are taken, as in indexing
            inputs = (_unwrap(inputs[0], where), _unwrap_index(inputs[1])) + _unwrap(inputs[2:], where)
        else:
            inputs = _unwrap(inputs, where)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _unwrap(out, where)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        where = f"numpy.{func.__name__}"
        if not all(issubclass(t, (DeviceArray, np.ndarray)) for t in types):
            return NotImplemented       # CuPy handles its own arrays and NumPy's only; another type answers
        if func in _TRANSFERS:       # np.asarray(host_array, like=device_array): cupy.asarray, an explicit copy
            args = tuple(a.get() if isinstance(a, DeviceArray) else a for a in args)
            return DeviceArray(np.array(func(*args, **kwargs), copy=True))     # device memory is never shared
        result = func(*_unwrap(args, where), **_unwrap(kwargs, where))
        return _wrap(result)

    def __array__(self, dtype=None, copy=None):
        raise ImplicitConversion("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
                                 "construct a NumPy array explicitly.")

    def get(self) -> np.ndarray:
        """The data, copied to host memory (CuPy's explicit transfer)."""
        return self._a.copy()

    # -- the ndarray attributes and methods CuPy has
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    T = property(lambda self: DeviceArray(self._a.T))
    mT = property(lambda self: DeviceArray(np.swapaxes(self._a, -1, -2)))
    real = property(lambda self: DeviceArray(self._a.real))
    imag = property(lambda self: DeviceArray(self._a.imag))

    @property
    def base(self):
        base = self._a.base
        return None if base is None else DeviceArray(base)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (DeviceArray(row) for row in self._a)

    # CuPy takes host (NumPy) index arrays and values to assign, and copies them over
    def __getitem__(self, index):
        return _wrap(self._a[_unwrap_index(index)])

    def __setitem__(self, index, value) -> None:
        self._a[_unwrap_index(index)] = value._a if isinstance(value, DeviceArray) else value

    def __bool__(self) -> bool:
        if self._a.size != 1:
            raise ValueError("The truth value of an array with more than one element is ambiguous.")
        return bool(self._a)

    def __float__(self) -> float:
        if self._a.size != 1:
            raise ImplicitConversion("only size-1 device arrays convert to Python scalars")
        return float(self._a)

    def __int__(self) -> int:
        return int(self.__float__()) if self._a.dtype.kind == "f" else int(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __complex__(self) -> complex:
        return complex(self._a)

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __repr__(self) -> str:
        return "device_" + repr(self._a)

    def __getattr__(self, name):
        # the remaining ndarray methods (sum, reshape, astype, transpose, copy, ...), results on the device
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)
        return lambda *args, **kwargs: _wrap(attr(*_unwrap(args, name), **_unwrap(kwargs, name)))

    def __deepcopy__(self, memo):
        return DeviceArray(self._a.copy())

    def __reduce__(self):
        return DeviceArray, (self._a,)


def to_device(value) -> DeviceArray:
    return DeviceArray(np.array(value))


def to_host(value) -> np.ndarray:
    return value.get() if isinstance(value, DeviceArray) else np.asarray(value)
