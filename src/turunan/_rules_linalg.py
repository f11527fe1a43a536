"""The table's linear-algebra rows (``numpy.linalg``, and the matrix functions of ``scipy.linalg``).

Each row works on stacks of matrices (NumPy's ``(..., M, N)`` semantics); its rules are written with NumPy
operators and with the rows of this module and of ``turunan._rules`` (``solve`` inside ``inv``'s rule, ...), so
that they run on arrays in a plain backward and are recorded on Tensors with ``create_graph``: derivatives of any
order. References studied: JAX's ``jax/_src/lax/linalg.py`` jvps, HIPS autograd's ``numpy/linalg.py`` vjps,
Townsend (2016) for the SVD, Murray (2016) for the Cholesky factor, Walter and Lehmann (2018) for QR.

Decompositions with several results (eigh, svd, qr) are one row whose result packs them into one array (the
eigenvalues as row 0 of a ``(..., n + 1, n)`` array above the eigenvectors, ...): one factorisation per call,
and the functions below unpack it with indexing, which routes each part's cotangent back to the row.

Conventions (each documented where it is chosen):

- Symmetric inputs (``eigh``, ``cholesky``): NumPy reads one triangle only (``UPLO='L'``, ``upper=False``: the
  lower one). ``eigh``'s gradient is that of the function NumPy computes, as HIPS autograd's: it lives on the
  triangle read, its off-diagonal entries count twice. ``cholesky`` takes its input as symmetric, as HIPS
  autograd, JAX and PyTorch do: the gradient is the symmetric matrix (each off-diagonal pair shares the
  triangle's entry) and a tangent counts by its symmetric part. On symmetric perturbations all of these agree.
- Repeated eigenvalues or singular values (a gap within ``n * eps * max|w|``): the eigenvector rule's factor
  1 / (w_j - w_i) meets a cotangent (tangent) that is exactly 0 when nothing depends on the eigenvectors of that
  eigenvalue; the product is then taken as 0, so every function of the eigenvalues alone (their sum, a norm, a
  log-determinant) gets its exact, finite gradient where the unmasked rule (JAX's, PyTorch's) gives inf * 0 =
  NaN. Where the result does depend on those eigenvectors, which are not unique there, no formula of the
  cotangents gives the derivative (even for V diag(w) V^T, smooth as it is): the rule gives NaN, never a
  made-up number. The same holds for 1 / s at a singular value 0 (a rank-deficient input). ``pinv`` has its own
  rule, smooth at repeated singular values.
"""

from __future__ import annotations

import collections

import numpy as np

from ._array import anywhere, is_foreign, kind, refuse_device
from ._core import Tensor, apply
from ._rules import ELEMENTWISE, astype, defprim

# ---- helpers (arrays and Tensors alike) -------------------------------------------------------------------


def _like(x) -> dict:
    """``like=`` for a constant made next to ``x`` (an array or a Tensor): none for NumPy, the array for a device
    array (a CuPy constant must live on the GPU: CuPy refuses to mix host and device arrays in one operation)."""
    d = getattr(x, "_d", x)
    return {} if type(d) is np.ndarray or not is_foreign(d) else {"like": d}


def _eye_like(x):
    return np.eye(x.shape[-1], dtype=x.dtype, **_like(x))


def _diag(v):
    """(..., n) -> (..., n, n) with ``v`` on the diagonal."""
    return v[..., None, :] * _eye_like(v)


def _diagonal(m):
    """(..., n, n) -> (..., n): the diagonal, as a product and a sum (which record) rather than np.diagonal."""
    return np.sum(m * _eye_like(m), axis=-1)


def _strict(m, upper: bool):
    """The strict lower (or upper) triangle's mask, in ``m``'s dtype."""
    ones = np.ones((m.shape[-1], m.shape[-1]), dtype=m.dtype, **_like(m))
    return np.triu(ones, 1) if upper else np.tril(ones, -1)


