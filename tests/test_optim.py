"""turunan.optim: each optimiser against hand-computed steps, in-place updates, schedulers, PyTorch."""

import math
import tracemalloc

import numpy as np
import pytest

import turunan as tn
from turunan import optim
from turunan.optim import lr_scheduler

W0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.3, 0.2, 1.0]), np.array([0.1, 0.1, -0.4])]


def run(opt_cls, steps=3, **kw):
    """Apply ``opt_cls`` to W0 with the fixed gradients above; return the parameter after each step."""
    w = tn.tensor(W0, requires_grad=True)
    opt = opt_cls([w], **kw)
    out = []
    for g in GRADS[:steps]:
        opt.zero_grad()
        (w * tn.Tensor(g)).sum().backward()     # d/dw of <w, g> is exactly g
        opt.step()
        out.append(w.detach().numpy().copy())
    return out


def test_sgd_plain_by_hand():
    got = run(optim.SGD, lr=0.1)
    np.testing.assert_allclose(got[0], W0 - 0.1 * GRADS[0])
    np.testing.assert_allclose(got[2], W0 - 0.1 * (GRADS[0] + GRADS[1] + GRADS[2]))


def test_sgd_momentum_weight_decay_dampening_by_hand():
    lr, mu, wd, damp = 0.1, 0.9, 0.01, 0.2
    got = run(optim.SGD, lr=lr, momentum=mu, weight_decay=wd, dampening=damp)
    w, buf = W0.copy(), None
    for g, have in zip(GRADS, got):
        d = g + wd * w
        buf = d.copy() if buf is None else mu * buf + (1 - damp) * d
        w = w - lr * buf
        np.testing.assert_allclose(have, w, rtol=1e-12)


def test_sgd_nesterov_by_hand():
    lr, mu, wd = 0.05, 0.9, 0.1
    got = run(optim.SGD, lr=lr, momentum=mu, weight_decay=wd, nesterov=True)
    w, buf = W0.copy(), None
    for g, have in zip(GRADS, got):
        d = g + wd * w
        buf = d.copy() if buf is None else mu * buf + d
        w = w - lr * (d + mu * buf)
        np.testing.assert_allclose(have, w, rtol=1e-12)


def adam_reference(lr, b1, b2, eps, wd, decoupled, amsgrad=False):
    w, m, v, vmax = W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    out = []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            w = w * (1 - lr * wd)
        else:
            g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        mhat, vhat = m / (1 - b1 ** t), (vmax if amsgrad else v) / (1 - b2 ** t)
        w = w - lr * mhat / (np.sqrt(vhat) + eps)
        out.append(w)
    return out


@pytest.mark.parametrize("wd,amsgrad", [(0.0, False), (0.1, False), (0.1, True)])
def test_adam_by_hand(wd, amsgrad):
    got = run(optim.Adam, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=wd, amsgrad=amsgrad)
    for have, want in zip(got, adam_reference(0.01, 0.8, 0.99, 1e-6, wd, False, amsgrad)):
        np.testing.assert_allclose(have, want, rtol=1e-10)


def test_adamw_by_hand():
    got = run(optim.AdamW, lr=0.01, weight_decay=0.5)
    for have, want in zip(got, adam_reference(0.01, 0.9, 0.999, 1e-8, 0.5, True)):
        np.testing.assert_allclose(have, want, rtol=1e-10)


def test_first_adam_step_moves_each_weight_by_lr():
    # the classic sanity check: after bias correction the first step is lr * sign(g) (up to eps)
    got = run(optim.Adam, steps=1, lr=0.01)
    np.testing.assert_allclose(got[0], W0 - 0.01 * np.sign(GRADS[0]), rtol=1e-6)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
                                  lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.1),
                                  lambda ps: optim.AdamW(ps, lr=0.1)])
