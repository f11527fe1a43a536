"""Batched arrays: the value a ``vmap``-ed function sees inside a Tensor.

A ``BatchedArray`` holds one physical NumPy array whose leading axes are batch axes, one per vmap *level* it
varies along (``levels``, increasing: outer vmaps first), followed by the logical axes that the function sees.
Its ``shape``, ``ndim`` and ``size`` are the logical ones, so a Tensor holding it looks to the user's code like
one example. A batch axis may have size 1: the value does not vary along that level (it broadcasts).

It is an array type like CuPy's or Dask's (docs/design.md, principle 3): the engine never looks inside it. Every
primitive applied to a Tensor holding one goes to the primitive's batching rule (its row's ``batch`` column,
``turunan._batching``), which runs the ordinary kernel once on the physical arrays. NumPy calls on a raw
``BatchedArray`` (the rules of a backward pass run on raw values) are answered by lifting it into a Tensor and
running turunan's own NumPy functions, which end in those same primitives: so reverse mode, forward mode and
higher orders batch through every op that has a batching rule, with no list of batchable ops anywhere.

Reading its numbers (``np.asarray``, ``float``, ``bool``) is refused with a clear message, as JAX refuses to
turn a tracer into an array: each example has its own value.

This module also keeps the vmap levels: which are live, their batch sizes and randomness modes.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np

# ---- levels ----------------------------------------------------------------------------------------------
_counter = itertools.count(1)    # level ids increase with nesting (and across the process)
SIZES: dict = {}                 # level -> batch size (kept after the level ends: a backward may still run)


class _Live(threading.local):
    def __init__(self) -> None:
        self.levels: list = []       # this thread's live vmap levels, outermost first
        self.randomness: list = []   # their randomness modes


live = _Live()

# set by turunan._batching when imported: lift(array) -> Tensor and back, and set_hook(on), which installs the
# primitives' dispatcher in the core. It is installed exactly while some batched array exists (in a running vmap,
# or saved in a graph recorded inside one, for a backward pass after it ended): other code pays nothing
lift = None
unlift = None
set_hook = None
call_raw = None
index_update = None     # the row index_update (set by turunan._rules)
ufunc_rows: dict = {}   # NumPy ufunc -> its row of the table (set by turunan._rules)
rows: dict = {}         # "reshape", "sum": the rows the methods of the same names go to (set by turunan._rules)
_alive = [0]
_alive_lock = threading.RLock()    # reentrant: __del__ may run while this thread holds it


class BatchingError(RuntimeError):
    """A batched value was used where vmap cannot batch it (a primitive without a batching rule, data-dependent
    Python control flow, an in-place write of a batched value into an unbatched one)."""


def enter(size: int, randomness: str) -> int:
    level = next(_counter)
    SIZES[level] = size
    live.levels.append(level)
    live.randomness.append(randomness)
    return level


def exit(level: int) -> None:  # noqa: A001
    i = live.levels.index(level)
    del live.levels[i], live.randomness[i]


def _data_error(what: str) -> BatchingError:
    return BatchingError(f"vmap: {what} of a batched tensor is not possible: each example has its own value (as "
                         "JAX refuses to turn a tracer into an array). Data-dependent Python control flow (if x > 0:, "
                         "float(x), x.item(), x.numpy()) cannot run inside vmap; use turunan.where for choices "
                         "that depend on values, or move the code outside vmap")


class BatchedArray:
    """``phys`` (batch axes for ``levels``, then the logical axes) seen as its logical shape."""

    __slots__ = ("phys", "levels", "__weakref__")

    def __init__(self, phys, levels: tuple) -> None:
        self.phys = phys
        self.levels = levels
        with _alive_lock:
            _alive[0] += 1
            if _alive[0] == 1:
                set_hook(True)

    def __del__(self) -> None:
        with _alive_lock:
            _alive[0] -= 1
            if _alive[0] == 0:
                set_hook(False)

    # ---- array facts: the logical ones ---------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.phys.shape[len(self.levels):]

    @property
    def ndim(self) -> int:
        return self.phys.ndim - len(self.levels)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return self.phys.dtype

    @property
    def base(self):
        return self.phys.base

    @property
    def flags(self):
        return self.phys.flags

    @property
    def strides(self) -> tuple:
        return self.phys.strides[len(self.levels):]

    def __array_namespace__(self, api_version=None):
        return np

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        return (f"BatchedArray(levels={self.levels}, batch sizes={self.phys.shape[:len(self.levels)]}, "
                f"shape={self.shape}, dtype={self.dtype})")

    # ---- reading the numbers: refused --------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise _data_error("converting to a NumPy array")

    def __bool__(self):
        raise _data_error("the truth value")

    def __float__(self):
        raise _data_error("float()")

    def __int__(self):
        raise _data_error("int()")

    def __index__(self):
        raise _data_error("using as a Python integer")

    def item(self):
        raise _data_error("item()")

    def tolist(self):
        raise _data_error("tolist()")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---- NumPy calls: lifted into Tensors, answered by turunan's ops (which batch) ------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.pop("out", None)
        row = ufunc_rows.get(ufunc) if method == "__call__" and not kwargs else None
        if row is not None and ufunc is np.matmul and any(np.ndim(a) < 2 for a in inputs):
            row = None      # the matmul row takes operands of 2 dims or more (turunan's matmul promotes vectors)
        if row is not None and all(type(a) in _RAW for a in inputs):
            res = call_raw(row, inputs)      # straight to the row's batching rule: no Tensor made
        elif method == "reduce" and ufunc in _REDUCERS:
            x, = inputs
            res = unlift(getattr(lift(x), _REDUCERS[ufunc])(axis=kwargs.get("axis", 0),
                                                             keepdims=kwargs.get("keepdims", False)))
        elif method == "__call__":
            res = unlift(ufunc(*[_lifted(a) for a in inputs], **kwargs))
        else:
            raise BatchingError(f"vmap: numpy.{ufunc.__name__}.{method} has no batching rule")
        if out is not None:
            target = out[0] if isinstance(out, tuple) else out
            write(target, res)
            return target
        return res

    def __array_function__(self, func, types, args, kwargs):
        facts = _FACTS.get(func)
        if facts is not None:
            return facts(*args, **kwargs)
        if func is np.copyto:
            write(args[0], args[1])
            return None
        lifting = _lifting.funcs
        if func in lifting:     # turunan's own version of func handed the batched array back to NumPy: no rule
            raise BatchingError(f"vmap: numpy.{getattr(func, '__name__', func)} has no batching rule (turunan "
                                "computes it with NumPy directly); use turunan's ops for it inside vmap")
        lifting.add(func)
        try:
            return unlift(func(*_lifted_tree(args), **_lifted_tree(kwargs)))
        finally:
            lifting.discard(func)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(lift(self), name)
        if callable(attr):
            def method(*args, **kwargs):
                return unlift(attr(*_lifted_tree(args), **_lifted_tree(kwargs)))
            return method
        return unlift(attr)

    def __getitem__(self, index):
        return unlift(lift(self)[_lifted_tree(index)])

    def __setitem__(self, index, value) -> None:
        # the index_update row's batching rule computes the new value; then it is written into this memory
        new = index_update(self, value, index=index if type(index) is tuple else (index,))
        write(self, new)

    # the methods the engine and the rules call most on cotangents go straight to their rows, as the ufuncs do
    def reshape(self, *shape, order: str = "C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        if order != "C":
            return unlift(lift(self).reshape(shape, order=order))
        return call_raw(rows["reshape"], (self,), {"shape": tuple(int(n) for n in shape)})

    def sum(self, axis=None, keepdims: bool = False, **kwargs):
        if kwargs:
            return unlift(lift(self).sum(axis=axis, keepdims=keepdims, **kwargs))
        if isinstance(axis, list):
            axis = tuple(axis)
        return call_raw(rows["sum"], (self,), {"axis": axis, "keepdims": bool(keepdims)})

    def copy(self):
        return BatchedArray(self.phys.copy(), self.levels)

    def astype(self, dtype, copy: bool = True):
        return BatchedArray(self.phys.astype(dtype, copy=copy), self.levels)


class _Lifting(threading.local):
    def __init__(self) -> None:
        self.funcs: set = set()


_lifting = _Lifting()


def _dtype_of(a):
    return a.phys.dtype if type(a) is BatchedArray else a


# NumPy functions answered from the logical facts, without lifting
_FACTS = {
    np.shape: lambda a: a.shape if type(a) is BatchedArray else np.shape(a),
    np.ndim: lambda a: a.ndim if type(a) is BatchedArray else np.ndim(a),
    np.size: lambda a, axis=None: (a.size if axis is None else a.shape[axis]) if type(a) is BatchedArray
    else np.size(a, axis),
    np.result_type: lambda *a: np.result_type(*[_dtype_of(x) for x in a]),
}

_REDUCERS = {np.add: "sum", np.multiply: "prod", np.maximum: "max", np.minimum: "min"}


def _lifted(a):
    return lift(a) if type(a) is BatchedArray else a


def _lifted_tree(obj):
    if type(obj) is BatchedArray:
        return lift(obj)
    if type(obj) is tuple or type(obj) is list:
        return type(obj)(_lifted_tree(o) for o in obj)
    if type(obj) is dict:
        return {k: _lifted_tree(v) for k, v in obj.items()}
    return obj


_RAW = frozenset((BatchedArray, np.ndarray, float, int, bool, np.float32, np.float64, np.int64, np.bool_))


def _operator(name: str):
    def op(self, *others):
        return unlift(getattr(lift(self), name)(*[_lifted(o) for o in others]))
    op.__name__ = name
    return op


for _name in ("pos", "invert", "and", "rand", "or", "ror", "xor", "rxor"):
    setattr(BatchedArray, f"__{_name}__", _operator(f"__{_name}__"))


def _ufunc_operator(ufunc, reflected: bool):
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


# the arithmetic operators are NumPy's ufuncs: rules in a backward pass use them most, and a ufunc with a row goes
# to the row's batching rule directly (see __array_ufunc__)
for _name, _ufunc in {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
                      "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
                      "matmul": np.matmul}.items():
    setattr(BatchedArray, f"__{_name}__", _ufunc_operator(_ufunc, False))
    setattr(BatchedArray, f"__r{_name}__", _ufunc_operator(_ufunc, True))
for _name, _ufunc in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                      "eq": np.equal, "ne": np.not_equal}.items():
    setattr(BatchedArray, f"__{_name}__", _ufunc_operator(_ufunc, False))
BatchedArray.__neg__ = lambda self: np.negative(self)
BatchedArray.__abs__ = lambda self: np.absolute(self)
BatchedArray.__hash__ = object.__hash__


def _inplace_operator(name: str):
    def op(self, other):
        write(self, getattr(self, f"__{name}__")(other))
        return self
    return op


for _name in ("add", "sub", "mul", "truediv", "pow", "mod", "floordiv", "and", "or", "xor"):
    setattr(BatchedArray, f"__i{_name}__", _inplace_operator(_name))


def expand(a: BatchedArray, levels: tuple):
    """``a``'s physical array with a batch axis for each of ``levels`` (a superset of its own, same order): size 1
    where ``a`` does not vary."""
    if a.levels == levels:
        return a.phys
    own = a.levels
    phys = a.phys
    shape = []
    j = 0
    for lv in levels:
        if j < len(own) and own[j] == lv:
            shape.append(phys.shape[j])
            j += 1
        else:
            shape.append(1)
    if j != len(own):
        raise BatchingError(f"vmap: internal error, levels {own} are not within {levels}")
    return phys.reshape(tuple(shape) + phys.shape[len(own):])


def write(dst, src) -> None:
    """Write ``src`` (batched or not) into ``dst``'s memory: the in-place writes of Tensors (``+=``, ``x[i] = v``,
    ``copy_``). A batched value can go only where ``dst`` is batched along each of its levels (torch.func's rule)."""
    if type(src) is not BatchedArray:
        if type(dst) is BatchedArray:
            np.copyto(dst.phys, np.asarray(src), casting="same_kind")
            return
        np.copyto(dst, src, casting="same_kind")
        return
    if type(dst) is not BatchedArray or not set(src.levels) <= set(dst.levels):
        raise BatchingError("vmap: an in-place operation would write a batched value (one per example) into a tensor "
                            "that is not batched along the same vmap: it has one value for all examples. Use the "
                            "out-of-place form (y = x + v instead of x += v), or make the written-to tensor batched "
                            "first (x = x + zeros_like(v))")
    np.copyto(dst.phys, expand(src, dst.levels), casting="same_kind")
