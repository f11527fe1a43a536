"""Elementwise ops: arithmetic, comparisons and logic (each also in the form Tensor's operators take), the
unary functions, ``where``, ``clip``, and ``astype``.

Here too are the two operand helpers every op module starts from: ``tensor_of`` (a value as a Tensor) and
``array_of`` (a value's array, checked to be numbers). Composites get their derivatives for free from the
table; a NOTE marks a composition that changes the math at some point.
"""

from __future__ import annotations

import numpy as np

from . import _rules as R
from ._array import as_operand, as_result, numeric_dtype
from ._core import Tensor, apply, apply1, apply2, name_grad_fn

__all__ = [
    "tensor_of", "array_of",
    "add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum", "remainder",
    "floor_divide", "trunc_divide", "fmax", "fmin",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite",
    "negative", "abs", "absolute", "sign", "reciprocal", "exp", "expm1", "exp2", "log", "log1p", "log2", "sqrt",
    "rsqrt", "square", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "softplus", "elu", "erf",
    "floor", "ceil", "trunc", "round", "where", "clip", "clamp", "astype",
    # NumPy's (turunan.numpy)
    "sinh", "cosh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "log10", "sinc", "arctan2",
    "hypot", "logaddexp", "logaddexp2", "fmod", "mod", "fabs", "deg2rad", "rad2deg", "degrees", "radians",
    "nan_to_num", "signbit", "isposinf", "isneginf", "fix", "around", "rint",
]


def tensor_of(x):
    """``x`` as a Tensor: a Tensor as it is, numbers wrapped, a list holding tensors packed."""
    if isinstance(x, Tensor):
        return x
    x = as_operand(x)       # a list holding tensors is packed (recorded), never read by NumPy
    # NumPy's dtype rules, as for a number given to any op (tn.exp(1.0) is float64): a Python float is float64
    return x if isinstance(x, Tensor) else Tensor._wrap(as_result(x))


def array_of(x, op: str = "this operation"):
    """A tensor's array, or a value given in its place checked to be numbers (``as_operand``; a list holding
    tensors gives its packed values)."""
    if isinstance(x, Tensor):
        return x._d
    v = as_operand(x, op)
    return v._d if isinstance(v, Tensor) else v


def _check_binary(name, x, y):
    sx, sy = np.shape(x._d if isinstance(x, Tensor) else x), np.shape(y._d if isinstance(y, Tensor) else y)
    if sx != sy and sx and sy:
        try:
            np.broadcast_shapes(sx, sy)
        except ValueError:
            raise ValueError(f"{name}: operands of shapes {sx} and {sy} cannot be broadcast together; make the "
                             "trailing dimensions equal or 1") from None


# A Python number next to a float32/float64 Tensor becomes a 0-d array of the Tensor's dtype before NumPy sees
# it: NumPy converts a Python scalar on every call (0.5 us for a 4-element product against 0.27 us for two
# arrays), and the node then saves an array for the rule, which pays the same again in backward. Under NEP 50
# a Python float takes the array's dtype, so the result is the same, bit for bit and dtype for dtype. Integers
# only where the float holds them exactly; other dtypes (float16, ints) keep NumPy's own handling.
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_EXACT = 1 << 24
_array0 = np.array


def _checked(name: str, v, operator: bool):
    """``as_operand`` for an operand beside a Tensor; for Tensor's operators NotImplemented instead of raising."""
    try:
        return as_operand(v, name)
    except TypeError:
        if operator:
            return NotImplemented
        raise


def _arith(prim, numbers: bool = True):
    """A binary op (+ - * / ** <, ...) whose operand that is not a Tensor is checked to be numbers (``as_operand``:
    a string, None or an object array raise), with Python numbers converted once (see above) if
    ``numbers`` (+ - * /; measured: the others were not faster for it, so they keep NumPy's handling).

    Ordered for the hot path: two tensors of one class pay one identity test (four before the check came), a
    tensor and a Python number two (and no call); only an operand that is neither a Tensor nor a Python number
    goes to ``as_operand``. Two operands that are both not Tensors are checked by ``apply2``.

    ``op.reflected`` is ``other <op> self``; ``op.operator`` is the form for Tensor's operators, which answers
    NotImplemented where the other operand is not numbers, as PyTorch's do: ``t + "a"`` is then Python's
    "unsupported operand type(s)" TypeError, and ``t + object_array`` is refused instead of an object "tensor".
    """
    name = prim.name

    def make(operator: bool):
        def op(x, y):
            ty, tx = type(y), type(x)
            if ty is not tx:
                if ty is float or ty is int:
                    if numbers and isinstance(x, Tensor):
                        dt = x._d.dtype
                        if (dt is _F32 or dt is _F64) and (ty is float or -_EXACT < y < _EXACT):
                            y = _array0(y, dt)
                elif tx is float or tx is int:
                    if numbers and isinstance(y, Tensor):
                        dt = y._d.dtype
                        if (dt is _F32 or dt is _F64) and (tx is float or -_EXACT < x < _EXACT):
                            x = _array0(x, dt)
                elif not isinstance(y, Tensor):
                    if isinstance(x, Tensor):
                        y = _checked(name, y, operator)
                        if y is NotImplemented:
                            return y
                elif not isinstance(x, Tensor):
                    x = _checked(name, x, operator)
                    if x is NotImplemented:
                        return x
            try:
                return apply2(prim, x, y)
            except ValueError:
                _check_binary(name, x, y)
                raise
        op.__name__ = name
        op.__doc__ = f"Elementwise {name} with NumPy broadcasting; recorded for autodiff."
        return op

    op = make(False)
    if numbers or prim.differentiable:
        operator = make(True)
    else:
        # the comparison operators (t < 0 in a while loop) keep the unchecked path: they record nothing, NumPy's
        # semantics hold (t == None is elementwise False, t < None NumPy's TypeError), and they run often
        def operator(x, y):
            try:
                return apply2(prim, x, y)
            except ValueError:
                _check_binary(name, x, y)
                raise

    def rop(y, x):      # other <op> self
        return op(x, y)
    rop.__name__ = "r" + name
    op.reflected = rop
    op.operator = operator
    return op


