"""Every primitive and composite through check_grads: reverse and forward mode, to second order,
over shape sweeps that include broadcasting. One line per op."""

import numpy as np
import pytest

import turunan as tn
from turunan import _rules
from turunan._core import Primitive
from turunan.testing import check_grads

rng = np.random.default_rng(1)


def rand(*shape, low=None, high=None):
    if low is not None:
        return rng.uniform(low, high, shape)
    return rng.standard_normal(shape)


def pos(*shape):
    return rand(*shape, low=0.5, high=2.0)


# shape pairs for binary ops: equal, scalar, vector, broadcast rows/cols, rank change
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((1, 3), (2, 3)), ((2, 1), (1, 3)), ((2, 3), ()),
                 ((3,), (2, 3)), ((4, 2, 3), (2, 1))]
UNARY_SHAPES = [(), (3,), (2, 3)]

BINARY = {
    "add": (lambda x, y: x + y, rand, rand),
    "subtract": (lambda x, y: x - y, rand, rand),
    "multiply": (lambda x, y: x * y, rand, rand),
    "divide": (lambda x, y: x / y, rand, pos),
    "power": (lambda x, y: x ** y, pos, rand),
    "maximum": (tn.maximum, rand, rand),
    "minimum": (tn.minimum, rand, rand),
    "where": (lambda x, y: tn.where(x > y, x * y, x - y), rand, rand),
    "remainder": (lambda x, y: x % y, pos, lambda *s: pos(*s) + 2.5),
}

