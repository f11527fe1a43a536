"""``tf.keras.layers``: ``Layer`` (the base: weights, sub-layers tracked as attributes, lazy ``build``), ``Dense``,
``Flatten``, ``ReLU``, ``Activation``, ``Softmax``, ``Dropout``, ``Conv2D``, ``MaxPool2D`` (channels-last).

Follows tf.keras as in TensorFlow 2 (Keras 2), the version D2L's TensorFlow tab is written for:

- A layer builds on its first call, from the input's shape: ``Dense(units)`` makes its ``kernel`` (in, units),
  filled by ``kernel_initializer`` (``'glorot_uniform'`` by default), and its ``bias`` (units,) of zeros. After
  that, an input whose last axis is not ``in`` is refused; so is an input of rank below 2.
- Floating inputs are cast to the layer's dtype (float32 unless ``dtype=`` says otherwise): Keras' autocast.
- A layer's weights are ``tf.Variable``s named ``'dense/kernel:0'``; tapes watch them as they watch any variable.
- Weights are tracked as Keras tracks them: those a layer made with ``add_weight`` and the ``tf.Variable``s assigned
  to its attributes come first, then those of the layers assigned to its attributes (directly or in a list, tuple
  or dict), in the order the attributes were first assigned; each weight once. ``trainable=False`` on a layer moves
  all its weights to ``non_trainable_weights``.
"""

from __future__ import annotations

import inspect
import re
import threading

import numpy as _np

import turunan as _tn
import turunan.numpy as _tnp

from ..._doors import lacking as _lacking
from ..._doors import recast as _recast
from ...nn import functional as _F
from .._ops import cast as _cast
from .._ops import matmul as _matmul
from .._tensor import Tensor as _Tensor
from .._tensor import Variable as _Variable
from . import activations, initializers

_counts: dict = {}
_count_lock = threading.Lock()


def unique_name(prefix: str) -> str:
    """``prefix``, then ``prefix_1``, ``prefix_2``, ... (Keras' default layer names)."""
    with _count_lock:
        n = _counts.get(prefix, 0)
        _counts[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def _snake(name: str) -> str:
    """Keras' default name for a class: ``Dense`` -> ``dense``, ``MLPScratch`` -> ``mlp_scratch``."""
    out = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", out).lower()


def as_input(x, dtype=None):
    """``x`` as a tf.Tensor; a floating input (a NumPy float64 array too) cast to ``dtype`` (Keras' autocast)."""
    if not isinstance(x, _tn.Tensor):
        arr = _np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"A layer's input must be a tensor or an array of numbers, got {type(x).__name__}")
        x = _Tensor(_np.array(arr, copy=True))
    elif not isinstance(x, _Tensor):
        x = _recast(x, _Tensor)
    if dtype is not None and x.dtype.kind == "f" and x.dtype != dtype:
        x = _cast(x, dtype)
    return x


_ACCEPTS: dict = {}


def accepts(fn, name: str) -> bool:
    """Whether ``fn`` takes a keyword ``name`` (or ``**kwargs``)."""
    key = (getattr(fn, "__func__", fn), name)
    if key not in _ACCEPTS:
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            params = ()
        _ACCEPTS[key] = any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)
    return _ACCEPTS[key]


_LAYER_KWARGS = {"input_shape", "batch_input_shape", "input_dim", "batch_size", "weights", "activity_regularizer",
                 "autocast", "dynamic"}


