"""Array kernels: the only layer that touches the array library directly.

Kernels and rules call ``numpy.*``; on another array type that speaks NumPy's dispatch protocols (CuPy,
Dask), those calls are answered by that library, and the result stays of that type. Such a *foreign* array is
recognised once per type (``is_foreign``) and kept as it is wherever a tensor is made (``as_array``); the few
things the engine does that NumPy's protocols do not carry (a write into an existing buffer, ``ufunc.reduce``)
go through ``assign`` and ``sum_to_shape`` here, with the NumPy ndarray as the measured fast path.

Holds the dtype rules (Python floats become float32, as in PyTorch and MXNet), conversion of user input
to arrays, and ``sum_to_shape``, the one place where broadcasting is undone. ``sum_to_shape`` uses only
methods that NumPy arrays and turunan Tensors share, so the engine calls the same code whether it is
running a plain backward on arrays or a recorded (``create_graph``) backward on Tensors.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.exceptions import AxisError

from ._batched import BatchedArray

__all__ = ["AxisError", "DEFAULT_FLOAT", "DEFAULT_INT", "as_array", "as_shape", "normalize_axes", "normalize_axis"]

DEFAULT_FLOAT = np.dtype(np.float32)
DEFAULT_INT = np.dtype(np.int64)


# the dtype kinds a tensor may hold: bool, signed and unsigned integers, floats, complex. Strings, bytes, objects,
# dates and records are refused where tensors are made (as ``torch.tensor("abc")`` is): NumPy would turn them
# into arrays that no op can differentiate, or worse, None into NaN under a float dtype.
_NUMERIC_KINDS = frozenset("biufc")


def _not_numeric(value, arr=None) -> TypeError:
    what = f"a {type(value).__name__}" if arr is None or not isinstance(value, np.ndarray) else "an array"
    got = "" if arr is None else f" (it would hold dtype {arr.dtype})"
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return TypeError(f"cannot make a tensor from {what} {shown}{got}: tensors hold numbers only (bool, integer, "
                     "floating or complex); give numbers, nested lists of numbers, or a numeric array")


def numeric_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype, refused unless tensors can hold it (numbers and bools only)."""
    dt = np.dtype(dtype)
    if dt.kind not in _NUMERIC_KINDS:
        raise TypeError(f"tensors hold numbers only (bool, integer, floating or complex), so dtype {dt} is not "
                        "allowed; use e.g. 'float32', 'int64' or 'bool'")
    return dt


# types the engine itself defines that speak NumPy's protocols but are not arrays of another library (Tensor,
# BatchedArray): filled in by the modules that define them, since this layer may not import upward
OWN_TYPES: set = {BatchedArray}
_FOREIGN: dict = {}


def is_foreign(value) -> bool:
    """Whether ``value`` is an array of another library that answers NumPy's protocols (CuPy, Dask, a JAX array
    or a stand-in that refuses implicit conversion): kept as it is, never converted with ``numpy.asarray``
    (which would copy a GPU array to the host or compute a whole Dask graph). Decided once per type.

    >>> is_foreign(np.ones(2)), is_foreign([1.0])
    (False, False)
    """
    t = type(value)
    if t is np.ndarray:
        return False
    known = _FOREIGN.get(t)
    if known is None:
        known = _FOREIGN[t] = (not issubclass(t, (np.ndarray, np.generic)) and not issubclass(t, tuple(OWN_TYPES))
                               and hasattr(t, "__array_function__") and hasattr(t, "__array_ufunc__")
                               and hasattr(t, "dtype") and hasattr(t, "shape"))
    return known


