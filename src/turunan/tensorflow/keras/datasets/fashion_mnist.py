"""``tf.keras.datasets.fashion_mnist``: ``load_data()`` over ``turunan.datasets.fashion_mnist`` (which downloads
nothing: its files are read from disk, see ``turunan.datasets.fashion_mnist_root``)."""

from __future__ import annotations

from .... import datasets as _datasets
from ...._doors import lacking as _lacking


def load_data():
    """``((x_train, y_train), (x_test, y_test))`` as Keras gives them: NumPy arrays, images uint8 (N, 28, 28) and
    labels uint8 (N,) (60,000 training and 10,000 test examples in the real set).

    >>> from turunan import book
    >>> import turunan.tensorflow as tf
    >>> with book.synthetic_data():
    ...     (x, y), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    >>> x.shape, x.dtype.name, y.dtype.name
    ((1024, 28, 28), 'uint8', 'uint8')
    """
    train = _datasets.fashion_mnist(train=True)      # read through the module: book.synthetic_data swaps it
    test = _datasets.fashion_mnist(train=False)
    return tuple(train), tuple(test)


__getattr__ = _lacking(__name__, "TensorFlow")
