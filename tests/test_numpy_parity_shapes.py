"""turunan.numpy's shapes, assembly, gathers and sorts against NumPy (values and dtypes), HIPS autograd and JAX
(gradients and Hessian-vector products), each through check_grads to second order, through NumPy's own functions
on Tensors (the protocols) and through vmap; and their error paths (issue 12, part A2).

Each case is one function ``fn(m, *xs)`` written once for any NumPy-like module ``m``: turunan.numpy, numpy,
autograd.numpy and jax.numpy run the same code. ``tests/test_numpy_parity_products.py`` uses the same harness.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan import func
from turunan.testing import check_grads


@dataclass
class Case:
    id: str
    fn: object                  # fn(m, *xs) for a NumPy-like module m
    shapes: tuple               # one shape per differentiable input (random data, or an array given as it is)
    # HIPS autograd has this function with a gradient: False where it has none or a wrong one (its vjps of tril of
    # 1-d, diag of non-square matrices, where with broadcasting) or refuses (pad modes, sort of 2-d, axes of flip...)
    autograd: bool = True
    jax: bool = True            # so has jax.numpy (not: partition's gradient, tril of 1-d, row_stack)
    protocol: bool = True       # numpy.<fn> on Tensors dispatches to turunan (False: a list or an index trick)
    vmap: bool = True

    def inputs(self, seed: int = 0) -> list:
        rng = np.random.default_rng(seed)
        return [np.array(s, dtype=np.float64) if isinstance(s, np.ndarray) else rng.standard_normal(s)
                for s in self.shapes]


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _run(case: Case, m, xs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)     # numpy.cross of 2-vectors, numpy.row_stack
        return case.fn(m, *xs)


def check_values(case: Case) -> None:
    xs = case.inputs()
    want = np.asarray(_run(case, np, xs))
    calls = [[tnp.array(x) for x in xs], xs]      # Tensors, and plain arrays given to turunan.numpy
    for ts in calls:
        got = _run(case, tnp, ts)
        assert isinstance(got, tn.Tensor), case.id
        assert got.dtype == want.dtype and got.shape == want.shape, (case.id, got.dtype, got.shape, want.shape)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-13, atol=1e-14, err_msg=case.id)
    if case.protocol:       # numpy's own function on Tensors that require grad: recorded by turunan
        ts = [tnp.array(x, requires_grad=True) for x in xs]
        got = _run(case, np, ts)
        assert isinstance(got, tn.Tensor) and got.requires_grad, case.id
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-13, atol=1e-14, err_msg=case.id)


def check_dtypes(case: Case) -> None:
    """float32 stays float32 and integers keep NumPy's result dtype (int64, or float64 where NumPy promotes)."""
    for dtype in (np.float32, np.int64):
        xs = [(np.asarray(x) * 3).astype(dtype) for x in case.inputs()]
        want = np.asarray(_run(case, np, xs))
        got = _run(case, tnp, [tnp.array(x) for x in xs])
        assert got.dtype == want.dtype, (case.id, dtype, got.dtype, want.dtype)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5, err_msg=case.id)


def check_gradients(case: Case) -> None:
    check_grads(lambda *ts: _run(case, tnp, ts), case.inputs(), order=2)


def _loss(case: Case, m, w):
    return lambda *xs: m.sum(m.sin(_run(case, m, xs)) * w)


def check_against_autograd(case: Case) -> None:
    if not case.autograd:
        pytest.skip(f"HIPS autograd has no gradient for {case.id}")
    ag = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    xs = case.inputs()
    w = np.random.default_rng(1).standard_normal(np.shape(_run(case, np, xs)))
    nums = tuple(range(len(xs)))
    theirs = ag.grad(_loss(case, anp, w), nums)(*xs)
    ours = func.grad(_loss(case, tnp, w), nums)(*[tnp.array(x) for x in xs])
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t, rtol=1e-10, atol=1e-12, err_msg=case.id)


