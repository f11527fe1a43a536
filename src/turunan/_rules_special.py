"""The table's special-function rows: SciPy's ``scipy.special`` kernels with their derivatives.

Each row is a ``defprim`` row of the one table (``turunan._rules``), elementwise, its kernel a SciPy ufunc looked
up on first use: ``import turunan`` does not need SciPy; calling a row without it raises an ImportError that says
``pip install 'turunan[scipy]'``. Rules are written with NumPy operators and with these rows themselves, so
they run on arrays in a plain backward and on Tensors with ``create_graph=True`` (any order: the derivative of
``digamma`` is ``polygamma(1, .)``, whose derivative is ``polygamma(2, .)``, ...).

The derivatives are HIPS autograd's (``autograd/scipy/special.py``) and JAX's. An order or shape argument
(``polygamma``'s ``n``, ``iv``/``ive``/``jn``/``yn``'s order, ``gammainc``'s ``a``, ``betainc``'s ``a`` and
``b``, ``stdtr``'s ``df``, ``zeta``'s ``x``) has no derivative here, as in HIPS autograd: its rule raises
(``no_derivative``), so a gradient asked through it is an error, never a silent zero.
"""

from __future__ import annotations

import numpy as np

from ._array import is_foreign
from ._rules import ELEMENTWISE, defprim

_special = None


def scipy_special():
    """``scipy.special``, imported on first use, with the install hint where SciPy is missing."""
    global _special
    if _special is None:
        try:
            import scipy.special as _special
        except ImportError as err:
            raise ImportError("turunan's special functions run SciPy's kernels, and SciPy is not installed: "
                              "pip install 'turunan[scipy]'") from err
    return _special


def _kernel(name: str):
    def fwd(*args):
        return getattr(scipy_special(), name)(*args)
    fwd.__name__ = name
    return fwd


def no_derivative(fn: str, arg: str, nargs: int = 2):
    """The rule of an argument without a derivative: asking for one is an error that says what to do.

    Its parameters are spelled out (the engine reads a rule's signature to learn what a node keeps)."""
    def refuse():
        raise NotImplementedError(
            f"{fn}: no derivative with respect to its argument {arg!r} (turunan defines none, as HIPS autograd); "
            f"pass {arg} as a constant (a number, or an array or Tensor that does not require grad)")
    if nargs == 2:
        return lambda g, ans, a, x: refuse()
    return lambda g, ans, a, b, x: refuse()


def _row(name: str, vjps, display: str | None = None, fwd=None):
    return defprim(name, fwd or _kernel(name), vjps, ELEMENTWISE, display=display)


def _polygamma(n, x):
    """SciPy's polygamma, which is a Python function that converts with ``numpy.asarray`` (a CuPy array is refused),
    composed for a device array from the ufuncs it calls, which CuPy answers (``cupyx.scipy.special``): SciPy's
    own formula, (-1)^(n+1) n! zeta(n+1, x), and digamma where n = 0."""
    sp = scipy_special()
    if not (is_foreign(x) or is_foreign(n)):
        return sp.polygamma(n, x)
    return np.where(n == 0, sp.psi(x), (-1.0) ** (n + 1) * sp.gamma(n + 1.0) * sp.zeta(n + 1, x))


_SQRT_PI_HALF = 0.8862269254527580          # sqrt(pi) / 2; Python floats keep float32 rules in float32
_TWO_OVER_SQRT_PI = 1.1283791670955126
_HALF_LOG_2PI = 0.9189385332046727
_SQRT_2PI = 2.5066282746310002

# ---- gamma and its relatives ----------------------------------------------------------------------------
gamma = _row("gamma", [lambda g, ans, x: g * ans * digamma(x)])
gammaln = _row("gammaln", [lambda g, ans, x: g * digamma(x)])
digamma = _row("digamma", [lambda g, ans, x: g * polygamma(1, x)])
polygamma = _row("polygamma", [no_derivative("polygamma", "n"), lambda g, ans, n, x: g * polygamma(n + 1, x)],
                 fwd=_polygamma)
# NOTE: rows, not gammaln(a) + gammaln(b) - gammaln(a + b): that sum cancels catastrophically for large a or b
# (betaln(1e10, 1) lost six digits), and exp of it loses beta's sign for negative arguments
betaln = _row("betaln", [lambda g, ans, a, b: g * (digamma(a) - digamma(a + b)),
                         lambda g, ans, a, b: g * (digamma(b) - digamma(a + b))])
beta = _row("beta", [lambda g, ans, a, b: g * ans * (digamma(a) - digamma(a + b)),
                     lambda g, ans, a, b: g * ans * (digamma(b) - digamma(a + b))])


def _gammainc_density(a, x):
    """d/dx of the regularised lower incomplete gamma function, x^(a-1) e^(-x) / Gamma(a), through logs
    (xlogy: exact at x = 0 for a = 1)."""
    return np.exp(xlogy(a - 1, x) - x - gammaln(a))


