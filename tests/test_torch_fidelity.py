"""turunan.torch behaves as PyTorch: the same numbers, shapes, return types and printed text.

Each behaviour has a pure expectation (runs without PyTorch) and, where PyTorch is installed, a side-by-side
comparison with it (skipped, with the reason, where it is absent).
"""

import math

import numpy
import pytest

import turunan
import turunan.torch as torch
from turunan import _doors, func

try:
    import torch as real
except ImportError:      # the suite passes without PyTorch; the side-by-side checks are skipped
    real = None

needs_torch = pytest.mark.skipif(real is None, reason="PyTorch is not installed: no side-by-side comparison")


def both(data, dtype=None):
    """The same data as a turunan.torch tensor and as a real PyTorch tensor."""
    ours = torch.tensor(data) if dtype is None else torch.tensor(data, dtype=getattr(torch, dtype))
    theirs = real.tensor(data) if dtype is None else real.tensor(data, dtype=getattr(real, dtype))
    return ours, theirs


def same(ours, theirs, rtol=1e-6):
    """Same type of answer, shape, dtype name and values."""
    if isinstance(theirs, tuple):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            same(o, t, rtol)
        return
    if isinstance(theirs, real.Tensor):
        assert isinstance(ours, torch.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert repr(ours.dtype) == repr(theirs.dtype)
        numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-6)
        return
    assert type(ours) is type(theirs) and ours == theirs, (ours, theirs)


M = [[1.0, 5.0, -2.0], [3.0, 2.0, 0.5]]
CUBE = numpy.arange(24.0).reshape(2, 3, 4).tolist()


# ---- pure expectations ----------------------------------------------------------------------------------------
def test_results_are_pytorch_tensors():
    x = torch.arange(4.0)
    for y in (x, x * 2, torch.sin(x), x.sum(), x[1:], x.detach(), torch.zeros(2), torch.ones_like(x),
              torch.randn(2, 3), torch.cat([x, x]), torch.stack([x, x]), x.reshape(2, 2), x.float(), x.clone()):
        assert type(y) is torch.Tensor
    x.requires_grad_(True)
    (x * x).sum().backward()
    assert type(x.grad) is torch.Tensor
    assert isinstance(x, turunan.Tensor) and torch.is_tensor(turunan.ones(2))


def test_transpose_swaps_two_dims():
    m = torch.tensor(M)
    assert m.transpose(0, 1).tolist() == numpy.array(M).T.tolist()
    assert torch.transpose(m, 1, 0).shape == (3, 2) and m.t().shape == (3, 2) and m.T.shape == (3, 2)
    c = torch.tensor(CUBE)
    assert c.transpose(0, 2).shape == (4, 3, 2) and c.transpose(-1, 1).shape == (2, 4, 3)
    assert c.transpose(2, 0, 1).shape == (4, 2, 3)          # other counts: NumPy's permutation (core code)
    with pytest.raises(RuntimeError, match="t\\(\\) expects"):
        c.t()


def test_std_and_var_are_unbiased():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert math.isclose(float(x.var()), numpy.var([1, 2, 3, 4], ddof=1), rel_tol=1e-6)
    assert math.isclose(float(x.std()), numpy.std([1, 2, 3, 4], ddof=1), rel_tol=1e-6)
    assert math.isclose(float(x.std(unbiased=False)), numpy.std([1, 2, 3, 4]), rel_tol=1e-6)
    assert math.isclose(float(x.var(correction=0)), 1.25, rel_tol=1e-6)
    assert math.isclose(float(torch.var(x)), float(x.var()))


def test_size_is_a_method_and_shape_a_torch_size():
    x = torch.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3 and x.shape == (2, 3)
    assert repr(x.size()) == "torch.Size([2, 3])" and repr(x.shape) == "torch.Size([2, 3])"
    assert x.numel() == 6 and x.dim() == 2 and x.shape.numel() == 6 and x.shape[1:] == (3,)
    assert x.size == 6 and numpy.size(x) == 6       # still the element count where core code reads an int
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)


