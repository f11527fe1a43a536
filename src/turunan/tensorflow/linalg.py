"""``tf.linalg`` over turunan: matmul, matvec, norm, einsum, tensordot, eye."""

from __future__ import annotations

from .._doors import lacking as _lacking
from ._ops import einsum, eye, matmul, matvec, norm, tensordot  # noqa: F401

__getattr__ = _lacking(__name__, "TensorFlow")
