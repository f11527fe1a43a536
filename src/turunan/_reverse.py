"""Reverse-mode transforms of ``turunan.func``: ``value_and_grad``, ``grad``, ``vjp``, and the pullback they share
with the reverse-mode Jacobian (``turunan._jacobians``).

The function is run once with recording on and its differentiable arguments made leaves (or aliases, where
an outer transform must see through them); the pullback is one backward pass of the engine
(``autograd.grad``), recorded itself when an outer transform or forward mode will differentiate it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from . import _forward
from ._array import as_array, as_result, ones_like, refuse_complex
from ._core import Tensor
from ._grad import COMPLEX_OUTPUT
from ._pytree import tree_flatten, tree_unflatten
from ._transform import (
    Transform,
    argnums_tuple,
    check_callable,
    depth,
    detach_tree,
    grad_input,
    nested,
    pick_argnums,
    refuse_complex_basis,
    regroup,
    split_aux,
    zeros,
)
from .autograd import grad as _autograd_grad

__all__ = ["value_and_grad", "grad", "holomorphic_grad", "vjp", "vjp_core", "pullback"]


def vjp_core(f, args, argnums, has_aux, name, outer_grad):
    """Run ``f`` recording, with the ``argnums`` arguments made differentiable.

    Returns (output tree, flat outputs, their treedef, aux, flat differentiable inputs, their
    (treedef, start, count) per argument, create_graph).
    """
    args = list(args)
    in_trees = []
    flat_in = []
    for a in argnums:
        leaves, td = tree_flatten(args[a])
        ins = [grad_input(x, f"{name}: argument {a}", outer_grad) for x in leaves]
        in_trees.append((td, len(flat_in), len(ins)))
        flat_in.extend(ins)
        args[a] = tree_unflatten(td, ins)
    create = _forward.live() or depth.n > 1 or (outer_grad and (any(x._node is not None for x in flat_in)
                                                               or _outer_grad_reaches(args, argnums)))
    out, aux = split_aux(f(*args), has_aux, name)
    out_leaves, out_td = tree_flatten(out)
    out_leaves = [o if isinstance(o, Tensor) else Tensor._wrap(as_array(o)) for o in out_leaves]
    if name in ("jacrev", "jacobian"):
        refuse_complex_basis(out_leaves, name, "outputs")
    return out, out_leaves, out_td, aux, flat_in, in_trees, create


def _outer_grad_reaches(args, argnums) -> bool:
    """Whether an argument not differentiated here requires grad: the gradient depends on it, so its backward must
    be recorded (``grad(f, 1)(x, y)`` with ``x.requires_grad``: d/dx of the result is not 0)."""
    return any(isinstance(leaf, Tensor) and leaf.requires_grad
               for i, a in enumerate(args) if i not in argnums for leaf in tree_flatten(a)[0])


def pullback(out_leaves, flat_in, cts, create: bool) -> list:
    """Cotangents of the flat inputs for cotangents ``cts`` of the flat outputs (zeros where unused)."""
    outs, heads = [], []
    for o, c in zip(out_leaves, cts):
        if c is None or not o.requires_grad:
            continue
        if o._d.dtype.kind != "c":      # cast to a real output's dtype it would lose its imaginary part
            refuse_complex(c._d.dtype if isinstance(c, Tensor) else as_result(c).dtype, "a cotangent of a real output")
        if not isinstance(c, Tensor):
            c = Tensor._wrap(as_result(c).astype(o._d.dtype, copy=False))
        if c.shape != o.shape:
            raise ValueError(f"cotangent has shape {c.shape}, but the output has shape {o.shape}")
        create = create or c.requires_grad or bool(c._tangents)
        outs.append(o)
        heads.append(c)
    if not outs:
        return [zeros(x) for x in flat_in]
    if not create:
        heads = [h._d for h in heads]
    gs = _autograd_grad(outs, flat_in, grad_outputs=heads, retain_graph=True, create_graph=create,
                        allow_unused=True)
    return [zeros(x) if g is None else g for x, g in zip(flat_in, gs)]


def _check_holomorphic(flat_in, o, holomorphic: bool) -> None:
    """JAX's rules: a complex output needs ``holomorphic=True``, which needs complex inputs and output."""
    if not holomorphic:
        if o._d.dtype.kind == "c":
            raise TypeError(COMPLEX_OUTPUT.format(what="the output", dtype=o._d.dtype))
        return
    for x in flat_in:
        if x._d.dtype.kind != "c":
            raise TypeError(f"grad(..., holomorphic=True) requires complex inputs, but one input is {x._d.dtype}; "
                            "make it complex (e.g. x.astype('complex128')), or drop holomorphic=True")
    if o._d.dtype.kind != "c":
        raise TypeError(f"grad(..., holomorphic=True) requires a complex output, but the output is {o._d.dtype}; "
                        "drop holomorphic=True for a real-valued function")


