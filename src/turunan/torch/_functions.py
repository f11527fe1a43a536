"""The PyTorch door's functions (``turunan.torch``'s and the Tensor methods'): PyTorch's names onto core ops.

PyTorch's conventions are translated here (its type promotion, ``(values, indices)`` results, dims checked
as PyTorch checks them); the math is the core's (docs/design.md, principle 6): ``max``/``min`` along a dim and
``norm`` over several dims are ``turunan._dimreduce``'s, the arithmetic is the core op after the casts of
``turunan.torch._promote``. The Tensor's methods that call these functions (and its operators) are attached to
it at the end of this module: the functions return that Tensor, so it is defined first
(``turunan.torch._tensor``).

>>> import turunan.torch as torch
>>> torch.tensor([1, 2]) / 2, torch.max(torch.tensor([[1.0, 5.0], [3.0, 2.0]]), 1).indices
(tensor([0.5000, 1.0000]), tensor([1, 0]))
"""

from __future__ import annotations

import ast
import builtins
import inspect

import numpy as np

from .. import _core, _creation
from .. import _ops as ops
from .._array import as_operand
from .._dimreduce import max_along, min_along, vector_norm
from .._doors import recast
from . import _promote as P
from ._tensor import Tensor, reduce_args
from ._types import as_dtype, check_device, checked_dim, checked_dims, np_dtype, return_types

# ---- PyTorch's parameter names for the core's functions ------------------------------------------------------------
_IGNORED = ("layout", "pin_memory", "memory_format")    # one layout (strided), no pinned memory: accepted, no effect


def _parse(spec: str) -> inspect.Signature:
    """``"input, dim=None, *, dtype=None"`` as a signature (defaults are Python literals)."""
    params, kind = [], inspect.Parameter.POSITIONAL_OR_KEYWORD
    for part in (p.strip() for p in spec.split(",")):
        if part == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
        elif part.startswith("*"):
            params.append(inspect.Parameter(part[1:], inspect.Parameter.VAR_POSITIONAL))
            kind = inspect.Parameter.KEYWORD_ONLY
        else:
            n, eq, default = part.partition("=")
            params.append(inspect.Parameter(n, kind, default=ast.literal_eval(default) if eq
                                            else inspect.Parameter.empty))
    return inspect.Signature(params)


def torch_named(core, spec: str, name: str | None = None, call=None):
    """``core`` (a turunan function) under PyTorch's parameter names ``spec``, giving the door's Tensor.

    ``spec`` is PyTorch's parameter list (``"input, dim=None, keepdim=False, *, dtype=None, out=None"``). The
    parameters that are not keyword-only go to ``core`` positionally in that order (those not given at the end
    are left to ``core``'s defaults); a ``*size`` takes PyTorch's ``size=`` too. Of the others, ``out`` is refused,
    ``device`` checked (the CPU), ``layout``/``pin_memory``/``memory_format`` accepted; ``dtype`` goes to
    ``core`` if it takes one, else ``input`` is cast to it first (PyTorch's meaning: the op runs in that dtype);
    anything else by keyword. ``call(core, args, kwargs)`` replaces the call where the order differs.
    Names only, never math (docs/design.md, principle 6).
    """
    sig = _parse(spec)
    name = name or core.__name__
    positional = [p.name for p in sig.parameters.values()
                  if p.kind == p.POSITIONAL_OR_KEYWORD and p.name not in ("dtype", "out", "device")]
    star = next((p.name for p in sig.parameters.values() if p.kind == p.VAR_POSITIONAL), None)
    core_takes_dtype = "dtype" in inspect.signature(core).parameters

    fast = len(positional) if not star else -1
    aliases = [(a, n) for a, n in (("axis", "dim"), ("keepdims", "keepdim")) if n in sig.parameters]

    def fn(*args, **kwargs):
        if not kwargs and len(args) <= fast and not call:
            return recast(core(*args), Tensor)         # the common call: positional, in the core's order
        for alias, n in aliases:                        # NumPy's names, which PyTorch takes too
            if alias in kwargs:
                kwargs[n] = kwargs.pop(alias)
        if star and not args and star in kwargs:
            size = kwargs.pop(star)
            args = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        try:
            given = sig.bind(*args, **kwargs).arguments
        except TypeError as e:
            raise TypeError(f"{name}(): {e}") from None
        if given.pop("out", None) is not None:
            raise TypeError(f"turunan.torch.{name} does not support out=; assign the result instead")
        check_device(given.pop("device", None))
        for n in _IGNORED:
            given.pop(n, None)
        dtype = given.pop("dtype", None)
        pos = list(given.pop(star, ()))
        if not star:
            last = max((i for i, n in enumerate(positional) if n in given), default=-1)
            pos = [given.pop(n) if n in given else sig.parameters[n].default for n in positional[:last + 1]]
        kw = given
        if dtype is not None:
            if core_takes_dtype:
                kw["dtype"] = np_dtype(dtype)
            else:
                pos[0] = ops.astype(ops.tensor_of(pos[0]), np_dtype(dtype))
        return recast(call(core, pos, kw) if call else core(*pos, **kw), Tensor)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"PyTorch's ``{name}({spec})``: turunan's ``{core.__name__}``, giving the door's Tensor."
    fn.__signature__ = sig
    return fn


