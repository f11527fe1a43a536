"""The chapter in TensorFlow's style: ``import turunan.tensorflow as tf``.

A thin naming layer over turunan's one engine (no derivative math here). ``tf.Variable``s are watched by a
``tf.GradientTape`` automatically, other tensors through ``tape.watch``; only what a recording tape watches
is recorded; ``tape.gradient`` sums a non-scalar target; a non-persistent tape answers once; nested tapes
give higher derivatives.

>>> import turunan.tensorflow as tf
>>> x = tf.range(4, dtype=tf.float32)
>>> x
<tf.Tensor: shape=(4,), dtype=float32, numpy=array([0., 1., 2., 3.], dtype=float32)>
>>> x = tf.Variable(x)
>>> with tf.GradientTape() as t:
...     y = 2 * tf.tensordot(x, x, axes=1)
>>> t.gradient(y, x)
<tf.Tensor: shape=(4,), dtype=float32, numpy=array([ 0.,  4.,  8., 12.], dtype=float32)>
"""

from __future__ import annotations

import functools as _functools

import numpy as _np

import turunan as _tn

from .._array import as_shape as _as_shape
from .._array import normalize_axis as _normalize_axis
from .._doors import lacking as _lacking
from .._doors import recast as _recast
from . import data, image, linalg, math, nn, random
from ._ops import (
                        ELEMENTWISE as _ELEMENTWISE,
)
from ._ops import (
                        REDUCTIONS as _REDUCTIONS,
)
from ._ops import (
                        argmax,
                        argmin,
                        boolean_mask,
                        cast,
                        clip_by_value,
                        cumsum,
                        einsum,
                        eye,
                        matmul,
                        meshgrid,
                        norm,
                        repeat,
                        tensordot,
                        where,
)
from ._tape import GradientTape, UnconnectedGradients
from ._tensor import Tensor, Variable
from ._tensor import convert as _convert
from ._tensor import packed as _packed
from ._tensor import read as _read
from .keras import initializers  # tf.initializers is tf.keras.initializers (importing it binds tf.keras too)

# ---- dtypes (NumPy's, under TensorFlow's names) -------------------------------------------------------------
float16, float32, float64 = _np.dtype(_np.float16), _np.dtype(_np.float32), _np.dtype(_np.float64)
half, double = float16, float64
int8, int16, int32, int64 = _np.dtype(_np.int8), _np.dtype(_np.int16), _np.dtype(_np.int32), _np.dtype(_np.int64)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)  # noqa: A001  (tf.bool)
newaxis = None

globals().update(_ELEMENTWISE)
globals().update(_REDUCTIONS)


# ---- creating tensors ----------------------------------------------------------------------------------------
def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """An immutable tensor (float32 for Python floats, int32 for Python ints); ``shape`` fills or reshapes."""
    arr = _np.array(_convert(value, dtype), copy=True)
    if shape is not None:
        shape = tuple(shape)
        arr = _np.full(shape, arr) if arr.size == 1 else arr.reshape(shape)
    return Tensor(arr)


def convert_to_tensor(value, dtype=None, name=None) -> Tensor:
    """``value`` as a tf.Tensor (a tf.Tensor of the same dtype is returned as is)."""
    if isinstance(value, Tensor) and not isinstance(value, Variable) and (dtype is None or value.dtype == dtype):
        return value
    if isinstance(value, Variable):
        value = _read(value)    # a snapshot: assigning the variable later leaves it as it is (TF's immutability)
        return value if dtype is None else cast(value, dtype)
    value = _packed(value)      # TensorFlow packs a list of tensors (recorded)
    if isinstance(value, _tn.Tensor):
        return _recast(value if dtype is None else _tn.astype(value, dtype), Tensor)
    return Tensor(_convert(value, dtype))


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """Like Python's range, as a tensor: ``tf.range(4, dtype=tf.float32)`` is [0., 1., 2., 3.]."""
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, limit, delta))
        dtype = _np.float32 if floats else _np.int32
    return Tensor(_np.arange(start, limit, delta, dtype=dtype))


def zeros(shape, dtype=_np.float32, name=None) -> Tensor:
    return Tensor(_np.zeros(_shape(shape), dtype))


def ones(shape, dtype=_np.float32, name=None) -> Tensor:
    return Tensor(_np.ones(_shape(shape), dtype))


def fill(dims, value, name=None) -> Tensor:
    """``value`` everywhere in shape ``dims``; recorded when ``value`` is a watched tensor (TensorFlow's Fill has a
    gradient for its value: the sum of the incoming gradient)."""
    value = _packed(value)
    if isinstance(value, _tn.Tensor):
        return _recast(_tn.copy(_tn.broadcast_to(value, _shape(dims))), Tensor)
    return Tensor(_np.full(_shape(dims), _convert(value)))


