"""``torch.nn.utils`` over turunan: ``turunan.nn.utils``'s clipping and flat-vector helpers, giving PyTorch's
tensors (names only; the math is ``turunan.nn.utils``'s)."""

from __future__ import annotations

from ..._doors import recast
from ...nn import utils as _utils
from .._tensor import Tensor

clip_grad_value_ = _utils.clip_grad_value_
vector_to_parameters = _utils.vector_to_parameters


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """PyTorch's ``clip_grad_norm_`` (``turunan.nn.utils.clip_grad_norm_``): the total norm, as a door Tensor."""
    return recast(_utils.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach), Tensor)


def parameters_to_vector(parameters) -> Tensor:
    """PyTorch's ``parameters_to_vector`` (``turunan.nn.utils.parameters_to_vector``), as a door Tensor."""
    return recast(_utils.parameters_to_vector(parameters), Tensor)


clip_grad_norm = clip_grad_norm_    # PyTorch's deprecated alias
