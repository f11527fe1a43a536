"""``mxnet.init`` (also ``mxnet.initializer``): the initialisers a Gluon ``Parameter`` is filled with.

MXNet's rule (``python/mxnet/initializer.py``, ``Initializer.__call__``): a parameter with its own initialiser
(``Dense``'s ``bias_initializer='zeros'``) uses that one; otherwise the initialiser given to ``initialize()``
is dispatched on the parameter's name: ``*weight`` gets ``_init_weight`` (the distribution), ``*bias`` and
``*beta`` zeros, ``*gamma`` ones, anything else is refused. So ``net.initialize(init.Normal(0.01))`` draws the
weights and leaves the biases at zero, as in D2L's linear regression. ``_init_weight(name, arr)`` fills ``arr``
(an ndarray) in place, so a user's subclass written the MXNet way works (D2L's ``MyInit``).

Random numbers come from turunan's default generator, which ``mxnet.random.seed`` / ``np.random.seed`` seed.

>>> from turunan.mxnet import init, np
>>> w = np.zeros((2, 3))
>>> init.Constant(0.5)("dense0_weight", w)
>>> w
array([[0.5, 0.5, 0.5],
       [0.5, 0.5, 0.5]])
"""

from __future__ import annotations

import math

import numpy as _onp

from .._doors import lacking as _lacking
from .numpy import random as _random

__all__ = ["Initializer", "InitDesc", "Uniform", "Normal", "Zero", "One", "Constant", "Xavier", "MSRAPrelu",
           "create"]


class InitDesc(str):
    """A parameter's name, as MXNet passes it to an initialiser (a ``str`` with ``attrs``)."""

    def __new__(cls, name: str, attrs: dict | None = None, global_init=None):
        out = super().__new__(cls, name)
        out.attrs = attrs or {}
        out.global_init = global_init
        return out


class Initializer:
    """The base class: ``init(name, arr)`` fills ``arr`` in place according to the parameter's name."""

    def __init__(self, **kwargs) -> None:
        self._kwargs = kwargs

    def __call__(self, desc, arr) -> None:
        name = str(desc)
        if name.endswith("weight"):
            self._init_weight(desc, arr)
        elif name.endswith("bias"):
            self._init_bias(desc, arr)
        elif name.endswith("gamma"):
            self._init_gamma(desc, arr)
        elif name.endswith("beta"):
            self._init_beta(desc, arr)
        else:
            self._init_default(desc, arr)

    def _init_weight(self, name, arr) -> None:
        raise NotImplementedError("Must override it")

    def _init_bias(self, _, arr) -> None:
        arr[:] = 0.0

    def _init_gamma(self, _, arr) -> None:
        arr[:] = 1.0

    def _init_beta(self, _, arr) -> None:
        arr[:] = 0.0

    def _init_default(self, name, _) -> None:
        raise ValueError(f"Unknown initialization pattern for {name}. Default initialization is now limited to "
                         '"weight", "bias", "gamma" (1.0), and "beta" (0.0). Please use mx.sym.Variable(init='
                         "mx.init.*) to set initialization pattern")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"


class Zero(Initializer):
    """All zeros (``'zeros'``)."""

    def _init_weight(self, _, arr) -> None:
        arr[:] = 0.0


class One(Initializer):
    """All ones (``'ones'``)."""

    def _init_weight(self, _, arr) -> None:
        arr[:] = 1.0


class Constant(Initializer):
    """Every element ``value``."""

    def __init__(self, value) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr) -> None:
        arr[:] = self.value


class Uniform(Initializer):
    """U(-scale, scale); ``initialize()``'s default is ``Uniform()``, scale 0.07."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr) -> None:
        arr[:] = _random.uniform(-self.scale, self.scale, arr.shape, dtype=arr.dtype)


class Normal(Initializer):
    """N(0, sigma²), sigma 0.01 by default."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr) -> None:
        arr[:] = _random.normal(0.0, self.sigma, arr.shape, dtype=arr.dtype)


def _fans(name, shape) -> tuple[float, float]:
    if len(shape) < 2:
        raise ValueError(f"Xavier initializer cannot be applied to vector {name}. It requires at least 2D.")
    hw = float(_onp.prod(shape[2:])) if len(shape) > 2 else 1.0
    return shape[1] * hw, shape[0] * hw


class Xavier(Initializer):
    """Glorot's: ``scale = sqrt(magnitude / factor)``, factor the fan ``'avg'`` (default), ``'in'`` or ``'out'``
    (fan_in = shape[1] x receptive field, fan_out = shape[0] x receptive field, MXNet's layout (out, in, ...));
    drawn from U(-scale, scale) (``rnd_type='uniform'``) or N(0, scale²) (``'gaussian'``)."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg", magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ("uniform", "gaussian"):
            raise ValueError("Unknown random type")
        if factor_type not in ("avg", "in", "out"):
            raise ValueError("Incorrect factor type")
        self.rnd_type, self.factor_type, self.magnitude = rnd_type, factor_type, float(magnitude)

    def _init_weight(self, name, arr) -> None:
        fan_in, fan_out = _fans(name, arr.shape)
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        scale = math.sqrt(self.magnitude / factor)
        if self.rnd_type == "uniform":
            arr[:] = _random.uniform(-scale, scale, arr.shape, dtype=arr.dtype)
        else:
            arr[:] = _random.normal(0.0, scale, arr.shape, dtype=arr.dtype)


class MSRAPrelu(Xavier):
    """He/Kaiming: Xavier with ``magnitude = 2 / (1 + slope²)``, gaussian, fan ``'avg'`` by default."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))


_NAMES = {"zeros": Zero, "zero": Zero, "ones": One, "one": One, "uniform": Uniform, "normal": Normal,
          "xavier": Xavier, "constant": Constant, "msraprelu": MSRAPrelu}


def create(init) -> Initializer:
    """An initialiser from an instance (as is), or a name (``'zeros'``, ``'ones'``, ``'normal'``, ...)."""
    if isinstance(init, Initializer):
        return init
    if isinstance(init, str) and init.lower() in _NAMES:
        return _NAMES[init.lower()]()
    raise ValueError(f"Cannot find initializer {init!r}; give an mxnet.init.Initializer or one of "
                     f"{sorted(_NAMES)}")


__getattr__ = _lacking(__name__, "MXNet")
