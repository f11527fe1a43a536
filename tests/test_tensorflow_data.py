"""The TensorFlow door's ``tf.data.Dataset``, ``tf.image.resize_with_pad``, ``tf.keras.callbacks.Callback``,
``tf.keras.datasets.fashion_mnist`` and the ``/`` of small integers: what D2L's TensorFlow library and chapters
use (issue 11). TensorFlow is not installed: expected values are its documented semantics (the tf.data guide and
API pages: a shuffle buffer as large as the data set gives a uniform permutation, reshuffled each iteration by
default; ``batch`` keeps a short last batch; ``map`` passes a tuple's parts as arguments; a uint8 tensor divides
as float32), checked by value.
"""

from __future__ import annotations

import numpy as np
import pytest

import turunan.tensorflow as tf
from turunan import book

Dataset = tf.data.Dataset


def rows(ds) -> list:
    return [tuple(t.numpy().tolist() for t in e) if isinstance(e, tuple) else e.numpy().tolist() for e in ds]


def test_from_tensor_slices_batch_and_map_as_tensorflow():
    x, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    ds = Dataset.from_tensor_slices((x, y))
    first = next(iter(ds))
    assert isinstance(first, tuple) and all(type(t) is tf.Tensor for t in first)
    assert first[0].dtype == np.float64 and first[1].dtype == np.int64    # NumPy arrays keep their dtypes
    batched = ds.batch(2)
    assert len(ds) == 5 and len(batched) == 3 and int(batched.cardinality()) == 3
    assert rows(batched) == [([[0, 1], [2, 3]], [0, 1]), ([[4, 5], [6, 7]], [0, 1]), ([[8, 9]], [1])]
    assert len(ds.batch(2, drop_remainder=True)) == 2 and len(list(ds.batch(2, drop_remainder=True))) == 2
    doubled = batched.map(lambda a, b: (a * 2, b + 1))          # a tuple's parts are the arguments
    assert len(doubled) == 3
    assert rows(doubled)[2] == ([[16, 18]], [2])
    assert rows(Dataset.from_tensor_slices([1.0, 2.0]))[0] == 1.0   # a list is one tensor: float32, sliced
    assert next(iter(Dataset.from_tensor_slices([1.0, 2.0]))).dtype == np.float32
    assert next(iter(Dataset.from_tensor_slices([1, 2]))).dtype == np.int32
    d = next(iter(Dataset.from_tensor_slices({"a": [1, 2], "b": [[3.0], [4.0]]}).batch(2)))
    assert sorted(d) == ["a", "b"] and d["b"].shape == (2, 1)
    assert list(Dataset.from_tensors(([1, 2], 3)).as_numpy_iterator())[0][0].tolist() == [1, 2]
    source = np.arange(3.0)
    ds = Dataset.from_tensor_slices(source)
    source[0] = 99.0                                            # the data set holds a copy, as TensorFlow's
    assert rows(ds) == [0.0, 1.0, 2.0]


def test_shuffle_reshuffles_each_iteration_and_keeps_the_elements():
    tf.random.set_seed(0)
    ds = Dataset.from_tensor_slices(np.arange(50)).shuffle(buffer_size=50)
    a, b = rows(ds), rows(ds)
    assert sorted(a) == sorted(b) == list(range(50))
    assert a != b and a != list(range(50))                  # a new order each iteration
    fixed = Dataset.from_tensor_slices(np.arange(50)).shuffle(50, reshuffle_each_iteration=False)
    assert rows(fixed) == rows(fixed) != list(range(50))
    seeded = [rows(Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=3)) for _ in range(2)]
    assert seeded[0] == seeded[1]                           # a seed makes the sequence of orders reproducible
    assert rows(Dataset.from_tensor_slices(np.arange(7)).shuffle(1)) == list(range(7))   # a buffer of one


def test_a_small_shuffle_buffer_only_moves_elements_within_reach():
    """TensorFlow's buffer of k: the i-th element given is one of the first i + k; every element once."""
    tf.random.set_seed(1)
    k, n = 3, 40
    out = rows(Dataset.from_tensor_slices(np.arange(n)).shuffle(k))
    assert sorted(out) == list(range(n)) and out != list(range(n))
    assert all(v < i + k for i, v in enumerate(out))


