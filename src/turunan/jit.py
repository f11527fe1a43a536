"""``tn.jit``: trace a step once, replay it without the interpreter's per-op cost.

How it works (principle 9 of ``docs/design.md``: compile by tracing what the engine already does):

1. **Trace.** The first call with a new *signature* runs the function eagerly, with every array it touches wrapped
   in a recording duck array (``turunan._trace.TraceArray``): the arrays of tensor arguments, of the tensors the
   function reaches through its closure and globals (``turunan._jit_reach``: a model's parameters and buffers,
   their ``.grad`` buffers, data held by the closure). Because kernels, backward rules and in-place updates all
   call NumPy on those arrays, one recorder sees the forward, the backward and the updates, with no hook in the
   engine. Optimiser and scheduler ``step`` calls are recorded as *host calls*: they run the optimiser's own code
   on the real arrays on every replay, so step counters (Adam's bias correction), learning rates a scheduler
   changes and everything an optimiser keeps in Python stay live instead of being baked in. turunan's own SGD and
   Adam/AdamW are traced instead, as the NumPy calls of their update, with every Python number they read (lr,
   momentum, betas, eps, weight decay, Adam's step count and bias corrections) a *live* slot that a prologue
   reads from ``param_groups`` and ``state`` on every replay (``turunan._jit_reach.traced_step``).
2. **Plan.** The trace becomes one generated Python function (``turunan._replay``): a flat list of NumPy calls on
   local variables. Constants are folded (a gradient of ones and what follows from it), results nobody reads are
   dropped, a repeated pure call or ``x * 1`` reuses an array, NumPy's Python wrappers are called as the kernels
   they call, ufunc results that never leave the replay go with ``out=`` into buffers allocated once and shared by
   slots whose lifetimes do not overlap, other arrays are freed after their last use, guards are comparisons.
3. **Replay.** Later calls with the same signature bind the new arrays and run that function: no Tensor, Node,
   dispatch, rule lookup or heap walk. Results are written back to the objects the user sees (``.grad`` buffers,
   parameters updated in place, version counters).

Never a wrong number: wherever Python reads a value (``bool(t)``, ``float(t)``, ``t.item()``, ``.numpy()``,
``if``/``while`` on a comparison) the trace keeps a guard; a replay that reads another value stops (putting back any
state it already wrote) and the step is traced again along the new path, up to ``max_traces`` paths per signature,
after which the function runs eagerly with a one-time warning naming the line. Random draws (Dropout) are recorded
as draws and drawn again from the same generator on every replay. A function that changes Python state a replay
would not repeat (a counter, a list it appends to, a module attribute, a tensor it does not reach), that keeps a
graph in ``.grad`` (``create_graph``), that returns an array it does not compute which an optimiser run as a host
call may change, or whose arrays are not NumPy's runs eagerly with a one-time warning. A returned ``.grad`` is the
tensor the parameter holds after the replay, as eagerly.

4. **Fuse** (``fuse=True``, needs numba): runs of consecutive elementwise ops become one compiled loop
   (``turunan._fuse``; which ops join was decided by measurement, see there); large sin/cos/exp calls stay
   NumPy's and move before the arithmetic they interrupt, and a region of elementwise work on one large shape runs
   chunk by chunk, in cache (``turunan._replay``); SGD's updates (``p -= lr * g``) run as one compiled call for all
   the parameters, without writing the optimiser's scratch arrays (the same bits); an op alone that broadcasts a
   bias along a 2-D shape is a loop too, and so are sums, maxima and minima over short rows (softmax's). Matrix
   products take OpenBLAS's faster paths where a probe of the very shapes finds the same bits (``turunan._layout``):
   a loop's output read only by products is written F-ordered (``g @ W.T`` with ``g`` F-ordered: 2.2 us against
   5.0), or a transposed operand is copied C-ordered first. Without fusion the replay is NumPy alone and gives eager
   execution's numbers bit for bit; with it sin, exp, tanh come from the C library and may differ in the last bits,
   which is why it is asked for.

Outputs are values, not graphs (as ``jax.jit``'s): returned tensors do not require grad.

The signature: the arguments' structure, shapes, dtypes and ``requires_grad`` flags, static arguments' values
(``static_argnums``), Python numbers passed as arguments, grad mode, and the fingerprint of what the function
reaches (which tensors, their shapes and whether they have a ``.grad``, modules' ``training`` flags and other
Python values). Keyword arguments are not part of it yet: a call with keywords runs eagerly.

What a trace cannot see, as for ``jax.jit``: Python side effects are not replayed (the eager fallback catches the
ones on state the function reaches, not a ``print``); a draw from Python's ``random`` or NumPy's global
``np.random`` inside the function makes it run eagerly with a warning (a replay would repeat the first call's
numbers; turunan's generators are replayed), while a ``np.random.Generator`` object it holds is not watched and its
draws are constants of the trace; arrays read through a module's
attributes (``mylib.table``) are bound by reference, so changes in place are seen but a rebinding is not. A jitted
function is not re-entrant and traces one call at a time (its buffers are its own).

>>> import turunan as tn
>>> @tn.jit
... def f(x):
...     return (tn.sin(x) * 2).sum()
>>> round(float(f(tn.tensor([0.0, 1.0]))), 4), round(float(f(tn.tensor([1.0, 1.0]))), 4), f.trace_count
(1.6829, 3.3659, 1)
"""

