"""turunan.numpy's elementwise functions against NumPy (values and dtypes), HIPS autograd and JAX (gradients and
Hessian-vector products), each row and composite through check_grads to second order; the functions without a
gradient recorded as constants; the dtype rules of Python numbers; the edge cases of issue 12."""

import math

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan import func
from turunan.testing import check_grads

rng = np.random.default_rng(12)


def anyreal(*s):
    return rng.standard_normal(s)


def unit(*s):
    return rng.uniform(-0.9, 0.9, s)


def above_one(*s):
    return rng.uniform(1.2, 3.0, s)


def pos(*s):
    return rng.uniform(0.5, 2.0, s)


def away_from_zero(*s):
    return rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s)


# name -> input generator: differentiable unary functions of NumPy
UNARY = {
    "sinh": anyreal, "cosh": anyreal, "arctan": anyreal, "arcsinh": anyreal, "sinc": anyreal, "fabs": anyreal,
    "deg2rad": anyreal, "rad2deg": anyreal, "degrees": anyreal, "radians": anyreal, "exp2": anyreal,
    "arcsin": unit, "arccos": unit, "arctanh": unit, "arccosh": above_one, "log10": pos, "log2": pos,
    "nan_to_num": anyreal,
}
# name -> (x generator, y generator): differentiable binary functions
BINARY = {
    "arctan2": (anyreal, away_from_zero), "hypot": (anyreal, away_from_zero), "logaddexp": (anyreal, anyreal),
    "logaddexp2": (anyreal, anyreal), "true_divide": (anyreal, pos), "mod": (lambda *s: 3 * pos(*s), pos),
    "remainder": (lambda *s: 3 * pos(*s), pos), "fmod": (lambda *s: 3 * away_from_zero(*s), away_from_zero),
}
# the functions without a gradient (piecewise constant, or bool-valued)
NO_GRAD_UNARY = ["floor", "ceil", "rint", "trunc", "round", "around", "fix", "sign", "isnan", "isinf", "isfinite",
                 "signbit", "isposinf", "isneginf", "logical_not"]
NO_GRAD_BINARY = ["floor_divide", "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
                  "logical_and", "logical_or", "logical_xor"]
# HIPS autograd has no rule for these (its fmod is not differentiable; floor_divide and sign are not primitives)
NOT_IN_AUTOGRAD = {"fmod"}
SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [((), ()), ((2, 3), (2, 3)), ((1, 3), (2, 1)), ((2, 3), ()), ((3,), (2, 3))]


# ---- values and dtypes: NumPy's, bit for bit -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(UNARY) + NO_GRAD_UNARY)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unary_values_are_numpys(name, dtype):
    x = UNARY.get(name, anyreal)(2, 3).astype(dtype) * 3
    x.flat[0] = 0.0
    if name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num", "signbit"):
        x.flat[1:4] = [np.nan, np.inf, -np.inf]
    want = getattr(np, name)(x)
    for got in (getattr(tnp, name)(x), getattr(tnp, name)(tnp.array(x)), getattr(np, name)(tnp.array(x))):
        assert isinstance(got, tn.Tensor) and got.dtype == want.dtype, (name, got.dtype, want.dtype)
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("name", ["fabs", "deg2rad", "rad2deg", "sinh", "arctan", "log10", "rint", "fix", "sign",
                                  "floor", "signbit"])
def test_integer_inputs_keep_numpys_dtype(name):
    x = np.array([-2, 0, 3], dtype=np.int64)
    got, want = getattr(tnp, name)(x), getattr(np, name)(x)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("name", sorted(BINARY) + NO_GRAD_BINARY)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_values_are_numpys(name, dtype):
    gx, gy = BINARY.get(name, (anyreal, away_from_zero))
    x, y = gx(2, 3).astype(dtype), gy(3).astype(dtype)
    if name.startswith("logical"):
        x, y = x > 0, y > 0
    want = getattr(np, name)(x, y)
    for got in (getattr(tnp, name)(x, y), getattr(np, name)(tnp.array(x), y), getattr(tnp, name)(tnp.array(x), 2.0)):
        assert got.dtype == want.dtype
    np.testing.assert_array_equal(getattr(tnp, name)(x, y).numpy(), want)
    np.testing.assert_array_equal(getattr(np, name)(tnp.array(x), tnp.array(y)).numpy(), want)


# ---- check_grads: reverse and forward mode, second order, broadcasting ----------------------------------------
@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_gradients(name, shape):
    check_grads(getattr(tnp, name), [UNARY[name](*shape)])


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_binary_gradients(name, shapes):
    gx, gy = BINARY[name]
    check_grads(getattr(tnp, name), [gx(*shapes[0]), gy(*shapes[1])])


