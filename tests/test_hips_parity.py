"""Same numbers as HIPS autograd: each test pins one difference found by running HIPS autograd's own test suite
and examples on turunan (through a local import shim), now fixed. Each is checked numerically (check_grads,
runs everywhere) and against the installed HIPS autograd (skipped where it is absent)."""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan.testing import check_grads

RNG = np.random.default_rng(7)


def _spd(*shape):
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _symmetric(a):
    return (a + np.swapaxes(a, -1, -2)) / 2


# ---- cholesky: the gradient of a function of a symmetric matrix is the symmetric one ----------------------


def _cholesky_loss(xp, weights):
    return lambda a: xp.sum(xp.sin(xp.linalg.cholesky(a)) * weights)


def test_cholesky_gradient_is_symmetric_and_matches_hips_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    a, w = _spd(2, 4, 4), RNG.standard_normal((2, 4, 4))
    got = tn.func.grad(_cholesky_loss(tnp, w))(tnp.array(a)).numpy()
    want = autograd.grad(_cholesky_loss(anp, w))(a)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got, np.swapaxes(got, -1, -2), atol=1e-14)


def test_cholesky_gradient_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    a, w = _spd(3, 3), RNG.standard_normal((3, 3))
    got = tn.func.grad(_cholesky_loss(tnp, w))(tnp.array(a)).numpy()
    want = np.asarray(jax.grad(_cholesky_loss(jax.numpy, w))(a))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_checks_to_second_order_along_symmetric_directions(upper):
    check_grads(lambda a: tnp.linalg.cholesky(_symmetric(a), upper=upper), [_spd(2, 3, 3)])


def test_cholesky_tangent_counts_by_its_symmetric_part():
    a, t = _spd(3, 3), RNG.standard_normal((3, 3))
    _, lower_only = tn.func.jvp(tnp.linalg.cholesky, (tnp.array(a),), (tnp.array(t),))
    _, symmetric = tn.func.jvp(tnp.linalg.cholesky, (tnp.array(a),), (tnp.array(_symmetric(t)),))
    np.testing.assert_allclose(lower_only.numpy(), symmetric.numpy(), rtol=1e-12)


# ---- eig, eigvals: general square matrices, complex results, HIPS autograd's gradient ------------------------


def _eig_loss(xp, weights):
    """Depends on the eigenvalues and on |v| only: LAPACK fixes each eigenvector's phase by convention."""
    def loss(a):
        w, v = xp.linalg.eig(a)
        return xp.sum(xp.real(w) * weights[0]) + xp.sum(xp.imag(w) ** 2) + xp.sum(xp.abs(v) ** 2 * weights)
    return loss


@pytest.mark.parametrize("complex_input", [False, True])
def test_eig_gradient_matches_hips_autograd(complex_input):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    a, w = RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4))
    a = a + 1j * RNG.standard_normal((4, 4)) if complex_input else a
    got = tn.func.grad(_eig_loss(tnp, w))(tnp.array(a)).numpy()
    want = autograd.grad(_eig_loss(anp, w))(a)
    assert got.dtype == want.dtype == a.dtype
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("complex_input", [False, True])
def test_eig_checks_to_second_order_on_stacks(complex_input):
    a = RNG.standard_normal((2, 3, 3))
    a = a + 1j * RNG.standard_normal((2, 3, 3)) if complex_input else a
    check_grads(_eig_loss(tnp, RNG.standard_normal((3, 3))), [a])


def test_eig_values_are_numpys_with_its_dtypes():
    for a in (RNG.standard_normal((2, 4, 4)), _spd(3, 3)):     # complex eigenvalues; all real (NumPy: float64)
        w, v = tnp.linalg.eig(tnp.array(a))
        want_w, want_v = np.linalg.eig(a)
        np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-12)
        np.testing.assert_allclose(v.numpy(), want_v, rtol=1e-12)
        assert w.dtype == want_w.dtype and v.dtype == want_v.dtype
        np.testing.assert_allclose(tnp.linalg.eigvals(tnp.array(a)).numpy(), want_w, rtol=1e-12)


def test_eigvals_gradient_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    a = RNG.standard_normal((4, 4))
    f = lambda xp: lambda m: xp.sum(xp.abs(xp.linalg.eigvals(m)) ** 2)   # noqa: E731
    got = tn.func.grad(f(tnp))(tnp.array(a)).numpy()
    np.testing.assert_allclose(got, np.asarray(jax.grad(f(jax.numpy))(a)), rtol=1e-9, atol=1e-12)


def test_numpy_linalg_eig_on_a_tensor_is_recorded():
    a = tn.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    w, _ = np.linalg.eig(a)
    (tnp.real(w) ** 2).sum().backward()
    # d/da sum(Re(w)^2) = Re(V^-T diag(2 Re w) V^T), written with NumPy on the same matrix
    ew, ev = np.linalg.eig(a.detach().numpy())
    want = np.real(np.linalg.solve(ev.T, np.diag(2 * np.real(ew)) @ ev.T))
    np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-10, atol=1e-12)


def test_eig_of_a_non_square_matrix_is_refused():
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        tnp.linalg.eig(tnp.ones((2, 3)))


# ---- linspace: recorded in start and stop, as HIPS autograd's ---------------------------------------------------


