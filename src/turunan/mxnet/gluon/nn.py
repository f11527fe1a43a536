"""``mxnet.gluon.nn``: ``Block``, ``Sequential``, ``Dense``, ``Flatten``, ``Activation``, ``Dropout``.

``Dense`` follows MXNet 1.x (``python/mxnet/gluon/nn/basic_layers.py`` and the ``FullyConnected`` operator):
``weight`` has shape ``(units, in_units)`` and ``y = x @ weight.T + bias``; with ``in_units=0`` (the default)
the input size is inferred at the first call, which is when a deferred initialisation happens;
``flatten=True`` (the default) reshapes an input of any rank to ``(batch, -1)`` first, ``flatten=False``
applies the layer to the last axis; the weight's initialiser is ``initialize()``'s (``Uniform(0.07)`` by
default) unless ``weight_initializer`` is given, the bias is zeros (``bias_initializer='zeros'``).
The ops are the MXNet door's (recorded inside ``autograd.record()``); no gradient math here.

>>> from turunan.mxnet import init, np
>>> net = Sequential()
>>> net.add(Dense(8, activation='relu'), Dense(2))
>>> net.initialize(init.Normal(sigma=0.01))
>>> net(np.ones((4, 1, 3, 3))).shape            # flattened to (4, 9) by the first Dense
(4, 2)
>>> net[0].weight.data().shape
(8, 9)
"""

from __future__ import annotations

import numpy as _onp

from ... import _ops as ops
from ..._doors import lacking as _lacking
from ..._doors import recast
from ...nn import functional as _F
from .._ndarray import MXNetError, ndarray, state
from ..numpy import random as _random
from .block import Block, HybridBlock
from .parameter import Parameter

__all__ = ["Block", "HybridBlock", "Sequential", "HybridSequential", "Dense", "Flatten", "Activation", "Dropout",
           "Conv2D", "MaxPool2D"]

_ACTIVATIONS = {
    "relu": ops.relu,
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "softrelu": ops.softplus,
    "softsign": lambda x: x / (1 + ops.abs(x)),
}


def _activation(name):
    if name is None:
        return None
    if callable(name):
        return name
    if name not in _ACTIVATIONS:
        raise MXNetError(f"Invalid Input: '{name}', valid options are: {', '.join(sorted(_ACTIVATIONS))}")
    return _ACTIVATIONS[name]


def _as_nd(x) -> ndarray:
    if not isinstance(x, ndarray):
        raise TypeError(f"gluon blocks take mxnet ndarrays (mxnet.np.array(...)), got {type(x).__name__}")
    return x


class Sequential(Block):
    """Blocks run one after another: ``net = nn.Sequential(); net.add(nn.Dense(256, activation='relu'), ...)``."""

    def __init__(self, prefix: str | None = None, params=None) -> None:
        super().__init__(prefix, params)

    def add(self, *blocks: Block) -> None:
        for block in blocks:
            if not isinstance(block, Block):
                raise TypeError(f"Sequential.add takes gluon Blocks, got {type(block).__name__}")
            self.register_child(block)

    def forward(self, x, *args):
        for block in self._children.values():
            x = block(x, *args)
            args = ()
        return x

    def __getitem__(self, key):
        blocks = list(self._children.values())
        if isinstance(key, slice):
            out = type(self)()
            out.add(*blocks[key])
            return out
        return blocks[key]

    def __len__(self) -> int:
        return len(self._children)


HybridSequential = Sequential


class Dense(Block):
    """A fully connected layer: ``activation(dot(x, weight.T) + bias)``, weight ``(units, in_units)``."""

    def __init__(self, units: int, activation=None, use_bias: bool = True, flatten: bool = True,
                 dtype="float32", weight_initializer=None, bias_initializer="zeros", in_units: int = 0,
                 prefix: str | None = None, params=None) -> None:
        super().__init__(prefix, params)
        units = int(units)
        if units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units}")
        self._units, self._in_units, self._flatten = units, int(in_units), flatten
        self._act_name = activation if isinstance(activation, str) or activation is None else "custom"
        self.act = _activation(activation)
        self.weight = Parameter(self._prefix + "weight", shape=(units, int(in_units)), dtype=dtype,
                                init=weight_initializer, allow_deferred_init=True)
        self.bias = (Parameter(self._prefix + "bias", shape=(units,), dtype=dtype, init=bias_initializer,
                               allow_deferred_init=True) if use_bias else None)

    def forward(self, x):
        x = _as_nd(x)
        if self._flatten and x.ndim != 2:
            x = x.reshape(x.shape[0] if x.ndim else 1, -1)
        features = x.shape[-1]
        w = self.weight
        if w._data is None and w._deferred is None:
            w.data()                              # not initialised: MXNet's RuntimeError, before any shape
        if w.shape[1] == 0:                       # MXNet infers in_units from the first input
            w.shape = (self._units, features)
        if w._data is None and w._deferred is not None:
            w._finish_deferred_init()
        if self.bias is not None and self.bias._data is None and self.bias._deferred is not None:
            self.bias._finish_deferred_init()
        weight = w.data()
        if weight.shape[1] != features:
            raise MXNetError(f"Error in operator {self.name}_fwd: Shape inconsistent, Provided = "
                             f"{list(weight.shape)}, inferred shape=({self._units},{features})")
        y = ops.matmul(x, weight.T)
        if self.bias is not None:
            y = y + self.bias.data()
        if self.act is not None:
            y = self.act(y)
        return recast(y, ndarray)

    def __repr__(self) -> str:
        shape = self.weight.shape
        return f"Dense({shape[1] if shape[1] else None} -> {shape[0]}, {self._act_name or 'linear'})"