def _fold(m, upper: bool):
    """The gradient of a function of a symmetric matrix built from one triangle: ``m`` (the gradient for symmetric
    perturbations) moved onto that triangle, off-diagonal entries counted twice."""
    return (m + m.mT) * _strict(m, upper) + m * _eye_like(m)


def mirror_triangle(d, upper: bool):
    """The symmetric matrix a function reading one triangle of ``d`` sees (``d``'s triangle copied across)."""
    half = d * _strict(d, upper)
    return half + half.mT + d * _eye_like(d)


def _over(x, d, tiny):
    """x / d, elementwise; where |d| <= tiny (a repeated eigenvalue, a zero singular value): 0 where x is 0 (the
    result does not depend on what is not unique there: exact), NaN where it is not (no derivative exists)."""
    small = np.abs(d) <= tiny
    out = np.where(small, 0, x / np.where(small, 1, d))
    undefined = np.logical_and(small, x != 0)
    if anywhere(undefined):     # rare: checked once per call, on the (small) matrix of pairs
        out = np.where(undefined, np.nan, out)
    return out


def _tolerance(w):
    """n * eps * max|w|, per matrix, shaped to broadcast against (..., n, n)."""
    eps = np.finfo(w.dtype).eps * w.shape[-1]
    return np.max(np.abs(w), axis=-1, keepdims=True)[..., None] * eps


def _over_gaps(x, w):
    """F * x with F[..., i, j] = 1 / (w_j - w_i) off the diagonal (0 on it), by ``_over``'s rule at repeated w."""
    return _over(x * (1 - _eye_like(x)), w[..., None, :] - w[..., :, None], _tolerance(w))


def _right_solve(x, a):
    """x a^-1 (a right division), as solve(a^T, x^T)^T."""
    return solve(a.mT, x.mT).mT


# ---- solve, inverse, determinants ----------------------------------------------------------------------


def _solve_vjp_b(g, ans, a, b):
    return solve(a.mT, g)


def _solve_vjp_a(g, ans, a, b):
    return -(solve(a.mT, g) @ ans.mT)


# b is always a stack of matrices (..., n, k) here: the public solve turns a vector right-hand side into a column
solve = defprim("solve", np.linalg.solve, [_solve_vjp_a, _solve_vjp_b],
                lambda t, ans, a, b: solve(a, (0 if t[1] is None else t[1]) - (0 if t[0] is None else t[0] @ ans)),
                batch=ELEMENTWISE, display="LinalgSolve")
inv = defprim("inv", np.linalg.inv, [lambda g, ans, x: -(ans.mT @ g @ ans.mT)],
              lambda t, ans, x: -(ans @ t[0] @ ans), batch=ELEMENTWISE, display="LinalgInv")
# d log|det x| = tr(x^-1 dx); the gradient is x^-T (it needs an invertible x, as HIPS autograd's and JAX's)
logabsdet = defprim("logabsdet", lambda x: np.linalg.slogdet(x)[1],
                    [lambda g, ans, x: g[..., None, None] * inv(x).mT],
                    lambda t, ans, x: np.sum(inv(x).mT * t[0], axis=(-2, -1)), batch=ELEMENTWISE,
                    display="LinalgSlogdet")
# the sign of the determinant: no derivative (constant wherever the determinant is not 0)
slogdet_sign = defprim("slogdet_sign", lambda x: np.linalg.slogdet(x)[0], batch=ELEMENTWISE, display="LinalgSlogdet")
det = defprim("det", np.linalg.det, [lambda g, ans, x: (g * ans)[..., None, None] * inv(x).mT],
              lambda t, ans, x: ans * np.sum(inv(x).mT * t[0], axis=(-2, -1)), batch=ELEMENTWISE,
              display="LinalgDet")


# ---- Cholesky: x = L L^T from one triangle of x -----------------------------------------------------------
def _phi(m):
    """The lower triangle with its diagonal halved (Murray's Phi)."""
    return m * (_strict(m, False) + 0.5 * _eye_like(m))


def _symmetric_part(m):
    return (m + m.mT) / 2


