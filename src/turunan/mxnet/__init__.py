"""The chapter in MXNet's style: ``from turunan.mxnet import autograd, np, npx``.

A thin naming layer over turunan's one engine (no derivative math here): ``np`` is a NumPy-like namespace of
MXNet ndarrays; ``x.attach_grad()`` allocates a zero gradient buffer; only what runs inside
``autograd.record()`` is recorded; ``y.backward()`` sums a non-scalar ``y`` and writes ``x.grad`` in place.

>>> from turunan.mxnet import autograd, np, npx
>>> npx.set_np()
>>> x = np.arange(4.0)
>>> x.attach_grad()
>>> with autograd.record():
...     y = 2 * np.dot(x, x)
>>> y
array(28.)
>>> y.backward()
>>> x.grad == 4 * x
array([ True,  True,  True,  True])
"""

from __future__ import annotations

from .._doors import lacking as _lacking
from . import autograd, context, gluon, image, init, random
from . import numpy as np
from . import numpy_extension as npx
from ._ndarray import MXNetError, ndarray
from .context import Context, cpu, gpu, num_gpus

numpy = np
numpy_extension = npx
initializer = init
base = type("base", (), {"MXNetError": MXNetError})   # so that mxnet.base.MXNetError also resolves

__all__ = ["autograd", "gluon", "init", "initializer", "np", "npx", "random", "numpy", "numpy_extension", "ndarray",
           "MXNetError", "context", "Context", "image", "cpu", "gpu", "num_gpus"]

__getattr__ = _lacking(__name__, "MXNet")
