"""``turunan.numpy.linalg``: NumPy's linear algebra, recorded (a drop-in for ``autograd.numpy.linalg``).

Every function takes stacks of matrices (NumPy's ``(..., M, N)`` semantics) and has derivatives to any order
(``matrix_rank`` has none: an integer). ``numpy.linalg.inv(t)`` and the others on a Tensor are recorded too.
The rows and their conventions are in ``turunan._rules_linalg``; in short:

- ``eigh``/``eigvalsh``/``cholesky`` read one triangle, as NumPy does, and their gradients live on it;
- at repeated eigenvalues (singular values) the eigenvector rule's 1 / (w_j - w_i) is taken as 0, so functions
  that do not depend on the choice of eigenvectors (the sum of the eigenvalues, ``V diag(w) V^T``) get finite,
  exact gradients instead of NaN;
- ``svd(full_matrices=True)`` of a non-square matrix: the extra columns have no derivative and say so if one
  is asked of them; ``qr`` differentiates m >= n (``'reduced'``, ``'r'``; ``'complete'`` when square);
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

import numpy as _np

from .. import _ops
from .. import _rules_linalg as _rows

LinAlgError = _np.linalg.LinAlgError

solve = _rows.linalg_solve
inv = _rows.linalg_inv
det = _rows.linalg_det
slogdet = _rows.linalg_slogdet
cholesky = _rows.linalg_cholesky
eigh = _rows.linalg_eigh
eigvalsh = _rows.linalg_eigvalsh
svd = _rows.linalg_svd
qr = _rows.linalg_qr
pinv = _rows.linalg_pinv
matrix_power = _rows.matrix_power
matrix_rank = _rows.matrix_rank
tensorinv = _rows.tensorinv
tensorsolve = _rows.tensorsolve
norm = _ops.norm

__all__ = ["LinAlgError", "solve", "inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "svd", "qr", "pinv",
           "matrix_power", "matrix_rank", "tensorinv", "tensorsolve", "norm"]


def __getattr__(name: str):
    if hasattr(_np.linalg, name):
        raise AttributeError(f"turunan.numpy.linalg has no rule for numpy.linalg.{name} yet; call numpy.linalg."
                             f"{name} on .detach().numpy() to leave the graph on purpose")
    raise AttributeError(f"module 'turunan.numpy.linalg' has no attribute {name!r}")
