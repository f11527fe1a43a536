"""turunan.numpy.linalg (the rows of turunan._rules_linalg): check_grads on every function (reverse and forward, to
second order, with batch axes), numpy.linalg on Tensors, vmap, repeated eigenvalues and singular values, the error
paths, and differential tests against HIPS autograd and JAX (values, gradients, Hessian-vector products)."""

import functools

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan.func import grad, hvp
from turunan.testing import check_grads

la = tnp.linalg
rng = np.random.default_rng(12)


def N(*s):
    return rng.standard_normal(s)


def W(*s):
    """Well conditioned: the identity's multiple dominates."""
    return N(*s) + 3 * np.eye(s[-1])


def SPD(*s):
    x = N(*s)
    return x @ np.swapaxes(x, -1, -2) + s[-1] * np.eye(s[-1])


# argument specs of the rows (tests/test_forward_mode.py and tests/test_vmap.py read them): row -> (arguments,
# parameters, differentiated positions)
ROW_SPECS = {
    "solve": (lambda: [W(3, 3), N(3, 2)], {}, (0, 1)),
    "inv": (lambda: [W(3, 3)], {}, (0,)),
    "det": (lambda: [W(3, 3)], {}, (0,)),
    "logabsdet": (lambda: [W(3, 3)], {}, (0,)),
    "slogdet_sign": (lambda: [W(3, 3) - 4 * np.eye(3)], {}, (0,)),
    "cholesky": (lambda: [SPD(3, 3)], {"upper": False}, (0,)),
    "eigh": (lambda: [SPD(3, 3)], {"upper": True}, (0,)),
    "eig": (lambda: [W(3, 3)], {}, (0,)),
    "svd": (lambda: [N(4, 3)], {}, (0,)),
    "svd_complement": (lambda: [N(3, 3)], {}, (0,)),     # square: no extra columns (non-square: no derivative)
    "qr": (lambda: [N(4, 3)], {}, (0,)),
    "pinv": (lambda: [N(4, 3)], {"rcond": 1e-15}, (0,)),
    "expm": (lambda: [N(3, 3) * 0.5], {}, (0,)),
    "sqrtm": (lambda: [SPD(3, 3)], {}, (0,)),
    "solve_sylvester": (lambda: [SPD(3, 3), SPD(2, 2), N(3, 2)], {}, (0, 1, 2)),
}


def _sign_free(v):
    """A function of eigenvectors (singular vectors) that does not depend on their signs."""
    return (v * v) @ np.arange(1.0, v.shape[-1] + 1)