# the input taken as symmetric (HIPS autograd's, JAX's and PyTorch's gradient), whichever triangle NumPy reads
def _cholesky_vjp(g, ans, x, upper):
    s = _right_solve(solve(ans.mT, _phi(ans.mT @ g)), ans)      # L^-T Phi(L^T g) L^-1
    return _symmetric_part(s)


def _cholesky_jvp(t, ans, x, upper):
    inner = _right_solve(solve(ans, _symmetric_part(t[0])), ans.mT)     # L^-1 dx L^-T
    return ans @ _phi(inner)


# the row always gives the lower factor L; ``upper`` says which triangle of x is read (NumPy's upper=True gives L^T)
cholesky = defprim("cholesky", lambda x, upper: np.linalg.cholesky(x.mT if upper else x),
                   [_cholesky_vjp], _cholesky_jvp, batch=ELEMENTWISE, display="LinalgCholesky")


# ---- eigh: packed (..., n + 1, n), eigenvalues in row 0, eigenvectors below ----------------------------------
def _eigh(x, upper):
    w, v = np.linalg.eigh(x, UPLO="U" if upper else "L")
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_vjp(g, ans, x, upper):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    inner = _diag(g[..., 0, :]) + _over_gaps(v.mT @ g[..., 1:, :], w)
    return _fold(v @ inner @ v.mT, upper)


def _eigh_jvp(t, ans, x, upper):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    d = v.mT @ mirror_triangle(t[0], upper) @ v
    return np.concatenate([_diagonal(d)[..., None, :], v @ _over_gaps(d, w)], axis=-2)


eigh = defprim("eigh", _eigh, [_eigh_vjp], _eigh_jvp, batch=ELEMENTWISE, display="LinalgEigh")


# ---- eig: a general square matrix; packed as eigh's (eigenvalues in row 0, eigenvectors below) ----------------
# Complex in general (real where NumPy's result is: every eigenvalue real); HIPS autograd's numbers (Boeddeker et
# al. 2017, eq. 4.77). Each eigenvector has unit length, as NumPy returns it; its phase is LAPACK's choice, so
# only results that do not depend on it (eigenvalues, |v|, projectors) have a derivative.
def _eig(x):
    w, v = np.linalg.eig(x)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eig_vjp(g, ans, x):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    vt_gv = v.mT @ g[..., 1:, :]
    along_itself = (v.mT @ np.conj(v)) @ (np.real(vt_gv) * _eye_like(vt_gv))    # the unit lengths' share
    inner = _diag(g[..., 0, :]) + _over_gaps(vt_gv - along_itself, w)
    r = solve(v.mT, inner @ v.mT)                                               # V^-T (...) V^T
    return r if kind(x) == "c" else np.real(r)


def _eig_jvp(t, ans, x):
    w, v = ans[..., 0, :], ans[..., 1:, :]
    d = solve(v, t[0] @ v)                                                      # V^-1 dx V
    dv = v @ _over_gaps(d, w)
    dv = dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))     # keeps each |v| = 1
    return np.concatenate([_diagonal(d)[..., None, :], dv], axis=-2)


eig = defprim("eig", _eig, [_eig_vjp], _eig_jvp, batch=ELEMENTWISE, display="LinalgEig")


# ---- svd (reduced): packed (..., m + 1 + n, k) = [u; s; v] with v = vh^T, k = min(m, n) ------------------------
def _svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.concatenate([u, s[..., None, :], vh.mT], axis=-2)


def _svd_parts(ans, m):
    s = ans[..., m, :]
    return ans[..., :m, :], s, ans[..., m + 1:, :]


def _over_s(x, s):
    """x S^-1 (x's columns over the singular values), by ``_over``'s rule where one is 0."""
    return _over(x, s[..., None, :], _tolerance(s))


