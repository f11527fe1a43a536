"""``turunan.scipy.linalg``: SciPy's linear algebra, recorded (``autograd.scipy.linalg``, ``jax.scipy.linalg``).

``expm``, ``sqrtm`` and ``solve_sylvester`` run SciPy's kernels (SciPy is an optional extra: ``pip install
'turunan[scipy]'``; without it they raise an ImportError that says so); the others are composed from the rows
of ``turunan._rules_linalg`` and need NumPy only. Every function takes stacks of matrices and has derivatives
to any order. Functions that read one triangle (``solve_triangular``, ``cholesky``, ``cho_solve``, ``eigh``,
``solve`` with ``assume_a='sym'`` or ``'pos'``) read exactly the triangle SciPy reads, and their gradients live
on it. ``cho_factor`` gives a clean triangle (SciPy leaves arbitrary numbers in the other one).

>>> import numpy as np
>>> import turunan as tn
>>> from turunan.scipy import linalg
>>> a = tn.tensor(np.array([[1.0, 2.0], [0.0, 1.0]]), requires_grad=True)
>>> linalg.expm(a)
tensor([[2.71828183, 5.43656366],
        [0.        , 2.71828183]], dtype=turunan.float64, grad_fn=<ExpmBackward0>)
>>> linalg.solve_triangular(a, np.array([3.0, 1.0])).sum().backward()     # x = [1, 1]
>>> a.grad      # -(a^-T 1) x^T on the upper triangle, the one read
tensor([[-1., -1.],
        [ 0.,  1.]], dtype=turunan.float64)
"""

from __future__ import annotations

import numpy as np  # the name the examples below use

from .. import _rules_linalg as _rows
from .._core import Tensor, apply

__all__ = ["solve_triangular", "sqrtm", "expm", "solve_sylvester", "cho_factor", "cho_solve", "cholesky", "inv",
           "det", "solve", "eigh"]

inv = _rows.linalg_inv
det = _rows.linalg_det


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _triangle(a, lower: bool, unit_diagonal: bool = False) -> Tensor:
    """The triangle of ``a`` SciPy reads (the other entries as zeros), with ones on the diagonal if asked."""
    a = _rows.square_matrices(a, "solve_triangular")
    ones = np.ones(a.shape[-2:], dtype=a.dtype)
    mask = np.tril(ones, -1 if unit_diagonal else 0) if lower else np.triu(ones, 1 if unit_diagonal else 0)
    return a * mask + np.eye(a.shape[-1], dtype=a.dtype) if unit_diagonal else a * mask


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False, overwrite_b: bool = False,
                     check_finite: bool = True) -> Tensor:
    """x with ``a x = b`` (``trans`` 1 or 'T': ``a^T x = b``) for the triangle of ``a`` given by ``lower``.

    >>> float(solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([2.0, 3.0]), lower=True)[1])
    2.0
    """
    if trans not in (0, 1, 2, "N", "T", "C"):
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    tri = _triangle(a, lower, unit_diagonal)
    return _rows.linalg_solve(tri if trans in (0, "N") else tri.mT, b)


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> Tensor:
    """SciPy's cholesky: the upper factor ``U`` (``a = U^T U``) by default, read from the upper triangle.

    >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    tensor([[2., 1.],
            [0., 2.]], dtype=turunan.float64)
    """
    return _rows.linalg_cholesky(a) if lower else _rows.linalg_cholesky(a, upper=True)


def cho_factor(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> tuple:
    """(the Cholesky factor, ``lower``), for ``cho_solve``.

    >>> cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]), lower=True)[0]
    tensor([[2., 0.],
            [1., 2.]], dtype=turunan.float64)
    """
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b: bool = False, check_finite: bool = True) -> Tensor:
    """x with ``a x = b`` given ``cho_factor(a)``.

    >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> cho_solve(cho_factor(a), a @ np.array([1.0, -1.0]))
    tensor([ 1., -1.], dtype=turunan.float64)
    """
    c, lower = c_and_lower
    if lower:
        return solve_triangular(c, solve_triangular(c, b, lower=True), trans="T", lower=True)
    return solve_triangular(c, solve_triangular(c, b, trans="T"))


def solve(a, b, lower: bool = False, overwrite_a: bool = False, overwrite_b: bool = False, check_finite: bool = True,
          assume_a=None, transposed: bool = False) -> Tensor:
    """SciPy's solve: a general ``a`` by default; with ``assume_a`` 'sym', 'her' or 'pos' only the triangle
    ``lower`` names is read (the other mirrored from it), as SciPy's solvers do.

    >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 2.0]))
    tensor([1. , 0.5], dtype=turunan.float64)
    """
    a = _rows.square_matrices(a, "solve")
    if assume_a in ("sym", "her", "pos", "symmetric", "hermitian", "positive definite"):
        a = _rows.mirror_triangle(a, upper=not lower)
    elif assume_a not in (None, "gen", "general"):
        raise NotImplementedError(f"solve: assume_a={assume_a!r} is not supported; use 'gen', 'sym' or 'pos'")
    return _rows.linalg_solve(a.mT if transposed else a, b)


def eigh(a, b=None, *, lower: bool = True, eigvals_only: bool = False, **options):
    """The eigenvalues (ascending) and eigenvectors of a symmetric ``a`` read from the triangle ``lower`` names.

    >>> eigh(np.array([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True)
    tensor([1., 3.], dtype=turunan.float64)
    """
    if b is not None:
        raise NotImplementedError("eigh: the generalized problem (b given) is not supported; for a positive "
                                  "definite b, use cholesky(b, lower=True) = L and eigh(L^-1 a L^-T)")
    if options.get("subset_by_index") is not None or options.get("subset_by_value") is not None:
        raise NotImplementedError("eigh: subset_by_index/subset_by_value are not supported; index the full result")
    w, v = _rows.linalg_eigh(a, "L" if lower else "U")
    return w if eigvals_only else (w, v)


def expm(a) -> Tensor:
    """The matrix exponential (SciPy's kernel; its derivative is the Frechet derivative, by the block formula).

    >>> expm(np.zeros((2, 2)))
    tensor([[1., 0.],
            [0., 1.]], dtype=turunan.float64)
    """
    return apply(_rows.expm, _rows.square_matrices(a, "expm"))


def sqrtm(a, disp: bool = True, blocksize: int = 64) -> Tensor:
    """The principal square root ``y`` (``y @ y = a``); its derivative solves ``y dy + dy y = da``.

    >>> sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]]))
    tensor([[2., 0.],
            [0., 3.]], dtype=turunan.float64)
    """
    return apply(_rows.sqrtm, _rows.square_matrices(a, "sqrtm"))


def solve_sylvester(a, b, q) -> Tensor:
    """x with ``a x + x b = q`` (SciPy's Bartels-Stewart kernel).

    >>> solve_sylvester(np.eye(2), np.eye(2), np.ones((2, 2)))
    tensor([[0.5, 0.5],
            [0.5, 0.5]], dtype=turunan.float64)
    """
    a, b = _rows.square_matrices(a, "solve_sylvester"), _rows.square_matrices(b, "solve_sylvester")
    return apply(_rows.solve_sylvester, a, b, _tensor(q))
