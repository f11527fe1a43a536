"""PyTorch's ``torch.Tensor`` over turunan's Tensor: PyTorch's method names and conventions, PyTorch's printing.

The core Tensor's methods follow NumPy (``transpose`` permutes, ``std`` is biased, ``size`` is an int). This
subclass translates PyTorch's spelling into the same core operations (DESIGN, principle 6: names, never math):
``transpose(0, 1)`` swaps two dims, ``std()`` is unbiased, ``size()`` is a method giving a ``torch.Size``,
``max(dim)`` gives ``(values, indices)``. Results of operations on it are PyTorch tensors again.

>>> import turunan.torch as torch
>>> x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> x.transpose(0, 1).shape
torch.Size([3, 2])
>>> x.std()
tensor(1.8708)
>>> x.max(dim=1)
torch.return_types.max(
values=tensor([3., 6.]),
indices=tensor([2, 2]))
"""

from __future__ import annotations

import builtins
import collections
import math

import numpy as np

from .. import _core
from .. import _ops as ops
from .._array import AxisError, as_operand, normalize_axis
from .._doors import recast
from . import _promote as P

# ---- dtypes ------------------------------------------------------------------------------------------------
_TORCH_NAMES = {"float16": "float16", "float32": "float32", "float64": "float64", "int8": "int8", "int16": "int16",
                "int32": "int32", "int64": "int64", "uint8": "uint8", "bool": "bool", "complex64": "complex64",
                "complex128": "complex128"}
_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


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


def _np_dtype(value):
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


class _SizeAttr(int):
    """What ``x.size`` is: the element count (an int, as core code and NumPy read it) that, called as PyTorch
    calls it, gives ``x.size()`` (a ``torch.Size``) or ``x.size(dim)`` (an int)."""

    def __new__(cls, shape):
        self = int.__new__(cls, int(np.prod(shape, dtype=np.int64)))
        self.shape = shape
        return self

    def __call__(self, dim=None):
        if dim is None:
            return Size(self.shape)
        return self.shape[_dim(dim, len(self.shape))]


def _dim(dim, ndim: int) -> int:
    """``dim`` checked by the core's one axis check, with PyTorch's error (an IndexError; a 0-d tensor takes dim
    0 or -1, as in PyTorch)."""
    n = builtins.max(ndim, 1)
    try:
        return normalize_axis(dim, n, "dim")
    except AxisError:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})") \
            from None


def _dims(dims, ndim: int) -> tuple:
    """Several dims, each checked by ``_dim``; one named twice raises, as PyTorch's does."""
    out = tuple(_dim(d, ndim) for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
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


_CPU = device("cpu")


def check_device(dev) -> None:
    """Accept the CPU (turunan's only device); any other device is an error that says so."""
    if dev is None:
        return
    kind = dev.type if isinstance(dev, device) else str(dev).split(":")[0]
    if kind != "cpu":
        raise RuntimeError(f"turunan computes on the CPU (through NumPy); device {str(dev)!r} is not available. "
                           "Use device='cpu' (or torch.cuda.is_available() to choose)")


# ---- printing, as torch/_tensor_str.py does (precision 4, linewidth 80, threshold 1000, edgeitems 3) ---------
_PRECISION, _LINEWIDTH, _THRESHOLD, _EDGEITEMS = 4, 80, 1000, 3


class _Formatter:
    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = builtins.max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        absval = np.abs(finite)
        lo, hi = absval.min(), absval.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        for v in finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{_PRECISION}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{_PRECISION}f}")
            self.max_width = builtins.max(self.max_width, width)

    def format(self, v) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{v:{self.max_width}.{_PRECISION}e}"
            elif self.int_mode:
                text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                text = f"{v:.{_PRECISION}f}"
        else:
            text = str(v)
        return " " * (self.max_width - len(text)) + text