from __future__ import annotations

import functools
import itertools
import sys
import threading
import types
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _creation, _mode, _trace
from ._core import Tensor
from ._jit_reach import (
    MOVED,
    OUTSIDE,
    DrawWatch,
    LivePrologue,
    classify_consts,
    draw_hook,
    escaped,
    install_hosts,
    reach,
    remove_hosts,
    restore,
    slot_of,
    still,
)
from ._pytree import tree_flatten, tree_unflatten
from ._replay import compile_trace
from ._trace import GuardMismatch, Recorder, TraceArray

__all__ = ["jit"]


_NO_ARGS = tree_flatten([])[1]


class _Eager(Exception):
    """Why a trace cannot be replayed: the signature runs eagerly from now on."""


class _Trace:
    """One recorded path of a signature: its replay function and how to bind and write back its arrays."""

    __slots__ = ("run", "binds", "outs", "treedef", "final", "versions", "lines", "n_ops", "source",
                 "run_call", "unused", "none_kept", "hosts")

    def compiled_call(self):
        """``run_call`` as one generated function for this trace: the arrays bound, the replay run, the results and
        the state written back, as straight lines (a loop over kinds costs ~0.5 us a tensor on every call)."""
        ns = {"_run": self.run, "_M": GuardMismatch, "_unflatten": tree_unflatten, "_treedef": self.treedef,
              "_copy": np.array}
        ins, lines = [], []
        for j, (kind, i) in enumerate(self.binds):
            if j in self.unused and kind != "w":
                ins.append("None")      # (not read by the replay)
            elif kind == "d":
                ins.append(f"S[{i}]._d")
            elif kind == "g":
                ins.append(f"S[{i}]._grad._d")
            elif kind == "a":
                ins.append(f"(L[{i}]._d if isinstance(L[{i}], _T) else L[{i}])")
                ns["_T"] = Tensor
            else:               # an array bound by a weak reference: freed, it traces again
                ns[f"_w{j}"] = i
                lines += [f"_a{j} = _w{j}()", f"if _a{j} is None: raise _M(-1)"]
                ins.append(f"_a{j}")
        lines.append(f"_in = ({''.join(x + ', ' for x in ins)})")
        lines.append("_r = _run(_in, S)")
        at = 0
        leaves = []
        for j, spec in enumerate(self.outs):
            kind = spec[0]
            if kind == "t":
                ns[f"_o{j}"] = spec[1]._wrap
                leaves.append(f"_o{j}(_r[{at}])")
                at += 1
            elif kind == "s":
                leaves.append(f"S[{spec[1]}]")
            elif kind == "g":
                leaves.append(f"S[{spec[1]}]._grad")
            elif kind == "a":
                leaves.append(f"_r[{at}]")
                at += 1
            elif kind == "n":
                ns[f"_o{j}"] = spec[1]
                leaves.append(f"_copy(_o{j}, copy=True)")
            elif kind == "c":
                ns[f"_o{j}"], ns[f"_c{j}"] = spec[1]._wrap, spec[2]
                leaves.append(f"_o{j}(_copy(_c{j}, copy=True))")
            else:
                ns[f"_o{j}"] = spec[1]
                leaves.append(f"_o{j}")
        for i, (d, g) in enumerate(self.final):
            if d:
                lines.append(f"S[{i}]._d = _r[{at}]")
                at += 1
            if g is None:
                if i not in self.none_kept:
                    lines.append(f"S[{i}]._grad = None")
            elif g[0] == "same":
                lines.append(f"S[{i}]._grad._d = _r[{at}]")
                at += 1
            elif g[0] == "new":
                ns[f"_g{i}"] = g[1]._wrap
                if self.hosts:
                    lines += [f"_a = _r[{at}]", f"_t = S[{i}]._grad",
                              f"if _t is None or _t._d is not _a: S[{i}]._grad = _g{i}(_a)"]   # (a host's wrap kept)
                else:
                    lines.append(f"S[{i}]._grad = _g{i}(_r[{at}])")
                at += 1
        for i, delta in self.versions:
            lines.append(f"S[{i}]._version[0] += {int(delta)}")
        lines.append(f"_leaves = [{', '.join(leaves)}]")      # (after the writes: a .grad returned is the new one)
        lines.append("return _unflatten(_treedef, _leaves)")
        code = "def call(L, S):\n" + "".join(f"    {x}\n" for x in lines)
        exec(compile(code, "<tn.jit call>", "exec"), ns)
        return ns["call"]


