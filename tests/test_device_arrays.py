"""The core sweep on device arrays: every row of the derivative table, and the layers, losses and optimisers
around it, run on ``DeviceArray`` inputs (``tests/device_array.py``: a CPU stand-in for a CuPy array, which
refuses implicit conversion to NumPy and mixing with NumPy arrays, as CuPy does) and compared with the same
computation on NumPy inputs. Results must stay device arrays and equal the NumPy results.

The rows and their sample inputs are the forward-mode sweep's (``tests/test_forward_mode.py``'s ``SPECS``, which
holds one spec per differentiable row); a new row is swept here by default. Rows that cannot run on a GPU array for
a reason that holds for real CuPy too are listed in ``DEVICE_REFUSED`` with the reason, and must refuse clearly.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import test_forward_mode as fwd_sweep
import test_numpy_parity_elementwise as elementwise_sweep
import test_numpy_parity_products as products_sweep
import test_numpy_parity_shapes as shapes_sweep
import test_rules as rules_sweep
from device_array import DeviceArray

import turunan as tn
import turunan.numpy as tnp
from turunan import _core, _rules, func
from turunan.func import grad, jvp

# _rules_special: the special functions' rows join the table (their kernels import SciPy when called), so only
# where SciPy is installed: without it they would join every later sweep of the table (test_vmap's) and fail there.
# turunan.scipy.special is not imported: it would register SciPy's ufuncs for every later test module.
try:
    import scipy  # noqa: F401
except ImportError:
    SPECIAL_ROWS = set()
else:
    from turunan import _rules_special
    SPECIAL_ROWS = {p.name for p in _rules_special.ROWS}

# every differentiable row of the table, as the NumPy forward-mode sweep enumerates it (plus its extra spec); the
# rows that move values into and out of a vmap level need a running vmap (tests/test_vmap.py)
ROWS = sorted(n for n, p in _rules.TABLE.items() if p.differentiable and not n.startswith("vmap_"))
ROWS += ["clip_tensor_bounds"]


def _n(*s):
    return fwd_sweep.rng.standard_normal(s)


# the rows without a derivative (comparisons, rounding, arg-reductions): their values only
_UNARY_ND = ("logical_not", "isnan", "isinf", "isfinite", "sign", "floor", "ceil", "round", "trunc", "signbit")
_BINARY_ND = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
              "logical_xor", "floor_divide")
NONDIFF_SPECS = {
    **{n: (lambda: [_n(2, 3)], {}, ()) for n in _UNARY_ND},
    **{n: (lambda: [_n(2, 3), _n(3)], {}, ()) for n in _BINARY_ND},
    **{n: (lambda: [_n(2, 3)], {"axis": 1, "keepdims": False}, ()) for n in ("argmax", "argmin", "all", "any")},
    "argsort": (lambda: [_n(2, 3)], {"axis": -1, "descending": True}, ()),
    "cast": (lambda: [_n(2, 3) * 3], {"dtype": np.int64}, ()),
    "slogdet_sign": (lambda: [_n(3, 3)], {}, ()),
}
assert SPECIAL_ROWS <= set(ROWS)
NONDIFF = sorted(n for n, p in _rules.TABLE.items() if not p.differentiable and not n.startswith("vmap_"))

# Rows that refuse device arrays, for a reason that holds for real CuPy too. Each must raise a TypeError that says
# so (turunan._array.refuse_device), never give a number. Everything else is swept.
SCIPY_ONLY = "the kernel is SciPy's, which converts its input with numpy.asarray: CuPy refuses (cupyx has its own)"
DEVICE_REFUSED: dict[str, str] = {
    "convolve": SCIPY_ONLY,             # scipy.signal.convolve (cupyx.scipy.signal.convolve is not called)
    "expm": SCIPY_ONLY,                 # scipy.linalg.expm
    "sqrtm": SCIPY_ONLY,                # scipy.linalg.sqrtm
    "solve_sylvester": SCIPY_ONLY,      # scipy.linalg.solve_sylvester
}


def dev(a):
    return DeviceArray(a) if isinstance(a, np.ndarray) else a


def on_device(t) -> bool:
    return type(t._d) is DeviceArray


def assert_same(got, want, what=""):
    """``got`` (a Tensor holding a DeviceArray) equals ``want`` (a Tensor holding a NumPy array); None as None."""
    if want is None:
        assert got is None, f"{what}: {type(got).__name__} where NumPy gives None"
        return
    assert isinstance(got, tn.Tensor), f"{what}: {type(got).__name__}"
    assert type(got._d) is DeviceArray, f"{what}: holds a {type(got._d).__name__}, not a DeviceArray"
    host = got._d.get()
    want = np.asarray(want._d if isinstance(want, tn.Tensor) else want)
    assert host.shape == want.shape and host.dtype == want.dtype, (what, host.shape, host.dtype, want.shape,
                                                                      want.dtype)
    rtol = 1e-12 if host.dtype in (np.float64, np.complex128) else 1e-5
    np.testing.assert_allclose(host, want, rtol=rtol, atol=rtol * 1e-2, err_msg=what)


def _row(name, seed):
    """The row's primitive, its sample arguments, parameters and differentiated positions (fixed by ``seed``)."""
    fwd_sweep.rng = np.random.default_rng(seed)
    make, params, diff = fwd_sweep.SPECS[name] if name in fwd_sweep.SPECS else NONDIFF_SPECS[name]
    prim = _rules.TABLE[name.replace("_tensor_bounds", "")]
    return prim, make(), params, diff


