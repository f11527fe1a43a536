"""``turunan.func``: differentiate functions, as JAX and HIPS autograd do, on turunan's one engine.

``grad``, ``value_and_grad``, ``vjp`` run reverse mode; ``jvp``, ``linearize``, ``jacfwd`` run true forward
mode (tangents travel with the forward pass, see ``turunan._forward``); ``jacobian`` picks the cheaper of
the two; ``hessian`` is forward over reverse. They compose to any depth (``grad(grad(f))``,
``jacfwd(jacrev(f))``, ``grad`` of a function that calls ``jvp``). Arguments and results may be pytrees:
nested tuples, lists and dicts of Tensors, NumPy arrays or Python numbers; results are Tensors in the same
structure.

>>> import turunan as tn
>>> from turunan.func import grad, jvp
>>> f = lambda x: (tn.sin(x) * x).sum()
>>> x = tn.tensor([0.0, 1.0, 2.0])
>>> grad(f)(x)
tensor([0.        , 1.3817732 , 0.07700378])
>>> jvp(tn.sin, (x,), (tn.ones(3),))[1]
tensor([ 1.       ,  0.5403023, -0.4161468])
>>> grad(grad(lambda x: x ** 3))(2.0)
tensor(12.)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numpy as np

from . import _batching, _forward, _mode
from . import _ops as ops
from ._array import as_array, as_operand, refuse_complex
from ._batched import BatchingError
from ._core import Tensor
from ._pytree import TreeDef, tree_flatten, tree_map, tree_unflatten  # noqa: F401 (public here too)
from ._vmap import vmap
from .autograd import grad as _autograd_grad

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "jacobian", "hessian",
           "hvp", "vmap", "stop_gradient", "tree_flatten", "tree_unflatten", "tree_map"]

class _Depth(threading.local):
    """How many transforms are running in this thread (``_depth.n``; a nested one must record its derivatives).
    Per thread, as grad mode and forward-mode levels are: a transform running in another thread must not make
    this one's results recorded."""

    n = 0


_depth = _Depth()


# ---- inputs and outputs ----------------------------------------------------------------------------------
def _as_tensor(x, what: str) -> Tensor:
    if isinstance(x, Tensor):
        t = x
    else:
        try:
            t = Tensor._wrap(as_array(x))
        except TypeError:
            raise TypeError(f"{what}: expected a Tensor, a NumPy array or a number, got {type(x).__name__}") from None
    refuse_complex(t.dtype, what)
    if t.dtype.kind not in "fc":
        raise TypeError(f"{what} has dtype {t.dtype}, but only floating-point inputs can be differentiated; "
                        "pass floats (e.g. 2.0 instead of 2, or x.astype('float32')), or close over integer "
                        "arguments instead of differentiating them")
    return t


def _grad_input(x, what: str, outer_grad: bool) -> Tensor:
    """A tensor equal to ``x`` that requires grad, connected to ``x`` where an outer transform needs it."""
    t = _as_tensor(x, what)
    if t.requires_grad and outer_grad:
        return _forward.apply(_forward.alias, t)     # keeps x's node (outer grad) and tangents
    leaf = type(t)._wrap(t._d, None, True, t._version)
    if t._tangents:
        leaf._tangents = {k: v for k, v in t._tangents.items() if k in _forward.active_levels()} or None
    return leaf


def _argnums_tuple(argnums, n: int) -> tuple:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise ValueError(f"argnums {argnums!r} is out of range for a function called with {n} positional "
                             "arguments")
    return tuple(a % n for a in nums)


def _split_aux(result, has_aux: bool, name: str):
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{name}(..., has_aux=True) needs the function to return a pair (output, aux), got "
                        f"{type(result).__name__}")
    return result[0], result[1]


def _zeros(t: Tensor) -> Tensor:
    return type(t)._wrap(np.zeros(t.shape, t.dtype))


def _nested(inputs) -> bool:
    """Whether the derivatives must themselves be recorded (an outer transform or recording will read them)."""
    if _forward.live() or _depth.n > 0:
        return True
    return _mode.state.enabled and any(isinstance(x, Tensor) and x._node is not None for x in inputs)


def _outer_wants(inputs) -> bool:
    """Whether anything outside this transform can still differentiate its results: an enclosing transform,
    or recording with an input that requires grad. If nothing can, the results are returned detached (as JAX
    returns plain arrays), so no graph is kept alive by them."""
    if _forward.live() or _depth.n > 0:
        return True
    return _mode.state.enabled and any(isinstance(x, Tensor) and x.requires_grad for x in inputs)


