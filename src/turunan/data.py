"""Data: ``TensorDataset`` over arrays and a small ``DataLoader`` (batch size, seeded shuffle, drop_last).

>>> import numpy as np
>>> from turunan.data import DataLoader, TensorDataset
>>> ds = TensorDataset(np.arange(10.0), np.arange(10) % 2)
>>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0, drop_last=True)
>>> len(loader), [xb.shape for xb, yb in loader]
(2, [(4,), (4,)])
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ._array import as_int
from ._core import Tensor
from ._creation import Generator, default_generator

__all__ = ["Dataset", "TensorDataset", "DataLoader"]


class Dataset:
    """Anything with ``__len__`` and ``__getitem__(i)`` returning a sample (a tuple of arrays or numbers)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, i):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays or Tensors (inputs, labels, ...).

    >>> TensorDataset([[1, 2], [3, 4]], [0, 1])[1]
    (array([3, 4]), array(1))
    """

    def __init__(self, *arrays) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = [a._d if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
        for k, a in enumerate(self.arrays):
            # found here, not at the first batch of an epoch: strings or objects never become tensors
            if a.dtype.kind not in "biufc":
                raise TypeError(f"TensorDataset array {k} has dtype {a.dtype}; samples must be numbers or booleans "
                                "(convert labels to integers first, e.g. with numpy.unique(..., return_inverse=True))")
            if a.ndim == 0:
                raise ValueError(f"TensorDataset array {k} is a scalar; each array needs one row per sample")
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset arrays must have the same length, got {[len(a) for a in self.arrays]}")
        self.tensors = self.arrays   # PyTorch's attribute name

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, i):
        return tuple(np.asarray(a[i]) for a in self.arrays)

    def take(self, index: np.ndarray) -> tuple:
        """A whole batch at once (fancy indexing, no per-sample Python loop)."""
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Iterate over a dataset in batches of Tensors.

    ``shuffle=True`` draws a new order every epoch from a generator seeded once by ``seed`` (or from
    ``generator``, or turunan's default generator), so runs are reproducible and epochs differ.
    ``drop_last`` drops a final batch smaller than ``batch_size``. Arrays may be passed directly:
    ``DataLoader((x, y), batch_size=32)``.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None, generator: Generator | None = None) -> None:
        if isinstance(dataset, (tuple, list)) and dataset and not isinstance(dataset[0], (int, float)):
            dataset = TensorDataset(*dataset)
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError("DataLoader needs a dataset with __len__ and __getitem__ (e.g. TensorDataset(x, y))")
        # int(2.5) would quietly give batches of 2, int("2") would accept a string: integers only, as PyTorch
        batch_size = as_int(batch_size, "batch_size", "a positive integer")
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer (>= 1), got {batch_size}")
        if seed is not None and generator is not None:
            raise ValueError("give seed or generator, not both")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = Generator(seed) if seed is not None else (generator or default_generator)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        return self.generator.rng.permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self) -> Iterator[tuple]:
        order = self._order()
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            idx = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset):
                parts = self.dataset.take(idx)
            else:
                samples = [self.dataset[int(i)] for i in idx]
                if not isinstance(samples[0], tuple):
                    samples = [(s,) for s in samples]
                parts = tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(samples[0])))
            yield tuple(Tensor(p) for p in parts)
