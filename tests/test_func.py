"""turunan.func: grad, vjp, jvp, Jacobians, Hessians; composition, pytrees, errors; against torch.func and JAX."""

import numpy as np
import pytest

import turunan as tn
from turunan.func import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    stop_gradient,
    tree_flatten,
    tree_unflatten,
    value_and_grad,
    vjp,
)
from turunan.testing import check_grads

rng = np.random.default_rng(1)


def f64(*s):
    return tn.tensor(rng.standard_normal(s))


def test_grad_basic_and_top_level_names():
    x = tn.tensor([0.0, 1.0, 2.0], dtype=np.float64)
    np.testing.assert_allclose(tn.grad(lambda x: (tn.sin(x) * x).sum())(x).data,
                               np.sin(x.data) + x.data * np.cos(x.data))
    assert tn.value_and_grad is value_and_grad and tn.jacobian is jacobian and tn.hessian is hessian


def test_grad_to_any_order():
    assert grad(grad(grad(tn.sin)))(0.0).item() == -1.0
    assert grad(grad(grad(grad(lambda x: x ** 4))))(1.5).item() == 24.0


def test_argnums_pytrees_aux():
    def loss(params, x, scale):
        h = tn.tanh(x @ params["w"] + params["b"][0])
        return (h * h).sum() * scale, h.shape
    params = {"w": f64(3, 2), "b": [f64(2)]}
    x = f64(4, 3)
    (g, shape) = grad(loss, has_aux=True)(params, x, 2.0)
    assert set(g) == {"w", "b"} and isinstance(g["b"], list) and g["w"].shape == (3, 2)
    assert shape == (4, 2)
    gw, gx = grad(lambda p, x: loss(p, x, 1.0)[0], argnums=(0, 1))(params, x)
    assert gx.shape == (4, 3)
    (val, aux), g2 = value_and_grad(loss, has_aux=True)(params, x, 2.0)
    np.testing.assert_allclose(g2["w"].data, g["w"].data)
    assert not val.requires_grad   # a top-level result is a plain value


def test_numpy_and_float_inputs():
    g = grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    assert isinstance(g, tn.Tensor) and g.dtype == np.float64
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    assert grad(lambda x: x * x)(3.0).item() == 6.0


def test_non_scalar_grad_error():
    with pytest.raises(TypeError, match=r"scalar output.*\.sum\(\).*jacobian"):
        grad(lambda x: x * 2)(tn.ones(3))


def test_integer_input_error():
    with pytest.raises(TypeError, match="floating-point"):
        grad(lambda x: x * 2)(3)
    with pytest.raises(TypeError, match="floating-point"):
        jvp(lambda x: x * 2, (tn.tensor([1, 2]),), (tn.tensor([1, 2]),))


def test_vjp_many_times_and_structure():
    out, pull = vjp(lambda a, b: {"s": a * b, "t": [a + b]}, f64(3), f64(3))
    for _ in range(3):
        ga, gb = pull({"s": tn.ones(3, dtype=np.float64), "t": [tn.zeros(3, dtype=np.float64)]})
    assert ga.shape == (3,)
    with pytest.raises(ValueError, match="structure"):
        pull(tn.ones(3))


def test_jvp_pytrees_and_linearize():
    p = {"a": f64(2), "b": f64(2)}
    t = {"a": tn.ones(2, dtype=np.float64), "b": tn.zeros(2, dtype=np.float64)}
    out, tout = jvp(lambda d: (d["a"] * d["b"], d["a"].sum()), (p,), (t,))
    np.testing.assert_allclose(tout[0].data, p["b"].data)
    assert tout[1].item() == 2.0
    y, lin = linearize(tn.exp, tn.tensor(0.5, dtype=np.float64))
    assert np.isclose(lin(tn.tensor(2.0, dtype=np.float64)).item(), 2 * np.exp(0.5))


def _mlp(w1, w2):
    return lambda x: tn.tanh(tn.tanh(x @ w1) @ w2)


def test_jacobians_agree():
    w1, w2, x = f64(5, 4), f64(4, 3), f64(5)
    f = _mlp(w1, w2)
    Jr, Jf, J = jacrev(f)(x), jacfwd(f)(x), jacobian(f)(x)
    assert Jr.shape == (3, 5)
    np.testing.assert_allclose(Jr.data, Jf.data, rtol=1e-10)
    np.testing.assert_allclose(J.data, Jf.data, rtol=1e-10)
    g = lambda x: tn.stack([x.sum(), (x * x).sum()])       # wide: jacobian picks reverse
    np.testing.assert_allclose(jacobian(g)(x).data, jacfwd(g)(x).data)


def test_hessian_and_hvp():
    A = f64(4, 4)
    f = lambda x: (tn.tanh(A @ x) ** 2).sum() + (x ** 3).sum()
    x, v = f64(4), f64(4)
    H = hessian(f)(x)
    np.testing.assert_allclose(H.data, H.data.T, atol=1e-12)
    np.testing.assert_allclose(H.data, jacrev(jacrev(f))(x).data, rtol=1e-9)
    np.testing.assert_allclose(hvp(f, (x,), (v,)).data, H.data @ v.data, rtol=1e-9)
    np.testing.assert_allclose(jacfwd(jacfwd(f))(x).data, H.data, rtol=1e-9)


