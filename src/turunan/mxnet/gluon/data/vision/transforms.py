"""``mxnet.gluon.data.vision.transforms``: ``Compose``, ``Resize``, ``ToTensor`` (MXNet 1.x,
``python/mxnet/gluon/data/vision/transforms.py``), what D2L's ``FashionMNIST`` data module uses.

``ToTensor`` turns an image of shape (H, W, C) (or a batch (N, H, W, C)), uint8 in [0, 255], into float32
(C, H, W) (or (N, C, H, W)) in [0, 1], dividing by 255. ``Resize(size)`` keeps an image that already has the
size (D2L's default, 28x28) and refuses any other size: turunan has no image interpolation (MXNet's is
OpenCV's bilinear); nothing is resized silently. Transforms are data preparation, outside any recording.

>>> from turunan.mxnet import np
>>> image = np.array([[[0], [255]], [[51], [102]]], dtype='uint8')          # (2, 2, 1)
>>> Compose([Resize((2, 2)), ToTensor()])(image)
array([[[0. , 1. ],
        [0.2, 0.4]]])
"""

from __future__ import annotations

import numpy as _onp

from ....._doors import lacking as _lacking
from ...._ndarray import ndarray

__all__ = ["Compose", "Resize", "ToTensor"]


def _array(x) -> _onp.ndarray:
    return x.asnumpy() if isinstance(x, ndarray) else _onp.asarray(x)


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms) -> None:
        self._transforms = list(transforms)
        for t in self._transforms:
            if not callable(t):
                raise TypeError(f"Compose takes callables (transforms), got {type(t).__name__}")

    def __call__(self, x):
        for t in self._transforms:
            x = t(x)
        return x


class Resize:
    """``Resize(size)``: ``size`` is an int (a square) or ``(width, height)``; only the image's own size works."""

    def __init__(self, size, keep_ratio: bool = False, interpolation: int = 1) -> None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            raise ValueError(f"Resize: size must be an int or a (width, height) pair of positive ints, got {size}")
        self._size = size

    def __call__(self, x):
        shape = _array(x).shape
        if len(shape) not in (3, 4):
            raise ValueError(f"Resize takes an image (H, W, C) or a batch (N, H, W, C), got shape {shape}")
        height, width = shape[-3], shape[-2]
        if (width, height) != self._size:
            raise NotImplementedError(f"Resize{self._size}: turunan.mxnet has no image interpolation; it keeps "
                                      f"images of the asked size only, and this one is {width}x{height} (WxH). "
                                      "Resize the data beforehand")
        return x


class ToTensor:
    """(H, W, C) uint8 in [0, 255] -> (C, H, W) float32 in [0, 1] (a batch: (N, H, W, C) -> (N, C, H, W))."""

    def __call__(self, x):
        arr = _array(x)
        if arr.ndim not in (3, 4):
            raise ValueError(f"ToTensor takes an image (H, W, C) or a batch (N, H, W, C), got shape {arr.shape}")
        channels_first = _onp.moveaxis(arr, -1, -3)
        return ndarray(_onp.ascontiguousarray(channels_first, dtype=_onp.float32) / _onp.float32(255))


__getattr__ = _lacking(__name__, "MXNet")