def _svd_vjp(g, ans, x):
    m = x.shape[-2]
    u, s, v = _svd_parts(ans, m)
    gu, gs, gv = g[..., :m, :], g[..., m, :], g[..., m + 1:, :]
    ugu, vgv = u.mT @ gu, v.mT @ gv
    s2 = s * s
    core = _diag(gs) + _over_gaps(ugu - ugu.mT, s2) * s[..., None, :] + s[..., :, None] * _over_gaps(vgv - vgv.mT, s2)
    out = u @ core @ v.mT
    out = out + _over_s(gu - u @ ugu, s) @ v.mT          # (I - U U^T) gU S^-1 V^T
    return out + u @ _over_s(gv - v @ vgv, s).mT          # U S^-1 gV^T (I - V V^T)


def _svd_jvp(t, ans, x):
    m, dx = x.shape[-2], t[0]
    u, s, v = _svd_parts(ans, m)
    dp = u.mT @ dx @ v
    dps, sdp, s2 = dp * s[..., None, :], s[..., :, None] * dp, s * s
    du = u @ _over_gaps(dps + dps.mT, s2) + _over_s(dx @ v - u @ dp, s)
    dv = v @ _over_gaps(sdp + sdp.mT, s2) + _over_s(dx.mT @ u - v @ dp.mT, s)
    return np.concatenate([du, _diagonal(dp)[..., None, :], dv], axis=-2)


svd = defprim("svd", _svd, [_svd_vjp], _svd_jvp, batch=ELEMENTWISE, display="LinalgSvd")


def _complement(x):
    """The columns full_matrices=True adds to u (m > n) or to v = vh^T (m < n): an orthonormal basis of the
    complement, which LAPACK picks freely."""
    m, n = x.shape[-2:]
    u, _, vh = np.linalg.svd(x, full_matrices=True)
    return u[..., :, n:] if m > n else vh[..., m:, :].mT


def _no_complement_grad(g, ans, x):
    if g.size and anywhere(g != 0):
        raise NotImplementedError("svd(full_matrices=True) of a non-square matrix: the extra columns of u (rows of "
                                  "vh) are any orthonormal basis of a complement, not a function of the input, so "
                                  "they have no derivative; use full_matrices=False")
    return None


def _no_complement_tangent(t, ans, x):
    # forward mode cannot tell whether the extra columns are used: their tangent is NaN (no derivative), so a result
    # that does not read them (the singular values, u's first columns) keeps its exact tangent
    return ans * np.nan


svd_complement = defprim("svd_complement", _complement, [_no_complement_grad], _no_complement_tangent,
                         batch=ELEMENTWISE, display="LinalgSvd")


# ---- qr (m >= n, reduced): packed (..., m + n, n) = [q; r^T] -----------------------------------------------------
def _qr(x):
    q, r = np.linalg.qr(x, mode="reduced")
    return np.concatenate([q, r.mT], axis=-2)


def _qr_vjp(g, ans, x):
    m = x.shape[-2]
    q, r, gq, gr = ans[..., :m, :], ans[..., m:, :].mT, g[..., :m, :], g[..., m:, :].mT
    b = r @ gr.mT - gq.mT @ q
    low = b * _strict(b, False)
    return _right_solve(gq + q @ (low + low.mT + b * _eye_like(b)), r.mT)     # (gQ + Q copyltu(M)) R^-T


def _qr_jvp(t, ans, x):
    m = x.shape[-2]
    q, r = ans[..., :m, :], ans[..., m:, :].mT
    dx_rinv = _right_solve(t[0], r)
    c = q.mT @ dx_rinv
    low = c * _strict(c, False)
    omega = low - low.mT
    return np.concatenate([q @ (omega - c) + dx_rinv, ((c - omega) @ r).mT], axis=-2)


qr = defprim("qr", _qr, [_qr_vjp], _qr_jvp, batch=ELEMENTWISE, display="LinalgQr")


# ---- pinv: its own rule (Golub and Pereyra), valid where the rank does not change; the one from the SVD would
# be undefined at repeated singular values (the identity, an orthogonal matrix), where pinv is smooth
def _pinv_vjp(g, ans, x, rcond):
    h = g.mT
    out = -(ans.mT @ g @ ans.mT)
    out = out + (h - x @ (ans @ h)) @ (ans @ ans.mT)              # (I - A P) g^T P P^T
    return out + (ans.mT @ ans) @ (h - (h @ ans) @ x)             # P^T P g^T (I - P A)


