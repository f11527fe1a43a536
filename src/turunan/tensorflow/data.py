"""``tf.data`` over turunan: ``Dataset`` with the pipeline D2L's TensorFlow tab builds (``from_tensor_slices``,
``shuffle``, ``batch``, ``map``), in TensorFlow's order and semantics.

- An element is a tensor, or a tuple or dict of them (TensorFlow's structures; a list is one tensor, as
  TensorFlow packs it). Iterating gives tf.Tensors (tuples of them for a tuple), as an eager ``tf.data`` does.
- Each step applies to the elements of the step before it: ``.shuffle(n).batch(b)`` shuffles examples, then
  batches them; ``.batch(b).shuffle(n)`` (D2L's Fashion-MNIST) batches in order, then shuffles whole batches.
- ``shuffle(buffer_size)`` keeps a buffer of that many elements and gives a random one of them each time, so a
  buffer as large as the data set gives a uniform permutation (drawn as one ``permutation``) and a buffer of 1
  the order unchanged (nothing drawn). The order is drawn anew at every iteration unless
  ``reshuffle_each_iteration=False``; the draws come from turunan's default generator (``tf.random.set_seed``),
  or from a generator of the dataset's own when ``seed`` is given.
- ``len(ds)`` and ``ds.cardinality()`` are the number of elements where it is known (``map`` keeps it, ``batch``
  divides it); data go through no tape (no gradients flow into a data set, as in TensorFlow).

>>> import turunan.tensorflow as tf
>>> ds = tf.data.Dataset.from_tensor_slices(([1., 2., 3.], [0, 1, 0])).batch(2)
>>> [(tuple(x.shape), y.numpy().tolist()) for x, y in ds]
[((2,), [0, 1]), ((1,), [0])]
"""

from __future__ import annotations

import math as _math
from collections.abc import Callable, Iterator

import numpy as _np

import turunan as _tn

from .._doors import lacking as _lacking
from ._tensor import Tensor as _Tensor
from ._tensor import convert as _convert

INFINITE, UNKNOWN = -1, -2     # tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY
INFINITE_CARDINALITY, UNKNOWN_CARDINALITY = INFINITE, UNKNOWN
AUTOTUNE = -1


# ---- structures: a tensor, or a tuple / dict of structures ---------------------------------------------------
def _leaves(element) -> list:
    if isinstance(element, dict):
        return [leaf for key in sorted(element) for leaf in _leaves(element[key])]
    if isinstance(element, tuple):
        return [leaf for part in element for leaf in _leaves(part)]
    return [element]


def _rebuild(like, leaves: Iterator):
    if isinstance(like, dict):
        return {key: _rebuild(like[key], leaves) for key in sorted(like)}
    if isinstance(like, tuple):
        parts = [_rebuild(part, leaves) for part in like]
        return type(like)(*parts) if hasattr(like, "_fields") else tuple(parts)
    return next(leaves)


def _array(value) -> _np.ndarray:
    """A leaf's value as an array, with TensorFlow's defaults (Python floats float32, ints int32)."""
    if isinstance(value, _tn.Tensor):
        return _np.asarray(value._d)
    return _convert(value)


def _tensors(like, arrays) -> object:
    """The structure ``like`` with these arrays as its leaves, each a tf.Tensor."""
    return _rebuild(like, iter(_Tensor(_np.array(a, copy=True)) for a in arrays))


def _count(value, what: str) -> int:
    if isinstance(value, _tn.Tensor) and value.ndim == 0:
        value = value._d[()]
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)):
        raise TypeError(f"{what} must be an integer, got {type(value).__name__} {value!r:.40}")
    return int(value)


