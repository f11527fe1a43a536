"""``mxnet.gluon.data.vision``: the ``FashionMNIST`` data set and ``transforms``, as D2L's MXNet tab uses them.

MXNet 1.x (``python/mxnet/gluon/data/vision/datasets.py``): ``FashionMNIST(root, train=True, transform=None)``
holds the images as one uint8 array of shape (N, 28, 28, 1) (height, width, channel) and the labels as NumPy
int32; ``dataset[i]`` is ``(image, label)``, or ``transform(image, label)`` where a transform is given, and
``transform_first(fn)`` maps the images only. The data are ``turunan.datasets.fashion_mnist``'s (read from
``root``, or turunan's default folder, where ``root`` is not given): turunan downloads nothing.

>>> from turunan import book
>>> with book.synthetic_data():
...     data = FashionMNIST(train=False)
>>> image, label = data[0]
>>> image.shape, image.dtype.name, type(label).__name__, len(data)
((28, 28, 1), 'uint8', 'int32', 256)
>>> data.transform_first(transforms.ToTensor())[0][0].shape
(1, 28, 28)
"""

from __future__ import annotations

import numpy as _onp

from ..... import datasets as _datasets
from ....._doors import lacking as _lacking
from ...._ndarray import ndarray
from .. import Dataset
from . import transforms

__all__ = ["FashionMNIST", "transforms"]


class FashionMNIST(Dataset):
    """Fashion-MNIST's training (``train=True``) or test set: (28, 28, 1) uint8 images and int32 labels."""

    def __init__(self, root=None, train: bool = True, transform=None) -> None:
        images, labels = _datasets.fashion_mnist(bool(train), root=root)
        self._transform = transform
        self._data = ndarray(_onp.ascontiguousarray(images).reshape(len(labels), 28, 28, 1))
        self._label = _onp.asarray(labels).astype(_onp.int32)

    def __len__(self) -> int:
        return len(self._label)

    def __getitem__(self, idx):
        image, label = self._data[idx], self._label[idx]
        return self._transform(image, label) if self._transform is not None else (image, label)


__getattr__ = _lacking(__name__, "MXNet")
