"""The chapter in PyTorch's style: ``import turunan.torch as torch``.

A thin naming layer over turunan's one engine (no derivative math here). Tensors are turunan's own Tensor,
which already behaves as PyTorch's does: ``.grad`` is None until a backward pass reaches it and then
accumulates; ``backward()`` on a non-scalar needs ``gradient=``; a second backward through a freed graph
raises; results print as ``tensor(28., grad_fn=<MulBackward0>)``. ``torch.autograd``, ``torch.nn``,
``torch.optim`` and ``torch.utils.data`` forward lazily to turunan's modules of those names.

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
"""

from __future__ import annotations

import builtins as _builtins
import collections as _collections
import types as _types

import numpy as _np

import turunan as _tn
from turunan import (
                        Generator,
                        Tensor,
                        abs,
                        absolute,
                        add,
                        amax,
                        amin,
                        arange,
                        argmax,
                        argmin,
                        as_tensor,
                        ceil,
                        clamp,
                        clip,
                        cos,
                        cumsum,
                        dot,
                        einsum,
                        empty,
                        empty_like,
                        enable_grad,
                        exp,
                        expm1,
                        eye,
                        flatten,
                        floor,
                        full,
                        full_like,
                        inner,
                        is_grad_enabled,
                        isfinite,
                        isinf,
                        isnan,
                        linspace,
                        log,
                        log1p,
                        log_softmax,
                        logsumexp,
                        manual_seed,
                        matmul,
                        maximum,
                        mean,
                        minimum,
                        no_grad,
                        norm,
                        ones,
                        ones_like,
                        outer,
                        permute,
                        prod,
                        rand,
                        randn,
                        reciprocal,
                        relu,
                        reshape,
                        round,
                        set_grad_enabled,
                        sigmoid,
                        sign,
                        sin,
                        softmax,
                        sqrt,
                        square,
                        sum,
                        tan,
                        tanh,
                        tensor,
                        tensordot,
                        vdot,
                        where,
                        zeros,
                        zeros_like,
)

from .._doors import lacking as _lacking
from . import autograd, nn, optim, utils

# ---- dtypes (NumPy's, under PyTorch's names) ----------------------------------------------------------------
float16 = half = _np.dtype(_np.float16)
float32 = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
int8, int16, uint8 = _np.dtype(_np.int8), _np.dtype(_np.int16), _np.dtype(_np.uint8)
int32 = _np.dtype(_np.int32)
int64 = long = _np.dtype(_np.int64)
bool = _np.dtype(_np.bool_)  # noqa: A001  (torch.bool)
float = float32  # noqa: A001  (torch.float)
int = int32  # noqa: A001  (torch.int)

# ---- the same ops under PyTorch's other names --------------------------------------------------------------
mul, multiply, div, divide, true_divide = _tn.multiply, _tn.multiply, _tn.divide, _tn.divide, _tn.divide
sub, subtract, pow, neg, negative = _tn.subtract, _tn.subtract, _tn.power, _tn.negative, _tn.negative  # noqa: A001
eq, ne, lt, le, gt, ge = _tn.equal, _tn.not_equal, _tn.less, _tn.less_equal, _tn.greater, _tn.greater_equal
logical_and, logical_or, logical_not = _tn.logical_and, _tn.logical_or, _tn.logical_not
mm = bmm = mv = matmul
swapaxes = swapdims = _tn.swapaxes
moveaxis = movedim = _tn.moveaxis


def is_tensor(obj) -> _builtins.bool:
    """True for a turunan Tensor."""
    return isinstance(obj, Tensor)


