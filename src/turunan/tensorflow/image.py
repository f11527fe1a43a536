"""``tf.image`` over turunan: ``resize_with_pad`` at an image's own size (D2L's Fashion-MNIST pipeline at 28x28).

turunan's core has no image resize yet, so a resize to another size is refused with a clear error; naming only
here (no interpolation is written in the door).

>>> import turunan.tensorflow as tf
>>> tf.image.resize_with_pad(tf.ones((2, 28, 28, 1), dtype=tf.uint8), 28, 28).dtype.name
'float32'
"""

from __future__ import annotations

import numpy as _np

import turunan as _tn

from .._doors import lacking as _lacking
from .._doors import recast as _recast
from ._ops import cast as _cast
from ._tensor import Tensor as _Tensor


def resize_with_pad(image, target_height: int, target_width: int, method="bilinear", antialias: bool = False):
    """``image`` (a batch (N, H, W, C) or one image (H, W, C)) resized to fit ``target_height`` x
    ``target_width`` keeping its aspect ratio, then padded with zeros. Its value is float32, as TensorFlow's
    resize gives (an integer image is cast; at the same size bilinear resizing changes no value). Only the
    image's own size is supported: the core has no resize."""
    if not isinstance(image, _tn.Tensor):
        image = _Tensor(_np.array(image, copy=True))
    if image.ndim not in (3, 4):
        raise ValueError(f"'image' must have either 3 or 4 dimensions (one image (H, W, C) or a batch "
                         f"(N, H, W, C)), got shape {tuple(image.shape)}")
    height, width = image.shape[-3], image.shape[-2]
    target = (int(target_height), int(target_width))
    if target[0] <= 0 or target[1] <= 0:
        raise ValueError(f"target_height and target_width must be > 0, got {target}")
    if target != (height, width):
        raise NotImplementedError(f"tf.image.resize_with_pad from {height}x{width} to {target[0]}x{target[1]}: "
                                  "turunan's core has no image resize; only the image's own size (a no-op) is "
                                  "supported")
    return _recast(_cast(image, _np.float32), _Tensor)


__getattr__ = _lacking(__name__, "TensorFlow")
