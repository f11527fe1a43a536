"""The PyTorch door's type promotion and its names for indexing, sorting, repeating and a few functions.

Core additions (cumprod, log2, exp2 rows; tile, take_along_axis, take, sort, topk, rsqrt, elu composites) are
checked numerically to second order; every door name is compared with PyTorch (values, dtypes, gradients)
where PyTorch is installed.
"""

import itertools

import numpy as np
import pytest

import turunan as tn
import turunan.torch as torch
from turunan import _core, _ops, _rules
from turunan.func import jvp, vjp
from turunan.testing import check_grads

try:
    import torch as real
except ImportError:      # the suite passes without PyTorch; the side-by-side checks are skipped
    real = None

needs_torch = pytest.mark.skipif(real is None, reason="PyTorch is not installed: no side-by-side comparison")
rng = np.random.default_rng(7)


def N(*s):
    return rng.standard_normal(s)


# ---- the core's new operations, to second order -----------------------------------------------------------
CORE = {
    "cumprod_last": (lambda x: _ops.cumprod(x, -1), lambda: N(2, 4)),
    "cumprod_first": (lambda x: _ops.cumprod(x, 0), lambda: N(3, 2)),
    "cumprod_flat": (lambda x: _ops.cumprod(x), lambda: N(2, 3)),
    "cumprod_one_zero": (lambda x: _ops.cumprod(x, 0), lambda: np.array([1.5, 0.0, 2.0, -1.0])),
    "cumprod_two_zeros": (lambda x: _ops.cumprod(x, 0), lambda: np.array([0.5, 0.0, 2.0, 0.0, 3.0])),
    "cumprod_zeros_2d": (lambda x: _ops.cumprod(x, 1), lambda: np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]])),
    "cumprod_zero_first": (lambda x: _ops.cumprod(x, -2), lambda: np.array([[0.0, 1.5], [2.0, -1.0], [3.0, 0.5]])),
    "log2": (_ops.log2, lambda: np.abs(N(2, 3)) + 0.5),
    "exp2": (_ops.exp2, lambda: N(2, 3)),
    "rsqrt": (_ops.rsqrt, lambda: np.abs(N(2, 3)) + 0.5),
    "elu": (lambda x: _ops.elu(x, 0.7), lambda: np.where(np.abs(N(2, 3)) < 0.1, 0.5, N(2, 3))),
    "tile": (lambda x: _ops.tile(x, (2, 1, 3)), lambda: N(2, 3)),
    "tile_short_reps": (lambda x: _ops.tile(x, 2), lambda: N(2, 3)),
    "take_along_axis": (lambda x: _ops.take_along_axis(x, np.array([[0, 2], [1, 1], [3, 0]]), 1), lambda: N(3, 4)),
    "take_along_axis_bcast": (lambda x: _ops.take_along_axis(x, np.array([[2, 0, 2, 1]]), 0), lambda: N(3, 4)),
    "take": (lambda x: _ops.take(x, np.array([0, 2, 2]), 1), lambda: N(2, 3)),
    "sort": (lambda x: _ops.sort(x, 0), lambda: N(3, 4)),
    "sort_descending": (lambda x: _ops.sort(x, -1, descending=True), lambda: N(3, 4)),
    "topk": (lambda x: _ops.topk(x, 2, 1)[0], lambda: N(3, 4)),
    "topk_smallest": (lambda x: _ops.topk(x, 3, 0, largest=False)[0], lambda: N(4, 2)),
}


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_additions_to_second_order(name):
    f, make = CORE[name]
    check_grads(f, [make()], order=2)


@pytest.mark.parametrize("x", [np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]]), np.array([[0.0, 2.0, -1.0]])])
@pytest.mark.parametrize("axis", [-1, -2])
def test_cumprod_forward_and_reverse_rules_agree_at_zeros(x, axis):
    """⟨u, J v⟩ = ⟨Jᵀu, v⟩ on the zero-safe path (tests/test_forward_mode.py covers the ordinary one)."""
    def f(t):
        return _core.apply(_rules.cumprod, t, axis=axis)

    v, u = tn.tensor(N(*x.shape)), tn.tensor(N(*x.shape))
    _, jv = jvp(f, (tn.tensor(x),), (v,))
    _, pull = vjp(f, tn.tensor(x))
    (ct,) = pull(u)
    assert np.isclose(np.sum(u.data * jv.data), np.sum(ct.data * v.data), rtol=1e-10)