def from_numpy(a: _np.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy array ``a``."""
    return as_tensor(a)


def numel(input: Tensor) -> _builtins.int:  # noqa: A002  (PyTorch's parameter name)
    return input.numel()


def cat(tensors, dim: _builtins.int = 0) -> Tensor:
    """Join tensors along ``dim``."""
    return _tn.concatenate(tensors, dim)


concat = concatenate = cat


def stack(tensors, dim: _builtins.int = 0) -> Tensor:
    return _tn.stack(tensors, dim)


def squeeze(input, dim=None) -> Tensor:  # noqa: A002
    return _tn.squeeze(input, dim)


def unsqueeze(input, dim: _builtins.int) -> Tensor:  # noqa: A002
    return _tn.expand_dims(input, dim)


def transpose(input, dim0: _builtins.int, dim1: _builtins.int) -> Tensor:  # noqa: A002
    """Swap two dimensions (PyTorch's meaning of transpose)."""
    return _tn.swapaxes(input, dim0, dim1)


def t(input) -> Tensor:  # noqa: A002
    return _tn.transpose(input)


def flip(input, dims) -> Tensor:  # noqa: A002
    return _tn.flip(input, dims)


def split(tensor, split_size_or_sections, dim: _builtins.int = 0) -> list:  # noqa: F811
    """PyTorch's split: chunks of a given size (the last may be smaller), or a list of sizes."""
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, _builtins.int):
        bounds = list(range(split_size_or_sections, n, split_size_or_sections))
    else:
        bounds = list(_np.cumsum(split_size_or_sections)[:-1])
    return _tn.split(tensor, bounds, dim)


def var(input, dim=None, unbiased: _builtins.bool = True, keepdim: _builtins.bool = False, *,  # noqa: A002
        correction=None) -> Tensor:
    """Variance, unbiased by default (PyTorch's default; NumPy's is the population variance)."""
    ddof = correction if correction is not None else (1 if unbiased else 0)
    return _tn.var(input, dim, keepdim, ddof)


def std(input, dim=None, unbiased: _builtins.bool = True, keepdim: _builtins.bool = False, *,  # noqa: A002
        correction=None) -> Tensor:
    """Standard deviation, unbiased by default (as PyTorch)."""
    ddof = correction if correction is not None else (1 if unbiased else 0)
    return _tn.std(input, dim, keepdim, ddof)


_MaxMin = _collections.namedtuple("return_types", ["values", "indices"])


def max(input, dim=None, keepdim: _builtins.bool = False):  # noqa: A001, A002
    """The largest element; with ``dim``, (values, indices) along it; with a tensor, the elementwise maximum."""
    if isinstance(dim, Tensor):
        return _tn.maximum(input, dim)
    if dim is None:
        return _tn.amax(input)
    return _MaxMin(_tn.amax(input, dim, keepdim), _tn.argmax(input, dim, keepdim))


def min(input, dim=None, keepdim: _builtins.bool = False):  # noqa: A001, A002
    """The smallest element; with ``dim``, (values, indices) along it; with a tensor, the elementwise minimum."""
    if isinstance(dim, Tensor):
        return _tn.minimum(input, dim)
    if dim is None:
        return _tn.amin(input)
    return _MaxMin(_tn.amin(input, dim, keepdim), _tn.argmin(input, dim, keepdim))


def normal(mean=0.0, std=1.0, size=(), *, generator=None, dtype=None,  # noqa: F811
           requires_grad: _builtins.bool = False):
    """Normal samples with the given mean and standard deviation (floats), of shape ``size``."""
    return _tn.normal(mean, std, size, dtype, requires_grad, generator)


def randint(low, high=None, size=None, *, generator=None, dtype=int64) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``, as PyTorch spells it."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    return _tn.randint(low, high, size if size is not None else (), dtype, generator)


def randperm(n: _builtins.int, *, generator=None) -> Tensor:
    return (generator or _tn.default_generator).permutation(n)


def allclose(input, other, rtol: _builtins.float = 1e-05, atol: _builtins.float = 1e-08,  # noqa: A002
             equal_nan: _builtins.bool = False) -> _builtins.bool:
    """Whether all elements are close (a Python bool; nothing is recorded)."""
    return _builtins.bool(_np.allclose(_np.asarray(input), _np.asarray(other), rtol, atol, equal_nan))


def equal(input, other) -> _builtins.bool:  # noqa: A002
    """Whether the two tensors have the same shape and elements (a Python bool)."""
    return _builtins.bool(_np.array_equal(_np.asarray(input), _np.asarray(other)))


# ---- devices: turunan computes on the CPU ------------------------------------------------------------------
class device:
    """``torch.device('cpu')``: turunan runs on the CPU through NumPy."""

    def __init__(self, type: str = "cpu", index=None) -> None:  # noqa: A002
        self.type, self.index = str(type).split(":")[0], index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __eq__(self, other) -> _builtins.bool:
        return isinstance(other, device) and other.type == self.type


cuda = _types.SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)

__getattr__ = _lacking(__name__, "PyTorch")
