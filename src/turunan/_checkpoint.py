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

import numpy as np

from . import _forward, _mode
from ._core import Tensor


class _Capture:
    """Observes ``apply`` while ``f`` runs: the nodes ``f`` records, in order."""

    def __init__(self) -> None:
        self.nodes: list = []

    def __call__(self, prim, args, out, params) -> None:
        if out._node is not None:
            self.nodes.append(out._node)


def _run(f, args, kwargs):
    cap = _Capture()
    _forward.add_observer(cap)
    try:
        out = f(*args, **kwargs)
    finally:
        _forward.remove_observer(cap)
    return out, cap.nodes


def _rng_state():
    """NumPy's global state and that of every live turunan Generator (a Dropout may hold its own)."""
    from ._creation import _generators
    return np.random.get_state(), [(g, g.rng.bit_generator.state) for g in list(_generators)]


def _set_rng_state(state) -> None:
    np.random.set_state(state[0])
    for g, s in state[1]:
        g.rng.bit_generator.state = s


def checkpoint(f):
    """Wrap ``f`` so that its intermediate results are recomputed in backward instead of kept.

    >>> import turunan as tn
    >>> w = tn.ones((3, 3), requires_grad=True)
    >>> block = checkpoint(lambda x: tn.tanh(x @ w) @ w)
    >>> x = tn.ones((2, 3), requires_grad=True)
    >>> block(x).sum().backward()
    >>> w.grad.shape, x.grad.shape
    ((3, 3), (2, 3))
    """
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if not _mode.state.enabled:
            return f(*args, **kwargs)
        state = _rng_state()
        levels = list(_forward._active)     # forward-mode levels live now: the recomputation replays them too
        out, nodes = _run(f, args, kwargs)
        if not nodes:
            return out
        # what the recomputation must refill: every array a node inside f kept
        for n in nodes:
            n.saved = tuple(None if isinstance(s, Tensor) else s for s in n.saved)
            n.ans = None
        done = [False]

        def recompute(g):
            if done[0]:
                return None
            done[0] = True
            after = _rng_state()
            _set_rng_state(state)
            revived = [k for k in levels if k not in _forward._active]
            for k in revived:
                _forward._active[k] = True
            try:
                with _mode.enable_grad():
                    _, again = _run(f, args, kwargs)
            finally:
                _set_rng_state(after)
                for k in revived:
                    _forward._active.pop(k, None)
                _forward._refresh()
            if len(again) != len(nodes) or any(a.prim is not n.prim or a.shape != n.shape
                                               for a, n in zip(again, nodes)):
                raise RuntimeError("checkpoint: recomputing the function recorded different operations than the "
                                   "first run; a checkpointed function must be deterministic given its inputs")
            for n, a in zip(nodes, again):
                n.saved, n.versions, n.ans, n.ans_version = a.saved, a.versions, a.ans, a.ans_version
                if n.tangents is None:
                    n.tangents = a.tangents
            return None

        for n in nodes:     # backward may enter f's graph at any node (a tangent output, for one)
            n.add_hook(recompute)
        return out
    return wrapper
