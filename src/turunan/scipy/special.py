"""``turunan.scipy.special``: SciPy's special functions, differentiable (``autograd.scipy.special``'s names).

Values are SciPy's (the rows of ``turunan._rules_special`` run its kernels); derivatives are HIPS autograd's and
JAX's, to any order. Once this module is loaded, SciPy's own ufuncs on a Tensor (``scipy.special.gammaln(t)``)
are recorded too, through NumPy's ``__array_ufunc__``. Order and shape arguments (``polygamma``'s ``n``, the
Bessel functions' order, ``gammainc``'s and ``gammaincc``'s ``a``, ``betainc``'s ``a`` and ``b``,
``multigammaln``'s ``d``) have no derivative, as in HIPS autograd: a gradient asked through one raises
NotImplementedError (never a silent zero). Inputs that are not Tensors follow NumPy's dtypes (Python floats and
lists are float64).

>>> import turunan as tn
>>> from turunan.scipy import special
>>> x = tn.tensor([1.5, 3.0], dtype=tn.float64, requires_grad=True)
>>> special.gammaln(x).sum().backward()
>>> x.grad             # digamma(x)
tensor([0.03648997, 0.92278434], dtype=turunan.float64)
"""

from __future__ import annotations

import numpy as np

from .. import _ops
from .. import _rules as R
from .. import _rules_special as S
from .._array import as_operand
from .._core import Tensor, apply
from .._methods import UFUNCS

S.scipy_special()       # SciPy is this module's kernel library: without it, the install hint now

__all__ = [
    "gamma", "gammaln", "digamma", "psi", "polygamma", "multigammaln", "beta", "betaln", "betainc", "gammainc",
    "gammaincc", "gammasgn", "rgamma", "erf", "erfc", "erfinv", "erfcinv", "expit", "logit", "logsumexp", "log_ndtr",
    "ndtr", "ndtri", "xlogy", "xlog1py", "softmax", "log_softmax", "entr", "rel_entr", "i0", "i1", "iv", "ive", "j0",
    "j1", "jn", "y0", "y1", "yn", "i0e", "i1e", "expi", "exp1", "zeta",
]


def _tensor(x) -> Tensor:
    """An operand as a Tensor, NumPy's dtype kept (a Python float or list becomes float64, as in SciPy)."""
    if isinstance(x, Tensor):
        return x
    x = as_operand(x, "turunan.scipy.special")
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _unary(row, doc: str):
    def fn(x) -> Tensor:
        return apply(row, x)
    fn.__name__ = fn.__qualname__ = row.name
    fn.__doc__ = doc
    return fn


def _ordered(row, order: str, doc: str):
    def fn(n, x) -> Tensor:
        return apply(row, n, x)
    fn.__name__ = fn.__qualname__ = row.name
    fn.__doc__ = f"{doc} No derivative with respect to the order ``{order}`` (HIPS autograd's convention)."
    return fn


def _binary(row, doc: str):
    def fn(x, y) -> Tensor:
        return apply(row, x, y)
    fn.__name__ = fn.__qualname__ = row.name
    fn.__doc__ = doc
    return fn