def test_cumprod_gradient_at_zeros_is_the_product_of_the_others():
    x = tn.tensor([2.0, 0.0, 3.0, 0.0], dtype=np.float64, requires_grad=True)
    _ops.cumprod(x, 0).sum().backward()
    # d/dx_k sum_i prod_{j<=i} x_j = sum_{i>=k} prod_{j<=i, j!=k} x_j
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0 + 6.0, 0.0, 0.0])


def test_argsort_is_stable_both_ways():
    x = tn.tensor([1.0, 3.0, 1.0, 3.0, 2.0])
    assert _ops.argsort(x).tolist() == [0, 2, 4, 1, 3]
    assert _ops.argsort(x, descending=True).tolist() == [1, 3, 4, 0, 2]
    assert _ops.argsort(tn.tensor([np.nan, 1.0]), descending=True).tolist() == [0, 1]    # NaN is the largest


# ---- the door's names: pure expectations ------------------------------------------------------------------
def test_door_names_return_pytorch_tensors_and_types():
    x = torch.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])
    assert type(x.repeat(2, 1)) is torch.Tensor and x.repeat(2, 1, 2).shape == (2, 2, 6)
    r = x.sort(1)
    assert type(r).__name__ == "sort" and repr(r).startswith("torch.return_types.sort(\nvalues=tensor(")
    assert type(torch.topk(x, 2)).__name__ == "topk" and x.topk(1, dim=0).indices.tolist() == [[0, 1, 0]]
    assert isinstance(x.split(2, 1), tuple) and [t.shape[1] for t in torch.split(x, 2, 1)] == [2, 1]
    assert [t.shape[1] for t in x.split([1, 2], dim=1)] == [1, 2] and len(x.chunk(3, 1)) == 3
    with pytest.raises(RuntimeError, match="sum exactly"):
        x.split([1, 1], 1)
    with pytest.raises(RuntimeError, match="repeat dims"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="boolean masks"):
        x.masked_fill(torch.ones(2, 3).long(), 0.0)
    with pytest.raises(RuntimeError, match="can't be cast"):
        y = torch.tensor([1, 2])
        y += 0.5


def test_masked_fill_in_place_and_gradients():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y.masked_fill_(torch.tensor([True, False, True]), -1.0)
    assert y.tolist() == [-1.0, 2.0, -1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_in_place_add_sub_with_alpha():
    y = torch.tensor([1.0, 2.0])
    y.add_(torch.tensor([1.0, 1.0]), alpha=3)
    y.sub_(1, alpha=0.5)
    assert y.tolist() == [3.5, 4.5] and y.dtype == torch.float32
    i = torch.tensor([1, 2], dtype=torch.int32)
    i += torch.tensor([1, 1])               # computed in int64, written back into int32, as PyTorch does
    assert i.dtype == torch.int32 and i.tolist() == [2, 3]
    with pytest.raises(RuntimeError, match="alpha"):
        torch.add(i, i, alpha=0.5)


def test_promotion_rules_without_pytorch():
    f16, f32, f64 = torch.float16, torch.float32, torch.float64
    i32, i64, u8, i8, b = torch.int32, torch.int64, torch.uint8, torch.int8, torch.bool
    assert torch.promote_types(i64, f16) == f16 and torch.promote_types(u8, i8) == torch.int16
    assert torch.promote_types(b, u8) == u8
    t = torch.ones(2, dtype=i32)
    assert (t / t).dtype == f32 and (t * 2.5).dtype == f32 and (t ** 0.5).dtype == f32 and (t * 2).dtype == i32
    assert (t + torch.ones(2)).dtype == f32 and (t + torch.tensor(1.5, dtype=f64)).dtype == f64
    assert (torch.ones(2, dtype=f16) * torch.tensor(2.0, dtype=f64)).dtype == f16
    assert (torch.ones(2, dtype=f16) * 1e3).dtype == f16 and (torch.tensor([True]) + 1).dtype == i64
    assert (torch.ones(2, dtype=u8) + torch.tensor(3, dtype=i8)).dtype == u8
    assert (torch.tensor(1, dtype=u8) + torch.tensor(3, dtype=i8)).dtype == torch.int16
    assert torch.sqrt(torch.tensor([4])).dtype == f32 and torch.tensor([1, 2]).exp().dtype == f32
    assert torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 2.5).dtype == f32
    assert torch.result_type(torch.ones(2, dtype=i32), 1.0) == f32


