"""TensorFlow door, issue 11 item 8 (without keras): sliced assignment on a Variable, ``tf.cumsum`` (axis,
exclusive, reverse), ``tf.linalg.matvec``, ``tf.boolean_mask`` (axis), ``tf.function``, and TensorFlow's operator
conventions (a NumPy operand takes the tensor's dtype; no in-place operators; no item assignment).

Expected values are TensorFlow's documented examples (the API pages of tf.math.cumsum, tf.boolean_mask,
tf.Variable's slicing, tf.function) or NumPy; gradients are checked against the formulas they must equal.
"""

import numpy as np
import pytest

import turunan.tensorflow as tf


def arr(t):
    return np.asarray(t.numpy())


# ---- sliced assignment on a Variable --------------------------------------------------------------------------
def test_slice_assign_writes_into_the_variable_and_returns_it():
    X = tf.reshape(tf.range(12, dtype=tf.float32), (3, 4))
    v = tf.Variable(X)
    out = v[1, 2].assign(9)
    assert out is v
    want = np.arange(12, dtype=np.float32).reshape(3, 4)
    want[1, 2] = 9
    np.testing.assert_array_equal(arr(v), want)
    np.testing.assert_array_equal(arr(X), np.arange(12).reshape(3, 4))     # the variable copied its initial value
    v[:2, :].assign(tf.ones(v[:2, :].shape, dtype=tf.float32) * 12)
    want[:2, :] = 12
    np.testing.assert_array_equal(arr(v), want)
    assert v.dtype == np.float32 and v.shape == (3, 4)


def test_slice_assign_strides_ellipsis_and_newaxis():
    v = tf.Variable(np.zeros((2, 3, 4), dtype=np.float64))
    v[..., ::2].assign(np.ones((2, 3, 2)))
    v[1, None, 0].assign([[5.0, 6.0, 7.0, 8.0]])
    want = np.zeros((2, 3, 4))
    want[..., ::2] = 1
    want[1, 0] = [5, 6, 7, 8]
    np.testing.assert_array_equal(arr(v), want)


def test_a_slice_keeps_the_value_it_had_when_taken():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    row, s = v[0], v[0]
    s.assign([10.0, 20.0])
    np.testing.assert_array_equal(arr(row), [1, 2])        # TensorFlow's tensors are immutable
    np.testing.assert_array_equal(arr(s), [1, 2])
    np.testing.assert_array_equal(arr(v), [[10, 20], [3, 4]])
    v.assign([[0.0, 0.0], [0.0, 0.0]])
    s.assign([7.0, 8.0])                                   # the slice assigns into the variable as it is now
    np.testing.assert_array_equal(arr(v), [[7, 8], [0, 0]])


def test_slice_assign_does_not_broadcast_as_tensorflow():
    v = tf.Variable(tf.zeros((3, 4)))
    with pytest.raises(NotImplementedError, match=r"sliced l-value shape \[2,4\] does not match r-value shape "
                                                  r"\[\]. Automatic broadcasting not yet implemented"):
        v[:2, :].assign(12)
    with pytest.raises(NotImplementedError, match=r"\[4\] does not match r-value shape \[1\]"):
        v[0].assign([1.0])
    np.testing.assert_array_equal(arr(v), np.zeros((3, 4)))     # nothing written
    v[3:, :].assign(np.zeros((0, 4)))                         # an empty slice takes an empty value


def test_only_a_variables_slice_can_be_assigned():
    t = tf.constant([1.0, 2.0])
    with pytest.raises(AttributeError):
        t[0].assign(3.0)
    v = tf.Variable([[1.0, 2.0]])
    assert type(v[0] + 1) is tf.Tensor and type(v[0][1]) is tf.Tensor
    with pytest.raises(AttributeError):
        (v[0] * 2).assign([1.0, 2.0])


def test_a_slice_read_on_a_tape_has_a_gradient_and_assign_is_not_recorded():
    v = tf.Variable(np.arange(12, dtype=np.float64).reshape(3, 4))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[1:, ::2] * 2.0)
        v[0, 0].assign(100.0)
    want = np.zeros((3, 4))
    want[1:, ::2] = 2
    np.testing.assert_array_equal(arr(tape.gradient(y, v)), want)
    assert arr(v)[0, 0] == 100