def _fn(prim, args, params, diff, to):
    full = [to(a) for a in args]

    def f(*xs):
        call = list(full)
        for i, x in zip(diff, xs):
            call[i] = x
        return _core.apply(prim, *call, **params)
    return f


def _both(name, run):
    """``run(f, xs)`` on NumPy and on device inputs: the two results (device results, NumPy results)."""
    fwd_sweep.skip_without_scipy(name)
    if name in ("erf", "gelu"):
        _needs_scipy_erf()
    assert name in fwd_sweep.SPECS or name in NONDIFF_SPECS, f"add an argument spec for primitive {name!r} to " \
        "test_forward_mode.SPECS (or to NONDIFF_SPECS here, for a row without a derivative)"
    prim, args, params, diff = _row(name, sum(map(ord, name)))
    try:
        host = run(_fn(prim, args, params, diff, lambda a: a), [args[i] for i in diff])
    except NotImplementedError as e:    # refused on NumPy too (the spectral norm's second derivative): alike
        with pytest.raises(NotImplementedError, match=re.escape(str(e)[:30])):
            run(_fn(prim, args, params, diff, dev), [dev(args[i]) for i in diff])
        return None, None
    if name in DEVICE_REFUSED:      # a clear refusal (CuPy's TypeError), not a number
        with pytest.raises(TypeError, match="SciPy's kernel, which takes NumPy arrays only"):
            run(_fn(prim, args, params, diff, dev), [dev(args[i]) for i in diff])
        return None, host
    return run(_fn(prim, args, params, diff, dev), [dev(args[i]) for i in diff]), host


def _real(t):
    """A complex output's real part (a weighted sum of it is then a real loss), a real one as it is."""
    return _core.apply(_rules.real, t) if t.dtype.kind == "c" else t


def _weights(shape, seed=7):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("name", ROWS + NONDIFF)
def test_forward_value(name):
    got, want = _both(name, lambda f, xs: f(*[tn.tensor(x) for x in xs]))
    if got is not None:
        assert_same(got, want, "value")


@pytest.mark.parametrize("name", ROWS)
def test_reverse_gradient(name):
    def run(f, xs):
        ts = [tn.tensor(x, requires_grad=True) for x in xs]
        out = f(*ts)
        w = tn.tensor(dev(_weights(out.shape)) if on_device(out) else _weights(out.shape))
        _real(out * w).sum().backward()
        return [t.grad for t in ts]
    got, want = _both(name, run)
    if got is not None:
        for k, (g, h) in enumerate(zip(got, want)):
            assert_same(g, h, f"gradient of input {k}")


