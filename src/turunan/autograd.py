"""``turunan.autograd``: backward and grad over the recorded graph (PyTorch's names and semantics).

>>> import turunan as tn
>>> x = tn.arange(3.0, requires_grad=True)
>>> g, = tn.autograd.grad((x ** 3).sum(), [x], create_graph=True)
>>> tn.autograd.grad(g.sum(), [x])[0]          # d/dx of 3x^2 summed: 6x
tensor([ 0.,  6., 12.])
"""

from __future__ import annotations

import numpy as np

from . import _engine
from ._array import refuse_complex
from ._core import Tensor
from ._mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["backward", "grad", "Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


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
        refuse_complex(out.dtype, f"output {k}")
        if g is None:
            if out._d.size != 1 and not summing:
                raise RuntimeError("grad can be implicitly created only for scalar outputs: this output has "
                                   f"shape {out.shape}; pass gradient= (e.g. ones of that shape), or call "
                                   ".sum() first")
            g = np.ones(out.shape, dtype=out.dtype)
        else:
            g_data = g._d if isinstance(g, Tensor) else np.asarray(g)
            refuse_complex(g_data.dtype, f"the head gradient of output {k}")
            if not isinstance(g, Tensor):
                g_data = g_data.astype(out.dtype, copy=False)
            if g_data.shape != out.shape:
                raise ValueError(f"head gradient has shape {g_data.shape}, but the output has shape {out.shape}; "
                                 "they must match")
            if not create_graph:
                g = g_data
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g))
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
            g = Tensor._wrap(np.asarray(g, dtype=t.dtype) if g.dtype != t.dtype else np.asarray(g))
        elif g is not None and g.dtype != t.dtype:
            g = g.astype(t.dtype)
        result.append(g)
    return tuple(result)



from ._custom import Function, FunctionCtx  # noqa: E402, F401  (user-defined rules, PyTorch style)