# ---- cumsum / cumprod -------------------------------------------------------------------------------------------
def test_cumsum_as_tensorflows_documentation():
    x = tf.constant([2, 4, 6, 8])
    assert tf.cumsum(x).dtype == np.int32
    np.testing.assert_array_equal(arr(tf.cumsum(x)), [2, 6, 12, 20])
    np.testing.assert_array_equal(arr(tf.cumsum(x, exclusive=True)), [0, 2, 6, 12])
    np.testing.assert_array_equal(arr(tf.cumsum(x, reverse=True)), [20, 18, 14, 8])
    np.testing.assert_array_equal(arr(tf.cumsum(x, exclusive=True, reverse=True)), [18, 14, 8, 0])
    y = tf.constant([[2, 4, 6, 8], [1, 3, 5, 7]])
    np.testing.assert_array_equal(arr(tf.cumsum(y, axis=0)), [[2, 4, 6, 8], [3, 7, 11, 15]])
    np.testing.assert_array_equal(arr(tf.cumsum(y, axis=1)), [[2, 6, 12, 20], [1, 4, 9, 16]])
    np.testing.assert_array_equal(arr(tf.cumsum(y, axis=-1, exclusive=True)), [[0, 2, 6, 12], [0, 1, 4, 9]])
    np.testing.assert_array_equal(arr(tf.cumsum(y, axis=tf.constant(1))), [[2, 6, 12, 20], [1, 4, 9, 16]])
    assert tf.math.cumsum is tf.cumsum
    assert tf.cumsum([1.5, 2.5]).dtype == np.float32 and tf.cumsum(np.ones(2)).dtype == np.float64


def test_cumprod():
    x = tf.constant([2.0, 4.0, 6.0])
    np.testing.assert_array_equal(arr(tf.math.cumprod(x)), [2, 8, 48])
    np.testing.assert_array_equal(arr(tf.math.cumprod(x, exclusive=True)), [1, 2, 8])
    np.testing.assert_array_equal(arr(tf.math.cumprod(x, reverse=True)), [48, 24, 6])
    np.testing.assert_array_equal(arr(tf.math.cumprod(x, exclusive=True, reverse=True)), [24, 6, 1])


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_gradient(exclusive, reverse):
    rng = np.random.default_rng(0)
    x0, w = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.cumsum(x, axis=1, exclusive=exclusive, reverse=reverse) * w)
    # out[j] = sum of x[k] over k <= j (k < j exclusive; >= / > reversed): d y / d x[k] sums w[j] over those j
    k, j = np.arange(5)[:, None], np.arange(5)[None, :]
    picks = (k > j if exclusive else k >= j) if reverse else (k < j if exclusive else k <= j)
    np.testing.assert_allclose(arr(tape.gradient(y, x)), w @ picks.T.astype(float), rtol=1e-12)
    np.testing.assert_allclose(arr(y), np.sum(w * (x0 @ picks.astype(float))), rtol=1e-12)


def test_cumsum_refuses_what_tensorflow_refuses():
    with pytest.raises(np.exceptions.AxisError):
        tf.cumsum(tf.constant(3.0))             # a rank-0 tensor has no axis 0
    with pytest.raises(np.exceptions.AxisError):
        tf.cumsum(tf.ones((2, 3)), axis=2)
    with pytest.raises(TypeError, match="bool"):
        tf.cumsum(tf.constant([True, False]))


# ---- matvec -------------------------------------------------------------------------------------------------------
def test_matvec_values_batches_and_transpose():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=3)
    np.testing.assert_allclose(arr(tf.linalg.matvec(a, b)), a @ b, rtol=1e-12)
    A, B = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(arr(tf.linalg.matvec(A, B)), np.einsum("bij,bj->bi", A, B), rtol=1e-12)
    np.testing.assert_allclose(arr(tf.linalg.matvec(A, b)), A @ b, rtol=1e-12)      # b broadcast over the batch
    c = rng.normal(size=2)
    np.testing.assert_allclose(arr(tf.linalg.matvec(a, c, transpose_a=True)), a.T @ c, rtol=1e-12)
    np.testing.assert_allclose(arr(tf.linalg.matvec(a, c, adjoint_a=True)), a.T @ c, rtol=1e-12)
    A32 = tf.reshape(tf.range(6, dtype=tf.float32), (2, 3))
    out = tf.linalg.matvec(A32, tf.range(3, dtype=tf.float32))
    assert out.dtype == np.float32 and out.shape == (2,) and arr(out).tolist() == [5.0, 14.0]