@pytest.mark.parametrize("name", ROWS)
def test_forward_mode(name):
    def run(f, xs):
        vs = [_weights(np.shape(x), seed=k) for k, x in enumerate(xs)]
        if isinstance(xs[0], DeviceArray):
            vs = [dev(v) for v in vs]
        return jvp(f, tuple(tn.tensor(x) for x in xs), tuple(tn.tensor(v) for v in vs))
    got, want = _both(name, run)
    if got is not None:
        assert_same(got[0], want[0], "value")
        assert_same(got[1], want[1], "tangent")


@pytest.mark.parametrize("name", ROWS)
def test_second_order(name):
    """grad of (grad of a weighted sum) . v: second derivatives along v, by turunan.func.grad over itself."""
    def run(f, xs):
        on = isinstance(xs[0], DeviceArray)
        n = len(xs)
        out_shape = f(*[tn.tensor(x) for x in xs]).shape
        w = _weights(out_shape)
        vs = [_weights(np.shape(x), seed=k) for k, x in enumerate(xs)]
        w, vs = (dev(w), [dev(v) for v in vs]) if on else (w, vs)

        def loss(*ts):
            return _real(f(*ts) * w).sum()

        def directional(*ts):
            gs = grad(loss, argnums=tuple(range(n)))(*ts)
            return sum(((g * v).sum() for g, v in zip(gs, vs)), tn.tensor(0.0))
        return grad(directional, argnums=tuple(range(n)))(*[tn.tensor(x) for x in xs])
    got, want = _both(name, run)
    if got is not None:
        for k, (g, h) in enumerate(zip(got, want)):
            assert_same(g, h, f"second derivative, input {k}")


F = tn.nn.functional


# ---- composites: the NumPy sweeps' functions (tests/test_rules.py), value, gradient and second order ----------
def _composite(f, arrays, to):
    """f's value, the gradient of a weighted sum of it, and its derivative along v (second order), on ``to(a)``."""
    xs = [tn.tensor(to(a), requires_grad=True) for a in arrays]
    out = f(*xs)
    if not out.requires_grad:       # a function without a gradient (comparisons, rounding): its value only
        return out, [None] * len(xs), [None] * len(xs)
    w = to(_weights(out.shape))
    gs = tn.autograd.grad(_real(out * w).sum(), xs, create_graph=True, allow_unused=True)
    vs = [to(_weights(np.shape(a), seed=k)) for k, a in enumerate(arrays)]
    s = sum(((g * v).sum() for g, v in zip(gs, vs) if g is not None and g.requires_grad), tn.tensor(0.0))
    second = tn.autograd.grad(s, xs, allow_unused=True) if s.requires_grad else [None] * len(xs)
    return out, gs, second


def assert_composite(f, arrays):
    got = _composite(f, arrays, dev)
    want = _composite(f, arrays, lambda a: a)
    assert_same(got[0], want[0], "value")
    for k, (g, h) in enumerate(zip(got[1], want[1])):
        assert_same(None if g is None else g.detach(), None if h is None else h.detach(), f"gradient {k}")
    for k, (g, h) in enumerate(zip(got[2], want[2])):
        assert_same(g, h, f"second derivative {k}")


@pytest.mark.parametrize("name", sorted(rules_sweep.BINARY))
@pytest.mark.parametrize("shapes", [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((1, 3), (2, 3)), ((2, 1), (1, 3)),
                                    ((2, 3), ()), ((3,), (2, 3))], ids=str)
def test_broadcasting_binary(name, shapes):
    f, gx, gy = rules_sweep.BINARY[name]
    assert_composite(f, [gx(*shapes[0]), gy(*shapes[1])])


