"""turunan.scipy.special: values equal SciPy's; derivatives through check_grads (reverse and forward, second order,
broadcasting); gradients and Hessian-vector products against HIPS autograd and JAX; every row of
turunan._rules_special under vmap and with agreeing forward and reverse rules; the errors (an order argument
asked for a gradient, SciPy missing, bad arguments). SciPy, autograd and JAX are optional: their tests skip."""

import importlib
import sys

import numpy as np
import pytest

pytest.importorskip("scipy", reason="turunan.scipy's kernels are SciPy's (the scipy extra)")

import turunan as tn
from turunan import _core
from turunan.func import grad, hvp, jvp, vjp
from turunan.testing import check_grads

rng = np.random.default_rng(12)


def U(lo, hi, shape=(2, 3)):
    return rng.uniform(lo, hi, shape)


def away_from_zero(shape=(2, 3)):
    return rng.uniform(0.3, 3.0, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.fixture(scope="module")
def special():
    return pytest.importorskip("turunan.scipy.special")


@pytest.fixture(scope="module")
def scipy_special():
    return pytest.importorskip("scipy.special")


@pytest.fixture(scope="module")
def rows():
    pytest.importorskip("scipy.special")
    return importlib.import_module("turunan._rules_special")


@pytest.fixture(scope="module")
def jsp():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return pytest.importorskip("jax.scipy.special")


@pytest.fixture(scope="module")
def asp():
    return pytest.importorskip("autograd.scipy.special")


# name -> (argument makers, positions differentiated); order arguments are constants
CASES = {
    "gamma": ([lambda: U(0.5, 3)], (0,)),
    "gammaln": ([lambda: U(0.5, 5)], (0,)),
    "digamma": ([lambda: U(0.5, 5)], (0,)),
    "psi": ([lambda: U(0.5, 5)], (0,)),
    "polygamma": ([lambda: rng.integers(0, 3, (2, 3)), lambda: U(0.5, 3, (3,))], (1,)),
    "beta": ([lambda: U(0.5, 3), lambda: U(0.5, 3, (3,))], (0, 1)),
    "betaln": ([lambda: U(0.5, 3), lambda: U(0.5, 3, (1, 3))], (0, 1)),
    "betainc": ([lambda: U(0.5, 3, (3,)), lambda: U(0.5, 3, (2, 1)), lambda: U(0.1, 0.9)], (2,)),
    "gammainc": ([lambda: U(0.5, 3, (3,)), lambda: U(0.2, 3)], (1,)),
    "gammaincc": ([lambda: U(0.5, 3), lambda: U(0.2, 3, (3,))], (1,)),
    "erf": ([lambda: U(-2, 2)], (0,)),
    "erfc": ([lambda: U(-2, 2)], (0,)),
    "erfinv": ([lambda: U(-0.9, 0.9)], (0,)),
    "erfcinv": ([lambda: U(0.1, 1.9)], (0,)),
    "expit": ([lambda: U(-4, 4)], (0,)),
    "logit": ([lambda: U(0.1, 0.9)], (0,)),
    "log_ndtr": ([lambda: U(-6, 4)], (0,)),
    "ndtr": ([lambda: U(-4, 4)], (0,)),
    "ndtri": ([lambda: U(0.05, 0.95)], (0,)),
    "xlogy": ([lambda: U(-2, 2), lambda: U(0.2, 3, (3,))], (0, 1)),
    "xlog1py": ([lambda: U(-2, 2, (3,)), lambda: U(-0.5, 2)], (0, 1)),
    "entr": ([lambda: U(0.1, 2)], (0,)),
    "rel_entr": ([lambda: U(0.1, 2), lambda: U(0.1, 2, (3,))], (0, 1)),
    "i0": ([lambda: U(-3, 3)], (0,)),
    "i1": ([lambda: U(-3, 3)], (0,)),
    "iv": ([lambda: np.array([0.5, 1.0, 2.5]), lambda: U(0.2, 3)], (1,)),
    "ive": ([lambda: np.array([0.0, 1.0, 3.0]), away_from_zero], (1,)),
    "i0e": ([away_from_zero], (0,)),
    "i1e": ([away_from_zero], (0,)),
    "expi": ([lambda: U(0.3, 3) * rng.choice([-1.0, 1.0], (2, 3))], (0,)),
    "exp1": ([lambda: U(0.3, 3)], (0,)),
    "zeta": ([lambda: U(1.5, 4, (3,)), lambda: U(0.5, 3)], (1,)),
    "j0": ([lambda: U(-5, 5)], (0,)),
    "j1": ([lambda: U(-5, 5)], (0,)),
    "jn": ([lambda: np.array([0, 2, 3]), lambda: U(0.5, 5)], (1,)),
    "y0": ([lambda: U(0.5, 5)], (0,)),
    "y1": ([lambda: U(0.5, 5)], (0,)),
    "yn": ([lambda: np.array([0, 1, 3]), lambda: U(0.5, 5)], (1,)),
}
# JAX has no iv, ive, j0, j1, jn, y0, y1, yn, psi, erfcinv; HIPS autograd no log_ndtr, ndtr, ndtri, xlogy, xlog1py,
# entr, rel_entr: each is compared with the one that has it
_NOT_IN_JAX = {"iv", "ive", "j0", "j1", "jn", "y0", "y1", "yn", "psi", "erfcinv"}
_NOT_IN_AUTOGRAD = {"log_ndtr", "ndtr", "ndtri", "xlogy", "xlog1py", "entr", "rel_entr", "i0e", "i1e", "expi", "exp1",
                    "zeta"}


def _partial(fn, args, diff):
    """fn of the differentiated arguments only, the others fixed."""
    def f(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        return fn(*full)
    return f


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_equal_scipys(name, special, scipy_special):
    makers, _ = CASES[name]
    args = [m() for m in makers]
    got = getattr(special, name)(*args)
    assert isinstance(got, tn.Tensor)
    np.testing.assert_allclose(got.numpy(), getattr(scipy_special, name)(*args), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_derivatives_to_second_order(name, special):
    makers, diff = CASES[name]
    args = [m() for m in makers]
    check_grads(_partial(getattr(special, name), args, diff), [args[i] for i in diff], order=2, rtol=1e-5,
                atol=1e-6)


def _against(peer, name, special, makers, diff):
    # one shape for all (HIPS autograd's polygamma does not sum its gradient back over broadcasting)
    args = [np.array(a) for a in np.broadcast_arrays(*[m() for m in makers])]
    want_value = np.asarray(getattr(peer, name)(*args))
    np.testing.assert_allclose(getattr(special, name)(*args).numpy(), want_value, rtol=1e-12, atol=1e-14)
    for i in diff:
        f = _partial(getattr(special, name), args, (i,))
        got = grad(lambda x: f(x).sum())(args[i]).numpy()
        yield args, i, got


@pytest.mark.parametrize("name", sorted(set(CASES) - _NOT_IN_AUTOGRAD))
def test_gradients_equal_hips_autograds(name, special, asp):
    import autograd
    makers, diff = CASES[name]
    for args, i, got in _against(asp, name, special, makers, diff):
        want = autograd.grad(lambda x: _partial(getattr(asp, name), args, (i,))(x).sum())(args[i])
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(set(CASES) - _NOT_IN_JAX))
def test_gradients_equal_jaxs(name, special, jsp):
    import jax
    makers, diff = CASES[name]
    for args, i, got in _against(jsp, name, special, makers, diff):
        want = jax.grad(lambda x: _partial(getattr(jsp, name), args, (i,))(x).sum())(args[i])
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["gamma", "gammaln", "digamma", "log_ndtr", "ndtri", "xlogy", "erfinv", "i1",
                                  "betaln", "logit", "entr"])
def test_hessian_vector_products_equal_jaxs(name, special, jsp):
    import jax
    makers, diff = CASES[name]
    args = [m() for m in makers]
    i = diff[-1]
    v = rng.standard_normal(np.shape(args[i]))
    f = _partial(getattr(special, name), args, (i,))
    jf = _partial(getattr(jsp, name), args, (i,))
    got = hvp(lambda x: (f(x) ** 2).sum(), (args[i],), (v,)).numpy()
    want = jax.jvp(jax.grad(lambda x: (jf(x) ** 2).sum()), (args[i],), (v,))[1]
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-9, atol=1e-12)