def _summarized(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:_EDGEITEMS], a[-_EDGEITEMS:]]) if a.shape[0] > 2 * _EDGEITEMS else a
    rows = list(range(_EDGEITEMS)) + list(range(a.shape[0] - _EDGEITEMS, a.shape[0])) \
        if a.shape[0] > 2 * _EDGEITEMS else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _text(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    cut = summarize and a.shape[0] > 2 * _EDGEITEMS
    if a.ndim == 1:
        per_line = builtins.max(1, (_LINEWIDTH - indent) // (fmt.max_width + 2))
        if cut:
            items = ([fmt.format(v) for v in a[:_EDGEITEMS].tolist()] + [" ..."]
                     + [fmt.format(v) for v in a[-_EDGEITEMS:].tolist()])
        else:
            items = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = (list(range(_EDGEITEMS)) + [None] + list(range(a.shape[0] - _EDGEITEMS, a.shape[0]))) if cut \
        else range(a.shape[0])
    parts = ["..." if i is None else _text(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_torch(t: _core.Tensor, prefix: str = "tensor(") -> str:
    """The text PyTorch prints for a tensor: ``tensor([1.0000, 0.5403], dtype=torch.float64, grad_fn=<...>)``."""
    a = np.asarray(t._d)
    indent = len(prefix)
    suffixes = []
    default = a.dtype in (np.float32, np.int64, np.bool_)
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != np.float32:
            suffixes.append(f"dtype={as_dtype(a.dtype)!r}")
    else:
        summarize = a.size > _THRESHOLD
        body = _text(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))
        if not default:
            suffixes.append(f"dtype={as_dtype(a.dtype)!r}")
    if t._node is not None:
        suffixes.append(f"grad_fn=<{t._node.name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = [prefix + body]
    last = len(out[0]) - out[0].rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _LINEWIDTH:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


# ---- the tensor ----------------------------------------------------------------------------------------------
def _reduce_args(dim, keepdim, kw) -> tuple:
    """PyTorch also accepts NumPy's ``axis``/``keepdims`` as aliases of ``dim``/``keepdim``."""
    if "axis" in kw:
        dim = kw.pop("axis")
    if "keepdims" in kw:
        keepdim = kw.pop("keepdims")
    if kw:
        raise TypeError(f"unexpected keyword arguments {sorted(kw)}")
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim)


class Tensor(_core.Tensor):
    """PyTorch's tensor: turunan's Tensor with PyTorch's method names and conventions, printed as PyTorch prints.

    ``torch.Tensor(data)`` makes a float32 tensor (as PyTorch's constructor does); ``torch.Tensor(2, 3)`` one
    of that shape (filled with zeros: PyTorch leaves it uninitialised).
    """

    __slots__ = ()

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False) -> None:
        check_device(device)
        if args and builtins.all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            data = np.zeros(tuple(int(a) for a in args), np.float32)
        elif len(args) == 1 and isinstance(args[0], (tuple, Size)) and not args[0]:
            data = np.zeros((0,), np.float32)
        elif len(args) == 1:
            data = args[0]._d if isinstance(args[0], _core.Tensor) else args[0]
        elif not args:
            data = np.zeros((0,), np.float32)
        else:
            raise TypeError("torch.Tensor(data) or torch.Tensor(*sizes)")
        super().__init__(data, _np_dtype(dtype) or np.float32, requires_grad)

    # ---- facts, PyTorch's way ------------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._d.shape)

    @property
    def size(self) -> _SizeAttr:
        """``x.size()`` is a torch.Size, ``x.size(dim)`` an int (and ``x.size`` alone the element count)."""
        return _SizeAttr(self._d.shape)

    @property
    def dtype(self) -> dtype:
        return as_dtype(self._d.dtype)

    @property
    def device(self) -> device:
        return _CPU

    is_cuda = False

    @property
    def grad(self):
        """The accumulated gradient (a PyTorch tensor): None until a backward pass reaches this leaf."""
        g = self._grad
        if g is not None and not isinstance(g, Tensor):
            g = self._grad = recast(g, Tensor)    # the same array and graph node, PyTorch's class
        return g

    @grad.setter
    def grad(self, value) -> None:
        _core.Tensor.grad.fset(self, value)

    @property
    def data(self):
        """PyTorch's ``x.data``: a tensor sharing this one's memory that does not require grad and has its own
        version counter, so in-place changes through it (``p.data.sub_(lr * p.grad)``) are not seen by the
        graph, as in PyTorch. A raw array here would give PyTorch's method names NumPy's meaning
        (``std``, ``repeat``, ``sort`` in place)."""
        return type(self)._result_type()._wrap(self._d)

    @data.setter
    def data(self, value) -> None:
        _core.Tensor.data.fset(self, value)     # the core's checks: numbers only, a float array under grad

    def nelement(self) -> int:
        return self._d.size

    def ndimension(self) -> int:
        return self._d.ndim

    def element_size(self) -> int:
        return self._d.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._d.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._d.flags.c_contiguous)

    def contiguous(self):
        """This tensor if its memory is C-contiguous, else a recorded copy that is (PyTorch's)."""
        return self if self._d.flags.c_contiguous else recast(ops.copy(self), Tensor)

    def ravel(self):
        """A 1-d view where the memory is contiguous, else a 1-d copy (PyTorch's ``contiguous().view(-1)``)."""
        return recast(ops.reshape(self.contiguous(), (-1,)), Tensor)

    def flip(self, *dims):
        """A copy with the order of ``dims`` reversed (PyTorch's flip copies; NumPy's is a view)."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return recast(ops.copy(ops.flip(self, _dims(dims, self.ndim) if self.ndim else dims)), Tensor)

    def unbind(self, dim: int = 0):
        return unbind(self, dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """PyTorch's flatten: the tensor itself where nothing is merged (a 1-d tensor), else ``reshape``."""
        if self.ndim and _dim(start_dim, self.ndim) == _dim(end_dim, self.ndim):
            return self
        return recast(ops.flatten(self, start_dim, end_dim), Tensor)

    # ---- devices and dtypes ------------------------------------------------------------------------------
    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking: bool = False):
        check_device("cuda")

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False):
        """``x.to(torch.float64)``, ``x.to('cpu')``, ``x.to(other)`` (its dtype): a new tensor only if needed."""
        for a in args:
            if isinstance(a, _core.Tensor):
                dtype = a._d.dtype
            elif isinstance(a, (str, globals()["device"])):
                device = a
            else:
                dtype = a
        check_device(device)
        out = self if dtype is None else ops.astype(self, _np_dtype(dtype))
        return out.clone() if copy and out is self else out

    def type(self, dtype=None, non_blocking: bool = False):
        """Without an argument, PyTorch's type name (``'torch.FloatTensor'``); with one, a converted tensor."""
        if dtype is None:
            return f"torch.{_LEGACY.get(self._d.dtype.name, self._d.dtype.name)}Tensor"
        if isinstance(dtype, str):
            names = {f"torch.{v}Tensor": k for k, v in _LEGACY.items()}
            if dtype not in names:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = names[dtype]
        return ops.astype(self, _np_dtype(dtype))

    def type_as(self, other):
        return ops.astype(self, other._d.dtype)

    # ---- shapes --------------------------------------------------------------------------------------------
    def view(self, *shape):
        """The same elements in another shape, sharing memory (``-1`` infers one size); raises where that
        needs a copy, as PyTorch does (use ``reshape``)."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            raise TypeError("view(dtype) is not supported by turunan; use .to(dtype)")
        return ops.view(self, *shape)

    def view_as(self, other):
        return ops.view(self, tuple(other.shape))

    def reshape_as(self, other):
        return ops.reshape(self, tuple(other.shape))

    def expand_as(self, other):
        return ops.broadcast_to(self, tuple(other.shape))

    def expand(self, *sizes):
        """Broadcast to ``sizes``; -1 keeps the size of that dim (PyTorch's ``x.expand(-1, 5)``)."""
        sizes = ops._shape_arg(sizes)
        lead = len(sizes) - self._d.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({self._d.ndim})")
        if builtins.any(s == -1 for s in sizes[:lead]):
            raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
        shape = tuple(self._d.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        return ops.broadcast_to(self, shape)

    def transpose(self, *dims):
        """PyTorch's transpose: swap the two dims ``dim0`` and ``dim1``.

        (Given any other number of dims it is NumPy's permutation, which core code may call.)
        """
        if len(dims) == 2 and builtins.all(isinstance(d, (int, np.integer)) for d in dims):
            return transpose(self, dims[0], dims[1])
        return ops.transpose(self, *dims)

    swapaxes = swapdims = transpose

    def t(self):
        """Transpose a tensor of at most 2 dimensions (0-d and 1-d tensors come back as they are)."""
        if self._d.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._d.ndim}D")
        return ops.transpose(self)

    def squeeze(self, dim=None):
        """Remove dims of size 1 (only ``dim``, if given; a ``dim`` whose size is not 1 is left as it is)."""
        if dim is None:
            return ops.squeeze(self)
        nd = self._d.ndim
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = tuple(d for d in (_dim(d, nd) for d in dims) if nd and self._d.shape[d] == 1)
        return ops.squeeze(self, dims) if dims else self.view(self._d.shape)

    def unsqueeze(self, dim: int):
        return ops.expand_dims(self, _dim(dim, self._d.ndim + 1))

    def movedim(self, source, destination):
        nd = self._d.ndim
        if nd == 0:     # PyTorch: dim 0 or -1 of a 0-d tensor is the tensor itself
            _dims(source, 0), _dims(destination, 0)
            return ops.reshape(self, ())
        return ops.moveaxis(self, _dims(source, nd), _dims(destination, nd))

    moveaxis = movedim

    # ---- reductions ----------------------------------------------------------------------------------------
    def var(self, dim=None, unbiased=True, keepdim: bool = False, *, correction=None, **kw):
        """Variance, unbiased by default (PyTorch's ``correction=1``; NumPy's default is the population's)."""
        if isinstance(dim, bool):            # the old spelling x.var(False): unbiased, not a dim
            dim, unbiased = None, dim
        dim, keepdim = _reduce_args(dim, keepdim, kw)
        ddof = correction if correction is not None else (1 if unbiased else 0)
        return ops.var(self, dim, keepdim, ddof)

    def std(self, dim=None, unbiased=True, keepdim: bool = False, *, correction=None, **kw):
        """Standard deviation, unbiased by default (as PyTorch)."""
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        dim, keepdim = _reduce_args(dim, keepdim, kw)
        ddof = correction if correction is not None else (1 if unbiased else 0)
        return ops.std(self, dim, keepdim, ddof)

    def max(self, dim=None, keepdim: bool = False, **kw):
        """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor, the elementwise max."""
        return max_(self, dim, keepdim, **kw)

    def min(self, dim=None, keepdim: bool = False, **kw):
        """The smallest element; with ``dim``, ``(values, indices)`` along it; with a tensor, the elementwise min."""
        return min_(self, dim, keepdim, **kw)

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None):
        """PyTorch's norm: a vector norm over ``dim`` (all elements by default); ``'fro'`` is the 2-norm."""
        return norm(self, p, dim, keepdim, dtype)

    # ---- PyTorch's method names for the core ops (with PyTorch's type promotion: see _promote) -------------
    def add(self, other, *, alpha=1):
        return add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return sub(self, other, alpha=alpha)

    subtract = sub

    def add_(self, other, *, alpha=1):
        return ops._inplace(self, lambda s, o: _to_own_dtype(s, add(s, o, alpha=alpha)), other)

    def sub_(self, other, *, alpha=1):
        return ops._inplace(self, lambda s, o: _to_own_dtype(s, sub(s, o, alpha=alpha)), other)

    def neg(self):
        return ops.negative(self)

    def mm(self, other):
        return ops.matmul(self, other)

    mv = bmm = mm

    def equal(self, other) -> bool:
        return bool(np.array_equal(self._d, np.asarray(other)))

    # ---- the names a reader of the next chapters reaches for (functions below) ---------------------------
    def repeat(self, *sizes):
        return repeat(self, *sizes)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
        return topk(self, k, dim, largest, sorted)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        return sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        return argsort(self, dim, descending, stable=stable)

    def gather(self, dim: int, index):
        return gather(self, dim, index)

    def index_select(self, dim: int, index):
        return index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return ops._inplace(self, masked_fill, mask, value)

    def chunk(self, chunks: int, dim: int = 0):
        return chunk(self, chunks, dim)

    def split(self, split_size, dim: int = 0):
        return split(self, split_size, dim)

    def cumprod(self, dim=None, *, dtype=None, **kw):
        return cumprod(self, dim, dtype=dtype, **kw)

    def cumsum(self, dim=None, *, dtype=None, **kw):
        return cumsum(self, dim, dtype=dtype, **kw)

    # ---- printing ------------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return format_torch(self)

    __str__ = __repr__
    __hash__ = _core.Tensor.__hash__


