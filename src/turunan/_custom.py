"""User-defined derivative rules, one mechanism under three spellings.

``custom_vjp`` and ``custom_jvp`` (JAX's spelling) and ``Function`` (PyTorch's ``torch.autograd.Function``,
with ``ctx.save_for_backward``) all become the same thing: a ``Primitive`` of the derivative table, made once
per custom function, whose forward kernel returns the output the user's forward computed, and whose rules
call the user's code. A call records an ordinary node; the engine, forward mode and every transform see a
primitive like any other.

* reverse rule: the user's backward (``Function.backward``, the ``bwd`` of ``custom_vjp``), or, for
  ``custom_jvp``, the transpose of the user's jvp (a reverse pass over the jvp, which is linear in the tangents);
* forward rule: the user's jvp (``custom_jvp``, ``Function.jvp``), or else the tangent that the user's
  forward itself carried (it is written in turunan ops, so forward mode went through it);
* higher order: in a recorded backward (``create_graph=True``) the user's backward runs on Tensors connected
  to the inputs, so it is differentiated like any other code.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _forward, _mode
from ._array import as_result
from ._batched import BatchedArray
from ._core import Primitive, Tensor, apply
from ._grad import grad

_PRIMS: dict = {}


def _pick(*vals, call, j):
    return call.out_data[j]


def _vjp_rule(g, ans, *args, index, call, j):
    return call.grad_for(g, j, index)


def _jvp_rule(tangents, ans, *args, call, j):
    return call.tangent_for(tangents, j, args)


def _batch_rule(b, *vals, call, j):
    # the user's forward already ran on the batched inputs (written in turunan's ops, it batched through them, as
    # JAX batches a custom_vjp by tracing its function): its output, at the op's batch levels
    out = call.out_data[j]
    return b.phys(out) if type(out) is BatchedArray else b.unbatched(out)


def _prim(name: str) -> Primitive:
    p = _PRIMS.get(name)
    if p is None:
        p = _PRIMS[name] = Primitive(name, _pick, [_vjp_rule], _jvp_rule, variadic=True, batch=_batch_rule)
    return p


def _as_data(x):
    """A rule's value as an array: a batched array (inside vmap) stays as it is."""
    return as_result(x)


def _wrap(x):
    return x if isinstance(x, Tensor) or x is None else Tensor._wrap(_as_data(x))


def _zeros_like(t):
    return Tensor._wrap(np.zeros(t.shape, t.dtype))


class _Call:
    """One call of a custom function: what its rules need, shared by the nodes of its outputs."""

    def __init__(self, name, args, backward, jvp) -> None:
        self.name = name
        self.args = args            # the original arguments (connected: higher order works)
        self.backward = backward    # (call, grads of outputs (Tensors), create) -> grads of args
        self.jvp = jvp              # (call, tangents of args (Tensors or None)) -> tangents of outputs, or None
        self.out_data = []
        self.out_meta = []
        self.fwd_outs = None        # the forward's own outputs, when forward-mode tangents went through it
        self._gcache = None
        self._tcache = None
        self.results = None

    # -- reverse --
    def grad_for(self, g, j, index):
        cache = self._gcache
        if cache is None or cache[0] is not g or cache[1] != j:
            create = isinstance(g, Tensor)
            gouts = [_wrap(g) if k == j else _zeros_like(m) for k, m in enumerate(self.out_meta)]
            grads = self.backward(self, gouts, create)
            if not isinstance(grads, (tuple, list)):
                grads = (grads,)
            if len(grads) != len(self.args):
                raise TypeError(f"the backward of custom function {self.name!r} returned {len(grads)} gradients, "
                                f"but it has {len(self.args)} inputs (return None for an input without one)")
            if not create:
                grads = [gr._d if isinstance(gr, Tensor) else gr for gr in grads]
            cache = self._gcache = (g, j, grads)
        out = cache[2][index]
        if out is not None and not isinstance(out, Tensor):
            out = _as_data(out)
        return out

    # -- forward --
    def tangent_for(self, tangents, j, args):
        cache = self._tcache
        if cache is None or len(cache[0]) != len(tangents) or any(a is not b for a, b in zip(cache[0], tangents)):
            tans = [None if t is None else _wrap(t) for t in tangents]
            if self.jvp is not None:
                outs = self.jvp(self, tans, [_wrap(a) if isinstance(a, np.ndarray) else a for a in args])
            else:
                outs = self._carried(tangents)
            if not isinstance(outs, (tuple, list)):
                outs = (outs,)
            cache = self._tcache = (list(tangents), outs)
        return cache[1][j]

    def _carried(self, tangents):
        """The tangents the forward's own outputs carried (the forward ran on the dual inputs)."""
        level = None
        for a, t in zip(self.args, tangents):
            if t is not None and isinstance(a, Tensor) and a._tangents:
                for k, tt in a._tangents.items():
                    if tt is t or (not isinstance(t, Tensor) and tt._d is t):
                        level = k
        if level is None:
            return [None] * len(self.out_meta)
        outs = [_forward.tangent(o, level) for o in (self.fwd_outs or [])]
        if all(o is None for o in outs):
            raise TypeError(f"custom function {self.name!r} has no forward-mode rule, and its forward does not carry "
                            "tangents (it is not written in turunan operations); define one (custom_jvp, or a jvp "
                            "staticmethod on the Function), or use reverse mode")
        return outs


