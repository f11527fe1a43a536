"""Learning-rate schedulers (PyTorch's names and rules): call ``scheduler.step()`` once per epoch, after the
optimiser's steps.

They are chainable, as PyTorch's are: each ``step()`` computes a group's new rate from its *current* rate
(``group['lr']``), not from the rate it started with. So two schedulers on one optimiser compose (StepLR's
halving and ExponentialLR's decay multiply), a rate set by hand (``opt.param_groups[0]['lr'] = 5``) is where
the schedule continues from, and a group added later (``add_param_group``) is scheduled from its own rate. Only
LambdaLR (always ``initial rate · fn(epoch)``) and CosineAnnealingLR at its restarts read the rates the groups
had when the scheduler was made (``base_lrs``); they refuse, as PyTorch does, a group added after that.

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

``state_dict()`` holds the epoch count, the base rates, the last rates and the hyper-parameters;
``load_state_dict`` restores them and, as in PyTorch, leaves the optimiser's rates alone: they are the
optimiser's state (load it with ``optimizer.load_state_dict``).
"""

from __future__ import annotations

import math
import types
import warnings
from collections import Counter

from . import _checks

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
           "ReduceLROnPlateau"]


class LRScheduler:
    """Base class. A subclass writes ``get_lr()``: the new rate of every group at epoch ``self.last_epoch``,
    usually from the group's current ``lr`` (PyTorch's contract, so a scheduler written for PyTorch works)."""

    # hyper-parameters a subclass keeps, each with the check its constructor applies: state_dict saves them
    # and load_state_dict checks them the same way
    _hyper: dict = {}

    def __init__(self, optimizer, last_epoch: int = -1) -> None:
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"a scheduler takes an optimiser (e.g. optim.SGD(...)), got {type(optimizer).__name__}")
        last_epoch = _checks.index("last_epoch", last_epoch)
        if last_epoch < -1:
            raise ValueError(f"last_epoch must be -1 (a new schedule) or the index of the last epoch done (>= 0), "
                             f"got {last_epoch}")
        groups = optimizer.param_groups
        if last_epoch >= 0:
            missing = [i for i, g in enumerate(groups) if "initial_lr" not in g]
            if missing:
                # PyTorch's KeyError: resuming needs the rates the schedule started from
                raise KeyError(f"param 'initial_lr' is not specified in param_groups{missing} when resuming a "
                               f"scheduler with last_epoch={last_epoch}; load the optimiser's state_dict (saved "
                               "while a scheduler ran) first, or make a new schedule with last_epoch=-1")
        added = [g for g in groups if "initial_lr" not in g]
        for g in added:
            g["initial_lr"] = g["lr"]
        self.optimizer = optimizer
        self.base_lrs = [g["initial_lr"] for g in groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._last_lr = [g["lr"] for g in groups]
        self._get_lr_called_within_step = False
        self._is_initial = True                # the constructor's step sets up the schedule; it decays nothing
        try:
            self.step()
        except BaseException:
            for g in added:                    # a refused scheduler leaves the optimiser as it was
                del g["initial_lr"]
            raise
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for epoch ``last_epoch``, which ``step()`` has just advanced to. Use ``get_last_lr()`` to read
        the current rates: outside ``step()`` this computes the next epoch's again (PyTorch warns the same)."""
        raise NotImplementedError

    def _warn_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=3)

    def _current(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def _bases(self) -> list[float]:
        """``base_lrs``, one per group, or a ValueError if a group was added after the scheduler was made."""
        n = len(self.optimizer.param_groups)
        if len(self.base_lrs) != n:
            # PyTorch fails here too (zip(..., strict=True)); say why instead of guessing a base rate
            raise ValueError(f"{type(self).__name__} was made for {len(self.base_lrs)} parameter group(s), but the "
                             f"optimiser now has {n}: a group added with add_param_group after the scheduler was "
                             "made has no initial rate to schedule from at this epoch; add every group before "
                             "making the scheduler")
        return self.base_lrs

    def step(self) -> None:
        """Advance one epoch and write the new rates into the optimiser; on an error nothing changes."""
        groups = self.optimizer.param_groups
        self.last_epoch += 1
        self._step_count += 1
        self._get_lr_called_within_step = True
        try:
            rates = list(self.get_lr())
            if len(rates) != len(groups):
                raise ValueError(f"{type(self).__name__} computed {len(rates)} learning rates for the optimiser's "
                                 f"{len(groups)} parameter groups")
            for lr in rates:
                try:
                    _checks.learning_rate(lr)
                except (TypeError, ValueError) as e:
                    # e.g. a LambdaLR function that returned NaN: never hand the optimiser a rate it would misuse
                    raise type(e)(f"{type(self).__name__} computed a learning rate that cannot be used at epoch "
                                  f"{self.last_epoch}: {e}") from None
        except BaseException:
            self.last_epoch -= 1
            self._step_count -= 1
            raise
        finally:
            self._get_lr_called_within_step = False
        for g, lr in zip(groups, rates):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in groups]

    def get_last_lr(self) -> list[float]:
        """The rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    # ---- saving and loading ------------------------------------------------------------------------------
    _TRANSIENT = ("optimizer", "_get_lr_called_within_step", "_is_initial")

    def state_dict(self) -> dict:
        """Everything but the optimiser (PyTorch's layout): epoch count, base and last rates, hyper-parameters."""
        return {k: (type(v)(v) if isinstance(v, (list, dict)) else v)      # copies: a Counter stays a Counter
                for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict()`` saved; checked whole first, so a refused state changes nothing.

        The optimiser's rates are not touched (as in PyTorch): they are restored by the optimiser's own
        ``load_state_dict``.
        """
        self.__dict__.update(self._checked_state(state))

    def _checked_state(self, state) -> dict:
        if not hasattr(state, "items") or "last_epoch" not in state or "base_lrs" not in state:
            raise ValueError("a scheduler state_dict is a mapping with 'last_epoch' and 'base_lrs' (and the "
                             f"scheduler's hyper-parameters), as state_dict() returns; got {type(state).__name__}")
        new = {}
        for k, v in state.items():
            if k in self._TRANSIENT:
                continue
            if k == "base_lrs" or k == "_last_lr":
                if not isinstance(v, (list, tuple)):
                    raise ValueError(f"{k!r} of a scheduler state is a list of rates, one per parameter group; "
                                     f"got {type(v).__name__}")
                v = [_checks.learning_rate(lr) for lr in v]
                if k == "base_lrs" and len(v) != len(self.base_lrs):
                    raise ValueError(f"the loaded scheduler state has {len(v)} base rates, but this scheduler "
                                     f"schedules {len(self.base_lrs)} parameter groups")
            elif k in ("last_epoch", "_step_count"):
                v = _checks.index(k, v)
                if v < 0:
                    raise ValueError(f"{k} must be >= 0 in a saved scheduler state, got {v}")
            elif k in self._hyper:
                v = self._hyper[k](v)
            else:
                known = sorted({"last_epoch", "base_lrs", "_last_lr", "_step_count", *self._hyper})
                raise ValueError(f"the loaded state has {k!r}, which a {type(self).__name__} does not keep (it keeps "
                                 f"{known}); was it saved from another scheduler?")
            new[k] = v
        return new


def _gamma(v) -> float:
    return _checks.in_range("gamma", "gamma", v)


def _milestones(ms) -> Counter:
    # a milestone named twice decays twice there (PyTorch counts them); a saved state holds {epoch: count}
    if hasattr(ms, "items"):
        ms = [m for m, n in ms.items() for _ in range(_checks.index("a milestone's count", n))]
    return Counter(_checks.index("a milestone", m) for m in ms)


class StepLR(LRScheduler):
    """Multiply each group's rate by γ every ``step_size`` epochs."""

    _hyper = {"step_size": lambda v: _checks.positive_int("step_size", v), "gamma": _gamma}

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = _checks.positive_int("step_size", step_size)
        self.gamma = _gamma(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """Multiply each group's rate by γ at each milestone epoch (by γⁿ at a milestone given n times)."""

    _hyper = {"milestones": _milestones, "gamma": _gamma}

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.milestones = _milestones(milestones)
        self.gamma = _gamma(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        n = self.milestones.get(self.last_epoch, 0)
        if not n:
            return self._current()
        return [lr * self.gamma ** n for lr in self._current()]


class ExponentialLR(LRScheduler):
    """Multiply each group's rate by γ every epoch."""

    _hyper = {"gamma": _gamma}

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _gamma(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """From each group's rate down to η_min over T_max epochs along half a cosine, then back up, and so on:

    η_min + (base − η_min)·(1 + cos(π·epoch / T_max)) / 2, reached one epoch at a time from the current rate
    (PyTorch's recursive form), so a rate changed by hand or by another scheduler is annealed from where it is.
    """

    _hyper = {"T_max": lambda v: _checks.positive_int("T_max", v),
              "eta_min": lambda v: _checks.in_range("eta_min", "eta_min", v)}

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = _checks.positive_int("T_max", T_max)
        self.eta_min = _checks.in_range("eta_min", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and e > 0:
            # the first step of a resumed schedule: the closed form from the base rates
            return [lo + (b - lo) * (1 + math.cos(e * math.pi / T)) / 2 for b in self._bases()]
        if (e - 1 - T) % (2 * T) == 0:
            # leaving the minimum: the recursive ratio below would divide by 1 + cos(π) = 0
            return [lr + (b - lo) * (1 - math.cos(math.pi / T)) / 2 for lr, b in zip(self._current(), self._bases())]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (lr - lo) + lo for lr in self._current()]


class LambdaLR(LRScheduler):
    """Each group's initial rate times ``fn(epoch)`` (one function for all groups, or a list of one per group).

    Not chainable, as in PyTorch: it overrides what another scheduler or a hand-set rate did.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        n = len(getattr(optimizer, "param_groups", ()))
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas (one per parameter group), but got {len(lr_lambda)}")
            fns = list(lr_lambda)
        else:
            fns = [lr_lambda] * n
        for fn in fns:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be a function of the epoch (or a list of them, one per parameter "
                                f"group), got {type(fn).__name__}")
        self.lr_lambdas = fns
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        return [b * fn(self.last_epoch) for fn, b in zip(self.lr_lambdas, self._bases())]

    _TRANSIENT = LRScheduler._TRANSIENT + ("lr_lambdas",)

    def state_dict(self) -> dict:
        """As the base class, plus the attributes of each function that is a callable object (PyTorch's rule:
        plain functions and lambdas are not saved; the scheduler keeps its own)."""
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")
                               else dict(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state: dict) -> None:
        saved = state.get("lr_lambdas") if hasattr(state, "get") else None
        if saved is not None and (not isinstance(saved, (list, tuple)) or len(saved) != len(self.lr_lambdas)
                                  or any(s is not None and not (hasattr(s, "items") and hasattr(fn, "__dict__"))
                                         for s, fn in zip(saved, self.lr_lambdas))):
            raise ValueError(f"the loaded state's 'lr_lambdas' must be a list of {len(self.lr_lambdas)} entries, "
                             "each None or a mapping of a callable object's attributes")
        new = self._checked_state(state)
        self.__dict__.update(new)
        for fn, attrs in zip(self.lr_lambdas, saved or ()):
            if attrs is not None:
                fn.__dict__.update(attrs)


class ReduceLROnPlateau:
    """Multiply the rates by ``factor`` once a watched metric has stopped improving for ``patience`` epochs:
    ``scheduler.step(val_loss)`` once per epoch (PyTorch's rules).

    An epoch improves when the metric beats the best so far by more than ``threshold`` (relative:
    ``best·(1 ∓ threshold)``; ``threshold_mode='abs'``: ``best ∓ threshold``); after a cut, ``cooldown`` epochs
    pass before bad epochs count again; no rate goes below ``min_lr``, and a cut smaller than ``eps`` is skipped.

    >>> import turunan as tn
    >>> from turunan import optim
    >>> opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0, min_lr=0.0,
                 eps: float = 1e-8) -> None:
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"mode must be 'min' or 'max' and threshold_mode 'rel' or 'abs', got {mode!r} and "
                             f"{threshold_mode!r}")
        if not 0.0 <= factor < 1.0:
            raise ValueError(f"factor must be in [0, 1) (the rate is multiplied by it), got {factor}")
        groups = optimizer.param_groups
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(min_lrs) != len(groups):
            raise ValueError(f"min_lr has {len(min_lrs)} values for {len(groups)} parameter groups")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.min_lrs, self.eps = \
            threshold, threshold_mode, cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [g["lr"] for g in groups]

    def _is_better(self, value: float) -> bool:
        sign = 1.0 if self.mode == "max" else -1.0
        if self.threshold_mode == "rel":
            return sign * value > sign * self.best * (1.0 + sign * self.threshold)
        return sign * value > sign * self.best + self.threshold

    def step(self, metrics) -> None:
        """Record this epoch's ``metrics`` (a number or a one-element Tensor) and cut the rates if it is time."""
        value = float(metrics)
        self.last_epoch += 1
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, floor)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The rates after the last ``step``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimiser: the best value, the counters and the hyper-parameters."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict()`` saved."""
        unknown = set(state) - set(self.state_dict())
        if unknown:
            raise ValueError(f"not a ReduceLROnPlateau state_dict: unknown keys {sorted(unknown)}")
        self.__dict__.update(state)
