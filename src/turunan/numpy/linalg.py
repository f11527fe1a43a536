"""``turunan.numpy.linalg``: NumPy's linear algebra, recorded (a drop-in for ``autograd.numpy.linalg``).

Every function takes stacks of matrices (NumPy's ``(..., M, N)`` semantics) and has derivatives to any order
(``matrix_rank`` has none: an integer). ``numpy.linalg.inv(t)`` and the others on a Tensor are recorded too.
The rows and their conventions are in ``turunan._rules_linalg``; in short:

- ``eigh``/``eigvalsh``/``cholesky`` read one triangle, as NumPy does; eigh's gradients live on it, cholesky's
  is the symmetric one (the input taken as symmetric: HIPS autograd's, JAX's and PyTorch's numbers);
- ``eig``/``eigvals`` (general matrices, complex where NumPy's results are): HIPS autograd's gradients; the
  eigenvectors' phases are LAPACK's choice, so differentiate what does not depend on them (|v|, eigenvalues);
- at a repeated eigenvalue (singular value) the eigenvector rule's 1 / (w_j - w_i) is not needed by functions
  of the eigenvalues alone (the sum, a norm, a log-determinant): they get finite, exact gradients (JAX's and
  PyTorch's give NaN); a result that depends on the eigenvectors of that eigenvalue (not unique) gets NaN;
- ``svd(full_matrices=True)`` of a non-square matrix: the extra columns have no derivative (a gradient through
  them raises; forward mode gives them NaN tangents); ``qr`` differentiates m >= n
  (``'reduced'``, ``'r'``; ``'complete'`` when square);
- ``norm``: every ord of ``numpy.linalg.norm`` ('nuc' and -2 from the singular values; the matrix 2-norm has
  a first derivative only).

>>> import numpy as np
>>> import turunan as tn
>>> import turunan.numpy as tnp
>>> a = tn.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> tnp.linalg.det(a).backward()
>>> a.grad      # d det / d a = det(a) inv(a)^T
tensor([[ 3., -1.],
        [-1.,  2.]])
>>> round(float(np.linalg.slogdet(a).logabsdet), 6)     # numpy.linalg on a Tensor is recorded too
1.609438
"""

from __future__ import annotations

import functools

import numpy as _np

from .. import _ops, _rules
from .. import _rules_linalg as _rows
from .._core import Tensor
from .._methods import FUNCTIONS as _FUNCTIONS

LinAlgError = _np.linalg.LinAlgError

solve = _rows.linalg_solve
inv = _rows.linalg_inv
det = _rows.linalg_det
slogdet = _rows.linalg_slogdet
cholesky = _rows.linalg_cholesky
eigh = _rows.linalg_eigh
eigvalsh = _rows.linalg_eigvalsh
eig = _rows.linalg_eig
eigvals = _rows.linalg_eigvals
svd = _rows.linalg_svd
qr = _rows.linalg_qr
pinv = _rows.linalg_pinv
matrix_power = _rows.matrix_power
matrix_rank = _rows.matrix_rank
tensorinv = _rows.tensorinv
tensorsolve = _rows.tensorsolve
norm = _ops.norm
matmul = _ops.matmul


# ---- the array API's names (numpy.linalg's own versions: last axes, keyword names), composed ------------------
def svdvals(x) -> Tensor:
    """The singular values, descending (``svd(x, compute_uv=False)``).

    >>> svdvals(_np.diag([1.0, 3.0]))
    tensor([3., 1.], dtype=turunan.float64)
    """
    return svd(x, compute_uv=False)


def matrix_transpose(x) -> Tensor:
    """The last two axes swapped."""
    return _ops.swapaxes(_ops.tensor_of(x), -1, -2)


def diagonal(x, /, *, offset: int = 0) -> Tensor:
    """The diagonals of the last two axes."""
    return _ops.diagonal(x, offset, -2, -1)


def trace(x, /, *, offset: int = 0, dtype=None) -> Tensor:
    """The traces of the last two axes."""
    out = _ops.sum(diagonal(x, offset=offset), -1)
    return out if dtype is None else _ops.astype(out, dtype)


