"""``turunan.numpy``: NumPy's names, recorded. Write NumPy code against this module and differentiate it.

Unlike the PyTorch-like top level, this namespace keeps NumPy's own dtype rules (``array([1.0])`` is
float64), as HIPS autograd's ``autograd.numpy`` does: a NumPy program keeps its numbers. Plain ``numpy``
functions called on Tensors are recorded too (the array protocols); this module is for code that wants
turunan's Tensors from its creation functions as well. A NumPy name without a rule raises AttributeError
naming it. A list of tensors given to any function here is recorded (``tnp.mean([x, x + 2])``,
``tnp.array([x, x ** 2])``), as in HIPS autograd; plain ``numpy`` refuses to read a tensor that requires grad.

>>> import turunan as tn
>>> import turunan.numpy as tnp
>>> x = tnp.array([0.5, 1.0], requires_grad=True)
>>> y = tnp.sum(tnp.sin(x) * tnp.exp(-x * x))
>>> y.backward()
>>> x.grad.dtype
dtype('float64')
"""

from __future__ import annotations

import numpy as _np

from .. import _batching, _ops, _plain, _rules
from .._core import Primitive, Tensor, apply
from .._methods import FUNCTIONS as _FUNCTIONS
from .._methods import UFUNCS as _UFUNCS

# ---- lists of Tensors ------------------------------------------------------------------------------------
# NumPy code writes arrays as lists: ``np.mean([x, x + 2])``, ``np.array([x, x**2])``. Converting such a list
# with numpy.asarray would cut every Tensor in it from the graph (a silent zero gradient). The core's ops never
# do: a (nested) list or tuple that holds a Tensor, given where an array goes, is one Tensor recorded from its
# elements (HIPS autograd's ``array_from_args``; ``turunan._array.as_operand``), so this module names them as
# they are. A list without Tensors becomes an array, by NumPy's rules.
_SEQ = _ops.SEQUENCES
_holds_tensor, _values, _from_nested = _ops.holds_tensor, _ops.nested_values, _ops.from_nested


# every NumPy function and ufunc that has a rule, under NumPy's own name
for _table in (_UFUNCS, _FUNCTIONS):
    for _np_fn, _op in _table.items():
        _name = getattr(_np_fn, "__name__", None)
        if _name and _name not in ("norm", "shape", "ndim", "size", "result_type") \
                and getattr(_np_fn, "__module__", None) not in ("numpy.fft", "numpy.linalg"):   # their submodules'
            globals()[_name] = _op
# the reductions come with NumPy's signatures from the table above (turunan._reductions.numpy_*: integers
# averaged in float64, dtype=, where=, initial=, ddof=)
max, min = _ops.numpy_amax, _ops.numpy_amin  # noqa: A001
mod, true_divide = _ops.remainder, _ops.divide
abs = _ops.abs  # noqa: A001
round = _ops.round  # noqa: A001
logsumexp, softmax, log_softmax = _ops.logsumexp, _ops.softmax, _ops.log_softmax


def shape(a) -> tuple:
    return _np.shape(_values(a))


def ndim(a) -> int:
    return _np.ndim(_values(a))


def size(a, axis=None) -> int:
    return _np.size(_values(a), axis)


float16, float32, float64 = _np.float16, _np.float32, _np.float64
int32, int64, bool_ = _np.int32, _np.int64, _np.bool_
pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None
__version__ = _np.__version__     # NumPy's: code that checks NumPy's version reads it here (HIPS's does)


def _make(data, requires_grad: bool) -> Tensor:
    t = data if isinstance(data, Tensor) else Tensor._wrap(data)
    return t.requires_grad_(True) if requires_grad else t


def array(obj, dtype=None, requires_grad: bool = False) -> Tensor:
    """A Tensor copy of ``obj`` with NumPy's dtype rules (floats are float64).

    Tensors in ``obj`` (``obj`` itself, or the elements of a nested list) stay in the graph: the copy is
    recorded, as HIPS autograd's ``np.array`` is.
    """
    if isinstance(obj, Tensor):
        dt = obj.dtype if dtype is None else _np.dtype(dtype)
        if dt != obj.dtype:
            out = _ops.astype(obj, dt)      # a new array; recorded between floating dtypes
        elif dt.kind in "fc":
            out = _ops.multiply(obj, _np.ones((), dt))    # a recorded copy (exact: x * 1 is x, NaN and -0 too)
        else:
            out = type(obj)._result_type()._wrap(obj._d.copy())
        return _make(out, requires_grad)
    if type(obj) in _SEQ and _holds_tensor(obj):
        return _make(_from_nested(obj, dtype), requires_grad)
    return _make(_np.array(obj, dtype=dtype), requires_grad)


def asarray(obj, dtype=None) -> Tensor:
    """``obj`` as a Tensor: itself if it is one already (of ``dtype``), recorded from the elements of a list."""
    if isinstance(obj, Tensor):
        return obj if dtype is None or obj.dtype == _np.dtype(dtype) else _ops.astype(obj, dtype)
    if type(obj) in _SEQ and _holds_tensor(obj):
        return _from_nested(obj, dtype)
    return _make(_np.asarray(obj, dtype=dtype), False)


def _creator(fn):
    def make(*args, requires_grad: bool = False, **kwargs) -> Tensor:
        return _make(fn(*args, **kwargs), requires_grad)
    make.__name__ = fn.__name__
    make.__doc__ = f"numpy.{fn.__name__}, returning a Tensor (NumPy's dtype rules)."
    return make


