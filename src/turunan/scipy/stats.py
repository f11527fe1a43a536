"""``turunan.scipy.stats``: densities and distribution functions of SciPy's distributions, differentiable.

Each distribution is a namespace of functions with SciPy's signatures (``norm.logpdf(x, loc=0, scale=1)``),
composed from ``turunan.scipy.special``, so every derivative the composition has exists to any order: ``x``,
``loc``, ``scale`` and the shape parameters of the densities (as JAX differentiates them); the distribution
functions of ``t``, ``gamma``, ``chi2`` and ``beta`` are not differentiable in their shape parameters (the
incomplete gamma/beta functions have no derivative in them here, HIPS autograd's convention: asking raises).
Outside a distribution's support a density is 0 (log-density -inf) with a zero gradient, never NaN; an invalid
parameter (a scale <= 0, a shape <= 0) gives NaN, as SciPy.

>>> import turunan as tn
>>> from turunan.scipy.stats import norm
>>> x = tn.tensor([0.5, 1.0], dtype=tn.float64, requires_grad=True)
>>> norm.logpdf(x).sum().backward()
>>> x.grad             # -x
tensor([-0.5, -1. ], dtype=turunan.float64)
"""

from __future__ import annotations

import types

import numpy as np

from .. import _ops
from .. import _rules_special as S
from .._array import as_operand
from .._core import Tensor, apply
from ..numpy import linalg as la
from . import special as sp

__all__ = ["norm", "t", "gamma", "beta", "dirichlet", "multivariate_normal", "poisson", "chi2", "expon", "uniform",
           "laplace", "logistic", "cauchy", "bernoulli", "geom"]

_HALF_LOG_2PI = 0.9189385332046727
_LOG_PI = 1.1447298858494002


def _tensor(x) -> Tensor:
    """An operand as a Tensor, NumPy's dtype kept (a Python float or list is float64, as in SciPy)."""
    if isinstance(x, Tensor):
        return x
    x = as_operand(x, "turunan.scipy.stats")
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.result_type(x, 1.0)))


def _values(t: Tensor):
    """A tensor's values for a check of its domain, or None inside vmap (where they cannot be read)."""
    values = t.detach().numpy()
    return values if isinstance(values, np.ndarray) else None


def _nan_unless(valid, out) -> Tensor:
    """``out`` where the parameters are valid, NaN elsewhere (SciPy's answer to a scale <= 0, say)."""
    return _ops.where(valid, out, np.nan)


def _standardise(x, loc, scale):
    x, loc, scale = _tensor(x), _tensor(loc), _tensor(scale)
    return (x - loc) / scale, scale


def _namespace(name: str, **functions) -> types.SimpleNamespace:
    for fn_name, fn in functions.items():
        fn.__name__ = fn.__qualname__ = f"{name}.{fn_name}"
    return types.SimpleNamespace(__name__=name, **functions)


# ---- normal -------------------------------------------------------------------------------------------------
def _norm_logpdf(x, loc=0.0, scale=1.0) -> Tensor:
    """log N(x; loc, scale^2)."""
    z, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, -0.5 * (z * z) - _ops.log(scale) - _HALF_LOG_2PI)


def _norm_cdf(x, loc=0.0, scale=1.0) -> Tensor:
    z, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, sp.ndtr(z))


def _norm_logcdf(x, loc=0.0, scale=1.0) -> Tensor:
    z, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, sp.log_ndtr(z))


def _norm_sf(x, loc=0.0, scale=1.0) -> Tensor:
    z, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, sp.ndtr(-z))


def _norm_logsf(x, loc=0.0, scale=1.0) -> Tensor:
    z, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, sp.log_ndtr(-z))


def _norm_ppf(q, loc=0.0, scale=1.0) -> Tensor:
    """The quantile function: loc + scale * ndtri(q)."""
    scale = _tensor(scale)
    return _nan_unless(scale > 0, _tensor(loc) + scale * sp.ndtri(_tensor(q)))


