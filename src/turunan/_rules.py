"""The derivative table: every primitive of turunan, one row each.

A row is ``name = defprim("name", forward_kernel, [vjp for each input], jvp)``. Reverse rules have the
signature ``(g, ans, *inputs, **params)``; they return the input's cotangent in the output's broadcast
shape (the engine sums it back) or ``None`` for zero. Rules are written with ``numpy`` functions and
operators, which Tensors also answer (``__array_function__``/``__array_ufunc__``): in a plain backward they
run on arrays and record nothing; with ``create_graph=True`` they run on Tensors and are recorded, which is
how gradients of gradients come for free. A rule that needs the output uses ``ans`` (a Tensor connected to
the graph in that mode), never a recomputation.

Forward rules are a tag where one fits:
- ``ELEMENTWISE``: the Jacobian is diagonal, so the tangent is the reverse rule applied to the tangent;
- ``LINEAR``: the op is linear in all inputs together, so the tangent is the op applied to the tangents;
- ``MULTILINEAR``: linear in each input separately (product rule);
or an explicit ``jvp(tangents, ans, *inputs, **params)``.

Everything not here is composed from these in ``turunan._ops`` and gets its derivatives for free.
"""

from __future__ import annotations

import numpy as np

from . import _batched, _core
from . import _batching as B
from ._array import (
    add_at,
    add_reduce,
    anywhere,
    c_copy,
    is_foreign,
    is_lazy,
    kind,
    ones_like,
    pointwise,
    refuse_device,
    refuse_lazy,
    zeros,
)
from ._array import broadcast_to as _broadcast_view
from ._core import Primitive

TABLE: dict[str, Primitive] = {}
ELEMENTWISE, LINEAR, MULTILINEAR = "elementwise", "linear", "multilinear"
REDUCTION = "reduction"   # out = reduce(x, axis, keepdims) whose reverse rule is unreduce(g) * weights
AXIS = "axis"             # batching: the op's ``axis`` parameter moves past the batch axes (turunan._batching)


def defprim(name: str, fwd, vjps=None, jvp=None, variadic: bool = False, view: bool = False, *, batch=None,
            inverse=None, display: str | None = None) -> Primitive:
    """Add a row to the table. ``vjps=None`` declares the op non-differentiable (comparisons, argmax).

    ``jvp`` is a forward rule or a tag (ELEMENTWISE, LINEAR, MULTILINEAR, REDUCTION); ``batch`` a batching rule
    (``turunan._batching``) or a tag (ELEMENTWISE, AXIS): the ELEMENTWISE and REDUCTION tags of ``jvp`` imply
    one. ``inverse(base, new_view, **params)`` is a view's inverse (an in-place change through the view rewrites
    the base with it); ``display`` the name a ``grad_fn`` shows (PyTorch's: ``Mul`` for ``MulBackward0``).
    """
    if batch is None and jvp in (ELEMENTWISE, REDUCTION):
        batch = ELEMENTWISE if jvp == ELEMENTWISE else AXIS
    if batch == ELEMENTWISE:
        batch = B.elementwise(fwd)
    elif batch == AXIS:
        batch = B.along_axis(fwd)
    if jvp == ELEMENTWISE:
        jvp = _elementwise_jvp(vjps)
    elif jvp == LINEAR:
        jvp = _linear_jvp(name)
    elif jvp == MULTILINEAR:
        jvp = _multilinear_jvp(name)
    elif jvp == REDUCTION:
        jvp = _reduction_jvp(vjps[0])
    prim = Primitive(name, fwd, vjps, jvp, variadic, view, batch=batch, inverse=inverse, display=display)
    TABLE[name] = prim
    return prim


def _elementwise_jvp(vjps):
    def jvp(tangents, ans, *args, **params):
        out = None
        for rule, t in zip(vjps, tangents):
            if t is not None and rule is not None:
                term = rule(t, ans, *args, **params)
                if term is not None:
                    out = term if out is None else out + term
        return out
    return jvp


def _zeros_for(x):
    if hasattr(x, "dtype"):
        return zeros(x.shape, x.dtype, like=x)
    return np.zeros_like(np.asarray(x))


def _linear_jvp(name):
    def jvp(tangents, ans, *args, **params):
        prim = TABLE[name]
        n = len(args) if prim.variadic else len(prim.vjps)   # later positional arguments are parameters
        return prim(*[t if t is not None else _zeros_for(a) if i < n else a
                      for i, (t, a) in enumerate(zip(tangents, args))], **params)
    return jvp


def _reduction_jvp(rule):
    """The reverse rule applied to ones gives d out / d x (input-shaped); the tangent is its weighted sum."""
    def jvp(tangents, ans, x, axis, keepdims):
        weights = rule(ones_like(ans), ans, x, axis=axis, keepdims=keepdims)
        return _real_tangent(sum_(weights * tangents[0], axis=axis, keepdims=keepdims), ans)
    return jvp


def _real_tangent(t, ans):
    """The tangent of a real output of complex inputs: the real part. A real-valued row's reverse rule gives the
    factor c with df = Re(c dz) (JAX's convention: c = df/dx - i df/dy), so its tangent is Re(c t), not c t."""
    if t is not None and kind(t) == "c" and kind(ans) != "c":
        return real(t)
    return t


def _ordered(x, y, op: str):
    """``x``, refused where ``x`` or ``y`` is complex: ``op``'s derivative compares values, and complex numbers
    have no order (NumPy's lexicographic one would give the gradient of no function: a wrong number)."""
    for a in (x, y):
        if a is not None and kind(a) == "c":
            raise TypeError(f"{op} has no derivative for complex input: its gradient compares values, "
                            "and complex numbers are not ordered; apply it to real values (e.g. abs(z) or real(z))")
    return x


def _multilinear_jvp(name):
    def jvp(tangents, ans, *args, **params):
        out = None
        for i, t in enumerate(tangents):
            if t is not None:
                term = TABLE[name](*args[:i], t, *args[i + 1:], **params)
                out = term if out is None else out + term
        return out
    return jvp


