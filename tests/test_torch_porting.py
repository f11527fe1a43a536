"""Ported PyTorch code gives PyTorch's numbers: ``.data``, losses' edge cases and options, operands that are
not numbers. Each case asserts hard-coded values (so it runs without torch) and, where torch is installed,
compares with it."""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
import turunan.torch as TT


# ---- .data is a tensor sharing memory, not a NumPy array ------------------------------------------------------
def test_data_is_a_door_tensor_with_torch_method_meanings():
    w = TT.tensor([3.0, 1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, TT.Tensor) and not d.requires_grad and d.grad_fn is None
    assert float(d.std()) == pytest.approx(1.0)                       # NumPy's std would be 0.816
    np.testing.assert_array_equal(d.repeat(2).numpy(), [3, 1, 2, 3, 1, 2])   # NumPy's: [3, 3, 1, 1, 2, 2]
    values, _ = d.sort()
    np.testing.assert_array_equal(values.numpy(), [1, 2, 3])
    np.testing.assert_array_equal(w.detach().numpy(), [3, 1, 2])      # NumPy's sort sorted w in place


def test_data_updates_reach_the_parameter_outside_the_graph():
    w = TT.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.data.sub_(0.5 * w.grad)
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0, 0.0])
    w.data += 1.0
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0, 1.0])
    w.data -= 0.25 * w.grad
    np.testing.assert_allclose(w.detach().numpy(), [-0.5, 0.5, 0.0])
    w.grad.data.zero_()
    np.testing.assert_array_equal(w.grad.numpy(), [0, 0, 0])
    w.data.fill_(7)
    np.testing.assert_array_equal(w.detach().numpy(), [7, 7, 7])
    assert w.requires_grad and w.is_leaf


def test_data_has_its_own_version_counter_like_torch():
    # a change through .data is not seen by the graph (PyTorch's documented difference from detach())
    x = TT.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    x.data.mul_(10)
    y.backward()                                                       # no "modified by an inplace op" error
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 40.0])
    with pytest.raises(RuntimeError):                                  # while detach() shares the counter
        z = (x * x).sum()
        x.detach().mul_(2)
        z.backward()
    torch = pytest.importorskip("torch")
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tx * tx).sum()
    tx.data.mul_(10)
    ty.backward()
    np.testing.assert_allclose(tx.grad.numpy(), x.grad.numpy())


def test_data_setter_keeps_the_core_checks():
    w = TT.tensor([1.0, 2.0], requires_grad=True)
    w.data = TT.tensor([5.0, 6.0, 7.0])
    np.testing.assert_array_equal(w.detach().numpy(), [5, 6, 7])
    with pytest.raises(RuntimeError, match="floating point"):         # PyTorch's errors (issue 11, item 4)
        w.data = TT.tensor([1, 2])
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got str"):
        w.data = "abc"
    np.testing.assert_array_equal(w.detach().numpy(), [5, 6, 7])


def test_core_code_reads_door_tensors_through_data():
    # the core's helpers read a tensor's array; a door tensor's .data is a tensor, so they must not use it
    x = TT.tensor([0.5, 1.0], requires_grad=True)
    tn.testing.check_grads(lambda t: TT.sin(t) * t, (x,), order=2)
    g = tn.grad(lambda t: (TT.exp(t) * 2).sum())(x)
    np.testing.assert_allclose(g.detach().numpy(), 2 * np.exp([0.5, 1.0]), rtol=1e-6)
    m = TT.nn.Linear(2, 1)
    m.to(TT.float64)
    out = m(TT.ones((3, 2), dtype=TT.float64))
    assert out.dtype == TT.float64


# ---- binary_cross_entropy: PyTorch's clamped log and its gradient ---------------------------------------------
BCE_P = [1.0, 1e-14, 0.0, 0.3, 0.5]
BCE_Y = [0.0, 1.0, 0.0, 0.7, 0.2]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_clamps_the_log_at_minus_100(dtype):
    p = TT.tensor(BCE_P, dtype=getattr(TT, dtype), requires_grad=True)
    y = TT.tensor(BCE_Y, dtype=getattr(TT, dtype), requires_grad=True)
    loss = TT.nn.functional.binary_cross_entropy(p, y, reduction="none")
    loss.sum().backward()
    assert loss.dtype == getattr(TT, dtype)
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 32.2361913, 0.0, 0.9497834462, 0.6931471806],
                               rtol=1e-6)
    np.testing.assert_allclose(p.grad.numpy(), [1e12, -1e12, 0.0, -1.9047619048, 1.2], rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy()[1:], [32.2361913, np.inf, 0.8472978604, 0.0], rtol=1e-6)
    assert y.grad.numpy()[0] == -np.inf
    torch = pytest.importorskip("torch")
    tp = torch.tensor(BCE_P, dtype=getattr(torch, dtype), requires_grad=True)
    ty = torch.tensor(BCE_Y, dtype=getattr(torch, dtype), requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy(tp, ty, reduction="none")
    tl.sum().backward()
    rtol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(loss.detach().numpy(), tl.detach().numpy(), rtol=rtol)
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=rtol)