# ---- the rows themselves: vmap, forward = reverse, the table's promises ----------------------------------------
def _row_args(rows, prim):
    name = {"stdtr": None}.get(prim.name, prim.name)
    if name is None:        # stdtr(df, x): Student's t distribution function
        return [U(1, 5), U(-3, 3)], (1,)
    makers, diff = CASES[name]
    return [m() for m in makers], diff


def test_every_row_batches_like_a_loop(rows):
    for prim in rows.ROWS:
        args, diff = _row_args(rows, prim)
        for which in range(len(args)):      # order arguments batch too (one order per example)
            batch = [np.asarray(args[which]) + (k if which not in diff else 0.1 * k) for k in range(3)]

            def f(x, which=which, args=args, prim=prim):
                return _core.apply(prim, *[x if i == which else a for i, a in enumerate(args)])
            got = tn.vmap(f)(np.stack(batch)).numpy()
            want = np.stack([f(b).numpy() for b in batch])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, err_msg=prim.name)


def test_every_rows_forward_and_reverse_rules_agree(rows):
    for prim in rows.ROWS:
        args, diff = _row_args(rows, prim)
        f = _partial(lambda *a, prim=prim: _core.apply(prim, *a), args, diff)
        primals = tuple(tn.tensor(args[i]) for i in diff)
        vs = tuple(tn.tensor(rng.standard_normal(np.shape(args[i]))) for i in diff)
        out, jv = jvp(f, primals, vs)
        u = tn.tensor(rng.standard_normal(out.shape))
        cts = vjp(f, *primals)[1](u)
        lhs = float(np.sum(u.numpy() * jv.numpy()))
        rhs = sum(float(np.sum(c.numpy() * v.numpy())) for c, v in zip(cts, vs))
        assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-12), prim.name
        assert prim.batch is not None and prim.display[0].isupper() and prim.name in tn._rules.TABLE


