"""Forward-mode transforms of ``turunan.func``: ``jvp`` and ``linearize``, and the flat jvp the forward-mode
Jacobian (``turunan._jacobians``) runs.

The tangents travel with one forward pass: each call opens a forward-mode level of ``turunan._forward`` (the
machinery: levels, dual tensors, the hook that runs the table's forward rules), attaches the tangents to the
primals, runs the function and splits its outputs into primal and tangent parts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _forward
from . import _ops as ops
from ._array import as_array, refuse_complex
from ._core import Tensor
from ._pytree import tree_flatten, tree_map, tree_unflatten
from ._transform import Transform, as_tensor, check_callable, detach_tree, nested, outer_wants, split_aux, zeros

__all__ = ["jvp", "linearize", "jvp_flat"]


def jvp_flat(f, primals: tuple, flat_tans: list, name: str, has_aux: bool = False):
    """Run ``f`` with tangents attached to the flat leaves of ``primals`` (None: zero tangent).

    Returns (output treedef, flat primal outputs, flat tangent outputs (None: zero), aux).
    """
    k = _forward.enter()
    try:
        with Transform(record=False):
            args = []
            pos = 0
            for i, p in enumerate(primals):
                leaves, td = tree_flatten(p)
                duals = []
                for x in leaves:
                    t = as_tensor(x, f"{name}: primal {i}")
                    tan = flat_tans[pos]
                    pos += 1
                    if tan is not None:
                        tan = tan if isinstance(tan, Tensor) else Tensor._wrap(np.asarray(tan))
                        if t._d.dtype.kind != "c":  # a complex tangent of a real primal would lose its imaginary part
                            refuse_complex(tan._d.dtype, f"{name}: a tangent of a real primal")
                        if tan.shape != t.shape:
                            raise ValueError(f"{name}: a tangent has shape {tan.shape}, but its primal has shape "
                                             f"{t.shape}; they must match")
                        if tan.dtype != t.dtype:
                            tan = ops.astype(tan, t.dtype)
                    duals.append(_forward.make_dual(t, tan, k))
                args.append(tree_unflatten(td, duals))
            out, aux = split_aux(f(*args), has_aux, name)
            out_leaves, out_td = tree_flatten(out)
            prim_out, tan_out = [], []
            for o in out_leaves:
                if not isinstance(o, Tensor):
                    o = Tensor._wrap(as_array(o))
                p, t = _forward.split(o, k)
                prim_out.append(p)
                tan_out.append(t)
            if has_aux:
                aux = tree_map(lambda v: _forward.split(v, k)[0], aux)
    finally:
        _forward.exit(k)
    return out_td, prim_out, tan_out, aux


def jvp(f: Callable, primals, tangents, has_aux: bool = False):
    """``(f(*primals), J·tangents)`` by true forward mode: the tangents travel with one forward pass.

    ``primals`` and ``tangents`` are tuples (or lists) of pytrees of the same structure.

    >>> import turunan as tn
    >>> jvp(lambda x, y: x * y, (tn.tensor(3.0), tn.tensor(4.0)), (tn.tensor(1.0), tn.tensor(0.0)))
    (tensor(12.), tensor(4.))
    """
    check_callable(f, "jvp")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists) of arguments, e.g. jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    flat_p, td_p = tree_flatten(tuple(primals))
    flat_t, td_t = tree_flatten(tuple(tangents))
    if td_p != td_t:
        raise ValueError(f"jvp: primals have structure {td_p} but tangents have structure {td_t}")
    out_td, prim_out, tan_out, aux = jvp_flat(f, tuple(primals), flat_t, "jvp", has_aux)
    tan_out = [zeros(p) if t is None else t for p, t in zip(prim_out, tan_out)]
    if not outer_wants(flat_p + flat_t):
        prim_out, tan_out = detach_tree(prim_out), detach_tree(tan_out)
    res = tree_unflatten(out_td, prim_out), tree_unflatten(out_td, tan_out)
    return (res[0], res[1], aux) if has_aux else res


def linearize(f: Callable, *primals):
    """``(f(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` is the Jacobian-vector product at ``primals``.

    Each call of ``jvp_fn`` runs one forward-mode pass (about the cost of a jvp).

    >>> import turunan as tn
    >>> y, lin = linearize(tn.exp, tn.tensor(0.0))
    >>> lin(tn.tensor(2.0))
    tensor(2.)
    """
    check_callable(f, "linearize")
    out = f(*primals)
    out = detach_tree(out) if not nested(tree_flatten(primals)[0]) else out

    def jvp_fn(*tangents):
        return jvp(f, primals, tangents)[1]
    return out, jvp_fn
