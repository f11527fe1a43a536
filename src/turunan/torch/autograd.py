"""``torch.autograd`` over turunan: every public name of ``turunan.autograd``, resolved lazily.

Lazy (module ``__getattr__``), so names added to ``turunan.autograd`` later (``Function``, ...) appear here
without touching this file. ``Variable``, PyTorch's legacy wrapper, is the door's own (``turunan.torch._legacy``).

>>> import turunan.torch as torch
>>> x = torch.arange(3.0, requires_grad=True)
>>> torch.autograd.grad((x ** 2).sum(), x)[0]
tensor([0., 2., 4.])
"""

from __future__ import annotations

import importlib
import sys

from .._doors import forwarded_dir, forwarder, recast
from ._legacy import Variable  # noqa: F401  (PyTorch's legacy wrapper: gives a tensor)
from ._tensor import Tensor

functional = importlib.import_module(".autograd_functional", __package__)   # torch.autograd.functional
sys.modules[__name__ + ".functional"] = functional                          # so that `import ....functional` works

__getattr__ = forwarder(__name__, "turunan.autograd", "PyTorch")


def grad(outputs, inputs, *args, **kwargs):
    """``turunan.autograd.grad``, its gradients as the door's tensors (``.size()``, ``torch.float32``, ...)."""
    return recast(importlib.import_module("turunan.autograd").grad(outputs, inputs, *args, **kwargs), Tensor)


def __dir__() -> list:
    return forwarded_dir(["Variable", "grad", "functional"], "turunan.autograd")
