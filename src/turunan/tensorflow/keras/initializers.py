"""``tf.keras.initializers`` (also ``tf.initializers``): what fills a layer's weights when it is built.

Each is called as ``init(shape, dtype=None)`` and gives a tf.Tensor. An unseeded initializer draws from turunan's
default generator (``tf.random.set_seed`` seeds it), so each call gives new values; a seeded one gives the same
values at every call, as Keras 2's do. Fans follow Keras: a kernel (in, out) has fan_in = in and fan_out = out; a
convolution kernel (..., in, out) multiplies both by the receptive field.
"""

from __future__ import annotations

import math as _math

import numpy as _np

import turunan as _tn

from ..._array import as_shape as _as_shape
from ..._doors import lacking as _lacking
from ..._doors import recast as _recast
from .._tensor import Tensor as _Tensor


def _dtype(dtype):
    dtype = _np.dtype(_np.float32 if dtype is None else dtype)
    return dtype


def compute_fans(shape) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight of ``shape``, Keras' rule."""
    shape = tuple(shape)
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(_np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` gives the initial value as a tf.Tensor."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Random(Initializer):
    def __init__(self, seed=None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, _np.integer))):
            raise TypeError(f"seed must be an integer or None, got {seed!r}")
        self.seed = seed

    def _generator(self):
        return _tn.Generator(int(self.seed)) if self.seed is not None else None

    def _floating(self, dtype):
        dtype = _dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"Expected floating point type, got {dtype.name}")
        return dtype


class Zeros(Initializer):
    """All zeros (the default for biases)."""

    def __call__(self, shape, dtype=None, **kwargs):
        return _Tensor(_np.zeros(_as_shape(shape), _dtype(dtype)))


class Ones(Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        return _Tensor(_np.ones(_as_shape(shape), _dtype(dtype)))


class Constant(Initializer):
    """Every element ``value``."""

    def __init__(self, value=0) -> None:
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        return _Tensor(_np.full(_as_shape(shape), self.value, _dtype(dtype)))

    def get_config(self) -> dict:
        return {"value": self.value}


class RandomNormal(_Random):
    """Normal with ``mean`` and ``stddev`` (Keras' defaults 0 and 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None, **kwargs):
        dtype = self._floating(dtype)
        return _recast(_tn.normal(self.mean, self.stddev, _as_shape(shape), dtype, generator=self._generator()),
                       _Tensor)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    """Uniform in [minval, maxval) (Keras' defaults -0.05 and 0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None, **kwargs):
        dtype = self._floating(dtype)
        return _recast(_tn.uniform(self.minval, self.maxval, _as_shape(shape), dtype, generator=self._generator()),
                       _Tensor)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class _UniformScaling(_Random):
    """Uniform in [-limit, limit], limit = sqrt(3 * scale / n) with n the fan ``mode`` names."""

    scale, mode = 1.0, "fan_avg"

    def __call__(self, shape, dtype=None, **kwargs):
        dtype = self._floating(dtype)
        shape = _as_shape(shape)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        limit = _math.sqrt(3.0 * self.scale / max(1.0, n))
        return _recast(_tn.uniform(-limit, limit, shape, dtype, generator=self._generator()), _Tensor)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotUniform(_UniformScaling):
    """Xavier/Glorot uniform, Keras' default for Dense kernels: U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""


class HeUniform(_UniformScaling):
    """He uniform: U(-l, l), l = sqrt(6 / fan_in)."""

    scale, mode = 2.0, "fan_in"


class LecunUniform(_UniformScaling):
    """LeCun uniform: U(-l, l), l = sqrt(3 / fan_in)."""

    mode = "fan_in"


# Keras' lower-case aliases
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform = RandomNormal, RandomUniform
glorot_uniform, he_uniform, lecun_uniform = GlorotUniform, HeUniform, LecunUniform

_BY_NAME = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "glorot_uniform": GlorotUniform, "he_uniform": HeUniform,
            "lecun_uniform": LecunUniform}


def get(identifier):
    """An initializer from its name (``'glorot_uniform'``, ``'zeros'``, a class name), an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        key = identifier if identifier in _BY_NAME else next(
            (k for k, c in _BY_NAME.items() if c.__name__ == identifier), None)
        if key is None:
            raise ValueError(f"Unknown initializer: '{identifier}'. turunan's keras has "
                             f"{', '.join(sorted(_BY_NAME))}")
        return _BY_NAME[key]()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


__getattr__ = _lacking(__name__, "TensorFlow")
