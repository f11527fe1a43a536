"""True forward mode: every primitive's forward rule agrees with its reverse rule, ⟨u, J v⟩ = ⟨Jᵀu, v⟩."""

import numpy as np
import pytest
from test_numpy_linalg import ROW_SPECS as LINALG_SPECS

import turunan as tn
from turunan import _core, _forward, _rules
from turunan.func import jvp, vjp
from turunan.testing import check_grads

rng = np.random.default_rng(0)


def N(*s):
    return rng.standard_normal(s)


def P(*s):
    return rng.uniform(0.5, 1.5, s)


_UNARY_ANY = ["negative", "exp", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "relu", "absolute",
              "square"]
_UNARY_POS = ["log", "log1p", "sqrt"]
_REDUCE = ["sum", "prod", "amax", "amin", "logsumexp", "norm2"]

# name -> (arguments (arrays are differentiated where listed in the third item), params, differentiable positions)
SPECS = {
    **{n: (lambda: [N(2, 3)], {}, (0,)) for n in _UNARY_ANY},
    **{n: (lambda: [P(2, 3)], {}, (0,)) for n in _UNARY_POS},
    **{n: (lambda: [N(2, 3), N(3)], {}, (0, 1)) for n in ("add", "subtract", "multiply", "maximum", "minimum")},
    "divide": (lambda: [N(2, 3), P(3)], {}, (0, 1)),
    "power": (lambda: [P(2, 3), N(3)], {}, (0, 1)),
    "remainder": (lambda: [P(2, 3) * 3, P(3)], {}, (0, 1)),
    "clip": (lambda: [N(2, 3), -0.5, 0.5], {}, (0,)),
    "where": (lambda: [N(2, 3) > 0, N(2, 3), N(3)], {}, (1, 2)),
    **{n: (lambda: [N(2, 3)], {"axis": 1, "keepdims": False}, (0,)) for n in _REDUCE},
    "cumsum": (lambda: [N(2, 3)], {"axis": 1}, (0,)),
    "log_softmax": (lambda: [N(2, 3)], {"axis": 1}, (0,)),
    "matmul": (lambda: [N(2, 3), N(3, 4)], {}, (0, 1)),
    "einsum": (lambda: [N(2, 3), N(3, 4)], {"spec": "ij,jk->ik"}, (0, 1)),
    "matrix_norm2": (lambda: [N(3, 3)], {}, (0,)),
    "reshape": (lambda: [N(2, 3)], {"shape": (3, 2)}, (0,)),
    "transpose": (lambda: [N(2, 3, 4)], {"axes": (2, 0, 1)}, (0,)),
    "broadcast_to": (lambda: [N(3)], {"shape": (2, 3)}, (0,)),
    "concatenate": (lambda: [N(2, 3), N(1, 3)], {"axis": 0, "sizes": (2, 1)}, (0, 1)),
    "getitem": (lambda: [N(5, 4)], {"index": (np.array([0, 2, 0]),), "basic": False}, (0,)),
    "scatter_add": (lambda: [N(3, 4), (5, 4), (np.array([0, 2, 0]),), False], {}, (0,)),
    "index_update": (lambda: [N(3, 4), N(4)], {"index": (1,)}, (0, 1)),
    "diagonal": (lambda: [N(2, 3, 4)], {"offset": 1}, (0,)),
    "astype": (lambda: [N(2, 3)], {"dtype": np.float64}, (0,)),
    "alias": (lambda: [N(2, 3)], {}, (0,)),
    "im2col": (lambda: [N(1, 2, 4, 4)], {"kernel": (2, 2), "stride": (1, 1), "padding": (1, 1), "value": 0.0}, (0,)),
    "col2im": (lambda: [N(1, 3, 3, 2, 2, 2)], {"shape": (4, 4), "kernel": (2, 2), "stride": (1, 1),
                                               "padding": (0, 0)}, (0,)),
    "cumprod": (lambda: [N(2, 3)], {"axis": -1}, (0,)),
    "log2": (lambda: [P(2, 3)], {}, (0,)),
    "exp2": (lambda: [N(2, 3)], {}, (0,)),
    "erf": (lambda: [N(2, 3)], {}, (0,)),
    # turunan._rules_special (in the table once turunan.scipy.special is loaded; order arguments constant)
    **{n: (lambda: [P(2, 3)], {}, (0,)) for n in ("gamma", "gammaln", "digamma", "entr", "erfcinv", "y0", "y1")},
    **{n: (lambda: [N(2, 3)], {}, (0,)) for n in ("erfc", "log_ndtr", "i0", "i1", "j0", "j1")},
    **{n: (lambda: [P(2, 3), P(3)], {}, (0, 1)) for n in ("beta", "betaln", "rel_entr")},
    **{n: (lambda: [N(2, 3), P(3)], {}, (0, 1)) for n in ("xlogy", "xlog1py")},
    **{n: (lambda: [P(3), P(2, 3)], {}, (1,)) for n in ("gammainc", "gammaincc", "iv")},
    **{n: (lambda: [np.array([0, 1, 3]), P(2, 3)], {}, (1,)) for n in ("polygamma", "ive", "jn", "yn")},
    "erfinv": (lambda: [P(2, 3) - 1.0], {}, (0,)),
    "ndtri": (lambda: [P(2, 3) * 0.5], {}, (0,)),
    "betainc": (lambda: [P(3), P(2, 1), P(2, 3) * 0.6], {}, (2,)),
    "stdtr": (lambda: [P(3) * 3, N(2, 3)], {}, (1,)),
    **{n: (lambda: [N(2, 3)], {}, (0,)) for n in ("i0e", "i1e")},
    **{n: (lambda: [P(2, 3)], {}, (0,)) for n in ("expi", "exp1")},
    "zeta": (lambda: [P(3) + 1, P(2, 3)], {}, (1,)),
    "copy": (lambda: [N(3, 2).T], {}, (0,)),
    "gelu": (lambda: [N(2, 3)], {}, (0,)),
    "gelu_tanh": (lambda: [N(2, 3)], {}, (0,)),
    # NumPy parity (turunan.numpy): tests/test_numpy_parity_elementwise.py checks them to second order
    **{n: (lambda: [N(2, 3)], {}, (0,)) for n in ("sinh", "cosh", "arctan", "arcsinh", "sinc", "sinc_d1")},
    **{n: (lambda: [P(2, 3) - 1], {}, (0,)) for n in ("arcsin", "arccos", "arctanh")},
    "arccosh": (lambda: [P(2, 3) + 1], {}, (0,)), "log10": (lambda: [P(2, 3)], {}, (0,)),
    **{n: (lambda: [N(2, 3), N(3)], {}, (0, 1)) for n in ("arctan2", "hypot", "logaddexp", "logaddexp2")},
    "fmod": (lambda: [P(2, 3) * 3, P(3)], {}, (0, 1)),
    # complex numbers: on real inputs here; tests/test_complex.py checks them on complex inputs
    **{n: (lambda: [N(2, 3)], {}, (0,)) for n in ("real", "imag", "conj", "angle")},
    "binary_cross_entropy": (lambda: [1 / (1 + np.exp(-N(2, 3))), 1 / (1 + np.exp(-N(3)))], {}, (0, 1)),
    "clip_tensor_bounds": (lambda: [N(2, 3), N(3) - 0.5, N(2, 1) + 0.5], {}, (0, 1, 2)),
    # Fourier transforms and convolution (turunan._rules_fft)
    "fft": (lambda: [N(2, 3)], {"s": (4,), "axes": (1,), "norm": "ortho", "inverse": False}, (0,)),
    "rfft": (lambda: [N(2, 4)], {"s": (3, 4), "axes": (0, 1), "norm": "backward"}, (0,)),
    "irfft": (lambda: [N(2, 3)], {"s": (5,), "axes": (1,), "norm": "forward"}, (0,)),
    "fft_resize": (lambda: [N(2, 3)], {"sizes": (4, 2), "axes": (0, 1)}, (0,)),
    "fft_roll": (lambda: [N(2, 3)], {"shifts": (1, -1), "axes": (0, 1)}, (0,)),
    "convolve": (lambda: [N(2, 3), N(2, 2)], {"mode": "same", "method": "auto"}, (0, 1)),
}
SPECS.update(LINALG_SPECS)     # the linear-algebra rows' specs live with their tests

