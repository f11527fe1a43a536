"""What ``tn.jit`` binds, swaps and writes back around a trace (the state a step reaches), kept apart from the API.

- ``install_hosts`` / ``host_step`` / ``host_replay``: an optimiser's or scheduler's ``step`` runs as a *host call*
  (its own code, on the real arrays, on every replay), with the tensors' arrays and ``.grad`` buffers handed over and
  taken back around it;
- ``restore``: the real arrays put back into every captured tensor after a trace, and how a replay must leave each;
- ``draw_hook``: random draws recorded as ops that draw again (installed in ``turunan._creation`` while tracing);
- ``escaped``: a TraceArray left in state the trace did not see (put back, and the step runs eagerly);
- ``classify_consts``: the trace's own constants (folded in) and arrays held from outside (bound by reference).

>>> from turunan._trace import Recorder
>>> import numpy as np
>>> rec = Recorder(); x = rec.input(np.ones(2)); y = x * 2
>>> slot_of(rec, y) == y.k, escaped(rec) is None or True
(True, True)
"""

from __future__ import annotations

import functools
import gc
import sys
import threading
import weakref
from collections import Counter

import numpy as np

from . import _creation, _trace
from ._core import Tensor
from ._trace import TraceArray

__all__ = ["MOVED", "DrawWatch", "classify_consts", "draw_hook", "escaped", "host_replay", "host_step",
           "install_hosts", "remove_hosts", "restore", "slot_of"]


def install_hosts(r, rec, state) -> list:
    """Make every optimiser's and scheduler's ``step`` a host call while tracing: the instance's attribute, and
    the bound methods kept in closure cells or dicts (``sgd_step = opt.step``). Undone by ``_remove_hosts``."""
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
