"""Batching rules: how a primitive runs on a batch of examples at once (the ``batch`` column of the table).

A batching rule has the signature ``batch(b, *inputs, **params)``. Each batched input arrives as its physical
array with ``b.nb`` leading batch axes (one per vmap level in ``b.levels``; size 1 where that input does not vary
along the level); ``b.batched[i]`` says whether input ``i`` is batched (an unbatched input is its plain value).
The rule returns the physical result, with the same ``b.nb`` leading batch axes. It runs the row's ordinary
kernel once, on the whole batch: that is what makes ``vmap`` fast.

The vocabulary, as for forward rules, is a few rule shapes that most rows take from their tag:

* ``elementwise(fwd)``: broadcasting ops (the ``ELEMENTWISE`` tag, ``matmul``): each batched input gets 1s
  between its batch axes and its own axes, up to the largest rank, and broadcasting does the rest;
* ``along_axis(fwd)``: ops with an ``axis`` parameter (the ``REDUCTION`` tag, cumsum, log_softmax): the axis moves
  past the batch axes;
* ``flattened(fwd)``: ops on the trailing axes of a stack (im2col): the batch axes merge with the first one;

and explicit rules below for shapes, indexing and einsum. ``LEVELS`` marks the rows that move values in and
out of a level themselves (``vmap_in``, ``vmap_out``).

``dispatch`` is ``turunan._core.batch_hook`` while a vmap runs: it finds the batched inputs of an op, aligns
their levels, runs the rule and records the result through the core, as ``apply`` would have.
"""

from __future__ import annotations

import numpy as np

from . import _batched, _core, _mode
from ._array import add_at, add_reduce, as_result, c_copy, zeros
from ._batched import SIZES, BatchedArray, BatchingError, expand
from ._core import Tensor, finish

LEVELS = "levels"   # the row handles batch levels in its own kernel (vmap_in, vmap_out, vmap_broadcast)
BROADCAST = None    # the row vmap_broadcast (turunan._rules sets it)


class Batch:
    """What a batching rule is told about its inputs."""

    __slots__ = ("nb", "levels", "batched")

    def __init__(self, levels: tuple, batched: tuple) -> None:
        self.nb = len(levels)
        self.levels = levels
        self.batched = batched

    @property
    def sizes(self) -> tuple:
        """The full batch size of each level."""
        return tuple(SIZES[lv] for lv in self.levels)

    def phys(self, v):
        """A batched value found in the parameters (an index array) as a physical array with ``nb`` batch axes."""
        return expand(v, self.levels) if type(v) is BatchedArray else v

    def unbatched(self, v):
        """An unbatched value as a physical array with ``nb`` batch axes of size 1."""
        v = as_result(v)
        return v.reshape((1,) * self.nb + v.shape)


# ---- the dispatcher --------------------------------------------------------------------------------------
def _union(a: tuple, b: tuple) -> tuple:
    return a if a == b else tuple(sorted(set(a) | set(b)))


def _levels_in(args, params) -> tuple | None:
    levels = None
    for a in args:
        d = a._d if isinstance(a, Tensor) else a
        if type(d) is BatchedArray:
            levels = d.levels if levels is None else _union(levels, d.levels)
        elif type(d) is tuple:      # an index given positionally (a rule calling scatter_add)
            levels = _index_levels(d, levels)
    index = params.get("index") if params else None
    if type(index) is tuple:
        levels = _index_levels(index, levels)
    return levels


def _index_levels(index: tuple, levels):
    for i in index:
        if type(i) is BatchedArray:
            levels = i.levels if levels is None else _union(levels, i.levels)
    return levels


