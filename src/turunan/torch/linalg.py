"""``torch.linalg``: PyTorch's names and results (named tuples, ``upper=``, ``left=``, ``dim=``) over
``turunan.numpy.linalg``, which holds the math and its derivatives.

>>> import turunan.torch as torch
>>> torch.linalg.det(torch.tensor([[2.0, 0.0], [0.0, 3.0]]))
tensor(6.)
"""

from __future__ import annotations

from collections import namedtuple

from .. import numpy as tnp
from .._doors import lacking, recast
from ._functions import as_input
from ._tensor import Tensor

_SVD = namedtuple("torch_return_types_linalg_svd", "U S Vh")
_SLOGDET = namedtuple("torch_return_types_linalg_slogdet", "sign logabsdet")
_EIGH = namedtuple("torch_return_types_linalg_eigh", "eigenvalues eigenvectors")
_QR = namedtuple("torch_return_types_linalg_qr", "Q R")
_LSTSQ = namedtuple("torch_return_types_linalg_lstsq", "solution residuals rank singular_values")


def _out(value):
    return recast(value, Tensor)


def _t(x, name):
    return as_input(x, f"linalg.{name}")


def inv(A) -> Tensor:  # noqa: N803  (PyTorch's parameter names)
    return _out(tnp.linalg.inv(_t(A, "inv")))


def det(A) -> Tensor:  # noqa: N803
    return _out(tnp.linalg.det(_t(A, "det")))


def slogdet(A):  # noqa: N803
    sign, logabsdet = tnp.linalg.slogdet(_t(A, "slogdet"))
    return _SLOGDET(_out(sign), _out(logabsdet))


def solve(A, B, *, left: bool = True) -> Tensor:  # noqa: N803
    """X with ``A @ X = B`` (``left=False``: ``X @ A = B``). A vector ``B`` is one right-hand side."""
    A, B = _t(A, "solve"), _t(B, "solve")
    if not left:
        return _out(tnp.matrix_transpose(tnp.linalg.solve(tnp.matrix_transpose(A), tnp.matrix_transpose(B))))
    if B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]):
        return _out(tnp.linalg.solve(A, tnp.expand_dims(B, -1))[..., 0])
    return _out(tnp.linalg.solve(A, B))


def cholesky(A, *, upper: bool = False) -> Tensor:  # noqa: N803
    lower = tnp.linalg.cholesky(_t(A, "cholesky"))
    return _out(tnp.conj(tnp.matrix_transpose(lower)) if upper else lower)


def _as_symmetric(A, UPLO: str):
    """PyTorch's convention for a symmetric solver's input: the values come from one triangle (as NumPy's and HIPS
    autograd's), the gradient is symmetric (PyTorch's and JAX's; NumPy's own function has it on the triangle read).
    So the value is the triangle made symmetric, and the gradient flows through (A + Aᵀ) / 2 (a stop-gradient
    holds the difference, which is zero for a symmetric input)."""
    A = _t(A, "eigh")
    tri = tnp.tril(A) if UPLO.upper() == "L" else tnp.triu(A)
    strict = tnp.tril(A, -1) if UPLO.upper() == "L" else tnp.triu(A, 1)
    read = tri + tnp.matrix_transpose(strict)
    half = (A + tnp.matrix_transpose(A)) / 2
    return half + (read - half).detach()


def eigh(A, UPLO: str = "L"):  # noqa: N803
    values, vectors = tnp.linalg.eigh(_as_symmetric(A, UPLO), UPLO)
    return _EIGH(_out(values), _out(vectors))


def eigvalsh(A, UPLO: str = "L") -> Tensor:  # noqa: N803
    return _out(tnp.linalg.eigvalsh(_as_symmetric(A, UPLO), UPLO))


def svd(A, full_matrices: bool = True, *, driver=None):  # noqa: N803
    u, s, vh = tnp.linalg.svd(_t(A, "svd"), full_matrices=full_matrices)
    return _SVD(_out(u), _out(s), _out(vh))


def svdvals(A, *, driver=None) -> Tensor:  # noqa: N803
    return _out(tnp.linalg.svdvals(_t(A, "svdvals")))


def qr(A, mode: str = "reduced"):  # noqa: N803
    q, r = tnp.linalg.qr(_t(A, "qr"), mode=mode)
    return _QR(_out(q), _out(r))


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:  # noqa: N803
    if atol is not None:
        raise NotImplementedError("linalg.pinv(atol=) is not offered by turunan.torch: give rtol")
    return _out(tnp.linalg.pinv(_t(A, "pinv"), **({} if rtol is None else {"rcond": rtol}), hermitian=hermitian))


def matrix_power(A, n: int) -> Tensor:  # noqa: N803
    return _out(tnp.linalg.matrix_power(_t(A, "matrix_power"), n))


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:  # noqa: N803
    return Tensor._wrap(tnp.linalg.matrix_rank(_t(A, "matrix_rank").detach().numpy(), hermitian=hermitian))


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    x = _t(x, "vector_norm")
    if dim is None:
        x, dim = tnp.ravel(x), 0
    return _out(tnp.linalg.vector_norm(x, ord=ord, axis=dim, keepdims=keepdim))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: N803, A002
    return _out(tnp.linalg.norm(_t(A, "matrix_norm"), ord=ord, axis=tuple(dim), keepdims=keepdim))


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: N803, A002
    """PyTorch's linalg.norm: with ``ord`` and no ``dim``, a vector (1-d) or matrix (2-d) norm; without either,
    the 2-norm of all elements."""
    A = _t(A, "norm")
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim)
    return _out(tnp.linalg.norm(A, ord=ord, axis=dim if dim is None or isinstance(dim, int) else tuple(dim),
                                keepdims=keepdim))


def cond(A, p=None) -> Tensor:  # noqa: N803
    return _out(tnp.linalg.cond(_t(A, "cond"), p))


def cross(input, other, *, dim: int = -1) -> Tensor:  # noqa: A002
    return _out(tnp.cross(_t(input, "cross"), other, axis=dim))


def multi_dot(tensors) -> Tensor:
    return _out(tnp.linalg.multi_dot([_t(t, "multi_dot") for t in tensors]))


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    return _out(tnp.vecdot(_t(x, "vecdot"), y, axis=dim))


def matmul(input, other) -> Tensor:  # noqa: A002
    return _out(tnp.matmul(_t(input, "matmul"), other))


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    return _out(tnp.diagonal(_t(A, "diagonal"), offset, dim1, dim2))


def lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    solution, residuals, rank, sv = tnp.linalg.lstsq(_t(A, "lstsq"), _t(B, "lstsq"), rcond=rcond)
    return _LSTSQ(_out(solution), _out(residuals), rank, _out(sv))


__getattr__ = lacking(__name__, "PyTorch")
