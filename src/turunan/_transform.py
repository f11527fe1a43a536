"""What the function transforms of ``turunan.func`` share: the transform context, inputs and outputs.

Every transform (reverse, forward, Jacobians) runs its function inside ``Transform``, which counts the
transforms running in this thread (a nested one must record its derivatives) and turns recording on for
reverse mode through the public grad-mode API. The helpers below turn arguments into differentiable
tensors, pick the ``argnums``, split ``has_aux`` results, detach what nothing outside can differentiate, and
regroup flat derivatives into their arguments' structure.
"""

from __future__ import annotations

import threading

import numpy as np

from . import _forward
from ._array import as_array
from ._array import zeros as _zeros
from ._core import Tensor
from ._mode import is_grad_enabled, set_grad_enabled
from ._pytree import tree_map, tree_unflatten

__all__ = ["depth", "Transform", "as_tensor", "grad_input", "argnums_tuple", "split_aux", "zeros", "nested",
           "outer_wants", "detach_tree", "regroup", "check_callable"]


class _Depth(threading.local):
    """How many transforms are running in this thread (``depth.n``; a nested one must record its derivatives).
    Per thread, as grad mode and forward-mode levels are: a transform running in another thread must not make
    this one's results recorded."""

    n = 0


depth = _Depth()


class Transform:
    """Counts running transforms (a nested one records its derivatives); reverse ones turn recording on.

    ``prev`` is the grad mode found on entry (whether recording was on outside this transform); the mode is
    restored on exit.
    """

    def __init__(self, record: bool = True) -> None:
        self.record = record

    def __enter__(self):
        self.prev = is_grad_enabled()
        self.mode = set_grad_enabled(True if self.record else self.prev)
        depth.n += 1
        return self

    def __exit__(self, *exc):
        depth.n -= 1
        self.mode.__exit__(*exc)


# ---- inputs and outputs ----------------------------------------------------------------------------------
def as_tensor(x, what: str) -> Tensor:
    """``x`` as a floating-point Tensor (a NumPy array or a number is wrapped); a clear error otherwise."""
    if isinstance(x, Tensor):
        t = x
    else:
        try:
            # a Python float keeps NumPy's dtype, float64, as in HIPS autograd and JAX with x64 (grad(f)(3.0));
            # a NumPy scalar or array keeps its own (as_array)
            t = Tensor._wrap(np.asarray(x) if type(x) is float or type(x) is complex else as_array(x))
        except TypeError:
            raise TypeError(f"{what}: expected a Tensor, a NumPy array or a number, got {type(x).__name__}") from None
    if t.dtype.kind not in "fc":
        raise TypeError(f"{what} has dtype {t.dtype}, but only floating-point inputs can be differentiated; "
                        "pass floats (e.g. 2.0 instead of 2, or x.astype('float32')), or close over integer "
                        "arguments instead of differentiating them")
    return t


def refuse_complex_basis(ts, name: str, what: str) -> None:
    """A Jacobian built on a basis of real directions (``jacfwd``'s inputs, ``jacrev``'s outputs) of a complex
    value would hold derivatives along the real axis only: refused, as JAX refuses it (without holomorphic=True)."""
    for t in ts:
        if t._d.dtype.kind == "c":
            raise TypeError(f"{name} requires real-valued {what}, but got {t._d.dtype} (a Jacobian on a real basis "
                            "would drop the imaginary directions); use grad or vjp for a real function of complex "
                            "inputs, jvp with complex tangents, or holomorphic_grad for a holomorphic function")


def grad_input(x, what: str, outer_grad: bool) -> Tensor:
    """A tensor equal to ``x`` that requires grad, connected to ``x`` where an outer transform needs it."""
    t = as_tensor(x, what)
    if t.requires_grad and outer_grad:
        return _forward.apply(_forward.alias, t)     # keeps x's node (outer grad) and tangents
    leaf = type(t)._wrap(t._d, None, True, t._version)
    if t._tangents:
        leaf._tangents = {k: v for k, v in t._tangents.items() if k in _forward.active_levels()} or None
    return leaf


def argnums_tuple(argnums, n: int) -> tuple:
    """``argnums`` (an int or a tuple of them, negative counting from the end) as a tuple of indices < ``n``."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise ValueError(f"argnums {argnums!r} is out of range for a function called with {n} positional "
                             "arguments")
    return tuple(a % n for a in nums)


def split_aux(result, has_aux: bool, name: str):
    """``(output, aux)`` of a function's result (``aux`` None without ``has_aux``)."""
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{name}(..., has_aux=True) needs the function to return a pair (output, aux), got "
                        f"{type(result).__name__}")
    return result[0], result[1]


def zeros(t: Tensor) -> Tensor:
    """Zeros of ``t``'s shape and dtype, unrecorded."""
    return type(t)._wrap(_zeros(t.shape, t.dtype, like=t._d))     # of t's array type (CuPy's: on the GPU)


def nested(inputs) -> bool:
    """Whether the derivatives must themselves be recorded (an outer transform or recording will read them)."""
    if _forward.live() or depth.n > 0:
        return True
    return is_grad_enabled() and any(isinstance(x, Tensor) and x._node is not None for x in inputs)


def outer_wants(inputs) -> bool:
    """Whether anything outside this transform can still differentiate its results: an enclosing transform,
    or recording with an input that requires grad. If nothing can, the results are returned detached (as JAX
    returns plain arrays), so no graph is kept alive by them."""
    if _forward.live() or depth.n > 0:
        return True
    return is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in inputs)


def detach_tree(tree):
    """``tree`` with every Tensor leaf detached."""
    return tree_map(lambda v: v.detach() if isinstance(v, Tensor) else v, tree)


def regroup(flat: list, in_trees, single: bool):
    """Flat derivatives back into their arguments' structures: ``in_trees`` holds (treedef, start, count) per
    argument; one result for a single ``argnums``, else a tuple."""
    grads = tuple(tree_unflatten(td, flat[s:s + n]) for td, s, n in in_trees)
    return grads[0] if single else grads


def pick_argnums(argnums, argnum, default=0):
    """``argnums`` (JAX's name) or ``argnum`` (HIPS autograd's): the arguments to differentiate; both given and
    different is an error."""
    if argnum is not None and argnums is not None and argnum != argnums and argnums != default:
        raise TypeError(f"argnum={argnum!r} and argnums={argnums!r} disagree: give one of them (argnum is HIPS "
                        "autograd's name, argnums JAX's)")
    picked = argnum if argnum is not None else argnums
    return default if picked is None else picked


def check_callable(f, name: str) -> None:
    """A transform of something that is not a function fails where it is made (as JAX's do), not at its call."""
    if not callable(f):
        raise TypeError(f"{name}: expected a function to transform, got {type(f).__name__} {f!r}")
