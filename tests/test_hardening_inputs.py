"""Issue 9, input validation: axes out of range (items 2 and 9), hooks that change a gradient (item 3), non-numbers
at creation (item 8), complex autodiff refused (item 10). Each case gave a wrong number or a confusing error before.

Every op that takes an axis goes through one check (``turunan._array.normalize_axis``): it raises NumPy's
``AxisError`` (both a ValueError and an IndexError) saying "out of range"; the PyTorch door raises PyTorch's
``IndexError: Dimension out of range``.
"""

import numpy as np
import pytest
from numpy.exceptions import AxisError

import turunan as tn
import turunan.tensorflow as tf
import turunan.torch as torch
from turunan.mxnet import np as mnp
from turunan.mxnet import npx


def _x():
    return tn.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)


# ---- item 2: axes out of range raise, never wrap around ----------------------------------------------------------
OUT_OF_RANGE = {
    "swapaxes": lambda x: tn.swapaxes(x, 0, 5),
    "swapaxes negative": lambda x: tn.swapaxes(x, -3, 0),
    "concatenate": lambda x: tn.concatenate([x, x], axis=5),
    "concatenate negative": lambda x: tn.concatenate([x, x], axis=-3),
    "norm matrix": lambda x: tn.norm(x, axis=(0, 5)),
    "norm vector": lambda x: tn.norm(x, axis=2),
    "norm ord 1": lambda x: tn.norm(x, 1, axis=(0, 2)),
    "expand_dims": lambda x: tn.expand_dims(x, 7),
    "expand_dims negative": lambda x: tn.expand_dims(x, -4),
    "unsqueeze": lambda x: x.unsqueeze(3),
    "squeeze": lambda x: tn.squeeze(x, 4),
    "stack": lambda x: tn.stack([x, x], 5),
    "stack negative": lambda x: tn.stack([x, x], -4),
    "flip": lambda x: tn.flip(x, 5),
    "flatten start": lambda x: tn.flatten(x, 5),
    "flatten end": lambda x: tn.flatten(x, 0, 2),
    "moveaxis source": lambda x: tn.moveaxis(x, 5, 0),
    "moveaxis destination": lambda x: tn.moveaxis(x, 0, 5),
    "take": lambda x: tn.take(x, [0], axis=5),
    "take_along_axis": lambda x: tn.take_along_axis(x, tn.tensor([[0]]), axis=5),
    "cumprod": lambda x: tn.cumprod(x, 5),
    "cumprod negative": lambda x: tn.cumprod(x, -3),
    "cumsum": lambda x: tn.cumsum(x, 2),
    "tensordot": lambda x: tn.tensordot(x, x, axes=([5], [0])),
    "transpose": lambda x: tn.transpose(x, (0, 5)),
    "permute": lambda x: x.permute(2, 0),
    "split": lambda x: tn.split(x, 2, axis=5),
    "sum": lambda x: tn.sum(x, 5),
    "sum tuple": lambda x: x.sum(axis=(0, 2)),
    "mean": lambda x: tn.mean(x, -3),
    "prod": lambda x: tn.prod(x, 2),
    "amax": lambda x: tn.amax(x, 2),
    "logsumexp": lambda x: tn.logsumexp(x, 2),
    "argmax": lambda x: tn.argmax(x, 2),
    "softmax": lambda x: tn.softmax(x, 2),
    "log_softmax": lambda x: tn.log_softmax(x, dim=-3),
    "all": lambda x: tn.all(x > 0, 2),
    "argsort": lambda x: tn.argsort(x, 2),
    "sort": lambda x: tn.sort(x, 2),
    "topk": lambda x: tn.topk(x, 1, 2),
}


@pytest.mark.parametrize("name", OUT_OF_RANGE)
def test_an_axis_out_of_range_raises_axis_error(name):
    with pytest.raises(AxisError, match="out of range"):
        OUT_OF_RANGE[name](_x())


def test_axis_error_is_both_value_error_and_index_error():
    with pytest.raises(ValueError, match="out of range"):
        tn.swapaxes(_x(), 0, 5)
    with pytest.raises(IndexError, match="out of range"):
        tn.swapaxes(_x(), 0, 5)


