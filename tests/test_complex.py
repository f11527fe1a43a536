"""Complex numbers, in JAX's and HIPS autograd's convention: the gradient of a real f of z = x + iy is
df/dx - i df/dy, holomorphic rules carry no conjugation, ``holomorphic_grad`` gives f'(z).

Checked numerically (``check_grads`` perturbs real and imaginary parts, reverse and forward mode, to second order)
and against HIPS autograd and JAX where they are installed (those tests skip without them).
"""

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan import _rules
from turunan.func import grad, holomorphic_grad, jvp, vjp
from turunan.testing import check_grads

RNG = np.random.default_rng(7)


def C(*shape):
    """A random complex array away from 0 (log, sqrt, angle and abs are smooth there)."""
    return RNG.uniform(0.5, 1.5, shape) * np.exp(1j * RNG.uniform(-2.5, 2.5, shape))


def R(*shape):
    return RNG.uniform(0.5, 1.5, shape)


# ---- the convention, at the points the brief names -------------------------------------------------------------
def test_gradient_of_a_real_function_of_z_is_df_dx_minus_i_df_dy():
    assert complex(grad(lambda z: tn.abs(z) ** 2)(tn.tensor(1 + 1j)).item()) == 2 - 2j
    assert complex(grad(lambda z: tnp.real(z * z))(tn.tensor(1 + 2j)).item()) == 2 + 4j
    z = tn.tensor(np.array([1 + 1j, 2 - 1j]), requires_grad=True)
    (tn.abs(z) ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.data, 2 * np.conj(z.data))


def test_holomorphic_grad_is_the_complex_derivative_to_any_order():
    z = tn.tensor(0.3 + 0.7j)
    assert np.isclose(holomorphic_grad(lambda z: z * z)(tn.tensor(1 + 2j)).item(), 2 + 4j)
    assert np.isclose(tn.grad(lambda z: tn.exp(z) * z, holomorphic=True)(z).item(), np.exp(z.item()) * (1 + z.item()))
    d2 = holomorphic_grad(holomorphic_grad(lambda z: z ** 3))
    assert np.isclose(d2(z).item(), 6 * z.item())
    d3 = tn.holomorphic_grad(tn.holomorphic_grad(tn.holomorphic_grad(tn.sin)))
    assert np.isclose(d3(z).item(), -np.cos(z.item()))


# ---- check_grads over the rows, with complex inputs -------------------------------------------------------------
HOLOMORPHIC_UNARY = {
    "sin": tn.sin, "cos": tn.cos, "tan": tn.tan, "tanh": tn.tanh, "exp": tn.exp, "expm1": tn.expm1,
    "log": tn.log, "log1p": tn.log1p, "sqrt": tn.sqrt, "square": tn.square, "sigmoid": tn.sigmoid,
    "negative": tn.negative, "reciprocal": tn.reciprocal, "log2": tn.log2, "exp2": tn.exp2,
    "cumsum": lambda z: tn.cumsum(z, 1), "cumprod": lambda z: tn.cumprod(z, 1),
    "sum": lambda z: z.sum(axis=0), "mean": lambda z: z.mean(), "prod": lambda z: z.prod(axis=1),
    "reshape": lambda z: z.reshape(3, 2), "transpose": lambda z: z.T, "flip": lambda z: tn.flip(z, 0),
    "basic index": lambda z: z[1, ::2], "advanced index": lambda z: z[np.array([0, 1, 0])],
    "broadcast_to": lambda z: tn.broadcast_to(z[0], (4, 3)), "concatenate": lambda z: tn.concatenate([z, z * 2]),
    "logsumexp": lambda z: tn.logsumexp(z, axis=1), "power int": lambda z: z ** 3,
}


@pytest.mark.parametrize("name", sorted(HOLOMORPHIC_UNARY))
def test_holomorphic_rows_on_complex_inputs(name):
    check_grads(HOLOMORPHIC_UNARY[name], [C(2, 3)])


BINARY = {"add": tn.add, "subtract": tn.subtract, "multiply": tn.multiply, "divide": tn.divide,
          "power": tn.power, "where": lambda a, b: tn.where(np.array([True, False, True]), a, b)}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((1, 3), (2, 3)), ((), (2, 3))])
@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
def test_binary_rows_with_broadcasting_and_mixed_real_complex(name, shapes, kinds):
    a, b = ((C if k == "c" else R)(*s) for k, s in zip(kinds, shapes))
    check_grads(BINARY[name], [a, b])


