"""``mxnet.gluon.data``: ``ArrayDataset``, ``SimpleDataset``, ``DataLoader`` (MXNet 1.x,
``python/mxnet/gluon/data/dataset.py`` and ``dataloader.py``).

``ArrayDataset(X, y)[i]`` is ``(X[i], y[i])`` (one array: just ``X[i]``); ``DataLoader(dataset, batch_size,
shuffle=False, last_batch='keep')`` yields a batch per step: a list ``[X_batch, y_batch]`` of ndarrays for
tuple samples, one ndarray otherwise (MXNet's default batchify), in their own dtypes. ``last_batch='discard'``
drops a short last batch. Shuffling draws from turunan's default generator (``mxnet.random.seed`` seeds it;
MXNet's ``RandomSampler`` draws from NumPy's global one). Batching is turunan's ``DataLoader``.

>>> from turunan.mxnet import np
>>> loader = DataLoader(ArrayDataset(np.arange(10.0).reshape(5, 2), np.arange(5)), batch_size=2)
>>> [[a.shape for a in batch] for batch in loader]
[[(2, 2), (2,)], [(2, 2), (2,)], [(1, 2), (1,)]]
"""

from __future__ import annotations

import numpy as _onp

from .... import data as _data
from ...._doors import lacking as _lacking
from ...._doors import recast
from ..._ndarray import ndarray

__all__ = ["Dataset", "ArrayDataset", "SimpleDataset", "DataLoader", "vision"]


class Dataset(_data.Dataset):
    """Anything with ``__len__`` and ``__getitem__``; ``transform_first(fn)`` maps the first element."""

    def transform(self, fn, lazy: bool = True):
        return _Transformed(self, fn)

    def transform_first(self, fn, lazy: bool = True):
        def first(*sample):
            return (fn(sample[0]), *sample[1:]) if len(sample) > 1 else fn(sample[0])
        return _Transformed(self, first)


class _Transformed(Dataset):
    def __init__(self, base, fn) -> None:
        self._base, self._fn = base, fn

    def __len__(self) -> int:
        return len(self._base)

    def __getitem__(self, i):
        item = self._base[i]
        return self._fn(*item) if isinstance(item, tuple) else self._fn(item)


class SimpleDataset(Dataset):
    """A dataset over a list or an array: ``dataset[i]`` is ``data[i]``."""

    def __init__(self, data) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, i):
        return self._data[i]


class ArrayDataset(Dataset, _data.TensorDataset):
    """Rows of equally long arrays: ``dataset[i]`` is ``(a[i], b[i], ...)`` (one array: ``a[i]``)."""

    def __init__(self, *args) -> None:
        arrays = [a if isinstance(a, (ndarray, _onp.ndarray)) else _onp.asarray(a) for a in args]
        if any(a.ndim == 0 for a in arrays):
            raise ValueError("ArrayDataset: every array needs one row per sample (got a scalar)")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            raise AssertionError(f"All arrays must have the same length; array[0] has length {lengths[0]} while "
                                 f"array[{next(i for i, n in enumerate(lengths) if n != lengths[0])}] has "
                                 f"{next(n for n in lengths if n != lengths[0])}.")
        _data.TensorDataset.__init__(self, *arrays)

    def __getitem__(self, i):
        items = tuple(ndarray(_onp.array(a[i])) for a in self.arrays)
        return items[0] if len(items) == 1 else items


class DataLoader:
    """Batches of a dataset as ndarrays; ``shuffle`` draws a new order every epoch."""

    def __init__(self, dataset, batch_size: int | None = None, shuffle: bool = False, sampler=None,
                 last_batch: str | None = None, batch_sampler=None, batchify_fn=None, num_workers: int = 0,
                 **kwargs) -> None:
        if batch_size is None:
            raise ValueError("batch_size must be specified unless batch_sampler is specified")
        if sampler is not None or batch_sampler is not None or batchify_fn is not None:
            raise NotImplementedError("turunan.mxnet's DataLoader takes batch_size, shuffle and last_batch only "
                                      "(no sampler, batch_sampler or batchify_fn)")
        last_batch = last_batch or "keep"
        if last_batch not in ("keep", "discard"):
            raise ValueError(f"last_batch must be 'keep' or 'discard' here ('rollover' is not supported), got "
                             f"{last_batch!r}")
        self._dataset = dataset
        self._single = not isinstance(dataset, ArrayDataset) or len(dataset.arrays) == 1
        if not isinstance(dataset, _data.TensorDataset) and len(dataset):
            self._single = not isinstance(dataset[0], tuple)
        self._loader = _data.DataLoader(dataset, batch_size, shuffle=shuffle, drop_last=last_batch == "discard")

    def __len__(self) -> int:
        return len(self._loader)

    def __iter__(self):
        for batch in self._loader:
            batch = [recast(b, ndarray) for b in batch]
            yield batch[0] if self._single else batch


_missing = _lacking(__name__, "MXNet")


def __getattr__(name: str):
    """``gluon.data.vision`` on first use (it subclasses this module's Dataset, so it cannot load before it)."""
    if name == "vision":
        import importlib
        return importlib.import_module(f"{__name__}.vision")
    return _missing(name)