DUPLICATES = {
    "norm": lambda x: tn.norm(x, axis=(0, 0)),
    "norm negative alias": lambda x: tn.norm(x, axis=(1, -1)),
    "expand_dims": lambda x: tn.expand_dims(x, (0, 0)),
    "moveaxis": lambda x: tn.moveaxis(x, (0, 0), (0, 1)),
    "transpose": lambda x: tn.transpose(x, (1, -1)),
    "flip": lambda x: tn.flip(x, (0, -2)),
    "sum": lambda x: tn.sum(x, (0, -2)),
    "tensordot": lambda x: tn.tensordot(x, x.T, axes=([0, 0], [0, 1])),
}


@pytest.mark.parametrize("name", DUPLICATES)
def test_an_axis_named_twice_raises(name):
    with pytest.raises(ValueError, match="more than once"):
        DUPLICATES[name](_x())


@pytest.mark.parametrize("bad", [1.0, "0", None, True])
def test_a_non_integer_axis_raises_type_error(bad):
    if bad is None:      # None means 'all axes' for reductions and flip, but not for swapaxes
        with pytest.raises(TypeError, match="axis must be an integer"):
            tn.swapaxes(_x(), 0, bad)
        return
    for op in (lambda x: tn.swapaxes(x, 0, bad), lambda x: tn.sum(x, bad), lambda x: tn.expand_dims(x, bad)):
        with pytest.raises(TypeError, match="axis must be an integer"):
            op(_x())


def test_valid_negative_axes_still_give_numpys_results_and_gradients():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = tn.tensor(a)
    np.testing.assert_array_equal(tn.swapaxes(x, -1, 0).data, np.swapaxes(a, -1, 0))
    np.testing.assert_array_equal(tn.moveaxis(x, -1, 0).data, np.moveaxis(a, -1, 0))
    np.testing.assert_array_equal(tn.moveaxis(x, (0, -1), (-1, 0)).data, np.moveaxis(a, (0, -1), (-1, 0)))
    np.testing.assert_array_equal(tn.expand_dims(x, (-1, 0)).data, np.expand_dims(a, (-1, 0)))
    np.testing.assert_array_equal(tn.concatenate([x, x], -2).data, np.concatenate([a, a], -2))
    np.testing.assert_array_equal(tn.stack([x, x], -1).data, np.stack([a, a], -1))
    np.testing.assert_array_equal(tn.flip(x, (-1, 0)).data, np.flip(a, (-1, 0)))
    np.testing.assert_array_equal(tn.cumprod(x, -2).data, np.cumprod(a, -2))
    np.testing.assert_array_equal(tn.cumsum(x, 1).data, np.cumsum(a, 1))
    np.testing.assert_array_equal(tn.tensordot(x, x, axes=([-1, 0], [2, -3])).data,
                                  np.tensordot(a, a, axes=([-1, 0], [2, -3])))
    np.testing.assert_allclose(tn.norm(x, axis=(-1, 0)).data, np.linalg.norm(a, axis=(-1, 0)))
    np.testing.assert_array_equal(tn.squeeze(tn.tensor(a[:, :1]), -2).data, np.squeeze(a[:, :1], -2))
    np.testing.assert_array_equal(tn.flatten(x, -2).data, a.reshape(2, 12))
    w = tn.tensor(a, requires_grad=True)
    tn.cumprod(w, -1).sum().backward()
    u = tn.tensor(a, requires_grad=True)
    tn.cumprod(u, 2).sum().backward()
    np.testing.assert_allclose(w.grad.data, u.grad.data)


def test_tensordot_checks_its_axis_count_and_sizes():
    x = tn.ones((2, 3))
    with pytest.raises(ValueError, match="out of range"):
        tn.tensordot(x, x, axes=5)          # range(2 - 5, 2) wrapped around before
    with pytest.raises(ValueError, match="out of range"):
        tn.tensordot(x, x, axes=-1)
    with pytest.raises(ValueError, match="sizes must match"):
        tn.tensordot(x, x, axes=([1], [0]))


