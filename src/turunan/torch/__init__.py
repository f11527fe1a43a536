"""The chapter in PyTorch's style: ``import turunan.torch as torch``.

A thin naming layer over turunan's one engine (no derivative math here). Tensors are ``turunan.torch.Tensor``,
a subclass of turunan's Tensor whose methods speak PyTorch (``transpose(0, 1)`` swaps two dims, ``std()`` is
unbiased, ``size()`` is a ``torch.Size``, ``max(dim)`` gives ``(values, indices)``) and which prints as PyTorch
prints; every function here returns one. ``.grad`` is None until a backward pass reaches it and then
accumulates; ``backward()`` on a non-scalar needs ``gradient=``; a second backward through a freed graph
raises. ``torch.autograd``, ``torch.nn``, ``torch.optim`` and ``torch.utils.data`` forward lazily to
turunan's modules of those names.

>>> import turunan.torch as torch
>>> x = torch.arange(4.0)
>>> x.requires_grad_(True)
tensor([0., 1., 2., 3.], requires_grad=True)
>>> y = 2 * torch.dot(x, x)
>>> y
tensor(28., grad_fn=<MulBackward0>)
>>> y.backward()
>>> x.grad
tensor([ 0.,  4.,  8., 12.])
>>> x.grad == 4 * x
tensor([True, True, True, True])
"""

from __future__ import annotations

import builtins as _builtins
from types import SimpleNamespace as _SimpleNamespace

import numpy as _np

import turunan as _tn
from turunan import Generator, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from turunan import no_grad as inference_mode  # no graph is recorded (turunan has no inference tensors)

from .. import _core
from .._array import as_array as _as_array
from .._doors import adapt as _adapt
from .._doors import lacking as _lacking
from .._doors import recast as _recast
from . import _promote, autograd, distributed, distributions, nn, optim, utils
from ._functions import (
    add,
    argsort,
    chunk,
    cos,
    cumprod,
    cumsum,
    div,
    eq,
    erf,
    exp,
    exp2,
    expm1,
    floor_divide,
    gather,
    ge,
    gt,
    index_select,
    le,
    log,
    log1p,
    log2,
    lt,
    masked_fill,
    maximum,
    minimum,
    mul,
    ne,
    norm,
    pow,
    reciprocal,
    remainder,
    repeat,
    rsqrt,
    sigmoid,
    sin,
    sort,
    split,
    sqrt,
    sub,
    tan,
    tanh,
    topk,
    where,
)
from ._functions import as_input as _input
from ._functions import max_ as max  # noqa: A004  (torch.max)
from ._functions import min_ as min  # noqa: A004  (torch.min)
from ._functions import shown_as as _shown_as
from ._functions import torch_named as _named
from ._functions import transpose as _transpose
from ._functions import unbind as _unbind
from ._functions import view_named as _view_named
from ._legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ._tensor import Tensor
from ._types import CPU as _CPU
from ._types import Size, device, dtype, return_types
from ._types import as_dtype as _as_dtype
from ._types import check_device as _check_device
from ._types import checked_dim as _checked_dim
from .serialization import load, save

# ---- dtypes (NumPy's, under PyTorch's names and printing as PyTorch prints them) -------------------------------
float16 = half = _as_dtype(_np.float16)
float32 = _as_dtype(_np.float32)
float64 = double = _as_dtype(_np.float64)
int8, int16, uint8 = _as_dtype(_np.int8), _as_dtype(_np.int16), _as_dtype(_np.uint8)
int32 = _as_dtype(_np.int32)
int64 = long = _as_dtype(_np.int64)
bool = _as_dtype(_np.bool_)  # noqa: A001  (torch.bool)
float = float32  # noqa: A001  (torch.float)
int = int32  # noqa: A001  (torch.int)
complex64, complex128 = _as_dtype(_np.complex64), _as_dtype(_np.complex128)


def get_default_dtype() -> dtype:
    return float32


# ---- creating tensors: the core's functions under PyTorch's names, giving PyTorch tensors -------------------------
_MADE = "dtype=None, layout=None, device=None, requires_grad=False"
tensor = _named(_tn.tensor, "data, *, dtype=None, device=None, requires_grad=False, pin_memory=False")
as_tensor = _named(_tn.as_tensor, "data, dtype=None, device=None")
arange = _named(_tn.arange, f"start=0, end=None, step=1, *, out=None, {_MADE}",
                call=lambda core, a, kw: core(a[0], **kw) if len(a) < 2 or a[1] is None else core(*a, **kw))
