"""JAX-style code on ``turunan.numpy`` (issue 11, item 10): ``isclose``/``allclose`` answer as NumPy's, without a
gradient and without an error on tensors that require grad; ``real``/``imag`` of real inputs are the input and
zeros, differentiable (identity / zero); complex inputs give their parts as data (complex autodiff is not
supported yet, and a transform refuses a complex input with the rest of turunan's message)."""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan import _rules

A = np.array([1.0, 1.0 + 1e-9, 2.0, np.nan, np.inf, -np.inf, 0.0, 1e-9])
B = np.array([1.0, 1.0, 2.0 + 1e-4, np.nan, np.inf, np.inf, 1e-9, 0.0])

PAIRS = [
    (A, B), (A.astype(np.float32), B), (A, 1.0), (2, 2.0000001), ([1, 2, 3], [1, 2, 4]),
    (np.arange(6.0).reshape(2, 3), np.arange(3.0)), (np.array(1e10), np.array(1.00001e10)),
    (np.array([1 + 1j, 2j]), np.array([1 + 1j, 2.1j])), (np.array([True, False]), np.array([1.0, 0.0])),
]
KWARGS = [{}, {"rtol": 0.0, "atol": 1e-8}, {"rtol": 1e-3}, {"equal_nan": True}, {"atol": 0.5, "rtol": 0.0}]


@pytest.mark.parametrize("kw", KWARGS, ids=str)
@pytest.mark.parametrize("k", range(len(PAIRS)))
def test_isclose_and_allclose_are_numpys(k, kw):
    a, b = PAIRS[k]
    got = tnp.isclose(a, b, **kw)
    want = np.isclose(a, b, **kw)
    assert isinstance(got, tn.Tensor) and got.dtype == bool and got.shape == np.shape(want)
    np.testing.assert_array_equal(got.numpy(), want)
    close = tnp.allclose(a, b, **kw)
    assert isinstance(close, tn.Tensor) and close.shape == () and close.dtype == bool
    assert bool(close) is np.allclose(a, b, **kw)
    assert (True if close else False) is np.allclose(a, b, **kw)     # noqa: SIM210  (``if`` reads it)


def test_on_tensors_that_require_grad_no_gradient_and_no_error():
    x = tnp.array([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2 - x                                   # a recorded result
    for got in (tnp.isclose(x, y), tnp.isclose(y, [1.0, 2.0, 3.5]), tnp.allclose(x, y), tnp.allclose(x, 1.0),
                tnp.isclose([x, y], [y, x])):      # lists of tensors too
        assert not got.requires_grad and got.grad_fn is None
    assert bool(tnp.allclose(x, y)) and not bool(tnp.allclose(x, y + 1e-3))
    loss = (y * y).sum()                            # the graph is unaffected: backward as before
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0, 3.0]))
    assert "isclose" not in _rules.TABLE     # not a row of the derivative table


def test_inside_the_transforms():
    # a convergence test in a differentiated function: grad, jvp and vmap see a constant bool
    def f(x):
        y = tnp.sin(x)
        return tnp.sum(y * y) if tnp.allclose(x, x * 1.0) else tnp.sum(y)
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(tn.func.grad(f)(x).numpy(), 2 * np.sin(x) * np.cos(x))
    _, tangent = tn.func.jvp(lambda x: x * tnp.isclose(x, 0.3), (tn.tensor(x),), (tn.tensor(np.ones(2)),))
    np.testing.assert_allclose(tangent.numpy(), [1.0, 0.0])
    xs = np.array([[1.0, 2.0], [1.0, 2.5], [np.nan, 2.0]])
    ref = np.array([1.0, 2.0])
    got = tn.vmap(lambda r: tnp.allclose(r, ref))(xs)
    np.testing.assert_array_equal(got.numpy(), [np.allclose(r, ref) for r in xs])
    got = tn.vmap(lambda r, s: tnp.isclose(r, s, equal_nan=True))(xs, xs[::-1])
    np.testing.assert_array_equal(got.numpy(), np.isclose(xs, xs[::-1], equal_nan=True))


# ---- real and imag ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [np.array([1.5, -2.0, np.inf, np.nan]), np.arange(6, dtype=np.int32).reshape(2, 3),
                                   np.array([True, False]), np.float32(2.5), 3, [1.0, 2.0]])
def test_real_and_imag_of_real_inputs_are_numpys(value):
    for ours, theirs in ((tnp.real, np.real), (tnp.imag, np.imag)):
        got, want = ours(value), np.asarray(theirs(value))
        assert isinstance(got, tn.Tensor) and got.shape == want.shape
        assert got.dtype == want.dtype or np.isscalar(value)     # a Python scalar is float64/int64 here, as tnp.array
        np.testing.assert_array_equal(got.numpy(), want)


def test_real_is_the_input_and_imag_differentiates_to_zero():
    x = tnp.array([0.5, -1.0, 2.0], requires_grad=True)
    assert tnp.real(x) is x                          # as jnp.real of a real array
    im = tnp.imag(x)
    assert im.requires_grad and np.all(im.detach().numpy() == 0)
    (tnp.sum(tnp.real(x) ** 2) + 3 * tnp.sum(tnp.imag(x))).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    # a function of imag(x) alone differentiates to zero (not "does not require grad"), to second order too
    g = tn.func.grad(lambda x: tnp.sum(tnp.exp(tnp.imag(x))))(np.array([1.0, np.inf]))
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
    h = tn.func.hessian(lambda x: tnp.sum(tnp.real(x) ** 3 + tnp.imag(x)))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))
    _, t = tn.func.jvp(lambda x: tnp.real(x) + tnp.imag(x), (tn.tensor([1.0]),), (tn.tensor([5.0]),))
    assert t.tolist() == [5.0]
    got = tn.vmap(lambda r: tnp.real(r) * 2 + tnp.imag(r))(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(got.numpy(), np.arange(6.0).reshape(3, 2) * 2)


def test_complex_inputs():
    z = np.array([1 + 2j, -3 - 0.5j, 4.0 + 0j])
    for ours, theirs, d in ((tnp.real, np.real, 1), (tnp.imag, np.imag, -1j)):
        got = ours(tnp.array(z))
        assert got.dtype == np.float64 and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), theirs(z))
        np.testing.assert_array_equal(ours(z).numpy(), theirs(z))          # an array, not a Tensor
        got = tn.vmap(ours)(z.reshape(3, 1))
        np.testing.assert_array_equal(got.numpy(), theirs(z).reshape(3, 1))
        # rows of the table: a complex input differentiates in JAX's convention (df/dx - i df/dy)
        got = tn.func.grad(lambda z, ours=ours: tnp.sum(ours(z)))(z)
        assert got.dtype == np.complex128
        np.testing.assert_array_equal(got.numpy(), np.full(3, d, np.complex128))