def assign(dst, src, casting: str = "same_kind"):
    """Write ``src`` into the existing buffer ``dst`` (broadcasting, casting as NumPy's ``copyto`` under
    ``casting``, which every array type is held to) and return the buffer that now holds the values: ``dst``
    itself, except for an array that cannot be written in place (a Dask array, a JAX array), whose functional
    update comes back and must be rebound by the caller. A lazy ``src`` written into a NumPy array is computed
    (the write needs its values; ``np.copyto`` would leave that to Dask's deprecated fallback).

    >>> buf = np.zeros(2); assign(buf, 3.0) is buf, buf
    (True, array([3., 3.]))
    """
    if type(dst) is np.ndarray:
        np.copyto(dst, to_numpy(src) if is_lazy(src) else src, casting=casting)
        return dst
    src_dtype = np.result_type(getattr(src, "dtype", src))
    if not np.can_cast(src_dtype, dst.dtype, casting):
        raise TypeError(f"Cannot cast array data from {src_dtype!r} to {dst.dtype!r} according to the rule "
                        f"{casting!r}")
    if not is_lazy(dst):
        try:
            dst[...] = src
            return dst
        except TypeError:       # an immutable array (JAX's)
            pass
    if np.ndim(src) == 0 and not is_foreign(src):
        return np.full_like(dst, src)
    new = np.broadcast_to(src, dst.shape).astype(dst.dtype)
    return new if type(new) is type(dst) else np.asarray(new, like=dst)


def as_result(ans):
    """A kernel's result as a tensor holds it: NumPy scalars and Python numbers as 0-d arrays; an array of another
    library (and one of the array API) as it is. Called off the fast path (``type(ans) is not np.ndarray``)."""
    if isinstance(ans, np.generic) or not (hasattr(ans, "__array_namespace__") or is_foreign(ans)):
        return np.asarray(ans)
    return ans


def is_lazy(value) -> bool:
    """Whether ``value`` (an array, or a Tensor holding one) is a lazy array (Dask's): its values exist only once
    it is computed."""
    if type(value) is np.ndarray:
        return False
    value = getattr(value, "_d", value)
    return type(value) is not np.ndarray and hasattr(value, "compute") and hasattr(value, "dask")


def refuse_lazy(x, what: str, why: str) -> None:
    """Raise where a rule would have to compute a Dask array in the middle of a computation to go on."""
    if is_lazy(x):
        raise NotImplementedError(f"{what} is not available on a lazy (Dask) array: {why}, which would compute the "
                                  "whole graph in the middle of the computation; compute the input first "
                                  "(turunan.compute or x.compute()) or use NumPy arrays for this step")


def refuse_device(what: str, *arrays) -> None:
    """Raise where a kernel takes NumPy arrays only (SciPy's) and is given a device array (CuPy's): a TypeError
    that names the operation, where CuPy would only refuse an implicit conversion somewhere inside SciPy."""
    for a in arrays:
        if type(a) is not np.ndarray and is_lazy(a):
            refuse_lazy(a, what, "it runs SciPy's kernel, which takes NumPy arrays only")
        if type(a) is not np.ndarray and is_foreign(a):
            raise TypeError(f"{what} runs SciPy's kernel, which takes NumPy arrays only, and was given a "
                            f"{type(a).__module__}.{type(a).__name__} (a device array): copy it to the host first "
                            "(tensor.numpy(), CuPy's .get()) and back after, or use NumPy arrays for this step")


def zeros(shape, dtype, like=None):
    """Zeros of ``like``'s array type (NumPy's ``like=``): a scatter's buffer on the GPU for a CuPy gradient,
    lazy for a Dask one. ``like`` may be a Tensor (a recorded backward) or a number: NumPy then."""
    like = getattr(like, "_d", like)
    if type(like) is np.ndarray:
        return np.zeros(shape, dtype)
    if type(like) is BatchedArray:      # inside vmap: the examples' array type
        like = like.phys
    if type(like) is np.ndarray or not is_foreign(like):
        return np.zeros(shape, dtype)
    return np.zeros(shape, dtype, like=like)


def pointwise(index) -> bool:
    """Whether ``index`` is two or more integer arrays and nothing else (``x[rows, cols]``): NumPy's pointwise
    picks, which Dask writes ``x.vindex[rows, cols]`` (its ``x[rows, cols]`` refuses them)."""
    return isinstance(index, tuple) and len(index) > 1 and all(getattr(i, "dtype", None) is not None
                                                              and i.dtype.kind in "iu" for i in index)


