"""turunan.numpy.fft: values equal NumPy's, derivatives to second order (check_grads), against JAX and HIPS
autograd (gradients and Hessian-vector products of real losses), the rows' reverse rules on complex cotangents
against JAX's transposes, vmap, NumPy's dispatch on Tensors, and the error paths."""

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan import _rules_fft
from turunan.func import grad, hvp
from turunan.testing import check_grads

rng = np.random.default_rng(12)
NORMS = (None, "ortho", "forward")


def N(*shape):
    return rng.standard_normal(shape)


def C(*shape):
    return N(*shape) + 1j * N(*shape)


# name -> calls (args after the input, as keywords); the input is real for the r2c ones, complex for the others
CALLS = {
    "fft": [{}, {"n": 7, "axis": 0}, {"n": 2}],
    "ifft": [{}, {"n": 6, "axis": 0}, {"n": 3, "axis": -1}],
    "fft2": [{}, {"s": (3, 7)}, {"axes": (0, 2)}],
    "ifft2": [{}, {"s": (2, 5), "axes": (2, 1)}],
    "fftn": [{}, {"s": (5, 3), "axes": (1, 2)}, {"axes": (2, 0)}, {"s": (2, 3, 6), "axes": (0, 1, 2)}],
    "ifftn": [{}, {"s": (3,), "axes": (1,)}],
    "rfft": [{}, {"n": 8}, {"n": 3, "axis": 1}],
    "irfft": [{}, {"n": 9}, {"n": 4, "axis": 1}],
    "rfft2": [{}, {"s": (5, 6)}, {"axes": (2, 0)}],
    "irfft2": [{}, {"s": (3, 7)}, {"axes": (2, 0)}],
    "rfftn": [{}, {"s": (4, 5), "axes": (1, 2)}],
    "irfftn": [{}, {"s": (4, 3), "axes": (0, 2)}],
    "hfft": [{}, {"n": 5}, {"n": 8, "axis": 0}],
    "ihfft": [{}, {"n": 7}, {"n": 3, "axis": 1}],
    "fftshift": [{}, {"axes": 1}, {"axes": (0, 2)}],
    "ifftshift": [{}, {"axes": -1}],
}
REAL_INPUT = {"rfft", "rfft2", "rfftn", "ihfft"}
SHAPE = (3, 4, 5)


def _input(name, shape=SHAPE):
    return N(*shape) if name in REAL_INPUT or name.endswith("shift") else C(*shape)


def _cases():
    return [(name, kw, norm) for name, kws in CALLS.items() for kw in kws
            for norm in (NORMS if not name.endswith("shift") else (None,))]


def _few_cases():
    """One norm per call, the norms taking turns (the slower comparisons with JAX: each call compiles there)."""
    calls = [(name, kw) for name, kws in CALLS.items() for kw in kws]
    return [(name, kw, None if name.endswith("shift") else NORMS[i % 3]) for i, (name, kw) in enumerate(calls)]


def _kw(name, kw, norm):
    return dict(kw) if name.endswith("shift") else {**kw, "norm": norm}


@pytest.mark.parametrize("name,kw,norm", _cases())
def test_values_equal_numpy(name, kw, norm):
    a = _input(name)
    want = getattr(np.fft, name)(a, **_kw(name, kw, norm))
    got = getattr(tnp.fft, name)(tn.tensor(a), **_kw(name, kw, norm))
    assert isinstance(got, tn.Tensor) and got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    # numpy.fft's own function on a Tensor is recorded by the same row (NumPy's __array_function__)
    through_numpy = getattr(np.fft, name)(tn.tensor(a, requires_grad=name in REAL_INPUT), **_kw(name, kw, norm))
    assert isinstance(through_numpy, tn.Tensor)
    np.testing.assert_allclose(through_numpy.detach().numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:`axes` should not be `None`:DeprecationWarning")   # NumPy's, for s alone
@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
def test_s_alone_transforms_the_last_axes(name):
    """NumPy 2's behaviour today (deprecated there): s without axes names the last len(s) axes."""
    a = _input(name)
    want = getattr(np.fft, name)(a, s=(4, 3))
    np.testing.assert_allclose(getattr(tnp.fft, name)(tn.tensor(a), s=(4, 3)).numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "fftn", "ihfft", "hfft", "fftshift"])
