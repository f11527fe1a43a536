"""turunan.scipy.linalg: check_grads on every function (reverse and forward, second order, batch axes where SciPy
takes them), values against SciPy, differential tests against HIPS autograd and JAX (values, gradients, Hessian-vector
products), vmap, and the error paths. SciPy is optional: every test here skips without it."""

import functools
import sys

import numpy as np
import pytest

import turunan as tn
from turunan.func import grad, hvp
from turunan.testing import check_grads

rng = np.random.default_rng(21)


@pytest.fixture(autouse=True)
def scipy_linalg():
    return pytest.importorskip("scipy.linalg")


@pytest.fixture
def tsl():
    from turunan.scipy import linalg
    return linalg


def N(*s):
    return rng.standard_normal(s)


def W(*s):
    return N(*s) + 3 * np.eye(s[-1])


def SPD(*s):
    x = N(*s)
    return x @ np.swapaxes(x, -1, -2) + s[-1] * np.eye(s[-1])


# name -> (function of (a scipy.linalg namespace, arguments), arguments, whether SciPy itself takes the batch)
FUNCTIONS = {
    "solve_triangular_upper": (lambda L, a, b: L.solve_triangular(a, b), [W(3, 3), N(3, 2)]),
    "solve_triangular_lower_T": (lambda L, a, b: L.solve_triangular(a, b, trans="T", lower=True), [W(3, 3), N(3)]),
    "solve_triangular_unit": (lambda L, a, b: L.solve_triangular(a, b, unit_diagonal=True, lower=True),
                              [N(3, 3), N(3, 2)]),
    # cholesky takes its input as symmetric (as HIPS autograd, JAX, PyTorch): checked along symmetric directions
    "cholesky": (lambda L, a: L.cholesky((a + a.T) / 2), [SPD(3, 3)]),
    "cholesky_lower": (lambda L, a: L.cholesky((a + a.T) / 2, lower=True), [SPD(3, 3)]),
    "cho_solve_lower": (lambda L, a, b: L.cho_solve(L.cho_factor((a + a.T) / 2, lower=True), b), [SPD(3, 3), N(3, 2)]),
    "cho_solve_upper": (lambda L, a, b: L.cho_solve((L.cholesky((a + a.T) / 2), False), b), [SPD(3, 3), N(3)]),
    "inv": (lambda L, a: L.inv(a), [W(3, 3)]),
    "det": (lambda L, a: L.det(a), [W(3, 3)]),
    "solve": (lambda L, a, b: L.solve(a, b), [W(3, 3), N(3, 2)]),
    "solve_sym_lower": (lambda L, a, b: L.solve(a, b, assume_a="sym", lower=True), [N(3, 3) + 4 * np.eye(3), N(3)]),
    "solve_pos_upper": (lambda L, a, b: L.solve(a, b, assume_a="pos"), [SPD(3, 3) + np.triu(N(3, 3), 1), N(3)]),
    "solve_transposed": (lambda L, a, b: L.solve(a, b, transposed=True), [W(3, 3), N(3)]),
    "eigh_values": (lambda L, a: L.eigh(a, eigvals_only=True), [SPD(3, 3)]),
    "eigh_vectors_upper": (lambda L, a: (L.eigh(a, lower=False)[1] ** 2).sum(0), [SPD(3, 3)]),
    "expm": (lambda L, a: L.expm(a), [N(3, 3) * 0.7]),
    "sqrtm": (lambda L, a: L.sqrtm(a), [SPD(3, 3)]),
    "solve_sylvester": (lambda L, a, b, q: L.solve_sylvester(a, b, q), [SPD(3, 3), SPD(2, 2), N(3, 2)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_check_grads_second_order(name, tsl):
    f, args = FUNCTIONS[name]
    check_grads(functools.partial(f, tsl), args)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_are_scipys(name, tsl, scipy_linalg):
    f, args = FUNCTIONS[name]
    got = f(tsl, *[tn.tensor(a) for a in args])
    np.testing.assert_allclose(got.numpy(), np.real(f(scipy_linalg, *args)), rtol=1e-8, atol=1e-10)


def test_stacks_of_matrices(tsl, scipy_linalg):
    a, s, b = N(2, 3, 3) * 0.5, SPD(2, 3, 3), N(2, 3, 2)
    check_grads(tsl.expm, [a])
    check_grads(tsl.sqrtm, [s], order=1)
    check_grads(lambda x, y: tsl.solve_triangular(x, y, lower=True), [s, b])
    check_grads(lambda x, y, q: tsl.solve_sylvester(x, y, q), [s, SPD(2, 2, 2), b], order=1)
    np.testing.assert_allclose(tsl.sqrtm(s).numpy(), np.stack([np.real(scipy_linalg.sqrtm(m)) for m in s]))


def test_vmap_equals_a_loop(tsl):
    batch = SPD(4, 3, 3)
    for fn in (tsl.expm, tsl.sqrtm, lambda a: tsl.cho_solve(tsl.cho_factor(a), np.ones(3)),
               lambda a: tsl.solve_triangular(a, np.arange(3.0))):
        got = tn.vmap(fn)(batch).numpy()
        want = np.stack([fn(tn.tensor(m)).numpy() for m in batch])
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    per = tn.vmap(grad(lambda a: tsl.expm(a * 0.1).sum()))(batch).numpy()
    one_by_one = np.stack([grad(lambda a: tsl.expm(a * 0.1).sum())(tn.tensor(m)).numpy() for m in batch])
    np.testing.assert_allclose(per, one_by_one, rtol=1e-10)


def test_errors_say_what_to_do(tsl):
    with pytest.raises(NotImplementedError, match="generalized problem"):
        tsl.eigh(np.eye(2), np.eye(2))
    with pytest.raises(np.linalg.LinAlgError, match="must be square"):
        tsl.expm(N(2, 3))
    with pytest.raises(np.linalg.LinAlgError, match="must be square"):
        tsl.solve_triangular(N(2, 3), N(2))
    with pytest.raises(ValueError, match="trans must be"):
        tsl.solve_triangular(W(2, 2), N(2), trans=5)
    with pytest.raises(NotImplementedError, match="assume_a='banded'"):
        tsl.solve(W(2, 2), N(2), assume_a="banded")
    with pytest.raises(np.linalg.LinAlgError):
        tsl.solve_triangular(np.zeros((2, 2)), N(2))


def test_without_scipy_the_error_says_how_to_install(monkeypatch):
    from turunan import _rules_linalg
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)
    with pytest.raises(ImportError, match=r"pip install 'turunan\[scipy\]'"):
        _rules_linalg.scipy_linalg()


# ---- against HIPS autograd and JAX ------------------------------------------------------------------------------
def _cases(lin, xp):
    """Scalar functions of one 3x3 matrix, written once for a (scipy.linalg namespace, NumPy namespace) pair."""
    b = np.arange(1.0, 4.0)
    return {
        "solve_triangular": lambda x: xp.sum(lin.solve_triangular(x, b, lower=True) ** 2),
        "sqrtm": lambda x: xp.sum(xp.sin(lin.sqrtm(x @ x.T + 3 * xp.eye(3)))),
        "solve_sylvester": lambda x: xp.sum(lin.solve_sylvester(x, x.T, x) ** 2),
        "expm": lambda x: xp.sum(xp.tanh(lin.expm(x * 0.5))),
        "cho_solve": lambda x: xp.sum(lin.cho_solve(lin.cho_factor(x @ x.T + 3 * xp.eye(3), lower=True), b) ** 2),
    }


def _compare(other_grad, cases, names, to_array):
    import turunan.numpy as tnp
    from turunan.scipy import linalg
    mine = _cases(linalg, tnp)
    x, v = W(3, 3), N(3, 3)
    for name in names:
        f = cases[name]
        np.testing.assert_allclose(float(mine[name](tn.tensor(x)).numpy()), float(to_array(f(x))), rtol=1e-10,
                                   err_msg=name)
        np.testing.assert_allclose(grad(mine[name])(tn.tensor(x)).numpy(), to_array(other_grad(f)(x)), rtol=1e-8,
                                   atol=1e-10, err_msg=name)
        want_hvp = to_array(other_grad(lambda y, f=f: (other_grad(f)(y) * v).sum())(x))
        got_hvp = hvp(mine[name], (tn.tensor(x),), (tn.tensor(v),)).numpy()
        np.testing.assert_allclose(got_hvp, want_hvp, rtol=1e-7, atol=1e-9, err_msg=name)


def test_against_hips_autograd():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    import autograd.scipy.linalg as asl
    # HIPS autograd differentiates these three (its sqrtm and solve_sylvester: first order and beyond)
    _compare(autograd.grad, _cases(asl, anp), ("solve_triangular", "sqrtm", "solve_sylvester"), np.asarray)


def test_against_jax():
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        # JAX's sqrtm and solve_sylvester have no derivative rules
        _compare(jax.grad, _cases(jax.scipy.linalg, jax.numpy), ("solve_triangular", "expm", "cho_solve"),
                 np.asarray)
    finally:
        jax.config.update("jax_enable_x64", prev)
