"""``torch.optim`` over turunan: forwards every name lazily to ``turunan.optim``. Its optimisers are turunan's,
as subclasses made on first use that accept parameters that do not require grad (frozen layers), as PyTorch's
do; names only, the updates are ``turunan.optim``'s."""

from __future__ import annotations

import importlib

from .._doors import forwarded_dir, forwarder

_forward = forwarder(__name__, "turunan.optim", "PyTorch")
_made: dict = {}


def __getattr__(name: str):
    value = _forward(name)
    base = getattr(importlib.import_module("turunan.optim"), "Optimizer", None)
    if base is None or not isinstance(value, type) or not issubclass(value, base) or value is base:
        return value
    made = _made.get(value)
    if made is None:
        made = _made[value] = type(value.__name__, (value,), {
            "_frozen_ok": True, "__module__": __name__, "__qualname__": value.__name__, "__doc__": value.__doc__})
    return made


def __dir__() -> list:
    return forwarded_dir([], "turunan.optim")
