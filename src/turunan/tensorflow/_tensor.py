"""TensorFlow's ``tf.Tensor`` and ``tf.Variable`` over turunan's Tensor, and which tapes are recording.

TensorFlow records an operation only on a tape that watches its inputs (Variables are watched when a tape
accesses them; other tensors through ``tape.watch``). The core records an operation when an input answers
``requires_grad`` True, so a tf tensor answers True only while some tape records and watches it (or while a
tape is answering ``gradient()``). The stored flag lives in the core's slot; the answer depends on the tapes.
"""

from __future__ import annotations

import threading

import numpy as _np

from .. import _array, _core, _ops
from .._array import as_array
from .._doors import REQUIRES_GRAD, recast
from .._indexing import unwrap_index


class _State(threading.local):
    def __init__(self) -> None:
        self.recording: list = []   # tapes recording now, innermost last
        self.answering: list = []   # tapes whose gradient()/jacobian() is running now


state = _State()


def _watched(t, st) -> bool:
    if t._d.dtype.kind not in "fc":     # TensorFlow differentiates floating tensors only
        return False
    for tape in st.recording:
        if tape._watches(t, access=True):
            return True
    for tape in st.answering:
        if tape._watches(t, access=False):
            return True
    return False


def packed(value):
    """A list or tuple holding tensors as one recorded tensor (TensorFlow's packing, the core's
    ``_array.pack_sequence``), for the door functions that read values themselves (``convert``); else ``value``."""
    if type(value) in (list, tuple) and _array.pack_sequence is not None:
        out = _array.pack_sequence(value)
        if out is not None:
            return out
    return value


def convert(value, dtype=None) -> _np.ndarray:
    """An array with TensorFlow's dtype defaults: Python floats give float32 and Python ints int32.

    NumPy arrays and tensors keep their dtype unless ``dtype`` is given.
    """
    if isinstance(value, _core.Tensor):
        value = value._d
    if dtype is not None or isinstance(value, (_np.ndarray, _np.generic)):
        return as_array(value, dtype)   # the core's conversion: it refuses strings, None, object arrays
    arr = as_array(value)               # Python floats give float32 there already
    return arr.astype(_np.int32) if arr.dtype.kind in "iu" else arr


def _numpy_text(data) -> str:
    arr = _np.asarray(data)
    text = str(arr[()]) if arr.ndim == 0 else repr(arr)   # a scalar prints as 28.0, as in TensorFlow
    return "\n" + text if "\n" in text else text         # a multi-line array starts on its own line


class Tensor(_core.Tensor):
    """TensorFlow's eager tensor: prints ``<tf.Tensor: shape=(4,), dtype=float32, numpy=array([...])>``."""

    __slots__ = ()
    _numpy_reads_grad = True    # TensorFlow lets numpy() / NumPy read a watched tensor (a value, off the tape)

    @property
    def requires_grad(self) -> bool:
        st = state
        if not st.recording and not st.answering:
            return False
        if self._node is not None:
            return REQUIRES_GRAD.__get__(self)
        return _watched(self, st)

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        REQUIRES_GRAD.__set__(self, bool(value))

    def numpy(self):
        """A NumPy copy of the value (a NumPy scalar for a 0-d tensor, as TensorFlow gives)."""
        arr = _np.asarray(self._d)
        return arr[()] if arr.ndim == 0 else arr.copy()

    def __repr__(self) -> str:
        return f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, numpy={_numpy_text(self._d)}>"

    def __str__(self) -> str:
        text = str(_np.asarray(self._d))
        text = "\n" + text if "\n" in text else text
        return f"tf.Tensor({text}, shape={self.shape}, dtype={self.dtype.name})"

    def __format__(self, spec: str) -> str:
        # TensorFlow's EagerTensor formats its NumPy value: f"{t}" reads [1. 2.], f"{t:.2f}" works on one element
        return self.numpy().__format__(spec)

    def __hash__(self):
        return object.__hash__(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if (method == "__call__" and not kwargs and len(inputs) == 2 and inputs[1] is self
                and ufunc in _REFLECTED and not isinstance(inputs[0], _core.Tensor)):
            return getattr(self, _REFLECTED[ufunc])(inputs[0])
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)

    def __setitem__(self, key, value):
        raise TypeError(f"'{type(self).__name__}' object does not support item assignment (TensorFlow's tensors are "
                        "immutable: a tf.Variable's slice is assigned with v[...].assign(value))")