def lazy_scatter(out, index, g):
    """``out[index] += g`` on a Dask array, which has no ``ufunc.at``: an assignment, exact only where no element
    is indexed twice, so repeated indices are refused (they would be assigned, not added: a wrong number)."""
    if any(is_lazy(i) for i in (index if isinstance(index, tuple) else (index,))):
        raise NotImplementedError("a scatter-add with a Dask index array: Dask cannot tell whether it repeats an "
                                  "element without computing it; compute the index first (index.compute())")
    if pointwise(index) and len(index) == out.ndim:
        # pointwise picks of whole coordinates (x[rows, cols]), which Dask cannot assign: summed per flat position
        # by bincount, repeated positions too (exact, as np.add.at)
        flat = g.ravel()
        pos = np.ravel_multi_index(np.broadcast_arrays(*index), out.shape, mode="wrap").ravel()
        pos = np.asarray(pos, like=flat).rechunk(flat.chunks)
        total = np.bincount(pos, weights=flat, minlength=out.size)
        return out + total.astype(out.dtype).reshape(out.shape)
    arrays = [np.asarray(i) for i in (index if isinstance(index, tuple) else (index,))
              if isinstance(i, (np.ndarray, list)) and np.asarray(i).dtype != bool]
    if arrays:
        flat = np.stack([a.ravel() for a in np.broadcast_arrays(*arrays)], -1)
        if len(np.unique(flat, axis=0)) != len(flat):
            raise NotImplementedError("a scatter-add with repeated indices on a Dask array: Dask has no ufunc.at, "
                                      "so repeated entries cannot accumulate; gather with unique indices, or "
                                      "compute this array first (turunan.compute)")
    out[index] = g
    return out


def add_at(out, index, g):
    """``np.add.at(out, index, g)``: ``g`` added into ``out`` at ``index``, repeated indices accumulating. Returns the
    array that holds the sums (``out`` itself for NumPy; the caller rebinds it). A Dask array has no ``ufunc.at``
    (``lazy_scatter``); CuPy's ``__array_ufunc__`` takes arrays and scalars only, so NumPy's ``ufunc.at`` does not
    reach it with a tuple index: the same sums by ``bincount`` over the flat positions ``index`` picks (its weights
    are real: a complex ``g`` in two parts)."""
    if type(out) is np.ndarray:
        np.add.at(out, index, g)
        return out
    if is_lazy(out):
        return lazy_scatter(out, index, g)
    picked = np.arange(out.size, like=out).reshape(out.shape)[index]    # the flat position each element of g adds to
    pos, g = picked.ravel(), np.broadcast_to(g, picked.shape).ravel()

    def summed(w):
        return np.bincount(pos, weights=w, minlength=out.size)
    total = summed(np.real(g)) + 1j * summed(np.imag(g)) if g.dtype.kind == "c" else summed(g)
    return out + total.astype(out.dtype).reshape(out.shape)


def to_numpy(value, compute: bool = True):
    """``value`` as a NumPy array, asked for explicitly: a Dask array is computed (``None`` instead when
    ``compute`` is false: a repr must not compute), a device array (CuPy's ``.get()``) is copied to the host.

    >>> to_numpy(np.arange(2))
    array([0, 1])
    """
    if type(value) is np.ndarray:
        return value
    if is_lazy(value):
        return to_numpy(value.compute()) if compute else None
    if hasattr(value, "get") and is_foreign(value):
        return np.asarray(value.get())
    return np.asarray(value)


def ones_like(a, dtype=None):
    """Ones (a constant) of ``a``'s shape and dtype, of the array type ``a`` holds (a head gradient: on the GPU for
    a CuPy output, lazy for a Dask one). ``a`` may be a Tensor."""
    a = getattr(a, "_d", a)
    dtype = a.dtype if dtype is None else dtype
    if type(a) is np.ndarray:
        return np.ones(a.shape, dtype)
    if not is_foreign(a):
        if type(a) is BatchedArray and is_foreign(a.phys):      # inside vmap over device arrays: ones of one example
            return np.ones(a.shape, dtype, like=a.phys)
        return np.ones(a.shape, dtype)
    return np.ones_like(a, dtype=dtype)


def copy(a, dtype=None):
    """A copy of the array ``a`` (of its own type), cast to ``dtype`` if given."""
    if type(a) is np.ndarray or isinstance(a, np.generic):
        return np.array(a, dtype=dtype, copy=True)
    return a.astype(a.dtype if dtype is None else dtype, copy=True)