def _pinv_jvp(t, ans, x, rcond):
    dt = t[0].mT
    out = -(ans @ t[0] @ ans)
    out = out + (ans @ ans.mT) @ (dt - (dt @ x) @ ans)            # P P^T dA^T (I - A P)
    return out + (dt - ans @ (x @ dt)) @ (ans.mT @ ans)           # (I - P A) dA^T P^T P


pinv = defprim("pinv", lambda x, rcond: np.linalg.pinv(x, rcond=rcond), [_pinv_vjp], _pinv_jvp, batch=ELEMENTWISE,
               display="LinalgPinv")


# ---- scipy.linalg's matrix functions (SciPy imported when one runs) -------------------------------------------
def scipy_linalg():
    """SciPy's linalg module, or an ImportError that says how to install it."""
    try:
        import scipy.linalg
    except ImportError:
        raise ImportError("turunan.scipy needs SciPy: pip install 'turunan[scipy]'") from None
    return scipy.linalg


def _each_matrix(fn, *mats):
    """``fn`` (a SciPy function of 2-d arrays) over stacks of matrices that broadcast."""
    lead = np.broadcast_shapes(*[m.shape[:-2] for m in mats])
    mats = [np.broadcast_to(m, lead + m.shape[-2:]) for m in mats]
    if not lead:
        return np.asarray(fn(*mats))
    outs = [np.asarray(fn(*[m[i] for m in mats])) for i in np.ndindex(lead)]
    return np.stack(outs).reshape(lead + outs[0].shape)


def _sylvester(a, b, q):
    refuse_device("turunan.scipy.linalg.solve_sylvester", a, b, q)
    return _each_matrix(scipy_linalg().solve_sylvester, a, b, q)


def _sylvester_q(g, ans, a, b, q):
    return solve_sylvester(a.mT, b.mT, g)


# x solves a x + x b = q: dx solves a dx + dx b = dq - da x - x db
solve_sylvester = defprim(
    "solve_sylvester", _sylvester,
    [lambda g, ans, a, b, q: -(_sylvester_q(g, ans, a, b, q) @ ans.mT),
     lambda g, ans, a, b, q: -(ans.mT @ _sylvester_q(g, ans, a, b, q)), _sylvester_q],
    lambda t, ans, a, b, q: solve_sylvester(a, b, (0 if t[2] is None else t[2]) - (0 if t[0] is None else t[0] @ ans)
                                            - (0 if t[1] is None else ans @ t[1])),
    batch=ELEMENTWISE, display="SolveSylvester")


def _sqrtm(x):
    refuse_device("turunan.scipy.linalg.sqrtm", x)
    return _each_matrix(lambda m: scipy_linalg().sqrtm(m), x)


# y = sqrtm(x): y dy + dy y = dx
sqrtm = defprim("sqrtm", _sqrtm, [lambda g, ans, x: solve_sylvester(ans.mT, ans.mT, g)],
                lambda t, ans, x: solve_sylvester(ans, ans, t[0]), batch=ELEMENTWISE, display="Sqrtm")


def _expm(x):
    refuse_device("turunan.scipy.linalg.expm", x)
    return scipy_linalg().expm(x)


def _expm_frechet(a, e):
    """The Frechet derivative of expm at ``a`` along ``e``: the upper right block of expm([[a, e], [0, a]])."""
    n = a.shape[-1]
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([a * 0, a], axis=-1)
    return expm(np.concatenate([top, bottom], axis=-2))[..., :n, n:]


expm = defprim("expm", _expm, [lambda g, ans, x: _expm_frechet(x.mT, g)],
               lambda t, ans, x: _expm_frechet(x, t[0]), batch=ELEMENTWISE, display="Expm")


