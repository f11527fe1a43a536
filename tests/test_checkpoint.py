"""turunan.checkpoint: same gradients (to every tensor f uses), less memory kept between forward and backward."""

import tracemalloc

import numpy as np

import turunan as tn
from turunan.func import grad, hessian, jvp
from turunan.testing import check_grads

rng = np.random.default_rng(3)


def _net(depth=8, width=64, use_ckpt=False):
    r = np.random.default_rng(7)
    ws = [tn.tensor(r.standard_normal((width, width)) / np.sqrt(width), requires_grad=True) for _ in range(depth)]

    def block(h, w):
        for _ in range(4):
            h = tn.tanh(h @ w)
        return h

    run = tn.checkpoint(block) if use_ckpt else block

    def f(x):
        h = x
        for w in ws:
            h = run(h, w)
        return (h * h).sum()
    return f, ws


def test_same_gradients_including_closed_over_parameters():
    x = tn.tensor(rng.standard_normal((4, 16)), requires_grad=True)
    w = tn.tensor(rng.standard_normal((16, 16)) / 4, requires_grad=True)
    plain = lambda h: tn.sigmoid(tn.tanh(h @ w) @ w)
    ck = tn.checkpoint(plain)
    a = tn.autograd.grad(plain(x).sum(), [x, w])
    b = tn.autograd.grad(ck(x).sum(), [x, w])        # autograd.grad with inputs: works, unlike a reentrant design
    for u, v in zip(a, b):
        np.testing.assert_allclose(u.data, v.data)
    ck(x).sum().backward()
    np.testing.assert_allclose(w.grad.data, a[1].data)


def test_checkpoint_saves_nothing_inside():
    x = tn.tensor(rng.standard_normal((4, 16)), requires_grad=True)
    y = tn.checkpoint(lambda h: tn.exp(tn.tanh(h) * 2.0))(x)
    assert y._node.ans is None      # exp would keep its output: the checkpoint dropped it


def test_higher_order_and_transforms_through_checkpoint():
    f = tn.checkpoint(lambda x: tn.sin(x) * tn.exp(x))
    check_grads(f, [rng.standard_normal(3)], order=2)
    x = tn.tensor(rng.standard_normal(3))
    np.testing.assert_allclose(hessian(lambda x: f(x).sum())(x).data,
                               hessian(lambda x: (tn.sin(x) * tn.exp(x)).sum())(x).data, rtol=1e-6)
    assert jvp(f, (tn.tensor(0.0),), (tn.tensor(1.0),))[1].item() == 1.0


def test_random_ops_replay_the_same_numbers():
    x = tn.tensor(rng.standard_normal(5), requires_grad=True)
    f = tn.checkpoint(lambda h: h * tn.rand(5) * h)
    tn.manual_seed(0)
    g = tn.autograd.grad(f(x).sum(), [x])[0]
    tn.manual_seed(0)
    mask = tn.rand(5)
    np.testing.assert_allclose(g.data, 2 * x.data * mask.data, rtol=1e-6)


def test_memory_saving_on_a_deep_network():
    x = tn.tensor(rng.standard_normal((256, 64)))
    peaks, grads = [], []
    for use in (False, True):
        f, ws = _net(use_ckpt=use)
        tracemalloc.start()
        loss = f(x)
        kept = tracemalloc.get_traced_memory()[0]
        loss.backward()
        tracemalloc.stop()
        peaks.append(kept)
        grads.append(ws[0].grad.data.copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)
    assert peaks[1] < peaks[0] / 3, peaks
    assert grad(lambda x: _net(2, 8, True)[0](x))(np.ones((2, 8))).shape == (2, 8)