def test_stdtr_row_derivative(rows):
    check_grads(lambda x: _core.apply(rows.stdtr, 3.5, x), [U(-3, 3)])


def test_vmap_of_jacobians_through_the_rows(special):
    x = U(0.5, 3, (4, 3))
    per = tn.vmap(grad(lambda r: special.gammaln(r).sum()))(x).numpy()
    np.testing.assert_allclose(per, special.digamma(x).numpy(), rtol=1e-13)
    hess = tn.vmap(tn.func.hessian(lambda r: special.gammaln(r).sum()))(x).numpy()
    np.testing.assert_allclose(np.einsum("bii->bi", hess), special.polygamma(1, x).numpy(), rtol=1e-12)


# ---- functions composed, with parameters: logsumexp, multigammaln ----------------------------------------------
def test_logsumexp_equals_scipys_with_b_axis_keepdims_and_sign(special, scipy_special):
    a = rng.standard_normal((3, 4))
    b = rng.uniform(-1, 1, (3, 4))
    for axis in (None, 0, 1, -1, (0, 1)):
        for keepdims in (False, True):
            got = special.logsumexp(a, axis=axis, b=np.abs(b), keepdims=keepdims).numpy()
            np.testing.assert_allclose(got, scipy_special.logsumexp(a, axis=axis, b=np.abs(b), keepdims=keepdims),
                                       rtol=1e-13)
            value, sign = special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
            want_value, want_sign = scipy_special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
            np.testing.assert_allclose(value.numpy(), want_value, rtol=1e-12)
            np.testing.assert_array_equal(sign.numpy(), want_sign)
    with np.errstate(invalid="ignore"):
        assert np.isnan(special.logsumexp([1.0, 2.0], b=[1.0, -2.0]).numpy())       # as SciPy: a negative sum
    np.testing.assert_allclose(special.logsumexp(a, axis=1).numpy(), scipy_special.logsumexp(a, axis=1), rtol=1e-13)
    with np.errstate(divide="ignore"):
        assert special.logsumexp([-np.inf, -np.inf]).numpy() == -np.inf