def test_grad_of_jvp_and_jvp_of_grad():
    f = lambda x: tn.sin(x) * tn.exp(x)
    x = tn.tensor(0.3, dtype=np.float64)
    one = tn.tensor(1.0, dtype=np.float64)
    d2 = grad(lambda x: jvp(f, (x,), (one,))[1])(x)
    d2b = jvp(grad(f), (x,), (one,))[1]
    want = 2 * np.cos(0.3) * np.exp(0.3)
    assert np.isclose(d2.item(), want) and np.isclose(d2b.item(), want)


def test_closure_over_outer_variable():
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(3.0).item() == 6.0


def test_stop_gradient():
    assert grad(lambda x: x * stop_gradient(x))(3.0).item() == 3.0
    assert jvp(lambda x: x * stop_gradient(x), (tn.tensor(3.0),), (tn.tensor(1.0),))[1].item() == 3.0


def test_tree_roundtrip():
    tree = {"b": (1.0, [2.0, None]), "a": 3.0}
    leaves, td = tree_flatten(tree)
    assert leaves == [3.0, 1.0, 2.0]
    assert tree_unflatten(td, leaves) == tree


def test_check_grads_on_transforms():
    check_grads(lambda x: grad(lambda y: (tn.sin(y) * y).sum())(x), [rng.standard_normal(3)], order=1)
    check_grads(lambda x: jvp(tn.tanh, (x,), (tn.ones(3, dtype=np.float64),))[1], [rng.standard_normal(3)],
                order=1)


# ---- differential tests ----------------------------------------------------------------------------------
def _problem():
    W1, W2 = rng.standard_normal((6, 5)), rng.standard_normal((5, 4))
    x, v = rng.standard_normal(6), rng.standard_normal(6)
    return W1, W2, x, v


def test_against_torch_func():
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("torch.func")
    W1, W2, x, v = _problem()
    ft = lambda x: torch.tanh(torch.tanh(x @ torch.tensor(W1)) @ torch.tensor(W2))
    fn = _mlp(tn.tensor(W1), tn.tensor(W2))
    xt, vt = torch.tensor(x), torch.tensor(v)
    np.testing.assert_allclose(jacrev(fn)(tn.tensor(x)).data, tf.jacrev(ft)(xt).numpy(), rtol=1e-10)
    np.testing.assert_allclose(jacfwd(fn)(tn.tensor(x)).data, tf.jacfwd(ft)(xt).numpy(), rtol=1e-10)
    st = lambda x: (ft(x) ** 2).sum()
    sn = lambda x: (fn(x) ** 2).sum()
    np.testing.assert_allclose(hessian(sn)(tn.tensor(x)).data, tf.hessian(st)(xt).numpy(), rtol=1e-9)
    np.testing.assert_allclose(jvp(fn, (tn.tensor(x),), (tn.tensor(v),))[1].data, tf.jvp(ft, (xt,), (vt,))[1].numpy(),
                               rtol=1e-10)


def test_against_jax():
    jax = pytest.importorskip("jax")
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        _jax_checks(jax)
    finally:
        jax.config.update("jax_enable_x64", prev)


def _jax_checks(jax):
    jnp = jax.numpy
    W1, W2, x, v = _problem()
    fj = lambda x: jnp.tanh(jnp.tanh(x @ W1) @ W2)
    fn = _mlp(tn.tensor(W1), tn.tensor(W2))
    sj = lambda x: (jnp.sin(fj(x)) ** 2).sum()
    sn = lambda x: (tn.sin(fn(x)) ** 2).sum()
    np.testing.assert_allclose(grad(sn)(tn.tensor(x)).data, np.asarray(jax.grad(sj)(x)), rtol=1e-9)
    np.testing.assert_allclose(hessian(sn)(tn.tensor(x)).data, np.asarray(jax.hessian(sj)(x)), rtol=1e-9)
    hv = jax.jvp(jax.grad(sj), (x,), (v,))[1]
    np.testing.assert_allclose(hvp(sn, (tn.tensor(x),), (tn.tensor(v),)).data, np.asarray(hv), rtol=1e-9)
    d3 = jax.grad(jax.grad(jax.grad(lambda s: jnp.sin(s) * s ** 2)))(0.4)
    assert np.isclose(grad(grad(grad(lambda s: tn.sin(s) * s ** 2)))(np.float64(0.4)).item(), float(d3))


def test_functional_docs_run():
    from readme import blocks
    namespace = {"__name__": "__docs__"}      # the blocks run in order, as one reader's session
    for i, block in enumerate(blocks("Differentiating functions")):
        with np.errstate(over="ignore"):
            exec(compile(block, f"README functional block {i}", "exec"), namespace)


