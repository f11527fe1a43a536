"""turunan.tensorflow: the chapter's examples and exercises in TensorFlow's words, and each front-door behaviour."""

import numpy
import pytest

import turunan
import turunan.tensorflow as tf


def f(a):
    b = a * 2
    while tf.norm(b) < 1000:
        b = b * 2
    if tf.reduce_sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


F32 = "dtype=float32"


# ---- the chapter ------------------------------------------------------------------------------------------
def test_chapter_example_prints_and_values():
    x = tf.range(4, dtype=tf.float32)
    assert repr(x) == f"<tf.Tensor: shape=(4,), {F32}, numpy=array([0., 1., 2., 3.], {F32})>"
    x = tf.Variable(x)
    assert repr(x) == f"<tf.Variable 'Variable:0' shape=(4,) {F32}, numpy=array([0., 1., 2., 3.], {F32})>"
    with tf.GradientTape() as t:
        y = 2 * tf.tensordot(x, x, axes=1)
    assert repr(y) == f"<tf.Tensor: shape=(), {F32}, numpy=28.0>"
    x_grad = t.gradient(y, x)
    assert repr(x_grad) == f"<tf.Tensor: shape=(4,), {F32}, numpy=array([ 0.,  4.,  8., 12.], {F32})>"
    assert repr(x_grad == 4 * x) == "<tf.Tensor: shape=(4,), dtype=bool, numpy=array([ True,  True,  True,  True])>"
    with tf.GradientTape() as t:
        y = tf.reduce_sum(x)
    assert t.gradient(y, x).numpy().tolist() == [1, 1, 1, 1]
    with tf.GradientTape() as t:
        y = x * x
    assert t.gradient(y, x).numpy().tolist() == [0, 2, 4, 6]       # the target is summed


def test_stop_gradient_with_persistent_tape():
    x = tf.Variable(tf.range(4, dtype=tf.float32))
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        u = tf.stop_gradient(y)
        z = u * x
    assert bool(tf.reduce_all(t.gradient(z, x) == u))
    assert bool(tf.reduce_all(t.gradient(y, x) == 2 * x))


@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_control_flow_gradient_is_d_over_a(shape):
    tf.random.set_seed(0)
    a = tf.Variable(tf.random.normal(shape=shape))
    assert a.shape == shape and a.dtype == tf.float32
    with tf.GradientTape() as t:
        d = f(a)
    d_grad = t.gradient(d, a)
    k = (d / a).numpy()
    assert numpy.allclose(k, numpy.ravel(k)[0], rtol=1e-6)
    numpy.testing.assert_allclose(d_grad.numpy(), k, rtol=1e-6)


# ---- exercises --------------------------------------------------------------------------------------------
def test_exercise1_nested_tapes_second_and_third_derivatives():
    x = tf.Variable(tf.range(4, dtype=tf.float32))
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = x ** 3
            dy = t1.gradient(y, x)
        d2y = t2.gradient(dy, x)
    d3y = t3.gradient(d2y, x)
    numpy.testing.assert_allclose(dy.numpy(), 3 * numpy.arange(4.0) ** 2)
    numpy.testing.assert_allclose(d2y.numpy(), 6 * numpy.arange(4.0))
    numpy.testing.assert_allclose(d3y.numpy(), [6, 6, 6, 6])


def test_exercise2_non_persistent_answers_once_persistent_twice():
    x = tf.Variable(tf.range(4, dtype=tf.float32))
    with tf.GradientTape() as t:
        y = 2 * tf.tensordot(x, x, axes=1)
    t.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used to compute one set"):
        t.gradient(y, x)
    with tf.GradientTape(persistent=True) as t:
        y = 2 * tf.tensordot(x, x, axes=1)
    for _ in range(2):
        numpy.testing.assert_array_equal(t.gradient(y, x).numpy(), 4 * numpy.arange(4.0))


def test_exercise5_sin_derivative_matches_cos():
    x = tf.Variable(tf.linspace(-6.0, 6.0, 50))
    with tf.GradientTape() as t:
        y = tf.math.sin(x)
    numpy.testing.assert_allclose(t.gradient(y, x).numpy(), numpy.cos(x.numpy()), atol=1e-6)


# ---- front-door behaviours ----------------------------------------------------------------------------------
def test_constants_need_watch_variables_do_not():
    c = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        y = c * c
    assert t.gradient(y, c) is None
    with tf.GradientTape() as t:
        t.watch(c)
        y = c * c
    numpy.testing.assert_array_equal(t.gradient(y, c).numpy(), [2, 4])
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape(watch_accessed_variables=False) as t:
        y = v * v
    assert t.gradient(y, v) is None and t.watched_variables() == ()
    with tf.GradientTape() as t:
        y = v * v
    assert t.watched_variables() == (v,)
    assert tf.Variable(1.0, trainable=False).trainable is False


def test_only_what_the_tape_records_counts():
    w = tf.Variable(2.0)
    v = w * w                         # outside any tape: a constant
    with tf.GradientTape() as t:
        z = v * w
    assert float(t.gradient(z, w)) == 4.0
    assert v._node is None


def test_unconnected_sources_and_structures():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        y = a * 3
    ga, gb = t.gradient(y, [a, b])
    assert float(ga) == 3 and gb is None
    zeros = t.gradient(y, {"a": a, "b": b}, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert float(zeros["a"]) == 3 and float(zeros["b"]) == 0
    assert float(t.gradient(y, (a,), unconnected_gradients="zero")[0]) == 3
    with pytest.raises(ValueError, match="unconnected_gradients"):
        t.gradient(y, a, unconnected_gradients="maybe")


def test_output_gradients():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = x * x
    g = t.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, 2.0]))
    numpy.testing.assert_array_equal(g.numpy(), [2, 0, 12])