def _needs_scipy_erf():
    """erf (the exact GELU) is SciPy's ufunc; without SciPy it is Python's math.erf element by element, on the host
    only (CuPy's erf is cupyx.scipy.special's): refused on a device array, as tested below."""
    pytest.importorskip("scipy", reason="erf on a device array needs SciPy's ufunc (the scipy extra)")


def test_erf_without_scipy_refuses_a_device_array(monkeypatch):
    monkeypatch.setattr(_rules, "_erf_ufunc", None)
    monkeypatch.setitem(__import__("sys").modules, "scipy.special", None)      # as if SciPy were not installed
    with pytest.raises(TypeError, match="erf.*device array"):
        tn.erf(tn.tensor(DeviceArray(np.ones(3))))


@pytest.mark.parametrize("name", sorted(rules_sweep.UNARY))
def test_unary_composites(name):
    if name in ("erf", "gelu"):
        _needs_scipy_erf()
    f, gen = rules_sweep.UNARY[name]
    x = gen(2, 3)
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.1, 0.3, np.where(np.abs(x) < 0.1, 0.3, x))   # off the kinks
    assert_composite(f, [x])


@pytest.mark.parametrize("name", sorted(rules_sweep.REDUCTIONS))
def test_reductions(name):
    assert_composite(rules_sweep.REDUCTIONS[name], [rules_sweep.A])


@pytest.mark.parametrize("name", sorted(rules_sweep.LINALG))
def test_products(name):
    f, shapes = rules_sweep.LINALG[name]
    assert_composite(f, [rules_sweep.rand(*s) for s in shapes])


@pytest.mark.parametrize("name", sorted(rules_sweep.SHAPE_OPS))
def test_shape_ops(name):
    assert_composite(rules_sweep.SHAPE_OPS[name], [rules_sweep.B])


@pytest.mark.parametrize("name", sorted(rules_sweep.INDEXING))
def test_indexing(name):
    assert_composite(rules_sweep.INDEXING[name], [rules_sweep.rand(2, 4)])


# turunan.numpy's functions, as the NumPy parity sweeps enumerate them. Cases that mix a host constant the user
# gives (a NumPy array of coordinates, a host tensor made of numbers alone) into a device computation are refused,
# as CuPy refuses such a mix: they must raise TypeError, never give a number.
HOST_CONSTANT_CASES = {
    "gradient coordinates": "COORDS is a NumPy array given with a device tensor",
    "gradient coordinates edge 2": "COORDS is a NumPy array given with a device tensor",
    "r_ ranges and axis": "r_[0:6:3j] alone is a host tensor, added to a device one",
}
NUMPY_CASES = shapes_sweep.CASES + products_sweep.CASES


@pytest.mark.parametrize("case", NUMPY_CASES, ids=[c.id for c in NUMPY_CASES])
def test_numpy_namespace(case):
    xs = case.inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)     # numpy.cross of 2-vectors, numpy.row_stack
        if case.id in HOST_CONSTANT_CASES:
            _composite(lambda *ts: case.fn(tnp, *ts), xs, lambda a: a)
            with pytest.raises(TypeError, match="(?i)numpy"):
                _composite(lambda *ts: case.fn(tnp, *ts), xs, dev)
            return
        assert_composite(lambda *ts: case.fn(tnp, *ts), xs)


@pytest.mark.parametrize("name", sorted(elementwise_sweep.UNARY) + elementwise_sweep.NO_GRAD_UNARY)
def test_numpy_elementwise_unary(name):
    gen = elementwise_sweep.UNARY.get(name, elementwise_sweep.anyreal)
    assert_composite(getattr(tnp, name), [gen(2, 3)])


@pytest.mark.parametrize("name", sorted(elementwise_sweep.BINARY) + elementwise_sweep.NO_GRAD_BINARY)
def test_numpy_elementwise_binary(name):
    gx, gy = elementwise_sweep.BINARY.get(name, (elementwise_sweep.anyreal, elementwise_sweep.anyreal))
    assert_composite(getattr(tnp, name), [gx(2, 3), gy(3)])


