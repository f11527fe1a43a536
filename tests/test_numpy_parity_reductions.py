"""turunan.numpy's reductions with NumPy's signatures (dtype=, where=, initial=, ddof=, keepdims=, weights=) against
NumPy (values and dtypes), HIPS autograd and JAX (gradients and Hessian-vector products), through check_grads to second
order; the NaN-ignoring reductions; prod and cumprod at zeros; the error paths."""

import numpy as np
import pytest

import turunan.numpy as tnp
from turunan import func
from turunan.testing import check_grads

rng = np.random.default_rng(21)
AXES = [None, 0, 1, (0, 1), -1]


def x23():
    return rng.standard_normal((2, 3))


def with_nans():
    x = rng.standard_normal((3, 4))
    x[0, 1] = x[2, 3] = x[1, 0] = np.nan
    return x


MASK = np.array([[True, False, True], [True, True, False]])


# ---- values and dtypes: NumPy's -------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "ptp",
                                  "nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod"])
def test_reduction_values_are_numpys(name, axis, keepdims):
    x = with_nans() if name.startswith("nan") else rng.standard_normal((3, 4))
    want = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    for got in (getattr(tnp, name)(x, axis=axis, keepdims=keepdims),
                getattr(np, name)(tnp.array(x), axis=axis, keepdims=keepdims)):
        assert got.shape == np.shape(want) and got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-13)


@pytest.mark.parametrize("name", ["mean", "var", "std"])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("ddof", [0, 1])
def test_where_and_ddof_are_numpys(name, axis, ddof):
    x = x23()
    kw = {} if name == "mean" else {"ddof": ddof}
    for keepdims in (False, True):
        want = getattr(np, name)(x, axis=axis, keepdims=keepdims, where=MASK, **kw)
        got = getattr(tnp, name)(x, axis=axis, keepdims=keepdims, where=MASK, **kw)
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-13)
        np.testing.assert_allclose(getattr(np, name)(tnp.array(x), axis, None, None, *([ddof] if kw else []),
                                                     keepdims).numpy(),
                                   getattr(np, name)(x, axis, None, None, *([ddof] if kw else []), keepdims))


def test_numpys_positional_order_and_options():
    x = x23()
    np.testing.assert_allclose(tnp.mean(x, 1, np.float32).numpy(), np.mean(x, 1, np.float32))
    assert tnp.mean(x, 1, np.float32).dtype == np.float32
    np.testing.assert_allclose(tnp.var(x, 0, None, None, 1, True).numpy(), np.var(x, 0, None, None, 1, True))
    np.testing.assert_allclose(tnp.std(x, correction=1).numpy(), np.std(x, correction=1))
    np.testing.assert_allclose(tnp.sum(x, 0, None, None, False, 2.5, MASK).numpy(), np.sum(x, 0, None, None, False,
                                                                                              2.5, MASK))
    np.testing.assert_allclose(tnp.prod(x, 1, initial=2.0, where=MASK).numpy(), np.prod(x, 1, initial=2.0, where=MASK))
    np.testing.assert_allclose(tnp.max(x, 1, initial=0.5).numpy(), np.max(x, 1, initial=0.5))
    np.testing.assert_allclose(tnp.min(x, 0, where=MASK, initial=9.0).numpy(), np.min(x, 0, where=MASK, initial=9.0))
    m = np.mean(x, 1, keepdims=True)
    np.testing.assert_allclose(tnp.var(x, 1, mean=m).numpy(), np.var(x, 1, mean=m))
    np.testing.assert_allclose(tnp.cumsum(x, None, np.float32).numpy(), np.cumsum(x, None, np.float32))


@pytest.mark.parametrize("name", ["mean", "var", "std", "average", "nanmean", "nanvar", "nanstd"])
def test_integers_average_in_float64(name):
    x = np.array([[1, 2, 4], [3, 3, 9]], dtype=np.int32)
    got, want = getattr(tnp, name)(x, axis=1), getattr(np, name)(x, axis=1)
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_allclose(got.numpy(), want)
    assert getattr(np, name)(tnp.array(x), axis=1).dtype == np.float64


def test_float32_stays_float32_and_sum_of_int32_is_int64():
    x = x23().astype(np.float32)
    for name in ("sum", "mean", "var", "std", "prod", "max", "ptp", "nansum", "nanmean", "average", "cumsum"):
        assert getattr(tnp, name)(x).dtype == getattr(np, name)(x).dtype == np.float32, name
    i = np.array([1, 2], np.int32)
    assert tnp.sum(i).dtype == np.sum(i).dtype and tnp.cumsum(i).dtype == np.cumsum(i).dtype