# ---- the functions users call (NumPy's signatures); turunan.numpy.linalg and turunan.scipy.linalg name them ------
def _result(name: str, fields: str):
    """NumPy's named result (``EighResult``, ...; NumPy 2), or a namedtuple with the same fields (NumPy 1)."""
    return getattr(getattr(np.linalg, "_linalg", None), name, None) or collections.namedtuple(name, fields)


SlogdetResult = _result("SlogdetResult", "sign logabsdet")
EighResult = _result("EighResult", "eigenvalues eigenvectors")
EigResult = _result("EigResult", "eigenvalues eigenvectors")
SVDResult = _result("SVDResult", "U S Vh")
QRResult = _result("QRResult", "Q R")


def _float_tensor(x, name: str) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if t.dtype.kind == "c":     # the rules transpose where complex matrices need conjugates: refused, not wrong
        raise NotImplementedError(f"{name}: turunan's linear-algebra rules are written for real matrices; for a "
                                  "complex one, work on its real and imaginary parts, or call numpy.linalg."
                                  f"{name} on .detach().numpy() to leave the graph on purpose")
    if t.dtype.kind != "f":
        t = apply(astype, t, dtype=np.float64)     # NumPy's linalg computes integers in float64
    if t.ndim < 2:
        raise np.linalg.LinAlgError(f"{name}: {t.ndim}-dimensional array given; it needs a matrix (or a stack of "
                                    "matrices) of at least two dimensions")
    return t


def square_matrices(x, name: str) -> Tensor:
    t = _float_tensor(x, name)
    if t.shape[-1] != t.shape[-2]:
        raise np.linalg.LinAlgError(f"{name}: the last 2 dimensions of the array must be square, got shape "
                                    f"{t.shape}")
    return t


def linalg_solve(a, b) -> Tensor:
    """x with a @ x = b: ``b`` a vector (shape (..., n) when it is 1-d, NumPy 2's rule) or a stack of matrices."""
    a = square_matrices(a, "solve")
    b = b if isinstance(b, Tensor) else Tensor(np.asarray(b))
    if b.ndim == 1:
        return apply(solve, a, b[:, None])[..., 0]
    return apply(solve, a, b)


def linalg_inv(a) -> Tensor:
    return apply(inv, square_matrices(a, "inv"))


def linalg_det(a) -> Tensor:
    return apply(det, square_matrices(a, "det"))


def linalg_slogdet(a):
    """(sign, log|det|) as NumPy's SlogdetResult; the sign is a constant (its derivative is 0 where it exists)."""
    a = square_matrices(a, "slogdet")
    sign = apply(slogdet_sign, a)
    return SlogdetResult(sign, apply(logabsdet, a))


def linalg_cholesky(a, /, *, upper: bool = False) -> Tensor:
    low = apply(cholesky, square_matrices(a, "cholesky"), upper=bool(upper))
    return low.mT if upper else low


def linalg_eigh(a, UPLO: str = "L"):
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    packed = apply(eigh, square_matrices(a, "eigh"), upper=UPLO == "U")
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def linalg_eigvalsh(a, UPLO: str = "L") -> Tensor:
    return linalg_eigh(a, UPLO)[0]


def linalg_eig(a):
    """(eigenvalues, eigenvectors) of a general square matrix, as NumPy's EigResult (complex where NumPy's is)."""
    t = a if isinstance(a, Tensor) else Tensor(np.asarray(a))
    packed = apply(eig, t if kind(t) == "c" else square_matrices(t, "eig"))
    return EigResult(packed[..., 0, :], packed[..., 1:, :])


def linalg_eigvals(a) -> Tensor:
    return linalg_eig(a)[0]


def linalg_svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """NumPy's svd. ``hermitian`` is accepted and computes the general SVD (the same values)."""
    a = _float_tensor(a, "svd")
    m, n = a.shape[-2:]
    packed = apply(svd, a)
    u, s, vh = packed[..., :m, :], packed[..., m, :], packed[..., m + 1:, :].mT
    if not compute_uv:
        return s
    if full_matrices and m != n:
        extra = apply(svd_complement, a)
        if m > n:
            u = np.concatenate([u, extra], axis=-1)
        else:
            vh = np.concatenate([vh, extra.mT], axis=-2)
    return SVDResult(u, s, vh)


