"""``zero_grad()`` sets the gradients to None by default, and every optimiser skips a parameter whose ``.grad``
is None (issue 11, item 1), as PyTorch 2.x does; ``set_to_none=False`` writes zeros into the same buffers.

Differential against real PyTorch (skipped where it is not installed): two parameters, one of which gets no
gradient in some steps, under every optimiser turunan has and the settings that carry state (momentum,
dampening, Nesterov, weight decay, Adam's moments, AMSGrad, RMSprop's averages, centered, maximize).
"""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
import turunan.torch as tt
from turunan import optim

CONFIGS = {
    "sgd": ("SGD", dict(lr=0.1)),
    "sgd_momentum": ("SGD", dict(lr=0.1, momentum=0.9)),
    "sgd_dampening": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    "sgd_nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_weight_decay": ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    "sgd_maximize": ("SGD", dict(lr=0.05, momentum=0.9, maximize=True)),
    "adam": ("Adam", dict(lr=0.1)),
    "adam_weight_decay": ("Adam", dict(lr=0.1, weight_decay=0.1)),
    "adam_amsgrad": ("Adam", dict(lr=0.1, amsgrad=True)),
    "adam_maximize": ("Adam", dict(lr=0.1, maximize=True)),
    "adamw": ("AdamW", dict(lr=0.1, weight_decay=0.1)),
    "rmsprop": ("RMSprop", dict(lr=0.01)),
    "rmsprop_momentum": ("RMSprop", dict(lr=0.01, momentum=0.9, alpha=0.9)),
    "rmsprop_centered": ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    "rmsprop_weight_decay": ("RMSprop", dict(lr=0.01, weight_decay=0.1, maximize=True)),
}
A0 = np.array([1.0, -2.0, 0.5])
B0 = np.array([[0.3, -0.7], [1.5, 0.2]])
UNUSED = {1, 2, 5, 8, 9}          # the steps in which b gets no gradient


def train(lib, name, kw, zero_grad_kw, steps=12):
    a = lib.tensor(A0, dtype=lib.float64, requires_grad=True)
    b = lib.tensor(B0, dtype=lib.float64, requires_grad=True)
    opt = getattr(lib.optim, name)([a, b], **kw)
    trace = []
    for t in range(steps):
        opt.zero_grad(**zero_grad_kw)
        loss = (a ** 2).sum() + (a ** 3).sum() * 0.1
        if t not in UNUSED:
            loss = loss + (b * b * b).sum() * 0.2 + (a.sum() * b).sum()
        loss.backward()
        opt.step()
        trace.append((a.detach().numpy().copy(), b.detach().numpy().copy(), b.grad is None))
    return trace


@pytest.mark.parametrize("zero_grad_kw", [{}, {"set_to_none": True}, {"set_to_none": False}],
                         ids=["default", "set_to_none", "zeros"])
@pytest.mark.parametrize("key", sorted(CONFIGS))
@pytest.mark.parametrize("lib", [tn, tt], ids=["turunan", "door"])
def test_skipping_a_parameter_without_a_gradient_matches_pytorch(key, lib, zero_grad_kw):
    torch = pytest.importorskip("torch")
    name, kw = CONFIGS[key]
    ours, theirs = train(lib, name, kw, zero_grad_kw), train(torch, name, kw, zero_grad_kw)
    for t, ((a1, b1, none1), (a2, b2, none2)) in enumerate(zip(ours, theirs)):
        assert none1 == none2, f"step {t}: b.grad is None in {'turunan' if none1 else 'PyTorch'} only"
        np.testing.assert_allclose(a1, a2, rtol=1e-10, atol=1e-12, err_msg=f"a after step {t}")
        np.testing.assert_allclose(b1, b2, rtol=1e-10, atol=1e-12, err_msg=f"b after step {t}")


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_a_parameter_without_a_gradient_stays_put_and_keeps_its_state(key):
    name, kw = CONFIGS[key]
    a, b = tn.tensor(A0, requires_grad=True), tn.tensor(B0, requires_grad=True)
    opt = getattr(optim, name)([a, b], **kw)
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    b_before = b.detach().numpy().copy()
    state_before = {k: np.array(v, copy=True) for k, v in opt.state[id(b)].items() if k != "scratch"}
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    (a * a).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), b_before)
    after = opt.state[id(b)]
    for k, v in state_before.items():
        np.testing.assert_array_equal(after[k], v, err_msg=k)


def test_zero_grad_false_reuses_the_buffers_and_true_is_the_default():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    buf = w.grad._d
    opt.zero_grad(set_to_none=False)
    assert w.grad._d is buf and not buf.any()
    (w * w).sum().backward()
    assert w.grad._d is buf
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize("lib", [tn, tt], ids=["turunan", "door"])
def test_module_zero_grad_defaults_to_none_as_pytorch(lib):
    net = lib.nn.Linear(3, 2)
    net(lib.ones(4, 3)).sum().backward()
    bufs = [p.grad._d for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    assert all(p.grad._d is g and not g.any() for p, g in zip(net.parameters(), bufs))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_the_door_forwards_the_default():
    torch = tt
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.zero_grad()
    assert w.grad is None


def test_a_deep_and_shallow_model_with_momentum_matches_pytorch():
    """dynamic_net's situation in miniature: a parameter used in some forward passes only, SGD with momentum."""
    torch = pytest.importorskip("torch")
    x = np.linspace(-1, 1, 50)

    def run(lib):
        ps = [lib.nn.Parameter(lib.tensor(v, dtype=lib.float64)) for v in (0.1, -0.2, 0.3, 0.05)]
        opt = lib.optim.SGD(ps, lr=1e-3, momentum=0.9)
        xs, ys = lib.tensor(x), lib.tensor(np.sin(x))
        for t in range(40):
            y = ps[0] + ps[1] * xs + ps[2] * xs ** 2
            if t % 3 == 0:
                y = y + ps[3] * xs ** 3
            opt.zero_grad()
            ((y - ys) ** 2).sum().backward()
            opt.step()
        return np.array([p.item() for p in ps])

    np.testing.assert_allclose(run(tt), run(torch), rtol=1e-10)


def test_rmsprop_state_dict_round_trip_and_checks():
    w = tn.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.RMSprop([w], lr=0.01, momentum=0.9, centered=True)
    (w * w).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd["state"][0]) == ["grad_avg", "momentum_buffer", "square_avg", "step"]
    w2 = tn.tensor(w.detach().numpy().copy(), requires_grad=True)     # where w is after one step
    opt2 = optim.RMSprop([w2], lr=0.01, momentum=0.9, centered=True)
    opt2.load_state_dict(sd)
    for o, p in ((opt, w), (opt2, w2)):
        o.zero_grad()
        (p * p).sum().backward()
        o.step()
    np.testing.assert_array_equal(w2.detach().numpy(), w.detach().numpy())     # the loaded state continues
    with pytest.raises(ValueError, match="alpha"):
        optim.RMSprop([w], alpha=-0.1)
    with pytest.raises(ValueError, match="epsilon"):
        optim.RMSprop([w], eps=float("nan"))
    opt3 = optim.RMSprop([w], lr=0.01)
    (w * w).sum().backward()
    opt3.step()
    opt3.param_groups[0]["momentum"] = 0.9
    with pytest.raises(ValueError, match="momentum was switched on"):
        opt3.step()
