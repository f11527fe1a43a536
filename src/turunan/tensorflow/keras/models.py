"""``tf.keras.Model`` (subclassed, with ``call``) and ``tf.keras.Sequential`` (also under ``tf.keras.models``).

A Model is a Layer that holds layers: those assigned to its attributes are tracked, and ``trainable_variables``
gathers their weights (built on the first call), which is what D2L's ``Trainer`` hands to
``tape.gradient`` and ``optimizer.apply_gradients``. The functional API (``Model(inputs, outputs)``) and
``compile``/``fit`` are not here: a missing piece raises, never a wrong number.
"""

from __future__ import annotations

import numpy as _np

from ..._doors import lacking as _lacking
from .layers import Layer, accepts


class Model(Layer):
    """Subclass it: make layers in ``__init__`` (after ``super().__init__()``), write ``call(inputs)``."""

    def __init__(self, *args, **kwargs) -> None:
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError("the functional API, tf.keras.Model(inputs, outputs), is not in turunan's "
                                      "keras: subclass tf.keras.Model and write call(), or use tf.keras.Sequential")
        super().__init__(**kwargs)

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define call(self, inputs) (a subclassed keras Model "
                                  "computes its outputs in call)")

    @property
    def layers(self) -> list:
        """The layers this model holds directly (Sequential: in order)."""
        return list(self._flatten_layers())

    def get_layer(self, name: str | None = None, index: int | None = None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[la.name for la in self.layers]}.")

    def predict(self, x, batch_size: int | None = None, verbose="auto", **kwargs):
        """The outputs as a NumPy array, computed batch by batch (32 per batch by default, as Keras')."""
        x = _np.asarray(x._d if hasattr(x, "_d") else x)
        size = 32 if batch_size is None else int(batch_size)
        parts = [_np.asarray(self(x[i:i + size])._d) for i in range(0, len(x), size)]
        return _np.concatenate(parts, axis=0)

    def _not_here(self, what: str):
        raise NotImplementedError(f"Model.{what} is not in turunan's keras: train with a tf.GradientTape and "
                                  "optimizer.apply_gradients, as D2L's Trainer does")

    def compile(self, *args, **kwargs):
        self._not_here("compile")

    def fit(self, *args, **kwargs):
        self._not_here("fit")

    def evaluate(self, *args, **kwargs):
        self._not_here("evaluate")


class Sequential(Model):
    """Layers called one after the other: ``Sequential([Flatten(), Dense(10)])`` or ``.add(layer)``."""

    def __init__(self, layers=None, name: str | None = None, **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.__dict__["_layers"] = []
        for layer in layers or ():
            self.add(layer)

    def add(self, layer) -> None:
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Received: layer={layer!r} of "
                            f"type {type(layer)}.")
        if any(layer.name == other.name for other in self._layers):
            raise ValueError(f'All layers added to a Sequential model should have unique names. Name "{layer.name}" '
                             "is already the name of a layer in this model. Update the `name` argument to pass a "
                             "unique name.")
        self._layers.append(layer)
        self.__dict__["built"] = False
        first = self._layers[0]._build_shape
        if first is not None:      # Keras builds a Sequential whose first layer has an input_shape at once
            shape = tuple(1 if d is None else int(d) for d in first)
            self(_np.zeros(shape, _np.float32))

    def pop(self):
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        return self._layers.pop()

    def build(self, input_shape=None) -> None:
        self.__dict__["built"] = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._layers:
            kwargs = {}
            if training is not None and accepts(layer.call, "training"):
                kwargs["training"] = training
            x = layer(x, **kwargs)
        return x


__getattr__ = _lacking(__name__, "TensorFlow")
