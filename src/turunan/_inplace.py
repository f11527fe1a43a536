"""In-place changes: an op's result written into a tensor's own memory, with the version and leaf checks, and
the graphs of the tensors sharing that memory (its bases and views) rewritten to follow; ``x[i] = v``,
``fill_`` and ``zero_``, and PyTorch's rules for the outputs of split, chunk and unbind.
"""

from __future__ import annotations

import builtins
import numbers
import sys
import weakref

import numpy as np

from . import _mode
from . import _rules as R
from ._array import assign
from ._core import StaleViewNode, Tensor, apply
from ._elementwise import array_of, astype, where
from ._indexing import unwrap_index
from ._shapes import reshape

__all__ = ["apply_inplace", "setitem", "fill_", "zero_", "mark_multi_output_views"]


def _write(self: Tensor, value) -> None:
    """The new value into ``self``'s buffer; a Dask array, which cannot be written (np.copyto would compute it and
    write into a temporary: the tensor kept its value), is rebound to the new one (``_array.assign``)."""
    if type(self._d) is np.ndarray and type(value) is np.ndarray:
        np.copyto(self._d, value, casting="same_kind")
    else:       # (a Dask value written into memory is computed by assign: the write needs its values)
        self._d = assign(self._d, value)


def apply_inplace(self: Tensor, op, *others, overlap_ok: bool = False, direct: bool = True) -> Tensor:
    """Run ``op(self, *others)`` and write the result into ``self``'s own buffer.

    The version counter goes up, so any node that saved the old value *before* this call refuses to backward
    through it. The op itself is recorded on ``old``, a handle on the same memory and the same place in the
    graph: if its rules kept ``old`` (``y.mul_(z)`` needs y's old value for z's gradient, ``y.pow_(2)`` for
    y's), ``old`` gets a copy of the value before the write, as PyTorch saves ``original_self``. Ops whose
    rules need nothing (``+=``) copy nothing.
    """
    recording = _mode.state.enabled and (self.requires_grad or builtins.any(
        isinstance(o, Tensor) and o.requires_grad for o in others))
    if getattr(self, "_view", None) is not None:
        if not overlap_ok or recording:     # a fill of one value is harmless only where nothing is recorded
            _check_no_overlap(self)
        if not recording and _mode.state.enabled:
            _check_inplace_allowed(self, False)     # an unrecorded write through a view of a leaf that requires grad
    if not recording:
        result = op(self, *others)
        _check_inplace_shape(self, result)
        _write(self, result._d)
        self._bump_version()
        _written_unrecorded(self)
        if result._tangents is not None or self._tangents is not None:
            self._tangents = result._tangents      # forward mode: the new value's tangents (turunan.func.jvp)
            if getattr(self, "_view", None) is not None or getattr(self, "_views", None):
                _rewrite_family(self, recording=False)     # and those of the tensors sharing its memory
        return self
    _check_inplace_allowed(self, direct)
    _check_not_one_of_many(self)
    old = type(self)._result_type()._wrap(self._d, self._node, self.requires_grad)
    old._tangents = self._tangents
    unshared = sys.getrefcount(old)
    result = op(old, *others)
    _check_inplace_shape(self, result)
    if sys.getrefcount(old) > unshared:     # something recorded kept the old value: it must not see the write
        old._d = old._d.copy()
    _write(self, result._d)
    self._bump_version()
    _set_node(self, result._node)
    self.requires_grad = result.requires_grad
    if result._tangents is not None or self._tangents is not None:
        self._tangents = result._tangents      # before the views re-derive from self: they take these tangents
    _rewrite_views(self)
    return self


def _check_no_overlap(t: Tensor) -> None:
    """An expanded view shows one element in several places: an in-place op would write it once per place."""
    a = t._d
    if builtins.any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location. Please clone() the tensor before performing the operation.")


def _check_inplace_shape(self: Tensor, result: Tensor) -> None:
    if result.shape != self.shape:
        raise ValueError(f"in-place operation would change the shape from {self.shape} to {result.shape}; "
                         "use the out-of-place form")


def _check_inplace_allowed(t: Tensor, direct: bool = True) -> None:
    """A recorded in-place change must not land in a leaf that requires grad, directly or through a view."""
    if _leaf_like(t) and direct:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation (this view was "
                           "taken while its base required no grad, and PyTorch keeps such views as leaves once the "
                           "base comes to require it); take the view again, or use an out-of-place op")
    while t is not None:
        if t.requires_grad and t._node is None:
            raise RuntimeError("a leaf tensor that requires grad (or a view of one) is being used in an in-place "
                               "operation; update it inside `with turunan.no_grad():` (as optimisers do), or use "
                               "an out-of-place op")
        view = getattr(t, "_view", None)
        t = view[0] if view is not None else None


# ---- outputs of functions that return several views (PyTorch's split, chunk, unbind) ----------------------
# turunan records an in-place change through any view exactly (each output is its own getitem view), but PyTorch
# refuses these for such outputs, and its door follows: the change itself raises while it would be recorded, and
# a change to the base or a sibling makes the output unusable in autograd (turunan._core.StaleViewNode).
_MANY_VIEWS = ("This view is the output of a function that returns multiple views. Such functions do not allow the "
               "output views to be modified inplace. You should replace the inplace operation by an out-of-place one.")