def shown_as(name: str, fn):
    """``fn`` whose result's ``grad_fn`` shows PyTorch's ``name`` (``torch.mv`` is the core's matmul of a matrix
    and a vector: PyTorch shows ``MvBackward0``). Names only: the node and its rules are the core's."""
    def named(*args, **kwargs):
        out = fn(*args, **kwargs)
        return out if any(out is a for a in args) else _core.name_grad_fn(out, name)
    named.__name__, named.__doc__ = getattr(fn, "__name__", name), fn.__doc__
    named.__signature__ = getattr(fn, "__signature__", None)
    return named


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """PyTorch's clamp (clip): ``ClampBackward1`` with number bounds, ``ClampBackward0`` with tensor bounds."""
    if out is not None:
        raise TypeError("turunan.torch.clamp does not support out=")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    result = recast(ops.clip(input, min, max), Tensor)
    tensors = isinstance(min, _core.Tensor) or isinstance(max, _core.Tensor)
    return _core.name_grad_fn(result, "ClampBackward0" if tensors else "ClampBackward1")


def view_named(out, base):
    """A reshape's ``grad_fn`` as PyTorch shows it: ``ViewBackward0`` where the result shares the memory,
    ``UnsafeViewBackward0`` where it had to copy (PyTorch's reshape of a non-contiguous tensor)."""
    if out is base:
        return out
    return _core.name_grad_fn(out, "ViewBackward0" if getattr(out, "_view", None) is not None
                              else "UnsafeViewBackward0")


# ---- max and min (of all elements, along a dim, or of two tensors), and norm -------------------------------------
def _extreme(kind: str, input, dim, keepdim, kw):  # noqa: A002
    """PyTorch's max/min: which of the three it is, read from the arguments; the math is the core's."""
    whole, along, other, result = ((ops.amax, max_along, maximum, return_types.max) if kind == "max"
                                   else (ops.amin, min_along, minimum, return_types.min))
    if "other" in kw:
        dim = kw.pop("other")
    if isinstance(dim, (_core.Tensor, np.ndarray)):
        if kw:
            raise TypeError(f"unexpected keyword arguments {sorted(kw)}")
        return recast(other(input, dim), Tensor)
    dim, keepdim = reduce_args(dim, keepdim, kw)
    if dim is None:     # PyTorch's max() of all elements shows MaxBackward1 (MinBackward1)
        return _core.name_grad_fn(recast(whole(input), Tensor), "MaxBackward1" if kind == "max" else "MinBackward1")
    input = ops.tensor_of(input)  # noqa: A001
    if input.ndim and isinstance(dim, (int, np.integer)):
        dim = checked_dim(dim, input.ndim)      # PyTorch's IndexError for a dim out of range
    values, indices = along(input, dim, keepdim)
    return result(recast(values, Tensor), recast(indices, Tensor))


