"""``mxnet.gluon.rnn`` (recurrent layers): imported by D2L's helper library, not provided.

The module exists so that ``from mxnet.gluon import rnn`` works; any layer used from it raises an
AttributeError that names it. D2L's chapters up to the multilayer perceptron use none of it.

>>> from turunan.mxnet.gluon import rnn
>>> rnn.LSTM                                       # doctest: +ELLIPSIS
Traceback (most recent call last):
AttributeError: module 'turunan.mxnet.gluon.rnn' has no attribute 'LSTM': turunan's MXNet front door ...
"""

from __future__ import annotations

from ..._doors import lacking as _lacking

__getattr__ = _lacking(__name__, "MXNet")