def _live_tangents(args) -> bool:
    return _forward.live() and any(isinstance(a, Tensor) and a._tangents for a in args)


def _needs_node(args) -> bool:
    return (_mode.is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args)) \
        or _live_tangents(args)


def run(name: str, args: tuple, outs, call: _Call, constant=()):
    """Give the outputs ``outs`` of a custom function their node(s): one application of its primitive each."""
    single = not isinstance(outs, (tuple, list))
    outs_l = [outs] if single else list(outs)
    call.fwd_outs = outs_l if _live_tangents(args) else None
    prim = _prim(name)
    for o in outs_l:
        diff = isinstance(o, Tensor) and o.dtype.kind in "fc" and not any(o is c for c in constant)
        call.out_data.append(o._d if diff else None)
        # only shapes and dtypes of the outputs are kept: zeros for the others' cotangents are made from them
        call.out_meta.append(_Meta(np.shape(o._d if isinstance(o, Tensor) else o),
                                   o.dtype if isinstance(o, Tensor) else np.float64))
    results = [o if call.out_data[j] is None else apply(prim, *args, call=call, j=j) for j, o in enumerate(outs_l)]
    call.out_data = [None] * len(call.out_data)    # the outputs hold their arrays; the call need not
    return results[0] if single else type(outs)(results) if isinstance(outs, tuple) else results


class _Meta:
    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype) -> None:
        self.shape, self.dtype = shape, dtype


def _detached(args):
    return tuple(Tensor._wrap(a._d, None, False, a._version) if isinstance(a, Tensor) else a for a in args)