def _on_like(t, a):
    """``a`` (a NumPy constant of the test) on the device where ``t`` is."""
    return dev(a) if on_device(t) else a


# turunan.func's transforms, the *_like constructors, nn.functional: value, gradient and second order
FUNCTIONS = {
    "hessian": lambda t: func.hessian(lambda z: (tn.sin(z) ** 2).sum())(t),
    "jacrev": lambda t: func.jacrev(tn.sin)(t), "jacfwd": lambda t: func.jacfwd(tn.sin)(t),
    "vmap": lambda t: func.vmap(lambda r: (r * r).sum())(t),
    "vmap_grad": lambda t: func.vmap(func.grad(lambda r: (tn.sin(r) * r).sum()))(t),
    "vmap_broadcast_out": lambda t: func.vmap(lambda r: r.sum() * 0 + 1.0, out_axes=0)(t) * t[:, 0],
    "vmap_fancy_index": lambda t: func.vmap(lambda r: r[np.array([0, 2, 0])] * r[1:3].sum())(t),
    "vmap_boolean_mask": lambda t: func.vmap(lambda r: tn.where(r > 0, r, 0.0)[np.array([1, 1, 3])])(t),
    "checkpoint": lambda t: tn.checkpoint(lambda z: tn.sin(z) * z)(t),
    "zeros_like": lambda t: tn.zeros_like(t) + t, "ones_like": lambda t: tn.ones_like(t) * t,
    "full_like": lambda t: tn.full_like(t, 2.0) * t, "clone": lambda t: t.clone() * 2,
    "sort": lambda t: tn.sort(t, axis=1), "argmax": lambda t: t[tn.arange(3), t.argmax(1)],
    "median": lambda t: tnp.median(t, 1), "std": lambda t: t.std(1),
    "where_scalar": lambda t: tn.where(t > 0, t, 0.0), "maximum_scalar": lambda t: tn.maximum(t, 0.0),
    "interpolate": lambda t: F.interpolate(t.reshape(1, 1, 3, 4), scale_factor=2),
    "adaptive_avg_pool2d": lambda t: F.adaptive_avg_pool2d(t.reshape(1, 1, 3, 4), (2, 2)),
    "layer_norm": lambda t: F.layer_norm(t, (4,)), "group_norm": lambda t: F.group_norm(t.reshape(1, 4, 3), 2),
    "one_hot": lambda t: F.one_hot(tn.tensor(_on_like(t, np.array([0, 2, 1]))), 4) * t[:, :4],
    "embedding": lambda t: F.embedding(tn.tensor(_on_like(t, np.array([0, 2, 0]))), t),
    "nll_loss": lambda t: F.nll_loss(tn.log_softmax(t, 1), np.array([0, 1, 3])),
    "binary_cross_entropy": lambda t: F.binary_cross_entropy(tn.sigmoid(t), tn.sigmoid(t * 0.5).detach()),
    "l1_loss": lambda t: F.l1_loss(t, t.detach() * 0.5),
    "smooth_l1_loss": lambda t: F.smooth_l1_loss(t, t.detach() * 0.5),
    "kl_div": lambda t: F.kl_div(tn.log_softmax(t, 1), tn.softmax(t.detach() * 2, 1), reduction="batchmean"),
    "cosine_similarity": lambda t: F.cosine_similarity(t, t * t), "normalize": lambda t: F.normalize(t),
    "pad": lambda t: F.pad(t, (1, 1)), "leaky_relu": lambda t: F.leaky_relu(t),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"), "softplus": lambda t: F.softplus(t, beta=2.0),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions(name):
    assert_composite(FUNCTIONS[name], [rules_sweep.rand(3, 4)])


@pytest.mark.parametrize("name, f", [
    ("unique", lambda t: tnp.unique(t, return_index=True, return_inverse=True, return_counts=True)),
    ("nonzero", lambda t: tnp.nonzero(t > 0)), ("where_condition_alone", lambda t: tnp.where(t > 0)),
    ("searchsorted", lambda t: (tnp.searchsorted(tnp.sort(t[0]), t[1]),)),
    ("argsort", lambda t: (tnp.argsort(t, axis=1),)), ("argmax", lambda t: (tnp.argmax(t, axis=0),)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_data_dependent_results_stay_on_device(name, f):
    a = np.round(rules_sweep.rand(3, 4), 1)
    for got, want in zip(f(tn.tensor(dev(a))), f(tn.tensor(a)), strict=True):
        assert_same(got, want, name)


def test_indexing_with_device_indices():
    """Indices that live on the device too: a boolean mask, an integer array with repeats (a scatter-add with
    ufunc.at in backward), a Tensor holding them."""
    x = rules_sweep.rand(3, 4)
    mask = x > 0
    rep = np.array([2, 0, 2, 2])
    for f in (lambda x, m, i: x[m], lambda x, m, i: x[i], lambda x, m, i: x[tn.tensor(i)] * x[1:, i[:2]].sum(),
              lambda x, m, i: x[:, i][m[:, :4]]):
        got = _composite(lambda t: f(t, dev(mask), dev(rep)), [x], dev)
        want = _composite(lambda t: f(t, mask, rep), [x], lambda a: a)
        assert_same(got[0], want[0], "value")
        assert_same(got[1][0].detach(), want[1][0].detach(), "gradient")


def test_views_and_inplace():
    def f(x):
        y = x * 1.0
        y[1:] *= 2
        z = y.T
        z.add_(1)
        z[0, 1:] = x[0, 1:] ** 2
        y.mul_(x)
        return y
    assert_composite(f, [rules_sweep.rand(3, 2)])


def test_inplace_on_a_device_leaf_and_its_views():
    x = tn.tensor(dev(np.arange(6.0).reshape(2, 3)))
    x[1:] *= 2
    y = x.T
    y.add_(1)
    assert on_device(x) and on_device(y)
    np.testing.assert_array_equal(x._d.get(), [[1, 2, 3], [7, 9, 11]])


# ---- layers, losses, optimisers ---------------------------------------------------------------------------------
def _to_device(module):
    with tn.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            t.data = dev(t._d.copy())
    return module


def _twins(make, seed=0):
    """The same module twice, with the same initial values: on the host, and on the device."""
    tn.manual_seed(seed)
    host = make()
    tn.manual_seed(seed)
    return host, _to_device(make())


def _layer_case(name):
    nn = tn.nn
    x4 = rules_sweep.rand(2, 3, 5, 5).astype(np.float32)
    return {
        "Linear": (lambda: nn.Linear(4, 3), rules_sweep.rand(2, 4).astype(np.float32)),
        "Conv2d": (lambda: nn.Conv2d(3, 2, 3, padding=1, stride=2), x4),
        "BatchNorm2d": (lambda: nn.BatchNorm2d(3), x4),
        "BatchNorm1d": (lambda: nn.BatchNorm1d(4), rules_sweep.rand(5, 4).astype(np.float32)),
        "Dropout": (lambda: nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5)), rules_sweep.rand(3, 4).astype(np.float32)),
        "MaxPool": (lambda: nn.Sequential(nn.Conv2d(3, 2, 2), nn.MaxPool2d(2)), x4),
        "LayerNorm": (lambda: nn.LayerNorm(4), rules_sweep.rand(2, 4).astype(np.float32)),
        "GroupNorm": (lambda: nn.GroupNorm(2, 4), rules_sweep.rand(2, 4, 3).astype(np.float32)),
        "LSTM": (lambda: nn.LSTM(3, 4, batch_first=True), rules_sweep.rand(2, 5, 3).astype(np.float32)),
        "GRU": (lambda: nn.GRU(3, 4, num_layers=2), rules_sweep.rand(5, 2, 3).astype(np.float32)),
        "RNN": (lambda: nn.RNN(3, 4), rules_sweep.rand(5, 2, 3).astype(np.float32)),
        "Embedding": (lambda: nn.Embedding(5, 3), np.array([[0, 4, 2], [1, 1, 3]])),
        "activations": (lambda: nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.LeakyReLU(), nn.Tanh(), nn.Sigmoid(),
                                              nn.Softmax(1), nn.LogSoftmax(1)),
                        rules_sweep.rand(2, 3).astype(np.float32)),
    }[name]


LAYERS = ["Linear", "Conv2d", "BatchNorm2d", "BatchNorm1d", "Dropout", "MaxPool", "LayerNorm", "GroupNorm", "LSTM",
          "GRU", "RNN", "Embedding", "activations"]


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_layers(name, training):
    if name == "activations":       # nn.GELU()
        _needs_scipy_erf()
    make, x = _layer_case(name)
    host, device = _twins(make)
    host.train(training)
    device.train(training)
    outs = []
    for m, to in ((host, lambda a: a), (device, dev)):
        tn.manual_seed(1)       # the same dropout mask
        out = m(tn.tensor(to(x)))
        out = out[0] if isinstance(out, tuple) else out     # a recurrent layer's output, not its final state
        (out * tn.tensor(to(_weights(out.shape).astype(np.float32)))).sum().backward()
        outs.append(out)
    assert_same(outs[1], outs[0], "output")
    for (n, p), q in zip(host.named_parameters(), device.parameters()):
        assert_same(q.grad, p.grad, f"{n}.grad")
    for (n, b), c in zip(host.named_buffers(), device.buffers()):
        assert_same(c, b, n)


def test_functional_conv_and_pool():
    F = tn.nn.functional
    x, w, b = rules_sweep.rand(2, 3, 6, 6), rules_sweep.rand(4, 3, 3, 3), rules_sweep.rand(4)
    assert_composite(lambda x, w, b: F.max_pool2d(F.conv2d(x, w, b, stride=1, padding=1), 2), [x, w, b])
    assert_composite(lambda x: F.avg_pool2d(x, 2, stride=2), [x])


def test_losses():
    F = tn.nn.functional
    logits, target = rules_sweep.rand(4, 5), np.array([0, 3, 4, 3])
    y = rules_sweep.rand(4, 5)
    assert_composite(lambda z: F.cross_entropy(z, tn.tensor(dev(target) if on_device(z) else target)), [logits])
    assert_composite(lambda z: F.cross_entropy(z, tn.tensor(dev(target) if on_device(z) else target),
                                               label_smoothing=0.1, reduction="sum"), [logits])
    assert_composite(lambda z: F.mse_loss(z, tn.tensor(dev(y) if on_device(z) else y)), [logits])
    assert_composite(lambda z: F.cross_entropy(z, tn.softmax(tn.tensor(dev(y) if on_device(z) else y), 1)), [logits])
    # a target given as a NumPy array moves next to device logits
    assert_composite(lambda z: F.cross_entropy(z, target) + F.nll_loss(tn.log_softmax(z, 1), target), [logits])
    assert_composite(lambda z: F.cross_entropy(z, y, label_smoothing=0.2), [logits])
    assert_composite(lambda z: F.binary_cross_entropy_with_logits(z, tn.tensor((dev(y) if on_device(z) else y) > 0,
                                                                                dtype=np.float64)), [logits])


OPTIMISERS = {
    "SGD": lambda ps: tn.optim.SGD(ps, lr=0.1), "SGD_momentum": lambda ps: tn.optim.SGD(ps, lr=0.1, momentum=0.9,
                                                                                         nesterov=True),
    "SGD_wd": lambda ps: tn.optim.SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.01),
    "Adam": lambda ps: tn.optim.Adam(ps, lr=0.01), "Adam_amsgrad": lambda ps: tn.optim.Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: tn.optim.AdamW(ps, lr=0.01), "RMSprop": lambda ps: tn.optim.RMSprop(ps, lr=0.01, momentum=0.9),
    "RMSprop_centered": lambda ps: tn.optim.RMSprop(ps, lr=0.01, centered=True),
    "Adagrad": lambda ps: tn.optim.Adagrad(ps, lr=0.1),
}