@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
def test_matmul_and_einsum(kinds):
    a, b = ((C if k == "c" else R)(*s) for k, s in zip(kinds, [(2, 3), (3, 4)]))
    check_grads(tn.matmul, [a, b])
    check_grads(lambda a, b: tn.einsum("ij,jk->ik", a, b), [a, b])


NON_HOLOMORPHIC = {
    "abs": tn.abs, "real": tnp.real, "imag": tnp.imag, "conj": tnp.conj, "conjugate": tnp.conjugate,
    "angle": tnp.angle, "angle deg": lambda z: tnp.angle(z, deg=True), "norm": lambda z: tn.norm(z),
    "norm axis": lambda z: tn.norm(z, axis=1), "abs squared": lambda z: tn.abs(z) ** 2,
    "to float64 (the real part)": lambda z: tn.astype(z, np.float64),
    "np.real": np.real, "np.imag": np.imag, "np.conj": np.conj, "np.angle": np.angle, "np.abs": np.abs,
    "z conj z": lambda z: z * tnp.conj(z), "mixed": lambda z: tnp.real(z) * tnp.imag(z) + tn.exp(tnp.conj(z)),
}


@pytest.mark.filterwarnings("ignore:Casting complex values to real")    # NumPy's, for the explicit cast's value
@pytest.mark.parametrize("name", sorted(NON_HOLOMORPHIC))
def test_non_holomorphic_rows(name):
    check_grads(NON_HOLOMORPHIC[name], [C(2, 3)])


def test_non_holomorphic_rows_on_real_inputs_have_real_or_zero_derivatives():
    for f in (tnp.real, tnp.imag, tnp.conj, tnp.angle, lambda x: tnp.angle(x - 1.0)):
        check_grads(f, [R(2, 3)])
    # a function of imag(x) differentiates to 0, not to an error
    np.testing.assert_array_equal(grad(lambda x: tnp.imag(x).sum())(tn.tensor(R(3))).data, np.zeros(3))


@pytest.mark.parametrize("program", [
    lambda x: tn.abs(tn.exp(1j * x) * x).sum(),
    lambda x: tnp.real(tn.astype(x, np.complex128) ** 2 * (1 - 2j)).sum(),
    lambda x: tnp.imag(tn.log(x + 1j)).sum() + tnp.angle(x * (1 + 1j) - 0.5).sum(),
    lambda x: tn.norm(tn.matmul(x.reshape(2, 3).astype(np.complex128), np.exp(1j * np.arange(12.0)).reshape(3, 4))),
])
def test_real_parameter_complex_intermediate_real_loss(program):
    check_grads(program, [R(6)])
    x = tn.tensor(R(6), requires_grad=True)
    program(x).backward()
    assert x.grad.dtype == np.float64      # a real leaf's gradient is real: the real part, taken by the engine


def test_complex_parameter_through_real_and_complex_ops():
    check_grads(lambda z, w: (tn.abs(z * w) + tnp.real(z / w)).sum(), [C(2, 3), C(3)])
    check_grads(lambda z, x: tnp.imag(tn.sin(z) * x).sum(), [C(3), R(2, 3)])


def test_second_order_on_complex_paths():
    check_grads(lambda z: tn.abs(tn.exp(z) - z) ** 3, [C(4)], order=3)
    z = tn.tensor(C(3))
    g = grad(lambda z: (tn.abs(z) ** 2).sum())
    # the gradient 2 conj(z) is itself a function of z: its real part's gradient is 2 (d Re(2 x - 2i y)/dx)
    np.testing.assert_allclose(grad(lambda z: tnp.real(g(z)).sum())(z).data, 2.0 + 0j)


def test_check_grads_catches_a_conjugated_rule():
    bad = tn.defprim("bad_exp", np.exp, [lambda g, ans, x: g * np.conj(ans)], _rules.ELEMENTWISE)
    check_grads(lambda x: bad(x), [R(3)])        # right on real inputs ...
    with pytest.raises(AssertionError, match="derivative check failed"):
        check_grads(lambda z: bad(z), [C(3)])    # ... wrong on complex ones, and caught
    del _rules.TABLE["bad_exp"]


# ---- forward mode: complex tangents ----------------------------------------------------------------------------
def test_jvp_with_complex_tangents():
    z, v = C(3), C(3)
    out, t = jvp(lambda z: tn.exp(z) * z, (tn.tensor(z),), (tn.tensor(v),))
    np.testing.assert_allclose(t.data, np.exp(z) * (1 + z) * v)
    _, t = jvp(lambda z: tn.abs(z), (tn.tensor(z),), (tn.tensor(v),))
    np.testing.assert_allclose(t.data, np.real(np.conj(z) * v) / np.abs(z))
    assert t.dtype == np.float64
    _, t = jvp(lambda z: tn.abs(z), (tn.tensor(z),), (tn.tensor(np.real(v)),))    # a real tangent of a complex primal
    np.testing.assert_allclose(t.data, np.real(np.conj(z) * np.real(v)) / np.abs(z))