def test_promotion_keeps_gradients():
    x = torch.tensor([1.0, 2.0], dtype=torch.float16, requires_grad=True)
    y = (x * torch.tensor(3.0, dtype=torch.float64)).sum()      # float16 throughout, as in PyTorch
    assert y.dtype == torch.float16
    y.backward()
    assert x.grad.dtype == torch.float16 and x.grad.tolist() == [3.0, 3.0]
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    z = (torch.tensor([1.0, 1.0]) * w).sum()                     # float32 * float64 tensor: float64
    z.backward()
    assert z.dtype == torch.float64 and w.grad.dtype == torch.float64


# ---- side by side with PyTorch: the promotion grid --------------------------------------------------------
DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
VALUES = {"a": [[0, 1, 2], [3, 1, 2]], "b": [[1, 2, 3], [1, 1, 2]]}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b, "eq": lambda a, b: a == b, "lt": lambda a, b: a < b, "ge": lambda a, b: a >= b,
    "radd": lambda a, b: b + a, "rsub": lambda a, b: b - a, "rdiv": lambda a, b: b / a, "rpow": lambda a, b: b ** a,
}
SCALARS = {"int": 2, "float": 2.5, "bool": True}


def _run(fn, *args):
    try:
        return fn(*args), None
    except Exception as e:      # noqa: BLE001  (both must fail, whatever PyTorch's exception class)
        return None, e


def _compare(ours, theirs):
    (o, oe), (t, te) = ours, theirs
    if te is not None:
        assert oe is not None, f"PyTorch raised {te!r}, turunan.torch gave {o!r}"
        return
    assert oe is None, f"turunan.torch raised {oe!r}, PyTorch gave {t!r}"
    assert repr(o.dtype) == repr(t.dtype), (o.dtype, t.dtype)
    tol = 2e-3 if t.dtype == real.float16 else 1e-6
    np.testing.assert_allclose(o.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("left,right", list(itertools.product(DTYPES, DTYPES)))
def test_promotion_tensor_tensor_as_pytorch(op, left, right):
    fn = BINARY[op]
    for shape_b in ("dim", "0d"):
        b = VALUES["b"] if shape_b == "dim" else 2
        ours = _run(fn, torch.tensor(VALUES["a"], dtype=getattr(torch, left)), torch.tensor(b, dtype=getattr(
            torch, right)))
        theirs = _run(fn, real.tensor(VALUES["a"], dtype=getattr(real, left)), real.tensor(b, dtype=getattr(
            real, right)))
        _compare(ours, theirs)


@needs_torch
@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", sorted(SCALARS))
def test_promotion_tensor_scalar_as_pytorch(op, dtype, scalar):
    fn, s = BINARY[op], SCALARS[scalar]
    for data in (VALUES["a"], 1):         # a tensor with dims, and a 0-d one
        ours = _run(fn, torch.tensor(data, dtype=getattr(torch, dtype)), s)
        theirs = _run(fn, real.tensor(data, dtype=getattr(real, dtype)), s)
        _compare(ours, theirs)


@needs_torch
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "eq", "lt", "maximum", "minimum"])
@pytest.mark.parametrize("left,right", [("int32", "float16"), ("float32", "int64"), ("uint8", "int32"),
                                        ("bool", "float64"), ("float16", "float64")])
def test_promotion_functions_as_pytorch(name, left, right):
    a = (torch.tensor(VALUES["a"], dtype=getattr(torch, left)), real.tensor(VALUES["a"], dtype=getattr(real, left)))
    b = (torch.tensor(VALUES["b"], dtype=getattr(torch, right)), real.tensor(VALUES["b"], dtype=getattr(real, right)))
    _compare(_run(getattr(torch, name), a[0], b[0]), _run(getattr(real, name), a[1], b[1]))
    _compare(_run(getattr(a[0], name), b[0]), _run(getattr(a[1], name), b[1]))


