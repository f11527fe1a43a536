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
    Case("take flat", lambda m, x: m.take(x, np.array([[5, 0], [11, 5]])), [(3, 4)], autograd=False),
    Case("take_along_axis", lambda m, x: m.take_along_axis(x, np.array([[0, 2, 2], [1, 0, 1]]), -1), [(2, 4)], autograd=False),
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
