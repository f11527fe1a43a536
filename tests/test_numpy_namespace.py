import numpy as np
import pytest

import turunan.numpy as tnp
from turunan.testing import check_grads


def test_numpy_dtype_rules_and_recording():
    x = tnp.array([0.5, 1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float64 and tnp.arange(3).dtype == np.int64 and tnp.zeros(2).dtype == np.float64
    y = tnp.sum(tnp.tanh(x) ** 2) + tnp.linalg.norm(x) + tnp.max(x)
    y.backward()
    xv = x.detach().numpy()
    want = 2 * np.tanh(xv) * (1 - np.tanh(xv) ** 2) + xv / np.linalg.norm(xv) + np.array([0, 0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_numpy_code_differentiates():
    def model(w, x):
        h = tnp.tanh(tnp.dot(x, w))
        return tnp.mean(tnp.square(h - tnp.ones_like(h)))
    check_grads(model, [np.random.default_rng(0).standard_normal((3, 2)), np.ones((4, 3))])


def test_missing_name_says_so():
    with pytest.raises(AttributeError, match="does not offer numpy.packbits: integers only"):
        getattr(tnp, "packbits")  # noqa: B009
    with pytest.raises(AttributeError, match="has no attribute 'not_a_numpy_name'"):
        getattr(tnp, "not_a_numpy_name")  # noqa: B009