def _unary(prim):
    def op(x):
        return apply1(prim, x)
    op.__name__ = prim.name
    op.__doc__ = f"Elementwise {prim.name}; recorded for autodiff."
    return op


add, subtract, multiply, divide = (_arith(p) for p in (R.add, R.subtract, R.multiply, R.divide))
power, maximum, minimum, remainder = (_arith(p, numbers=False) for p in (R.power, R.maximum, R.minimum,
                                                                          R.remainder))
true_divide = divide
negative, exp, expm1, log, log1p, sqrt, square, sin, cos, tan, tanh, sigmoid, relu, abs = (
    _unary(p) for p in (R.negative, R.exp, R.expm1, R.log, R.log1p, R.sqrt, R.square, R.sin, R.cos, R.tan,
                        R.tanh, R.sigmoid, R.relu, R.absolute))
absolute = abs
equal, not_equal, less, less_equal, greater, greater_equal, logical_and, logical_or, logical_xor, floor_divide = (
    _arith(R.NONDIFF[n], numbers=False) for n in ("equal", "not_equal", "less", "less_equal", "greater",
                                                  "greater_equal", "logical_and", "logical_or", "logical_xor",
                                                  "floor_divide"))
logical_not, isnan, isinf, isfinite, sign, floor, ceil, trunc = (
    _unary(R.NONDIFF[n]) for n in ("logical_not", "isnan", "isinf", "isfinite", "sign", "floor", "ceil", "trunc"))


def round(x, decimals: int = 0) -> Tensor:
    """Round to ``decimals``; no gradient (piecewise constant)."""
    return apply(R.NONDIFF["round"], x, decimals)


def reciprocal(x) -> Tensor:
    return divide(1, x) if not isinstance(x, Tensor) or x.dtype.kind == "f" else divide(1.0, x)


def where(condition, x, y) -> Tensor:
    """``x`` where ``condition`` holds, else ``y``; the gradient flows to the chosen side."""
    # numbers only (where("abc", x, y) took the string's truth); a list holding tensors comes back packed
    condition, x, y = (v if isinstance(v, Tensor) else as_operand(v, "where") for v in (condition, x, y))
    return apply(R.where, condition, x, y)


