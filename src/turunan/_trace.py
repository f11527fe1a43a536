"""The recorder of ``tn.jit``: a duck array that computes eagerly and writes down every NumPy call it takes part in.

Kernels, backward rules and optimiser updates all call NumPy on the arrays inside tensors, and the engine keeps an
array of another type as it is (``turunan._array.is_foreign``). So one recorder, wrapped around the arrays a step
touches, sees the forward, the backward and the in-place updates, with no hook in the engine: a ``TraceArray``
holds a real array ``a`` and a *slot* number; every NumPy function, ufunc, operator, method, indexing and
assignment on it runs on the real arrays and appends one op to the ``Recorder``. Replaying those ops with other
arrays bound to the input slots (``turunan._replay``) repeats the step without Tensors, nodes or dispatch.

Where Python reads a value (``bool``, ``float``, ``int``, ``item``, ``np.asarray``...) the step's path may depend on
it: the recorder writes a *guard* with the value seen, and a replay that sees another value stops before it
could take a path eager execution would not have taken.

>>> import numpy as np
>>> rec = Recorder()
>>> x = rec.input(np.arange(3.0))
>>> y = np.sin(x) * 2.0
>>> [op[0] for op in rec.ops], type(y).__name__
(['call', 'call'], 'TraceArray')
"""

from __future__ import annotations

import sys
import weakref

import numpy as np

__all__ = ["Live", "Recorder", "Slot", "TraceArray", "active", "op_uses"]


class Slot:
    """A reference to slot ``k`` of a trace inside an op's arguments (everything else there is a constant)."""

    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        self.k = k

    def __repr__(self) -> str:
        return f"v{self.k}"


# attributes of an array that describe its layout, not its values: read from the real array, not recorded
_STRUCTURAL = frozenset({"shape", "dtype", "ndim", "size", "itemsize", "nbytes", "strides", "flags"})
# attributes that are arrays of the same values: recorded as ops
_ARRAY_ATTRS = frozenset({"T", "mT", "real", "imag"})
# NumPy functions whose Python result depends on layout only (not on values): not guarded
_STRUCTURAL_FNS = frozenset({np.shape, np.ndim, np.size, np.shares_memory, np.may_share_memory, np.result_type,
                             np.iscomplexobj, np.isrealobj, np.isscalar, np.can_cast, np.min_scalar_type})


def _slots_in(x, acc: list) -> list:
    t = type(x)
    if t is Slot:
        acc.append(x.k)
    elif t is tuple or t is list:
        for v in x:
            _slots_in(v, acc)
    elif t is dict:
        for v in x.values():
            _slots_in(v, acc)
    return acc


def op_uses(op) -> list:
    """The slots an op reads."""
    kind = op[0]
    if kind == "call":
        return _slots_in((op[2], op[3]), [])
    if kind == "method":
        return [op[1]] + _slots_in((op[3], op[4]), [])
    if kind in ("attr", "item"):
        return [op[1]]
    if kind == "getitem":
        return [op[1]] + _slots_in(op[2], [])
    if kind == "setitem":
        return [op[1]] + _slots_in((op[2], op[3]), [])
    if kind == "guard":
        return [op[1]]
    if kind == "draw":
        return _slots_in(op[2], [])
    if kind == "host":
        return list(op[2])
    return []



# NumPy functions whose result depends on their first argument's shape and dtype only, not on its values
_SHAPE_ONLY = frozenset({np.ones_like, np.zeros_like, np.full_like})


def _others_traced(args, kwargs) -> bool:
    return any(type(a) is TraceArray for a in args) or any(type(v) is TraceArray for v in kwargs.values())


class GuardMismatch(Exception):
    """A replay saw a value other than the one its trace was recorded with (raised inside generated code)."""


def _user_line() -> str:
    """``file:line`` of the innermost frame outside turunan and NumPy: where the user's code read a value."""
    f = sys._getframe(2)
    while f is not None:
        name = f.f_code.co_filename
        if "/turunan/" not in name and "/numpy/" not in name and "<" not in name[:1]:
            return f"{name}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"


def _memory_owner(a):
    """The array whose memory ``a`` shows (``a`` itself, or the last NumPy array down its chain of bases)."""
    while isinstance(getattr(a, "base", None), np.ndarray):
        a = a.base
    return a


def blasable(a) -> bool:
    """Whether NumPy hands the 2-D array ``a`` to BLAS as it is (aligned, C- or F-ordered): then ``np.dot`` and
    ``np.matmul`` make the same BLAS call (the same bits); on other strides matmul runs its own loop and dot copies."""
    f = a.flags
    return f.aligned and (f.c_contiguous or f.f_contiguous)