# name -> (function of (a linalg namespace, arguments), arguments): every public function, on stacks of matrices where
# NumPy takes them; run with turunan.numpy.linalg (check_grads) and against numpy.linalg (values)
FUNCTIONS = {
    "solve": (lambda L, a, b: L.solve(a, b), [W(2, 3, 3), N(3, 2)]),
    "solve_vector": (lambda L, a, b: L.solve(a, b), [W(3, 3), N(3)]),
    "solve_broadcast": (lambda L, a, b: L.solve(a, b), [W(3, 3), N(2, 3, 1)]),
    "inv": (lambda L, a: L.inv(a), [W(2, 3, 3)]),
    "det": (lambda L, a: L.det(a), [W(2, 3, 3)]),
    "slogdet": (lambda L, a: L.slogdet(a).logabsdet, [W(2, 3, 3) - 6 * np.eye(3)]),     # negative determinants too
    # cholesky takes its input as symmetric (as HIPS autograd, JAX, PyTorch): checked along symmetric directions
    "cholesky": (lambda L, a: L.cholesky((a + a.mT) / 2), [SPD(2, 3, 3)]),
    "cholesky_upper": (lambda L, a: L.cholesky((a + a.mT) / 2, upper=True), [SPD(3, 3)]),
    "eigh_values": (lambda L, a: L.eigh(a).eigenvalues, [SPD(2, 3, 3)]),
    "eigh_vectors": (lambda L, a: _sign_free(L.eigh(a).eigenvectors), [SPD(2, 3, 3)]),
    "eigh_upper": (lambda L, a: _sign_free(L.eigh(a, UPLO="U")[1]) * L.eigvalsh(a, UPLO="U"), [SPD(3, 3)]),
    "eigvalsh": (lambda L, a: L.eigvalsh(a), [N(2, 3, 3)]),      # not symmetric: the lower triangle is what is read
    "svd_values": (lambda L, a: L.svd(a, compute_uv=False), [N(2, 4, 3)]),
    "svd_u": (lambda L, a: _sign_free(L.svd(a, full_matrices=False).U), [N(2, 4, 3)]),
    "svd_vh_wide": (lambda L, a: _sign_free(L.svd(a, full_matrices=False).Vh.mT), [N(2, 3, 4)]),
    "svd_full_square": (lambda L, a: L.svd(a)[0] * L.svd(a)[1] @ L.svd(a)[2], [N(3, 3)]),
    "qr_q": (lambda L, a: L.qr(a).Q, [N(2, 4, 3)]),
    "qr_r": (lambda L, a: L.qr(a, mode="r"), [N(3, 3)]),
    "pinv": (lambda L, a: L.pinv(a), [N(2, 4, 3)]),
    "matrix_power_3": (lambda L, a: L.matrix_power(a, 3), [N(2, 3, 3)]),
    "matrix_power_-2": (lambda L, a: L.matrix_power(a, -2), [W(3, 3)]),
    "matrix_power_0": (lambda L, a: L.matrix_power(a, 0), [N(3, 3)]),
    "tensorinv": (lambda L, a: L.tensorinv(a, ind=1), [W(4, 4).reshape(4, 2, 2)]),
    "tensorsolve": (lambda L, a, b: L.tensorsolve(a, b), [W(6, 6).reshape(2, 3, 6), N(2, 3)]),
    "norm_nuc": (lambda L, a: L.norm(a, "nuc", axis=(0, 2), keepdims=True), [N(3, 2, 4)]),
    "norm_-2": (lambda L, a: L.norm(a, -2, axis=(-2, -1)), [N(2, 3, 4)]),
    "norm_fro": (lambda L, a: L.norm(a, "fro", axis=(1, 2)), [N(2, 3, 4)]),
    "norm_inf": (lambda L, a: L.norm(a, np.inf), [N(3, 4)]),
    "norm_vector_3": (lambda L, a: L.norm(a, 3, axis=-1), [N(2, 4)]),
    "svdvals": (lambda L, a: L.svdvals(a), [N(2, 3, 4)]),
    "cond": (lambda L, a: L.cond(a), [W(2, 3, 3)]),
    "cond_1": (lambda L, a: L.cond(a, 1), [W(3, 3)]),
    "lstsq_x": (lambda L, a, b: L.lstsq(a, b)[0], [N(5, 3), N(5, 2)]),
    "lstsq_residuals": (lambda L, a, b: L.lstsq(a, b)[1], [N(5, 3), N(5)]),
    "multi_dot": (lambda L, a, b, c: L.multi_dot([a, b, c]), [N(3), N(3, 4), N(4, 2)]),
    "trace": (lambda L, a: L.trace(a, offset=1), [N(2, 3, 4)]),
    "diagonal": (lambda L, a: L.diagonal(a), [N(2, 3, 4)]),
    "vecdot": (lambda L, a, b: L.vecdot(a, b, axis=0), [N(3, 2), N(3, 1)]),
    "cross": (lambda L, a, b: L.cross(a, b), [N(2, 3), N(3)]),
    "outer": (lambda L, a, b: L.outer(a, b), [N(3), N(2)]),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, axes=1), [N(2, 3), N(3, 2)]),
    "matrix_transpose": (lambda L, a: L.matrix_transpose(a), [N(2, 3, 4)]),
    "matmul": (lambda L, a, b: L.matmul(a, b), [N(2, 3, 4), N(4, 2)]),
    "vector_norm_all": (lambda L, a: L.vector_norm(a, keepdims=True), [N(2, 3)]),
    "vector_norm_axes": (lambda L, a: L.vector_norm(a, axis=(0, 2), ord=1), [N(2, 3, 4)]),
    "matrix_norm": (lambda L, a: L.matrix_norm(a, ord=np.inf, keepdims=True), [N(2, 3, 4)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_check_grads_second_order(name):
    f, args = FUNCTIONS[name]
    check_grads(functools.partial(f, la), args)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_are_numpys(name):
    f, args = FUNCTIONS[name]
    got = f(la, *[tn.tensor(a) for a in args])
    want = f(np.linalg, *args)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    assert got.dtype == want.dtype


def test_matrix_norm_2_keeps_its_first_derivative():
    check_grads(lambda a: la.norm(a, 2, axis=(0, 1)), [N(3, 4)], order=1, modes=("rev",))


def test_numpy_linalg_on_a_tensor_is_recorded():
    a = tn.tensor(W(3, 3), requires_grad=True)
    for fn in (np.linalg.inv, np.linalg.det, np.linalg.pinv, lambda x: np.linalg.slogdet(x)[1],
               lambda x: np.linalg.eigvalsh(x @ x.mT), lambda x: np.linalg.svd(x)[1],
               lambda x: np.linalg.qr(x)[1], lambda x: np.linalg.cholesky(x @ x.mT),
               lambda x: np.linalg.solve(x, np.ones(3)), lambda x: np.linalg.matrix_power(x, 2),
               lambda x: np.linalg.norm(x, "nuc"), lambda x: np.linalg.tensorinv(x, 1),
               lambda x: np.linalg.tensorsolve(x, np.ones(3)), np.linalg.cond, np.linalg.svdvals,
               lambda x: np.linalg.multi_dot([x, x, x]), lambda x: np.linalg.lstsq(x, np.ones(3))[0]):
        out = fn(a)
        assert isinstance(out, tn.Tensor) and out.requires_grad
        (g,) = tn.autograd.grad(out.sum(), [a])
        assert np.all(np.isfinite(g.numpy()))
    assert int(np.linalg.matrix_rank(a)) == 3
    assert int(la.matrix_rank(np.ones((3, 3)))) == 1


def test_named_results_and_integer_input():
    a = np.array([[2, 1], [1, 3]])
    w, v = la.eigh(a)
    assert w.dtype == np.float64
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a))
    r = la.svd(tn.tensor(N(4, 3)))
    assert r.U.shape == (4, 4) and r.S.shape == (3,) and r.Vh.shape == (3, 3)
    assert la.slogdet(np.eye(2) * -1.0).sign.numpy() == 1.0


