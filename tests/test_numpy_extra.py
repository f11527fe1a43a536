"""``turunan.numpy``'s compositions of the rest of NumPy (``turunan/numpy/_extra.py``, issue 12): each gives NumPy's
values on plain inputs, and its derivatives pass ``check_grads`` (reverse and forward, second order); where JAX or
HIPS autograd has the function, the gradients are compared with theirs."""

from __future__ import annotations

import numpy as np
import pytest

import turunan.numpy as tnp
from turunan import check_grads
from turunan.numpy import _extra

R = np.random.RandomState(0)
A, B, M = R.randn(5), R.randn(3), R.randn(3, 4)
POS = R.rand(4) + 0.5

# (name, args, kwargs, which args are differentiated): values against NumPy, then check_grads on those args
CASES = [
    ("acos", (R.rand(4) * 0.8,), {}, (0,)), ("asinh", (A,), {}, (0,)), ("atan2", (A, A[::-1] + 3), {}, (0, 1)),
    ("pow", (POS, B[:1]), {}, (0, 1)), ("concat", ([A, A],), {}, ()), ("permute_dims", (M, (1, 0)), {}, (0,)),
    ("matrix_transpose", (M,), {}, (0,)), ("cumulative_sum", (A,), {"include_initial": True}, (0,)),
    ("cumulative_prod", (M,), {"axis": 1}, (0,)), ("copy", (M,), {}, (0,)),
    ("logspace", (0.5, 2.0, 5), {}, (0, 1)), ("geomspace", (0.5, 8.0, 4), {}, (0, 1)), ("cbrt", (A + 3,), {}, (0,)),
    ("copysign", (A, -A[::-1]), {}, (0,)), ("heaviside", (np.array([-1.0, 0.0, 2.0]), 0.5), {}, (1,)),
    ("ldexp", (A, np.array([1, 2, 0, -1, 3])), {}, (0,)), ("unstack", (M,), {"axis": 1}, ()),
    ("rollaxis", (R.randn(2, 3, 4), 2), {}, (0,)), ("resize", (A, (3, 4)), {}, (0,)),
    ("delete", (M, [0, 2], 1), {}, (0,)), ("insert", (A, 2, B), {}, (0, 2)),
    ("insert", (M, [1, 3], 7.0), {"axis": 1}, (0,)), ("extract", (A > 0, A), {}, (1,)),
    ("compress", ([True, False, True], M), {"axis": 0}, (1,)), ("choose", (np.array([0, 1, 0]), [B, B * 2]), {}, ()),
    ("diagflat", (B,), {"k": 1}, (0,)), ("vander", (B,), {}, (0,)), ("vander", (B, 4), {"increasing": True}, (0,)),
    ("polyval", (B, A), {}, (0, 1)), ("polyadd", (B, A), {}, (0, 1)), ("polysub", (A, B), {}, (0, 1)),
    ("polymul", (B, A), {}, (0, 1)), ("polyder", (A, 2), {}, (0,)), ("polyint", (B,), {}, (0,)),
    ("poly", (B,), {}, (0,)), ("convolve", (A, B), {}, (0, 1)), ("convolve", (A, B, "same"), {}, (0, 1)),
    ("convolve", (A, B, "valid"), {}, (0, 1)), ("correlate", (A, B), {}, (0, 1)),
    ("correlate", (A, B, "full"), {}, (0, 1)), ("cov", (M,), {}, (0,)), ("cov", (M,), {"rowvar": False}, (0,)),
    ("cov", (M,), {"aweights": POS}, (0, )), ("corrcoef", (M,), {}, (0,)), ("median", (A,), {}, (0,)),
    ("median", (M,), {"axis": 1, "keepdims": True}, (0,)), ("percentile", (M, [10, 90]), {"axis": 0}, (0,)),
    ("quantile", (A, 0.3), {}, (0,)), ("nanmedian", (np.array([1.0, np.nan, 3.0, 2.0]),), {}, ()),
    ("nanquantile", (np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]]), 0.25), {"axis": 1}, ()),
    ("trapezoid", (A,), {}, (0,)), ("trapezoid", (A, np.cumsum(POS.tolist() + [1.0])), {}, (0, 1)),
    ("interp", (np.array([0.1, 1.5, 2.7, -1.0, 9.0]), np.arange(4.0), B.tolist() + [1.0]), {}, (0, 2)),
    ("unwrap", (np.array([0.0, 3.0, 6.5, 9.0]),), {}, (0,)), ("matvec", (M, R.randn(4)), {}, (0, 1)),
    ("vecmat", (B, M), {}, (0, 1)), ("vecdot", (M, M), {}, (0, 1)),
    ("trim_zeros", (np.array([0, 0, 1.5, 2, 0]),), {}, ()),     # perturbing a zero moves the cut: no check_grads
    ("ediff1d", (A,), {"to_begin": [9.0]}, (0,)), ("divmod", (A * 3, 1.5), {}, ()), ("modf", (A * 3,), {}, (0,)),
    ("frexp", (A * 3,), {}, (0,)), ("full_like", (M, 2.5), {}, ()), ("meshgrid", (A, B), {}, (0, 1)),
    ("meshgrid", (A, B), {"indexing": "ij", "sparse": True}, (0, 1)),
]