def linalg_qr(a, mode: str = "reduced"):
    a = _float_tensor(a, "qr")
    m, n = a.shape[-2:]
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r' (with derivatives), got {mode!r}")
    if m < n or (mode == "complete" and m != n):
        raise NotImplementedError(f"qr of a {m}x{n} matrix in mode {mode!r}: turunan differentiates QR for m >= n in "
                                  "mode 'reduced' or 'r' (as JAX; Q's extra columns are not unique); use "
                                  "qr(a.mT) on a wide matrix")
    packed = apply(qr, a)
    q, r = packed[..., :m, :], packed[..., m:, :].mT
    return r if mode == "r" else QRResult(q, r)


def linalg_pinv(a, rcond=None, hermitian: bool = False, *, rtol=None) -> Tensor:
    """The pseudo-inverse; singular values at or below ``rcond * max(s)`` (NumPy's default ``max(M, N) * eps``)
    count as 0. Its derivative holds where the rank is constant (as everywhere except at the cut)."""
    a = _float_tensor(a, "pinv")
    cut = rtol if rtol is not None else rcond
    if cut is None:
        cut = max(a.shape[-2:]) * np.finfo(a.dtype).eps
    return apply(pinv, a, rcond=cut)


def matrix_power(a, n: int) -> Tensor:
    """a @ a @ ... (n times) by repeated squaring; n < 0 powers the inverse, n == 0 gives the identity."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {type(n).__name__}")
    a = square_matrices(a, "matrix_power")
    if n < 0:
        a, n = linalg_inv(a), -n
    out = None
    while n:
        if n & 1:
            out = a if out is None else out @ a
        n >>= 1
        if n:
            a = a @ a
    return a * 0 + _eye_like(a) if out is None else out


def matrix_rank(a, tol=None, hermitian: bool = False, *, rtol=None) -> Tensor:
    """NumPy's matrix_rank, without a gradient (an integer)."""
    data = a._d if isinstance(a, Tensor) else np.asarray(a)
    return Tensor(np.linalg.matrix_rank(data, tol=tol, hermitian=hermitian, rtol=rtol))


def tensorinv(a, ind: int = 2) -> Tensor:
    """The inverse of ``a`` seen as a matrix of its first ``ind`` axes by the others (NumPy's tensorinv)."""
    a = a if isinstance(a, Tensor) else Tensor(np.asarray(a))
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    rows, cols = a.shape[:ind], a.shape[ind:]
    out = linalg_inv(a.reshape((int(np.prod(rows)), int(np.prod(cols)))))
    return out.reshape(cols + rows)


def tensorsolve(a, b, axes=None) -> Tensor:
    """x with tensordot(a, x, x.ndim) = b (NumPy's tensorsolve); ``axes`` of ``a`` move to the end first."""
    a = a if isinstance(a, Tensor) else Tensor(np.asarray(a))
    b = b if isinstance(b, Tensor) else Tensor(np.asarray(b))
    if axes is not None:
        axes = (axes,) if isinstance(axes, int) else tuple(axes)
        a = np.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
    unknown = a.shape[b.ndim:]
    square = a.reshape((b.size, int(np.prod(unknown))))
    return linalg_solve(square, b.reshape((b.size,))).reshape(unknown)


def matrix_norm_from_svd(x, ord, axis: tuple, keepdims: bool) -> Tensor:
    """The matrix norms of the singular values over ``axis`` (two axes): 'nuc' (their sum), 2 (the largest), -2
    (the smallest); derivatives to any order where the singular values involved are distinct."""
    r, c = (a % x.ndim for a in axis)
    s = linalg_svd(np.moveaxis(x, (r, c), (-2, -1)), compute_uv=False)
    out = np.sum(s, axis=-1) if ord == "nuc" else s[..., 0] if ord == 2 else s[..., -1]
    if keepdims:
        out = np.expand_dims(np.expand_dims(out, min(r, c)), max(r, c))
    return out