norm = _namespace("norm", logpdf=_norm_logpdf, pdf=lambda x, loc=0.0, scale=1.0: _ops.exp(_norm_logpdf(x, loc, scale)),
                  cdf=_norm_cdf, logcdf=_norm_logcdf, sf=_norm_sf, logsf=_norm_logsf, ppf=_norm_ppf)


# ---- Student's t --------------------------------------------------------------------------------------------
def _t_logpdf(x, df, loc=0.0, scale=1.0) -> Tensor:
    """log of Student's t density; differentiable in x, df, loc and scale."""
    z, scale = _standardise(x, loc, scale)
    df = _tensor(df)
    out = (sp.gammaln((df + 1) * 0.5) - sp.gammaln(df * 0.5) - 0.5 * _ops.log(df) - 0.5 * _LOG_PI
           - _ops.log(scale) - (df + 1) * 0.5 * _ops.log1p(z * z / df))
    return _nan_unless((scale > 0) & (df > 0), out)


def _t_cdf(x, df, loc=0.0, scale=1.0) -> Tensor:
    """Student's t distribution function; differentiable in x, loc and scale (not df)."""
    z, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, apply(S.stdtr, df, z))


t = _namespace("t", logpdf=_t_logpdf, pdf=lambda x, df, loc=0.0, scale=1.0: _ops.exp(_t_logpdf(x, df, loc, scale)),
               cdf=_t_cdf, logcdf=lambda x, df, loc=0.0, scale=1.0: _ops.log(_t_cdf(x, df, loc, scale)))


# ---- gamma and chi-squared ----------------------------------------------------------------------------------
def _gamma_logpdf(x, a, loc=0.0, scale=1.0) -> Tensor:
    """log of the gamma density with shape ``a``; differentiable in x, a, loc and scale; -inf below loc."""
    y, scale = _standardise(x, loc, scale)
    a = _tensor(a)
    inside = y >= 0
    y = _ops.where(inside, y, 1.0)     # the other side's gradient must not meet log of a negative number
    out = _ops.where(inside, sp.xlogy(a - 1, y) - y - sp.gammaln(a) - _ops.log(scale), -np.inf)
    return _nan_unless((scale > 0) & (a > 0), out)


def _gamma_cdf(x, a, loc=0.0, scale=1.0) -> Tensor:
    """The gamma distribution function, gammainc(a, y); differentiable in x, loc, scale (not a)."""
    y, scale = _standardise(x, loc, scale)
    a = _tensor(a)
    return _nan_unless((scale > 0) & (a > 0), sp.gammainc(a, _ops.where(y > 0, y, 0.0)))


gamma = _namespace("gamma", logpdf=_gamma_logpdf,
                   pdf=lambda x, a, loc=0.0, scale=1.0: _ops.exp(_gamma_logpdf(x, a, loc, scale)),
                   cdf=_gamma_cdf, logcdf=lambda x, a, loc=0.0, scale=1.0: _ops.log(_gamma_cdf(x, a, loc, scale)))


def _chi2_logpdf(x, df, loc=0.0, scale=1.0) -> Tensor:
    """log of the chi-squared density: a gamma density of shape df / 2 and scale 2; differentiable in all."""
    return _gamma_logpdf(x, _tensor(df) * 0.5, loc, _tensor(scale) * 2.0)


def _chi2_cdf(x, df, loc=0.0, scale=1.0) -> Tensor:
    """The chi-squared distribution function; differentiable in x, loc, scale (not df)."""
    return _gamma_cdf(x, _tensor(df) * 0.5, loc, _tensor(scale) * 2.0)


chi2 = _namespace("chi2", logpdf=_chi2_logpdf,
                  pdf=lambda x, df, loc=0.0, scale=1.0: _ops.exp(_chi2_logpdf(x, df, loc, scale)),
                  cdf=_chi2_cdf, logcdf=lambda x, df, loc=0.0, scale=1.0: _ops.log(_chi2_cdf(x, df, loc, scale)))


