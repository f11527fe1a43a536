"""HIPS autograd's transform names, as thin compositions of turunan's (``turunan.func`` re-exports them).

HIPS spells the argument to differentiate ``argnum`` (an int, or a tuple for several), JAX and ``turunan.func``
``argnums``; every transform here and in ``turunan.func`` takes either. Results are Tensors,
as everywhere in turunan (``numpy.asarray`` reads them). Return orders are HIPS's: ``make_vjp`` gives
``(vjp, ans)`` (JAX's ``vjp`` gives ``(ans, vjp)``), ``make_jvp(f)(x)(v)`` gives ``(ans, tangent)``.

>>> import turunan.numpy as tnp
>>> from turunan.func import elementwise_grad
>>> elementwise_grad(tnp.sin)(tnp.array([0.0, 1.0]))
tensor([1.        , 0.54030231], dtype=turunan.float64)
"""

from __future__ import annotations

import inspect

import numpy as np

from . import _ops
from ._core import Tensor
from ._forward_fn import jvp
from ._jacobians import jacobian
from ._reverse import grad, vjp
from ._transform import check_callable, pick_argnums

__all__ = ["elementwise_grad", "deriv", "grad_named", "grad_and_aux", "make_vjp", "make_jvp",
           "make_hvp", "make_ggnvp", "hessian_tensor_product", "hessian_vector_product",
           "tensor_jacobian_product", "vector_jacobian_product", "multigrad_dict"]


def _argnums(argnum, argnums):
    return pick_argnums(argnums, argnum, default=None) if argnums is not None else argnum


def _pick(args: tuple, argnum):
    return args[argnum] if isinstance(argnum, int) else tuple(args[i] for i in argnum)


def _substituted(fun, args: tuple, kwargs: dict, argnum):
    """``fun`` of the argument(s) ``argnum`` alone, the other arguments fixed."""
    def unary(x):
        new = list(args)
        for i, v in ([(argnum, x)] if isinstance(argnum, int) else zip(argnum, x)):
            new[i] = v
        return fun(*new, **kwargs)
    return unary


def _ones_like(value):
    data = value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)
    return np.ones_like(data)


def make_vjp(fun, argnum=0):
    """HIPS's ``make_vjp``: ``make_vjp(f)(*args)`` is ``(vjp, ans)``; ``vjp(g)`` is the cotangent of argument
    ``argnum`` (a tuple of them for a tuple of argnums)."""
    check_callable(fun, "make_vjp")
    def at(*args, **kwargs):
        ans, pullback = vjp(_substituted(fun, args, kwargs, argnum), _pick(args, argnum))
        return (lambda g: pullback(g)[0]), ans
    return at


def make_jvp(fun, argnum=0):
    """HIPS's ``make_jvp``: ``make_jvp(f)(*args)(v)`` is ``(ans, tangent)`` for the tangent ``v`` of argument
    ``argnum``."""
    check_callable(fun, "make_jvp")
    def at(*args, **kwargs):
        unary = _substituted(fun, args, kwargs, argnum)
        x = _pick(args, argnum)
        return lambda v: jvp(unary, (x,), (v,))
    return at


def elementwise_grad(fun, argnum=0, *, argnums=None):
    """The sum of each column of the Jacobian, in one reverse pass (the derivative itself for an elementwise
    ``fun``): the vjp of ``fun`` with ones."""
    check_callable(fun, "elementwise_grad")
    argnum = _argnums(argnum, argnums)

    def at(*args, **kwargs):
        pullback, ans = make_vjp(fun, argnum)(*args, **kwargs)
        if np.iscomplexobj(ans.detach().numpy() if isinstance(ans, Tensor) else ans):
            raise TypeError("elementwise_grad needs a real-valued function (its output is complex)")
        return pullback(_ones_like(ans))
    return at