def _leaf_fact(x):
    if isinstance(x, Tensor):
        d = x._d
        if type(d) is not np.ndarray:
            raise _Eager(f"an argument holds a {type(d).__name__}, not a NumPy array")
        g = x._grad
        return ("T", type(x), d.shape, d.dtype.str, x.requires_grad, x._node is None,
                None if g is None else (g._d.shape, g._d.dtype.str, g.requires_grad))
    if type(x) is np.ndarray:
        return ("A", x.shape, x.dtype.str)
    if isinstance(x, (int, float, bool, complex, str, type(None), np.generic)):
        return ("S", type(x), x)
    raise _Eager(f"an argument is a {type(x).__name__}; tn.jit takes tensors, arrays, numbers and containers of "
                 "them (mark other arguments static with static_argnums)")


def _tensor_facts(tensors) -> tuple:
    """What the signature knows of the tensors a step reaches: layout, flags, and whether each has a ``.grad``
    (a step that accumulates into an existing buffer is another trace than one that makes it). Built where
    ``_facts_check``, the generated check of the last facts that runs on every call, fails."""
    out = []
    for t in tensors:
        d, g = t._d, t._grad
        if type(d) is not np.ndarray:
            raise _Eager(f"a tensor it reaches holds a {type(d).__name__}, not a NumPy array")
        out += (d.shape, d.dtype, t.requires_grad, t._node is None)
        if g is None:
            out.append(None)
        else:
            gd = g._d
            if type(gd) is not np.ndarray:
                raise _Eager(f"a .grad holds a {type(gd).__name__}, not a NumPy array")
            out += (gd.shape, gd.dtype, g.requires_grad, g._node is None)
    return tuple(out)