linspace = _named(_tn.linspace, f"start, end, steps, *, out=None, {_MADE}")
eye = _named(_tn.eye, f"n, m=None, *, out=None, {_MADE}")
zeros, ones, empty = (_named(getattr(_tn, _n), f"*size, out=None, {_MADE}, pin_memory=False, memory_format=None")
                      for _n in ("zeros", "ones", "empty"))
rand, randn = (_named(getattr(_tn, _n), f"*size, generator=None, out=None, {_MADE}, pin_memory=False")
               for _n in ("rand", "randn"))
full = _named(_tn.full, f"size, fill_value, *, out=None, {_MADE}")
zeros_like, ones_like, empty_like = (_named(getattr(_tn, _n), f"input, *, {_MADE}, memory_format=None")
                                     for _n in ("zeros_like", "ones_like", "empty_like"))
full_like = _named(_tn.full_like, f"input, fill_value, *, {_MADE}, memory_format=None")


def _like(make):
    """``rand_like``/``randn_like``: ``make`` (turunan's rand or randn) at the input's shape and dtype."""
    return _named(lambda input, dtype=None, requires_grad=False:  # noqa: A006  (PyTorch's parameter name)
                  make(*input.shape, dtype=dtype or input._d.dtype, requires_grad=requires_grad),
                  f"input, *, {_MADE}, memory_format=None")


rand_like, randn_like = _like(_tn.rand), _like(_tn.randn)

# ---- the core's ops under PyTorch's names and parameter names, giving PyTorch tensors ----------------------------
(abs, absolute, ceil, floor, isfinite, isinf, isnan, logical_not, neg, negative, relu, sign,  # noqa: A001
 square) = (_named(getattr(_tn, _n), "input, *, out=None", _m) for _n, _m in (
    ("abs", "abs"), ("absolute", "absolute"), ("ceil", "ceil"), ("floor", "floor"), ("isfinite", "isfinite"),
    ("isinf", "isinf"), ("isnan", "isnan"), ("logical_not", "logical_not"), ("negative", "neg"),
    ("negative", "negative"), ("relu", "relu"), ("sign", "sign"), ("square", "square")))
dot = _shown_as("DotBackward0", _named(_tn.dot, "input, tensor, *, out=None"))
inner, logical_and, logical_or, matmul, vdot = (_named(getattr(_tn, _n), "input, other, *, out=None") for _n in (
    "inner", "logical_and", "logical_or", "matmul", "vdot"))
mm, bmm = (_named(_tn.matmul, "input, mat2, *, out=None", _n) for _n in ("mm", "bmm"))
mv = _shown_as("MvBackward0", _named(_tn.matmul, "input, vec, *, out=None", "mv"))
outer = _named(_tn.outer, "input, vec2, *, out=None")
amax, amin, argmax, argmin, logsumexp = (_named(getattr(_tn, _n), "input, dim=None, keepdim=False, *, out=None")
                                         for _n in ("amax", "amin", "argmax", "argmin", "logsumexp"))
mean, prod, sum = (_named(getattr(_tn, _n), "input, dim=None, keepdim=False, *, dtype=None, out=None")  # noqa: A001
                   for _n in ("mean", "prod", "sum"))
softmax, log_softmax = (_named(getattr(_tn, _n), "input, dim=None, dtype=None") for _n in ("softmax", "log_softmax"))
from ._functions import clamp  # noqa: E402  (PyTorch's grad_fn names: ClampBackward1 / ClampBackward0)

clip = clamp
permute = _named(_tn.permute, "input, dims")
_reshape = _named(_tn.reshape, "input, shape")


def reshape(*args, **kwargs) -> Tensor:
    """PyTorch's reshape: a view where the memory allows (``ViewBackward0``), else a copy (``UnsafeViewBackward0``)."""
    out = _reshape(*args, **kwargs)
    return _view_named(out, args[0] if args else kwargs.get("input"))
round = _named(_tn.round, "input, *, decimals=0, out=None")  # noqa: A001
einsum = _adapt(_tn.einsum, Tensor)

