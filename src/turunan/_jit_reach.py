"""What a jitted function reaches: the tensors, modules, optimisers and Python values its step reads and writes.

A PyTorch-style step takes no tensors as arguments: it reads a model, a loss and an optimiser from its closure or
from the globals it names. ``reach`` walks the closure cells, the globals named by the code (through nested code
objects and the functions and bound methods found there), defaults, containers and plain objects' attributes,
and collects

- every Tensor (parameters, buffers, data held by the closure): their arrays are bound afresh on every call;
- optimisers and learning-rate schedulers (duck-typed: ``param_groups`` / ``optimizer`` and a ``step``): turunan's
  own SGD, Adam and AdamW are traced with their update (``traced_step``), every number they read a live slot read
  from the optimiser on every replay; any other ``step`` runs as a host call on replay, on the real arrays, so a
  scheduler's rate and any state an optimiser keeps in Python stay live (nothing of theirs is baked into the trace);
- a fingerprint of Python values (numbers, strings, flags such as ``Module.training``, container lengths, the
  identity and layout of NumPy arrays, where an iterator stands) that joins the cache key: a changed value means
  another trace, and a step that changes one (``next(batches)``) is not replayed at all.

Turunan's own library functions and modules are not walked (their globals are the library, not the step's state).

And what a trace does with that state around the call (below ``reach``): ``install_hosts`` / ``host_step`` /
``host_replay`` make optimiser and scheduler steps host calls (their own code on the real arrays, every replay);
``restore`` puts the real arrays back after a trace and says how a replay leaves each tensor; ``draw_hook`` records
random draws as ops that draw again, and ``DrawWatch`` sees a generator moved by code the trace does not record;
``escaped`` puts back a recording array left in state the walk did not find; ``classify_consts`` tells the trace's
own constants (folded in) from arrays held outside (bound by reference).

>>> import turunan as tn
>>> def make(w):
...     return lambda x: (w * x).sum()
>>> w = tn.tensor([1.0], requires_grad=True)
>>> [t is w for t in reach(make(w)).tensors]
[True]
"""

from __future__ import annotations

import functools
import gc
import itertools
import math
import operator
import random
import sys
import threading
import types
import weakref
from collections import Counter

import numpy as np

from . import _creation, _trace
from ._core import Tensor
from ._trace import TraceArray

__all__ = ["MOVED", "OUTSIDE", "DrawWatch", "Reach", "classify_consts", "draw_hook", "escaped", "host_replay",
           "host_step", "install_hosts", "fast_kind", "reach", "remove_hosts", "restore", "slot_of", "still"]

_SCALARS = (int, float, bool, complex, str, bytes, type(None))
_MAX_ITEMS = 4096          # a container's items walked at most (a dataset held in a list is not state to key on)


def _library(mod: str | None) -> bool:
    return bool(mod) and (mod in ("turunan", "numpy", "scipy") or mod.startswith(("turunan.", "numpy.", "scipy.")))


class Reach:
    """The result of ``reach``: tensors, hosts (optimisers, schedulers) and the fingerprint of Python values."""

    __slots__ = ("tensors", "hosts", "modules", "fp", "arrays", "bound_steps", "edges", "key", "check", "state")

    def __init__(self) -> None:
        self.edges: list = []           # what the walk read: (kind, container, key, value), for ``still``
        self.state = None               # the tensors a call binds, when it passes none (kept by turunan.jit)
        self.bound_steps: list = []     # (cell or container, key): where a host's bound ``step`` is kept
        self.tensors: list = []
        self.hosts: list = []
        self.fp: list = []


def _is_module(obj) -> bool:
    d = getattr(obj, "__dict__", None)
    return d is not None and "_parameters" in d and "_modules" in d and "training" in d


def _is_optimizer(obj) -> bool:
    return isinstance(getattr(obj, "param_groups", None), list) and callable(getattr(obj, "step", None))


def _is_scheduler(obj) -> bool:
    return _is_optimizer(getattr(obj, "optimizer", None)) and callable(getattr(obj, "step", None))


def _host_step(v) -> bool:
    return type(v) is types.MethodType and v.__func__.__name__ == "step" and (
        _is_optimizer(v.__self__) or _is_scheduler(v.__self__))


_EMPTY = object()


