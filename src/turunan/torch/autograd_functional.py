"""``torch.autograd.functional`` over turunan: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp`` and ``vhp``
with PyTorch's calling convention (``inputs`` is a Tensor or a tuple of them, passed to ``func`` unpacked),
computed by ``turunan.func``; names only.

>>> import turunan.torch as torch
>>> torch.autograd.functional.hessian(lambda x: (x ** 3).sum(), torch.tensor([1.0, 2.0]))
tensor([[ 6.,  0.],
        [ 0., 12.]])
"""

from __future__ import annotations

from .. import func as _func
from .._creation import ones_like as _ones_like
from .._doors import recast
from .._pytree import tree_map
from ._tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _door(tree, create_graph: bool):
    return tree_map(lambda t: recast(t if create_graph else t.detach(), Tensor), tree)


def _call_convention(inputs):
    """(the inputs as a tuple, argnums, whether the user passed one Tensor)."""
    single = not isinstance(inputs, (tuple, list))
    args = (inputs,) if single else tuple(inputs)
    return args, (0 if single else tuple(range(len(args)))), single


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output shape ``O`` and input shape ``I``, shape ``O + I``;
    nested (outputs, then inputs) when either is a tuple, as PyTorch's."""
    args, nums, _ = _call_convention(inputs)
    return _door(_func.jacobian(func, argnums=nums)(*args), create_graph)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of the scalar ``func`` at ``inputs`` (a tuple of tuples for a tuple of inputs)."""
    args, nums, _ = _call_convention(inputs)
    return _door(_func.hessian(func, argnums=nums)(*args), create_graph)


def _pair(out, single: bool):
    return out[0] if single else tuple(out)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·J)``; ``v`` may be omitted for a scalar output."""
    args, _, single = _call_convention(inputs)
    out, pullback = _func.vjp(func, *args)
    cotangent = v if v is not None else _ones_like(out)
    return _door(out, create_graph), _door(_pair(pullback(cotangent), single), create_graph)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J·v)``; ``v`` may be omitted for a single one-element input."""
    args, _, single = _call_convention(inputs)
    tangents = (v,) if single and v is not None else (tuple(v) if v is not None else (_ones_like(args[0]),))
    out, tangent_out = _func.jvp(func, args, tangents)
    return _door(out, create_graph), _door(tangent_out, create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·H)`` of a scalar ``func``: the pullback of its gradient."""
    args, nums, single = _call_convention(inputs)
    value = func(*args)
    _, pullback = _func.vjp(_func.grad(func, argnums=nums), *args)
    return _door(value, create_graph), _door(_pair(pullback(v if single else tuple(v)), single), create_graph)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H·v)`` of a scalar ``func`` (equal to ``vhp`` because the Hessian is symmetric)."""
    return vhp(func, inputs, v, create_graph, strict)


