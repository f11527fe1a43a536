"""``turunan.optim``: optimisers that update parameters in place, and learning-rate schedulers.

Each step writes into the parameters' own arrays (and into per-parameter state and scratch buffers made on
the first step), so a training loop allocates no new parameter-sized arrays per step. Updates run under
``no_grad`` and bump each parameter's version, so a graph that saved the old values refuses to backward.
They read the arrays through the slot ``_d``, as the engine does: a front door's ``.data`` may be a Tensor
(PyTorch's ``p.data`` is), and the optimisers need the array itself.

>>> import turunan as tn
>>> from turunan import optim
>>> w = tn.tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w
tensor([ 0.8, -1.6], requires_grad=True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .._array import is_lazy
from .._core import Tensor
from .._grad import zero_grads as _zero_grads
from .._mode import no_grad
from . import _checks
from ._rebind import Rebind, boxed, needs_rebind, unboxed

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]


class Optimizer:
    """Base class: parameter groups (dicts with ``params`` and hyper-parameters) and per-parameter state."""

    # a parameter that does not require grad is refused (a likely mistake); the PyTorch door accepts it, as
    # PyTorch does (fine-tuning passes a model's frozen parameters too): it gets no grad, so no step moves it
    _frozen_ok = False

    def __init__(self, params, defaults: dict) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors (e.g. model.parameters()), not one Tensor")
        params = list(params)
        if not params:
            raise ValueError("the optimiser got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}    # id(param) -> its state (momentum, moments, step count, scratch)
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        if not hasattr(group, "keys") or "params" not in group:
            raise TypeError("a parameter group is a dict with a 'params' entry (and optional hyper-parameters), "
                            f"got {group!r:.80}")
        group = dict(group)
        ps = group["params"]
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in ps:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimisers update Tensors, got a {type(p).__name__}")
            if p._node is not None:
                raise ValueError("can only optimise leaf tensors (a result of an operation was given)")
            if not p.requires_grad and not self._frozen_ok:
                raise ValueError("a parameter given to the optimiser does not require grad")
            if id(p) in seen:
                raise ValueError("a parameter appears in more than one parameter group (or twice)")
            seen.add(id(p))
        group["params"] = ps
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict) -> None:
        """Raise if a hyper-parameter of ``group`` is not a usable number (subclasses add their own)."""
        if "lr" in group:
            _checks.learning_rate(group["lr"])

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients: to None (PyTorch 2's default), or, with ``set_to_none=False``, zeros written
        into the same buffers (reused by the next backward).

        ``step()`` skips a parameter whose grad is None, as PyTorch's optimisers do: one that got no gradient
        since (a layer unused in this step) stays put, and its momentum and Adam moments are left as they were.
        A zeroed buffer is a gradient of zero, so with ``set_to_none=False`` momentum, weight decay and Adam's
        moments go on for that parameter, also as in PyTorch.
        """
        _zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def _params_with_grad(self, group):
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if g._d.shape != p._d.shape:
                raise ValueError(f"gradient shape {g.shape} does not match the parameter's {p.shape}")
            yield p, g._d, self.state.setdefault(id(p), {})

    @staticmethod
    def _scratch(state: dict, p: Tensor, key: str = "scratch") -> np.ndarray:
        s = state.get(key)
        if s is None or s.shape != p._d.shape or s.dtype != p._d.dtype:
            s = state[key] = np.empty_like(p._d)
        return s

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure`` re-evaluates the loss if given."""
        loss = None
        if closure is not None:
            from .._mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            # a rate set by hand or by a scheduler since the last step: refused before any parameter moves
            self._check_group(group)
            self._check_ready(group)
        with no_grad():
            steps = [(group, p, g, state) for group in self.param_groups
                     for p, g, state in self._params_with_grad(group)]
            self._compute_lazy_grads(steps)
            for group, p, g, state in steps:
                if needs_rebind(p._d):
                    self._rebinding_update(p, g, state, group)
                else:
                    self._update(p, g, state, group)
                p._bump_version()
        return loss

    @staticmethod
    def _compute_lazy_grads(steps: list) -> None:
        """A parameter held in memory whose gradient is lazy (Dask data through NumPy weights) is updated with the
        gradient's values: all of a step's computed in one ``dask.compute`` (the graph they share runs once), and
        kept as the ``.grad`` (read again, it computes nothing)."""
        lazy = [i for i, (_, p, g, _) in enumerate(steps) if is_lazy(g) and not needs_rebind(p._d)]
        if not lazy:
            return
        from ..lazy import compute
        for i, value in zip(lazy, compute([steps[i][2] for i in lazy])):
            group, p, _, state = steps[i]
            p._grad._d = value._d
            steps[i] = (group, p, value._d, state)

    def _rebinding_update(self, p: Tensor, g, state: dict, group: dict) -> None:
        """The same ``_update`` on a parameter whose array cannot be written in place (Dask): on boxes that rebind
        (``_rebind``), then the new arrays go back into the parameter and its state. On an error nothing changes."""
        data, saved = p._d, dict(state)
        box = Rebind(data)
        p._d = box
        try:
            self._update(p, Rebind(g), boxed(state), group)
            p._d = box.a
        except BaseException:
            p._d = data
            state.clear()
            state.update(saved)
            raise
        unboxed(state)

    def _check_ready(self, group: dict) -> None:
        """Raise, before any parameter moves, if ``group``'s state cannot be stepped (subclasses say when)."""

    def _update(self, p: Tensor, g: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    _SCRATCH = _checks.SCRATCH_KEYS            # per-step work buffers: not state worth saving

    def _state_layout(self, group: dict) -> _checks.StateLayout | None:
        """The per-parameter state this optimiser's step reads under ``group``'s settings (None: not declared,
        so only generic checks apply to a loaded state)."""
        return None

    def state_dict(self) -> dict:
        """PyTorch's layout: ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are numbered in the order of the groups; the arrays are copies.
        """
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in g["params"]]
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                st = {k: (v.copy() if hasattr(v, "shape") and not isinstance(v, np.generic) else v)
                      for k, v in self.state.get(id(p), {}).items() if k not in self._SCRATCH}
                if st:                         # only scratch (SGD without momentum): nothing to save, as PyTorch
                    state[index[id(p)]] = st
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict`` saved, onto this optimiser's parameters (same groups, same order).

        Everything is checked before anything changes: on an error the optimiser is left as it was.
        """
        if not hasattr(state_dict, "get") or not isinstance(state_dict.get("param_groups"), (list, tuple)) \
                or not hasattr(state_dict.get("state"), "items"):
            raise ValueError("an optimiser state_dict is a mapping with 'state' (a mapping) and 'param_groups' "
                             "(a list), as Optimizer.state_dict() returns; got "
                             f"{type(state_dict).__name__}")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                not hasattr(a, "get") or len(a.get("params", ())) != len(b["params"])
                for a, b in zip(groups, self.param_groups)):
            raise ValueError("the loaded state_dict has a different number of parameter groups, or of parameters "
                             "in a group, than this optimiser")
        merged = []
        for a, b in zip(groups, self.param_groups):
            group = dict(b, **{k: v for k, v in a.items() if k != "params"})
            self._check_group(group)
            merged.append(group)
        by_index = {}                          # saved index -> (parameter, the group settings it will step under)
        for a, b, group in zip(groups, self.param_groups, merged):
            for i, p in zip(a["params"], b["params"]):
                if self._state_index(i) in by_index:
                    raise ValueError(f"the loaded state_dict's param_groups number two parameters {i!r}")
                by_index[self._state_index(i)] = p, group
        state: dict[int, dict] = {}
        for i, st in state_dict["state"].items():
            p, group = by_index.get(self._state_index(i), (None, None))
            if p is None:
                raise ValueError(f"the loaded state_dict has state for parameter index {i!r}, but its param_groups "
                                 f"number the parameters {sorted(by_index)}; was it saved from another optimiser?")
            # complete, and shaped and typed like the parameter, for the step it will take: a partial state
            # would fail half way through step() with a bare KeyError
            new = _checks.param_state(i, st, p._d, self._state_layout(group))
            if new:
                state[id(p)] = new
        self.state = state
        for group, b in zip(merged, self.param_groups):
            b.update(group)

    @staticmethod
    def _state_index(i) -> int:
        if isinstance(i, str) and i.isdigit():
            return int(i)                  # a state_dict that went through JSON has string keys
        try:
            return _checks.index("parameter index", i)
        except TypeError as e:
            raise ValueError(f"an optimiser state_dict numbers parameters with integers: {e}") from None

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, weight decay and Nesterov (PyTorch's rule).

    d = ±g + wd·p (−g with ``maximize``);  b = μ·b + (1 − τ)·d (b = d on the first step);
    d = d + μ·b (Nesterov) or b;  p −= lr·d

    ``momentum_carries_lr=True`` is the convention of MXNet and Keras: the buffer holds steps, not gradients,
    b = μ·b + lr·(1 − τ)·d (b = lr·d first), p −= b (Nesterov: p −= lr·d + μ·b). With a constant rate it is the
    same walk; after the rate changes, the old steps keep their old rate.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 momentum_carries_lr: bool = False) -> None:
        self.momentum_carries_lr = bool(momentum_carries_lr)   # a door's convention, not a group option
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _state_layout(self, group: dict) -> _checks.StateLayout:
        # the buffer is made by the first step with momentum, so a state without one is a fresh start
        return _checks.StateLayout("SGD", arrays=("momentum_buffer",), optional=("momentum_buffer",))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        momentum = _checks.in_range("momentum", "momentum value", group["momentum"])
        dampening = _checks.in_range("dampening", "dampening value", group["dampening"], 0.0, 1.0, high_open=False)
        _checks.in_range("weight_decay", "weight_decay value", group["weight_decay"])
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p, g, state, group) -> None:
        lr, mu, damp, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        x = p._d
        if group["maximize"]:
            g = np.negative(g, out=self._scratch(state, p, "grad_scratch"))    # ascend: step along +g
        s = self._scratch(state, p)
        d = sgd_decayed(x, g, s, wd) if wd else g
        if mu and self.momentum_carries_lr:
            self._carried_momentum_step(x, d, state, group)
            return
        buf = None
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = d.copy()     # made once, on the first step
            else:
                sgd_momentum(buf, d, s, mu, 1 - damp, bool(damp))
        sgd_descend(x, d, buf, s, lr, lr * mu, group["nesterov"])

    @staticmethod
    def _carried_momentum_step(x, d, state, group) -> None:
        """MXNet's and Keras' momentum: the buffer accumulates steps (lr·d), so it carries their rates."""
        lr, mu, damp = group["lr"], group["momentum"], group["dampening"]
        step = d * lr                              # its own array: d may be a scratch buffer
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = step.copy()
        else:
            buf *= mu
            buf += step if not damp else step * (1 - damp)
        if group["nesterov"]:
            x -= step
            x -= mu * buf
        else:
            x -= buf


# ---- the updates' arithmetic on arrays -----------------------------------------------------------------------
# Shared by the optimisers' steps and by tn.jit's traced updates (turunan._jit_reach), which call them with the
# numbers as live slots of a trace: the same NumPy calls in the same order, so a replay gives a step's bits. Python
# decides only on flags here; every number is an argument.

def sgd_decayed(x, g, s, wd):
    """L2 weight decay: ``g + wd·x``, written into the scratch array ``s`` (returned)."""
    np.multiply(x, wd, out=s)
    s += g
    return s


def sgd_momentum(buf, d, s, mu, damp1, damp_on: bool) -> None:
    """``buf = mu·buf + (1 - dampening)·d`` in place (``damp1``: 1 - dampening)."""
    buf *= mu
    if damp_on:
        np.multiply(d, damp1, out=s)       # d is no longer needed: Nesterov forbids dampening
        buf += s
    else:
        buf += d


def sgd_descend(x, d, buf, s, lr, lrmu, nesterov: bool) -> None:
    """``x -= lr·d`` (no momentum: ``buf`` None), ``x -= lr·buf``, or Nesterov's ``x -= lr·(d + mu·buf)`` in two
    in-place steps (``lrmu``: lr·mu)."""
    if buf is None or nesterov:
        np.multiply(d, lr, out=s)
        x -= s
    if buf is not None:
        np.multiply(buf, lrmu if nesterov else lr, out=s)
        x -= s


def adam_moments_step(x, g, s, m, v, vmax, omb1, b2, omb2, eps, corr2, rate, epsilon_hat: bool) -> None:
    """Adam's moments and step, in place: ``m += (1-b1)(g - m)`` (a lerp, as PyTorch computes it), ``v = b2·v +
    (1-b2)·g²``, the running maximum ``vmax`` (amsgrad) or None, then ``x -= rate · m / (sqrt(v)/corr2 + eps)``
    (``corr2``: sqrt(1 - b2^t); ``rate``: lr / (1 - b1^t); ``epsilon_hat``: eps added before the correction)."""
    np.subtract(g, m, out=s)
    s *= omb1
    m += s
    v *= b2
    np.multiply(g, g, out=s)
    s *= omb2
    v += s
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        v = vmax
    np.sqrt(v, out=s)
    if epsilon_hat:
        s += eps
        s /= corr2
    else:
        s /= corr2
        s += eps
    np.divide(m, s, out=s)
    s *= rate
    x -= s


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's update; ``weight_decay`` adds wd·p to the gradient (L2).

    m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)

    ``maximize`` steps along +g; ``decoupled_weight_decay=True`` is AdamW (PyTorch's flag of the same name).
    ``epsilon_hat=True`` is the convention of TensorFlow/Keras and MXNet (Kingma & Ba's "ε̂" form): ε is added
    outside the bias correction, p −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε) (PyTorch's rule with ε' = ε/√(1−β₂ᵗ)).
    """

    decoupled = False        # AdamW: always decoupled, whatever a loaded group says (as PyTorch's AdamW)

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False, epsilon_hat: bool = False) -> None:
        self.epsilon_hat = bool(epsilon_hat)      # a convention of the doors, not a group option (PyTorch's keys)
        if isinstance(betas, list):
            betas = tuple(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def _state_layout(self, group: dict) -> _checks.StateLayout:
        moments = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
        return _checks.StateLayout(type(self).__name__, arrays=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
                                   counters=("step",), required=("step",) + moments,
                                   nonnegative=("exp_avg_sq", "max_exp_avg_sq"))

    def _check_ready(self, group: dict) -> None:
        if not group["amsgrad"]:
            return
        for p in group["params"]:
            st = self.state.get(id(p))
            if st and "step" in st and "max_exp_avg_sq" not in st:
                # PyTorch fails here with KeyError('max_exp_avg_sq'), after updating the parameters before it
                at = next(i for i, g in enumerate(self.param_groups) if g is group)
                raise ValueError(
                    f"amsgrad was switched on in parameter group {at} after its "
                    f"parameters took {type(self).__name__} steps without it, so there is no running maximum "
                    "('max_exp_avg_sq') to continue; set amsgrad when the optimiser is made")

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair of numbers (beta1, beta2), got {betas!r}")
        for i, b in enumerate(betas):
            _checks.in_range(f"betas[{i}]", f"beta parameter at index {i}", b, 0.0, 1.0)
        _checks.in_range("eps", "epsilon value", group["eps"])
        _checks.in_range("weight_decay", "weight_decay value", group["weight_decay"])

    def _update(self, p, g, state, group) -> None:
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        x = p._d
        if group["maximize"]:
            g = np.negative(g, out=self._scratch(state, p, "grad_scratch"))
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(x)
            state["exp_avg_sq"] = np.zeros_like(x)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(x)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        s = self._scratch(state, p)
        if wd and (self.decoupled or group["decoupled_weight_decay"]):
            x *= 1 - lr * wd                       # AdamW: decay the weights, not the gradient
        elif wd:
            g2 = self._scratch(state, p, "grad_scratch")
            if g is g2:                            # maximize put −g there: add wd·p through the other buffer
                np.multiply(x, wd, out=s)
                g2 += s
            else:
                np.multiply(x, wd, out=g2)
                g2 += g
            g = g2
        adam_moments_step(x, g, s, m, v, state["max_exp_avg_sq"] if group["amsgrad"] else None, 1 - b1, b2, 1 - b2,
                          eps, math.sqrt(1 - b2 ** t), lr / (1 - b1 ** t), self.epsilon_hat)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): p *= 1 − lr·wd, then the Adam step."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), PyTorch's update; ``centered`` divides by an estimate of the variance.

    g = ±g + wd·p;  s = αs + (1−α)g²;  a = √s (centered: √(s − ḡ²), ḡ = αḡ + (1−α)g) + ε;
    p −= lr·g/a, or with momentum b = μb + g/a, p −= lr·b

    TensorFlow/Keras' convention, ``keras_style=True``: ε inside the root, a = √(s + ε) (centered: √(s − ḡ² + ε)),
    and the momentum carries the rate, b = μb + lr·g/a, p −= b.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, *, maximize: bool = False,
                 keras_style: bool = False) -> None:
        self.keras_style = bool(keras_style)      # a door's convention, not a group option (PyTorch's keys)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _state_layout(self, group: dict) -> _checks.StateLayout:
        required = ("step", "square_avg") + (("momentum_buffer",) if group["momentum"] > 0 else ()) \
            + (("grad_avg",) if group["centered"] else ())
        return _checks.StateLayout("RMSprop", arrays=("square_avg", "momentum_buffer", "grad_avg"),
                                   counters=("step",), required=required, nonnegative=("square_avg",))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        _checks.in_range("alpha", "alpha value", group["alpha"])
        _checks.in_range("eps", "epsilon value", group["eps"])
        _checks.in_range("momentum", "momentum value", group["momentum"])
        _checks.in_range("weight_decay", "weight_decay value", group["weight_decay"])

    def _check_ready(self, group: dict) -> None:
        for p in group["params"]:
            st = self.state.get(id(p))
            if st and "step" in st:
                for key, on in (("momentum_buffer", group["momentum"] > 0), ("grad_avg", group["centered"])):
                    if on and key not in st:
                        raise ValueError(f"{'momentum' if key == 'momentum_buffer' else 'centered'} was switched "
                                         f"on after the parameters took RMSprop steps without it, so there is no "
                                         f"'{key}' to continue; set it when the optimiser is made")

    def _update(self, p, g, state, group) -> None:
        lr, alpha, eps, wd, mu = group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        x = p._d
        if group["maximize"]:
            g = np.negative(g, out=self._scratch(state, p, "grad_scratch"))
        if wd:
            g2 = self._scratch(state, p, "grad_scratch")
            if g is g2:
                g2 += x * wd
            else:
                np.multiply(x, wd, out=g2)
                g2 += g
            g = g2
        if "step" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(x)
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(x)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(x)
        state["step"] += 1
        sq, s = state["square_avg"], self._scratch(state, p)
        sq *= alpha                                # s = αs + (1−α)g², as PyTorch: mul_ then addcmul_
        np.multiply(g, g, out=s)
        s *= 1 - alpha
        sq += s
        if group["centered"]:
            ga = state["grad_avg"]                 # ḡ += (1−α)(g − ḡ): PyTorch's lerp
            np.subtract(g, ga, out=s)
            s *= 1 - alpha
            ga += s
            np.multiply(ga, ga, out=s)
            np.subtract(sq, s, out=s)
        else:
            np.copyto(s, sq)
        if self.keras_style:
            s += eps
            np.sqrt(s, out=s)
        else:
            np.sqrt(s, out=s)
            s += eps
        if mu > 0:
            buf = state["momentum_buffer"]
            buf *= mu
            np.divide(g, s, out=s)
            if self.keras_style:
                s *= lr                            # the buffer holds steps: it carries their rates
                buf += s
                x -= buf
                return
            buf += s
            np.multiply(buf, lr, out=s)
        else:
            np.divide(g, s, out=s)
            s *= lr
        x -= s