def test_every_optimiser_is_swept():
    classes = {c for c in vars(tn.optim).values() if isinstance(c, type) and issubclass(c, tn.optim.Optimizer)}
    swept = {type(make([tn.tensor([1.0], requires_grad=True)])) for make in OPTIMISERS.values()}
    assert classes - {tn.optim.Optimizer} <= swept, classes - swept


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_optimisers(name):
    make, x = _layer_case("Linear")
    host, device = _twins(make)
    opts = [OPTIMISERS[name](list(m.parameters())) for m in (host, device)]
    for _step in range(3):
        for m, opt, to in ((host, opts[0], lambda a: a), (device, opts[1], dev)):
            opt.zero_grad()
            out = m(tn.tensor(to(x)))
            ((out - tn.tensor(to(np.ones(out.shape, np.float32)))) ** 2).mean().backward()
            opt.step()
    for (n, p), q in zip(host.named_parameters(), device.parameters()):
        assert on_device(q), f"{name} moved {n} off the device"
        assert_same(q.detach(), p.detach(), n)
        assert_same(q.grad, p.grad, f"{n}.grad")


def test_zero_grad_keeps_device_buffers():
    host, device = _twins(lambda: tn.nn.Linear(3, 2))
    x = rules_sweep.rand(4, 3).astype(np.float32)
    device(tn.tensor(dev(x))).sum().backward()
    buf = device.weight.grad._d
    device.zero_grad(set_to_none=False)
    assert device.weight.grad._d is buf and type(buf) is DeviceArray
    assert not buf.get().any()
    device(tn.tensor(dev(x))).sum().backward()
    host(tn.tensor(x)).sum().backward()
    assert_same(device.weight.grad, host.weight.grad, "weight.grad after zero_grad")
    device.zero_grad()
    assert device.weight.grad is None