def test_single_precision_stays_single(name):
    a = _input(name).astype(np.complex64 if _input(name).dtype.kind == "c" else np.float32)
    want = getattr(np.fft, name)(a)
    got = getattr(tnp.fft, name)(tn.tensor(a))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_numpy_fft_on_a_tensor_is_recorded():
    x = tn.tensor(N(6), requires_grad=True)
    y = np.fft.irfft(np.fft.rfft(x) * np.fft.rfft(np.arange(6.0)), 6)    # a circular convolution
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(6, np.arange(6.0).sum()), rtol=1e-12)


# ---- derivatives: real losses of complex intermediates ------------------------------------------------------
def probe(z, axis=-1):
    """A real function of complex ``z`` that sees every real and imaginary part: ``irfft`` of ``z`` with zero bins
    around it (irfft ignores the imaginary parts of bin 0 and of an even length's last bin, which are the zeros)."""
    if np.dtype(z.dtype).kind != "c":
        return z
    pad = list(z.shape)
    pad[axis] = 1
    zero = np.zeros(pad, z.dtype)
    return tnp.fft.irfft(tnp.concatenate([zero, z, zero], axis=axis), 2 * (z.shape[axis] + 1), axis=axis)


def _complex_of(x, y, name):
    """The transform's input from two real leaves: complex for the complex transforms, a real product otherwise."""
    return x * y if name in REAL_INPUT or name.endswith("shift") else x + 1j * y


@pytest.mark.parametrize("name,kw,norm", _cases())
def test_gradients_to_second_order(name, kw, norm):
    shape = (2, 3, 4)

    def f(x, y):
        return probe(getattr(tnp.fft, name)(_complex_of(x, y, name), **_kw(name, kw, norm)))
    check_grads(f, [N(*shape), N(*shape)], order=2)


@pytest.mark.parametrize("name,kw,norm", _cases())
def test_complex_inputs_and_outputs_to_second_order(name, kw, norm):
    """The transforms themselves (complex in, complex out), checked along complex directions."""
    check_grads(lambda a: getattr(tnp.fft, name)(a, **_kw(name, kw, norm)), [_input(name, (2, 3, 4))], order=2)


@pytest.mark.parametrize("shape,axis", [((5,), -1), ((4,), 0), ((3, 2), 0), ((1, 6), 1)])
def test_gradients_over_shapes(shape, axis):
    for name in ("fft", "rfft", "irfft", "hfft", "ihfft"):
        def f(x, y, name=name):
            return probe(getattr(tnp.fft, name)(_complex_of(x, y, name), axis=axis), axis)
        check_grads(f, [N(*shape), N(*shape)], order=2)


def test_parseval():
    """sum |fft(x)|² = n sum x²: the gradient is 2 n x (a real parameter, a complex intermediate, a real loss)."""
    x = tn.tensor(N(8), requires_grad=True)
    (tnp.abs(tnp.fft.fft(x)) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 8 * x.detach().numpy(), rtol=1e-12)


# ---- against JAX and HIPS autograd --------------------------------------------------------------------------
def _loss(fft_ns, concat, tanh, name, kw, norm):
    """One real loss in any NumPy-like namespace: tanh of the probe of the transform of x ∘ w (complex: x + i w)."""
    def probe_in(z):
        if np.dtype(z.dtype).kind != "c":
            return z
        zero = np.zeros(z.shape[:-1] + (1,), z.dtype)
        return fft_ns.irfft(concat([zero, z, zero], axis=-1), 2 * (z.shape[-1] + 1))

    def loss(x, w):
        z = x * w if name in REAL_INPUT or name.endswith("shift") else x + 1j * w
        return tanh(probe_in(getattr(fft_ns, name)(z, **_kw(name, kw, norm)))).sum()
    return loss


@pytest.fixture
def jax():
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", prev)


@pytest.mark.parametrize("name,kw,norm", _few_cases())
def test_gradients_and_hvp_equal_jax(jax, name, kw, norm):
    jnp = jax.numpy
    x, w, v = N(*SHAPE), N(*SHAPE), N(*SHAPE)
    mine = _loss(tnp.fft, tnp.concatenate, tnp.tanh, name, kw, norm)
    theirs = _loss(jnp.fft, jnp.concatenate, jnp.tanh, name, kw, norm)
    np.testing.assert_allclose(float(mine(tn.tensor(x), w)), float(theirs(x, w)), rtol=1e-10)
    np.testing.assert_allclose(grad(mine)(tn.tensor(x), w).numpy(), np.asarray(jax.grad(theirs)(x, w)),
                               rtol=1e-9, atol=1e-12)
    want_hv = jax.jvp(lambda x: jax.grad(theirs)(x, w), (x,), (v,))[1]
    got_hv = hvp(lambda x: mine(x, w), (tn.tensor(x),), (tn.tensor(v),))
    np.testing.assert_allclose(got_hv.numpy(), np.asarray(want_hv),
                               rtol=1e-9, atol=1e-12)