def max_(input, dim=None, keepdim: bool = False, **kw):  # noqa: A002
    """PyTorch's ``torch.max``: the largest element; with ``dim``, ``(values, indices)`` along it (the gradient
    goes to the returned index, also at a tie); with a tensor, the elementwise maximum."""
    return _extreme("max", input, dim, keepdim, kw)


def min_(input, dim=None, keepdim: bool = False, **kw):  # noqa: A002
    """PyTorch's ``torch.min``: the smallest element, ``(values, indices)`` along ``dim``, or the elementwise
    minimum (as ``max_``)."""
    return _extreme("min", input, dim, keepdim, kw)


def as_input(x, name: str = "torch"):
    """A function's ``input`` as the door's Tensor. PyTorch takes only tensors there; numbers and numeric arrays
    are let in, as elsewhere in the door, anything else is refused (a string reached ``.clone()``: AttributeError)."""
    if isinstance(x, _core.Tensor):
        return recast(x, Tensor)
    return Tensor(as_operand(x, name))


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):  # noqa: A002
    """PyTorch's ``torch.norm``: the vector ``p``-norm over ``dim`` (all elements when None), ``'fro'`` = 2.

    Only names are translated (``'fro'`` and None are 2, the dims are checked as PyTorch checks them); the
    core's ``vector_norm`` does the math.
    """
    input = as_input(input, "norm")  # noqa: A001
    x = input if dtype is None else ops.astype(input, np_dtype(dtype))
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(f"turunan.torch.norm: p={p!r} is not supported; use a number or 'fro'")
    if dim is not None and not isinstance(dim, (int, np.integer)) and x.ndim:
        dim = checked_dims(tuple(dim), x.ndim)      # PyTorch's errors for a dim out of range or named twice
    return recast(vector_norm(x, p, dim, keepdim), Tensor)


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


_pow = _promoted(_bool_power, name="pow", keep_scalars=True)


def pow(input, exponent, *, out=None):  # noqa: A001, A002
    """PyTorch's pow: the operands promoted as PyTorch promotes them, then turunan's power."""
    if out is not None:
        raise TypeError("turunan.torch.pow does not support out=; assign the result instead")
    return _pow(input, exponent)
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
        return ops.apply_inplace(self, lambda s, o: _to_own_dtype(s, fn(s, o)), other)
    return method


def _div_method(self, other, *, rounding_mode=None):
    return div(self, other, rounding_mode=rounding_mode)


def _div_inplace(self, other, *, rounding_mode=None):
    return ops.apply_inplace(self, lambda s, o: _to_own_dtype(s, div(s, o, rounding_mode=rounding_mode)), other)


# ---- floating functions: an integer tensor is computed in float32, as PyTorch does -------------------------
def _floating(core):
    name = core.__name__

    def fn(input):  # noqa: A002
        return recast(core(P.floating(input, name)), Tensor)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"PyTorch's {name}: turunan's op, on float32 for an integer or bool tensor."
    return fn


exp, expm1, log, log1p, log2, exp2, sqrt, rsqrt, sin, cos, tan, tanh, sigmoid, reciprocal, erf = FLOATING = tuple(
    _floating(core) for core in (ops.exp, ops.expm1, ops.log, ops.log1p, ops.log2, ops.exp2, ops.sqrt, ops.rsqrt,
                                 ops.sin, ops.cos, ops.tan, ops.tanh, ops.sigmoid, ops.reciprocal, ops.erf))


# ---- PyTorch's names for indexing, sorting and repeating (translations onto the core's ops) ----------------
def repeat(input, *sizes):  # noqa: A002
    """PyTorch's ``x.repeat(2, 3)``: the tensor tiled (NumPy's tile), one count per dim (at least ``x.dim()``)."""
    input = as_input(input, "repeat")  # noqa: A001
    reps = ops.shape_arg(sizes)
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
    d = checked_dim(dim, nd)
    part = tuple(slice(None) if i == d else slice(0, idx.shape[i]) for i in range(nd))
    src = input[part] if builtins.any(idx.shape[i] < input.shape[i] for i in range(nd) if i != d) else input
    return recast(ops.take_along_axis(src, idx, d), Tensor)


