"""TensorFlow's names for turunan's core ops (results are tf.Tensors). Naming only: no math here."""

from __future__ import annotations

import numpy as _np

import turunan as _tn
import turunan.numpy as _tnp

from .._array import normalize_axis
from .._doors import adapt, recast
from .._indexing import getitem
from ._tensor import Tensor, convert, packed


def _t(fn, name: str):
    return adapt(fn, Tensor, name)


# elementwise, under the names tf and tf.math share
ELEMENTWISE = {name: _t(getattr(_tn, core), name) for name, core in {
    "abs": "abs", "add": "add", "subtract": "subtract", "multiply": "multiply", "divide": "divide",
    "truediv": "divide", "pow": "power", "maximum": "maximum", "minimum": "minimum", "negative": "negative",
    "exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p", "sqrt": "sqrt", "square": "square",
    "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sigmoid": "sigmoid", "sign": "sign",
    "reciprocal": "reciprocal", "floor": "floor", "ceil": "ceil", "round": "round", "floormod": "remainder",
    "mod": "remainder", "equal": "equal", "not_equal": "not_equal", "less": "less", "less_equal": "less_equal",
    "greater": "greater", "greater_equal": "greater_equal", "logical_and": "logical_and",
    "logical_or": "logical_or", "logical_not": "logical_not", "is_nan": "isnan", "is_inf": "isinf",
    "is_finite": "isfinite", "softplus": "softplus",
}.items()}


def divide(x, y, name=None) -> Tensor:
    """``x / y`` with the ``/`` operator's conversions (8- and 16-bit integers divide as float32, as TensorFlow's)."""
    return recast(_tensor(x), Tensor) / y


ELEMENTWISE["divide"] = ELEMENTWISE["truediv"] = divide


def _numpy_unary(core, name: str):
    def op(x, name=None) -> Tensor:
        return recast(core(_tensor(x)), Tensor)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"TensorFlow's {name}, elementwise (turunan.numpy's {core.__name__}; recorded)."
    return op


# elementwise ops the core has under NumPy's names in turunan.numpy (not at turunan's top level yet)
ELEMENTWISE.update({name: _numpy_unary(getattr(_tnp, core), name) for name, core in {
    "sinh": "sinh", "cosh": "cosh", "asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
    "acosh": "arccosh", "atanh": "arctanh"}.items()})


def atan2(y, x, name=None) -> Tensor:
    """The angle of the point (x, y), elementwise: TensorFlow's argument order (y first), NumPy's arctan2."""
    return recast(_tnp.arctan2(_tensor(y), _tensor(x)), Tensor)


ELEMENTWISE["atan2"] = atan2


def meshgrid(*args, **kwargs) -> list:
    """Coordinate grids from 1-D tensors (a list of tensors); ``indexing='xy'`` (the default, Cartesian) or
    ``'ij'`` (matrix), as TensorFlow's and NumPy's meshgrid."""
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"meshgrid got unexpected keyword argument(s) {sorted(kwargs)}; it takes indexing and name")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing parameter must be either 'xy' or 'ij', got {indexing!r}")
    return recast(list(_tnp.meshgrid(*(_tensor(a) for a in args), indexing=indexing)), Tensor)


def repeat(input, repeats, axis=None, name=None) -> Tensor:  # noqa: A002
    """Each element repeated ``repeats`` times (an int, or one count per element) along ``axis``; with no axis the
    tensor is flattened first, as TensorFlow's and NumPy's repeat."""
    counts = _np.asarray(repeats._d if isinstance(repeats, _tn.Tensor) else repeats)
    if counts.dtype.kind not in "iu":
        raise TypeError(f"repeats must be integers, got {counts.dtype}")
    return recast(_tnp.repeat(_tensor(input), counts if counts.ndim else int(counts), axis), Tensor)