def test_matvec_gradient_and_refusals():
    rng = np.random.default_rng(2)
    a0, b0, g = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=2)
    a, b = tf.Variable(a0), tf.Variable(b0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.linalg.matvec(a, b) * g)
    da, db = tape.gradient(y, [a, b])
    np.testing.assert_allclose(arr(da), np.outer(g, b0), rtol=1e-12)
    np.testing.assert_allclose(arr(db), a0.T @ g, rtol=1e-12)
    with pytest.raises(ValueError, match="Only one of transpose_a and adjoint_a"):
        tf.linalg.matvec(a0, b0, transpose_a=True, adjoint_a=True)
    with pytest.raises(ValueError, match="matrix"):
        tf.linalg.matvec(b0, b0)


# ---- boolean_mask -------------------------------------------------------------------------------------------------
def test_boolean_mask_as_tensorflows_documentation():
    out = tf.boolean_mask([0, 1, 2, 3], np.array([True, False, True, False]))
    assert out.dtype == np.int32 and arr(out).tolist() == [0, 2]
    out = tf.boolean_mask([[1, 2], [3, 4], [5, 6]], np.array([True, False, True]))
    assert arr(out).tolist() == [[1, 2], [5, 6]]


def test_boolean_mask_with_axis_and_a_mask_of_several_axes():
    x = np.arange(24.0).reshape(2, 3, 4)
    m1 = np.array([True, False, True, True])
    np.testing.assert_array_equal(arr(tf.boolean_mask(x, m1, axis=2)), x[:, :, m1])
    np.testing.assert_array_equal(arr(tf.boolean_mask(x, m1, axis=-1)), x[:, :, m1])
    m2 = np.array([[True, False, True, False]] * 3)
    out = tf.boolean_mask(x, tf.constant(m2), axis=1)
    assert out.shape == (2, 6)          # axes 1 and 2 become one axis of the 6 True entries, row-major
    np.testing.assert_array_equal(arr(out), x[:, m2])
    m3 = np.ones((2, 3), dtype=bool)
    m3[1, 2] = False
    np.testing.assert_array_equal(arr(tf.boolean_mask(x, m3)), x[m3])


def test_boolean_mask_gradient_and_refusals():
    x = tf.Variable(np.arange(6.0).reshape(2, 3))
    m = np.array([True, False, True])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.boolean_mask(x, m, axis=1) * np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(arr(tape.gradient(y, x)), [[1, 0, 2], [3, 0, 4]])
    assert type(tf.boolean_mask(x, m, axis=1)) is tf.Tensor     # a value, not an assignable slice
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(x, True)
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(x, np.array([True, False, True, True]))
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(x, m, axis=0)
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(x, np.ones((3, 1), dtype=bool), axis=1)     # axis + K beyond the tensor's axes
    with pytest.raises(TypeError, match="numbers only"):
        tf.boolean_mask(x, np.array(["a", "b", "c"]))


def test_boolean_mask_takes_the_nonzero_entries_of_a_numeric_mask():
    """TensorFlow applies the mask with ``tf.where(mask)``: a numeric mask picks its nonzero entries (D2L's
    softmax-regression-scratch masks with ``tf.one_hot``; its rendered output is [0.1, 0.5])."""
    y_hat = tf.constant([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    out = tf.boolean_mask(y_hat, tf.one_hot(tf.constant([0, 2]), depth=3))
    assert out.dtype == np.float32 and arr(out).tolist() == pytest.approx([0.1, 0.5])
    np.testing.assert_array_equal(arr(tf.boolean_mask([1, 2, 3], np.array([2, 0, -1]))), [1, 3])


# ---- tf.function ----------------------------------------------------------------------------------------------------
def test_function_as_a_decorator_runs_the_function():
    @tf.function
    def f(x, y):
        return x ** 2 + y
    out = f(tf.constant([2, 3]), tf.constant([3, -2]))
    assert arr(out).tolist() == [7, 7] and out.dtype == np.int32
    assert f.__name__ == "f" and f.python_function(2, 1) == 5 and f.input_signature is None

    @tf.function(jit_compile=True, reduce_retracing=True, autograph=False, experimental_relax_shapes=True)
    def g(x):
        return tf.reduce_sum(x) if tf.reduce_sum(x) > 0 else -x // 2     # data-dependent Python control flow
    assert arr(g(tf.constant([1, 2]))) == 3 and arr(g(tf.constant(-2))) == 1
    with pytest.raises(TypeError):
        tf.function(lambda x: x, not_an_option=True)
    with pytest.raises(TypeError, match="decorates a Python function"):
        tf.function("abc")


def test_function_outputs_are_tensors_and_gradients_flow():
    @tf.function
    def f(x):
        return {"y": x * x, "n": 3, "none": None}, [1.5]
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        out, rest = f(x)
    assert isinstance(out["n"], tf.Tensor) and out["n"].dtype == np.int32 and out["none"] is None
    assert isinstance(rest[0], tf.Tensor) and rest[0].dtype == np.float32
    assert arr(tape.gradient(out["y"], x)) == 6.0


def test_function_on_a_method_and_with_an_input_signature():
    class Scale:
        def __init__(self):
            self.w = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)])
        def __call__(self, x):
            return self.w * x

    m = Scale()
    assert arr(m(tf.constant([1.0, 2.0]))).tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="input_signature"):
        m(tf.constant([[1.0]]))                         # rank 2 where the signature says rank 1
    with pytest.raises(TypeError, match="input_signature"):
        m(tf.constant([1, 2]))                          # int32 where it says float32
    spec = tf.TensorSpec([None, 3], tf.float64, name="x")
    assert repr(spec) == "TensorSpec(shape=(None, 3), dtype=tf.float64, name='x')"
    assert spec.is_compatible_with(np.ones((5, 3))) and not spec.is_compatible_with(np.ones((5, 2)))
    assert tf.TensorSpec(None).is_compatible_with(tf.ones((1, 2, 3)))


