"""Array kernels: the only layer that touches the array library directly.

Kernels and rules call ``numpy.*``; on another array type that speaks NumPy's dispatch protocols (CuPy,
Dask), those calls are answered by that library. What such an array would still need is here: ``as_array``
converts with ``numpy.asarray`` (untested on them: no GPU in the session that wrote this).

Holds the dtype rules (Python floats become float32, as in PyTorch and MXNet), conversion of user input
to arrays, and ``sum_to_shape``, the one place where broadcasting is undone. ``sum_to_shape`` uses only
methods that NumPy arrays and turunan Tensors share, so the engine calls the same code whether it is
running a plain backward on arrays or a recorded (``create_graph``) backward on Tensors.
"""

from __future__ import annotations

import threading

import numpy as np

DEFAULT_FLOAT = np.dtype(np.float32)
DEFAULT_INT = np.dtype(np.int64)


def as_array(value, dtype=None) -> np.ndarray:
    """Convert user input to an array, applying the deep-learning dtype defaults.

    Python floats (and nested lists of them) become float32; Python ints int64; bools bool. A NumPy array
    keeps its dtype unless ``dtype`` is given, as ``torch.tensor(np_array)`` does.

    >>> as_array([1.0, 2.0]).dtype
    dtype('float32')
    """
    if dtype is not None:
        return np.asarray(value, dtype=np.dtype(dtype))
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return np.asarray(value)
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        return arr.astype(DEFAULT_FLOAT)
    if arr.dtype.kind in "iu" and not isinstance(value, np.generic):
        return arr.astype(DEFAULT_INT, copy=False)
    if arr.dtype == object:
        raise TypeError(f"cannot make a tensor from {type(value).__name__!s} value {value!r}: "
                        "give numbers, nested lists of numbers, or an array")
    return arr


def is_float_dtype(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


_LEADING = [tuple(range(n)) for n in range(8)]


def sum_to_shape(grad, shape: tuple):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting. Works on arrays and Tensors alike.

    >>> sum_to_shape(np.ones((2, 3)), (1, 3))
    array([[2., 2., 2.]])
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"gradient of shape {grad.shape} cannot be summed to shape {shape}")
    if gshape[lead:] == shape:   # only leading axes were added (a bias): one sum, no reshape
        axes = _LEADING[lead] if lead < 8 else tuple(range(lead))
        if type(grad) is np.ndarray:
            return np.add.reduce(grad, axes)    # the ufunc itself: ndarray.sum's Python wrapper costs 0.5 us
        return grad.sum(axis=axes)
    kept = tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
    grad = grad.sum(axis=tuple(range(lead)) + kept, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


class _Batch(threading.local):
    """``BATCH.n`` leading axes of every cotangent are a batch during a batched backward (the rows of a
    Jacobian, turunan.func.jacrev): the engine sums broadcasting back behind them, and the rules that
    reshape or permute ``g`` keep them in front. 0 otherwise; per thread, like grad mode."""

    n = 0


BATCH = _Batch()


def sum_to_batched_shape(grad, shape: tuple, nb: int):
    """``sum_to_shape`` for a gradient whose first ``nb`` axes are a batch (kept as they are)."""
    core = grad.shape[nb:]
    if core == shape:
        return grad
    lead = len(core) - len(shape)
    axes = tuple(range(nb, nb + lead)) + tuple(nb + lead + i for i, n in enumerate(shape)
                                                 if n == 1 and core[lead + i] != 1)
    grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(grad.shape[:nb] + shape)


def broadcast_to(a, shape: tuple):
    """``np.broadcast_to``: a read-only view. A 0-d NumPy value (a full reduction's gradient) gets the view
    from the ndarray constructor with zero strides (0.6 us; ``np.broadcast_to`` costs 2.4 us in Python)."""
    if (type(a) is np.ndarray or isinstance(a, np.generic)) and a.ndim == 0 and a.dtype.kind in "biufc":
        view = np.ndarray(shape, a.dtype, a, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return np.broadcast_to(a, shape)


def broadcast_shapes(*shapes: tuple) -> tuple:
    """Result shape of broadcasting, with an error message naming both shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError("shapes " + " and ".join(str(tuple(s)) for s in shapes)
                         + " cannot be broadcast together; make the trailing dimensions equal or 1") from None