# ---- operators: TensorFlow's conventions ---------------------------------------------------------------------
def _operand(other, like: Tensor):
    """The other operand of ``like`` in an arithmetic operator, as TensorFlow converts it: a value that is not a
    tensor (a NumPy array or scalar, a list) takes the tensor's dtype (``tf.constant(1.0) / np.int32(6)`` is
    float32, where NumPy's promotion would give float64); a value that does not fit an integer tensor (a float,
    or an integer out of range) is refused, as TensorFlow refuses it. Python numbers next to a floating tensor
    are left to the core, whose rule is the same (they never widen it); tensors are left as they are."""
    want = like._d.dtype
    if isinstance(other, _core.Tensor) or want.kind not in "iufc":
        return other
    kind = type(other)
    if kind is int or kind is float or kind is complex:
        if want.kind in "fc" or kind is int:
            return other
        raise TypeError(f"Cannot convert {other!r} to EagerTensor of dtype {want.name}")
    if kind in (list, tuple):
        other = packed(other)
        if isinstance(other, _core.Tensor):
            return other
        try:
            arr = _np.asarray(other)
        except ValueError:
            return other                # ragged: the core's own error
    elif isinstance(other, (_np.ndarray, _np.generic)):
        arr = _np.asarray(other)
    else:
        return other                    # not a number: the core answers (NotImplemented or its error)
    if arr.dtype == want or arr.dtype.kind not in "iufc":
        return other
    if want.kind == "f" and arr.dtype.kind == "c":
        raise TypeError(f"Cannot convert {other!r} to EagerTensor of dtype {want.name}")
    out = arr.astype(want)
    if want.kind in "iu" and (arr.dtype.kind not in "iu" or not _np.array_equal(out, arr)):
        raise TypeError(f"Cannot convert {other!r} to EagerTensor of dtype {want.name}")
    return out


def _converting(name: str):
    core = getattr(_core.Tensor, name)

    def operator(self, other):
        return core(self, _operand(other, self))
    operator.__name__ = operator.__qualname__ = name
    return operator


def _small_ints_as_float32(x, other):
    """TensorFlow's true division of integers: 8- and 16-bit integers divide as float32 (its truediv table; 32-
    and 64-bit ones as float64, which the core's NumPy promotion gives already). Integers have no gradient."""
    if x._d.dtype.kind in "iu" and x._d.dtype.itemsize <= 2:
        x = Tensor(x._d.astype(_np.float32))
        if isinstance(other, (_core.Tensor, _np.ndarray, _np.generic)):
            other = _np.asarray(other._d if isinstance(other, _core.Tensor) else other).astype(_np.float32)
    return x, other


def _true_division(name: str):
    core = getattr(_core.Tensor, name)

    def operator(self, other):
        return core(*_small_ints_as_float32(self, _operand(other, self)))
    operator.__name__ = operator.__qualname__ = name
    return operator


# + - * / // % ** @, reflected too; TensorFlow's tensors have no in-place operators, so ``b += 1`` makes a new
# tensor and rebinds the name (another name for the old tensor keeps its value), as Python does without __iadd__
_ARITHMETIC = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul")
for _name in _ARITHMETIC:
    setattr(Tensor, f"__{_name}__", _converting(f"__{_name}__"))
    setattr(Tensor, f"__r{_name}__", _converting(f"__r{_name}__"))
    setattr(Tensor, f"__i{_name}__", _converting(f"__{_name}__"))
for _name in ("__truediv__", "__rtruediv__", "__itruediv__"):
    setattr(Tensor, _name, _true_division(_name.replace("__i", "__")))
# a NumPy value on the left (``np.float64(2) * t``): TensorFlow's tensors take the reflected operator (their
# __array_priority__); here NumPy asks __array_ufunc__, which hands the operator ufuncs to the same conversion
_REFLECTED = {_np.add: "__radd__", _np.subtract: "__rsub__", _np.multiply: "__rmul__", _np.true_divide: "__rtruediv__",
              _np.floor_divide: "__rfloordiv__", _np.remainder: "__rmod__", _np.power: "__rpow__",
              _np.matmul: "__rmatmul__"}


def read(v: Tensor) -> Tensor:
    """A tf.Tensor with ``v``'s current value, its own array and version counter (TensorFlow's tensors are
    immutable; a Variable's are not); recorded while a tape watches ``v``, so gradients reach it."""
    return recast(_ops.copy(v), Tensor)     # recorded when v requires grad