gammainc = _row("gammainc", [no_derivative("gammainc", "a"), lambda g, ans, a, x: g * _gammainc_density(a, x)])
gammaincc = _row("gammaincc", [no_derivative("gammaincc", "a"),
                               lambda g, ans, a, x: -(g * _gammainc_density(a, x))])
betainc = _row("betainc", [no_derivative("betainc", "a", 3), no_derivative("betainc", "b", 3),
                           lambda g, ans, a, b, x: g * np.exp(xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))])
# Student's t distribution function; used by turunan.scipy.stats.t.cdf. Its derivative is t's density
stdtr = _row("stdtr", [no_derivative("stdtr", "df"),
                       lambda g, ans, df, x: g * np.exp(gammaln((df + 1) * 0.5) - gammaln(df * 0.5)
                                                        - 0.5 * np.log(df * np.pi)
                                                        - (df + 1) * 0.5 * np.log1p(x * x / df))])

# ---- error functions and the normal distribution --------------------------------------------------------
erfc = _row("erfc", [lambda g, ans, x: g * (-_TWO_OVER_SQRT_PI * np.exp(-(x * x)))])
erfinv = _row("erfinv", [lambda g, ans, x: g * (_SQRT_PI_HALF * np.exp(ans * ans))])
erfcinv = _row("erfcinv", [lambda g, ans, x: g * (-_SQRT_PI_HALF * np.exp(ans * ans))])
# d/dx log Phi(x) = phi(x) / Phi(x), as exp(log phi(x) - log Phi(x)): finite far into the left tail
log_ndtr = _row("log_ndtr", [lambda g, ans, x: g * np.exp(-0.5 * (x * x) - _HALF_LOG_2PI - ans)])
ndtri = _row("ndtri", [lambda g, ans, x: g * (_SQRT_2PI * np.exp(0.5 * (ans * ans)))])

# ---- exponential integrals and Hurwitz's zeta -------------------------------------------------------------
expi = _row("expi", [lambda g, ans, x: g * np.exp(x) / x])
exp1 = _row("exp1", [lambda g, ans, x: -(g * np.exp(-x) / x)])
zeta = _row("zeta", [no_derivative("zeta", "x"), lambda g, ans, x, q: -(g * x * zeta(x + 1, q))])

# ---- x log y and entropies: rows, because where(x == 0, 0, x * log(y)) gives d/dx = 0 at x = 0, not log(y) ----
xlogy = _row("xlogy", [lambda g, ans, x, y: g * np.log(y), lambda g, ans, x, y: g * x / y])
xlog1py = _row("xlog1py", [lambda g, ans, x, y: g * np.log1p(y), lambda g, ans, x, y: g * x / (y + 1)])
entr = _row("entr", [lambda g, ans, x: -(g * (np.log(x) + 1))])
rel_entr = _row("rel_entr", [lambda g, ans, x, y: g * (np.log(x / y) + 1), lambda g, ans, x, y: -(g * x / y)])

# ---- Bessel functions (derivatives from the recurrences, no division by x) -------------------------------
i0 = _row("i0", [lambda g, ans, x: g * i1(x)])
i1 = _row("i1", [lambda g, ans, x: g * 0.5 * (i0(x) + iv(2, x))])
iv = _row("iv", [no_derivative("iv", "v"), lambda g, ans, v, x: g * 0.5 * (iv(v - 1, x) + iv(v + 1, x))])
# ive(v, x) = iv(v, x) exp(-|x|)
ive = _row("ive", [no_derivative("ive", "v"),
                   lambda g, ans, v, x: g * (0.5 * (ive(v - 1, x) + ive(v + 1, x)) - np.sign(x) * ans)])
# exponentially scaled: i0e(x) = i0(x) exp(-|x|), i1e(x) = i1(x) exp(-|x|)
i0e = _row("i0e", [lambda g, ans, x: g * (i1e(x) - np.sign(x) * ans)])
i1e = _row("i1e", [lambda g, ans, x: g * (0.5 * (i0e(x) + ive(2, x)) - np.sign(x) * ans)])
j0 = _row("j0", [lambda g, ans, x: -(g * j1(x))])
j1 = _row("j1", [lambda g, ans, x: g * 0.5 * (j0(x) - jn(2, x))])
jn = _row("jn", [no_derivative("jn", "n"), lambda g, ans, n, x: g * 0.5 * (jn(n - 1, x) - jn(n + 1, x))])
y0 = _row("y0", [lambda g, ans, x: -(g * y1(x))])
y1 = _row("y1", [lambda g, ans, x: g * 0.5 * (y0(x) - yn(2, x))])
yn = _row("yn", [no_derivative("yn", "n"), lambda g, ans, n, x: g * 0.5 * (yn(n - 1, x) - yn(n + 1, x))])

ROWS = (gamma, gammaln, digamma, polygamma, betaln, beta, gammainc, gammaincc, betainc, stdtr, erfc, erfinv,
        erfcinv, log_ndtr, ndtri, expi, exp1, zeta, xlogy, xlog1py, entr, rel_entr, i0, i1, i0e, i1e, iv, ive, j0,
        j1, jn, y0, y1, yn)