def test_take_without_axis_takes_from_the_flattened_tensor_as_numpy_does():
    a = np.arange(6.0).reshape(2, 3)
    x = tn.tensor(a, requires_grad=True)
    out = np.take(x, [4, 0])                # NumPy's default axis=None: was the rows [4, 0] of axis 0 (an error)
    np.testing.assert_array_equal(out.data, np.take(a, [4, 0]))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(tn.take(tn.tensor(a), [1], axis=1).data, np.take(a, [1], axis=1))


def test_cumulative_ops_of_a_0d_tensor_stay_0d():
    x = tn.tensor(3.0, requires_grad=True)
    for op in (tn.cumsum, tn.cumprod):
        out = op(x, 0)
        assert out.shape == ()
        (g,) = tn.autograd.grad(out, [x])
        assert float(g.data) == 1.0
    with pytest.raises(AxisError, match="out of range"):
        tn.cumsum(x, 1)


def test_concatenating_0d_tensors_says_so():
    with pytest.raises(ValueError, match="0-d tensors cannot be concatenated"):
        tn.concatenate([tn.tensor(1.0), tn.tensor(2.0)])


def test_flatten_refuses_start_after_end():
    with pytest.raises(ValueError, match="start_dim"):
        tn.flatten(tn.ones((2, 3, 4)), 2, 1)


# ---- the doors ----------------------------------------------------------------------------------------------
TORCH = {
    "torch.transpose": lambda x: torch.transpose(x, 0, 5),
    "Tensor.transpose": lambda x: x.transpose(0, 5),
    "torch.swapaxes": lambda x: torch.swapaxes(x, -3, 0),
    "torch.cat": lambda x: torch.cat([x, x], dim=5),
    "torch.stack": lambda x: torch.stack([x, x], dim=3),
    "torch.flip": lambda x: torch.flip(x, (5,)),
    "torch.movedim": lambda x: torch.movedim(x, 0, 5),
    "Tensor.unsqueeze": lambda x: x.unsqueeze(5),
    "Tensor.squeeze": lambda x: x.squeeze(5),
    "torch.split": lambda x: torch.split(x, 1, dim=5),
    "Tensor.chunk": lambda x: x.chunk(2, dim=-3),
    "torch.gather": lambda x: torch.gather(x, 5, torch.tensor([[0]])),
    "Tensor.size": lambda x: x.size(2),
}


@pytest.mark.parametrize("name", TORCH)
def test_pytorch_door_raises_pytorchs_index_error(name):
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-\d, \d\], but got"):
        TORCH[name](torch.ones(2, 3))


def test_pytorch_door_reductions_raise_an_index_error_saying_out_of_range():
    with pytest.raises(IndexError, match="out of range"):
        torch.ones(2, 3).sum(dim=5)
    with pytest.raises(IndexError, match="out of range"):
        torch.ones(2, 3).cumsum(dim=2)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        torch.flip(torch.ones(2, 3), (0, 0))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        torch.norm(torch.ones(2, 3), dim=(0, -2))


def test_pytorch_door_keeps_its_0d_and_negative_dims():
    s = torch.tensor(2.0)
    assert torch.transpose(s, 0, -1).shape == ()
    assert s.movedim(0, -1).shape == ()
    x = torch.ones(2, 3)
    assert torch.cat([x, x], dim=-1).shape == (2, 6)
    assert torch.stack([x, x], dim=-1).shape == (2, 3, 2)
    assert x.transpose(-1, 0).shape == (3, 2)
    assert torch.movedim(x, -1, 0).shape == (3, 2)


def test_tensorflow_door_raises_axis_errors():
    x = tf.ones((2, 3))
    with pytest.raises(AxisError, match="out of range"):
        tf.expand_dims(x, 5)
    with pytest.raises(AxisError, match="out of range"):
        tf.concat([x, x], 5)
    with pytest.raises(AxisError, match="out of range"):
        tf.stack([x, x], axis=-4)
    with pytest.raises(AxisError, match="out of range"):
        tf.reduce_sum(x, axis=2)


def test_mxnet_door_raises_axis_errors():
    x = mnp.ones((2, 3))
    with pytest.raises(AxisError, match="out of range"):
        mnp.swapaxes(x, 0, 5)
    with pytest.raises(AxisError, match="out of range"):
        mnp.concatenate([x, x], axis=5)
    with pytest.raises(AxisError, match="out of range"):
        x.sum(axis=2)