_KEEP_INT = {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"}


def _reduction(core, name: str):
    keep_int = name in _KEEP_INT

    def reduce(input_tensor, axis=None, keepdims: bool = False, name=None):
        if isinstance(axis, list):
            axis = tuple(axis)
        out = core(input_tensor, axis=axis, keepdims=bool(keepdims))
        dtype = getattr(input_tensor, "dtype", None)
        if keep_int and dtype is not None and _np.dtype(dtype).kind in "iu" and out.dtype != dtype:
            out = _tn.astype(out, dtype)   # TensorFlow keeps an integer tensor's dtype (a mean truncates)
        return recast(out, Tensor)
    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = f"TensorFlow's {name}: reduce over ``axis`` (all axes by default)."
    return reduce


REDUCTIONS = {name: _reduction(core, name) for name, core in {
    "reduce_sum": _tn.sum, "reduce_mean": _tn.mean, "reduce_max": _tn.amax, "reduce_min": _tn.amin,
    "reduce_prod": _tn.prod, "reduce_std": _tn.std, "reduce_variance": _tn.var,
    "reduce_logsumexp": _tn.logsumexp, "reduce_all": _tn.all, "reduce_any": _tn.any,
}.items()}


def argmax(input, axis=None, output_type=_np.int64, name=None) -> Tensor:  # noqa: A002
    """Index of the largest value along ``axis`` (axis 0 by default, as in TensorFlow)."""
    return recast(_tn.astype(_tn.argmax(input, 0 if axis is None else axis), output_type), Tensor)


def argmin(input, axis=None, output_type=_np.int64, name=None) -> Tensor:  # noqa: A002
    return recast(_tn.astype(_tn.argmin(input, 0 if axis is None else axis), output_type), Tensor)


def matmul(a, b, transpose_a: bool = False, transpose_b: bool = False, name=None) -> Tensor:
    """Matrix product; ``transpose_a``/``transpose_b`` swap the last two axes first."""
    if transpose_a:
        a = _tn.swapaxes(a, -1, -2)
    if transpose_b:
        b = _tn.swapaxes(b, -1, -2)
    return recast(_tn.matmul(a, b), Tensor)


def tensordot(a, b, axes, name=None) -> Tensor:
    return recast(_tn.tensordot(a, b, axes), Tensor)


def einsum(equation: str, *inputs, name=None) -> Tensor:
    return recast(_tn.einsum(equation, *inputs), Tensor)


_NORM_ORDS = {"euclidean": None, "fro": "fro", 1: 1, 2: 2, _np.inf: _np.inf}


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None) -> Tensor:  # noqa: A002
    """TensorFlow's norm: 'euclidean' is the 2-norm of all elements (Frobenius for a matrix) by default."""
    if ord not in _NORM_ORDS and not isinstance(ord, (int, float)):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord!r}")
    if isinstance(axis, list):
        axis = tuple(axis)
    core_ord = _NORM_ORDS.get(ord, ord)
    if axis is None and core_ord is not None:
        tensor = _tn.reshape(tensor, (-1,))      # TensorFlow flattens first when no axis is given
    return recast(_tn.norm(tensor, core_ord, axis, bool(keepdims)), Tensor)


def where(condition, x=None, y=None, name=None) -> Tensor:
    if x is None and y is None:
        return Tensor(_np.argwhere(_np.asarray(condition)).astype(_np.int64))
    return recast(_tn.where(condition, x, y), Tensor)


def clip_by_value(t, clip_value_min, clip_value_max, name=None) -> Tensor:
    return recast(_tn.clip(t, clip_value_min, clip_value_max), Tensor)


def softmax(logits, axis=None, name=None) -> Tensor:
    return recast(_tn.softmax(logits, -1 if axis is None else axis), Tensor)


def log_softmax(logits, axis=None, name=None) -> Tensor:
    return recast(_tn.log_softmax(logits, -1 if axis is None else axis), Tensor)


def relu(features, name=None) -> Tensor:
    return recast(_tn.relu(features), Tensor)


def cast(x, dtype, name=None) -> Tensor:
    x = packed(x)       # TensorFlow packs a list of tensors (recorded)
    return recast(_tn.astype(x if isinstance(x, _tn.Tensor) else Tensor(convert(x)), dtype), Tensor)


def eye(num_rows: int, num_columns: int | None = None, batch_shape=None, dtype=_np.float32, name=None) -> Tensor:
    out = _np.eye(num_rows, num_columns, dtype=dtype)
    if batch_shape is not None:
        out = _np.broadcast_to(out, tuple(batch_shape) + out.shape).copy()
    return Tensor(out)


def _tensor(x):
    """``x`` as a tensor: tensors as they are, a list holding tensors packed (recorded), other values converted
    with TensorFlow's dtype defaults (Python floats give float32, ints int32)."""
    x = packed(x)
    return x if isinstance(x, _tn.Tensor) else Tensor(convert(x))