class Recorder:
    """One trace under construction: its ops, its slots, its constants and its guards."""

    def __init__(self) -> None:
        self.ops: list = []
        self.n = 0
        self.inputs: list[int] = []          # slots bound by the caller, in order
        self.consts: dict[int, list] = {}     # id(array) -> [slot, array, snapshot or None]
        self.const_slots: dict[int, list] = {}    # slot -> the same record
        self.written: set[int] = set()        # slots written in place (out=, ufunc.at, item assignment)
        self.roots: dict[int, int] = {}       # id(memory owner of a bound array) -> its slot
        self.first_writes: dict[int, int] = {}    # bound slot written -> the index of the first op writing it
        self.guard_after_host = None          # a guard's line, when one follows an opaque host call
        self.hosts = 0
        self.live: list = []                  # weak references to every TraceArray made, to find escaped ones
        self.lines: list[str] = []            # where each guard was read (for messages)
        self.refused = None                   # why this trace cannot be replayed, found while tracing
        # constant folding: slots whose value is the same on every replay, as long as the constants they come from
        # are the trace's own (not arrays held from outside, decided at the end: see turunan._replay)
        self.foldable: set[int] = set()      # internal-so-far constants not yet written, and folded results
        self.folded: dict[int, list] = {}     # slot -> [its value, the slots it was computed from, copied]
        self.owner: dict[int, int] = {}       # id(a fresh result) -> its slot (while it lives: ids are reused)
        self.fresh: set[int] = set()          # slots holding arrays of their own (not views)
        self.own: set[int] = set()            # constants made by the trace itself (never held from outside)
        self.meta: dict[int, tuple] = {}      # slot -> (shape, dtype) of its array (for fusion)
        self.bound_ids: dict[int, int] = {}   # id(an array bound by the caller) -> its slot
        self.viewed: set[int] = set()         # slots some later result is a view of
        self.plain_copies: set[int] = set()   # slots made by astype(same dtype, copy=True): a copy, nothing more
        self.blasable: set[int] = set()       # bound 2-D arrays BLAS could read as they were when traced
        self.f_ordered: set[int] = set()      # those of them F-ordered (and not C-ordered) when traced
        # results of their own in another order than C (exp(x.T) is F-ordered, as NumPy keeps its operand's order):
        # a buffer the replay allocates for one must not be C-ordered, or a later reduction adds in another order
        self.not_c: set[int] = set()
        # id(a plain array the trace knows under a slot: a tensor's, given back when the trace ended; an optimiser's
        # state array read live on every replay) -> that slot
        self.known: dict[int, int] = {}

    # ---- slots -----------------------------------------------------------------------------------------
    def slot(self) -> int:
        self.n += 1
        return self.n - 1

    def input(self, a) -> TraceArray:
        """A TraceArray for an array bound by the caller on every replay (an argument, a captured state array)."""
        t = TraceArray(a, self.slot(), self)
        self.inputs.append(t.k)
        self.meta[t.k] = (a.shape, a.dtype)
        if a.ndim == 2 and blasable(a):
            self.blasable.add(t.k)
            if not a.flags.c_contiguous:
                self.f_ordered.add(t.k)
        self.bound_ids[id(a)] = t.k
        self._root(a, t.k)
        return t

    def wrap(self, a, k: int) -> TraceArray:
        return TraceArray(a, k, self)

    def const(self, a) -> Slot:
        """The slot of a NumPy array that is not a TraceArray: a constant of the trace (first seen now)."""
        rec = self.consts.get(id(a))
        if rec is None:
            rec = self.consts[id(a)] = [self.slot(), a, None]
            self.const_slots[rec[0]] = rec
            self.foldable.add(rec[0])
            self._root(a, rec[0])
            self.meta[rec[0]] = (a.shape, a.dtype)
        return Slot(rec[0])

    def tpl(self, x):
        """``x`` (an argument of a NumPy call) with TraceArrays and arrays replaced by their slots."""
        t = type(x)
        if t is TraceArray:
            if x.rec is not self:
                raise RuntimeError("tn.jit: an array from another trace reached this one (nested jit calls share "
                                   "no arrays); call the inner function outside, or jit only the outer one")
            return Slot(x.k)
        if t is np.ndarray:
            return self.const(x)
        if t is Live:
            return Slot(x.k)
        if t is tuple or t is list:
            return t(self.tpl(v) for v in x)
        if t is dict:
            return {k: self.tpl(v) for k, v in x.items()}
        if isinstance(x, np.ndarray):        # a subclass (a matrix, a masked array): a constant as well
            return self.const(x)
        if t is slice and any(type(v) is TraceArray for v in (x.start, x.stop, x.step)):
            return slice(*(v.__index__() if type(v) is TraceArray else v for v in (x.start, x.stop, x.step)))
        return x

    def mark_written(self, k: int, a) -> None:
        """Slot ``k`` (the real array ``a``) is written in place by the op about to be appended. A write into the
        memory of an array bound from outside (an argument, a parameter, a constant) is remembered: a replay that
        must stop at a later guard puts those arrays back first (see turunan._replay)."""
        self.written.add(k)
        self.foldable.discard(k)
        root = _memory_owner(a)
        o = self.owner.get(id(root))
        if o is not None:                   # a write through a view: the result it shows is written too
            self.written.add(o)
        j = self.roots.get(id(root))
        if j is None:
            return
        self.foldable.discard(j)
        self.written.add(j)
        fold = self.folded.get(j)
        if fold is not None:
            if not fold[2]:                 # its value as folded, before this write changes it
                fold[0], fold[2] = np.array(fold[0], copy=True), True
            return
        rec = self.const_slots.get(j)
        if rec is not None and rec[2] is None:
            rec[2] = np.array(rec[1], copy=True)    # its value before the trace first wrote it
        self.first_writes.setdefault(j, len(self.ops))

    def _root(self, a, k: int) -> None:
        self.roots.setdefault(id(_memory_owner(a)), k)

    def result(self, res, op_prefix: tuple):
        """Record ``op_prefix + (slot, conv)`` for the real result ``res`` and give back what the caller sees."""
        if isinstance(res, np.ndarray):
            return self._array_result(res, op_prefix, False)
        if isinstance(res, np.generic):      # a 0-d result: held as a 0-d array, as a tensor holds it
            return self._array_result(np.asarray(res), op_prefix, True)
        if isinstance(res, (tuple, list)) and any(isinstance(r, (np.ndarray, np.generic)) for r in res):
            k = self.slot()
            self.ops.append(op_prefix + (k, False))
            items = []
            for i, r in enumerate(res):
                if isinstance(r, (np.ndarray, np.generic)):
                    j = self.slot()
                    conv = not isinstance(r, np.ndarray)
                    self.ops.append(("item", k, i, j, conv))
                    items.append(TraceArray(np.asarray(r) if conv else r, j, self))
                else:
                    items.append(r)
            if hasattr(res, "_fields"):      # a named tuple (EighResult, SlogdetResult, ...)
                return type(res)(*items)
            return type(res)(items)
        return res

    def _array_result(self, res, op_prefix: tuple, conv: bool):
        k = self.slot()
        op = op_prefix + (k, conv)
        self.ops.append(op)
        self.meta[k] = (res.shape, res.dtype)
        base = res.base
        if base is None:
            self.owner[id(res)] = k
            if not conv:            # (a NumPy scalar held as a 0-d array is not an array a replay can pool)
                self.fresh.add(k)
            if not res.flags.c_contiguous:
                self.not_c.add(k)
        else:
            j = self.owner.get(id(_memory_owner(base)))
            if j is not None:
                self.viewed.add(j)
        # folded: computed only from the trace's own constants (a draw never is); a view is not, so that a write
        # through it can always be replayed on the array it shows
        if op_prefix[0] != "draw" and all(d in self.foldable for d in op_uses(op)):
            # a view (broadcast_to of a folded constant) is folded too, but only where nothing writes into the
            # constant it shows (checked at the end: turunan._replay)
            self.folded[k] = [res, op_uses(op), False, base is not None]
            self.foldable.add(k)
            if base is None:
                self._root(res, k)
        return TraceArray(res, k, self)

    def guard(self, k: int, conv: str, value) -> None:
        """Slot ``k``'s value was read by Python as ``conv`` and was ``value``: a replay must see the same."""
        line = _user_line()
        if self.hosts and self.guard_after_host is None:
            self.guard_after_host = line
        self.lines.append(line)
        self.ops.append(("guard", k, conv, value, len(self.lines) - 1))

    def value_guard(self, res, op_prefix: tuple):
        """A NumPy call whose Python result depends on values (``np.allclose``): recorded, then guarded."""
        k = self.slot()
        self.ops.append(op_prefix + (k, False))
        self.guard(k, "value", res)
        return res


