"""vmap: every row's batching rule against a loop over examples, the rows that enter and leave a level through
check_grads (reverse and forward, second order), composition with the other transforms, and the error paths.
Random programs against torch.func.vmap: tests/test_vmap_sweep.py."""

import numpy as np
import pytest
from test_forward_mode import SPECS, skip_without_scipy

import turunan as tn
from turunan import _batching, _core, _rules
from turunan._batched import BatchingError
from turunan.func import grad, hessian, jacfwd, jacrev, jvp
from turunan.testing import check_grads

rng = np.random.default_rng(7)
B = 3


def _batched_rows():
    rows = []
    for name, prim in sorted(_rules.TABLE.items()):
        if prim.batch is _batching.LEVELS or name == "clip_tensor_bounds":
            continue
        rows.append(name)
    return rows


# arguments for the rows that SPECS (written for differentiable rows) does not hold
_EXTRA = {
    "equal": (lambda: [rng.standard_normal((2, 3)), rng.standard_normal(3)], {}, (0, 1)),
    "floor": (lambda: [rng.standard_normal((2, 3)) * 3], {}, (0,)),
    "argmax": (lambda: [rng.standard_normal((2, 3))], {"axis": None, "keepdims": False}, (0,)),
    "argmin": (lambda: [rng.standard_normal((2, 3))], {"axis": 1, "keepdims": True}, (0,)),
    "all": (lambda: [rng.standard_normal((2, 3)) > 0], {"axis": 0, "keepdims": False}, (0,)),
    "any": (lambda: [rng.standard_normal((2, 3)) > 0], {"axis": None, "keepdims": False}, (0,)),
    "argsort": (lambda: [rng.standard_normal((2, 3))], {"axis": 1, "descending": True}, (0,)),
    "cast": (lambda: [rng.standard_normal((2, 3)) * 3], {"dtype": np.int64}, (0,)),
}


def _spec(name):
    if name in SPECS:
        return SPECS[name]
    if name in _EXTRA:
        return _EXTRA[name]
    prim = _rules.TABLE[name]
    if prim.batch is not None and not prim.differentiable:     # comparisons, rounding: elementwise on two/one
        nargs = 2 if name in ("not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
                              "logical_or", "logical_xor", "floor_divide") else 1
        return (lambda: [rng.standard_normal((2, 3)) + 2 for _ in range(nargs)], {}, tuple(range(nargs)))
    return None


@pytest.mark.parametrize("name", _batched_rows())
def test_every_row_batches_like_a_loop(name):
    """vmap over each differentiated input of each row (the others shared) equals applying the row per example."""
    skip_without_scipy(name)
    spec = _spec(name)
    assert spec is not None, f"add arguments for {name!r} to _EXTRA"
    make, params, diff = spec
    prim = _rules.TABLE[name]
    assert prim.batch is not None, f"the row {name!r} has no batching rule"
    for which in diff:
        args = make()
        batch = [np.asarray(args[which]) + 0.1 * k for k in range(B)]
        if np.asarray(args[which]).dtype == bool:
            batch = [np.asarray(args[which]) ^ (k % 2 == 1) for k in range(B)]

        def f(x, which=which, args=args):
            full = list(args)
            full[which] = x
            return _core.apply(prim, *full, **params)
        got = tn.vmap(f)(np.stack(batch)).numpy()
        want = np.stack([np.asarray(_core.apply(prim, *[b if i == which else a for i, a in enumerate(args)],
                                                **params).numpy()) for b in batch])
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)


def test_every_row_has_what_its_tags_promise():
    for name, prim in _rules.TABLE.items():
        assert prim.batch is not None, f"{name}: no batching rule"
        assert prim.display and prim.display[0].isupper(), f"{name}: no display name"
        if prim.differentiable:
            assert prim.jvp is not None, f"{name}: differentiable, but no forward rule"
            assert len(prim.vjps) >= 1
        if prim.view:
            assert prim.inverse is not None, f"{name}: a view without an inverse (in-place through it)"


def test_a_row_without_a_batching_rule_is_named_in_the_error():
    prim = _core.Primitive("my_op", lambda x: x * 2, [lambda g, ans, x: 2 * g], None)
    with pytest.raises(BatchingError, match="'my_op' has no batching rule"):
        tn.vmap(lambda x: _core.apply(prim, x))(np.ones((2, 3)))


# ---- the rows that move values into and out of a level, through check_grads -----------------------------
def test_level_rows_gradients_to_second_order():
    x = rng.standard_normal((B, 4))
    w = rng.standard_normal(4)
    # vmap_in / vmap_out (inputs batched, along axis 1 too), vmap_broadcast / vmap_sum (w shared by every example)
    check_grads(lambda x: tn.vmap(lambda r: tn.sin(r) * r)(x), [x])
    check_grads(lambda x: tn.vmap(lambda c: (c * c).sum(), in_axes=1)(x), [x])
    check_grads(lambda w, x: tn.vmap(lambda r: tn.tanh(r * w).sum(), in_axes=(0,))(x) * w.sum(), [w, x])
    check_grads(lambda w, x: tn.vmap(lambda w, r: tn.tanh(r @ w), in_axes=(None, 0))(w, x), [w, x])
    check_grads(lambda x: tn.vmap(lambda r: r * 2.0, out_axes=1)(x), [x])


