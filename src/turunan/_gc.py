"""Keep Python's cyclic garbage collector from walking a deep graph over and over while it is recorded.

A recorded graph holds no reference cycles (nodes point only to their parents, never to their outputs), so it
is freed by reference counting alone and the cyclic collector never finds garbage in it. But nodes are
ordinary Python objects, tracked by the collector, and CPython runs a *full* collection each time the objects
that survived the young generations have grown by 25 % of the old ones: while a chain of a million operations
is recorded, the whole graph is walked fourteen times, about five times its size in total. Measured (CPU time,
``y = y * c`` chain, CPython 3.11; the numbers move with the machine and what else is alive): 200,000 ops
0.79–0.94 s with the collector, 0.36–0.49 s without; 1,000,000 ops 4.3–5.4 s and 2.6 s.

The fix costs nothing per operation. A callback on the collector (``gc.callbacks``) looks, after each full
collection, at how many nodes were recorded since the previous one; only when that is many does it count the nodes
alive, and while they are a large part of all tracked objects it raises the collector's third threshold so that the
next full collection waits until the tracked objects have grown ``GROWTH + 1``-fold: the graph is then walked about
1.3 times its size in total (0.73–0.74 s and 3.4–3.8 s for the chains above: a gain of 6 to 30 %, most where the
heap holds little besides the graph; the deep_chain benchmark measures it). The threshold is put back as soon as
the graph is dropped (a weak reference to its newest node), or at the next full collection that finds no deep
graph; a threshold the program set meanwhile is left alone. Nothing is frozen or untracked: garbage cycles
elsewhere are still collected, only less often while a deep graph is alive, and ``gc.collect()`` still collects
everything.
"""

from __future__ import annotations

import gc
import weakref
from functools import partial
from itertools import compress
from operator import attrgetter, is_

from . import _core

DEEP = 10_000   # nodes recorded since the last full collection before the live nodes are counted, and the
SHARE = 8       # least number alive, making at least 1 / SHARE of the tracked objects, to raise the threshold
GROWTH = 3      # then the next full collection waits until the tracked objects have grown by GROWTH times

_last = [0]     # nodes recorded before the last full collection
_raised = None  # while our threshold is in force: (the program's own third threshold, ours, weakref to a node)


def _recorded() -> int:
    """How many nodes were ever recorded (``_core._seq`` counts down from 0), read without advancing it: from its
    repr, ``count(-5, -1)`` (pickling a count is deprecated from Python 3.12)."""
    return -int(repr(_core._seq)[6:].partition(",")[0])


def _restore(_ref=None) -> None:
    """Put the program's threshold back (the graph was dropped, or is no longer a large part of the heap)."""
    global _raised
    raised, _raised = _raised, None
    if raised is not None:
        t0, t1, t2 = gc.get_threshold()
        if t2 == raised[1]:
            gc.set_threshold(t0, t1, raised[0])


def _after_full_collection() -> None:
    global _raised
    made = _recorded()
    recent = made - _last[0]
    _last[0] = made
    if _raised is not None and gc.get_threshold()[2] != _raised[1]:
        _raised = None                      # the program set its own threshold: it stands
    if _raised is None and recent < DEEP:
        return                              # the common case: a few attribute reads and a subtraction
    tracked = gc.get_objects(generation=2)  # after a full collection, every tracked object is here
    total = len(tracked)
    # the nodes among them, at C speed (no Python loop over the objects)
    nodes = list(compress(tracked, map(partial(is_, _core.Node), map(type, tracked))))
    del tracked
    if len(nodes) < DEEP or len(nodes) * SHARE < total:
        _restore()
        return
    try:    # the head of the newest graph: it goes when that graph goes
        newest = min(nodes, key=attrgetter("seq"))
    except AttributeError:  # the collection ran inside apply, between a node's allocation and its filling
        newest = min(nodes, key=lambda n: getattr(n, "seq", 0))
    del nodes
    t0, t1, t2 = gc.get_threshold()
    own = _raised[0] if _raised is not None else t2
    ours = max(own, GROWTH * total // max(1, t0 * t1))    # a unit of the third threshold is t0 * t1 allocations
    gc.set_threshold(t0, t1, ours)
    _raised = (own, ours, weakref.ref(newest, _restore))


def _callback(phase: str, info: dict) -> None:
    if info["generation"] == 2 and phase == "stop":
        _after_full_collection()


def install() -> None:
    """Register the callback (done on import; idempotent)."""
    if _callback not in gc.callbacks:
        gc.callbacks.append(_callback)


install()
