"""turunan.scipy.integrate.odeint: the solution against SciPy's solver and closed forms, its adjoint gradients (y0,
every time in t, args) against finite differences, JAX's odeint and HIPS autograd's, and the errors (higher order,
forward mode, bad times, a func of the wrong shape, too many steps). The optional peers skip when absent."""

import importlib

import numpy as np
import pytest

import turunan as tn
from turunan.func import grad, hessian, jvp

rng = np.random.default_rng(5)


@pytest.fixture(scope="module")
def odeint():
    return importlib.import_module("turunan.scipy.integrate").odeint


def coupled(y, t, a, b):
    """A non-autonomous, nonlinear system whose right side reads every argument."""
    return -a * y + b * tn.sin(t) * y[::-1] - 0.1 * y * y


def numpy_coupled(y, t, a, b):
    return -a * y + b * np.sin(t) * y[::-1] - 0.1 * y * y


Y0 = np.array([1.0, 0.5])
TS = np.array([0.0, 0.4, 1.1, 2.0])
A = np.array([0.7, 0.3])
B = np.array(0.4)
W = rng.standard_normal((4, 2))


def _loss(odeint, y0, ts, a, b):
    return (odeint(coupled, y0, ts, a, b) * W).sum()


def _finite_differences(f, args, eps=1e-6):
    out = []
    for i, x in enumerate(args):
        g = np.zeros(np.shape(x))
        for idx in np.ndindex(g.shape):
            shifted = [np.array(v, dtype=float) for v in args]
            shifted[i][idx] += eps
            up = float(f(*shifted))
            shifted[i][idx] -= 2 * eps
            g[idx] = (up - float(f(*shifted))) / (2 * eps)
        out.append(g)
    return out


def test_solution_equals_closed_form_and_scipys(odeint):
    si = pytest.importorskip("scipy.integrate")
    ts = np.linspace(0, 3, 7)
    y = odeint(lambda y, t, k: -k * y, np.array([1.0, 2.0]), ts, 0.5).numpy()
    np.testing.assert_allclose(y, np.exp(-0.5 * ts)[:, None] * [1.0, 2.0], rtol=1e-7)
    got = odeint(coupled, Y0, TS, A, B).numpy()
    want = si.odeint(numpy_coupled, Y0, TS, args=(A, B), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    assert got.shape == (4, 2) and got.dtype == np.float64


def test_matrix_state_and_a_single_time(odeint):
    y0 = rng.standard_normal((2, 2))
    m = np.array([[0.0, 1.0], [-1.0, 0.0]])
    ys = odeint(lambda y, t: y @ m, y0, np.array([0.0, np.pi / 2])).numpy()
    np.testing.assert_allclose(ys[1], y0 @ np.array([[0.0, 1.0], [-1.0, 0.0]]), atol=1e-7)   # a quarter turn
    np.testing.assert_array_equal(odeint(lambda y, t: -y, y0, np.array([0.3])).numpy(), y0[None])


def test_adjoint_gradients_equal_finite_differences(odeint):
    got = grad(lambda *a: _loss(odeint, *a), argnums=(0, 1, 2, 3))(Y0, TS, A, B)
    want = _finite_differences(lambda *a: _loss(odeint, *a), [Y0, TS, A, B])
    for g, w in zip(got, want):
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=1e-7)


def test_gradients_equal_jaxs(odeint):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jode = pytest.importorskip("jax.experimental.ode")
    jnp = jax.numpy

    def jax_loss(y0, ts, a, b):
        f = lambda y, t, a, b: -a * y + b * jnp.sin(t) * y[::-1] - 0.1 * y * y
        return (jode.odeint(f, y0, ts, a, b, rtol=1e-10, atol=1e-10) * W).sum()
    want = jax.grad(jax_loss, argnums=(0, 1, 2, 3))(Y0, TS, A, B)
    got = grad(lambda *a: (odeint(coupled, *a[:2], *a[2:], rtol=1e-10, atol=1e-10) * W).sum(),
               argnums=(0, 1, 2, 3))(Y0, TS, A, B)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-7, atol=1e-9)


def test_gradients_equal_hips_autograds(odeint):
    autograd = pytest.importorskip("autograd")
    aint = pytest.importorskip("autograd.scipy.integrate")
    anp = pytest.importorskip("autograd.numpy")

    def f(y, t, a, b):
        return -a * y + b * anp.sin(t) * y[::-1] - 0.1 * y * y
    # only y0: the installed autograd's gradient in args hands scipy.integrate.odeint a ragged array (its own bug;
    # args are compared with JAX and finite differences above)
    want = autograd.grad(lambda y0: anp.sum(aint.odeint(f, y0, TS, tuple((A, B)), rtol=1e-10, atol=1e-10) * W))(Y0)
    got = grad(lambda y0: (odeint(coupled, y0, TS, A, B, rtol=1e-10, atol=1e-10) * W).sum())(Y0)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-8)


def test_backward_into_leaves_and_a_tensor_parameter(odeint):
    a = tn.tensor(A, requires_grad=True)
    y0 = tn.tensor(Y0, requires_grad=True)
    _loss(odeint, y0, TS, a, B).backward()
    want = _finite_differences(lambda y0, a: _loss(odeint, y0, TS, a, B), [Y0, A])
    np.testing.assert_allclose(y0.grad.numpy(), want[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a.grad.numpy(), want[1], rtol=1e-5, atol=1e-7)


def test_errors(odeint):
    f = lambda y, t: -y      # noqa: E731
    with pytest.raises(NotImplementedError, match="first derivatives only"):
        hessian(lambda y0: odeint(lambda y, t: -y * y, y0, np.array([0.0, 1.0])).sum())(np.ones(2))
    with pytest.raises(NotImplementedError, match="forward mode"):
        jvp(lambda y0: odeint(f, y0, np.array([0.0, 1.0])), (tn.tensor(np.ones(2)),), (tn.tensor(np.ones(2)),))
    with pytest.raises(ValueError, match="strictly increasing"):
        odeint(f, np.ones(2), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="strictly increasing"):
        odeint(f, np.ones(2), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"y's shape \(2,\)"):
        odeint(lambda y, t: y.sum(), np.ones(2), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="func must be a function"):
        odeint(3.0, np.ones(2), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="real floating-point"):
        odeint(f, tn.tensor([1, 2]), np.array([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="mxstep"):
        odeint(lambda y, t: -1000 * y, np.ones(2), np.array([0.0, 10.0]), mxstep=5)


def test_scipys_args_keyword_and_its_errors(odeint):
    a = tn.tensor(A, requires_grad=True)
    out = odeint(coupled, Y0, TS, args=(a, B))
    np.testing.assert_allclose(out.detach().numpy(), odeint(coupled, Y0, TS, A, B).numpy(), rtol=1e-15)
    (out * W).sum().backward()
    want = _finite_differences(lambda a: _loss(odeint, Y0, TS, a, B), [A])[0]
    np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-5, atol=1e-7)
    with pytest.raises(TypeError, match="not both"):
        odeint(coupled, Y0, TS, A, args=(B,))
    with pytest.raises(TypeError, match="one by one"):
        odeint(coupled, Y0, TS, (A, B))
    with pytest.raises(TypeError, match="unexpected keyword"):
        odeint(coupled, Y0, TS, A, B, hmax=1.0)
