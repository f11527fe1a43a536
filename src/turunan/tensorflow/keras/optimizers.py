"""``tf.keras.optimizers``: ``SGD``, ``Adam`` and ``RMSprop`` (``Adagrad`` is not here yet);
``apply_gradients(zip(grads, variables))`` updates the variables (not recorded), through ``turunan.optim`` in
Keras' conventions:

- ``SGD(learning_rate=0.01, momentum=0, nesterov=False)``: ``velocity = momentum * velocity - lr * g``;
  ``w = w + velocity`` (Nesterov: ``w = w + momentum * velocity - lr * g``): the velocity carries the rate
  (``optim.SGD(momentum_carries_lr=True)``);
- ``Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)``:
  ``w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)`` (``optim.Adam(epsilon_hat=True)``);
- ``RMSprop(learning_rate=0.001, rho=0.9, momentum=0, epsilon=1e-7, centered=False)``: ``ms = rho * ms +
  (1 - rho) * g^2``; ``mom = momentum * mom + lr * g / sqrt(ms + epsilon)``; ``w -= mom`` (TensorFlow's documented
  rule: epsilon inside the root, the momentum carrying the rate; ``optim.RMSprop(keras_style=True)``);

``weight_decay`` (Keras 2.11's optimizer) first does ``w = w - w * weight_decay * lr``; ``clipvalue``, ``clipnorm``
(each gradient) and ``global_clipnorm`` (all together) clip the gradients first. A gradient that is None is
skipped with a warning, as Keras does; if all are None, ``apply_gradients`` raises. State (the slots) is made
for a variable the first time it is updated (the legacy optimizer's way). As this project's other optimisers,
it refuses a NaN, infinite or negative rate (Keras would take it).
"""

from __future__ import annotations

import math as _math
import warnings as _warnings

import numpy as _np

import turunan as _tn

from ... import optim as _optim
from ..._doors import lacking as _lacking
from .._tape import GradientTape as _GradientTape
from .._tensor import Variable as _Variable


def _number(value, what: str, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, _np.integer, _np.floating)):
        if isinstance(value, _tn.Tensor) and value.ndim == 0:
            value = float(value._d)
        else:
            raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r:.40}")
    value = float(value)
    if not _math.isfinite(value) or value < low or (high is not None and value > high):
        span = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"Invalid {what}: {value} (it must be finite and {span})")
    return value