def test_one_hot_honours_axis_and_gives_off_rows_for_indices_out_of_range():
    # tf.one_hot ignored axis, and eye(depth)[-1] made index -1 hot in the last column (TensorFlow: all off)
    np.testing.assert_array_equal(tf.one_hot([0, 2, -1, 3], 3).numpy(),
                                  [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(tf.one_hot([0, 2], 3, axis=0).numpy(), [[1, 0], [0, 0], [0, 1]])
    with pytest.raises(AxisError, match="out of range"):
        tf.one_hot([0], 3, axis=3)
    np.testing.assert_array_equal(npx.one_hot(mnp.array([0, -1, 5]), 3).asnumpy(),
                                  [[1, 0, 0], [0, 0, 0], [0, 0, 0]])


# ---- item 9: split -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sections, match", [(-2, "positive integer"), (0, "positive integer"),
                                             (1.5, "whole number"), (2.0, "whole number"),
                                             ([1, 1.5], "must be integers")])
def test_split_refuses_bad_sections(sections, match):
    # split(x, -2) returned [], split(x, 0) raised ZeroDivisionError
    with pytest.raises(ValueError, match=match):
        tn.split(tn.ones((4, 2)), sections)


def test_split_refuses_a_string_and_keeps_numpys_results():
    with pytest.raises(TypeError, match="number of sections or a list of indices"):
        tn.split(tn.ones(4), "ab")
    a = np.arange(10.0)
    for arg in (2, [3, 7], [3, 20], (0,)):
        got = tn.split(tn.tensor(a), arg)
        want = np.split(a, arg)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.data, w)


def test_pytorch_split_refuses_zero_and_negative_sizes():
    x = torch.ones(4, 2)
    with pytest.raises(RuntimeError, match="split_size can only be 0"):
        x.split(0)             # returned the whole tensor before
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.split(x, -1)
    assert [t.shape for t in x.split(3)] == [(3, 2), (1, 2)]


# ---- item 3: hooks that change a gradient's shape or dtype -----------------------------------------------------------
def test_a_leaf_hook_returning_the_wrong_shape_raises_and_leaves_grad_alone():
    x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).sum().backward()
    x.register_hook(lambda g: tn.ones(5))
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])     # was a (5,) grad


def test_a_non_leaf_hook_returning_the_wrong_shape_raises():
    x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: tn.ones(5))
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        y.sum().backward()
    assert x.grad is None                                             # was 5 long


def test_a_hook_returning_another_dtype_raises_and_a_good_hook_still_works():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g.astype(np.float64))
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        (x * 3).sum().backward()
    h.remove()
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [30.0, 30.0])
    z = tn.tensor([1.0, 2.0], requires_grad=True)
    z.register_hook(lambda g: tn.ones(3))
    with pytest.raises(RuntimeError, match="has changed the size"):
        tn.autograd.grad((z * 3).sum(), [z])


# ---- item 8: only numbers become tensors ------------------------------------------------------------------------
NOT_NUMBERS = {
    "str": lambda: tn.tensor("abc"),
    "list with a str": lambda: tn.tensor([1.0, "a"]),
    "full with a str": lambda: tn.full((2,), "a"),
    "object array": lambda: tn.tensor(np.array([1.0], dtype=object)),
    "None": lambda: tn.tensor(None),
    "None with a dtype": lambda: tn.tensor(None, dtype="float32"),          # was a NaN tensor
    "list with None and a dtype": lambda: tn.tensor([1.0, None], dtype=np.float32),
    "full None with a dtype": lambda: tn.full((2,), None, dtype="float32"),
    "full_like None": lambda: tn.full_like(tn.ones(2), None),
    "dict": lambda: tn.tensor({"a": 1}),
    "string dtype": lambda: tn.zeros(2, dtype=str),
    "Tensor()": lambda: tn.Tensor("abc"),
    "as_tensor": lambda: tn.as_tensor(["a"]),
    "bytes array": lambda: tn.tensor(np.array([b"a"])),
    "datetime array": lambda: tn.tensor(np.array(["2020-01-01"], dtype="datetime64[D]")),
    "torch.tensor": lambda: torch.tensor("abc"),
    "torch.tensor object": lambda: torch.tensor(np.array([1.0], dtype=object)),
    "torch.from_numpy": lambda: torch.from_numpy(np.array(["a"])),
    "torch.full": lambda: torch.full((2,), "a"),
    "tf.constant": lambda: tf.constant("abc"),
    "tf.constant None float": lambda: tf.constant(None, dtype=tf.float32),
    "tf.Variable": lambda: tf.Variable("abc"),
    "tf.Variable.assign None": lambda: tf.Variable([1.0]).assign([None]),
    "mxnet np.array": lambda: mnp.array("abc"),
    "mxnet np.array None": lambda: mnp.array([1.0, None]),                    # was [1, nan]
}


