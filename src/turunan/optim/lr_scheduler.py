"""Learning-rate schedulers (PyTorch's names): call ``scheduler.step()`` once per epoch, after the
optimiser's steps. Each computes the rate in closed form from the epoch count.

>>> import turunan as tn
>>> from turunan import optim
>>> opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(sched.get_last_lr()[0])
...     sched.step()
>>> rates
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import bisect
import math

from . import _checks

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"]


class LRScheduler:
    """Base class: sets each group's ``lr`` to ``lr_at(epoch)`` of its initial rate."""

    def __init__(self, optimizer, last_epoch: int = -1) -> None:
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"a scheduler takes an optimiser (e.g. optim.SGD(...)), got {type(optimizer).__name__}")
        last_epoch = _checks.index("last_epoch", last_epoch)
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        epoch = self.last_epoch + 1
        rates = []
        for base in self.base_lrs:
            lr = self.lr_at(base, epoch)
            try:
                _checks.learning_rate(lr)
            except (TypeError, ValueError) as e:
                # e.g. a LambdaLR function that returned NaN: never hand the optimiser a rate it would misuse
                raise type(e)(f"{type(self).__name__} computed a learning rate that cannot be used at epoch "
                              f"{epoch}: {e}") from None
            rates.append(lr)
        self.last_epoch = epoch
        for g, lr in zip(self.optimizer.param_groups, rates):
            g["lr"] = lr
        self._last_lr = rates

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict) -> None:
        base_lrs = [_checks.learning_rate(lr) for lr in state["base_lrs"]]
        if len(base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(f"the loaded scheduler state has {len(base_lrs)} base rates, but the optimiser has "
                             f"{len(self.optimizer.param_groups)} parameter groups")
        last_epoch = _checks.index("last_epoch", state["last_epoch"])
        old = self.base_lrs, self.last_epoch
        self.base_lrs, self.last_epoch = base_lrs, last_epoch - 1
        try:
            self.step()
        except (TypeError, ValueError):
            self.base_lrs, self.last_epoch = old      # a failed load changes nothing
            raise


class StepLR(LRScheduler):
    """lr · γ^⌊epoch / step_size⌋"""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = _checks.positive_int("step_size", step_size)
        self.gamma = _checks.in_range("gamma", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """lr · γ^(number of milestones passed)"""

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.milestones = sorted(_checks.index("a milestone", m) for m in milestones)
        self.gamma = _checks.in_range("gamma", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """lr · γ^epoch"""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _checks.in_range("gamma", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """η_min + (lr − η_min)·(1 + cos(π·epoch / T_max)) / 2: from lr down to η_min over T_max epochs."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = _checks.positive_int("T_max", T_max)
        self.eta_min = _checks.in_range("eta_min", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LambdaLR(LRScheduler):
    """lr · fn(epoch)"""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a function of the epoch, got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.lr_lambda(epoch)