class Optimizer:
    """Keras' optimizer base: ``apply_gradients``, ``minimize``, ``learning_rate``, ``iterations``."""

    def __init__(self, learning_rate=0.001, name: str = "Optimizer", weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, **kwargs) -> None:
        kwargs.pop("use_ema", None)
        kwargs.pop("jit_compile", None)
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        if kwargs:
            raise TypeError(f"Keyword argument not understood: {sorted(kwargs)[0]!r}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.name = name
        self.learning_rate = learning_rate
        self.weight_decay = None if weight_decay is None else _number(weight_decay, "weight_decay")
        self.clipnorm = None if clipnorm is None else _number(clipnorm, "clipnorm")
        self.clipvalue = None if clipvalue is None else _number(clipvalue, "clipvalue")
        self.global_clipnorm = None if global_clipnorm is None else _number(global_clipnorm, "global_clipnorm")
        self.iterations = _Variable(_np.int64(0), trainable=False, name="iteration")
        self._shadows: dict = {}    # id(variable) -> (its core tensor, the variable, kept alive)
        self._core = None           # the turunan.optim optimiser, made at the first step

    @property
    def learning_rate(self) -> float:
        lr = self._learning_rate
        return _number(lr() if callable(lr) else lr, "learning rate")

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if not callable(value):
            _number(value, "learning rate")
        self._learning_rate = value

    lr = learning_rate

    def _clip(self, grads: list) -> list:
        if self.clipvalue is not None:
            return [_np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            out = []
            for g in grads:
                n = float(_np.sqrt(_np.sum(_np.square(g, dtype=_np.float64))))
                out.append(g * (self.clipnorm / n) if n > self.clipnorm else g)
            return out
        if self.global_clipnorm is not None:
            n = float(_np.sqrt(sum(float(_np.sum(_np.square(g, dtype=_np.float64))) for g in grads)))
            if n > self.global_clipnorm:
                return [g * (self.global_clipnorm / n) for g in grads]
        return grads

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation: bool = False, **kwargs):
        """Update each variable by its gradient; returns ``iterations`` (the step count, a variable)."""
        pairs = list(grads_and_vars)
        for pair in pairs:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise TypeError("apply_gradients takes (gradient, variable) pairs: "
                                "optimizer.apply_gradients(zip(grads, variables))")
            if not isinstance(pair[1], _Variable):
                raise TypeError(f"apply_gradients updates tf.Variables, got a {type(pair[1]).__name__} (a tensor "
                                "cannot be assigned: make it a tf.Variable)")
        missing = [v for g, v in pairs if g is None]
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError(f"No gradients provided for any variable: ({[v.name for v in missing]},).")
        if missing:
            _warnings.warn(f"Gradients do not exist for variables {[v.name for v in missing]} when minimizing the "
                           "loss.", stacklevel=2)
        grads = []
        for g, v in pairs:
            arr = _np.asarray(g._d if isinstance(g, _tn.Tensor) else g)
            if arr.shape != tuple(v.shape):
                raise ValueError(f"Shapes of the gradient {arr.shape} and the variable {v.name} {tuple(v.shape)} do "
                                 "not match")
            grads.append(arr.astype(v.dtype, copy=False))
        grads = self._clip(grads)
        lr = self.learning_rate
        shadows = []
        for g, v in zip(grads, (v for _, v in pairs)):
            w = _np.array(v._d, copy=True)         # copy-on-write: values read from v before keep theirs
            if self.weight_decay:
                w = w - w * _np.asarray(self.weight_decay * lr, v.dtype)
            shadow = self._shadow_of(v, w)
            shadow.grad = _tn.Tensor(g)
            shadows.append((shadow, v))
        core = self._core_for([s for s, _ in shadows])
        for group in core.param_groups:
            group["lr"] = lr
        core.step()
        for shadow, v in shadows:
            shadow.grad = None                     # a variable left out of the next call is not stepped
            v.assign(shadow._d)
        self.iterations.assign(self.iterations._d + 1)
        return self.iterations

    def _shadow_of(self, v, w):
        """The core tensor that stands for ``v`` in ``turunan.optim`` (one per variable: it keys the state)."""
        shadow = self._shadows.get(id(v))
        if shadow is None:
            shadow = self._shadows[id(v)] = (_tn.Tensor._wrap(w, None, True), v)
        shadow[0]._d = w
        return shadow[0]

    def _core_for(self, shadows: list):
        """The ``turunan.optim`` optimiser, grown by the variables it has not seen yet."""
        if self._core is None:
            self._core = self._make_core(shadows)
            return self._core
        known = {id(p) for group in self._core.param_groups for p in group["params"]}
        new = [s for s in shadows if id(s) not in known]
        if new:
            self._core.add_param_group({"params": new})
        return self._core

    def _make_core(self, params: list):
        raise NotImplementedError

    @property
    def variables(self) -> list:
        return [self.iterations]

    def minimize(self, loss, var_list, tape=None):
        """One step on ``loss`` (a callable, or a tensor computed under ``tape``) over ``var_list``."""
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        if tape is None:
            if not callable(loss):
                raise ValueError("`tape` is required when a `Tensor` loss is passed. Received: loss=..., tape=None.")
            with _GradientTape() as tape:
                value = loss()
        else:
            value = loss() if callable(loss) else loss
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def get_config(self) -> dict:
        return {"name": self.name, "learning_rate": self.learning_rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}


class SGD(Optimizer):
    """Gradient descent, with ``momentum`` and ``nesterov`` as Keras writes them (see the module's text)."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, name: str = "SGD",
                 **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if isinstance(momentum, (int, float)) and not isinstance(momentum, bool) and not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be between [0, 1].")
        self.momentum = _number(momentum, "momentum", 0.0, 1.0)
        self.nesterov = bool(nesterov)

    def _make_core(self, params: list):
        return _optim.SGD(params, lr=self.learning_rate, momentum=self.momentum,
                          nesterov=self.nesterov and self.momentum > 0, momentum_carries_lr=True)

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam as Keras computes it: epsilon (1e-7) outside the bias corrections (see the module's text)."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, name: str = "Adam", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2 = _number(beta_1, "beta_1", 0, 1), _number(beta_2, "beta_2", 0, 1)
        self.epsilon, self.amsgrad = _number(epsilon, "epsilon"), bool(amsgrad)

    def _make_core(self, params: list):
        return _optim.Adam(params, lr=self.learning_rate, betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                           amsgrad=self.amsgrad, epsilon_hat=True)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class RMSprop(Optimizer):
    """RMSprop as TensorFlow computes it: epsilon (1e-7) inside the root (see the module's text)."""

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, name: str = "RMSprop", **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum = _number(rho, "rho", 0, 1), _number(momentum, "momentum", 0, 1)
        self.epsilon, self.centered = _number(epsilon, "epsilon"), bool(centered)

    def _make_core(self, params: list):
        return _optim.RMSprop(params, lr=self.learning_rate, alpha=self.rho, eps=self.epsilon,
                              momentum=self.momentum, centered=self.centered, keras_style=True)

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier):
    """An optimizer from its name (``'sgd'``) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _OPTIMIZERS:
        return _OPTIMIZERS[identifier.lower()]()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (turunan's keras has "
                     f"{sorted(_OPTIMIZERS)})")


__getattr__ = _lacking(__name__, "TensorFlow")
