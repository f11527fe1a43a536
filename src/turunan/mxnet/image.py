"""``mxnet.image`` (image decoding and augmentation): imported by D2L's helper library, not provided.

The module exists so that ``from mxnet import image`` works; any name used from it raises an AttributeError
that names it (turunan has no image codecs). D2L's chapters up to the multilayer perceptron use none of it.

>>> from turunan.mxnet import image
>>> image.imread                                   # doctest: +ELLIPSIS
Traceback (most recent call last):
AttributeError: module 'turunan.mxnet.image' has no attribute 'imread': turunan's MXNet front door ...
"""

from __future__ import annotations

from .._doors import lacking as _lacking

__getattr__ = _lacking(__name__, "MXNet")