def _np_fn(name):
    return getattr(np, name)


def _values(out):
    if isinstance(out, tuple):
        return tuple(_values(o) for o in out)
    return np.asarray(out.detach().numpy() if hasattr(out, "detach") else out)


@pytest.mark.parametrize("name, args, kwargs, diff", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_are_numpys(name, args, kwargs, diff):
    ours = _values(getattr(tnp, name)(*args, **kwargs))
    theirs = _np_fn(name)(*args, **kwargs)
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-12, equal_nan=True)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, equal_nan=True)


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name, args, kwargs, diff", [c for c in CASES if c[3]],
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES) if c[3]])
def test_derivatives_to_second_order(name, args, kwargs, diff):
    fn = getattr(tnp, name)

    def f(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        out = fn(*full, **kwargs)
        if isinstance(out, tuple):      # several results: check a function of all of them
            return sum(tnp.sum(o * (k + 1)) for k, o in enumerate(out) if o.dtype.kind == "f")
        return out
    check_grads(f, [np.asarray(args[i], float) for i in diff], order=2, modes=("rev", "fwd"))


def test_every_composition_has_a_case():
    covered = {c[0] for c in CASES}
    assert set(_extra.__all__) - covered <= {"acosh", "asin", "atan", "atanh", "concat", "astype", "asanyarray",
                                             "ascontiguousarray", "asfortranarray", "asarray_chkfinite", "require",
                                             "apply_along_axis", "apply_over_axes", "block", "piecewise",
                                             "sort_complex", "real_if_close", "polyfit", "nanpercentile", "acos"}


def test_apply_block_piecewise_and_conversions():
    np.testing.assert_allclose(_values(tnp.apply_along_axis(lambda r: tnp.sum(r ** 2), 1, M)), (M ** 2).sum(1))
    np.testing.assert_allclose(_values(tnp.apply_along_axis(lambda r: r[::-1], 0, M)),
                               np.apply_along_axis(lambda r: r[::-1], 0, M))
    np.testing.assert_allclose(_values(tnp.apply_over_axes(tnp.sum, M, [0, 1])), np.apply_over_axes(np.sum, M, [0, 1]))
    blocks = [[np.eye(2), np.zeros((2, 1))], [np.ones((1, 2)), np.full((1, 1), 5.0)]]
    np.testing.assert_allclose(_values(tnp.block(blocks)), np.block(blocks))
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    got = tnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: tnp.sqrt(v)])
    np.testing.assert_allclose(_values(got), np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, np.sqrt]))
    # sqrt is never evaluated at the negative points: no NaN gradient from the branch not taken
    check_grads(lambda v: tnp.piecewise(v, [x < 0, x >= 0], [lambda u: -u, lambda u: tnp.sqrt(u)]), [x], order=2)
    with pytest.raises(ValueError, match="must not contain infs or NaNs"):
        tnp.asarray_chkfinite([1.0, np.inf])
    np.testing.assert_allclose(_values(tnp.polyfit(A, 2 * A ** 2 - A + 1, 2)), [2.0, -1.0, 1.0], atol=1e-10)
    np.testing.assert_allclose(_values(tnp.nanpercentile([1.0, np.nan, 3.0], 50)), 2.0)


def test_misuse_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="offers NumPy's default, 'linear'"):
        tnp.quantile(A, 0.5, method="nearest")
    with pytest.raises(ValueError, match=r"Quantiles must be in the range \[0, 1\]"):
        tnp.quantile(A, 1.5)
    with pytest.raises(ValueError, match="mode must be 'full', 'same' or 'valid'"):
        tnp.convolve(A, B, "middle")
    with pytest.raises(ValueError, match="invalid entry in choice array"):
        tnp.choose(np.array([0, 3]), [B[:2], B[:2]])


def test_gradients_match_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    import turunan as tn
    for name, args, kwargs in [("median", (M,), {"axis": 0}), ("convolve", (A, B), {}), ("cov", (M,), {}),
                               ("polyval", (B, A), {}), ("interp", (np.array([0.2, 1.7]), np.arange(4.0), A[:4]), {}),
                               ("trapezoid", (A,), {}), ("vander", (B,), {}), ("cbrt", (A + 3,), {})]:
        ours = tn.grad(lambda x, n=name, a=args, k=kwargs: tnp.sum(getattr(tnp, n)(x, *a[1:], **k) ** 2))(args[0])
        theirs = jax.grad(lambda x, n=name, a=args, k=kwargs: jnp.sum(getattr(jnp, n)(x, *a[1:], **k) ** 2))(args[0])
        np.testing.assert_allclose(_values(ours), np.asarray(theirs), rtol=1e-9, atol=1e-12, err_msg=name)
