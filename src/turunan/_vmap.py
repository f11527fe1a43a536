"""``turunan.vmap``: run a function written for one example on a whole batch at once, as ``jax.vmap`` and
``torch.func.vmap`` do.

Inside the function each batched argument is a Tensor holding a batched array (``turunan._batched``): it has the
shape of one example, and every primitive applied to it runs its row's batching rule, one kernel call for the
whole batch. It composes with everything: ``vmap(grad(f))`` gives per-example gradients, ``grad(vmap(f))``,
``jacfwd(jacrev(f))``, ``vmap(vmap(f))``, forward mode inside or outside.

>>> import turunan as tn
>>> x = tn.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
>>> vmap(lambda row: (row * row).sum())(x)
tensor([ 5., 25., 61.])
>>> w = tn.tensor([1.0, -1.0])
>>> vmap(tn.func.grad(lambda w, row: (w * row).sum() ** 2), in_axes=(None, 0))(w, x)   # per-example gradients
tensor([[ -2.,  -4.],
        [ -6.,  -8.],
        [-10., -12.]])
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from . import _batched, _batching, _creation
from . import _rules as R
from ._array import as_array, normalize_axis
from ._batched import BatchingError
from ._core import Tensor, apply
from ._pytree import TreeDef, tree_flatten, tree_unflatten

__all__ = ["vmap", "BatchingError"]

_RANDOMNESS = ("error", "different", "same")
def _axes_for(spec, tree, what: str) -> list:
    """One axis (int or None) per leaf of ``tree``, from ``spec``: an int/None for the whole tree, or a container of
    the tree's structure whose entries are themselves such specs (a pytree prefix, as in JAX)."""
    leaves, td = tree_flatten(tree)
    if spec is None or isinstance(spec, int) and not isinstance(spec, bool):
        return [spec] * len(leaves)
    out: list = []
    stack = [(spec, tree)]
    while stack:
        s, t = stack.pop()
        if s is None or isinstance(s, int) and not isinstance(s, bool):
            out.extend([s] * len(tree_flatten(t)[0]))
            continue
        if isinstance(s, dict) and isinstance(t, dict) and set(s) == set(t):
            keys = sorted(t) if all(isinstance(k, str) for k in t) else list(t)
            stack.extend((s[k], t[k]) for k in reversed(keys))
            continue
        if isinstance(s, (tuple, list)) and isinstance(t, (tuple, list)) and len(s) == len(t):
            stack.extend(reversed(list(zip(s, t))))
            continue
        raise ValueError(f"vmap: {what} {s!r} does not match the structure of the value it describes "
                         f"({type(t).__name__}); give an int, None, or a container of the same structure")
    return out