def _facts_check(facts: tuple, n: int):
    """``check(tensors)``: whether ``_tensor_facts(tensors)`` would be ``facts``, as straight comparisons (building
    and hashing the tuple cost ~0.4 us a tensor on every call). False also where it cannot tell (another dtype
    object of an equal dtype): the caller then builds the tuple."""
    lines, consts = [f"if len(T) != {n}: return False"], {"_nd": np.ndarray}

    def c(v) -> str:
        consts[f"_k{len(consts)}"] = v
        return f"_k{len(consts) - 1}"
    at = 0
    for i in range(n):
        shape, dtype, rg, leaf = facts[at:at + 4]
        at += 4
        lines += [f"t = T[{i}]", "d = t._d",
                  f"if d.__class__ is not _nd or d.shape != {shape!r} or d.dtype is not {c(dtype)} or "
                  f"t.requires_grad is not {rg!r} or (t._node is None) is not {leaf!r}: return False", "g = t._grad"]
        if facts[at] is None:
            lines.append("if g is not None: return False")
            at += 1
            continue
        shape, dtype, rg, leaf = facts[at:at + 4]
        at += 4
        lines += ["if g is None: return False", "d = g._d",
                  f"if d.__class__ is not _nd or d.shape != {shape!r} or d.dtype is not {c(dtype)} or "
                  f"g.requires_grad is not {rg!r} or (g._node is None) is not {leaf!r}: return False"]
    code = "def check(T):\n" + "".join(f"    {x}\n" for x in lines) + "    return True\n"
    exec(compile(code, "<tn.jit facts check>", "exec"), consts)
    return consts["check"]


def _argnums(name: str, value, fn) -> tuple:
    """``static_argnums`` / ``donate_argnums`` as a tuple of non-negative ints, checked as ``jax.jit`` checks them:
    an int or a sequence of ints (not a string, not a bool), each within the function's positional parameters
    where they can be counted; a negative index counts from the end of those."""
    items = (value,) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, (tuple, list, range)):
        raise TypeError(f"tn.jit: {name} must be an int or a tuple of ints, got {type(value).__name__} {value!r:.40}")
    out = []
    for i in items:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"tn.jit: {name} must be an int or a tuple of ints, got an item {i!r:.40} "
                            f"({type(i).__name__})")
        out.append(int(i))
    n = _positional_count(fn)
    for j, i in enumerate(out):
        if n is None:
            if i < 0:
                raise ValueError(f"tn.jit: {name}={value!r}: a negative index needs a function whose positional "
                                 "parameters can be counted")
            continue
        if not -n <= i < n:
            raise ValueError(f"tn.jit: {name}={value!r} is out of range: "
                             f"{getattr(fn, '__qualname__', fn)!r} takes {n} positional argument(s)")
        out[j] = i % n
    return tuple(dict.fromkeys(out))


def _positional_count(fn) -> int | None:
    """How many positional parameters ``fn`` takes, or None where it takes ``*args`` or cannot be inspected."""
    import inspect
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    n = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n