def still(r: Reach) -> bool:
    """Whether everything ``r``'s walk read is still there (same objects, same numbers, same lengths): then a new
    walk would find the same. One generated function of straight comparisons (a walk costs 20-70 us a call)."""
    if r.check is None:
        lines, consts = [], []

        def c(v) -> str:
            consts.append(v)
            return f"E[{len(consts) - 1}]"
        for kind, cont, key, value in r.edges:
            if kind == "len":
                lines.append(f"if len({c(cont)}) != {value}: return False")
                continue
            get = f"{c(cont)}.cell_contents" if kind == "cell" else f"{c(cont)}[{c(key)}]"
            if type(value) in _SCALARS:
                lines.append(f"v = {get}")
                lines.append(f"if v is not {c(value)} and (v.__class__ is not {c(type(value))} or v != "
                             f"{c(value)}): return False")
            else:
                lines.append(f"if {get} is not {c(value)}: return False")
        code = "def check(E):\n" + "".join(f"    {x}\n" for x in lines) + "    return True\n"
        ns: dict = {}
        exec(compile(code, "<tn.jit reach check>", "exec"), ns)
        r.check = functools.partial(ns["check"], consts)
    try:
        return r.check()
    except (ValueError, KeyError, IndexError, TypeError):   # an emptied cell, a removed key, a shorter list
        return False


def reach(fn, depth: int = 8) -> Reach:
    """Walk what ``fn`` can reach (see the module's docstring)."""
    out = Reach()
    seen: set[int] = set()
    fp = out.fp
    edges = out.edges
    out.check = None
    reads_groups = False
    stack = [(fn, depth)]
    while stack:
        obj, d = stack.pop()
        t = type(obj)
        if t in _SCALARS:
            fp.append(obj)
            continue
        if id(obj) in seen or d < 0:
            continue
        seen.add(id(obj))
        if isinstance(obj, Tensor):
            out.tensors.append(obj)
            fp.append(id(obj))
            continue
        if t is np.ndarray:
            fp.append((id(obj), obj.shape, obj.dtype.str))
            continue
        if isinstance(obj, (types.ModuleType, type, np.generic, np.dtype)):
            fp.append(obj if isinstance(obj, np.generic) else id(obj))
            continue
        if t is types.FunctionType:
            code = obj.__code__
            cells = obj.__closure__ or ()
            for c in cells:
                try:
                    v = c.cell_contents
                except ValueError:          # an empty cell (a name not bound yet)
                    fp.append("<empty>")
                    continue
                edges.append(("cell", c, None, v))
                if _host_step(v):           # ``sgd_step = opt.step`` kept in a closure: swapped while tracing
                    out.bound_steps.append((c, None))
                stack.append((v, d - 1))
            for v in (obj.__defaults__ or ()):
                stack.append((v, d - 1))
            for v in (obj.__kwdefaults__ or {}).values():
                stack.append((v, d - 1))
            if _library(obj.__module__):
                continue        # a transform's closure (tn.func.grad(loss)) holds the user's function; not its globals
            reads_groups = reads_groups or "param_groups" in _names(code)
            g = obj.__globals__
            for name in _names(code):
                if name in g:
                    edges.append(("item", g, name, g[name]))
                    stack.append((g[name], d - 1))
            continue
        if t is types.GeneratorType:        # a batch iterator: where it stands, to see a step advance it
            frame = obj.gi_frame
            fp.append(("gen", -1 if frame is None else frame.f_lasti,
                       () if frame is None else tuple(v if type(v) in _SCALARS else id(v)
                                                      for v in frame.f_locals.values())))
            continue
        if t is types.MethodType:
            stack.append((obj.__self__, d - 1))
            stack.append((obj.__func__, d - 1))
            continue
        if t is functools.partial:
            stack.append((obj.func, d - 1))
            stack.extend((v, d - 1) for v in obj.args)
            stack.extend((v, d - 1) for v in obj.keywords.values())
            continue
        if t is tuple or t is list or t is set or t is frozenset:
            fp.append((t.__name__, len(obj)))
            if t is list or t is set:
                edges.append(("len", obj, None, len(obj)))
            if len(obj) <= _MAX_ITEMS:
                if t is list:
                    edges.extend(("item", obj, i, v) for i, v in enumerate(obj))
                stack.extend((v, d - 1) for v in obj)
            continue
        if t is dict:
            fp.append(("dict", len(obj)))
            edges.append(("len", obj, None, len(obj)))
            if len(obj) <= _MAX_ITEMS:
                for k, v in obj.items():
                    edges.append(("item", obj, k, v))
                    fp.append(k if type(k) in _SCALARS else id(k))
                    if _host_step(v):
                        out.bound_steps.append((obj, k))
                    stack.append((v, d - 1))
            continue
        if not hasattr(obj, "__dict__") and hasattr(t, "__next__"):    # a built-in iterator (iter(list), zip)
            fp.append(("iter", id(obj), operator.length_hint(obj, -1)))
            continue
        if _is_optimizer(obj) or _is_scheduler(obj):
            out.hosts.append(obj)
            opt = obj if _is_optimizer(obj) else obj.optimizer
            stack.extend((p, d - 1) for g in opt.param_groups for p in g["params"])
            edges.append(("len", opt.param_groups, None, len(opt.param_groups)))
            for g in opt.param_groups:
                edges.append(("item", g, "params", g["params"]))
                edges.append(("len", g["params"], None, len(g["params"])))
                edges.extend(("item", g["params"], i, p) for i, p in enumerate(g["params"]))
            if opt is not obj:
                stack.append((opt, d - 1))
            continue
        if not _is_module(obj) and _library(getattr(t, "__module__", None)):
            continue        # the library's own objects (generators, dtypes, ...): not the step's state
        attrs = getattr(obj, "__dict__", None)
        if attrs is not None:
            fp.append(("obj", id(t), len(attrs)))
            edges.append(("len", attrs, None, len(attrs)))
            for k, v in attrs.items():
                fp.append(k)
                edges.append(("item", attrs, k, v))
                stack.append((v, d - 1))
    if reads_groups:
        # the step's own code reads an optimiser's groups (``x * opt.param_groups[0]["lr"]``): a number read there is
        # a constant of the trace, so each group's numbers join the key and the check (a new lr: another trace).
        # Read only inside ``step()``, they are live slots of the traced update and need no retrace
        for h in out.hosts:
            for g in (h if _is_optimizer(h) else h.optimizer).param_groups:
                for k, v in g.items():
                    if type(v) in _SCALARS:
                        edges.append(("item", g, k, v))
                        fp.append((k, v))
    out.key = tuple(fp)
    return out


