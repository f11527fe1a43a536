"""MXNet's ndarray over turunan's Tensor, and the thread-local recording state of ``autograd.record()``.

MXNet records nothing outside ``autograd.record()``. The core records an operation when an input answers
``requires_grad`` True, so an ndarray answers True only while recording is on (or while this door runs a
backward pass over what was recorded). The stored flag lives in the core's slot; the answer depends on the
scope. Gradient math is the core's; this module only names it the MXNet way.
"""

from __future__ import annotations

import threading

import numpy as _np

from .. import _engine
from .. import _ops as ops
from .. import autograd as _autograd
from .._array import as_array
from .._core import Tensor
from .._doors import REQUIRES_GRAD, recast
from .context import Context, cpu

GRAD_REQS = ("write", "add", "null")

NOT_RECORDED_MSG = ("Cannot differentiate node because it is not in a computational graph. You need to set "
                    "is_recording to true or use autograd.record() to save computational graphs for backward. "
                    "If you want to differentiate the same graph twice, you need to pass retain_graph=True to "
                    "backward.")


class MXNetError(RuntimeError):
    """The error MXNet raises for misuse of autograd (a RuntimeError, so either can be caught)."""


class _State(threading.local):
    recording = False   # inside autograd.record() (and not paused)
    training = False    # train mode (record() turns it on by default)
    engine = 0          # > 0 while this door runs backward/grad: recorded arrays must answer truthfully


state = _State()


class _EngineScope:
    """While a backward pass of this door runs, recorded arrays answer requires_grad as recorded."""

    def __enter__(self):
        state.engine += 1

    def __exit__(self, *exc):
        state.engine -= 1


def run_backward(fn, *args, **kwargs):
    """Run a core backward/grad, turning the core's freed-graph error into MXNet's."""
    with _EngineScope():
        try:
            return fn(*args, **kwargs)
        except RuntimeError as e:
            if str(e) == _engine.FREED_MSG:
                raise MXNetError(NOT_RECORDED_MSG) from None
            raise


def check_recorded(heads: list) -> None:
    for h in heads:
        if not isinstance(h, Tensor) or h._node is None or not REQUIRES_GRAD.__get__(h):
            raise MXNetError(NOT_RECORDED_MSG)