def c_copy(a):
    """A C-contiguous copy of ``a``, of its own array type (``np.array(a, copy=True)`` would convert a CuPy or
    Dask array to NumPy)."""
    if type(a) is np.ndarray or isinstance(a, np.generic):
        return np.array(a, order="C", copy=True)
    return a.copy()


def beside(a, like):
    """The NumPy constant ``a`` (a mask, class numbers, a padded buffer) moved next to the array ``like`` holds (an
    array or a Tensor): to the device for a CuPy array, which refuses a NumPy operand; ``a`` itself for NumPy, and
    for a Dask array (which takes NumPy operands, and whose constants must stay computable: a class check).

    >>> beside(np.eye(2, dtype=bool), np.ones(2)).dtype
    dtype('bool')
    """
    like = getattr(like, "_d", like)
    like = like.phys if type(like) is BatchedArray else like
    if type(like) is np.ndarray or not is_foreign(like) or is_foreign(a) or is_lazy(like):
        return a
    return np.asarray(a, like=like)


def add_into(buf, g):
    """``buf + g`` written into ``buf`` where it can be (NumPy, CuPy: a gradient buffer is allocated once, then
    reused), else as a new array (Dask: its arrays are values; writing into one would change what the graph saved
    of it). Returns the buffer that holds the sum: the caller rebinds it."""
    if not is_lazy(buf):        # (the engine adds into a NumPy buffer itself, inline: the hot path)
        return np.add(buf, g, out=buf, casting="same_kind")
    return (buf + g).astype(buf.dtype, copy=False)


def head_ones(a):
    """The head gradient of summing ``a`` (MXNet's and TensorFlow's non-scalar backward): a read-only view of one 1
    broadcast to ``a``'s shape, of ``a``'s array type. Ones of full size cost 800 MB at 2e8 float32 elements; the
    rules only read it, and the engine copies a view before it would write into one.

    >>> head_ones(np.zeros((2, 3), np.float32)).strides
    (0, 0)
    """
    one = np.ones((), a.dtype) if type(a) is np.ndarray or not is_foreign(a) else np.ones_like(a, shape=())
    return broadcast_to(one, a.shape)


def as_array(value, dtype=None) -> np.ndarray:
    """Convert user input to an array, applying the deep-learning dtype defaults.

    Python floats (and nested lists of them) become float32; Python ints int64; bools bool. A NumPy array
    keeps its dtype unless ``dtype`` is given, as ``torch.tensor(np_array)`` does. Anything that is not
    numbers (strings, None, dicts, object arrays) raises TypeError: this is where every tensor is made
    (``Tensor.__init__``, the creation functions and the front doors all come here), so it is checked once.

    >>> as_array([1.0, 2.0]).dtype
    dtype('float32')
    """
    if is_foreign(value):       # CuPy, Dask: kept on their device / lazy; only the dtype is checked
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise _not_numeric(value, value)
        return value if dtype is None else value.astype(numeric_dtype(dtype), copy=False)
    if dtype is not None:
        dt = numeric_dtype(dtype)
        # converted first without the dtype, so that None or "1.5" cannot slip through as NaN or 1.5
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise _not_numeric(value, None if arr.dtype == object and not isinstance(value, np.ndarray) else arr)
        if arr.dtype.kind == "c" and dt.kind != "c":
            raise TypeError(f"cannot make a {dt} tensor from complex values without dropping their imaginary "
                            "parts; take .real (or np.real) first if that is what you mean")
        return arr.astype(dt, copy=False)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise _not_numeric(value, value)
        return value
    if isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise _not_numeric(value, arr)
        return arr
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        return arr.astype(DEFAULT_FLOAT)
    if arr.dtype.kind in "iu":
        return arr.astype(DEFAULT_INT, copy=False)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise _not_numeric(value, None if arr.dtype == object else arr)
    return arr


# set by turunan._ops at import (this module may not import upward): a list or tuple as one recorded, stacked
# Tensor if it holds a Tensor, else None. Ops given [x, 2 * x] then record it (HIPS autograd, JAX, TensorFlow)
pack_sequence = None


