"""TensorFlow door: lists of tensors are packed (recorded), as TensorFlow auto-packs them; a Variable's assign
is copy-on-write, so tensors read from it earlier keep their values (TensorFlow's tensors are immutable)."""

import math

import numpy as np
import pytest

import turunan as tn
import turunan.tensorflow as tf

_E = math.exp(1.5)

# name -> (f(x), d f / d x at x = 1.5), each given a Python list holding tensors
CASES = {
    "reshape": (lambda x: tf.reduce_sum(tf.reshape([x, 2 * x], (2, 1))), 3.0),
    "matmul": (lambda x: tf.reduce_sum(tf.matmul([[x, 2 * x]], tf.ones((2, 1), dtype=tf.float64))), 3.0),
    "matmul_right": (lambda x: tf.reduce_sum(tf.matmul(tf.ones((1, 2), dtype=tf.float64), [[x], [2 * x]])), 3.0),
    "tensordot": (lambda x: tf.tensordot([x, 2 * x], [1.0, 1.0], axes=1), 3.0),
    "transpose": (lambda x: tf.reduce_sum(tf.transpose([[x, 2 * x]]) * [[1.0], [3.0]]), 7.0),
    "expand_dims": (lambda x: tf.reduce_sum(tf.expand_dims([x, 2 * x], 0)), 3.0),
    "where": (lambda x: tf.reduce_sum(tf.where([True, False], [x, 2 * x], [3 * x, 4 * x])), 5.0),
    "norm": (lambda x: tf.norm([3 * x, 4 * x]), 5.0),
    "clip_by_value": (lambda x: tf.reduce_sum(tf.clip_by_value([x, 2 * x], 0.0, 2.0)), 1.0),
    "relu": (lambda x: tf.reduce_sum(tf.nn.relu([x, -x])), 1.0),
    "softmax": (lambda x: tf.nn.softmax([x, 2 * x])[0], -_E / (1 + _E) ** 2),
    "convert_to_tensor": (lambda x: tf.reduce_sum(tf.convert_to_tensor([x, 2 * x])), 3.0),
    "cast": (lambda x: tf.reduce_sum(tf.cast([x, 2 * x], tf.float32)), 3.0),
    "concat": (lambda x: tf.reduce_sum(tf.concat([[x], [2 * x]], 0)), 3.0),
    "fill": (lambda x: tf.reduce_sum(tf.fill((2,), x)), 2.0),
    "stack": (lambda x: tf.reduce_sum(tf.stack([x, 2 * x])), 3.0),
    "add": (lambda x: tf.reduce_sum(tf.add([x, 2 * x], [1.0, 1.0])), 3.0),
    "exp": (lambda x: tf.reduce_sum(tf.exp([x, 0 * x])), _E),
    "einsum": (lambda x: tf.einsum("i,i->", [x, 2 * x], [1.0, 1.0]), 3.0),
    "nested": (lambda x: tf.reduce_sum(tf.reshape([[x, 1.0], [2 * x, x * x]], (4,))), 6.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_list_of_tensors_is_packed_and_recorded(name):
    f, expected = CASES[name]
    x = tf.Variable(1.5, dtype=tf.float64)
    with tf.GradientTape() as t:
        y = f(x)
    g = t.gradient(y, x)
    assert g is not None, f"{name}: the list of tensors was read as a constant (no gradient)"
    assert float(g) == pytest.approx(expected, rel=1e-6)


def test_the_values_of_packed_lists_are_right():
    x = tf.Variable(1.5, dtype=tf.float64)
    np.testing.assert_allclose(tf.reshape([x, 2 * x], (2, 1)).numpy(), [[1.5], [3.0]])
    np.testing.assert_allclose(tf.fill((2, 2), x).numpy(), np.full((2, 2), 1.5))
    assert tf.convert_to_tensor([x, 2 * x], dtype=tf.float32).dtype == np.float32


def test_core_and_torch_door_pack_too():
    x = tn.tensor(1.5, requires_grad=True)
    y = tn.sum(tn.reshape([x, 2 * x], (2, 1))) + tn.sum(tn.exp([x, 0 * x]))
    y = y + tn.sum(tn.matmul([[x, x]], [[1.0], [2.0]]))
    y.backward()
    assert float(x.grad) == pytest.approx(3.0 + _E + 3.0, rel=1e-6)
    torch = pytest.importorskip("turunan.torch")
    z = torch.tensor(1.5, requires_grad=True)
    torch.sum(torch.reshape(torch.stack([z, 2 * z]), (2, 1))).backward()
    assert float(z.grad) == pytest.approx(3.0)


def test_sequence_ops_still_take_sequences_and_plain_lists_stay_numbers():
    a, b = tn.tensor([1.0, 2.0]), tn.tensor([3.0, 4.0])
    np.testing.assert_array_equal(tn.concatenate([a, b]).data, [1, 2, 3, 4])
    np.testing.assert_array_equal(tn.stack([a, b]).data, [[1, 2], [3, 4]])
    assert tn.exp([0.0, 0.0]).requires_grad is False
    with pytest.raises(TypeError):
        tn.exp(["a", "b"])


def test_tensors_read_from_a_variable_keep_their_values_after_assign():
    v = tf.Variable([1.0, 2.0])
    a, b, c, d = tf.identity(v), v[0], tf.convert_to_tensor(v), tf.reshape(v, (2, 1))
    r = v.read_value()
    v.assign([7.0, 7.0])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    assert float(b) == 1.0
    np.testing.assert_array_equal(c.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(d.numpy(), [[1.0], [2.0]])
    np.testing.assert_array_equal(r.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [7.0, 7.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_array_equal(v.numpy(), [7.5, 7.5])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])


def test_delta_of_an_update():
    w = tf.Variable([1.0, 2.0])
    old = tf.identity(w)
    w.assign_sub([0.25, 0.5])
    np.testing.assert_array_equal((w - old).numpy(), [-0.25, -0.5])


def test_identity_and_read_value_are_new_tf_tensors():
    v = tf.Variable([1.0])
    for t in (tf.identity(v), v.read_value(), tf.convert_to_tensor(v)):
        assert type(t) is tf.Tensor and t is not v
        assert "tf.Tensor" in repr(t)


def test_reads_are_recorded():
    v = tf.Variable(3.0, dtype=tf.float64)
    with tf.GradientTape(persistent=True) as t:
        y1 = tf.identity(v) * v
        y2 = v.read_value() * 2
        y3 = tf.convert_to_tensor(v) ** 2
    assert float(t.gradient(y1, v)) == 6.0
    assert float(t.gradient(y2, v)) == 2.0
    assert float(t.gradient(y3, v)) == 6.0


def test_gradient_after_assign_is_refused_not_wrong():
    v = tf.Variable(3.0, dtype=tf.float64)
    with tf.GradientTape() as t:
        y = v * v
    v.assign(5.0)
    with pytest.raises(RuntimeError):
        t.gradient(y, v)


def test_a_value_read_before_assign_is_not_refused():
    v = tf.Variable([3.0, 4.0], dtype=tf.float64)
    with tf.GradientTape() as t:
        b = v[0]
        y = b * b
    v.assign([5.0, 5.0])
    assert float(t.gradient(y, b)) == 6.0