# ---- arithmetic and comparisons with PyTorch's type promotion (turunan.torch._promote), and PyTorch's names for
# indexing, sorting and repeating (imported above from turunan.torch._functions), under their other names -------
multiply, divide, true_divide, subtract = mul, div, div, sub
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def promote_types(type1, type2) -> dtype:
    """PyTorch's promotion of two dtypes (categories bool < int < float; within one, NumPy's table)."""
    return _as_dtype(_promote.promote_types(_np.dtype(type1), _np.dtype(type2)))


def result_type(tensor, other) -> dtype:
    """The dtype PyTorch gives ``tensor <op> other`` (0-d tensors and Python numbers count only by category)."""
    return _as_dtype(_promote.result_type(tensor, other))


def can_cast(from_, to) -> _builtins.bool:
    """Whether PyTorch's in-place ops may write ``from_`` into ``to`` (never to a lower category)."""
    return _promote.category(_np.dtype(from_)) <= _promote.category(_np.dtype(to))


def tensordot(a, b, dims=2, out=None, *, axes=None) -> Tensor:
    """PyTorch's tensordot: ``dims`` is a count of trailing/leading dims, or two lists of dims to contract."""
    if out is not None:
        raise TypeError("turunan.torch.tensordot does not support out=")
    return _recast(_tn.tensordot(a, b, dims if axes is None else axes), Tensor)


def is_tensor(obj) -> _builtins.bool:
    """True for a turunan Tensor (of any front door)."""
    return isinstance(obj, _tn.Tensor)