@pytest.mark.parametrize("name", NOT_NUMBERS)
def test_non_numbers_are_refused_at_creation(name):
    with pytest.raises(TypeError, match="numbers only|dtype"):
        NOT_NUMBERS[name]()


def test_numbers_still_make_tensors_with_the_same_dtypes():
    assert tn.tensor([1.0, 2.0]).dtype == np.float32
    assert tn.tensor([1, 2]).dtype == np.int64
    assert tn.tensor([True]).dtype == np.bool_
    assert tn.tensor(np.array([1.0], dtype=np.float64)).dtype == np.float64
    assert tn.tensor([1 + 2j]).dtype.kind == "c"
    assert tn.tensor([1, 2], dtype="float32").dtype == np.float32
    assert tn.full((2,), 3).dtype == np.int64 and tn.full((2,), 1.5).dtype == np.float32
    assert tf.constant([1, 2]).dtype == np.int32 and tf.constant([1.5]).dtype == np.float32
    assert mnp.array([1, 2]).dtype == np.float32
    a = np.ones(3)
    t = torch.from_numpy(a)
    a[0] = 5.0
    assert float(t[0].item()) == 5.0        # from_numpy still shares memory
    with pytest.raises(TypeError, match="imaginary"):
        tn.tensor([1 + 2j], dtype="float32")


# ---- item 10: complex autodiff follows JAX's convention (tests/test_complex.py); what stays refused ------------------
def _complex_refused():
    return pytest.raises(TypeError, match="complex autodiff is not supported yet")


def test_complex_tensors_require_grad_except_in_the_doors_whose_convention_conjugates():
    assert tn.tensor([1 + 1j], requires_grad=True).requires_grad
    with _complex_refused():
        torch.tensor([1 + 1j], requires_grad=True)     # PyTorch's gradient is the conjugate: refused, not wrong
    with _complex_refused():
        mnp.array(np.array([1 + 1j])).attach_grad()
    assert not tn.tensor([1 + 1j]).requires_grad_(False).requires_grad


@pytest.mark.parametrize("transform", ["jacfwd", "hessian"])
def test_jacobians_on_a_real_basis_refuse_complex_inputs(transform):
    fn = getattr(tn.func, transform)
    with pytest.raises(TypeError, match="requires real-valued"):
        fn(lambda z: tn.abs(tn.exp(z)).sum())(tn.tensor([1 + 1j]))


def test_vjp_and_jvp_refuse_complex_cotangents_and_tangents_of_real_values():
    _, pullback = tn.func.vjp(lambda x: x * 2, tn.tensor([1.0]))
    with _complex_refused():
        pullback(np.array([1 + 1j]))                 # was cast to real with a ComplexWarning
    with _complex_refused():
        tn.func.jvp(lambda x: x * 2, (tn.tensor([1.0]),), (np.array([1 + 1j]),))


def test_backward_refuses_complex_head_gradients_of_real_outputs_and_complex_outputs_without_one():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    with _complex_refused():
        (w * 2).backward(tn.tensor([1 + 1j, 1]))
    with _complex_refused():
        (w * 2).backward(np.array([1 + 1j, 1]))
    assert w.grad is None
    with pytest.raises(TypeError, match="real-valued output"):
        (w * 1j).sum().backward()                    # a complex scalar root, on the fast path of backward()
    with pytest.raises(TypeError, match="real-valued output"):
        tn.autograd.grad((w * 1j).sum(), [w])
    (w * 2).backward(tn.tensor([1.0, 1.0]))          # real head gradients as before
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0])