def test_jacobian_and_batch_jacobian():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = x * x
    jac = t.jacobian(y, x)
    numpy.testing.assert_array_equal(jac.numpy(), numpy.diag([2.0, 4.0, 6.0]))
    with pytest.raises(RuntimeError, match="non-persistent"):
        t.jacobian(y, x)
    m = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])         # batch of 3, 2 features
    w = tf.constant([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]])          # 2 -> 3
    with tf.GradientTape(persistent=True) as t:
        t.watch(m)
        out = tf.matmul(m, w) ** 2                                # (3, 3)
    bj = t.batch_jacobian(out, m)
    assert bj.shape == (3, 3, 2)
    full = t.jacobian(out, m).numpy()                             # (3, 3, 3, 2)
    for b in range(3):
        numpy.testing.assert_allclose(bj.numpy()[b], full[b, :, b, :])
        lin = m.numpy()[b] @ w.numpy()
        numpy.testing.assert_allclose(bj.numpy()[b], (2 * lin)[:, None] * w.numpy().T)


def test_stop_recording_and_reset():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        with t.stop_recording():
            z = x * x
        assert z._node is None
    assert float(t.gradient(y, x)) == 6 and t.gradient(z, x) is None
    with pytest.raises(ValueError, match="recording"):
        with t.stop_recording():
            pass
    c = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(c)
        t.reset()
        y = c * c
    assert t.gradient(y, c) is None


def test_integer_watch_warns_and_gives_none():
    i = tf.constant([1, 2])
    with tf.GradientTape() as t:
        with pytest.warns(UserWarning, match="floating"):
            t.watch(i)
        y = i * 2
    assert t.gradient(y, i) is None


def test_gradient_with_respect_to_an_intermediate():
    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
        z = y * y
    assert float(t.gradient(z, y)) == 18.0


def test_names_dtypes_and_values():
    assert tf.range(4).dtype == tf.int32 and tf.constant([1, 2]).dtype == tf.int32
    assert tf.constant(1.5).dtype == tf.float32 and tf.constant(numpy.ones(2)).dtype == tf.float64
    assert tf.constant(0.0, shape=(2, 3)).shape == (2, 3)
    v = tf.Variable([1.0, 2.0])
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub(tf.constant([0.5, 0.5]))
    assert v.numpy().tolist() == [3.5, 4.5] and type(v * 2) is tf.Tensor
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0])
    assert tf.ones_like(v).shape == (2,) and tf.zeros((2, 2)).dtype == tf.float32
    m = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert float(tf.norm(m)) == pytest.approx(numpy.sqrt(30.0))
    assert tf.reduce_sum(m, axis=0).numpy().tolist() == [4, 6] and tf.reduce_mean(m).numpy() == 2.5
    assert tf.reshape(m, (4,)).shape == (4,) and tf.transpose(m).numpy()[0, 1] == 3
    assert tf.matmul(m, m, transpose_b=True).numpy()[0, 1] == 11
    assert tf.argmax(m).numpy().tolist() == [1, 1] and tf.cast(m, tf.int32).dtype == tf.int32
    assert isinstance(tf.math.exp(m), tf.Tensor) and isinstance(tf.nn.relu(m), tf.Tensor)
    assert tf.random.normal((2, 3)).dtype == tf.float32
    tf.random.set_seed(5)
    a = tf.random.normal((3,))
    tf.random.set_seed(5)
    numpy.testing.assert_array_equal(a.numpy(), tf.random.normal((3,)).numpy())
    assert tf.random.normal((), seed=1).numpy() == tf.random.normal((), seed=1).numpy()
    assert isinstance(tf.constant(2.0).numpy(), numpy.float32)
    assert str(tf.constant([1.0, 2.0])) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert tf.is_tensor(m) and not tf.is_tensor(numpy.ones(1))


@pytest.mark.parametrize("where, name", [(tf.keras.layers, "Conv3D"), (tf, "py_function"), (tf.math, "bessel_i0"),
                                          (tf.random, "poisson"), (tf.linalg, "svd"), (tf.nn, "conv2d")])
def test_missing_names_say_so(where, name):
    with pytest.raises(AttributeError, match=f"'{name}'"):
        getattr(where, name)


def test_tapes_leave_the_core_grad_mode_alone():
    before = turunan.is_grad_enabled()
    with turunan.no_grad():
        with tf.GradientTape() as t:
            x = tf.Variable(2.0)
            y = x * x
        assert not turunan.is_grad_enabled()
    assert turunan.is_grad_enabled() == before
    assert float(t.gradient(y, x)) == 4


def test_integer_reductions_keep_their_dtype_as_in_tensorflow():
    a = tf.constant([1, 2, -4], dtype=tf.int32)
    for fn, want in ((tf.reduce_sum, -1), (tf.reduce_mean, 0), (tf.reduce_prod, -8), (tf.reduce_max, 2),
                     (tf.reduce_min, -4)):
        out = fn(a)
        assert out.dtype == numpy.int32 and out.numpy() == want, fn.__name__
    assert tf.reduce_mean(tf.constant([[1, 2], [3, 5]]), axis=[0, 1]).numpy() == 2      # 11 / 4, truncated
    assert tf.reduce_mean(tf.constant([1.0, 2.0])).numpy() == 1.5


def test_f_strings_format_the_value_as_tensorflow():
    # EagerTensor.__format__ formats its NumPy value (D2L's "error in estimating w: {w - ...}" cells)
    t = tf.constant([1.0, -2.5])
    assert f"{t}" == f"{numpy.array([1.0, -2.5], dtype=numpy.float32)}"
    assert f"{tf.constant(3.14159):.2f}" == "3.14"
