"""``torch.nn.functional`` over turunan: forwards every name lazily to ``turunan.nn.functional``; the few
names that module lacks are the core's ops under PyTorch's names."""

from __future__ import annotations

from ... import _ops
from ..._doors import forwarded_dir, forwarder, recast
from .._tensor import Tensor

__getattr__ = forwarder(__name__, "turunan.nn.functional", "PyTorch")


def elu(input, alpha: float = 1.0, inplace: bool = False):  # noqa: A002  (PyTorch's parameter name)
    """x where x > 0, alpha * (exp(x) - 1) elsewhere (turunan.elu)."""
    if inplace:
        raise TypeError("turunan.torch.nn.functional.elu does not support inplace=True")
    return recast(_ops.elu(input, alpha), Tensor)


def __dir__() -> list:
    return forwarded_dir(["elu"], "turunan.nn.functional")
