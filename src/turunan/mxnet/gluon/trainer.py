"""``mxnet.gluon.Trainer``: applies an optimiser to a ``ParameterDict`` (MXNet 1.x,
``python/mxnet/gluon/trainer.py`` and ``python/mxnet/optimizer/optimizer.py``).

``Trainer(net.collect_params(), 'sgd', {'learning_rate': lr, 'wd': 0, 'momentum': 0, 'clip_gradient': None})``;
``step(batch_size)`` sets ``rescale_grad = 1 / batch_size`` ("Gradient will be normalized by 1/batch_size. Set
this to 1 if you normalized loss manually with loss = mean(loss)") and updates every parameter in place, with
MXNet's ``sgd_update`` / ``sgd_mom_update`` rules:

    g = clip(rescale_grad * grad, ±clip_gradient) + wd * weight
    weight -= lr * g                          (momentum 0)
    mom = momentum * mom - lr * g; weight += mom

(PyTorch's SGD with the same ``lr``, ``weight_decay`` and ``momentum`` takes the same steps.) A parameter with
``grad_req='null'`` is skipped; ``lr_mult`` and ``wd_mult`` scale its rate and decay. The update is plain
arithmetic on the data outside recording, so nothing is recorded.
"""

from __future__ import annotations

import numpy as _onp

from .._ndarray import state
from .parameter import Parameter

__all__ = ["Trainer"]

_SGD_KEYS = {"learning_rate", "wd", "momentum", "clip_gradient", "rescale_grad", "lazy_update", "multi_precision"}


class Trainer:
    """SGD (with momentum and weight decay) over a set of parameters; ``step(batch_size)`` after ``backward``.

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
        if not isinstance(optimizer, str) or optimizer.lower() != "sgd":
            raise NotImplementedError(f"turunan.mxnet's Trainer has the 'sgd' optimizer only, got {optimizer!r}")
        opts = dict(optimizer_params or {})
        unknown = set(opts) - _SGD_KEYS
        if unknown:
            raise TypeError(f"SGD got unexpected optimizer parameters {sorted(unknown)}; it takes "
                            f"{sorted(_SGD_KEYS)}")
        self._lr = float(opts.get("learning_rate", 0.01))
        self._wd = float(opts.get("wd", 0.0))
        self._momentum = float(opts.get("momentum", 0.0))
        clip = opts.get("clip_gradient")
        self._clip = None if clip is None or clip < 0 else float(clip)
        self._scale = float(opts.get("rescale_grad", 1.0))
        self._states: dict[int, _onp.ndarray] = {}

    @property
    def learning_rate(self) -> float:
        return self._lr

    def set_learning_rate(self, lr: float) -> None:
        self._lr = float(lr)

    def step(self, batch_size, ignore_stale_grad: bool = False) -> None:
        """One update of every parameter, its gradient scaled by ``1 / batch_size``."""
        if state.recording:
            raise RuntimeError("Trainer.step should be called outside of autograd.record() (MXNet's rule: "
                               "the update must not be recorded)")
        rescale = self._scale / batch_size
        for p in self._params:
            if p.grad_req == "null":
                continue
            weight, grad = p.data(), p.grad()
            g = rescale * grad.asnumpy()
            if self._clip is not None:
                g = _onp.clip(g, -self._clip, self._clip)
            w = weight.asnumpy()
            lr, wd = self._lr * p.lr_mult, self._wd * p.wd_mult
            g = g + wd * w
            if self._momentum:
                mom = self._states.setdefault(id(p), _onp.zeros_like(w))
                mom *= self._momentum
                mom -= lr * g
                new = w + mom
            else:
                new = w - lr * g
            weight[:] = new.astype(w.dtype)       # in place: the same ndarray, its version counted

    update = step

    def allreduce_grads(self) -> None:
        """One device: nothing to reduce."""

    def zero_grad(self) -> None:
        for p in self._params:
            p.zero_grad()
