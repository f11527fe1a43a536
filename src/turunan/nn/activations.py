"""More activations, as functions (re-exported by ``turunan.nn.functional``) and as modules (by ``turunan.nn``),
composed from the engine's ops with PyTorch's definitions and defaults.

NOTE where a composition picks a value at a kink: ``hardtanh``, ``relu6``, ``hardsigmoid`` and ``hardswish`` are
built from ``clip``, whose gradient at a boundary is the core's ``clip`` convention (``tests/test_nn_more.py``
compares them with PyTorch away from the kinks).

>>> import turunan as tn
>>> from turunan.nn import functional as F
>>> F.silu(tn.tensor([0.0, 1.0]))
tensor([0.       , 0.7310586])
"""

from __future__ import annotations

import numpy as np

from .. import _ops as ops
from .._core import Tensor
from .module import Module
from .parameter import Parameter

__all__ = ["silu", "logsigmoid", "selu", "celu", "hardtanh", "relu6", "mish", "softsign", "tanhshrink",
           "hardswish", "hardsigmoid", "softmin", "glu", "elu", "prelu", "threshold"]

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def silu(x, inplace: bool = False):
    """x · sigmoid(x) (also called swish)."""
    x = _t(x)
    return x * ops.sigmoid(x)


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for any magnitude."""
    return -ops.softplus(-_t(x))


def elu(x, alpha: float = 1.0, inplace: bool = False):
    return ops.elu(_t(x), alpha)


def selu(x, inplace: bool = False):
    return _SELU_SCALE * ops.elu(_t(x), _SELU_ALPHA)


def celu(x, alpha: float = 1.0, inplace: bool = False):
    x = _t(x)
    return ops.maximum(x, 0.0) + ops.minimum(alpha * ops.expm1(ops.minimum(x, 0.0) / alpha), 0.0)


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    return ops.clip(_t(x), min_val, max_val)


def relu6(x, inplace: bool = False):
    return ops.clip(_t(x), 0.0, 6.0)


def hardsigmoid(x, inplace: bool = False):
    return ops.clip(_t(x) / 6.0 + 0.5, 0.0, 1.0)


def hardswish(x, inplace: bool = False):
    x = _t(x)
    return x * hardsigmoid(x)


def mish(x, inplace: bool = False):
    x = _t(x)
    return x * ops.tanh(ops.softplus(x))


def softsign(x):
    x = _t(x)
    return x / (1.0 + ops.abs(x))


def tanhshrink(x):
    x = _t(x)
    return x - ops.tanh(x)


def softmin(x, dim: int = -1, dtype=None):
    x = _t(x) if dtype is None else ops.astype(_t(x), dtype)
    return ops.softmax(-x, -1 if dim is None else dim)


def glu(x, dim: int = -1):
    """The first half of ``x`` along ``dim`` gated by the sigmoid of the second."""
    x = _t(x)
    n = x.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % x.ndim} is size {n}")
    a, b = ops.split(x, [n // 2], dim)
    return a * ops.sigmoid(b)


def prelu(x, weight):
    """max(0, x) + weight · min(0, x), one weight per channel (dim 1) or one for all."""
    x, weight = _t(x), _t(weight)
    if weight.size > 1 and x.ndim > 1:
        weight = ops.reshape(weight, (1, -1) + (1,) * (x.ndim - 2))
    return ops.maximum(x, 0.0) + weight * ops.minimum(x, 0.0)


def threshold(x, threshold: float, value: float, inplace: bool = False):
    """``x`` where it is above ``threshold``, else ``value`` (which elements is a constant of the graph)."""
    x = _t(x)
    return ops.where(np.asarray(x.detach().numpy()) > threshold, x, value)


def _softplus(x, beta: float = 1.0, threshold: float = 20.0):
    from .functional import softplus  # functional re-exports this module: imported when called
    return softplus(x, beta, threshold)


# ---- as modules ---------------------------------------------------------------------------------------------------
def _module(name: str, fn, params: tuple = ()):
    """A module applying ``fn`` with the constructor's ``params`` (PyTorch's names and defaults)."""
    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        values = dict(zip([p for p, _ in params], args))
        for p, default in params:
            setattr(self, p, kwargs.pop(p, values.get(p, default)))
        kwargs.pop("inplace", None)
        if kwargs:
            raise TypeError(f"{name}() got unexpected keyword arguments {sorted(kwargs)}")

    def forward(self, x):
        return fn(x, **{p: getattr(self, p) for p, _ in params})

    def extra_repr(self) -> str:
        return ", ".join(f"{p}={getattr(self, p)}" for p, _ in params)

    return type(name, (Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr,
                                  "__doc__": f"``{fn.__name__}`` as a module.", "__module__": __name__})


SiLU = _module("SiLU", silu)
LogSigmoid = _module("LogSigmoid", logsigmoid)
ELU = _module("ELU", elu, (("alpha", 1.0),))
SELU = _module("SELU", selu)
CELU = _module("CELU", celu, (("alpha", 1.0),))
Hardtanh = _module("Hardtanh", hardtanh, (("min_val", -1.0), ("max_val", 1.0)))
ReLU6 = _module("ReLU6", relu6)
Hardsigmoid = _module("Hardsigmoid", hardsigmoid)
Hardswish = _module("Hardswish", hardswish)
Mish = _module("Mish", mish)
Softsign = _module("Softsign", softsign)
Tanhshrink = _module("Tanhshrink", tanhshrink)
Softmin = _module("Softmin", softmin, (("dim", None),))
GLU = _module("GLU", glu, (("dim", -1),))
Threshold = _module("Threshold", threshold, (("threshold", 0.0), ("value", 0.0)))
Softplus = _module("Softplus", _softplus, (("beta", 1.0), ("threshold", 20.0)))


class PReLU(Module):
    """max(0, x) + a · min(0, x) with a learnt ``a`` (one, or one per channel), initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float32) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full((num_parameters,), init, dtype))

    def forward(self, x):
        return prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


MODULES = ["SiLU", "LogSigmoid", "ELU", "SELU", "CELU", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Mish",
           "Softsign", "Tanhshrink", "Softmin", "GLU", "Threshold", "Softplus", "PReLU"]
