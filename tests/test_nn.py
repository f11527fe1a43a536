"""turunan.nn: every layer's gradients (float64, to second order), conv and pooling against naive loops,
the Module API, initialisers, and PyTorch where it is installed."""

import math

import numpy as np
import pytest

import turunan as tn
import turunan.nn.functional as F
from turunan import _rules as R
from turunan import nn
from turunan.nn import init
from turunan.testing import check_grads

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape)


# ---- the nn rows of the derivative table -----------------------------------------------------------------
@pytest.mark.parametrize("kernel,stride,padding", [((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 0)),
                                                   ((2, 2), (2, 2), (0, 0))])
def test_im2col_col2im_grads_second_order(kernel, stride, padding):
    x = rand(2, 3, 5, 6)
    win = lambda t: tn.apply(R.im2col, t, kernel=kernel, stride=stride, padding=padding, value=0.0)
    check_grads(win, [x])
    cols = rand(*win(tn.Tensor(x)).shape)
    check_grads(lambda c: tn.apply(R.col2im, c, shape=(5, 6), kernel=kernel, stride=stride, padding=padding),
                [cols])


def test_im2col_and_col2im_are_adjoint():
    x = rand(2, 3, 7, 5)
    params = dict(kernel=(3, 2), stride=(2, 2), padding=(1, 1))
    cols = R._im2col(x, value=0.0, **params)
    c = rand(*cols.shape)
    assert np.isclose(np.sum(cols * c), np.sum(x * R._col2im(c, shape=(7, 5), **params)))


def test_im2col_tangent_ignores_the_padding_value():
    # max pooling pads with -inf; the padding is a constant, so its tangent is zero, not -inf
    jvp = pytest.importorskip("turunan.func").jvp
    x = tn.Tensor(rand(1, 1, 3, 3))
    f = lambda t: tn.apply(R.im2col, t, kernel=(2, 2), stride=(1, 1), padding=(1, 1), value=-np.inf)
    _, t = jvp(f, (x,), (tn.Tensor(np.ones((1, 1, 3, 3))),))
    assert np.all(np.isfinite(t.numpy()))


# ---- gradients of every layer, float64, second order ------------------------------------------------------
def test_linear_grads():
    check_grads(lambda x, w, b: F.linear(x, w, b), [rand(4, 3), rand(2, 3), rand(2)])


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 1), ((2, 1), (0, 2))])
def test_conv2d_grads(stride, padding):
    check_grads(lambda x, w, b: F.conv2d(x, w, b, stride, padding), [rand(2, 2, 5, 5), rand(3, 2, 3, 2), rand(3)])


def test_conv2d_unbatched_grads():
    check_grads(lambda x, w: F.conv2d(x, w, padding=1), [rand(2, 4, 4), rand(3, 2, 3, 3)])


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), 0)])
def test_pool_grads(kernel, stride, padding):
    x = rand(2, 3, 5, 6)
    check_grads(lambda t: F.max_pool2d(t, kernel, stride, padding), [x])
    check_grads(lambda t: F.avg_pool2d(t, kernel, stride, padding), [x])


def test_batch_norm_grads_training_and_eval():
    x, w, b = rand(5, 3, 2, 2), rand(3), rand(3)
    check_grads(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    check_grads(lambda x, w, b: F.batch_norm(x[:, :, 0, 0], None, None, w, b, training=True), [x, w, b])
    rm, rv = tn.Tensor(rand(3)), tn.Tensor(np.abs(rand(3)) + 0.5)
    check_grads(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), [x, w, b])


def test_activation_grads():
    x = rand(3, 4)
    for f in (F.gelu, F.softplus, F.relu, F.sigmoid, F.tanh, F.leaky_relu, lambda t: F.softmax(t, 1),
              lambda t: F.log_softmax(t, 0)):
        check_grads(f, [x])


def test_dropout_grads_with_a_fixed_mask():
    check_grads(lambda t: F.dropout(t, 0.3, True, tn.Generator(1)), [rand(4, 5)])


def test_loss_grads():
    logits, y = rand(4, 3), np.array([0, 2, 1, 2])
    check_grads(lambda z: F.cross_entropy(z, y), [logits])
    check_grads(lambda z: F.cross_entropy(z, y, label_smoothing=0.1, reduction="sum"), [logits])
    probs = np.abs(rand(4, 3))
    probs /= probs.sum(1, keepdims=True)
    check_grads(lambda z, p: F.cross_entropy(z, p), [logits, probs])
    check_grads(lambda z: F.cross_entropy(z, np.array([[0, 1], [2, 0]])), [rand(2, 3, 2)])   # (N, C, d)
    t = (rand(4, 3) > 0).astype(float)
    check_grads(lambda z: F.binary_cross_entropy_with_logits(z, t), [logits])
    check_grads(lambda z: F.binary_cross_entropy_with_logits(z, t, pos_weight=2.0), [logits])
    check_grads(lambda z, u: F.mse_loss(z, u), [logits, rand(4, 3)])
    check_grads(lambda z: F.nll_loss(F.log_softmax(z, 1), y), [logits])


