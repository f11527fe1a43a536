"""Dask arrays inside tensors (DESIGN principle 8): lazy through forward, backward, second order, turunan.func and
the optimisers; computed only when asked (``tn.compute``, ``.numpy()``, ``.item()``), in one graph execution; and
refused, with a message saying what to do, where Dask cannot follow without computing.

Every value is checked against the same code run on NumPy arrays.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
import dask  # noqa: E402
from dask.callbacks import Callback  # noqa: E402

import turunan as tn  # noqa: E402
import turunan.nn as nn  # noqa: E402
import turunan.optim as optim  # noqa: E402
from turunan.func import grad, hvp, value_and_grad  # noqa: E402
from turunan.nn import functional as F  # noqa: E402

N, D, H, C = 48, 6, 5, 3
ROWS = 16       # rows per chunk: three chunks along the batch axis


def _data(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    Y = rng.standard_normal((N, 1)).astype(dtype)
    labels = rng.integers(0, C, N)
    params = [(rng.standard_normal((D, H)) * 0.5).astype(dtype), (rng.standard_normal(H) * 0.1).astype(dtype),
              (rng.standard_normal((H, C)) * 0.5).astype(dtype), (rng.standard_normal(C) * 0.1).astype(dtype)]
    return X, Y, labels, params


def lazy(a):
    """``a`` as a Dask array, chunked along its first axis where it has one."""
    a = np.asarray(a)
    return da.from_array(a, chunks=(ROWS,) + a.shape[1:] if a.ndim and a.shape[0] == N else a.shape)


def is_dask(t) -> bool:
    return type(getattr(t, "_d", t)) is da.Array


def tols(dtype):
    return dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)


def mlp(x, W1, b1, W2, b2, act=tn.tanh):
    h = act(x @ W1 + b1)
    return h, h @ W2 + b2


def mse_loss(x, y, W1, b1, W2, b2):
    h, out = mlp(x, W1, b1, W2, b2)
    return ((out[:, :1] - y) ** 2).mean(), h


def ce_loss(x, labels, W1, b1, W2, b2):
    h, out = mlp(x, W1, b1, W2, b2, act=tn.relu)
    return F.cross_entropy(out, labels), h


def backward_run(wrap, dtype, loss_fn, which="y"):
    """The loss, the hidden activations and the parameters (with their .grad) after loss.backward()."""
    X, Y, labels, params = _data(dtype)
    ps = [tn.tensor(wrap(p), requires_grad=True) for p in params]
    # class labels stay NumPy: cross_entropy checks their range, which on a Dask array would compute it
    target = tn.tensor(wrap(Y) if which == "y" else labels)
    loss, h = loss_fn(tn.tensor(wrap(X)), target, *ps)
    loss.backward()
    return loss, h, ps


class CountComputes(Callback):
    """Counts graph executions by Dask's local schedulers (one ``_start`` per execution)."""

    def __init__(self) -> None:
        super().__init__()
        self.starts = 0

    def _start(self, dsk) -> None:
        self.starts += 1


def refusing_scheduler(*args, **kwargs):
    raise AssertionError("something computed a Dask graph that should have stayed lazy")


# ---- forward, backward: lazy, and equal to NumPy ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss_fn, which", [(mse_loss, "y"), (ce_loss, "labels")], ids=["mse_tanh", "ce_relu"])
def test_mlp_loss_and_gradients_stay_lazy_and_equal_numpy(dtype, loss_fn, which):
    ref_loss, ref_h, ref_ps = backward_run(np.asarray, dtype, loss_fn, which)
    with dask.config.set(scheduler=refusing_scheduler):     # nothing may compute before tn.compute
        loss, h, ps = backward_run(lazy, dtype, loss_fn, which)
        assert is_dask(loss) and is_dask(h)
        assert all(is_dask(p) and is_dask(p.grad) for p in ps)
        assert loss.dtype == ref_loss.dtype and all(p.grad.dtype == q.grad.dtype for p, q in zip(ps, ref_ps))
    values = tn.compute(loss, h, *[p.grad for p in ps])
    assert all(type(v._d) is np.ndarray for v in values)
    np.testing.assert_allclose(values[0].numpy(), ref_loss.detach().numpy(), **tols(dtype))
    np.testing.assert_allclose(values[1].numpy(), ref_h.detach().numpy(), **tols(dtype))
    for v, q in zip(values[2:], ref_ps):
        np.testing.assert_allclose(v.numpy(), q.grad.numpy(), **tols(dtype))


