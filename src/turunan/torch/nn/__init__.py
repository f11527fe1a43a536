"""``torch.nn`` over turunan: forwards every name lazily to ``turunan.nn`` (import never fails without it)."""

from __future__ import annotations

from ..._doors import forwarded_dir, forwarder
from . import functional  # noqa: F401  (torch.nn.functional works as an attribute too)

__getattr__ = forwarder(__name__, "turunan.nn", "PyTorch")


def __dir__() -> list:
    return forwarded_dir(["functional"], "turunan.nn")