@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
def test_average_values_are_numpys(axis):
    x, w = x23(), rng.uniform(0.5, 2.0, (2, 3))
    for keepdims in (False, True):
        for got, want in ((tnp.average(x, axis, w, keepdims=keepdims), np.average(x, axis, w, keepdims=keepdims)),
                          (tnp.average(x, axis, keepdims=keepdims), np.average(x, axis, keepdims=keepdims))):
            assert got.shape == np.shape(want)
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-13)
        got, total = tnp.average(x, axis, w, returned=True, keepdims=keepdims)
        want, wtotal = np.average(x, axis, w, returned=True, keepdims=keepdims)
        np.testing.assert_allclose(total.numpy(), wtotal)
        got, total = tnp.average(x, axis, returned=True, keepdims=keepdims)
        want, wtotal = np.average(x, axis, returned=True, keepdims=keepdims)
        assert total.shape == np.shape(wtotal)
        np.testing.assert_allclose(total.numpy(), wtotal)
    if axis is not None:
        w1 = rng.uniform(0.5, 2.0, x.shape[axis])
        np.testing.assert_allclose(tnp.average(x, axis, w1).numpy(), np.average(x, axis, w1), rtol=1e-13)


def test_nan_reductions_of_an_all_nan_slice_are_nan():
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        for name in ("nanmean", "nanmax", "nanmin", "nanvar", "nanstd"):
            np.testing.assert_array_equal(getattr(tnp, name)(x, axis=1).numpy(), getattr(np, name)(x, axis=1))
    for name in ("nansum", "nanprod", "nancumsum", "nancumprod"):
        np.testing.assert_array_equal(getattr(tnp, name)(x, axis=1).numpy(), getattr(np, name)(x, axis=1))


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
def test_cumulative_values_are_numpys(name, axis):
    x = with_nans() if name.startswith("nan") else rng.standard_normal((3, 4))
    for got in (getattr(tnp, name)(x, axis), getattr(np, name)(tnp.array(x), axis)):
        np.testing.assert_allclose(got.numpy(), getattr(np, name)(x, axis), rtol=1e-13)


# ---- check_grads: reverse and forward mode, second order ------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)], ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "prod", "max", "min", "ptp", "amax", "amin"])
def test_reduction_gradients(name, axis):
    for keepdims in (False, True):
        check_grads(lambda x: getattr(tnp, name)(x, axis=axis, keepdims=keepdims), [x23()])


@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
@pytest.mark.parametrize("name", ["mean", "var", "std"])
def test_where_and_ddof_gradients(name, axis):
    kw = {} if name == "mean" else {"ddof": 1 if axis != 0 else 0}   # MASK's last column selects one entry
    check_grads(lambda x: getattr(tnp, name)(x, axis=axis, where=MASK, **kw), [x23()])
    if kw:
        check_grads(lambda x: getattr(tnp, name)(x, axis=axis, ddof=1, keepdims=True), [x23()])
    check_grads(lambda x: tnp.sum(x, axis=axis, where=MASK, initial=1.0), [x23()])
    check_grads(lambda x: tnp.max(x, axis=axis, where=MASK, initial=-5.0), [x23()])


@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod"])
def test_nan_reduction_gradients(name, axis):
    x = with_nans()
    check_grads(lambda t: getattr(tnp, name)(t, axis=axis), [x])
    g = func.grad(lambda t: tnp.sum(getattr(tnp, name)(t, axis=axis)))(x)
    assert np.all(g.numpy()[np.isnan(x)] == 0) and np.all(np.isfinite(g.numpy()))


@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
def test_cumulative_gradients(name, axis):
    x = with_nans() if name.startswith("nan") else rng.standard_normal((3, 4))
    check_grads(lambda t: getattr(tnp, name)(t, axis), [x])


@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_average_gradients_in_values_and_weights(axis):
    w = rng.uniform(0.5, 2.0, (2, 3))
    check_grads(lambda x, w: tnp.average(x, axis, w), [x23(), w])
    if axis is not None:
        check_grads(lambda x, w: tnp.average(x, axis, w), [x23(), rng.uniform(0.5, 2.0, (2, 3)[axis])])


@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_prod_and_cumprod_at_zeros_to_second_order(axis):
    for zeros in ([(0, 1)], [(0, 1), (1, 1)], [(0, 1), (0, 2)]):     # one zero; one per row; two in a row
        x = x23()
        for i in zeros:
            x[i] = 0.0
        check_grads(lambda t: tnp.prod(t, axis=axis), [x])
        check_grads(lambda t: tnp.cumprod(t, axis), [x])


# ---- differential tests: HIPS autograd and JAX, values, gradients and Hessian-vector products -----------------
@pytest.fixture(scope="module")
def jax_x64():
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", prev)


