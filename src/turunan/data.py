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

__all__ = ["Dataset", "TensorDataset", "DataLoader", "DistributedSampler"]


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
                 seed: int | None = None, generator: Generator | None = None, sampler=None) -> None:
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
        if sampler is not None and shuffle:     # PyTorch's rule: the sampler decides the order
            raise ValueError("sampler option is mutually exclusive with shuffle (the sampler gives the order; "
                             "DistributedSampler shuffles itself)")
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = Generator(seed) if seed is not None else (generator or default_generator)

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.intp)
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


class DistributedSampler:
    """Each rank's share of a dataset, for ``DataLoader(dataset, sampler=...)`` (PyTorch's names and rules).

    Every epoch all ranks draw the same permutation (seeded by ``seed + epoch``: call ``set_epoch(epoch)`` at
    the start of each epoch, or every epoch has the same order), then rank ``r`` takes every
    ``num_replicas``-th index from position ``r``. Unless ``drop_last``, the order is padded with its own first
    indices so that every rank gets ``ceil(len / num_replicas)`` samples (all ranks take the same number of
    steps, as the gradient all-reduce requires); with ``drop_last`` the tail is dropped instead.
    ``num_replicas`` and ``rank`` default to the process group's (``turunan.distributed``).

    >>> import numpy as np
    >>> ds = TensorDataset(np.arange(10.0))
    >>> [list(DistributedSampler(ds, num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    >>> s = DistributedSampler(ds, num_replicas=2, rank=0, seed=1)
    >>> s.set_epoch(1); len(s), sorted(s) != list(s)
    (5, True)
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from . import distributed
            if not distributed.is_initialized():
                raise RuntimeError("DistributedSampler: no process group to take num_replicas and rank from: call "
                                   "turunan.distributed.init_process_group() first, or pass num_replicas= and rank=")
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        num_replicas = as_int(num_replicas, "num_replicas", "a positive integer")
        rank = as_int(rank, "rank", "an integer")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        self.num_samples = n // num_replicas if drop_last else -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` (the same on every rank that is given the same epoch and seed)."""
        self.epoch = as_int(epoch, "epoch")

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        order = np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle else np.arange(n)
        if self.total_size > n:         # pad with the order's own start (repeated if a rank has more than n)
            order = np.resize(order, self.total_size)
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())