# ---- Dataset ----------------------------------------------------------------------------------------------------
class Dataset:
    """A sequence of elements made anew at each iteration (see the module's text); build it with
    ``Dataset.from_tensor_slices`` or ``Dataset.from_tensors`` and its methods."""

    def __init__(self, elements: Callable[[], Iterator], length: int) -> None:
        self._elements = elements     # gives a fresh iterator of elements (structures of tf.Tensors)
        self._length = length         # the number of elements, INFINITE or UNKNOWN

    # ---- sources ----------------------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None) -> Dataset:
        """One element per row of ``tensors`` (every leaf sliced along its first axis; all the same length). The
        values are copied in: changing the arrays given later does not change the data set, as in TensorFlow."""
        arrays = [_np.array(_array(leaf), copy=True) for leaf in _leaves(tensors)]
        if any(a.ndim == 0 for a in arrays):
            raise ValueError("Unbatched tensor (a scalar) given to from_tensor_slices: every component needs a "
                             "first axis to slice along")
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ValueError(f"Dimensions of the components given to from_tensor_slices differ: first axes "
                             f"{[len(a) for a in arrays]} (they must all have the same length)")
        n = lengths.pop()
        return Dataset(lambda: (_tensors(tensors, [a[i] for a in arrays]) for i in range(n)), n)

    @staticmethod
    def from_tensors(tensors, name=None) -> Dataset:
        """One element: ``tensors`` itself (copied in)."""
        arrays = [_np.array(_array(leaf), copy=True) for leaf in _leaves(tensors)]
        return Dataset(lambda: iter([_tensors(tensors, arrays)]), 1)

    # ---- iterating --------------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        return self._elements()

    def __len__(self) -> int:
        if self._length == INFINITE:
            raise TypeError("The dataset is infinite.")
        if self._length == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return self._length

    def __bool__(self) -> bool:
        return True           # TensorFlow's datasets are true (an empty one too); len() is not asked

    def cardinality(self) -> _Tensor:
        """The number of elements as an int64 tensor; -1 infinite, -2 unknown (TensorFlow's constants)."""
        return _Tensor(_np.array(self._length, _np.int64))

    def as_numpy_iterator(self) -> Iterator:
        """The elements with NumPy arrays for tensors."""
        for element in self:
            yield _rebuild(element, iter(leaf.numpy() for leaf in _leaves(element)))

    # ---- transformations ---------------------------------------------------------------------------------------
    def batch(self, batch_size, drop_remainder: bool = False, num_parallel_calls=None, deterministic=None,
              name=None) -> Dataset:
        """``batch_size`` consecutive elements stacked along a new first axis; a shorter last batch unless
        ``drop_remainder``."""
        size = _count(batch_size, "batch_size")
        if size <= 0:
            raise ValueError(f"batch_size must be greater than zero, got {size}")

        def elements():
            chunk = []
            for element in self:
                chunk.append(element)
                if len(chunk) == size:
                    yield _stacked(chunk)
                    chunk = []
            if chunk and not drop_remainder:
                yield _stacked(chunk)
        n = self._length
        if n >= 0:
            n = n // size if drop_remainder else _math.ceil(n / size)
        return Dataset(elements, n)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None) -> Dataset:
        """``map_func`` on each element (a tuple's parts as separate arguments, as TensorFlow passes them)."""
        if not callable(map_func):
            raise TypeError(f"map_func must be callable, got {type(map_func).__name__}")

        def elements():
            for element in self:
                out = map_func(*element) if isinstance(element, tuple) else map_func(element)
                yield _tensors(out, [_array(leaf) for leaf in _leaves(out)])
        return Dataset(elements, self._length)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration: bool = True, name=None) -> Dataset:
        """The elements in a random order, drawn through a buffer of ``buffer_size`` (see the module's text)."""
        size = _count(buffer_size, "buffer_size")
        if size <= 0 and size != AUTOTUNE:      # AUTOTUNE: the whole data set
            raise ValueError(f"buffer_size must be greater than zero (or tf.data.AUTOTUNE), got {size}")
        own = _tn.Generator(_count(seed, "seed")) if seed is not None else None
        fixed: list = []        # reshuffle_each_iteration=False: one seed, drawn once, for every iteration

        def elements():
            if size == 1:       # a buffer of one gives the elements in order: nothing to draw
                return iter(self)
            gen = own if own is not None else _tn.default_generator
            if not reshuffle_each_iteration:
                if not fixed:
                    fixed.append(int(gen.randint(0, 2**31 - 1)._d))
                gen = _tn.Generator(fixed[0])
            if size == AUTOTUNE or 0 <= self._length <= size:
                items = list(self)
                return (items[i] for i in self._permutation(len(items), gen))
            return _buffered(iter(self), size, gen)
        return Dataset(elements, self._length)

    @staticmethod
    def _permutation(n: int, gen) -> list:
        """A uniform order of ``n`` elements: what a shuffle buffer that holds them all gives."""
        return [int(i) for i in _np.asarray(gen.permutation(n)._d)]

    def take(self, count) -> Dataset:
        """The first ``count`` elements (all of them for -1)."""
        count = _count(count, "count")

        def elements():
            for i, element in enumerate(self):
                if i == count:
                    return
                yield element
        if count < 0:
            n = self._length
        elif self._length >= 0:
            n = min(count, self._length)
        else:
            n = count if self._length == INFINITE else UNKNOWN
        return Dataset(elements, n)

    def repeat(self, count=None) -> Dataset:
        """The elements ``count`` times over (for ever when None or -1), each pass a new iteration."""
        count = -1 if count is None else _count(count, "count")

        def elements():
            done = 0
            while count < 0 or done < count:
                yield from self
                done += 1
        if self._length == 0 or count == 0:
            n = 0
        elif count < 0:
            n = INFINITE
        else:
            n = self._length * count if self._length >= 0 else self._length
        return Dataset(elements, n)

    def prefetch(self, buffer_size, name=None) -> Dataset:
        """The same elements (eagerly, nothing to prefetch)."""
        return self

    def __repr__(self) -> str:
        return f"<Dataset cardinality={self._length}>"

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"'Dataset' object has no attribute '{name}': turunan's TensorFlow front door does not "
                             f"provide 'Dataset.{name}' (yet); it has from_tensor_slices, from_tensors, batch, map, "
                             "shuffle, take, repeat, prefetch, cardinality, as_numpy_iterator")


def _buffered(source: Iterator, size: int, gen) -> Iterator:
    """TensorFlow's shuffle buffer: fill ``size`` elements, then give a random one and put the next in its place;
    at the end, give the rest in a random order."""
    buffer: list = []
    for element in source:
        if len(buffer) < size:
            buffer.append(element)
            continue
        k = int(gen.randint(0, size)._d)
        yield buffer[k]
        buffer[k] = element
    while buffer:
        yield buffer.pop(int(gen.randint(0, len(buffer))._d))


def _stacked(chunk: list):
    """Elements of one structure stacked leaf by leaf along a new first axis."""
    columns = zip(*(_leaves(element) for element in chunk))
    return _tensors(chunk[0], [_np.stack([_np.asarray(leaf._d) for leaf in column]) for column in columns])


class experimental:  # noqa: N801  (tf.data.experimental, a namespace)
    AUTOTUNE = AUTOTUNE
    INFINITE_CARDINALITY, UNKNOWN_CARDINALITY = INFINITE, UNKNOWN

    @staticmethod
    def cardinality(dataset: Dataset) -> _Tensor:
        return dataset.cardinality()


__getattr__ = _lacking(__name__, "TensorFlow")