def dispatch(prim, args: tuple, params: dict, raw: bool = False):
    """``_core.batch_hook``: the result of ``prim`` on ``args`` when some input is batched (else None).

    The result Tensor, recorded by the core (``finish``) as ``apply`` records; with ``raw`` (a rule running on raw
    values in a backward pass, through ``Primitive.__call__`` or a NumPy ufunc) the batched array itself.
    """
    levels = _levels_in(args, params)
    if levels is None:
        return None
    rule = prim.batch
    if rule is LEVELS:
        return None
    if rule is None:
        raise BatchingError(f"vmap: the primitive {prim.name!r} has no batching rule, so it cannot run inside vmap "
                            "(or under jacrev / jacfwd / hessian's batched passes); add batch=... to its row in the "
                            "derivative table (turunan._rules), or call it outside vmap")
    if not raw and prim.differentiable and _mode.state.enabled:
        args = _broadcast_grad_inputs(args, levels)
    vals = []
    batched = []
    for a in args:
        d = a._d if isinstance(a, Tensor) else a
        if type(d) is BatchedArray:
            vals.append(expand(d, levels))
            batched.append(True)
        else:
            vals.append(d)
            batched.append(False)
    phys = rule(Batch(levels, tuple(batched)), *vals, **params)
    if isinstance(phys, np.generic):
        phys = np.asarray(phys)
    if raw:
        return BatchedArray(phys, levels)
    return finish(prim, args, BatchedArray(phys, levels), params)


def call_raw(prim, args: tuple, params: dict | None = None):
    """A NumPy ufunc (or reshape, sum) on raw batched arrays, answered by its row's batching rule
    (``turunan._batched``)."""
    return dispatch(prim, args, params or {}, True)


def _broadcast_grad_inputs(args: tuple, levels: tuple) -> tuple:
    """An input that requires grad and is not batched along some level of the op is broadcast along it by a
    recorded op (``vmap_broadcast``), whose reverse rule sums the gradient over the examples once the level has
    ended (grad of vmap: a weight used by every example gets the sum of their gradients) and keeps one gradient
    per example while it runs (vmap of grad: per-example gradients)."""
    out = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a.requires_grad:
            d = a._d
            own = d.levels if type(d) is BatchedArray else ()
            if own != levels:
                if out is None:
                    out = list(args)
                out[i] = BROADCAST(a, levels=levels)
    return args if out is None else tuple(out)


# ---- rules that move values in and out of levels (rows vmap_in, vmap_out, vmap_broadcast, vmap_sum) ---------
def _insert_at(levels: tuple, level: int) -> int:
    return sum(1 for lv in levels if lv < level)


def vmap_in(x, level: int, axis: int):
    """``x``'s axis ``axis`` becomes the batch axis of ``level``."""
    if type(x) is BatchedArray:
        pos = _insert_at(x.levels, level)
        return BatchedArray(np.moveaxis(x.phys, len(x.levels) + axis, pos),
                            x.levels[:pos] + (level,) + x.levels[pos:])
    return BatchedArray(np.moveaxis(as_result(x), axis, 0), (level,))


def vmap_out(y, level: int, axis: int, present: bool):
    """The batch axis of ``level`` becomes ``y``'s axis ``axis`` (a new axis, repeated, where ``y`` does not vary
    along the level: ``present`` is False)."""
    size = SIZES[level]
    if type(y) is BatchedArray and level in y.levels:
        pos = y.levels.index(level)
        rest = y.levels[:pos] + y.levels[pos + 1:]
        phys = np.moveaxis(y.phys, pos, len(rest) + axis)
        spread = phys.shape[len(rest) + axis] != size
        if spread:
            phys = np.broadcast_to(phys, phys.shape[:len(rest) + axis] + (size,) + phys.shape[len(rest) + axis + 1:])
        if type(phys) is np.ndarray:
            phys = np.ascontiguousarray(phys) if not phys.flags.writeable else phys
        elif spread:    # CuPy has no read-only views (nor flags.writeable): a broadcast would alias under a write
            phys = c_copy(phys)
        return BatchedArray(phys, rest) if rest else phys
    if type(y) is BatchedArray:
        nb = len(y.levels)
        phys = np.expand_dims(y.phys, nb + axis)
        phys = c_copy(np.broadcast_to(phys, phys.shape[:nb + axis] + (size,) + phys.shape[nb + axis + 1:]))
        return BatchedArray(phys, y.levels)
    y = as_result(y)
    phys = np.expand_dims(y, axis)
    return c_copy(np.broadcast_to(phys, phys.shape[:axis] + (size,) + phys.shape[axis + 1:]))