def test_binary_cross_entropy_weight_second_order_and_target_shape():
    p = TT.tensor([0.3, 0.6], dtype=TT.float64, requires_grad=True)
    y = TT.tensor([1.0, 0.0], dtype=TT.float64)
    w = TT.tensor([2.0, 0.5], dtype=TT.float64)
    loss = TT.nn.functional.binary_cross_entropy(p, y, weight=w)
    assert float(loss) == pytest.approx((-2 * np.log(0.3) - 0.5 * np.log(0.4)) / 2, rel=1e-12)
    (g,) = TT.autograd.grad(TT.nn.functional.binary_cross_entropy(p, y, reduction="sum"), p, create_graph=True)
    (h,) = TT.autograd.grad(g.sum(), p)
    np.testing.assert_allclose(h.numpy(), [1 / 0.09, 1 / 0.16], rtol=1e-12)   # (p² - 2py + y) / (p(1-p))²
    with pytest.raises(ValueError, match="target size"):
        TT.nn.functional.binary_cross_entropy(p, TT.tensor([1.0]))


# ---- norm's string orders on one axis ---------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["fro", "nuc"])
def test_norm_string_order_on_a_vector_axis_is_numpys_value_error(order):
    with pytest.raises(ValueError, match=f"Invalid norm order '{order}' for vectors"):
        tn.norm(tn.ones((2, 3)), order, axis=1)
    with pytest.raises(ValueError, match="Invalid norm order 'fro' for vectors"):
        tn.norm(tn.ones(3), "fro")


# ---- operands that are not numbers -------------------------------------------------------------------------
def test_door_operands_that_are_not_numbers_raise_type_error_and_change_nothing():
    t = TT.ones(3)
    m = t > 0
    with pytest.raises(TypeError, match="unsupported operand"):
        _ = t + "a"
    with pytest.raises(TypeError):
        _ = t < None
    with pytest.raises(TypeError, match="where: expected a tensor or numbers"):
        TT.where(m, "a", t)
    with pytest.raises(TypeError, match="masked_fill: expected a tensor or numbers"):
        t.masked_fill_(m, "a")
    with pytest.raises(TypeError, match="add: expected a tensor or numbers"):
        TT.add(t, None)
    with pytest.raises(TypeError, match="mul: expected a tensor or numbers"):
        TT.mul(t, None)              # None took no part in the dtype and became NaN
    np.testing.assert_array_equal(t.numpy(), [1, 1, 1])
    assert (t == None) is False and (t != None) is True     # noqa: E711  (PyTorch's: Python's identity)
    np.testing.assert_array_equal((t + [1, 2, 3]).numpy(), [2, 3, 4])
    np.testing.assert_array_equal((2 - t).numpy(), [1, 1, 1])


# ---- class weights, ignore_index, softplus's beta ---------------------------------------------------------------
def test_cross_entropy_and_nll_loss_weight_and_ignore_index_as_torch():
    x = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [0.0, 0.0, 0.0], [2.0, 1.0, -1.0]])
    t, w = np.array([0, -100, 2, 1]), np.array([1.0, 2.0, 0.5])
    a = TT.tensor(x, requires_grad=True)
    loss = TT.nn.functional.cross_entropy(a, TT.tensor(t), weight=TT.tensor(w))
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    want = -(1.0 * logp[0, 0] + 0.5 * logp[2, 2] + 2.0 * logp[3, 1]) / 3.5    # row 1 ignored, weighted mean
    assert float(loss) == pytest.approx(want, rel=1e-12)
    loss.backward()
    assert np.all(a.grad.numpy()[1] == 0)
    nll = TT.nn.functional.nll_loss(TT.tensor(logp), TT.tensor(t), weight=TT.tensor(w))
    assert float(nll) == pytest.approx(want, rel=1e-12)
    assert float(TT.nn.functional.nll_loss(TT.tensor(logp), TT.tensor(t))) == pytest.approx(
        -(logp[0, 0] + logp[2, 2] + logp[3, 1]) / 3, rel=1e-12)
    torch = pytest.importorskip("torch")
    b = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(b, torch.tensor(t), weight=torch.tensor(w))
    tl.backward()
    assert float(loss) == pytest.approx(float(tl), rel=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10)


def test_softplus_beta_and_threshold_as_torch():
    a = TT.tensor([-1.0, 0.0, 3.0, 25.0], requires_grad=True)
    out = TT.nn.functional.softplus(a, beta=2, threshold=5)
    out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), [0.063464, 0.346574, 3.0, 25.0], rtol=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), [0.1192029, 0.5, 1.0, 1.0], rtol=1e-5)


def test_binary_cross_entropy_takes_the_reduction_positionally_as_before():
    p, t = TT.tensor([0.2, 0.7]), TT.tensor([0.0, 1.0])
    F = TT.nn.functional
    assert float(F.binary_cross_entropy(p, t, "sum")) == float(F.binary_cross_entropy(p, t, reduction="sum"))