def _complex_loss(ns, name, kw, norm):
    """A real loss of the transform of complex z (of real z for the real-input ones), in namespace ``ns``."""
    def loss(z):
        out = getattr(ns.fft, name)(z, **_kw(name, kw, norm))
        return (ns.tanh(ns.real(out)) + ns.sin(ns.imag(out))).sum()
    return loss


@pytest.mark.parametrize("name,kw,norm", _few_cases())
def test_gradients_of_complex_inputs_equal_jax(jax, name, kw, norm):
    """JAX's convention for a real loss of a complex input: the gradient is df/dx - i df/dy."""
    z = _input(name)
    got = grad(_complex_loss(tnp, name, kw, norm))(tn.tensor(z)).numpy()
    want = np.asarray(jax.grad(_complex_loss(jax.numpy, name, kw, norm))(z))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


# HIPS autograd differentiates rfft/irfft only along even lengths, and has no hfft/ihfft. Its real transforms'
# gradients with norm="forward" (newer than its rules) are off by the length n: JAX and check_grads agree with ours
_AUTOGRAD_REAL = ("rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn")
AUTOGRAD_CASES = [c for c in _cases() if c[0] not in ("hfft", "ihfft") and not (
    c[0] in _AUTOGRAD_REAL and (c[1] or c[2] == "forward"))]