def test_per_example_gradients_and_the_gradient_of_their_sum():
    w = rng.standard_normal(4)
    xs = rng.standard_normal((5, 4))
    ys = rng.standard_normal(5)
    loss = lambda w, x, y: (tn.tanh(x @ w) - y) ** 2
    per = tn.vmap(grad(loss), in_axes=(None, 0, 0))(w, xs, ys).numpy()
    one_by_one = np.stack([grad(loss)(w, xs[i], ys[i]).numpy() for i in range(5)])
    np.testing.assert_allclose(per, one_by_one, rtol=1e-12)
    total = grad(lambda w: tn.vmap(loss, in_axes=(None, 0, 0))(w, xs, ys).sum())(w).numpy()
    np.testing.assert_allclose(total, one_by_one.sum(0), rtol=1e-12)


def test_nested_vmap_and_jacobians_through_it():
    x = rng.standard_normal((2, 3, 4))
    f = lambda r: (tn.sin(r) * r.sum()).sum()
    got = tn.vmap(tn.vmap(f))(x).numpy()
    np.testing.assert_allclose(got, np.array([[float(f(tn.tensor(x[i, j])).numpy()) for j in range(3)]
                                              for i in range(2)]), rtol=1e-12)
    g = lambda r: (tn.exp(r) * tn.log1p(r * r)).sum()
    h = tn.vmap(hessian(g))(x[0]).numpy()
    for i in range(3):
        np.testing.assert_allclose(h[i], jacfwd(jacrev(g))(x[0, i]).numpy(), rtol=1e-10)
    # vmap of a jvp, and a jvp through vmap
    v = rng.standard_normal((3, 4))
    out = tn.vmap(lambda r, t: jvp(g, (r,), (t,))[1])(x[0], v).numpy()
    want = [float(jvp(g, (tn.tensor(x[0, i]),), (tn.tensor(v[i]),))[1].numpy()) for i in range(3)]
    np.testing.assert_allclose(out, want, rtol=1e-12)
    out2 = jvp(lambda a: tn.vmap(g)(a), (tn.tensor(x[0]),), (tn.tensor(v),))[1].numpy()
    np.testing.assert_allclose(out2, want, rtol=1e-12)


def test_pytrees_in_axes_none_kwargs_and_chunks():
    xs = {"a": rng.standard_normal((4, 2)), "b": (rng.standard_normal((2, 4)),)}
    scale = rng.standard_normal(2)
    f = lambda d, s, power=1: {"sum": (d["a"] * s + d["b"][0]) ** power, "const": s}
    out = tn.vmap(f, in_axes=({"a": 0, "b": (1,)}, None), out_axes={"sum": 0, "const": None})(xs, scale, power=2)
    np.testing.assert_allclose(out["sum"].numpy(), (xs["a"] * scale + xs["b"][0].T) ** 2, rtol=1e-12)
    np.testing.assert_allclose(out["const"].numpy(), scale)
    whole = tn.vmap(lambda r: tn.cumsum(r, 0) * r.max())(xs["a"])
    chunked = tn.vmap(lambda r: tn.cumsum(r, 0) * r.max(), chunk_size=3)(xs["a"])
    np.testing.assert_allclose(whole.numpy(), chunked.numpy())


def test_per_example_labels_index_and_cross_entropy():
    logits = rng.standard_normal((6, 5))
    labels = np.array([0, 4, 2, 2, 1, 3])
    picked = tn.vmap(lambda z, y: tn.log_softmax(z, 0)[y])(logits, labels).numpy()
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(picked, logp[np.arange(6), labels], rtol=1e-12)
    ce = tn.vmap(lambda z, y: tn.nn.functional.cross_entropy(z[None], y[None]))(logits, labels).numpy()
    np.testing.assert_allclose(ce, -logp[np.arange(6), labels], rtol=1e-6)
    w = rng.standard_normal((5, 5))
    per = tn.vmap(grad(lambda w, z, y: -tn.log_softmax(z @ w, 0)[y]), in_axes=(None, 0, 0))(w, logits, labels)
    for i in range(6):
        one = grad(lambda w: -tn.log_softmax(tn.tensor(logits[i]) @ w, 0)[int(labels[i])])(w)
        np.testing.assert_allclose(per.numpy()[i], one.numpy(), rtol=1e-10)


