"""The engine's contracts: backward, .grad buffers, grad(), modes, hooks, freed graphs, in-place safety,
and each misuse's error."""

import gc
import threading
import weakref

import numpy as np
import pytest

import turunan as tn


def test_backward_scalar_and_grad_buffer_is_reused():
    x = tn.arange(4.0, requires_grad=True)
    assert x.grad is None
    y = 2 * tn.dot(x, x)
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), [0, 4, 8, 12])
    buf, arr = x.grad, x.grad.data
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 8, 16, 24])     # accumulates
    assert x.grad is buf and x.grad.data is arr                       # in place: same buffer
    x.grad.zero_()
    (x * x).sum().backward()
    assert x.grad.data is arr
    np.testing.assert_array_equal(x.grad.detach().numpy(), 2 * x.detach().numpy())


def test_non_scalar_backward_needs_gradient():
    x = tn.arange(3.0, requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(tn.ones(3))
    np.testing.assert_array_equal(x.grad.numpy(), [0, 2, 4])


def test_head_gradient_of_wrong_shape():
    x = tn.arange(3.0, requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\).*\(3,\)"):
        (x * 2).backward(tn.ones(2))
    assert x.grad is None          # nothing half-done


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tn.ones(3).sum().backward()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_requires_grad_on_non_float(dtype):
    with pytest.raises(TypeError, match="floating-point"):
        tn.tensor(np.ones(2, dtype=dtype), requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        tn.ones(2, dtype=dtype).requires_grad_()


def test_second_backward_through_freed_graph():
    x = tn.arange(4.0, requires_grad=True)
    y = 2 * tn.dot(x, x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 4, 8, 12])   # the failed call changed nothing


def test_retain_graph_allows_a_second_backward():
    x = tn.arange(4.0, requires_grad=True)
    y = 2 * tn.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), 8 * x.detach().numpy())


def test_saved_arrays_are_released_by_backward():
    x = tn.arange(5.0, requires_grad=True)
    y = tn.exp(x)                  # exp keeps its output for the gradient
    ref = weakref.ref(y.data)
    z = y.sum()
    del y
    gc.collect()
    assert ref() is not None       # still needed: the graph holds it
    z.backward()
    gc.collect()
    assert ref() is None           # released as soon as backward used it


def test_only_what_rules_read_is_kept():
    x = tn.ones((3, 3), requires_grad=True)
    s = (x + 1).sum()              # add reads nothing; sum reads only a shape
    assert all(v is None for v in s._node.saved)
    assert s._node.ans is None
    w = tn.ones(3, requires_grad=True)
    c = np.arange(3.0)
    p = w * c                      # only the constant is kept for w's gradient, not w itself
    assert p._node.saved[0] is None and p._node.saved[1] is c


def test_inplace_change_of_saved_input():
    x = tn.arange(3.0, requires_grad=True)
    y = x * 2
    z = y * y                      # saves y
    y.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_inplace_change_of_saved_output():
    x = tn.arange(3.0, requires_grad=True)
    y = tn.exp(x)                  # saves its output
    y += 1
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_inplace_change_through_a_view_or_detach():
    x = tn.arange(4.0, requires_grad=True)
    y = x * 1
    z = (y[1:3] * y[1:3]).sum()    # saves views of y
    y[0:2] = 5.0                   # changes y's buffer, which the views share
    with pytest.raises(RuntimeError, match="in-place"):
        z.backward()
    a = tn.arange(3.0, requires_grad=True)
    b = a * 1
    d = b.detach()
    e = (b * b).sum()
    d.add_(1)                      # detach shares memory, so it shares the version counter too
    with pytest.raises(RuntimeError, match="in-place"):
        e.backward()


def test_inplace_ops_that_need_no_saved_value_are_fine():
    x = tn.arange(3.0, requires_grad=True)
    y = x * 2
    y *= 3                         # multiply by a constant keeps only the constant
    y += x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7, 7, 7])


def test_inplace_on_leaf_requiring_grad():
    w = tn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1
    np.testing.assert_array_equal(w.detach().numpy(), [1, 1, 1])     # left as it was
    with tn.no_grad():
        w -= 0.5
    np.testing.assert_array_equal(w.detach().numpy(), [0.5, 0.5, 0.5])


def test_setitem_records_and_bumps_version():
    x = tn.arange(3.0, requires_grad=True)
    y = x * 1
    y[1] = x[2] * 10
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 11])
    c = tn.zeros(3)
    v0 = c._version[0]
    c[0] = 2.0
    assert c._version[0] == v0 + 1 and c.numpy()[0] == 2.0