def test_max_min_with_and_without_dim():
    m = torch.tensor(M)
    values, indices = m.max(1)
    assert values.tolist() == [5.0, 3.0] and indices.tolist() == [1, 0]
    r = torch.max(m, dim=0, keepdim=True)
    assert r.values.shape == (1, 3) and r.indices.tolist() == [[1, 0, 1]]
    assert type(r).__name__ == "max" and repr(r).startswith("torch.return_types.max(\nvalues=tensor(")
    assert float(m.max()) == 5.0 and float(torch.min(m)) == -2.0 and m.min(dim=1).indices.tolist() == [2, 2]
    assert torch.max(m, torch.zeros(2, 3)).tolist() == [[1.0, 5.0, 0.0], [3.0, 2.0, 0.5]]
    assert m.max(torch.zeros(2, 3)).tolist() == torch.maximum(m, torch.zeros(2, 3)).tolist()


def test_printing_as_pytorch():
    assert repr(torch.arange(4.0)) == "tensor([0., 1., 2., 3.])"
    assert repr(torch.cos(torch.tensor([0.0, 1.0]))) == "tensor([1.0000, 0.5403])"
    assert repr(torch.tensor(-0.4649)) == "tensor(-0.4649)"
    assert repr(torch.ones(4) == torch.ones(4)) == "tensor([True, True, True, True])"
    assert repr(torch.tensor([True, False])) == "tensor([ True, False])"
    assert repr(torch.ones(2, dtype=torch.float64)) == "tensor([1., 1.], dtype=torch.float64)"
    assert repr(torch.tensor([1, 2], dtype=torch.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(torch.arange(4.0, requires_grad=True)) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    assert str(torch.arange(2.0)) == repr(torch.arange(2.0))
    assert repr(torch.float32) == "torch.float32" and repr(torch.arange(3).dtype) == "torch.int64"
    assert repr(turunan.arange(4.0)) == "tensor([0., 1., 2., 3.])"     # the core's own printing is unchanged


def test_dtypes_compare_and_convert():
    x = torch.arange(3.0)
    assert x.dtype == torch.float32 and x.dtype is torch.float32 and x.dtype == numpy.float32
    assert x.double().dtype is torch.float64 and x.long().dtype == torch.int64 and x.float() is x
    assert x.to(torch.float64).dtype == torch.float64 and x.to("cpu") is x and x.to(x.long()).dtype == torch.long
    assert x.type() == "torch.FloatTensor" and x.type(torch.int32).dtype == torch.int32
    assert x.type("torch.DoubleTensor").dtype == torch.float64
    assert torch.zeros(2, dtype=torch.float16).dtype.itemsize == 2 and torch.float64.is_floating_point
    assert numpy.zeros(2, torch.float64).dtype == numpy.float64 and x.device == torch.device("cpu")
    with pytest.raises(RuntimeError, match="CPU"):
        x.to("cuda")


def test_shapes_pytorch_style():
    x = torch.arange(12.0)
    assert x.view(3, 4).shape == (3, 4) and x.view(-1, 6).shape == (2, 6) and x.reshape((4, 3)).shape == (4, 3)
    c = torch.tensor(CUBE)
    assert c.permute(2, 0, 1).shape == (4, 2, 3) and c.permute((1, 0, 2)).shape == (3, 2, 4)
    assert x.unsqueeze(0).shape == (1, 12) and x.unsqueeze(-1).shape == (12, 1)
    y = torch.zeros(1, 3, 1)
    assert y.squeeze().shape == (3,) and y.squeeze(0).shape == (3, 1) and y.squeeze(1).shape == (1, 3, 1)
    assert torch.squeeze(y, -1).shape == (1, 3) and torch.unsqueeze(x, 1).shape == (12, 1)


def test_reductions_with_dim_and_keepdim():
    a = torch.tensor(M)
    assert a.sum(dim=0).tolist() == [4.0, 7.0, -1.5] and a.sum(axis=1, keepdims=True).shape == (2, 1)
    assert a.sum(1, True).shape == (2, 1) and a.mean(0).tolist() == [2.0, 3.5, -0.75]
    assert a.argmax(1).tolist() == [1, 0] and a.argmax().item() == 1
    assert math.isclose(float(a.norm()), math.sqrt(sum(v * v for r in M for v in r)), rel_tol=1e-6)
    assert math.isclose(float(a.norm(p=1)), 13.5) and a.norm(dim=1, keepdim=True).shape == (2, 1)
    assert float(torch.norm(a, float("inf"))) == 5.0


def test_item_tolist_clone_numel():
    x = torch.tensor([[1.5, 2.5]], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and c.tolist() == [[1.5, 2.5]] and x[0, 1].item() == 2.5 and torch.numel(x) == 2


def test_no_grad_as_context_and_decorator():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not (x * 2).requires_grad

    @torch.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad and (x * 2).requires_grad and torch.is_grad_enabled()


def test_recast_keeps_version_and_tangents():
    base = turunan.arange(4.0)
    view = base[1:]
    mine = _doors.recast(view, torch.Tensor)
    assert mine._version is view._version and mine._d is view._d
    x, v = turunan.tensor([0.5, 1.0]), turunan.tensor([1.0, 2.0])
    _, tangent = func.jvp(lambda t: torch.sin(t) * 2, (x,), (v,))    # through the door's functions
    numpy.testing.assert_allclose(tangent.numpy(), 2 * numpy.cos([0.5, 1.0]) * [1.0, 2.0], rtol=1e-6)


# ---- side by side with PyTorch --------------------------------------------------------------------------------
REPR_CASES = [
    ([0.0, 1.0, 2.0, 3.0], None), ([1.0, 0.5403], None), (-0.4649, None), (28.0, None), ([True] * 4, None),
    ([True, False, True], None), ([1, 2, 30], None), ([1.0, 2.0], "float64"), ([1, 2], "int32"),
    ([[1.0, 2.5], [-3.0, 4.0]], None), ([1e-5, 1.0], None), ([1.0, 1e5], None), ([1.0, 1e9], None),
    ([float("nan"), 1.0, float("inf")], None), ([float("nan"), 1.5], None), ([], None), ([0.0, 0.0], None),
    (numpy.arange(30.0).tolist(), None), (numpy.linspace(-1, 1, 23).tolist(), None),
    (numpy.arange(2000.0).tolist(), None), ((numpy.arange(2400.0) / 7).reshape(40, 60).tolist(), None),
    (CUBE, None), ([[True, False], [False, False]], None), ([0.1, 0.25], "float16"),
]


@needs_torch
@pytest.mark.parametrize("data,dtype", REPR_CASES)
def test_prints_as_pytorch(data, dtype):
    ours, theirs = both(data, dtype)
    assert repr(ours) == repr(theirs)
    assert repr(ours.dtype) == repr(theirs.dtype) and repr(ours.shape) == repr(theirs.shape)


@needs_torch
def test_prints_graph_state_as_pytorch():
    ours, theirs = torch.arange(4.0, requires_grad=True), real.arange(4.0, requires_grad=True)
    assert repr(ours) == repr(theirs)
    assert repr(2 * torch.dot(ours, ours)) == repr(2 * real.dot(theirs, theirs))
    assert repr(torch.zeros(0, 3)) == repr(real.zeros(0, 3))


OPS = {
    "transpose01": lambda t, x: x.transpose(0, 1),
    "transpose_fn": lambda t, x: t.transpose(x, 1, 0),
    "t": lambda t, x: x.t(),
    "std": lambda t, x: x.std(),
    "var": lambda t, x: x.var(),
    "std_dim": lambda t, x: x.std(1),
    "std_biased": lambda t, x: x.std(unbiased=False),
    "var_correction0": lambda t, x: x.var(0, correction=0),
    "var_keepdim": lambda t, x: x.var(dim=1, keepdim=True),
    "torch_std": lambda t, x: t.std(x, dim=0),
    "size": lambda t, x: x.size(),
    "size1": lambda t, x: x.size(1),
    "shape": lambda t, x: x.shape,
    "max": lambda t, x: x.max(),
    "max_dim": lambda t, x: x.max(1),
    "max_dim_keep": lambda t, x: x.max(dim=0, keepdim=True),
    "min_dim": lambda t, x: x.min(0),
    "torch_max_dim": lambda t, x: t.max(x, 1),
    "torch_max_elementwise": lambda t, x: t.max(x, t.zeros(2, 3)),
    "view": lambda t, x: x.view(3, 2),
    "view_minus1": lambda t, x: x.view(-1),
    "reshape": lambda t, x: x.reshape((3, -1)),
    "permute": lambda t, x: x.permute(1, 0),
    "sum_dim": lambda t, x: x.sum(dim=0),
    "sum_keepdim": lambda t, x: x.sum(dim=1, keepdim=True),
    "sum_axis": lambda t, x: x.sum(axis=1, keepdims=True),
    "mean_dim": lambda t, x: x.mean(1),
    "numel": lambda t, x: x.numel(),
    "dim": lambda t, x: x.dim(),
    "cat": lambda t, x: t.cat((x, x), dim=1),
    "stack": lambda t, x: t.stack([x, x], dim=2),
    "argmax_dim": lambda t, x: x.argmax(1),
    "argmax": lambda t, x: x.argmax(),
    "norm": lambda t, x: x.norm(),
    "norm_p1": lambda t, x: x.norm(p=1),
    "norm_p1_dim": lambda t, x: x.norm(p=1, dim=0),
    "norm_p3_dim_keep": lambda t, x: x.norm(p=3, dim=1, keepdim=True),
    "norm_inf": lambda t, x: x.norm(p=float("inf")),
    "norm_tuple": lambda t, x: t.norm(x, 2, dim=(0, 1)),
    "unsqueeze": lambda t, x: x.unsqueeze(1),
    "squeeze_noop": lambda t, x: x.unsqueeze(0).squeeze(1),
    "squeeze_dim": lambda t, x: x.unsqueeze(0).squeeze(0),
    "clone": lambda t, x: x.clone(),
    "item": lambda t, x: x[1, 2].item(),
    "tolist": lambda t, x: x.tolist(),
    "float": lambda t, x: x.long().float(),
    "long": lambda t, x: x.long(),
    "type": lambda t, x: x.type(),
    "type_to": lambda t, x: x.type(t.float64),
    "to": lambda t, x: x.to(t.int32),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(OPS))
def test_same_as_pytorch(name):
    ours, theirs = both(M)
    same(OPS[name](torch, ours), OPS[name](real, theirs))


@needs_torch
@pytest.mark.parametrize("name", ["transpose01", "std", "std_dim", "var_keepdim", "max_dim", "norm_p1_dim",
                                  "norm_p3_dim_keep", "norm_tuple", "sum_keepdim", "permute", "view"])
def test_same_gradients_as_pytorch(name):
    ours, theirs = torch.tensor(M, requires_grad=True), real.tensor(M, requires_grad=True)
    o, t = OPS[name](torch, ours), OPS[name](real, theirs)
    o, t = (o[0], t[0]) if isinstance(t, tuple) else (o, t)
    (o * o).sum().backward()
    (t * t).sum().backward()
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
def test_dtypes_as_pytorch():
    for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "float",
                 "double", "long", "int", "half"):
        assert repr(getattr(torch, name)) == repr(getattr(real, name))
    assert repr(torch.arange(3).dtype) == repr(real.arange(3).dtype)
    assert repr(torch.arange(3.0).float().dtype) == repr(real.arange(3.0).float().dtype)
