"""``torch.optim`` over turunan: forwards every name lazily to ``turunan.optim``."""

from __future__ import annotations

from .._doors import forwarded_dir, forwarder

__getattr__ = forwarder(__name__, "turunan.optim", "PyTorch")


def __dir__() -> list:
    return forwarded_dir([], "turunan.optim")
