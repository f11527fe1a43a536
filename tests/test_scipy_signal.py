"""turunan.scipy.signal.convolve: values equal SciPy's in every mode (1-d to 3-d, either input the larger),
derivatives in both inputs to second order (check_grads), against JAX and HIPS autograd, vmap, and the errors."""

import numpy as np
import pytest

import turunan as tn
from turunan.func import grad, hvp
from turunan.testing import check_grads

rng = np.random.default_rng(21)


@pytest.fixture
def signal():
    """SciPy computes the values: the tests that run a convolution skip without it (the error paths do not)."""
    return pytest.importorskip("scipy.signal")

SHAPES = [((5,), (3,)), ((3,), (6,)), ((4,), (4,)), ((4, 5), (2, 3)), ((2, 3), (3, 4)), ((3, 2, 4), (2, 2, 3)),
          ((1,), (1,))]
# 'valid' needs one input at least as large as the other along every axis
VALID_SHAPES = [s for s in SHAPES if all(p >= q for p, q in zip(*s)) or all(p <= q for p, q in zip(*s))]


def _cases():
    return [(a, b, mode, method) for a, b in SHAPES for mode in ("full", "same", "valid")
            for method in ("direct", "fft") if mode != "valid" or (a, b) in VALID_SHAPES]


def convolve(*args, **kwargs):
    from turunan.scipy.signal import convolve
    return convolve(*args, **kwargs)


@pytest.mark.parametrize("sa,sb,mode,method", _cases())
def test_values_equal_scipy(signal, sa, sb, mode, method):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    got = convolve(tn.tensor(a), tn.tensor(b), mode=mode, method=method)
    want = signal.convolve(a, b, mode=mode, method=method)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sa,sb,mode,method", _cases())
def test_gradients_to_second_order(signal, sa, sb, mode, method):
    check_grads(lambda a, b: convolve(a, b, mode=mode, method=method), [rng.standard_normal(sa),
                                                                       rng.standard_normal(sb)], order=2)


def test_a_nonlinear_loss(signal):
    a, b = rng.standard_normal(6), rng.standard_normal(3)
    check_grads(lambda a, b: tn.tanh(convolve(a, b * b, mode="same")), [a, b], order=2)


def test_complex_inputs(signal):
    """Bilinear, holomorphic in each input: a real loss of a complex convolution, through real and imaginary parts."""
    import turunan.numpy as tnp
    b = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    check_grads(lambda x, y: tnp.abs(convolve(x + 1j * y, b, mode="same")) ** 2,
                [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))], order=2)


@pytest.fixture
def jax():
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", prev)


# one mode per pair of shapes, the modes taking turns (each call compiles in JAX)
JAX_CASES = [(a, b, ("same", "full", "valid")[i % 3] if (a, b) in VALID_SHAPES else ("same", "full")[i % 2], "fft")
             for i, (a, b) in enumerate(SHAPES)]


@pytest.mark.parametrize("sa,sb,mode,method", JAX_CASES)
def test_gradients_and_hvp_equal_jax(signal, jax, sa, sb, mode, method):
    jnp = jax.numpy
    from jax.scipy.signal import convolve as jconvolve
    a, b, v = rng.standard_normal(sa), rng.standard_normal(sb), rng.standard_normal(sa)

    def mine(a, b):
        return tn.sin(convolve(a, b, mode=mode)).sum()

    def theirs(a, b):
        return jnp.sin(jconvolve(a, b, mode=mode)).sum()
    for argnum in (0, 1):
        np.testing.assert_allclose(grad(mine, argnum)(tn.tensor(a), tn.tensor(b)).numpy(),
                                   np.asarray(jax.grad(theirs, argnum)(a, b)), rtol=1e-9, atol=1e-12)
    want_hv = jax.jvp(lambda a: jax.grad(theirs)(a, b), (a,), (v,))[1]
    got_hv = hvp(lambda a: mine(a, b), (tn.tensor(a),), (tn.tensor(v),))
    np.testing.assert_allclose(got_hv.numpy(), np.asarray(want_hv), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("sa,sb,mode", [(a, b, m) for a, b, m, meth in _cases() if m != "same" and meth == "fft"])
def test_gradients_equal_hips_autograd(signal, sa, sb, mode):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    asignal = pytest.importorskip("autograd.scipy.signal")
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    if mode == "valid" and not all(p >= q for p, q in zip(sa, sb)):
        a, b = b, a     # HIPS autograd's valid mode wants the first input to be the larger

    def mine(a, b):
        return tn.cos(convolve(a, b, mode=mode)).sum()

    def theirs(a, b):
        return anp.cos(asignal.convolve(a, b, mode=mode)).sum()
    for argnum in (0, 1):
        np.testing.assert_allclose(grad(mine, argnum)(tn.tensor(a), tn.tensor(b)).numpy(),
                                   autograd.grad(theirs, argnum)(a, b), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batched", [(True, False), (False, True), (True, True)])
def test_vmap_equals_a_loop(signal, batched):
    a, b = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 2, 3))
    args = [x if on else x[0] for x, on in zip((a, b), batched)]
    got = tn.vmap(lambda x, y: convolve(x, y, mode="same"), in_axes=tuple(0 if on else None for on in batched))(
        *[tn.tensor(x) for x in args]).numpy()
    want = np.stack([signal.convolve(a[k] if batched[0] else a[0], b[k] if batched[1] else b[0], mode="same")
                     for k in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_per_example_gradients(signal):
    a, b = rng.standard_normal((3, 6)), rng.standard_normal(3)

    def loss(x):
        return (convolve(x, b, mode="valid") ** 2).sum()
    got = tn.vmap(grad(loss))(tn.tensor(a)).numpy()
    want = np.stack([grad(loss)(tn.tensor(x)).numpy() for x in a])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call,error,match", [
    (lambda: convolve(np.ones(3), np.ones(2), mode="circular"), ValueError, "mode must be one of"),
    (lambda: convolve(np.ones(3), np.ones(2), method="winograd"), ValueError, "method must be"),
    (lambda: convolve(np.ones(3), np.ones((2, 2))), ValueError, "same number of dimensions"),
    (lambda: convolve(np.ones((3, 1)), np.ones((1, 3)), mode="valid"), ValueError, "at least as large"),
    (lambda: convolve(np.ones(0), np.ones(2)), ValueError, "empty input"),
])
def test_errors_are_clear(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_without_scipy_the_error_says_how_to_install_it(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "scipy.signal", None)     # what an environment without SciPy gives
    with pytest.raises(ImportError, match=r"pip install 'turunan\[scipy\]'"):
        convolve(np.ones(3), np.ones(2))