@pytest.mark.parametrize("num", [0, 1, 2, 5])
@pytest.mark.parametrize("endpoint", [True, False])
@pytest.mark.parametrize("bounds", [(1.2, 3.4), (1.2, -3.4), (1.2, 1.2), ([0.0, 1.0], [2.0, 5.0])])
def test_linspace_of_tensors_has_numpys_values_and_checks(num, endpoint, bounds):
    a, b = (np.asarray(v) for v in bounds)
    got = tnp.linspace(tnp.array(a), tnp.array(b), num, endpoint=endpoint)
    want = np.linspace(a, b, num, endpoint=endpoint)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)
    if num > 0:
        check_grads(lambda x, y: tnp.linspace(x, y, num, endpoint=endpoint), [a, b])


def test_linspace_gradient_matches_hips_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    f = lambda xp: lambda x, y: xp.sum(xp.sin(xp.linspace(x, y, 7)) * xp.arange(7.0))   # noqa: E731
    got = tn.func.grad(f(tnp), argnums=(0, 1))(1.2, -3.4)
    want = autograd.grad(f(anp), argnum=(0, 1))(1.2, -3.4)
    np.testing.assert_allclose([float(g) for g in got], want, rtol=1e-12)


def test_linspace_retstep_and_plain_numbers():
    points, step = tnp.linspace(tnp.array(0.0), 1.0, 5, retstep=True)
    assert float(step) == 0.25 and np.isnan(float(tnp.linspace(tnp.array(0.0), 1.0, 1, retstep=True)[1]))
    np.testing.assert_array_equal(tnp.linspace(0, 1, 4, dtype=np.float32).numpy(), np.linspace(0, 1, 4, dtype="f4"))


def test_linspace_of_tensors_along_another_axis_is_refused():
    with pytest.raises(NotImplementedError, match="axis 0 only"):
        tnp.linspace(tnp.array([0.0, 1.0]), 2.0, 3, axis=1)


# ---- grad with respect to one argument, differentiated in another that requires grad ---------------------------


def test_grad_in_one_argument_records_its_dependence_on_another_that_requires_grad():
    f = lambda xp: lambda x, y: xp.sin(x) * y ** 2      # noqa: E731  d/dy = 2 y sin x
    x = tnp.array(0.7, requires_grad=True)
    tn.func.grad(f(tnp), 1)(x, 3.0).backward()
    np.testing.assert_allclose(float(x.grad), 6 * np.cos(0.7), rtol=1e-12)
    for op in (tnp.multiply, tnp.divide):
        check_grads(tn.func.grad(lambda a, b: op(a, b), 1), [0.8, 1.3])


def test_grad_in_one_argument_then_another_matches_hips_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    f = lambda xp: lambda x, y: xp.sin(x) * y ** 2      # noqa: E731
    x = tnp.array(0.7, requires_grad=True)
    tn.func.grad(f(tnp), 1)(x, 3.0).backward()
    np.testing.assert_allclose(float(x.grad), autograd.grad(autograd.grad(f(anp), 1))(0.7, 3.0), rtol=1e-12)


# ---- scipy.stats.multivariate_normal.entropy (HIPS autograd's autograd.scipy.stats.multivariate_normal) --------


@pytest.mark.parametrize("mean, cov", [(np.zeros(3), _spd(3, 3)), (None, _spd(2, 2)), (None, 2.0),
                                       (np.ones(3), np.array([1.0, 2.0, 3.0]))])
def test_mvn_entropy_is_scipys(mean, cov):
    stats = pytest.importorskip("scipy.stats")
    from turunan.scipy.stats import multivariate_normal as mvn
    np.testing.assert_allclose(float(mvn.entropy(mean, cov)), stats.multivariate_normal(mean, cov).entropy(),
                               rtol=1e-12)


def test_mvn_entropy_gradient_checks_and_matches_hips_autograd():
    pytest.importorskip("scipy")
    from turunan.scipy.stats import multivariate_normal as mvn
    cov = _spd(3, 3)
    check_grads(lambda c: mvn.entropy(np.zeros(3), c), [cov])
    autograd = pytest.importorskip("autograd")
    hips_mvn = pytest.importorskip("autograd.scipy.stats.multivariate_normal")
    got = tn.func.grad(lambda c: mvn.entropy(np.zeros(3), c))(tnp.array(cov)).numpy()
    np.testing.assert_allclose(got, autograd.grad(lambda c: hips_mvn.entropy(np.zeros(3), c))(cov), rtol=1e-12)


def test_mvn_entropy_of_a_bad_covariance_says_so():
    pytest.importorskip("scipy")
    from turunan.scipy.stats import multivariate_normal as mvn
    with pytest.raises(ValueError, match="positive definite"):
        mvn.entropy(None, -np.eye(2))


# ---- scipy.special.rgamma (HIPS autograd's autograd.scipy.special.rgamma) ------------------------------------


def test_rgamma_values_gradients_and_hips_autograd():
    sp = pytest.importorskip("scipy.special")
    from turunan.scipy import special
    x = np.array([0.3, 1.0, 2.5, -0.5, -1.0, 7.0])          # -1.0: a pole of gamma, where rgamma is 0
    np.testing.assert_allclose(special.rgamma(tnp.array(x)).numpy(), sp.rgamma(x), rtol=1e-14, atol=0)
    check_grads(special.rgamma, [np.array([0.3, 1.7, 2.5, -0.5])])
    autograd = pytest.importorskip("autograd")
    hips_special = pytest.importorskip("autograd.scipy.special")
    xs = np.array([0.3, 1.7, 2.5, -0.5])
    got = tn.func.grad(lambda v: tnp.sum(special.rgamma(v)))(tnp.array(xs)).numpy()
    np.testing.assert_allclose(got, autograd.grad(lambda v: anp_sum(hips_special.rgamma(v)))(xs), rtol=1e-12)


def anp_sum(v):
    import autograd.numpy as anp
    return anp.sum(v)