def check_against_jax(case: Case) -> None:
    if not case.jax:
        pytest.skip(f"jax.numpy has no gradient for {case.id}")
    jax = _jax()
    jnp = jax.numpy
    xs = case.inputs()
    w = np.random.default_rng(1).standard_normal(np.shape(_run(case, np, xs)))
    nums = tuple(range(len(xs)))
    theirs = jax.grad(_loss(case, jnp, w), nums)(*xs)
    ours = func.grad(_loss(case, tnp, w), nums)(*[tnp.array(x) for x in xs])
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), np.asarray(t), rtol=1e-10, atol=1e-12, err_msg=case.id)
    # the Hessian-vector product along the first input (the others held fixed)
    v = np.random.default_rng(2).standard_normal(np.shape(xs[0]))
    rest = xs[1:]
    hv_theirs = jax.jvp(jax.grad(lambda x: _loss(case, jnp, w)(x, *rest)), (xs[0],), (v,))[1]
    hv_ours = func.hvp(lambda x: _loss(case, tnp, w)(x, *rest), (tnp.array(xs[0]),), (tnp.array(v),))
    np.testing.assert_allclose(hv_ours.numpy(), np.asarray(hv_theirs), rtol=1e-10, atol=1e-12, err_msg=case.id)


def check_vmap(case: Case) -> None:
    if not case.vmap:
        pytest.skip(f"{case.id} is not batched")
    xs = case.inputs()
    batch = np.stack([xs[0] + k for k in range(3)])
    rest = xs[1:]
    got = tn.vmap(lambda x: _run(case, tnp, [x, *rest]))(batch)
    want = np.stack([np.asarray(_run(case, np, [b, *rest])) for b in batch])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-13, atol=1e-14, err_msg=case.id)


def _pieces(m, parts, axis):
    """Split pieces joined back, each scaled differently: one Tensor out, and each piece's gradient its own."""
    return m.concatenate([p * (i + 1.0) for i, p in enumerate(parts)], axis)