# ---- vmap ----------------------------------------------------------------------------------------------------
def test_vmap_equals_a_loop():
    batch = SPD(4, 3, 3)
    for fn in (la.inv, la.det, la.cholesky, la.eigvalsh, lambda a: la.svd(a, compute_uv=False),
               lambda a: la.qr(a).R, lambda a: la.solve(a, np.arange(3.0))):
        got = tn.vmap(fn)(batch).numpy()
        want = np.stack([fn(tn.tensor(m)).numpy() for m in batch])
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_per_example_gradients_through_vmap():
    batch = SPD(4, 3, 3)
    f = lambda a: la.slogdet(a)[1] + la.eigvalsh(a)[-1] + la.svd(a, compute_uv=False)[0]
    got = tn.vmap(grad(f))(batch).numpy()
    want = np.stack([grad(f)(tn.tensor(m)).numpy() for m in batch])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    h = tn.func.hessian(lambda a: la.det(a))(tn.tensor(W(2, 2))).numpy()
    assert h.shape == (2, 2, 2, 2) and np.all(np.isfinite(h))


def _numerical_jacobian(f, a, eps=1e-6):
    cols = []
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        cols.append((f(tn.tensor(a + d)).numpy() - f(tn.tensor(a - d)).numpy()) / (2 * eps))
    out = np.stack(cols, -1)
    return out.reshape(out.shape[:-1] + a.shape)


@pytest.mark.parametrize("name", ["eigvalsh", "cholesky", "svdvals", "inv", "qr", "pinv", "slogdet", "svd_full"])
def test_jacobians_run_the_rules_batched(name):
    """jacrev (vmap of the pullback: the rules run on batched arrays), jacfwd and hessian."""
    x = N(3, 3)
    f, a = {"eigvalsh": (la.eigvalsh, SPD(3, 3)), "cholesky": (lambda m: la.cholesky((m + m.mT) / 2), SPD(3, 3)),
            "svdvals": (la.svdvals, x),
            "inv": (la.inv, W(3, 3)), "qr": (lambda m: la.qr(m)[1], x), "pinv": (la.pinv, x),
            "slogdet": (lambda m: la.slogdet(m)[1], W(3, 3)), "svd_full": (lambda m: la.svd(m)[1], x[:, :2])}[name]
    want = _numerical_jacobian(f, a)
    for jac in (tn.func.jacrev, tn.func.jacfwd):
        np.testing.assert_allclose(jac(f)(tn.tensor(a)).numpy(), want, atol=1e-6, err_msg=jac.__name__)
    h = tn.func.hessian(lambda m: (f(m) ** 2).sum())(tn.tensor(a)).numpy()
    g = lambda m: tn.func.grad(lambda y: (f(y) ** 2).sum())(m)
    np.testing.assert_allclose(h, _numerical_jacobian(g, a), atol=1e-5)


