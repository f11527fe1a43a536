"""The PyTorch door's small types (``dtype``, ``Size``, ``return_types``, ``device``) and its checks of dims.

>>> import turunan.torch as torch
>>> torch.float32, torch.Size([2, 3]), torch.device("cpu")
(torch.float32, torch.Size([2, 3]), device(type='cpu'))
"""

from __future__ import annotations

import builtins
import collections

import numpy as np

from .._array import AxisError, normalize_axis

# ---- dtypes ------------------------------------------------------------------------------------------------
_TORCH_NAMES = {"float16": "float16", "float32": "float32", "float64": "float64", "int8": "int8", "int16": "int16",
                "int32": "int32", "int64": "int64", "uint8": "uint8", "bool": "bool", "complex64": "complex64",
                "complex128": "complex128"}
# the legacy type names (``x.type()`` is ``'torch.FloatTensor'``)
LEGACY_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}

# the names PyTorch's messages give a dtype: its ScalarType (``'Float'``) and its C++ type (``'float'``)
SCALAR_NAMES = dict(LEGACY_NAMES, complex64="ComplexFloat", complex128="ComplexDouble")
CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
             "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def type_name(obj) -> str:
    """The name PyTorch's messages give the type of ``obj``: ``float``, ``numpy.ndarray``."""
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class dtype:  # noqa: N801  (torch.dtype)
    """``torch.float32`` and friends: a NumPy dtype under PyTorch's name.

    It prints as PyTorch does and compares (and hashes) equal to the NumPy dtype it names, and NumPy accepts it
    wherever it takes a dtype (it answers ``.dtype``), so the core never sees the difference.

    >>> import numpy, turunan.torch as torch
    >>> torch.float32, torch.float32 == numpy.float32, numpy.zeros(2, torch.float64).dtype
    (torch.float32, True, dtype('float64'))
    """

    __slots__ = ("dtype",)

    def __init__(self, np_dtype) -> None:
        self.dtype = np.dtype(np_dtype)

    def __repr__(self) -> str:
        return "torch." + _TORCH_NAMES.get(self.dtype.name, self.dtype.name)

    def __eq__(self, other) -> bool:
        try:
            return self.dtype == (other.dtype if isinstance(other, dtype) else np.dtype(other))
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __getattr__(self, name: str):
        return getattr(object.__getattribute__(self, "dtype"), name)   # .kind, .name, .itemsize, ...

    def __reduce__(self):
        return as_dtype, (self.dtype.name,)

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "fic"


_DTYPES: dict = {}


def as_dtype(value) -> dtype:
    """The one ``torch.dtype`` object for a NumPy dtype (so ``x.dtype is torch.float32`` holds)."""
    d = np.dtype(value.dtype if isinstance(value, dtype) else value)
    found = _DTYPES.get(d)
    if found is None:
        found = _DTYPES[d] = dtype(d)
    return found


def np_dtype(value):
    """The NumPy dtype of a ``torch.dtype`` (or of anything NumPy reads as a dtype); None stays None."""
    return None if value is None else np.dtype(value.dtype if isinstance(value, dtype) else value)


# ---- torch.Size, and a size that is both NumPy's int and PyTorch's method ------------------------------------
class Size(tuple):
    """``torch.Size``: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out


class SizeAttr(int):
    """What ``x.size`` is: the element count (an int, as core code and NumPy read it) that, called as PyTorch
    calls it, gives ``x.size()`` (a ``torch.Size``) or ``x.size(dim)`` (an int)."""

    def __new__(cls, shape):
        self = int.__new__(cls, int(np.prod(shape, dtype=np.int64)))
        self.shape = shape
        return self

    def __call__(self, dim=None):
        if dim is None:
            return Size(self.shape)
        return self.shape[checked_dim(dim, len(self.shape))]


# ---- dims, checked as PyTorch checks them ----------------------------------------------------------------------
def checked_dim(dim, ndim: int) -> int:
    """``dim`` checked by the core's one axis check, with PyTorch's error (an IndexError; a 0-d tensor takes dim
    0 or -1, as in PyTorch)."""
    n = builtins.max(ndim, 1)
    try:
        return normalize_axis(dim, n, "dim")
    except AxisError:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})") \
            from None


def checked_dims(dims, ndim: int) -> tuple:
    """Several dims, each checked by ``checked_dim``; one named twice raises, as PyTorch's does."""
    out = tuple(checked_dim(d, ndim) for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    if len(set(out)) != len(out):
        dup = next(d for i, d in enumerate(out) if d in out[:i])
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    return out


# ---- torch.return_types ----------------------------------------------------------------------------------------
def _return_type(name: str):
    base = collections.namedtuple(name, ["values", "indices"])

    def __repr__(self) -> str:
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
    cls.__module__ = "torch.return_types"
    return cls


class return_types:  # noqa: N801  (torch.return_types)
    max = _return_type("max")
    min = _return_type("min")
    sort = _return_type("sort")
    topk = _return_type("topk")


# ---- devices: turunan computes on the CPU --------------------------------------------------------------------
class device:  # noqa: N801  (torch.device)
    """``torch.device('cpu')``: turunan runs on the CPU through NumPy."""

    def __init__(self, type: str = "cpu", index=None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index  # noqa: A001
        self.type, self.index = str(type).split(":")[0], index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)


CPU = device("cpu")


def check_device(dev) -> None:
    """Accept the CPU (turunan's only device); any other device is an error that says so."""
    if dev is None:
        return
    kind = dev.type if isinstance(dev, device) else str(dev).split(":")[0]
    if kind != "cpu":
        raise RuntimeError(f"turunan computes on the CPU (through NumPy); device {str(dev)!r} is not available. "
                           "Use device='cpu' (or torch.cuda.is_available() to choose)")
