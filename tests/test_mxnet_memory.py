"""turunan.mxnet: which results share memory, and which index arrays index, as in MXNet's ``mxnet.np``.

MXNet's operators return arrays in their own memory: ``reshape`` (the docs of ``mxnet.np.reshape``: "It will be
always a copy of the original array. This behavior is different from the official NumPy reshape operator"),
``ndarray.reshape`` ("Returns a copy of the array with a new shape"), ``.T`` ("always returns a copy of self"),
``flatten``, ``swapaxes``, ``transpose`` and the other shape operators. Basic indexing is a view only where it
selects one contiguous block (``ndarray.__getitem__`` in python/mxnet/numpy/multiarray.py). An index array of
floats (MXNet's default dtype) indexes as integers (``NDArray._get_index_nd`` casts it to int32).
"""

import numpy
import pytest

from turunan.mxnet import autograd, np, npx


# ---- D2L's ndarray chapter, MXNet tab -------------------------------------------------------------------
def test_d2l_ndarray_cells_reshape_does_not_alias():
    npx.set_np()
    x = np.arange(12)
    X = x.reshape(3, 4)
    X[1, 2] = 17
    X[:2, :] = 12
    assert X.tolist() == [[12.0] * 4, [12.0] * 4, [8.0, 9.0, 10.0, 11.0]]
    # the rendered MXNet page: np.exp(x) gives exp(0..11), x untouched by the writes through X
    numpy.testing.assert_allclose(np.exp(x).asnumpy(), numpy.exp(numpy.arange(12, dtype=numpy.float32)), rtol=1e-6)
    assert x.tolist() == list(range(12))


def test_d2l_slicing_reads_rows():
    X = np.arange(12).reshape(3, 4)
    last, rows = X[-1], X[1:3]
    assert last.tolist() == [8.0, 9.0, 10.0, 11.0] and rows.tolist() == [[4, 5, 6, 7], [8, 9, 10, 11]]


# ---- copies: every shape operator ---------------------------------------------------------------------------
COPIES = {
    "x.reshape(3, 4)": lambda x: x.reshape(3, 4),
    "x.reshape((3, 4))": lambda x: x.reshape((3, 4)),
    "x.reshape(-1, 4)": lambda x: x.reshape(-1, 4),
    "np.reshape": lambda x: np.reshape(x, (3, 4)),
    "x.flatten()": lambda x: x.reshape(3, 4).flatten(),
    "x.ravel()": lambda x: x.reshape(3, 4).ravel(),
    "np.ravel": lambda x: np.ravel(x),
    "x.T": lambda x: x.T,
    "x.transpose()": lambda x: x.transpose(),
    "x.transpose(1, 0)": lambda x: x.transpose(1, 0),
    "np.transpose": lambda x: np.transpose(x),
    "x.swapaxes": lambda x: x.swapaxes(0, 1),
    "np.swapaxes": lambda x: np.swapaxes(x, 0, 1),
    "np.moveaxis": lambda x: np.moveaxis(x, 0, 1),
    "x.squeeze()": lambda x: x.reshape(1, 12).squeeze() if x.ndim == 1 else x.squeeze(),
    "np.squeeze": lambda x: np.squeeze(np.expand_dims(x, 0)),
    "np.expand_dims": lambda x: np.expand_dims(x, 0),
    "x.expand_dims": lambda x: x.expand_dims(0),
    "np.broadcast_to": lambda x: np.broadcast_to(x, (2,) + x.shape),
    "x.flip": lambda x: x.flip(0),
    "np.flip": lambda x: np.flip(x, 0),
    "np.split": lambda x: np.split(x, 3)[1],
    "npx.batch_flatten": lambda x: npx.batch_flatten(x),
    "X[:, 1] (not contiguous)": lambda x: x[:, 1],
    "X[::2] (a step)": lambda x: x[::2],
    "X[1:2, ::-1]": lambda x: x[1:2, ::-1],
    "X[[0, 2]] (advanced)": lambda x: x[[0, 2]],
}


@pytest.mark.parametrize("name", COPIES)
def test_shape_operators_and_scattered_slices_copy(name):
    X = np.arange(12).reshape(3, 4)
    before = X.asnumpy()
    out = COPIES[name](X)
    out[...] = -1
    assert (X.asnumpy() == before).all(), f"{name} wrote through to its input: MXNet returns a copy"
    assert (out.asnumpy() == -1).all()


def test_the_copy_of_a_one_dimensional_array_too():
    x = np.arange(12)
    for y in (x.reshape(12), x.T, np.reshape(x, (12,)), x.flatten()):
        y[0] = 99
    assert x[0] == 0