def index_add(input, dim: int, index, source, *, alpha=1):  # noqa: A002
    """``input`` with ``alpha * source``'s slices added at ``index`` along ``dim`` (repeats accumulate): a
    one-hot matrix product, so both ``input`` and ``source`` get their gradients from the core's rows."""
    idx = _index_tensor(index, "index_add").reshape(-1)
    d = checked_dim(dim, builtins.max(input.ndim, 1))
    n = input.shape[d] if input.ndim else 1
    if source.ndim and source.shape[d] != idx.size:
        raise RuntimeError(f"index_add(): source has {source.shape[d]} slices along dim {d} but index has "
                           f"{idx.size} entries")
    onehot = np.zeros((n, idx.size), input._d.dtype)
    onehot[np.where(idx < 0, idx + n, idx), np.arange(idx.size)] = 1
    moved = ops.moveaxis(source * alpha if alpha != 1 else source, d, 0)
    added = ops.moveaxis(ops.tensordot(onehot, moved, 1), 0, d)
    return recast(input + added.astype(input._d.dtype), Tensor)


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):  # noqa: A002
    """``input`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (``dim=0``; a scalar ``value`` or ``src``
    also works): NumPy's put_along_axis over ``index``'s extent; where an index repeats the last write wins."""
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not provided; use index_add or a loop of masked updates")
    src = value if src is None else src
    idx = _index_tensor(index, "scatter")
    d = checked_dim(dim, builtins.max(input.ndim, 1))
    if isinstance(src, _core.Tensor) and src.ndim:
        src = src[tuple(slice(0, k) for k in idx.shape)]
    else:
        src = P.cast(src, input._d.dtype, "scatter")
    return recast(ops.put_along_axis(input, idx, src, d, inplace=False), Tensor)


def index_select(input, dim: int, index, *, out=None):  # noqa: A002
    """The slices of ``input`` at ``index`` (a 1-d integer tensor) along ``dim``."""
    idx = _index_tensor(index, "index_select").reshape(-1)
    if input.ndim == 0:
        return recast(ops.take(ops.reshape(input, (1,)), idx, 0).reshape(()), Tensor)
    return recast(ops.take(input, idx, checked_dim(dim, input.ndim)), Tensor)


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
    d0, d1 = checked_dim(dim0, nd), checked_dim(dim1, nd)
    if nd == 0:
        return recast(ops.reshape(input, ()), Tensor)
    return recast(ops.swapaxes(input, d0, d1), Tensor)


