"""``turunan.nn.functional``: layers and losses as functions, composed from the engine's ops.

Nothing here has its own derivative except through the table: convolution and pooling use the
``im2col``/``col2im`` rows (every window of the input, copied out once, then one matmul or one reduction);
the rest is plain composition, so gradients of any order come for free.

>>> import turunan as tn
>>> import turunan.nn.functional as F
>>> x = tn.ones(1, 1, 4, 4)
>>> F.conv2d(x, tn.ones(2, 1, 3, 3), padding=1).shape
(1, 2, 4, 4)
>>> F.cross_entropy(tn.tensor([[2.0, 0.0]]), tn.tensor([0])).item() < 0.2
True
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _ops as ops
from .. import _rules as R
from .._array import anywhere, as_operand, as_shape, is_foreign, is_lazy
from .._array import beside as _beside
from .._core import Tensor, apply
from .._core import name_grad_fn as _name_grad_fn  # private here: torch.nn.functional forwards public names
from .._creation import Generator, default_generator
from .._mode import no_grad
from .losses import apply_reduction

relu, sigmoid, tanh = ops.relu, ops.sigmoid, ops.tanh


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _pair(v, name: str) -> tuple[int, int]:
    """A size given as one int or a pair, checked: integers (int(2.5) truncated before), at least 1 (at least 0
    for padding: a 0 kernel divided by zero, a negative one gave a misleading padding error)."""
    v = as_shape(v, name)
    if len(v) == 1:
        v = v * 2
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    low = 0 if name == "padding" else 1
    if min(v) < low:
        raise ValueError(f"{name} must be {'non-negative' if low == 0 else 'positive'}, got {v}")
    return v


# ---- activations -----------------------------------------------------------------------------------------
def gelu(x, approximate: str = "none"):
    """GELU. ``approximate='none'`` (the default, as in PyTorch) is exact: x·Φ(x) = 0.5·x·(1 + erf(x/√2));
    ``'tanh'`` is 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), which differs from it by up to about 1e-3.

    >>> import turunan as tn
    >>> from turunan.nn import functional as F
    >>> round(float(F.gelu(tn.tensor(1.0))), 6)
    0.841345
    """
    x = _t(x)
    if approximate == "none":
        return R.gelu(x)
    if approximate == "tanh":
        return _name_grad_fn(R.gelu_tanh(x), "GeluBackward0")     # PyTorch's one name for both forms
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def implicit_dim(name: str, ndim: int) -> int:
    """PyTorch's dim for a softmax called without one (its legacy rule, with its warning): 0 for 0-, 1- and 3-d
    inputs, else 1. Taking the last dim instead gave other numbers for 3-d and 4-d inputs."""
    import warnings
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(x, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """The softmax along ``dim`` (PyTorch's implicit choice, with its warning, when ``dim`` is not given)."""
    x = _t(x) if dtype is None else ops.astype(_t(x), dtype)
    return ops.softmax(x, implicit_dim("softmax", x.ndim) if dim is None else dim)


def log_softmax(x, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """The log-softmax along ``dim`` (PyTorch's implicit choice, with its warning, when ``dim`` is not given)."""
    x = _t(x) if dtype is None else ops.astype(_t(x), dtype)
    return ops.log_softmax(x, implicit_dim("log_softmax", x.ndim) if dim is None else dim)


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + eˣ), exact and smooth everywhere, with no overflow (a primitive of the table); with PyTorch's
    ``beta``, log(1 + e^(βx))/β, and x itself where βx > ``threshold`` (PyTorch's linear region)."""
    x = _t(x)
    if beta == 1 and threshold == 20:
        return ops.softplus(x)
    return _name_grad_fn(ops.where(x._d * beta > threshold, x, ops.softplus(x * beta) / beta), "SoftplusBackward0")


def leaky_relu(x, negative_slope: float = 0.01):
    x = _t(x)
    if isinstance(negative_slope, (bool, np.bool_)) or not isinstance(negative_slope, (numbers.Real, np.generic)):
        raise TypeError(f"leaky_relu: negative_slope must be a number, got {type(negative_slope).__name__} "
                        f"{negative_slope!r}")
    return _name_grad_fn(ops.where(x._d > 0, x, x * negative_slope), "LeakyReluBackward0")


# ---- linear and convolution ------------------------------------------------------------------------------
def linear(x, weight, bias=None):
    """x @ weightᵀ + bias, weight shaped (out_features, in_features) as in PyTorch."""
    out = ops.matmul(x, ops.transpose(weight))
    if bias is not None:
        out = out + bias
    # the name PyTorch's result shows: one addmm for a batch of vectors; a view or squeeze of an mm otherwise
    n = np.ndim(x._d if isinstance(x, Tensor) else x)
    return _name_grad_fn(out, _LINEAR_NAMES[n if n < 3 else 3][bias is None])


# F.linear's grad_fn name in PyTorch by the input's ndim (1, 2, 3 or more) and whether there is no bias
_LINEAR_NAMES = {1: ("ViewBackward0", "SqueezeBackward4"), 2: ("AddmmBackward0", "MmBackward0"),
                 3: ("ViewBackward0", "UnsafeViewBackward0")}


def _windows(x: Tensor, kernel, stride, padding, value: float) -> Tensor:
    """(N, C, H, W) -> (N, OH, OW, C, KH, KW): every window, through the im2col row of the table."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if h + 2 * ph < kh or w + 2 * pw < kw:
        raise ValueError(f"a {kh}x{kw} window does not fit an input of {h}x{w} with padding ({ph}, {pw})")
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError(f"stride must be >= 1 and padding >= 0, got stride {stride}, padding {padding}")
    return apply(R.im2col, x, kernel=(kh, kw), stride=(sh, sw), padding=(ph, pw), value=value)


def _batched(x: Tensor, fn):
    """Run ``fn`` on a batch; an unbatched (C, H, W) input gets a batch of one."""
    if x.ndim == 3:
        return ops.squeeze(fn(ops.expand_dims(x, 0)), 0)
    if x.ndim != 4:
        raise ValueError(f"expected an input of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    return fn(x)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """2-d cross-correlation (PyTorch's conv2d): x (N, C, H, W), weight (O, C, KH, KW), bias (O,).

    Sliding windows plus one matmul: the windows are copied out once as an (N·OH·OW, C·KH·KW) matrix and
    multiplied by the flattened kernel; the gradient of the windows is a col2im scatter.
    """
    x, weight = _t(x), _t(weight)
    if weight.ndim != 4:
        raise ValueError(f"conv2d weight must be (out_channels, in_channels, kh, kw), got shape {weight.shape}")
    o, ci, kh, kw = weight.shape
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")

    def run(x):
        n, c = x.shape[:2]
        if c != ci:
            raise ValueError(f"conv2d: the input has {c} channels but the weight expects {ci} (weight shape "
                             f"{weight.shape})")
        cols = _windows(x, (kh, kw), stride, padding, 0.0)
        oh, ow = cols.shape[1:3]
        out = ops.matmul(ops.reshape(cols, (n * oh * ow, c * kh * kw)),
                         ops.transpose(ops.reshape(weight, (o, ci * kh * kw))))
        if bias is not None:
            out = out + bias
        return ops.transpose(ops.reshape(out, (n, oh, ow, o)), (0, 3, 1, 2))

    return _name_grad_fn(_batched(x, run), "ConvolutionBackward0" if x.ndim == 4 else "SqueezeBackward1")


def _tiles(x: Tensor, kernel, stride, padding):
    """Non-overlapping windows that tile the input exactly (the common 2x2, stride 2 case) are just a
    reshape to (N, C, OH, KH, OW, KW): no copy of the windows, and no col2im in backward."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    if (sh, sw) != (kh, kw) or padding != (0, 0) or h % kh or w % kw:
        return None
    return ops.reshape(x, (n, c, h // kh, kh, w // kw, kw))


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Largest value in each window (padding counts as -inf). Ties share the gradient evenly."""
    x = _t(x)
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ValueError(f"max_pool2d: padding {padding} must be at most half the kernel size {kernel}")

    def run(x):
        n, c = x.shape[:2]
        tiles = _tiles(x, kernel, stride, padding)
        if tiles is not None:
            return ops.amax(tiles, axis=(3, 5))
        cols = _windows(x, kernel, stride, padding, -np.inf)
        oh, ow = cols.shape[1:3]
        out = ops.amax(ops.reshape(cols, (n, oh, ow, c, kernel[0] * kernel[1])), axis=-1)
        return ops.transpose(out, (0, 3, 1, 2))

    return _name_grad_fn(_batched(x, run), "MaxPool2DWithIndicesBackward0")


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean of each window; zero padding counts in the mean (PyTorch's ``count_include_pad=True``)."""
    x = _t(x)
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")

    def run(x):
        tiles = _tiles(x, kernel, stride, padding)
        if tiles is not None:
            return ops.sum(tiles, axis=(3, 5)) / (kernel[0] * kernel[1])
        cols = _windows(x, kernel, stride, padding, 0.0)
        out = ops.sum(cols, axis=(-2, -1)) / (kernel[0] * kernel[1])
        return ops.transpose(out, (0, 3, 1, 2))

    return _name_grad_fn(_batched(x, run), "AvgPool2DBackward0")


def _adaptive_bins(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's bins: the i-th of ``out`` covers [floor(i·size/out), ceil((i+1)·size/out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_avg_pool2d(x, output_size):
    """Mean over each of ``output_size`` bins of the last two axes (bins may overlap when the size does not
    divide evenly), as PyTorch's; ``None`` in ``output_size`` keeps that axis's size.

    >>> import turunan as tn
    >>> adaptive_avg_pool2d(tn.arange(16.0).reshape(1, 1, 4, 4), (1, 2))
    tensor([[[[6.5, 8.5]]]])
    """
    x = _t(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d expects a 3-d or 4-d input (C, H, W) or (N, C, H, W), got {x.shape}")
    h, w = x.shape[-2:]
    oh, ow = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    oh, ow = h if oh is None else int(oh), w if ow is None else int(ow)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size}")
    if h % oh == 0 and w % ow == 0:     # even bins: one reshape and a mean
        tiles = ops.reshape(x, x.shape[:-2] + (oh, h // oh, ow, w // ow))
        out = ops.mean(tiles, axis=(-3, -1))
    else:
        rows = [ops.stack([ops.mean(x[..., r0:r1, c0:c1], axis=(-2, -1)) for c0, c1 in _adaptive_bins(w, ow)], -1)
                for r0, r1 in _adaptive_bins(h, oh)]
        out = ops.stack(rows, -2)
    return _name_grad_fn(out, "AdaptiveAvgPool2DBackward0")


def interpolate(x, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial axes (all after batch and channel) by nearest neighbour, as PyTorch's
    ``mode='nearest'``: output index ``i`` reads input ``floor(i · in / out)`` (or ``floor(i / scale)`` when a
    ``scale_factor`` is given). Other modes are refused.

    >>> import turunan as tn
    >>> interpolate(tn.tensor([[[1.0, 2.0]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    x = _t(x)
    if mode != "nearest":
        raise NotImplementedError(f"interpolate(mode={mode!r}) is not provided; only mode='nearest' is")
    spatial = x.ndim - 2
    if spatial < 1 or (size is None) == (scale_factor is None):
        raise ValueError(f"interpolate needs an input (N, C, ...) with spatial axes and exactly one of size or "
                         f"scale_factor; got shape {x.shape}, size={size}, scale_factor={scale_factor}")
    sizes = size if isinstance(size, (tuple, list)) else [size] * spatial
    scales = scale_factor if isinstance(scale_factor, (tuple, list)) else [scale_factor] * spatial
    out = x
    for k in range(spatial):
        n = x.shape[2 + k]
        m = int(sizes[k]) if size is not None else int(math.floor(n * scales[k]))
        step = n / m if size is not None or recompute_scale_factor else 1 / scales[k]
        idx = np.minimum(np.floor(np.arange(m) * step).astype(np.int64), n - 1)
        out = ops.take(out, idx, 2 + k)
    return out


# ---- regularisation and normalisation --------------------------------------------------------------------
def dropout(x, p: float = 0.5, training: bool = True, generator: Generator | None = None):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (only when ``training``)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = _t(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * _beside(np.zeros(x.shape, x.dtype), x)
    keep = _beside((generator or default_generator).random(x.shape) >= p, x)    # drawn on the host, as on NumPy
    return x * (keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), x.dtype))


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel (axis 1) over the batch (and spatial axes): (x - mean)/√(var + eps)·w + b.

    In training the batch statistics are used and the running ones updated in place (unbiased variance,
    as PyTorch does); in evaluation the running statistics are used.
    """
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm needs an input of shape (N, C, ...), got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // x.shape[1]
        if count < 2:
            raise ValueError(f"batch_norm in training needs more than one value per channel, got input {x.shape}")
        mean = ops.mean(x, axis=axes, keepdims=True)
        var = ops.var(x, axis=axes, keepdims=True)
        if running_mean is not None and running_var is not None:
            with no_grad():
                rm, rv = running_mean._d, running_var._d
                rm *= 1 - momentum
                rm += momentum * mean._d.reshape(rm.shape)
                rv *= 1 - momentum
                rv += momentum * var._d.reshape(rv.shape) * (count / (count - 1))
                running_mean._bump_version()
                running_var._bump_version()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation needs running_mean and running_var")
        mean = ops.reshape(running_mean, shape)
        var = ops.reshape(running_var, shape)
    out = (x - mean) / ops.sqrt(var + eps)
    if weight is not None:
        out = out * ops.reshape(weight, shape)
    if bias is not None:
        out = out + ops.reshape(bias, shape)
    return _name_grad_fn(out, "NativeBatchNormBackward0")


# ---- losses ----------------------------------------------------------------------------------------------
_reduce = apply_reduction       # one reduction for every loss (turunan.nn.losses)


def mse_loss(input, target, reduction: str = "mean"):
    """Mean squared error."""
    input = _t(input)
    if np.shape(target._d if isinstance(target, Tensor) else target) != input.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {np.shape(target)} differ")
    d = input - target
    return _name_grad_fn(_reduce(d * d, reduction), "MseLossBackward0")


def _check_classes(op: str, t: np.ndarray, want: tuple, c: int, shape: tuple):
    """Class-index targets: the shape the scores need, and each class in 0..c-1 (a class out of range matched
    no column of the one-hot and silently added 0 to the loss; PyTorch raises). Returns the targets: lazy ones
    (Dask) with the range check inside their graph, raised when they are computed (looking now would compute)."""
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got dtype {t.dtype}")
    if t.shape != want:
        raise ValueError(f"{op}: class-index target must have shape {want} for scores of shape {shape}, got "
                         f"{t.shape}")
    if is_lazy(t):
        return t.map_blocks(_classes_in_range, op=op, c=c, dtype=t.dtype)
    return _classes_in_range(t, op, c)


def _classes_in_range(t, op: str, c: int):
    if t.size and (anywhere(t < 0) or anywhere(t >= c)):
        bad = "a negative class" if anywhere(t < 0) else f"class {c} or more"
        raise IndexError(f"{op}: target holds {bad} but there are {c} classes (0..{c - 1}): target is out of "
                         "bounds")
    return t


def _picked(logp, t: np.ndarray, axis: int, weight, ignore_index: int, reduction: str, op: str):
    """PyTorch's weighted negative log-likelihood of class indices: -w[t]·logp[t] per item, items whose target is
    ``ignore_index`` skipped, and 'mean' divided by the summed weight of the items kept (torch's weighted mean)."""
    c = logp.shape[axis]
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    safe = _check_classes(op, safe, logp.shape[:axis] + logp.shape[axis + 1:], c, logp.shape)
    coef = keep.astype(logp.dtype)
    if weight is not None:
        w = weight._d if isinstance(weight, Tensor) else as_operand(weight, op)
        w = _beside(w if is_foreign(w) else np.asarray(w), logp)
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must hold one value per class, shape ({c},), got {w.shape}")
        coef = coef * w.astype(logp.dtype)[safe]
    classes = _beside(np.arange(c), logp).reshape((c,) + (1,) * (logp.ndim - axis - 1))
    onehot = (np.expand_dims(safe, axis) == classes) * np.expand_dims(coef, axis)
    loss = -ops.sum(logp * onehot.astype(logp.dtype), axis=axis)
    if reduction == "mean":
        return ops.sum(loss) / coef.sum()     # 0/0 = nan where every target is ignored, as PyTorch
    return _reduce(loss, reduction)


def cross_entropy(logits, target, weight=None, reduction: str = "mean", label_smoothing: float = 0.0,
                  ignore_index: int = -100):
    """Cross-entropy from unnormalised logits (N, C) or (N, C, ...), computed stably via log_softmax.

    ``target`` holds class indices (N,) / (N, ...) or class probabilities of the logits' shape. As in PyTorch,
    ``weight`` weighs each class (the mean is over the summed weights) and targets equal to ``ignore_index`` are
    skipped (class indices only).
    """
    if isinstance(weight, str):     # turunan's order before PyTorch's: cross_entropy(x, t, 'sum')
        weight, reduction = None, weight
    logits = _t(logits)
    if logits.ndim < 1:
        raise ValueError("cross_entropy needs logits of shape (N, C) or (C,)")
    axis = 1 if logits.ndim > 1 else 0
    c = logits.shape[axis]
    logp = ops.log_softmax(logits, axis)
    t = _beside(target._d if isinstance(target, Tensor) else np.asarray(target), logits)
    if t.dtype.kind in "iu" and not label_smoothing:
        return _name_grad_fn(_picked(logp, t, axis, weight, ignore_index, reduction, "cross_entropy"),
                             _nll_name(logits.ndim, reduction))      # PyTorch's: log_softmax, then nll_loss
    if weight is not None:
        raise NotImplementedError("turunan's cross_entropy does not yet combine weight with label_smoothing or "
                                  "probability targets; weigh the per-item losses (reduction='none') yourself")
    if t.dtype.kind in "iu":
        want = logits.shape[:axis] + logits.shape[axis + 1:]
        t = _check_classes("cross_entropy", t, want, c, logits.shape)
        classes = _beside(np.arange(c), logits).reshape((c,) + (1,) * (logits.ndim - axis - 1))
        probs = (np.expand_dims(t, axis) == classes).astype(logits.dtype)   # one-hot, built as data
    else:
        if t.shape != logits.shape:
            raise ValueError(f"cross_entropy: probability target must have the logits' shape {logits.shape}, "
                             f"got {t.shape}")
        probs = target if isinstance(target, Tensor) else t
    if label_smoothing:
        probs = probs * (1.0 - label_smoothing) + label_smoothing / c
    loss = _reduce(-ops.sum(logp * probs, axis=axis), reduction)
    # what PyTorch's own composition ends with: the smoothing's sum (class indices), else -Σ p·log q and the
    # mean's division
    return _name_grad_fn(loss, "AddBackward0" if t.dtype.kind in "iu" else
                         "DivBackward1" if reduction == "mean" else "NegBackward0")


def _nll_name(ndim: int, reduction: str) -> str:
    """PyTorch's nll_loss node: nll_loss2d for scores (N, C, ...) of 3 or more axes, and a view of it per item
    (reduction 'none') unless they are (N, C, H, W)."""
    if ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and ndim != 4 else "NllLoss2DBackward0"


def nll_loss(log_probs, target, weight=None, reduction: str = "mean", ignore_index: int = -100):
    """Negative log-likelihood of class indices, given log-probabilities (N, C); ``weight`` and
    ``ignore_index`` as in PyTorch (the mean is over the summed weights of the targets kept)."""
    if isinstance(weight, str):     # turunan's order before PyTorch's: nll_loss(x, t, 'sum')
        weight, reduction = None, weight
    log_probs = _t(log_probs)
    t = _beside(target._d if isinstance(target, Tensor) else np.asarray(target), log_probs)
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss needs log-probabilities of shape (N, C), got {log_probs.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: class-index targets must be integers, got dtype {t.dtype}")
    return _name_grad_fn(_picked(log_probs, t, 1, weight, ignore_index, reduction, "nll_loss"),
                         _nll_name(2, reduction))


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean", pos_weight=None):
    """Binary cross-entropy from logits, stable for any magnitude: softplus(x) - x·y (with a smooth softplus).

    With ``pos_weight`` the positive term is weighted: (1-y)·x + (1 + (pw-1)·y)·softplus(-x).
    """
    x = _t(logits)
    y = target
    if np.shape(y._d if isinstance(y, Tensor) else y) != x.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {np.shape(y)} differs from the logits' "
                         f"{x.shape}")
    if pos_weight is None:
        loss = softplus(x) - x * y
    else:
        loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus(-x)
    # shown as the op the user called (PyTorch's name, whatever the reduction), not as its last step
    return _name_grad_fn(_reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0")


def binary_cross_entropy(probs, target, weight=None, reduction: str = "mean"):
    """Binary cross-entropy of probabilities, as PyTorch computes it: -(y·log p + (1-y)·log(1-p)) with each log
    clamped at -100, and the gradient (p - y) / max(p(1-p), 1e-12); prefer the logits form, which is exact.
    ``weight`` rescales each element's loss (broadcast against it)."""
    if isinstance(weight, str):     # turunan's order before PyTorch's: binary_cross_entropy(p, t, 'sum')
        weight, reduction = None, weight
    probs = _t(probs)
    if probs.size and not bool(((probs._d >= 0) & (probs._d <= 1)).all()):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 (they are "
                           "probabilities; give logits to binary_cross_entropy_with_logits instead)")
    y = target if isinstance(target, Tensor) else as_operand(target, "binary_cross_entropy")
    if np.shape(y._d if isinstance(y, Tensor) else y) != probs.shape:
        raise ValueError(f"binary_cross_entropy: using a target size ({tuple(np.shape(y))}) that is different to "
                         f"the input size ({tuple(probs.shape)}) is not supported; reshape the target first")
    if not isinstance(y, Tensor) or y.dtype != probs.dtype:
        y = ops.astype(_t(y), probs.dtype)       # the kernel's arithmetic stays in the probabilities' dtype
    loss = R.binary_cross_entropy(probs, y)
    if weight is not None:
        loss = loss * weight
    return _name_grad_fn(_reduce(loss, reduction), "BinaryCrossEntropyBackward0")


# more activations, losses and normalisations, each module with its functions (they are this namespace's too)
from . import activations  # noqa: E402
from .activations import (  # noqa: E402, F401
    celu,
    elu,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    selu,
    silu,
    softmin,
    softsign,
    tanhshrink,
)
from .losses import (  # noqa: E402, F401
    cosine_similarity,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    normalize,
    pairwise_distance,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from .normalization import (  # noqa: E402, F401
    embedding,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    one_hot,
    pad,
)

threshold = activations.threshold  # noqa: E305  (a plain name: softplus has a parameter of that name)