def test_function_runs_python_side_effects_on_every_call():
    # documented difference: TensorFlow would run the append only while tracing (once); here each call runs it
    seen = []

    @tf.function
    def f(x):
        seen.append(1)
        return x + 1
    f(tf.constant(1.0))
    f(tf.constant(2.0))
    assert len(seen) == 2


# ---- operators: TensorFlow's conventions -----------------------------------------------------------------------
@pytest.mark.parametrize("other", [[1, 2], np.int32(6), np.float64(2.0), np.array([1, 2]), np.array([1.0, 2.0]),
                                   2, 2.5], ids=repr)
def test_a_numpy_or_python_operand_takes_the_tensors_dtype(other):
    a = tf.constant([1.0, 2.0])
    for out in (a + other, other + a, a - other, other - a, a * other, other * a, a / other, other / a,
                a ** other, other ** a):
        assert out.dtype == np.float32 and isinstance(out, tf.Tensor)
    want = np.asarray(other, dtype=np.float32)
    np.testing.assert_array_equal(arr(other - a), want - np.float32([1, 2]))


def test_the_d2l_mean_cell_stays_float32():
    A = tf.reshape(tf.range(6, dtype=tf.float32), (2, 3))
    out = tf.reduce_sum(A) / tf.size(A).numpy()         # a NumPy int32 divides a float32 tensor
    assert out.dtype == np.float32 and arr(out) == 2.5


def test_an_integer_tensor_refuses_a_float_operand_as_tensorflow():
    i = tf.constant([1, 2])
    assert (i + 2).dtype == np.int32 and (i + np.int64(3)).dtype == np.int32 and (i + [1, 2]).dtype == np.int32
    assert (i / 2).dtype == np.float64          # TensorFlow's truediv of int32 gives float64
    for bad in (2.5, np.float32(1.0), np.array([1.5, 2.5]), np.int64(2 ** 40)):
        with pytest.raises(TypeError, match="Cannot convert .* to EagerTensor of dtype int32"):
            i + bad
    with pytest.raises(TypeError, match="Cannot convert"):
        1.2 * i


def test_no_in_place_operators_and_no_item_assignment():
    a = tf.constant([1.0, 2.0])
    b = a
    b += 1
    b *= 2
    assert arr(a).tolist() == [1.0, 2.0] and arr(b).tolist() == [4.0, 6.0]     # a new tensor; a keeps its value
    v = tf.Variable([1.0, 2.0])
    for op in ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__"):
        with pytest.raises(RuntimeError, match="with `tf.Variable`s is not supported.*assign_add"):
            getattr(v, op)(1.0)
    with pytest.raises(TypeError, match="does not support item assignment"):
        a[0] = 5.0
    with pytest.raises(TypeError, match=r"does not support item assignment.*assign"):
        v[0] = 5.0
    assert arr(v).tolist() == [1.0, 2.0] and arr(a).tolist() == [1.0, 2.0]


