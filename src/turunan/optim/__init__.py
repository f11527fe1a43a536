"""``turunan.optim``: optimisers that update parameters in place, and learning-rate schedulers.

Each step writes into the parameters' own arrays (and into per-parameter state and scratch buffers made on
the first step), so a training loop allocates no new parameter-sized arrays per step. Updates run under
``no_grad`` and bump each parameter's version, so a graph that saved the old values refuses to backward.

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

from .._core import Tensor
from .._mode import no_grad
from . import _checks

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]


class Optimizer:
    """Base class: parameter groups (dicts with ``params`` and hyper-parameters) and per-parameter state."""

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
            if not p.requires_grad:
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

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Zero the gradients in place (the buffers are reused by the next backward)."""
        from ..nn.module import _zero_grads
        _zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def _params_with_grad(self, group):
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if g.data.shape != p.data.shape:
                raise ValueError(f"gradient shape {g.shape} does not match the parameter's {p.shape}")
            yield p, g.data, self.state.setdefault(id(p), {})

    @staticmethod
    def _scratch(state: dict, p: Tensor) -> np.ndarray:
        s = state.get("scratch")
        if s is None or s.shape != p.data.shape or s.dtype != p.data.dtype:
            s = state["scratch"] = np.empty_like(p.data)
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
        with no_grad():
            for group in self.param_groups:
                for p, g, state in self._params_with_grad(group):
                    self._update(p, g, state, group)
                    p._bump_version()
        return loss

    def _update(self, p: Tensor, g: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    _SCRATCH = ("scratch", "grad_scratch")     # per-step work buffers: not state worth saving

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
                st = self.state.get(id(p))
                if st:
                    state[index[id(p)]] = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
                                           for k, v in st.items() if k not in self._SCRATCH}
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
        by_index = {}
        for a, b in zip(groups, self.param_groups):
            for i, p in zip(a["params"], b["params"]):
                by_index[self._state_index(i)] = p
        merged = []
        for a, b in zip(groups, self.param_groups):
            group = dict(b, **{k: v for k, v in a.items() if k != "params"})
            self._check_group(group)
            merged.append(group)
        state: dict[int, dict] = {}
        for i, st in state_dict["state"].items():
            p = by_index.get(self._state_index(i))
            if p is None:
                raise ValueError(f"the loaded state_dict has state for parameter index {i!r}, but its param_groups "
                                 f"number the parameters {sorted(by_index)}; was it saved from another optimiser?")
            if not hasattr(st, "items"):
                raise ValueError(f"state of parameter {i} must be a mapping, got {type(st).__name__}")
            new = {}
            for k, v in st.items():
                if isinstance(v, (np.ndarray, Tensor)):
                    v = np.asarray(v.data if isinstance(v, Tensor) else v)
                    if v.shape != p.data.shape:
                        raise ValueError(f"state {k!r} of parameter {i} has shape {v.shape}, but the parameter has "
                                         f"shape {p.data.shape}")
                    if v.dtype.kind not in "biuf" and not (v.dtype.kind == "c" and p.data.dtype.kind == "c"):
                        # a cast would drop an imaginary part or fail half way: refuse before anything changes
                        raise ValueError(f"state {k!r} of parameter {i} has dtype {v.dtype}, which cannot be cast "
                                         f"to the parameter's {p.data.dtype}")
                    v = np.array(v, dtype=p.data.dtype, copy=True)
                elif k == "step":
                    try:
                        v = _checks.index(f"state 'step' of parameter {i}", v)
                    except TypeError as e:
                        raise ValueError(str(e)) from None
                    if v < 0:
                        raise ValueError(f"state 'step' of parameter {i} must be >= 0, got {v}")
                new[k] = v
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

    d = g + wd·p;  b = μ·b + (1 − τ)·d (b = d on the first step);  d = d + μ·b (Nesterov) or b;  p −= lr·d
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        momentum = _checks.in_range("momentum", "momentum value", group["momentum"])
        dampening = _checks.in_range("dampening", "dampening value", group["dampening"], 0.0, 1.0, high_open=False)
        _checks.in_range("weight_decay", "weight_decay value", group["weight_decay"])
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p, g, state, group) -> None:
        lr, mu, damp, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        x = p.data
        s = self._scratch(state, p)
        d = g
        if wd:
            np.multiply(x, wd, out=s)
            s += g
            d = s
        if not mu:
            np.multiply(d, lr, out=s)
            x -= s
            return
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = np.array(d, copy=True)   # made once, on the first step
        else:
            buf *= mu
            if damp:
                np.multiply(d, 1 - damp, out=s)    # d is no longer needed: Nesterov forbids dampening
                buf += s
            else:
                buf += d
        if group["nesterov"]:
            np.multiply(d, lr, out=s)              # p -= lr·(d + μ·b), in two in-place steps
            x -= s
            np.multiply(buf, lr * mu, out=s)
            x -= s
        else:
            np.multiply(buf, lr, out=s)
            x -= s


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's update; ``weight_decay`` adds wd·p to the gradient (L2).

    m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
    """

    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        if isinstance(betas, list):
            betas = tuple(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

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
        x = p.data
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
        if wd and self.decoupled:
            x *= 1 - lr * wd                       # AdamW: decay the weights, not the gradient
        elif wd:
            g2 = state.get("grad_scratch")
            if g2 is None:
                g2 = state["grad_scratch"] = np.empty_like(x)
            np.multiply(x, wd, out=g2)
            g2 += g
            g = g2
        np.subtract(g, m, out=s)                   # m += (1−β₁)(g − m): a lerp, as PyTorch computes it
        s *= 1 - b1
        m += s
        v *= b2
        np.multiply(g, g, out=s)
        s *= 1 - b2
        v += s
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        np.sqrt(v, out=s)
        s /= math.sqrt(1 - b2 ** t)
        s += eps
        np.divide(m, s, out=s)
        s *= lr / (1 - b1 ** t)
        x -= s


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): p *= 1 − lr·wd, then the Adam step."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


from . import lr_scheduler  # noqa: E402  (the schedulers need Optimizer defined above)