def test_rows_through_numpys_protocol_record():
    x = tnp.array(unit(2, 3), requires_grad=True)
    y = np.sum(np.arcsin(x) + np.arctan2(x, 2.0) + np.hypot(x, 1.0) + np.logaddexp(x, 0.5) + np.sinc(x)
               + np.nan_to_num(x) + np.deg2rad(x) + np.fabs(x))
    y.backward()
    g = func.grad(lambda t: tnp.sum(tnp.arcsin(t) + tnp.arctan2(t, 2.0) + tnp.hypot(t, 1.0) + tnp.logaddexp(t, 0.5)
                                    + tnp.sinc(t) + tnp.nan_to_num(t) + tnp.deg2rad(t) + tnp.fabs(t)))(x.detach())
    np.testing.assert_allclose(x.grad.numpy(), g.numpy(), rtol=1e-12)


def test_sinc_at_zero_to_third_order():
    # sinc'(0) = 0, sinc''(0) = -π²/3, sinc'''(0) = 0: the formulas divide 0 by 0 there
    d1 = func.grad(tnp.sinc)
    d2 = func.grad(d1)
    d3 = func.grad(d2)
    assert float(d1(0.0)) == 0.0
    assert math.isclose(float(d2(0.0)), -math.pi ** 2 / 3, rel_tol=1e-14)
    assert float(d3(0.0)) == 0.0
    check_grads(tnp.sinc, [np.array([0.0, 1e-9, -0.3, 1.0, 2.5])])
    check_grads(func.grad(lambda x: tnp.sum(tnp.sinc(x))), [np.array([0.0, 0.5, -1.5])], order=2)


def test_nan_to_num_replacements_and_gradient():
    x = np.array([1.5, np.nan, np.inf, -np.inf])
    got = tnp.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0)
    np.testing.assert_array_equal(got.numpy(), np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0))
    t = tnp.array(x, requires_grad=True)
    tnp.sum(tnp.nan_to_num(t) * 2.0).backward()
    np.testing.assert_array_equal(t.grad.numpy(), [2.0, 0.0, 0.0, 0.0])
    f32 = tnp.nan_to_num(np.array([np.inf], np.float32))
    assert f32.dtype == np.float32 and f32.numpy()[0] == np.finfo(np.float32).max


# ---- functions without a gradient: recorded as constants, never an error ---------------------------------------
@pytest.mark.parametrize("name", NO_GRAD_UNARY)
def test_no_gradient_unary_is_a_constant(name):
    x = tnp.array(anyreal(2, 3) * 3, requires_grad=True)
    out = getattr(tnp, name)(x)
    assert not out.requires_grad and out.grad_fn is None
    assert not getattr(np, name)(x).requires_grad
    # d/dx sum(f(x) * x) = f(x): the product rule sees f(x) as a constant
    g = func.grad(lambda t: tnp.sum(getattr(tnp, name)(t).astype(t.dtype) * t))(x.detach())
    np.testing.assert_array_equal(g.numpy(), getattr(np, name)(x.detach().numpy()).astype(np.float64))
    assert float(func.grad(lambda t: tnp.sum(getattr(tnp, name)(t).astype(t.dtype)))(1.5)) == 0.0


@pytest.mark.parametrize("name", NO_GRAD_BINARY)
def test_no_gradient_binary_is_a_constant(name):
    x = tnp.array(anyreal(2, 3), requires_grad=True)
    y = tnp.array(away_from_zero(3), requires_grad=True)
    if name.startswith("logical"):
        out = getattr(tnp, name)(x > 0, y > 0)
    else:
        out = getattr(tnp, name)(x, y)
    assert not out.requires_grad and out.grad_fn is None
    assert float(func.grad(lambda a: tnp.sum(getattr(tnp, name)(a, 0.5).astype(a.dtype)))(1.0)) == 0.0


# ---- dtypes of Python numbers and lists: NumPy's, as in HIPS autograd ----------------------------------------
@pytest.mark.parametrize("name", ["mean", "var", "std", "sum", "prod", "max", "min", "nansum", "nanmean", "average",
                                  "ptp", "sinh", "log10", "cumsum"])
def test_python_floats_and_lists_are_float64(name):
    fn = getattr(tnp, name)
    for value in (3.0, [1.0, 2.5], [[1.0], [2.0]]):
        assert fn(value).dtype == np.float64, (name, value)


def test_norm_of_floats_and_lists_is_float64():
    assert tnp.linalg.norm(3.0).dtype == np.float64
    assert tnp.linalg.norm([3.0, 4.0]).dtype == np.float64
    assert float(tnp.linalg.norm([3.0, 4.0])) == 5.0


def test_transforms_keep_numpys_dtype_of_numbers():
    assert tn.grad(lambda x: x * x)(3.0).dtype == np.float64
    assert func.grad(lambda x: tnp.sin(x))(3.0).dtype == np.float64
    assert func.grad(lambda x: x * x)(np.float32(3.0)).dtype == np.float32
    assert func.grad(lambda x: x * x)(np.float64(3.0)).dtype == np.float64
    assert float(func.grad(func.grad(lambda x: x ** 3))(2.0)) == 12.0
    # the top level's creation functions keep PyTorch's float32
    assert tn.tensor(3.0).dtype == np.float32 and tn.tensor([1.0]).dtype == np.float32


