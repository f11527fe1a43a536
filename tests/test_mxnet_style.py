"""turunan.mxnet: the chapter's examples and exercises in MXNet's words, and each front-door behaviour."""

import numpy
import pytest

import turunan
from turunan import mxnet
from turunan.mxnet import MXNetError, autograd, np, npx


def f(a):
    """The chapter's control-flow function: piecewise linear, f(a) = k a."""
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def variable(values, grad_req="write"):
    x = np.array(values)
    x.attach_grad(grad_req)
    return x


# ---- the chapter ------------------------------------------------------------------------------------------
def test_chapter_example_prints_and_values():
    npx.set_np()
    x = np.arange(4.0)
    assert repr(x) == "array([0., 1., 2., 3.])" and x.dtype == numpy.float32 and x.shape == (4,)
    x.attach_grad()
    assert repr(x.grad) == "array([0., 0., 0., 0.])"
    with autograd.record():
        y = 2 * np.dot(x, x)
    assert repr(y) == "array(28.)" and y.shape == ()
    y.backward()
    assert repr(x.grad) == "array([ 0.,  4.,  8., 12.])"
    assert repr(x.grad == 4 * x) == "array([ True,  True,  True,  True])"
    with autograd.record():
        y = x.sum()
    y.backward()
    assert repr(x.grad) == "array([1., 1., 1., 1.])"          # overwritten, not accumulated


def test_non_scalar_backward_sums():
    x = variable([0.0, 1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [0, 2, 4, 6])


def test_detach_then_backward_through_the_recorded_part():
    x = variable([0.0, 1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    assert (x.grad == u).asnumpy().all()
    assert u._node is None and not u.requires_grad
    y.backward()
    assert (x.grad == 2 * x).asnumpy().all()


@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_control_flow_gradient_is_d_over_a(shape):
    turunan.manual_seed(0)
    a = np.random.normal(size=shape if shape else None)
    assert a.shape == shape and a.dtype == numpy.float32
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()                       # non-scalar d (exercise 3) is summed: grad is k everywhere
    k = (d / a).asnumpy()
    assert numpy.allclose(k, k.flat[0], rtol=1e-6)
    numpy.testing.assert_allclose(a.grad.asnumpy(), k, rtol=1e-6)


# ---- exercises --------------------------------------------------------------------------------------------
def test_exercise1_second_and_third_derivatives():
    x = np.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = x ** 3
        dy = autograd.grad(y, [x], create_graph=True)[0]
        d2y = autograd.grad(dy, [x], create_graph=True)[0]
    assert isinstance(dy, mxnet.ndarray) and isinstance(d2y, mxnet.ndarray)
    d2y.backward()
    numpy.testing.assert_allclose(dy.asnumpy(), 3 * numpy.arange(4.0) ** 2)
    numpy.testing.assert_allclose(d2y.asnumpy(), 6 * numpy.arange(4.0))
    numpy.testing.assert_allclose(x.grad.asnumpy(), [6, 6, 6, 6])
    assert repr(x.grad) == "array([6., 6., 6., 6.])"


def test_exercise2_backward_twice_raises_mxnet_error():
    x = variable([0.0, 1.0, 2.0, 3.0])
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward()
    with pytest.raises(MXNetError, match=r"autograd\.record\(\).*retain_graph=True"):
        y.backward()


@pytest.mark.parametrize("req, factor", [("write", 4), ("add", 8)])
def test_exercise2_retain_graph_write_stays_add_doubles(req, factor):
    x = variable([0.0, 1.0, 2.0, 3.0], req)
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), factor * numpy.arange(4.0))


def test_exercise5_sin_derivative_matches_cos():
    x = np.linspace(-2 * np.pi, 2 * np.pi, 50)
    x.attach_grad()
    with autograd.record():
        y = np.sin(x)
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.cos(x.asnumpy()), atol=1e-6)


# ---- front-door behaviours ----------------------------------------------------------------------------------
def test_write_reuses_the_same_buffer():
    x = variable([1.0, 2.0])
    buf = x.grad.data
    for _ in range(3):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
        assert x.grad.data is buf and numpy.shares_memory(x.grad.data, buf)
    numpy.testing.assert_array_equal(buf, [2, 4])


def test_add_accumulates_in_the_same_buffer_and_null_leaves_it():
    x, z = variable([1.0, 2.0], "add"), variable([3.0, 4.0], "null")
    buf = x.grad.data
    for _ in range(2):
        with autograd.record():
            y = (x * z).sum()
        y.backward()
    assert x.grad.data is buf
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [6, 8])
    numpy.testing.assert_array_equal(z.grad.asnumpy(), [0, 0])
    assert x.grad_req == "add" and z.grad_req == "null"