def as_operand(value, op: str = "this operation"):
    """A value given to an op where a tensor is expected, which is not a Tensor: checked to be numbers.

    Python numbers and NumPy scalars come back as they are (NumPy's weak typing of Python scalars must stay, or
    ``float32_tensor * 2.0`` would become float64); a list or tuple that holds a Tensor as one Tensor, recorded,
    stacked from it (``pack_sequence``; callers handle that Tensor); anything else as ``numpy.asarray(value)``,
    dtype as NumPy infers it, as the kernel would have made it. Strings, None, dicts and object arrays raise
    TypeError: an op given them returned a string or object "tensor", or NumPy's semantics for Python objects
    (``None`` is falsy), a silent wrong result. Called only off the hot path: by ops when an operand is not a Tensor.

    >>> as_operand(2.0), as_operand([1, 2]).dtype
    (2.0, dtype('int64'))
    """
    t = type(value)
    if t is float or t is int or t is bool or t is complex:
        return value
    if (t is list or t is tuple) and pack_sequence is not None:
        packed = pack_sequence(value)
        if packed is not None:
            return packed
    if t is BatchedArray or is_foreign(value):   # one value per example (vmap), a CuPy or Dask array: as it is
        return value
    arr = value if isinstance(value, (np.ndarray, np.generic)) else np.asarray(value)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        what = "an array of dtype " + str(arr.dtype) if isinstance(value, np.ndarray) else "a " + t.__name__
        raise TypeError(f"{op}: expected a tensor or numbers, got {what} ({shown}); tensors hold numbers only "
                        "(bool, integer, floating or complex): give a tensor, numbers or a numeric array")
    return arr