def vmap_broadcast(x, levels: tuple):
    """``x`` seen as batched along every level of ``levels`` (size-1 batch axes where it does not vary)."""
    if type(x) is BatchedArray:
        return BatchedArray(expand(x, levels), levels)
    x = as_result(x)
    return BatchedArray(x.reshape((1,) * len(levels) + x.shape), levels)


def vmap_sum(g, own: tuple):
    """The reverse of ``vmap_broadcast``: the gradient summed over the levels ``x`` did not vary along and that have
    ended (a gradient for a value shared by every example); levels still running keep one gradient per example."""
    if type(g) is not BatchedArray:
        return g
    live = _batched.live.levels
    axes = tuple(i for i, lv in enumerate(g.levels) if lv not in own and lv not in live)
    if not axes:
        return g
    rest = tuple(lv for lv in g.levels if lv in own or lv in live)
    phys = add_reduce(g.phys, axes)
    return BatchedArray(phys, rest) if rest else phys


def levels_of(x) -> tuple:
    d = x._d if isinstance(x, Tensor) else x
    return d.levels if type(d) is BatchedArray else ()


# ---- the vocabulary --------------------------------------------------------------------------------------
def _logical_ndim(a, batched: bool, nb: int) -> int:
    return np.ndim(a) - nb if batched else np.ndim(a)


def _pad(a, nb: int, rank: int):
    """A batched physical array with 1s inserted after its batch axes, up to logical ``rank``."""
    extra = rank - (a.ndim - nb)
    return a.reshape(a.shape[:nb] + (1,) * extra + a.shape[nb:]) if extra > 0 else a


def elementwise(fwd):
    """Broadcasting ops: batched inputs padded to a common rank behind their batch axes."""
    def rule(b, *args, **params):
        nb, batched = b.nb, b.batched
        rank = max(_logical_ndim(a, t, nb) for a, t in zip(args, batched))
        args = [_pad(a, nb, rank) if t else a for a, t in zip(args, batched)]
        return fwd(*args, **params)
    return rule


def _shift_axes(axis, ndim: int, nb: int):
    if axis is None:
        return tuple(range(nb, nb + ndim))
    if isinstance(axis, tuple):
        return tuple(nb + a % ndim for a in axis) if ndim else axis
    return nb + axis % ndim if ndim else axis


def along_axis(fwd, name: str = "axis"):
    """Ops of one input with an axis parameter: the axis (None: all the logical axes) moves past the batch axes."""
    def rule(b, x, **params):
        nb = b.nb
        params = dict(params)
        params[name] = _shift_axes(params[name], x.ndim - nb, nb)
        return fwd(x, **params)
    return rule


def arg_reduction(fwd):
    """argmax / argmin: with axis None the logical axes are flattened first (the index is into the flat example)."""
    def rule(b, x, axis, keepdims):
        nb = b.nb
        nd = x.ndim - nb
        if axis is not None:
            return fwd(x, axis=_shift_axes(axis, nd, nb), keepdims=keepdims)
        out = fwd(x.reshape(x.shape[:nb] + (-1,)), axis=nb, keepdims=False)
        return out.reshape(out.shape + (1,) * nd) if keepdims else out
    return rule


def flattened(fwd, first: int = 1):
    """Ops on stacks of ``first``-axis items (im2col's images): the batch axes merge into the first axis."""
    def rule(b, x, **params):
        nb = b.nb
        lead = x.shape[:nb]
        out = fwd(x.reshape((-1,) + x.shape[nb + 1:]) if nb else x, **params)
        return out.reshape(lead + (x.shape[nb],) + out.shape[1:])
    return rule