gamma = _unary(S.gamma, "The gamma function; d/dx = gamma(x) digamma(x).")
gammaln = _unary(S.gammaln, "log |gamma(x)|; d/dx = digamma(x).")
digamma = _unary(S.digamma, "The digamma function, d/dx log gamma(x); d/dx = polygamma(1, x).")
psi = digamma
polygamma = _ordered(S.polygamma, "n", "The n-th derivative of digamma; d/dx = polygamma(n + 1, x).")
beta = _binary(S.beta, "The beta function gamma(a) gamma(b) / gamma(a + b), differentiable in a and b.")
betaln = _binary(S.betaln, "log |beta(a, b)|, differentiable in a and b (SciPy's kernel: accurate for large a, b).")
gammainc = _ordered(S.gammainc, "a", "The regularised lower incomplete gamma function P(a, x).")
gammaincc = _ordered(S.gammaincc, "a", "The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x).")
erfc = _unary(S.erfc, "1 - erf(x), accurate where erf(x) is near 1.")
erfinv = _unary(S.erfinv, "The inverse of erf on (-1, 1).")
erfcinv = _unary(S.erfcinv, "The inverse of erfc on (0, 2).")
log_ndtr = _unary(S.log_ndtr, "log of the standard normal distribution function, accurate far into both tails.")
ndtri = _unary(S.ndtri, "The inverse of the standard normal distribution function (its quantile function).")
xlogy = _binary(S.xlogy, "x * log(y), 0 where x == 0; d/dx = log(y), d/dy = x / y.")
xlog1py = _binary(S.xlog1py, "x * log1p(y), 0 where x == 0; d/dx = log1p(y), d/dy = x / (1 + y).")
entr = _unary(S.entr, "-x log x for x > 0, 0 at 0, -inf below; d/dx = -(log x + 1).")
rel_entr = _binary(S.rel_entr, "x log(x / y) for x, y > 0, 0 at x = 0 (y >= 0), inf elsewhere.")
i0 = _unary(S.i0, "The modified Bessel function of the first kind, order 0; d/dx = i1(x).")
i1 = _unary(S.i1, "The modified Bessel function of the first kind, order 1.")
iv = _ordered(S.iv, "v", "The modified Bessel function of the first kind of real order v.")
ive = _ordered(S.ive, "v", "iv(v, x) * exp(-|x|), exponentially scaled.")
i0e = _unary(S.i0e, "i0(x) * exp(-|x|), exponentially scaled.")
i1e = _unary(S.i1e, "i1(x) * exp(-|x|), exponentially scaled.")
expi = _unary(S.expi, "The exponential integral Ei(x); d/dx = exp(x) / x.")
exp1 = _unary(S.exp1, "The exponential integral E1(x); d/dx = -exp(-x) / x.")
zeta = _binary(S.zeta, "Hurwitz's zeta function zeta(x, q); d/dq = -x zeta(x + 1, q), none in x (asking raises).")
j0 = _unary(S.j0, "The Bessel function of the first kind, order 0; d/dx = -j1(x).")
j1 = _unary(S.j1, "The Bessel function of the first kind, order 1.")
jn = _ordered(S.jn, "n", "The Bessel function of the first kind of order n.")
y0 = _unary(S.y0, "The Bessel function of the second kind, order 0; d/dx = -y1(x).")
y1 = _unary(S.y1, "The Bessel function of the second kind, order 1.")
yn = _ordered(S.yn, "n", "The Bessel function of the second kind of integer order n.")


def betainc(a, b, x) -> Tensor:
    """The regularised incomplete beta function I_x(a, b); differentiable in ``x`` only (none for ``a`` and ``b``,
    HIPS autograd's convention: asking raises NotImplementedError).

    >>> float(betainc(2.0, 3.0, 0.5))
    0.6875
    """
    return apply(S.betainc, a, b, x)


def erf(x) -> Tensor:
    """The error function; d/dx = 2/sqrt(pi) exp(-x^2) (the core's row)."""
    return apply(R.erf, x)


def expit(x) -> Tensor:
    """The logistic sigmoid 1 / (1 + exp(-x)) (the core's row: exact, never overflows)."""
    return apply(R.sigmoid, x)


def logit(x) -> Tensor:
    """log(x / (1 - x)), SciPy's formula, composed (d/dx = 1 / (x (1 - x)))."""
    x = _tensor(x)
    return _ops.log(x / (1 - x))


def ndtr(x) -> Tensor:
    """The standard normal distribution function, 0.5 erfc(-x / sqrt 2): accurate in the left tail.

    >>> float(ndtr(0.0))
    0.5
    """
    return 0.5 * erfc(_tensor(x) * -0.7071067811865476)


