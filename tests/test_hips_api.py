"""HIPS autograd's API on turunan (issue 12): its transform names (``turunan.func``, also ``tn.*``), ``argnum=``
beside ``argnums=``, and ``turunan.extend`` (``primitive``, ``defvjp``, ``defjvp``). Checked numerically (central
differences) and, where HIPS autograd is installed, against it on the same random inputs."""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan.extend import defjvp, defjvp_argnum, defvjp, defvjp_argnum, primitive

RNG = np.random.RandomState(0)
X, V, W = RNG.randn(3), RNG.randn(3), RNG.randn(3, 3)


def loss(x, w):
    return tnp.sum(tnp.tanh(tnp.dot(w, x)) ** 2)


def _num_grad(f, x, eps=1e-6):
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        out[i] = (float(f(x + d)) - float(f(x - d))) / (2 * eps)
    return out


def _f(x):
    return float(loss(x, W))


def test_elementwise_grad_and_deriv_are_the_derivative_of_an_elementwise_function():
    for transform in (tn.elementwise_grad, tn.deriv):
        np.testing.assert_allclose(transform(tnp.sin)(X), np.cos(X), rtol=1e-12)
    np.testing.assert_allclose(tn.elementwise_grad(lambda x: tnp.outer(x, x))(X), np.full(3, 2 * X.sum()), rtol=1e-12)


def test_hessian_products_match_the_numerical_hessian():
    hess = np.stack([_num_grad(lambda x, i=i: tn.grad(loss)(x, W)[i], X) for i in range(3)])
    hvp, g = tn.make_hvp(loss)(X, W)
    np.testing.assert_allclose(g, _num_grad(_f, X), rtol=1e-6)
    np.testing.assert_allclose(hvp(V), hess @ V, rtol=1e-5)
    np.testing.assert_allclose(tn.hessian_tensor_product(loss)(X, W, V), hess @ V, rtol=1e-5)
    np.testing.assert_allclose(tn.hessian_vector_product(loss)(X, W, V), hess @ V, rtol=1e-5)


def test_jacobian_products_and_make_vjp_make_jvp():
    jac = np.stack([_num_grad(lambda x, i=i: tnp.tanh(tnp.dot(W, x))[i], X) for i in range(3)])
    f = lambda x: tnp.tanh(tnp.dot(W, x))       # noqa: E731
    np.testing.assert_allclose(tn.tensor_jacobian_product(f)(X, V), V @ jac, rtol=1e-6)
    np.testing.assert_allclose(tn.vector_jacobian_product(f)(X, V), V @ jac, rtol=1e-6)
    pullback, ans = tn.make_vjp(f)(X)            # HIPS's order: (vjp, ans)
    np.testing.assert_allclose(ans, np.tanh(W @ X), rtol=1e-12)
    np.testing.assert_allclose(pullback(V), V @ jac, rtol=1e-6)
    ans, tangent = tn.make_jvp(f)(X)(V)          # (ans, tangent)
    np.testing.assert_allclose(tangent, jac @ V, rtol=1e-6)
    # a Gauss-Newton product with g = half the squared norm: Jᵀ J v
    np.testing.assert_allclose(tn.make_ggnvp(f)(X)(V), jac.T @ jac @ V, rtol=1e-5)


def test_named_and_aux_gradients_and_argnum():
    np.testing.assert_allclose(tn.grad_named(loss, "w")(X, W), tn.grad(loss, argnums=1)(X, W))
    grads = tn.multigrad_dict(loss)(X, W)
    assert sorted(grads) == ["w", "x"]
    np.testing.assert_allclose(grads["x"], _num_grad(_f, X), rtol=1e-6)
    g, aux = tn.grad_and_aux(lambda x: (tnp.sum(x ** 2), "aux"))(X)
    assert aux == "aux"
    np.testing.assert_allclose(g, 2 * X)
    for transform in (tn.grad, tn.func.grad, tn.value_and_grad, tn.jacobian, tn.hessian, tn.func.jacrev,
                      tn.func.jacfwd):
        by_argnum = transform(loss, argnum=1)(X, W)
        by_argnums = transform(loss, argnums=1)(X, W)
        for a, b in zip(by_argnum if isinstance(by_argnum, tuple) else [by_argnum],
                        by_argnums if isinstance(by_argnums, tuple) else [by_argnums]):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_misuse_says_what_to_do():
    with pytest.raises(TypeError, match="argnum=0 and argnums=1 disagree"):
        tn.elementwise_grad(tnp.sin, 0, argnums=1)
    with pytest.raises(ValueError, match="no positional argument 'nope'"):
        tn.grad_named(loss, "nope")


# ---- turunan.extend --------------------------------------------------------------------------------------------
@primitive
def logsumexp(x, axis=None):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.sum(np.exp(x - m), axis=axis)) if axis is not None else \
        float(m.ravel()[0]) + np.log(np.sum(np.exp(x - m)))


