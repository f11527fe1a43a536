"""``torch.save`` / ``torch.load`` over turunan: any object holding door tensors (a model's or an optimiser's
``state_dict``, a dict of both, a list of tensors) pickled to a path or a file object.

``load`` with ``weights_only=True`` (PyTorch 2.6's default) unpickles only tensors, arrays, numbers, strings and
the containers of PyTorch's allow-list, so a checkpoint from elsewhere cannot run code; ``weights_only=False`` is
plain pickle, for a trusted file only. Files are turunan's own pickles, not PyTorch's zip format.

>>> import io
>>> import turunan.torch as torch
>>> buf = io.BytesIO()
>>> torch.save({"w": torch.ones(2)}, buf); _ = buf.seek(0)
>>> torch.load(buf)
{'w': tensor([1., 1.])}
"""

from __future__ import annotations

import io
import os
import pickle

from .._doors import lacking

__all__ = ["save", "load"]

_SAFE = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"),
         ("builtins", "slice"), ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy._core.multiarray", "_reconstruct"),
         ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
         ("numpy.core.multiarray", "scalar"), ("turunan.torch", "Tensor"), ("turunan._core", "Tensor")}
_SAFE_MODULES = ("numpy.dtypes",)


class _WeightsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _SAFE or module in _SAFE_MODULES or module.startswith("turunan.torch.nn") \
                and name == "Parameter":
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"weights_only load refused {module}.{name}: only tensors, arrays, numbers, strings and containers "
            "load this way. If you trust the file, load it with torch.load(f, weights_only=False)")


def save(obj, f, pickle_module=pickle, pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Pickle ``obj`` to ``f`` (a path, or a binary file object such as ``io.BytesIO``)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            pickle_module.dump(obj, fh, protocol=max(pickle_protocol, pickle.DEFAULT_PROTOCOL))
    else:
        pickle_module.dump(obj, f, protocol=max(pickle_protocol, pickle.DEFAULT_PROTOCOL))


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None, mmap=None, **kwargs):
    """Unpickle what ``save`` wrote to ``f`` (a path or a binary file object). ``map_location`` may only name
    the CPU (turunan has no other device)."""
    from ._types import check_device
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        check_device(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    if data[:2] == b"PK":
        raise ValueError("this file is a zip archive (PyTorch's own torch.save format), which turunan's torch.load "
                         "does not read; in PyTorch, save {name: tensor.numpy()} with numpy.savez and load that with "
                         "numpy.load, or save with turunan's torch.save")
    if weights_only is False:
        return (pickle_module or pickle).loads(data)
    return _WeightsOnly(io.BytesIO(data)).load()


__getattr__ = lacking(__name__, "PyTorch")
