"""``mxnet.gluon.Trainer``: applies an optimiser to a ``ParameterDict`` (MXNet 1.x,
``python/mxnet/gluon/trainer.py`` and ``python/mxnet/optimizer/optimizer.py``).

``Trainer(net.collect_params(), 'sgd' | 'adam', {...})``; ``step(batch_size)`` sets ``rescale_grad =
1 / batch_size`` ("Gradient will be normalized by 1/batch_size. Set this to 1 if you normalized loss manually
with loss = mean(loss)"), clips the rescaled gradient to ``±clip_gradient``, and hands it to ``turunan.optim``
in MXNet's conventions (``wd`` adds ``wd * weight`` to the gradient, as PyTorch's ``weight_decay``):

- ``'sgd'`` (``learning_rate`` 0.01, ``momentum``, ``wd``): ``mom = momentum * mom - lr * g; weight += mom``,
  the momentum carrying the rate (``optim.SGD(momentum_carries_lr=True)``);
- ``'adam'`` (``learning_rate`` 0.001, ``beta1`` 0.9, ``beta2`` 0.999, ``epsilon`` 1e-8, ``wd``):
  ``weight -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)`` (``optim.Adam(epsilon_hat=True)``).

A parameter with ``grad_req='null'`` is skipped; ``lr_mult`` and ``wd_mult`` scale its rate and decay. The
update runs outside recording, in place on the parameter's own array, so nothing is recorded.
"""

from __future__ import annotations

import numpy as _onp

from ... import optim as _optim
from ..._core import Tensor as _Tensor
from .._ndarray import state
from .parameter import Parameter

__all__ = ["Trainer"]

_COMMON = {"learning_rate", "wd", "clip_gradient", "rescale_grad", "lazy_update", "multi_precision"}
# MXNet's name -> (turunan.optim class, the keys it takes, its defaults in MXNet, the option names in optim)
_OPTIMIZERS = {
    "sgd": (_optim.SGD, {"momentum": "momentum"}, {"learning_rate": 0.01, "momentum": 0.0},
            {"momentum_carries_lr": True}),
    "adam": (_optim.Adam, {"beta1": None, "beta2": None, "epsilon": "eps"},
             {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, {"epsilon_hat": True}),
}


def _shadow(weight) -> _Tensor:
    """A core tensor on the parameter's own array and version counter: the optimiser writes through it."""
    return _Tensor._wrap(weight._d, None, True, weight._version)


class Trainer:
    """An MXNet optimiser (``'sgd'``, ``'adam'``) over a set of parameters; ``step(batch_size)`` after
    ``backward``.

    >>> from turunan.mxnet import autograd, np
    >>> from turunan.mxnet.gluon import nn
    >>> net = nn.Dense(1, in_units=2)
    >>> net.initialize()
    >>> trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    >>> with autograd.record():
    ...     l = (net(np.ones((4, 2))) ** 2).sum()
    >>> l.backward()
    >>> trainer.step(4)
    """

    def __init__(self, params, optimizer="sgd", optimizer_params: dict | None = None, kvstore="device",
                 compression_params=None, update_on_kvstore=None) -> None:
        if isinstance(params, dict):
            params = list(params.values())
        if isinstance(params, Parameter):
            params = [params]
        params = list(params)
        for p in params:
            if not isinstance(p, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got list of {type(p)}.")
        self._params = params
        name = optimizer.lower() if isinstance(optimizer, str) else optimizer
        if name not in _OPTIMIZERS:
            raise NotImplementedError(f"turunan.mxnet's Trainer has the optimizers {sorted(_OPTIMIZERS)}, got "
                                      f"{optimizer!r}")
        self._cls, keys, defaults, self._convention = _OPTIMIZERS[name]
        opts = dict(optimizer_params or {})
        unknown = set(opts) - _COMMON - set(keys)
        if unknown:
            raise TypeError(f"{name} got unexpected optimizer parameters {sorted(unknown)}; it takes "
                            f"{sorted(_COMMON | set(keys))}")
        opts = {**defaults, **opts}
        self._lr = float(opts["learning_rate"])
        self._wd = float(opts.get("wd", 0.0))
        clip = opts.get("clip_gradient")
        self._clip = None if clip is None or clip < 0 else float(clip)
        self._scale = float(opts.get("rescale_grad", 1.0))
        self._hyper = {optim_key: float(opts[k]) for k, optim_key in keys.items() if optim_key}
        if name == "adam":
            self._hyper["betas"] = (float(opts["beta1"]), float(opts["beta2"]))
        self._optimizer = None                    # made at the first step, when every parameter has its array
        self._shadows: dict[int, _Tensor] = {}

    @property
    def learning_rate(self) -> float:
        return self._lr

    def set_learning_rate(self, lr: float) -> None:
        self._lr = float(lr)
        if self._optimizer is not None:
            for group, p in zip(self._optimizer.param_groups, self._params):
                group["lr"] = self._lr * p.lr_mult

    def step(self, batch_size, ignore_stale_grad: bool = False) -> None:
        """One update of every parameter, its gradient scaled by ``1 / batch_size``."""
        if state.recording:
            raise RuntimeError("Trainer.step should be called outside of autograd.record() (MXNet's rule: "
                               "the update must not be recorded)")
        if self._optimizer is None:
            self._optimizer = self._cls(
                [{"params": [self._shadow_of(p)], "lr": self._lr * p.lr_mult, "weight_decay": self._wd * p.wd_mult}
                 for p in self._params], lr=self._lr, **self._hyper, **self._convention)
        rescale = self._scale / batch_size
        for p in self._params:
            shadow = self._shadow_of(p)
            if p.grad_req == "null":
                shadow.grad = None                # skipped by the optimiser
                continue
            g = rescale * p.grad().asnumpy()
            if self._clip is not None:
                g = _onp.clip(g, -self._clip, self._clip)
            shadow.grad = _Tensor(g.astype(shadow._d.dtype, copy=False))
        self._optimizer.step()

    def _shadow_of(self, p: Parameter) -> _Tensor:
        weight = p.data()
        shadow = self._shadows.get(id(p))
        if shadow is None:
            shadow = self._shadows[id(p)] = _shadow(weight)
        elif shadow._d is not weight._d:          # cast() or a new array: follow it, keep the optimiser's state
            shadow._d, shadow._version = weight._d, weight._version
        return shadow

    update = step

    def allreduce_grads(self) -> None:
        """One device: nothing to reduce."""

    def zero_grad(self) -> None:
        for p in self._params:
            p.zero_grad()