Tensor._result_cls = Tensor     # operations on a PyTorch tensor (or a subclass of it) give PyTorch tensors
Tensor.__module__ = "turunan.torch"


# ---- functions shared by the module and the methods ----------------------------------------------------------
def _extreme(kind: str, input, dim, keepdim, kw):  # noqa: A002
    pick, arg, other = ((ops.amax, ops.argmax, maximum) if kind == "max" else (ops.amin, ops.argmin, minimum))
    if "other" in kw:
        dim = kw.pop("other")
    if isinstance(dim, (_core.Tensor, np.ndarray)):
        if kw:
            raise TypeError(f"unexpected keyword arguments {sorted(kw)}")
        return recast(other(input, dim), Tensor)
    dim, keepdim = _reduce_args(dim, keepdim, kw)
    if dim is None:
        return recast(pick(input), Tensor)
    input = ops._t(input) if not isinstance(input, _core.Tensor) else input
    if input.ndim == 0 or not isinstance(dim, (int, np.integer)):
        values, indices = pick(input, dim, keepdim), arg(input, dim, keepdim)
        return getattr(return_types, kind)(recast(values, Tensor), recast(indices, Tensor))
    # PyTorch's max(dim) is a gather at the returned index: at a tie the whole gradient goes to that element
    d = _dim(dim, input.ndim)
    kept = arg(input, d, True)
    index = list(np.ogrid[tuple(slice(0, n) for n in kept.shape)])
    index[d] = kept._d
    values = ops.getitem(input, tuple(index))
    if not keepdim:
        values, kept = ops.squeeze(values, d), ops.squeeze(kept, d)
    return getattr(return_types, kind)(recast(values, Tensor), recast(kept, Tensor))


