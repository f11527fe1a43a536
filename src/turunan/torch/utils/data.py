"""``torch.utils.data`` over turunan: forwards every name lazily to ``turunan.data``."""

from __future__ import annotations

from ..._doors import forwarded_dir, forwarder

__getattr__ = forwarder(__name__, "turunan.data", "PyTorch")


def __dir__() -> list:
    return forwarded_dir([], "turunan.data")
