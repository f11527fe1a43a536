"""The PyTorch door's names for the core's NumPy-parity functions (``turunan.torch._parity``, ``torch.linalg``,
``torch.special``; issue 11's missing names): each called as PyTorch's documentation spells it, on turunan and on
real PyTorch with the same inputs, gives the same values, dtypes and shapes, and the same gradients."""

from __future__ import annotations

import numpy as np
import pytest

import turunan.torch as ttorch

R = np.random.RandomState(0)
M = R.randn(3, 4).astype(np.float32)
SQ = (R.randn(3, 3) + 3 * np.eye(3)).astype(np.float32)
SPD = (SQ @ SQ.T + np.eye(3)).astype(np.float32)
V = R.randn(5).astype(np.float32)
POS = (R.rand(5) + 0.5).astype(np.float32)
UNIT = (R.rand(5) * 1.6 - 0.8).astype(np.float32)

# (call, arrays that require grad, other arguments): call(fw, *tensors) runs on either framework
CASES = {
    "narrow": (lambda t, x: t.narrow(x, 1, 1, 2), [M]),
    "narrow_method": (lambda t, x: x.narrow(0, 1, 2), [M]),
    "select": (lambda t, x: t.select(x, 1, -1), [M]),
    "tril": (lambda t, x: t.tril(x, -1), [M]), "triu": (lambda t, x: t.triu(x, 1), [M]),
    "diagonal": (lambda t, x: t.diagonal(x, 1), [M]), "diag": (lambda t, x: t.diag(x), [V]),
    "diag_embed": (lambda t, x: t.diag_embed(x, 1), [M]), "trace": (lambda t, x: t.trace(x), [SQ]),
    "meshgrid": (lambda t, x, y: t.meshgrid(x, y, indexing="ij")[1], [V, UNIT]),
    "kron": (lambda t, x, y: t.kron(x, y), [M, SQ]),
    "cross": (lambda t, x, y: t.linalg.cross(x, y), [SQ, SPD]),
    "roll": (lambda t, x: t.roll(x, (1, -2), (0, 1)), [M]), "rot90": (lambda t, x: t.rot90(x, 1, (0, 1)), [M]),
    "repeat_interleave": (lambda t, x: t.repeat_interleave(x, 2, dim=1), [M]),
    "tile": (lambda t, x: t.tile(x, (2, 1)), [M]), "unflatten": (lambda t, x: t.unflatten(x, 1, (2, 2)), [M]),
    "take": (lambda t, x: t.take(x, t.tensor([0, 5, 11])), [M]),
    "take_along_dim": (lambda t, x: t.take_along_dim(x, t.tensor([[0], [3], [1]]), 1), [M]),
    "vstack": (lambda t, x: t.vstack([x, x]), [M]), "hstack": (lambda t, x: t.hstack([x, x]), [M]),
    "column_stack": (lambda t, x, y: t.column_stack([x, y]), [V, POS]),
    "block_diag": (lambda t, x, y: t.block_diag(x, y), [M, SQ]),
    "cartesian_prod": (lambda t, x, y: t.cartesian_prod(x, y), [V[:3], POS[:2]]),
    "sinh": (lambda t, x: t.sinh(x), [V]), "cosh": (lambda t, x: x.cosh(), [V]),
    "asin": (lambda t, x: t.asin(x), [UNIT]), "acos": (lambda t, x: t.acos(x), [UNIT]),
    "atan": (lambda t, x: t.atan(x), [V]), "atanh": (lambda t, x: t.atanh(x), [UNIT]),
    "log10": (lambda t, x: t.log10(x), [POS]), "frac": (lambda t, x: t.frac(x * 3), [V]),
    "atan2": (lambda t, x, y: t.atan2(x, y), [V, POS]), "hypot": (lambda t, x, y: t.hypot(x, y), [V, POS]),
    "fmod": (lambda t, x: t.fmod(x * 3, 1.5), [V]), "logaddexp": (lambda t, x, y: t.logaddexp(x, y), [V, POS]),
    "clamp_min": (lambda t, x: t.clamp_min(x, 0.1), [V]), "lerp": (lambda t, x, y: t.lerp(x, y, 0.3), [V, POS]),
    "addcmul": (lambda t, x, y: t.addcmul(x, x, y, value=0.5), [V, POS]),
    "addcdiv": (lambda t, x, y: t.addcdiv(x, x, y, value=2), [V, POS]),
    "baddbmm": (lambda t, x, y: t.baddbmm(t.zeros(2, 3, 3), x, y, alpha=2),
                [R.randn(2, 3, 4).astype(np.float32), R.randn(2, 4, 3).astype(np.float32)]),
    "median": (lambda t, x: t.median(x), [V]), "median_dim": (lambda t, x: t.median(x, 1)[0], [M]),
    "median_index": (lambda t, x: t.median(x, 1, keepdim=True)[1], [M]),
    "var_mean": (lambda t, x: t.var_mean(x, 1)[0] + t.var_mean(x, 1)[1], [M]),
    "logcumsumexp": (lambda t, x: t.logcumsumexp(x, 1), [M]),
    "count_nonzero": (lambda t, x: t.count_nonzero(t.relu(x), dim=0), [M]),
    "bucketize": (lambda t, x: t.bucketize(x, t.tensor([-1.0, 0.0, 1.0])), [V]),
    "dist": (lambda t, x, y: t.dist(x, y, 3), [V, POS]), "cdist": (lambda t, x, y: t.cdist(x, y), [M, M[:2]]),
    "nonzero": (lambda t, x: t.nonzero(t.relu(x)), [M]),
    "linalg_inv": (lambda t, x: t.linalg.inv(x), [SQ]), "linalg_det": (lambda t, x: t.linalg.det(x), [SQ]),
    "det": (lambda t, x: t.det(x), [SQ]), "inverse": (lambda t, x: x.inverse(), [SQ]),
    "slogdet": (lambda t, x: t.linalg.slogdet(x).logabsdet, [SQ]),
    "solve": (lambda t, x, y: t.linalg.solve(x, y), [SQ, V[:3]]),
    "cholesky": (lambda t, x: t.linalg.cholesky(x), [SPD]),
    "cholesky_upper": (lambda t, x: t.linalg.cholesky(x, upper=True), [SPD]),
    "eigvalsh": (lambda t, x: t.linalg.eigvalsh(x), [SPD]),
    "eigh_non_symmetric": (lambda t, x: t.linalg.eigh(x).eigenvalues * 2
                           + t.linalg.eigh(x, "U").eigenvectors.abs().sum(0), [R.randn(3, 3).astype(np.float32)]),
    "svdvals": (lambda t, x: t.linalg.svdvals(x), [M]),
    "qr_r": (lambda t, x: t.linalg.qr(x).R.abs(), [M.T.copy()]),
    "pinv": (lambda t, x: t.linalg.pinv(x), [M]),
    "matrix_power": (lambda t, x: t.linalg.matrix_power(x, 3), [SQ]),
    "vector_norm": (lambda t, x: t.linalg.vector_norm(x, 3, dim=1), [M]),
    "matrix_norm": (lambda t, x: t.linalg.matrix_norm(x), [M]),
    "norm_nuc": (lambda t, x: t.linalg.norm(x, "nuc"), [M]),
    "lgamma": (lambda t, x: t.lgamma(x), [POS]), "digamma": (lambda t, x: t.digamma(x), [POS]),
    "erfinv": (lambda t, x: t.erfinv(x), [UNIT]), "logit": (lambda t, x: t.special.logit(x), [POS / 2]),
    "xlogy": (lambda t, x, y: t.special.xlogy(x, y), [V, POS]),
    "polygamma": (lambda t, x: t.special.polygamma(1, x), [POS]),
}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _run(fw, call, arrays):
    xs = [fw.tensor(a).requires_grad_(True) for a in arrays]
    out = call(fw, *xs)
    grads = None
    if out.dtype in (fw.float32, fw.float64) and out.requires_grad:
        w = fw.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)).astype(np.float32))
        grads = [g for g in (fw.autograd.grad((out * w).sum(), xs, allow_unused=True))]
    return out, grads


