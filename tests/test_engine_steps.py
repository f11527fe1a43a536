"""The backward walk step by step (turunan._engine._backward): seed the cotangents; at each node what arrives
(hooks, retained grads, capture), gather the rules' arguments (in-place checks), run the rules and accumulate
(in place where only the walk holds the sum), free; then the leaf roots and the collected results. Each step
against PyTorch where it defines the answer."""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
from turunan import _engine


def _pair(values):
    torch = pytest.importorskip("torch")
    return tn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def _program(lib, x, y, z):
    """Nodes of one, two and three inputs, a node used three times (its sum accumulates), a broadcast."""
    a = lib.sin(x) * y              # 1 and 2 inputs
    b = lib.where(x > 0, a, z)      # 3 inputs (the condition is a constant)
    c = a + a + b * a               # a's cotangent accumulates from three uses
    return (c * z[:1]).sum()        # z[:1] broadcasts: its gradient is summed back


def test_the_arity_paths_and_accumulation_agree_with_pytorch():
    torch = pytest.importorskip("torch")     # compared with PyTorch where installed
    vals = [[0.3, -1.2, 2.0], [1.5, 0.5, -0.7], [0.9, 0.1, 0.4]]
    (x, tx), (y, ty), (z, tz) = (_pair(v) for v in vals)
    _program(tn, x, y, z).backward()
    _program(torch, tx, ty, tz).backward()
    for t, tt in ((x, tx), (y, ty), (z, tz)):
        np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), rtol=1e-6)


def test_create_graph_walks_the_same_steps_on_tensors():
    torch = pytest.importorskip("torch")     # compared with PyTorch where installed
    vals = [[0.3, -1.2, 2.0], [1.5, 0.5, -0.7], [0.9, 0.1, 0.4]]
    (x, tx), (y, ty), (z, tz) = (_pair(v) for v in vals)
    (gx,) = tn.autograd.grad(_program(tn, x, y, z), [x], create_graph=True)
    (tgx,) = torch.autograd.grad(_program(torch, tx, ty, tz), [tx], create_graph=True)
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    for t, tt in ((x, tx), (y, ty), (z, tz)):
        np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), rtol=1e-5)


# ---- seed ----------------------------------------------------------------------------------------------------
def test_seed_sums_a_root_given_twice_and_takes_a_leaf_root():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    tn.autograd.backward([y, y, x], [tn.ones(2), tn.ones(2), tn.tensor([10.0, 20.0])])
    np.testing.assert_allclose(x.grad.data, [16.0, 26.0])     # 3 + 3 from y, then the leaf root's own


def test_a_leaf_root_is_captured_when_inputs_are_given():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tn.autograd.grad([x * 2.0, x], [x], grad_outputs=[tn.ones(2), tn.tensor([5.0, 5.0])])
    np.testing.assert_allclose(g.data, [7.0, 7.0])
    assert x.grad is None


# ---- arrive: hooks, retained grads, capture -------------------------------------------------------------------
def test_hooks_then_retained_grad_then_capture_see_the_same_gradient():
    torch = pytest.importorskip("torch")     # compared with PyTorch where installed
    x, tx = _pair([1.0, 2.0])
    outs = []
    for lib, leaf in ((tn, x), (torch, tx)):
        h = leaf * 2.0
        h.retain_grad()
        h.register_hook(lambda g: g * 10.0)
        loss = (h * h).sum()
        (gh,) = lib.autograd.grad(loss, [h], retain_graph=True)
        loss.backward()
        outs.append([np.asarray(v.detach().numpy()) for v in (gh, h.grad, leaf.grad)])
    for mine, theirs in zip(*outs):
        np.testing.assert_allclose(mine, theirs)


def test_a_retained_grad_accumulates_across_passes():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    loss = (h * 3.0).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(h.grad.data, [6.0, 6.0])


# ---- gather: the saved values and their in-place checks --------------------------------------------------------
@pytest.mark.parametrize("arity", [1, 2, 3])
def test_a_saved_input_changed_in_place_is_refused_at_every_arity(arity):
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    s = x * 1.0
    lo, hi = tn.tensor([0.0, 0.0]), tn.tensor([5.0, 5.0])
    out = {1: lambda: tn.sin(s), 2: lambda: s * x, 3: lambda: tn.clip(s, lo, hi)}[arity]()
    assert len(out._node.parents) == arity and out._node.saved[0] is s
    s.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()


def test_the_output_changed_in_place_is_refused():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = tn.tanh(x * 1.0)        # tanh's rule reads its output
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="output of .* was modified by an in-place operation"):
        y.sum().backward()


# ---- accumulate: in place only where the walk owns the sum -----------------------------------------------------
def test_a_head_gradient_given_by_the_caller_is_never_written_into():
    x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2.0
    z = a + a + a           # a's cotangent: the head gradient itself (add passes g), then two more sums
    head = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    z.backward(tn.tensor(head))
    np.testing.assert_allclose(head, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0, 6.0])


def test_a_leaf_grad_does_not_alias_a_cotangent_another_node_holds():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = tn.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()        # both leaves get the same cotangent array from add's rules
    assert not np.shares_memory(x.grad.data, y.grad.data)
    x.grad.data[0] = 100.0
    assert y.grad.data[0] == 1.0


# ---- free and collect ---------------------------------------------------------------------------------------
def test_saved_values_are_freed_after_the_walk_unless_retained():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = tn.sin(x)
    node = y._node
    assert node.saved[0] is x
    y.sum().backward(retain_graph=True)
    assert node.saved[0] is x and not node.freed
    y.sum().backward()
    assert node.saved == (None,) and node.freed
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()
    assert _engine.FREED_MSG.startswith("Trying to backward")


def test_results_come_in_the_order_of_inputs_and_unused_ones_are_none_or_refused():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    w = tn.tensor([5.0, 5.0], requires_grad=True)
    h = x * 3.0
    loss = (h * x).sum()
    gx, gh, gw, gx2 = tn.autograd.grad(loss, [x, h, w, x], retain_graph=True, allow_unused=True)
    np.testing.assert_allclose(gx.data, 6.0 * x.data)
    np.testing.assert_allclose(gh.data, x.data)
    assert gw is None
    np.testing.assert_allclose(gx2.data, gx.data)
    with pytest.raises(RuntimeError, match="does not appear in the graph"):
        tn.autograd.grad(loss, [w])


def test_only_the_part_of_the_graph_leading_to_the_inputs_is_walked():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    other = tn.tensor([1.0, 1.0], requires_grad=True)
    calls = []
    side = other * 2.0
    side.register_hook(lambda g: calls.append(1))
    (g,) = tn.autograd.grad((x * x).sum() + side.sum(), [x])
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    assert calls == [] and other.grad is None