def mark_multi_output_views(outputs, name: str) -> None:
    """Mark ``outputs`` (views of one base made by one call of the function ``name``) as PyTorch's multi-output
    views: see above."""
    global _any_multi_output_views
    for i, t in enumerate(outputs):
        view = getattr(t, "_view", None)
        if view is not None:
            t._view = view[:3] + ((name, i),)
            _any_multi_output_views = True
            # by the version counter the memory's users share: a write through any alias of the memory (a
            # detach()ed copy of a view, say), not only through the recorded views, makes them stale
            key = id(t._version)
            refs = _MULTI_BY_VERSION.get(key)
            if refs is None or not builtins.any(r() is not None and r()._version is t._version for r in refs):
                refs = _MULTI_BY_VERSION[key] = []
            refs.append(weakref.ref(t))


_MULTI_BY_VERSION: dict = {}    # id of a version counter -> weak references to the multi-output views sharing it


def _stale_sharing_version(t: Tensor) -> None:
    """Every multi-output view that shares ``t``'s version counter (``t``'s memory) becomes stale."""
    refs = _MULTI_BY_VERSION.get(id(t._version))
    if not refs:
        return
    alive = [v for v in (r() for r in refs) if v is not None and v._version is t._version]
    if not alive:
        del _MULTI_BY_VERSION[id(t._version)]
        return
    for v in alive:
        _stale_below(v)


def _check_not_one_of_many(t: Tensor) -> None:
    view = getattr(t, "_view", None)
    if view is not None and len(view) > 3:
        name, i = view[3]
        raise RuntimeError(f"Output {i} of {name} is a view and is being modified inplace. {_MANY_VIEWS}")


def _stale(v: Tensor) -> None:
    """Make the multi-output view ``v`` refuse any further use in autograd (its base changed in place)."""
    if v.requires_grad and v._node is not None and not isinstance(v._node, StaleViewNode):
        name, i = v._view[3]
        v._node = StaleViewNode(v._node, f"Output {i} of {name} is a view and its base or another view of its base "
                                         f"has been modified inplace. {_MANY_VIEWS}")


def _stale_below(t: Tensor) -> None:
    stack = [t]
    while stack:
        v = stack.pop()
        _stale(v)
        stack.extend(w for w in (r() for r in getattr(v, "_views", None) or ()) if w is not None and w._view[0] is v)


def _family(t: Tensor):
    """Every live tensor sharing memory with ``t`` through recorded views: the topmost base, then its views."""
    view = getattr(t, "_view", None)
    while view is not None:
        t = view[0]
        view = getattr(t, "_view", None)
    stack = [t]
    while stack:
        base = stack.pop()
        yield base
        for ref in list(getattr(base, "_views", None) or ()):
            v = ref()
            if v is not None and v._view[0] is base:
                stack.append(v)


_any_multi_output_views = False     # until the first is made, an unrecorded write has nothing to look for


def _written_unrecorded(t: Tensor) -> None:
    """After an in-place write that was not recorded (no_grad, or nothing requires grad)."""
    if not _any_multi_output_views:
        return
    _stale_sharing_version(t)   # the views of one memory share its version counter: that finds them all


def _inverse_view(base: Tensor, view: Tensor, prim, params) -> Tensor:
    """``base``'s new value, recorded in terms of its old graph and ``view``'s new graph (the row's inverse)."""
    if prim.inverse is None:
        raise RuntimeError(f"an in-place change through a {prim.name} view cannot be recorded; change a copy instead")
    return prim.inverse(base, view, **params)


# Views taken while their base required no grad, and which came to require it through an in-place change of the
# base or another view: PyTorch treats these as leaves that require grad, so an in-place change of one (or of a
# view of one) is refused with the leaf error. Their values and gradients are the same either way.
_LEAF_LIKE_VIEWS: dict = {}     # id -> weak reference (a WeakSet would compare tensors with ==)


def _leaf_like(t: Tensor) -> bool:
    ref = _LEAF_LIKE_VIEWS.get(id(t)) if _LEAF_LIKE_VIEWS else None
    return ref is not None and ref() is t


def _mark_leaf_like(t: Tensor) -> None:
    key = id(t)
    _LEAF_LIKE_VIEWS[key] = weakref.ref(t, lambda _, key=key: _LEAF_LIKE_VIEWS.pop(key, None))