# ---- beta ---------------------------------------------------------------------------------------------------
def _beta_logpdf(x, a, b, loc=0.0, scale=1.0) -> Tensor:
    """log of the beta density on [loc, loc + scale]; differentiable in x, a, b, loc and scale."""
    y, scale = _standardise(x, loc, scale)
    a, b = _tensor(a), _tensor(b)
    inside = (y >= 0) & (y <= 1)
    y = _ops.where(inside, y, 0.5)
    out = _ops.where(inside, sp.xlogy(a - 1, y) + sp.xlog1py(b - 1, -y) - sp.betaln(a, b) - _ops.log(scale), -np.inf)
    return _nan_unless((scale > 0) & (a > 0) & (b > 0), out)


def _beta_cdf(x, a, b, loc=0.0, scale=1.0) -> Tensor:
    """The beta distribution function, betainc(a, b, y); differentiable in x, loc, scale (not a, b)."""
    y, scale = _standardise(x, loc, scale)
    a, b = _tensor(a), _tensor(b)
    y = _ops.where(y > 0, _ops.where(y < 1, y, 1.0), 0.0)
    return _nan_unless((scale > 0) & (a > 0) & (b > 0), sp.betainc(a, b, y))


beta = _namespace("beta", logpdf=_beta_logpdf,
                  pdf=lambda x, a, b, loc=0.0, scale=1.0: _ops.exp(_beta_logpdf(x, a, b, loc, scale)),
                  cdf=_beta_cdf, logcdf=lambda x, a, b, loc=0.0, scale=1.0: _ops.log(_beta_cdf(x, a, b, loc, scale)))


# ---- exponential --------------------------------------------------------------------------------------------
def _expon_logpdf(x, loc=0.0, scale=1.0) -> Tensor:
    """log of the exponential density: -y - log(scale) for y = (x - loc) / scale >= 0, -inf below."""
    y, scale = _standardise(x, loc, scale)
    inside = y >= 0
    return _nan_unless(scale > 0, _ops.where(inside, -_ops.where(inside, y, 0.0) - _ops.log(scale), -np.inf))


def _expon_cdf(x, loc=0.0, scale=1.0) -> Tensor:
    """1 - exp(-y) for y >= 0 (expm1: accurate near 0), 0 below loc."""
    y, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, -_ops.expm1(-_ops.where(y > 0, y, 0.0)))


def _expon_logsf(x, loc=0.0, scale=1.0) -> Tensor:
    """log P(X > x) = -y for y >= 0, 0 below loc."""
    y, scale = _standardise(x, loc, scale)
    return _nan_unless(scale > 0, -_ops.where(y > 0, y, 0.0))


expon = _namespace("expon", logpdf=_expon_logpdf,
                   pdf=lambda x, loc=0.0, scale=1.0: _ops.exp(_expon_logpdf(x, loc, scale)),
                   cdf=_expon_cdf, logcdf=lambda x, loc=0.0, scale=1.0: _ops.log(_expon_cdf(x, loc, scale)),
                   sf=lambda x, loc=0.0, scale=1.0: _ops.exp(_expon_logsf(x, loc, scale)), logsf=_expon_logsf)


# ---- Poisson ------------------------------------------------------------------------------------------------
def _counts(k, loc, dist: str = "poisson"):
    """The counts k - loc: data, never differentiated (a pmf has no derivative in a discrete variable)."""
    for v, name in ((k, "k"), (loc, "loc")):
        if isinstance(v, Tensor) and v.requires_grad:
            raise ValueError(f"{dist}: {name} is a count (discrete); it has no derivative: pass it without "
                             "requires_grad (the distribution's parameter is differentiable)")
    return _tensor(k) - _tensor(loc)


def _poisson_logpmf(k, mu, loc=0.0) -> Tensor:
    """log Poisson(k; mu); -inf where k - loc is not a non-negative integer; differentiable in mu."""
    k, mu = _counts(k, loc), _tensor(mu)
    valid = (k >= 0) & (_ops.floor(k) == k)
    k = _ops.where(valid, k, 0.0)
    return _nan_unless(mu >= 0, _ops.where(valid, sp.xlogy(k, mu) - sp.gammaln(k + 1) - mu, -np.inf))


