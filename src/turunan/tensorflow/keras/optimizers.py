"""``tf.keras.optimizers.SGD``: ``apply_gradients(zip(grads, variables))`` updates the variables (not recorded).

Keras' update rule (TensorFlow 2's documentation of ``SGD``), with ``g`` the gradient and ``lr`` the rate:

- ``momentum == 0``: ``w = w - lr * g``
- ``momentum > 0``: ``velocity = momentum * velocity - lr * g``; ``w = w + velocity``
- ``nesterov=True``: ``velocity = momentum * velocity - lr * g``; ``w = w + momentum * velocity - lr * g``

``weight_decay`` (Keras 2.11's optimizer) first does ``w = w - w * weight_decay * lr``; ``clipvalue``, ``clipnorm``
(each gradient) and ``global_clipnorm`` (all together) clip the gradients first. A gradient that is None is
skipped with a warning, as Keras does; if all are None, ``apply_gradients`` raises. Slots (the velocities) are made
for a variable the first time it is updated (the legacy optimizer's way; Keras 2.11's new optimizer refuses a
variable it was not built with). As this project's other optimisers, it refuses a NaN, infinite or negative rate
(Keras would take it).
"""

from __future__ import annotations

import math as _math
import warnings as _warnings

import numpy as _np

import turunan as _tn

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
        self._slots: dict = {}      # id(variable) -> (variable, {slot name: array})

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
        for g, v in zip(grads, (v for _, v in pairs)):
            w = _np.array(v._d, copy=True)
            if self.weight_decay:
                w = w - w * _np.asarray(self.weight_decay * lr, v.dtype)
            entry = self._slots.setdefault(id(v), (v, {}))
            self._update(w, g, entry[1], lr)
            v.assign(w)
        self.iterations.assign(self.iterations._d + 1)
        return self.iterations

    def _update(self, w, g, slots: dict, lr: float) -> None:
        raise NotImplementedError

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

    def _update(self, w, g, slots: dict, lr: float) -> None:
        dt = w.dtype
        lr_g = _np.asarray(lr, dt) * g
        if self.momentum == 0:
            w -= lr_g
            return
        m = _np.asarray(self.momentum, dt)
        velocity = slots.get("momentum")
        velocity = m * velocity - lr_g if velocity is not None else -lr_g
        slots["momentum"] = velocity
        if self.nesterov:
            w += m * velocity - lr_g
        else:
            w += velocity

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


def get(identifier):
    """An optimizer from its name (``'sgd'``) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() == "sgd":
        return SGD()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (turunan's keras has SGD)")


__getattr__ = _lacking(__name__, "TensorFlow")