def test_numpy_parameters_with_lazy_data_give_lazy_gradients():
    """The common case at scale: small NumPy parameters, the data lazy. Gradients come back lazy."""
    X, Y, _, params = _data()
    ref = [tn.tensor(p, requires_grad=True) for p in params]
    mse_loss(tn.tensor(X), tn.tensor(Y), *ref)[0].backward()
    ps = [tn.tensor(p, requires_grad=True) for p in params]
    loss, _ = mse_loss(tn.tensor(lazy(X)), tn.tensor(lazy(Y)), *ps)
    loss.backward()
    assert is_dask(loss) and all(is_dask(p.grad) for p in ps)
    assert all(type(p._d) is np.ndarray for p in ps)
    for g, q in zip(tn.compute([p.grad for p in ps]), ref):
        np.testing.assert_allclose(g.numpy(), q.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_no_dask_fallback_warning_in_forward_and_backward():
    """Dask warns (FutureWarning/UserWarning) when NumPy falls back to converting a Dask array: a silent
    compute. Under warnings-as-errors, the MLP's forward, backward and second order must not trigger one."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("error", RuntimeWarning)
        with dask.config.set(scheduler=refusing_scheduler):
            for loss_fn, which in ((mse_loss, "y"), (ce_loss, "labels")):
                loss, h, ps = backward_run(lazy, np.float64, loss_fn, which)
                assert is_dask(loss) and all(is_dask(p.grad) for p in ps)
            X, Y, _, params = _data()
            f = lambda W1: mse_loss(tn.tensor(lazy(X)), tn.tensor(lazy(Y)), W1, *map(lazy, params[1:]))[0]  # noqa: E731
            hv = hvp(f, (tn.tensor(lazy(params[0])),), (tn.tensor(np.ones((D, H))),))
            assert is_dask(hv)
        tn.compute(loss, *[p.grad for p in ps], hv)     # computing, asked for, warns nothing either


# ---- turunan.func and second order -----------------------------------------------------------------------------
def _loss_of_params(X, Y):
    def f(W1, b1, W2, b2):
        return mse_loss(tn.tensor(X), tn.tensor(Y), W1, b1, W2, b2)[0]
    return f


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_func_grad_and_value_and_grad(dtype):
    X, Y, _, params = _data(dtype)
    ref_f, f = _loss_of_params(X, Y), _loss_of_params(lazy(X), lazy(Y))
    argnums = (0, 1, 2, 3)
    ref_v, ref_g = value_and_grad(ref_f, argnums=argnums)(*params)
    with dask.config.set(scheduler=refusing_scheduler):
        v, g = value_and_grad(f, argnums=argnums)(*map(lazy, params))
        g_only = grad(f, argnums=argnums)(*map(lazy, params))
        assert is_dask(v) and all(is_dask(a) for a in g) and all(is_dask(a) for a in g_only)
    got = tn.compute(v, *g, *g_only)
    np.testing.assert_allclose(got[0].numpy(), ref_v.numpy(), **tols(dtype))
    for a, b in zip(got[1:5], ref_g):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tols(dtype))
    for a, b in zip(got[5:], ref_g):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tols(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_second_order_grad_of_grad_and_hvp(dtype):
    X, Y, _, params = _data(dtype)
    v = np.random.default_rng(5).standard_normal((D, H)).astype(dtype)

    def hvp_by_backward(wrap):
        ps = [tn.tensor(wrap(p), requires_grad=True) for p in params]
        loss, _ = mse_loss(tn.tensor(wrap(X)), tn.tensor(wrap(Y)), *ps)
        g1, = tn.autograd.grad(loss, [ps[0]], create_graph=True)
        (g1 * tn.tensor(wrap(v))).sum().backward()
        return g1, ps

    def hvp_by_func(wrap):
        f = lambda W1: mse_loss(tn.tensor(wrap(X)), tn.tensor(wrap(Y)), W1, *map(wrap, params[1:]))[0]  # noqa: E731
        return hvp(f, (tn.tensor(wrap(params[0])),), (tn.tensor(wrap(v)),))     # forward over reverse

    ref_g1, ref_ps = hvp_by_backward(np.asarray)
    ref_hv = hvp_by_func(np.asarray)
    with dask.config.set(scheduler=refusing_scheduler):
        g1, ps = hvp_by_backward(lazy)
        hv = hvp_by_func(lazy)
        assert is_dask(g1) and is_dask(hv) and all(is_dask(p.grad) for p in ps)
    got = tn.compute(g1, hv, *[p.grad for p in ps])
    np.testing.assert_allclose(got[0].numpy(), ref_g1.detach().numpy(), **tols(dtype))
    np.testing.assert_allclose(got[1].numpy(), ref_hv.numpy(), **tols(dtype))
    np.testing.assert_allclose(got[1].numpy(), got[2].numpy(), **tols(dtype))   # the same H @ v, two ways
    for a, b in zip(got[2:], ref_ps):
        np.testing.assert_allclose(a.numpy(), b.grad.numpy(), **tols(dtype))


# ---- tn.compute: one graph execution -------------------------------------------------------------------------
def test_compute_runs_one_graph_for_the_loss_and_all_gradients():
    loss, h, ps = backward_run(lazy, np.float64, mse_loss)
    ref_loss, _, ref_ps = backward_run(np.asarray, np.float64, mse_loss)
    with CountComputes() as counter:
        values = tn.compute(loss, *[p.grad for p in ps], scheduler="sync")
    assert counter.starts == 1
    assert len(values) == 5 and all(isinstance(v, tn.Tensor) and type(v._d) is np.ndarray for v in values)
    assert all(not v.requires_grad and v.grad_fn is None for v in values)
    np.testing.assert_allclose(values[0].item(), ref_loss.item(), rtol=1e-12)
    for v, q in zip(values[1:], ref_ps):
        np.testing.assert_allclose(v.numpy(), q.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_compute_with_a_scheduler_function_is_called_once():
    calls = []

    def scheduler(dsk, keys, **kwargs):
        calls.append(len(keys))
        return dask.get(dsk, keys, **kwargs)

    loss, _, ps = backward_run(lazy, np.float64, mse_loss)
    values = tn.compute([loss] + [p.grad for p in ps], scheduler=scheduler)
    assert len(calls) == 1 and len(values) == 5


def test_compute_shares_the_forward_pass_between_loss_and_gradients():
    """The chunks of X are read once per compute, not once per output: a loss and its gradients share them."""
    X, Y, _, params = _data()
    reads = []

    def load(block, block_info=None):
        if block_info is not None:      # None: Dask's call on an empty block to learn the result's type
            reads.append(block_info[0]["chunk-location"])
        return block

    x = da.map_blocks(load, lazy(X), dtype=X.dtype)
    ps = [tn.tensor(p, requires_grad=True) for p in params]
    loss, _ = mse_loss(tn.tensor(x), tn.tensor(lazy(Y)), *ps)
    loss.backward()
    tn.compute(loss, *[p.grad for p in ps], scheduler="sync")
    assert sorted(reads) == [(k, 0) for k in range(N // ROWS)]


def test_compute_mixed_arguments():
    t = tn.tensor(lazy(np.arange(N, dtype=np.float64)))
    a, b, c, d = tn.compute(t * 2, None, tn.tensor([1.0, 2.0]), np.arange(3))
    assert type(a._d) is np.ndarray and b is None and type(c._d) is np.ndarray
    np.testing.assert_array_equal(a.numpy(), np.arange(N) * 2.0)
    np.testing.assert_array_equal(d.numpy(), np.arange(3))
    with pytest.raises(TypeError, match="give tensors"):
        tn.compute("loss")


# ---- repr does not compute; numpy()/item()/float() do -----------------------------------------------------------
def test_repr_does_not_compute_and_shows_the_dask_repr():
    loss, h, ps = backward_run(lazy, np.float64, mse_loss)
    with CountComputes() as counter, dask.config.set(scheduler=refusing_scheduler):
        text = repr(loss)
        grad_text = repr(ps[0].grad)
        h_text = repr(h)
        param_text = repr(ps[0])
        formatted = f"{h}"
    assert counter.starts == 0
    assert text.startswith("tensor(dask.array<") and "grad_fn=<" in text
    assert "shape=()" in text and "float64" in text
    assert grad_text.startswith("tensor(dask.array<") and f"shape={(D, H)}" in grad_text
    assert "chunksize=" in h_text and f"shape={(N, H)}" in h_text
    assert "requires_grad=True" in param_text
    assert formatted == h_text


def test_numpy_item_and_float_compute():
    loss, h, ps = backward_run(lazy, np.float64, mse_loss)
    ref_loss, ref_h, ref_ps = backward_run(np.asarray, np.float64, mse_loss)
    with CountComputes() as counter:
        value = loss.item()
        as_float = float(loss)
        arr = h.detach().numpy()
        g = ps[0].grad.numpy()
    assert counter.starts == 4
    assert isinstance(value, float) and isinstance(as_float, float) and type(arr) is np.ndarray
    np.testing.assert_allclose(value, ref_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(as_float, ref_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(arr, ref_h.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g, ref_ps[0].grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ps[0].grad.tolist(), ref_ps[0].grad.tolist(), rtol=1e-12, atol=1e-12)


def test_numpy_of_a_lazy_tensor_that_requires_grad_is_still_refused():
    p = tn.tensor(lazy(np.ones(3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        p.numpy()


# ---- the optimisers on Dask parameters --------------------------------------------------------------------------
OPTIMISERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, weight_decay=0.01)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.01, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
]


def test_every_optimiser_class_is_covered():
    classes = {name for name in optim.__all__ if isinstance(getattr(optim, name), type)
               and issubclass(getattr(optim, name), optim.Optimizer) and getattr(optim, name) is not optim.Optimizer}
    assert classes == {name for name, _ in OPTIMISERS}


def _train(wrap, name, kwargs, steps=3, set_to_none=True):
    X, Y, _, params = _data()
    ps = [tn.tensor(wrap(p), requires_grad=True) for p in params]
    opt = getattr(optim, name)(ps, **kwargs)
    x, y = tn.tensor(wrap(X)), tn.tensor(wrap(Y))
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=set_to_none)
        loss, _ = mse_loss(x, y, *ps)
        loss.backward()
        opt.step()
        losses.append(loss)
    return ps, opt, losses


@pytest.mark.parametrize("name, kwargs", OPTIMISERS, ids=[f"{n}-{'-'.join(k)}" for n, k in OPTIMISERS])
def test_optimiser_steps_dask_parameters_like_numpy(name, kwargs):
    _, _, _, start = _data()
    ref, _, ref_losses = _train(np.asarray, name, kwargs)
    with dask.config.set(scheduler=refusing_scheduler):
        ps, opt, losses = _train(lazy, name, kwargs)
        assert all(is_dask(p) for p in ps) and all(is_dask(p.grad) for p in ps)
        for st in opt.state.values():
            assert all(is_dask(v) for k, v in st.items() if hasattr(v, "shape") and np.ndim(v) and k != "step")
    got = tn.compute(*ps, *losses)
    for a, b, s in zip(got, ref, start):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert not np.allclose(a.numpy(), s)        # the step really moved the parameter
    for a, b in zip(got[len(ps):], ref_losses):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_on_dask_gradients(set_to_none):
    ref, _, _ = _train(np.asarray, "SGD", dict(lr=0.1, momentum=0.9), set_to_none=set_to_none)
    ps, opt, _ = _train(lazy, "SGD", dict(lr=0.1, momentum=0.9), set_to_none=set_to_none)
    for a, b in zip(tn.compute(ps), ref):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert all(p.grad is None for p in ps)
    else:
        assert all(is_dask(p.grad) for p in ps)
        for g, p in zip(tn.compute([p.grad for p in ps]), ps):
            assert g.shape == p.shape and g.dtype == p.dtype
            np.testing.assert_array_equal(g.numpy(), 0)
    # and a gradient accumulated after zeroing is the new one alone, as on NumPy
    X, Y, _, _ = _data()
    mse_loss(tn.tensor(lazy(X)), tn.tensor(lazy(Y)), *ps)[0].backward()
    ref_ps = [tn.tensor(p.detach().numpy(), requires_grad=True) for p in ref]
    mse_loss(tn.tensor(X), tn.tensor(Y), *ref_ps)[0].backward()
    for g, q in zip(tn.compute([p.grad for p in ps]), ref_ps):
        np.testing.assert_allclose(g.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, kwargs", [("Adam", dict(lr=0.05, amsgrad=True)),
                                          ("SGD", dict(lr=0.1, momentum=0.9)),
                                          ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9))])
def test_a_failing_step_leaves_dask_parameters_and_state_unchanged(name, kwargs, monkeypatch):
    ps, opt, _ = _train(lazy, name, kwargs, steps=1)
    p = ps[0]
    before_data, before_state = p._d, {k: v for k, v in opt.state[id(p)].items()}
    before_values = tn.compute(ps)
    mse_loss(*map(tn.tensor, map(lazy, _data()[:2])), *ps)[0].backward()
    original = type(opt)._update

    def half_then_fail(self, param, g, state, group):
        original(self, param, g, state, group)     # the update ran (boxes rebound) and then something failed
        raise RuntimeError("injected failure")

    monkeypatch.setattr(type(opt), "_update", half_then_fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        opt.step()
    assert p._d is before_data and is_dask(p)
    state = opt.state[id(p)]
    assert set(state) == set(before_state)
    assert all(state[k] is before_state[k] for k in state)
    assert not any(type(v).__name__ == "Rebind" for v in state.values())
    for a, b in zip(tn.compute(ps[:1]), before_values[:1]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    monkeypatch.undo()
    opt.step()      # and the optimiser still works afterwards
    assert p._d is not before_data and is_dask(p)


def test_load_state_dict_error_leaves_dask_optimiser_unchanged():
    ps, opt, _ = _train(lazy, "Adam", dict(lr=0.05), steps=2)
    sd = opt.state_dict()
    state_before = {k: dict(v) for k, v in opt.state.items()}
    bad = {"state": {0: {"step": 1}}, "param_groups": sd["param_groups"]}
    with pytest.raises((ValueError, TypeError, KeyError)):
        opt.load_state_dict(bad)
    assert {k: set(v) for k, v in opt.state.items()} == {k: set(v) for k, v in state_before.items()}
    assert all(opt.state[k][n] is v for k, st in state_before.items() for n, v in st.items())


def test_state_dict_computed_to_numpy_loads_onto_dask_parameters():
    """A state_dict whose Dask state was computed (the form one saves to disk) loads into an optimiser of Dask
    parameters, and the next step equals the original optimiser's."""
    ps, opt, _ = _train(lazy, "Adam", dict(lr=0.05, amsgrad=True), steps=2)
    sd = opt.state_dict()
    assert all(is_dask(v) for st in sd["state"].values() for v in st.values() if hasattr(v, "dask"))
    saved = {i: {k: (tn.compute(v)[0].numpy() if hasattr(v, "dask") else v) for k, v in st.items()}
             for i, st in sd["state"].items()}
    clone = [tn.tensor(p.detach()._d, requires_grad=True) for p in ps]
    opt2 = optim.Adam(clone, lr=0.05, amsgrad=True)
    opt2.load_state_dict({"state": saved, "param_groups": sd["param_groups"]})
    X, Y, _, _ = _data()
    for params, o in ((ps, opt), (clone, opt2)):
        o.zero_grad()
        mse_loss(tn.tensor(lazy(X)), tn.tensor(lazy(Y)), *params)[0].backward()
        o.step()
    assert all(is_dask(p) for p in clone)
    for a, b in zip(tn.compute(ps), tn.compute(clone)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


# ---- turunan.nn layers --------------------------------------------------------------------------------------------
def _nn_model(seed=3):
    tn.manual_seed(seed)
    return nn.Sequential(nn.Linear(D, H), nn.Tanh(), nn.Linear(H, 1))


def test_nn_linear_with_dask_weights_trains_like_numpy():
    X, Y, _, _ = _data()
    ref, model = _nn_model(), _nn_model()
    for p in model.parameters():
        p.data = da.from_array(p.detach().numpy().copy())
    assert all(is_dask(p) for p in model.parameters())
    opts = [optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (ref, model)]
    for _ in range(3):
        for m, o, wrap in ((ref, opts[0], np.asarray), (model, opts[1], lazy)):
            o.zero_grad()
            loss = F.mse_loss(m(tn.tensor(wrap(X))), tn.tensor(wrap(Y)))
            loss.backward()
            o.step()
    assert is_dask(loss) and all(is_dask(p) and is_dask(p.grad) for p in model.parameters())
    for a, b in zip(tn.compute(list(model.parameters())), ref.parameters()):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_nn_numpy_model_on_lazy_batches():
    """The usual split: the model's parameters in memory, the data in Dask."""
    X, Y, _, _ = _data()
    ref, model = _nn_model(), _nn_model()
    for m, wrap in ((ref, np.asarray), (model, lazy)):
        F.mse_loss(m(tn.tensor(wrap(X))), tn.tensor(wrap(Y))).backward()
    assert all(type(p._d) is np.ndarray and is_dask(p.grad) for p in model.parameters())
    for a, b in zip(tn.compute([p.grad for p in model.parameters()]), ref.parameters()):
        np.testing.assert_allclose(a.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_an_optimiser_steps_numpy_parameters_on_lazy_gradients(name):
    """The usual split, trained: a step computes the lazy gradients of in-memory parameters in one graph execution
    and keeps them as the .grad; a hand-written update (D2L's ``p -= lr * p.grad``) computes explicitly, with no
    Dask fallback warning; the numbers are NumPy's."""
    X, Y, _, _ = _data()
    ref, model = _nn_model(), _nn_model()
    opts = [getattr(optim, name)(m.parameters(), lr=0.05) for m in (ref, model)]
    runs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for m, opt, wrap in ((ref, opts[0], np.asarray), (model, opts[1], lazy)):
            for _ in range(2):
                opt.zero_grad()
                F.mse_loss(m(tn.tensor(wrap(X))), tn.tensor(wrap(Y))).backward()
                with CountComputes() as counter:
                    opt.step()
                runs.append(counter.starts)
            with tn.no_grad():
                for p in m.parameters():
                    p -= 0.01 * p.grad
    assert runs[2:] == [1, 1]         # one dask.compute a step, for all the gradients
    assert all(type(p._d) is np.ndarray and type(p.grad._d) is np.ndarray for p in model.parameters())
    for a, b in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_in_place_on_a_dask_tensor_casts_as_numpy_does():
    t, n = tn.tensor(lazy(np.array([1, 2]))), tn.tensor(np.array([1, 2]))
    for x in (t, n):
        with pytest.raises(TypeError, match="same_kind"):
            x += 0.5
    t += 2
    assert is_dask(t) and t.numpy().tolist() == [3, 4]


def test_like_constructors_of_a_dask_tensor_stay_lazy():
    x = tn.tensor(lazy(np.ones((N, D))))
    for made in (tn.zeros_like(x), tn.ones_like(x), tn.empty_like(x), tn.full_like(x, 2.5)):
        assert is_dask(made) and made.shape == (N, D)
    assert tn.full_like(x, 2.5).numpy().sum() == 2.5 * N * D


# ---- refusals: clear errors, never a silent compute ---------------------------------------------------------------
def _vector():
    return np.random.default_rng(7).standard_normal(N)


def test_boolean_mask_held_in_dask_is_refused():
    x = tn.tensor(lazy(_vector()), requires_grad=True)
    mask = lazy(_vector() > 0)
    with dask.config.set(scheduler=refusing_scheduler):
        with pytest.raises(NotImplementedError, match=r"compute the mask first.*mask\.compute\(\)") as e:
            x[mask]
        with pytest.raises(NotImplementedError, match="Dask"):
            x[tn.tensor(mask)]
    assert "turunan.where(mask, x, 0)" in str(e.value)


def test_scatter_add_with_repeated_indices_is_refused():
    x = tn.tensor(lazy(_vector()), requires_grad=True)
    with dask.config.set(scheduler=refusing_scheduler):
        y = x[[0, 0, 1]].sum()          # the forward gather is fine, lazily
        assert is_dask(y)
        with pytest.raises(NotImplementedError, match="repeated indices") as e:
            y.backward()
    assert "unique indices" in str(e.value) and "turunan.compute" in str(e.value)


def test_a_pointwise_pick_with_dask_labels_is_refused():
    y_hat = tn.tensor(lazy(np.random.default_rng(2).random((N, C))), requires_grad=True)
    labels = lazy(np.random.default_rng(3).integers(0, C, N))
    with pytest.raises(NotImplementedError, match="compute the labels"):
        y_hat[range(N), tn.tensor(labels)]


def test_scatter_add_with_a_dask_index_array_is_refused():
    x = tn.tensor(lazy(_vector()), requires_grad=True)
    idx = da.from_array(np.array([2, 0, 1]))
    with dask.config.set(scheduler=refusing_scheduler):
        y = x[idx].sum()
        with pytest.raises(NotImplementedError, match=r"index\.compute\(\)"):
            y.backward()


@pytest.mark.parametrize("index", [[2, 0, 1], np.array([47, 5, 3, 1, 40]), slice(3, 20, 4), (Ellipsis, [4, 17])],
                         ids=["list", "array", "slice", "ellipsis_list"])
def test_unique_indices_gather_and_scatter_like_numpy(index):
    v = _vector()
    w = np.random.default_rng(8).standard_normal(np.asarray(np.arange(N)[index]).shape)
    ref = tn.tensor(v, requires_grad=True)
    (ref[index] * w).sum().backward()
    x = tn.tensor(lazy(v), requires_grad=True)
    with dask.config.set(scheduler=refusing_scheduler):
        y = x[index]
        (y * w).sum().backward()
        assert is_dask(y) and is_dask(x.grad)
    got_y, got_g = tn.compute(y, x.grad)
    np.testing.assert_array_equal(got_y.numpy(), v[index])
    np.testing.assert_allclose(got_g.numpy(), ref.grad.numpy(), rtol=1e-12, atol=0)


def test_cumprod_gradient_is_refused():
    x = tn.tensor(lazy(_vector()), requires_grad=True)
    with dask.config.set(scheduler=refusing_scheduler):
        y = tn.cumprod(x, axis=0)
        assert is_dask(y)
        with pytest.raises(NotImplementedError, match="cumprod") as e:
            y.sum().backward()
    assert "compute the input first" in str(e.value)
    assert "turunan.compute" in str(e.value)


def test_cumprod_forward_matches_numpy():
    v = _vector()
    (got,) = tn.compute(tn.cumprod(tn.tensor(lazy(v)), axis=0))
    np.testing.assert_allclose(got.numpy(), np.cumprod(v), rtol=1e-12)


# ---- a dask.distributed cluster -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the cluster's own start-up notes (ports, threads)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                           dashboard_address=None)
        c = distributed.Client(cluster, set_as_default=False)   # the other tests keep Dask's local scheduler
    yield c
    c.close()
    cluster.close()


def test_gradients_on_a_local_cluster_equal_numpy(client):
    from dask.distributed import get_task_stream
    ref_loss, ref_h, ref_ps = backward_run(np.asarray, np.float64, mse_loss)
    loss, h, ps = backward_run(lazy, np.float64, mse_loss)
    with get_task_stream(client) as stream:
        values = tn.compute(loss, *[p.grad for p in ps], scheduler=client)
    assert len({t["worker"] for t in stream.data}) >= 1 and len(stream.data) >= N // ROWS   # ran on the cluster
    assert all(type(v._d) is np.ndarray for v in values)
    np.testing.assert_allclose(values[0].numpy(), ref_loss.detach().numpy(), rtol=1e-12)
    for v, q in zip(values[1:], ref_ps):
        np.testing.assert_allclose(v.numpy(), q.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_running_client_is_used_by_default(client):
    from dask.distributed import get_task_stream
    ref_loss, _, _ = backward_run(np.asarray, np.float32, ce_loss, "labels")
    loss, _, ps = backward_run(lazy, np.float32, ce_loss, "labels")
    with client.as_current(), get_task_stream(client) as stream:
        values = tn.compute(loss, *[p.grad for p in ps])
    assert len(stream.data) > 0
    np.testing.assert_allclose(values[0].numpy(), ref_loss.detach().numpy(), rtol=2e-5)


def test_training_steps_on_a_local_cluster(client):
    ref, _, _ = _train(np.asarray, "Adam", dict(lr=0.05))
    ps, _, _ = _train(lazy, "Adam", dict(lr=0.05))
    for a, b in zip(tn.compute(ps, scheduler=client), ref):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---- what the lead fixed after the first sweep: each once computed silently or failed inside Dask ---------------
def test_cross_entropy_with_lazy_labels_stays_lazy_and_checks_classes_when_computed():
    logits_np = np.random.default_rng(0).standard_normal((N, 3))
    labels_np = np.arange(N) % 3
    logits = tn.tensor(lazy(logits_np), requires_grad=True)
    with dask.config.set(scheduler=refusing_scheduler):
        loss = F.cross_entropy(logits, tn.tensor(lazy(labels_np)))
        loss.backward()
        assert is_dask(loss) and is_dask(logits.grad)
    ref = tn.tensor(logits_np, requires_grad=True)
    F.cross_entropy(ref, tn.tensor(labels_np)).backward()
    np.testing.assert_allclose(tn.compute(loss)[0].item(), F.cross_entropy(tn.tensor(logits_np),
                                                                           tn.tensor(labels_np)).item())
    np.testing.assert_allclose(logits.grad.numpy(), ref.grad.numpy(), rtol=1e-12)
    # a class out of range is found when the graph runs: an error, never a loss that silently skipped it
    bad = labels_np.copy()
    bad[5] = 3
    with dask.config.set(scheduler=refusing_scheduler):
        loss = F.cross_entropy(tn.tensor(lazy(logits_np)), tn.tensor(lazy(bad)))
    with pytest.raises(IndexError, match="class 3 or more"):
        loss.item()


def test_hessian_vector_product_does_not_compute_the_vector():
    f = lambda x: (x ** 3).sum()
    x, v = _vector(), np.random.default_rng(8).standard_normal(N)
    with dask.config.set(scheduler=refusing_scheduler):
        hv = tn.hessian_vector_product(f)(tn.tensor(lazy(x)), tn.tensor(lazy(v)))
        assert is_dask(hv)
    np.testing.assert_allclose(hv.numpy(), 6 * x * v, rtol=1e-12)


def test_load_state_dict_with_lazy_state_keeps_it_lazy_and_checks_it_when_computed():
    p = tn.tensor(lazy(np.ones(N)), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    q = tn.tensor(lazy(np.ones(N)), requires_grad=True)
    opt2 = optim.Adam([q], lr=0.1)
    with dask.config.set(scheduler=refusing_scheduler):
        opt2.load_state_dict(opt.state_dict())
        assert all(is_dask(v) for v in opt2.state[id(q)].values() if hasattr(v, "shape") and np.ndim(v))
    for a, b in zip(tn.compute(*[v for k, v in sorted(opt.state[id(p)].items()) if np.ndim(v)]),
                    tn.compute(*[v for k, v in sorted(opt2.state[id(q)].items()) if np.ndim(v)])):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    state = opt.state_dict()
    state["state"][0]["exp_avg_sq"] = state["state"][0]["exp_avg_sq"] * np.nan
    opt3 = optim.Adam([tn.tensor(lazy(np.ones(N)), requires_grad=True)], lr=0.1)
    opt3.load_state_dict(state)       # lazy: the check runs with the graph
    with pytest.raises(ValueError, match="NaN or infinite"):
        tn.compute(*[v for v in opt3.state[next(iter(opt3.state))].values() if np.ndim(v)])


@pytest.mark.parametrize("index", [np.array([[5, 3], [1, 9]]), (slice(None), np.array([[0], [0]]))],
                         ids=["rows", "columns"])
def test_gather_with_a_two_dimensional_index_array(index):
    xn = np.arange(N * 2.0).reshape(N, 2)
    x = tn.tensor(lazy(xn), requires_grad=True)
    y = x[index]
    assert is_dask(y) and y.shape == xn[index].shape
    np.testing.assert_array_equal(y.detach().numpy(), xn[index])
    if isinstance(index, np.ndarray):       # unique rows: the scatter of the gradient is exact on Dask
        (y * 2).sum().backward()
        expected = np.zeros_like(xn)
        expected[index.ravel()] = 2
        np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_d2l_cross_entropy_picks_on_dask_and_repeated_pointwise_picks():
    """D2L's ``-log(y_hat[range(len(y_hat)), y])`` (pointwise picks, which Dask spells ``vindex``) stays lazy and
    equals NumPy; repeated (row, column) picks add up in the gradient, as np.add.at adds them."""
    rng = np.random.default_rng(3)
    xn, labels = rng.standard_normal((N, 3)), rng.integers(0, 3, N)

    def cross_entropy(x):
        e = tn.exp(x)
        y_hat = e / e.sum(1, keepdims=True)
        return -tn.log(y_hat[range(len(y_hat)), labels]).mean()
    lazy_x, ref = tn.tensor(lazy(xn), requires_grad=True), tn.tensor(xn, requires_grad=True)
    with dask.config.set(scheduler=refusing_scheduler):
        loss = cross_entropy(lazy_x)
        loss.backward()
        assert is_dask(loss) and is_dask(lazy_x.grad)
    cross_entropy(ref).backward()
    np.testing.assert_allclose(lazy_x.grad.numpy(), ref.grad.numpy(), rtol=1e-12)
    rows, cols = np.array([0, 0, 5]), np.array([1, 1, 2])
    x = tn.tensor(lazy(xn), requires_grad=True)
    (x[rows, cols] * tn.tensor([1.0, 2.0, 3.0])).sum().backward()
    expected = np.zeros_like(xn)
    np.add.at(expected, (rows, cols), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_distributed_data_parallel_refuses_dask_parameters(monkeypatch):
    from turunan import distributed as dist
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_world_size", lambda: 2)
    model = nn.Linear(3, 2)
    model.weight._d = lazy(model.weight._d)
    with pytest.raises(TypeError, match="keep the model's parameters in NumPy arrays"):
        nn.parallel.DistributedDataParallel(model)