def _full(b, a, batched: bool):
    """``a`` with every batch axis at its full size (a read-only broadcast view where it does not vary)."""
    sizes = b.sizes
    if not batched:
        a = as_result(a)
        return np.broadcast_to(a, sizes + a.shape)
    return np.broadcast_to(a, sizes + a.shape[b.nb:])


# ---- explicit rules --------------------------------------------------------------------------------------
def reshape(b, x, shape):
    return np.reshape(x, x.shape[:b.nb] + tuple(shape))


def transpose(b, x, axes):
    nb = b.nb
    nd = x.ndim - nb
    axes = tuple(range(nd))[::-1] if axes is None else axes
    return np.transpose(x, tuple(range(nb)) + tuple(nb + a % nd for a in axes))


def broadcast_to(fwd):
    def rule(b, x, shape):
        nb = b.nb
        x = _pad(x, nb, len(shape))
        return fwd(x, shape=x.shape[:nb] + tuple(shape))
    return rule


def matmul(b, x, y):
    """Operands of two dims or more (turunan's matmul promotes vectors first). A matrix shared by every example
    joins the batch into one matrix product (one BLAS call, not one per example); an inner dimension of 1 (the
    outer products of per-example weight gradients) is a broadcast multiply."""
    nb = b.nb
    bx, by = b.batched
    if bx and not by and y.ndim == 2:
        return (x.reshape(-1, x.shape[-1]) @ y).reshape(x.shape[:-1] + (y.shape[-1],))
    if by and not bx and x.ndim == 2:
        yt = np.swapaxes(y, -1, -2)
        out = (yt.reshape(-1, yt.shape[-1]) @ x.T).reshape(yt.shape[:-1] + (x.shape[0],))
        return np.swapaxes(out, -1, -2)
    rank = max(_logical_ndim(x, bx, nb), _logical_ndim(y, by, nb))
    x = _pad(x, nb, rank) if bx else x
    y = _pad(y, nb, rank) if by else y
    if x.shape[-1] == 1:    # outer products: einsum's loop beats a broadcast multiply (2.1 against 3.8 ms for 64
        return np.einsum("...i,...j->...ij", x[..., 0], y[..., 0, :])   # of 784x128) and matmul (10.9 ms)
    return np.matmul(x, y)


def concatenate(b, *xs, axis, sizes):
    return np.concatenate([_full(b, x, t) for x, t in zip(xs, b.batched)], axis=b.nb + axis)


def einsum(b, *ops, spec):
    ins, out = spec.split("->")
    ins = ins.split(",")
    used = set(spec)
    letters = "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)[:b.nb]
    if len(letters) < b.nb:
        raise BatchingError("vmap: einsum has no letters left for the batch axes")
    ops = [_full(b, o, True) if t else o for o, t in zip(ops, b.batched)]
    spec = ",".join(letters + s if t else s for s, t in zip(ins, b.batched)) + "->" + letters + out
    return np.einsum(spec, *ops, optimize=len(ops) > 2)


# indexing: a logical index applied to an operand with batch axes
def _is_array(c) -> bool:
    return type(c) is BatchedArray or isinstance(c, np.ndarray)