UNARY = {
    "negative": (lambda x: -x, rand), "exp": (tn.exp, rand), "log": (tn.log, pos), "log1p": (tn.log1p, pos),
    "expm1": (tn.expm1, rand), "sqrt": (tn.sqrt, pos), "sin": (tn.sin, rand), "cos": (tn.cos, rand),
    "tan": (tn.tan, lambda *s: rand(*s, low=-1.0, high=1.0)), "tanh": (tn.tanh, rand), "sigmoid": (tn.sigmoid, rand),
    "relu": (tn.relu, rand), "abs": (tn.abs, rand), "square": (tn.square, rand),
    "reciprocal": (tn.reciprocal, pos), "clip": (lambda x: tn.clip(x, -0.5, 0.5), rand),
    "pow_const": (lambda x: x ** 3, rand), "rpow": (lambda x: 2.0 ** x, rand), "rsub": (lambda x: 1.0 - x, rand),
    "rdiv": (lambda x: 2.0 / x, pos), "softplus": (tn.softplus, rand), "erf": (tn.erf, rand),
    "copy": (lambda x: tn.copy(x.T), rand),
    "gelu": (_rules.gelu, rand), "gelu_tanh": (_rules.gelu_tanh, rand),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_binary(name, shapes):
    f, gx, gy = BINARY[name]
    check_grads(f, [gx(*shapes[0]), gy(*shapes[1])])


@pytest.mark.parametrize("shapes", [((), (), ()), ((2, 3), (3,), (2, 1)), ((3,), (2, 3), ())], ids=str)
def test_clip_with_tensor_bounds(shapes):
    # x below lo, inside, above hi, and lo > hi (the result is hi) all occur; no point sits on a kink
    sx, sl, sh = shapes
    x = rand(*sx)
    lo = np.where(rand(*sl) > 0, -0.25, 0.5) + 0.01 * rand(*sl)
    hi = np.where(rand(*sh) > 0, 0.75, 0.25) + 0.01 * rand(*sh)
    x = np.where(np.abs(x - 0.5) < 0.1, 1.3, x)
    x = np.where(np.abs(x - 0.25) < 0.1, -1.3, x)
    x = np.where(np.abs(x - 0.75) < 0.1, 1.3, x)
    x = np.where(np.abs(x + 0.25) < 0.1, -1.3, x)
    check_grads(tn.clip, [x, lo, hi])


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
def test_unary(name, shape):
    f, gen = UNARY[name]
    x = gen(*shape)
    if name in ("relu", "abs", "clip"):          # keep away from the kinks, where no derivative exists
        x = np.where(np.abs(x) < 0.1, 0.3, x)
        x = np.where(np.abs(np.abs(x) - 0.5) < 0.1, 0.3, x)
    check_grads(f, [x])


A = rand(2, 3, 4)
REDUCTIONS = {
    "sum_all": lambda x: x.sum(), "sum_axis": lambda x: x.sum(axis=1), "sum_neg_keep": lambda x: x.sum(-1, True),
    "sum_tuple": lambda x: x.sum(axis=(0, 2)), "mean": lambda x: x.mean(axis=0), "mean_all": lambda x: tn.mean(x),
    "prod": lambda x: x.prod(axis=2), "prod_all": lambda x: x.prod(), "max": lambda x: x.max(axis=1),
    "max_keep": lambda x: x.max(axis=-1, keepdims=True), "min_all": lambda x: x.min(), "var": lambda x: x.var(axis=1),
    "std": lambda x: x.std(), "var_ddof": lambda x: tn.var(x, axis=2, ddof=1),
    "logsumexp": lambda x: tn.logsumexp(x, 2),
    "logsumexp_all": lambda x: tn.logsumexp(x), "softmax": lambda x: tn.softmax(x, axis=1),
    "log_softmax": lambda x: tn.log_softmax(x), "log_softmax_0": lambda x: tn.log_softmax(x, 0),
    "cumsum": lambda x: tn.cumsum(x, axis=1),
    "cumsum_flat": lambda x: tn.cumsum(x), "norm": lambda x: tn.norm(x), "norm_axis": lambda x: tn.norm(x, axis=2),
    "norm_1": lambda x: tn.norm(x, 1, axis=0), "norm_3": lambda x: tn.norm(x, 3, axis=-1),
    "norm_inf": lambda x: tn.norm(x, np.inf, axis=1), "norm_fro": lambda x: tn.norm(x, "fro", axis=(1, 2)),
    "mnorm_1": lambda x: tn.norm(x, 1, axis=(1, 2)), "mnorm_inf": lambda x: tn.norm(x, np.inf, axis=(0, 1)),
    "mnorm_inf_keep": lambda x: tn.norm(x, -np.inf, axis=(1, 2), keepdims=True),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions(name):
    check_grads(REDUCTIONS[name], [A])


def test_matrix_2norm_first_order_and_refuses_higher():
    M = rand(3, 4)
    check_grads(lambda x: tn.norm(x, 2, axis=(0, 1)), [M], order=1, modes=("rev",))
    x = tn.tensor(M, requires_grad=True)
    (g,) = tn.autograd.grad(tn.norm(x, 2, axis=(0, 1)), [x], create_graph=False)
    u, s, vt = np.linalg.svd(M)
    np.testing.assert_allclose(g.numpy(), np.outer(u[:, 0], vt[0]), rtol=1e-4, atol=1e-5)
    with pytest.raises(NotImplementedError, match="first derivative only"):
        tn.autograd.grad(tn.norm(x, 2, axis=(0, 1)), [x], create_graph=True)


def test_ties_split_evenly_like_amax():
    x = tn.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0.5, 0])


def test_prod_with_zeros():
    check_grads(lambda x: x.prod(axis=1), [np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [1.5, 2.0, -1.0]])])
    check_grads(lambda x: x.prod(), [np.array([2.0, 0.0, 3.0])])


