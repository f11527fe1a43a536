"""User-defined rules: custom_vjp, custom_jvp, autograd.Function — one mechanism, checked with check_grads."""

import numpy as np
import pytest

import turunan as tn
from turunan.func import grad, hessian, jacfwd, jacrev, jvp
from turunan.testing import check_grads

rng = np.random.default_rng(2)
X = rng.standard_normal(4)


# ---- JAX style -------------------------------------------------------------------------------------------
@tn.custom_vjp
def smul(x, y):
    return tn.sin(x) * y


def _smul_fwd(x, y):
    return smul(x, y), (x, y)


def _smul_bwd(res, g):
    x, y = res
    return g * tn.cos(x) * y, g * tn.sin(x)


smul.defvjp(_smul_fwd, _smul_bwd)


def test_custom_vjp_check_grads_second_order():
    check_grads(lambda x, y: smul(x, y), [X, X[::-1].copy()], order=2)


def test_custom_vjp_rule_is_used():
    @tn.custom_vjp
    def f(x):
        return x * 1.0
    f.defvjp(lambda x: (x * 1.0, None), lambda res, g: (g * 7.0,))
    assert grad(lambda x: f(x).sum())(tn.tensor([1.0, 2.0])).tolist() == [7.0, 7.0]


@tn.custom_jvp
def log1pexp(x):
    return tn.log1p(tn.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * tn.sigmoid(x)


def test_custom_jvp_both_modes_and_stability():
    check_grads(log1pexp, [X], order=2)
    # the composed rule gives nan at 1000 (inf / inf); the custom one gives 1
    g = grad(lambda x: log1pexp(x).sum())(np.array([1000.0]))
    assert g.tolist() == [1.0]
    assert jvp(log1pexp, (tn.tensor([1000.0]),), (tn.tensor([2.0]),))[1].tolist() == [2.0]
    H = hessian(lambda x: log1pexp(x).sum())(np.array([0.0, 1.0]))
    s = 1 / (1 + np.exp(-np.array([0.0, 1.0])))
    np.testing.assert_allclose(np.diag(H.data), s * (1 - s))


def test_missing_rule_errors():
    @tn.custom_vjp
    def f(x):
        return x
    with pytest.raises(AttributeError, match="defvjp"):
        f(tn.ones(2))


# ---- PyTorch style ---------------------------------------------------------------------------------------
class Cube(tn.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class TwoOut(tn.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        y = tn.exp(x)
        ctx.save_for_backward(y)
        ctx.k = k
        return y, y * k

    @staticmethod
    def backward(ctx, g1, g2):
        (y,) = ctx.saved_tensors      # an output: the recorded one, so higher orders work
        return g1 * y + g2 * y * ctx.k, None


def test_function_check_grads_second_order():
    check_grads(Cube.apply, [X], order=2)
    check_grads(lambda x: TwoOut.apply(x, 3.0)[0] + TwoOut.apply(x, 2.0)[1], [X], order=2)


def test_function_pytorch_semantics():
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    class Spy(tn.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append((tn.is_grad_enabled(), ctx.needs_input_grad))
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, None
    y = Spy.apply(x, tn.tensor(5.0))
    assert seen == [(False, (True, False))]
    assert y.grad_fn.name == "SpyBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]      # the user's (wrong on purpose) rule is what runs


def test_function_forward_mode_from_forward():
    # no jvp staticmethod: the forward is written in turunan ops, so the tangent goes through it
    _, t = jvp(Cube.apply, (tn.tensor(2.0),), (tn.tensor(1.0),))
    assert t.item() == 12.0
    np.testing.assert_allclose(jacfwd(Cube.apply)(tn.tensor(X)).data, jacrev(Cube.apply)(tn.tensor(X)).data)


def test_function_with_jvp_and_non_turunan_forward():
    class NpSin(tn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return tn.tensor(np.sin(x.numpy()))

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * tn.cos(x)

        @staticmethod
        def jvp(ctx, t):
            return None

    class NoJvp(NpSin):
        jvp = tn.autograd.Function.jvp

    with pytest.raises(TypeError, match="forward-mode rule"):
        jvp(NoJvp.apply, (tn.tensor([1.0]),), (tn.tensor([1.0]),))
    check_grads(NoJvp.apply, [X], order=2, modes=("rev",))


def test_function_from_front_doors():
    import turunan.torch as torch
    assert torch.autograd.Function is tn.autograd.Function


def test_a_table_row_whose_rule_reads_only_the_outputs_shape():
    # the node used to drop ans when a rule read only ans.shape, and backward raised AttributeError on None
    from turunan._rules import ELEMENTWISE, TABLE, defprim
    prim = defprim("test_add_one_shape_only", lambda x: x + 1, [lambda g, ans, x: g * np.ones(ans.shape)],
                   ELEMENTWISE)
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    prim(x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    del TABLE[prim.name]