@functools.lru_cache(maxsize=1024)
def _names(code: types.CodeType) -> tuple:
    """The global names ``code`` and the code objects nested in it may read."""
    names, stack = [], [code]
    while stack:
        c = stack.pop()
        names.extend(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return tuple(dict.fromkeys(names))


# ---- around a trace: host calls, arrays put back, draws, constants ----------------------------------------------
def install_hosts(r, rec, state) -> list:
    """Make every optimiser's and scheduler's ``step`` a host call while tracing: the instance's attribute, and
    the bound methods kept in closure cells or dicts (``sgd_step = opt.step``). Undone by ``remove_hosts``."""
    installed = []
    for h in r.hosts:
        if "step" in getattr(h, "__dict__", {}):
            continue
        real = h.step
        try:
            h.step = functools.partial(host_step, rec, state, real)
        except AttributeError:
            continue
        installed.append((h, None, None))
    for where, key in r.bound_steps:
        if key is None:
            real = where.cell_contents
            where.cell_contents = functools.partial(host_step, rec, state, real)
        else:
            real = where[key]
            where[key] = functools.partial(host_step, rec, state, real)
        installed.append((where, key, real))
    return installed

def remove_hosts(installed) -> None:
    for where, key, real in reversed(installed):
        if real is None:
            try:
                del where.step
            except AttributeError:
                pass
        elif key is None:
            where.cell_contents = real
        else:
            where[key] = real

def restore(rec, state, entry_d, entry_g, entry_gd):
    """Put the real arrays back into every captured tensor; say how the replay must leave each one."""
    final, reason = [], None
    for i, t in enumerate(state):
        d = t._d
        dk = None
        if type(d) is TraceArray:
            t._d = d.a
            rec.known[id(d.a)] = d.k
            dk = d.k if d.k not in rec.inputs or d.a is not entry_d[i] else None
        elif d is not entry_d[i]:
            reason = "it gives a tensor it reaches a new array that is not computed from its inputs"
        g = t._grad
        if g is None:
            gk = None
        else:
            gd = g._d
            if type(gd) is TraceArray:
                g._d = gd.a
                rec.known[id(gd.a)] = gd.k
                if g.requires_grad or g._node is not None:
                    reason = "it keeps a gradient with a graph in .grad (create_graph=True)"
                gk = ("same", gd.k) if g is entry_g[i] else ("new", type(g), gd.k)
            elif g is entry_g[i] and gd is entry_gd[i]:
                gk = ("keep",)
            else:
                reason = "it sets a .grad that is not computed from its inputs"
                gk = ("keep",)
        if entry_g[i] is not None and entry_g[i] is not g and type(entry_g[i]._d) is TraceArray:
            entry_g[i]._d = entry_g[i]._d.a       # the old grad object the step replaced
        final.append((dk, gk))
    return final, reason


def escaped(rec) -> str | None:
    """A reason if a TraceArray outlived the trace (held by state the function reached without tn.jit seeing
    it): the arrays are put back where they can be found, and the step runs eagerly."""
    if not any(r() is not None for r in rec.live):
        return None
    gc.collect()        # arrays in reference cycles (a graph kept by a closure) die here
    left = [r() for r in rec.live if r() is not None]
    if not left:
        return None
    for ta in left:
        for ref in gc.get_referrers(ta):
            if isinstance(ref, Tensor) and ref._d is ta:
                ref._d = ta.a
            elif isinstance(ref, dict):
                for k, v in list(ref.items()):
                    if v is ta:
                        ref[k] = ta.a
            elif isinstance(ref, list):
                for j, v in enumerate(ref):
                    if v is ta:
                        ref[j] = ta.a
    return ("it changes arrays of tensors it does not reach through its arguments, closure or globals (pass "
            "them as arguments)")

def classify_consts(rec, out_leaves) -> tuple:
    """Constants of the trace: arrays made during the step (folded in; copied per replay where the trace writes
    into them) and arrays held from outside (bound by reference on every replay, through a weak reference:
    a freed one makes the next call trace again)."""
    consts, ext, ext_slots = {}, [], []
    # references the trace itself holds: the outputs being returned, folded values (ids only: no new reference)
    returned = Counter([id(getattr(x, "_d", x)) for x in out_leaves] + [id(f[0]) for f in rec.folded.values()]
                       + [id(f[0].base) for f in rec.folded.values() if f[0].base is not None])
    for rec_ in list(rec.consts.values()):
        k, arr, snap = rec_
        rec_[1] = None
        # held by someone else than this local, getrefcount's argument and the outputs being returned
        held = k not in rec.own and sys.getrefcount(arr) > 2 + returned.get(id(arr), 0)
        if held:
            try:
                ref = weakref.ref(arr)
            except TypeError:
                ref = None
            if ref is not None:
                ext.append(("w", ref))
                ext_slots.append((k, ref))
                continue
        consts[k] = snap if snap is not None else arr
    return consts, ext, ext_slots


def slot_of(rec, d):
    """The slot of the array ``d`` in the trace ``rec``, if it has one (a TraceArray, a bound array, a constant)."""
    if type(d) is TraceArray:
        return d.k if d.rec is rec else None
    k = rec.bound_ids.get(id(d))
    if k is None:
        k = rec.known.get(id(d))      # a tensor's array, a TraceArray until the trace ended (a new .grad)
    if k is not None:
        return k
    c = rec.consts.get(id(d))
    return None if c is None else c[0]


class DrawWatch:
    """The generators' states between the trace's own draws. A replay draws from each generator as it is then, so
    it repeats eager execution only if nothing but the recorded draws moved a generator while tracing: a state set
    by code the trace does not record (checkpoint's recomputation, vmap's randomness='same', a reseed inside the
    step) would make a replay draw other numbers. ``changed`` says so; the trace is then not replayed."""

    def __init__(self) -> None:
        self.last: dict = {}
        self.update()
        self.outside = _global_draws()

    def drew_outside(self) -> bool:
        """Whether Python's ``random`` or NumPy's global ``np.random`` moved while tracing: their draws are not
        recorded (a replay would repeat the first call's numbers, as a layer count ``random.randint`` chose)."""
        now = _global_draws()
        return now[0] != self.outside[0] or now[1:2] + now[3:] != self.outside[1:2] + self.outside[3:] \
            or not np.array_equal(now[2], self.outside[2])

    @staticmethod
    def _states() -> list:
        return [(g, g.rng, g.rng.bit_generator.state) for g in list(_creation.live_generators)]

    def update(self) -> None:
        self.last = {id(g): (g, rng, st) for g, rng, st in self._states()}

    def changed(self) -> bool:
        for g, rng, st in self._states():
            old = self.last.get(id(g))
            if old is not None and old[0] is g and (old[1] is not rng or old[2] != st):
                return True
        return False


def _global_draws() -> tuple:
    st = np.random.get_state(legacy=False)
    return random.getstate(), st["state"]["pos"], st["state"]["key"].copy(), st["has_gauss"], st["gauss"]


OUTSIDE = ("it draws from Python's random module or NumPy's global np.random, whose draws a trace does not record "
           "(a replay would repeat the first call's numbers); draw with turunan's generators (tn.rand, tn.randint, "
           "nn.Dropout) to have them replayed")

MOVED = ("a random generator's state is set by code the trace does not record (a checkpointed function's "
          "recomputation, vmap's randomness='same', a reseed inside the step), so a replay would draw other numbers")


def draw_hook(rec, thread, watch, draw):
    if threading.get_ident() != thread:
        return draw         # another thread's draw, while this one traces: not part of the trace

    def recorded(shape):
        if watch.changed():
            rec.refused = rec.refused or MOVED
        res = draw(shape)
        watch.update()
        return rec.result(res, ("draw", draw, rec.tpl(shape)))
    return recorded


def host_step(rec, state, real, *args, **kwargs):
    """An optimiser's or scheduler's ``step`` inside a trace: run on the real arrays, recorded as a host call."""
    if args or kwargs:
        rec.refused = rec.refused or "it calls an optimiser's step with arguments (a closure)"
        return real(*args, **kwargs)
    opt = getattr(real, "__self__", None)
    kind = fast_kind(opt)
    if kind is not None and getattr(real, "__func__", None) is type(opt).step and traced_step(rec, opt, kind):
        return None
    ins, plan, held = [], [], []
    for i, t in enumerate(state):
        d, g = t._d, t._grad
        gd = None if g is None else g._d
        if type(d) is TraceArray:
            ins.append(d.k)
            t._d = d.a
            plan.append((i, "d"))
        if g is None:
            plan.append((i, "none"))
        elif type(gd) is TraceArray:
            ins.append(gd.k)
            plan.append((i, "g", type(g)))
            g._d = gd.a
        held.append((d, g, gd))
    rec.hosts += 1
    _trace.active.append(None)      # nested jits run eagerly; the host's NumPy calls run on real arrays
    try:
        res = real()
    finally:
        _trace.active.pop()
        outs, back = [], []
        for i, (t, (d, g, gd)) in enumerate(zip(state, held)):
            if type(d) is TraceArray and t._d is d.a:
                t._d = d
            elif type(t._d) is np.ndarray:
                k = rec.slot()
                outs.append(k)
                back.append(i)
                t._d = rec.wrap(t._d, k)
            if type(gd) is TraceArray:
                now = t._grad
                if now is not None and now._d is gd.a:
                    now._d = gd     # the same array; maybe in another wrapper (a door's .grad recasts its class)
                else:
                    rec.refused = rec.refused or "an optimiser step replaces a .grad"
                if g is not now:
                    g._d = gd.a
    fn = functools.partial(host_replay, real, tuple(plan), tuple(back))
    rec.ops.append(("host", fn, tuple(ins), tuple(outs)))
    return res


def host_replay(real, plan, back, state, *arrays):
    it = iter(arrays)
    for entry in plan:
        t = state[entry[0]]
        if entry[1] == "d":
            t._d = next(it)
        elif entry[1] == "none":
            t._grad = None
        else:
            t._grad = entry[2]._wrap(next(it))
    real()
    return tuple(state[i]._d for i in back)


# ---- optimisers whose update is traced, with their Python numbers live -------------------------------------------
# An optimiser's step as a host call runs its Python on every replay (checks, a generator over the parameters, a
# scratch lookup, a version bump: ~3 us a parameter, twice the two NumPy calls of SGD's update). For turunan's own
# SGD and Adam/AdamW the update is traced instead, as the same NumPy calls on the same arrays, with every Python
# number it reads (lr, momentum, betas, eps, weight decay, and what follows from them: 1 - dampening, lr * momentum,
# Adam's step count and bias corrections) a *live* slot: one host op at the step's place, the *prologue*, reads them
# from ``param_groups`` and ``state`` on every replay (a scheduler's new lr, Adam's next t), checks the groups as
# ``step`` does, and returns them with the state arrays (momentum, moments, scratch). What the update's path depends
# on (weight decay on or off, momentum, Nesterov, dampening, the numbers' types, whether the state exists with the
# parameter's shape) is compared with the trace's: another path fails the replay's guard and is traced again.
# Not traced (host calls as before): subclasses, maximize, amsgrad, MXNet/Keras momentum, a first step (the state
# is made then), a step with a closure.

def fast_kind(opt) -> str | None:
    from . import optim
    t = type(opt)
    if t is optim.SGD and not opt.momentum_carries_lr:
        return "sgd"
    if t is optim.Adam or t is optim.AdamW:
        return "adam"
    return None


_SGD_KEYS = ("lr", "momentum", "weight_decay", "dampening")
_ADAM_KEYS = ("lr", "weight_decay", "eps")


def _group_flags(opt, kind, group):
    """What the update's path depends on in ``group`` (None: no traced update for it)."""
    if group["maximize"]:
        return None
    if kind == "sgd":
        return (bool(group["weight_decay"]), bool(group["momentum"]), bool(group["dampening"]),
                bool(group["nesterov"])) + tuple(type(group[k]) for k in _SGD_KEYS)
    if group["amsgrad"]:
        return None
    b1, b2 = group["betas"]
    return (bool(group["weight_decay"]), bool(opt.decoupled or group["decoupled_weight_decay"]),
            type(b1), type(b2)) + tuple(type(group[k]) for k in _ADAM_KEYS)


def _param_keys(kind, flags) -> tuple:
    if kind == "sgd":
        return ("scratch", "momentum_buffer") if flags[1] else ("scratch",)
    return ("scratch", "exp_avg", "exp_avg_sq") + (("grad_scratch",) if flags[0] and not flags[1] else ())


def _group_scalars(kind, group) -> list:
    if kind == "sgd":
        lr, mu = group["lr"], group["momentum"]
        return [lr, mu, group["weight_decay"], 1 - group["dampening"], lr * mu]
    lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
    return [lr, wd, 1 - b1, b2, 1 - b2, group["eps"], 1 - lr * wd]


_IMMUTABLE = frozenset({float, int, bool, str, type(None), tuple})


class LivePrologue:
    """The host op at an optimiser step's place in a traced update: checks, then the live numbers and arrays."""

    def __init__(self, opt, kind, items, gflags, n_out) -> None:
        self.opt, self.kind, self.gflags, self.n_out = opt, kind, gflags, n_out
        self.items = [(p, (p._d.shape, p._d.dtype), keys) for p, _, keys in items]     # the layouts traced
        self.group_of = [gi for _, gi, _ in items]
        self.seen = [None] * sum(len(keys) for _, _, keys in items)
        self.checked = None     # [(group, its values), ...] that passed the checks, and the numbers read from them
        self.fast = None        # SGD: the checks of what the last call read, as one function (see _sgd_fast)

    def _unchanged(self, groups) -> bool:
        """Whether every group holds the very objects that passed the checks last time (a rate set since, even to
        an equal number, is checked again)."""
        checked = self.checked
        if checked is None or len(groups) != len(checked[0]):
            return False
        for group, (was, values) in zip(groups, checked[0]):
            if group is not was or len(group) != len(values):
                return False
            for v, w in zip(group.values(), values):
                if v is not w:
                    return False
        return True

    def values(self):
        """(True, numbers and arrays...) in the trace's order, or (False, None...) where the path would differ.
        Nothing changes before the checks pass; then Adam's step counts advance, as its ``step`` advances them."""
        opt, kind = self.opt, self.kind
        groups = opt.param_groups
        fail = (False,) + (None,) * (self.n_out - 1)
        if self._unchanged(groups):
            for group in groups:
                opt._check_ready(group)
            out = [True] + self.checked[1]
        else:
            for group in groups:
                opt._check_group(group)     # a rate set by hand or by a scheduler: refused as step() refuses it
                opt._check_ready(group)
            if len(groups) != len(self.gflags):
                return fail
            out = [True]
            for group, flags in zip(groups, self.gflags):
                if _group_flags(opt, kind, group) != flags:
                    return fail
                out += _group_scalars(kind, group)
            # (only where every setting is an immutable value: a list of betas could change inside)
            if all(type(v) in _IMMUTABLE or k == "params" for group in groups for k, v in group.items()):
                self.checked = ([(group, tuple(group.values())) for group in groups], out[1:])
        states, seen, n = opt.state, self.seen, 0
        for p, layout, keys in self.items:
            st = states.get(id(p))
            if st is None:
                return fail
            for key in keys:
                a = st.get(key)
                if a is not seen[n]:        # an array not checked yet: the parameter's shape and dtype, as traced
                    if type(a) is not np.ndarray or (a.shape, a.dtype) != layout:
                        return fail
                    seen[n] = a
                n += 1
                out.append(a)
            if kind == "adam":
                if type(st.get("step")) is not int:
                    return fail
                out += (None, None)     # the bias corrections, once the counts have advanced (below)
        if kind == "adam":
            at = len(out)
            for (p, _, keys), gi in zip(reversed(self.items), reversed(self.group_of)):
                at -= 2
                st = states[id(p)]
                st["step"] += 1
                t = st["step"]
                b1, b2 = groups[gi]["betas"]
                out[at] = math.sqrt(1 - b2 ** t)
                out[at + 1] = groups[gi]["lr"] / (1 - b1 ** t)
                at -= len(keys)
        return tuple(out)

    def __call__(self, _state):
        fast = self.fast
        if fast is not None:
            got = fast()
            if got is not None:
                return got
        out = self.values()
        if out[0] and self.kind == "sgd" and self.checked is not None:
            self.fast = self._sgd_fast(out)
        return out

    def _sgd_fast(self, out):
        """SGD's prologue while nothing it read has changed: the same group dicts holding the very values checked, the
        same state arrays. The checks as C-level maps over the parameters (the prologue runs right after the
        backward, when little of what it reads is still in the cache: a loop in Python cost 10-15 us a step)."""
        from .optim import Optimizer
        opt = self.opt
        if type(opt)._check_ready is not Optimizer._check_ready:
            return None
        groups = opt.param_groups
        dicts, values = tuple(groups), tuple(tuple(g.values()) for g in groups)
        n_pre = 1 + 5 * len(groups)
        prefix, arrays = tuple(out[:n_pre]), tuple(out[n_pre:])
        ids = tuple(id(p) for p, _, _ in self.items)
        keys = {k for _, _, k in self.items}
        if len(keys) != 1:
            return None
        keys = keys.pop()
        get = operator.itemgetter(*keys)
        many = len(keys) > 1

        # (its names are defaults, not closure cells: one tuple to read where the cache is cold, not a cell each)
        def fast(opt=opt, groups=groups, dicts=dicts, values=values, ids=ids, get=get, arrays=arrays, prefix=prefix,
                 many=many, same=operator.is_, chain=itertools.chain.from_iterable):
            now = opt.param_groups
            if now is not groups or len(now) != len(dicts) or not all(map(same, now, dicts)):
                return None
            for g, vals in zip(now, values):
                if len(g) != len(vals) or not all(map(same, g.values(), vals)):
                    return None
            try:
                got = list(map(get, map(opt.state.__getitem__, ids)))
            except (KeyError, TypeError, AttributeError):
                return None
            if many:
                got = list(chain(got))
            if not all(map(same, got, arrays)):
                return None
            return prefix + arrays
        return fast


def _sgd_update(x, g, arrays, sc, flags) -> None:
    """SGD's ``_update`` on the step's path ``flags``: optim's own arithmetic, with the trace's live numbers."""
    from .optim import sgd_decayed, sgd_descend, sgd_momentum
    lr, mu, wd, damp1, lrmu = sc
    wd_on, mu_on, damp_on, nesterov = flags[:4]
    s = arrays[0]
    d = sgd_decayed(x, g, s, wd) if wd_on else g
    buf = arrays[1] if mu_on else None
    if mu_on:
        sgd_momentum(buf, d, s, mu, damp1, damp_on)
    sgd_descend(x, d, buf, s, lr, lrmu, nesterov)


def _adam_update(x, g, arrays, sc, corr, flags, epsilon_hat) -> None:
    """Adam's ``_update`` on the step's path ``flags``: optim's own arithmetic, with the trace's live numbers."""
    from .optim import adam_moments_step
    lr, wd, omb1, b2, omb2, eps, decay = sc
    s, m, v = arrays[:3]
    if flags[0] and flags[1]:
        x *= decay                  # AdamW: 1 - lr·wd
    elif flags[0]:
        g2 = arrays[3]
        np.multiply(x, wd, out=g2)
        g2 += g
        g = g2
    adam_moments_step(x, g, s, m, v, None, omb1, b2, omb2, eps, corr[0], corr[1], epsilon_hat)


def _steady(opt, kind, items) -> bool:
    """Whether the state a traced update reads exists (a first step makes it: that one is a host call)."""
    for p, _, keys in items:
        st = opt.state.get(id(p), {})
        if (kind == "adam" and "step" not in st) or any(k not in st for k in keys if not k.endswith("scratch")):
            return False
    return True


def traced_step(rec, opt, kind) -> bool:
    """Trace ``opt.step()`` as its NumPy calls with live numbers (see above); False where it must be a host call
    (then nothing was recorded or changed)."""
    from ._trace import Live
    gflags = [_group_flags(opt, kind, g) for g in opt.param_groups]
    if any(f is None for f in gflags):
        return False
    items = []
    for gi, group in enumerate(opt.param_groups):
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            x, gd = p._d, g._d
            if type(x) is not TraceArray or type(gd) is not TraceArray or x.rec is not rec or gd.rec is not rec \
                    or gd.shape != x.shape or gd.dtype != x.dtype:
                return False
            items.append((p, gi, _param_keys(kind, gflags[gi])))
    if not _steady(opt, kind, items):
        # a first step makes the state: a host call, which a replay takes only while the state is still missing
        # (then the step is traced again, with the update traced)
        flag = rec.slot()
        rec.ops.append(("host", functools.partial(_not_steady, opt, kind, items), (), (flag,)))
        rec.guard(flag, "value", True)
        return False
    for p, _, keys in items:             # scratch made as step() makes it, before the trace reads it
        st = opt.state.setdefault(id(p), {})
        for key in ("scratch", "grad_scratch"):
            a = st.get(key)
            if key in keys and (a is None or a.shape != p._d.shape or a.dtype != p._d.dtype):
                st[key] = np.empty_like(p._d.a)
    n_group = 5 if kind == "sgd" else 7
    n_out = 1 + n_group * len(gflags) + sum(len(keys) + (2 if kind == "adam" else 0) for _, _, keys in items)
    pro = LivePrologue(opt, kind, items, gflags, n_out)
    vals = pro.values()                     # the checks step() makes (they raise as it raises); Adam's t advances
    if not vals[0]:
        raise AssertionError("tn.jit: an optimiser's traced update disagrees with its own state")
    slots = [rec.slot() for _ in vals]
    rec.ops.append(("host", pro, (), tuple(slots)))
    rec.guard(slots[0], "value", True)
    rec.hosts += 1
    it = iter(zip(vals[1:], slots[1:]))

    def live():
        v, k = next(it)
        return Live(v, k)

    def arr():
        a, k = next(it)
        rec.meta[k] = (a.shape, a.dtype)
        rec.known[id(a)] = k        # (the state's own array, live on every replay: returned, it is that one)
        return rec.wrap(a, k)
    scal = [[live() for _ in range(n_group)] for _ in gflags]
    eps_hat = getattr(opt, "epsilon_hat", False)
    for p, gi, keys in items:
        arrays = [arr() for _ in keys]
        if kind == "sgd":
            _sgd_update(p._d, p._grad._d, arrays, scal[gi], gflags[gi])
        else:
            corr = (live(), live())
            _adam_update(p._d, p._grad._d, arrays, scal[gi], corr, gflags[gi], eps_hat)
        p._bump_version()
    return True


def _not_steady(opt, kind, items, _state):
    return (not _steady(opt, kind, items),)