def test_vjp_of_a_complex_output_takes_complex_cotangents():
    z, u = C(3), C(3)
    out, pull = vjp(lambda z: z * z, tn.tensor(z))
    np.testing.assert_allclose(pull(tn.tensor(u))[0].data, u * 2 * z)
    w = tn.tensor(z, requires_grad=True)
    (w * w).backward(tn.tensor(u))
    np.testing.assert_allclose(w.grad.data, u * 2 * z)


# ---- the engine's bookkeeping -----------------------------------------------------------------------------------
def test_real_leaf_broadcast_into_a_complex_result_gets_a_real_summed_gradient():
    x = tn.tensor(R(3), requires_grad=True)
    w = tn.tensor(C(2, 3))
    tn.abs(x * w).sum().backward()
    want = np.real(np.conj(x.data * w.data) / np.abs(x.data * w.data) * w.data).sum(axis=0)
    assert x.grad.dtype == np.float64 and x.grad.shape == (3,)
    np.testing.assert_allclose(x.grad.data, want)
    tn.abs(x * w).sum().backward()          # accumulates in place, still real
    np.testing.assert_allclose(x.grad.data, 2 * want)


def test_complex_leaf_gradients_accumulate_and_create_graph_works():
    z = tn.tensor(C(3), requires_grad=True)
    (tn.abs(z) ** 2).sum().backward()
    (tnp.real(z)).sum().backward()          # a real cotangent into a complex leaf's buffer
    np.testing.assert_allclose(z.grad.data, 2 * np.conj(z.data) + 1)
    (g,) = tn.autograd.grad((tn.abs(z) ** 2).sum(), [z], create_graph=True)
    (gg,) = tn.autograd.grad(tnp.imag(g).sum(), [z])       # Im(2 conj z) = -2y: gradient 0 - i(-2) = 2i
    np.testing.assert_allclose(gg.data, 2j)


def test_a_real_to_complex_cast_gives_the_real_part_without_a_warning(recwarn):
    x = tn.tensor(R(3), requires_grad=True)
    (tnp.imag(tn.astype(x, np.complex128) * 1j)).sum().backward()
    np.testing.assert_allclose(x.grad.data, 1.0)
    _, t = jvp(lambda x: tnp.real(tn.astype(x, np.complex128) * (1 + 1j)), (tn.tensor(R(3)),), (tn.ones(3).double(),))
    np.testing.assert_allclose(t.data, 1.0)
    assert not [w for w in recwarn if "Complex" in type(w.message).__name__]


# ---- errors --------------------------------------------------------------------------------------------------------
def test_a_complex_output_needs_holomorphic_or_a_head_gradient():
    z = tn.tensor(C(2), requires_grad=True)
    for call in (lambda: (z * z).sum().backward(), lambda: tn.autograd.grad((z * z).sum(), [z]),
                 lambda: grad(lambda z: (z * z).sum())(tn.tensor(C(2)))):
        with pytest.raises(TypeError, match="grad requires a real-valued output.*holomorphic_grad.*real/abs"):
            call()


def test_holomorphic_grad_refuses_real_inputs_and_real_outputs():
    with pytest.raises(TypeError, match="requires complex inputs"):
        holomorphic_grad(lambda x: x * 1j)(tn.tensor(1.0))
    with pytest.raises(TypeError, match="requires a complex output"):
        holomorphic_grad(tn.abs)(tn.tensor(1j))


def test_complex_head_gradients_and_tangents_of_real_values_are_refused():
    x = tn.tensor(R(2), requires_grad=True)
    with pytest.raises(TypeError, match="complex"):
        (x * 2).backward(tn.tensor(C(2)))
    with pytest.raises(TypeError, match="tangent of a real primal"):
        jvp(lambda x: x * 2, (tn.tensor(R(2)),), (tn.tensor(C(2)),))


@pytest.mark.parametrize("op", [lambda z: tn.maximum(z, 0.5), lambda z: tn.minimum(z, 0.5), tn.relu,
                                lambda z: z.max(), lambda z: tn.clip(z, 0.1, 0.9)])