def test_state_dict_across_host_and_device(tmp_path):
    host, device = _twins(lambda: tn.nn.Sequential(tn.nn.Linear(3, 4), tn.nn.BatchNorm1d(4)))
    other = tn.nn.Sequential(tn.nn.Linear(3, 4), tn.nn.BatchNorm1d(4))
    device.load_state_dict(other.state_dict())          # host values into a device model: copied over
    for (n, p), q in zip(other.state_dict().items(), device.state_dict().values()):
        assert_same(q, p, n)
    host.load_state_dict(device.state_dict())           # and back
    tn.save(device.state_dict(), tmp_path / "m.npz")
    device.load_state_dict(tn.load(tmp_path / "m.npz"))
    for (n, p), q in zip(host.state_dict().items(), device.state_dict().values()):
        assert_same(q, p, n)


# ---- leaving the device: explicit only -------------------------------------------------------------------------
def test_leaving_the_device_is_explicit():
    a = rules_sweep.rand(2, 3)
    t = tn.tensor(dev(a), requires_grad=True)
    loss = (t * t).sum()
    loss.backward()
    np.testing.assert_array_equal(t.detach().numpy(), a)
    assert type(t.detach().numpy()) is np.ndarray and type(t.grad.numpy()) is np.ndarray
    assert loss.item() == pytest.approx(float((a * a).sum())) and float(loss) == loss.item()
    assert isinstance(loss.item(), float)
    r = repr(t)
    assert "requires_grad=True" in r and f"{a[0, 0]:.4f}"[:5] in r
    (lv, gv) = tn.compute(loss, t.grad)
    assert type(lv._d) is np.ndarray and type(gv._d) is np.ndarray
    np.testing.assert_allclose(gv._d, 2 * a)
    with pytest.raises(TypeError):      # no implicit conversion: as CuPy's arrays and PyTorch's CUDA tensors
        np.asarray(t.detach()._d)
    with pytest.raises(TypeError):
        np.asarray(t.detach())