# the rows that move values into and out of a vmap level need a running vmap: tests/test_vmap.py checks them
DIFFERENTIABLE = sorted(n for n, p in _rules.TABLE.items()
                        if p.differentiable and not n.startswith("vmap_")) + ["clip_tensor_bounds"]


# rows whose kernels are SciPy's (an optional extra): checked where SciPy is installed
NEEDS_SCIPY = {"convolve", "expm", "sqrtm", "solve_sylvester"}


def skip_without_scipy(name: str) -> None:
    if name in NEEDS_SCIPY:
        pytest.importorskip("scipy", reason=f"the {name} row's kernel is SciPy's (the scipy extra)")


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_forward_and_reverse_rules_agree(name):
    skip_without_scipy(name)
    assert name in SPECS, f"add an argument spec for primitive {name!r} to SPECS"
    make, params, diff = SPECS[name]
    prim = _rules.TABLE[name.replace("_tensor_bounds", "")]
    args = make()

    def f(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        return _core.apply(prim, *full, **params)

    primals = tuple(tn.tensor(args[i]) for i in diff)
    vs = tuple(tn.tensor(N(*np.shape(args[i]))) for i in diff)
    out, jv = jvp(f, primals, vs)
    u = tn.tensor(N(*out.shape))
    _, pull = vjp(f, *primals)
    cts = pull(u)
    lhs = float(np.sum(u.data * jv.data))
    rhs = sum(float(np.sum(c.data * v.data)) for c, v in zip(cts, vs))
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-12), (lhs, rhs)
    assert jv.shape == out.shape and jv.dtype == out.dtype