# name -> (input maker, keyword arguments); which library defines a derivative for each
CASES = {
    "sum": (x23, {"axis": 1}), "mean": (x23, {"axis": 0}), "var": (x23, {"axis": 1, "ddof": 1}),
    "std": (x23, {"axis": None, "ddof": 1}), "prod": (x23, {"axis": 1}), "max": (x23, {"axis": 0}),
    "min": (x23, {"axis": 1, "keepdims": True}), "amax": (x23, {}), "amin": (x23, {"axis": 1}),
    "cumsum": (x23, {"axis": 1}), "cumprod": (x23, {"axis": None}), "ptp": (x23, {"axis": 1}),
    "average": (x23, {"axis": 1, "weights": np.array([0.5, 1.0, 2.0])}),
    "nansum": (with_nans, {"axis": 1}), "nanmean": (with_nans, {"axis": 0}), "nanvar": (with_nans, {"axis": 1}),
    "nanstd": (with_nans, {"axis": 1, "ddof": 1}), "nanmax": (with_nans, {"axis": 1}),
    "nanmin": (with_nans, {"axis": 0}), "nanprod": (with_nans, {"axis": 1}), "nancumsum": (with_nans, {"axis": 0}),
    "mean_where": (x23, {"axis": 1, "where": MASK}), "var_where": (x23, {"axis": 0, "where": MASK}),
}
AUTOGRAD_HAS = {"sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "cumsum"}


def _lib(lib, jax):
    if lib == "autograd":
        autograd = pytest.importorskip("autograd")
        anp = pytest.importorskip("autograd.numpy")

        def hvp(f, x, v):
            return autograd.grad(lambda t: anp.sum(autograd.grad(f)(t) * v))(x)
        return anp, autograd.grad, hvp
    return jax.numpy, jax.grad, lambda f, x, v: jax.jvp(jax.grad(f), (x,), (v,))[1]


@pytest.mark.parametrize("lib", ["autograd", "jax"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_reductions_against_autograd_and_jax(case, lib, jax_x64):
    name = case.split("_")[0]
    if lib == "autograd" and case not in AUTOGRAD_HAS:
        pytest.skip(f"HIPS autograd has no derivative for {case}")
    theirs_np, theirs_grad, theirs_hvp = _lib(lib, jax_x64 if lib == "jax" else None)
    make, kw = CASES[case]
    x = make()
    w = rng.standard_normal(np.shape(getattr(np, name)(x, **kw)))
    v = rng.standard_normal(x.shape)
    ours = lambda t: tnp.sum(getattr(tnp, name)(t, **kw) * w)
    theirs = lambda t: theirs_np.sum(getattr(theirs_np, name)(t, **kw) * w)
    np.testing.assert_allclose(getattr(tnp, name)(x, **kw).numpy(), np.asarray(getattr(theirs_np, name)(x, **kw)),
                               rtol=1e-13)
    np.testing.assert_allclose(func.grad(ours)(x).numpy(), np.asarray(theirs_grad(theirs)(x)), rtol=1e-10,
                               atol=1e-12)
    ours_hvp = func.grad(lambda t: tnp.sum(func.grad(ours)(t) * v))(x)
    np.testing.assert_allclose(ours_hvp.numpy(), np.asarray(theirs_hvp(theirs, x, v)), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_prod_and_cumprod_with_zeros_against_jax(axis, jax_x64):
    jnp = jax_x64.numpy
    x = x23()
    x[0, 1] = x[0, 2] = x[1, 0] = 0.0
    v = rng.standard_normal(x.shape)
    pairs = [(lambda t, m=m: m.sum(m.prod(t, axis=axis) ** 2)) for m in (tnp, jnp)], \
        [(lambda t, m=m: m.sum(m.cumprod(t, axis) * 1.5)) for m in (tnp, jnp)]
    for ours, theirs in pairs:
        np.testing.assert_allclose(func.grad(ours)(x).numpy(), np.asarray(jax_x64.grad(theirs)(x)), atol=1e-12)
        hvp = func.grad(lambda t: tnp.sum(func.grad(ours)(t) * v))(x)
        want = jax_x64.jvp(jax_x64.grad(theirs), (x,), (v,))[1]
        np.testing.assert_allclose(hvp.numpy(), np.asarray(want), atol=1e-12)


# ---- errors: what happened and what to do ---------------------------------------------------------------------
def test_out_is_refused():
    with pytest.raises(TypeError, match="out="):
        tnp.mean(x23(), out=np.empty(()))
    with pytest.raises(TypeError, match="out="):
        np.sum(tnp.array(x23()), out=np.empty(()))


def test_where_must_be_a_bool_mask():
    with pytest.raises(TypeError, match="bool mask"):
        tnp.mean(x23(), where=np.ones((2, 3)))


def test_max_with_where_needs_initial():
    with pytest.raises(ValueError, match="initial="):
        tnp.max(x23(), where=MASK)


def test_ddof_and_correction_together_are_refused():
    with pytest.raises(ValueError, match="ddof or correction"):
        tnp.var(x23(), ddof=1, correction=1)


def test_average_weights_errors():
    with pytest.raises(ZeroDivisionError, match="sum to zero"):
        tnp.average(x23(), weights=np.zeros((2, 3)))
    with pytest.raises(TypeError, match="axis must be given"):
        tnp.average(x23(), weights=np.ones(3))
    with pytest.raises(ValueError, match="do not fit axis"):
        tnp.average(x23(), axis=0, weights=np.ones(3))
    with pytest.raises(TypeError, match="1-d"):
        tnp.average(x23(), axis=1, weights=np.ones((1, 3)))


def test_axis_out_of_range_says_so():
    with pytest.raises(np.exceptions.AxisError, match="out of range"):
        tnp.nanvar(x23(), axis=2)