class Layer:
    """Keras' base layer: subclass it with ``call`` (and ``build(input_shape)`` to make weights with
    ``add_weight`` once the input's shape is known)."""

    def __init__(self, trainable: bool = True, name: str | None = None, dtype=None, **kwargs) -> None:
        unknown = set(kwargs) - _LAYER_KWARGS
        if unknown:
            raise TypeError(f"Keyword argument not understood: {sorted(unknown)[0]!r}")
        d = self.__dict__
        d["_own_weights"] = []
        d["_trainable"] = bool(trainable)
        d["_name"] = name if name is not None else unique_name(_snake(type(self).__name__))
        d["_dtype"] = _np.dtype(_np.float32 if dtype is None else dtype)
        d["built"] = False
        shape = kwargs.get("batch_input_shape")
        if shape is None and kwargs.get("input_shape") is not None:
            shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        if shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs.get("batch_size"), int(kwargs["input_dim"]))
        d["_build_shape"] = None if shape is None else tuple(shape)

    # ---- tracking -------------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_own_weights" not in self.__dict__ and _holds_state(value):
            raise RuntimeError(f"It looks like you are subclassing `{type(self).__name__}` (a keras Layer or "
                               "Model) and you forgot to call `super().__init__()`. Always start with this line.")
        object.__setattr__(self, name, value)

    def _tracked(self) -> tuple[list, list]:
        """(this layer's own variables, its direct sub-layers), in Keras' order, each once."""
        own, kids, seen = [], [], set()

        def visit(v, depth: int) -> None:
            if id(v) in seen or depth > 8:
                return
            if isinstance(v, _Variable):
                seen.add(id(v))
                own.append(v)
            elif isinstance(v, Layer):
                seen.add(id(v))
                kids.append(v)
            elif isinstance(v, (list, tuple)):
                for item in v:
                    visit(item, depth + 1)
            elif isinstance(v, dict):
                for item in v.values():
                    visit(item, depth + 1)

        for key, value in self.__dict__.items():
            if value is not self and key != "_self_tracked_skip":
                visit(value, 0)
        return own, kids

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> str:
        return self._dtype.name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.__dict__["_trainable"] = bool(value)
        for layer in self._tracked()[1]:
            layer.trainable = value

    @property
    def trainable_weights(self) -> list:
        if not self._trainable:
            return []
        own, kids = self._tracked()
        return _dedup([v for v in own if v.trainable] + [w for k in kids for w in k.trainable_weights])

    @property
    def non_trainable_weights(self) -> list:
        own, kids = self._tracked()
        if not self._trainable:
            return _dedup(own + [w for k in kids for w in k.weights])
        return _dedup([v for v in own if not v.trainable] + [w for k in kids for w in k.non_trainable_weights])

    @property
    def weights(self) -> list:
        return _dedup(self.trainable_weights + self.non_trainable_weights)

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def _flatten_layers(self):
        return self._tracked()[1]

    def get_weights(self) -> list:
        """The weights' values, NumPy arrays (trainable ones first)."""
        return [_np.array(w._d, copy=True) for w in self.weights]

    def set_weights(self, weights) -> None:
        """Give the weights these values (a list of arrays, in the order ``get_weights`` gives)."""
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f'You called `set_weights(weights)` on layer "{self.name}" with a weight list of length '
                             f"{len(weights)}, but the layer was expecting {len(mine)} weights.")
        values = []
        for w, value in zip(mine, weights):
            arr = _np.asarray(value._d if isinstance(value, _tn.Tensor) else value)
            if arr.shape != tuple(w.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(w.shape)} is not compatible with provided "
                                 f"weight shape {arr.shape}.")
            values.append(arr)
        for w, arr in zip(mine, values):
            w.assign(arr)

    def count_params(self) -> int:
        if not self.built and not self.weights:
            raise ValueError(f"You tried to call `count_params` on layer {self.name}, but the layer isn't built. "
                             "You can build it manually via: `layer.build(batch_input_shape)`.")
        return int(sum(int(_np.prod(w.shape)) for w in self.weights))

    # ---- weights --------------------------------------------------------------------------------------------
    def add_weight(self, name: str | None = None, shape=(), dtype=None, initializer=None, trainable: bool = True,
                   **kwargs):
        """A new ``tf.Variable`` of ``shape`` filled by ``initializer`` (glorot_uniform for floats by default,
        as Keras'), tracked by this layer."""
        dtype = _np.dtype(self._dtype if dtype is None else dtype)
        init = initializers.get("glorot_uniform" if initializer is None else initializer)
        value = init(tuple(int(s) for s in shape), dtype=dtype)
        var = _Variable(value, trainable=trainable, name=f"{self.name}/{name or 'Variable'}", dtype=dtype)
        self._own_weights.append(var)
        return var

    def build(self, input_shape) -> None:
        self.__dict__["built"] = True

    def _maybe_build(self, inputs) -> None:
        if not self.built:
            shape = _np.shape(inputs) if not isinstance(inputs, (list, tuple)) else [i.shape for i in inputs]
            self.build(tuple(shape) if not isinstance(shape, list) else shape)
            self.__dict__["built"] = True

    # ---- calling --------------------------------------------------------------------------------------------
    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        if "_own_weights" not in self.__dict__:
            raise RuntimeError(f"You must call `super().__init__()` in the constructor of {type(self).__name__} "
                               "(a keras Layer or Model) before calling it.")
        if _is_array(inputs):
            inputs = as_input(inputs, self._dtype)
        elif isinstance(inputs, (list, tuple)):       # several inputs: each converted
            inputs = type(inputs)(as_input(x, self._dtype) if _is_array(x) else x for x in inputs)
        for key in ("training", "mask"):
            if key in kwargs and not accepts(self.call, key):
                kwargs.pop(key)
        if not self.built:
            self._check_input(inputs)
            if self._build_shape is not None:
                self.build(self._build_shape)
                self.__dict__["built"] = True
            else:
                self._maybe_build(inputs)
        self._check_input(inputs)
        return self.call(inputs, *args, **kwargs)

    def _check_input(self, inputs) -> None:
        """Keras' input_spec: refuse an input this layer cannot take (a layer checks its rank, say)."""

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    def __repr__(self) -> str:
        return f"<{type(self).__module__.replace('turunan.tensorflow', 'tf')}.{type(self).__name__} name={self.name}>"


