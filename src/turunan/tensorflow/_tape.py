"""``tf.GradientTape`` over turunan's engine.

A tape records what it watches while its ``with`` block runs; ``gradient()`` asks the engine for the
gradients (non-scalar targets summed, None for an unconnected source unless zeros are asked for). When some
tape is still recording while another answers ``gradient()``, the answer is itself recorded
(``create_graph``), which is how nested tapes give higher derivatives. A non-persistent tape answers once.
"""

from __future__ import annotations

import contextlib
import enum
import warnings

import numpy as _np

import turunan as _tn

from .. import _mode
from .. import autograd as _autograd
from .._array import refuse_complex
from .._core import Tensor as _CoreTensor
from .._doors import recast
from ._tensor import Tensor, Variable, state

NON_PERSISTENT_MSG = ("A non-persistent GradientTape can only be used to compute one set of gradients (or "
                      "jacobians)")


class UnconnectedGradients(enum.Enum):
    """What ``gradient()`` gives for a source the target does not depend on: None, or zeros."""

    NONE = "none"
    ZERO = "zero"


def _flatten(structure) -> tuple[list, object]:
    """Flatten a tensor, a list/tuple or a dict of tensors; return the leaves and a function to rebuild."""
    if isinstance(structure, dict):
        keys = list(structure)
        return [structure[k] for k in keys], lambda vals: dict(zip(keys, vals))
    if isinstance(structure, (list, tuple)):
        kind = type(structure)
        return list(structure), lambda vals: kind(vals)
    return [structure], lambda vals: vals[0]


def _check_tensors(values: list, what: str) -> None:
    for v in values:
        if not isinstance(v, _CoreTensor):
            raise TypeError(f"{what} must be tf tensors or Variables, got {type(v).__name__}; convert with "
                            "tf.constant(...) first")
        refuse_complex(v.dtype, f"one of the {what}")