# ---- repeated eigenvalues and singular values: finite gradients of invariant functions ----------------------
def _with_spectrum(w):
    q, _ = np.linalg.qr(N(len(w), len(w)))
    return q @ np.diag(w) @ q.T


@pytest.mark.parametrize("a", [np.eye(3), _with_spectrum([1.0, 1.0, 2.0]), np.zeros((3, 3))])
def test_repeated_eigenvalues_give_exact_finite_gradients(a):
    x = tn.tensor(a, requires_grad=True)
    (g,) = tn.autograd.grad(la.eigvalsh(x).sum(), [x])        # the trace: d/da = I
    np.testing.assert_allclose(g.numpy(), np.eye(3), atol=1e-12)
    (g,) = tn.autograd.grad((la.eigvalsh(x) ** 2).sum(), [x])        # the squared Frobenius norm (lower triangle)
    np.testing.assert_allclose(g.numpy(), 2 * np.tril(a) + 2 * np.tril(a, -1), atol=1e-10)
    # forward mode: the eigenvalues' tangent is finite too
    _, t = tn.func.jvp(lambda m: la.eigvalsh(m).sum(), (tn.tensor(a),), (tn.tensor(np.diag([1.0, 2.0, 3.0])),))
    assert float(t) == pytest.approx(6.0)


def test_eigenvectors_of_a_repeated_eigenvalue_give_nan_not_a_wrong_number():
    a = _with_spectrum([1.0, 1.0, 2.0])
    x = tn.tensor(a, requires_grad=True)
    v = la.eigh(x)[1]
    (g,) = tn.autograd.grad(v[:, 0].sum(), [x], retain_graph=True)     # not unique there: no derivative
    assert np.isnan(g.numpy()).any()
    (g,) = tn.autograd.grad((v[:, 2] ** 2).sum(), [x])     # the simple eigenvalue's eigenvector: exact
    assert np.all(np.isfinite(g.numpy()))


def test_repeated_singular_values_give_finite_gradients():
    q, _ = np.linalg.qr(N(3, 3))             # every singular value is 1
    check_grads(lambda a: la.norm(a, "nuc"), [q], order=1)
    x = tn.tensor(q, requires_grad=True)
    (g,) = tn.autograd.grad(la.norm(x, "nuc"), [x])
    np.testing.assert_allclose(g.numpy(), q, atol=1e-12)     # U V^T
    check_grads(la.pinv, [q])                       # pinv has its own rule: smooth at repeated singular values
    check_grads(la.pinv, [np.eye(3)])
    check_grads(lambda b, c: la.pinv(b @ c), [N(4, 2), N(2, 3)])     # rank 2 kept along every direction
    y = tn.tensor(np.diag([2.0, 1.0, 0.0]), requires_grad=True)         # rank-deficient: s = 0
    (g,) = tn.autograd.grad(la.svd(y, compute_uv=False).sum(), [y])
    assert np.all(np.isfinite(g.numpy()))


