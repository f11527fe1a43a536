"""turunan.torch: the chapter's examples and exercises in PyTorch's words, and each front-door behaviour."""

import sys
import types

import numpy
import pytest

import turunan
import turunan.torch as torch
from turunan import _doors


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


# ---- the chapter ------------------------------------------------------------------------------------------
def test_chapter_example_prints_and_values():
    x = torch.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])" and x.dtype == torch.float32
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * torch.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
    assert bool((x.grad == 4 * x).all())
    x.grad.zero_()
    x.sum().backward()
    assert repr(x.grad) == "tensor([1., 1., 1., 1.])"


def test_grad_accumulates_until_zeroed():
    x = torch.arange(4.0, requires_grad=True)
    buf = x.grad
    (x * x).sum().backward()
    buf = x.grad
    (x * x).sum().backward()
    assert x.grad is buf                                     # accumulated in place
    numpy.testing.assert_array_equal(x.grad.numpy(), [0, 4, 8, 12])
    x.grad.zero_()
    numpy.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 0])


def test_non_scalar_backward_needs_gradient():
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(gradient=torch.ones(len(x)))
    numpy.testing.assert_array_equal(x.grad.numpy(), [0, 2, 4, 6])


def test_detach():
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    assert bool((x.grad == u).all()) and not u.requires_grad
    x.grad.zero_()
    y.sum().backward()
    assert bool((x.grad == 2 * x).all())


@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_control_flow_gradient_is_d_over_a(shape):
    torch.manual_seed(0)
    a = torch.randn(size=shape, requires_grad=True)
    assert a.shape == shape and a.dtype == torch.float32
    d = f(a)
    d.backward(torch.ones_like(d))          # exercise 3: a non-scalar d needs its gradient
    k = (d / a).detach().numpy()
    assert numpy.allclose(k, k.flat[0], rtol=1e-6)
    numpy.testing.assert_allclose(a.grad.numpy(), k, rtol=1e-6)


# ---- exercises --------------------------------------------------------------------------------------------
def test_exercise1_second_and_third_derivatives():
    x = torch.arange(4.0, requires_grad=True)
    (dy,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (d2y,) = torch.autograd.grad(dy.sum(), x, create_graph=True)
    d2y.sum().backward()
    numpy.testing.assert_allclose(dy.detach().numpy(), 3 * numpy.arange(4.0) ** 2)
    numpy.testing.assert_allclose(d2y.detach().numpy(), 6 * numpy.arange(4.0))
    numpy.testing.assert_allclose(x.grad.numpy(), [6, 6, 6, 6])


def test_exercise1_backward_create_graph():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad                                  # 3x^2, recorded
    x.grad = None
    g.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [6, 12])


def test_exercise2_backward_twice():
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    x.grad = None
    y = 2 * torch.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), 8 * numpy.arange(4.0))


def test_exercise5_sin_derivative_matches_cos():
    x = torch.linspace(-6.0, 6.0, 50, requires_grad=True)
    torch.sin(x).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.cos(x.detach().numpy()), atol=1e-6)


# ---- front-door behaviours ----------------------------------------------------------------------------------
def test_names_and_dtypes():
    assert issubclass(torch.Tensor, turunan.Tensor) and type(torch.ones(2)) is torch.Tensor
    assert torch.tensor([1, 2]).dtype == torch.int64 and torch.ones(2).dtype == torch.float
    assert torch.zeros(2, 3).shape == (2, 3) and torch.randn(2, 3).shape == (2, 3)
    assert torch.randn(size=(), requires_grad=True).requires_grad
    assert torch.is_tensor(torch.ones(1)) and not torch.is_tensor(numpy.ones(1))
    assert torch.cat([torch.ones(2, 1), torch.zeros(2, 1)], dim=1).shape == (2, 2)
    assert torch.stack([torch.ones(2), torch.ones(2)], dim=1).shape == (2, 2)
    assert torch.transpose(torch.ones(2, 3), 0, 1).shape == (3, 2)
    m = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    values, indices = torch.max(m, dim=1)
    assert values.tolist() == [5, 3] and indices.tolist() == [1, 0] and float(torch.max(m)) == 5
    assert torch.min(m, 0).values.tolist() == [1, 2]
    numpy.testing.assert_allclose(float(torch.std(torch.tensor([1.0, 2.0, 3.0]))), 1.0)   # unbiased
    assert torch.mm(m, m).shape == (2, 2) and torch.randint(10, (3,)).shape == (3,)
    assert float(torch.norm(torch.tensor([3.0, 4.0]))) == 5 and float(m.sum()) == 11
    assert torch.allclose(m, m.detach()) and torch.equal(m, m)
    with torch.no_grad():
        y = torch.ones(2, requires_grad=True) * 2
    assert not y.requires_grad
    assert torch.from_numpy(numpy.ones(2)).dtype == torch.float64
    assert not torch.cuda.is_available() and repr(torch.device("cpu")) == "device(type='cpu')"


