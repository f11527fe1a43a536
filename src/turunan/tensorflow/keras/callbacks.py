"""``tf.keras.callbacks.Callback``: the base class of what ``Model.fit`` calls at each stage.

turunan's keras has no ``fit`` (D2L's Trainer drives training with a tape), so nothing calls these hooks here;
the class is there so that code defining callbacks (D2L's library defines ``TrainCallback``) loads and its
callbacks can be built and called by hand.

>>> import turunan.tensorflow as tf
>>> class Count(tf.keras.callbacks.Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         self.last = epoch
>>> c = Count(); c.on_epoch_end(3); c.last
3
"""

from __future__ import annotations

from ..._doors import lacking as _lacking


class Callback:
    """Keras' callback base: ``set_model``, ``set_params`` and the ``on_*`` hooks, each doing nothing."""

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}
        self.validation_data = None

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def _hook(self, *args, logs=None) -> None:
        """A stage of training: nothing to do unless a subclass says so."""

    on_epoch_begin = on_epoch_end = _hook
    on_train_begin = on_train_end = on_test_begin = on_test_end = on_predict_begin = on_predict_end = _hook
    on_train_batch_begin = on_train_batch_end = on_test_batch_begin = on_test_batch_end = _hook
    on_predict_batch_begin = on_predict_batch_end = on_batch_begin = on_batch_end = _hook


__getattr__ = _lacking(__name__, "TensorFlow")