def _poisson_cdf(k, mu, loc=0.0) -> Tensor:
    """P(K <= k) = gammaincc(floor(k) + 1, mu); differentiable in mu."""
    k, mu = _counts(k, loc), _tensor(mu)
    below = k < 0
    a = _ops.floor(_ops.where(below, 0.0, k)) + 1
    return _nan_unless(mu >= 0, _ops.where(below, 0.0, sp.gammaincc(a, mu)))


poisson = _namespace("poisson", logpmf=_poisson_logpmf,
                     pmf=lambda k, mu, loc=0.0: _ops.exp(_poisson_logpmf(k, mu, loc)), cdf=_poisson_cdf,
                     logcdf=lambda k, mu, loc=0.0: _ops.log(_poisson_cdf(k, mu, loc)))


# ---- Dirichlet ----------------------------------------------------------------------------------------------
def _dirichlet_x(x, alpha):
    """SciPy's layout: components along the first axis of ``x``, all k of them or the first k - 1 (the last is
    1 minus their sum); each column must lie on the simplex."""
    x, alpha = _tensor(x), _tensor(alpha)
    if alpha.ndim != 1 or alpha.shape[0] < 2:
        raise ValueError(f"dirichlet: alpha must be a vector of at least 2 concentrations, got shape {alpha.shape}")
    k = alpha.shape[0]
    if x.ndim == 0 or x.shape[0] not in (k, k - 1):
        raise ValueError(f"dirichlet: x must hold {k} or {k - 1} components along its first axis (SciPy's layout), "
                         f"got shape {x.shape}")
    if x.shape[0] == k - 1:
        x = _ops.concatenate([x, 1 - _ops.sum(x, axis=0, keepdims=True)], axis=0)
    values = _values(x)
    if values is not None and (np.any(values < 0) or np.any(values > 1)
                               or not np.allclose(values.sum(0), 1, atol=1e-9, rtol=0)):
        raise ValueError("dirichlet: each column of x must lie on the simplex (entries in [0, 1] summing to 1)")
    return x, _ops.reshape(alpha, (k,) + (1,) * (x.ndim - 1))


def _dirichlet_logpdf(x, alpha) -> Tensor:
    """log Dirichlet(x; alpha), differentiable in x and alpha."""
    x, a = _dirichlet_x(x, alpha)
    log_norm = _ops.sum(sp.gammaln(a), axis=0) - sp.gammaln(_ops.sum(a, axis=0))
    # (inside vmap, where x could not be checked, a column off the simplex gives NaN)
    on_simplex = _ops.all((x >= 0) & (x <= 1), axis=0) & (_ops.abs(_ops.sum(x, axis=0) - 1) <= 1e-9)
    return _nan_unless(_ops.all(a > 0) & on_simplex, _ops.sum(sp.xlogy(a - 1, x), axis=0) - log_norm)


dirichlet = _namespace("dirichlet", logpdf=_dirichlet_logpdf,
                       pdf=lambda x, alpha: _ops.exp(_dirichlet_logpdf(x, alpha)))