def split(tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """PyTorch's split: chunks of ``split_size`` along ``dim`` (the last may be smaller), or a list of sizes."""
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = checked_dim(dim, tensor.ndim)
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
    dim = checked_dim(dim, input.ndim)
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
    dim = checked_dim(dim, input.ndim)
    n = input.shape[dim]
    return split(input, builtins.max(-(-n // chunks), 1), dim)


def _cumulative(core, input, dim, dtype, kw):  # noqa: A002
    """PyTorch's convention for a cumulative op: ``dtype`` casts first; integers and bools give int64."""
    dim = kw.pop("axis", dim)
    x = input if dtype is None else ops.astype(input, np_dtype(dtype))
    if isinstance(x, _core.Tensor) and x._d.dtype.kind in "biu" and x._d.dtype != np.int64:
        x = ops.astype(x, np.int64)
    return recast(core(x, dim), Tensor)


def cumprod(input, dim=None, *, dtype=None, **kw):  # noqa: A002
    """Cumulative product along ``dim`` (integers and bools give int64, as PyTorch)."""
    return _cumulative(ops.cumprod, input, dim, dtype, kw)


def cumsum(input, dim=None, *, dtype=None, **kw):  # noqa: A002
    """Cumulative sum along ``dim`` (integers and bools give int64, as PyTorch)."""
    return _cumulative(ops.cumsum, input, dim, dtype, kw)


# ---- the Tensor's methods that are these functions ---------------------------------------------------------------
class _TensorMethods:
    """Methods of ``Tensor`` that call this module's functions; attached to it below (their bodies see this
    module's functions, not these methods)."""

    def max(self, dim=None, keepdim: bool = False, **kw):
        """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor, the elementwise max."""
        return max_(self, dim, keepdim, **kw)

    def min(self, dim=None, keepdim: bool = False, **kw):
        """The smallest element; with ``dim``, ``(values, indices)`` along it; with a tensor, the elementwise min."""
        return min_(self, dim, keepdim, **kw)

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None):
        """PyTorch's norm: a vector norm over ``dim`` (all elements by default); ``'fro'`` is the 2-norm."""
        return norm(self, p, dim, keepdim, dtype)

    def transpose(self, *dims, dim0=None, dim1=None):
        """PyTorch's transpose: swap the two dims ``dim0`` and ``dim1``.

        (Given any other number of dims it is NumPy's permutation, which core code may call.)
        """
        dims = dims + tuple(d for d in (dim0, dim1) if d is not None)
        if len(dims) == 2 and builtins.all(isinstance(d, (int, np.integer)) for d in dims):
            return transpose(self, dims[0], dims[1])
        return ops.transpose(self, *dims)

    def swapdims(self, dim0, dim1):
        return transpose(self, dim0, dim1)

    def swapaxes(self, axis0, axis1):
        return transpose(self, axis0, axis1)

    def unbind(self, dim: int = 0):
        return unbind(self, dim)

    # ---- the core's ops under PyTorch's parameter names (``x.matmul(other=y)``, ``x.all(dim=0)``) ---------------
    matmul = torch_named(ops.matmul, "input, other")
    dot = shown_as("DotBackward0", torch_named(ops.dot, "input, tensor"))
    mm = torch_named(ops.matmul, "input, mat2", "mm")
    bmm = torch_named(ops.matmul, "input, mat2", "bmm")
    mv = shown_as("MvBackward0", torch_named(ops.matmul, "input, vec", "mv"))
    all = torch_named(ops.all, "input, dim=None, keepdim=False")  # noqa: A003
    any = torch_named(ops.any, "input, dim=None, keepdim=False")  # noqa: A003
    sum = torch_named(ops.sum, "input, dim=None, keepdim=False, *, dtype=None")  # noqa: A003
    mean = torch_named(ops.mean, "input, dim=None, keepdim=False, *, dtype=None")
    prod = torch_named(ops.prod, "input, dim=None, keepdim=False, *, dtype=None")
    softmax = torch_named(ops.softmax, "input, dim=None, dtype=None")
    log_softmax = torch_named(ops.log_softmax, "input, dim=None, dtype=None")
    broadcast_to = torch_named(ops.broadcast_to, "input, size")

    def permute(self, *args, dims=None):
        """``x.permute(1, 0)``, ``x.permute((1, 0))`` or ``x.permute(dims=(1, 0))``."""
        out = ops.permute(self, *(args or (dims,)))
        return out if out is self else _core.name_grad_fn(out, "PermuteBackward0")

    def reshape(self, *args, shape=None):
        return view_named(ops.reshape(self, *(args or (shape,))), self)

    def clamp(self, min=None, max=None):  # noqa: A002
        return clamp(self, min, max)

    clip = clamp

    @property
    def T(self):  # noqa: N802
        out = ops.transpose(self)
        return out if out is self else _core.name_grad_fn(out, "PermuteBackward0")    # PyTorch's x.T

    def pow(self, exponent):
        return pow(self, exponent)

    def pow_(self, exponent):
        return ops.apply_inplace(self, lambda s, o: _to_own_dtype(s, pow(s, o)), exponent)

    # ---- writing into a tensor, and new tensors like it ----------------------------------------------------
    def copy_(self, src=None, non_blocking: bool = False, *, other=None):
        """Write ``src`` into this tensor (broadcast to its shape, in its dtype); recorded, as PyTorch's: the
        gradient goes to ``src``, none to the old values, and a tensor that required grad still does (the
        core's ``where`` with every element taken from ``src`` records exactly that). PyTorch's binding names
        the source ``other`` (its documentation ``src``): both are taken."""
        src = other if src is None else src
        return ops.apply_inplace(
            self, lambda s, o: ops.where(np.ones(s._d.shape, bool), ops.astype(ops.tensor_of(o), s._d.dtype), s),
            src)

    def clamp_(self, min=None, max=None):  # noqa: A002
        return ops.apply_inplace(self, lambda s: _to_own_dtype(s, ops.clip(s, min, max)))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        """Fill with normal samples (from turunan's generator, or ``generator``), in place."""
        g = generator or _creation.default_generator
        return ops.apply_inplace(self, lambda s: g.normal(mean, std, s._d.shape, s._d.dtype))

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator=None, **kw):
        """Fill with uniform samples in ``[from, to)``, in place (PyTorch's keyword ``from``, a Python keyword,
        arrives through ``**{'from': ...}``)."""
        from_ = kw.pop("from", from_)
        if kw:
            raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(kw)}")
        g = generator or _creation.default_generator
        return ops.apply_inplace(self, lambda s: g.uniform(from_, to, s._d.shape, s._d.dtype))

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False):
        check_device(device)
        return recast(_creation.tensor(data, np_dtype(dtype) or self._d.dtype, requires_grad), Tensor)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False):
        check_device(device)
        return recast(_creation.full(tuple(size), fill_value, np_dtype(dtype) or self._d.dtype, requires_grad),
                      Tensor)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return _TensorMethods.new_full(self, ops.shape_arg(size), 0, dtype=dtype, device=device,
                                       requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return _TensorMethods.new_full(self, ops.shape_arg(size), 1, dtype=dtype, device=device,
                                       requires_grad=requires_grad)

    new_empty = new_zeros

    def data_ptr(self) -> int:
        """The address of the first element (tensors sharing memory from the same start share it)."""
        return self._d.__array_interface__["data"][0]

    # ---- arithmetic with PyTorch's type promotion (see _promote) -------------------------------------------
    def add(self, other, *, alpha=1):
        return add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return sub(self, other, alpha=alpha)

    subtract = sub

    def add_(self, other, *, alpha=1):
        return ops.apply_inplace(self, lambda s, o: _to_own_dtype(s, add(s, o, alpha=alpha)), other)

    def sub_(self, other, *, alpha=1):
        return ops.apply_inplace(self, lambda s, o: _to_own_dtype(s, sub(s, o, alpha=alpha)), other)

    # ---- the names a reader of the next chapters reaches for -----------------------------------------------
    def repeat(self, *sizes, repeats=None):
        return repeat(self, *(sizes or (repeats,)))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
        return topk(self, k, dim, largest, sorted)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        return sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        return argsort(self, dim, descending, stable=stable)

    def gather(self, dim: int, index, *, sparse_grad: bool = False):
        return gather(self, dim, index)

    def index_select(self, dim: int, index):
        return index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return masked_fill(self, mask, value)

    def index_add(self, dim: int, index, source, *, alpha=1):
        return index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim: int, index, source, *, alpha=1):
        return ops.apply_inplace(self, lambda s, src: index_add(s, dim, index, src, alpha=alpha), source)

    def scatter(self, dim: int, index, src=None, *, value=None, reduce=None):
        return scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim: int, index, src=None, *, value=None, reduce=None):
        return ops.apply_inplace(self, lambda s: scatter(s, dim, index, src, value=value, reduce=reduce))

    def masked_fill_(self, mask, value):
        return ops.apply_inplace(self, masked_fill, mask, value)

    def chunk(self, chunks: int, dim: int = 0):
        return chunk(self, chunks, dim)

    def split(self, split_size, dim: int = 0):
        return split(self, split_size, dim)

    def cumprod(self, dim=None, *, dtype=None, **kw):
        return cumprod(self, dim, dtype=dtype, **kw)

    def cumsum(self, dim=None, *, dtype=None, **kw):
        return cumsum(self, dim, dtype=dtype, **kw)