class GradientTape:
    """Record operations to differentiate them.

    >>> import turunan.tensorflow as tf
    >>> x = tf.Variable(3.0)
    >>> with tf.GradientTape() as outer:
    ...     with tf.GradientTape() as inner:
    ...         y = x ** 3
    ...     dy = inner.gradient(y, x)        # 3x^2 = 27, recorded by the outer tape
    >>> outer.gradient(dy, x)                # 6x
    <tf.Tensor: shape=(), dtype=float32, numpy=18.0>
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._watched: dict = {}        # id -> tensor (kept alive, as TensorFlow's tape keeps them)
        self._recording = False
        self._used = False
        self._shared = False            # another tape recorded at the same time: never free the graph
        self._modes: list = []

    # ---- recording -----------------------------------------------------------------------------------
    def __enter__(self):
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter an already-active "
                             "tape.")
        self._push()
        return self

    def __exit__(self, *exc) -> None:
        if self._recording:
            self._pop()

    def _push(self) -> None:
        st = state
        if st.recording:
            self._shared = True
            for other in st.recording:
                other._shared = True
        st.recording.append(self)
        self._recording = True
        self._modes.append(_mode.is_grad_enabled())
        _mode.set_grad_enabled(True)

    def _pop(self) -> None:
        state.recording.remove(self)
        self._recording = False
        _mode.set_grad_enabled(self._modes.pop())

    def _watches(self, t, access: bool) -> bool:
        if id(t) in self._watched:
            return True
        if access and self._watch_accessed and isinstance(t, Variable) and t.trainable:
            self._watched[id(t)] = t
            return True
        return False

    def watch(self, tensor) -> None:
        """Watch ``tensor`` (or a list of them), so that operations on it are recorded on this tape."""
        values, _ = _flatten(tensor)
        _check_tensors(values, "watch() arguments")
        for t in values:
            if not isinstance(t, Tensor):
                raise TypeError(f"watch() needs tf tensors (turunan.tensorflow), got a {type(t).__name__}; "
                                "convert it with tf.constant(...) first")
            if t.dtype.kind not in "fc":
                warnings.warn(f"The dtype of the watched tensor must be floating (e.g. tf.float32), got "
                              f"{t.dtype.name}", stacklevel=2)
                continue
            self._watched[id(t)] = t

    @contextlib.contextmanager
    def stop_recording(self):
        """Temporarily stop recording (on every tape of this thread, as TensorFlow does)."""
        if not self._recording:
            raise ValueError("Tape must be recording.")
        st = state
        paused, st.recording = st.recording, []
        prev_mode = _mode.is_grad_enabled()
        try:
            yield
        finally:
            st.recording = paused
            _mode.set_grad_enabled(prev_mode)

    def reset(self) -> None:
        """Forget everything watched, as if this were a new tape (it keeps recording inside its block)."""
        self._watched.clear()
        self._used = False

    def watched_variables(self) -> tuple:
        return tuple(t for t in self._watched.values() if isinstance(t, Variable))

    # ---- answering -----------------------------------------------------------------------------------
    def _start_answer(self) -> tuple[bool, bool]:
        if self._used and not self._persistent:
            raise RuntimeError(NON_PERSISTENT_MSG)
        self._used = True
        create_graph = bool(state.recording)          # a tape still records: record the answer too
        retain = self._persistent or self._shared or create_graph
        return create_graph, retain

    @contextlib.contextmanager
    def _answering(self):
        state.answering.append(self)
        try:
            yield
        finally:
            state.answering.remove(self)

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of target)/d(source) for each source, in the structure of ``sources``.

        A non-scalar target is summed (its head gradient is ones, or ``output_gradients``). A source the
        target does not depend on gets None, or zeros with ``unconnected_gradients='zero'``.
        """
        zero = _unconnected(unconnected_gradients)
        create_graph, retain = self._start_answer()
        targets, _ = _flatten(target)
        heads = [None] * len(targets) if output_gradients is None else _flatten(output_gradients)[0]
        flat, rebuild = _flatten(sources)
        _check_tensors(targets, "targets")
        _check_tensors(flat, "sources")
        with self._answering():
            pairs = [(t, h) for t, h in zip(targets, heads) if t.requires_grad]
            live = [s for s in flat if s.requires_grad]
            grads = {}
            if pairs and live:
                found = _autograd.grad([t for t, _ in pairs], live, [h for _, h in pairs], retain_graph=retain,
                                       create_graph=create_graph, allow_unused=True, sum_non_scalar=True)
                grads = {id(s): g for s, g in zip(live, found)}
        out = []
        for s in flat:
            g = grads.get(id(s))
            if g is None and zero:
                g = _tn.zeros_like(s)
            out.append(None if g is None else recast(g, Tensor))
        return rebuild(out)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor: bool = True):
        """The full Jacobian of ``target`` for each source: shape ``target.shape + source.shape``."""
        zero = _unconnected(unconnected_gradients)
        create_graph, retain = self._start_answer()
        flat, rebuild = _flatten(sources)
        _check_tensors([target], "the target")
        _check_tensors(flat, "sources")
        with self._answering():
            jacs = jacobian_rows(target, flat, create_graph, retain, batch=False)
        return rebuild([_finish(j, target, s, zero) for j, s in zip(jacs, flat)])

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor: bool = True):
        """Per-example Jacobians: for ``target`` (B, ...) and ``source`` (B, ...), shape (B, t..., s...).

        Assumes, as TensorFlow does, that example b of the target depends only on example b of the source.
        """
        zero = _unconnected(unconnected_gradients)
        create_graph, retain = self._start_answer()
        _check_tensors([target, source], "target and source")
        if not target.shape or not source.shape or target.shape[0] != source.shape[0]:
            raise ValueError(f"batch_jacobian needs target and source with the same first (batch) dimension, got "
                             f"shapes {target.shape} and {source.shape}")
        with self._answering():
            (jac,) = jacobian_rows(target, [source], create_graph, retain, batch=True)
        return _finish(jac, target, source, zero, batch=True)


def _unconnected(value) -> bool:
    v = value.value if isinstance(value, UnconnectedGradients) else str(value).lower()
    if v not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}")
    return v == "zero"


def _finish(jac, target, source, zero: bool, batch: bool = False):
    if jac is not None:
        return recast(jac, Tensor)
    if not zero:
        return None
    shape = target.shape + (source.shape[1:] if batch else source.shape)
    return Tensor(_np.zeros(shape, dtype=source.dtype))


def jacobian_rows(target, sources: list, create_graph: bool, retain: bool, batch: bool) -> list:
    """Jacobians row by row: one reverse pass per target element, with a one-hot head gradient.

    ``batch=True`` gives per-example Jacobians: head k is one at element k of *every* example, so one pass
    yields row k of all B Jacobians at once. Built on ``turunan.func``'s reverse-mode Jacobian.
    """
    from ..func import jacobian_of_recorded
    live = [s for s in sources if s.requires_grad] if target.requires_grad else []
    if not live:
        return [None] * len(sources)
    # batch: under the assumption above, d(sum over b of target[b])/d source[b] is example b's Jacobian
    blocks = jacobian_of_recorded(target.sum(0) if batch else target, live, create_graph)
    by_id = {id(s): (_tn.moveaxis(j, len(target.shape) - 1, 0) if batch else j) for s, j in zip(live, blocks)}
    return [by_id.get(id(s)) for s in sources]