def _call_with(layer, names, values, x):
    """Run ``layer(x)`` with its parameters replaced by ``values`` (so check_grads can vary them)."""
    saved = layer._parameters
    layer.__dict__["_parameters"] = dict(zip(names, values))
    try:
        return layer(x)
    finally:
        layer.__dict__["_parameters"] = saved


@pytest.mark.parametrize("make,shape", [
    (lambda g: nn.Linear(3, 4, generator=g), (2, 3)),
    (lambda g: nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=1, generator=g), (2, 2, 3, 4)),
    (lambda g: nn.BatchNorm2d(2), (3, 2, 2, 2)),
    (lambda g: nn.BatchNorm1d(3), (4, 3)),
    (lambda g: nn.Sequential(nn.Conv2d(1, 2, 2, generator=g), nn.GELU(), nn.AvgPool2d(2), nn.Flatten()),
     (2, 1, 5, 5)),
])
def test_module_grads_through_their_parameters(make, shape):
    layer = make(tn.Generator(0)).double()
    names = [n for n, _ in layer.named_parameters()]
    if isinstance(layer, nn.Sequential):    # one level of nesting: hand the values to the conv
        inner = layer[0]
        f = lambda x, w, b: layer[1:](_call_with(inner, ["weight", "bias"], [w, b], x))
    else:
        f = lambda x, *ps: _call_with(layer, names, ps, x)
    check_grads(f, [rand(*shape)] + [p.detach().numpy().copy() for p in layer.parameters()])


# ---- conv and pooling against naive loops ---------------------------------------------------------------
def naive_conv2d(x, w, b, stride, padding):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - kh) // stride[0] + 1
    ow = (wd + 2 * padding[1] - kw) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(n):
        for k in range(o):
            for r in range(oh):
                for s in range(ow):
                    patch = xp[i, :, r * stride[0]:r * stride[0] + kh, s * stride[1]:s * stride[1] + kw]
                    out[i, k, r, s] = np.sum(patch * w[k]) + b[k]
    return out


def naive_conv2d_grads(x, w, g, stride, padding):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(n):
        for k in range(o):
            for r in range(g.shape[2]):
                for s in range(g.shape[3]):
                    sl = (i, slice(None), slice(r * stride[0], r * stride[0] + kh),
                          slice(s * stride[1], s * stride[1] + kw))
                    dw[k] += g[i, k, r, s] * xp[sl]
                    dxp[sl] += g[i, k, r, s] * w[k]
    dx = dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + wd]
    return dx, dw, g.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("stride,padding", [((1, 1), (0, 0)), ((2, 2), (1, 1)), ((1, 2), (2, 0))])
def test_conv2d_matches_naive_loops(stride, padding):
    x, w, b = rand(2, 3, 7, 6), rand(4, 3, 3, 2), rand(4)
    xt, wt, bt = (tn.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, stride, padding)
    want = naive_conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    g = rand(*want.shape)
    out.backward(tn.Tensor(g))
    for got, ref in zip((xt.grad, wt.grad, bt.grad), naive_conv2d_grads(x, w, g, stride, padding)):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-12)


def naive_pool(x, kernel, stride, padding, kind):
    n, c, h, w = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2), constant_values=fill)
    oh = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
    ow = (w + 2 * padding[1] - kernel[1]) // stride[1] + 1
    out = np.zeros((n, c, oh, ow))
    grad = np.zeros_like(xp)            # d sum(out) / d x, for a loss that is the plain sum
    for i in range(n):
        for k in range(c):
            for r in range(oh):
                for s in range(ow):
                    rs, cs = r * stride[0], s * stride[1]
                    win = xp[i, k, rs:rs + kernel[0], cs:cs + kernel[1]]
                    if kind == "max":
                        out[i, k, r, s] = win.max()
                        a, b = np.unravel_index(np.argmax(win), win.shape)
                        grad[i, k, rs + a, cs + b] += 1
                    else:
                        out[i, k, r, s] = win.mean()
                        grad[i, k, rs:rs + kernel[0], cs:cs + kernel[1]] += 1 / win.size
    return out, grad[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kernel,stride,padding", [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)),
                                                   ((3, 2), (2, 1), (1, 0))])
def test_pooling_matches_naive_loops(kind, kernel, stride, padding):
    x = rand(2, 3, 7, 6)    # continuous random values: no ties in a max window
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    xt = tn.tensor(x, requires_grad=True)
    out = fn(xt, kernel, stride, padding)
    want, grad = naive_pool(x, kernel, stride, padding, kind)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), grad, rtol=1e-12)