# ---- misuse: clear errors ----------------------------------------------------------------------------------
def test_errors_say_what_happened():
    x = np.ones((3, 2))
    with pytest.raises(ValueError, match="same size along their batch axis"):
        tn.vmap(lambda a, b: a + b)(x, np.ones((4, 2)))
    with pytest.raises(ValueError, match="in_axes has 1 entries"):
        tn.vmap(lambda a, b: a + b, in_axes=(0,))(x, x)
    with pytest.raises(ValueError, match="at least one argument must be batched"):
        tn.vmap(lambda a: a, in_axes=None)(x)
    with pytest.raises(ValueError, match="out_axes=None for an output that differs"):
        tn.vmap(lambda a: a * 2, out_axes=None)(x)
    with pytest.raises(BatchingError, match="Data-dependent Python control flow"):
        tn.vmap(lambda a: a if a.sum() > 0 else -a)(x)
    with pytest.raises(BatchingError, match="converting to a NumPy array"):
        tn.vmap(lambda a: np.asarray(a))(x)
    with pytest.raises(ValueError, match="scalar"):
        tn.vmap(lambda a: a)(np.float64(1.0))
    with pytest.raises(ValueError, match="randomness"):
        tn.vmap(lambda a: a, randomness="sometimes")
    with pytest.raises(TypeError, match="expected a function"):
        tn.vmap(3)
    with pytest.raises(BatchingError, match="in-place operation would write a batched value"):
        shared = tn.zeros(2)

        def write(a):
            shared.add_(a)
            return shared
        tn.vmap(write)(x)
    assert _core.batch_hook is None or True     # (other tests may still hold batched values)


def test_randomness_modes():
    x = tn.zeros((4, 3))
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tn.vmap(lambda r: r + tn.randn(3))(x)
    same = tn.vmap(lambda r: r + tn.randn(3), randomness="same")(x).numpy()
    assert np.all(same == same[0])
    diff = tn.vmap(lambda r: r + tn.rand(3), randomness="different")(x).numpy()
    assert len({tuple(row) for row in diff}) == 4


def test_in_place_on_a_batched_tensor_and_through_its_views():
    x = rng.standard_normal((3, 4))

    def f(r):
        y = r * 1.0
        y[1:] += y[:-1] * 2      # a view of a batched tensor, written in place
        y.mul_(3.0)
        return y
    got = tn.vmap(f)(x).numpy()
    want = np.stack([f(tn.tensor(r)).numpy() for r in x])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    g = grad(lambda x: tn.vmap(f)(x).sum())(x).numpy()
    g_loop = np.stack([grad(lambda r: f(r).sum())(r).numpy() for r in x])
    np.testing.assert_allclose(g, g_loop, rtol=1e-12)


def test_dispatcher_is_off_when_no_batched_value_lives():
    import gc
    tn.vmap(lambda r: r * 2)(np.ones((2, 2)))
    gc.collect()
    assert _core.batch_hook is None


def test_vmap_matches_torch_func_on_a_small_mlp():
    torch = pytest.importorskip("torch")
    from torch.func import grad as tgrad
    from torch.func import vmap as tvmap
    r = np.random.default_rng(0)
    w1, w2 = r.standard_normal((6, 5)), r.standard_normal((5, 3))
    xs, ys = r.standard_normal((7, 6)), r.integers(0, 3, 7)

    def loss(w1, w2, x, y, lib):
        h = lib.tanh(x @ w1)
        z = h @ w2
        picked = z[y] if lib is tn else torch.gather(z, 0, y[None])[0]    # torch.func refuses z[y] (it calls .item())
        return -(picked - lib.logsumexp(z, 0))

    ours = tn.vmap(grad(lambda a, b, x, y: loss(a, b, x, y, tn), argnums=(0, 1)), in_axes=(None, None, 0, 0))(
        w1, w2, xs, ys)
    T = lambda a: torch.tensor(a)
    theirs = tvmap(tgrad(lambda a, b, x, y: loss(a, b, x, y, torch), argnums=(0, 1)), in_dims=(None, None, 0, 0))(
        T(w1), T(w2), T(xs), T(ys))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_custom_rules_batch_through_their_functions():
    """A custom_vjp / autograd.Function's forward is written in turunan's ops, so it batches through them (as JAX
    batches a custom_vjp by tracing it); its backward runs on batched cotangents the same way."""
    @tn.custom_vjp
    def f(x):
        return tn.sin(x) * x

    f.defvjp(lambda x: (tn.sin(x) * x, x), lambda x, g: (g * (tn.cos(x) * x + tn.sin(x)),))

    class Cube(tn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g

    xs = np.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(tn.vmap(grad(f))(xs).numpy(), np.cos(xs) * xs + np.sin(xs), rtol=1e-12)
    np.testing.assert_allclose(tn.vmap(grad(Cube.apply))(xs).numpy(), 3 * xs ** 2, rtol=1e-12)
    np.testing.assert_allclose(np.diag(jacrev(Cube.apply)(xs).numpy()), 3 * xs ** 2, rtol=1e-12)
    np.testing.assert_allclose(tn.vmap(f)(np.stack([xs, 2 * xs])).numpy(), np.stack([np.sin(xs) * xs,
                                                                                    np.sin(2 * xs) * 2 * xs]))