def _lse_vjp(ans, x, axis=None):
    expanded = ans if axis is None else tnp.expand_dims(ans, axis)
    return lambda g: (g if axis is None else tnp.expand_dims(g, axis)) * tnp.exp(x - expanded)


defvjp(logsumexp, _lse_vjp)
defjvp(logsumexp, lambda g, ans, x, axis=None: tnp.sum(g * tnp.exp(x - (ans if axis is None else
                                                                         tnp.expand_dims(ans, axis))), axis=axis))


def test_a_users_primitive_records_one_node_and_differentiates_to_second_order():
    x = RNG.randn(2, 3)
    assert isinstance(logsumexp(x), (float, np.floating, np.ndarray))      # plain on arrays: nothing recorded
    t = tn.tensor(x, requires_grad=True)
    y = logsumexp(t, axis=1)
    assert y.grad_fn is not None and type(y.grad_fn).__name__ != "" and y.shape == (2,)
    tn.check_grads(lambda a: logsumexp(a, axis=1), (x,), order=2, modes=("rev", "fwd"))
    tn.check_grads(logsumexp, (x,), order=2, modes=("rev", "fwd"))


@primitive
def scale(x, c):
    return x * c


def test_a_primitive_without_a_rule_for_an_argument_says_so():
    defvjp(scale, lambda ans, x, c: lambda g: g * c)        # only x's rule
    x, c = tn.tensor(2.0, requires_grad=True), tn.tensor(3.0, requires_grad=True)
    with pytest.raises(NotImplementedError, match="no reverse rule for argument 1 of the primitive scale"):
        scale(x, c).backward()
    with pytest.raises(NotImplementedError, match="no forward rule for argument 0 of the primitive scale"):
        tn.func.jvp(lambda x: scale(x, 3.0), (2.0,), (1.0,))
    defvjp(scale, None, argnums=(1,))                        # c declared without gradient
    x.grad = None
    c2 = tn.tensor(3.0, requires_grad=True)
    scale(x, c2).backward()
    assert float(x.grad) == 3.0 and c2.grad is None
    with pytest.raises(TypeError, match="is not a turunan.extend.primitive"):
        defvjp(np.sin, lambda ans, x: lambda g: g)
    with pytest.raises(ValueError, match="2 rules given for argnums"):
        defvjp(scale, None, None, argnums=(0,))


def test_argnum_rules():
    @primitive
    def mul(a, b):
        return a * b
    defvjp_argnum(mul, lambda argnum, ans, args, kwargs: lambda g: g * args[1 - argnum])
    defjvp_argnum(mul, lambda argnum, g, ans, args, kwargs: g * args[1 - argnum])
    tn.check_grads(mul, (RNG.randn(3), RNG.randn(3)), order=2, modes=("rev", "fwd"))


# ---- against HIPS autograd itself --------------------------------------------------------------------------------
def test_the_same_numbers_as_hips_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def loss_a(x, w):
        return anp.sum(anp.tanh(anp.dot(w, x)) ** 2)

    def f_a(x):
        return anp.tanh(anp.dot(W, x))

    def f_t(x):
        return tnp.tanh(tnp.dot(W, x))

    pairs = [
        (tn.elementwise_grad(tnp.sin)(X), autograd.elementwise_grad(anp.sin)(X)),
        (tn.deriv(tnp.tanh)(X), autograd.deriv(anp.tanh)(X)),
        (tn.make_hvp(loss)(X, W)[0](V), autograd.make_hvp(loss_a)(X, W)[0](V)),
        (tn.hessian_tensor_product(loss)(X, W, V), autograd.hessian_tensor_product(loss_a)(X, W, V)),
        (tn.tensor_jacobian_product(f_t)(X, V), autograd.tensor_jacobian_product(f_a)(X, V)),
        (tn.make_ggnvp(f_t)(X)(V), autograd.make_ggnvp(f_a)(X)(V)),
        (tn.make_vjp(loss, 1)(X, W)[0](2.0), autograd.make_vjp(loss_a, 1)(X, W)[0](2.0)),
        (tn.make_jvp(f_t)(X)(V)[1], autograd.make_jvp(f_a)(X)(V)[1]),
        (tn.grad_named(loss, "w")(X, W), autograd.grad_named(loss_a, "w")(X, W)),
        (tn.grad(loss, argnum=1)(X, W), autograd.grad(loss_a, argnum=1)(X, W)),
        (tn.hessian(loss)(X, W), autograd.hessian(loss_a)(X, W)),
    ]
    for i, (ours, theirs) in enumerate(pairs):
        np.testing.assert_allclose(np.asarray(ours), theirs, rtol=1e-10, atol=1e-12, err_msg=f"pair {i}")