from . import lr_scheduler  # noqa: E402  (the schedulers need Optimizer defined above)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), PyTorch's update: each coordinate's rate shrinks with its summed squares.

    g = ±g + wd·p;  t += 1;  s += g²;  p −= lr/(1 + (t−1)·lr_decay) · g/(√s + ε)

    >>> import turunan as tn
    >>> w = tn.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step(); w      # the first step moves each coordinate by about lr
    tensor([ 0.5, -1.5], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))

    def _state_layout(self, group: dict) -> _checks.StateLayout:
        return _checks.StateLayout("Adagrad", arrays=("sum",), counters=("step",), required=("step", "sum"),
                                   nonnegative=("sum",))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _checks.in_range(key, f"{key} value", group[key])

    def _update(self, p, g, state, group) -> None:
        x = p._d
        s = self._scratch(state, p, "grad_scratch")
        np.negative(g, out=s) if group["maximize"] else np.copyto(s, g)
        if group["weight_decay"]:
            s += x * x.dtype.type(group["weight_decay"])
        if "step" not in state:
            state["step"] = 0
            state["sum"] = np.full_like(x, group["initial_accumulator_value"])
        state["step"] += 1
        total = state["sum"]
        total += s * s
        rate = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s /= np.sqrt(total) + x.dtype.type(group["eps"])
        s *= x.dtype.type(rate)
        x -= s
