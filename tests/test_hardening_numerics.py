"""Issue 9, items 1, 4 and 15: gradients through lists of tensors, p-norms at zero, NaN and infinity corners.

Each convention is pinned twice: against hard numbers written here (the suite runs without PyTorch), and against
PyTorch in float64 where it is installed. Where PyTorch's own paths disagree, the test says which one is followed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan.testing import check_grads

NAN, INF = float("nan"), float("inf")


def grads(f, *values):
    """(f(*xs), [d sum(f) / d x_i]) at float64 leaves made from ``values``."""
    xs = [tn.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # NaN and inf are the point here
        y = f(*xs)
        gs = tn.autograd.grad(y.sum(), xs, allow_unused=True)
    return y.detach().numpy(), [np.zeros(np.shape(v)) if g is None else g.numpy() for v, g in zip(values, gs)]


def torch_grads(f, *values):
    torch = pytest.importorskip("torch")
    xs = [torch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = f(*xs)
        gs = torch.autograd.grad(y.sum(), xs, allow_unused=True)
    return y.detach().numpy(), [np.zeros(np.shape(v)) if g is None else g.numpy() for v, g in zip(values, gs)]


def same(got, want) -> None:
    np.testing.assert_array_equal(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64))


def agree(ours, theirs) -> None:
    """Values and gradients equal, NaN where NaN, inf where inf (close elsewhere)."""
    (y, gs), (ty, tgs) = ours, theirs
    np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-15)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-15)


# ---- item 1: lists of tensors are recorded; NumPy may not read a tensor that requires grad -------------------
def test_the_issues_reproducers():
    assert tn.grad(lambda x: tnp.mean([x, x + 2]))(0.0).item() == 1.0
    x0 = 0.75
    want = 2 * (2 * x0 + 2) / (2 * np.sqrt(x0 ** 2 + (x0 + 2) ** 2))
    assert np.isclose(tn.grad(lambda x: tnp.linalg.norm([x, x + 2]))(x0).item(), want, rtol=1e-6)
    assert tn.grad(lambda x: sum(tnp.array([x, x * 1.0, x + 2.5])))(0.0).item() == 3.0
    np.testing.assert_allclose(tn.jacobian(lambda x: tnp.array([x, x ** 2, x ** 3]))(0.5).numpy(), [1, 1, 0.75])
    assert tn.grad(lambda x: max(tnp.array([x, x])))(1.0).item() == 1.0      # max() takes the first of a tie


def test_nested_lists_mix_tensors_and_numbers_with_numpys_dtypes():
    x = tn.tensor(np.float64(1.5), requires_grad=True)
    a = tnp.array([[x, 1.0], [2.0, x * x]])
    assert a.shape == (2, 2) and a.dtype == np.float64 and a.requires_grad
    same(a.detach().numpy(), [[1.5, 1.0], [2.0, 2.25]])
    a.sum().backward()
    assert x.grad.item() == 1 + 2 * 1.5
    f32 = tn.tensor(np.float32(2.0), requires_grad=True)
    assert tnp.array([f32, f32]).dtype == np.float32            # NumPy: float32 tensors stay float32 ...
    assert tnp.array([f32, 1.0]).dtype == np.float64            # ... a Python float next to them makes float64
    assert tnp.array([x, x], dtype=np.float32).dtype == np.float32
    b = tnp.asarray((x, (x + 1) * 2))
    assert b.requires_grad and b.shape == (2,)
    assert tnp.asarray(x) is x


def test_array_of_a_tensor_is_a_recorded_copy():
    x = tn.tensor([1.0, 2.0], dtype=tn.float64, requires_grad=True)
    y = tnp.array(x)
    assert y.requires_grad and y.data is not x.data
    (y * y).sum().backward()
    same(x.grad.numpy(), [2.0, 4.0])
    ints = tnp.array(tnp.arange(3))
    assert ints.dtype == np.int64 and not ints.requires_grad


def test_ragged_and_non_numeric_lists_are_refused():
    x = tn.tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="cannot make one array of this list of tensors"):
        tnp.array([x, [1.0, 2.0]])
    with pytest.raises(TypeError, match="non-numbers"):
        tnp.array([x, "a"])


def _pair():
    a = tn.tensor(np.array([0.3, -0.7]), requires_grad=True)
    b = tn.tensor(np.array([1.1, 0.4]), requires_grad=True)
    return a, b


# every turunan.numpy function that takes array-likes, called with lists of tensors and with the stacked tensor
LIST_CALLS = {
    "sum": lambda L: tnp.sum(L), "mean": lambda L: tnp.mean(L), "prod": lambda L: tnp.prod(L),
    "max": lambda L: tnp.max(L), "min": lambda L: tnp.min(L), "amax": lambda L: tnp.amax(L),
    "amin": lambda L: tnp.amin(L), "var": lambda L: tnp.var(L), "std": lambda L: tnp.std(L),
    "cumsum": lambda L: tnp.cumsum(L), "cumprod": lambda L: tnp.cumprod(L), "norm": lambda L: tnp.linalg.norm(L),
    "norm3": lambda L: tnp.linalg.norm(L, 3, axis=1), "logsumexp": lambda L: tnp.logsumexp(L),
    "softmax": lambda L: tnp.softmax(L, 1), "log_softmax": lambda L: tnp.log_softmax(L, 1),
    "sin": lambda L: tnp.sin(L), "exp": lambda L: tnp.exp(L), "abs": lambda L: tnp.abs(L),
    "absolute": lambda L: tnp.absolute(L), "square": lambda L: tnp.square(L), "tanh": lambda L: tnp.tanh(L),
    "add": lambda L: tnp.add(L, L), "multiply": lambda L: tnp.multiply(L, 2.0), "power": lambda L: tnp.power(L, 2),
    "maximum": lambda L: tnp.maximum(L, 0.0), "minimum": lambda L: tnp.minimum(0.0, L),
    "fmax": lambda L: tnp.fmax(L, 0.0), "divide": lambda L: tnp.divide(1.0, L),
    "dot": lambda L: tnp.dot(L, [1.0, 2.0]), "matmul": lambda L: tnp.matmul(L, L), "outer": lambda L: tnp.outer(L, L),
    "inner": lambda L: tnp.inner(L, L), "vdot": lambda L: tnp.vdot(L, L),
    "tensordot": lambda L: tnp.tensordot(L, L, 1), "einsum": lambda L: tnp.einsum("ij,jk->ik", L, L),
    "reshape": lambda L: tnp.reshape(L, (4,)), "transpose": lambda L: tnp.transpose(L),
    "swapaxes": lambda L: tnp.swapaxes(L, 0, 1), "moveaxis": lambda L: tnp.moveaxis(L, 0, 1),
    "expand_dims": lambda L: tnp.expand_dims(L, 0), "squeeze": lambda L: tnp.squeeze(tnp.expand_dims(L, 0)),
    "ravel": lambda L: tnp.ravel(L), "broadcast_to": lambda L: tnp.broadcast_to(L, (3, 2, 2)),
    "tile": lambda L: tnp.tile(L, 2), "flip": lambda L: tnp.flip(L), "sort": lambda L: tnp.sort(L),
    "take": lambda L: tnp.take(L, [1, 0]), "take_along_axis": lambda L: tnp.take_along_axis(L, [[1], [0]], 1),
    "where": lambda L: tnp.where([[True, False], [False, True]], L, L), "clip": lambda L: tnp.clip(L, -0.5, 0.5),
    "round": lambda L: tnp.round(L), "split": lambda L: tnp.split(L, 2)[1],
    "concatenate": lambda L: tnp.concatenate([L, L]), "stack": lambda L: tnp.stack([L, L], 1),
}


@pytest.mark.parametrize("name", sorted(LIST_CALLS))
def test_every_function_records_a_list_of_tensors(name):
    call = LIST_CALLS[name]
    a, b = _pair()
    stacked = call(tnp.stack([a, b]))
    listed = call([a, b])              # a list of two tensors
    nested = call([[a[0], a[1]], [b[0], b[1]]])      # a list of lists of 0-d tensors
    for got in (listed, nested):
        np.testing.assert_allclose(got.detach().numpy(), stacked.detach().numpy(), rtol=1e-12)
        assert got.requires_grad == stacked.requires_grad
    if not stacked.requires_grad:
        return
    w = np.random.default_rng(1).standard_normal(stacked.shape)
    want = tn.autograd.grad((stacked * w).sum(), [a, b])
    for got in (listed, nested):
        for g, h in zip(tn.autograd.grad((got * w).sum(), [a, b]), want):
            np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-12)


UFUNC_NAMES = sorted({f.__name__ for f in __import__("turunan._methods", fromlist=["UFUNCS"]).UFUNCS})


@pytest.mark.parametrize("name", UFUNC_NAMES)
def test_every_ufunc_records_lists_of_tensors(name):
    fn = getattr(tnp, name)
    nargs = getattr(np, name).nin
    a = tn.tensor(np.array([0.3, 0.7]), requires_grad=True)
    b = tn.tensor(np.array([1.1, 0.4]), requires_grad=True)
    def args():
        return [[a[0], b[1]], [b[0], a[1]]][:nargs]
    got = fn(*args())
    want = fn(*[tnp.stack(x) for x in args()])
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    assert got.requires_grad == want.requires_grad
    if want.requires_grad:
        for g, h in zip(tn.autograd.grad(got.sum(), [a, b], allow_unused=True),
                        tn.autograd.grad(want.sum(), [a, b], allow_unused=True)):
            np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-12)


def test_shape_ndim_size_and_likes_read_a_list_of_tensors_without_numpy():
    x = tn.tensor(1.0, requires_grad=True)
    assert tnp.shape([x, x]) == (2,) and tnp.ndim([[x], [x]]) == 2 and tnp.size([x, x, x]) == 3
    assert tnp.zeros_like([x, x]).shape == (2,) and tnp.ones_like([[x, x]]).shape == (1, 2)


def test_lists_of_numbers_follow_numpys_dtype_rules():
    assert tnp.sin([1.0, 2.0]).dtype == np.float64
    assert tnp.mean([1, 2]).dtype == np.float64 and tnp.mean(tnp.arange(3)).dtype == np.float64
    assert tnp.var(tnp.arange(3)).dtype == np.float64 and tnp.std([1, 2]).dtype == np.float64


def test_numpy_may_not_read_a_tensor_that_requires_grad():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    for read in (np.asarray, np.array, lambda t: t.numpy(), lambda t: np.mean([t, t]),
                 lambda t: tn.tensor([t[0], t[1]])):
        with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use "
                                               r"tensor.detach\(\).numpy\(\) instead"):
            read(x)
    same(np.asarray(x.detach()), [1, 2])
    same(x.detach().numpy(), [1, 2])
    with tn.no_grad():                 # as PyTorch: outside grad mode nothing is recorded, so reading is fine
        same(np.asarray(x), [1, 2])
        same(x.numpy(), [1, 2])
    same(np.asarray(tn.tensor([3.0])), [3])         # no grad: read as before
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(x * 2)              # a result that requires grad too


def test_np_array_of_a_tensor_is_a_copy():
    t = tn.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 99.0
    same(t.numpy(), [1, 2])            # it aliased the tensor's buffer
    assert np.asarray(t) is t.data or np.shares_memory(np.asarray(t), t.data)
    with pytest.raises(ValueError):
        np.asarray(t, dtype=np.float64, copy=False)     # NumPy's own error: a cast needs a copy


def test_the_doors_that_allow_reading_still_do():
    import turunan.tensorflow as tf
    from turunan.mxnet import autograd as mx_autograd
    from turunan.mxnet import np as mnp
    x = mnp.array([1.0, 2.0])
    x.attach_grad()
    with mx_autograd.record():
        same(x.asnumpy(), [1, 2])
        same(np.asarray(x), [1, 2])
        y = (x * x).sum()
    y.backward()
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        same(v.numpy(), [1, 2])
        same(np.asarray(v), [1, 2])
        z = tf.reduce_sum(v * v)
    same(tape.gradient(z, v).numpy(), [2, 4])


def test_matches_hips_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    programs = [
        (lambda np_: lambda x: np_.mean(np_.array([x, x + 2.0, x * x]))),
        (lambda np_: lambda x: np_.sum(np_.array([[x, 1.0], [2.0, np_.sin(x)]]) ** 2)),
        (lambda np_: lambda x: np_.linalg.norm(np_.array([x, x + 2.0]))),
        (lambda np_: lambda x: np_.sum(np_.stack([x * x, np_.exp(x)]))),
    ]
    for make in programs:
        want = autograd.grad(make(anp))(0.7)
        got = tn.grad(make(tnp))(np.float64(0.7))
        assert np.isclose(got.item(), want, rtol=1e-12), (got, want)


# ---- item 4: p-norms at zero -------------------------------------------------------------------------------
P_VALUES = [3, 0.5, 1.5, 4, -1, -2.5]


@pytest.mark.parametrize("p", P_VALUES)
def test_p_norm_of_zeros_has_gradient_zero(p):
    y, (g,) = grads(lambda x: tn.norm(x, p), [0.0, 0.0])
    assert y == 0 and not np.isnan(g).any()
    same(g, [0, 0])


@pytest.mark.parametrize("p", [3, 0.5, 1.5])
def test_p_norm_with_a_zero_entry(p):
    y, (g,) = grads(lambda x: tn.norm(x, p), [0.0, 2.0])
    assert np.isclose(y, 2.0, rtol=1e-14)
    np.testing.assert_allclose(g, [0.0, 1.0], rtol=1e-14)


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("x", [[0.0, 0.0], [0.0, 2.0], [1.0, -2.0], [[0.0, 1.5], [0.0, 0.0]]])
def test_p_norms_match_pytorch(p, x):
    torch = pytest.importorskip("torch")
    agree(grads(lambda t: tn.norm(t, p, axis=-1), x),
          torch_grads(lambda t: torch.linalg.vector_norm(t, p, dim=-1), x))


@pytest.mark.parametrize("x", [[0.0, 0.0], [0.0, 2.0], [1.0, -2.0]])
def test_p_norm_second_derivative_matches_pytorch_where_it_is_defined(x):
    torch = pytest.importorskip("torch")
    from torch.autograd.functional import hessian
    want = hessian(lambda t: torch.linalg.vector_norm(t, 3), torch.tensor(x, dtype=torch.float64)).numpy()
    got = tn.hessian(lambda t: tn.norm(t, 3))(tn.tensor(x, dtype=tn.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    if x[0] == 0:                                     # the row and column of the zero entry: exactly 0
        same(got[0], [0, 0])
        same(got[:, 0], [0, 0])


@pytest.mark.parametrize("p", [3, 0.5, 1.5, 4, -1])
@pytest.mark.parametrize("shape,axis,keepdims", [((3,), None, False), ((2, 3), 1, False), ((2, 3), 0, True)])
def test_p_norms_are_right_to_second_order_away_from_zero(p, shape, axis, keepdims):
    signs = np.where(np.arange(np.prod(shape)) % 2, 1, -1).reshape(shape)
    x = np.random.default_rng(0).uniform(0.5, 2.0, shape) * signs
    check_grads(lambda t: tn.norm(t, p, axis=axis, keepdims=keepdims), [x], order=2)


def test_an_l3_penalty_on_a_weight_at_zero_does_not_poison_the_others():
    w = tn.tensor([0.0, 0.0, 0.0], dtype=tn.float64, requires_grad=True)
    b = tn.tensor([0.5, -1.0], dtype=tn.float64, requires_grad=True)
    loss = ((w[:2] - 1.0) * b).sum() + 0.1 * tn.norm(w, 3)
    loss.backward()
    same(w.grad.numpy(), [0.5, -1.0, 0.0])
    same(b.grad.numpy(), [-1.0, -1.0])


# ---- item 15: NaN and infinity corners, as PyTorch -----------------------------------------------------------
def test_max_and_min_of_a_nan_give_its_gradient_to_the_nan():
    for f in (lambda x: x.max(), lambda x: x.min(), lambda x: tn.amax(x), lambda x: tnp.min(x)):
        y, (g,) = grads(f, [1.0, NAN, 2.0])
        assert np.isnan(y)
        same(g, [0, 1, 0])
    same(grads(lambda x: x.max(), [1.0, NAN, NAN])[1][0], [0, 0.5, 0.5])
    y, (g,) = grads(lambda x: x.max(axis=1), [[1.0, NAN, 2.0], [3.0, 1.0, 3.0]])
    same(g, [[0, 1, 0], [0.5, 0, 0.5]])         # the other row keeps its even split between ties


def test_max_and_min_of_a_nan_match_pytorchs_max():
    pytest.importorskip("torch")
    # PyTorch's max()/min() (and max(dim)) give the gradient to the NaN; its amax/amin give NaN to every entry
    for ours, theirs in ((lambda x: x.max(), lambda x: x.max()), (lambda x: x.min(), lambda x: x.min())):
        for v in ([1.0, NAN, 2.0], [1.0, NAN, NAN], [2.0, 1.0, 2.0]):
            agree(grads(ours, v), torch_grads(theirs, v))
    agree(grads(lambda x: x.max(axis=1), [[1.0, NAN, 2.0], [3.0, 1.0, 0.0]]),
          torch_grads(lambda x: x.max(dim=1).values, [[1.0, NAN, 2.0], [3.0, 1.0, 0.0]]))


PAIRS = ([NAN, 1.0, NAN, NAN, 2.0, 1.0], [1.0, NAN, NAN, 2.0, 2.0, 3.0])


def test_maximum_and_minimum_with_a_nan_pass_the_gradient_to_both_sides():
    for f in (tn.maximum, tn.minimum, np.maximum, np.minimum):
        y, (gx, gy) = grads(f, *PAIRS)
        same(y[:4], [NAN] * 4)
        same(gx[:5], [1, 1, 1, 1, 0.5])
        same(gy[:5], [1, 1, 1, 1, 0.5])
    same(grads(tn.maximum, *PAIRS)[1][0][5], 0)      # 1 < 3: all of it to the larger
    same(grads(tn.minimum, *PAIRS)[1][1][5], 0)


def test_maximum_minimum_fmax_fmin_match_pytorch():
    torch = pytest.importorskip("torch")
    for ours, theirs in ((tn.maximum, torch.maximum), (tn.minimum, torch.minimum), (np.fmax, torch.fmax),
                         (np.fmin, torch.fmin), (tnp.fmax, torch.fmax)):
        agree(grads(ours, *PAIRS), torch_grads(theirs, *PAIRS))


def test_fmax_and_fmin_ignore_nan():
    y, (gx, gy) = grads(np.fmax, *PAIRS)
    same(y, [1, 1, NAN, 2, 2, 3])       # it gave maximum's NaNs
    same(gx, [0, 1, 1, 0, 1, 0])
    same(gy, [1, 0, 0, 1, 0, 1])
    same(grads(np.fmin, *PAIRS)[0], [1, 1, NAN, 2, 2, 1])


SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0]


def test_relu_abs_and_elu_of_nan():
    y, (g,) = grads(tn.relu, SPECIAL)
    same(y, [NAN, INF, 0, 0, 0, 1, 0])
    same(g, [1, 1, 0, 0, 0, 1, 0])                   # relu(NaN) passes the gradient
    y, (g,) = grads(tn.abs, SPECIAL)
    same(g, [0, 1, -1, 0, 0, 1, -1])                 # abs'(NaN) = sign(NaN) = 0, PyTorch's sgn
    assert grads(tn.elu, [NAN])[1][0][0] == 1


def test_elementwise_corners_match_pytorch():
    torch = pytest.importorskip("torch")
    for ours, theirs in ((tn.relu, torch.relu), (tn.abs, torch.abs), (tn.elu, torch.nn.functional.elu),
                         (np.abs, torch.abs)):
        agree(grads(ours, SPECIAL), torch_grads(theirs, SPECIAL))


def test_softmax_of_an_infinity():
    same(grads(lambda x: tn.softmax(x, 0), [INF, 0.0])[0], [NAN, NAN])       # [nan, 0] before
    same(grads(lambda x: tn.log_softmax(x, 0), [INF, 0.0])[0], [NAN, NAN])
    same(grads(lambda x: tn.softmax(x, 0), [-INF, 0.0])[0], [0, 1])           # -inf is an ordinary zero weight
    y, (g,) = grads(lambda x: tn.log_softmax(x, 0), [-INF, 0.0])
    same(y, [-INF, 0])
    same(g, [1, -1])


@pytest.mark.parametrize("x", [[INF, 0.0], [-INF, 0.0], [INF, INF], [-INF, -INF], [NAN, 1.0], [3.0, -1.0]])
def test_softmax_corners_match_pytorch(x):
    torch = pytest.importorskip("torch")
    agree(grads(lambda t: tn.softmax(t, 0), x), torch_grads(lambda t: torch.softmax(t, 0), x))
    agree(grads(lambda t: tn.log_softmax(t, 0), x), torch_grads(lambda t: torch.log_softmax(t, 0), x))
    agree(grads(lambda t: tn.logsumexp(t, 0), x), torch_grads(lambda t: torch.logsumexp(t, 0), x))


def test_var_with_no_degree_of_freedom_left():
    for correction in (2, 3):
        y, (g,) = grads(lambda x: tn.var(x, correction=correction), [1.0, 2.0])
        same(y, INF)
        same(g, [-INF, INF])                          # 2 (x - mean) / 0; it was [nan, nan]
    y, (g,) = grads(lambda x: tn.var(x, correction=2), [1.0, 1.0])
    same(y, NAN)
    same(g, [NAN, NAN])                               # a constant: 0 / 0
    y, (g,) = grads(lambda x: tn.var(x, axis=1, correction=3), [[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    same(y, [INF, NAN])
    same(g, [[-INF, -INF, INF], [NAN, NAN, NAN]])
    y, (g,) = grads(lambda x: tn.std(x, correction=3), [1.0, 2.0])
    same(y, INF)
    same(g, [NAN, NAN])                               # as PyTorch's std


def test_var_with_no_degree_of_freedom_left_matches_pytorch():
    torch = pytest.importorskip("torch")
    # PyTorch along an axis with correction == n: 2 (x - mean) / 0. (Its full reduction gives +inf on both sides
    # of the mean, and along an axis with correction > n a finite number: turunan follows the first everywhere.)
    for x in ([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], [[0.5, -1.0, 2.0]]):
        agree(grads(lambda t: tn.var(t, axis=1, correction=3), x),
              torch_grads(lambda t: torch.var(t, dim=1, correction=3), x))
        agree(grads(lambda t: tn.std(t, correction=3), x), torch_grads(lambda t: torch.std(t, correction=3), x))
    ours_y, _ = grads(lambda t: tn.var(t, correction=5), [1.0, 2.0])
    same(ours_y, torch_grads(lambda t: torch.var(t, correction=5), [1.0, 2.0])[0])


def test_var_is_still_right_to_second_order():
    x = np.random.default_rng(2).standard_normal((3, 4))
    check_grads(lambda t: tn.var(t, axis=1, ddof=1), [x], order=2)
    check_grads(lambda t: tn.var(t), [x], order=2)


def test_exponent_gradient_at_a_zero_base():
    y, (gx, gy) = grads(tn.power, [0.0, 0.0, 0.0, 0.0, 0.0], [-1.0, -1.5, 0.0, 0.5, 2.0])
    same(y, [INF, INF, 1, 0, 0])
    same(gy, [-INF, -INF, 0, 0, 0])                   # inf * log 0 = -inf; it was NaN
    same(gx, [-INF, -INF, 0, INF, 0])


def test_power_corners_match_pytorch():
    torch = pytest.importorskip("torch")
    xs = [0.0, 0.0, 0.0, 0.0, 0.0, 2.0, -2.0, -2.0, NAN, 1.0]
    ys = [-1.0, -1.5, 0.0, 0.5, 2.0, 0.5, 0.5, 2.0, 1.0, NAN]
    agree(grads(tn.power, xs, ys), torch_grads(torch.pow, xs, ys))


def test_power_second_derivative_in_the_exponent_at_a_zero_base_is_not_nan():
    # 0 ** y is 0 for y > 0: every derivative in y is 0 there (the safe where keeps log 0 out)
    x = tn.tensor(0.0, dtype=tn.float64)
    y = tn.tensor(2.0, dtype=tn.float64, requires_grad=True)
    (g,) = tn.autograd.grad(x ** y, [y], create_graph=True)
    (h,) = tn.autograd.grad(g, [y])
    assert g.item() == 0 and h.item() == 0


@pytest.mark.parametrize("name", ["maximum", "minimum", "relu", "abs", "power", "amax", "log_softmax", "fmax"])
def test_changed_rules_stay_right_to_second_order(name):
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.5, 2.0, (2, 3)), rng.uniform(0.5, 2.0, (2, 3)) * np.array([1, -1, 1])
    f = {"maximum": (tn.maximum, [a, b]), "minimum": (tn.minimum, [a, b]), "relu": (tn.relu, [b]),
         "abs": (tn.abs, [b]), "power": (tn.power, [a, b]), "amax": (lambda t: tn.amax(t, axis=1), [b]),
         "log_softmax": (lambda t: tn.log_softmax(t, axis=1), [b]), "fmax": (np.fmax, [a, b])}[name]
    check_grads(f[0], f[1], order=2)


def test_second_derivatives_at_nan_match_pytorch():
    torch = pytest.importorskip("torch")

    def second(f, x, lib):
        if lib == "torch":
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            (g,) = torch.autograd.grad(f(t).sum(), t, create_graph=True)
            (h,) = torch.autograd.grad((g * g).sum(), t, allow_unused=True) if g.requires_grad else (None,)
            return g.detach().numpy(), (np.zeros(len(x)) if h is None else h.detach().numpy(force=True))
        else:
            t = tn.tensor(x, dtype=tn.float64, requires_grad=True)
            (g,) = tn.autograd.grad(f(t).sum(), [t], create_graph=True)
            (h,) = tn.autograd.grad((g * g).sum(), [t], allow_unused=True) if g.requires_grad else (None,)
        return g.detach().numpy(), (np.zeros(len(x)) if h is None else h.detach().numpy())

    for ours, theirs in ((tn.relu, torch.relu), (tn.abs, torch.abs),
                         (lambda t: tn.maximum(t, 2 * t), lambda t: torch.maximum(t, 2 * t)),
                         (lambda t: tn.minimum(t * t, t), lambda t: torch.minimum(t * t, t))):
        x = [NAN, -1.0, 0.5, 2.0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for got, want in zip(second(ours, x, "tn"), second(theirs, x, "torch")):
                np.testing.assert_allclose(got, want, rtol=1e-12)


# ---- lists of tensors through the doors (whose tensors let NumPy read them): packed, never cut ------------
def test_tensorflow_door_packs_a_list_of_tensors_as_tensorflow_does():
    import turunan.tensorflow as tf
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum([x, 2 * x]) + tf.reduce_mean((x, 3 * x)) + tf.reduce_sum(tf.multiply([x, x], 2.0))
    assert float(y) == 3.0 + 2.0 + 4.0
    assert float(tape.gradient(y, x)) == 3.0 + 2.0 + 4.0


def test_mxnet_door_packs_a_list_of_arrays_instead_of_cutting_it():
    from turunan.mxnet import autograd
    from turunan.mxnet import np as mnp
    a = mnp.array([1.0])
    a.attach_grad()
    with autograd.record():
        z = mnp.sum([a, 2 * a]) * a
    z.backward()
    assert a.grad.tolist() == [6.0]                  # d/da (3a * a) = 6a: both factors, nothing cut
    assert mnp.concatenate([a, a]).shape == (2,)     # functions that take a sequence still take it