class Flatten(Block):
    """``(batch, ...)`` to ``(batch, -1)``."""

    def forward(self, x):
        x = _as_nd(x)
        return x.reshape(x.shape[0], -1)

    def __repr__(self) -> str:
        return "Flatten"


class Activation(Block):
    """An activation by name: ``'relu'``, ``'sigmoid'``, ``'tanh'``, ``'softrelu'``, ``'softsign'``."""

    def __init__(self, activation: str, prefix: str | None = None, params=None) -> None:
        super().__init__(prefix, params)
        self._act_name = activation
        self.act = _activation(activation)

    def forward(self, x):
        return recast(self.act(_as_nd(x)), ndarray)

    def __repr__(self) -> str:
        return f"Activation({self._act_name})"


class Dropout(Block):
    """Zero each element with probability ``rate`` and scale the rest by ``1/(1-rate)``, in train mode only
    (inside ``autograd.record()``, MXNet's rule); the identity otherwise."""

    def __init__(self, rate: float, axes=(), prefix: str | None = None, params=None) -> None:
        super().__init__(prefix, params)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be in [0, 1], got {rate}")
        self._rate = rate

    def forward(self, x):
        x = _as_nd(x)
        if not state.training or self._rate == 0:
            return x
        if self._rate == 1:
            return x * 0
        keep = (_random.uniform(0, 1, x.shape).asnumpy() >= self._rate).astype(_onp.float32)
        return recast(x * ndarray(keep / (1 - self._rate)).astype(x.dtype), ndarray)

    def __repr__(self) -> str:
        return f"Dropout(p = {self._rate}, axes=())"


def _pair(v, what: str) -> tuple[int, int]:
    v = (v, v) if isinstance(v, (int, _onp.integer)) else tuple(v)
    if len(v) != 2 or any(int(i) < 0 for i in v):
        raise ValueError(f"{what} must be an int or a pair of non-negative ints, got {v!r}")
    return int(v[0]), int(v[1])


class Conv2D(Block):
    """2-d convolution over NCHW inputs (MXNet's layout): weight ``(channels, in_channels, kh, kw)``, the input
    channels inferred at the first call when ``in_channels=0``; ``activation`` after the bias.

    >>> from turunan.mxnet import np
    >>> conv = Conv2D(4, kernel_size=3, padding=1)
    >>> conv.initialize()
    >>> conv(np.ones((2, 1, 5, 5))).shape
    (2, 4, 5, 5)
    """

    def __init__(self, channels: int, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups: int = 1,
                 layout: str = "NCHW", activation=None, use_bias: bool = True, weight_initializer=None,
                 bias_initializer="zeros", in_channels: int = 0, prefix: str | None = None, params=None) -> None:
        super().__init__(prefix, params)
        if layout != "NCHW" or _pair(dilation, "dilation") != (1, 1) or groups != 1:
            raise NotImplementedError("turunan.mxnet's Conv2D has layout='NCHW', dilation=1 and groups=1 only")
        self._channels, self._kernel = int(channels), _pair(kernel_size, "kernel_size")
        self._strides, self._padding = _pair(strides, "strides"), _pair(padding, "padding")
        self._act_name = activation if isinstance(activation, str) or activation is None else "custom"
        self.act = _activation(activation)
        self.weight = Parameter(self._prefix + "weight", shape=(self._channels, int(in_channels), *self._kernel),
                                init=weight_initializer, allow_deferred_init=True)
        self.bias = (Parameter(self._prefix + "bias", shape=(self._channels,), init=bias_initializer,
                               allow_deferred_init=True) if use_bias else None)

    def forward(self, x):
        x = _as_nd(x)
        if x.ndim != 4:
            raise MXNetError(f"Conv2D takes (batch, channels, height, width) inputs, got shape {x.shape}")
        w = self.weight
        if w._data is None and w._deferred is None:
            w.data()
        if w.shape[1] == 0:
            w.shape = (self._channels, x.shape[1], *self._kernel)
        for p in (w, self.bias):
            if p is not None and p._data is None and p._deferred is not None:
                p._finish_deferred_init()
        if w.shape[1] != x.shape[1]:
            raise MXNetError(f"Error in operator {self.name}_fwd: Shape inconsistent, Provided = {list(w.shape)}, "
                             f"input channels {x.shape[1]}")
        y = _F.conv2d(x, w.data(), None if self.bias is None else self.bias.data(), self._strides, self._padding)
        if self.act is not None:
            y = self.act(y)
        return recast(y, ndarray)

    def __repr__(self) -> str:
        return (f"Conv2D({self.weight.shape[1] or None} -> {self._channels}, kernel_size={self._kernel}, "
                f"stride={self._strides})")


class MaxPool2D(Block):
    """The largest value of each ``pool_size`` window of NCHW inputs; ``strides`` default to ``pool_size``."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout: str = "NCHW", ceil_mode: bool = False,
                 prefix: str | None = None, params=None) -> None:
        super().__init__(prefix, params)
        if layout != "NCHW" or ceil_mode:
            raise NotImplementedError("turunan.mxnet's MaxPool2D has layout='NCHW' and ceil_mode=False only")
        self._pool = _pair(pool_size, "pool_size")
        self._strides = self._pool if strides is None else _pair(strides, "strides")
        self._padding = _pair(padding, "padding")

    def forward(self, x):
        return recast(_F.max_pool2d(_as_nd(x), self._pool, self._strides, self._padding), ndarray)

    def __repr__(self) -> str:
        return f"MaxPool2D(size={self._pool}, stride={self._strides}, padding={self._padding})"


__getattr__ = _lacking(__name__, "MXNet")
