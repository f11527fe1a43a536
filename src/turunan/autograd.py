"""``turunan.autograd``: backward and grad over the recorded graph (PyTorch's names and semantics).

A namespace only: ``backward`` and ``grad`` are the core's (``_grad.py``), ``Function`` is a user-defined row
of the derivative table (``_custom.py``), the grad modes are ``_mode.py``'s.

>>> import turunan as tn
>>> x = tn.arange(3.0, requires_grad=True)
>>> g, = tn.autograd.grad((x ** 3).sum(), [x], create_graph=True)
>>> tn.autograd.grad(g.sum(), [x])[0]          # d/dx of 3x^2 summed: 6x
tensor([ 0.,  6., 12.])
"""

from __future__ import annotations

from ._custom import Function, FunctionCtx  # noqa: F401  (ctx's class, as torch.autograd.function has it)
from ._grad import backward, grad
from ._mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["backward", "grad", "Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
