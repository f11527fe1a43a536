"""``turunan.func``: differentiate functions, as JAX and HIPS autograd do, on turunan's one engine.

``grad``, ``value_and_grad``, ``vjp`` run reverse mode; ``jvp``, ``linearize``, ``jacfwd`` run true forward
mode (tangents travel with the forward pass, see ``turunan._forward``); ``jacobian`` picks the cheaper of
the two; ``hessian`` is reverse over reverse. They compose to any depth (``grad(grad(f))``,
``jacfwd(jacrev(f))``, ``grad`` of a function that calls ``jvp``). Arguments and results may be pytrees:
nested tuples, lists and dicts of Tensors, NumPy arrays or Python numbers; results are Tensors in the same
structure.

This module is the public face; the transforms live by concern: ``turunan._reverse`` (``grad``,
``value_and_grad``, ``vjp``), ``turunan._forward_fn`` (``jvp``, ``linearize``), ``turunan._jacobians``
(``jacrev``, ``jacfwd``, ``jacobian``, ``hessian``, ``hvp``), with what they share in ``turunan._transform``.

>>> import turunan as tn
>>> from turunan.func import grad, jvp
>>> f = lambda x: (tn.sin(x) * x).sum()
>>> x = tn.tensor([0.0, 1.0, 2.0])
>>> grad(f)(x)
tensor([0.        , 1.3817732 , 0.07700378])
>>> jvp(tn.sin, (x,), (tn.ones(3),))[1]
tensor([ 1.       ,  0.5403023, -0.4161468])
>>> grad(grad(lambda x: x ** 3))(2.0)
tensor(12., dtype=turunan.float64)
"""

from __future__ import annotations

from ._array import as_operand
from ._core import Tensor
from ._forward_fn import jvp, linearize
from ._jacobians import hessian, hvp, jacfwd, jacobian, jacobian_of_recorded, jacrev  # noqa: F401 (the tf door's)
from ._pytree import TreeDef, tree_flatten, tree_map, tree_unflatten  # noqa: F401 (public here too)
from ._reverse import grad, holomorphic_grad, value_and_grad, vjp
from ._vmap import vmap

__all__ = ["grad", "holomorphic_grad", "value_and_grad", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "jacobian",
           "hessian", "hvp", "vmap", "stop_gradient", "tree_flatten", "tree_unflatten", "tree_map"]


# HIPS autograd's names (thin compositions, turunan._conveniences); the transforms take its argnum= too
from ._conveniences import (  # noqa: E402
    deriv,
    elementwise_grad,
    grad_and_aux,
    grad_named,
    hessian_tensor_product,
    hessian_vector_product,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    vector_jacobian_product,
)

__all__ += ["elementwise_grad", "deriv", "grad_named", "grad_and_aux", "make_vjp", "make_jvp", "make_hvp",
            "make_ggnvp", "hessian_tensor_product", "hessian_vector_product", "tensor_jacobian_product",
            "vector_jacobian_product", "multigrad_dict"]


def stop_gradient(x):
    """``x`` cut from every derivative (reverse and forward mode); works on pytrees.

    >>> import turunan as tn
    >>> grad(lambda x: x * stop_gradient(x))(3.0)
    tensor(3., dtype=turunan.float64)
    """
    def cut(v):
        if isinstance(v, Tensor):
            return type(v)._wrap(v._d)
        # a leaf that is not numbers (a string, an object array) is refused, as JAX's stop_gradient refuses it
        return v if v is None else as_operand(v, "stop_gradient")
    return tree_map(cut, x)
