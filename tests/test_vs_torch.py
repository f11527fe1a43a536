"""Differential tests against PyTorch (skipped, with the reason, where torch is not installed)."""

import numpy as np
import pytest

import turunan as tn

torch = pytest.importorskip("torch", reason="torch is not installed: differential tests need it")

rng = np.random.default_rng(7)
X, Y, M = rng.standard_normal((3, 4)), rng.standard_normal((1, 4)), rng.standard_normal((4, 2))

CASES = {
    "elementwise": lambda m, x, y: (m.sin(x) * m.exp(-x * x) + m.tanh(y) * x).sum(),
    "matmul_softmax": lambda m, x, y: m.log_softmax(x @ M_(m), 1).sum() if m is tn else
    torch.log_softmax(x @ M_(m), 1).sum(),
    "norms": lambda m, x, y: (x.norm() + (x * y).sum(1).abs().max()),
    "var_std": lambda m, x, y: x.var() + x.std(1).sum() if m is tn else
    x.var(unbiased=False) + x.std(1, unbiased=False).sum(),
    "indexing": lambda m, x, y: (x[[0, 2, 0]] * y).sum() + x[1:, ::2].pow(2).sum(),
    "prod_cumsum": lambda m, x, y: x.prod(1).sum() + (m.cumsum(x, 1) * x).sum(),
    "maximum_ties": lambda m, x, y: m.maximum(x, x * 0 + x.detach()).sum() if m is tn else
    torch.maximum(x, x * 0 + x.detach()).sum(),
}


def M_(m):
    return tn.tensor(M) if m is tn else torch.tensor(M)


def _grads(m, f, order):
    x = m.tensor(X, requires_grad=True)
    y = m.tensor(Y, requires_grad=True)
    out = f(m, x, y) + (y * y * y).sum()
    grads = (tn.autograd if m is tn else torch.autograd).grad(out, [x, y], create_graph=order > 1)
    if order == 1:
        return [g.detach().numpy() for g in grads]
    total = (grads[0] * grads[0]).sum() + (grads[1] * grads[1]).sum()
    second = (tn.autograd if m is tn else torch.autograd).grad(total, [x, y], allow_unused=True)
    return [np.zeros(t.shape) if g is None else g.detach().numpy() for g, t in zip(second, (x, y))]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("order", [1, 2])
def test_matches_torch(name, order):
    ours = _grads(tn, CASES[name], order)
    theirs = _grads(torch, CASES[name], order)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_relu_at_zero_matches_torch():
    x = tn.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    tn.relu(x).sum().backward()
    t = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(t).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