LINALG = {
    "matmul": (lambda x, y: x @ y, [(2, 3), (3, 4)]),
    "matmul_batched_bcast": (lambda x, y: x @ y, [(5, 2, 3), (3, 4)]),
    "matmul_batch_both": (lambda x, y: tn.matmul(x, y), [(2, 1, 2, 3), (4, 3, 2)]),
    "matmul_vec_mat": (lambda x, y: x @ y, [(3,), (3, 4)]),
    "matmul_mat_vec": (lambda x, y: x @ y, [(2, 3), (3,)]),
    "matmul_vec_vec": (lambda x, y: x @ y, [(3,), (3,)]),
    "dot_vec": (tn.dot, [(4,), (4,)]), "dot_mat": (tn.dot, [(2, 3), (3, 2)]), "dot_nd": (tn.dot, [(2, 3), (4, 3, 2)]),
    "dot_scalar": (tn.dot, [(), (3,)]),
    "tensordot_1": (lambda x, y: tn.tensordot(x, y, axes=1), [(2, 3), (3, 4)]),
    "tensordot_2": (lambda x, y: tn.tensordot(x, y, axes=2), [(2, 3, 4), (3, 4, 5)]),
    "tensordot_lists": (lambda x, y: tn.tensordot(x, y, axes=([0], [1])), [(3, 2), (4, 3)]),
    "einsum_mm": (lambda x, y: tn.einsum("ij,jk->ik", x, y), [(2, 3), (3, 4)]),
    "einsum_trace_like": (lambda x, y: tn.einsum("ij,ij->", x, y), [(2, 3), (2, 3)]),
    "einsum_sum_only": (lambda x, y: tn.einsum("ij,k->k", x, y), [(2, 3), (4,)]),
    "einsum_batch": (lambda x, y: tn.einsum("bij,bjk->bik", x, y), [(2, 2, 3), (2, 3, 2)]),
    "einsum_ellipsis": (lambda x, y: tn.einsum("...ij,jk->...ik", x, y), [(2, 2, 3), (3, 2)]),
    "einsum_implicit": (lambda x, y: tn.einsum("ij,jk", x, y), [(2, 3), (3, 4)]),
    "einsum_three": (lambda x, y, z: tn.einsum("ij,jk,kl->il", x, y, z), [(2, 3), (3, 4), (4, 2)]),
    "outer": (tn.outer, [(3,), (4,)]), "inner": (tn.inner, [(2, 3), (4, 3)]), "vdot": (tn.vdot, [(2, 3), (2, 3)]),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg(name):
    f, shapes = LINALG[name]
    check_grads(f, [rand(*s) for s in shapes])


B = rand(2, 3, 4)
SHAPE_OPS = {
    "reshape": lambda x: x.reshape(4, 6), "reshape_neg": lambda x: tn.reshape(x, (-1, 2)),
    "transpose": lambda x: x.transpose(), "transpose_axes": lambda x: x.transpose(1, 2, 0),
    "permute": lambda x: x.permute(2, 0, 1), "T": lambda x: x.T, "mT": lambda x: x.mT,
    "swapaxes": lambda x: tn.swapaxes(x, 0, 2), "moveaxis": lambda x: tn.moveaxis(x, 0, -1),
    "expand_dims": lambda x: tn.expand_dims(x, 1), "unsqueeze_neg": lambda x: x.unsqueeze(-1),
    "squeeze": lambda x: tn.squeeze(x[:, :1], 1), "flatten": lambda x: x.flatten(),
    "flatten_mid": lambda x: x.flatten(1),
    "ravel": lambda x: tn.ravel(x), "broadcast_to": lambda x: tn.broadcast_to(x[:, :1], (5, 2, 3, 4)),
    "expand": lambda x: x[:1].expand(3, 3, 4), "flip": lambda x: tn.flip(x, 1), "flip_all": lambda x: tn.flip(x),
    "concatenate": lambda x: tn.concatenate([x, x * 2, x[:, :1]], axis=1), "cat_none": lambda x: tn.cat([x, x], None),
    "stack": lambda x: tn.stack([x, x * x], axis=-1), "split_sections": lambda x: tn.split(x, 2, axis=2)[1],
    "split_indices": lambda x: tn.split(x, [1, 2], axis=1)[2],
    "astype64": lambda x: x.astype(np.float64) * 2,
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name):
    check_grads(SHAPE_OPS[name], [B])


INDEXING = {
    "int": lambda x: x[1], "slice": lambda x: x[:, 1:3], "step": lambda x: x[::-1, ::2], "neg": lambda x: x[-1, -2],
    "ellipsis_none": lambda x: x[..., None, 1], "int_array": lambda x: x[[0, 0, 1]],
    "repeated_pairs": lambda x: x[[0, 1, 0], [2, 2, 2]], "bool_mask": lambda x: x[x > 0],
    "tensor_index": lambda x: x[tn.tensor([1, 0, 1])], "mixed": lambda x: x[1:, [0, 2, 0]],
    "setitem": lambda x: _setitem(x),
}


def _setitem(x):
    y = x * 1.0
    y[0, 1] = x[1, 2] * 3.0
    y[1] = x[0] * x[0] + x[1]
    return y * x


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_indexing(name):
    check_grads(INDEXING[name], [rand(2, 4)])


def test_repeated_indices_accumulate():
    x = tn.zeros(3, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_every_differentiable_primitive_is_covered():
    """Adding a row to the table without a test here (or in another test module) fails this test."""
    covered = {"add", "subtract", "multiply", "divide", "power", "negative", "exp", "expm1", "log", "log1p",
               "sqrt", "square", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "absolute", "maximum", "minimum",
               "clip", "where", "sum", "prod", "amax", "amin", "logsumexp", "cumsum", "matmul", "einsum",
               "matrix_norm2", "reshape", "transpose", "broadcast_to", "concatenate", "getitem", "scatter_add",
               "index_update", "astype", "remainder", "softplus", "norm2", "log_softmax",
               "cumprod", "log2", "exp2",   # these three: tests/test_torch_names.py
               "erf", "copy", "gelu", "gelu_tanh"}
    import pathlib
    here = pathlib.Path(__file__).parent
    others = "".join(p.read_text() for p in here.glob("test_*.py") if p.name != "test_rules.py")
    rows = [p for p in vars(_rules).values() if isinstance(p, Primitive)]   # the table file's own rows
    missing = [p.name for p in rows if p.differentiable and p.name not in covered and p.name not in others]
    assert not missing, f"primitives without a gradient test: {missing}"


def test_higher_order_third_derivative():
    x = tn.tensor([0.3, -1.2, 2.0], dtype=np.float64, requires_grad=True)
    y = tn.sin(x) * tn.exp(x)
    (g1,) = tn.autograd.grad(y.sum(), [x], create_graph=True)
    (g2,) = tn.autograd.grad(g1.sum(), [x], create_graph=True)
    (g3,) = tn.autograd.grad(g2.sum(), [x])
    xv = x.detach().numpy()
    # (sin x e^x)''' = 2 e^x (cos x - sin x)
    np.testing.assert_allclose(g3.numpy(), 2 * np.exp(xv) * (np.cos(xv) - np.sin(xv)), rtol=1e-10)
    np.testing.assert_allclose(g2.detach().numpy(), 2 * np.exp(xv) * np.cos(xv), rtol=1e-10)


def test_float32_stays_float32():
    x = tn.arange(4.0, requires_grad=True)
    y = (2 * x ** 2 + 1.5 * tn.sin(x) / 3.0 - tn.exp(-x * x)).mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_softplus_is_smooth_at_zero():
    x = tn.tensor([0.0, 50.0, -50.0], dtype=np.float64, requires_grad=True)
    (g,) = tn.autograd.grad(tn.softplus(x).sum(), [x], create_graph=True)
    (h,) = tn.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(g.detach().numpy(), [0.5, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(h.numpy(), [0.25, 0.0, 0.0], atol=1e-12)
    assert np.isfinite(tn.softplus(tn.tensor([1000.0])).item())


def test_norm_gradient_at_zero_is_zero():
    x = tn.zeros(3, requires_grad=True)
    tn.norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    m = tn.zeros((2, 2), requires_grad=True)
    (g,) = tn.autograd.grad(tn.norm(m, axis=1).sum(), [m])
    assert np.isfinite(g.numpy()).all()


def test_log_softmax_is_stable():
    out = tn.log_softmax(tn.tensor([[1000.0, 0.0], [-np.inf, 0.0]]), axis=1).numpy()
    np.testing.assert_allclose(out, [[0.0, -1000.0], [-np.inf, 0.0]])
    x = tn.tensor([[1000.0, 0.0, -5.0]], requires_grad=True)
    tn.log_softmax(x, axis=1)[0, 1].backward()
    assert np.isfinite(x.grad.numpy()).all()