def test_updates_are_in_place_with_no_new_arrays(make):
    w = tn.zeros(250_000, requires_grad=True)     # 1 MB of float32
    opt = make([w])
    data = w.data
    for _ in range(2):                            # state buffers are made on the first step
        opt.zero_grad(set_to_none=False)          # reuse the gradient buffer (PyTorch 2's default drops it)
        (w * 2.0).sum().backward()
        opt.step()
    version = w._version[0] if isinstance(w._version, list) else w._version
    grad_buf = w.grad.data
    tracemalloc.start()
    opt.step()
    opt.zero_grad(set_to_none=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100_000, f"a step allocated {peak} bytes"
    assert w.data is data and w.grad.data is grad_buf
    assert (w._version[0] if isinstance(w._version, list) else w._version) > version


def test_step_skips_parameters_without_grad_and_stale_graphs_are_detected():
    a, b = tn.ones(2, requires_grad=True), tn.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=1.0)
    y = (a * a).sum()
    (b * 3).sum().backward()
    opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), [1, 1])
    np.testing.assert_array_equal(b.detach().numpy(), [-2, -2])
    opt2 = optim.SGD([a], lr=1.0)
    a.grad = tn.ones(2)
    opt2.step()                              # a changed in place after y saved it
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_param_groups_and_errors():
    a, b = tn.ones(2, requires_grad=True), tn.ones(2, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    assert "Parameter Group 1" in repr(opt)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one"):
        optim.SGD([a, a], lr=0.1)
    with pytest.raises(ValueError, match="leaf"):
        optim.Adam([a * 2])
    with pytest.raises(ValueError, match="require grad"):
        optim.Adam([tn.ones(2)])
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(a, lr=0.1)


def test_closure_is_evaluated():
    w = tn.tensor([3.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 9.0
    np.testing.assert_allclose(w.detach().numpy(), [1.5])


# ---- schedulers ---------------------------------------------------------------------------------------
def _rates(sched_cls, epochs, **kw):
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=0.1)
    sched = sched_cls(opt, **kw)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out, sched


def test_step_lr():
    rates, sched = _rates(lr_scheduler.StepLR, 7, step_size=3, gamma=0.5)
    np.testing.assert_allclose(rates, [0.1] * 3 + [0.05] * 3 + [0.025])
    assert sched.get_last_lr() == [0.1 * 0.5 ** 2]


def test_cosine_lr():
    rates, _ = _rates(lr_scheduler.CosineAnnealingLR, 11, T_max=10, eta_min=0.01)
    want = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)]
    np.testing.assert_allclose(rates, want)
    assert rates[0] == pytest.approx(0.1) and rates[10] == pytest.approx(0.01)


def test_other_schedulers_and_state():
    rates, _ = _rates(lr_scheduler.MultiStepLR, 5, milestones=[1, 3], gamma=0.1)
    np.testing.assert_allclose(rates, [0.1, 0.01, 0.01, 0.001, 0.001])
    rates, _ = _rates(lr_scheduler.ExponentialLR, 3, gamma=0.5)
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.025])
    rates, sched = _rates(lr_scheduler.LambdaLR, 3, lr_lambda=lambda e: 1 / (e + 1))
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.1 / 3])
    state = sched.state_dict()
    sched.step()
    sched.load_state_dict(state)
    assert sched.last_epoch == 3


# ---- against PyTorch, where installed -----------------------------------------------------------------
@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
                                     ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3)),
                                     ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
                                     ("AdamW", dict(lr=0.01, weight_decay=0.1))])
def test_optimisers_match_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    ours = run(getattr(optim, name), **kw)
    w = torch.tensor(W0, requires_grad=True)
    opt = getattr(torch.optim, name)([w], **kw)
    for g, have in zip(GRADS, ours):
        opt.zero_grad()
        (w * torch.tensor(g)).sum().backward()
        opt.step()
        np.testing.assert_allclose(have, w.detach().numpy(), rtol=1e-12)


def test_cosine_matches_pytorch():
    torch = pytest.importorskip("torch")
    rates, _ = _rates(lr_scheduler.CosineAnnealingLR, 8, T_max=5, eta_min=0.001)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.001)
    theirs = []
    for _ in range(6):       # PyTorch's recursive form agrees with the closed form within one period
        theirs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(rates[:6], theirs, rtol=1e-12)