def _rewrite_views(t: Tensor) -> None:
    """After a recorded in-place change of ``t``: the graphs of the tensors sharing its memory follow.

    Each base above ``t`` takes ``t``'s new values (PyTorch's CopySlices); then every live view below the
    topmost base re-derives its node from its base, so later uses see the new history. Iterative.
    """
    untracked = [m for m in _family(t) if not m.requires_grad and m is not t and getattr(m, "_view", None)]
    _rewrite_family(t)
    if _any_multi_output_views:
        _stale_sharing_version(t)     # aliases outside the family (a detach()ed view) share the counter too
    if _LEAF_LIKE_VIEWS:
        # a view kept as a leaf by an earlier change takes a history again once a change is written through it
        # (through a view taken from it, or x[i] = v on it): as PyTorch, which regenerates the grad_fn of the
        # views on the written view's chain; its siblings stay leaves (measured against PyTorch 2.13)
        chain, view = t, getattr(t, "_view", None)
        while True:
            if _leaf_like(chain):
                _LEAF_LIKE_VIEWS.pop(id(chain), None)
            if view is None:
                break
            chain = view[0]
            view = getattr(chain, "_view", None)
    for m in untracked:
        if m.requires_grad:
            _mark_leaf_like(m)


def _set_node(t: Tensor, node) -> None:
    """Give ``t`` a new history. A retained grad moves with it (PyTorch moves ``retains_grad`` to the new
    grad_fn): ``t.grad`` is then the gradient of the value after the change, not before."""
    if t._retain and node is not None:
        old = t._node
        if old is not None and old.retained is not None and old.retained() is t:
            old.retained = None
        node.retain(t)
    t._node = node


def _follow(t: Tensor, new: Tensor, recording: bool) -> None:
    """``t`` takes ``new``'s history (when recording) and its forward-mode tangents (whenever there are any)."""
    if recording:
        _set_node(t, new._node)
        t.requires_grad = new.requires_grad
    if new._tangents is not None or t._tangents is not None:
        t._tangents = new._tangents


def _rewrite_family(t: Tensor, recording: bool = True) -> None:
    """The bases above ``t`` and the views below them follow ``t``'s new value: their graphs when the change
    was recorded, and their forward-mode tangents (turunan.func.jvp) in any case."""
    child = t
    view = getattr(child, "_view", None)
    while view is not None:
        base, prim, params = view[:3]
        new = _inverse_view(base, child, prim, params)
        _follow(base, new, recording)
        child = base
        view = getattr(child, "_view", None)
    stack = [child]
    while stack:
        base = stack.pop()
        for ref in list(getattr(base, "_views", None) or ()):
            v = ref()
            if v is None or v._view[0] is not base:
                continue
            _, prim, params = v._view[:3]
            with _mode.set_grad_enabled(recording):
                fresh = apply(prim, base, **params)     # the same view, recorded from the base's new graph
            _follow(v, fresh, recording)
            if recording and len(v._view) > 3:
                _stale_below(v)     # an output of split/chunk/unbind, and every view of it: unusable
                continue
            stack.append(v)


def setitem(x: Tensor, index, value) -> None:
    idx, _ = unwrap_index(index)
    recording = _mode.state.enabled and (x.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    tangents = x._tangents or (isinstance(value, Tensor) and value._tangents)
    if not recording and not tangents:
        if _mode.state.enabled and getattr(x, "_view", None) is not None:
            _check_inplace_allowed(x, False)
        x._d[idx] = array_of(value)
        x._bump_version()
        if _any_multi_output_views:
            _written_unrecorded(x)
        return
    # PyTorch writes x[i] = v through a fresh view of x (x itself only for x[...] = v): see _LEAF_LIKE_VIEWS
    whole = index is Ellipsis or (isinstance(index, tuple) and builtins.all(i is Ellipsis for i in index))
    apply_inplace(x, lambda t, v: apply(R.index_update, t, v, index=idx), value, direct=whole)


def zero_(x: Tensor) -> Tensor:
    return fill_(x, 0)


def fill_(x: Tensor, value) -> Tensor:
    """Set every element to ``value``, in place. Recorded on a non-leaf (PyTorch's FillBackward: the gradient
    through the old values is zero; a Tensor ``value`` of one element gets the sum of the gradient); a leaf that
    requires grad is refused, as for every in-place op, outside ``no_grad``."""
    kind = type(value)
    if kind is not int and kind is not float:       # the common call, x.grad.zero_(), checks nothing more
        if isinstance(value, Tensor) and value._d.size != 1:
            raise ValueError(f"fill_ takes a number or a one-element tensor, got a tensor of shape {value.shape}")
        if not (isinstance(value, (Tensor, numbers.Number, np.generic))
                or (isinstance(value, np.ndarray) and value.ndim == 0)) or isinstance(value, (str, bytes)):
            raise TypeError(f"fill_ takes a number or a one-element tensor, got {kind.__name__}")
    recording = _mode.state.enabled and (x.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    if not recording and not x._tangents and not (isinstance(value, Tensor) and value._tangents):
        if _mode.state.enabled and getattr(x, "_view", None) is not None:
            _check_inplace_allowed(x, False)
        x._d[...] = value._d if isinstance(value, Tensor) else value
        x._bump_version()
        if _any_multi_output_views:
            _written_unrecorded(x)
        return x
    if isinstance(value, Tensor):
        value = reshape(value, ())
    return apply_inplace(x, lambda t, v: where(True, astype(v, t.dtype) if isinstance(v, Tensor) else v, t), value,
                    overlap_ok=True)     # every element gets the same value: PyTorch allows it on expanded views