def test_shuffle_after_batch_shuffles_whole_batches():
    """D2L's Fashion-MNIST pipeline: ``.batch(b)...shuffle(n)`` keeps each batch as it is and shuffles the batches."""
    tf.random.set_seed(2)
    ds = Dataset.from_tensor_slices(np.arange(12)).batch(4).shuffle(12)
    batches = rows(ds)
    assert len(ds) == 3 and sorted(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_the_shuffle_draws_from_turunans_generator():
    tf.random.set_seed(5)
    a = rows(Dataset.from_tensor_slices(np.arange(30)).shuffle(30))
    tf.random.set_seed(5)
    assert rows(Dataset.from_tensor_slices(np.arange(30)).shuffle(30)) == a


def test_take_repeat_prefetch_and_lengths():
    ds = Dataset.from_tensor_slices(np.arange(5))
    assert rows(ds.take(2)) == [0, 1] and len(ds.take(2)) == 2 and len(ds.take(-1)) == 5
    assert rows(ds.repeat(2)) == [0, 1, 2, 3, 4] * 2 and len(ds.repeat(2)) == 10
    assert rows(ds.repeat().take(7)) == [0, 1, 2, 3, 4, 0, 1] and len(ds.repeat().take(7)) == 7
    assert int(ds.repeat().cardinality()) == tf.data.INFINITE_CARDINALITY
    assert int(tf.data.experimental.cardinality(ds)) == 5 and ds.prefetch(tf.data.AUTOTUNE) is ds
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())


def test_dataset_misuse_is_refused_clearly():
    with pytest.raises(ValueError, match="same length"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="scalar"):
        Dataset.from_tensor_slices(3.0)
    ds = Dataset.from_tensor_slices(np.arange(4))
    with pytest.raises(ValueError, match="batch_size must be greater than zero"):
        ds.batch(0)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        ds.batch(2.5)
    with pytest.raises(ValueError, match="buffer_size"):
        ds.shuffle(0)
    with pytest.raises(TypeError, match="callable"):
        ds.map(3)
    with pytest.raises(AttributeError, match="does not provide 'Dataset.interleave'"):
        ds.interleave    # noqa: B018
    with pytest.raises(AttributeError, match="does not provide 'TFRecordDataset'"):
        tf.data.TFRecordDataset     # noqa: B018


def test_small_integers_divide_as_float32():
    """TensorFlow's truediv: 8- and 16-bit integers give float32, 32- and 64-bit ones float64."""
    images = np.array([[0, 7, 255]], np.uint8)
    x = tf.expand_dims(images, axis=2) / 255
    assert x.dtype == np.float32 and x.shape == (1, 3, 1)
    np.testing.assert_array_equal(x.numpy()[..., 0], images.astype(np.float32) / np.float32(255))
    assert (tf.constant([1, 2], dtype=tf.int16) / tf.constant([2, 2], dtype=tf.int16)).dtype == np.float32
    assert (255 / tf.constant([1, 2], dtype=tf.uint8)).dtype == np.float32
    assert tf.math.divide(images, 255).dtype == np.float32 and tf.truediv(images, 255).dtype == np.float32
    assert (tf.constant([1, 2]) / 2).dtype == np.float64            # int32
    assert (tf.constant([1.0, 2.0]) / 2).dtype == np.float32


def test_resize_with_pad_at_the_same_size_and_refused_otherwise():
    batch = np.arange(2 * 4 * 3 * 1).reshape(2, 4, 3, 1).astype(np.uint8)
    out = tf.image.resize_with_pad(batch, 4, 3)
    assert out.dtype == np.float32 and out.shape == (2, 4, 3, 1)
    np.testing.assert_array_equal(out.numpy(), batch.astype(np.float32))
    assert tf.image.resize_with_pad(tf.ones((4, 3, 1)), 4, 3).shape == (4, 3, 1)
    with pytest.raises(NotImplementedError, match="no image resize"):
        tf.image.resize_with_pad(batch, 8, 6)
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        tf.image.resize_with_pad(np.zeros((4, 3)), 4, 3)
    with pytest.raises(ValueError, match="> 0"):
        tf.image.resize_with_pad(batch, 0, 3)


def test_callbacks_can_be_subclassed_and_called():
    class Keep(tf.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append((epoch, logs))

    c = Keep()
    c.set_model("m")
    c.set_params({"epochs": 2})
    c.on_epoch_end(0, {"loss": 1.0})
    c.on_train_begin()
    c.on_train_batch_end(3, logs={})
    assert c.seen == [(0, {"loss": 1.0})] and c.model == "m" and c.params == {"epochs": 2}


def test_keras_fashion_mnist_as_keras_gives_it():
    with book.synthetic_data():
        (x, y), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    assert (x.shape, x.dtype, y.shape, y.dtype) == ((1024, 28, 28), np.uint8, (1024,), np.uint8)
    assert (x_test.shape, y_test.shape) == ((256, 28, 28), (256,))
    assert type(x) is np.ndarray and set(np.unique(y)) <= set(range(10))


def test_d2l_library_loads_whole():
    """The book's TensorFlow library runs on the door, every statement (its aliases tf.meshgrid, sinh, cosh and
    repeat included), and its TrainCallback is a keras Callback."""
    if not book.library_path("tensorflow").is_file():
        pytest.skip("D2L's helper library is not beside the checkout (shared/d2l, or $TURUNAN_D2L)")
    d2l = book.load_library("tensorflow")
    assert d2l.skipped == []
    assert issubclass(d2l.TrainCallback, tf.keras.callbacks.Callback)
    assert d2l.sinh is tf.sinh and d2l.meshgrid is tf.meshgrid and d2l.repeat is tf.repeat
