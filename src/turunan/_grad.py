"""``backward`` and ``grad``: the head gradients checked, then the engine's one walk (PyTorch's semantics).

The public names are ``turunan.autograd.backward`` / ``grad`` (and ``Tensor.backward``); they live here, in
the core, so that what sits below ``turunan.autograd`` (user-defined rules, Tensor's methods) can call them.
``zero_grads`` is the one way a module or an optimiser clears the gradient buffers of its parameters.
"""

from __future__ import annotations

import numpy as np

from . import _engine
from ._array import as_result, assign, head_ones, refuse_complex
from ._core import Tensor

COMPLEX_OUTPUT = ("grad requires a real-valued output, but {what} is complex ({dtype}); use holomorphic_grad / "
                  "grad(..., holomorphic=True) for a holomorphic function, or take real/abs first (or pass a head "
                  "gradient: a vector-Jacobian product)")


def _as_list(x) -> list:
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _head_grads(outputs: list, grad_outputs, create_graph: bool, summing: bool = False) -> list:
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _as_list(grad_outputs) if not isinstance(grad_outputs, Tensor) else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} head gradients for {len(outputs)} outputs")
    heads = []
    for k, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"output {k} is a {type(out).__name__}, not a turunan Tensor")
        if not out.requires_grad:
            raise RuntimeError(f"element {k} of the outputs does not require grad and has no grad_fn: nothing "
                               "that requires grad was recorded into it (set requires_grad=True on an input, "
                               "and compute it outside no_grad())")
        if g is None:
            if out._d.dtype.kind == "c":
                raise TypeError(COMPLEX_OUTPUT.format(what=f"output {k}", dtype=out.dtype))
            if out._d.size != 1 and not summing:
                raise RuntimeError("grad can be implicitly created only for scalar outputs: this output has "
                                   f"shape {out.shape}; pass gradient= (e.g. ones of that shape), or call "
                                   ".sum() first")
            g = head_ones(out._d)
        else:
            g_data = g._d if isinstance(g, Tensor) else as_result(g)
            if out._d.dtype.kind != "c":    # a complex output takes any head gradient (a vector-Jacobian product)
                refuse_complex(g_data.dtype, f"the head gradient of the real output {k}")
            if not isinstance(g, Tensor):
                g_data = g_data.astype(out.dtype, copy=False)
            if g_data.shape != out.shape:
                raise ValueError(f"head gradient has shape {g_data.shape}, but the output has shape {out.shape}; "
                                 "they must match")
            if not create_graph:
                g = g_data
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._wrap(as_result(g))
        heads.append(g)
    return heads


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None, *, sum_non_scalar: bool = False) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves (or only of ``inputs``)."""
    outputs = _as_list(tensors)
    heads = _head_grads(outputs, grad_tensors, create_graph, sum_non_scalar)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        _engine.backward(outputs, heads, retain_graph=retain_graph, create_graph=create_graph)
        return
    inputs = _as_list(inputs)
    # a non-leaf input that retains its grad gets it from the walk too: keep its buffer as it was before this
    # pass, so that the gradient is added once, below (not twice)
    before = [(t, t._grad) for t in inputs if t._node is not None and t._retain]
    grads = _engine.backward(outputs, heads, retain_graph=retain_graph, create_graph=create_graph,
                             inputs=inputs, allow_unused=True)
    for t, g in before:
        t._grad = g
    written: set = set()
    for t, g in zip(inputs, grads):
        if g is not None:
            _engine._accumulate_leaf(t, g, create_graph, written)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False, *, sum_non_scalar: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad``.

    With ``create_graph=True`` the results are recorded, so they can be differentiated again, to any order.
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs) if not isinstance(inputs, Tensor) else [inputs]
    for k, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"input {k} is a {type(t).__name__}, not a turunan Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"input {k} does not require grad; create it with requires_grad=True (or call "
                               ".requires_grad_()) before computing the outputs")
    heads = _head_grads(outs, grad_outputs, create_graph, sum_non_scalar)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _engine.backward(outs, heads, retain_graph=retain_graph, create_graph=create_graph,
                             inputs=ins, allow_unused=allow_unused)
    result = []
    for t, g in zip(ins, grads):
        if g is not None and not isinstance(g, Tensor):
            g = as_result(g)   # a NumPy scalar as an array; a batched (vmap) or foreign array stays as it is
            g = Tensor._wrap(g.astype(t.dtype) if g.dtype != t.dtype else g)
        elif g is not None and g.dtype != t.dtype:
            g = g.astype(t.dtype)
        result.append(g)
    return tuple(result)


def zero_grads(params, set_to_none: bool) -> None:
    """Clear the ``.grad`` of ``params``: zeros written into the buffer (kept for the next backward), or None."""
    for p in params:
        g = p.grad
        if g is None:
            continue
        if set_to_none or g._node is not None or g.requires_grad:
            p._grad = None           # a recorded gradient (create_graph) is not a buffer to reuse
        else:
            if type(g._d) is np.ndarray:
                g._d.fill(0)
            else:
                g._d = assign(g._d, 0)      # a Dask array is a value: the buffer is rebound to zeros
            g._bump_version()
