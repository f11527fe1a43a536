"""More of ``torch.nn`` (issue 11's missing names): activations, losses, distances, normalisations, embeddings,
one-hot and padding, as functions and modules of ``turunan.nn`` reached through the PyTorch door. Each case runs on
turunan and on real PyTorch with the same inputs and parameters: the same values, dtypes, shapes and gradients.
Without PyTorch, ``check_grads`` proves the compositions' derivatives (second order) all the same."""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
import turunan.torch as ttorch
from turunan import check_grads
from turunan.nn import functional as TF

R = np.random.RandomState(0)
X = (R.randn(3, 4) * 2).astype(np.float32)
Y = R.randn(3, 4).astype(np.float32)
P = (R.rand(3, 4) * 0.9 + 0.05).astype(np.float32)
LOGP = np.log(P / P.sum(1, keepdims=True)).astype(np.float32)
IMG = R.randn(2, 4, 3, 3).astype(np.float32)

FUNCTIONAL = {
    "silu": (lambda F, x: F.silu(x), [X]), "logsigmoid": (lambda F, x: F.logsigmoid(x), [X]),
    "selu": (lambda F, x: F.selu(x), [X]), "celu": (lambda F, x: F.celu(x, 0.7), [X]),
    "hardtanh": (lambda F, x: F.hardtanh(x, -0.5, 0.8), [X]), "relu6": (lambda F, x: F.relu6(x * 2), [X]),
    "hardsigmoid": (lambda F, x: F.hardsigmoid(x), [X]), "hardswish": (lambda F, x: F.hardswish(x), [X]),
    "mish": (lambda F, x: F.mish(x), [X]), "softsign": (lambda F, x: F.softsign(x), [X]),
    "tanhshrink": (lambda F, x: F.tanhshrink(x), [X]), "softmin": (lambda F, x: F.softmin(x, dim=1), [X]),
    "glu": (lambda F, x: F.glu(x, -1), [X]), "elu": (lambda F, x: F.elu(x, 0.5), [X]),
    "threshold": (lambda F, x: F.threshold(x, 0.3, -1.0), [X]),
    "l1_loss": (lambda F, x, y: F.l1_loss(x, y), [X, Y]),
    "smooth_l1_loss": (lambda F, x, y: F.smooth_l1_loss(x, y, beta=0.5), [X, Y]),
    "huber_loss": (lambda F, x, y: F.huber_loss(x, y, reduction="sum", delta=0.7), [X, Y]),
    "kl_div": (lambda F, x, y: F.kl_div(x, y, reduction="batchmean"), [LOGP, P]),
    "kl_div_log_target": (lambda F, x, y: F.kl_div(x, y, reduction="sum", log_target=True), [LOGP, LOGP[::-1].copy()]),
    "cosine_similarity": (lambda F, x, y: F.cosine_similarity(x, y), [X, Y]),
    "pairwise_distance": (lambda F, x, y: F.pairwise_distance(x, y), [X, Y]),
    "pairwise_distance_p1": (lambda F, x, y: F.pairwise_distance(x, y, p=1.0), [X, Y]),
    "normalize": (lambda F, x: F.normalize(x, dim=1), [X]),
    "layer_norm": (lambda F, x, w, b: F.layer_norm(x, (4,), w, b), [X, P[0], Y[0]]),
    "group_norm": (lambda F, x, w, b: F.group_norm(x, 2, w, b), [IMG, P[0], Y[0]]),
    "instance_norm": (lambda F, x: F.instance_norm(x), [IMG]),
    "pad": (lambda F, x: F.pad(x, (1, 2, 0, 1), value=0.5), [X]),
    "pad_reflect": (lambda F, x: F.pad(x, (1, 1, 2, 0), mode="reflect"), [IMG]),
    "pad_replicate": (lambda F, x: F.pad(x, (2, 1, 0, 1), mode="replicate"), [IMG]),
    "pad_circular": (lambda F, x: F.pad(x, (1, 2), mode="circular"), [IMG[0]]),
    "embedding": (lambda F, w: F.embedding(ttorch_or_torch(F).tensor([[0, 2], [1, 2]]), w), [X]),
    "embedding_padding": (lambda F, w: F.embedding(ttorch_or_torch(F).tensor([0, 2, 2]), w, padding_idx=2), [X]),
    "soft_margin_loss": (lambda F, x: F.soft_margin_loss(x, ttorch_or_torch(F).sign(ttorch_or_torch(F).tensor(Y))),
                         [X]),
    "gaussian_nll_loss": (lambda F, x, v: F.gaussian_nll_loss(x, ttorch_or_torch(F).tensor(Y), v), [X, P]),
    "poisson_nll_loss": (lambda F, x: F.poisson_nll_loss(x, ttorch_or_torch(F).tensor(P)), [Y]),
}
MODULES = {
    "SiLU": lambda nn: nn.SiLU(), "ELU": lambda nn: nn.ELU(0.3), "Hardtanh": lambda nn: nn.Hardtanh(-2.0, 2.0),
    "Softplus": lambda nn: nn.Softplus(beta=2.0), "Mish": lambda nn: nn.Mish(), "GLU": lambda nn: nn.GLU(),
    "LayerNorm": lambda nn: nn.LayerNorm(4), "PReLU": lambda nn: nn.PReLU(),
    "Unflatten": lambda nn: nn.Unflatten(1, (2, 2)), "Softmin": lambda nn: nn.Softmin(dim=1),
}
LOSSES = {"L1Loss": lambda nn: nn.L1Loss(), "SmoothL1Loss": lambda nn: nn.SmoothL1Loss(beta=0.3),
          "HuberLoss": lambda nn: nn.HuberLoss(delta=2.0), "BCELoss": lambda nn: nn.BCELoss(),
          "KLDivLoss": lambda nn: nn.KLDivLoss(reduction="batchmean")}


