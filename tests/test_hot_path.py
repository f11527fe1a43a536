"""The per-op hot path: Python numbers next to Tensors, and the heap-ordered backward walk."""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn

OPS = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
@pytest.mark.parametrize("const", [2.0, 0.1, 3, -7, 1 << 30, 1e300, True])
@pytest.mark.parametrize("op", range(4))
def test_python_numbers_keep_numpys_values_and_dtypes(dtype, const, op):
    f = OPS[op]
    raw = np.array([0.5, -1.25, 3.0], dtype=dtype)
    with np.errstate(all="ignore"):
        for expect, got in ((f(raw, const), f(tn.tensor(raw), const)), (f(const, raw), f(const, tn.tensor(raw)))):
            assert got.dtype == expect.dtype
            np.testing.assert_array_equal(got.numpy(), expect)


def test_python_numbers_in_gradients_keep_float32():
    x = tn.tensor([0.5, -1.0], requires_grad=True)
    y = (2.0 * x + 1) * 0.5 / 3.0 - 1.5
    y.sum().backward()
    assert x.grad.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1 / 3], rtol=1e-6)
    g, = tn.autograd.grad((x * 3.0 * x).sum(), [x], create_graph=True)
    (gg,) = tn.autograd.grad(g.sum(), [x])
    assert g.dtype == gg.dtype == np.float32
    np.testing.assert_allclose(gg.numpy(), [6.0, 6.0])


def test_walk_order_with_shared_and_late_branches():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    a = x * x                       # used early and late
    b = a
    for _ in range(5):
        b = tn.sin(b) + a           # a feeds every round
    c = a * 3.0 + b                 # and the end
    seen = []
    a.register_hook(lambda g: seen.append(g.numpy().copy()))
    c.sum().backward()
    assert len(seen) == 1           # a's cotangent is complete when it is processed: one call
    xs = tn.tensor([1.0, 2.0], requires_grad=True)
    g, = tn.autograd.grad(_same(xs).sum(), [xs])
    np.testing.assert_allclose(x.grad.numpy(), g.numpy(), rtol=1e-6)
    h = 1e-3
    num = (_ref(np.array([1.0, 2.0]) + [h, 0]).sum() - _ref(np.array([1.0, 2.0]) - [h, 0]).sum()) / (2 * h)
    np.testing.assert_allclose(x.grad.numpy()[0], num, rtol=1e-4)


def _same(x):
    a = x * x
    b = a
    for _ in range(5):
        b = tn.sin(b) + a
    return a * 3.0 + b


def _ref(x):
    a = x * x
    b = a
    for _ in range(5):
        b = np.sin(b) + a
    return a * 3.0 + b


def test_several_roots_sharing_nodes():
    x = tn.tensor([0.3, -0.2], requires_grad=True)
    a = tn.tanh(x)
    y1, y2 = a * 2.0, a.exp()
    tn.autograd.backward([y1.sum(), y2.sum(), a.sum()])
    expect = (1 - np.tanh([0.3, -0.2]) ** 2) * (2 + np.exp(np.tanh([0.3, -0.2])) + 1)
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-5)