def max_(input, dim=None, keepdim: bool = False, **kw):  # noqa: A002
    return _extreme("max", input, dim, keepdim, kw)


def min_(input, dim=None, keepdim: bool = False, **kw):  # noqa: A002
    return _extreme("min", input, dim, keepdim, kw)


def as_input(x, name: str = "torch"):
    """A function's ``input`` as the door's Tensor. PyTorch takes only tensors there; numbers and numeric arrays
    are let in, as elsewhere in the door, anything else is refused (a string reached ``.clone()``: AttributeError)."""
    if isinstance(x, _core.Tensor):
        return recast(x, Tensor)
    return Tensor(as_operand(x, name))


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):  # noqa: A002
    """PyTorch's ``torch.norm``: the vector ``p``-norm over ``dim`` (all elements when None), ``'fro'`` = 2.

    Only names and shapes are translated: the dims are moved together and merged, and the core's vector norm
    does the math.
    """
    input = as_input(input, "norm")  # noqa: A001
    x = input if dtype is None else ops.astype(input, _np_dtype(dtype))
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(f"turunan.torch.norm: p={p!r} is not supported; use a number or 'fro'")
    nd = x.ndim
    if isinstance(dim, (int, np.integer)):
        return recast(ops.norm(x, p, int(dim), keepdim), Tensor)
    if dim is None and p == 2:
        return recast(ops.norm(x, None, None, keepdim), Tensor)     # sqrt of the sum of squares, any ndim
    shape = tuple(x.shape)
    dims = range(nd) if dim is None else dim
    dims = sorted(_dims(tuple(dims), nd)) if nd else []
    rest = [d for d in range(nd) if d not in dims]
    flat = ops.reshape(ops.transpose(x, tuple(rest + dims)), tuple(shape[d] for d in rest) + (-1,))
    out = ops.norm(flat, p, -1)
    if keepdim:
        out = ops.reshape(out, tuple(1 if d in dims else shape[d] for d in range(nd)))
    return recast(out, Tensor)