zeros, ones, full, empty, arange, eye, identity = (
    _creator(f) for f in (_np.zeros, _np.ones, _np.full, _np.empty, _np.arange, _np.eye, _np.identity))
_plain_linspace = _creator(_np.linspace)


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype=None, axis: int = 0,
             requires_grad: bool = False):
    """numpy.linspace; recorded in ``start`` and ``stop`` where they are Tensors (HIPS autograd differentiates
    them), by NumPy's own formula: start + i * step, the last point ``stop`` itself when ``endpoint``.

    >>> import turunan as tn
    >>> tn.func.grad(lambda a: sum(linspace(a, 2.0, 3)))(0.0)      # points a, (a + 2) / 2, 2
    tensor(1.5, dtype=turunan.float64)
    """
    if not (isinstance(start, Tensor) or isinstance(stop, Tensor)):
        return _plain_linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis,
                               requires_grad=requires_grad)
    if axis != 0:
        raise NotImplementedError("linspace: Tensor start/stop are recorded along axis 0 only; move the axis after "
                                  "(turunan.numpy.moveaxis)")
    start, stop = asarray(start), asarray(stop)
    steps = num - 1 if endpoint else num
    # one point (or none): NumPy's step is NaN and the points are start alone
    step = (stop - start) / steps if steps > 0 else (stop - start) * 0
    i = _make(_np.arange(num, dtype=_np.float64).reshape((num,) + (1,) * _np.ndim(start._d + stop._d)), False)
    points = start + i * step
    if endpoint and num > 1:
        points = _ops.concatenate([points[:-1], _ops.broadcast_to(stop, points.shape[1:])[None]])
    points = points if dtype is None else _ops.astype(points, dtype)
    return (points, step if steps > 0 else step * _np.nan) if retstep else points


def _like(fn):
    def make(a, dtype=None, requires_grad: bool = False) -> Tensor:
        return _make(fn(_values(a), dtype=dtype), requires_grad)    # only a's shape and dtype are read
    make.__name__ = fn.__name__
    return make


zeros_like, ones_like, empty_like = (_like(f) for f in (_np.zeros_like, _np.ones_like, _np.empty_like))
# NumPy's index tricks, and put_along_axis as a function returning its result (JAX's inplace=False)
r_, c_, put_along_axis = _ops.r_, _ops.c_, _ops.put_along_axis


# ---- comparisons and parts that carry no gradient ----------------------------------------------------------------
# Primitives without a gradient, kept out of the derivative table (they are this module's, not rows of the core):
# NumPy's kernels themselves, so the answers are NumPy's; vmap batches them as any elementwise op.
def _row(name: str, fwd) -> Primitive:
    return Primitive(name, fwd, batch=_batching.elementwise(fwd))


_isclose = _row("isclose", lambda a, b, rtol, atol, equal_nan: _np.isclose(a, b, rtol, atol, equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False) -> Tensor:
    """numpy.isclose: where ``|a - b| <= atol + rtol·|b|``, a bool tensor without gradient (also of tensors that
    require grad: a comparison is never recorded)."""
    return apply(_isclose, a, b, rtol=rtol, atol=atol, equal_nan=bool(equal_nan))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False) -> Tensor:
    """numpy.allclose: whether ``isclose`` holds everywhere, as a 0-d bool tensor without gradient (``jnp``'s
    answer; ``if``, ``assert`` and ``bool()`` read it as NumPy's bool, and it works inside ``vmap`` too)."""
    return _ops.all(isclose(a, b, rtol, atol, equal_nan))


def real(val) -> Tensor:
    """numpy.real: a real input itself (as ``jnp.real``); of a complex tensor its real part, recorded (a row of the
    table: a complex input's gradient follows JAX's convention)."""
    x = asarray(val)
    return _rules.real(x) if x._d.dtype.kind == "c" else x


def imag(val) -> Tensor:
    """numpy.imag: of a complex tensor its imaginary part, recorded; of a real one zeros of its shape and dtype,
    recorded with a zero gradient (a function of ``imag(x)`` differentiates to 0, not to an error)."""
    return _rules.imag(asarray(val))


def conj(val) -> Tensor:
    """numpy.conj (numpy.conjugate): the complex conjugate, recorded; a real input's copy."""
    return _rules.conj(asarray(val))


def angle(z, deg: bool = False) -> Tensor:
    """numpy.angle: the argument of each element (radians, or degrees with ``deg``), recorded; a real input's
    is 0 or pi, with a zero gradient."""
    out = _rules.angle(asarray(z))
    return out * (180 / _np.pi) if deg else out


conjugate = conj


from . import _extra, fft, linalg  # noqa: E402  (submodules: numpy.linalg, numpy.fft; _extra's compositions)

# the rest of NumPy's numerical functions, composed from the ops (each name this module does not define itself)
for _name in _extra.__all__:
    globals().setdefault(_name, getattr(_extra, _name))


def __getattr__(name: str):
    if name in _plain.AS_IS:            # functions of shapes, dtypes, settings: NumPy's own
        return getattr(_np, name)
    if name in _plain.CONSTANT:         # results without a gradient: read from the values
        return _plain.constant(name)
    reason = _plain.explain("numpy", name)
    if reason is not None:
        raise AttributeError(f"turunan.numpy does not offer numpy.{name}: {reason}")
    if hasattr(_np, name):
        raise AttributeError(f"turunan.numpy has no rule for numpy.{name}; use a function it has, or call "
                             f"numpy.{name} on .detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy' has no attribute {name!r}")