def test_autograd_grad_leaves_dot_grad_alone():
    x = tn.arange(3.0, requires_grad=True)
    (g,) = tn.autograd.grad((x ** 2).sum(), [x])
    np.testing.assert_array_equal(g.numpy(), [0, 2, 4])
    assert x.grad is None


def test_autograd_grad_unused_input():
    x = tn.arange(3.0, requires_grad=True)
    w = tn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tn.autograd.grad((x * 2).sum(), [x, w])
    gx, gw = tn.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
    assert gw is None
    np.testing.assert_array_equal(gx.numpy(), [2, 2, 2])


def test_autograd_grad_input_not_requiring_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tn.autograd.grad(tn.ones(2, requires_grad=True).sum(), [tn.ones(2)])


def test_grad_wrt_intermediate_and_pruning():
    x = tn.arange(3.0, requires_grad=True)
    h = x * 3
    other = tn.exp(x)
    calls = []
    other.register_hook(lambda g: calls.append(1))
    out = (h * h).sum() + other.sum()
    (gh,) = tn.autograd.grad(out, [h])
    np.testing.assert_array_equal(gh.detach().numpy(), 2 * h.detach().numpy())
    assert calls == []             # the branch that does not lead to h was never walked


def test_grad_outputs_and_multiple_outputs():
    x = tn.arange(3.0, requires_grad=True)
    y1, y2 = x * 2, x * x
    (g,) = tn.autograd.grad([y1, y2], [x], grad_outputs=[tn.ones(3), tn.full((3,), 0.5)])
    np.testing.assert_allclose(g.detach().numpy(), 2 + x.detach().numpy())


def test_create_graph_to_third_order_through_backward():
    x = tn.tensor([1.5], requires_grad=True)
    y = x ** 4
    y.backward(create_graph=True)          # x.grad = 4x^3, itself recorded
    (g2,) = tn.autograd.grad(x.grad.sum(), [x], create_graph=True)
    (g3,) = tn.autograd.grad(g2.sum(), [x])
    np.testing.assert_allclose(g2.detach().numpy(), 12 * 1.5 ** 2, rtol=1e-6)
    np.testing.assert_allclose(g3.numpy(), 24 * 1.5, rtol=1e-6)


def test_plain_backward_builds_nothing():
    x = tn.arange(3.0, requires_grad=True)
    (g,) = tn.autograd.grad(tn.sin(x).sum(), [x])
    assert g._node is None and not g.requires_grad
    assert type(g.data) is np.ndarray


def test_detach_cuts_the_graph():
    x = tn.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), u.numpy())
    assert not u.requires_grad and u.grad_fn is None


def test_retain_grad_and_hooks():
    x = tn.arange(3.0, requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 10)      # replaces the gradient flowing on
    (h * h).sum().backward()
    # as in PyTorch 2: the retained grad is the one after the tensor's hooks ran
    np.testing.assert_array_equal(h.grad.detach().numpy(), 10 * 2 * h.detach().numpy())
    np.testing.assert_array_equal(x.grad.detach().numpy(), 10 * 2 * 2 * h.detach().numpy())
    seen = []
    w = tn.ones(2, requires_grad=True)
    handle = w.register_hook(lambda g: seen.append(g.numpy().copy()))
    (w * 3).sum().backward()
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 1 and np.array_equal(seen[0], [3, 3])


def test_no_grad_enable_grad_set_grad_enabled():
    x = tn.ones(2, requires_grad=True)
    with tn.no_grad():
        assert not (x * 2).requires_grad
        with tn.enable_grad():
            assert (x * 2).requires_grad
    with tn.set_grad_enabled(False):
        assert not tn.is_grad_enabled()
    assert tn.is_grad_enabled()

    @tn.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad


def test_grad_mode_is_per_thread():
    x = tn.ones(2, requires_grad=True)
    results = {}
    entered, release = threading.Event(), threading.Event()

    def other():
        with tn.no_grad():
            entered.set()
            release.wait(5)
            results["other"] = (x * 2).requires_grad

    t = threading.Thread(target=other)
    t.start()
    entered.wait(5)
    results["main"] = (x * 2).requires_grad     # main thread records while the other is in no_grad
    release.set()
    t.join()
    assert results == {"main": True, "other": False}


def test_long_chain_has_no_recursion_limit():
    x = tn.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0])


def test_control_flow_on_tensors():
    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        return b if b.sum() > 0 else 100 * b
    a = tn.tensor(0.7, requires_grad=True)
    d = f(a)
    d.backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), (d / a).detach().numpy(), rtol=1e-6)