for _name, _method in vars(_TensorMethods).items():
    if not _name.startswith("__"):
        if getattr(_method, "__name__", None) == _name:
            _method.__qualname__ = f"Tensor.{_name}"
        setattr(Tensor, _name, _method)


def _index_name(index) -> str | None:
    """The ``grad_fn`` PyTorch shows for basic indexing: its last step (an int selects, a slice slices, None
    unsqueezes; full slices are skipped unless nothing else is there); None for advanced indexing (the core's
    ``IndexBackward0`` is PyTorch's name there too)."""
    last, full = None, False
    for c in index if isinstance(index, tuple) else (index,):
        if c is None:
            last = "UnsqueezeBackward0"
        elif c is Ellipsis:
            continue
        elif isinstance(c, slice):
            if c == slice(None):
                full = True
            else:
                last = "SliceBackward0"
        elif isinstance(c, (bool, np.bool_)):
            return None
        elif isinstance(c, (int, np.integer)) or (isinstance(c, (_core.Tensor, np.ndarray)) and c.ndim == 0
                                                  and c.dtype.kind in "iu"):
            last = "SelectBackward0"
        else:
            return None
    return last or ("SliceBackward0" if full else None)


_core_getitem = ops.getitem


def _getitem(self, index):
    out = _core_getitem(self, index)
    name = _index_name(index) if out._node is not None else None
    return out if name is None else _core.name_grad_fn(out, name)


