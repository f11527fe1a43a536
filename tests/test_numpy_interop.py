"""Plain NumPy on Tensors is recorded (docs/design.md, principle 3); a function without a rule says so."""

import numpy as np
import pytest

import turunan as tn
from turunan.testing import check_grads


def test_ufuncs_and_functions_are_recorded():
    x = tn.arange(4.0, requires_grad=True)
    y = np.sum(np.sin(x) * np.exp(-x * x), axis=0)
    assert isinstance(y, tn.Tensor) and y.requires_grad
    y.backward()
    xv = x.detach().numpy().astype(np.float64)
    want = np.exp(-xv * xv) * (np.cos(xv) - 2 * xv * np.sin(xv))
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5, atol=1e-6)


def test_ndarray_on_the_left_defers_to_tensor():
    x = tn.ones(3, requires_grad=True)
    y = np.arange(3.0) * x + np.ones(3)
    assert isinstance(y, tn.Tensor) and y.requires_grad


@pytest.mark.parametrize("fn", [
    lambda x: np.dot(x, x), lambda x: np.linalg.norm(x), lambda x: np.mean(x ** 2), lambda x: np.max(x),
    lambda x: np.reshape(x, (2, 2)).T @ np.ones(2), lambda x: np.concatenate([x, x]).var(),
    lambda x: np.where(x > 0, x, 0.1 * x).sum(), lambda x: np.einsum("i,i->", x, x),
    lambda x: np.tanh(np.clip(x, -1, 1)), lambda x: np.stack([x, np.square(x)]).std(),
])
def test_numpy_functions_differentiate(fn):
    check_grads(fn, [np.array([0.3, -1.2, 0.7, 2.0])])


def test_function_without_rule_raises_naming_it():
    x = tn.ones((2, 2), requires_grad=True)
    with pytest.raises(TypeError, match="numpy.median"):
        np.median(x)
    with pytest.raises(TypeError, match="numpy.polydiv"):     # decided from the values: no rule
        np.polydiv(x, x)
    with pytest.raises(TypeError, match="gcd"):          # a ufunc without a rule (integers only)
        np.gcd(x, x)
    with pytest.raises(TypeError, match="out="):
        np.sin(x, out=np.empty((2, 2)))
    with pytest.raises(TypeError, match="add.reduce"):
        np.add.reduce(x)


def test_more_numpy_functions_differentiate():
    x0 = np.array([[0.3, -1.2, 0.7], [2.0, 0.5, -0.4]])
    check_grads(lambda x: np.cumprod(x, axis=1), [x0])
    check_grads(lambda x: np.sort(x, axis=1) * np.arange(3.0), [x0])
    check_grads(lambda x: np.take_along_axis(x, np.array([[2, 0], [1, 1]]), axis=1), [x0])
    check_grads(lambda x: np.tile(x, (2, 1)) * np.log2(np.exp2(x[0])).sum(), [x0])
    assert np.argsort(tn.tensor(x0), axis=1).dtype.kind == "i"