def test_the_tensorflow_tape_refuses_complex_sources_and_targets():
    v = tf.Variable([1 + 1j])
    with _complex_refused(), tf.GradientTape() as tape:    # refused where the complex value is recorded
        y = tf.reduce_sum(v * v)
        tape.gradient(y, v)
    with tf.GradientTape() as tape, _complex_refused():
        tape.watch(tf.constant([1 + 1j]))



SHAPES = {
    "zeros": lambda: tn.zeros(2.5),                 # was a 2-element tensor
    "ones tuple": lambda: tn.ones((2, 3.0)),
    "randn": lambda: tn.randn(2.5),
    "normal size": lambda: tn.normal(size=1.5),
    "full": lambda: tn.full(2.5, 1.0),
    "zeros str": lambda: tn.zeros("a"),
    "zeros bool": lambda: tn.zeros(True),
    "torch.ones": lambda: torch.ones(2, 2.0),
    "tf.zeros": lambda: tf.zeros([2.5]),
    "tf.random.normal": lambda: tf.random.normal([1.5]),
    "mxnet np.ones": lambda: mnp.ones(2.5),
    "mxnet np.random.normal": lambda: mnp.random.normal(size=(2.5,)),
}


@pytest.mark.parametrize("name", SHAPES)
def test_a_shape_must_hold_integers(name):
    with pytest.raises(TypeError, match="integer"):
        SHAPES[name]()


def test_integer_shapes_still_work_everywhere():
    assert tn.zeros(2, 3).shape == (2, 3) and tn.zeros((2, 3)).shape == (2, 3) and tn.zeros().shape == ()
    assert tn.zeros(np.int64(2)).shape == (2,) and tn.full(3, 1.0).shape == (3,)
    assert tf.reshape(tf.ones(6), tf.constant([3, 2])).shape == (3, 2)
    assert tf.reshape(tf.ones(6), [-1, 2]).shape == (3, 2)
    assert mnp.random.normal(size=3).shape == (3,)


# ---- item 9: x.data = <not an array> ------------------------------------------------------------------------
@pytest.mark.parametrize("bad, match", [("abc", "tensor or an array"), (None, "tensor or an array"),
                                        (5, "tensor or an array"), (np.array(["a"]), "hold numbers"),
                                        (np.array([1.0, "a"], dtype=object), "hold numbers"),
                                        (np.arange(3), "floating point")])
def test_assigning_data_that_is_not_numbers_is_refused(bad, match):
    x = tn.ones(3, requires_grad=True)
    before = x.data
    with pytest.raises(TypeError, match=match):
        x.data = bad
    assert x.data is before


def test_assigning_data_of_another_shape_works_as_in_pytorch():
    x = tn.ones(3, requires_grad=True)
    x.data = np.zeros(5, np.float32)
    assert x.shape == (5,)
    x.data = tn.full((2,), 3.0)
    assert x.tolist() == [3.0, 3.0]
    y = tn.ones(2, dtype=np.int64)
    y.data = np.arange(4)            # no grad: an integer array is fine
    assert y.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("call", [lambda x: x.repeat(2.5), lambda x: x.reshape(2.0), lambda x: x.view(1.0, 2),
                                  lambda x: tn.reshape(x, (2, True)), lambda x: x.expand(2.0, 2)])
def test_float_and_bool_sizes_are_refused_not_truncated(call):
    import turunan.torch as ttorch
    with pytest.raises(TypeError, match="integers"):
        call(ttorch.ones(2))


@pytest.mark.parametrize("make, want", [
    (lambda x: tn.abs(x + tn.tensor(np.array([1j, 2j]))), [1 / np.sqrt(2), 1 / np.sqrt(2)]),
    (lambda x: tn.abs(x * 1j), [1.0, 1.0]),                     # was [0, 0] (PyTorch [1, 1])
    (lambda x: tn.numpy.real(tn.astype(x, np.complex128)), [1.0, 1.0]),
    (lambda x: tn.numpy.imag(x * tn.tensor(np.array([1j, 3.0]))), [1.0, 0.0])])
def test_a_complex_value_recorded_from_real_leaves_gives_its_real_leaves_real_gradients(make, want):
    x = tn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    make(x).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, want)
