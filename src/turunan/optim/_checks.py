"""Checks of hyper-parameters, shared by the optimisers and the schedulers.

A NaN, infinite or negative learning rate would not fail: it would turn every weight into NaN, or train
backwards, silently. So each number is checked where it enters (constructor, ``add_param_group``,
``load_state_dict``, a scheduler's new rate, and each ``step``, which also catches a rate written into
``param_groups`` by hand), with PyTorch's wording ("Invalid learning rate: nan"). ``not low <= x`` is how
NaN is caught: every comparison with NaN is False.
"""

from __future__ import annotations

import math
import numbers
import operator


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
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, got bool {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, got {type(value).__name__} {value!r}") from None


def positive_int(what: str, value) -> int:
    """An integer >= 1."""
    n = index(what, value)
    if n < 1:
        raise ValueError(f"{what} must be >= 1, got {n}")
    return n
