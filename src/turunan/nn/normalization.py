"""Layer and group normalisation, embeddings, one-hot, padding and unflattening, as functions (re-exported by
``turunan.nn.functional``) and as modules (by ``turunan.nn``), with PyTorch's definitions and parameter shapes.

>>> import turunan as tn
>>> from turunan import nn
>>> nn.LayerNorm(4)(tn.arange(8.0).reshape(2, 4)).shape
(2, 4)
"""

from __future__ import annotations

import numpy as np

from .. import _ops as ops
from .._array import beside
from .._core import Tensor
from .module import Module
from .parameter import Parameter

__all__ = ["layer_norm", "group_norm", "instance_norm", "embedding", "one_hot", "pad", "local_response_norm"]


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):  # noqa: A002
    """Normalise over the trailing ``normalized_shape`` dims (biased variance, as PyTorch), then scale and shift."""
    x = _t(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size {list(x.shape)}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = ops.mean(x, axis=axes, keepdims=True)
    centred = x - mean
    var = ops.mean(centred * centred, axis=axes, keepdims=True)
    out = centred / ops.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):  # noqa: A002
    """Normalise each group of ``num_groups`` channels (dim 1) over its channels and positions."""
    x = _t(input)
    n, c = x.shape[0], x.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(x.shape)} and num_groups={num_groups}")
    grouped = ops.reshape(x, (n, num_groups, -1))
    mean = ops.mean(grouped, axis=2, keepdims=True)
    centred = grouped - mean
    var = ops.mean(centred * centred, axis=2, keepdims=True)
    out = ops.reshape(centred / ops.sqrt(var + eps), x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * ops.reshape(weight, shape)
    if bias is not None:
        out = out + ops.reshape(bias, shape)
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Each channel of each example normalised over its positions (group norm with one channel a group)."""
    if not use_input_stats or running_mean is not None:
        raise NotImplementedError("instance_norm with running statistics is not offered by turunan.nn")
    x = _t(input)
    return group_norm(x, x.shape[1], weight, bias, eps)


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):  # noqa: A002
    """Each channel divided by (k + α/n · Σ of the squares of its ``size`` neighbouring channels)^β."""
    x = _t(input)
    sq = x * x
    c = x.shape[1]
    pad_front, pad_back = size // 2, (size - 1) // 2
    widths = [(0, 0)] * x.ndim
    widths[1] = (pad_front, pad_back)
    padded = ops.pad(sq, widths)
    window = ops.stack([padded[:, i:i + c] for i in range(size)], axis=0)
    div = ops.sum(window, axis=0) * (alpha / size) + k
    return x / div ** beta


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Class indices as one-hot int64 rows (no gradient: the indices are integers)."""
    tensor = _t(tensor)
    idx = np.asarray(tensor.detach().numpy())
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(idx.max()) + 1 if num_classes == -1 and idx.size else num_classes
    if idx.size and idx.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    rows = beside((idx[..., None] == np.arange(n)).astype(np.int64), tensor)     # on the device for a CuPy index
    return type(tensor)._result_type()._wrap(rows)   # the door's


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,  # noqa: A002
              scale_grad_by_freq: bool = False, sparse: bool = False):
    """The rows of ``weight`` at the integer ``input``; the gradient scatter-adds into those rows (none into
    ``padding_idx``'s)."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding(max_norm=, scale_grad_by_freq=, sparse=) is not offered by turunan.nn")
    idx = np.asarray(_t(input).detach().numpy())
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           "Long, Int; but got a floating tensor instead")
    rows = ops.take(weight, idx, axis=0)
    if padding_idx is not None:
        keep = (idx != (padding_idx % weight.shape[0]))[..., None]
        rows = ops.where(keep, rows, rows.detach())
    return rows


def pad(input, pad, mode: str = "constant", value=None):  # noqa: A002
    """PyTorch's pad: ``pad`` lists (before, after) widths from the LAST dim backwards."""
    x = _t(input)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise RuntimeError(f"Padding length should be divisible by 2 and at most 2 * ndim ({2 * x.ndim}), got "
                           f"{len(pad)}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if any(a < 0 or b < 0 for a, b in widths):
        raise NotImplementedError("negative padding (cropping) is not offered by turunan's pad: slice instead")
    numpy_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if numpy_mode is None:
        raise NotImplementedError(f"pad mode {mode!r}: turunan offers 'constant', 'reflect', 'replicate', "
                                  "'circular'")
    if numpy_mode == "constant":
        return ops.pad(x, widths, mode="constant", constant_values=0.0 if value is None else value)
    return ops.pad(x, widths, mode=numpy_mode)


# ---- as modules ---------------------------------------------------------------------------------------------------
class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` dims, with a learnt scale (ones) and shift."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 dtype=np.float32) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(np.ones(shape, dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype)) if elementwise_affine and bias else None
        if self.weight is None:
            self.register_parameter("weight", None)
        if self.bias is None:
            self.register_parameter("bias", None)

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
                + (f", bias={self.bias is not None}" if self.elementwise_affine else ""))


class GroupNorm(Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 dtype=np.float32) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = Parameter(np.ones(num_channels, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype)) if affine else None
        if not affine:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class Embedding(Module):
    """A lookup table of ``num_embeddings`` rows of ``embedding_dim``, initialised N(0, 1) as PyTorch's (the row
    ``padding_idx`` zero, and it gets no gradient)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, dtype=np.float32, generator=None) -> None:
        super().__init__()
        from . import init
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        if _weight is not None:
            self.weight = Parameter(np.asarray(_weight.detach().numpy() if isinstance(_weight, Tensor) else _weight,
                                               dtype), requires_grad=not _freeze)
        else:
            self.weight = Parameter(np.zeros((num_embeddings, embedding_dim), dtype), requires_grad=not _freeze)
            init.normal_(self.weight, 0.0, 1.0, generator)
            if padding_idx is not None:
                self.weight._d[padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, **kwargs):
        rows, dim = np.shape(embeddings)
        return cls(rows, dim, padding_idx, _weight=embeddings, _freeze=freeze, **kwargs)

    def forward(self, x):
        return embedding(x, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


class Unflatten(Module):
    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = self.dim % x.ndim
        return ops.reshape(x, tuple(x.shape[:dim]) + self.unflattened_size + tuple(x.shape[dim + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


MODULES = ["LayerNorm", "GroupNorm", "Embedding", "Unflatten"]