class ndarray(Tensor):
    """MXNet's ``np.ndarray``: prints as ``array([0., 1., 2., 3.])``, gradients via ``attach_grad``.

    >>> from turunan.mxnet import autograd, np
    >>> x = np.arange(4.0)
    >>> x.attach_grad()
    >>> with autograd.record():
    ...     y = 2 * np.dot(x, x)
    >>> y.backward()
    >>> x.grad
    array([ 0.,  4.,  8., 12.])
    """

    __slots__ = ("_grad_req",)
    _numpy_reads_grad = True    # MXNet lets asnumpy() / NumPy read an array with a gradient (a copy, off the graph)
    _complex_grad = False       # MXNet differentiates no complex values

    # ---- recording, the MXNet way --------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        if not REQUIRES_GRAD.__get__(self):
            return False
        return state.recording or state.engine > 0

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        REQUIRES_GRAD.__set__(self, bool(value))

    def attach_grad(self, grad_req: str = "write", stype=None) -> None:
        """Make this array a variable to differentiate against, with a zero gradient buffer allocated now.

        ``grad_req``: 'write' (each backward overwrites the same buffer), 'add' (each backward adds into it),
        'null' (no gradient).
        """
        if grad_req not in GRAD_REQS:
            raise ValueError(f"grad_req must be one of {GRAD_REQS}, got {grad_req!r}")
        if stype not in (None, "default"):
            raise ValueError(f"turunan.mxnet supports only dense gradients (stype='default'), got {stype!r}")
        self._node = None                      # MXNet's attach_grad makes a fresh variable
        Tensor.requires_grad_(self, True)      # checks the dtype: only floating arrays get gradients
        self._grad_req = grad_req
        self._grad = ndarray._wrap(_np.zeros_like(self._d))

    @property
    def grad(self):
        """The gradient buffer (allocated by attach_grad), or None for an array without one."""
        g = self._grad
        if g is not None and not isinstance(g, ndarray):
            g = self._grad = recast(g, ndarray)   # a buffer the core replaced (create_graph): same data
        return g

    @grad.setter
    def grad(self, value) -> None:
        Tensor.grad.fset(self, value)

    @property
    def grad_req(self) -> str:
        return getattr(self, "_grad_req", "null") if REQUIRES_GRAD.__get__(self) else "null"

    def backward(self, out_grad=None, retain_graph: bool = False, train_mode: bool = True) -> None:
        """Write (or add) d(self)/d(variable) into each variable's ``.grad``; a non-scalar is summed."""
        check_recorded([self])
        run_backward(_autograd.backward, [self], None if out_grad is None else [out_grad],
                     retain_graph=retain_graph, sum_non_scalar=True)

    # ---- MXNet's array API ---------------------------------------------------------------------------
    def asnumpy(self) -> _np.ndarray:
        """A NumPy copy of the data (MXNet copies from its device)."""
        return _np.array(self._d, copy=True)

    def asscalar(self):
        return self.item()

    def as_np_ndarray(self):
        return self

    def as_nd_ndarray(self):
        return self

    def copy(self):
        return ndarray._wrap(self._d.copy())

    def astype(self, dtype, copy: bool = True):
        from .._ops import astype
        if not copy and self.dtype == _np.dtype(dtype):
            return self
        return recast(astype(self, dtype), ndarray)

    @property
    def ctx(self):
        """Where the array lives: always ``cpu(0)`` (turunan computes with NumPy)."""
        return cpu()

    context = device = ctx

    def as_in_context(self, ctx):
        """The array itself: the only contexts are the CPU's (``mxnet.gpu()`` raises already)."""
        if not isinstance(ctx, Context):
            raise TypeError(f"as_in_context takes a context (mxnet.cpu()), got {type(ctx).__name__}")
        return self

    as_in_ctx = to_device = copyto = as_in_context

    # ---- indexing and memory, the MXNet way ---------------------------------------------------------------
    # MXNet's np.ndarray owns its memory: reshape, flatten, ravel, transpose, .T, swapaxes, squeeze, expand_dims,
    # broadcast_to and flip return copies (python/mxnet/numpy/multiarray.py: ndarray.reshape "Returns a copy of the
    # array with a new shape", .T "always returns a copy of self"; the docs of mxnet.np.reshape: "It will be always
    # a copy of the original array. This behavior is different from the official NumPy reshape operator"). The
    # only views are basic indexing that selects one contiguous block (``x[1]``, ``x[1:3]``, ``x[:2, :]``; not
    # ``x[:, 1]`` nor a step other than 1: ndarray.__getitem__, "a mutable view is returned ... if the accessed
    # portion is contiguous in memory. Otherwise, a newly created ndarray is returned"), and ``detach()``.
    # The D2L ndarray chapter relies on it: after ``X = x.reshape(3, 4)`` and ``X[:2, :] = 12``, x is unchanged.
    def __getitem__(self, key):
        key = mx_index(key)
        out = ops.getitem(self, key)
        if out._version is self._version and not (out._d.flags.c_contiguous and _unit_steps(key)):
            return ops.copy(out)
        return out

    def __setitem__(self, key, value) -> None:
        ops.setitem(self, mx_index(key), value)

    def reshape(self, *shape, order: str = "C"):
        """A copy with a new shape (MXNet's reshape never returns a view); ``-1`` infers one size."""
        if order != "C":
            raise NotImplementedError(f"reshape: MXNet supports only order='C', got {order!r}")
        return own(ops.reshape(self, *shape), self)

    def flatten(self, order: str = "C"):
        return self.reshape(-1, order=order)

    def ravel(self, order: str = "C"):
        return self.reshape(-1, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return own(ops.transpose(self, axes or None), self)

    @property
    def T(self):  # noqa: N802  (NumPy's name)
        return own(ops.transpose(self), self)

    def swapaxes(self, axis1: int, axis2: int):
        return own(ops.swapaxes(self, axis1, axis2), self)

    def squeeze(self, axis=None):
        return own(ops.squeeze(self, axis), self)

    def expand_dims(self, axis):
        return own(ops.expand_dims(self, axis), self)

    def broadcast_to(self, shape):
        return own(ops.broadcast_to(self, shape), self)

    def flip(self, axis=None):
        return own(ops.flip(self, axis), self)

    # MXNet's true division of integers gives its default float dtype, float32 (NumPy's gives float64): D2L's
    # ``multinomial(100, fair_probs) / 100``
    def __truediv__(self, other):
        return recast(ops.divide(*_float32_if_integers(self, other)), type(self))

    def __rtruediv__(self, other):
        return recast(ops.divide(*_float32_if_integers(other, self)), type(self))

    def __repr__(self) -> str:
        text = repr(_np.asarray(self._d))    # a 0-d result may hold a NumPy scalar
        if "dtype=" in text:
            if self._d.dtype == _np.float32:          # MXNet's default dtype is not shown
                text = text[:text.rindex(",")] + ")"
        elif self._d.dtype not in (_np.float32, _np.bool_):
            text = text[:-1] + f", dtype={self._d.dtype})"
        return text

    def __str__(self) -> str:
        return str(_np.asarray(self._d))

    def __format__(self, spec: str) -> str:
        """MXNet's rule (``multiarray.py``): a 0-d array formats as its number, any other as ``str`` (NumPy's
        text, no ``array(...)``: D2L's ``f'error in estimating w: {...}'``); a spec is refused for those."""
        if self._d.ndim == 0:
            return format(self._d.item(), spec)
        if spec:
            raise TypeError("Cannot format mxnet.numpy.ndarray with format_spec")
        return str(self)

    def __hash__(self):
        return object.__hash__(self)


def _float32_if_integers(x, y) -> tuple:
    """``(x, y)``, both as float32 where both are integers (MXNet's rule for ``/``), else as they are."""
    def integer(v):
        return not isinstance(v, bool) and _np.issubdtype(v._d.dtype if isinstance(v, Tensor) else
                                                          _np.asarray(v).dtype, _np.integer)
    if integer(x) and integer(y):
        return tuple(v if isinstance(v, int) else ops.astype(v if isinstance(v, Tensor) else as_array(v), _np.float32)
                     for v in (x, y))
    return x, y


def own(out, base):
    """``out`` in its own memory: a copy (recorded: the gradient passes through) where it is a view of ``base``.

    MXNet's operators return arrays that own their memory (see ``ndarray.reshape``); the core's shape ops return
    views where NumPy does, so the door copies those. ``out`` may be a list (``split``): each piece is checked.
    """
    if isinstance(out, list):
        return [own(o, base) for o in out]
    if isinstance(out, Tensor) and isinstance(base, Tensor) and out._version is base._version and out is not base:
        return ops.copy(out)
    return out


def _unit_steps(key) -> bool:
    """Whether every slice in an index steps by 1 (MXNet copies for any other step, even where NumPy's result
    happens to be contiguous)."""
    for k in key if isinstance(key, tuple) else (key,):
        if isinstance(k, slice) and k.step not in (None, 1):
            return False
    return True


def _whole(arr: _np.ndarray, where: str) -> _np.ndarray:
    """A floating index array as integers, if it holds whole numbers; refused otherwise (MXNet truncates 0.5 to 0,
    which would silently pick another element)."""
    bad = ~_np.isfinite(arr) | (arr != _np.round(arr)) if arr.size else _np.zeros(0, bool)
    if bad.any():
        value = arr[bad].flat[0].item()
        raise IndexError(f"{where}: an index array of dtype {arr.dtype} must hold whole numbers to index with, "
                         f"got {value!r}; MXNet would truncate it, turunan refuses rather than pick another element. "
                         "Round it first (np.round) or give integers (astype('int32'))")
    return arr.astype(_np.int64)


def mx_index(key):
    """An index as MXNet reads it: arrays of floats that hold whole numbers index as integers.

    MXNet's arrays are float32 by default, so ``y = np.array([0, 2])`` is float32, and MXNet casts such an index to
    int32 (``NDArray._get_index_nd``: ``idx_i.astype('int32')``); D2L's ``y_hat[[0, 1], y]`` relies on it. NumPy and
    the core refuse float indices, so the door converts them here; a fraction (or nan, inf) is refused.
    """
    if isinstance(key, tuple):
        return tuple(_mx_index_one(k) for k in key)
    return _mx_index_one(key)


def _mx_index_one(k):
    if isinstance(k, Tensor):
        arr = k._d
        return _whole(arr, "indexing") if arr.dtype.kind == "f" else k
    if isinstance(k, _np.ndarray):
        return _whole(k, "indexing") if k.dtype.kind == "f" else k
    if isinstance(k, list) and k and all(isinstance(v, (int, float, _np.number)) and not isinstance(v, bool)
                                         for v in k) and any(isinstance(v, (float, _np.floating)) for v in k):
        return _whole(_np.asarray(k), "indexing")
    return k


def as_ndarray(value, dtype=None) -> ndarray:
    """An ndarray from an ndarray (as is), a Tensor (same data), or array-like input (float32 by default)."""
    if isinstance(value, Tensor):
        return recast(value if dtype is None else value.astype(dtype), ndarray)
    if dtype is None:
        dtype = value.dtype if isinstance(value, _np.ndarray) else _np.float32   # MXNet's default for lists
    arr = as_array(value, dtype)    # the core's conversion: it refuses strings, None and object arrays
    return ndarray(arr.copy() if arr is value else arr)