# ---- JAX style -------------------------------------------------------------------------------------------
class custom_vjp:
    """A function with a user-defined reverse rule (JAX's ``jax.custom_vjp``).

    ``fwd(*args)`` returns ``(output, residuals)``; ``bwd(residuals, g)`` returns one cotangent per argument
    (a tuple). Written in turunan ops, ``bwd`` is differentiated again for higher orders.

    >>> import turunan as tn
    >>> @custom_vjp
    ... def clip_grad(x):
    ...     return x * 1.0
    >>> clip_grad.defvjp(lambda x: (x * 1.0, None), lambda res, g: (tn.clip(g, -1.0, 1.0),))
    >>> tn.grad(lambda x: (clip_grad(x) * 5.0).sum())(tn.tensor([1.0]))    # 5 clipped to 1
    tensor([1.])
    """

    def __init__(self, fun, nondiff_argnums: tuple = ()) -> None:
        if not callable(fun):
            raise TypeError(f"{type(self).__name__}: expected a function, got {type(fun).__name__} {fun!r}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = self.bwd = None
        self._in_fwd = 0
        self.nondiff_argnums = tuple(nondiff_argnums)

    def defvjp(self, fwd, bwd) -> None:
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise AttributeError(f"no VJP defined for custom_vjp function {self.__name__}; call .defvjp(fwd, bwd)")
        args = tuple(_as_input(a) for a in args)
        if self._in_fwd or not _needs_node(args):
            return self.fun(*args)        # (inside fwd, a call of the function itself is its primal)
        self._in_fwd += 1
        try:
            out, res = self.fwd(*args)    # on the connected inputs: residuals are differentiable
        finally:
            self._in_fwd -= 1
        nd = self.nondiff_argnums
        bwd = self.bwd

        def backward(call, gouts, create):
            g = gouts[0] if len(gouts) == 1 else tuple(gouts)
            with _mode.set_grad_enabled(create):
                grads = bwd(*[args[i] for i in nd], res, g)
            grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
            for i in nd:
                grads.insert(i, None)
            return grads
        return run(getattr(self, "__name__", "custom_vjp"), args, out, _Call(self.__name__, args, backward, None))


class custom_jvp:
    """A function with a user-defined forward rule (JAX's ``jax.custom_jvp``); reverse mode transposes it.

    ``@f.defjvp`` registers ``jvp(primals, tangents) -> (primal_out, tangent_out)``, linear in the tangents.

    >>> import turunan as tn
    >>> @custom_jvp
    ... def log1pexp(x):
    ...     return tn.log1p(tn.exp(x))
    >>> @log1pexp.defjvp
    ... def _(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t * tn.sigmoid(x)
    >>> tn.grad(lambda x: log1pexp(x).sum())(tn.tensor([20.0]))
    tensor([1.])
    """

    def __init__(self, fun, nondiff_argnums: tuple = ()) -> None:
        if not callable(fun):
            raise TypeError(f"{type(self).__name__}: expected a function, got {type(fun).__name__} {fun!r}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.jvp = None
        self.nondiff_argnums = tuple(nondiff_argnums)

    def defjvp(self, jvp):
        self.jvp = jvp
        return jvp

    def __call__(self, *args):
        if self.jvp is None:
            raise AttributeError(f"no JVP defined for custom_jvp function {self.__name__}; decorate one with "
                                 "@f.defjvp")
        args = tuple(_as_input(a) for a in args)
        if not _needs_node(args):
            return self.fun(*args)
        with _mode.no_grad():
            out = self.fun(*_detached(args))
        user_jvp = self.jvp

        def jvp(call, tans, prims):
            full = [t if t is not None else (_zeros_like(a) if isinstance(a, Tensor) else None)
                    for a, t in zip(prims, tans)]
            _, tout = user_jvp(tuple(prims), tuple(full))
            return tout

        def backward(call, gouts, create):
            prims = call.args if create else _detached(call.args)
            leaves = [Tensor._wrap(np.zeros(a.shape, a.dtype), None, True) if isinstance(a, Tensor) else None
                      for a in prims]
            with _mode.enable_grad():
                _, tout = user_jvp(tuple(prims), tuple(leaves))
            touts = list(tout) if isinstance(tout, (tuple, list)) else [tout]
            pairs = [(t, g) for t, g in zip(touts, gouts) if isinstance(t, Tensor) and t.requires_grad]
            want = [lf for lf in leaves if lf is not None]
            if not pairs or not want:
                return [None] * len(prims)
            gs = iter(grad([t for t, _ in pairs], want, [g for _, g in pairs], retain_graph=create,
                            create_graph=create, allow_unused=True))
            return [next(gs) if lf is not None else None for lf in leaves]

        return run(self.__name__, args, out, _Call(self.__name__, args, backward, jvp))


def _as_input(a):
    if isinstance(a, Tensor) or not isinstance(a, (np.ndarray, float, np.floating)):
        return a
    return Tensor._wrap(np.asarray(a))


# ---- PyTorch style ---------------------------------------------------------------------------------------
class FunctionCtx:
    """What ``forward`` stores for ``backward`` (PyTorch's ``ctx``)."""

    def __init__(self) -> None:
        self._saved = ()
        self.needs_input_grad = ()
        self._non_diff = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for ``backward``; read them back from ``ctx.saved_tensors``."""
        self._saved = tensors

    def save_for_forward(self, *tensors) -> None:
        self._saved_fwd = tensors

    @property
    def saved_tensors(self) -> tuple:
        return tuple(self._saved)

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_diff = outputs

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        pass


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns) -> None:
        super().__init__(name, bases, ns)
        cls._prim_name = name


class Function(metaclass=_FunctionMeta):
    """A differentiable operation with hand-written derivatives (PyTorch's ``torch.autograd.Function``).

    Define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as staticmethods (and optionally
    ``jvp(ctx, *tangents)`` for forward mode); call it with ``MyFunction.apply(*args)``. ``forward`` runs
    without recording; written in turunan ops, ``backward`` is differentiated again for higher orders.

    >>> import turunan as tn
    >>> class Exp(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = tn.exp(x)
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * y
    >>> x = tn.tensor([0.0, 1.0], requires_grad=True)
    >>> Exp.apply(x).sum().backward()
    >>> x.grad
    tensor([1.      , 2.718282])
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args) as a staticmethod")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs) as a staticmethod")

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx()
        grad_on = _mode.is_grad_enabled()
        ctx.needs_input_grad = tuple(grad_on and isinstance(a, Tensor) and a.requires_grad for a in args)
        live = _live_tangents(args)
        node = _needs_node(args)
        with _mode.set_grad_enabled(live and grad_on):
            outs = cls.forward(ctx, *args)
        if not node:
            return outs
        saved_outs = {id(o): i for i, o in enumerate(outs if isinstance(outs, (tuple, list)) else (outs,))}
        has_jvp = cls.jvp is not Function.jvp

        def backward(call, gouts, create):
            saved = ctx._saved
            if any(id(s) in saved_outs for s in saved):     # saved outputs: the recorded ones
                res = call.results if isinstance(call.results, (tuple, list)) else (call.results,)
                ctx._saved = tuple(res[saved_outs[id(s)]] if id(s) in saved_outs else s for s in saved)
            try:
                with _mode.set_grad_enabled(create):
                    return cls.backward(ctx, *gouts)
            finally:
                ctx._saved = saved

        def jvp(call, tans, prims):
            full = [t if t is not None else (_zeros_like(a) if isinstance(a, Tensor) else None)
                    for a, t in zip(prims, tans)]
            return cls.jvp(ctx, *full)

        call = _Call(cls._prim_name, args, backward, jvp if has_jvp else None)
        results = run(cls._prim_name, args, outs, call, constant=ctx._non_diff)
        if saved_outs and any(id(s) in saved_outs for s in ctx._saved):
            call.results = results      # a reference cycle (node -> call -> outputs), as saved outputs need
        return results

    @staticmethod
    def jvp(ctx, *tangents):
        raise NotImplementedError