# ---- multivariate normal ------------------------------------------------------------------------------------
def _mvn_parts(x, mean, cov):
    """SciPy's conventions: points along the last axis of x; cov a matrix, a vector (its diagonal) or a number."""
    x = _tensor(x)
    cov = _tensor(cov)
    mean = None if mean is None else _tensor(mean)
    dim = (mean.shape[-1] if mean.ndim else 1) if mean is not None else cov.shape[0] if cov.ndim else 1
    if cov.ndim == 0:
        cov = cov * np.eye(dim)
    elif cov.ndim == 1:
        cov = cov * np.eye(dim)             # a diagonal given as a vector
    if cov.ndim != 2 or cov.shape != (dim, dim):
        raise ValueError(f"multivariate_normal: cov must be a number, a vector of {dim} variances or a "
                         f"{dim} x {dim} matrix, got shape {cov.shape}")
    if dim == 1 and (x.ndim == 0 or x.shape[-1] != 1):
        x = _ops.expand_dims(x, -1)         # as SciPy: with one dimension, every entry of x is a point
    if x.shape[-1] != dim:
        raise ValueError(f"multivariate_normal: x must hold points of dimension {dim} along its last axis, "
                         f"got shape {x.shape}")
    values = _values(cov)       # None inside vmap with a cov per example: checked per example (NaN) instead
    # the whole matrix is used (SciPy reads one triangle): an asymmetric one would give another number
    if values is not None and (not np.allclose(values, values.T, rtol=0, atol=1e-5 * np.abs(values).max())
                               or np.any(np.linalg.eigvalsh(values) <= 0)):
        raise ValueError("multivariate_normal: cov must be symmetric positive definite (allow_singular is not "
                         "supported: a singular covariance has no density to differentiate)")
    valid = True if values is not None else _ops.all(la.eigvalsh(cov.detach()) > 0)
    return x - (0.0 if mean is None else mean), cov, dim, valid


def _mvn_logpdf(x, mean=None, cov=1, allow_singular: bool = False) -> Tensor:
    """log N(x; mean, cov), differentiable in x, mean and cov (the gradient in cov is HIPS autograd's, not
    symmetrised). The result has x's shape less its last axis, singleton axes squeezed, as SciPy."""
    if allow_singular:
        raise NotImplementedError("multivariate_normal: allow_singular=True is not supported (the density of a "
                                  "singular covariance is not differentiable in it, as HIPS autograd says)")
    diff, cov, dim, valid = _mvn_parts(x, mean, cov)
    solved = _ops.swapaxes(la.solve(cov, _ops.swapaxes(_ops.reshape(diff, (-1, dim)), 0, 1)), 0, 1)
    maha = _ops.sum(_ops.reshape(diff, (-1, dim)) * solved, axis=-1)
    out = _nan_unless(valid, -0.5 * (maha + la.slogdet(cov)[1]) - dim * _HALF_LOG_2PI)
    return _ops.reshape(out, tuple(n for n in diff.shape[:-1] if n != 1))


def _mvn_entropy(mean=None, cov=1) -> Tensor:
    """The differential entropy d (1 + log 2 pi) / 2 + log det(cov) / 2 (SciPy's, HIPS autograd's), differentiable
    in cov; the mean does not enter it."""
    point = mean if mean is not None else np.zeros(np.shape(_tensor(cov))[:1] or (1,))
    _, cov, dim, valid = _mvn_parts(point, mean, cov)
    return _nan_unless(valid, 0.5 * la.slogdet(cov)[1] + dim * (0.5 + _HALF_LOG_2PI))


multivariate_normal = _namespace(
    "multivariate_normal", logpdf=_mvn_logpdf, entropy=_mvn_entropy,
    pdf=lambda x, mean=None, cov=1, allow_singular=False: _ops.exp(_mvn_logpdf(x, mean, cov, allow_singular)))


# ---- uniform, Laplace, logistic, Cauchy ---------------------------------------------------------------------
def _location_scale(name: str, logpdf, cdf, logcdf=None, logsf=None) -> types.SimpleNamespace:
    """A location-scale family from its standard log-density and distribution function of y = (x - loc) / scale."""
    def _logpdf(x, loc=0.0, scale=1.0) -> Tensor:
        y, scale = _standardise(x, loc, scale)
        return _nan_unless(scale > 0, logpdf(y) - _ops.log(scale))

    def _cdf(x, loc=0.0, scale=1.0) -> Tensor:
        y, scale = _standardise(x, loc, scale)
        return _nan_unless(scale > 0, cdf(y))

    def _logcdf(x, loc=0.0, scale=1.0) -> Tensor:
        y, scale = _standardise(x, loc, scale)
        return _nan_unless(scale > 0, logcdf(y) if logcdf else _ops.log(cdf(y)))

    def _logsf(x, loc=0.0, scale=1.0) -> Tensor:
        y, scale = _standardise(x, loc, scale)
        return _nan_unless(scale > 0, logsf(y) if logsf else _ops.log1p(-cdf(y)))

    return _namespace(name, logpdf=_logpdf, pdf=lambda x, loc=0.0, scale=1.0: _ops.exp(_logpdf(x, loc, scale)),
                      cdf=_cdf, logcdf=_logcdf, logsf=_logsf,
                      sf=lambda x, loc=0.0, scale=1.0: _ops.exp(_logsf(x, loc, scale)))