def _layout(b, index: tuple, ndim: int):
    """(the physical index, a function taking the physical result to logical order, its inverse) for ``index`` on
    an operand of logical ``ndim`` that has ``b.nb`` batch axes (at full size where the index is batched)."""
    nb = b.nb
    comps = list(index)
    arrays = [_is_array(c) for c in comps]
    if not any(arrays):
        return (slice(None),) * nb + tuple(comps), None, None
    advanced = [t or (isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)))
                for c, t in zip(comps, arrays)]
    pos = [i for i, t in enumerate(advanced) if t]
    contiguous = pos[-1] - pos[0] + 1 == len(pos)
    ashape = np.broadcast_shapes(*[np.shape(c) if type(c) is not BatchedArray else c.shape
                                   for c, t in zip(comps, advanced) if t])
    na = len(ashape)
    consumed = sum(1 for c in comps if c is not None and c is not Ellipsis)
    npre = 0
    for c in comps[:pos[0]]:
        npre += (ndim - consumed) if c is Ellipsis else 1 if (c is None or isinstance(c, slice)) else 0
    if not any(type(c) is BatchedArray for c in comps):
        phys = (slice(None),) * nb + tuple(comps)
        if contiguous:
            return phys, None, None
        # NumPy puts separated advanced indices' axes first, before the batch axes: move those back to the front
        src, dst = list(range(na, na + nb)), list(range(nb))
        return phys, (lambda r: np.moveaxis(r, src, dst)), (lambda v: np.moveaxis(v, dst, src))
    sizes = b.sizes
    aranges = tuple(np.arange(n).reshape((1,) * i + (n,) + (1,) * (nb - 1 - i + na)) for i, n in enumerate(sizes))
    parts = []
    for c in comps:
        if type(c) is BatchedArray:
            p = expand(c, b.levels)
            c = p.reshape(p.shape[:nb] + (1,) * (na - c.ndim) + p.shape[nb:])
        parts.append(c)
    phys = aranges + tuple(parts)
    # the batch aranges come first, so the advanced axes (batch, then the index's) always lead the result
    if contiguous and npre:
        src, dst = list(range(nb, nb + na)), list(range(nb + npre, nb + npre + na))
        return phys, (lambda r: np.moveaxis(r, src, dst)), (lambda v: np.moveaxis(v, dst, src))
    return phys, None, None


def _index_batched(index) -> bool:
    return any(type(c) is BatchedArray for c in index)


def getitem(b, x, index, basic):
    nd = x.ndim - b.nb if b.batched[0] else np.ndim(x)
    if _index_batched(index):
        x = _full(b, x, b.batched[0])
    phys, fix, _ = _layout(b, index, nd)
    out = x[phys]
    if fix is not None:
        out = fix(out)
    return out if basic else np.ascontiguousarray(out) if type(out) is np.ndarray else c_copy(out)


def scatter_add(b, v, shape, index, basic):
    vb = b.batched[0]
    phys, _, unfix = _layout(b, index, len(shape))
    out = zeros(b.sizes + tuple(shape), v.dtype, like=v)
    v = _full(b, v, vb) if _index_batched(index) or not vb else v
    if unfix is not None:
        v = unfix(v)
    if basic:
        out[phys] = v
    else:
        out = add_at(out, phys, v)      # np.add.at, also for a CuPy or Dask array
    return out


def index_update(b, x, v, index):
    xb, vb = b.batched
    nd = x.ndim - b.nb if xb else np.ndim(x)
    phys, fix, unfix = _layout(b, index, nd)
    out = c_copy(_full(b, x, xb))
    target = out[phys]
    if fix is not None:
        target = fix(target)
    # v broadcasts against the logical result of out[index], behind the batch axes
    v = _pad(v, b.nb, target.ndim - b.nb) if vb else as_result(v)
    v = np.broadcast_to(v, target.shape)
    out[phys] = unfix(v) if unfix is not None else v
    return out


# ---- NumPy calls on raw batched arrays: lifted into Tensors (turunan._batched) ---------------------------
def _lift(a: BatchedArray) -> Tensor:
    return Tensor._wrap(a)


def _unlift(r):
    if isinstance(r, Tensor):
        return r._d
    if type(r) is tuple or type(r) is list:
        return type(r)(_unlift(v) for v in r)
    return r


def _set_hook(on: bool) -> None:
    _core.batch_hook = dispatch if on else None


_batched.lift, _batched.unlift, _batched.set_hook, _batched.call_raw = _lift, _unlift, _set_hook, call_raw
