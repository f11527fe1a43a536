"""``checkpoint(f)``: keep the graph of ``f`` but not its activations; recompute them when backward needs them.

The first call records ``f`` as usual (so gradients reach every tensor ``f`` uses, its inputs and the
parameters it closes over), then drops the arrays the nodes saved. When backward reaches an output of ``f``
(or any node of it, first), a hook runs ``f`` again on the same inputs, with the random state of the
first run, and gives the recorded nodes the recomputed arrays, one node for one node. Backward then goes on
as usual. Peak memory falls from all activations of ``f`` to those of one ``f`` at a time; the price is a
second forward pass of ``f``.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from . import _forward, _mode
from ._core import Tensor
from ._creation import live_generators

_MODIFIED = ("was modified by an in-place operation after the checkpointed function ran (it is at version {now}, "
             "it was at version {then}); backward recomputes the function and would read the new value. Make a "
             "copy before changing it in place, or change it after backward (a checkpointed function must not "
             "change its own inputs in place either: the recomputation would change them twice)")


class _Capture:
    """Observes ``apply`` while ``f`` runs (in this thread only): the nodes ``f`` records, in order, and the
    version of every tensor each operation read while recording, to find in-place changes before recomputing."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.reads: list = []   # (primitive, version of one tensor input), over the operations run in grad mode

    def __call__(self, prim, args, out, params) -> None:
        if out._node is not None:
            self.nodes.append(out._node)
        # operations under no_grad (a batch norm updating its running statistics) are not part of the graph
        # whose values the recomputation must reproduce
        if _mode.is_grad_enabled():
            reads = self.reads
            for a in args:
                if isinstance(a, Tensor):
                    reads.append((prim, a._version[0]))


def _run(f, args, kwargs):
    cap = _Capture()
    _forward.add_observer(cap)
    try:
        out = f(*args, **kwargs)
    finally:
        _forward.remove_observer(cap)
    return out, cap


def _input_tensors(args, kwargs) -> list:
    """(name, tensor, its version now) for the tensors among the arguments, also inside lists, tuples, dicts."""
    found = []
    stack = [(f"keyword argument {k!r}", v) for k, v in kwargs.items()][::-1]
    stack += [(f"argument {i}", a) for i, a in enumerate(args)][::-1]      # popped first
    while stack:
        name, a = stack.pop()
        if isinstance(a, Tensor):
            found.append((name, a, a._version[0]))
        elif isinstance(a, (list, tuple)):
            stack.extend((f"{name}[{j}]", v) for j, v in reversed(list(enumerate(a))))
        elif isinstance(a, dict):
            stack.extend((f"{name}[{k!r}]", v) for k, v in reversed(list(a.items())))
    return found


def _rng_state():
    """NumPy's global state and that of every live turunan Generator (a Dropout may hold its own)."""
    return np.random.get_state(), [(g, g.rng.bit_generator.state) for g in list(live_generators)]


def _set_rng_state(state) -> None:
    np.random.set_state(state[0])
    for g, s in state[1]:
        g.rng.bit_generator.state = s


def checkpoint(f):
    """Wrap ``f`` so that its intermediate results are recomputed in backward instead of kept.

    Backward refuses (``RuntimeError``) if a tensor ``f`` read (an argument, or a tensor it closes over) was
    changed in place between the call and the recomputation, as it refuses for a value saved for backward.

    >>> import turunan as tn
    >>> w = tn.ones((3, 3), requires_grad=True)
    >>> block = checkpoint(lambda x: tn.tanh(x @ w) @ w)
    >>> x = tn.ones((2, 3), requires_grad=True)
    >>> block(x).sum().backward()
    >>> w.grad.shape, x.grad.shape
    ((3, 3), (2, 3))
    """
    if not callable(f):
        raise TypeError(f"checkpoint: expected a function, got {type(f).__name__} {f!r}")
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if not _mode.is_grad_enabled():
            return f(*args, **kwargs)
        inputs = _input_tensors(args, kwargs)    # their versions before f runs: f must not change them either
        state = _rng_state()
        levels = list(_forward.active_levels())  # forward-mode levels live now: the recomputation replays them too
        out, cap = _run(f, args, kwargs)
        nodes = cap.nodes
        if not nodes:
            return out
        # what the recomputation must refill: every array a node inside f kept
        for n in nodes:
            n.saved = tuple(None if isinstance(s, Tensor) else s for s in n.saved)
            n.ans = None
        # The hook below is kept by the nodes (node.hooks); it holds them only weakly, so that a graph dropped
        # without backward is freed by reference counting alone (a strong list would be a cycle, left to the
        # cyclic garbage collector). A node nobody holds any more (a branch of f that reaches no output) is
        # never reached by backward: it needs no refill.
        refs = [weakref.ref(n) for n in nodes]
        kinds = [(n.prim, n.shape) for n in nodes]
        reads = cap.reads
        done = [False]

        def recompute(g):
            if done[0]:
                return None
            for name, t, v in inputs:
                if t._version[0] != v:
                    raise RuntimeError(f"checkpoint: {name} of the checkpointed function "
                                       + _MODIFIED.format(now=t._version[0], then=v))
            after = _rng_state()
            _set_rng_state(state)
            revived = _forward.revive(levels)
            try:
                with _mode.enable_grad():
                    _, again = _run(f, args, kwargs)
            finally:
                _set_rng_state(after)
                _forward.unrevive(revived)
            new = again.nodes
            if len(new) != len(kinds) or len(again.reads) != len(reads) or any(
                    a.prim is not p or a.shape != shape for a, (p, shape) in zip(new, kinds)):
                raise RuntimeError("checkpoint: recomputing the function recorded different operations than the "
                                   "first run; a checkpointed function must be deterministic given its inputs")
            for (prim, then), (_, now) in zip(reads, again.reads):
                if now != then:
                    raise RuntimeError(f"checkpoint: a tensor read by {prim.name} inside the checkpointed function "
                                       + _MODIFIED.format(now=now, then=then))
            for r, a in zip(refs, new):
                n = r()
                if n is None:
                    continue
                n.saved, n.versions, n.ans, n.ans_version = a.saved, a.versions, a.ans, a.ans_version
                if n.tangents is None:
                    n.tangents = a.tangents
            done[0] = True
            return None

        for n in nodes:     # backward may enter f's graph at any node (a tangent output, for one)
            n.add_hook(recompute)
        return out
    return wrapper