# ---- views: contiguous basic indexing, detach ---------------------------------------------------------------
VIEWS = {
    "X[1]": lambda x: x[1],
    "X[-1]": lambda x: x[-1],
    "X[1:3]": lambda x: x[1:3],
    "X[:2, :]": lambda x: x[:2, :],
    "X[1, 1:3]": lambda x: x[1, 1:3],
    "X[1:2, :]": lambda x: x[1:2, :],
    "X[...]": lambda x: x[...],
    "X[None, 1]": lambda x: x[None, 1],
    "X.detach()": lambda x: x.detach(),
}


@pytest.mark.parametrize("name", VIEWS)
def test_contiguous_basic_indexing_is_a_view(name):
    X = np.arange(12).reshape(3, 4)
    out = VIEWS[name](X)
    out[...] = -1
    assert (X.asnumpy() == -1).sum() == out.size, f"{name} is a view in MXNet: a write through it reaches X"


def test_an_element_is_a_view():
    X = np.arange(12).reshape(3, 4)
    e = X[1, 2]
    e[()] = -5
    assert X[1, 2] == -5


# ---- gradients through the copies --------------------------------------------------------------------------
def test_gradients_pass_through_the_copies():
    x = np.arange(6.0)
    x.attach_grad()
    with autograd.record():
        X = x.reshape(2, 3)
        y = (X.T * np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum() + (X[:, 1] * 10).sum()
    y.backward()
    # X.T[j, i] = x[3 i + j] times w[j, i]; X[:, 1] = x[1], x[4]
    assert x.grad.tolist() == [1.0, 3.0 + 10.0, 5.0, 2.0, 4.0 + 10.0, 6.0]


def test_a_write_into_a_reshaped_copy_leaves_the_recorded_input():
    x = np.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = x.reshape(2, 2)
        z = (x * x).sum()
    y[0, 0] = 100.0      # a copy: x (saved by z's graph) is untouched, so backward may still read it
    z.backward()
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0] and x.grad.tolist() == [0.0, 2.0, 4.0, 6.0]


# ---- float index arrays (D2L's softmax regression from scratch) ---------------------------------------------
def test_d2l_softmax_regression_pick_cell():
    y = np.array([0, 2])
    assert y.dtype == numpy.float32      # as in MXNet
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    picked = y_hat[[0, 1], y]
    numpy.testing.assert_allclose(picked.asnumpy(), [0.1, 0.5], rtol=1e-6)

    def cross_entropy(y_hat, y):
        return -np.log(y_hat[list(range(len(y_hat))), y]).mean()

    numpy.testing.assert_allclose(float(cross_entropy(y_hat, y)), -(numpy.log(0.1) + numpy.log(0.5)) / 2, rtol=1e-6)


def test_float_index_arrays_record_a_gather():
    y = np.array([0, 2, 2])
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    W.attach_grad()
    with autograd.record():
        loss = (W[np.arange(3), y] * np.array([1.0, 2.0, 3.0])).sum()
    loss.backward()
    assert float(loss) == 1.0 + 2 * 6.0 + 3 * 9.0
    assert W.grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 3.0]]


@pytest.mark.parametrize("index", [
    lambda: np.array([0, 2]),                       # float32 ndarray
    lambda: numpy.array([0.0, 2.0]),                # NumPy float64
    lambda: [0.0, 2.0],                             # a list of floats
    lambda: np.array([0, 2], dtype="int32"),        # integers stay as they are
    lambda: [0, 2],
])
def test_index_arrays_of_whole_floats_index_like_integers(index):
    x = np.array([10.0, 11.0, 12.0])
    assert x[index()].tolist() == [10.0, 12.0]
    x[index()] = 0
    assert x.tolist() == [0.0, 11.0, 0.0]


def test_a_single_float_index_array_and_a_mask():
    x = np.arange(6.0).reshape(2, 3)
    assert x[np.array([1])].tolist() == [[3.0, 4.0, 5.0]]
    assert x[x > 3].tolist() == [4.0, 5.0]               # a mask is still a mask


@pytest.mark.parametrize("bad", [[0.5, 1.0], [numpy.nan, 0.0], [numpy.inf, 0.0]])
def test_a_fractional_index_is_refused_clearly(bad):
    x = np.array([10.0, 11.0, 12.0])
    with pytest.raises(IndexError, match="whole numbers"):
        x[np.array(bad)]
    with pytest.raises(IndexError, match="whole numbers"):
        x[np.array(bad)] = 1.0
    assert x.tolist() == [10.0, 11.0, 12.0]
