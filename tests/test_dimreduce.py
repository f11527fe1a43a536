"""turunan._dimreduce, the core's reductions along dims: values and indices with PyTorch's tie rule, and the
vector norm over several dims (values against NumPy, gradients numerically)."""

import numpy as np
import pytest

import turunan as tn
from turunan._array import AxisError
from turunan._dimreduce import max_along, min_along, vector_norm
from turunan.testing import check_grads

rng = np.random.default_rng(3)
X = rng.standard_normal((3, 4, 5))


@pytest.mark.parametrize("along, np_pick, np_arg", [(max_along, np.max, np.argmax), (min_along, np.min, np.argmin)])
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_values_and_indices_match_numpy(along, np_pick, np_arg, dim, keepdim):
    values, indices = along(tn.tensor(X), dim, keepdim)
    assert np.array_equal(np.asarray(values), np_pick(X, dim, keepdims=keepdim))
    assert np.array_equal(np.asarray(indices), np_arg(X, dim, keepdims=keepdim))
    assert values.shape == indices.shape == np_pick(X, dim, keepdims=keepdim).shape


@pytest.mark.parametrize("along", [max_along, min_along])
@pytest.mark.parametrize("dim", [0, 2])
def test_gradients_numerically(along, dim):
    check_grads(lambda x: along(x, dim)[0] * 1.5, [X], order=2)
    check_grads(lambda x: along(x, dim, keepdim=True)[0], [X], order=1)


def test_a_tie_gives_the_whole_gradient_to_the_returned_index():
    rows = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
    x = tn.tensor(rows, requires_grad=True)
    values, indices = max_along(x, 1)
    assert np.array_equal(np.asarray(indices), [1, 0])        # the first of the tied elements
    values.sum().backward()
    assert np.array_equal(np.asarray(x.grad), [[0, 1, 0, 0], [1, 0, 0, 0]])
    # the core's amax splits a tie evenly: the two rules differ, and this module keeps PyTorch's
    y = tn.tensor(rows, requires_grad=True)
    tn.amax(y, 1).sum().backward()
    assert np.allclose(np.asarray(y.grad), [[0, 0.5, 0.5, 0], [0.25, 0.25, 0.25, 0.25]])

    z = tn.tensor(-rows, requires_grad=True)
    values, indices = min_along(z, 1, keepdim=True)
    assert np.array_equal(np.asarray(indices), [[1], [0]])
    (values * tn.tensor([[2.0], [3.0]])).sum().backward()
    assert np.array_equal(np.asarray(z.grad), [[0, 2, 0, 0], [3, 0, 0, 0]])


def test_a_scalar_is_its_own_extreme_and_a_bad_dim_raises():
    values, indices = max_along(tn.tensor(2.5), 0)
    assert float(values) == 2.5 and int(indices) == 0
    with pytest.raises(AxisError):
        max_along(tn.tensor(X), 3)


@pytest.mark.parametrize("p", [1, 2, 3, np.inf, -np.inf])
@pytest.mark.parametrize("dims", [(0, 2), (2, 0), (1,), (0, 1, 2), None])
def test_vector_norm_over_several_dims_matches_numpy(p, dims):
    every = tuple(range(3)) if dims is None else dims
    rest = [d for d in range(3) if d not in every]
    flat = np.transpose(X, rest + sorted(every)).reshape([X.shape[d] for d in rest] + [-1])
    expected = np.linalg.norm(flat, p, -1)
    assert np.allclose(np.asarray(vector_norm(tn.tensor(X), p, dims)), expected)
    kept = vector_norm(tn.tensor(X), p, dims, keepdim=True)
    assert kept.shape == tuple(1 if d in every else X.shape[d] for d in range(3))
    assert np.allclose(np.asarray(kept).reshape(expected.shape), expected)


def test_vector_norm_of_one_dim_and_of_a_scalar():
    assert np.allclose(np.asarray(vector_norm(tn.tensor(X), 3, 1)), np.linalg.norm(X, 3, 1))
    assert float(vector_norm(tn.tensor(-4.0), 1, (0,))) == 4.0


@pytest.mark.parametrize("p, dims", [(2, (0, 2)), (3, (1, 2)), (1, None), (2, None), (2, 1)])
def test_vector_norm_gradients_numerically(p, dims):
    check_grads(lambda x: vector_norm(x, p, dims), [X], order=2)