def test_attach_grad_checks():
    with pytest.raises(ValueError, match="grad_req"):
        np.ones(2).attach_grad("sometimes")
    with pytest.raises(TypeError, match="floating"):
        np.arange(3, dtype="int64").attach_grad()
    assert np.ones(2).grad is None


def test_nothing_is_recorded_outside_record():
    x = variable([1.0, 2.0])
    y = x * 2
    assert y._node is None and not autograd.is_recording()
    with pytest.raises(MXNetError, match=r"autograd\.record\(\)"):
        y.backward()
    with autograd.record():
        w = x * 2
    v = w * 3                      # after the block: not recorded, even though w was
    assert v._node is None
    with pytest.raises(MXNetError):
        v.backward()


def test_pause_and_modes():
    x = variable([1.0, 2.0])
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            p = x * 2
        with autograd.predict_mode():
            assert not autograd.is_training() and autograd.is_recording()
        y = x * 3
    with autograd.train_mode():
        assert autograd.is_training()
    with autograd.record(train_mode=False):
        assert not autograd.is_training()
    assert p._node is None and y._node is not None
    assert autograd.set_recording(True) is False
    assert autograd.set_recording(False) is True
    assert autograd.set_training(True) is False
    autograd.set_training(False)


def test_out_grad_and_autograd_backward_and_grad():
    x = variable([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
    y.backward(out_grad=np.array([1.0, 0.0, 2.0]))
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [2, 0, 12])
    with autograd.record():
        y = x * x
    autograd.backward([y])
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [2, 4, 6])
    with autograd.record():
        y = x * x
        z = x * 5
    g = autograd.grad(y, x)                      # a single variable gives a single array
    assert isinstance(g, mxnet.ndarray) and repr(g) == "array([2., 4., 6.])"
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [2, 4, 6])   # grad() leaves .grad alone
    (gz,) = autograd.grad([z], [x], head_grads=[np.array([1.0, 1.0, 2.0])])
    numpy.testing.assert_array_equal(gz.asnumpy(), [5, 5, 10])


def test_grad_needs_attached_variables():
    x = variable([1.0])
    with autograd.record():
        y = x * 2
    with pytest.raises(MXNetError, match="attach_grad"):
        autograd.grad(y, [np.ones(1)])


def test_mark_variables():
    x, buf = np.array([1.0, 2.0]), np.zeros(2)
    autograd.mark_variables([x], [buf], "add")
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert x.grad.data is buf.data
    numpy.testing.assert_array_equal(buf.asnumpy(), [2, 4])


def test_numpy_namespace_and_dtypes():
    assert repr(np.arange(4)) == "array([0., 1., 2., 3.])"            # float32 by default, as MXNet
    assert repr(np.array([1, 2])) == "array([1., 2.])"
    assert repr(np.arange(3, dtype="int64")) == "array([0, 1, 2], dtype=int64)"
    assert repr(np.zeros((2, 2))) == "array([[0., 0.],\n       [0., 0.]])"
    assert str(np.arange(3.0)) == "[0. 1. 2.]"
    assert isinstance(np.ones_like(np.ones(3)), mxnet.ndarray)
    assert repr(np.linalg.norm(np.array([3.0, 4.0]))) == "array(5.)"
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.dot(m, m).shape == (2, 2) and np.matmul(m, m).shape == (2, 2)
    numpy.testing.assert_allclose(np.exp(np.zeros(2)).asnumpy(), [1, 1])
    assert np.sum(m, axis=0).shape == (2,) and np.mean(m).shape == ()
    assert np.reshape(m, (4,)).shape == (4,) and np.transpose(m).shape == (2, 2)
    assert isinstance(np.maximum(m, 0), mxnet.ndarray)
    assert m.asnumpy() is not m.data                                    # asnumpy copies
    assert npx.relu(np.array([-1.0, 2.0])).asnumpy().tolist() == [0, 2]
    assert npx.is_np_array()


def test_seed_reproduces():
    mxnet.random.seed(7)
    a = np.random.normal(size=(3,))
    np.random.seed(7)
    b = np.random.normal(size=(3,))
    numpy.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert np.random.uniform(size=(2,)).dtype == numpy.float32


@pytest.mark.parametrize("where, name", [(np, "fft"), (np.linalg, "svd"), (npx, "no_such_op"),
                                          (autograd, "Function"), (mxnet.gluon.nn, "BatchNorm"), (np.random, "gamma")])
def test_missing_names_say_so(where, name):
    with pytest.raises(AttributeError, match=f"'{name}'"):
        getattr(where, name)


def test_torch_style_tensors_unaffected_by_mxnet_modes():
    t = turunan.ones(2, requires_grad=True)
    with autograd.pause():
        y = t * 2
    assert y.requires_grad                          # pause() is MXNet's; the core's grad mode is separate
