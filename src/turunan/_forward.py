"""Forward mode: tangents that travel with the forward pass, one *level* per live ``jvp``.

A Tensor carries its tangents in ``_tangents``: a dict from a level (an increasing integer, one per ``jvp``
call that is running) to the tangent Tensor. Levels are per thread (as grad mode is). While a level is live in
some thread, ``_core.jvp_hook`` is set to ``_hook``, which ``apply`` calls after every operation: in a
thread with live levels it runs the primitive's forward rule from the table on the input tangents and attaches
the output tangent; in other threads it returns at once. When nothing is live in any thread the
hook is ``None``, so reverse mode pays nothing.

Nesting (jvp of jvp, jvp of grad, grad of jvp) works because

* levels are processed innermost-last: the tangent of level ``k`` is computed from *views* of the inputs (and
  of the output) that keep only the levels older than ``k``. The rule's own operations are then recorded by
  those outer levels (so a tangent has tangents: jvp of jvp) and, when something requires grad, by reverse
  mode (grad of jvp). A level never sees its own perturbation twice: no perturbation confusion;
* in a recorded backward (``create_graph=True``) the rules run on Tensors, so the hook carries tangents
  through the backward pass too (jvp of grad: Hessian-vector products, ``jacfwd(jacrev(f))``). The output
  of a node gets its tangents from ``Node.tangents``.

When a rule needs neither outer levels nor reverse recording (the common case, a plain ``jvp``), it runs on
raw arrays, like a plain backward: no Tensors, no nodes.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np

from . import _core
from . import _rules as R
from ._array import as_result
from ._core import Tensor, apply
from ._mode import state as _grad_state

_counter = itertools.count(1)   # level ids: unique in the process (next() on a count is atomic), increasing


class _ThreadState(threading.local):
    """What is live in one thread: forward-mode levels and observers of ``apply`` are per thread, as grad mode
    is, so that a jvp or a checkpoint running in one thread never sees the operations of another."""

    def __init__(self) -> None:
        self.active: dict = {}      # live levels (insertion order = nesting order; ids increase with nesting)
        self.observers: list = []   # other observers of apply (turunan.checkpoint), called after the forward hook
        self.counted = False        # whether this thread counts in _live_threads


_tls = _ThreadState()
_live_lock = threading.Lock()
_live_threads = 0   # threads with a level or an observer live: _core.jvp_hook is set exactly while this is > 0


alias = R.alias     # the identity, recorded (a row of the table): a jvp's input gets its own node


def live() -> bool:
    """True while some jvp is running in this thread."""
    return bool(_tls.active)


def active_levels() -> dict:
    """This thread's live levels (a dict used as an ordered set; read it, don't change it)."""
    return _tls.active


def _refresh() -> None:
    """Count this thread in or out of the live threads, and set or clear the process-wide hook accordingly."""
    global _live_threads
    st = _tls
    now = bool(st.active or st.observers)
    if now is st.counted:
        return
    with _live_lock:
        st.counted = now
        _live_threads += 1 if now else -1
        # one process-wide hook: _core keeps a single `is None` check on its hot path, and a thread with
        # nothing live (while another thread has) pays a call and two attribute reads in _hook
        _core.jvp_hook = _hook if _live_threads else None


def enter() -> int:
    """Open a new forward-mode level in this thread and return its id."""
    k = next(_counter)
    _tls.active[k] = True
    _refresh()
    return k


def exit(k: int) -> None:  # noqa: A001
    _tls.active.pop(k, None)
    _refresh()


def revive(levels) -> list:
    """Make ``levels`` live again in this thread (a checkpoint replays its function under the levels that were
    live when it first ran); returns the ones that were not live, for ``unrevive``."""
    active = _tls.active
    revived = [k for k in levels if k not in active]
    for k in revived:
        active[k] = True
    _refresh()
    return revived


def unrevive(revived: list) -> None:
    active = _tls.active
    for k in revived:
        active.pop(k, None)
    _refresh()


def add_observer(fn) -> None:
    """Call ``fn(prim, args, out, params)`` after every operation that this thread runs, until removed."""
    _tls.observers.append(fn)
    _refresh()


def remove_observer(fn) -> None:
    _tls.observers.remove(fn)
    _refresh()


# ---- tensors at a level ----------------------------------------------------------------------------------
def tangent(t, k: int):
    """The level-``k`` tangent of ``t`` (None for a zero tangent)."""
    if isinstance(t, Tensor) and t._tangents:
        return t._tangents.get(k)
    return None


def set_tangent(t: Tensor, k: int, tan) -> None:
    if t._tangents is None:
        t._tangents = {}
    t._tangents[k] = tan
    if t._node is not None:
        t._node.tangents = t._tangents


def view_below(t, k: int):
    """``t`` as seen from level ``k``: the same value and reverse-mode node, only the tangents of older levels.

    A leaf that requires grad cannot be duplicated without losing its identity in reverse mode; its view does
    not require grad (rules computed on it at level k are read only by level k, never by a backward pass
    that ends at that leaf).
    """
    tans = t._tangents
    if not tans:
        return t
    for j in tans:
        if j >= k:
            break
    else:
        return t
    node = t._node
    v = type(t)._wrap(t._d, node, t.requires_grad and node is not None, t._version)
    active = _tls.active
    keep = {j: tt for j, tt in tans.items() if j < k and j in active}
    v._tangents = keep or None
    return v


def _has_below(t, k: int) -> bool:
    if isinstance(t, Tensor) and t._tangents:
        for j in t._tangents:
            if j < k and j in _tls.active:
                return True
    return False


def _fit(res, out: Tensor, as_tensor: bool):
    """The rule's result as a Tensor of the output's shape and dtype."""
    if as_tensor:
        if not isinstance(res, Tensor):
            res = type(out)._wrap(as_result(res))
        if res.shape != out.shape:
            res = apply(R.broadcast_to, res, shape=out.shape)
        if res.dtype != out.dtype:
            res = apply(R.astype, res, dtype=out.dtype)
        return res
    if isinstance(res, Tensor):
        res = res._d
    if not hasattr(res, "__array_namespace__"):     # a number or a NumPy scalar; a batched array (vmap) stays,
        res = as_result(res)                        # and a device array (CuPy's)
    if res.shape != out.shape:
        res = np.broadcast_to(res, out.shape)
    if res.dtype != out.dtype:
        res = res.astype(out.dtype)
    return type(out)._wrap(res)


def _hook(prim, args, out, params) -> None:
    """After ``apply`` (``_core.jvp_hook`` while anything is live in some thread): compute ``out``'s tangent at
    every level live in this thread present in ``args``, then call this thread's observers.

    One function, not a dispatcher calling the forward rule's code: a plain jvp pays one call per operation.
    """
    st = _tls
    active = st.active
    levels = None
    if active:
        for a in args:
            if isinstance(a, Tensor) and a._tangents:
                for k in a._tangents:
                    if k in active:
                        if levels is None:
                            levels = [k]
                        elif k not in levels:
                            levels.append(k)
    if levels is not None and out._d.dtype.kind in "fc" and (prim.jvp is not None or prim.differentiable):
        if prim.jvp is None:     # (not differentiable, piecewise constant: comparisons, argmax: a zero tangent)
            raise NotImplementedError(f"the primitive {prim.name!r} has no forward-mode rule (jvp); add one to its "
                                      "row in the derivative table, or use reverse mode (grad, vjp, jacrev)")
        if len(levels) > 1:
            levels.sort()
        rec_on = _grad_state.enabled
        for k in levels:
            tans = [a._tangents.get(k) if isinstance(a, Tensor) and a._tangents else None for a in args]
            slow = _has_below(out, k)
            if not slow:
                for a in args:
                    if isinstance(a, Tensor) and ((rec_on and a.requires_grad) or _has_below(a, k)):
                        slow = True
                        break
            if not slow:
                for t in tans:
                    if t is not None and ((rec_on and t.requires_grad) or _has_below(t, k)):
                        slow = True
                        break
            if slow:    # the rule runs on Tensors: recorded by older levels and by reverse mode
                pargs = [view_below(a, k) if isinstance(a, Tensor) else a for a in args]
                res = prim.jvp(tans, view_below(out, k), *pargs, **params)
            else:       # fast path: raw arrays, nothing recorded
                vals = [a._d if isinstance(a, Tensor) else a for a in args]
                res = prim.jvp([None if t is None else t._d for t in tans], out._d, *vals, **params)
            if res is not None:
                set_tangent(out, k, _fit(res, out, slow))
    if st.observers:
        for h in tuple(st.observers):
            h(prim, args, out, params)


# ---- entering and leaving a level ------------------------------------------------------------------------
def make_dual(x: Tensor, tan, k: int) -> Tensor:
    """A Tensor equal to ``x`` that carries ``tan`` as its level-``k`` tangent (``tan`` None: zero)."""
    if (x.requires_grad and _grad_state.enabled) or _has_below(x, k):
        d = apply(alias, x)        # connected to x for reverse mode and for the older levels
    else:
        d = type(x)._wrap(x._d, None, False, x._version)
    if tan is not None:
        set_tangent(d, k, tan)
    return d


def split(y, k: int):
    """(the primal of ``y`` without level ``k``, its level-``k`` tangent or None)."""
    if not isinstance(y, Tensor):
        return y, None
    tan = tangent(y, k)
    if tan is None and not (y._tangents and k in y._tangents):
        return y, None
    node = y._node
    p = type(y)._wrap(y._d, node, y.requires_grad and node is not None, y._version)
    active = _tls.active
    p._tangents = {j: tt for j, tt in y._tangents.items() if j != k and j in active} or None
    return p, tan