@needs_torch
def test_promotion_gradients_as_pytorch():
    for dt, other in (("float16", 2.5), ("float32", "int64"), ("float64", "float32"), ("float32", "float64_0d")):
        ours = torch.tensor([0.5, 1.5, 2.0], dtype=getattr(torch, dt), requires_grad=True)
        theirs = real.tensor([0.5, 1.5, 2.0], dtype=getattr(real, dt), requires_grad=True)
        if other == "int64":
            o, t = torch.tensor([1, 2, 3]), real.tensor([1, 2, 3])
        elif other == "float32":
            o, t = torch.tensor([1.0, 2.0, 3.0]), real.tensor([1.0, 2.0, 3.0])
        elif other == "float64_0d":
            o, t = torch.tensor(3.0, dtype=torch.float64), real.tensor(3.0, dtype=real.float64)
        else:
            o = t = other
        yo, yt = (ours * o + ours ** 2 / o).sum(), (theirs * t + theirs ** 2 / t).sum()
        assert repr(yo.dtype) == repr(yt.dtype)
        yo.backward()
        yt.backward()
        assert repr(ours.grad.dtype) == repr(theirs.grad.dtype)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=2e-3)


@needs_torch
@pytest.mark.parametrize("name", ["sqrt", "exp", "log", "sin", "tanh", "sigmoid", "rsqrt", "log2", "exp2",
                                  "reciprocal"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "float64"])
def test_floating_functions_dtypes_as_pytorch(name, dtype):
    data = [1, 2, 4] if dtype != "bool" else [True, False, True]
    ours, theirs = torch.tensor(data, dtype=getattr(torch, dtype)), real.tensor(data, dtype=getattr(real, dtype))
    _compare(_run(getattr(torch, name), ours), _run(getattr(real, name), theirs))
    _compare(_run(lambda x: getattr(x, name)(), ours), _run(lambda x: getattr(x, name)(), theirs))


# ---- side by side with PyTorch: the new names -------------------------------------------------------------
X = [[3.0, -1.0, 2.5, 0.5], [1.5, 4.0, -2.0, 0.25], [0.0, 2.0, 1.0, -3.5]]
IDX = [[0, 3], [2, 2], [1, 0]]
NAMES = {
    "repeat": lambda t, x: x.repeat(2, 1),
    "repeat_more_dims": lambda t, x: x.repeat(2, 1, 3),
    "sort": lambda t, x: t.sort(x, 1),
    "sort_desc_dim0": lambda t, x: x.sort(dim=0, descending=True),
    "argsort": lambda t, x: x.argsort(1),
    "argsort_desc": lambda t, x: t.argsort(x, dim=0, descending=True),
    "topk": lambda t, x: t.topk(x, 2),
    "topk_dim0_smallest": lambda t, x: x.topk(2, dim=0, largest=False),
    "gather": lambda t, x: t.gather(x, 1, t.tensor(IDX)),
    "gather_dim0": lambda t, x: x.gather(0, t.tensor([[2, 0, 1, 1]])),
    "gather_smaller_index": lambda t, x: x.gather(1, t.tensor([[1], [0]])),
    "index_select": lambda t, x: t.index_select(x, 1, t.tensor([3, 0, 3])),
    "index_select_dim0": lambda t, x: x.index_select(0, t.tensor([2, 2])),
    "masked_fill": lambda t, x: x.masked_fill(x > 1, -5.0),
    "masked_fill_fn": lambda t, x: t.masked_fill(x, x < 0, 0.5),
    "chunk": lambda t, x: x.chunk(3, 1),
    "chunk_uneven": lambda t, x: t.chunk(x, 2, dim=0),
    "split_size": lambda t, x: x.split(3, 1),
    "split_sections": lambda t, x: t.split(x, [1, 2], dim=0),
    "cumprod": lambda t, x: x.cumprod(1),
    "cumprod_fn": lambda t, x: t.cumprod(x, dim=0),
    "add_alpha": lambda t, x: t.add(x, x * 2, alpha=0.5),
    "sub_alpha": lambda t, x: x.sub(x * x, alpha=2),
    "rsqrt": lambda t, x: t.rsqrt(x * x + 1),
    "log2": lambda t, x: (x * x + 1).log2(),
    "exp2": lambda t, x: t.exp2(x),
    "elu": lambda t, x: t.nn.functional.elu(x, alpha=0.7),
    "leaky_relu": lambda t, x: t.nn.functional.leaky_relu(x, 0.2),
    "max_elementwise": lambda t, x: t.max(x, t.zeros(3, 4, dtype=t.float64)),
}


