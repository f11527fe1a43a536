"""``tf.keras`` over turunan: the part D2L's TensorFlow tab of the linear-regression, softmax-regression and
MLP chapters uses (``import turunan.tensorflow as tf``; then ``tf.keras...`` as in TensorFlow 2's tf.keras).

>>> import turunan.tensorflow as tf
>>> net = tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(3, activation='relu')])
>>> net(tf.ones((2, 2, 2))).shape
(2, 3)
>>> [tuple(v.shape) for v in net.trainable_variables]
[(4, 3), (3,)]
"""

from __future__ import annotations

from ..._doors import lacking as _lacking
from . import activations, callbacks, datasets, initializers, layers, losses, metrics, models, optimizers
from .models import Model, Sequential

__all__ = ["Model", "Sequential", "activations", "callbacks", "datasets", "initializers", "layers", "losses", "metrics",
           "models", "optimizers"]

__getattr__ = _lacking(__name__, "TensorFlow")