# ---- helpers the rules share (they work on arrays and Tensors alike) ----------------------------------
def _keep_shape(shape: tuple, axis) -> tuple:
    """``shape`` after a reduction over ``axis`` with keepdims=True."""
    if axis is None or not shape:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _unreduce(g, shape: tuple, axis, keepdims: bool):
    """Undo a reduction's shape change: put the reduced axes back as 1s, then broadcast to ``shape``."""
    if g.ndim == 0:
        return _broadcast_view(g, shape)    # a full reduction: a 0-d gradient, viewed at the input's shape
    if not keepdims:
        g = g.reshape(_keep_shape(shape, axis))
    return np.broadcast_to(g, shape)


def _reshape_vjp(g, ans, x, shape):
    return g.reshape(x.shape)


def _transpose_vjp(g, ans, x, axes):
    return np.transpose(g, _inverse_perm(axes, x.ndim))


def _with_reduced(a, shape: tuple, axis, keepdims: bool):
    """A reduction's result reshaped so that it broadcasts against the input."""
    return a if keepdims else a.reshape(_keep_shape(shape, axis))


def _swap_last(x):
    try:
        return x.mT     # ndarray's and Tensor's own attribute: np.swapaxes costs 0.35 us more per call
    except AttributeError:      # an array without it (Dask's)
        return np.swapaxes(x, -1, -2)


def _inverse_perm(axes, ndim: int) -> tuple:
    axes = tuple(range(ndim))[::-1] if axes is None else tuple(a % ndim for a in axes)
    return tuple(int(i) for i in np.argsort(axes))


def _sigmoid(x):
    # 1/(1+exp(-x)) overflows for large negative x; this form is exact and never overflows
    out = np.tanh(x * 0.5)
    out *= 0.5
    out += 0.5
    return out


def _relu(x):
    return np.maximum(x, 0)