def as_shape(shape, op: str = "shape") -> tuple:
    """A shape given as one int or a sequence of ints (NumPy's integers and integer tensors too), as a tuple.

    Floats and bools are refused: ``int(2.5)`` silently made ``zeros(2.5)`` a 2-element tensor (PyTorch raises).

    >>> as_shape(3), as_shape([2, np.int64(3)])
    ((3,), (2, 3))
    """
    if not isinstance(shape, (bool, np.bool_)):
        try:
            return (operator.index(shape),)
        except TypeError:
            pass
    if isinstance(shape, (str, bytes, bool, np.bool_)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{op} must be an integer or a sequence of integers, got {type(shape).__name__} {shape!r}")
    out = []
    for s in shape:
        if isinstance(s, (bool, np.bool_)):
            raise TypeError(f"{op} must hold integers, got the bool {s!r} in {shape!r}")
        try:
            out.append(operator.index(s))
        except TypeError:
            raise TypeError(f"{op} must hold integers, got {type(s).__name__} {s!r} in {shape!r}") from None
    return tuple(out)


# ---- axes: one check for every op and front door that takes an axis (a dim) --------------------------------
def as_int(value, what: str, kind: str = "an integer") -> int:
    """``value`` as a Python int: integers (NumPy's too) and one-element integer tensors; not bools, floats or
    strings (``int(2.5)`` would truncate), else a TypeError saying ``what`` must be ``kind``.

    >>> as_int(np.int64(3), "epochs")
    3
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be {kind}, got the bool {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be {kind}, got {type(value).__name__} {value!r}") from None


def _axis_int(axis, op: str) -> int:
    return as_int(axis, f"{op}: axis")


def _out_of_range(axis: int, ndim: int, op: str) -> AxisError:
    if ndim <= 0:
        return AxisError(f"{op}: axis {axis} is out of range: a 0-d tensor has no axes")
    return AxisError(f"{op}: axis {axis} is out of range for {ndim} dimensions (expected to be in range of "
                     f"[{-ndim}, {ndim - 1}], but got {axis})")


def normalize_axis(axis, ndim: int, op: str = "axis") -> int:
    """``axis`` checked against ``ndim`` dimensions and made non-negative.

    NumPy's rule, -ndim <= axis < ndim; outside it NumPy's ``AxisError`` (both a ValueError and an IndexError,
    as PyTorch's "Dimension out of range" is) whose message says "out of range". Never wraps around: ``% ndim``
    silently turned axis 5 of a 2-d tensor into axis 1. ``op`` names the caller in the message.

    >>> normalize_axis(-1, 3)
    2
    """
    if type(axis) is not int:
        axis = _axis_int(axis, op)
    if -ndim <= axis < ndim:
        return axis + ndim if axis < 0 else axis
    raise _out_of_range(axis, ndim, op)


def normalize_axes(axes, ndim: int, op: str = "axis") -> tuple:
    """One axis or a tuple/list of them, each checked by ``normalize_axis``; an axis named twice (also as
    ``0`` and ``-ndim``) raises ValueError, as NumPy's reductions and PyTorch's do.

    >>> normalize_axes((0, -1), 3)
    (0, 2)
    """
    if isinstance(axes, (tuple, list)):
        out = tuple(normalize_axis(a, ndim, op) for a in axes)
    else:
        return (normalize_axis(axes, ndim, op),)
    if len(out) > 1 and len(set(out)) != len(out):
        dup = next(a for i, a in enumerate(out) if a in out[:i])
        raise ValueError(f"{op}: axis {dup} appears more than once in {tuple(axes)}; name each axis once")
    return out


def refuse_complex(dtype, what: str) -> None:
    """Where a complex value cannot be differentiated: a complex head gradient or cotangent of a real output, a
    complex tangent of a real input (its imaginary part would be dropped), and the front doors whose framework
    conjugates complex gradients (PyTorch's convention; turunan follows JAX's and HIPS autograd's)."""
    if np.dtype(dtype).kind == "c":
        raise TypeError(f"{what} is complex ({np.dtype(dtype)}), and complex autodiff is not supported yet here: a "
                        "real value takes real head gradients and tangents, and the front doors of frameworks whose "
                        "convention conjugates complex gradients refuse them; differentiate the real and imaginary "
                        "parts as two real tensors, or use turunan.func (JAX's complex convention)")


def kind(x) -> str:
    """The dtype kind ('f', 'c', ...) of an array, a Tensor (a front door's too, whose ``.dtype`` is its framework's
    object) or a number.

    >>> kind(np.ones(2, np.complex64)), kind(2.0)
    ('c', 'f')
    """
    d = getattr(x, "_d", x)
    try:
        return d.dtype.kind
    except AttributeError:
        return np.asarray(d).dtype.kind


def is_float_dtype(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


_LEADING = [tuple(range(n)) for n in range(8)]


def add_reduce(x, axis, keepdims: bool = False):
    """``x.sum(axis)``: NumPy's ufunc reduce itself on a NumPy array (``np.sum``'s Python wrapper costs 0.5-1.5 us a
    call), ``np.sum`` on other arrays (Dask's have no ``ufunc.reduce``)."""
    if type(x) is np.ndarray:
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


def sum_to_shape(grad, shape: tuple):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting. Works on arrays and Tensors alike.

    >>> sum_to_shape(np.ones((2, 3)), (1, 3))
    array([[2., 2., 2.]])
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"gradient of shape {grad.shape} cannot be summed to shape {shape}")
    if gshape[lead:] == shape:   # only leading axes were added (a bias): one sum, no reshape
        axes = _LEADING[lead] if lead < 8 else tuple(range(lead))
        return add_reduce(grad, axes)
    kept = tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
    grad = grad.sum(axis=tuple(range(lead)) + kept, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def broadcast_to(a, shape: tuple):
    """``np.broadcast_to``: a read-only view. A 0-d NumPy value (a full reduction's gradient) gets the view
    from the ndarray constructor with zero strides (0.6 us; ``np.broadcast_to`` costs 2.4 us in Python)."""
    if (type(a) is np.ndarray or isinstance(a, np.generic)) and a.ndim == 0 and a.dtype.kind in "biufc":
        view = np.ndarray(shape, a.dtype, a, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return np.broadcast_to(a, shape)


def broadcast_shapes(*shapes: tuple) -> tuple:
    """Result shape of broadcasting, with an error message naming both shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError("shapes " + " and ".join(str(tuple(s)) for s in shapes)
                         + " cannot be broadcast together; make the trailing dimensions equal or 1") from None


def anywhere(cond) -> bool:
    """Whether ``cond`` holds anywhere: for a batched array (vmap), in any example. For choices of algorithm and for
    input checks, where asking "in any example" is exactly right (a rule's exact slow path where some example has
    a zero; an out-of-range class in some example)."""
    if type(cond) is BatchedArray:
        return bool(np.any(cond.phys))
    if hasattr(cond, "_d"):     # a Tensor (a recorded backward runs the rules on Tensors)
        return anywhere(cond._d)
    return bool(np.any(cond))