def test_logsumexp_derivatives(special):
    a = rng.standard_normal((3, 4))
    b = rng.uniform(0.2, 1, (4,))
    check_grads(lambda a, b: special.logsumexp(a, axis=1, b=b), [a, b])
    check_grads(lambda a: special.logsumexp(a, axis=(0, 1), keepdims=True), [a])
    check_grads(lambda a, b: special.logsumexp(a, axis=0, b=b - 0.6, return_sign=True)[0], [a, b])
    # d/db where b == 0 is exp(a) / sum, not NaN or 0
    got = grad(lambda b: special.logsumexp(np.array([0.5, 1.0, 2.0]), b=b), argnums=0)(np.array([1.0, 0.0, 2.0]))
    e = np.exp([0.5, 1.0, 2.0])
    np.testing.assert_allclose(got.numpy(), e / (e[0] + 2 * e[2]), rtol=1e-13)


def test_logsumexp_against_jax_and_autograd(special, jsp, asp):
    import autograd
    import jax
    a = rng.standard_normal((3, 4))
    b = rng.uniform(0.2, 2, (3, 4))
    got = grad(lambda a, b: special.logsumexp(a, axis=1, b=b).sum(), argnums=(0, 1))(a, b)
    want = jax.grad(lambda a, b: jsp.logsumexp(a, axis=1, b=b).sum(), argnums=(0, 1))(a, b)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-12)
    want_a = autograd.grad(lambda a: asp.logsumexp(a, axis=1, b=b).sum())(a)
    np.testing.assert_allclose(got[0].numpy(), want_a, rtol=1e-12)


def test_misc_logsumexp_is_specials(special):
    misc = importlib.import_module("turunan.scipy.misc")
    assert misc.logsumexp is special.logsumexp


def test_multigammaln(special, scipy_special, asp):
    import autograd
    a = U(2.0, 4.0, (3,))
    np.testing.assert_allclose(special.multigammaln(a, 3).numpy(), scipy_special.multigammaln(a, 3), rtol=1e-13)
    check_grads(lambda a: special.multigammaln(a, 3), [a])
    got = grad(lambda a: special.multigammaln(a, 3).sum())(a).numpy()
    np.testing.assert_allclose(got, autograd.grad(lambda a: asp.multigammaln(a, 3).sum())(a), rtol=1e-12)
    with pytest.raises(ValueError, match=r"> \(d - 1\) / 2"):
        special.multigammaln(np.array([0.5, 3.0]), 3)
    with pytest.raises(ValueError, match="positive integer"):
        special.multigammaln(a, 2.5)


def test_xlogy_is_a_row_whose_x_derivative_at_zero_is_log_y(special):
    g = grad(lambda x: special.xlogy(x, 3.0))(0.0)
    np.testing.assert_allclose(g.numpy(), np.log(3.0), rtol=1e-15)
    assert special.xlogy(0.0, 0.0).numpy() == 0.0


def test_gammasgn_and_float64_for_python_numbers(special):
    assert special.gammasgn(np.array([-0.5, 0.5])).numpy().tolist() == [-1.0, 1.0]
    assert special.gammaln([1.5, 2.5]).dtype == np.float64
    assert special.logit(0.25).dtype == np.float64
    assert special.gammaln(tn.tensor([1.5], dtype=tn.float32)).dtype == np.float32


# ---- errors -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,order", [("polygamma", "n"), ("iv", "v"), ("ive", "v"), ("jn", "n"), ("yn", "n"),
                                        ("gammainc", "a"), ("gammaincc", "a"), ("zeta", "x")])
def test_a_gradient_through_an_order_argument_is_refused(name, order, special):
    fn = getattr(special, name)
    with pytest.raises(NotImplementedError, match=f"no derivative with respect to its argument '{order}'"):
        grad(lambda n: fn(n, 1.5))(2.0)
    with pytest.raises(NotImplementedError, match="pass .* as a constant"):
        jvp(lambda n: fn(n, 1.5), (tn.tensor(2.0, dtype=tn.float64),), (tn.tensor(1.0, dtype=tn.float64),))
    n = tn.tensor(2.0, dtype=tn.float64, requires_grad=True)
    x = tn.tensor(1.5, dtype=tn.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match=name):
        fn(n, x).backward()
    assert grad(lambda x: fn(2.0, x))(1.5).numpy() != 0     # the other argument still has its gradient