def test_order_based_rules_refuse_complex_input_instead_of_a_wrong_number(op):
    z = tn.tensor(C(3), requires_grad=True)
    with pytest.raises(TypeError, match="complex numbers are not ordered"):
        tn.abs(op(z)).sum().backward()
    with pytest.raises(TypeError, match="complex numbers are not ordered"):
        jvp(lambda z: tn.abs(op(z)), (tn.tensor(C(3)),), (tn.tensor(C(3)),))


@pytest.mark.parametrize("op", [lambda w, z: tn.maximum(z, w), lambda w, z: tn.minimum(z, w),
                                lambda w, z: tn.clip(z, w, 2.0), lambda w, z: tn.clip(z, -2.0, w)])
def test_order_based_rules_refuse_a_complex_operand_of_the_other_input(op):
    w = tn.tensor(C(3), requires_grad=True)     # only the second operand (or a bound) requires grad
    with pytest.raises(TypeError, match="complex numbers are not ordered"):
        tn.abs(op(w, tn.tensor(C(3)))).sum().backward()


def test_real_basis_jacobians_refuse_complex_and_the_pytorch_door_refuses_complex_leaves():
    with pytest.raises(TypeError, match="jacfwd requires real-valued inputs"):
        tn.func.jacfwd(lambda z: tn.abs(z))(tn.tensor(C(2)))
    with pytest.raises(TypeError, match="jacrev requires real-valued outputs"):
        tn.func.jacrev(lambda z: z * 2)(tn.tensor(C(2)))
    np.testing.assert_allclose(tn.func.jacrev(tn.abs)(tn.tensor(C(2))).data.shape, (2, 2))
    import turunan.torch as torch
    with pytest.raises(TypeError, match="complex"):
        torch.tensor([1 + 1j], requires_grad=True)      # PyTorch's convention conjugates: refused, not wrong


# ---- against HIPS autograd and JAX ------------------------------------------------------------------------------
@pytest.fixture
def anp():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    return autograd, anp


@pytest.fixture
def jx():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax, jnp
    jax.config.update("jax_enable_x64", prev)


# real-valued programs of complex z, written once against a NumPy-like namespace
PROGRAMS = [
    lambda np_, z: np_.sum(np_.abs(np_.exp(z) * z - np_.sin(z))),
    lambda np_, z: np_.sum(np_.real(z * z * np_.conj(z)) + np_.imag(np_.log(z)) * np_.angle(z)),
    lambda np_, z: np_.sum(np_.abs(np_.tanh(z) / (z + 2.0)) ** 2),
    lambda np_, z: np_.real(np_.sum(np_.sqrt(z) * np_.cos(np_.conj(z))) ** 2),
]
HOLO = [lambda np_, z: np_.sum(np_.exp(z) * z ** 3 - np_.sin(z) / (z + 2.0)),
        lambda np_, z: np_.sum(np_.sqrt(z) * np_.log(z) + np_.tanh(z) ** 2)]


@pytest.mark.parametrize("k", range(len(PROGRAMS)))
def test_gradients_match_hips_autograd_and_jax(k, anp, jx):
    (autograd, a_np), (jax, jnp) = anp, jx
    f = PROGRAMS[k]
    for _ in range(3):
        z = C(4)
        ours = tn.grad(lambda t: f(tnp, t))(tn.tensor(z))
        np.testing.assert_allclose(f(tnp, tn.tensor(z)).item(), f(np, z), rtol=1e-12)
        np.testing.assert_allclose(ours.data, autograd.grad(lambda t: f(a_np, t))(z), rtol=1e-10)
        np.testing.assert_allclose(ours.data, np.asarray(jax.grad(lambda t: f(jnp, t))(jnp.asarray(z))), rtol=1e-10)


@pytest.mark.parametrize("k", range(len(HOLO)))
def test_holomorphic_gradients_match_jax(k, anp, jx):
    (autograd, a_np), (jax, jnp) = anp, jx
    f = HOLO[k]
    z = C(1)[0]
    ours = holomorphic_grad(lambda t: f(tnp, t))(tn.tensor(z)).item()
    assert np.isclose(ours, complex(jax.grad(lambda t: f(jnp, t), holomorphic=True)(jnp.asarray(z))), rtol=1e-10)
    assert np.isclose(ours, autograd.holomorphic_grad(lambda t: f(a_np, t))(z), rtol=1e-10)