def test_top_level_results_keep_no_graph():
    f = lambda x: (tn.sin(x) ** 2).sum()
    h = tn.hessian(f)(np.array([0.1, 0.2]))
    assert h._node is None and not h.requires_grad
    out, tangent = jvp(lambda x: x * x, (np.ones(2),), (np.ones(2),))
    assert out._node is None and tangent._node is None
    x = tn.tensor([0.1, 0.2], dtype=np.float64, requires_grad=True)     # recorded input: stays differentiable
    h = tn.hessian(f)(x)
    (g,) = tn.autograd.grad(h.sum(), [x])
    np.testing.assert_allclose(g.numpy(), -4 * np.sin(2 * x.detach().numpy()), rtol=1e-10)   # d/dx of sum(2 cos 2x)


def _set_rows(a):
    y = a * 1.0
    y[1] = a[0] * a[2]
    return y * a


@pytest.mark.parametrize("case", ["mlp", "broadcast", "reductions", "shapes", "batched_matmul", "indexing",
                                  "concatenate", "setitem", "cumsum"])
def test_batched_jacrev_equals_row_by_row(case, monkeypatch):
    import turunan._jacobians as F
    r = np.random.default_rng(3)
    w1, w2 = r.standard_normal((6, 5)), r.standard_normal((5, 4))
    f, args = {
        "mlp": (lambda x: tn.tanh(tn.relu(x @ w1) @ w2), [r.standard_normal(6)]),
        "broadcast": (lambda a, b: (a * b + tn.sin(a) / (1 + b * b)).sum(axis=0), [r.standard_normal((3, 4)),
                                                                              r.standard_normal(4)]),
        "reductions": (lambda a: a.max(axis=1) + tn.norm(a, axis=1) + tn.logsumexp(a, 1) + a.prod(1) + a.std(1),
                       [r.standard_normal((3, 4))]),
        "shapes": (lambda a: (a.T.reshape(2, 6) @ np.ones((6, 2))).T, [r.standard_normal((3, 4))]),
        "batched_matmul": (lambda a, b: tn.matmul(a, b), [r.standard_normal((2, 3)), r.standard_normal((5, 3, 2))]),
        "indexing": (lambda a: a[[0, 2, 0]][:, 1:] * 2 + a[a > 0].sum(), [r.standard_normal((3, 4))]),
        "concatenate": (lambda a, b: tn.concatenate([a, b * b], axis=1).T, [r.standard_normal((2, 3)),
                                                                             r.standard_normal((2, 2))]),
        "setitem": (lambda a: _set_rows(a), [r.standard_normal((3, 4))]),
        "cumsum": (lambda a: tn.cumsum(a, 1), [r.standard_normal((3, 4))]),
    }[case]
    nums = tuple(range(len(args)))
    rows = []
    real_rows = F._jacrev_rows
    monkeypatch.setattr(F, "_jacrev_rows", lambda *a: rows.append(1) or real_rows(*a))
    fast = jacrev(f, nums)(*args)
    assert not rows                 # every op batches (vmap of the pullback): no row-by-row fallback
    monkeypatch.setattr(F, "_jacrev_batched", _not_batchable)
    slow = jacrev(f, nums)(*args)
    assert rows
    for a, b in zip(fast, slow):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)


def _not_batchable(*args):
    from turunan._batched import BatchingError
    raise BatchingError("forced by the test")


@pytest.mark.parametrize("inner", ["plain", "log2_exp2", "cumprod"])
def test_jacfwd_is_one_batched_jvp_and_agrees_with_columns(inner, monkeypatch):
    import turunan._jacobians as F
    r = np.random.default_rng(5)
    w = r.standard_normal((4, 3))
    f = {"plain": lambda x: tn.sigmoid(x @ w) * 2,
         "log2_exp2": lambda x: tn.log2(1 + tn.exp2(x @ w)),      # rows the old whitelist of batchable ops missed
         "cumprod": lambda x: tn.cumprod(x @ w, 0)}[inner]
    x = r.standard_normal(4)
    cols = []
    real = F._jacfwd_columns
    monkeypatch.setattr(F, "_jacfwd_columns", lambda *a: cols.append(1) or real(*a))
    fast = jacfwd(f)(x)
    assert not cols
    monkeypatch.setattr(F, "_jacfwd_batched", _not_batchable)
    np.testing.assert_allclose(fast.numpy(), jacfwd(f)(x).numpy(), rtol=1e-12)
    assert cols
    h = hessian(lambda x: (tn.sin(x) * x).sum())(np.array([0.3, 1.1]))
    np.testing.assert_allclose(np.diag(h.numpy()), 2 * np.cos([0.3, 1.1]) - np.array([0.3, 1.1]) * np.sin([0.3, 1.1]))


def test_hessian_batched_agrees_with_unbatched(monkeypatch):
    import turunan._jacobians as F
    r = np.random.default_rng(8)
    w = r.standard_normal((5, 5)) / 3
    f = lambda x: (tn.tanh(x @ w) ** 2).sum() + (x[1:] * x[:-1]).sum()
    x = r.standard_normal(5)
    fast = hessian(f)(x).numpy()
    monkeypatch.setattr(F, "_jacrev_batched", _not_batchable)
    monkeypatch.setattr(F, "_jacfwd_batched", _not_batchable)
    slow = hessian(f)(x).numpy()          # one jvp per column over one backward pass per row
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast, fast.T, rtol=1e-12, atol=1e-12)