def value_and_grad(f: Callable, argnums: int | tuple = 0, has_aux: bool = False, *,
                   holomorphic: bool = False, argnum: int | tuple | None = None) -> Callable:
    """A function returning ``(f(*args), grad f(*args))`` (``((value, aux), grad)`` with ``has_aux``).

    Complex inputs follow JAX's and HIPS autograd's convention: for a real output f of z = x + iy the gradient
    is df/dx - i df/dy. A complex output needs ``holomorphic=True`` (then complex inputs): the result is f'(z).

    >>> import turunan as tn
    >>> value_and_grad(lambda x: (x * x).sum())(tn.tensor([1.0, 2.0]))
    (tensor(5.), tensor([2., 4.]))
    """
    argnums = pick_argnums(argnums, argnum)
    check_callable(f, "value_and_grad")
    @functools.wraps(f)
    def vg(*args, **kwargs):
        single = isinstance(argnums, int)
        nums = argnums_tuple(argnums, len(args))
        call = functools.partial(f, **kwargs) if kwargs else f
        with Transform() as tr:
            out, leaves, _, aux, flat_in, in_trees, create = vjp_core(call, args, nums, has_aux, "grad", tr.prev)
            if len(leaves) != 1 or leaves[0].size != 1:
                shape = leaves[0].shape if len(leaves) == 1 else f"a {type(out).__name__} of {len(leaves)} arrays"
                raise TypeError(f"grad requires a function with a scalar output, but the output has shape {shape}; "
                                "reduce it first (e.g. return y.sum()), or use jacobian / jacrev / vjp for "
                                "non-scalar outputs")
            o = leaves[0]
            _check_holomorphic(flat_in, o, holomorphic)
            ones = Tensor._wrap(ones_like(o._d))
            flat = pullback(leaves, flat_in, [ones], create)
        value = o if create else o.detach()
        if not isinstance(out, Tensor):
            value = tree_unflatten(tree_flatten(out)[1], [value])
        if has_aux and not create:
            aux = detach_tree(aux)
        grads = regroup(flat, in_trees, single)
        return ((value, aux) if has_aux else value), grads
    return vg


def grad(f: Callable, argnums: int | tuple = 0, has_aux: bool = False, *, holomorphic: bool = False,
         argnum: int | tuple | None = None) -> Callable:
    """The gradient of a scalar function, as a function (JAX's ``grad``): compose it to any order.

    ``argnums`` picks the arguments to differentiate (an int, or a tuple: then a tuple of gradients);
    arguments may be pytrees, and each gradient has its argument's structure.

    >>> import turunan as tn
    >>> d3 = grad(grad(grad(tn.sin)))
    >>> d3(0.0)                # -cos(0); a Python float is float64, as in NumPy and HIPS autograd
    tensor(-1., dtype=turunan.float64)
    """
    argnums = pick_argnums(argnums, argnum)
    check_callable(f, "grad")
    vg = value_and_grad(f, argnums, has_aux, holomorphic=holomorphic)

    @functools.wraps(f)
    def g(*args, **kwargs):
        value, grads = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return g


def holomorphic_grad(f: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The complex derivative f'(z) of a holomorphic function with a complex scalar output (JAX's
    ``grad(f, holomorphic=True)``): inputs and output must be complex.

    >>> import turunan as tn
    >>> holomorphic_grad(lambda z: z * z)(tn.tensor(1 + 2j))
    tensor(2.+4.j, dtype=turunan.complex128)
    """
    return grad(f, argnums, has_aux, holomorphic=True)


def vjp(f: Callable, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` gives the cotangents of all primals, as a tuple.

    ``vjp_fn`` may be called many times (the graph is kept).

    >>> import turunan as tn
    >>> out, pull = vjp(lambda x: x * 3, tn.tensor([1.0, 2.0]))
    >>> pull(tn.tensor([1.0, 10.0]))
    (tensor([ 3., 30.]),)
    """
    check_callable(f, "vjp")
    with Transform() as tr:
        out, leaves, out_td, aux, flat_in, in_trees, create = vjp_core(
            f, primals, tuple(range(len(primals))), has_aux, "vjp", tr.prev)

    def vjp_fn(cotangents):
        cts, td = tree_flatten(cotangents)
        if td != out_td:
            raise ValueError(f"vjp_fn: the cotangent has structure {td}, but the output has structure {out_td}")
        record = create or nested(cts)
        with Transform():
            flat = pullback(leaves, flat_in, cts, record)
        return regroup(flat, in_trees, False)

    value = out if create else detach_tree(out)
    if has_aux:
        return value, vjp_fn, (aux if create else detach_tree(aux))
    return value, vjp_fn