Tensor.__getitem__ = _getitem

# the operators, and the methods of the same names, with PyTorch's type promotion
_plain_add = _promoted(ops.add, name="add")
_plain_sub = _promoted(ops.subtract, name="sub", no_bool=True)
for _name, _fn in (("add", _plain_add), ("sub", _plain_sub), ("mul", mul), ("truediv", div), ("pow", _pow),
                   ("mod", remainder), ("floordiv", floor_divide)):
    setattr(Tensor, f"__{_name}__", _operator(_fn, dunder=True))
    setattr(Tensor, f"__r{_name}__", _operator(_fn, reflected=True, dunder=True))
    if _name not in ("mod", "floordiv"):
        setattr(Tensor, f"__i{_name}__", _inplace_operator(_fn))
for _name, _fn in (("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)):
    setattr(Tensor, f"__{_name}__", _operator(_fn, dunder=True))
    setattr(Tensor, _name, _operator(_fn))
for _name, _fn in (("mul", mul), ("multiply", mul), ("div", div), ("divide", div), ("true_divide", div),
                   ("remainder", remainder), ("floor_divide", floor_divide), ("maximum", maximum),
                   ("minimum", minimum), ("greater", gt), ("less", lt), ("not_equal", ne)):
    setattr(Tensor, _name, _operator(_fn))
for _name, _fn in (("mul_", mul), ("div_", div)):
    setattr(Tensor, _name, _inplace_operator(_fn))
Tensor.div = Tensor.divide = _div_method
Tensor.div_ = _div_inplace
Tensor.__hash__ = _core.Tensor.__hash__     # hashable by identity, though __eq__ is elementwise

# the floating functions as methods, and in place (``x.exp_()``)
for _fn in FLOATING:
    setattr(Tensor, _fn.__name__, lambda self, _fn=_fn: _fn(self))
for _fn in (exp, sqrt, sigmoid, tanh, log, sin, cos, ops.abs, ops.relu, ops.negative):
    setattr(Tensor, {"negative": "neg", "absolute": "abs"}.get(_fn.__name__, _fn.__name__) + "_",
            lambda self, _fn=_fn: ops.apply_inplace(self, lambda s: _to_own_dtype(s, _fn(s))))
# the core's tests and logical ops as methods (PyTorch has them on the tensor)
for _fn in (ops.isnan, ops.isinf, ops.isfinite, ops.logical_not):
    setattr(Tensor, _fn.__name__, lambda self, _fn=_fn: recast(_fn(self), Tensor))
for _fn in (ops.logical_and, ops.logical_or, ops.logical_xor, ops.inner):
    setattr(Tensor, _fn.__name__, lambda self, other, _fn=_fn: recast(_fn(self, other), Tensor))
Tensor.outer = lambda self, vec2: recast(ops.outer(self, vec2), Tensor)
Tensor.where = lambda self, condition, other: where(condition, self, other)