def ttorch_or_torch(F):
    return ttorch if F.__name__.startswith("turunan") else __import__("torch")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _grads(fw, out, xs):
    w = fw.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)).astype(np.float32))
    return fw.autograd.grad((out * w).sum(), xs)


def _same(ours, theirs, what, rtol=2e-5, atol=2e-6):
    assert tuple(ours.shape) == tuple(theirs.shape), (what, ours.shape, theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype), (what, ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_as_pytorch(name, torch):
    call, arrays = FUNCTIONAL[name]
    results = []
    for fw, F in ((ttorch, ttorch.nn.functional), (torch, torch.nn.functional)):
        xs = [fw.tensor(a).requires_grad_(True) for a in arrays]
        out = call(F, *xs)
        results.append((out, _grads(fw, out, xs)))
    (ours, our_grads), (theirs, their_grads) = results
    _same(ours, theirs, name)
    for i, (g, h) in enumerate(zip(our_grads, their_grads)):
        _same(g, h, f"{name} grad {i}", rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", list(MODULES))
def test_modules_as_pytorch(name, torch):
    results = []
    for fw in (ttorch, torch):
        layer = MODULES[name](fw.nn)
        x = fw.tensor(X).requires_grad_(True)
        out = layer(x)
        params = list(layer.parameters())
        results.append((out, _grads(fw, out, [x] + params), repr(layer), [tuple(p.shape) for p in params]))
    (ours, og, orepr, oshapes), (theirs, tg, trepr, tshapes) = results
    _same(ours, theirs, name)
    assert oshapes == tshapes and orepr == trepr, (orepr, trepr)
    for i, (g, h) in enumerate(zip(og, tg)):
        _same(g, h, f"{name} grad {i}", rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_modules_as_pytorch(name, torch):
    a, b = (LOGP, P) if name == "KLDivLoss" else (P, (Y > 0).astype(np.float32)) if name == "BCELoss" else (X, Y)
    outs = []
    for fw in (ttorch, torch):
        x = fw.tensor(a).requires_grad_(True)
        out = LOSSES[name](fw.nn)(x, fw.tensor(b))
        outs.append((out, fw.autograd.grad(out, x)[0]))
    _same(outs[0][0], outs[1][0], name)
    _same(outs[0][1], outs[1][1], f"{name} grad", rtol=2e-4, atol=2e-6)


def test_embedding_and_one_hot_as_pytorch(torch):
    ours, theirs = ttorch.nn.Embedding(5, 3, padding_idx=1), torch.nn.Embedding(5, 3, padding_idx=1)
    assert repr(ours) == repr(theirs) and np.all(ours.weight.detach().numpy()[1] == 0)
    for fw in (ttorch, torch):
        assert fw.nn.functional.one_hot(fw.tensor([2, 0]), 4).tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
        assert str(fw.nn.functional.one_hot(fw.tensor([1])).dtype) == "torch.int64"
        with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
            fw.nn.functional.one_hot(fw.tensor([3]), 2)
        with pytest.raises(RuntimeError, match="Halving dimension must be even"):
            fw.nn.functional.glu(fw.ones(2, 3))
        with pytest.raises(RuntimeError, match="normalized_shape"):
            fw.nn.functional.layer_norm(fw.ones(2, 3), (4,))


def test_second_order_without_pytorch():
    """The compositions differentiate to second order (the engine's own check, no PyTorch needed)."""
    x = X.astype(np.float64) + 0.05          # away from the kinks of hardtanh/relu6/hardsigmoid
    for f in (TF.silu, TF.logsigmoid, TF.selu, TF.mish, TF.softsign, TF.tanhshrink, lambda v: TF.glu(v, 1),
              lambda v: TF.softmin(v, 1), lambda v: TF.normalize(v, dim=1),
              lambda v: TF.layer_norm(v, (4,)), lambda v: TF.cosine_similarity(v, tn.tensor(Y, dtype=np.float64)),
              lambda v: TF.huber_loss(v, tn.tensor(Y, dtype=np.float64)),
              lambda v: TF.kl_div(v, tn.tensor(P, dtype=np.float64), reduction="batchmean")):
        check_grads(f, [x], order=2, modes=("rev", "fwd"))
    check_grads(lambda v: TF.group_norm(v, 2), [IMG.astype(np.float64)], order=2)
