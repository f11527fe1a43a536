"""Regression tests for bugs found by adversarial probing (each fails before its fix)."""

import numpy as np

import turunan as tn
from turunan import nn


def test_checkpoint_replays_a_dropout_with_its_own_generator():
    def grad_of_w(use_checkpoint: bool) -> np.ndarray:
        drop = nn.Dropout(0.5, generator=tn.Generator(0))
        w = tn.tensor(np.full((4, 4), 0.3), requires_grad=True)
        x = tn.tensor(np.arange(32.0).reshape(8, 4) / 10)

        def block(h):
            return drop(tn.tanh(h @ w)) ** 2

        f = tn.checkpoint(block) if use_checkpoint else block
        f(x).sum().backward()
        return w.grad.numpy()

    np.testing.assert_allclose(grad_of_w(True), grad_of_w(False))


def test_softmax_and_log_softmax_take_pytorchs_dim():
    x = tn.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(tn.softmax(x, dim=0).numpy().sum(axis=0), np.ones(3), rtol=1e-6)
    np.testing.assert_allclose(tn.log_softmax(x, dim=0).numpy(), tn.log_softmax(x, 0).numpy())
    np.testing.assert_allclose(tn.softmax(x).numpy().sum(axis=1), np.ones(2), rtol=1e-6)   # last axis by default


def test_backward_inputs_adds_a_retained_non_leaf_gradient_once():
    x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    (y * 1.0).sum().backward(inputs=[y])
    assert y.grad.tolist() == [1.0, 1.0, 1.0]      # PyTorch: [1, 1, 1] (it was [2, 2, 2])
    assert x.grad is None


def test_torch_max_with_dim_sends_the_gradient_to_the_returned_index_at_ties():
    import turunan.torch as torch

    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    lows, _ = torch.min(x, 0, keepdim=True)
    (values.sum() + lows.sum()).backward()
    assert indices.tolist() == [1, 0] and values.tolist() == [3.0, 2.0] and lows.shape == (1, 3)
    assert x.grad.tolist() == [[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]     # PyTorch's; it was split evenly


def test_torch_expand_keeps_a_dim_given_as_minus_one():
    import turunan.torch as torch

    x = torch.tensor([[1.0], [2.0]], requires_grad=True)
    y = x.expand(-1, 3)
    assert y.shape == (2, 3) and y.tolist() == [[1.0] * 3, [2.0] * 3]
    assert x.expand(4, -1, 3).shape == (4, 2, 3)
    y.sum().backward()
    assert x.grad.tolist() == [[3.0], [3.0]]


def test_a_cast_to_integers_carries_no_gradient():
    import turunan.torch as torch

    x = torch.tensor([1.7, 2.2], requires_grad=True)
    assert not x.long().requires_grad                     # PyTorch: integer results require no grad
    (x.long() * x).sum().backward()                       # d/dx floor(x)·x with floor' = 0 (not a straight-through 1)
    assert x.grad.tolist() == [1.0, 2.0]
    g = tn.grad(lambda v: (v.astype(np.int64) * v).sum())(tn.tensor([1.5, 3.5], dtype=tn.float64))
    assert g.tolist() == [1.0, 3.0]


def test_std_of_a_constant_has_gradient_zero_as_in_pytorch():
    x = tn.tensor([3.0, 3.0, 3.0], requires_grad=True)
    y = tn.std(x)
    y.backward()
    assert y.item() == 0.0 and x.grad.tolist() == [0.0, 0.0, 0.0]     # sqrt(var) gave NaN
    rows = tn.tensor(np.array([[1.0, 2.0, 4.0], [5.0, 5.0, 5.0]]), requires_grad=True)
    g = tn.autograd.grad(tn.std(rows, axis=1, ddof=1).sum(), rows)[0].numpy()
    assert np.isfinite(g).all() and np.allclose(g[1], 0.0)
    np.testing.assert_allclose(tn.std(rows, axis=1, ddof=1).detach().numpy(),
                               np.std(rows.detach().numpy(), axis=1, ddof=1))


def test_optimizer_state_dict_round_trip_continues_the_same_trajectory():
    from turunan import optim

    def make():
        w = tn.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
        b = tn.tensor(np.array([0.3]), requires_grad=True)
        return w, b

    def step(opt, w, b):
        opt.zero_grad()
        ((w * w).sum() * b.sum() + (w ** 3).sum()).backward()
        opt.step()

    for make_opt in (lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True),
                     lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)):
        w, b = make()
        opt = make_opt([{"params": [w]}, {"params": [b], "lr": 0.05}])
        for _ in range(3):
            step(opt, w, b)
        saved = opt.state_dict()
        assert set(saved) == {"state", "param_groups"} and saved["param_groups"][1]["params"] == [1]
        w2 = tn.tensor(w.detach().numpy().copy(), requires_grad=True)
        b2 = tn.tensor(b.detach().numpy().copy(), requires_grad=True)
        opt2 = make_opt([{"params": [w2]}, {"params": [b2], "lr": 0.5}])
        opt2.load_state_dict(saved)
        assert opt2.param_groups[1]["lr"] == 0.05
        for _ in range(3):
            step(opt, w, b)
            step(opt2, w2, b2)
        np.testing.assert_allclose(w2.detach().numpy(), w.detach().numpy())
        np.testing.assert_allclose(b2.detach().numpy(), b.detach().numpy())


def test_torch_tensordot_takes_pytorchs_dims():
    import turunan.torch as torch

    a = torch.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    b = torch.tensor(np.arange(20.0).reshape(4, 5))
    r = torch.tensordot(a, b, dims=([2], [0]))
    np.testing.assert_allclose(r.detach().numpy(),
                               np.tensordot(a.detach().numpy(), b.detach().numpy(), axes=([2], [0])))
    r.sum().backward()
    assert a.grad.shape == (2, 3, 4)
    assert torch.tensordot(a, torch.tensor(np.ones((3, 4, 2))), dims=2).shape == (2, 2)
    assert torch.tensordot(a, b, 1).shape == (2, 3, 5)