def test_incompatible_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        tn.ones((2, 3)) + tn.ones(4)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        tn.ones((2, 3)) @ tn.ones((2, 3))
    with pytest.raises(ValueError, match="cannot reshape"):
        tn.ones(6).reshape(4, 2)


def test_leaf_sum_of_broadcast_gradients():
    b = tn.zeros((1, 3), requires_grad=True)
    (tn.ones((4, 3)) * b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [[4, 4, 4]])
    assert b.grad.shape == b.shape


def test_grad_setter_validates_shape():
    x = tn.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="shape"):
        x.grad = tn.ones(2)
    x.grad = None
    assert x.grad is None


def test_repr():
    x = tn.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])"
    y = 2 * tn.dot(tn.arange(4.0, requires_grad=True), tn.arange(4.0))
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    assert repr(tn.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert "dtype=turunan.float64" in repr(tn.ones(2, dtype=np.float64))


def test_python_conversions():
    t = tn.tensor([2.5])
    assert float(t) == 2.5 and int(t) == 2 and bool(t) and t.item() == 2.5 and t.tolist() == [2.5]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tn.ones(3))
    with pytest.raises(ValueError, match="one element"):
        tn.ones(3).item()


def test_zero_d_results_hold_arrays():
    s = tn.arange(4.0).sum()
    assert type(s.data) is np.ndarray and s.shape == ()
    s.zero_()
    assert s.item() == 0.0


def test_format_copy_and_pickle():
    import copy
    import pickle
    x = tn.arange(3.0, requires_grad=True)
    s = (x * x).sum()
    assert f"{s:.2f}" == "5.00" and f"{x}" == repr(x)
    y = copy.deepcopy(x)
    assert y.requires_grad and np.array_equal(y.detach().numpy(), x.detach().numpy()) and y.data is not x.data
    z = pickle.loads(pickle.dumps(x))
    assert np.array_equal(z.detach().numpy(), x.detach().numpy())


# ---- in-place changes through views: the graphs of tensors sharing memory follow (as in PyTorch) --------
def _grad_of(fn, x0):
    x = tn.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    fn(x).backward()
    return x.grad.numpy()


def test_inplace_through_a_view_reaches_the_base():
    def setitem_on_view(x):
        y = x * 1
        v = y[1:]
        v[0] = 100.0
        return (y * y).sum()

    def mul_on_slice(x):
        y = x * 1
        y[1:3].mul_(5)
        return (y * y).sum()

    def mul_on_transpose(x):
        y = x * 1
        y.T.mul_(2)
        return (y * y).sum()

    def view_of_view(x):
        y = x * 1
        a = y[1:]
        b = a[1:]
        b.mul_(3)
        return (y * a.sum()).sum()

    np.testing.assert_allclose(_grad_of(setitem_on_view, [1, 2, 3]), [2, 0, 6])
    np.testing.assert_allclose(_grad_of(mul_on_slice, [1, 2, 3, 4]), [2, 100, 150, 8])
    np.testing.assert_allclose(_grad_of(mul_on_transpose, [[1, 2], [3, 4]]), [[8, 16], [24, 32]])
    # y = [x0, x1, 3 x2], a = [x1, 3 x2]: loss = sum(y) * sum(a)
    x = np.array([1.0, 2.0, 3.0])
    sy, sa = x[0] + x[1] + 3 * x[2], x[1] + 3 * x[2]
    np.testing.assert_allclose(_grad_of(view_of_view, x), [sa, sa + sy, 3 * sa + 3 * sy])


def test_views_follow_an_inplace_change_of_their_base():
    def fn(x):
        y = x * 1
        z = y.T            # taken before the change
        y[0] = 10.0
        return (z * z).sum()
    np.testing.assert_allclose(_grad_of(fn, [[1, 2], [3, 4]]), [[0, 0], [6, 8]])


def test_writing_a_recorded_value_into_a_view_of_a_constant_buffer():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    buf = tn.zeros(4)
    window = buf[1:3]
    window += x * 3
    assert buf.requires_grad
    (buf * buf).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 2 * 3 * 3 * x.detach().numpy())


def test_inplace_on_a_view_of_a_leaf_that_requires_grad():
    w = tn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of one"):
        w[0:2].mul_(2)
    np.testing.assert_array_equal(w.detach().numpy(), [1, 1, 1])


def test_retained_grad_accumulates_and_power_at_zero():
    x = tn.tensor([0.0, 2.0], requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [2, 2])          # as in PyTorch
    z = tn.tensor([0.0, 2.0], requires_grad=True)
    (z ** 0).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0, 0])          # not NaN at 0 ** 0
