"""turunan.scipy.stats: values equal SciPy's, derivatives (check_grads, second order, in x, loc, scale and shape
parameters where they exist), gradients against HIPS autograd and JAX, the support's edges (zero gradients, never
NaN) and the errors. SciPy, autograd and JAX are optional: their tests skip."""

import importlib

import numpy as np
import pytest

pytest.importorskip("scipy", reason="turunan.scipy's kernels are SciPy's (the scipy extra)")

import turunan as tn
from turunan.func import grad
from turunan.testing import check_grads

rng = np.random.default_rng(3)


def U(lo, hi, shape=(2, 3)):
    return rng.uniform(lo, hi, shape)


@pytest.fixture(scope="module")
def stats():
    return pytest.importorskip("turunan.scipy.stats")


@pytest.fixture(scope="module")
def sstats():
    return pytest.importorskip("scipy.stats")


@pytest.fixture(scope="module")
def jstats():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return pytest.importorskip("jax.scipy.stats")


@pytest.fixture(scope="module")
def astats():
    return pytest.importorskip("autograd.scipy.stats")


def _x():
    return U(-3, 3)


# "distribution.function" -> (argument makers, positions differentiated)
CASES = {
    **{f"norm.{f}": ([_x, lambda: U(-1, 1, (3,)), lambda: U(0.5, 2, (2, 1))], (0, 1, 2))
       for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")},
    "norm.ppf": ([lambda: U(0.05, 0.95), lambda: U(-1, 1, (3,)), lambda: U(0.5, 2, (3,))], (0, 1, 2)),
    **{f"t.{f}": ([_x, lambda: U(1, 6, (3,)), lambda: U(-1, 1), lambda: U(0.5, 2)], (0, 1, 2, 3))
       for f in ("logpdf", "pdf")},
    **{f"t.{f}": ([_x, lambda: U(1, 6, (3,)), lambda: U(-1, 1), lambda: U(0.5, 2)], (0, 2, 3))
       for f in ("cdf", "logcdf")},
    **{f"gamma.{f}": ([lambda: U(0.1, 5), lambda: U(0.5, 4, (3,)), lambda: U(-0.05, 0.05), lambda: U(0.5, 2)],
                      (0, 1, 2, 3)) for f in ("logpdf", "pdf")},
    **{f"gamma.{f}": ([lambda: U(0.1, 5), lambda: U(0.5, 4, (3,)), lambda: U(-0.05, 0.05), lambda: U(0.5, 2)],
                      (0, 2, 3)) for f in ("cdf", "logcdf")},
    **{f"chi2.{f}": ([lambda: U(0.1, 5), lambda: U(1, 6, (3,)), lambda: U(-0.05, 0.05), lambda: U(0.5, 2)],
                     (0, 1, 2, 3)) for f in ("logpdf", "pdf")},
    **{f"chi2.{f}": ([lambda: U(0.1, 5), lambda: U(1, 6, (3,)), lambda: U(-0.05, 0.05), lambda: U(0.5, 2)],
                     (0, 2, 3)) for f in ("cdf", "logcdf")},
    **{f"beta.{f}": ([lambda: U(0.1, 0.9), lambda: U(0.5, 4, (3,)), lambda: U(0.5, 4, (2, 1)),
                      lambda: U(-0.05, 0.05), lambda: U(1, 1.1)], (0, 1, 2, 3, 4)) for f in ("logpdf", "pdf")},
    **{f"beta.{f}": ([lambda: U(0.1, 0.9), lambda: U(0.5, 4, (3,)), lambda: U(0.5, 4, (2, 1)),
                      lambda: U(-0.05, 0.05), lambda: U(1, 1.1)], (0, 3, 4)) for f in ("cdf", "logcdf")},
    **{f"expon.{f}": ([lambda: U(0.1, 4), lambda: U(-0.05, 0.05, (3,)), lambda: U(0.5, 2)], (0, 1, 2))
       for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")},
    **{f"poisson.{f}": ([lambda: rng.integers(0, 8, (2, 3)).astype(float), lambda: U(0.5, 6, (3,))], (1,))
       for f in ("logpmf", "pmf", "cdf", "logcdf")},
    **{f"{d}.{f}": ([_x, lambda: U(-1, 1, (3,)), lambda: U(0.5, 2, (2, 1))], (0, 1, 2))
       for d in ("laplace", "logistic", "cauchy") for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")},
    **{f"uniform.{f}": ([lambda: U(0.1, 0.9), lambda: U(-0.05, 0.05, (3,)), lambda: U(1, 1.1)], (0, 1, 2))
       for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")},
    **{f"bernoulli.{f}": ([lambda: rng.integers(0, 2, (2, 3)).astype(float), lambda: U(0.2, 0.8, (3,))], (1,))
       for f in ("logpmf", "pmf", "cdf")},
    **{f"geom.{f}": ([lambda: rng.integers(1, 7, (2, 3)).astype(float), lambda: U(0.2, 0.8, (3,))], (1,))
       for f in ("logpmf", "pmf", "cdf")},
}


def _fn(module, key):
    dist, fn = key.split(".")
    return getattr(getattr(module, dist), fn)


def _partial(fn, args, diff):
    def f(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        return fn(*full)
    return f


@pytest.mark.parametrize("key", sorted(CASES))
def test_values_equal_scipys(key, stats, sstats):
    makers, _ = CASES[key]
    args = [m() for m in makers]
    got = _fn(stats, key)(*args)
    np.testing.assert_allclose(got.numpy(), _fn(sstats, key)(*args), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("key", sorted(CASES))
def test_derivatives_to_second_order(key, stats):
    makers, diff = CASES[key]
    args = [m() for m in makers]
    check_grads(_partial(_fn(stats, key), args, diff), [args[i] for i in diff], rtol=1e-5, atol=1e-6)


def _gradients(module_fn, key, args, diff, grad_fn):
    out = []
    for i in diff:
        f = _partial(module_fn, args, (i,))
        out.append(np.asarray(grad_fn(lambda x: f(x).sum())(args[i])))
    return out


# HIPS autograd's stats take (x, shape) only (no loc/scale) for gamma, beta, chi2, poisson; norm and t all four
_AUTOGRAD = {"norm.logpdf": 3, "norm.pdf": 3, "norm.cdf": 3, "norm.logcdf": 3, "t.logpdf": 4, "t.pdf": 4,
             "t.cdf": 4, "t.logcdf": 4, "gamma.logpdf": 2, "gamma.pdf": 2, "gamma.cdf": 2, "beta.logpdf": 3,
             "beta.pdf": 3, "beta.cdf": 3, "chi2.logpdf": 2, "chi2.pdf": 2, "chi2.cdf": 2, "poisson.logpmf": 2,
             "poisson.pmf": 2, "poisson.cdf": 2}


@pytest.mark.parametrize("key", sorted(_AUTOGRAD))
def test_gradients_equal_hips_autograds(key, stats, astats):
    import autograd
    makers, diff = CASES[key]
    n = _AUTOGRAD[key]
    args = [np.array(a) for a in np.broadcast_arrays(*[m() for m in makers[:n]])]
    if key.startswith("chi2"):
        args[1] = np.round(args[1])     # autograd's chi2 gradient is 0 for a df that is not an integer
    diff = tuple(i for i in diff if i < n)
    if key.startswith("chi2"):
        diff = (0,)                     # autograd: x only
    if key in ("t.cdf", "t.logcdf"):
        diff = (0, 2)                   # autograd: x and loc only (turunan has scale too: checked numerically)
    got = _gradients(_fn(stats, key), key, args, diff, lambda f: lambda x: grad(f)(x).numpy())
    want = _gradients(_fn(astats, key), key, args, diff, autograd.grad)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("key", sorted(CASES))
def test_values_and_gradients_equal_jaxs(key, stats, jstats):
    import jax
    peer = getattr(jstats, key.split(".")[0], None)
    if peer is None or not hasattr(peer, key.split(".")[1]):
        pytest.skip(f"jax.scipy.stats has no {key}")
    makers, diff = CASES[key]
    args = [np.array(a) for a in np.broadcast_arrays(*[m() for m in makers])]
    np.testing.assert_allclose(_fn(stats, key)(*args).numpy(), np.asarray(_fn(jstats, key)(*args)), rtol=1e-10,
                               atol=1e-14)
    # JAX's distribution functions differentiate their shape parameters too; compare where both have a derivative
    got = _gradients(_fn(stats, key), key, args, diff, lambda f: lambda x: grad(f)(x).numpy())
    want = _gradients(_fn(jstats, key), key, args, diff, jax.grad)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-8, atol=1e-12)


# ---- Dirichlet ----------------------------------------------------------------------------------------------------
def test_dirichlet_values_gradients_and_layout(stats, sstats, astats):
    import autograd
    alpha = U(0.8, 3, (3,))
    x = rng.dirichlet(alpha, 4).T             # SciPy's layout: components along the first axis
    np.testing.assert_allclose(stats.dirichlet.logpdf(x, alpha).numpy(), sstats.dirichlet.logpdf(x, alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(stats.dirichlet.pdf(x[:, 0], alpha).numpy(), sstats.dirichlet.pdf(x[:, 0], alpha),
                               rtol=1e-12)
    np.testing.assert_allclose(stats.dirichlet.logpdf(x[:2], alpha).numpy(), sstats.dirichlet.logpdf(x, alpha),
                               rtol=1e-12)       # k - 1 components: the last is 1 minus their sum
    check_grads(lambda a: stats.dirichlet.logpdf(x, a), [alpha])
    check_grads(lambda y: stats.dirichlet.logpdf(y, alpha), [x[:2]])
    got = grad(lambda a: stats.dirichlet.logpdf(x[:, 0], a))(alpha).numpy()
    want = autograd.grad(lambda a: astats.dirichlet.logpdf(x[:, 0], a))(alpha)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_dirichlet_errors(stats):
    alpha = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="3 or 2 components along its first axis"):
        stats.dirichlet.logpdf(np.full((4, 2), 0.25), alpha)
    with pytest.raises(ValueError, match="simplex"):
        stats.dirichlet.logpdf(np.array([0.5, 0.5, 0.5]), alpha)
    with pytest.raises(ValueError, match="vector of at least 2"):
        stats.dirichlet.logpdf(np.array([1.0]), np.array([1.0]))


# ---- edges of the support, invalid parameters, errors ------------------------------------------------------------
def test_outside_the_support_densities_are_zero_with_zero_gradients(stats, sstats):
    x = np.array([-1.0, -0.5, 1.5, 2.0])
    for key, args in [("gamma.logpdf", (2.5,)), ("beta.logpdf", (2.0, 3.0)), ("expon.logpdf", ()),
                      ("chi2.logpdf", (3.0,)), ("gamma.cdf", (2.5,)), ("beta.cdf", (2.0, 3.0)), ("expon.cdf", ())]:
        np.testing.assert_allclose(_fn(stats, key)(x, *args).numpy(), _fn(sstats, key)(x, *args), rtol=1e-12)
        g = grad(lambda y: _fn(stats, key)(y, *args).sum())(x).numpy()
        assert np.all(np.isfinite(g)), key
    g = grad(lambda y: stats.gamma.logpdf(y, 2.5).exp().sum())(np.array([-1.0, 0.5])).numpy()
    assert g[0] == 0 and g[1] != 0


def test_invalid_parameters_give_nan_as_scipy(stats, sstats):
    with np.errstate(invalid="ignore", divide="ignore"):
        for key, args in [("norm.logpdf", (0.0, -1.0)), ("t.logpdf", (-2.0,)), ("gamma.logpdf", (-1.0,)),
                          ("beta.pdf", (2.0, 0.0)), ("expon.cdf", (0.0, 0.0))]:
            got = _fn(stats, key)(np.array([0.3]), *args).numpy()
            assert np.isnan(got).all() and np.isnan(_fn(sstats, key)(np.array([0.3]), *args)).all(), key


def test_shape_parameters_of_distribution_functions_refuse_a_gradient(stats):
    with pytest.raises(NotImplementedError, match="'a'"):
        grad(lambda a: stats.gamma.cdf(1.5, a))(2.0)
    with pytest.raises(NotImplementedError, match="'df'"):
        grad(lambda df: stats.t.cdf(0.5, df))(3.0)
    with pytest.raises(NotImplementedError, match="'b'"):
        grad(lambda b: stats.beta.cdf(0.5, 2.0, b))(3.0)
    k = tn.tensor([1.0, 2.0], dtype=tn.float64, requires_grad=True)
    with pytest.raises(ValueError, match="k is a count"):
        stats.poisson.logpmf(k, 2.0)
    with pytest.raises(ValueError, match="geom: k is a count"):
        stats.geom.cdf(k, 0.3)


def test_names_and_float64(stats):
    assert stats.norm.logpdf.__name__ == "norm.logpdf"
    assert stats.norm.logpdf(0.5).dtype == np.float64
    assert set(stats.__all__) <= set(dir(stats))
    assert importlib.import_module("turunan.scipy").stats is stats


# ---- multivariate normal ---------------------------------------------------------------------------------------
def _spd(k):
    a = rng.standard_normal((k, k))
    return a @ a.T + k * np.eye(k)


@pytest.mark.parametrize("shape", [(3,), (5, 3), (1, 3), (2, 4, 3)])
def test_multivariate_normal_values_and_derivatives(shape, stats, sstats):
    x, mean, cov = rng.standard_normal(shape), rng.standard_normal(3), _spd(3)
    for fn in ("logpdf", "pdf"):
        got = getattr(stats.multivariate_normal, fn)(x, mean, cov)
        want = getattr(sstats.multivariate_normal, fn)(x, mean, cov)
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    check_grads(lambda x, m, c: stats.multivariate_normal.logpdf(x, m, c), [x, mean, cov], order=1)
    # second order through a symmetric positive definite parametrisation of cov
    check_grads(lambda x, m, a: stats.multivariate_normal.logpdf(x, m, a @ a.T + 3 * np.eye(3)),
                [x, mean, rng.standard_normal((3, 3))])


def test_multivariate_normal_scipys_parameter_forms(stats, sstats):
    x = rng.standard_normal((4, 3))
    for mean, cov in [(np.zeros(3), 2.0), (np.ones(3), np.array([1.0, 2.0, 3.0])), (None, _spd(3))]:
        np.testing.assert_allclose(stats.multivariate_normal.logpdf(x, mean, cov).numpy(),
                                   sstats.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
    y = rng.standard_normal(4)          # one dimension: every entry is a point
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(y, 0.3, 2.0).numpy(),
                               sstats.multivariate_normal.logpdf(y, 0.3, 2.0), rtol=1e-12)


def test_multivariate_normal_gradients_equal_autograds_and_jaxs(stats, astats, jstats):
    import autograd
    import jax
    x, mean, cov = rng.standard_normal((5, 3)), rng.standard_normal(3), _spd(3)
    got = grad(lambda x, m, c: stats.multivariate_normal.logpdf(x, m, c).sum(), argnums=(0, 1, 2))(x, mean, cov)
    want = autograd.grad(lambda args: astats.multivariate_normal.logpdf(*args).sum())((x, mean, cov))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-10, atol=1e-12)
    jwant = jax.grad(lambda x, m, c: jstats.multivariate_normal.logpdf(x, m, c).sum(), argnums=(0, 1, 2))(x, mean, cov)
    np.testing.assert_allclose(got[0].numpy(), np.asarray(jwant[0]), rtol=1e-10)
    np.testing.assert_allclose(got[1].numpy(), np.asarray(jwant[1]), rtol=1e-10)
    sym = lambda g: (g + g.T) / 2     # noqa: E731  (JAX's cholesky reads one triangle: compare the symmetric parts)
    np.testing.assert_allclose(sym(got[2].numpy()), sym(np.asarray(jwant[2])), rtol=1e-9, atol=1e-12)


def test_multivariate_normal_errors(stats):
    with pytest.raises(ValueError, match="positive definite"):
        stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="dimension 2"):
        stats.multivariate_normal.logpdf(np.zeros(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="2 x 2 matrix"):
        stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.eye(3))
    with pytest.raises(NotImplementedError, match="allow_singular"):
        stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.eye(2), allow_singular=True)


# ---- vmap: each example's density, checks that cannot read values become NaN per example -------------------------
def test_vmap_of_densities_equals_a_loop(stats, sstats):
    xs = U(0.1, 3, (4, 3))
    for f, want in [(lambda x: stats.norm.logpdf(x, 0.3, 2.0), sstats.norm.logpdf(xs, 0.3, 2.0)),
                    (lambda x: stats.t.cdf(x, 3.0), sstats.t.cdf(xs, 3.0)),
                    (lambda x: stats.gamma.logpdf(x, 2.0), sstats.gamma.logpdf(xs, 2.0)),
                    (lambda x: stats.beta.logpdf(x / 4, 2.0, 3.0), sstats.beta.logpdf(xs / 4, 2.0, 3.0)),
                    (lambda m: stats.poisson.logpmf(np.array([1.0, 2.0, 3.0]), m),
                     sstats.poisson.logpmf([1, 2, 3], xs))]:
        np.testing.assert_allclose(tn.vmap(f)(xs).numpy(), want, rtol=1e-12)
    alpha = np.array([1.5, 2.0, 3.0])
    d = rng.dirichlet(alpha, 4)
    got = tn.vmap(lambda x: stats.dirichlet.logpdf(x, alpha))(np.concatenate([d, d[:1] * 1.1])).numpy()
    np.testing.assert_allclose(got[:4], sstats.dirichlet.logpdf(d.T, alpha), rtol=1e-12)
    assert np.isnan(got[4])             # off the simplex
    covs = np.stack([np.eye(2), 2 * np.eye(2), -np.eye(2)])
    got = tn.vmap(lambda c: stats.multivariate_normal.logpdf(np.ones(2), np.zeros(2), c))(covs).numpy()
    np.testing.assert_allclose(got[:2], [sstats.multivariate_normal.logpdf(np.ones(2), np.zeros(2), c)
                                         for c in covs[:2]], rtol=1e-12)
    assert np.isnan(got[2])             # not positive definite