def rgamma(x) -> Tensor:
    """1 / gamma(x) (SciPy's rgamma: 0 at gamma's poles), recorded as the reciprocal of ``gamma``: d/dx =
    -digamma(x) / gamma(x), HIPS autograd's.

    >>> float(rgamma(3.0))
    0.5
    """
    x = _tensor(x)
    pole = (x._d <= 0) & (x._d == np.floor(x._d))    # gamma is NaN there in SciPy; rgamma is 0 (a constant)
    return _ops.where(pole, 0.0, 1.0 / gamma(_ops.where(pole, 1.0, x)))


def gammasgn(x) -> Tensor:
    """The sign of gamma(x): piecewise constant, so no gradient."""
    return Tensor(S.scipy_special().gammasgn(_tensor(x).detach().numpy()))


def multigammaln(a, d: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``d``, composed from ``gammaln`` (differentiable
    in ``a``; ``d`` is an integer, as in SciPy). SciPy's domain: every a > (d - 1) / 2, else ValueError.

    >>> round(float(multigammaln(2.0, 3)), 8)
    1.59631259
    """
    if isinstance(d, Tensor) or not float(d).is_integer() or d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer (a number, not a Tensor), got {d!r}")
    a = _tensor(a)
    d = int(d)
    values = a.detach().numpy()     # inside vmap, not an ndarray: no check here, NaN outside the domain below
    if isinstance(values, np.ndarray) and np.any(values <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: every a must be > (d - 1) / 2 = {0.5 * (d - 1)} (SciPy's domain)")
    terms = gammaln(_ops.expand_dims(a, -1) - np.arange(d) / 2.0)
    out = _ops.sum(terms, axis=-1) + d * (d - 1) / 4.0 * np.log(np.pi)
    return _ops.where(a > 0.5 * (d - 1), out, np.nan)


def log_softmax(x, axis=None) -> Tensor:
    """x - logsumexp(x, axis), SciPy's: over every element when ``axis`` is None, or over a tuple of axes.

    >>> [round(v, 6) for v in log_softmax([0.0, 0.0]).tolist()]
    [-0.693147, -0.693147]
    """
    x = _tensor(x)
    if isinstance(axis, int):
        return _ops.log_softmax(x, axis)        # the core's row: one node
    return x - _ops.logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=None) -> Tensor:
    """exp(log_softmax(x, axis)): SciPy's axis convention (None normalises over every element)."""
    return _ops.exp(log_softmax(x, axis))


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """log(sum(b * exp(a))) over ``axis``, without overflow; SciPy's signature. With ``return_sign`` it returns
    (log|sum|, sign(sum)); without it a negative sum gives NaN, as SciPy. Without ``b`` it is the core's row.

    Differentiable in ``a`` and ``b`` (d/db is exp(a) / sum, also where b is 0).

    >>> float(logsumexp([1.0, 2.0], b=[1.0, 0.0]))      # b = 0 drops a term
    1.0
    """
    if b is None and not return_sign:
        return _ops.logsumexp(_tensor(a), axis=axis, keepdims=keepdims)
    a = _tensor(a)
    if b is not None:
        b = _tensor(b)
        a, b = _ops.broadcast_arrays(a, b) if a.shape != b.shape else (a, b)
    # the shift: any constant gives the same value and gradient, so it is a constant (no gradient through it)
    top = _ops.amax(a if b is None else _ops.where(b != 0, a, -np.inf), axis=axis, keepdims=True).detach()
    top = _ops.where(_ops.isfinite(top), top, 0.0)
    terms = _ops.exp(a - top)
    total = _ops.sum(terms if b is None else b * terms, axis=axis, keepdims=keepdims)
    top = top if keepdims else _ops.reshape(top, total.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not return_sign:
            return _ops.log(total) + top
        return _ops.log(_ops.abs(total)) + top, _ops.sign(total)


# SciPy's ufuncs on a Tensor land in Tensor.__array_ufunc__: with these entries they are recorded like the names above
for _name in __all__:
    _ufunc = getattr(S.scipy_special(), _name, None)
    if isinstance(_ufunc, np.ufunc):
        UFUNCS.setdefault(_ufunc, globals()[_name])
