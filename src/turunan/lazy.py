"""Lazy arrays (Dask) inside tensors: evaluate a loss and its gradients in one graph execution.

A tensor holding a Dask array stays lazy through every op, backward and ``turunan.func``: nothing is computed
until asked. ``compute`` asks, for many tensors at once, so that Dask executes their common graph once (the
forward pass that a loss and its gradients share is not run twice), and returns tensors holding NumPy arrays.

>>> import numpy as np, turunan as tn
>>> loss, = tn.compute(tn.tensor(np.arange(3.0)).sum())
>>> loss
tensor(3., dtype=turunan.float64)
"""

from __future__ import annotations

from ._array import is_lazy, to_numpy
from ._core import Tensor

__all__ = ["compute"]


def compute(*tensors, **dask_kwargs) -> tuple:
    """The values of ``tensors`` (Tensors, ``None`` or arrays; a tuple or list of them works too) computed in one
    ``dask.compute`` call, as Tensors holding NumPy arrays (``None`` stays ``None``). Tensors that are not lazy
    come back holding NumPy arrays too (a CuPy array is copied to the host). ``dask_kwargs`` go to
    ``dask.compute`` (``scheduler=``, ...); a ``dask.distributed.Client`` that is running is used, as Dask does.

    The results are new, detached tensors: the graph stays with the lazy ones.

    >>> import numpy as np, turunan as tn
    >>> tn.compute(tn.tensor([1.0, 2.0]), None)
    (tensor([1., 2.]), None)
    """
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    arrays = []
    for k, t in enumerate(tensors):
        if t is not None and not isinstance(t, Tensor) and not hasattr(t, "shape"):
            raise TypeError(f"compute: argument {k} is a {type(t).__name__}; give tensors (or arrays, or None)")
        arrays.append(None if t is None else t._d if isinstance(t, Tensor) else t)
    lazy = [k for k, a in enumerate(arrays) if a is not None and is_lazy(a)]
    if lazy:
        try:
            import dask
        except ImportError:     # a lazy array without Dask cannot be: kept for a clear message all the same
            raise ImportError("compute: Dask is not installed; pip install 'turunan[dask]'") from None
        values = dask.compute(*[arrays[k] for k in lazy], **dask_kwargs)
        for k, v in zip(lazy, values):
            arrays[k] = v
    return tuple(None if a is None else Tensor._wrap(to_numpy(a)) for a in arrays)