def zeros_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.zeros_like(_np.asarray(input), dtype=dtype))


def ones_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.ones_like(_np.asarray(input), dtype=dtype))


def linspace(start, stop, num: int, name=None, axis: int = 0) -> Tensor:
    return Tensor(_np.linspace(start, stop, int(num), dtype=_np.float32, axis=axis))


def _shape(shape) -> tuple:
    if isinstance(shape, _tn.Tensor):
        shape = shape._d.tolist()
    return _as_shape(shape)


# ---- shapes --------------------------------------------------------------------------------------------------
def reshape(tensor, shape, name=None) -> Tensor:
    return _recast(_tn.reshape(tensor, _shape(shape)), Tensor)


def transpose(a, perm=None, conjugate: bool = False, name=None) -> Tensor:
    return _recast(_tn.transpose(a, None if perm is None else tuple(perm)), Tensor)


def expand_dims(input, axis: int, name=None) -> Tensor:  # noqa: A002
    return _recast(_tn.expand_dims(input, axis), Tensor)


def squeeze(input, axis=None, name=None) -> Tensor:  # noqa: A002
    return _recast(_tn.squeeze(input, axis), Tensor)


def concat(values, axis: int, name="concat") -> Tensor:
    return _recast(_tn.concatenate(values, axis), Tensor)


def stack(values, axis: int = 0, name="stack") -> Tensor:
    return _recast(_tn.stack(values, axis), Tensor)


def split(value, num_or_size_splits, axis: int = 0, num=None, name="split") -> list:
    """Split into ``num_or_size_splits`` equal parts, or parts of the listed sizes."""
    if isinstance(num_or_size_splits, (int, _np.integer)):
        return _recast(_tn.split(value, int(num_or_size_splits), axis), Tensor)
    bounds = list(_np.cumsum(num_or_size_splits)[:-1])
    return _recast(_tn.split(value, bounds, axis), Tensor)


def shape(input, out_type=_np.int32, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.array(_np.shape(_np.asarray(input)), dtype=out_type))


def size(input, out_type=_np.int32, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.array(_np.size(_np.asarray(input)), dtype=out_type))


def rank(input, name=None) -> Tensor:  # noqa: A002
    return Tensor(_np.array(_np.ndim(_np.asarray(input)), dtype=_np.int32))


def one_hot(indices, depth: int, on_value=None, off_value=None, axis=None, dtype=_np.float32, name=None) -> Tensor:
    """``on_value`` where the new axis (``axis``, last by default) equals ``indices``, ``off_value`` elsewhere (data,
    not differentiable). An index outside [0, depth) gives a row of ``off_value``, as in TensorFlow."""
    idx = _np.asarray(indices._d if isinstance(indices, _tn.Tensor) else indices).astype(_np.int64)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    out = _np.where(idx[..., None] == _np.arange(int(depth)), on, off).astype(dtype)
    if axis is not None:
        out = _np.moveaxis(out, -1, _normalize_axis(axis, out.ndim, "one_hot"))
    return Tensor(out)


# ---- the graph -----------------------------------------------------------------------------------------------
def stop_gradient(input, name=None) -> Tensor:  # noqa: A002
    """The same value, cut from the tape: no gradient flows through it."""
    return _recast(input.detach() if isinstance(input, _tn.Tensor) else constant(input), Tensor)


def identity(input, name=None) -> Tensor:  # noqa: A002
    """A new tf.Tensor with ``input``'s value (recorded): never the Variable itself, and it keeps its value when
    the variable is assigned later (``old = tf.identity(w); ...; w - old``)."""
    if isinstance(input, _tn.Tensor):
        return _read(input)
    return convert_to_tensor(input)


def is_tensor(x):
    """True for a tf.Tensor or tf.Variable."""
    return isinstance(x, Tensor)


# ---- tf.function ---------------------------------------------------------------------------------------------
class TensorSpec:
    """The shape (``None`` for a dimension of any size, or ``shape=None`` for any rank) and dtype of a tensor an
    ``input_signature`` accepts."""

    def __init__(self, shape, dtype=_np.float32, name=None) -> None:
        self.shape = None if shape is None else tuple(None if d is None else int(d) for d in shape)
        self.dtype = _np.dtype(dtype)
        self.name = name

    def is_compatible_with(self, value) -> bool:
        """True when ``value`` (a tensor, or what converts to one) has this dtype and a shape this one allows."""
        value = value if isinstance(value, _tn.Tensor) else convert_to_tensor(value)
        if value.dtype != self.dtype:
            return False
        if self.shape is None:
            return True
        return len(value.shape) == len(self.shape) and all(
            want is None or want == got for want, got in zip(self.shape, value.shape))

    def __repr__(self) -> str:
        shape = "None"
        if self.shape is not None:
            dims = ["None" if d is None else str(d) for d in self.shape]
            shape = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"     # Python's tuple text
        return f"TensorSpec(shape={shape}, dtype=tf.{self.dtype.name}, name={self.name!r})"