def test_betainc_has_no_gradient_in_a_or_b(special):
    for argnums in (0, 1):
        with pytest.raises(NotImplementedError, match="betainc"):
            grad(special.betainc, argnums=argnums)(2.0, 3.0, 0.4)


def test_missing_scipy_is_an_import_error_with_the_install_hint(monkeypatch, rows):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    monkeypatch.setattr(rows, "_special", None)
    monkeypatch.delitem(sys.modules, "turunan.scipy.special", raising=False)
    monkeypatch.delitem(sys.modules, "turunan.scipy.misc", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'turunan\[scipy\]'"):
        importlib.import_module("turunan.scipy.special")
    with pytest.raises(ImportError, match=r"pip install 'turunan\[scipy\]'"):
        rows.gammaln(np.array([1.5]))


def test_the_package_names_its_submodules():
    scipy_pkg = importlib.import_module("turunan.scipy")
    assert {"special", "stats", "integrate", "misc"} <= set(dir(scipy_pkg))
    with pytest.raises(AttributeError, match="its submodules are"):
        scipy_pkg.__getattr__("nonexistent")


def test_scipys_own_ufuncs_on_tensors_are_recorded(special, scipy_special):
    x = tn.tensor([1.5, 2.5], dtype=tn.float64, requires_grad=True)
    y = scipy_special.gammaln(x) + scipy_special.xlogy(x, x)     # NumPy's __array_ufunc__ protocol
    assert isinstance(y, tn.Tensor) and y.requires_grad
    y.sum().backward()
    want = scipy_special.digamma([1.5, 2.5]) + np.log([1.5, 2.5]) + 1
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-13)
    with pytest.raises(TypeError, match="no rule"):
        scipy_special.zeta(x, 2.0)          # a ufunc turunan has no row for: refused, never a silent constant


def test_vmap_of_composed_functions(special, scipy_special):
    x = U(0.6, 3, (4, 3))
    np.testing.assert_allclose(tn.vmap(lambda a: special.multigammaln(a, 2))(x).numpy(),
                               scipy_special.multigammaln(x, 2), rtol=1e-13)
    got = tn.vmap(lambda a: special.multigammaln(a, 3))(np.array([[2.0, 0.7]])).numpy()
    assert np.isfinite(got[0, 0]) and np.isnan(got[0, 1])     # outside SciPy's domain: NaN (no check inside vmap)
    b = np.array([1.0, 0.0, 2.0])
    np.testing.assert_allclose(tn.vmap(lambda a: special.logsumexp(a, b=b))(x).numpy(),
                               scipy_special.logsumexp(x, axis=1, b=b), rtol=1e-13)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_softmax_and_log_softmax_with_scipys_axes(axis, special, scipy_special, jsp):
    import jax
    x = rng.standard_normal((3, 4))
    for name in ("softmax", "log_softmax"):
        np.testing.assert_allclose(getattr(special, name)(x, axis=axis).numpy(),
                                   getattr(scipy_special, name)(x, axis=axis), rtol=1e-13, atol=1e-15)
        check_grads(lambda x, name=name: getattr(special, name)(x, axis=axis), [x])
        w = rng.standard_normal((3, 4))
        got = grad(lambda x, name=name: (getattr(special, name)(x, axis=axis) * w).sum())(x).numpy()
        want = jax.grad(lambda x, name=name: (getattr(jsp, name)(x, axis=axis) * w).sum())(x)
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-10, atol=1e-13)


def test_logsumexp_keeps_float32(special):
    a = tn.tensor([[1.0, 2.0], [3.0, 0.5]], dtype=tn.float32)
    value, sign = special.logsumexp(a, axis=1, return_sign=True)
    assert value.dtype == np.float32 and sign.dtype == np.float32
    np.testing.assert_allclose(value.numpy(), special.logsumexp(a.numpy().astype(np.float64), axis=1).numpy(),
                               rtol=1e-6)
    assert special.logsumexp(a, axis=0).dtype == np.float32