def test_hessian_vector_products_through_complex_intermediates_match_jax(jx):
    jax, jnp = jx
    f = lambda np_, x: np_.sum(np_.abs(np_.exp(1j * x) * x + np_.sin(x * (1 + 2j))) ** 2)    # noqa: E731
    x, v = R(5), RNG.standard_normal(5)
    ours = tn.func.hvp(lambda t: f(tnp, t), (tn.tensor(x),), (tn.tensor(v),))
    want = jax.jvp(jax.grad(lambda t: f(jnp, t)), (jnp.asarray(x),), (jnp.asarray(v),))[1]
    np.testing.assert_allclose(np.asarray(ours.data if hasattr(ours, "data") else ours[0].data), want, rtol=1e-9)


def test_jvp_with_complex_tangents_matches_jax(jx):
    jax, jnp = jx
    for f in (lambda np_, z: np_.abs(np_.exp(z) * z), lambda np_, z: np_.conj(z) * np_.sin(z),
              lambda np_, z: np_.angle(z) + np_.real(z) * np_.imag(z)):
        z, v = C(3), C(3)
        _, ours = jvp(lambda t: f(tnp, t), (tn.tensor(z),), (tn.tensor(v),))
        want = jax.jvp(lambda t: f(jnp, t), (jnp.asarray(z),), (jnp.asarray(v),))[1]
        np.testing.assert_allclose(ours.data, np.asarray(want), rtol=1e-10, atol=1e-12)


def test_tensor_attributes_and_numpy_functions_record_the_rows():
    z = tn.tensor(np.array([1 + 2j, -3 + 0.5j]), requires_grad=True)
    (z.real * z.imag + z.conj().real + z.angle() + np.angle(z, deg=True) / 90).sum().backward()
    x, y = z.data.real, z.data.imag
    d_angle_dx, d_angle_dy = -y / (x * x + y * y), x / (x * x + y * y)
    want = (y + 1 + d_angle_dx * (1 + 2 / np.pi)) - 1j * (x + d_angle_dy * (1 + 2 / np.pi))
    np.testing.assert_allclose(z.grad.data, want)
    r = tn.tensor([1.0, 2.0])
    assert r.real is r and np.real(r).dtype == np.float32 and z.conjugate().grad_fn.name == "ConjBackward0"


def test_front_door_tensors_go_through_complex_intermediates():
    # a door's tensor answers .dtype with its framework's object: the rules read the array's own
    import turunan.torch as torch
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    (torch.abs(x * (1 + 1j)) * x).sum().backward()      # real leaves: PyTorch's numbers too
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.sqrt(2) * np.abs(x.detach().numpy()), rtol=1e-6)
    (g,) = torch.autograd.grad(tn.numpy.real(tn.exp(x * 1j)).sum(), [x], create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), -np.cos(x.detach().numpy()), rtol=1e-6)


def test_vmap_and_hessian_through_complex_values():
    z = C(3)
    np.testing.assert_allclose(tn.vmap(grad(lambda z: tn.abs(z) ** 2))(tn.tensor(z)).data, 2 * np.conj(z))
    x = R(3)
    np.testing.assert_allclose(tn.vmap(grad(lambda x: tnp.imag(tn.exp(1j * x))))(tn.tensor(x)).data, np.cos(x))
    h = tn.func.hessian(lambda x: (tn.abs(tn.exp(1j * x) * x) ** 2).sum())(tn.tensor(x))     # |x|² in disguise
    np.testing.assert_allclose(h.data, 2 * np.eye(3), atol=1e-12)


@pytest.mark.parametrize("name, ours, theirs", [
    ("var", lambda z: tn.var(z), np.var), ("var axis ddof", lambda z: tnp.var(z, axis=1, ddof=1),
                                           lambda z: np.var(z, axis=1, ddof=1)),
    ("var where", lambda z: tnp.var(z, where=np.array([True, False, True])),
     lambda z: np.var(z, where=np.array([True, False, True]))),
    ("std", lambda z: tnp.std(z, axis=0), lambda z: np.std(z, axis=0)),
    ("vdot", lambda z: tnp.vdot(z, z[::-1] * 2), lambda z: np.vdot(z, z[::-1] * 2)),
    ("vecdot", lambda z: tnp.linalg.vecdot(z, z[::-1] * 2), lambda z: np.linalg.vecdot(z, z[::-1] * 2))])
def test_reductions_of_complex_values_are_numpys(name, ours, theirs):
    z = C(2, 3)
    got = ours(tn.tensor(z))
    np.testing.assert_allclose(got.data, theirs(z), rtol=1e-12)
    assert got.dtype == np.asarray(theirs(z)).dtype      # a variance of complex values is real, as NumPy's
    check_grads(ours, [z])
