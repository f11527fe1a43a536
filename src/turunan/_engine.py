"""Backward: walk the recorded graph once, in reverse topological order, without recursion.

Two modes, one code path. In a plain backward the rules run on raw arrays and build nothing. With
``create_graph=True`` they run on Tensors with recording on, so the gradient is itself differentiable.
Broadcasting is undone here, once, at the edge to each parent; ``None`` is a symbolic zero throughout.
Complex values cost the walk nothing: a real parent of a complex result gets the real part of its cotangent from
that node's rules, swapped in when the node was recorded (``turunan._core.complex_node``; JAX's convention).
"""

from __future__ import annotations

import heapq
import sys
import threading
from _thread import _count as _thread_count

import numpy as np

from . import _array, _gc, _mode  # noqa: F401 (_gc: keeps the cyclic collector off deep graphs, on import)
from ._array import sum_to_shape
from ._core import Node, Tensor

FREED_MSG = ("Trying to backward through the graph a second time (or to read saved values after they "
             "were freed). Saved values of the graph are freed when you call .backward() or "
             "autograd.grad(). Pass retain_graph=True to the first call if you need to backward through "
             "the graph a second time.")


# Ownership by reference count (as PyTorch steals a uniquely referenced gradient buffer): an array that
# only the backward walk references can become a leaf's .grad without a copy, or take a sum in place.
# The counts are measured here, in the same calling shapes as their uses below, not assumed.
def _refs_as_argument(g) -> int:
    return sys.getrefcount(g)


def _calibrate() -> tuple:
    gi = np.empty(1)
    arg = _refs_as_argument(gi)             # held by the caller's local and by the callee's parameter
    cot = {0: np.empty(1)}
    prev = cot.get(0)
    return arg, sys.getrefcount(prev)       # held by a dict and by one local


_ARG_OWNED, _DICT_OWNED = _calibrate()

# Adding into a .grad is a read-modify-write that NumPy runs without the GIL (np.add on a large array): two
# threads running backward into the same leaf would lose updates. Each accumulation holds a lock, as PyTorch's
# AccumulateGrad does; the locks are striped by the tensor's address so that threads filling different leaves
# (different models) rarely wait for each other. Held only around the update itself, never around user hooks.
_GRAD_LOCKS = tuple(threading.Lock() for _ in range(32))


def _grad_lock(t):
    return _GRAD_LOCKS[id(t) >> 4 & 31]


