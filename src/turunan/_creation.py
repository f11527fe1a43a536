"""Creating tensors: from data, filled, ranges, and seedable random numbers.

Floating-point results default to float32, as in PyTorch and MXNet; ``dtype=`` overrides.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import _batched
from ._array import DEFAULT_FLOAT, as_array, as_operand, as_shape, beside, is_foreign
from ._core import Tensor


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if len(shape) == 1 and shape[0] is None:
        return ()
    return as_shape(shape, "size")


def _make(data, dtype, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data) if type(data) is _batched.BatchedArray else Tensor(data, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    >>> tensor([1.0, 2.0])
    tensor([1., 2.])
    """
    if isinstance(data, Tensor):
        data = data._d
    arr = as_array(data, dtype)
    return _make(np.array(arr, copy=True) if isinstance(arr, np.ndarray) else arr.copy(), None, requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """A tensor sharing memory with ``data`` where it can (no copy for a matching array)."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return Tensor(data, dtype=dtype)


def _float_dtype(dtype):
    return DEFAULT_FLOAT if dtype is None else np.dtype(dtype)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape(shape), _float_dtype(dtype)), None, requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape(shape), _float_dtype(dtype)), None, requires_grad)


def empty(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(np.empty(_shape(shape), _float_dtype(dtype)), None, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    shape = as_shape(shape)
    fill = as_array(fill_value, dtype)     # checked: a string or None is refused, never a NaN fill
    return _make(np.full(shape, fill, dtype=fill.dtype), None, requires_grad)


def _like(x, dtype):
    data = x._d if isinstance(x, Tensor) else np.asarray(as_operand(x, "*_like"))   # numbers only, as a tensor
    return data.shape, (data.dtype if dtype is None else np.dtype(dtype))


def _of_type(x, make, shape, dtype, *fill):
    """``make(shape, *fill, dtype=)`` of the array type ``x`` holds: made by CuPy on the device, or lazily by Dask
    (a host array first would be a larger-than-memory one), through NumPy's ``like=``; NumPy's otherwise."""
    d = getattr(x, "_d", None)
    if d is not None and is_foreign(d):
        return make(shape, *fill, dtype=dtype, like=d)
    return beside(make(shape, *fill, dtype=dtype), x)


# the *_like functions make x's array type (a CuPy tensor's on the device, a Dask tensor's lazily)
def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _make(_of_type(x, np.zeros, shape, dtype), None, requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _make(_of_type(x, np.ones, shape, dtype), None, requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _make(_of_type(x, np.full, shape, dtype, as_array(fill_value, dtype)), None, requires_grad)


def empty_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(x, dtype)
    return _make(_of_type(x, np.empty, shape, dtype), None, requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like ``numpy.arange``, but a float argument gives float32: ``arange(4.0)`` is ``[0., 1., 2., 3.]``."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")    # ZeroDivisionError from NumPy before
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, stop, step))
        dtype = DEFAULT_FLOAT if floats else np.int64
    return _make(np.arange(start, stop, step, dtype=dtype), None, requires_grad)


def linspace(start, stop, num: int = 50, dtype=None, requires_grad: bool = False, endpoint: bool = True) -> Tensor:
    return _make(np.linspace(start, stop, num, endpoint=endpoint, dtype=_float_dtype(dtype)), None, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad)


# ---- random ----------------------------------------------------------------------------------------------
live_generators: weakref.WeakSet = weakref.WeakSet()


class Generator:
    """A seedable source of random tensors (wraps ``numpy.random.Generator``).

    >>> g = Generator(0)
    >>> g.normal(size=(2,)).shape
    (2,)
    """

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(seed)
        live_generators.add(self)     # checkpoint replays every live generator's state, not only the default one

    def manual_seed(self, seed: int | None):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        return self

    def normal(self, loc=0.0, scale=1.0, size=(), dtype=None, requires_grad: bool = False) -> Tensor:
        if not np.all(np.asarray(as_operand(scale, "normal")) >= 0):    # NaN too: NumPy drew NaNs from it
            raise ValueError(f"normal expects scale (std) >= 0.0, but found scale {scale}")
        data = _draw(lambda shape: self.rng.normal(loc, scale, shape), _size(size)).astype(_float_dtype(dtype))
        return _make(data, None, requires_grad)

    def uniform(self, low=0.0, high=1.0, size=(), dtype=None, requires_grad: bool = False) -> Tensor:
        data = _draw(lambda shape: self.rng.uniform(low, high, shape), _size(size)).astype(_float_dtype(dtype))
        return _make(data, None, requires_grad)

    def randint(self, low, high=None, size=(), dtype=np.int64) -> Tensor:
        if high is None:
            low, high = 0, low
        return _make(_draw(lambda shape: self.rng.integers(low, high, shape), _size(size)).astype(dtype), None,
                     False)

    def permutation(self, n: int) -> Tensor:
        _draw(None, ())     # inside vmap: as randomness says (one permutation for every example at most)
        return Tensor(_draw(lambda _: self.rng.permutation(n), ()))

    def random(self, size=()):
        """Uniform [0, 1) samples as an array (a batched one inside vmap with randomness='different')."""
        return _draw(lambda shape: self.rng.random(shape), _size(size))   # self.rng read at the draw (tn.jit)


# set by turunan.jit while it traces a step: wraps each draw so that the trace records it as an op that draws again,
# from the same generator, on every replay (a mask baked in as a constant would repeat one Dropout mask forever).
# Draws must therefore read ``self.rng`` when called (a lambda), not bind it early: a reseed replaces the rng
draw_hook = None


def _draw(draw, shape: tuple):
    """``draw(shape)``, or inside vmap as its ``randomness`` says: 'error' refuses (torch.func's default), 'same'
    draws one value for every example, 'different' draws one per example (a batched array)."""
    draw = draw_hook(draw) if draw_hook is not None and draw is not None else draw
    live = _batched.live
    if not live.levels:
        return draw(shape) if draw is not None else None
    vary = []
    for level, mode in zip(live.levels, live.randomness):
        if mode == "error":
            raise RuntimeError("vmap: called a random operation while in randomness error mode. Please either use "
                               "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                               "operation out of vmap")
        if mode == "different":
            vary.append(level)
    if draw is None:
        if vary:
            raise RuntimeError("vmap: a permutation cannot differ between examples (randomness='different'); draw "
                               "it outside vmap")
        return None
    if not vary:
        return draw(shape)
    sizes = tuple(_batched.SIZES[level] for level in vary)
    return _batched.BatchedArray(draw(sizes + shape), tuple(vary))


def _size(size) -> tuple:
    if size is None:
        return ()
    return as_shape(size, "size")


default_generator = Generator(None)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (all of turunan's random functions draw from it)."""
    return default_generator.manual_seed(seed)


def normal(loc=0.0, scale=1.0, size=(), dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    return (generator or default_generator).normal(loc, scale, size, dtype, requires_grad)


def uniform(low=0.0, high=1.0, size=(), dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    return (generator or default_generator).uniform(low, high, size, dtype, requires_grad)


def randn(*shape, size=None, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Standard normal samples, PyTorch style: ``randn(2, 3)`` or ``randn(size=(2, 3))``."""
    return normal(0.0, 1.0, _shape(shape) if size is None else size, dtype, requires_grad, generator)


def rand(*shape, size=None, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    return uniform(0.0, 1.0, _shape(shape) if size is None else size, dtype, requires_grad, generator)


def randint(low, high=None, size=(), dtype=np.int64, generator=None) -> Tensor:
    return (generator or default_generator).randint(low, high, size, dtype)