def _is_array(x) -> bool:
    """A tensor, an array or number, or a (nested) list of numbers with no tensor in it: one input."""
    if isinstance(x, (_tn.Tensor, _np.ndarray, _np.generic, int, float)):
        return True
    if isinstance(x, (list, tuple)) and len(x) > 0 and not _holds_tensor(x):
        try:
            return _np.asarray(x).dtype.kind in "biuf"
        except ValueError:
            return False
    return False


def _holds_tensor(x) -> bool:
    if isinstance(x, _tn.Tensor):
        return True
    return isinstance(x, (list, tuple, dict)) and any(_holds_tensor(v) for v in (x.values() if isinstance(x, dict)
                                                                                   else x))


def _holds_state(value) -> bool:
    if isinstance(value, (_Variable, Layer)):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, (_Variable, Layer)) for v in value)
    return False


def _dedup(items: list) -> list:
    seen, out = set(), []
    for w in items:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``: the kernel (in, units) is made on the first call (lazily, from the
    input's last axis); an input of rank above 2 is multiplied along its last axis."""

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, _np.integer)) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units!r}")
        for what, value in (("kernel_regularizer", kernel_regularizer), ("bias_regularizer", bias_regularizer),
                            ("activity_regularizer", activity_regularizer), ("kernel_constraint", kernel_constraint),
                            ("bias_constraint", bias_constraint)):
            if value is not None:
                raise NotImplementedError(f"Dense({what}=...) is not in turunan's keras yet (add the penalty to the "
                                          "loss yourself)")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel = None
        self.bias = None

    def _check_input(self, inputs) -> None:
        shape = tuple(inputs.shape)
        if len(shape) < 2:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected min_ndim=2, '
                             f"found ndim={len(shape)}. Full shape received: {shape}")
        if self.kernel is not None and shape[-1] != self.kernel.shape[0]:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis -1 of '
                             f"input shape to have value {self.kernel.shape[0]}, but received input with shape "
                             f"{shape}")

    def build(self, input_shape) -> None:
        last = tuple(input_shape)[-1] if len(tuple(input_shape)) else None
        if last is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be defined. Found None. "
                             f"Full input shape received: {tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (int(last), self.units), initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), initializer=self.bias_initializer)
        self.__dict__["built"] = True

    def call(self, inputs):
        if inputs.dtype != self._dtype:
            inputs = _cast(inputs, self._dtype)     # Dense casts integer inputs too
        out = _matmul(inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias}


class Flatten(Layer):
    """Each example as a vector: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...); (batch,) -> (batch, 1).

    ``data_format='channels_first'`` moves the channels (axis 1) last first, as Keras does, so that the order
    matches a channels-last model's.
    """

    def __init__(self, data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        data_format = "channels_last" if data_format is None else data_format
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of 'channels_first', 'channels_last'. "
                             f"Received: {data_format!r}")
        self.data_format = data_format

    def _check_input(self, inputs) -> None:
        if len(inputs.shape) < 1:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected min_ndim=1, '
                             "found ndim=0. Full shape received: ()")

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first" and len(x.shape) > 2:
            x = _tn.moveaxis(x, 1, -1)
        return _recast(_tn.reshape(x, (x.shape[0], -1)), _Tensor)