def vmap(f: Callable, in_axes=0, out_axes=0, randomness: str = "error", *, chunk_size: int | None = None) -> Callable:
    """``f`` mapped over an axis of its arguments: ``vmap(f)(xs)[i] == f(xs[i])``, computed in one pass.

    ``in_axes`` says which axis of each argument is the batch (an int, ``None`` for an argument shared by every
    example, or a tuple with one entry per positional argument, itself a pytree prefix); ``out_axes`` where the
    batch axis goes in each output. Keyword arguments are not batched. ``randomness`` says what random functions
    do inside: ``'error'`` (the default, as torch.func), ``'different'`` (independent draws per example) or
    ``'same'`` (one draw shared by every example). ``chunk_size`` runs the batch that many examples at a time.

    >>> import turunan as tn
    >>> vmap(tn.dot)(tn.ones((2, 3)), tn.ones((2, 3)))
    tensor([3., 3.])
    """
    if not callable(f):
        raise TypeError(f"vmap: expected a function to map, got {type(f).__name__} {f!r}")
    if randomness not in _RANDOMNESS:
        raise ValueError(f"vmap: randomness must be one of {_RANDOMNESS}, got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size must be a positive integer or None, got {chunk_size!r}")

    @functools.wraps(f)
    def mapped(*args, **kwargs):
        if isinstance(in_axes, (tuple, list)):
            if len(in_axes) != len(args):
                raise ValueError(f"vmap: in_axes has {len(in_axes)} entries but the function was called with "
                                 f"{len(args)} positional arguments; give one entry per argument (None for an "
                                 "argument that is not batched)")
            specs = list(in_axes)
        elif in_axes is None or isinstance(in_axes, int) and not isinstance(in_axes, bool):
            specs = [in_axes] * len(args)
        else:
            raise TypeError(f"vmap: in_axes must be an int, None, or a tuple of them, got {type(in_axes).__name__}")
        leaves, td = tree_flatten(list(args))
        axes = []
        for spec, a in zip(specs, args):
            axes.extend(_axes_for(spec, a, "in_axes entry"))
        size = None
        checked = []
        for x, ax in zip(leaves, axes):
            if ax is None:
                checked.append((x, None))
                continue
            t = x if isinstance(x, Tensor) else Tensor._wrap(as_array(x))
            if t.ndim == 0:
                raise ValueError(f"vmap: in_axes={ax} for an argument that is a scalar (0-d); pass in_axes=None for "
                                 "it, or give it a batch axis")
            ax = normalize_axis(ax, t.ndim, "vmap: in_axes")
            n = t.shape[ax]
            if size is None:
                size = n
            elif n != size:
                raise ValueError(f"vmap: expected all batched arguments to have the same size along their batch axis, "
                                 f"got sizes {size} and {n}")
            checked.append((t, ax))
        if size is None:
            raise ValueError("vmap: at least one argument must be batched (every in_axes entry is None); "
                             "call the function directly instead")
        if chunk_size is not None and chunk_size < size:
            return _chunked(mapped_once, checked, td, size, chunk_size, kwargs, out_axes, randomness)
        return mapped_once(checked, td, size, kwargs)

    def mapped_once(checked, td: TreeDef, size: int, kwargs):
        level = _batched.enter(size, randomness)
        try:
            inner = [x if ax is None else apply(R.vmap_in, x, level=level, axis=ax) for x, ax in checked]
            out = f(*tree_unflatten(td, inner), **kwargs)
            return _unbatch(out, level, out_axes)
        finally:
            _batched.exit(level)

    return mapped


def _unbatch(out, level: int, out_axes):
    leaves, td = tree_flatten(out)
    axes = _axes_for(out_axes, out, "out_axes")
    results = []
    for y, ax in zip(leaves, axes):
        y = y if isinstance(y, Tensor) else Tensor._wrap(as_array(y))
        present = level in _batching.levels_of(y)
        if ax is None:
            if present:
                raise ValueError("vmap: out_axes=None for an output that differs between examples; give it an "
                                 "axis (out_axes=0), or return a value that does not depend on the batched inputs")
            results.append(y)
            continue
        ax = normalize_axis(ax, y.ndim + 1, "vmap: out_axes")
        results.append(apply(R.vmap_out, y, level=level, axis=ax, present=present))
    return tree_unflatten(td, results)


def _chunked(run, checked, td: TreeDef, size: int, chunk: int, kwargs, out_axes, randomness: str):
    """The batch in pieces of ``chunk`` examples (less memory at a time), the outputs joined along their axes."""
    from . import _ops as ops
    results = []
    same = randomness == "same"
    if same:    # every chunk draws what the first drew: one draw shared by every example, as without chunks
        states = [(g, g.rng.bit_generator.state) for g in list(_creation.live_generators)]
    for start in range(0, size, chunk):
        if same and start:
            for g, state in states:
                g.rng.bit_generator.state = state
        stop = min(start + chunk, size)
        piece = [(x if ax is None else ops.getitem(x, (slice(None),) * ax + (slice(start, stop),)), ax)
                 for x, ax in checked]
        results.append(run(piece, td, stop - start, kwargs))
    leaves = [tree_flatten(r)[0] for r in results]
    out_td = tree_flatten(results[0])[1]
    axes = _axes_for(out_axes, results[0], "out_axes")
    joined = []
    for i, ax in enumerate(axes):
        parts = [lv[i] for lv in leaves]
        joined.append(parts[0] if ax is None else ops.concatenate(parts, normalize_axis(ax, parts[0].ndim, "out_axes")))
    return tree_unflatten(out_td, joined)