# ---- errors ----------------------------------------------------------------------------------------------------
def test_singular_matrix_raises_numpys_linalg_error():
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        la.inv(tn.tensor(np.ones((2, 2))))
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        la.solve(tn.tensor(np.ones((2, 2))), np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        la.cholesky(-np.eye(2))


def test_non_square_and_one_dimensional_inputs_are_refused():
    for fn in (la.inv, la.det, la.slogdet, la.cholesky, la.eigh, la.eigvalsh, lambda a: la.solve(a, np.ones(2)),
               lambda a: la.matrix_power(a, 2)):
        with pytest.raises(np.linalg.LinAlgError, match="must be square"):
            fn(tn.tensor(N(2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="1-dimensional array given"):
        la.svd(tn.tensor(N(3)))
    with pytest.raises(TypeError, match="exponent must be an integer"):
        la.matrix_power(N(2, 2), 1.5)
    with pytest.raises(ValueError, match="UPLO"):
        la.eigh(np.eye(2), UPLO="X")
    with pytest.raises(NotImplementedError, match="real matrices"):
        la.eigh(tn.tensor(np.eye(2) * 1j))


def test_svd_full_matrices_extra_columns_have_no_derivative():
    x = tn.tensor(N(4, 2), requires_grad=True)
    u, s, vh = la.svd(x)                               # full_matrices=True: u is 4x4
    np.testing.assert_allclose(np.abs(u.detach().numpy()), np.abs(np.linalg.svd(x.detach().numpy())[0]))
    (g,) = tn.autograd.grad(s.sum() + (u[:, :2] ** 2).sum(), [x])    # the unique part: fine
    assert np.all(np.isfinite(g.numpy()))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        tn.autograd.grad(la.svd(x)[0].sum(), [x])
    _, t = tn.func.jvp(lambda a: la.svd(a)[0], (tn.tensor(N(4, 2)),), (tn.tensor(N(4, 2)),))
    assert np.isnan(t.numpy()[:, 2:]).all() and np.isfinite(t.numpy()[:, :2]).all()    # forward: NaN, not a number
    check_grads(lambda a: la.svd(a)[1], [N(2, 5)])      # what does not read the extra rows of vh: exact


def test_qr_of_a_wide_matrix_says_what_to_do():
    with pytest.raises(NotImplementedError, match="m >= n"):
        la.qr(tn.tensor(N(2, 3)))
    with pytest.raises(ValueError, match="mode"):
        la.qr(tn.tensor(N(3, 3)), mode="raw")


def test_names_without_a_rule_say_why():
    with pytest.raises(AttributeError, match="does not offer numpy.linalg.test: NumPy's own test runner"):
        la.test   # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        la.nonsense   # noqa: B018


# ---- against HIPS autograd and JAX ------------------------------------------------------------------------------
def _cases(xp, skip=()):
    """Scalar functions written once for the NumPy namespace ``xp`` (turunan.numpy, autograd.numpy, jax.numpy)."""
    lin = xp.linalg

    def sym(x):
        return x @ x.T + 3 * xp.eye(3)

    def sign_free(v):
        return xp.sum((v * v) @ xp.arange(1.0, 4.0))

    cases = {
        "inv": lambda x: xp.sum(lin.inv(x) ** 2),
        "det": lambda x: lin.det(x),
        "slogdet": lambda x: lin.slogdet(x)[1],
        "solve": lambda x: xp.sum(lin.solve(x, xp.arange(1.0, 4.0)) ** 2),
        "cholesky": lambda x: xp.sum(xp.sin(lin.cholesky(sym(x)))),
        "eigh": lambda x: xp.sum(lin.eigh(sym(x))[0] ** 2) + sign_free(lin.eigh(sym(x))[1]),
        "svd": lambda x: xp.sum(lin.svd(x, full_matrices=False)[1] ** 3) + sign_free(lin.svd(x, False)[0]),
        "pinv": lambda x: xp.sum(xp.tanh(lin.pinv(x))),
        "matrix_power": lambda x: xp.sum(lin.matrix_power(x, 3)),
        "norm_nuc": lambda x: lin.norm(x, "nuc"),
        "qr": lambda x: xp.sum(lin.qr(x)[1] ** 2) + sign_free(lin.qr(x)[0]),
    }
    return {name: f for name, f in cases.items() if name not in skip}


def _compare(other_grad, other_cases, to_array):
    mine = _cases(tnp)
    x, v = W(3, 3), N(3, 3)
    for name, f in other_cases.items():
        want_value = float(to_array(f(x)))
        got_value = float(mine[name](tn.tensor(x)).numpy())
        np.testing.assert_allclose(got_value, want_value, rtol=1e-10, err_msg=name)
        want_grad = to_array(other_grad(f)(x))
        np.testing.assert_allclose(grad(mine[name])(tn.tensor(x)).numpy(), want_grad, rtol=1e-8, atol=1e-10,
                                   err_msg=name)
        want_hvp = to_array(other_grad(lambda y, f=f: _inner(other_grad(f)(y), v))(x))
        got_hvp = hvp(mine[name], (tn.tensor(x),), (tn.tensor(v),)).numpy()
        np.testing.assert_allclose(got_hvp, want_hvp, rtol=1e-7, atol=1e-9, err_msg=name)


def _inner(a, b):
    return (a * b).sum()


def test_against_hips_autograd():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    _compare(autograd.grad, _cases(anp, skip=("matrix_power", "qr")), np.asarray)   # no rules there


def test_against_jax():
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        _compare(jax.grad, _cases(jax.numpy), np.asarray)
    finally:
        jax.config.update("jax_enable_x64", prev)