# ---- arithmetic and comparisons with PyTorch's type promotion (operands cast, then the core op) -------------
def _promoted(core, division: bool = False, name: str | None = None, no_bool: bool = False,
              keep_scalars: bool = False):
    """A binary function: both operands cast to PyTorch's result dtype, then ``core`` (the math)."""
    def fn(input, other):  # noqa: A002
        if no_bool:
            _refuse_bool(input, other)
        a, b = P.operands(input, other, division, keep_scalars, fn.__name__)
        return recast(core(a, b), Tensor)
    fn.__name__ = fn.__qualname__ = name or core.__name__
    fn.__doc__ = f"PyTorch's {fn.__name__}: the operands promoted as PyTorch promotes them, then turunan's op."
    return fn


def _bool_power(a, b):
    """PyTorch has a bool power only for a bool tensor and a Python bool exponent (a bool; computed on uint8,
    as NumPy has no bool power); with a bool tensor as exponent it raises."""
    if P.result_type(a, b) == P.BOOL:
        if not isinstance(a, _core.Tensor) or isinstance(b, _core.Tensor):
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return ops.astype(ops.power(P.cast(a, np.uint8), P.cast(b, np.uint8)), P.BOOL)
    return ops.power(a, b)


def _refuse_bool(a, b):
    """PyTorch refuses to subtract when either operand is a bool (a tensor or a Python bool)."""
    if P.BOOL in (P.result_type(a), P.result_type(b)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


mul = _promoted(ops.multiply, name="mul")
_true_div = _promoted(ops.divide, True, "div")


_trunc_div = _promoted(ops.trunc_divide, name="div")


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    """PyTorch's div: true division (integers give float32), or rounded with ``rounding_mode='trunc'`` /
    ``'floor'``, which keep integer dtypes."""
    if out is not None:
        raise TypeError("div(..., out=) is not supported; assign the result instead")
    if rounding_mode is None:
        return _true_div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return _trunc_div(input, other)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")
pow = _promoted(_bool_power, name="pow", keep_scalars=True)  # noqa: A001
remainder = _promoted(ops.remainder, name="remainder")
floor_divide = _promoted(ops.floor_divide, name="floor_divide")
maximum, minimum = _promoted(ops.maximum), _promoted(ops.minimum)
eq, ne, lt, le, gt, ge = (_promoted(f, name=n) for f, n in (
    (ops.equal, "eq"), (ops.not_equal, "ne"), (ops.less, "lt"), (ops.less_equal, "le"), (ops.greater, "gt"),
    (ops.greater_equal, "ge")))


def add(input, other, *, alpha=1, out=None):  # noqa: A002
    """``input + alpha * other``, promoted as PyTorch does (alpha takes the result's dtype)."""
    return _with_alpha(ops.add, input, other, alpha, out)


def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    """``input - alpha * other``, promoted as PyTorch does."""
    _refuse_bool(input, other)
    return _with_alpha(ops.subtract, input, other, alpha, out)


def _with_alpha(core, input, other, alpha, out):  # noqa: A002
    if out is not None:
        raise TypeError("turunan.torch does not support out=")
    a, b = P.operands(input, other, name=core.__name__)
    if not (isinstance(alpha, (int, np.integer)) and alpha == 1):
        dt = (a._d if isinstance(a, _core.Tensor) else np.asarray(a)).dtype
        if P.category(P.result_type(np.empty(1, dt), alpha)) > P.category(dt):
            raise RuntimeError(f"For integral input tensors, argument alpha must not be a floating point number "
                               f"(alpha={alpha!r}, dtype {as_dtype(dt)!r})")
        b = ops.multiply(b, P.cast(alpha, dt))
    return recast(core(a, b), Tensor)


def where(condition, input, other):  # noqa: A002
    """``input`` where ``condition`` holds, else ``other``; the two promoted as PyTorch does."""
    a, b = P.operands(input, other, name="where")
    return recast(ops.where(condition, a, b), Tensor)


def _to_own_dtype(self, result):
    """An in-place result in ``self``'s dtype; PyTorch refuses a cast to a lower category (float into int)."""
    have, want = result._d.dtype, self._d.dtype
    if have == want:
        return result
    if P.category(have) > P.category(want):
        raise RuntimeError(f"result type {as_dtype(have)!r} can't be cast to the desired output type "
                           f"{as_dtype(want)!r}")
    return ops.astype(result, want)


_NUMBER_TYPES = (float, int, bool, complex)


def _operator(fn, reflected: bool = False, dunder: bool = False):
    if not dunder:
        if reflected:
            return lambda self, other: fn(other, self)
        return lambda self, other: fn(self, other)

    def op(self, other):
        # PyTorch's operators answer NotImplemented to an operand that is not numbers: t + "a" is then Python's
        # TypeError and t == None Python's False (identity), not an error or a tensor of False
        if not isinstance(other, _core.Tensor) and type(other) not in _NUMBER_TYPES:
            try:
                other = as_operand(other, fn.__name__)
            except TypeError:
                return NotImplemented
        return fn(other, self) if reflected else fn(self, other)
    return op


def _inplace_operator(fn):
    def method(self, other):
        return ops._inplace(self, lambda s, o: _to_own_dtype(s, fn(s, o)), other)
    return method


_plain_add = _promoted(ops.add, name="add")
_plain_sub = _promoted(ops.subtract, name="sub", no_bool=True)
for _name, _fn in (("add", _plain_add), ("sub", _plain_sub), ("mul", mul), ("truediv", div), ("pow", pow),
                   ("mod", remainder), ("floordiv", floor_divide)):
    setattr(Tensor, f"__{_name}__", _operator(_fn, dunder=True))
    setattr(Tensor, f"__r{_name}__", _operator(_fn, reflected=True, dunder=True))
    if _name not in ("mod", "floordiv"):
        setattr(Tensor, f"__i{_name}__", _inplace_operator(_fn))
for _name, _fn in (("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)):
    setattr(Tensor, f"__{_name}__", _operator(_fn, dunder=True))
    setattr(Tensor, _name, _operator(_fn))
for _name, _fn in (("mul", mul), ("multiply", mul), ("div", div), ("divide", div), ("true_divide", div),
                   ("pow", pow), ("remainder", remainder), ("floor_divide", floor_divide), ("maximum", maximum),
                   ("minimum", minimum), ("greater", gt), ("less", lt), ("not_equal", ne)):
    setattr(Tensor, _name, _operator(_fn))
for _name, _fn in (("mul_", mul), ("div_", div), ("pow_", pow)):
    setattr(Tensor, _name, _inplace_operator(_fn))


def _div_method(self, other, *, rounding_mode=None):
    return div(self, other, rounding_mode=rounding_mode)


def _div_inplace(self, other, *, rounding_mode=None):
    return ops._inplace(self, lambda s, o: _to_own_dtype(s, div(s, o, rounding_mode=rounding_mode)), other)


Tensor.div = Tensor.divide = _div_method
Tensor.div_ = _div_inplace
Tensor.__hash__ = _core.Tensor.__hash__


# ---- floating functions: an integer tensor is computed in float32, as PyTorch does -------------------------
def _floating(core, name: str):
    def fn(input):  # noqa: A002
        return recast(core(P.floating(input, name)), Tensor)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"PyTorch's {name}: turunan's op, on float32 for an integer or bool tensor."
    return fn


FLOATING = {n: _floating(getattr(ops, n), n) for n in (
    "exp", "expm1", "log", "log1p", "log2", "exp2", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid",
    "reciprocal", "erf")}
for _name, _fn in FLOATING.items():
    setattr(Tensor, _name, lambda self, _fn=_fn: _fn(self))


# ---- PyTorch's names for indexing, sorting and repeating (translations onto the core's ops) ----------------
def repeat(input, *sizes):  # noqa: A002
    """PyTorch's ``x.repeat(2, 3)``: the tensor tiled (NumPy's tile), one count per dim (at least ``x.dim()``)."""
    input = as_input(input, "repeat")  # noqa: A001
    reps = ops._shape_arg(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    return recast(ops.tile(input, reps), Tensor)     # a copy, as PyTorch's repeat


def _index_tensor(index, name: str) -> np.ndarray:
    idx = np.asarray(index._d if isinstance(index, _core.Tensor) else index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    return idx


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):  # noqa: A002
    """``(values, indices)`` along ``dim``, ascending unless ``descending`` (stable; NaN sorts as largest)."""
    idx = ops.argsort(input, dim, descending)
    return return_types.sort(recast(ops.take_along_axis(input, idx, dim), Tensor), recast(idx, Tensor))


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):  # noqa: A002
    return recast(ops.argsort(input, dim, descending), Tensor)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``: ``(values, indices)``."""
    values, indices = ops.topk(input, int(k), dim, largest)
    return return_types.topk(recast(values, Tensor), recast(indices, Tensor))


def gather(input, dim: int, index, *, sparse_grad: bool = False, out=None):  # noqa: A002
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1``: the core's take_along_axis over ``index``'s extent
    (PyTorch lets ``index`` be smaller than ``input`` in the other dims)."""
    idx = _index_tensor(index, "gather")
    nd = input.ndim
    if idx.ndim != builtins.max(nd, 1) and not (nd == 0 and idx.ndim == 0):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if nd == 0:
        return recast(ops.take_along_axis(ops.reshape(input, (1,)), idx.reshape(1), 0).reshape(idx.shape), Tensor)
    d = _dim(dim, nd)
    part = tuple(slice(None) if i == d else slice(0, idx.shape[i]) for i in range(nd))
    src = input[part] if builtins.any(idx.shape[i] < input.shape[i] for i in range(nd) if i != d) else input
    return recast(ops.take_along_axis(src, idx, d), Tensor)


def index_select(input, dim: int, index, *, out=None):  # noqa: A002
    """The slices of ``input`` at ``index`` (a 1-d integer tensor) along ``dim``."""
    idx = _index_tensor(index, "index_select").reshape(-1)
    if input.ndim == 0:
        return recast(ops.take(ops.reshape(input, (1,)), idx, 0).reshape(()), Tensor)
    return recast(ops.take(input, idx, _dim(dim, input.ndim)), Tensor)


def masked_fill(input, mask, value):  # noqa: A002
    """``value`` where the boolean ``mask`` holds, ``input`` elsewhere; ``value`` takes ``input``'s dtype."""
    m = mask._d if isinstance(mask, _core.Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {as_dtype(m.dtype)!r}")
    if isinstance(value, _core.Tensor) and value.ndim:
        raise RuntimeError("masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s)")
    dt = input._d.dtype if isinstance(input, _core.Tensor) else np.asarray(input).dtype
    return recast(ops.where(m, P.cast(value, dt, "masked_fill"), input), Tensor)


def transpose(input, dim0: int, dim1: int):  # noqa: A002
    """PyTorch's transpose: swap ``dim0`` and ``dim1`` (a 0-d tensor takes 0 or -1 and comes back as it is)."""
    nd = input.ndim
    d0, d1 = _dim(dim0, nd), _dim(dim1, nd)
    if nd == 0:
        return recast(ops.reshape(input, ()), Tensor)
    return recast(ops.swapaxes(input, d0, d1), Tensor)


def split(tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """PyTorch's split: chunks of ``split_size`` along ``dim`` (the last may be smaller), or a list of sizes."""
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = _dim(dim, tensor.ndim)
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, (bool, np.bool_)) or isinstance(split_size_or_sections, float):
        raise TypeError(f"split(): split_size must be an int or a list of ints, got "
                        f"{type(split_size_or_sections).__name__} {split_size_or_sections!r}")
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        bounds = list(range(size, n, size)) if size > 0 else []
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sizes}")
        bounds = list(np.cumsum(sizes)[:-1])
    pieces = tuple(recast(ops.split(tensor, bounds, dim), Tensor))
    ops.mark_multi_output_views(pieces, "SplitWithSizes" if not isinstance(split_size_or_sections, (int, np.integer))
                                else "Split")
    return pieces


def unbind(input, dim: int = 0) -> tuple:  # noqa: A002
    """The slices of ``input`` along ``dim``, each without that dim (views, as PyTorch's)."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = _dim(dim, input.ndim)
    pre = (slice(None),) * dim
    pieces = tuple(recast(input[pre + (i,)], Tensor) for i in range(input.shape[dim]))
    ops.mark_multi_output_views(pieces, "Unbind")
    return pieces


def chunk(input, chunks: int, dim: int = 0) -> tuple:  # noqa: A002
    """At most ``chunks`` pieces of ``ceil(size / chunks)`` along ``dim`` (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    dim = _dim(dim, input.ndim)
    n = input.shape[dim]
    return split(input, builtins.max(-(-n // chunks), 1), dim)


def cumprod(input, dim=None, *, dtype=None, **kw):  # noqa: A002
    """Cumulative product along ``dim`` (integers and bools give int64, as PyTorch)."""
    dim = kw.pop("axis", dim)
    x = input if dtype is None else ops.astype(input, _np_dtype(dtype))
    if isinstance(x, _core.Tensor) and x._d.dtype.kind in "biu" and x._d.dtype != np.int64:
        x = ops.astype(x, np.int64)
    return recast(ops.cumprod(x, dim), Tensor)


def cumsum(input, dim=None, *, dtype=None, **kw):  # noqa: A002
    """Cumulative sum along ``dim`` (integers and bools give int64, as PyTorch)."""
    dim = kw.pop("axis", dim)
    x = input if dtype is None else ops.astype(input, _np_dtype(dtype))
    if isinstance(x, _core.Tensor) and x._d.dtype.kind in "biu" and x._d.dtype != np.int64:
        x = ops.astype(x, np.int64)
    return recast(ops.cumsum(x, dim), Tensor)