def _detach_tree(tree):
    return tree_map(lambda v: v.detach() if isinstance(v, Tensor) else v, tree)


class _Transform:
    """Counts running transforms (a nested one records its derivatives); reverse ones turn recording on."""

    def __init__(self, record: bool = True) -> None:
        self.record = record

    def __enter__(self):
        self.prev = _mode.state.enabled
        _depth.n += 1
        if self.record:
            _mode.state.enabled = True
        return self

    def __exit__(self, *exc):
        _depth.n -= 1
        _mode.state.enabled = self.prev


# ---- reverse mode ----------------------------------------------------------------------------------------
def _vjp_core(f, args, argnums, has_aux, name, outer_grad):
    """Run ``f`` recording, with the ``argnums`` arguments made differentiable.

    Returns (output tree, flat outputs, aux, flat differentiable inputs, their treedefs, create_graph).
    """
    args = list(args)
    in_trees = []
    flat_in = []
    for a in argnums:
        leaves, td = tree_flatten(args[a])
        ins = [_grad_input(x, f"{name}: argument {a}", outer_grad) for x in leaves]
        in_trees.append((td, len(flat_in), len(ins)))
        flat_in.extend(ins)
        args[a] = tree_unflatten(td, ins)
    create = _forward.live() or _depth.n > 1 or (outer_grad and any(x._node is not None for x in flat_in))
    out, aux = _split_aux(f(*args), has_aux, name)
    out_leaves, out_td = tree_flatten(out)
    out_leaves = [o if isinstance(o, Tensor) else Tensor._wrap(as_array(o)) for o in out_leaves]
    return out, out_leaves, out_td, aux, flat_in, in_trees, create


def _pullback(out_leaves, flat_in, cts, create: bool) -> list:
    """Cotangents of the flat inputs for cotangents ``cts`` of the flat outputs (zeros where unused)."""
    outs, heads = [], []
    for o, c in zip(out_leaves, cts):
        if c is None or not o.requires_grad:
            continue
        if not isinstance(c, Tensor):
            c = np.asarray(c)
            refuse_complex(c.dtype, "a cotangent")      # cast to a real dtype it would lose its imaginary part
            c = Tensor._wrap(c.astype(o.dtype, copy=False))
        if c.shape != o.shape:
            raise ValueError(f"cotangent has shape {c.shape}, but the output has shape {o.shape}")
        create = create or c.requires_grad or bool(c._tangents)
        outs.append(o)
        heads.append(c)
    if not outs:
        return [_zeros(x) for x in flat_in]
    if not create:
        heads = [h._d for h in heads]
    gs = _autograd_grad(outs, flat_in, grad_outputs=heads, retain_graph=True, create_graph=create,
                        allow_unused=True)
    return [_zeros(x) if g is None else g for x, g in zip(flat_in, gs)]


def _regroup(flat: list, in_trees, single: bool):
    grads = tuple(tree_unflatten(td, flat[s:s + n]) for td, s, n in in_trees)
    return grads[0] if single else grads


def _check_callable(f, name: str) -> None:
    """A transform of something that is not a function fails where it is made (as JAX's do), not at its call."""
    if not callable(f):
        raise TypeError(f"{name}: expected a function to transform, got {type(f).__name__} {f!r}")