def _scan(core, start: int, x, axis, exclusive: bool, reverse: bool, op: str) -> Tensor:
    """TensorFlow's cumulative sum / product (``core``) along ``axis`` (0 by default), as the core's scan with
    flips (``reverse``) and a shift that puts ``start`` first (``exclusive``); the dtype stays ``x``'s."""
    x = _tensor(x)
    if x.dtype == _np.bool_:
        raise TypeError(f"{op}: bool tensors are not supported (TensorFlow's {op} takes numbers)")
    axis = normalize_axis(int(axis), x.ndim, op)   # a rank-0 tensor has no axis 0, as in TensorFlow
    if reverse:
        x = _tn.flip(x, axis)
    out = core(x, axis)
    if exclusive and x.shape[axis]:
        rest = [slice(None)] * x.ndim
        rest[axis] = slice(0, x.shape[axis] - 1)
        shape = list(x.shape)
        shape[axis] = 1
        out = _tn.concatenate([Tensor(_np.full(shape, start, x.dtype)), out[tuple(rest)]], axis)
    if reverse:
        out = _tn.flip(out, axis)
    if out.dtype != x.dtype:
        out = _tn.astype(out, x.dtype)      # the core's scan widens small integers (NumPy's); TensorFlow keeps them
    return recast(out, Tensor)


def cumsum(x, axis=0, exclusive: bool = False, reverse: bool = False, name=None) -> Tensor:
    """TensorFlow's cumsum: ``[a, b, c]`` gives ``[a, a + b, a + b + c]`` along ``axis`` (0 by default);
    ``exclusive=True`` starts from 0 (``[0, a, a + b]``), ``reverse=True`` sums from the end
    (``[a + b + c, b + c, c]``); both together give ``[b + c, c, 0]``. The dtype stays ``x``'s."""
    return _scan(_tn.cumsum, 0, x, axis, exclusive, reverse, "cumsum")


def cumprod(x, axis=0, exclusive: bool = False, reverse: bool = False, name=None) -> Tensor:
    """TensorFlow's cumprod: as ``cumsum``, with products (``exclusive=True`` starts from 1)."""
    return _scan(_tn.cumprod, 1, x, axis, exclusive, reverse, "cumprod")


def matvec(a, b, transpose_a: bool = False, adjoint_a: bool = False, a_is_sparse: bool = False,
           b_is_sparse: bool = False, name=None) -> Tensor:
    """Matrix times vector over the last axes: ``a`` is ``[..., M, N]``, ``b`` is ``[..., N]``, the result
    ``[..., M]`` (leading axes broadcast, as in ``matmul``). ``transpose_a`` (or ``adjoint_a``, the same for
    real tensors) uses ``a``'s transpose."""
    if transpose_a and adjoint_a:
        raise ValueError("Only one of transpose_a and adjoint_a can be True.")
    a, b = _tensor(a), _tensor(b)
    if a.ndim < 2 or b.ndim < 1:
        raise ValueError(f"matvec needs a matrix ([..., M, N]) and a vector ([..., N]); got shapes {a.shape} "
                         f"and {b.shape}")
    if adjoint_a and a.dtype.kind == "c":
        raise NotImplementedError("matvec(adjoint_a=True) of a complex matrix: turunan's core has no conjugate")
    return matmul(a, _tn.expand_dims(b, -1), transpose_a=transpose_a or adjoint_a)[..., 0]


def boolean_mask(tensor, mask, axis=None, name="boolean_mask") -> Tensor:
    """The entries of ``tensor`` where ``mask`` is True (NumPy's ``tensor[mask]``): ``mask`` (K axes) covers axes
    ``axis`` (0 by default) to ``axis + K`` of ``tensor``, which become one axis of the True entries in row-major
    order. A numeric mask picks its nonzero entries, as TensorFlow's (it applies the mask with ``tf.where(mask)``;
    D2L masks with ``tf.one_hot``). Recorded: the gradient goes back to the entries picked, zeros elsewhere."""
    x = _tensor(tensor)
    m = _np.asarray(mask._d if isinstance(mask, _tn.Tensor) else convert(mask))    # convert refuses non-numbers
    m = m != 0 if m.dtype != _np.bool_ else m
    if m.ndim == 0:
        raise ValueError("mask cannot be scalar.")
    axis = normalize_axis(int(0 if axis is None else axis), x.ndim, "boolean_mask")
    if axis + m.ndim > x.ndim or x.shape[axis:axis + m.ndim] != m.shape:
        raise ValueError(f"Shapes {x.shape[axis:axis + m.ndim]} and {m.shape} are incompatible: boolean_mask's mask "
                         f"must have the shape of axes {axis} to {axis + m.ndim - 1} of the tensor {x.shape}")
    return recast(getitem(x, (slice(None),) * axis + (m,)), Tensor)