def _same(ours, theirs):
    if isinstance(theirs, tuple):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
        return
    assert isinstance(ours, torch.Tensor)
    assert tuple(ours.shape) == tuple(theirs.shape) and repr(ours.dtype) == repr(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)


@needs_torch
@pytest.mark.parametrize("name", sorted(NAMES))
def test_new_names_as_pytorch(name):
    ours, theirs = torch.tensor(X, requires_grad=True), real.tensor(X, requires_grad=True)
    o, t = NAMES[name](torch, ours), NAMES[name](real, theirs)
    _same(o, t)
    outs_o = [v for v in (o if isinstance(o, tuple) else (o,)) if v.dtype.is_floating_point]
    outs_t = [v for v in (t if isinstance(t, tuple) else (t,)) if v.dtype.is_floating_point]
    if not outs_t:
        return
    w = [np.linspace(-1, 1, v.numel()).reshape(tuple(v.shape)) for v in outs_t]
    sum(((v * torch.tensor(c, dtype=v.dtype)).sum() for v, c in zip(outs_o, w)), torch.tensor(0.0)).backward()
    sum(((v * real.tensor(c, dtype=v.dtype)).sum() for v, c in zip(outs_t, w)), real.tensor(0.0)).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float64"])
def test_cumprod_and_cumsum_dtypes_as_pytorch(dtype):
    data = [1, 2, 3] if dtype != "bool" else [True, True, False]
    ours, theirs = torch.tensor(data, dtype=getattr(torch, dtype)), real.tensor(data, dtype=getattr(real, dtype))
    _same(torch.cumprod(ours, 0), real.cumprod(theirs, 0))
    _same(ours.cumsum(0), theirs.cumsum(0))


@needs_torch
def test_cumprod_gradients_at_zeros_as_pytorch():
    data = [[2.0, 0.0, 3.0, 0.0, -1.5], [0.0, 1.5, 2.0, 4.0, 0.5]]
    ours = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    theirs = real.tensor(data, dtype=real.float64, requires_grad=True)
    (go,) = torch.autograd.grad((torch.cumprod(ours, 1) * torch.tensor(data[::-1])).sum(), [ours],
                                create_graph=True)
    (gt,) = real.autograd.grad((real.cumprod(theirs, 1) * real.tensor(data[::-1])).sum(), [theirs],
                               create_graph=True)
    np.testing.assert_allclose(go.detach().numpy(), gt.detach().numpy(), rtol=1e-12)
    (ho,) = torch.autograd.grad((go * go).sum(), [ours])
    (ht,) = real.autograd.grad((gt * gt).sum(), [theirs])
    np.testing.assert_allclose(ho.numpy(), ht.numpy(), rtol=1e-10)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "int64"), ("int64", "float32")])
def test_div_rounding_modes_match_torch(mode, dtypes):
    real = pytest.importorskip("torch", reason="PyTorch is not installed: no side-by-side comparison")
    import turunan.torch as ttorch
    a0, b0 = np.array([7, -7, 5, -3]), np.array([2, 2, -3, 4])
    a, b = (ttorch.tensor(v.astype(d)) for v, d in zip((a0, b0), dtypes))
    ra, rb = (real.tensor(v.astype(d)) for v, d in zip((a0, b0), dtypes))
    got, want = ttorch.div(a, b, rounding_mode=mode), real.div(ra, rb, rounding_mode=mode)
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.div(b, rounding_mode=mode).numpy(), want.numpy(), rtol=1e-6)


def test_div_rounding_mode_errors_and_gradients():
    import turunan.torch as ttorch
    with pytest.raises(ValueError, match="rounding_mode"):
        ttorch.div(ttorch.ones(2), ttorch.ones(2), rounding_mode="round")
    x = ttorch.tensor([3.0, -5.0], requires_grad=True)
    y = ttorch.div(x, 2.0) + ttorch.div(x, 2.0, rounding_mode="trunc") * 0 + x.div(2.0, rounding_mode="floor") * 0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5])