def test_hook_is_off_outside_jvp():
    assert _core.jvp_hook is None
    jvp(tn.sin, (tn.tensor(1.0),), (tn.tensor(1.0),))
    assert _core.jvp_hook is None
    with pytest.raises(ValueError):
        jvp(tn.sin, (tn.tensor([1.0, 2.0]),), (tn.tensor(1.0),))
    assert _core.jvp_hook is None and not _forward.live()


def test_plain_jvp_builds_no_graph():
    x = tn.tensor([1.0, 2.0])
    out, t = jvp(lambda x: tn.exp(tn.sin(x) * x), (x,), (tn.ones(2),))
    assert out._node is None and t._node is None and not out.requires_grad


def test_jvp_of_jvp_second_derivative():
    # d2/dx2 sin(x) * x^2 along v, u: nested levels do not confuse perturbations
    f = lambda x: tn.sin(x) * x * x
    x = tn.tensor(0.7, dtype=np.float64)
    inner = lambda x: jvp(f, (x,), (tn.tensor(1.0, dtype=np.float64),))[1]
    _, d2 = jvp(inner, (x,), (tn.tensor(1.0, dtype=np.float64),))
    xv = 0.7
    want = -np.sin(xv) * xv * xv + 4 * xv * np.cos(xv) + 2 * np.sin(xv)
    assert np.isclose(d2.item(), want)


def test_perturbation_confusion():
    # the classic: d/dx [x * d/dy (x + y)] = d/dx [x] = 1 (a confused implementation gives 2)
    def outer(x):
        return x * jvp(lambda y: x + y, (tn.tensor(1.0),), (tn.tensor(1.0),))[1]
    _, d = jvp(outer, (tn.tensor(1.0),), (tn.tensor(1.0),))
    assert d.item() == 1.0
    assert tn.grad(outer)(1.0).item() == 1.0


def test_inplace_carries_tangents():
    def f(x):
        y = x * 1.0
        y[0] = x[1] * 3.0
        y += x
        return y
    x = tn.tensor([1.0, 2.0])
    _, t = jvp(f, (x,), (tn.tensor([1.0, 10.0]),))
    np.testing.assert_allclose(t.data, [31.0, 20.0])


def test_jvp_through_no_grad_still_differentiates_forward():
    with tn.no_grad():
        _, t = jvp(tn.exp, (tn.tensor(0.0),), (tn.tensor(2.0),))
    assert t.item() == 2.0


def test_composites_fwd_mode_second_order():
    check_grads(lambda x: tn.softmax(x * x, -1), [N(2, 3)], modes=("fwd",))
    check_grads(lambda x, y: tn.log_softmax(x @ y, 0).sum(0), [N(2, 3), N(3, 2)], modes=("fwd",))
