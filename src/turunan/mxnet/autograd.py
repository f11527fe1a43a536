"""``mxnet.autograd`` over turunan: record, pause, backward, grad, and train/predict mode.

Nothing is recorded outside ``record()``; a non-scalar head is summed (a head gradient of ones); a variable's
``grad_req`` ('write', 'add', 'null') decides how each backward fills its ``.grad``.

>>> from turunan.mxnet import autograd, np
>>> x = np.arange(3.0)
>>> x.attach_grad()
>>> with autograd.record():
...     y = x ** 3
...     g = autograd.grad(y, [x], create_graph=True)[0]     # 3x^2, itself recorded
>>> g.backward()
>>> x.grad                                                  # d/dx of sum(3x^2)
array([ 0.,  6., 12.])
"""

from __future__ import annotations

import numpy as _np

from .. import _mode
from .. import autograd as _autograd
from .._core import Tensor
from .._doors import REQUIRES_GRAD, lacking, recast
from ._ndarray import GRAD_REQS, MXNetError, check_recorded, ndarray, run_backward, state

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training", "set_recording",
           "set_training", "backward", "grad", "mark_variables", "MXNetError"]


class _Scope:
    """Sets recording and training for a ``with`` block and restores both after it."""

    def __init__(self, recording: bool | None, training: bool) -> None:
        self._recording = recording
        self._training = training

    def __enter__(self):
        self._prev = (state.recording, state.training, _mode.is_grad_enabled())
        if self._recording is not None:
            state.recording = self._recording
            if self._recording:
                _mode.set_grad_enabled(True)     # record() records, even inside turunan.no_grad()
        state.training = self._training
        return self

    def __exit__(self, *exc) -> None:
        state.recording, state.training, prev_mode = self._prev
        _mode.set_grad_enabled(prev_mode)


def record(train_mode: bool = True) -> _Scope:
    """Record the operations of the ``with`` block, so that ``backward`` can go through them."""
    return _Scope(True, train_mode)


def pause(train_mode: bool = False) -> _Scope:
    """Stop recording inside a ``record()`` block (e.g. to compute a metric)."""
    return _Scope(False, train_mode)


def train_mode() -> _Scope:
    """Train mode (dropout active, batch statistics) without changing recording."""
    return _Scope(None, True)


def predict_mode() -> _Scope:
    """Predict mode without changing recording."""
    return _Scope(None, False)


def is_recording() -> bool:
    return state.recording


def is_training() -> bool:
    return state.training


def set_recording(is_recording: bool) -> bool:  # noqa: A002  (MXNet's parameter name)
    """Turn recording on or off; returns the previous state."""
    prev = state.recording
    state.recording = bool(is_recording)
    return prev


def set_training(train_mode: bool) -> bool:
    """Turn train mode on or off; returns the previous state."""
    prev = state.training
    state.training = bool(train_mode)
    return prev


def _as_list(x) -> list:
    return [x] if isinstance(x, Tensor) else list(x)


def mark_variables(variables, gradients, grad_reqs="write") -> None:
    """Attach the given gradient buffers to the variables (what ``attach_grad`` does, buffers supplied)."""
    variables, gradients = _as_list(variables), _as_list(gradients)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    for v, g, req in zip(variables, gradients, reqs):
        if req not in GRAD_REQS:
            raise ValueError(f"grad_req must be one of {GRAD_REQS}, got {req!r}")
        v._node = None
        Tensor.requires_grad_(v, True)
        v._grad_req = req
        v.grad = g


def backward(heads, head_grads=None, retain_graph: bool = False, train_mode: bool = True) -> None:
    """Back-propagate from ``heads`` into the ``.grad`` of every variable they were recorded from."""
    heads = _as_list(heads)
    check_recorded(heads)
    run_backward(_autograd.backward, heads, head_grads, retain_graph=retain_graph, sum_non_scalar=True)


def grad(heads, variables, head_grads=None, retain_graph: bool | None = None, create_graph: bool = False,
         train_mode: bool = True):
    """The gradients of ``heads`` with respect to ``variables``, returned (no ``.grad`` is touched).

    With ``create_graph=True`` (inside ``record()``) the result is recorded, for higher derivatives.
    """
    single = isinstance(variables, Tensor)
    heads, variables = _as_list(heads), _as_list(variables)
    check_recorded(heads)
    for v in variables:
        if not isinstance(v, Tensor) or not REQUIRES_GRAD.__get__(v):
            raise MXNetError("autograd.grad: every variable must have a gradient attached (call "
                             "x.attach_grad() before recording)")
    grads = run_backward(_autograd.grad, heads, variables, head_grads, retain_graph=retain_graph,
                         create_graph=create_graph, allow_unused=True, sum_non_scalar=True)
    out = [ndarray._wrap(_zeros_like(v)) if g is None else recast(g, ndarray) for g, v in zip(grads, variables)]
    return out[0] if single else out


def _zeros_like(v):
    return _np.zeros_like(v._d)


# MXNet names this door does not provide (autograd.Function, get_symbol, ...) say so by name
__getattr__ = lacking(__name__, "MXNet")