class Live:
    """A Python number a step reads from Python state on every call (an optimiser's learning rate, Adam's bias
    correction): slot ``k`` of the trace, whose value ``v`` a replay reads afresh, never a constant baked in. NumPy
    gets ``v`` itself (a Python float stays a weak scalar, as in eager execution)."""

    __slots__ = ("v", "k")

    def __init__(self, v, k: int) -> None:
        self.v, self.k = v, k

    def __bool__(self) -> bool:
        return bool(self.v)


def _unwrap(x):
    t = type(x)
    if t is TraceArray:
        return x.a
    if t is Live:
        return x.v
    if t is tuple or t is list:
        return t(_unwrap(v) for v in x)
    if t is dict:
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _others(values) -> bool:
    """Whether ``values`` hold an object of another type that answers NumPy's protocols (a Tensor): NumPy must
    ask it first, so the TraceArray answers NotImplemented."""
    for v in values:
        t = type(v)
        if t is TraceArray or t is np.ndarray:
            continue
        if t is tuple or t is list:
            if _others(v):
                return True
        elif hasattr(t, "__array_ufunc__") and not isinstance(v, (np.ndarray, np.generic)):
            return True
    return False


# the recorder the current trace writes into; read by turunan._creation's random draws (see jit.py)
active: list = []


