"""``tf.keras.Model`` (subclassed, with ``call``) and ``tf.keras.Sequential`` (also under ``tf.keras.models``).

A Model is a Layer that holds layers: those assigned to its attributes are tracked, and ``trainable_variables``
gathers their weights (built on the first call), which is what D2L's ``Trainer`` hands to
``tape.gradient`` and ``optimizer.apply_gradients``. The functional API (``Model(inputs, outputs)``) and
``compile``/``fit``/``evaluate`` train with a ``GradientTape`` and the optimiser's ``apply_gradients``, as a
hand-written loop would; callbacks and validation data are not here.
"""

from __future__ import annotations

import numpy as _np

import turunan as _tn

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

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs) -> None:
        """Choose the optimiser (an instance or ``'sgd'``/``'adam'``), the loss (an instance, a function or its
        name) and the metrics (``['accuracy']``) that ``fit`` and ``evaluate`` use."""
        from . import losses, optimizers
        self.__dict__["_compiled"] = (optimizers.get(optimizer), losses.get(loss), list(metrics or []))

    def _training_setup(self):
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            raise RuntimeError("You must compile your model before training/testing. Use `model.compile(optimizer, "
                               "loss)`.")
        return compiled

    def _batches(self, x, y, batch_size, shuffle: bool):
        """(inputs, labels) batches: from arrays (32 a batch by default), or as a ``tf.data`` dataset gives them."""
        if y is None and hasattr(x, "__iter__") and not _is_arraylike(x):
            yield from x
            return
        x, y = _as_array(x), _as_array(y)
        order = _np.random.permutation(len(x)) if shuffle else _np.arange(len(x))
        size = 32 if batch_size is None else int(batch_size)
        for i in range(0, len(x), size):
            idx = order[i:i + size]
            yield x[idx], y[idx]

    def _run_epoch(self, x, y, batch_size, shuffle: bool, train: bool) -> dict:
        """One pass; the loss and metrics averaged over the examples (Keras weighs each batch by its size)."""
        from .._tape import GradientTape
        optimizer, loss_fn, metrics = self._training_setup()
        totals: dict = {}
        count = 0
        for xb, yb in self._batches(x, y, batch_size, shuffle):
            with GradientTape() as tape:
                pred = self(xb, training=train)
                loss = loss_fn(yb, pred)
                loss = _tn.mean(loss) if _np.ndim(loss._d) else loss
            if train:
                grads = tape.gradient(loss, self.trainable_variables)
                optimizer.apply_gradients(zip(grads, self.trainable_variables))
            n = len(_as_array(yb))
            count += n
            values = {"loss": float(loss._d)}
            values.update({m: _metric(m, loss_fn, _as_array(yb), _np.asarray(pred._d)) for m in metrics})
            for k, v in values.items():
                totals[k] = totals.get(k, 0.0) + v * n
        return {k: v / count for k, v in totals.items()}

    def fit(self, x=None, y=None, batch_size=None, epochs: int = 1, verbose="auto", callbacks=None,
            shuffle: bool = True, **kwargs):
        """Train ``epochs`` times over the data; returns a ``History`` whose ``history['loss']`` holds each
        epoch's mean loss (and each metric's)."""
        history = History()
        for epoch in range(int(epochs)):
            logs = self._run_epoch(x, y, batch_size, shuffle, train=True)
            history.epoch.append(epoch)
            for k, v in logs.items():
                history.history.setdefault(k, []).append(v)
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict: bool = False, **kwargs):
        """The loss (and metrics: ``[loss, accuracy]``) over the data, in inference mode."""
        logs = self._run_epoch(x, y, batch_size, False, train=False)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values


class History:
    """What ``fit`` returns: ``history`` (a dict of per-epoch lists) and ``epoch``."""

    def __init__(self) -> None:
        self.history: dict = {}
        self.epoch: list = []


def _is_arraylike(x) -> bool:
    return isinstance(x, (_np.ndarray, list, tuple)) or hasattr(x, "_d")


def _as_array(x):
    return _np.asarray(x._d if hasattr(x, "_d") else x)


def _metric(name, loss_fn, y_true, y_pred) -> float:
    """Keras' ``'accuracy'``: sparse (integer labels against class scores), categorical (one-hot labels) or
    binary (a 0.5 threshold on one output), as the labels' and predictions' shapes say."""
    if name not in ("accuracy", "acc"):
        raise ValueError(f"Unknown metric function: '{name}' (turunan's keras has 'accuracy')")
    if y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        labels = y_true.argmax(-1) if y_true.shape == y_pred.shape else y_true.reshape(y_pred.shape[:-1])
        return float((y_pred.argmax(-1) == labels).mean())
    return float(((y_pred > 0.5).reshape(y_true.shape) == y_true).mean())


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