def test_power_zero_exponent_second_derivative_is_zero():
    assert float(func.grad(func.grad(lambda x: x ** 0.0))(0.0)) == 0.0
    assert float(func.grad(func.grad(lambda x: x ** 0.0))(2.0)) == 0.0
    # an exponent that is a tensor holding 0: the same, without a NaN from the branch a where discards
    y = np.array([0.0, 2.0])
    g2 = func.grad(lambda x: tnp.sum(func.grad(lambda z: tnp.sum(z ** y))(x)))(np.zeros(2))
    np.testing.assert_array_equal(g2.numpy(), [0.0, 2.0])
    check_grads(lambda x: x ** 2.0, [np.array([0.0, 1.5])], order=2)


def test_out_is_refused_with_a_clear_error():
    x = tnp.array([1.0, 2.0])
    with pytest.raises(TypeError, match="out="):
        np.sinh(x, out=np.empty(2))


# ---- differential tests: HIPS autograd and JAX, values, gradients and Hessian-vector products -----------------
@pytest.fixture(scope="module")
def jax_x64():
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", prev)


def _theirs(lib: str, jax=None):
    """(numpy module, grad, hvp) of HIPS autograd or JAX."""
    if lib == "autograd":
        autograd = pytest.importorskip("autograd")
        anp = pytest.importorskip("autograd.numpy")

        def hvp(f, args, vs):
            inner = lambda *a: sum(anp.sum(g * v) for g, v in zip(autograd.grad(f, tuple(range(len(a))))(*a), vs))
            return autograd.grad(inner, tuple(range(len(args))))(*args)
        return anp, lambda f, args: autograd.grad(f, tuple(range(len(args))))(*args), hvp
    jnp = jax.numpy

    def hvp(f, args, vs):
        return jax.jvp(jax.grad(f, tuple(range(len(args)))), tuple(args), tuple(vs))[1]
    return jnp, lambda f, args: jax.grad(f, tuple(range(len(args))))(*args), hvp


def _ours_hvp(f, args, vs):
    inner = lambda *a: sum(tnp.sum(g * v) for g, v in zip(func.grad(f, tuple(range(len(a))))(*a), vs))
    return func.grad(inner, tuple(range(len(args))))(*args)


def _compare(name, args, lib, jax_x64):
    if lib == "autograd" and name in NOT_IN_AUTOGRAD:
        pytest.skip(f"HIPS autograd has no derivative for {name}")
    theirs_np, theirs_grad, theirs_hvp = _theirs(lib, jax_x64 if lib == "jax" else None)
    w = rng.standard_normal(np.broadcast_shapes(*[np.shape(a) for a in args]))
    vs = [rng.standard_normal(np.shape(a)) for a in args]
    ours = lambda *a: tnp.sum(getattr(tnp, name)(*a) * w)
    theirs = lambda *a: theirs_np.sum(getattr(theirs_np, name)(*a) * w)
    np.testing.assert_allclose(getattr(tnp, name)(*args).numpy(), np.asarray(getattr(theirs_np, name)(*args)),
                               rtol=1e-13, atol=1e-300)
    for got, want in zip(func.grad(ours, tuple(range(len(args))))(*args), theirs_grad(theirs, args)):
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-10, atol=1e-12, err_msg=f"{name} grad")
    for got, want in zip(_ours_hvp(ours, args, vs), theirs_hvp(theirs, args, vs)):
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-9, atol=1e-11, err_msg=f"{name} hvp")


@pytest.mark.parametrize("lib", ["autograd", "jax"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_autograd_and_jax(name, lib, jax_x64):
    _compare(name, [UNARY[name](2, 3)], lib, jax_x64)


@pytest.mark.parametrize("lib", ["autograd", "jax"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_against_autograd_and_jax(name, lib, jax_x64):
    gx, gy = BINARY[name]
    _compare(name, [gx(2, 3), gy(3)], lib, jax_x64)


def test_fmod_quotient_is_truncated_as_jaxs(jax_x64):
    # fmod keeps x's sign: d/dy fmod(x, y) = -trunc(x / y), which differs from remainder's -floor(x / y)
    x, y = np.array([-7.0, 7.0, -7.0]), np.array([2.0, -2.0, -2.0])
    gy = func.grad(lambda b: tnp.sum(tnp.fmod(x, b)))(y)
    np.testing.assert_array_equal(gy.numpy(), -np.trunc(x / y))
    want = jax_x64.grad(lambda b: jax_x64.numpy.sum(jax_x64.numpy.fmod(x, b)))(y)
    np.testing.assert_array_equal(gy.numpy(), np.asarray(want))


@pytest.mark.parametrize("lib", ["autograd", "jax"])
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "sign", "trunc", "rint"])
def test_no_gradient_functions_against_autograd_and_jax(name, lib, jax_x64):
    theirs_np, theirs_grad, _ = _theirs(lib, jax_x64 if lib == "jax" else None)
    x = anyreal(2, 3) * 3
    ours = func.grad(lambda t: tnp.sum(getattr(tnp, name)(t) * t))(x)
    (want,) = theirs_grad(lambda t: theirs_np.sum(getattr(theirs_np, name)(t) * t), [x])
    np.testing.assert_array_equal(ours.numpy(), np.asarray(want))