def _inside_unit(y):
    return (y >= 0) & (y <= 1)


uniform = _location_scale("uniform", lambda y: _ops.where(_inside_unit(y), 0.0 * y, -np.inf),
                          lambda y: _ops.where(y > 0, _ops.where(y < 1, y, 1.0), 0.0))
# the exponentials only ever see y <= 0 (no overflow, no inf * 0 in a gradient)
laplace = _location_scale("laplace", lambda y: -_ops.abs(y) - 0.6931471805599453,
                          lambda y: _ops.where(y < 0, 0.5 * _ops.exp(_ops.where(y < 0, y, 0.0)),
                                               1 - 0.5 * _ops.exp(-_ops.where(y < 0, 0.0, y))))
logistic = _location_scale("logistic", lambda y: -y - 2 * _ops.softplus(-y), sp.expit,
                           lambda y: -_ops.softplus(-y), lambda y: -_ops.softplus(y))
cauchy = _location_scale("cauchy", lambda y: -_ops.log1p(y * y) - _LOG_PI,
                         lambda y: 0.5 + _ops.arctan(y) * (1 / np.pi))


# ---- Bernoulli and geometric ---------------------------------------------------------------------------------
def _bernoulli_logpmf(k, p, loc=0.0) -> Tensor:
    """log P(K = k): log p at 1, log(1 - p) at 0, -inf elsewhere; differentiable in p."""
    k, p = _counts(k, loc, "bernoulli"), _tensor(p)
    out = _ops.where(k == 1, _ops.log(p), _ops.where(k == 0, _ops.log1p(-p), -np.inf))
    return _nan_unless((p >= 0) & (p <= 1), out)


def _bernoulli_cdf(k, p, loc=0.0) -> Tensor:
    k, p = _counts(k, loc, "bernoulli"), _tensor(p)
    return _nan_unless((p >= 0) & (p <= 1), _ops.where(k < 0, 0.0, _ops.where(k < 1, 1 - p, 1.0 + 0.0 * p)))


bernoulli = _namespace("bernoulli", logpmf=_bernoulli_logpmf,
                       pmf=lambda k, p, loc=0.0: _ops.exp(_bernoulli_logpmf(k, p, loc)), cdf=_bernoulli_cdf)


def _geom_logpmf(k, p, loc=0.0) -> Tensor:
    """log P(K = k) = (k - 1) log(1 - p) + log p for k = 1, 2, ...; differentiable in p."""
    k, p = _counts(k, loc, "geom"), _tensor(p)
    valid = (k >= 1) & (_ops.floor(k) == k)
    k = _ops.where(valid, k, 1.0)
    out = _ops.where(valid, sp.xlog1py(k - 1, -p) + _ops.log(p), -np.inf)
    return _nan_unless((p > 0) & (p <= 1), out)


def _geom_cdf(k, p, loc=0.0) -> Tensor:
    """1 - (1 - p)^floor(k) for k >= 1, 0 below."""
    k, p = _counts(k, loc, "geom"), _tensor(p)
    below = k < 1
    n = _ops.floor(_ops.where(below, 1.0, k))
    return _nan_unless((p > 0) & (p <= 1), _ops.where(below, 0.0, -_ops.expm1(sp.xlog1py(n, -p))))


geom = _namespace("geom", logpmf=_geom_logpmf, pmf=lambda k, p, loc=0.0: _ops.exp(_geom_logpmf(k, p, loc)),
                  cdf=_geom_cdf)