def _prod_vjp(g, ans, x, axis, keepdims):
    """d prod / d x_i = product of the others. Dividing ans by x is exact unless some x_i is zero."""
    if is_lazy(x):      # looking for zeros would compute the Dask graph in the middle of backward
        return _unreduce(g, x.shape, axis, keepdims) * _prod_of_others(x, axis)
    if not anywhere(x == 0):
        return _unreduce(g, x.shape, axis, keepdims) * (_with_reduced(ans, x.shape, axis, keepdims) / x)
    # with zeros: the product of the others, computed directly (O(n^2) along the axis, rare path)
    ax = tuple(range(x.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    ax = tuple(a % x.ndim for a in ax)
    rest = [i for i in range(x.ndim) if i not in ax]
    xt = np.transpose(x, rest + list(ax))
    lead = tuple(x.shape[i] for i in rest)
    n = int(np.prod([x.shape[i] for i in ax])) if ax else 1
    flat = xt.reshape(lead + (1, n))
    eye = np.eye(n, dtype=bool)
    others = np.prod(np.where(eye, 1, flat), axis=-1)                    # lead + (n,)
    full = others.reshape(lead + tuple(x.shape[i] for i in ax))
    full = np.transpose(full, _inverse_perm(rest + list(ax), x.ndim))
    return _unreduce(g, x.shape, axis, keepdims) * full


def _prod_of_others(x, axis):
    """prod_{j != i} x_j over ``axis`` (None: all), without a division and without looking at the values: the
    product of the entries before i times the product of those after it (exclusive cumulative products), O(n)."""
    if axis is None or isinstance(axis, tuple):
        flat_axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
        rest = [i for i in range(x.ndim) if i not in flat_axes]
        xt = np.transpose(x, rest + list(flat_axes))
        moved = xt.shape
        out = _prod_of_others(xt.reshape(moved[:len(rest)] + (-1,)), -1).reshape(moved)
        return np.transpose(out, _inverse_perm(rest + list(flat_axes), x.ndim))
    ones = ones_like(np.take(x, [0], axis=axis))
    before = np.cumprod(np.concatenate([ones, np.take(x, np.arange(x.shape[axis] - 1), axis=axis)], axis), axis)
    flipped = np.flip(x, axis)
    after = np.cumprod(np.concatenate([ones, np.take(flipped, np.arange(x.shape[axis] - 1), axis=axis)], axis),
                       axis)
    return before * np.flip(after, axis)


def _extreme_vjp(g, ans, x, axis, keepdims):
    """Gradient of max/min: split evenly between ties, as PyTorch's amax/amin do.

    NOTE (NaN): NumPy's max and min propagate a NaN, and no entry equals a NaN result; its gradient goes to the
    NaN entries (split between them), as PyTorch's max() and min() give it ([1, nan, 2] -> [0, 1, 0]).
    PyTorch's amax/amin give NaN to every entry of such a slice instead, which would poison the other inputs.
    """
    hit = _ordered(x, None, "max/min") == _with_reduced(ans, x.shape, axis, keepdims)
    if is_lazy(ans) or anywhere(np.isnan(ans)):     # rare; looked for in the (reduced) result only
        hit = hit | np.isnan(x)     # where a slice's result is not NaN, that slice holds no NaN
    hit = hit.astype(x.dtype)
    count = np.sum(hit, axis=axis, keepdims=True)
    return _unreduce(g, x.shape, axis, keepdims) * (hit / count)


def _power_vjp_x(g, ans, x, y):
    """d/dx x**y = y x**(y-1), taken as 0 where y == 0 (also at x == 0, where it reads 0 * inf), as PyTorch.
    There the exponent y - 1 is replaced by 1 before the power is taken, so that no 0 * inf is ever formed, not
    even in the branch a where discards: its derivative (second order) would be NaN (HIPS autograd's safe form)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(y, (int, float)):     # a Python exponent (x ** 2.0): no where needed, no array made
            # zeros, not None: a leaf reached only through x ** 0 gets a zero .grad, as in PyTorch
            return np.where(True, 0, g) if y == 0 else g * y * x ** (y - 1)
        return np.where(y == 0, 0, g * y * x ** np.where(y == 0, 1, y - 1))


def _power_vjp_y(g, ans, x, y):
    """d/dy x**y = x**y log x. NOTE: 0 at x == 0 where y >= 0 (ans is 0 or 1 there; the safe where keeps log(0)
    out of the second derivative too); at x == 0 with y < 0 it is inf * log 0 = -inf, as PyTorch gives."""
    with np.errstate(divide="ignore"):
        return g * ans * np.log(np.where(np.logical_and(x == 0, y >= 0), 1, x))    # x may be a Python number


def _scatter_add(g, shape, index, basic):
    out = zeros(shape, g.dtype, like=g)
    if basic:
        out[index] = g              # basic indexing never repeats an element
    else:
        out = add_at(out, index, g)     # advanced indexing may: repeated indices accumulate (np.add.at on NumPy)
    return out


def _index_update(x, v, index):
    out = x.copy()
    out[index] = v
    return out


def _concat_vjp(g, ans, *xs, index, axis, sizes):
    start = sum(sizes[:index])
    sl = [slice(None)] * g.ndim
    sl[axis] = slice(start, start + sizes[index])    # axis is >= 0 (turunan._ops.concatenate)
    return g[tuple(sl)]


def _einsum_vjp(g, ans, *ops, index, spec):
    ins, out = spec.split("->")
    ins = ins.split(",")
    target = ins[index]
    if len(set(target)) != len(target):
        raise NotImplementedError(f"einsum gradient for an operand with a repeated subscript ({target!r}) is not "
                                  "supported; take the diagonal with explicit indexing first")
    others = [s for j, s in enumerate(ins) if j != index]
    have = set(out).union(*others) if others else set(out)
    keep = "".join(c for c in target if c in have)
    grad = np.einsum(",".join([out] + others) + "->" + keep, g, *[o for j, o in enumerate(ops) if j != index])
    if keep != target:   # letters summed only inside this operand: its gradient is constant along them
        shape = ops[index].shape
        grad = grad.reshape(tuple(shape[i] if c in have else 1 for i, c in enumerate(target)))
        grad = np.broadcast_to(grad, shape)
    return grad


def _cumsum_vjp(g, ans, x, axis):
    flip = tuple(slice(None, None, -1) if i == axis % g.ndim else slice(None) for i in range(g.ndim))
    return np.cumsum(g[flip], axis=axis)[flip]


def _astype_vjp(g, ans, x, dtype):
    x_kind = kind(x)
    if x_kind not in "fc":
        return None
    if x_kind == "f" and kind(g) == "c":     # a real input cast to complex: the real part (JAX's convention)
        g = real(g)
    return g.astype(x.dtype)


def _astype_jvp(tangents, ans, x, dtype):
    t = tangents[0]     # a complex tangent cast to a real dtype: its real part, without NumPy's ComplexWarning
    return None if t is None else astype(_real_tangent(t, ans), dtype=dtype)


def _abs_vjp(g, ans, x):
    """abs'(x) = sign(x) for real x (sign(NaN) = 0, as PyTorch's sgn); for complex z, d|z| = Re(conj(z)/|z| dz):
    the factor conj(z)/|z|, taken as 0 at z = 0 (as HIPS autograd and JAX)."""
    if kind(x) == "c":
        return g * (conj(x) / np.where(x == 0, 1, absolute(x)))
    return g * (x > 0) - g * (x < 0)


def _angle_vjp(g, ans, x):
    """d angle(z) = Im(dz / z) = Re(-i/z dz): the factor -i/z; a real input's angle (0 or pi) is constant."""
    return None if kind(x) != "c" else g * (-1j / x)


def _conj_if_complex(x):
    return conj(x) if kind(x) == "c" else x


def _norm2(x, axis, keepdims):
    sq = x * x if x.dtype.kind != "c" else x.real * x.real + x.imag * x.imag    # |x|², not x²
    return np.sqrt(add_reduce(sq, axis, keepdims))


def _matrix_norm2(x):
    return np.linalg.norm(x, ord=2, axis=(-2, -1))


def _matrix_norm2_vjp(g, ans, x):
    if not (isinstance(x, np.ndarray) or is_foreign(x)):     # a Tensor: a recorded (second-order) backward
        raise NotImplementedError("the spectral norm (matrix norm with ord=2) has a first derivative only; "
                                  "for higher orders use ord='fro' or compute it from turunan ops")
    u, _, vt = np.linalg.svd(x)
    return g[..., None, None] * np.conj(u[..., :, :1] @ vt[..., :1, :])     # d sigma = Re(conj(u v^H) dX)


# ---- the table -------------------------------------------------------------------------------------------
#                 name          forward         reverse rule for each input                                  forward
add = defprim("add", np.add, [lambda g, ans, x, y: g, lambda g, ans, x, y: g], ELEMENTWISE)
subtract = defprim("subtract", np.subtract, [lambda g, ans, x, y: g, lambda g, ans, x, y: -g], ELEMENTWISE,
                   display="Sub")
multiply = defprim("multiply", np.multiply, [lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x], MULTILINEAR,
                   batch=ELEMENTWISE, display="Mul")
# NOTE: y's rule reads x and y, not ans (PyTorch's div saves its inputs too): an in-place change of the quotient
# (q = a / b; q.fill_(0)) must not make the graph refuse a backward that PyTorch allows
divide = defprim("divide", np.true_divide, [lambda g, ans, x, y: g / y,
                                            lambda g, ans, x, y: -(g / y) * (x / y)], ELEMENTWISE,
                 display="Div")
power = defprim("power", np.power, [_power_vjp_x, _power_vjp_y], ELEMENTWISE, display="Pow")
negative = defprim("negative", np.negative, [lambda g, ans, x: -g], LINEAR, batch=ELEMENTWISE, display="Neg")
exp = defprim("exp", np.exp, [lambda g, ans, x: g * ans], ELEMENTWISE)
expm1 = defprim("expm1", np.expm1, [lambda g, ans, x: g * (ans + 1)], ELEMENTWISE)
log = defprim("log", np.log, [lambda g, ans, x: g / x], ELEMENTWISE)
log1p = defprim("log1p", np.log1p, [lambda g, ans, x: g / (x + 1)], ELEMENTWISE)
sqrt = defprim("sqrt", np.sqrt, [lambda g, ans, x: g * 0.5 / ans], ELEMENTWISE)
square = defprim("square", np.square, [lambda g, ans, x: g * 2 * x], ELEMENTWISE)
sin = defprim("sin", np.sin, [lambda g, ans, x: g * np.cos(x)], ELEMENTWISE)
# NOTE on the order of operations in rules: in a plain backward NumPy reuses a temporary's memory for the
# next operation (-np.sin(x) and g * it write into sin's result): fewer fresh arrays, fewer page faults
cos = defprim("cos", np.cos, [lambda g, ans, x: g * -np.sin(x)], ELEMENTWISE)
tan = defprim("tan", np.tan, [lambda g, ans, x: g * (1 + ans * ans)], ELEMENTWISE)
tanh = defprim("tanh", np.tanh, [lambda g, ans, x: g * -(ans * ans - 1)], ELEMENTWISE)   # = 1 - ans², bit for bit
sigmoid = defprim("sigmoid", _sigmoid, [lambda g, ans, x: g * (ans * (1 - ans))], ELEMENTWISE)
softplus = defprim("softplus", lambda x: np.logaddexp(x, 0), [lambda g, ans, x: g * sigmoid(x)], ELEMENTWISE)
# NOTE: relu'(0) = 0, as in PyTorch; maximum(x, 0) would give 0.5 there (ties split evenly). relu(NaN) is NaN
# and passes the gradient (PyTorch's threshold_backward keeps it wherever the output is not <= 0): ans is >= 0
# or NaN, so `ans != 0` is PyTorch's mask, at the cost of `ans > 0`
relu = defprim("relu", _relu, [lambda g, ans, x: g * (_ordered(ans, None, "relu") != 0)], ELEMENTWISE)
# NOTE: abs'(x) = sign(x), with sign(NaN) = 0 as PyTorch's sgn (NumPy's sign(NaN) is NaN)
absolute = defprim("absolute", np.abs, [_abs_vjp],
                   lambda tangents, ans, x: _real_tangent(_abs_vjp(tangents[0], ans, x), ans), batch=ELEMENTWISE,
                   display="Abs")
# NOTE: ties split the gradient evenly; where an operand is NaN (the result is NaN) both sides get all of it, as in
# PyTorch (its rule zeroes a side only where that side is the strictly smaller one, for maximum)
maximum = defprim("maximum", np.maximum, [lambda g, ans, x, y: np.where(_ordered(x, y, "maximum") < y, 0,
                                                                   np.where(x == y, g * 0.5, g)),
                                          lambda g, ans, x, y: np.where(_ordered(y, x, "maximum") < x, 0,
                                                                        np.where(x == y, g * 0.5, g))],
                  ELEMENTWISE)
minimum = defprim("minimum", np.minimum, [lambda g, ans, x, y: np.where(_ordered(x, y, "minimum") > y, 0,
                                                                   np.where(x == y, g * 0.5, g)),
                                          lambda g, ans, x, y: np.where(_ordered(y, x, "minimum") > x, 0,
                                                                        np.where(x == y, g * 0.5, g))],
                  ELEMENTWISE)
# clip(x, lo, hi) = min(max(x, lo), hi), bounds that may be tensors (PyTorch's clamp.Tensor): x takes the gradient
# inside [lo, hi], bounds included; lo where x < lo < hi; hi where x > hi or hi < lo (then the result is hi)
clip = defprim("clip", lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
               [lambda g, ans, x, lo, hi: np.where((_ordered(x, lo, "clip") >= lo) & (x <= hi), g, 0),
                lambda g, ans, x, lo, hi: np.where((_ordered(x, lo, "clip") < lo) & (lo < hi), g, 0),
                lambda g, ans, x, lo, hi: np.where((_ordered(x, hi, "clip") > hi) | (hi < lo), g, 0)], ELEMENTWISE)
where = defprim("where", np.where, [None, lambda g, ans, c, x, y: np.where(c, g, 0),
                                    lambda g, ans, c, x, y: np.where(c, 0, g)], ELEMENTWISE)

sum_ = defprim("sum", add_reduce,
              [lambda g, ans, x, axis, keepdims: _unreduce(g, x.shape, axis, keepdims)], LINEAR, batch=AXIS)
prod = defprim("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims), [_prod_vjp], REDUCTION)
amax = defprim("amax", lambda x, axis, keepdims: np.amax(x, axis=axis, keepdims=keepdims), [_extreme_vjp],
               REDUCTION)
amin = defprim("amin", lambda x, axis, keepdims: np.amin(x, axis=axis, keepdims=keepdims), [_extreme_vjp],
               REDUCTION)
logsumexp = defprim("logsumexp", lambda x, axis, keepdims: _logsumexp(x, axis, keepdims),
                    [lambda g, ans, x, axis, keepdims:
                     _unreduce(g, x.shape, axis, keepdims) * np.exp(x - _with_reduced(ans, x.shape, axis, keepdims))],
                    REDUCTION)
# a primitive for speed (one op where sqrt(sum(x*x)) records three) and for the point x = 0, where the 2-norm
# has no derivative: the composite gave NaN there, this rule gives 0, as PyTorch does
norm2 = defprim("norm2", _norm2,
                [lambda g, ans, x, axis, keepdims: _unreduce(g, x.shape, axis, keepdims)
                 * (_conj_if_complex(x) / _with_reduced(np.where(ans == 0, 1, ans), x.shape, axis, keepdims))],
                REDUCTION)
# a primitive for speed (one node and fewer passes than x - logsumexp(x), the hot end of every classifier)
log_softmax = defprim("log_softmax", lambda x, axis: _log_softmax(x, axis),
                      [lambda g, ans, x, axis: g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)],
                      lambda tangents, ans, x, axis:
                      tangents[0] - np.sum(np.exp(ans) * tangents[0], axis=axis, keepdims=True), batch=AXIS)
cumsum = defprim("cumsum", lambda x, axis: np.cumsum(x, axis=axis), [_cumsum_vjp], LINEAR, batch=AXIS)

matmul = defprim("matmul", np.matmul, [lambda g, ans, x, y: g @ _swap_last(y),
                                       lambda g, ans, x, y: _swap_last(x) @ g], MULTILINEAR,
                 batch=B.matmul, display="Mm")
einsum = defprim("einsum", lambda *ops, spec: np.einsum(spec, *ops, optimize=len(ops) > 2), [_einsum_vjp],
                 MULTILINEAR, variadic=True, batch=B.einsum)
matrix_norm2 = defprim("matrix_norm2", _matrix_norm2, [_matrix_norm2_vjp],
                       lambda tangents, ans, x: _real_tangent(np.sum(_matrix_norm2_vjp(np.ones_like(ans), ans, x)
                                                                     * tangents[0], axis=(-2, -1)), ans),
                       batch=ELEMENTWISE)

reshape = defprim("reshape", lambda x, shape: np.reshape(x, shape), [_reshape_vjp], LINEAR, view=True,
                  batch=B.reshape, inverse=lambda base, view, shape: reshape(view, shape=base.shape))
transpose = defprim("transpose", lambda x, axes: np.transpose(x, axes), [_transpose_vjp], LINEAR, view=True,
                    batch=B.transpose,
                    inverse=lambda base, view, axes: transpose(view, axes=_inverse_perm(axes, base.ndim)))
def _broadcast_to(x, shape):
    # a view that may be written, as PyTorch's expand (NumPy's broadcast_to is read-only); writes that would land
    # on one element twice are refused before they happen (turunan._ops._inplace)
    view = np.broadcast_to(x, shape)
    if not isinstance(x, np.ndarray) or not x.flags.writeable:
        return view
    return np.lib.stride_tricks.as_strided(x, view.shape, view.strides, writeable=True)


def _unbroadcast_view(base, view, shape):
    # one copy of each element (in-place writes that differ between copies were refused: turunan._ops._inplace)
    lead = view.ndim - base.ndim
    index = (0,) * lead + tuple(slice(0, 1) if n == 1 and m != 1 else slice(None)
                                for n, m in zip(base.shape, view.shape[lead:]))
    return getitem(view, index=index + (Ellipsis,), basic=True)


broadcast_to = defprim("broadcast_to", _broadcast_to,
                       [lambda g, ans, x, shape: g], LINEAR, view=True,   # the engine sums g back to x's shape
                       batch=B.broadcast_to(_broadcast_to), inverse=_unbroadcast_view, display="Expand")
concatenate = defprim("concatenate", lambda *xs, axis, sizes: np.concatenate(xs, axis=axis), [_concat_vjp],
                      LINEAR, variadic=True, batch=B.concatenate, display="Cat")
def _getitem(x, index, basic):
    # advanced indexing on a later axis lays NumPy's result out in another order; PyTorch's is C-contiguous, and
    # whether a later reshape or ravel is a view (so whether a write through it reaches this result) follows that
    if type(x) is np.ndarray:
        out = x[index]
        return out if basic or out.flags.c_contiguous else c_copy(out)
    if not basic and is_lazy(x) and pointwise(index):
        for i in index:
            refuse_lazy(i, "picking x[rows, cols] with index arrays held in Dask arrays",
                        "Dask's vindex takes NumPy index arrays only (compute the labels: they are small)")
        out = x.vindex[index]
    else:
        out = x[index]
    return out if basic or getattr(out, "flags", None) is None or out.flags.c_contiguous \
        else c_copy(out)    # of its own array type (np.ascontiguousarray would make a CuPy array a NumPy one)


getitem = defprim("getitem", _getitem,
                  [lambda g, ans, x, index, basic: scatter_add(g, x.shape, index, basic)], LINEAR, view=True,
                  batch=B.getitem, inverse=lambda base, view, index, basic: index_update(base, view, index=index),
                  display="Index")
scatter_add = defprim("scatter_add", _scatter_add,
                      [lambda g, ans, v, shape, index, basic: getitem(g, index, basic)], LINEAR,
                      batch=B.scatter_add)
index_update = defprim("index_update", _index_update,
                       # the mask through the row (not its kernel): an index that differs per example batches
                       [lambda g, ans, x, v, index: g * index_update(ones_like(g, bool), False, index=index),
                        lambda g, ans, x, v, index: getitem(g, index, False)], LINEAR,
                       batch=B.index_update, display="IndexPut")
def _diagonal_index(shape, offset):
    r0, c0 = max(-offset, 0), max(offset, 0)
    steps = np.arange(max(0, min(shape[-2] - r0, shape[-1] - c0)))
    return (Ellipsis, steps + r0, steps + c0)


def _diagonal_view(x, offset):
    """The ``offset`` diagonal of the last two axes as a view of ``x``'s memory (PyTorch's ``diagonal`` is one: a
    write through it reaches ``x``), writable where ``x`` is; NumPy's own diagonal is a read-only view."""
    if type(x) is not np.ndarray and is_foreign(x):     # CuPy's diagonal is a view already (writable: CuPy has no
        return np.diagonal(x, offset, -2, -1)           # read-only arrays); Dask's a new array. No as_strided there
    r0, c0 = max(-offset, 0), max(offset, 0)
    count = max(0, min(x.shape[-2] - r0, x.shape[-1] - c0))
    start = x[..., r0:, c0:]
    return np.lib.stride_tricks.as_strided(start, start.shape[:-2] + (count,),
                                           start.strides[:-2] + (start.strides[-2] + start.strides[-1],))


# the diagonal of the last two axes (turunan._indexing.diagonal moves the planes there): a view, as PyTorch's
diagonal = defprim("diagonal", _diagonal_view,
                   [lambda g, ans, x, offset: scatter_add(g, x.shape, index=_diagonal_index(x.shape, offset),
                                                          basic=False)], LINEAR, view=True, batch=ELEMENTWISE,
                   inverse=lambda base, view, offset: index_update(base, view,
                                                                   index=_diagonal_index(base.shape, offset)))


# the identity, recorded: turunan.func gives a jvp's input its own node with it, to carry a new tangent
alias = defprim("alias", lambda x: x, [lambda g, ans, x: g], lambda tangents, ans, x: tangents[0],
                batch=ELEMENTWISE)
# a copy cannot be composed: x * 1 keeps the input's memory order (a transposed input gives a transposed result)
copy = defprim("copy", c_copy, [lambda g, ans, x: g], LINEAR,
               batch=ELEMENTWISE, display="Clone")
# NOTE: a cast to an integer or bool dtype has no gradient (the rule gives None), as in PyTorch
astype = defprim("astype", lambda x, dtype: x.astype(dtype), [_astype_vjp], _astype_jvp, batch=ELEMENTWISE,
                 display="ToCopy")
cast = defprim("cast", lambda x, dtype: x.astype(dtype), batch=ELEMENTWISE, display="ToCopy")   # to ints or bools

# ---- complex numbers: JAX's and HIPS autograd's convention (checked in tests/test_complex.py) ------------------
# The cotangent of z = x + iy is df/dx - i df/dy, so holomorphic rows (exp, mul, matmul...) carry no conjugation:
# g f'(z). These rows are only R-linear, or real-valued (abs, angle, norm2 above): rules of their own. A real input
# of a complex result gets the real part of its cotangent from the engine (turunan._core.complex_node).
real = defprim("real", lambda x: c_copy(np.real(x)), [lambda g, ans, x: g], LINEAR, batch=ELEMENTWISE)
imag = defprim("imag", lambda x: c_copy(np.imag(x)),
               [lambda g, ans, x: g * -1j if kind(x) == "c" else None], LINEAR, batch=ELEMENTWISE)
conj = defprim("conj", np.conjugate, [lambda g, ans, x: conj(g)], LINEAR, batch=ELEMENTWISE)
angle = defprim("angle", np.angle, [_angle_vjp],
                lambda tangents, ans, x: _real_tangent(_angle_vjp(tangents[0], ans, x), ans), batch=ELEMENTWISE)
_core.real_part = real


def _log_softmax(x, axis):
    # NOTE: shifted by the maximum even where it is infinite, as PyTorch: a slice holding +inf gives NaN (inf - inf),
    # [inf, 0] -> [nan, nan]; one of only -inf gives NaN too. Slices that hold a finite maximum are exact
    top = np.amax(x, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        shifted = x - top
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _logsumexp(x, axis, keepdims):
    top = np.amax(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


# no gradient: their outputs are integers or booleans, constant almost everywhere
NONDIFF = {name: defprim(name, fn, batch=ELEMENTWISE) for name, fn in {
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal, "logical_and": np.logical_and,
    "logical_or": np.logical_or, "logical_xor": np.logical_xor, "logical_not": np.logical_not,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "sign": np.sign, "floor": np.floor,
    "ceil": np.ceil, "round": np.round, "trunc": np.trunc, "floor_divide": np.floor_divide,
}.items()}
for _name, _fn in {"argmax": lambda x, axis, keepdims: np.argmax(x, axis=axis, keepdims=keepdims),
                   "argmin": lambda x, axis, keepdims: np.argmin(x, axis=axis, keepdims=keepdims)}.items():
    NONDIFF[_name] = defprim(_name, _fn, batch=B.arg_reduction(_fn))
for _name, _fn in {"all": lambda x, axis, keepdims: np.all(x, axis=axis, keepdims=keepdims),
                   "any": lambda x, axis, keepdims: np.any(x, axis=axis, keepdims=keepdims)}.items():
    NONDIFF[_name] = defprim(_name, _fn, batch=AXIS)


def _argsort(x, axis, descending):
    """Stable: equal elements keep their order (NaN sorts as largest); descending too (the reversed axis sorted
    ascending, read backwards, mapped back)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis] if x.ndim else 1
    return n - 1 - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


NONDIFF["argsort"] = defprim("argsort", _argsort, batch=AXIS)
remainder = defprim("remainder", np.remainder, [lambda g, ans, x, y: g,
                                                lambda g, ans, x, y: -g * np.floor_divide(x, y)], ELEMENTWISE)


# ---- nn: sliding windows, for convolution and pooling (turunan.nn) ---------------------------------------
# Added for speed (docs/design.md, principle 1): a convolution is one matmul over every window of the input, and
# these two rows are the windows and their adjoint. Each is linear and the other's transpose, so each one's reverse
# rule is the other: gradients of any order come for free. The kernels run on arrays only (``apply`` unwraps).
def _pad_hw(x, padding, value):
    ph, pw = padding
    if not (ph or pw):
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _im2col(x, kernel, stride, padding, value):
    """(N, C, H, W) -> (N, OH, OW, C, KH, KW): every window copied out once, laid out for one big matmul."""
    win = np.lib.stride_tricks.sliding_window_view(_pad_hw(x, padding, value), kernel, axis=(2, 3))
    win = win[:, :, ::stride[0], ::stride[1]]
    return c_copy(win.transpose(0, 2, 3, 1, 4, 5))


def _col2im(g, shape, kernel, stride, padding):
    """The adjoint of ``_im2col``: add each window back where it came from (KH*KW strided slice-adds)."""
    n, oh, ow, c, kh, kw = g.shape
    (h, w), (sh, sw), (ph, pw) = shape, stride, padding
    out = zeros((n, c, h + 2 * ph, w + 2 * pw), g.dtype, like=g)
    gt = g.transpose(0, 3, 4, 5, 1, 2)      # (N, C, KH, KW, OH, OW): one (OH, OW) plane per kernel offset
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += gt[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w]


im2col = defprim("im2col", _im2col,
                 [lambda g, ans, x, kernel, stride, padding, value:
                  col2im(g, shape=x.shape[2:], kernel=kernel, stride=stride, padding=padding)],
                 # the padding value (-inf for max pooling) is a constant: tangents are padded with zeros
                 lambda tangents, ans, x, kernel, stride, padding, value:
                 im2col(tangents[0], kernel=kernel, stride=stride, padding=padding, value=0.0),
                 batch=B.flattened(_im2col))
col2im = defprim("col2im", _col2im,
                 [lambda g, ans, cols, shape, kernel, stride, padding:
                  im2col(g, kernel=kernel, stride=stride, padding=padding, value=0.0)], LINEAR,
                 batch=B.flattened(_col2im))


# ---- added for the PyTorch front door (turunan.torch): cumprod, log2, exp2 ---------------------------------
# cumprod is a row because its exact derivative at zeros cannot be composed cheaply: the usual rule divides by
# x. Where x has no zero the rules are O(n); where it has one, they use C[k, i] = prod_{j <= i, j != k} x_j
# (a cumprod of an n x n matrix along the axis, no division), exact to any order, O(n^2) memory (rare path).
def _cumprod_others(x, axis):
    """C[..., k, i] = prod_{j <= i, j != k} x_j, for the axis moved last; and the mask i >= k."""
    n = x.shape[axis]
    rows = np.where(np.eye(n, dtype=bool), 1, np.expand_dims(np.moveaxis(x, axis, -1), -2))   # x_j, 1 at j = k
    return cumprod(rows, axis=-1), np.triu(np.ones((n, n), dtype=bool))


def _cumprod_vjp(g, ans, x, axis):
    refuse_lazy(x, "the gradient of cumprod", "it must know where x is zero to choose an exact formula")
    if not anywhere(x == 0):
        return _cumsum_vjp(g * ans, ans, x, axis) / x      # sum_{i >= k} g_i y_i / x_k
    others, later = _cumprod_others(x, axis)
    gm = np.expand_dims(np.moveaxis(g, axis, -1), -2)                   # g_i, along the last axis
    return np.moveaxis(np.sum(np.where(later, gm * others, 0), axis=-1), -1, axis)


def _cumprod_jvp(tangents, ans, x, axis):
    v = tangents[0]
    refuse_lazy(x, "the derivative of cumprod", "it must know where x is zero to choose an exact formula")
    if not anywhere(x == 0):
        return ans * np.cumsum(v / x, axis=axis)
    others, later = _cumprod_others(x, axis)
    vm = np.expand_dims(np.moveaxis(v, axis, -1), -1)                   # v_k, along the second-last axis
    return np.moveaxis(np.sum(np.where(later, others * vm, 0), axis=-2), -1, axis)


_LN2 = 0.6931471805599453   # a Python float: it keeps float32 rules in float32
cumprod = defprim("cumprod", lambda x, axis: np.cumprod(x, axis=axis), [_cumprod_vjp], _cumprod_jvp, batch=AXIS)
log2 = defprim("log2", np.log2, [lambda g, ans, x: g / (x * _LN2)], ELEMENTWISE)
exp2 = defprim("exp2", np.exp2, [lambda g, ans, x: g * ans * _LN2], ELEMENTWISE)


# ---- NumPy parity (turunan.numpy): the functions HIPS autograd and JAX differentiate ------------------------
# Rows, not compositions, where the composition would give other numbers than NumPy's kernel: sinh as
# (exp(x) - exp(-x)) / 2 cancels for small x, log10 as log(x) / ln 10 is 2.9999999999999996 at 1000, hypot as
# sqrt(x² + y²) overflows, logaddexp as max + log1p(exp(-|x - y|)) differs in the last bit. Each kernel is NumPy's
# own; the rules are the textbook derivatives, written with ops that record (any order).
_LN10 = 2.302585092994046   # a Python float: it keeps float32 rules in float32
sinh = defprim("sinh", np.sinh, [lambda g, ans, x: g * np.cosh(x)], ELEMENTWISE)
cosh = defprim("cosh", np.cosh, [lambda g, ans, x: g * np.sinh(x)], ELEMENTWISE)
# (1 - x)(1 + x) rather than 1 - x²: exact near |x| = 1, where the derivative is steepest
arcsin = defprim("arcsin", np.arcsin, [lambda g, ans, x: g / np.sqrt((1 - x) * (1 + x))], ELEMENTWISE)
arccos = defprim("arccos", np.arccos, [lambda g, ans, x: -g / np.sqrt((1 - x) * (1 + x))], ELEMENTWISE)
arctan = defprim("arctan", np.arctan, [lambda g, ans, x: g / (1 + x * x)], ELEMENTWISE)
arcsinh = defprim("arcsinh", np.arcsinh, [lambda g, ans, x: g / np.sqrt(x * x + 1)], ELEMENTWISE)
arccosh = defprim("arccosh", np.arccosh, [lambda g, ans, x: g / np.sqrt((x - 1) * (x + 1))], ELEMENTWISE)
arctanh = defprim("arctanh", np.arctanh, [lambda g, ans, x: g / ((1 - x) * (1 + x))], ELEMENTWISE)
arctan2 = defprim("arctan2", np.arctan2, [lambda g, ans, y, x: g * x / (x * x + y * y),
                                          lambda g, ans, y, x: g * -y / (x * x + y * y)], ELEMENTWISE)
# NOTE: at x = y = 0 the derivative does not exist; these give NaN there (0 / 0), as HIPS autograd's
hypot = defprim("hypot", np.hypot, [lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans],
                ELEMENTWISE)
log10 = defprim("log10", np.log10, [lambda g, ans, x: g / (x * _LN10)], ELEMENTWISE)
logaddexp = defprim("logaddexp", np.logaddexp, [lambda g, ans, x, y: g * np.exp(x - ans),
                                                lambda g, ans, x, y: g * np.exp(y - ans)], ELEMENTWISE)
logaddexp2 = defprim("logaddexp2", np.logaddexp2, [lambda g, ans, x, y: g * np.exp2(x - ans),
                                                   lambda g, ans, x, y: g * np.exp2(y - ans)], ELEMENTWISE)
# fmod(x, y) = x - trunc(x / y) y (C's remainder, the sign of x); remainder's quotient is floored instead
fmod = defprim("fmod", np.fmod, [lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.trunc(x / y)], ELEMENTWISE)


# sinc(x) = sin(πx) / (πx), 1 at 0. Its derivative s1 = (cos(πx) - sinc(x)) / x is a row of its own, so that at
# x = 0 (where that formula is 0 / 0) both s1 = 0 and s1' = sinc''(0) = -π²/3 are exact; elsewhere s1' comes from
# the equation x·sinc = sin(πx)/π differentiated twice: s1' = -π² sinc - 2 s1 / x.
# NOTE: at exactly x = 0 derivatives of order 3 and above are taken as 0 (the third is; the fourth is π⁴/5), and
# near 0 (|x| < 1e-3) the third loses digits to cancellation (d/dx of s1 / x); orders 1 and 2 are exact
_PI = 3.141592653589793


def _sinc_d1(x):
    # near 0, (cos(πx) - sinc(x)) / x cancels (all digits lost at x = 1e-9): there its Maclaurin series, whose next
    # term is below 1e-13 of the sum for |x| < 0.1, where the quotient has lost fewer than 1e-14
    small = np.abs(x) < 0.1
    t = _PI * np.where(small, x, 0)
    t2 = t * t
    series = _PI * t * (-1 / 3 + t2 * (1 / 30 + t2 * (-1 / 840 + t2 * (1 / 45360 + t2 * (-1 / 3991680)))))
    safe = np.where(small, 1, x)
    return np.where(small, series, (np.cos(_PI * safe) - np.sinc(safe)) / safe)


def _sinc_d2(x, d1):
    zero = x == 0
    safe = np.where(zero, 1, x)
    return np.where(zero, -_PI * _PI / 3, -(_PI * _PI) * sinc(x) - 2 * d1 / safe)


sinc = defprim("sinc", np.sinc, [lambda g, ans, x: g * sinc_d1(x)], ELEMENTWISE)
sinc_d1 = defprim("sinc_d1", _sinc_d1, [lambda g, ans, x: g * _sinc_d2(x, ans)], ELEMENTWISE,
                  display="SincGrad")
NONDIFF["signbit"] = defprim("signbit", np.signbit, batch=ELEMENTWISE)     # no gradient: a bool


# ---- erf: for the exact GELU (PyTorch's default). NumPy has no erf, and it cannot be composed from the table;
# the kernel is SciPy's ufunc where SciPy is installed, else Python's math.erf element by element (exact, slower)
_erf_ufunc = None


def _erf(x):
    global _erf_ufunc
    if _erf_ufunc is None:
        try:
            from scipy.special import erf as _erf_ufunc
        except ImportError:
            import math
            _py_erf = np.frompyfunc(math.erf, 1, 1)
            def _erf_ufunc(a):  # noqa: E306
                refuse_device("erf without SciPy (Python's math.erf, element by element)", a)
                a = np.asarray(a)
                dt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
                return np.asarray(_py_erf(a), dtype=dt)
    return _erf_ufunc(x)


_TWO_OVER_SQRT_PI = 1.1283791670955126   # a Python float: it keeps float32 rules in float32
erf = defprim("erf", _erf, [lambda g, ans, x: g * (_TWO_OVER_SQRT_PI * np.exp(-(x * x)))], ELEMENTWISE)


# GELU, both of PyTorch's forms, as rows: one node instead of seven, and (as PyTorch's) a node that keeps its input,
# so that changing that input in place before backward is refused, not silently absorbed by the composition
_SQRT_HALF, _INV_SQRT_2PI = 0.7071067811865476, 0.3989422804014327
_GELU_K, _GELU_A = 0.7978845608028654, 0.044715     # sqrt(2/pi), and the cubic's coefficient


def _gelu_tanh_inner(x):
    return np.tanh(_GELU_K * (x + _GELU_A * (x * x * x)))


gelu = defprim("gelu", lambda x: x * (0.5 + 0.5 * erf(x * _SQRT_HALF)),
               [lambda g, ans, x: g * (0.5 + 0.5 * erf(x * _SQRT_HALF) + x * (_INV_SQRT_2PI * np.exp(-0.5 * (x * x))))],
               ELEMENTWISE)
gelu_tanh = defprim("gelu_tanh", lambda x: x * (0.5 + 0.5 * _gelu_tanh_inner(x)),
                    [lambda g, ans, x: g * _gelu_tanh_grad(x)], ELEMENTWISE)


def _gelu_tanh_grad(x):
    t = _gelu_tanh_inner(x)
    return 0.5 + 0.5 * t + (0.5 * x) * (1 - t * t) * (_GELU_K * (1 + (3 * _GELU_A) * (x * x)))


# PyTorch's binary_cross_entropy of probabilities: a row of its own for PyTorch's clamped log and gradient
def _bce_fwd(p, y):
    # PyTorch's: each log clamped at -100, so a probability of exactly 0 or 1 costs 100, not inf
    with np.errstate(divide="ignore"):
        return -(y * np.maximum(np.log(p), -100.0) + (1 - y) * np.maximum(np.log1p(-p), -100.0))


_BCE_EPS = np.float32(1e-12)    # PyTorch's EPSILON is a float: in float64 it is 9.9999999600e-13, as there


def _bce_vjp_p(g, ans, p, y):
    # PyTorch's gradient: (p - y) / max(p(1 - p), 1e-12), finite at p = 0 and p = 1 (the clamped log's own
    # derivative there would be 0 or inf); written with ops that record, so second derivatives work inside
    return g * (p - y) / np.maximum(p * (1 - p), _BCE_EPS)


def _bce_vjp_y(g, ans, p, y):
    # PyTorch's gradient with respect to the target: the unclamped log-odds log(1 - p) - log(p)
    with np.errstate(divide="ignore"):
        return g * (np.log1p(-p) - np.log(p))


binary_cross_entropy = defprim("binary_cross_entropy", _bce_fwd, [_bce_vjp_p, _bce_vjp_y], ELEMENTWISE)


# ---- vmap: moving values into and out of a batch level (turunan.vmap) -------------------------------------
# The kernels handle the batch levels themselves (batch=B.LEVELS); each row's reverse rule is the other's move.
vmap_in = defprim("vmap_in", B.vmap_in, [lambda g, ans, x, level, axis: vmap_out(g, level=level, axis=axis,
                                                                                  present=True)],
                  LINEAR, batch=B.LEVELS)
vmap_out = defprim("vmap_out", B.vmap_out,
                   [lambda g, ans, y, level, axis, present: vmap_in(g, level=level, axis=axis) if present
                    else sum_(g, axis=axis, keepdims=False)], LINEAR, batch=B.LEVELS)
# an input that requires grad, shared by every example, seen as batched (turunan._batching._broadcast_grad_inputs)
vmap_broadcast = defprim("vmap_broadcast", B.vmap_broadcast,
                         [lambda g, ans, x, levels: vmap_sum(g, own=B.levels_of(x))], LINEAR, batch=B.LEVELS)
vmap_sum = defprim("vmap_sum", B.vmap_sum, [lambda g, ans, x, own: vmap_broadcast(g, levels=B.levels_of(x))],
                   LINEAR, batch=B.LEVELS)
B.BROADCAST = vmap_broadcast
_batched.index_update = index_update
_batched.rows.update(reshape=reshape, sum=sum_)
# NumPy's ufuncs on raw batched arrays (rules in a backward pass inside vmap) go straight to these rows
_batched.ufunc_rows.update({
    np.add: add, np.subtract: subtract, np.multiply: multiply, np.true_divide: divide, np.power: power,
    np.matmul: matmul,
    np.negative: negative, np.exp: exp, np.expm1: expm1, np.log: log, np.log1p: log1p, np.sqrt: sqrt,
    np.square: square, np.sin: sin, np.cos: cos, np.tan: tan, np.tanh: tanh, np.absolute: absolute,
    np.maximum: maximum, np.minimum: minimum, np.remainder: remainder, np.log2: log2, np.exp2: exp2,
    np.sinh: sinh, np.cosh: cosh, np.arcsin: arcsin, np.arccos: arccos, np.arctan: arctan, np.arcsinh: arcsinh,
    np.arccosh: arccosh, np.arctanh: arctanh, np.arctan2: arctan2, np.hypot: hypot, np.log10: log10,
    np.logaddexp: logaddexp, np.logaddexp2: logaddexp2, np.fmod: fmod, np.signbit: NONDIFF["signbit"],
    **{getattr(np, name): NONDIFF[name] for name in (
        "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
        "logical_xor", "logical_not", "isnan", "isinf", "isfinite", "sign", "floor", "ceil", "trunc", "floor_divide")},
})