def toposort(roots: list) -> list:
    """Nodes reachable from ``roots``, parents before children (iterative DFS post-order)."""
    order = []
    seen = set()    # the nodes themselves: hashed by identity, no id() calls
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.parents))]
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if type(p) is Node and p not in seen:
                    seen.add(p)
                    stack.append((p, iter(p.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _key(t):
    """How backward keys a tensor: its node, or for a leaf its id (front-door tensors may hash by value)."""
    return t._node if t._node is not None else id(t)


def _needed(order: list, targets) -> set:
    """The nodes from which some target (a node, or a leaf's id) can be reached: backward prunes the rest."""
    needed = set()
    for node in order:   # parents come first, so their verdict is known
        if node in targets:
            needed.add(node)
            continue
        for p in node.parents:
            if p is not None and (p in needed if type(p) is Node else id(p) in targets):
                needed.add(node)
                break
    return needed


def _check_saved(node: Node) -> None:
    if node.freed:
        raise RuntimeError(FREED_MSG)
    if node.ans_version is not None and node.ans_version[0][0] != node.ans_version[1]:
        raise RuntimeError(f"the output of {node.name} was modified by an in-place operation after it was "
                           "saved for the gradient; make a copy before changing it in place (e.g. y = y + 1 "
                           "instead of y += 1)")
    for s, v in zip(node.saved, node.versions):
        if v is not None and s._version[0] != v:
            raise RuntimeError(f"a tensor needed by {node.name} to compute gradients was modified by an "
                               f"in-place operation (it is at version {s._version[0]}, it was saved at version "
                               f"{v}); make a copy before changing it in place, or change it after backward")


def _as_tensor(g):
    return g if isinstance(g, Tensor) else Tensor._wrap(g)


def _run_hooks(hooks, g, create_graph: bool):
    for hook in hooks:
        res = hook(_as_tensor(g))
        if res is not None:
            res = res if isinstance(res, Tensor) else Tensor(res)
            if res.shape != g.shape or res.dtype != g.dtype:
                _hook_changed(hook, g, res)
            g = res if create_graph else res._d
    return g


def _hook_changed(hook, g, res):
    """A hook's replacement gradient must look like the gradient (PyTorch checks the same): a (5,) gradient for
    a 3-element tensor would otherwise become its .grad, or be broadcast into the parents' gradients."""
    name = getattr(hook, "__name__", type(hook).__name__)
    change = (f"size of value (the gradient has shape {tuple(g.shape)}, the hook returned shape "
              f"{tuple(res.shape)})" if res.shape != g.shape else
              f"type of value (the gradient is {g.dtype}, the hook returned {res.dtype})")
    raise RuntimeError(f"hook '{name}' has changed the {change}; a hook must return None or a tensor of the "
                       "gradient's shape and dtype")


def backward(roots: list, head_grads: list, *, retain_graph: bool = False, create_graph: bool = False,
             inputs: list | None = None, allow_unused: bool = False):
    """Propagate ``head_grads`` from ``roots`` back through the graph.

    With ``inputs=None`` gradients accumulate into the ``.grad`` of every leaf reached (honouring a leaf's
    ``_grad_req``: 'add', 'write' or 'null'). With ``inputs`` given, their gradients are returned instead
    and no ``.grad`` is touched; only the part of the graph that leads to them is walked.
    """
    prev = _mode.swap_grad_enabled(create_graph)    # the rules record exactly when the gradient is differentiable
    try:
        return _backward(roots, head_grads, retain_graph, create_graph, inputs, allow_unused)
    finally:
        _mode.swap_grad_enabled(prev)


def _backward(roots, head_grads, retain_graph, create_graph, inputs, allow_unused):
    """The walk, in named steps: seed the cotangents; then for each node, newest first: what arrives (hooks,
    retained grads, capture), gather its rules' arguments, run its rules and accumulate into its parents, free
    what it saved; last, the roots that are leaves, and the collected results."""
    cot, leaf_roots, heap, wanted, needed = _seed(roots, head_grads, inputs)
    captured: dict = {}     # with ``inputs``: the gradient of each wanted tensor (by _key) found so far
    written: set = set()    # leaves whose 'write' buffer this pass already overwrote
    hooked: dict = {}       # leaves with hooks: id -> (leaf, the sum of their cotangents so far)
    pop = cot.pop
    heappush, heappop = heapq.heappush, heapq.heappop
    while heap:
        node = heappop(heap)[1]
        g = pop(node)
        # -- arrive: hooks may replace g, a retained grad accumulates it; a wanted node's gradient is captured
        if node.hooks or node.retained is not None:
            g = _arrive(node, g, create_graph)
        if wanted is not None and node in wanted:
            captured[node] = g
        # -- gather: the rules' arguments, in-place checks included. Fast paths for one and two inputs
        if node.freed or (node.ans_version is not None and node.ans_version[0][0] != node.ans_version[1]):
            _check_saved(node)
        parents = node.parents
        saved = node.saved
        if len(parents) == 1:
            s = saved[0]
            if s is None:
                args = parents      # the rule reads at most its input's shape: the parent (node or leaf) has it
            elif isinstance(s, Tensor):
                v = node.versions[0]
                if v is not None and s._version[0] != v:
                    _check_saved(node)
                args = (s,) if create_graph else (s._d,)
            else:
                args = saved
        elif len(parents) == 2:
            s0, s1 = saved
            if s0 is None and s1 is None:
                args = parents      # a binary op whose rules read no input values (add, subtract)
            else:
                v0, v1 = node.versions
                if s0 is None:
                    s0 = parents[0]
                elif isinstance(s0, Tensor):
                    if v0 is not None and s0._version[0] != v0:
                        _check_saved(node)
                    if not create_graph:
                        s0 = s0._d
                if s1 is None:
                    s1 = parents[1]
                elif isinstance(s1, Tensor):
                    if v1 is not None and s1._version[0] != v1:
                        _check_saved(node)
                    if not create_graph:
                        s1 = s1._d
                args = (s0, s1)
        else:
            args = _gather(node, create_graph)
        prim = node.prim
        vjps = prim.vjps
        variadic = prim.variadic
        ans = node.ans
        if ans is not None and create_graph:
            ans = Tensor._wrap(ans, node, True)
            ans._tangents = node.tangents   # forward-mode tangents of the output (jvp of grad)
        params = node.params
        # -- run the rules: one per parent that needs a cotangent, summed back to the parent's shape
        i = -1
        for p in parents:
            i += 1
            if p is None or wanted is not None and (p not in needed if type(p) is Node else id(p) not in wanted):
                continue
            if variadic:
                gi = vjps[0](g, ans, *args, index=i, **params)
            elif params:
                gi = vjps[i](g, ans, *args, **params)
            else:
                gi = vjps[i](g, ans, *args)
            if gi is None:
                continue
            if gi.shape != p.shape:
                gi = sum_to_shape(gi, p.shape)
            # -- accumulate into the parent: a node's sum (in place when only this walk holds it), a wanted
            # leaf's capture, or a leaf's .grad
            if type(p) is Node:
                prev = cot.get(p)
                if prev is None:
                    cot[p] = gi
                    heappush(heap, (p.seq, p))
                elif (type(prev) is np.ndarray and prev.base is None and sys.getrefcount(prev) <= _DICT_OWNED
                      and isinstance(gi, np.ndarray) and gi.dtype == prev.dtype and prev.flags.writeable):
                    np.add(prev, gi, out=prev)     # a sum only this walk holds: accumulate in place
                else:
                    cot[p] = prev + gi
            elif wanted is not None:
                pid = id(p)
                prev = captured.get(pid)
                captured[pid] = gi if prev is None else prev + gi
            elif p._hooks:          # a leaf's hooks run once, on its total (below), as PyTorch's do
                pid = id(p)
                prev = hooked.get(pid)
                hooked[pid] = (p, gi if prev is None else prev[1] + gi)
            else:
                _accumulate_leaf(p, gi, create_graph, written)
        # -- free: saved arrays are released as soon as they are used; and the loop's locals must not keep this
        # node's arrays (saved inputs, ans, a replaced sum) alive while the next node's rules allocate: that was
        # one array-sized buffer more at the peak
        if not retain_graph:
            node.saved = node.versions = (None,) * len(parents)
            node.ans = node.ans_version = None
            node.freed = True
        g = gi = prev = args = saved = ans = s = s0 = s1 = None
    # -- the roots that are themselves leaves, and the results
    for k, leaf in leaf_roots.items():
        g = cot[k]
        if wanted is not None:
            captured[k] = g if k not in captured else captured[k] + g
        elif leaf._hooks and k in hooked:
            hooked[k] = (leaf, hooked[k][1] + g)
        else:
            _accumulate_leaf(leaf, g, create_graph, written)
    for leaf, g in hooked.values():
        _accumulate_leaf(leaf, g, create_graph, written)
    if wanted is not None:
        return _collect(inputs, wanted, captured, create_graph, allow_unused)
    return None


def _seed(roots, head_grads, inputs):
    """The walk's start: each root's head gradient summed under its key (its node, or a leaf root's id); the
    heap of root nodes; with ``inputs``, the wanted tensors by key and the nodes that lead to one (the rest of
    the graph is pruned). Returns (cotangents, leaf roots by id, heap, wanted or None, needed nodes)."""
    cot: dict = {}
    leaf_roots: dict = {}
    for r, g in zip(roots, head_grads):
        k = _key(r)
        if type(k) is int:
            leaf_roots[k] = r
        cot[k] = g if k not in cot else cot[k] + g
    root_nodes = [r._node for r in roots if r._node is not None]
    wanted = None
    needed = ()
    if inputs is not None:
        wanted = {_key(t): t for t in inputs}
        needed = _needed(toposort(root_nodes), wanted)
        root_nodes = [n for n in root_nodes if n in needed]
    # a heap of nodes holding a cotangent, newest first (seq counts down). A node's consumers are all newer, so
    # when it is popped every consumer that could send it a cotangent has been processed. A node enters the heap
    # when it receives its first cotangent, so no separate sort (or seen set) is needed.
    heap = []
    for node in root_nodes:
        if cot.get(node) is not None and (node.seq, node) not in heap:
            heap.append((node.seq, node))
    heapq.heapify(heap)
    return cot, leaf_roots, heap, wanted, needed


def _arrive(node: Node, g, create_graph: bool):
    """The cotangent ``g`` arriving at ``node``, before its rules run: its hooks may replace it, and a retained
    tensor's ``.grad`` accumulates it (across backward passes, as a leaf's does)."""
    if node.hooks:
        g = _run_hooks(node.hooks, g, create_graph)
    if node.retained is not None:
        t = node.retained()
        if t is not None:
            with _grad_lock(t):
                prev = t._grad
                if create_graph:
                    t._grad = _as_tensor(g) if prev is None else prev + g
                else:
                    t._grad = Tensor._wrap(_array.copy(g) if prev is None else prev._d + g)
    return g


def _gather(node: Node, create_graph: bool) -> list:
    """The rules' arguments of a node of three or more inputs (the walk inlines one and two): each saved value
    (checked against in-place changes: ``_check_saved``), or where nothing is saved the parent, for its shape."""
    args = []
    for s, v, p in zip(node.saved, node.versions, node.parents):
        if s is None:
            args.append(p)
        elif isinstance(s, Tensor):
            if v is not None and s._version[0] != v:
                _check_saved(node)
            args.append(s if create_graph else s._d)
        else:
            args.append(s)
    return args


def _collect(inputs, wanted: dict, captured: dict, create_graph: bool, allow_unused: bool) -> list:
    """The gradients of ``inputs`` in their order: a leaf's hooks run on its total; a missing one is an error
    unless ``allow_unused``."""
    results = {}
    for k, t in wanted.items():
        g = captured.get(k)
        if g is not None and t._node is None and t._hooks:
            g = _run_hooks(t._hooks, g, create_graph)
        if g is None and not allow_unused:
            raise RuntimeError("one of the differentiated tensors does not appear in the graph of the outputs "
                               "(or does not require grad); pass allow_unused=True to get None for it")
        results[k] = g
    return [results[_key(t)] for t in inputs]


def _accumulate_leaf(leaf: Tensor, g, create_graph: bool, written: set) -> None:
    try:
        req = leaf._grad_req    # a class default ('add'): no getattr fallback on the hot path
    except AttributeError:      # an MXNet-style array whose slot was never set
        req = "add"
    if req == "null":
        return
    if leaf._hooks:
        g = _run_hooks(leaf._hooks, g, create_graph)
    overwrite = False
    if req == "write":
        overwrite = id(leaf) not in written
        written.add(id(leaf))
    if create_graph:
        g = _as_tensor(g)
        if g.dtype != leaf.dtype:
            g = g.astype(leaf.dtype)
        with _grad_lock(leaf):
            leaf._grad = g if (leaf._grad is None or overwrite) else leaf._grad + g
        return
    if isinstance(g, Tensor):
        g = g._d
    data = leaf._d
    # from reading the buffer to writing it: see _GRAD_LOCKS. With no other Python thread running (the common
    # case, measured: the lock was a third of this function's time), nothing can interleave, and no other
    # thread can be started meanwhile but by this one
    lock = _GRAD_LOCKS[id(leaf) >> 4 & 31] if _thread_count() else None
    if lock is not None:
        lock.acquire()
    try:
        buf = leaf._grad
        if buf is None or buf._d.shape != data.shape:
            if (type(g) is np.ndarray and g.base is None and sys.getrefcount(g) <= _ARG_OWNED
                    and g.shape == data.shape and g.dtype == data.dtype and g.flags.writeable):
                leaf._grad = Tensor._wrap(g)    # a fresh array nobody else holds: it becomes the buffer, no copy
            else:
                leaf._grad = Tensor._wrap(_array.copy(g, data.dtype))
        elif overwrite:
            buf._d = _array.assign(buf._d, g)
            buf._bump_version()
        elif buf._node is not None or buf.requires_grad:
            leaf._grad = Tensor._wrap(buf._d + g)   # a recorded grad (create_graph earlier): don't mutate
        elif type(buf._d) is np.ndarray:
            np.add(buf._d, g, out=buf._d, casting="same_kind")
            buf._bump_version()
        else:
            buf._d = _array.add_into(buf._d, g)
            buf._bump_version()
    finally:
        if lock is not None:
            lock.release()