def deriv(fun, argnum=0, *, argnums=None):
    """The Jacobian times ones, in one forward pass (HIPS's ``deriv``): the derivative of a function of a
    scalar, or of an elementwise function."""
    check_callable(fun, "deriv")
    argnum = _argnums(argnum, argnums)

    def at(*args, **kwargs):
        x = _pick(args, argnum)
        return make_jvp(fun, argnum)(*args, **kwargs)(_ones_like(x))[1]
    return at


def grad_named(fun, argname: str):
    """The gradient with respect to the argument named ``argname`` (given positionally or by keyword)."""
    check_callable(fun, "grad_named")
    names = [p.name for p in inspect.signature(fun).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if argname not in names:
        raise ValueError(f"{getattr(fun, '__name__', 'the function')} has no positional argument {argname!r} "
                         f"(it has {names}); grad_named cannot reach *args or **kwargs")
    return grad(fun, argnums=names.index(argname))


def grad_and_aux(fun, argnum=0, *, argnums=None):
    """``fun`` returns ``(ans, aux)``: the gradient of ``ans`` and ``aux`` unchanged, as ``(grad, aux)``."""
    return grad(fun, argnums=_argnums(argnum, argnums), has_aux=True)


def make_hvp(fun, argnum=0):
    """HIPS's ``make_hvp``: ``make_hvp(f)(*args)`` is ``(hvp, grad)``; ``hvp(v)`` is the Hessian times ``v``
    (the forward pass and the gradient are computed once, for many products)."""
    return make_vjp(grad(fun, argnums=argnum), argnum)


def hessian_tensor_product(fun, argnum=0):
    """``f(*args, v)``: the Hessian of ``fun`` contracted with ``v`` over ``v``'s dimensions."""
    check_callable(fun, "hessian_tensor_product")
    fun_grad = grad(fun, argnums=argnum)

    def grad_dot(*args, **kwargs):
        *args, v = args
        return _tensordot(fun_grad(*args, **kwargs), v, np.ndim(getattr(v, "_d", v)))
    return grad(grad_dot, argnums=argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun, argnum=0):
    """``f(*args, v)``: ``v`` contracted with the Jacobian of ``fun`` over ``v``'s dimensions (for ``v`` of the
    output's shape, the vjp)."""
    check_callable(fun, "tensor_jacobian_product")
    def dot_fun(*args, **kwargs):
        *args, v = args
        return _tensordot(v, fun(*args, **kwargs), np.ndim(getattr(v, "_d", v)))
    return jacobian(dot_fun, argnums=argnum)


vector_jacobian_product = tensor_jacobian_product


def make_ggnvp(f, g=None, f_argnum=0):
    """Generalised Gauss-Newton-vector products (HIPS's ``make_ggnvp``): ``make_ggnvp(f, g)(x)(v)`` is
    ``J_f(x)ᵀ H_g(f(x)) J_f(x) v``; ``g`` defaults to half the squared norm over the last axis."""
    check_callable(f, "make_ggnvp")
    if g is None:
        def g(y):
            return _ops.sum(y * y, axis=-1) * 0.5

    def at(*args, **kwargs):
        unary = _substituted(f, args, kwargs, f_argnum)
        x = _pick(args, f_argnum)
        f_x, f_pullback = vjp(unary, x)
        grad_g = grad(lambda y: _ops.sum(g(y)))

        def ggnvp(v):
            jv = jvp(unary, (x,), (v,))[1]
            hjv = jvp(grad_g, (f_x,), (jv,))[1]
            return f_pullback(hjv)[0]
        return ggnvp
    return at


def multigrad_dict(fun):
    """The gradients with respect to every named positional argument, as ``{name: gradient}``."""
    check_callable(fun, "multigrad_dict")
    names = [p.name for p in inspect.signature(fun).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def at(*args, **kwargs):
        grads = grad(fun, argnums=tuple(range(len(args))))(*args, **kwargs)
        return dict(zip(names, grads))
    return at


def _tensordot(a, b, axes: int):
    return _ops.tensordot(a, b, axes=axes)
