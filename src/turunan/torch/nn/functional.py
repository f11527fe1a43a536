"""``torch.nn.functional`` over turunan: forwards every name lazily to ``turunan.nn.functional``."""

from __future__ import annotations

from ..._doors import forwarded_dir, forwarder

__getattr__ = forwarder(__name__, "turunan.nn.functional", "PyTorch")


def __dir__() -> list:
    return forwarded_dir([], "turunan.nn.functional")
