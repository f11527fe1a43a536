"""The engine's buffer ownership: a fresh cotangent may become ``.grad`` without a copy, or take a sum in
place, but never when anything else can see that array (the user's head gradient, a saved value, a view)."""

from __future__ import annotations

import numpy as np

import turunan as tn


def test_head_gradient_of_a_leaf_root_is_copied():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    h = np.array([3.0, 4.0], dtype=np.float32)
    x.backward(h)
    assert not np.shares_memory(x.grad.numpy(), h)
    h[:] = 0
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_passed_through_head_gradient_is_copied():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    h = np.array([3.0, 4.0], dtype=np.float32)
    (x + 0.0).backward(h)          # add's rule returns g itself: it is the user's array
    assert not np.shares_memory(x.grad.numpy(), h)
    h[:] = 0
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_fresh_cotangent_becomes_the_buffer_and_later_passes_add_in_place():
    x = tn.tensor(np.arange(5.0, dtype=np.float32), requires_grad=True)
    (x * 3.0).sum().backward()
    buf = x.grad.numpy()
    np.testing.assert_array_equal(buf, np.full(5, 3.0, np.float32))
    (x * 2.0).sum().backward()     # accumulates into the same buffer
    assert x.grad.numpy() is buf
    np.testing.assert_array_equal(buf, np.full(5, 5.0, np.float32))


def test_fan_in_sums_are_right_with_in_place_accumulation():
    x = tn.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = x * 2.0
    z = y + y + y * y + tn.sin(y)       # y receives four contributions, two of them the same array
    z.sum().backward()
    yv = 2 * x.data
    np.testing.assert_allclose(x.grad.numpy(), 2 * (2 + 2 * yv + np.cos(yv)), rtol=1e-6)


def test_saved_arrays_are_never_stolen_or_overwritten():
    x = tn.tensor([0.3, 0.7], requires_grad=True)
    e = tn.exp(x)                 # exp saves its output; its rule returns g * ans (fresh)
    y = e * 1.0                   # a pass-through of e's value elsewhere
    (e.sum() + y.sum()).backward(retain_graph=True)
    before = e.data.copy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * before, rtol=1e-6)
    np.testing.assert_array_equal(e.data, before)
    assert not np.shares_memory(x.grad.numpy(), e.data)


def test_grad_and_create_graph_results_are_independent_of_the_graph():
    x = tn.tensor([0.1, 0.2, 0.3], dtype="float64", requires_grad=True)
    g1, = tn.autograd.grad(tn.sin(x).sum(), [x], create_graph=True)
    g2, = tn.autograd.grad(g1.sum(), [x])
    np.testing.assert_allclose(g1.data, np.cos(x.data))
    np.testing.assert_allclose(g2.data, -np.sin(x.data))


def test_float32_stays_float32_through_the_stolen_buffer():
    x = tn.tensor(np.ones(4, np.float32), requires_grad=True)
    (x * 2.5).sum().backward()
    assert x.grad.dtype == np.float32
    x64 = tn.tensor(np.ones(4, np.float32), requires_grad=True)
    (x64 * np.ones(4)).sum().backward()     # a float64 cotangent is cast into a float32 buffer, not kept
    assert x64.grad.dtype == np.float32
