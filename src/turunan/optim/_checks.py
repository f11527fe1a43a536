"""Checks of hyper-parameters, shared by the optimisers and the schedulers.

A NaN, infinite or negative learning rate would not fail: it would turn every weight into NaN, or train
backwards, silently. So each number is checked where it enters (constructor, ``add_param_group``,
``load_state_dict``, a scheduler's new rate, and each ``step``, which also catches a rate written into
``param_groups`` by hand), with PyTorch's wording ("Invalid learning rate: nan"). ``not low <= x`` is how
NaN is caught: every comparison with NaN is False.

A loaded optimiser state is checked the same way, whole, before the optimiser takes it (``param_state``):
a partial state would fail half way through the next step, and a wrongly shaped, complex, NaN or negative
second moment would turn the weights into garbage without an error.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from .._array import as_int, copy, is_foreign, is_lazy
from .._core import Tensor


def real(what: str, value) -> float:
    """``value`` as a float if it is a real number (not a bool, a string or an array); else a TypeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        hint = " (convert it first, e.g. float(...))" if isinstance(value, (str, bytes)) else ""
        raise TypeError(f"{what} must be a real number, got {type(value).__name__} {value!r}{hint}")
    return float(value)


def in_range(what: str, label: str, value, low: float = 0.0, high: float = math.inf,
             high_open: bool = True) -> float:
    """Check ``low <= value < high`` (or ``<= high``); a ValueError "Invalid <label>: <value>" otherwise."""
    v = real(what, value)
    if not (low <= v and (v < high if high_open else v <= high)):
        interval = f"[{low:g}, {high:g}" + (")" if high_open else "]")
        raise ValueError(f"Invalid {label}: {v} ({what} must be a finite number in {interval})")
    return v


def learning_rate(value) -> float:
    return in_range("lr", "learning rate", value)


def index(what: str, value) -> int:
    """An integer (ints and NumPy integers; not floats, bools or strings), else a TypeError."""
    return as_int(value, what)


def positive_int(what: str, value) -> int:
    """An integer >= 1."""
    n = index(what, value)
    if n < 1:
        raise ValueError(f"{what} must be >= 1, got {n}")
    return n


# ---- per-parameter optimiser state, as load_state_dict receives it -----------------------------------------
class StateLayout(NamedTuple):
    """What one optimiser's step reads from a parameter's state, so a loaded state can be checked whole.

    A state with none of these keys is "not started yet" (the first step makes it); a state with some of them
    must have every ``required`` one, or the step would fail half way (a bare KeyError) or, worse, restart a
    running average silently.
    """

    owner: str                              # the optimiser's name, for messages
    arrays: tuple[str, ...]                 # arrays shaped like the parameter (moments, momentum)
    counters: tuple[str, ...] = ()          # integers >= 0 (Adam's 'step')
    required: tuple[str, ...] = ()          # what every started state must have
    nonnegative: tuple[str, ...] = ()       # arrays that cannot hold negative values (running means of squares)
    optional: tuple[str, ...] = ()          # arrays that may be None or absent (SGD starts its momentum lazily)


SCRATCH_KEYS = ("scratch", "grad_scratch")   # per-step work buffers: never saved, remade when missing


def _counter(what: str, value) -> int:
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
        value = value.item()
    try:
        n = index(what, value)
    except TypeError as e:
        raise ValueError(str(e)) from None
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}")
    return n


def _state_array(what: str, value, param: np.ndarray, nonnegative: bool) -> np.ndarray:
    """``value`` as a fresh array of the parameter's shape and dtype, or a ValueError saying why not."""
    if isinstance(value, Tensor):
        value = value._d
    if not (isinstance(value, (np.ndarray, list, tuple, numbers.Real)) or is_foreign(value)) \
            or isinstance(value, bool):
        raise ValueError(f"{what} must be an array shaped like the parameter {param.shape}, got "
                         f"{type(value).__name__} {value!r:.60}")
    try:
        v = value if is_foreign(value) else np.asarray(value)      # a Dask or CuPy state stays one
    except ValueError as e:                 # a ragged list from a hand-edited or corrupted file
        raise ValueError(f"{what} is not a rectangular array: {e}") from None
    if v.shape != param.shape:
        raise ValueError(f"{what} has shape {v.shape}, but the parameter has shape {param.shape}")
    if v.dtype.kind not in "biuf" and not (v.dtype.kind == "c" and param.dtype.kind == "c"):
        # a cast would drop an imaginary part or fail half way: refuse before anything changes
        raise ValueError(f"{what} has dtype {v.dtype}, which cannot be cast to the parameter's {param.dtype}")
    v = copy(v, param.dtype)
    if is_foreign(param) and type(v) is not type(param):
        v = np.asarray(v, like=param)           # the state lives where the parameter does (a GPU, a Dask graph)
    if is_lazy(v):      # checked when computed: looking now would compute the state's whole graph
        return v.map_blocks(_checked_values, what=what, nonnegative=nonnegative, dtype=v.dtype)
    return _checked_values(v, what, nonnegative)


def _checked_values(v, what: str, nonnegative: bool):
    if v.dtype.kind in "fc" and not np.isfinite(v).all():
        raise ValueError(f"{what} holds NaN or infinite values; the next step would turn the parameter into NaN")
    if nonnegative and (v < 0).any():
        raise ValueError(f"{what} holds negative values, but it is a running mean of squares (its square root is "
                         "taken at every step)")
    return v


def param_state(i, state, param: np.ndarray, layout: StateLayout | None) -> dict:
    """A checked copy of parameter ``i``'s loaded state: arrays cast to the parameter's dtype, counters as ints.

    With a ``layout`` every key must be one the optimiser knows, and a started state must be complete; without
    one (an optimiser that declares none) arrays are checked against the parameter and 'step' as a counter.
    """
    if not hasattr(state, "items"):
        raise ValueError(f"state of parameter {i} must be a mapping, got {type(state).__name__}")
    new = {}
    for k, v in state.items():
        what = f"state {k!r} of parameter {i}"
        if k in SCRATCH_KEYS:
            continue
        if layout is None:
            if k == "step":
                v = _counter(what, v)
            elif isinstance(v, (np.ndarray, Tensor)):
                v = _state_array(what, v, param, False)
        elif k in layout.counters:
            v = _counter(what, v)
        elif k in layout.arrays:
            if v is None and k in layout.optional:
                continue                      # "not started": the next step makes it
            v = _state_array(what, v, param, k in layout.nonnegative)
        else:
            known = ", ".join(repr(n) for n in layout.counters + layout.arrays)
            raise ValueError(f"{what}: {layout.owner} keeps no such state (it keeps {known}); was this "
                             "state_dict saved from another optimiser?")
        new[k] = v
    if new and layout is not None:
        missing = [k for k in layout.required if k not in new]
        if missing:
            raise ValueError(f"state of parameter {i} has {sorted(new)} but no {missing}, which {layout.owner}'s "
                             f"step needs; a state saved by {layout.owner}.state_dict() has "
                             f"{list(layout.required)} for every parameter that has taken a step")
    return new
