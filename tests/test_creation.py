import numpy as np
import pytest

import turunan as tn


def test_default_dtypes():
    assert tn.arange(4.0).dtype == np.float32
    assert tn.arange(4).dtype == np.int64
    assert tn.tensor([1.0, 2.0]).dtype == np.float32
    assert tn.tensor([1, 2]).dtype == np.int64
    assert tn.tensor([True]).dtype == np.bool_
    assert tn.tensor(np.ones(2)).dtype == np.float64           # an array keeps its dtype
    assert tn.tensor(2.5).shape == ()
    assert tn.zeros(2, 3).shape == (2, 3) and tn.ones((2, 3)).dtype == np.float32
    assert tn.full((2,), 7).dtype == np.int64 and tn.full((2,), 7.0).dtype == np.float32
    assert tn.linspace(0, 1, 5).dtype == np.float32 and tn.eye(3).numpy().trace() == 3
    assert tn.ones_like(tn.arange(3)).dtype == np.int64 and tn.zeros_like(tn.ones(2)).shape == (2,)
    assert tn.tensor([1.0], dtype=tn.float64).dtype == np.float64


def test_tensor_copies_and_as_tensor_shares():
    a = np.arange(3.0)
    assert not np.shares_memory(tn.tensor(a).data, a)
    assert np.shares_memory(tn.as_tensor(a).data, a)


def test_bad_data():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        tn.tensor([object()])


def test_seeded_random_is_reproducible():
    tn.manual_seed(3)
    a = tn.randn(2, 3)
    tn.manual_seed(3)
    b = tn.randn(size=(2, 3))
    assert np.array_equal(a.numpy(), b.numpy()) and a.dtype == np.float32
    g1, g2 = tn.Generator(5), tn.Generator(5)
    assert np.array_equal(g1.uniform(size=4).numpy(), g2.uniform(size=4).numpy())
    r = tn.randint(0, 10, size=(100,))
    assert r.dtype == np.int64 and 0 <= r.numpy().min() and r.numpy().max() < 10
    assert tn.normal(size=()).shape == () and tn.rand(3).numpy().max() < 1
    assert tn.randn(2, requires_grad=True).requires_grad