def test_conv_and_pool_errors():
    with pytest.raises(ValueError, match="channels"):
        F.conv2d(tn.ones(1, 2, 4, 4), tn.ones(3, 1, 3, 3))
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(tn.ones(1, 1, 2, 2), tn.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="N, C, H, W"):
        F.max_pool2d(tn.ones(4, 4), 2)
    with pytest.raises(ValueError, match="half"):
        F.max_pool2d(tn.ones(1, 1, 4, 4), 2, padding=2)


# ---- losses: stability and errors -----------------------------------------------------------------------
def test_cross_entropy_is_stable_for_huge_logits():
    z = tn.tensor([[1000.0, -1000.0, 0.0], [0.0, 0.0, 5000.0]], requires_grad=True)
    loss = nn.CrossEntropyLoss()(z, tn.tensor([1, 2]))
    assert np.isclose(loss.item(), 1000.0)
    loss.backward()
    assert np.all(np.isfinite(z.grad.numpy()))


def test_bce_with_logits_is_stable_and_exact_at_zero():
    z = tn.tensor([-1000.0, 0.0, 1000.0], dtype=np.float64, requires_grad=True)
    y = tn.tensor([1.0, 1.0, 0.0], dtype=np.float64)
    loss = nn.BCEWithLogitsLoss(reduction="sum")(z, y)
    assert np.isclose(loss.item(), 2000 + math.log(2))
    loss.backward()
    np.testing.assert_allclose(z.grad.numpy(), [-1.0, -0.5, 1.0])   # sigmoid(z) - y, also at z = 0


def test_loss_errors():
    with pytest.raises(IndexError, match="classes"):
        F.cross_entropy(tn.ones(2, 3), tn.tensor([0, 3]))
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy(tn.ones(2, 3), tn.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(tn.ones(2), tn.ones(2), reduction="avg")
    with pytest.raises(ValueError, match="shape"):
        F.mse_loss(tn.ones(2), tn.ones(3))


# ---- the Module API -------------------------------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        g = tn.Generator(0)
        self.body = nn.Sequential(nn.Linear(4, 8, generator=g), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5))
        self.head = nn.Linear(8, 3, generator=g)
        self.scale = nn.Parameter(tn.ones(1))

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


def test_named_parameters_buffers_and_state_dict():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "head.weight", "head.bias"]
    assert [n for n, _ in net.named_buffers()] == ["body.1.running_mean", "body.1.running_var",
                                                   "body.1.num_batches_tracked"]
    sd = net.state_dict()
    assert set(sd) == {n for n, _ in net.named_parameters()} | {n for n, _ in net.named_buffers()}
    assert all(type(v) is tn.Tensor and not v.requires_grad for v in sd.values())
    assert net.num_parameters() == 4 * 8 + 8 + 8 + 8 + 8 * 3 + 3 + 1


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3


def test_parameter_results_are_plain_tensors():
    p = nn.Parameter(tn.ones(2))
    assert p.requires_grad and p.is_leaf
    assert type(p * 2) is tn.Tensor and type(p.detach()) is tn.Tensor
    assert repr(p).startswith("Parameter containing:")


def test_train_eval_switch_dropout_and_batchnorm():
    net = Net()
    x = tn.Tensor(rand(16, 4).astype(np.float32))
    net.train()
    a, b = net(x), net(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())          # dropout draws new masks
    assert net.body[1].num_batches_tracked.item() == 2
    net.eval()
    assert not any(m.training for m in net.modules())
    np.testing.assert_array_equal(net(x).detach().numpy(), net(x).detach().numpy())
    assert net.body[1].num_batches_tracked.item() == 2


def test_batchnorm_running_statistics():
    bn = nn.BatchNorm2d(3, momentum=0.5)
    x = rand(4, 3, 2, 2).astype(np.float32)
    bn(tn.Tensor(x))
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * var, rtol=1e-5)
    bn.eval()
    out = bn(tn.Tensor(x))
    want = (x - 0.5 * mean[:, None, None]) / np.sqrt(0.5 + 0.5 * var[:, None, None] + 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-4, atol=1e-5)


def test_zero_grad_reuses_the_buffers():
    net = Net()
    net(tn.ones(3, 4)).sum().backward()
    bufs = [p.grad.data for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    assert all(p.grad.data is b and not b.any() for p, b in zip(net.parameters(), bufs))
    net(tn.ones(3, 4)).sum().backward()
    assert all(p.grad.data is b for p, b in zip(net.parameters(), bufs))
    net.zero_grad()                               # PyTorch 2's default: set_to_none=True
    assert all(p.grad is None for p in net.parameters())


def test_module_attribute_rules_and_repr():
    net = Net()
    with pytest.raises(TypeError, match="Parameter"):
        net.scale = tn.ones(1)
    with pytest.raises(AttributeError, match="missing"):
        _ = net.missing

    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Early()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)
    text = repr(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()))
    assert "(0): Conv2d(1, 2, kernel_size=(3, 3)" in text and "(1): ReLU()" in text