@pytest.mark.parametrize("name,kw,norm", AUTOGRAD_CASES)
def test_gradients_equal_hips_autograd(name, kw, norm):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    shape = (2, 4, 6)
    x, w = N(*shape), N(*shape)
    mine = _loss(tnp.fft, tnp.concatenate, tnp.tanh, name, kw, norm)
    theirs = _loss(anp.fft, anp.concatenate, anp.tanh, name, kw, norm)
    np.testing.assert_allclose(grad(mine)(tn.tensor(x), w).numpy(), autograd.grad(theirs)(x, w),
                               rtol=1e-9, atol=1e-12)
    z = _input(name, shape)      # complex inputs: the same convention
    np.testing.assert_allclose(grad(_complex_loss(tnp, name, kw, norm))(tn.tensor(z)).numpy(),
                               autograd.grad(_complex_loss(anp, name, kw, norm))(z), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("row,params,shape,real", [
    ("fft", {"s": (3, 6), "axes": (1, 0), "norm": "ortho", "inverse": False}, (4, 5), False),
    ("fft", {"s": (7,), "axes": (0,), "norm": "backward", "inverse": True}, (4, 5), False),
    ("rfft", {"s": (3, 8), "axes": (0, 1), "norm": "forward"}, (4, 5), True),
    ("irfft", {"s": (2, 7), "axes": (1, 0), "norm": "backward"}, (4, 5), False),
    ("irfft", {"s": (6,), "axes": (1,), "norm": "ortho"}, (4, 5), False),
])
def test_reverse_rules_are_jax_transposes(jax, row, params, shape, real):
    """Each row's reverse rule on a complex cotangent is JAX's vjp (for a real input: its real part)."""
    jnp = jax.numpy
    x = N(*shape) if real else C(*shape)
    prim = _rules_fft.TABLE[row] if hasattr(_rules_fft, "TABLE") else getattr(_rules_fft, row)
    ans = prim.fwd(x, **params)
    g = C(*ans.shape) if ans.dtype.kind == "c" else N(*ans.shape)
    fn = {"fft": lambda z: (jnp.fft.ifftn if params.get("inverse") else jnp.fft.fftn)(
              z, s=params["s"], axes=params["axes"], norm=params["norm"]),
          "rfft": lambda z: jnp.fft.rfftn(z, s=params["s"], axes=params["axes"], norm=params["norm"]),
          "irfft": lambda z: jnp.fft.irfftn(z, s=params["s"], axes=params["axes"], norm=params["norm"])}[row]
    np.testing.assert_allclose(ans, np.asarray(fn(x)), rtol=1e-10, atol=1e-12)
    want = np.asarray(jax.vjp(fn, x)[1](g)[0])
    got = np.asarray(prim.vjps[0](g, ans, x, **params))
    np.testing.assert_allclose(got.real if real else got, want, rtol=1e-10, atol=1e-12)


# ---- vmap ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CALLS))
def test_vmap_equals_a_loop(name):
    kw = CALLS[name][-1]
    batch = np.stack([_input(name) for _ in range(3)])
    got = tn.vmap(lambda a: getattr(tnp.fft, name)(a, **kw))(tn.tensor(batch)).numpy()
    want = np.stack([getattr(np.fft, name)(a, **kw) for a in batch])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_per_example_gradients_through_vmap():
    xs = N(3, 6)
    h = N(4)

    def loss(x):
        return tnp.fft.irfft(tnp.fft.rfft(x) * tnp.fft.rfft(h, 6), 6).sum() ** 2
    got = tn.vmap(grad(loss))(tn.tensor(xs)).numpy()
    want = np.stack([grad(loss)(tn.tensor(x)).numpy() for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ---- errors --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,error,match", [
    (lambda a: tnp.fft.fft(a, norm="unitary"), ValueError, "norm must be one of"),
    (lambda a: tnp.fft.fft(a, n=0), ValueError, "invalid number of data points"),
    (lambda a: tnp.fft.fft(a, axis=2), ValueError, "axis 2 is out of bounds"),
    (lambda a: tnp.fft.fftn(a, axes=(0, -2)), ValueError, "repeat an axis"),
    (lambda a: tnp.fft.fft2(a, s=(3,)), ValueError, "must have the same length"),
    (lambda a: tnp.fft.rfft(a + 1j), TypeError, "takes a real input"),
    (lambda a: tnp.fft.ihfft(a * 1j), TypeError, "takes a real input"),
    (lambda a: tnp.fft.fft(a, out=np.empty(3, complex)), TypeError, "out=.* is not supported"),
    (lambda a: tnp.fft.fftshift(a[0, 0]), ValueError, "no axis to transform"),
    (lambda a: tnp.fft.chirpz(a), AttributeError, "no rule for numpy.fft.chirpz|no attribute 'chirpz'"),
])
def test_errors_are_clear(call, error, match):
    with pytest.raises(error, match=match):
        call(tn.tensor(N(2, 3)))


def test_frequencies_are_numpys():
    np.testing.assert_array_equal(tnp.fft.fftfreq(5, 0.1), np.fft.fftfreq(5, 0.1))
    np.testing.assert_array_equal(tnp.fft.rfftfreq(6), np.fft.rfftfreq(6))


def test_a_numpy_fft_function_without_a_rule_names_itself():
    with pytest.raises(AttributeError, match="numpy.fft.hfftn|no attribute"):
        tnp.fft.hfftn  # noqa: B018


def test_hessian_and_jacobians_equal_jax(jax):
    """hessian (reverse over reverse, batched) and jacfwd / jacrev (vmap of jvp / of the pullback) through FFTs."""
    from turunan.func import hessian, jacfwd, jacrev
    jnp = jax.numpy
    x, h = N(6), N(6)

    def loss(ns):
        return lambda x: (ns.fft.irfft(ns.fft.rfft(x) * ns.fft.rfft(h), 6) ** 3).sum() + ns.abs(ns.fft.fft(x)).sum()

    def spectrum(ns):
        return lambda x: ns.real(ns.fft.fft2(x.reshape(2, 3), norm="ortho")) * ns.fft.fftshift(x).reshape(2, 3)
    np.testing.assert_allclose(hessian(loss(tnp))(tn.tensor(x)).numpy(), np.asarray(jax.hessian(loss(jnp))(x)),
                               rtol=1e-9, atol=1e-12)
    want = np.asarray(jax.jacfwd(spectrum(jnp))(x))
    np.testing.assert_allclose(jacfwd(spectrum(tnp))(tn.tensor(x)).numpy(), want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(jacrev(spectrum(tnp))(tn.tensor(x)).numpy(), want, rtol=1e-9, atol=1e-12)


def test_single_precision_gradients_stay_single():
    x = tn.tensor(N(8).astype(np.float32), requires_grad=True)
    (tnp.fft.irfft(tnp.fft.rfft(x) * 2) ** 2 + tnp.abs(tnp.fft.fft(x))).sum().backward()
    assert x.grad.dtype == np.float32


def test_an_in_place_change_of_a_result_leaves_the_input_alone():
    x = tn.tensor(N(4))
    before = x.numpy().copy()
    for y in (tnp.fft.ihfft(x), tnp.fft.fftshift(x), tnp.fft.irfft(tnp.fft.rfft(x), 4)):
        y += 1
    np.testing.assert_array_equal(x.numpy(), before)