def test_manual_seed_reproduces():
    torch.manual_seed(3)
    a = torch.randn(4)
    torch.manual_seed(3)
    numpy.testing.assert_array_equal(a.numpy(), torch.randn(4).numpy())


def test_autograd_reexports_turunan_autograd_lazily(monkeypatch):
    for name in turunan.autograd.__all__:
        if name == "grad":      # the door's own: the same gradients, as the door's tensors (torch.Size, dtypes)
            x = torch.ones(2, requires_grad=True)
            g, = torch.autograd.grad((x * x).sum(), x)
            assert type(g) is torch.Tensor and g.size() == torch.Size([2]) and g.tolist() == [2.0, 2.0]
            continue
        assert getattr(torch.autograd, name) is getattr(turunan.autograd, name)
    sentinel = object()
    monkeypatch.setattr(turunan.autograd, "Function", sentinel, raising=False)   # added later by someone else
    assert torch.autograd.Function is sentinel
    assert "grad" in dir(torch.autograd)
    with pytest.raises(AttributeError, match="'no_such_name'"):
        _ = torch.autograd.no_such_name


def test_nn_optim_data_forward_lazily(monkeypatch):
    fake = types.ModuleType("turunan.nn")
    fake.Linear = "a Linear"
    monkeypatch.setitem(sys.modules, "turunan.nn", fake)
    assert torch.nn.Linear == "a Linear"
    fake_optim = types.ModuleType("turunan.optim")
    fake_optim.SGD = "an SGD"
    monkeypatch.setitem(sys.modules, "turunan.optim", fake_optim)
    assert torch.optim.SGD == "an SGD"
    with pytest.raises(AttributeError, match="'Nope'"):
        _ = torch.optim.Nope
    import turunan.torch.nn.functional  # noqa: F401  (importable even before turunan.nn.functional exists)
    import turunan.torch.utils.data  # noqa: F401


def test_forwarder_to_a_missing_module_says_so():
    get = _doors.forwarder("turunan.torch.example", "turunan._no_such_module_here", "PyTorch")
    with pytest.raises(AttributeError, match="not available"):
        get("Linear")


@pytest.mark.parametrize("name", ["fft", "compile", "jit"])
def test_missing_names_say_so(name):
    with pytest.raises(AttributeError, match=f"'{name}'"):
        getattr(torch, name)


def test_same_numbers_as_pytorch():
    real = pytest.importorskip("torch")
    x = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    rx = real.tensor([0.5, -1.5, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad((torch.sin(x) * x ** 2).sum(), x, create_graph=True)
    (rg,) = real.autograd.grad((real.sin(rx) * rx ** 2).sum(), rx, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    (rh,) = real.autograd.grad(rg.sum(), rx)
    numpy.testing.assert_allclose(g.detach().numpy(), rg.detach().numpy(), rtol=1e-6)
    numpy.testing.assert_allclose(h.numpy(), rh.numpy(), rtol=1e-5)
    assert str(real.arange(4.0)) == repr(torch.arange(4.0))
    ry = 2 * real.dot(real.arange(4.0, requires_grad=True), real.arange(4.0))
    assert repr(ry) == repr(2 * torch.dot(torch.arange(4.0, requires_grad=True), torch.arange(4.0)))