@pytest.mark.parametrize("name", list(CASES))
def test_as_pytorch(name, torch):
    if name in ("lgamma", "digamma", "erfinv", "logit", "xlogy", "polygamma"):
        pytest.importorskip("scipy")
    call, arrays = CASES[name]
    ours, our_grads = _run(ttorch, call, arrays)
    theirs, their_grads = _run(torch, call, arrays)
    assert tuple(ours.shape) == tuple(theirs.shape), (name, ours.shape, theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype), (name, ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-5, atol=2e-5, err_msg=name)
    assert (our_grads is None) == (their_grads is None), name
    for i, (g, h) in enumerate(zip(our_grads or [], their_grads or [])):
        if h is None:
            assert g is None or not np.any(g.detach().numpy()), (name, i)
            continue
        np.testing.assert_allclose(g.detach().numpy(), h.detach().numpy(), rtol=2e-4, atol=2e-5,
                                   err_msg=f"{name} grad {i}")


def test_grad_fn_names_and_errors(torch):
    x = ttorch.ones(3, 3, requires_grad=True)
    for fn, shown in ((ttorch.tril, "TrilBackward0"), (ttorch.triu, "TriuBackward0"),
                      (ttorch.trace, "TraceBackward0"), (ttorch.diagonal, "DiagonalBackward0")):
        assert type(fn(x).grad_fn).__name__ == shown or shown in repr(fn(x).grad_fn)
    for fw in (ttorch, torch):
        with pytest.raises(RuntimeError, match="exceeds dimension size"):
            fw.narrow(fw.ones(3, 3), 0, 2, 2)
        with pytest.raises(IndexError, match="out of range"):
            fw.select(fw.ones(3, 3), 0, 3)
        with pytest.raises(RuntimeError, match="don't multiply up to the size of dim"):
            fw.unflatten(fw.ones(3, 4), 1, (3, 3))
