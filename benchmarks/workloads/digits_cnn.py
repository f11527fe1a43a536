"""LeNet-style CNN on 8x8 digit images (conv-relu-maxpool x2, linear-relu-linear), batch 64: one SGD step.

The model is ``python -m turunan train --model cnn``'s; turunan runs it through ``turunan.nn`` (sliding
windows + matmul), PyTorch through ``torch.nn``. Whole training runs (time per epoch, final accuracy) are
compared by ``benchmarks/bench_train.py``.
"""

from __future__ import annotations

import numpy as np

from ._common import Case, rng

SIZES = {"full": {"batch": 64, "c1": 16, "c2": 32, "hidden": 64},
         "quick": {"batch": 8, "c1": 4, "c2": 8, "hidden": 16}}
TOL = 1e-4
LR = 0.05
NAMES = ("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4")


def data(size):
    r = rng(0)
    b, c1, c2, hid = size["batch"], size["c1"], size["c2"], size["hidden"]
    y = r.integers(0, 10, b)

    def u(shape, fan_in):
        return r.uniform(-1, 1, shape).astype(np.float32) / np.float32(np.sqrt(fan_in))

    return {"X": r.uniform(0, 1, (b, 1, 8, 8)).astype(np.float32), "y": y, "Y": np.eye(10, dtype=np.float32)[y],
            "W1": u((c1, 1, 3, 3), 9), "b1": u((c1,), 9), "W2": u((c2, c1, 3, 3), 9 * c1), "b2": u((c2,), 9 * c1),
            "W3": u((hid, 4 * c2), 4 * c2), "b3": u((hid,), 4 * c2), "W4": u((10, hid), hid), "b4": u((10,), hid)}


# ---- the floor: hand-written NumPy forward and backward (activations kept as N, H, W, C) ---------------
def _windows(a):
    """(N, H, W, C) -> (N*H*W, C*9): the 3x3 windows of a zero-padded input, one row each."""
    n, h, w, c = a.shape
    ap = np.pad(a, ((0, 0), (1, 1), (1, 1), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(ap, (3, 3), axis=(1, 2))     # (N, H, W, C, 3, 3)
    return np.ascontiguousarray(win).reshape(n * h * w, c * 9)


def _col2im(dcols, shape):
    n, h, w, c = shape
    d = dcols.reshape(n, h, w, c, 3, 3)
    out = np.zeros((n, h + 2, w + 2, c), dcols.dtype)
    for i in range(3):
        for j in range(3):
            out[:, i:i + h, j:j + w, :] += d[..., i, j]
    return out[:, 1:-1, 1:-1, :]


def _pool(a):
    n, h, w, c = a.shape
    p = a.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
    up = p.repeat(2, axis=1).repeat(2, axis=2)
    return p, a == up


def _unpool(dp, mask):
    return dp.repeat(2, axis=1).repeat(2, axis=2) * mask


def setup_floor(d, size):
    X = np.ascontiguousarray(d["X"].transpose(0, 2, 3, 1))
    Y = d["Y"]
    params = [d[k].copy() for k in NAMES]
    lr = np.float32(LR)

    def grads():
        W1, b1, W2, b2, W3, b3, W4, b4 = params
        n = X.shape[0]
        cols1 = _windows(X)
        z1 = (cols1 @ W1.reshape(len(W1), -1).T + b1).reshape(n, 8, 8, -1)
        a1 = np.maximum(z1, 0)
        p1, m1 = _pool(a1)
        cols2 = _windows(p1)
        z2 = (cols2 @ W2.reshape(len(W2), -1).T + b2).reshape(n, 4, 4, -1)
        a2 = np.maximum(z2, 0)
        p2, m2 = _pool(a2)
        flat = p2.transpose(0, 3, 1, 2).reshape(n, -1)          # flatten in (C, H, W) order, as Flatten does
        h = flat @ W3.T + b3
        a3 = np.maximum(h, 0)
        z = a3 @ W4.T + b4
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        dz = (z - Y) / np.float32(n)
        dW4, db4 = dz.T @ a3, dz.sum(0)
        dh = (dz @ W4) * (h > 0)
        dW3, db3 = dh.T @ flat, dh.sum(0)
        dp2 = (dh @ W3).reshape(p2.shape[0], p2.shape[3], 2, 2).transpose(0, 2, 3, 1)
        dz2 = (_unpool(dp2, m2) * (z2 > 0)).reshape(-1, len(W2))
        dW2, db2 = (dz2.T @ cols2).reshape(W2.shape), dz2.sum(0)
        dp1 = _col2im(dz2 @ W2.reshape(len(W2), -1), p1.shape)
        dz1 = (_unpool(dp1, m1) * (z1 > 0)).reshape(-1, len(W1))
        dW1, db1 = (dz1.T @ cols1).reshape(W1.shape), dz1.sum(0)
        return [dW1, db1, dW2, db2, dW3, db3, dW4, db4]

    def step():
        for p, g in zip(params, grads()):
            g *= lr
            p -= g

    return Case(step, grads)


# ---- the frameworks -------------------------------------------------------------------------------------
def _step_case(params, backward, zero_grad, sgd_step, to_numpy):
    def step():
        zero_grad()
        backward()
        sgd_step()

    def grads():
        backward()
        out = [to_numpy(p.grad) for p in params]
        zero_grad()
        return out

    return Case(step, grads)


def setup_turunan(d, size):
    import turunan as tn
    from turunan import nn, optim
    c1, c2, hid = size["c1"], size["c2"], size["hidden"]
    model = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * c2, hid), nn.ReLU(), nn.Linear(hid, 10))
    params = list(model.parameters())
    for p, k in zip(params, NAMES):
        p.data[...] = d[k]
    X, y = tn.tensor(d["X"]), tn.tensor(d["y"])
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(params, lr=LR)
    return _step_case(params, lambda: loss_fn(model(X), y).backward(), lambda: opt.zero_grad(set_to_none=True),
                      opt.step, lambda g: g.numpy().copy())


def setup_torch(d, size):
    import torch
    c1, c2, hid = size["c1"], size["c2"], size["hidden"]
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * c2, hid), nn.ReLU(), nn.Linear(hid, 10))
    params = list(model.parameters())
    with torch.no_grad():
        for p, k in zip(params, NAMES):
            p.copy_(torch.from_numpy(d[k]))
    X, y = torch.tensor(d["X"]), torch.tensor(d["y"])
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(params, lr=LR)
    return _step_case(params, lambda: loss_fn(model(X), y).backward(), lambda: opt.zero_grad(set_to_none=True),
                      opt.step, lambda g: g.detach().numpy().copy())
