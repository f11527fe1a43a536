"""``Parameter``: a Tensor that a Module owns and an optimiser updates."""

from __future__ import annotations

import numpy as np

from .._core import Tensor, format_tensor


class Parameter(Tensor):
    """A leaf Tensor registered by a Module; it requires grad unless told otherwise.

    Results of operations on a Parameter are plain Tensors (``_result_cls``), as in PyTorch.

    >>> import turunan as tn
    >>> w = Parameter(tn.ones(2))
    >>> w.requires_grad, type(w * 2).__name__
    (True, 'Tensor')
    """

    __slots__ = ()
    _result_cls = Tensor

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(data._d if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + format_tensor(self, "tensor")