def from_numpy(a: _np.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy array ``a`` (a numeric one: the core's check refuses others)."""
    if not isinstance(a, _np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    return Tensor._wrap(_as_array(a))


def numel(input: Tensor) -> _builtins.int:  # noqa: A002  (PyTorch's parameter name)
    return _np.size(_input(input)._d)


def cat(tensors, dim: _builtins.int = 0, *, axis=None) -> Tensor:
    """Join tensors along ``dim``."""
    tensors = list(tensors)
    dim = dim if axis is None else axis
    if tensors and _np.ndim(tensors[0]) > 0:
        dim = _checked_dim(dim, _np.ndim(tensors[0]))     # PyTorch's IndexError for a dim out of range
    return _recast(_tn.concatenate(tensors, dim), Tensor)


concat = concatenate = cat


def stack(tensors, dim: _builtins.int = 0) -> Tensor:
    tensors = list(tensors)
    if tensors:
        dim = _checked_dim(dim, _np.ndim(tensors[0]) + 1)
    return _core.name_grad_fn(_recast(_tn.stack(tensors, dim), Tensor), "StackBackward0")


def squeeze(input, dim=None) -> Tensor:  # noqa: A002
    """Remove dims of size 1 (only ``dim``, if given; one whose size is not 1 stays, as in PyTorch)."""
    return _input(input).squeeze(dim)


def unsqueeze(input, dim: _builtins.int) -> Tensor:  # noqa: A002
    return _input(input).unsqueeze(dim)


def transpose(input, dim0: _builtins.int, dim1: _builtins.int) -> Tensor:  # noqa: A002
    """Swap two dimensions (PyTorch's meaning of transpose)."""
    return _transpose(_input(input), dim0, dim1)


swapdims = transpose


def swapaxes(input, axis0: _builtins.int, axis1: _builtins.int) -> Tensor:  # noqa: A002
    return _transpose(_input(input), axis0, axis1)


def movedim(input, source, destination) -> Tensor:  # noqa: A002
    """Move the dims ``source`` to the positions ``destination`` (the others keep their order)."""
    return _input(input).movedim(source, destination)


moveaxis = movedim


def t(input) -> Tensor:  # noqa: A002
    return _input(input).t()


def flip(input, dims) -> Tensor:  # noqa: A002
    return _input(input).flip(dims)


def unbind(input, dim: int = 0) -> tuple:  # noqa: A002
    return _unbind(_input(input), dim)


def ravel(input) -> Tensor:  # noqa: A002
    return _input(input).ravel()


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    return _input(input).flatten(start_dim, end_dim)


def clone(input) -> Tensor:  # noqa: A002
    return _input(input).clone()


def var(input, dim=None, unbiased: _builtins.bool = True, keepdim: _builtins.bool = False, *,  # noqa: A002
        correction=None, **kw) -> Tensor:
    """Variance, unbiased by default (PyTorch's default; NumPy's is the population variance)."""
    return _input(input).var(dim, unbiased, keepdim, correction=correction, **kw)


def std(input, dim=None, unbiased: _builtins.bool = True, keepdim: _builtins.bool = False, *,  # noqa: A002
        correction=None, **kw) -> Tensor:
    """Standard deviation, unbiased by default (as PyTorch)."""
    return _input(input).std(dim, unbiased, keepdim, correction=correction, **kw)


def normal(mean=0.0, std=1.0, size=(), *, generator=None, dtype=None,  # noqa: F811
           requires_grad: _builtins.bool = False, device=None):  # noqa: F811
    """Normal samples with the given mean and standard deviation (floats), of shape ``size``."""
    _check_device(device)
    return _recast(_tn.normal(mean, std, size, dtype, requires_grad, generator), Tensor)


def randint(low, high=None, size=None, *, generator=None, dtype=int64, device=None) -> Tensor:  # noqa: F811
    """``randint(high, size)`` or ``randint(low, high, size)``, as PyTorch spells it."""
    _check_device(device)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    return _recast(_tn.randint(low, high, size if size is not None else (), dtype, generator), Tensor)


def randperm(n: _builtins.int, *, generator=None, dtype=int64, device=None) -> Tensor:  # noqa: F811
    _check_device(device)
    return _recast((generator or _tn.default_generator).permutation(n), Tensor).to(dtype)


def manual_seed(seed: _builtins.int) -> Generator:
    """Seed the default generator (all of turunan's random functions draw from it)."""
    return _tn.manual_seed(seed)


def allclose(input, other, rtol: _builtins.float = 1e-05, atol: _builtins.float = 1e-08,  # noqa: A002
             equal_nan: _builtins.bool = False) -> _builtins.bool:
    """Whether all elements are close (a Python bool; nothing is recorded)."""
    return _builtins.bool(_np.allclose(_np.asarray(input), _np.asarray(other), rtol, atol, equal_nan))


def equal(input, other) -> _builtins.bool:  # noqa: A002
    """Whether the two tensors have the same shape and elements (a Python bool)."""
    return _builtins.bool(_np.array_equal(_np.asarray(input), _np.asarray(other)))


# ---- devices: turunan computes on the CPU ------------------------------------------------------------------
cuda = _SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)
accelerator = _SimpleNamespace(      # PyTorch's torch.accelerator where there is none: the CPU is not one
    is_available=lambda: False, device_count=lambda: 0,
    current_accelerator=lambda check_available=False: None)


def set_default_device(device) -> None:
    """Only the CPU (or None, PyTorch's reset) is accepted: turunan computes on the CPU, through NumPy."""
    _check_device(device)


def get_default_device() -> device:
    return _CPU

# ---- the core's NumPy-parity functions under PyTorch's names (turunan.torch._parity), also as Tensor methods;
# torch.linalg and torch.special are modules of their own
from . import (  # noqa: E402, F401
    _parity,  # noqa: E402
    linalg,
    special,
)

for _n in _parity.NAMES:
    globals().setdefault(_n, getattr(_parity, _n))
for _n in _parity.METHODS:
    if _n not in Tensor.__dict__:
        setattr(Tensor, _n, getattr(_parity, _n))
lgamma = special.gammaln
digamma, erfinv, polygamma, xlogy, i0, logit = (special.digamma, special.erfinv, special.polygamma, special.xlogy,
                                               special.i0, special.logit)


def det(input) -> Tensor:  # noqa: A002  (PyTorch's parameter name)
    return linalg.det(input)


def inverse(input) -> Tensor:  # noqa: A002
    return linalg.inv(input)


def slogdet(input):  # noqa: A002
    return linalg.slogdet(input)


for _n, _f in (("lgamma", lgamma), ("digamma", digamma), ("erfinv", erfinv), ("logit", logit), ("i0", i0),
               ("det", det), ("inverse", inverse), ("slogdet", slogdet)):
    if _n not in Tensor.__dict__:
        setattr(Tensor, _n, _f)


__getattr__ = _lacking(__name__, "PyTorch")