def outer(x1, x2, /) -> Tensor:
    """The outer product of two vectors (1-d only, as numpy.linalg.outer)."""
    x1, x2 = _ops.tensor_of(x1), _ops.tensor_of(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError("outer: numpy.linalg.outer takes 1-d vectors; use turunan.numpy.outer to flatten first")
    return _ops.outer(x1, x2)


def tensordot(x1, x2, /, *, axes=2) -> Tensor:
    return _ops.tensordot(x1, x2, axes)


def cross(x1, x2, /, *, axis: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``axis``."""
    return _ops.cross(x1, x2, axis=axis)


def vecdot(x1, x2, /, *, axis: int = -1) -> Tensor:
    """The dot products of vectors along ``axis``; a complex ``x1`` is conjugated, as NumPy's."""
    x1 = _ops.tensor_of(x1)
    if x1._d.dtype.kind == "c":
        x1 = _rules.conj(x1)
    return _ops.sum(_ops.multiply(x1, x2), axis)


def multi_dot(arrays, *, out=None) -> Tensor:
    """Several matrix products, left to right (the first and last may be vectors, as NumPy's)."""
    if out is not None:
        raise TypeError("multi_dot(..., out=...) is not supported on Tensors")
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    return functools.reduce(_ops.matmul, arrays)


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2) -> Tensor:
    """The vector norm over ``axis`` (all axes, flattened, when None)."""
    x = _ops.tensor_of(x)
    if axis is None:
        out = norm(_ops.reshape(x, (-1,)), ord)
        return _ops.reshape(out, (1,) * x.ndim) if keepdims else out
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return norm(x, ord, axis[0], keepdims) if len(axis) == 1 else _vector_norm_over(x, axis, keepdims, ord)


def _vector_norm_over(x, axis: tuple, keepdims: bool, ord) -> Tensor:
    """Several axes: moved last and flattened into one."""
    axes = tuple(a % x.ndim for a in axis)
    moved = _ops.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    out = norm(_ops.reshape(moved, moved.shape[:x.ndim - len(axes)] + (-1,)), ord, -1)
    if keepdims:
        out = _ops.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return out


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro") -> Tensor:
    """The matrix norm of the last two axes."""
    return norm(x, ord, (-2, -1), keepdims)


def cond(x, p=None) -> Tensor:
    """The condition number: the ratio of the extreme singular values (p None, 2, -2), else
    ``norm(x, p) * norm(inv(x), p)``.

    >>> float(cond(_np.diag([1.0, 4.0])))
    4.0
    """
    if p is None or p in (2, -2):
        s = svdvals(x)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    return norm(x, p, (-2, -1)) * norm(inv(x), p, (-2, -1))


def lstsq(a, b, rcond=None):
    """(x, residuals, rank, singular values) of the least-squares problem ``a x ~ b``, as NumPy's; x is
    ``pinv(a) @ b`` (differentiable where the rank is constant), the residuals are x's, also differentiable.

    >>> x, res, rank, s = lstsq(_np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), _np.array([1.0, 1.0, 3.0]))
    >>> x, int(rank)
    (tensor([1.33333333, 1.33333333], dtype=turunan.float64), 2)
    """
    a, b = _ops.tensor_of(a), _ops.tensor_of(b)
    m, n = a.shape[-2:]
    cut = _np.finfo(a.dtype).eps * max(m, n) if rcond is None else rcond
    x = _ops.matmul(pinv(a, rcond=cut), b)
    s = svdvals(a)
    rank = int(_np.sum(s._d > cut * s._d[..., :1]))
    if rank == n and m > n:
        r = _ops.subtract(b, _ops.matmul(a, x))
        residuals = _ops.sum(_ops.multiply(r, r), 0)
        residuals = _ops.reshape(residuals, (1,)) if b.ndim == 1 else residuals
    else:
        residuals = Tensor(_np.zeros((0,), dtype=a.dtype))
    return x, residuals, Tensor(_np.asarray(rank)), s


def __getattr__(name: str):
    if name in _REFUSED:
        raise AttributeError(f"turunan.numpy.linalg does not offer numpy.linalg.{name}: {_REFUSED[name]}")
    if hasattr(_np.linalg, name):
        raise AttributeError(f"turunan.numpy.linalg has no rule for numpy.linalg.{name} yet; call numpy.linalg."
                             f"{name} on .detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy.linalg' has no attribute {name!r}")


_REFUSED = {
    "test": "NumPy's own test runner",
}
_COMPOSED = {"svdvals": svdvals, "matrix_transpose": matrix_transpose, "diagonal": diagonal, "trace": trace,
             "outer": outer, "tensordot": tensordot, "cross": cross, "vecdot": vecdot, "multi_dot": multi_dot,
             "vector_norm": vector_norm, "matrix_norm": matrix_norm, "cond": cond, "lstsq": lstsq,
             "matmul": matmul}
# numpy.linalg's composed functions on Tensors (numpy.linalg.cond(t)) are recorded once this module is loaded
for _name, _fn in _COMPOSED.items():
    if hasattr(_np.linalg, _name):
        _FUNCTIONS.setdefault(getattr(_np.linalg, _name), _fn)

__all__ = ["LinAlgError", "solve", "inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "eig", "eigvals", "svd",
           "qr", "pinv", "matrix_power", "matrix_rank", "tensorinv", "tensorsolve", "norm", *_COMPOSED]