CASES = [
    Case("tril", lambda m, x: m.tril(x), [(3, 4)]),
    Case("tril k=-1 3-d", lambda m, x: m.tril(x, -1), [(2, 3, 4)]),
    Case("tril 1-d", lambda m, x: m.tril(x, 1), [(4,)], autograd=False, jax=False),
    Case("triu k=2", lambda m, x: m.triu(x, 2), [(2, 3, 4)]),
    Case("triu", lambda m, x: m.triu(x), [(4, 3)]),
    Case("diag of a vector k=1", lambda m, x: m.diag(x, 1), [(4,)]),
    Case("diag of a vector k=-2", lambda m, x: m.diag(x, -2), [(3,)]),
    Case("diag of a matrix", lambda m, x: m.diag(x), [(3, 4)], autograd=False),
    Case("diag of a matrix k=-1", lambda m, x: m.diag(x, -1), [(3, 4)], autograd=False),
    Case("diagonal offset", lambda m, x: m.diagonal(x, 1), [(3, 4)], autograd=False),
    Case("diagonal 3-d axes", lambda m, x: m.diagonal(x, -1, 2, 0), [(2, 3, 4)], autograd=False),
    Case("diagonal negative axes", lambda m, x: m.diagonal(x, 0, -1, -2), [(2, 3, 4)], autograd=False),
    Case("trace", lambda m, x: m.trace(x), [(3, 4)]),
    Case("trace 3-d offset", lambda m, x: m.trace(x, 1, 1, 2), [(2, 3, 4)], autograd=False),
    Case("repeat flat", lambda m, x: m.repeat(x, 2), [(2, 3)]),
    Case("repeat counts", lambda m, x: m.repeat(x, np.array([1, 0, 2]), axis=-1), [(2, 3)], autograd=False),
    Case("repeat 0-d", lambda m, x: m.repeat(x, 3), [()], autograd=False),
    Case("tile", lambda m, x: m.tile(x, (2, 1, 2)), [(2, 3)]),
    Case("tile 1-d", lambda m, x: m.tile(x, 2), [(3,)]),
    Case("roll flat", lambda m, x: m.roll(x, 1), [(2, 3)]),
    Case("roll axis", lambda m, x: m.roll(x, -2, axis=-1), [(2, 3)]),
    Case("roll axes", lambda m, x: m.roll(x, (1, 2), axis=(0, 2)), [(2, 3, 4)], autograd=False),
    Case("rot90", lambda m, x: m.rot90(x), [(2, 3)]),
    Case("rot90 k=3 axes", lambda m, x: m.rot90(x, 3, (2, 0)), [(2, 3, 4)], autograd=False),
    Case("rot90 k=2", lambda m, x: m.rot90(x, 2, (-1, 1)), [(2, 3, 4)], autograd=False),
    Case("fliplr", lambda m, x: m.fliplr(x), [(2, 3)]),
    Case("flipud", lambda m, x: m.flipud(x), [(2, 3, 4)]),
    Case("flip axes", lambda m, x: m.flip(x, (0, -1)), [(2, 3, 4)], autograd=False),
    Case("flip all", lambda m, x: m.flip(x), [(2, 3)], autograd=False),
    Case("append flat", lambda m, x, y: m.append(x, y), [(2, 3), (3,)]),
    Case("append axis", lambda m, x, y: m.append(x, y, axis=0), [(2, 3), (1, 3)]),
    Case("vstack", lambda m, x, y: m.vstack([x, y]), [(3,), (2, 3)]),
    Case("hstack", lambda m, x, y: m.hstack([x, y]), [(2, 3), (2, 1)]),
    Case("hstack 0-d", lambda m, x, y: m.hstack([x, y]), [(), (3,)]),
    Case("dstack", lambda m, x, y: m.dstack([x, y]), [(2, 3), (2, 3, 2)], autograd=False),
    Case("column_stack", lambda m, x, y: m.column_stack([x, y]), [(3,), (3, 2)]),
    Case("row_stack", lambda m, x, y: m.row_stack([x, y]), [(3,), (2, 3)], jax=False),
    Case("atleast_1d", lambda m, x: m.atleast_1d(x), [()]),
    Case("atleast_2d", lambda m, x: m.atleast_2d(x), [(3,)]),
    Case("atleast_3d 1-d", lambda m, x: m.atleast_3d(x), [(3,)]),
    Case("atleast_3d 2-d", lambda m, x: m.atleast_3d(x), [(2, 3)]),
    Case("atleast_2d of two", lambda m, x, y: m.concatenate([m.ravel(a) for a in m.atleast_2d(x, y)]),
         [(), (2, 3)], autograd=False),
    Case("split", lambda m, x: _pieces(m, m.split(x, 2, axis=-1), -1), [(2, 4)]),
    Case("split at", lambda m, x: _pieces(m, m.split(x, [1, 3]), 0), [(5, 2)]),
    Case("array_split", lambda m, x: _pieces(m, m.array_split(x, 3, axis=1), 1), [(2, 5)]),
    Case("hsplit", lambda m, x: _pieces(m, m.hsplit(x, 2), 1), [(3, 4)]),
    Case("vsplit", lambda m, x: _pieces(m, m.vsplit(x, [1]), 0), [(3, 4)]),
    Case("dsplit", lambda m, x: _pieces(m, m.dsplit(x, 2), 2), [(2, 3, 4)]),
    Case("pad constant", lambda m, x: m.pad(x, ((1, 2), (0, 1)), constant_values=3.0), [(2, 3)], autograd=False),
    Case("pad 1-d", lambda m, x: m.pad(x, 2), [(3,)], autograd=False),
    Case("pad edge", lambda m, x: m.pad(x, (1, 2), mode="edge"), [(2, 3)], autograd=False),
    Case("pad reflect", lambda m, x: m.pad(x, ((2, 1), (1, 2)), mode="reflect"), [(3, 4)], autograd=False),
    Case("pad symmetric", lambda m, x: m.pad(x, 2, mode="symmetric"), [(2, 3)], autograd=False),
    Case("pad wrap", lambda m, x: m.pad(x, ((0, 0), (1, 0), (2, 3)), mode="wrap"), [(2, 3, 2)], autograd=False),
    Case("squeeze", lambda m, x: m.squeeze(x, -1), [(1, 3, 1)]),
    Case("squeeze all", lambda m, x: m.squeeze(x), [(1, 3, 1)]),
    Case("expand_dims", lambda m, x: m.expand_dims(x, (0, -1)), [(2, 3)]),
    Case("moveaxis", lambda m, x: m.moveaxis(x, (0, -1), (2, 0)), [(2, 3, 4)]),
    Case("swapaxes", lambda m, x: m.swapaxes(x, -1, 0), [(2, 3, 4)]),
    Case("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3)), [(3,)], autograd=False),
    Case("broadcast_arrays", lambda m, x, y: m.stack(m.broadcast_arrays(x, y)), [(3,), (2, 1)], autograd=False),
    Case("ravel", lambda m, x: m.ravel(x), [(2, 3)]),
    Case("ravel F order", lambda m, x: m.ravel(x, order="F"), [(2, 3, 2)], autograd=False),
    Case("r_", lambda m, x, y: m.r_[x, 0.5, y], [(3,), (2,)], autograd=False, protocol=False),
    Case("r_ ranges and axis", lambda m, x, y: m.r_["1", x, y] + m.r_[0:6:3j], [(3, 1), (3, 2)], autograd=False,
         protocol=False),
    Case("c_", lambda m, x, y: m.c_[x, y], [(3,), (3, 2)], autograd=False, protocol=False),
    Case("array of a nested list", lambda m, x: m.array([[x[0], 2.0], [x[1] * 3, x[2]]]), [(3,)], protocol=False),
    Case("stack of a list", lambda m, x: m.stack([x, 2.0 * x, 1.0 + x], axis=-1), [(2, 3)]),
    Case("concatenate with numbers", lambda m, x: m.concatenate([x, np.array([1.0, 2.0]), x * x]), [(3,)]),
    Case("sort", lambda m, x: m.sort(x), [(3, 4)], autograd=False),
    Case("sort axis 0", lambda m, x: m.sort(x, axis=0), [(3, 4)], autograd=False),
    Case("sort flat", lambda m, x: m.sort(x, axis=None), [(3, 4)], autograd=False),
    Case("partition", lambda m, x: m.partition(x, 2), [(6,)], jax=False),
    Case("partition axis 0", lambda m, x: m.partition(x, 1, axis=0), [(4, 3)], jax=False, autograd=False),
    Case("select", lambda m, x, y: m.select([x > 0.5, x < -0.5], [x, y * y], 0.25), [(3, 4), (3, 4)]),
    Case("where", lambda m, x, y: m.where(x > 0, x * y, y), [(3, 4), (4,)], autograd=False),
    Case("take", lambda m, x: m.take(x, np.array([2, 0, 2]), axis=1), [(3, 4)], autograd=False),
    Case("take clip mode", lambda m, x: m.take(x, np.array([-1, 5, 1]), axis=0, mode="clip"), [(3, 2)],
         autograd=False),
    Case("take wrap mode", lambda m, x: m.take(x, np.array([[-1, 7]]), mode="wrap"), [(2, 3)], autograd=False),
    Case("take flat", lambda m, x: m.take(x, np.array([[5, 0], [11, 5]])), [(3, 4)], autograd=False),
    Case("take_along_axis", lambda m, x: m.take_along_axis(x, np.array([[0, 2, 2], [1, 0, 1]]), -1), [(2, 4)],
         autograd=False),
    Case("clip", lambda m, x: m.clip(x, -0.5, 0.5), [np.array([[-1.3, -0.2, 0.1], [0.7, 0.45, -0.6]])]),
    Case("clip one side", lambda m, x: m.clip(x, None, 0.2), [np.array([-1.3, -0.2, 0.1, 0.7])],
         autograd=False),
]


def _ids(cases):
    return [c.id for c in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_values_are_numpys(case):
    check_values(case)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_float32_and_integer_dtypes_are_numpys(case):
    check_dtypes(case)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_gradients_to_second_order(case):
    check_gradients(case)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_gradients_match_hips_autograd(case):
    check_against_autograd(case)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_gradients_and_hvp_match_jax(case):
    check_against_jax(case)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_vmap_equals_a_loop(case):
    check_vmap(case)


# ---- put_along_axis: a function returning its result (JAX's inplace=False) ------------------------------------
def test_put_along_axis_values_gradients_and_last_write_wins():
    x = np.random.default_rng(3).standard_normal((3, 4))
    idx = np.array([[0, 2], [1, 1], [3, 0]])        # row 1 writes column 1 twice: the last write wins, as NumPy
    v = np.arange(6.0).reshape(3, 2) + 10
    want = x.copy()
    np.put_along_axis(want, idx, v, axis=1)
    got = tnp.put_along_axis(x, idx, v, axis=1, inplace=False)
    np.testing.assert_array_equal(got.numpy(), want)
    check_grads(lambda x, v: tnp.put_along_axis(x, idx, v, -1, inplace=False), [x, v])
    vt = tnp.array(v, requires_grad=True)
    tnp.sum(tnp.put_along_axis(x, idx, vt, 1, inplace=False)).backward()
    np.testing.assert_array_equal(vt.grad.numpy(), [[1, 1], [0, 1], [1, 1]])    # the overwritten value: none
    check_grads(lambda x: tnp.put_along_axis(x, idx[:, :1], 2.0, 1, inplace=False), [x])   # a number, broadcast
    batch = np.stack([x, x + 1])        # vmap over arr, then over the values
    got = tn.vmap(lambda r: tnp.put_along_axis(r, idx, v, 1, inplace=False))(batch).numpy()
    np.testing.assert_array_equal(got, np.stack([want, tnp.put_along_axis(x + 1, idx, v, 1, inplace=False).numpy()]))
    got = tn.vmap(lambda w: tnp.put_along_axis(x, idx, w, 1, inplace=False))(np.stack([v, v])).numpy()
    np.testing.assert_array_equal(got, np.stack([want, want]))
    jax = _jax()
    ours = tnp.put_along_axis(x, idx[:, :1], v[:, :1], 1, inplace=False).numpy()
    theirs = jax.numpy.put_along_axis(x, idx[:, :1], v[:, :1], 1, inplace=False)
    np.testing.assert_array_equal(ours, np.asarray(theirs))


def test_put_along_axis_refuses_to_pretend_to_write_in_place():
    with pytest.raises(ValueError, match="inplace=False"):
        tnp.put_along_axis(tnp.zeros(3), np.array([0]), 1.0, 0)
    with pytest.raises(ValueError, match="indices must be integers"):
        tnp.put_along_axis(tnp.zeros(3), np.array([0.5]), 1.0, 0, inplace=False)


# ---- the functions without a gradient: NumPy's answers, as constants ------------------------------------------
def test_functions_without_gradient_give_numpys_answers():
    x = np.random.default_rng(4).standard_normal((3, 4))     # no ties: NumPy's default argsort is not stable
    t = tnp.array(x, requires_grad=True)
    for name, call in {
        "argsort": lambda m, a: m.argsort(a, axis=0), "argsort flat": lambda m, a: m.argsort(a, axis=None),
        "argpartition": lambda m, a: m.argpartition(a, 1), "searchsorted": lambda m, a: m.searchsorted(
            np.sort(x.ravel()), a), "searchsorted right": lambda m, a: m.searchsorted([0.0, 1.0], a, side="right"),
        "unique": lambda m, a: m.unique(a), "nonzero": lambda m, a: m.nonzero(a > 0)[1],
        "where one argument": lambda m, a: m.where(a > 0)[0],
    }.items():
        want = call(np, x)
        for got in (call(tnp, t), call(np, t)):
            assert not got.requires_grad, name
            assert got.dtype == want.dtype, name
            np.testing.assert_array_equal(got.numpy(), want, err_msg=name)
    x[1, 2] = x[0, 0]
    values, index, inverse, counts = tnp.unique(tnp.array(x), return_index=True, return_inverse=True,
                                                return_counts=True)
    for got, want in zip((values, index, inverse, counts), np.unique(x, True, True, True)):
        np.testing.assert_array_equal(got.numpy(), want)


def test_sort_of_a_list_and_clip_of_integers():
    assert tnp.sort([3.0, 1.0, 2.0]).tolist() == [1.0, 2.0, 3.0]
    assert tnp.sort([3.0, 1.0]).dtype == np.float64
    a = np.array([1, 5, 9])
    for got, want in ((tnp.clip(a, None, 6), np.clip(a, None, 6)), (tnp.clip(a, a_min=2, a_max=None),
                                                                      np.clip(a, 2, None)),
                      (np.clip(tnp.array(a), min=2, max=6), np.clip(a, min=2, max=6))):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.numpy(), want)


def test_argpartition_and_partition_batch():
    x = np.random.default_rng(5).standard_normal((3, 4, 5))
    got = tn.vmap(lambda r: tnp.argpartition(r, 2, axis=-1))(x)
    np.testing.assert_array_equal(got.numpy(), np.stack([np.argpartition(r, 2, axis=-1) for r in x]))


# ---- error paths -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, match", [
    (lambda: tnp.tril(tnp.array(1.0)), ValueError, "at least 1-d"),
    (lambda: tnp.diag(tnp.ones((2, 2, 2))), ValueError, "1-d .* or 2-d"),
    (lambda: tnp.diagonal(tnp.ones(3)), ValueError, "at least 2-d"),
    (lambda: tnp.diagonal(tnp.ones((2, 2)), 0, 1, -1), ValueError, "cannot be the same axis"),
    (lambda: tnp.trace(tnp.ones((2, 2)), axis1=2), ValueError, "out of range"),
    (lambda: tnp.repeat(tnp.ones(3), 1.5), TypeError, "repeats must be integers"),
    (lambda: tnp.repeat(tnp.ones(3), [1, 2]), ValueError, ""),
    (lambda: tnp.roll(tnp.ones(3), 1.5, 0), ValueError, "must be integers"),
    (lambda: tnp.roll(tnp.ones(3), 1, 1), ValueError, "out of range"),
    (lambda: tnp.rot90(tnp.ones(3)), ValueError, "at least 2-d"),
    (lambda: tnp.rot90(tnp.ones((2, 2)), 1, (0, 0)), ValueError, "must differ"),
    (lambda: tnp.rot90(tnp.ones((2, 2)), 1, (0,)), ValueError, "must name 2 axes"),
    (lambda: tnp.fliplr(tnp.ones(3)), ValueError, "at least 2-d"),
    (lambda: tnp.flipud(tnp.array(1.0)), ValueError, "at least 1-d"),
    (lambda: tnp.vstack(x for x in [tnp.ones(2)]), TypeError, "list or tuple"),
    (lambda: tnp.hstack(tnp.ones(2)), TypeError, "list or tuple"),
    (lambda: tnp.vstack([tnp.ones(2), tnp.ones(3)]), ValueError, "must agree except on that axis"),
    (lambda: tnp.vsplit(tnp.ones(4), 2), ValueError, "2 or more dimensions"),
    (lambda: tnp.dsplit(tnp.ones((2, 4)), 2), ValueError, "3 or more dimensions"),
    (lambda: tnp.split(tnp.ones(5), 2), ValueError, "use array_split"),
    (lambda: tnp.array_split(tnp.ones(5), 0), ValueError, "positive integer"),
    (lambda: tnp.pad(tnp.ones(3), 1.5), TypeError, "pad_width must be integers"),
    (lambda: tnp.pad(tnp.ones(3), -1), ValueError, "must not be negative"),
    (lambda: tnp.pad(tnp.ones((2, 2)), ((1, 1), (1, 1), (1, 1))), ValueError, "does not fit a 2-d input"),
    (lambda: tnp.pad(tnp.ones(3), 1, mode="mean"), NotImplementedError, "mode 'mean' is not supported"),
    (lambda: tnp.pad(tnp.ones(3), 1, mode="reflect", reflect_type="odd"), NotImplementedError, "reflect_type"),
    (lambda: tnp.pad(tnp.ones(3), 1, constant_values=tnp.array(2.0)), TypeError, r"constant_values \(numbers\) only"),
    (lambda: tnp.select([tnp.ones(2) > 0], []), ValueError, "1 conditions but 0 choices"),
    (lambda: tnp.select([], []), ValueError, "must not be empty"),
    (lambda: tnp.select([tnp.ones(2)], [tnp.ones(2)]), TypeError, "invalid entry 0 in condlist"),
    (lambda: tnp.where(tnp.ones(2) > 0, tnp.ones(2)), ValueError, "both x and y, or neither"),
    (lambda: tnp.take(tnp.ones(3), [4], mode="wild"), ValueError, "mode must be"),
    (lambda: tnp.take_along_axis(tnp.ones((2, 2)), np.zeros((1, 1), int), None), ValueError, "must be 1-d"),
    (lambda: tnp.partition(tnp.ones(3), 1, order="f"), TypeError, "order="),
    (lambda: tnp.clip(tnp.ones(3), 0, 1, out=np.ones(3)), TypeError, "out="),
    (lambda: tnp.r_["x", tnp.ones(2)], ValueError, "unknown directive"),
    (lambda: tnp.r_[tnp.ones(2), "0"], ValueError, "must come first"),
])
def test_errors_say_what_to_do(call, error, match):
    with pytest.raises(error, match=match):
        call()