class TraceArray:
    """An array that computes with the real array ``a`` and records each NumPy call on it in ``rec`` as slot ``k``."""

    __slots__ = ("a", "k", "rec", "__weakref__")
    __array_priority__ = 100

    def __init__(self, a, k: int, rec: Recorder) -> None:
        self.a, self.k, self.rec = a, k, rec
        rec.live.append(weakref.ref(self))

    # ---- NumPy's protocols ----------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _others(inputs) or _others(kwargs.get("out", ())):
            return NotImplemented
        rec = self.rec
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        args, kw = rec.tpl(inputs), rec.tpl(kwargs)
        out = kwargs.get("out")
        if method == "at":                    # ufunc.at(a, index, b): writes into a
            rec.mark_written(args[0].k, _unwrap(inputs[0]))
            fn(*_unwrap(inputs), **_unwrap(kwargs))
            rec.ops.append(("call", fn, args, kw, None, False))
            return None
        if out is not None:
            outs = out if isinstance(out, tuple) else (out,)
            for o, s in zip(outs, kw["out"] if isinstance(kw["out"], tuple) else (kw["out"],)):
                rec.mark_written(s.k, _unwrap(o))
            fn(*_unwrap(inputs), **_unwrap(kwargs))
            rec.ops.append(("call", fn, args, kw, None, False))
            if isinstance(out, tuple):
                return out[0] if len(out) == 1 else out
            return out
        return rec.result(fn(*_unwrap(inputs), **_unwrap(kwargs)), ("call", fn, args, kw))

    def __array_function__(self, func, types, args, kwargs):
        if any(t is not TraceArray and not issubclass(t, np.ndarray) for t in types):
            return NotImplemented
        rec = self.rec
        if func in _STRUCTURAL_FNS:
            return func(*_unwrap(args), **_unwrap(kwargs))
        targs, tkw = rec.tpl(args), rec.tpl(kwargs)
        out = kwargs.get("out")
        if out is not None or func is np.copyto:      # np.sum(a, out=b), np.copyto(dst, src): writes
            outs = (tkw["out"] if isinstance(tkw["out"], tuple) else (tkw["out"],)) if out is not None \
                else (targs[0],)
            reals = (out if isinstance(out, tuple) else (out,)) if out is not None else (args[0],)
            for s, o in zip(outs, reals):
                rec.mark_written(s.k, _unwrap(o))
            func(*_unwrap(args), **_unwrap(kwargs))
            rec.ops.append(("call", func, targs, tkw, None, False))
            return None if out is None else out
        res = func(*_unwrap(args), **_unwrap(kwargs))
        if func in _SHAPE_ONLY and type(res) is np.ndarray and not _others_traced(args[1:], kwargs):
            k = rec.const(res).k        # depends on a shape only: a constant of the trace's own (folded)
            rec.own.add(k)
            return TraceArray(res, k, rec)
        if res is None:
            return None
        if isinstance(res, (bool, int, float, complex)) and not isinstance(res, np.generic):
            return rec.value_guard(res, ("call", func, targs, tkw))     # np.allclose, np.array_equal
        return rec.result(res, ("call", func, targs, tkw))

    def __array__(self, dtype=None, copy=None):
        # NumPy wants the values themselves (np.asarray in a kernel, .numpy()): a replay must see the same ones
        self.rec.guard(self.k, "array", np.array(self.a, copy=True))
        if copy:
            return np.array(self.a, dtype=dtype, copy=True)
        return np.asarray(self.a, dtype=dtype)

    # ---- values read by Python: guards --------------------------------------------------------------------
    def _read(self, conv: str, fn):
        value = fn(self.a)
        self.rec.guard(self.k, conv, value)
        return value

    def __bool__(self) -> bool:
        return self._read("bool", bool)

    def __float__(self) -> float:
        return self._read("float", float)

    def __int__(self) -> int:
        return self._read("int", int)

    def __index__(self) -> int:
        return self._read("index", lambda a: a.__index__())

    def __complex__(self) -> complex:
        return self._read("complex", complex)

    def item(self, *args):
        if args:
            return self[args if len(args) > 1 else args[0]].item()
        return self._read("item", lambda a: a.item())

    def tolist(self):
        return self._read("tolist", lambda a: a.tolist())

    # ---- the array's own interface -------------------------------------------------------------------
    def __getitem__(self, index):
        rec = self.rec
        return rec.result(self.a[_unwrap(index)], ("getitem", self.k, rec.tpl(index)))

    def __setitem__(self, index, value) -> None:
        rec = self.rec
        tidx, tval = rec.tpl(index), rec.tpl(value)
        rec.mark_written(self.k, self.a)
        self.a[_unwrap(index)] = _unwrap(value)
        rec.ops.append(("setitem", self.k, tidx, tval))

    def __len__(self) -> int:
        return len(self.a)

    def __iter__(self):
        return (self[i] for i in range(len(self.a)))

    # on the class, not answered by __getattr__: turunan._array.is_foreign asks the type
    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)
    size = property(lambda self: self.a.size)

    def __getattr__(self, name):
        if name in _STRUCTURAL:
            return getattr(self.a, name)
        if name in _ARRAY_ATTRS:
            return self.rec.result(getattr(self.a, name), ("attr", self.k, name))
        if name == "base":
            return self.a.base
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self.a, name)
        if not callable(attr):
            return attr
        rec, k = self.rec, self.k

        def method(*args, **kwargs):
            targs, tkw = rec.tpl(args), rec.tpl(kwargs)
            if name == "fill":
                rec.mark_written(k, self.a)
            res = attr(*_unwrap(args), **_unwrap(kwargs))
            if res is None:
                rec.ops.append(("method", k, name, targs, tkw, None, False))
                return None
            if isinstance(res, (bool, int, float, complex)) and not isinstance(res, np.generic):
                return rec.value_guard(res, ("method", k, name, targs, tkw))
            out = rec.result(res, ("method", k, name, targs, tkw))
            if name == "astype" and type(res) is np.ndarray and res.dtype == self.a.dtype and kwargs.get("copy", True):
                rec.plain_copies.add(out.k)
            return out
        return method

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        raise TypeError("tn.jit: an array being traced cannot be pickled or saved; save outside the jitted function")

    def __repr__(self) -> str:
        return f"TraceArray(v{self.k}, shape={self.a.shape}, dtype={self.a.dtype})"

    def __contains__(self, value) -> bool:
        return bool((self == value).any())


def _binop(ufunc, reflected: bool = False):
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


def _inplace(ufunc):
    def op(self, other):
        return ufunc(self, other, out=(self,))
    return op


for _name, _uf in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
                   ("floordiv", np.floor_divide), ("mod", np.remainder), ("pow", np.power), ("matmul", np.matmul),
                   ("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor),
                   ("lshift", np.left_shift), ("rshift", np.right_shift)]:
    setattr(TraceArray, f"__{_name}__", _binop(_uf))
    setattr(TraceArray, f"__r{_name}__", _binop(_uf, True))
    setattr(TraceArray, f"__i{_name}__", _inplace(_uf))
for _name, _uf in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                   ("eq", np.equal), ("ne", np.not_equal)]:
    setattr(TraceArray, f"__{_name}__", _binop(_uf))
for _name, _uf in [("neg", np.negative), ("pos", np.positive), ("abs", np.absolute), ("invert", np.invert)]:
    setattr(TraceArray, f"__{_name}__", lambda self, _uf=_uf: _uf(self))
TraceArray.__divmod__ = _binop(np.divmod)
TraceArray.__hash__ = None
