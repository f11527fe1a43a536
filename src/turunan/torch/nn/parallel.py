"""``torch.nn.parallel`` over turunan: ``DistributedDataParallel``, turunan's, as a door Module (names only).

>>> import turunan.torch as torch
>>> torch.nn.parallel.DistributedDataParallel.__module__
'turunan.torch.nn.parallel'
"""

from __future__ import annotations

import importlib

from ..._doors import missing


def __getattr__(name: str):
    if name != "DistributedDataParallel":
        if name.startswith("__"):
            raise AttributeError(name)
        raise missing(__name__, name, "PyTorch")
    from . import _made, _module_class  # here: torch.nn imports this module while it is being made
    base = importlib.import_module("turunan.nn.parallel").DistributedDataParallel
    made = _made.get(base)
    if made is None:
        made = _made[base] = _module_class(base)
        made.__module__ = __name__
    return made


def __dir__() -> list:
    return ["DistributedDataParallel"]