def _as_outputs(value):
    """What a tf.function returns: Python and NumPy numbers become tf.Tensors (TensorFlow converts a function's
    outputs), inside tuples, lists and dicts too; None and tensors stay as they are."""
    if isinstance(value, _tn.Tensor) or value is None:
        return value
    if isinstance(value, (_np.ndarray, _np.generic, int, float, complex)):     # bool is an int
        return convert_to_tensor(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_as_outputs(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_as_outputs(v) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _as_outputs(v)) for k, v in value.items())
    return value


class _Function:
    """What ``tf.function`` gives: calls the Python function, eagerly.

    Nothing is traced or compiled (yet): each call runs the Python body, so its Python side effects (``print``,
    appending to a list) happen on every call where TensorFlow's would happen only while tracing, and
    ``.numpy()`` or a Python ``if`` on a tensor work inside it. The values and gradients are those of the same
    code run eagerly, which is what a traced function computes. Its outputs are converted as TensorFlow's
    are (Python numbers become tensors); with an ``input_signature``, every argument must match it.
    """

    def __init__(self, python_function, input_signature=None, **options) -> None:
        _functools.update_wrapper(self, python_function)
        self._python_function = python_function
        self._input_signature = None if input_signature is None else tuple(input_signature)
        self._options = options

    @property
    def python_function(self):
        """The Python function this one calls."""
        return self._python_function

    @property
    def input_signature(self):
        return self._input_signature

    def __call__(self, *args, **kwargs):
        return self._run((), args, kwargs)

    def _run(self, bound: tuple, args: tuple, kwargs: dict):
        if self._input_signature is not None:
            self._check(args, kwargs)       # a method's instance is not part of the signature
        return _as_outputs(self._python_function(*bound, *args, **kwargs))

    def _method(self, instance, *args, **kwargs):
        return self._run((instance,), args, kwargs)

    def _check(self, args, kwargs) -> None:
        spec = self._input_signature
        if kwargs or len(args) != len(spec):
            raise TypeError(f"{self.__name__}: the input_signature takes {len(spec)} positional argument(s), got "
                            f"{len(args)}{' and keywords ' + ', '.join(kwargs) if kwargs else ''}")
        for n, (s, a) in enumerate(zip(spec, args)):
            if isinstance(s, TensorSpec) and not s.is_compatible_with(a):
                got = a if isinstance(a, _tn.Tensor) else convert_to_tensor(a)
                raise TypeError(f"{self.__name__}: argument {n} (shape {got.shape}, dtype {got.dtype.name}) does not "
                                f"match the input_signature's {s}")

    def __get__(self, obj, objtype=None):
        """A tf.function defined in a class is a method: bound to its instance."""
        return self if obj is None else _functools.partial(self._method, obj)

    def __repr__(self) -> str:
        return f"<turunan.tensorflow.Function {self.__name__} (run eagerly)>"


def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_implements=None, experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None, experimental_follow_type_hints=None):
    """TensorFlow's ``tf.function``, as ``@tf.function`` or ``@tf.function(input_signature=..., jit_compile=...)``:
    a function object that runs ``func`` eagerly. It does not compile (yet): ``jit_compile``, ``reduce_retracing``,
    ``autograph`` and the experimental options are accepted and have no effect; the results are those of the
    same code run eagerly. ``input_signature`` (a list of ``tf.TensorSpec``) is checked on every call. When the
    core has a compiler (``turunan.jit``, not yet), this is where it goes.
    """
    options = dict(autograph=autograph, jit_compile=jit_compile, reduce_retracing=reduce_retracing,
                   experimental_implements=experimental_implements,
                   experimental_autograph_options=experimental_autograph_options,
                   experimental_attributes=experimental_attributes, experimental_relax_shapes=experimental_relax_shapes,
                   experimental_compile=experimental_compile,
                   experimental_follow_type_hints=experimental_follow_type_hints)
    if func is None:
        return lambda f: function(f, input_signature, **options)
    if not callable(func):
        raise TypeError(f"tf.function decorates a Python function; got {type(func).__name__} {func!r:.60}")
    return _Function(func, input_signature, **options)


__all__ = sorted(n for n in globals() if not n.startswith("_"))

__getattr__ = _lacking(__name__, "TensorFlow")