def test_numpy_functions_on_tensors_are_still_recorded():
    x = tf.Variable(0.5, dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = np.sin(x) * np.float64(3.0) + np.add(x, x)
    np.testing.assert_allclose(arr(tape.gradient(y, x)), 3 * np.cos(0.5) + 2, rtol=1e-12)


# ---- names over turunan.numpy's ops: sinh, cosh, asin..., atan2, meshgrid, repeat ------------------------------------
@pytest.mark.parametrize("name, numpy_name, x", [
    ("sinh", "sinh", [-1.5, 0.2, 2.0]), ("cosh", "cosh", [-1.5, 0.2, 2.0]), ("asin", "arcsin", [-0.5, 0.1, 0.9]),
    ("acos", "arccos", [-0.5, 0.1, 0.9]), ("atan", "arctan", [-3.0, 0.1, 2.0]),
    ("asinh", "arcsinh", [-3.0, 0.1, 2.0]), ("acosh", "arccosh", [1.5, 2.0, 4.0]),
    ("atanh", "arctanh", [-0.5, 0.1, 0.9])])
def test_inverse_and_hyperbolic_functions_values_and_gradients(name, numpy_name, x):
    fn = getattr(tf.math, name)
    assert getattr(tf, name) is fn
    out = fn(x)
    assert out.dtype == np.float32                              # a list of Python floats is float32, as TensorFlow's
    np.testing.assert_allclose(arr(out), getattr(np, numpy_name)(np.float32(x)), rtol=1e-6)
    v = tf.Variable(np.array(x))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(fn(v))
    h = 1e-6                                                    # central difference in float64
    want = (getattr(np, numpy_name)(np.array(x) + h) - getattr(np, numpy_name)(np.array(x) - h)) / (2 * h)
    np.testing.assert_allclose(arr(tape.gradient(y, v)), want, rtol=1e-6)


def test_atan2_takes_y_first():
    y, x = tf.Variable([1.0, -1.0, 2.0]), tf.Variable([1.0, 1.0, -3.0])
    with tf.GradientTape() as tape:
        out = tf.math.atan2(y, x)
        total = tf.reduce_sum(out)
    np.testing.assert_allclose(arr(out), np.arctan2(arr(y), arr(x)), rtol=1e-6)
    gy, gx = tape.gradient(total, [y, x])
    r2 = arr(x) ** 2 + arr(y) ** 2
    np.testing.assert_allclose(arr(gy), arr(x) / r2, rtol=1e-6)
    np.testing.assert_allclose(arr(gx), -arr(y) / r2, rtol=1e-6)


def test_meshgrid_as_tensorflow():
    xs, ys = tf.meshgrid([1, 2, 3], [4, 5])                  # TensorFlow's documented example ('xy')
    assert arr(xs).tolist() == [[1, 2, 3], [1, 2, 3]] and arr(ys).tolist() == [[4, 4, 4], [5, 5, 5]]
    assert type(xs) is tf.Tensor and xs.dtype == np.int32
    xs, ys = tf.meshgrid([1, 2, 3], [4, 5], indexing="ij")
    assert xs.shape == (3, 2) and arr(ys).tolist() == [[4, 5]] * 3
    a = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        g1, g2 = tf.meshgrid(a, tf.constant([0.0, 1.0, 2.0]))
        total = tf.reduce_sum(g1 * g2)
    np.testing.assert_allclose(arr(tape.gradient(total, a)), [3.0, 3.0])   # each a_j meets y = 0, 1, 2
    with pytest.raises(ValueError, match="'xy' or 'ij'"):
        tf.meshgrid([1], [2], indexing="xyz")
    with pytest.raises(TypeError, match="unexpected keyword"):
        tf.meshgrid([1], sparse=True)


def test_repeat_as_tensorflow():
    assert arr(tf.repeat([1, 2, 3], repeats=[3, 0, 2], axis=0)).tolist() == [1, 1, 1, 3, 3]
    x = tf.constant([[1, 2], [3, 4]])
    assert arr(tf.repeat(x, repeats=[2, 3], axis=0)).tolist() == [[1, 2], [1, 2], [3, 4], [3, 4], [3, 4]]
    assert arr(tf.repeat(x, repeats=[2, 3], axis=1)).tolist() == [[1, 1, 2, 2, 2], [3, 3, 4, 4, 4]]
    assert arr(tf.repeat(3, repeats=4)).tolist() == [3, 3, 3, 3]
    assert arr(tf.repeat(x, repeats=2)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]       # no axis: flattened
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(tf.repeat(v, tf.constant([2, 3])) * tf.range(5, dtype=tf.float32))
    np.testing.assert_allclose(arr(tape.gradient(total, v)), [0 + 1, 2 + 3 + 4])
    with pytest.raises(TypeError, match="integers"):
        tf.repeat(x, repeats=1.5)