class Activation(Layer):
    """Applies ``activation`` (a name, ``'relu'``, or a callable)."""

    def __init__(self, activation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class ReLU(Layer):
    """max(x, 0); Keras' options: ``max_value`` (a ceiling), ``negative_slope`` below ``threshold``."""

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: {max_value}")
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be a negative value. Received: {negative_slope}")
        if threshold is None or threshold < 0:
            raise ValueError(f"threshold of a ReLU layer cannot be a negative value. Received: {threshold}")
        self.max_value, self.negative_slope, self.threshold = max_value, float(negative_slope), float(threshold)

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)


class Softmax(Layer):
    """``softmax(inputs)`` along ``axis`` (the last by default)."""

    def __init__(self, axis: int = -1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return activations.softmax(inputs, axis=self.axis)


class Dropout(Layer):
    """Zeros each input with probability ``rate`` and scales the rest by ``1/(1-rate)``, only when called with
    ``training=True`` (``fit`` does; a plain call or ``predict`` is inference, the identity)."""

    def __init__(self, rate: float, noise_shape=None, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= float(rate) <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout(noise_shape=...) is not in turunan's keras yet")
        self.rate = float(rate)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        return _recast(_F.dropout(inputs, self.rate, training=True), _Tensor)


def _pair(v, what: str) -> tuple[int, int]:
    v = (v, v) if isinstance(v, (int, _np.integer)) else tuple(v)
    if len(v) != 2 or any(int(i) <= 0 for i in v):
        raise ValueError(f"The `{what}` argument must be a tuple of 2 positive integers. Received: {v!r}")
    return int(v[0]), int(v[1])


def _padding(padding: str) -> str:
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. Received: {padding}")
    return padding


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding of one axis: out = ceil(size / stride), the extra row (if odd) at the end."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2D(Layer):
    """2-d convolution over channels-last inputs ``(batch, height, width, channels)``: ``kernel`` is
    ``(kh, kw, in, filters)``, ``padding`` ``'valid'`` or ``'same'`` (TensorFlow's, the odd row at the end)."""

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", data_format=None,
                 dilation_rate=(1, 1), groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs) -> None:
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last") or _pair(dilation_rate, "dilation_rate") != (1, 1) \
                or groups != 1:
            raise NotImplementedError("turunan's keras Conv2D has data_format='channels_last', dilation_rate=1 "
                                      "and groups=1 only")
        self.filters, self.kernel_size = int(filters), _pair(kernel_size, "kernel_size")
        self.strides, self.padding = _pair(strides, "strides"), _padding(padding)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel = None
        self.bias = None

    def _check_input(self, inputs) -> None:
        if len(inputs.shape) != 4:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim=4, '
                             f"found ndim={len(inputs.shape)}. Full shape received: {tuple(inputs.shape)}")

    def build(self, input_shape) -> None:
        shape = (*self.kernel_size, int(tuple(input_shape)[-1]), self.filters)
        self.kernel = self.add_weight("kernel", shape, initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), initializer=self.bias_initializer)
        self.__dict__["built"] = True

    def call(self, inputs):
        x = _tn.moveaxis(inputs, -1, 1)                        # NHWC -> NCHW, the core's layout
        if self.padding == "same":
            pads = [_same_pads(x.shape[2 + i], self.kernel_size[i], self.strides[i]) for i in range(2)]
            x = _tnp.pad(x, ((0, 0), (0, 0), *pads))
        weight = _tn.transpose(self.kernel, (3, 2, 0, 1))       # (kh, kw, in, out) -> (out, in, kh, kw)
        y = _tn.moveaxis(_F.conv2d(x, weight, self.bias, self.strides), 1, -1)
        return _recast(self.activation(y), _Tensor)


class MaxPool2D(Layer):
    """The largest value of each ``pool_size`` window of channels-last inputs; ``strides`` default to it."""

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if _padding(padding) != "valid" or data_format not in (None, "channels_last"):
            raise NotImplementedError("turunan's keras MaxPool2D has padding='valid' and channels_last only")
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _pair(strides, "strides")

    def call(self, inputs):
        y = _F.max_pool2d(_tn.moveaxis(inputs, -1, 1), self.pool_size, self.strides)
        return _recast(_tn.moveaxis(y, 1, -1), _Tensor)


MaxPooling2D = MaxPool2D


__getattr__ = _lacking(__name__, "TensorFlow")