def test_to_double_and_sequential_helpers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    assert all(p.dtype == np.float64 for p in seq.parameters())
    assert seq(tn.ones(2, 2, dtype=np.float64)).dtype == np.float64
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear"]


def test_activation_modules():
    x = tn.tensor([[-1.0, 0.0, 2.0]])
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), [[0, 0, 2]])
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).numpy().sum(), 1.0, rtol=1e-6)
    # PyTorch's default GELU is the exact (erf) form; 'tanh' is the approximation (they differ by ~1e-4 here)
    np.testing.assert_allclose(nn.GELU()(x).numpy(), [[-0.158655, 0.0, 1.954500]], rtol=1e-5)
    np.testing.assert_allclose(nn.GELU("tanh")(x).numpy(), [[-0.158808, 0.0, 1.954597]], rtol=1e-5)
    assert nn.Flatten()(tn.ones(2, 3, 4)).shape == (2, 12)
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("exact")


# ---- initialisers ---------------------------------------------------------------------------------------
def test_initialisers_are_seeded_and_scaled():
    w = tn.empty(200, 300)
    init.xavier_uniform_(w, generator=tn.Generator(0))
    bound = math.sqrt(6 / 500)
    assert abs(w).max().item() <= bound and abs(w).max().item() > 0.95 * bound
    again = init.xavier_uniform_(tn.empty(200, 300), generator=tn.Generator(0))
    np.testing.assert_array_equal(w.numpy(), again.numpy())
    init.xavier_normal_(w, generator=tn.Generator(1))
    assert np.isclose(w.numpy().std(), math.sqrt(2 / 500), rtol=0.05)
    init.kaiming_normal_(w, nonlinearity="relu", generator=tn.Generator(2))
    assert np.isclose(w.numpy().std(), math.sqrt(2 / 300), rtol=0.05)
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", generator=tn.Generator(3))
    assert abs(w).max().item() <= math.sqrt(6 / 200)
    c = tn.empty(8, 4, 3, 3)
    assert init.calculate_fan_in_and_fan_out(c) == (36, 72)
    assert init.calculate_gain("tanh") == 5 / 3
    with pytest.raises(ValueError, match="2 dimensions"):
        init.xavier_uniform_(tn.empty(3))


def test_layers_are_reproducible_from_a_generator():
    a = nn.Linear(5, 4, generator=tn.Generator(7))
    b = nn.Linear(5, 4, generator=tn.Generator(7))
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert abs(a.weight).max().item() <= 1 / math.sqrt(5)


# ---- against PyTorch, where installed -------------------------------------------------------------------
def test_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, w, b = rand(2, 3, 7, 6), rand(4, 3, 3, 2), rand(4)
    T = lambda a: torch.tensor(a)
    np.testing.assert_allclose(F.conv2d(x, w, b, (2, 1), (1, 1)).numpy(),
                               tf.conv2d(T(x), T(w), T(b), stride=(2, 1), padding=(1, 1)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(F.max_pool2d(x, 3, 2, 1).numpy(), tf.max_pool2d(T(x), 3, 2, 1).numpy())
    np.testing.assert_allclose(F.avg_pool2d(x, 3, 2, 1).numpy(), tf.avg_pool2d(T(x), 3, 2, 1).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(F.gelu(x).numpy(), tf.gelu(T(x)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(F.gelu(x, "tanh").numpy(), tf.gelu(T(x), approximate="tanh").numpy(), rtol=1e-10)
    z, y = rand(5, 4), np.array([0, 3, 1, 1, 2])
    np.testing.assert_allclose(F.cross_entropy(z, y, label_smoothing=0.1).item(),
                               tf.cross_entropy(T(z), T(y), label_smoothing=0.1).item(), rtol=1e-10)
    t = (rand(5, 4) > 0).astype(float)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(z, t).item(),
                               tf.binary_cross_entropy_with_logits(T(z), T(t)).item(), rtol=1e-10)
    bn_x = rand(6, 3, 2, 2)
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    ours_rm, ours_rv = tn.zeros(3, dtype=np.float64), tn.ones(3, dtype=np.float64)
    got = F.batch_norm(bn_x, ours_rm, ours_rv, training=True)
    want = tf.batch_norm(T(bn_x), rm, rv, training=True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours_rv.numpy(), rv.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours_rm.numpy(), rm.numpy(), rtol=1e-10)