def value_and_grad(f: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(f(*args), grad f(*args))`` (``((value, aux), grad)`` with ``has_aux``).

    >>> import turunan as tn
    >>> value_and_grad(lambda x: (x * x).sum())(tn.tensor([1.0, 2.0]))
    (tensor(5.), tensor([2., 4.]))
    """
    _check_callable(f, "value_and_grad")
    @functools.wraps(f)
    def vg(*args, **kwargs):
        single = isinstance(argnums, int)
        nums = _argnums_tuple(argnums, len(args))
        call = functools.partial(f, **kwargs) if kwargs else f
        with _Transform() as tr:
            out, leaves, _, aux, flat_in, in_trees, create = _vjp_core(call, args, nums, has_aux, "grad", tr.prev)
            if len(leaves) != 1 or leaves[0].size != 1:
                shape = leaves[0].shape if len(leaves) == 1 else f"a {type(out).__name__} of {len(leaves)} arrays"
                raise TypeError(f"grad requires a function with a scalar output, but the output has shape {shape}; "
                                "reduce it first (e.g. return y.sum()), or use jacobian / jacrev / vjp for "
                                "non-scalar outputs")
            o = leaves[0]
            ones = Tensor._wrap(np.ones(o.shape, o.dtype))
            flat = _pullback(leaves, flat_in, [ones], create)
        value = o if create else o.detach()
        if not isinstance(out, Tensor):
            value = tree_unflatten(tree_flatten(out)[1], [value])
        if has_aux and not create:
            aux = _detach_tree(aux)
        grads = _regroup(flat, in_trees, single)
        return ((value, aux) if has_aux else value), grads
    return vg


def grad(f: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function, as a function (JAX's ``grad``): compose it to any order.

    ``argnums`` picks the arguments to differentiate (an int, or a tuple: then a tuple of gradients);
    arguments may be pytrees, and each gradient has its argument's structure.

    >>> import turunan as tn
    >>> d3 = grad(grad(grad(tn.sin)))
    >>> d3(0.0)                # -cos(0)
    tensor(-1.)
    """
    _check_callable(f, "grad")
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def g(*args, **kwargs):
        value, grads = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return g


def vjp(f: Callable, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` gives the cotangents of all primals, as a tuple.

    ``vjp_fn`` may be called many times (the graph is kept).

    >>> import turunan as tn
    >>> out, pull = vjp(lambda x: x * 3, tn.tensor([1.0, 2.0]))
    >>> pull(tn.tensor([1.0, 10.0]))
    (tensor([ 3., 30.]),)
    """
    _check_callable(f, "vjp")
    with _Transform() as tr:
        out, leaves, out_td, aux, flat_in, in_trees, create = _vjp_core(
            f, primals, tuple(range(len(primals))), has_aux, "vjp", tr.prev)

    def vjp_fn(cotangents):
        cts, td = tree_flatten(cotangents)
        if td != out_td:
            raise ValueError(f"vjp_fn: the cotangent has structure {td}, but the output has structure {out_td}")
        nested = create or _nested(cts)
        with _Transform():
            flat = _pullback(leaves, flat_in, cts, nested)
        return _regroup(flat, in_trees, False)

    value = out if create else _detach_tree(out)
    if has_aux:
        return value, vjp_fn, (aux if create else _detach_tree(aux))
    return value, vjp_fn


# ---- forward mode ----------------------------------------------------------------------------------------
def _jvp_flat(f, primals: tuple, flat_tans: list, name: str, has_aux: bool = False):
    """Run ``f`` with tangents attached to the flat leaves of ``primals`` (None: zero tangent).

    Returns (output tree, flat primal outputs, their treedef, flat tangent outputs (None: zero), aux).
    """
    k = _forward.enter()
    try:
        with _Transform(record=False):
            args = []
            pos = 0
            for i, p in enumerate(primals):
                leaves, td = tree_flatten(p)
                duals = []
                for x in leaves:
                    t = _as_tensor(x, f"{name}: primal {i}")
                    tan = flat_tans[pos]
                    pos += 1
                    if tan is not None:
                        tan = tan if isinstance(tan, Tensor) else Tensor._wrap(np.asarray(tan))
                        refuse_complex(tan.dtype, f"{name}: a tangent")
                        if tan.shape != t.shape:
                            raise ValueError(f"{name}: a tangent has shape {tan.shape}, but its primal has shape "
                                             f"{t.shape}; they must match")
                        if tan.dtype != t.dtype:
                            tan = ops.astype(tan, t.dtype)
                    duals.append(_forward.make_dual(t, tan, k))
                args.append(tree_unflatten(td, duals))
            out, aux = _split_aux(f(*args), has_aux, name)
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
    _check_callable(f, "jvp")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists) of arguments, e.g. jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    flat_p, td_p = tree_flatten(tuple(primals))
    flat_t, td_t = tree_flatten(tuple(tangents))
    if td_p != td_t:
        raise ValueError(f"jvp: primals have structure {td_p} but tangents have structure {td_t}")
    out_td, prim_out, tan_out, aux = _jvp_flat(f, tuple(primals), flat_t, "jvp", has_aux)
    tan_out = [_zeros(p) if t is None else t for p, t in zip(prim_out, tan_out)]
    if not _outer_wants(flat_p + flat_t):
        prim_out, tan_out = _detach_tree(prim_out), _detach_tree(tan_out)
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
    _check_callable(f, "linearize")
    out = f(*primals)
    out = _detach_tree(out) if not _nested(tree_flatten(primals)[0]) else out

    def jvp_fn(*tangents):
        return jvp(f, primals, tangents)[1]
    return out, jvp_fn


# ---- Jacobians -------------------------------------------------------------------------------------------
def _assemble(rows_or_cols, out_leaves, in_leaves, by_rows: bool):
    """J[o][i] of shape out.shape + in.shape from rows (reverse) or columns (forward)."""
    J = []
    for oi, o in enumerate(out_leaves):
        per_in = []
        for ii, x in enumerate(in_leaves):
            if by_rows:   # rows_or_cols[oi] = list (over o's elements) of flat input cotangents
                parts = [r[ii] for r in rows_or_cols[oi]]
                if not parts:
                    block = Tensor._wrap(np.zeros(o.shape + x.shape, x.dtype))
                elif len(parts) == 1:     # a scalar output's gradient: no stack (keeps the graph simple)
                    block = ops.reshape(parts[0], o.shape + x.shape)
                else:
                    block = ops.reshape(ops.stack(parts, 0), o.shape + x.shape)
            else:         # rows_or_cols[ii] = list (over x's elements) of flat output tangents
                parts = [c[oi] for c in rows_or_cols[ii]]
                if not parts:
                    block = Tensor._wrap(np.zeros(o.shape + x.shape, o.dtype))
                else:
                    block = ops.reshape(ops.stack(parts, -1), o.shape + x.shape)
            per_in.append(block)
        J.append(per_in)
    return J


def _jac_tree(J, out_td, in_trees, single: bool):
    per_out = []
    for row in J:
        per_out.append(_regroup(row, in_trees, single))
    return tree_unflatten(out_td, per_out)


def jacrev(f: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by reverse mode: ``f`` is recorded once, then one backward pass gives every row at once, the
    pullback vmapped over the identity (as ``jax.jacrev`` and ``torch.func.jacrev`` do). It batches through every
    op whose row has a batching rule; where one has none (a custom rule that reads its arrays' values), one
    backward pass per output element instead.

    >>> import turunan as tn
    >>> jacrev(lambda x: x ** 2)(tn.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    _check_callable(f, "jacrev")
    @functools.wraps(f)
    def jac(*args):
        single = isinstance(argnums, int)
        nums = _argnums_tuple(argnums, len(args))
        return _reverse_jacobian(f, args, nums, single, has_aux, "jacrev")
    return jac


def _reverse_jacobian(f, args, nums, single, has_aux, name):
    """Record ``f`` once and give its Jacobian by reverse mode."""
    with _Transform() as tr:
        out, leaves, out_td, aux, flat_in, in_trees, create = _vjp_core(f, args, nums, has_aux, name, tr.prev)
        J = _jacrev_blocks(leaves, flat_in, create)
        res = _jac_tree(J, out_td, in_trees, single)
    return (res, (aux if create else _detach_tree(aux))) if has_aux else res


def jacobian_of_recorded(output: Tensor, inputs: list, create_graph: bool = False) -> list:
    """Jacobians of an already recorded ``output`` for each of ``inputs`` (shape ``output.shape + input.shape``).

    The reverse-mode Jacobian of ``jacrev``, for callers that hold a recorded graph instead of a function (the
    TensorFlow front door's ``tape.jacobian``).
    """
    return _jacrev_blocks([output], list(inputs), create_graph)[0]


def _jacrev_blocks(leaves, flat_in, create):
    try:
        return _jacrev_batched(leaves, flat_in, create)
    except BatchingError:
        return _jacrev_rows(leaves, flat_in, create)


def _jacrev_batched(leaves, flat_in, create):
    """All rows of each output's Jacobian from one backward pass: the pullback vmapped over the identity."""
    J = []
    for oi, o in enumerate(leaves):
        if not o.requires_grad or not o.size:
            J.append([Tensor._wrap(np.zeros(o.shape + x.shape, x.dtype)) for x in flat_in])
            continue

        def rows(head, oi=oi):
            cts = [None] * len(leaves)
            cts[oi] = head
            return tuple(_pullback(leaves, flat_in, cts, create))
        eye = Tensor._wrap(np.eye(o.size, dtype=o.dtype).reshape((o.size,) + o.shape))
        blocks = vmap(rows)(eye)
        J.append([ops.reshape(b, o.shape + x.shape) for b, x in zip(blocks, flat_in)])
    return J


def _jacrev_rows(leaves, flat_in, create):
    """One backward pass per output element."""
    rows = []
    for oi, o in enumerate(leaves):
        r = []
        for e in range(o.size):
            cts = [None] * len(leaves)
            onehot = np.zeros(o.size, o.dtype)
            onehot[e] = 1
            cts[oi] = onehot.reshape(o.shape)
            r.append(_pullback(leaves, flat_in, cts, create))
        rows.append(r)
    return _assemble(rows, leaves, flat_in, True)


def jacfwd(f: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by forward mode: one jvp whose tangents are the whole standard basis at once, jvp vmapped over
    the identity (as ``jax.jacfwd`` and ``torch.func.jacfwd``): cheap for few inputs. Where some op cannot be
    batched, one jvp per input element instead.

    >>> import turunan as tn
    >>> jacfwd(lambda x: x ** 2)(tn.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    _check_callable(f, "jacfwd")
    @functools.wraps(f)
    def jac(*args):
        single = isinstance(argnums, int)
        nums = _argnums_tuple(argnums, len(args))
        return _jacfwd(f, args, nums, single, has_aux)
    return jac


def _jacfwd(f, args, nums, single, has_aux):
    in_trees, flat_in = [], []
    for a in nums:
        leaves, td = tree_flatten(args[a])
        leaves = [_as_tensor(x, f"jacfwd: argument {a}") for x in leaves]
        in_trees.append((td, len(flat_in), len(leaves)))
        flat_in.extend(leaves)

    def g(*d):
        full = list(args)
        for a, v in zip(nums, d):
            full[a] = v
        return f(*full)

    diff = tuple(_regroup(flat_in, in_trees, False))
    try:
        J, out_td, aux = _jacfwd_batched(g, diff, flat_in, has_aux)
    except BatchingError:
        J, out_td, aux = _jacfwd_columns(g, diff, flat_in, has_aux)
    if not _outer_wants(tree_flatten(list(args))[0]):
        J = _detach_tree(J)
    res = _jac_tree(J, out_td, in_trees, single)
    return (res, aux) if has_aux else res


def _jacfwd_batched(g, diff, flat_in, has_aux):
    """Each input's columns from one jvp whose tangent is its whole standard basis (vmap of jvp)."""
    cols = []
    out_td = prim_out = aux = None
    for ii, x in enumerate(flat_in):
        if not x.size:
            cols.append(None)
            continue

        def columns(v, ii=ii):
            tans = [None] * len(flat_in)
            tans[ii] = v
            td, prim, tan, ax = _jvp_flat(g, diff, tans, "jacfwd", has_aux)
            return [_zeros(p) if t is None else t for p, t in zip(prim, tan)], prim, ax, td
        basis = Tensor._wrap(np.eye(x.size, dtype=x.dtype).reshape((x.size,) + x.shape))
        tan_out, prim_out, aux, out_td = _run_unbatched_rest(columns, basis)
        cols.append(tan_out)
    if prim_out is None:    # no input elements at all: evaluate once for the output's structure
        out, aux = _split_aux(g(*diff), has_aux, "jacfwd")
        prim_out, out_td = tree_flatten(out)
        prim_out = [o if isinstance(o, Tensor) else Tensor._wrap(as_array(o)) for o in prim_out]
    J = []
    for oi, o in enumerate(prim_out):
        row = []
        for ii, x in enumerate(flat_in):
            if cols[ii] is None:
                row.append(Tensor._wrap(np.zeros(o.shape + x.shape, o.dtype)))
            else:   # (x.size, *o.shape) -> o.shape + x.shape
                row.append(ops.reshape(ops.moveaxis(cols[ii][oi], 0, -1), o.shape + x.shape))
        J.append(row)
    return J, out_td, aux


def _run_unbatched_rest(columns, basis):
    """vmap of ``columns`` over ``basis``: the tangents batched, the primal outputs, aux and structure (the same for
    every basis vector) returned once."""
    found = {}

    def tangents_only(v):
        tan, prim, ax, td = columns(v)
        found["rest"] = (prim, ax, td)
        return tan
    tan = vmap(tangents_only)(basis)
    prim, ax, td = found["rest"]
    prim = [_unbatched(p) for p in prim]
    if ax is not None:
        ax = tree_map(_unbatched, ax)
    return tan, prim, ax, td


def _unbatched(v):
    """A value computed inside vmap that does not depend on the batch, as a plain tensor."""
    if isinstance(v, Tensor) and _batching.levels_of(v):
        raise BatchingError("jacfwd: the function's primal output depends on the tangent")
    return v


def _jacfwd_columns(g, diff, flat_in, has_aux):
    """One jvp per input element."""
    cols = []
    out_td = prim_out = aux = None
    for ii, x in enumerate(flat_in):
        c = []
        for e in range(x.size):
            tans = [None] * len(flat_in)
            onehot = np.zeros(x.size, x.dtype)
            onehot[e] = 1
            tans[ii] = Tensor._wrap(onehot.reshape(x.shape))
            out_td, prim_out, tan_out, aux = _jvp_flat(g, diff, tans, "jacfwd", has_aux)
            c.append([_zeros(p) if t is None else t for p, t in zip(prim_out, tan_out)])
        cols.append(c)
    if prim_out is None:    # no input elements at all: evaluate once for the output's structure
        out, aux = _split_aux(g(*diff), has_aux, "jacfwd")
        prim_out, out_td = tree_flatten(out)
        prim_out = [o if isinstance(o, Tensor) else Tensor._wrap(as_array(o)) for o in prim_out]
    return _assemble(cols, prim_out, flat_in, False), out_td, aux


def jacobian(f: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The Jacobian, by reverse mode when the output has no more elements than the input, else forward mode
    (both batched: one pass each).

    The result for an output of shape ``(m, …)`` and an input of shape ``(n, …)`` has shape ``(m, …, n, …)``.

    >>> import turunan as tn
    >>> jacobian(lambda x: tn.stack([x.sum(), (x * x).sum()]))(tn.tensor([1.0, 2.0, 3.0]))
    tensor([[1., 1., 1.],
            [2., 4., 6.]])
    """
    _check_callable(f, "jacobian")
    @functools.wraps(f)
    def jac(*args):
        single = isinstance(argnums, int)
        nums = _argnums_tuple(argnums, len(args))
        n_in = sum(int(np.size(x._d if isinstance(x, Tensor) else x)) for a in nums
                   for x in tree_flatten(args[a])[0])
        with _Transform() as tr:
            out, leaves, out_td, aux, flat_in, in_trees, create = _vjp_core(f, args, nums, has_aux, "jacobian",
                                                                            tr.prev)
            if sum(o.size for o in leaves) <= n_in:
                res = _jac_tree(_jacrev_blocks(leaves, flat_in, create), out_td, in_trees, single)
                return (res, (aux if create else _detach_tree(aux))) if has_aux else res
        return _jacfwd(f, args, nums, single, has_aux)
    return jac


def hessian(f: Callable, argnums: int | tuple = 0) -> Callable:
    """The Hessian of a scalar function, forward over reverse: ``jacfwd(jacrev(f))``.

    >>> import turunan as tn
    >>> hessian(lambda x: (x ** 3).sum())(tn.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    _check_callable(f, "hessian")
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f: Callable, primals, tangents):
    """The Hessian-vector product H·v of a scalar function, forward over reverse (``jvp`` of ``grad``).

    With one primal the result has its structure; with several, a tuple (one per primal).

    >>> import turunan as tn
    >>> hvp(lambda x: (x ** 3).sum(), (tn.tensor([1.0, 2.0]),), (tn.tensor([1.0, 1.0]),))
    tensor([ 6., 12.])
    """
    _check_callable(f, "hvp")
    primals, tangents = tuple(primals), tuple(tangents)
    nums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, nums), primals, tangents)[1]


def stop_gradient(x):
    """``x`` cut from every derivative (reverse and forward mode); works on pytrees.

    >>> import turunan as tn
    >>> grad(lambda x: x * stop_gradient(x))(3.0)
    tensor(3.)
    """
    def cut(v):
        if isinstance(v, Tensor):
            return type(v)._wrap(v._d)
        # a leaf that is not numbers (a string, an object array) is refused, as JAX's stop_gradient refuses it
        return v if v is None else as_operand(v, "stop_gradient")
    return tree_map(cut, x)