class Variable(Tensor):
    """TensorFlow's ``tf.Variable``: a mutable tensor that tapes watch automatically when they use it.

    >>> import turunan.tensorflow as tf
    >>> v = tf.Variable([1.0, 2.0])
    >>> v
    <tf.Variable 'Variable:0' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>
    >>> _ = v.assign([3.0, 4.0])
    >>> v.numpy()
    array([3., 4.], dtype=float32)
    """

    __slots__ = ("_name", "trainable")
    _result_cls = Tensor        # operations on a Variable give tf.Tensors

    def __init__(self, initial_value, trainable: bool = True, name: str | None = None, dtype=None) -> None:
        if callable(initial_value):
            initial_value = initial_value()
        super().__init__(_np.array(convert(initial_value, dtype), copy=True))
        self._name = name or "Variable"
        self.trainable = bool(trainable)

    @property
    def name(self) -> str:
        return f"{self._name}:0"

    def assign(self, value, use_locking: bool = False, name=None, read_value: bool = True):
        """Give the variable the value ``value`` (not recorded: assignment has no gradient).

        Copy-on-write: the variable takes a new array instead of writing into its old one, because TensorFlow's
        tensors are immutable: what was read from the variable before (``tf.identity(v)``, ``v[0]``,
        ``tf.reshape(v, ...)``, ``tf.convert_to_tensor(v)``) keeps its value, so ``old = tf.identity(w); ...;
        w - old`` is the change. The variable gets a new, higher version counter: an operation recorded
        earlier that saved the variable itself (not a value read from it) would read the new value at
        backward, so its gradient refuses with a clear error instead of a wrong number (TensorFlow would use the
        value captured at op time; compute gradients before assigning). Tensors read earlier keep the old
        counter: their values did not change, so nothing that saved them is refused.
        """
        arr = convert(value, self.dtype)
        if arr.shape != self.shape:
            raise ValueError(f"Cannot assign value of shape {arr.shape} to a variable with shape {self.shape}")
        self._rebind(_np.array(arr, dtype=self.dtype, copy=True))    # never the caller's array, nor the old one
        return self

    def __getitem__(self, key):
        """The slice's value, a tf.Tensor (recorded while a tape watches the variable) that can also be assigned:
        ``v[1, 2].assign(9)`` and ``v[:2, :].assign(12 * tf.ones((2, 4)))`` write into the variable (TensorFlow's
        sliced assignment)."""
        out = recast(super().__getitem__(key), VariableSlice)
        out._variable, out._key = self, key
        return out

    def _assign_slice(self, key, value):
        """Write ``value`` into the part ``key`` selects (copy-on-write, as ``assign``); returns the variable.

        TensorFlow's StridedSliceAssign does not broadcast: ``value`` must have exactly the slice's shape.
        """
        new = _np.array(self._d, copy=True)
        index = unwrap_index(key)[0]
        want = _np.shape(new[index])
        arr = convert(value, self.dtype)
        if arr.shape != want and (arr.size or _np.prod(want)):
            raise NotImplementedError(f"sliced l-value shape [{','.join(map(str, want))}] does not match r-value "
                                      f"shape [{','.join(map(str, arr.shape))}]. Automatic broadcasting not yet "
                                      "implemented.")
        new[index] = arr
        self._rebind(new)       # what was read from the variable before keeps its value
        return self

    def assign_add(self, delta, use_locking: bool = False, name=None, read_value: bool = True):
        return self.assign(self._d + _np.asarray(delta._d if isinstance(delta, _core.Tensor) else delta))

    def assign_sub(self, delta, use_locking: bool = False, name=None, read_value: bool = True):
        return self.assign(self._d - _np.asarray(delta._d if isinstance(delta, _core.Tensor) else delta))

    def _no_inplace(self, other):
        raise RuntimeError("`variable += value` (or -=, *=, /=, ...) with `tf.Variable`s is not supported. Use "
                           "`variable.assign_add(value)` to modify the variable, or `out = variable + value` if you "
                           "need to get a new output Tensor.")

    __iadd__ = __isub__ = __imul__ = __itruediv__ = __ifloordiv__ = __imod__ = __ipow__ = __imatmul__ = _no_inplace

    def read_value(self) -> Tensor:
        """The current value as a tf.Tensor (a copy; recorded, so gradients reach the variable)."""
        return read(self)

    value = read_value

    def __repr__(self) -> str:
        return (f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self._d)}>")

    __str__ = __repr__


class VariableSlice(Tensor):
    """What indexing a tf.Variable gives: the slice's value, a tf.Tensor with an ``assign`` of its own.

    ``v[1:3].assign(value)`` writes ``value`` (exactly the slice's shape: TensorFlow does not broadcast here)
    into the variable and returns the variable (TensorFlow returns the variable's updated value, an unread
    variable); assignment is not recorded. The slice itself keeps the value it had when it was taken.
    """

    __slots__ = ("_variable", "_key")
    _result_cls = Tensor        # operations on a slice give plain tf.Tensors

    def assign(self, value, name=None):
        return self._variable._assign_slice(self._key, value)