class Jitted:
    """A function compiled by ``tn.jit``: call it as the function; ``trace_count``, ``dump()``, ``clear()``."""

    def __init__(self, fn: Callable, static_argnums=(), donate_argnums=(), max_cache: int = 32,
                 max_traces: int = 8, fuse: bool = False) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.fuse = fuse
        self.static_argnums = _argnums("static_argnums", static_argnums, fn)
        self.donate_argnums = _argnums("donate_argnums", donate_argnums, fn)
        if set(self.static_argnums) & set(self.donate_argnums):
            raise ValueError(f"tn.jit: arguments {sorted(set(self.static_argnums) & set(self.donate_argnums))} are "
                             "both static and donated (a static argument has no buffer to donate)")
        self.max_cache, self.max_traces = max_cache, max_traces
        self.cache: OrderedDict = OrderedDict()     # signature -> list of _Trace, or a reason string (eager)
        self.trace_count = 0
        self.replay_count = 0
        self._warned: set = set()
        self._reach = None
        self._tokens: dict = {}
        self._counter = itertools.count()
        self._facts = None          # (reach, check, token) of the last call's tensor facts
        # the last replayed signature's parts and its cache entry: the next call with the same parts (a training
        # loop's) takes its traces without building and hashing the key (~10 us a step where the cache is cold)
        self._hot = None
        self._lean = None           # (the same for a call without arguments, to replay its trace directly)
        self._lock = threading.RLock()
        self._bound = weakref.WeakKeyDictionary()     # instance -> its jitted bound method (see __get__)
        self._bound_ids: dict = {}

    def __get__(self, obj, objtype=None):
        """``@tn.jit`` on a method: each instance gets its own jitted bound method, whose reach includes the
        instance (its model, its optimiser) as a closure would."""
        if obj is None:
            return self
        try:
            table, key = self._bound, obj
            bound = table.get(key)
        except TypeError:           # an instance that cannot be hashed: kept by its id
            table, key = self._bound_ids, id(obj)
            bound = table.get(key)
            bound = bound if bound is not None and bound.fn.__self__ is obj else None
        if bound is None:
            bound = table[key] = Jitted(types.MethodType(self.fn, obj), (), (), self.max_cache, self.max_traces,
                                        self.fuse)
            bound.static_argnums, bound.donate_argnums = self.static_argnums, self.donate_argnums   # checked already
        return bound

    # ---- the call ------------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if _trace.active or kwargs:
            # inside another trace, or keyword arguments (not part of the signature yet): eagerly
            return self.fn(*args, **kwargs)
        with self._lock:        # one call at a time: a replay's buffers are its own
            lean = self._lean
            if lean is not None and not args:
                # a step without arguments (a training loop's, over the state it reaches) whose last call replayed:
                # the same reach, still as it was, the same tensor facts and grad mode are the same signature
                r, check, mode, tr, state = lean
                if self._reach is r and still(r) and check(r.tensors) and _mode.state.enabled is mode:
                    try:
                        out = tr.run_call((), state)
                    except GuardMismatch:
                        pass
                    else:
                        self.replay_count += 1
                        return out
            return self._call(args)

    def _call(self, args):
        if args:
            static = tuple(args[i] for i in self.static_argnums if i < len(args))
            dyn = [a for i, a in enumerate(args) if i not in self.static_argnums]
            leaves, treedef = tree_flatten(dyn)
        else:                   # a step that takes nothing (it reaches its state): no pytree to walk
            static, leaves, treedef = (), [], _NO_ARGS
        r = self._reach
        if r is None or not still(r):
            r = self._reach = reach(self.fn)
            # the walk's fingerprint as a small number: hashing it on every call cost more than the walk's check
            r.key = self._token(r.key)
        try:
            fast = self._facts
            if fast is not None and fast[0] is r and fast[1](r.tensors):
                token = fast[2]
            else:               # the tensors' facts as a small number, and a check of them for the next calls
                facts = _tensor_facts(r.tensors)
                token = self._token(("facts", facts))
                if fast is None or fast[0] is not r or fast[2] != token:    # (a dtype the check cannot tell by
                    self._facts = (r, _facts_check(facts, len(r.tensors)), token)   # identity: checked the slow way)
            leaf_facts = tuple(_leaf_fact(x) for x in leaves) if leaves else ()
            mode = _mode.state.enabled
            hot = self._hot
            if hot is not None and hot[0] is r and hot[1] == token and hot[2] is mode and hot[3] == leaf_facts \
                    and hot[4] == static and (hot[5] is treedef or hot[5] == treedef):
                key, entry = hot[6], hot[7]     # the signature of the last replay: its traces, without the lookup
            else:
                key = (treedef, leaf_facts, static, mode, r.key, token)
                entry = self.cache.get(key)
                if entry:
                    self.cache.move_to_end(key)
        except _Eager as e:
            self._warn(str(e), str(e))
            return self.fn(*args)
        except TypeError:           # a static argument that cannot be hashed
            raise TypeError("tn.jit: static arguments must be hashable (numbers, strings, tuples)") from None
        self._hot = self._lean = None
        if isinstance(entry, str):
            return self.fn(*args)
        state = self._state(leaves, r)
        if entry:
            for i, tr in enumerate(entry):
                try:
                    out = tr.run_call(leaves, state)
                except GuardMismatch:
                    continue
                if i:
                    entry.insert(0, entry.pop(i))
                self.replay_count += 1
                self._hot = (r, token, mode, leaf_facts, static, treedef, key, entry)
                facts_now = self._facts
                if not args and facts_now is not None and facts_now[0] is r and facts_now[2] == token:
                    self._lean = (r, facts_now[1], mode, tr, state)
                return out
            if len(entry) >= self.max_traces:
                line = entry[0].lines[0] if entry[0].lines else "?"
                self.cache[key] = reason = (f"the value read at {line} changed between calls more than "
                                            f"{self.max_traces} times")
                self._warn(reason, reason)
                return self.fn(*args)
        return self._trace_call(key, args, leaves, state, r)

    def _token(self, fact) -> int:
        """A small number for ``fact`` (a reach's fingerprint, tensors' facts): a key part cheap to hash. Never
        reused: the table is emptied when it grows large (a step called with ever new shapes), and a fact seen
        again then gets a new number, a cache miss, never another fact's trace."""
        token = self._tokens.get(fact)
        if token is None:
            if len(self._tokens) >= 64 * self.max_cache:
                self._tokens.clear()
            token = self._tokens[fact] = next(self._counter)
        return token

    @staticmethod
    def _state(leaves, r) -> list:
        """The tensors a call binds: the arguments' first, then those reached (each once; the reach lists each
        once already), kept on the reach for a call without tensor arguments."""
        args = [x for x in leaves if isinstance(x, Tensor)]
        if not args:
            if r.state is None:
                r.state = list(r.tensors)
            return r.state
        seen = {id(t) for t in args}
        return list({id(t): t for t in args}.values()) + [t for t in r.tensors if id(t) not in seen]

    def _warn(self, key: str, reason: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            level, f = 1, sys._getframe(1)
            while f is not None and f.f_code.co_filename == __file__:
                level, f = level + 1, f.f_back          # the warning points at the caller's line
            warnings.warn(f"tn.jit({getattr(self.fn, '__qualname__', self.fn)!r}) runs eagerly: {reason}",
                          RuntimeWarning, stacklevel=level + 1)

    # ---- tracing -------------------------------------------------------------------------------------------
    def _trace_call(self, key, args, leaves, state, r):
        rec = Recorder()
        self.trace_count += 1
        binds = []
        entry_d = [t._d for t in state]
        entry_g = [t._grad for t in state]
        entry_gd = [None if g is None else g._d for g in entry_g]
        entry_v = [t._version[0] for t in state]
        entry_rg = [t.requires_grad for t in state]
        index = {id(t): i for i, t in enumerate(state)}
        # the arguments: a Tensor's array is swapped like a captured one; a NumPy array is passed as a TraceArray
        call_args = self._traced_args(rec, args, leaves, binds)
        for i, t in enumerate(state):
            t._d = rec.input(t._d)
            binds.append(("d", i))
            if t._grad is not None:
                t._grad._d = rec.input(t._grad._d)
                binds.append(("g", i))
        hosts = install_hosts(r, rec, state)
        prev_hook = _creation.draw_hook
        watch = DrawWatch()
        _creation.draw_hook = functools.partial(draw_hook, rec, threading.get_ident(), watch)
        _trace.active.append(rec)
        fp_before = list(r.fp)
        result = None
        try:
            result = self.fn(*call_args)
        finally:
            del call_args       # it holds the arguments' TraceArrays
            _trace.active.pop()
            _creation.draw_hook = prev_hook
            remove_hosts(hosts)
            final, reason = restore(rec, state, entry_d, entry_g, entry_gd)
        # (an exception of the function went up through the finally above: no cache entry, the arrays put back)
        outs, out_leaves, treedef, res_slots = self._outputs(rec, result, index, state)
        del result
        left = escaped(rec)         # always: a TraceArray left in state the trace did not see is put back
        try:
            if watch.changed():
                rec.refused = rec.refused or MOVED
            if watch.drew_outside():
                rec.refused = rec.refused or OUTSIDE
            reason = reason or rec.refused or left
            opaque = any(op[0] == "host" and not isinstance(op[1], LivePrologue) for op in rec.ops)
            if any(o[0] in ("c", "n") for o in outs) and opaque:
                # (an array the trace does not know, returned: a constant, unless a host call changes it)
                reason = reason or ("it returns an array the trace does not compute, which an optimiser or scheduler "
                                    "step run as a host call may change between calls")
            if any(t.requires_grad != rg for t, rg in zip(state, entry_rg)):
                reason = reason or "it switches requires_grad of a tensor it reaches, which a replay would not repeat"
            if reason:
                raise _Eager(reason)
            self._reach = after = reach(self.fn)
            after.key = self._token(after.key)
            if list(after.fp) != fp_before:
                raise _Eager("it changes Python state (a number, a flag, a container, an attribute of an object it "
                             "reaches), which a replay would not repeat")
            if rec.guard_after_host:
                raise _Eager(f"a value is read at {rec.guard_after_host} after an optimiser step, where a replay "
                             "could no longer stop without leaving the step half done")
            consts, ext, ext_slots = classify_consts(rec, out_leaves)
            tr = _Trace()
            tr.binds = binds + ext
            tr.outs, tr.treedef, tr.final = outs, treedef, final
            tr.versions = [(i, t._version[0] - v) for i, (t, v) in enumerate(zip(state, entry_v))
                           if t._version[0] != v]
            tr.lines = rec.lines
            tr.n_ops = len(rec.ops)
            state_slots = []
            for d, g in final:
                if d is not None:
                    state_slots.append(d)
                if g is not None and g[0] in ("same", "new"):
                    state_slots.append(g[-1])
            bound = list(rec.inputs) + [k for k, _ in ext_slots]
            tr.run = compile_trace(rec, res_slots + state_slots, consts, bound=bound,
                                   name=f"replay_{self.trace_count}", fuse=self.fuse)
            tr.source = tr.run.source
            # final holds slots only to plan the writes; the replay returns the arrays in the same order
            tr.final = [(d is not None, None if g is None else (g[0],) + tuple(g[1:-1])) for d, g in final]
            tr.unused = {j for j, k in enumerate(bound) if k in tr.run.unused}
            # a .grad that was None on entry (the signature says so on every call) and is None at the end: nothing to
            # write; a host call other than a traced optimiser's prologue may wrap a new .grad itself
            tr.none_kept = {i for i, g in enumerate(entry_g) if g is None and final[i][1] is None}
            tr.hosts = opaque
            tr.run_call = tr.compiled_call()
        except _Eager as e:
            self._store(key, str(e))
            self._warn(str(e), str(e))
            return out_leaves_tree(out_leaves, treedef)
        entry = self.cache.get(key)
        if not isinstance(entry, list):
            entry = self.cache[key] = []
        entry.insert(0, tr)
        self._store(key, entry)
        return out_leaves_tree(out_leaves, treedef)

    def _traced_args(self, rec, args, leaves, binds) -> list:
        call_args = list(args)
        flat = []
        for pos, x in enumerate(leaves):
            if type(x) is np.ndarray:
                flat.append(rec.input(x))
                binds.append(("a", pos))
            else:
                flat.append(x)
        if len(flat) != len(leaves) or any(a is not b for a, b in zip(flat, leaves)):
            dyn = [i for i in range(len(args)) if i not in self.static_argnums]
            _, td = tree_flatten([args[i] for i in dyn])
            for i, v in zip(dyn, tree_unflatten(td, flat)):
                call_args[i] = v
        return call_args

    def _store(self, key, value) -> None:
        self.cache[key] = value
        self.cache.move_to_end(key)
        while len(self.cache) > self.max_cache:
            self.cache.popitem(last=False)

    def _outputs(self, rec, result, index, state):
        leaves, treedef = tree_flatten(result)
        outs, out_leaves, slots = [], [], []
        grads = {id(t._grad): i for i, t in enumerate(state) if t._grad is not None}
        for x in leaves:
            if isinstance(x, Tensor):
                d = x._d
                if id(x) in index:
                    outs.append(("s", index[id(x)]))
                    out_leaves.append(x)
                    continue
                if id(x) in grads:          # a .grad it reaches (``return w.grad``): that tensor after the replay
                    outs.append(("g", grads[id(x)]))
                    out_leaves.append(x)
                    continue
                k = slot_of(rec, d)
                if k is not None:
                    # an array of the trace, one bound from outside (a .grad buffer, put back already), or one it
                    # read or wrote as a constant: the replay returns it as it is then, never a copy taken now
                    outs.append(("t", type(x)))
                    slots.append(k)
                    out_leaves.append(type(x)._wrap(d.a if type(d) is TraceArray else d))
                else:
                    outs.append(("c", type(x), np.array(d, copy=True)))
                    out_leaves.append(type(x)._wrap(d))
            elif type(x) is TraceArray:
                outs.append(("a",))
                slots.append(x.k)
                out_leaves.append(x.a)
            elif isinstance(x, np.ndarray) and slot_of(rec, x) is not None:
                outs.append(("a",))
                slots.append(slot_of(rec, x))
                out_leaves.append(x)
            elif isinstance(x, np.ndarray):
                outs.append(("n", np.array(x, copy=True)))
                out_leaves.append(x)
            else:
                outs.append(("v", x))
                out_leaves.append(x)
        return outs, out_leaves, treedef, slots

    # ---- inspection ---------------------------------------------------------------------------------------
    def dump(self) -> str:
        """The cached traces as text: each signature's replay source (for debugging)."""
        parts = []
        for entry in self.cache.values():
            if isinstance(entry, str):
                parts.append(f"# eager: {entry}")
                continue
            for tr in entry:
                parts.append(f"# {tr.n_ops} ops, {len(tr.lines)} guards\n{tr.source}")
        return "\n".join(parts)

    def clear(self) -> None:
        self.cache.clear()
        self._hot = self._lean = None


def out_leaves_tree(leaves, treedef):
    return tree_unflatten(treedef, [_detached(x) for x in leaves])


def _detached(x):
    if isinstance(x, Tensor) and (x.requires_grad or x._node is not None):
        return x.detach()
    return x


def jit(fn: Callable | None = None, *, static_argnums=(), donate_argnums=(), max_cache: int = 32,
        max_traces: int = 8, fuse: bool = False) -> Any:
    """Compile ``fn`` by tracing: the first call with a new signature runs eagerly and records every NumPy call of
    the forward, the backward and the updates; later calls replay them (see the module's docstring).

    Usable as ``@tn.jit``, ``tn.jit(f)`` or ``tn.jit(static_argnums=(1,))(f)``. ``static_argnums`` and
    ``donate_argnums`` are an int or a tuple of ints within the function's positional parameters (a TypeError or
    ValueError otherwise, as ``jax.jit`` gives). ``donate_argnums`` is accepted for compatibility with JAX's
    signature and changes nothing: a replay never writes into an argument's buffer, donated or not (NumPy frees
    what nobody holds, so there is no device buffer to hand over).

    >>> import turunan as tn
    >>> def make_step(w, opt):
    ...     def step(x):
    ...         loss = (w * x).sum()
    ...         opt.zero_grad(); loss.backward(); opt.step()
    ...         return loss
    ...     return step
    >>> w = tn.tensor([1.0, 2.0], requires_grad=True)
    >>> step = tn.jit(make_step(w, tn.optim.SGD([w], lr=0.5)))
    >>> [float(step(tn.tensor([1.0, 1.0]))) for _ in range(4)], step.trace_count, step.replay_count
    ([3.0, 2.0, 1.0, 0.0], 2, 2)
    """
    if fn is None:
        return lambda f: Jitted(f, static_argnums, donate_argnums, max_cache, max_traces, fuse)
    if isinstance(fn, Jitted):
        return fn
    if not callable(fn):
        raise TypeError(f"tn.jit expects a function, got {type(fn).__name__}")
    return Jitted(fn, static_argnums, donate_argnums, max_cache, max_traces, fuse)
