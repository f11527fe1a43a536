"""``mxnet.gluon`` over turunan: what D2L's concise linear regression, softmax regression and MLP use.

``gluon.nn`` (``Block``, ``Sequential``, ``Dense``, ``Flatten``, ...), ``gluon.loss`` (``L2Loss``,
``SoftmaxCrossEntropyLoss``, ...), ``gluon.data`` (``ArrayDataset``, ``DataLoader``), ``gluon.Trainer`` (SGD)
and ``gluon.Parameter`` / ``ParameterDict``, with MXNet 1.x's semantics (each module says which, and where
they are documented). Blocks run the MXNet door's ndarray ops; gradients come from ``autograd.record()`` and
``backward()`` as everywhere in the door.

>>> from turunan.mxnet import autograd, gluon, init, np
>>> net = gluon.nn.Dense(1)
>>> net.initialize(init.Normal(sigma=0.01))
>>> X, y = np.ones((8, 2)), np.ones((8, 1))
>>> trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.03})
>>> with autograd.record():
...     l = gluon.loss.L2Loss()(net(X), y)
>>> l.backward()
>>> trainer.step(8)
>>> net.weight.data().shape
(1, 2)
"""

from __future__ import annotations

from ..._doors import lacking as _lacking
from . import data, loss, nn, parameter, rnn
from .block import Block, HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .trainer import Trainer

__all__ = ["Block", "HybridBlock", "Parameter", "ParameterDict", "Constant", "DeferredInitializationError",
           "Trainer", "nn", "loss", "data", "parameter", "rnn"]

__getattr__ = _lacking(__name__, "MXNet")