def clip(x, min=None, max=None) -> Tensor:
    """Clamp to [min, max]; the gradient is 1 inside (bounds included, as in PyTorch) and 0 outside."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    x, lo, hi = (v if isinstance(v, Tensor) else as_operand(v, "clip") for v in (x, lo, hi))
    return apply(R.clip, x, lo, hi)


clamp = clip


def softplus(x) -> Tensor:
    """log(1 + exp(x)), computed without overflow; its derivative is sigmoid(x) everywhere, 0 included."""
    return apply(R.softplus, x)


def fmax(x, y) -> Tensor:
    """Elementwise maximum that ignores NaN (NumPy's fmax): NaN only where both are. The gradient goes to the
    side taken, ``x`` on ties, as PyTorch's fmax."""
    return where(logical_or(greater_equal(x, y), isnan(y)), x, y)


def fmin(x, y) -> Tensor:
    """Elementwise minimum that ignores NaN (NumPy's fmin); the gradient as ``fmax``'s."""
    return where(logical_or(less_equal(x, y), isnan(y)), x, y)


def erf(x) -> Tensor:
    """The error function, 2/√π ∫₀ˣ exp(−t²) dt (SciPy's kernel when installed, else Python's ``math.erf``)."""
    return apply1(R.erf, x)


def rsqrt(x) -> Tensor:
    """1 / sqrt(x)."""
    return reciprocal(sqrt(x))


def log2(x) -> Tensor:
    """Base-2 logarithm (exact at powers of two)."""
    return apply1(R.log2, x)


def exp2(x) -> Tensor:
    """2 ** x (exact at integers)."""
    return apply1(R.exp2, x)


def elu(x, alpha: float = 1.0) -> Tensor:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere; the exponential only ever sees x <= 0 (no inf * 0)."""
    x = tensor_of(x)
    positive = logical_not(less_equal(x, 0))    # NaN counts as positive: elu(NaN) passes the gradient, as PyTorch's
    return name_grad_fn(where(positive, x, multiply(expm1(where(positive, 0, x)), alpha)), "EluBackward0")


def trunc_divide(x, y) -> Tensor:
    """x / y rounded toward zero, in the operands' dtype (C's integer division); piecewise constant, so no
    gradient. NumPy has only the floor form (``floor_divide``).

    >>> import turunan as tn
    >>> tn.trunc_divide(tn.tensor([7, -7]), tn.tensor([2, 2]))
    tensor([ 3, -3])
    """
    q = trunc(divide(x, y))
    dt = np.result_type(array_of(x), array_of(y))
    return q if q.dtype == dt else astype(q, dt)


def astype(x, dtype) -> Tensor:
    dtype = numeric_dtype(dtype)      # numbers only: astype(x, str) made a string "tensor"
    if isinstance(x, Tensor) and x.dtype == dtype:
        return x
    # integers and bools carry no gradient (PyTorch: the result requires no grad), never a straight-through 1
    return apply(R.astype if dtype.kind in "fc" else R.cast, x, dtype=dtype)


# ---- NumPy's elementwise functions (turunan.numpy), rows where NumPy's kernel must give the numbers ------------
sinh, cosh, arcsin, arccos, arctan, arcsinh, arccosh, arctanh, log10, sinc = (
    _unary(p) for p in (R.sinh, R.cosh, R.arcsin, R.arccos, R.arctan, R.arcsinh, R.arccosh, R.arctanh, R.log10,
                        R.sinc))
arctan2, hypot, logaddexp, logaddexp2, fmod = (_arith(p, numbers=False) for p in (R.arctan2, R.hypot, R.logaddexp,
                                                                                   R.logaddexp2, R.fmod))
mod = remainder
signbit = _unary(R.NONDIFF["signbit"])


def _as_float(x, ufunc) -> Tensor:
    """``x`` as a Tensor of the floating dtype NumPy's ``ufunc`` computes an integer or bool input in."""
    x = tensor_of(x)
    if x.dtype.kind in "fc":
        return x
    return astype(x, ufunc(np.zeros((), x.dtype)).dtype)


def fabs(x) -> Tensor:
    """|x| as a float (NumPy's fabs: integers become floats); the gradient as ``abs``'s.

    >>> fabs(np.array([-2, 3]))
    tensor([2., 3.], dtype=turunan.float64)
    """
    return abs(_as_float(x, np.fabs))


# NumPy's kernels are x * (π/180) and x * (180/π), the constant computed in x's dtype: the same products, so the
# same numbers (float32's 180/π is float32(180) / float32(π), not float32(180/π))
def _scaled(x, num: float, den: float, ufunc) -> Tensor:
    x = _as_float(x, ufunc)
    dt = x.dtype
    return multiply(x, np.asarray(num, dt) / np.asarray(den, dt))


def deg2rad(x) -> Tensor:
    """Degrees to radians, x·π/180.

    >>> deg2rad(180.0)
    tensor(3.14159265, dtype=turunan.float64)
    """
    return _scaled(x, np.pi, 180.0, np.deg2rad)


def rad2deg(x) -> Tensor:
    """Radians to degrees, x·180/π.

    >>> rad2deg(np.pi / 2)
    tensor(90., dtype=turunan.float64)
    """
    return _scaled(x, 180.0, np.pi, np.rad2deg)


radians, degrees = deg2rad, rad2deg


def nan_to_num(x, copy: bool = True, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and the dtype's largest and
    most negative finite values), as NumPy's; the gradient is 1 where ``x`` is finite, 0 where replaced.

    >>> import turunan.numpy as tnp
    >>> tnp.nan_to_num(tnp.array([1.0, tnp.nan, tnp.inf]), posinf=9.0)
    tensor([1., 0., 9.], dtype=turunan.float64)
    """
    x = tensor_of(x)
    if x.dtype.kind not in "fc":
        return x
    big = np.finfo(x.dtype).max
    hi, lo = big if posinf is None else posinf, -big if neginf is None else neginf
    filled = where(isnan(x), nan, where(greater(x, 0), hi, lo))
    return where(isfinite(x), x, astype(filled, x.dtype))


def isposinf(x) -> Tensor:
    """Where ``x`` is +inf (no gradient).

    >>> isposinf(np.array([np.inf, -np.inf, 1.0]))
    tensor([ True, False, False])
    """
    return logical_and(isinf(x), greater(x, 0))


def isneginf(x) -> Tensor:
    """Where ``x`` is -inf (no gradient).

    >>> isneginf(np.array([np.inf, -np.inf, 1.0]))
    tensor([False,  True, False])
    """
    return logical_and(isinf(x), less(x, 0))


def rint(x) -> Tensor:
    """Rounded to the nearest integer, ties to even (NumPy's rint); no gradient.

    >>> rint(np.array([0.5, 1.5, -2.7]))
    tensor([ 0.,  2., -3.], dtype=turunan.float64)
    """
    return round(_as_float(x, np.rint))


around = round
fix = trunc     # NumPy's fix is trunc, integers kept as integers
