"""Issue 9, the sweep: every public entry point called with hostile values, one table.

Every public callable of ``turunan`` has a row in ``TOP`` (or a reason in ``EXEMPT``; a test fails when a new public
function has neither). A row lists the calls that give that function a bad value in each role it has (a tensor
input, an axis, a shape or size, a hyper-parameter, an index, ...) and what each must do:

* raise the given exception type with a message that names the problem (a regex), never a bare KeyError,
  AttributeError, "tuple index out of range" or "'NoneType' object has no attribute";
* or, for NaN and infinity given as *data*, not raise and propagate them (NumPy and PyTorch do).

Further tables sweep the main entry points of ``turunan.nn.functional``, ``turunan.optim``, ``turunan.func`` and the
doors; in-place calls are also checked to leave the tensor's values and version as they were.
"""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest
from numpy.exceptions import AxisError

import turunan as tn
import turunan.nn.functional as F
import turunan.tensorflow as tf
import turunan.torch as torch
from turunan import nn, optim
from turunan.mxnet import np as mnp
from turunan.mxnet import npx

NAN = float("nan")
INF = float("inf")

# the values that are not numbers, in the role of a tensor
BAD_TENSORS = {
    "str": "abc",
    "None": None,
    "dict": {"a": 1},
    "object array": np.array([1.0, "a"], dtype=object),
    "object array of numbers": np.array([1.0, 2.0, 3.0], dtype=object),
    "list of str": ["a", "b", "c"],
}
NOT_NUMBERS = (TypeError, r"numbers only|expected a tensor or numbers")
# an axis / dim
BAD_AXES = {
    "axis 5": (5, (AxisError, r"axis 5 is out of range")),
    "axis -9": (-9, (AxisError, r"axis -9 is out of range")),
    "axis str": ("a", (TypeError, r"axis must be an integer")),
    "axis float": (1.5, (TypeError, r"axis must be an integer")),
}
DUPLICATE = (ValueError, r"more than once")
# what a wrong-shaped operand must say
NOT_BROADCAST = (ValueError, r"cannot be broadcast")
PROPAGATES = "propagates"     # NaN/inf as data: no error, NaN in the result


def x23():
    """A fresh 2x3 float32 tensor that requires grad (the common tensor argument)."""
    return tn.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)


def nan23():
    return tn.tensor([[NAN, 1.0, 2.0], [INF, -INF, 0.5]])


# ---- row builders -------------------------------------------------------------------------------------------
def tensor_role(call, skip=(), role: str = "tensor"):
    """``call(v)`` for each value in BAD_TENSORS: TypeError naming numbers."""
    return {f"{role}={k}": (lambda v=v: call(v), NOT_NUMBERS) for k, v in BAD_TENSORS.items() if k not in skip}


def axis_role(call, tuples: bool = True):
    """``call(axis)`` with axes out of range, of the wrong kind and (if ``tuples``) named twice."""
    cases = {k: (lambda a=a: call(a), want) for k, (a, want) in BAD_AXES.items()}
    if tuples:
        cases["axis (0, -2)"] = (lambda: call((0, -2)), DUPLICATE)
    return cases


def nan_data(call):
    return {"NaN/inf data": (lambda: call(nan23()), PROPAGATES)}


def unary(fn, nan: bool = True):
    row = tensor_role(fn)
    if nan:
        row.update(nan_data(fn))
    return row


def binary(fn, nan: bool = True):
    row = tensor_role(lambda v: fn(x23(), v))
    row.update({f"first {k}": case for k, case in tensor_role(lambda v: fn(v, x23())).items()})
    row["shapes (2, 3) and (4,)"] = (lambda: fn(x23(), tn.ones(4)), NOT_BROADCAST)
    if nan:
        row.update(nan_data(lambda t: fn(t, tn.ones(3))))
    return row


def reduction(fn, tuples: bool = True, nan: bool = True, kw: str = "axis"):
    row = tensor_role(fn)
    row.update(axis_role(lambda a: fn(x23(), **{kw: a}), tuples))
    if nan:
        row.update(nan_data(fn))
    return row


def shape_role(call, negative=(ValueError, r"negative")):
    """``call(shape)`` with a negative size, a float size, and a string."""
    return {
        "shape (2, -3)": (lambda: call((2, -3)), negative),
        "shape 2.5": (lambda: call(2.5), (TypeError, r"integer")),
        "shape (2, 1.5)": (lambda: call((2, 1.5)), (TypeError, r"integer")),
        "shape str": (lambda: call("ab"), (TypeError, r"integer")),
    }


def merge(*rows):
    out = {}
    for r in rows:
        out.update(r)
    return out


# ---- the top-level namespace ---------------------------------------------------------------------------------
UNARY = ["abs", "absolute", "ceil", "copy", "cos", "erf", "exp", "exp2", "expm1", "floor", "log", "log1p", "log2",
         "negative", "reciprocal", "relu", "rsqrt", "sigmoid", "sign", "sin", "softplus", "sqrt", "square", "tan",
         "tanh", "ravel", "isfinite", "isinf", "isnan", "logical_not", "stop_gradient"]
BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum", "remainder",
          "trunc_divide", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
          "logical_or"]
REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "logsumexp", "std", "var", "norm"]

TOP: dict[str, dict] = {}
TOP.update({n: unary(getattr(tn, n), nan=n not in ("isfinite", "isinf", "isnan", "logical_not", "sign", "ceil",
                                                       "floor"))
            for n in UNARY})
# stop_gradient works on pytrees, where None and dicts are containers (as in JAX): only non-number leaves are refused
TOP["stop_gradient"] = merge(tensor_role(tn.stop_gradient, skip=("None", "dict")), nan_data(tn.stop_gradient))
TOP.update({n: binary(getattr(tn, n), nan=n in BINARY[:10]) for n in BINARY})
TOP.update({n: reduction(getattr(tn, n)) for n in REDUCTIONS})
TOP.update({
    "all": reduction(tn.all, nan=False),
    "any": reduction(tn.any, nan=False),
    "argmax": reduction(tn.argmax, tuples=False, nan=False),
    "argmin": reduction(tn.argmin, tuples=False, nan=False),
    "argsort": reduction(tn.argsort, tuples=False, nan=False),
    "sort": reduction(tn.sort, tuples=False),
    "cumsum": reduction(tn.cumsum, tuples=False),
    "cumprod": reduction(tn.cumprod, tuples=False),
    "softmax": reduction(tn.softmax, tuples=False),
    "log_softmax": reduction(tn.log_softmax, tuples=False),
    "flip": reduction(tn.flip, nan=False),
    "squeeze": merge(tensor_role(tn.squeeze), axis_role(lambda a: tn.squeeze(x23(), a), tuples=False),
                     {"axis of size 3": (lambda: tn.squeeze(x23(), 1), (ValueError, r"not 1"))}),
    "expand_dims": merge(tensor_role(lambda v: tn.expand_dims(v, 0)),       # axes of the 4-d result: 0 and -4 meet
                         axis_role(lambda a: tn.expand_dims(x23(), a), tuples=False),
                         {"axis (0, -4)": (lambda: tn.expand_dims(x23(), (0, -4)), DUPLICATE)}),
    "unsqueeze": merge(tensor_role(lambda v: tn.unsqueeze(v, 0)),
                       axis_role(lambda a: tn.unsqueeze(x23(), a), tuples=False)),
    "flatten": merge(tensor_role(tn.flatten), axis_role(lambda a: tn.flatten(x23(), a), tuples=False),
                     {"start after end": (lambda: tn.flatten(x23(), 1, 0), (ValueError, r"start_dim"))}),
    "swapaxes": merge(tensor_role(lambda v: tn.swapaxes(v, 0, 1)),
                      axis_role(lambda a: tn.swapaxes(x23(), 0, a), tuples=False)),
    "moveaxis": merge(tensor_role(lambda v: tn.moveaxis(v, 0, 1)), axis_role(lambda a: tn.moveaxis(x23(), a, 0)),
                      {"lengths differ": (lambda: tn.moveaxis(x23(), (0, 1), 0), (ValueError, r"as many axes"))}),
    "transpose": merge(tensor_role(tn.transpose), axis_role(lambda a: tn.transpose(x23(), (0, a)), tuples=False),
                       {"axes (0, 0)": (lambda: tn.transpose(x23(), (0, 0)), DUPLICATE),
                        "too few axes": (lambda: tn.transpose(x23(), (0,)), (ValueError, r"every one"))}),
    "permute": merge(tensor_role(lambda v: tn.permute(v, 0)),
                     {"axes 0, 0": (lambda: tn.permute(x23(), 0, 0), DUPLICATE),
                      "axis 5": (lambda: tn.permute(x23(), 0, 5), (AxisError, r"out of range"))}),
    "concatenate": merge(tensor_role(lambda v: tn.concatenate([x23(), v]), skip=("object array of numbers",
                                                                                 "list of str")),
                         axis_role(lambda a: tn.concatenate([x23(), x23()], a), tuples=False),
                         {"shapes differ": (lambda: tn.concatenate([x23(), tn.ones((2, 4))]),
                                            (ValueError, r"must agree")),
                          "empty": (lambda: tn.concatenate([]), (ValueError, r"at least one")),
                          "0-d": (lambda: tn.concatenate([tn.tensor(1.0)]), (ValueError, r"0-d"))}),
    "cat": merge(axis_role(lambda a: tn.cat([x23(), x23()], a), tuples=False),
                 {"str": (lambda: tn.cat(["ab", "cd"]), NOT_NUMBERS)}),
    "stack": merge(tensor_role(lambda v: tn.stack([v, v])),
                   axis_role(lambda a: tn.stack([x23(), x23()], a), tuples=False),
                   {"shapes differ": (lambda: tn.stack([x23(), tn.ones(3)]), (ValueError, r"one shape"))}),
    "split": merge(tensor_role(lambda v: tn.split(v, 1)), axis_role(lambda a: tn.split(x23(), 1, a), tuples=False),
                   {"sections 0": (lambda: tn.split(x23(), 0), (ValueError, r"positive integer")),
                    "sections -2": (lambda: tn.split(x23(), -2), (ValueError, r"positive integer")),
                    "sections 1.5": (lambda: tn.split(x23(), 1.5), (ValueError, r"whole number")),
                    "sections None": (lambda: tn.split(x23(), None), (TypeError, r"number of sections")),
                    "uneven": (lambda: tn.split(x23(), 4, axis=1), (ValueError, r"equal sections"))}),
    "take": merge(tensor_role(lambda v: tn.take(v, [0])), axis_role(lambda a: tn.take(x23(), [0], a), tuples=False),
                  {"index 10": (lambda: tn.take(x23(), [10]), (IndexError, r"out of bounds")),
                   "float index": (lambda: tn.take(x23(), [1.5]), (IndexError, r"integer")),
                   "str index": (lambda: tn.take(x23(), ["a"]), NOT_NUMBERS)}),
    "take_along_axis": merge(
        axis_role(lambda a: tn.take_along_axis(x23(), tn.tensor([[0]]), a), tuples=False),
        {"float indices": (lambda: tn.take_along_axis(x23(), tn.tensor([[0.5]]), 0), (TypeError, r"integers")),
         "indices 1-d": (lambda: tn.take_along_axis(x23(), tn.tensor([0]), 0), (ValueError, r"dims")),
         "index 7": (lambda: tn.take_along_axis(x23(), tn.tensor([[7]]), 0), (IndexError, r"out of bounds")),
         "tensor str": (lambda: tn.take_along_axis("abc", tn.tensor([[0]]), 0), NOT_NUMBERS)}),
    "topk": merge(tensor_role(lambda v: tn.topk(v, 1)), axis_role(lambda a: tn.topk(x23(), 1, a), tuples=False),
                  {"k 5": (lambda: tn.topk(x23(), 5), (ValueError, r"out of range")),
                   "k -1": (lambda: tn.topk(x23(), -1), (ValueError, r"out of range"))}),
    "tensordot": merge(tensor_role(lambda v: tn.tensordot(x23(), v, 1)),
                       {"axes 5": (lambda: tn.tensordot(x23(), x23(), 5), (ValueError, r"out of range")),
                        "axes ([5], [0])": (lambda: tn.tensordot(x23(), x23(), ([5], [0])),
                                            (AxisError, r"out of range")),
                        "axes ([0, 0], [0, 1])": (lambda: tn.tensordot(x23(), x23().T, ([0, 0], [0, 1])), DUPLICATE),
                        "sizes differ": (lambda: tn.tensordot(x23(), x23(), ([1], [0])),
                                         (ValueError, r"sizes must match")),
                        "axes str": (lambda: tn.tensordot(x23(), x23(), "a"), (TypeError, r"axes must be"))}),
    "matmul": merge(tensor_role(lambda v: tn.matmul(x23(), v)),
                    {"inner sizes": (lambda: tn.matmul(x23(), x23()), (ValueError, r"do not match")),
                     "0-d": (lambda: tn.matmul(tn.tensor(2.0), x23()), (ValueError, r"at least 1-d"))}),
    "dot": merge(tensor_role(lambda v: tn.dot(x23(), v)),
                 {"lengths": (lambda: tn.dot(tn.ones(3), tn.ones(4)), (ValueError, r"differ in length"))}),
    "inner": merge(tensor_role(lambda v: tn.inner(x23(), v)),
                   {"sizes": (lambda: tn.inner(x23(), tn.ones(4)), (ValueError, r"sizes must match"))}),
    "outer": tensor_role(lambda v: tn.outer(tn.ones(2), v)),
    "vdot": merge(tensor_role(lambda v: tn.vdot(x23(), v)),
                  {"sizes": (lambda: tn.vdot(x23(), tn.ones(4)), NOT_BROADCAST)}),
    "einsum": merge(tensor_role(lambda v: tn.einsum("ij->i", v)),
                    {"spec not str": (lambda: tn.einsum(5, x23()), (TypeError, r"subscripts string")),
                     "bad letter": (lambda: tn.einsum("i?->i", x23()), (ValueError, r"invalid subscript")),
                     "wrong rank": (lambda: tn.einsum("i->i", x23()), (ValueError, r"need a 1-d operand"))}),
    "where": merge(tensor_role(lambda v: tn.where(v, x23(), 0.0), role="condition"),
                   tensor_role(lambda v: tn.where(x23() > 1, v, 0.0)),
                   {"shapes": (lambda: tn.where(tn.ones(2) > 0, tn.ones(3), tn.ones(4)), (ValueError, r"broadcast"))}),
    "clip": merge(tensor_role(lambda v: tn.clip(v, 0.0, 1.0)),
                  tensor_role(lambda v: tn.clip(x23(), v, 1.0), skip=("None",), role="min"),    # None: unbounded
                  {"no bounds": (lambda: tn.clip(x23()), (ValueError, r"at least one of min and max"))}),
    "clamp": tensor_role(lambda v: tn.clamp(x23(), max=v), skip=("None",)),     # None: no upper bound
    "elu": merge(unary(tn.elu), {"alpha str": (lambda: tn.elu(x23(), "a"), NOT_NUMBERS)}),
    "round": merge(tensor_role(tn.round), {"decimals str": (lambda: tn.round(x23(), "a"), (TypeError, r"integer")),
                                           "decimals 1.5": (lambda: tn.round(x23(), 1.5), (TypeError, r"integer"))}),
    "reshape": merge(tensor_role(lambda v: tn.reshape(v, (-1,))), shape_role(lambda s: tn.reshape(x23(), s),
                                                                             negative=(ValueError, r"invalid shape")),
                     {"6 into (4, 2)": (lambda: tn.reshape(x23(), (4, 2)), (ValueError, r"cannot reshape")),
                      "two -1": (lambda: tn.reshape(x23(), (-1, -1)), (ValueError, r"cannot reshape"))}),
    "broadcast_to": merge(tensor_role(lambda v: tn.broadcast_to(v, (2, 3)), skip=("object array",
                                                                                  "object array of numbers",
                                                                                  "list of str")),
                          {"(2, 3) to (4, 3)": (lambda: tn.broadcast_to(x23(), (4, 3)), NOT_BROADCAST),
                           "negative": (lambda: tn.broadcast_to(x23(), (-2, 3)), NOT_BROADCAST),
                           "float size": (lambda: tn.broadcast_to(x23(), (2.5, 3)), (TypeError, r"integer"))}),
    "tile": merge(tensor_role(lambda v: tn.tile(v, 2)),
                  {"reps 1.5": (lambda: tn.tile(x23(), 1.5), (TypeError, r"integer")),
                   "reps str": (lambda: tn.tile(x23(), "a"), (TypeError, r"integer"))}),
    "astype": merge(tensor_role(lambda v: tn.astype(v, np.float64)),
                    {"dtype str": (lambda: tn.astype(x23(), str), (TypeError, r"numbers only")),
                     "dtype object": (lambda: tn.astype(x23(), object), (TypeError, r"numbers only")),
                     "dtype 'abc'": (lambda: tn.astype(x23(), "abc"), (TypeError, r"data type 'abc' not understood"))}),
    # creation
    "tensor": merge(tensor_role(tn.tensor), {"complex output without a head gradient": (
        lambda: (tn.tensor([1j], requires_grad=True) * 2).sum().backward(), (TypeError, r"real-valued output")),
        "int requires grad": (lambda: tn.tensor([1, 2], requires_grad=True), (TypeError, r"floating-point"))}),
    "as_tensor": merge(tensor_role(tn.as_tensor),
                       {"dtype 'abc'": (lambda: tn.as_tensor([1.0], dtype="abc"), (TypeError, r"not understood"))}),
    "Tensor": tensor_role(tn.Tensor),
    "zeros": merge(shape_role(tn.zeros), {"dtype str": (lambda: tn.zeros(2, dtype=str), (TypeError, r"numbers"))}),
    "ones": shape_role(tn.ones),
    "empty": shape_role(tn.empty),
    "rand": shape_role(tn.rand),
    "randn": shape_role(tn.randn),
    "full": merge(shape_role(lambda s: tn.full(s, 1.0)),
                  {f"fill={k}": (lambda v=v: tn.full((2,), v), NOT_NUMBERS) for k, v in BAD_TENSORS.items()
                   if k in ("str", "None", "dict")}),
    "zeros_like": tensor_role(tn.zeros_like),
    "ones_like": tensor_role(tn.ones_like),
    "empty_like": tensor_role(tn.empty_like),
    "full_like": merge(tensor_role(lambda v: tn.full_like(v, 1.0)),
                       {"fill None": (lambda: tn.full_like(x23(), None), NOT_NUMBERS)}),
    "eye": {"n -1": (lambda: tn.eye(-1), (ValueError, r"negative")),
            "n 2.5": (lambda: tn.eye(2.5), (TypeError, r"integer"))},
    "arange": {"step 0": (lambda: tn.arange(0, 5, 0), (ValueError, r"step must be nonzero")),
               "str": (lambda: tn.arange("a"), TypeError),
               "nan stop": (lambda: tn.arange(0, NAN), (ValueError, r"cannot compute length"))},
    "linspace": {"num -1": (lambda: tn.linspace(0, 1, -1), (ValueError, r"non-negative")),
                 "num 2.5": (lambda: tn.linspace(0, 1, 2.5), (TypeError, r"integer"))},
    "normal": merge(shape_role(lambda s: tn.normal(size=s)),
                    {"scale -1": (lambda: tn.normal(0.0, -1.0, (3,)), (ValueError, r"scale")),
                     "scale nan": (lambda: tn.normal(0.0, NAN, (3,)), (ValueError, r"scale")),
                     "scale str": (lambda: tn.normal(0.0, "a", (3,)), NOT_NUMBERS)}),
    "uniform": merge(shape_role(lambda s: tn.uniform(size=s)),
                     {"low > high": (lambda: tn.uniform(2.0, 1.0, (3,)), (ValueError, r"high - low < 0"))}),
    "randint": merge(shape_role(lambda s: tn.randint(0, 5, s)),
                     {"low >= high": (lambda: tn.randint(5, 2, (3,)), (ValueError, r"low >= high"))}),
    "manual_seed": {"str": (lambda: tn.manual_seed("a"), (TypeError, r"int")),
                    "-1": (lambda: tn.manual_seed(-1), (ValueError, r"non-negative")),
                    "1.5": (lambda: tn.manual_seed(1.5), (TypeError, r"int"))},
    "Generator": {"str seed": (lambda: tn.Generator("a"), (TypeError, r"int"))},
    # transforms, checkpoint, custom rules, grad mode
    **{name: {"not a function": (lambda name=name: getattr(tn, name)("abc"), (TypeError, r"expected a function")),
              "complex output": (lambda name=name: getattr(tn, name)(lambda z: (z * z).sum())(tn.tensor([1j])),
                                 (TypeError, r"real-valued output")),
              "str input": (lambda name=name: getattr(tn, name)(lambda z: (z * z).sum())("abc"),
                            (TypeError, r"expected a Tensor, a NumPy array or a number")),
              "integer input": (lambda name=name: getattr(tn, name)(lambda z: (z * z).sum())(3),
                                (TypeError, r"floating-point"))}
       for name in ("grad", "value_and_grad", "jacobian", "hessian")},
    # HIPS autograd's names (turunan._conveniences): made from a function, refused where they are made
    **{name: {"not a function": (lambda name=name: getattr(tn, name)("abc"), (TypeError, r"expected a function")),
              "None": (lambda name=name: getattr(tn, name)(None), (TypeError, r"expected a function"))}
       for name in ("elementwise_grad", "deriv", "grad_and_aux", "make_vjp", "make_jvp", "make_hvp", "make_ggnvp",
                    "hessian_tensor_product", "hessian_vector_product", "tensor_jacobian_product",
                    "vector_jacobian_product", "multigrad_dict")},
    "grad_named": {"not a function": (lambda: tn.grad_named("abc", "x"), (TypeError, r"expected a function")),
                   "unknown name": (lambda: tn.grad_named(lambda x: x, "y"), (ValueError, r"no positional argument")),
                   "None": (lambda: tn.grad_named(None, "x"), (TypeError, r"expected a function"))},
    "holomorphic_grad": {"not a function": (lambda: tn.holomorphic_grad("abc"), (TypeError, r"expected a function")),
                         "real input": (lambda: tn.holomorphic_grad(lambda z: z * 1j)(1.0),
                                        (TypeError, r"requires complex inputs")),
                         "real output": (lambda: tn.holomorphic_grad(tn.abs)(tn.tensor(1j)),
                                         (TypeError, r"requires a complex output"))},
    "vmap": {"not a function": (lambda: tn.vmap("abc"), (TypeError, r"expected a function")),
             "str input": (lambda: tn.vmap(lambda z: z * 2)("abc"), (TypeError, r"tensors hold numbers only")),
             "0-d input": (lambda: tn.vmap(lambda z: z * 2)(tn.tensor(1.0)), (ValueError, r"scalar \(0-d\)")),
             "axis 3 of 2-d": (lambda: tn.vmap(lambda z: z, in_axes=3)(tn.ones((2, 2))),
                               (np.exceptions.AxisError, r"axis")),
             "in_axes str": (lambda: tn.vmap(lambda z: z, in_axes="0")(tn.ones(2)), (TypeError, r"in_axes must")),
             "chunk_size 0": (lambda: tn.vmap(lambda z: z, chunk_size=0), (ValueError, r"chunk_size")),
             "randomness bad": (lambda: tn.vmap(lambda z: z, randomness="x"), (ValueError, r"randomness"))},
    "checkpoint": {"not a function": (lambda: tn.checkpoint("abc"), (TypeError, r"expected a function"))},
    "jit": {"not a function": (lambda: tn.jit("abc"), (TypeError, r"expects a function"))},
    "compute": {"str": (lambda: tn.compute("abc"), (TypeError, r"argument 0 is a str; give tensors")),
                "dict": (lambda: tn.compute(tn.tensor([1.0]), {"a": 1}), (TypeError, r"argument 1 is a dict"))},
    "custom_vjp": {"not a function": (lambda: tn.custom_vjp("abc"), (TypeError, r"expected a function"))},
    "custom_jvp": {"not a function": (lambda: tn.custom_jvp("abc"), (TypeError, r"expected a function"))},
    "set_grad_enabled": {"str": (lambda: tn.set_grad_enabled("yes"), (TypeError, r"must be a bool")),
                         "None": (lambda: tn.set_grad_enabled(None), (TypeError, r"must be a bool"))},
    "check_grads": {"order 0": (lambda: tn.check_grads(lambda a: a.sum(), [np.ones(2)], order=0),
                                (ValueError, r"order must be a positive integer")),
                    "unknown mode": (lambda: tn.check_grads(lambda a: a.sum(), [np.ones(2)], modes=("sideways",)),
                                     (ValueError, r"modes must name")),
                    "not a function": (lambda: tn.check_grads("abc", [np.ones(2)]), (TypeError, r"function"))},
    "save": {"not a mapping": (lambda: tn.save("abc", "unused.npz"), (TypeError, r"mapping of name"))},
    "load": {"None path": (lambda: tn.load(None), (TypeError, r"NoneType")),
             "missing file": (lambda: tn.load("no/such/dir/model.npz"), (FileNotFoundError, r"no checkpoint"))},
})

EXEMPT = {
    **{n: "NumPy's scalar type, re-exported for dtype= arguments" for n in
       ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_")},
    "is_grad_enabled": "takes no arguments",
    "no_grad": "takes no arguments (a context manager)",
    "enable_grad": "takes no arguments (a context manager)",
    "Primitive": "extension API: its kernel and rules are the author's code, run only when the primitive is applied",
    "defprim": "extension API, as Primitive",
    "apply": "extension API: applies a Primitive made by defprim/Primitive (whose arguments are checked there)",
}


def _public_callables() -> set[str]:
    return {n for n in dir(tn) if not n.startswith("_") and callable(getattr(tn, n))
            and not inspect.ismodule(getattr(tn, n))}


def test_every_public_callable_has_a_sweep_row_or_a_reason():
    missing = sorted(_public_callables() - set(TOP) - set(EXEMPT))
    assert not missing, f"public functions without a hostile-input row in TOP (or a reason in EXEMPT): {missing}"
    stale = sorted((set(TOP) | set(EXEMPT)) - _public_callables())
    assert not stale, f"rows for names turunan no longer has: {stale}"
    assert not set(TOP) & set(EXEMPT)


def test_every_row_has_cases():
    assert all(TOP[name] for name in TOP), [name for name in TOP if not TOP[name]]


# ---- checking one case ------------------------------------------------------------------------------------------
# messages that say nothing to a user: an internal error leaked out
_LEAKS = re.compile(r"has no attribute|tuple index out of range|list index out of range|'NoneType' object|"
                    r"object is not subscriptable|string indices must be|unhashable type")


def check(thunk, want):
    if want == PROPAGATES:
        with np.errstate(all="ignore"):
            out = thunk()
        outs = out if isinstance(out, (tuple, list)) else [out]
        values = np.concatenate([np.ravel(o.detach().numpy()) for o in outs])
        assert np.isnan(values).any() or np.isinf(values).any(), f"NaN/inf data did not reach the result: {values}"
        return
    exc, pattern = want if isinstance(want, tuple) else (want, "")
    assert exc not in (KeyError, AttributeError)
    with np.errstate(all="ignore"), pytest.raises(exc) as info:
        out = thunk()
        pytest.fail(f"no error; returned {type(out).__name__} {out!r:.120}")
    message = str(info.value)
    assert type(info.value) not in (KeyError, AttributeError, ZeroDivisionError), repr(info.value)
    assert not _LEAKS.search(message), f"an internal error leaked out: {message}"
    assert re.search(pattern, message), f"message {message!r} does not match {pattern!r}"


TOP_CASES = [(name, label) for name in sorted(TOP) for label in TOP[name]]


@pytest.mark.parametrize("name, label", TOP_CASES, ids=[f"{n}[{c}]" for n, c in TOP_CASES])
def test_top_level(name, label):
    thunk, want = TOP[name][label]
    check(thunk, want)


# ---- nn.functional, nn layers ---------------------------------------------------------------------------------
def img():
    return tn.ones((1, 1, 4, 4))


NN = {
    **{f"F.{n}": tensor_role(getattr(F, n)) for n in ("relu", "sigmoid", "tanh", "softplus", "gelu")},
    "F.softmax": merge(tensor_role(lambda v: F.softmax(v, dim=0)), axis_role(lambda a: F.softmax(x23(), dim=a), False)),
    "F.log_softmax": axis_role(lambda a: F.log_softmax(x23(), dim=a), False),
    "F.leaky_relu": {"slope str": (lambda: F.leaky_relu(x23(), "a"), (TypeError, r"negative_slope must be a number"))},
    "F.gelu approximate": {"bogus": (lambda: F.gelu(x23(), approximate="bogus"), (ValueError, r"'none' or 'tanh'"))},
    "F.dropout": {"p 1.5": (lambda: F.dropout(x23(), p=1.5), (ValueError, r"dropout probability")),
                  "p nan": (lambda: F.dropout(x23(), p=NAN), (ValueError, r"dropout probability")),
                  "p str": (lambda: F.dropout(x23(), p="a"), TypeError)},
    "F.linear": merge(tensor_role(lambda v: F.linear(v, tn.ones((4, 3)))),
                      {"shapes": (lambda: F.linear(x23(), tn.ones((4, 5))), (ValueError, r"do not match"))}),
    "F.mse_loss": merge(tensor_role(lambda v: F.mse_loss(v, tn.ones(3))),
                        {"shapes": (lambda: F.mse_loss(tn.ones(3), tn.ones(4)), (ValueError, r"differ"))}),
    "F.cross_entropy": {
        "class 5 of 3": (lambda: F.cross_entropy(x23(), tn.tensor([0, 5])), (IndexError, r"out of bounds")),
        "class -1": (lambda: F.cross_entropy(x23(), tn.tensor([0, -1])), (IndexError, r"out of bounds")),
        "target shape": (lambda: F.cross_entropy(x23(), tn.tensor([0, 1, 2])), (ValueError, r"must have shape")),
        "logits str": (lambda: F.cross_entropy("abc", tn.tensor([0])), NOT_NUMBERS)},
    "F.nll_loss": {     # a class out of range added 0 to the loss, silently (PyTorch raises)
        "class -5": (lambda: F.nll_loss(x23(), tn.tensor([0, -5])), (IndexError, r"out of bounds")),
        "class 3 of 3": (lambda: F.nll_loss(x23(), tn.tensor([0, 3])), (IndexError, r"out of bounds")),
        "float target": (lambda: F.nll_loss(x23(), tn.tensor([0.0, 1.0])), (TypeError, r"integers")),
        "target shape": (lambda: F.nll_loss(x23(), tn.tensor([0, 1, 2])), (ValueError, r"must have shape")),
        "1-d scores": (lambda: F.nll_loss(tn.ones(3), tn.tensor([0])), (ValueError, r"\(N, C\)"))},
    "F.binary_cross_entropy": {   # 1.5 was clipped to 1 - eps: a finite, wrong loss (PyTorch raises)
        "probability 1.5": (lambda: F.binary_cross_entropy(tn.tensor([1.5]), tn.tensor([1.0])),
                            (RuntimeError, r"between 0 and 1")),
        "probability nan": (lambda: F.binary_cross_entropy(tn.tensor([NAN]), tn.tensor([1.0])),
                            (RuntimeError, r"between 0 and 1"))},
    "F.binary_cross_entropy_with_logits": {
        "shapes": (lambda: F.binary_cross_entropy_with_logits(tn.ones(3), tn.ones(4)), (ValueError, r"differs")),
        "NaN/inf data": (lambda: F.binary_cross_entropy_with_logits(tn.tensor([NAN]), tn.tensor([1.0])), PROPAGATES)},
    "F.conv2d": {"2-d input": (lambda: F.conv2d(tn.ones((3, 3)), tn.ones((1, 1, 2, 2))),
                               (ValueError, r"\(N, C, H, W\)")),
                 "channels": (lambda: F.conv2d(tn.ones((1, 2, 3, 3)), tn.ones((1, 1, 2, 2))),
                              (ValueError, r"channels")),
                 "stride 0": (lambda: F.conv2d(img(), tn.ones((1, 1, 2, 2)), stride=0), (ValueError, r"positive")),
                 "padding -1": (lambda: F.conv2d(img(), tn.ones((1, 1, 2, 2)), padding=-1),
                                (ValueError, r"non-negative")),
                 "stride 1.5": (lambda: F.conv2d(img(), tn.ones((1, 1, 2, 2)), stride=1.5), (TypeError, r"integer"))},
    "F.max_pool2d": {"kernel 0": (lambda: F.max_pool2d(img(), 0), (ValueError, r"kernel_size must be positive")),
                     "kernel -1": (lambda: F.max_pool2d(img(), -1), (ValueError, r"kernel_size must be positive")),
                     "kernel 2.5": (lambda: F.max_pool2d(img(), 2.5), (TypeError, r"integer")),
                     "tensor str": (lambda: F.max_pool2d("abc", 2), NOT_NUMBERS)},
    "F.avg_pool2d": {"kernel 5 > 4": (lambda: F.avg_pool2d(img(), 5), (ValueError, r"does not fit")),
                     "kernel 0": (lambda: F.avg_pool2d(img(), 0), (ValueError, r"positive"))},
    "F.batch_norm": {"features": (lambda: F.batch_norm(x23(), tn.ones(4), tn.ones(4)), (ValueError, r"reshape"))},
    "nn.Linear": {"-1": (lambda: nn.Linear(-1, 2), (ValueError, r"negative")),
                  "2.5": (lambda: nn.Linear(2.5, 2), (TypeError, r"integer")),
                  "str": (lambda: nn.Linear("a", 2), (TypeError, r"integer"))},
    "nn.Dropout": {"p 1.5": (lambda: nn.Dropout(1.5), (ValueError, r"dropout probability"))},
    "nn.Conv2d": {"kernel 0": (lambda: nn.Conv2d(1, 1, 0), (ValueError, r"positive"))},
}


def _w():
    return tn.ones(3, requires_grad=True)


OPTIM = {
    **{f"{cls.__name__} lr={lr!r}": (lambda cls=cls, lr=lr: cls([_w()], lr=lr), want)
       for cls in (optim.SGD, optim.Adam, optim.AdamW)
       for lr, want in ((NAN, (ValueError, r"Invalid learning rate: nan")),
                        (INF, (ValueError, r"Invalid learning rate: inf")),
                        (-1.0, (ValueError, r"Invalid learning rate")),
                        ("0.1", (TypeError, r"lr must be a real number")),
                        (None, (TypeError, r"lr must be a real number")))},
    "Adam eps nan": (lambda: optim.Adam([_w()], eps=NAN), (ValueError, r"epsilon")),
    "Adam betas (1.5, 0.9)": (lambda: optim.Adam([_w()], betas=(1.5, 0.9)), (ValueError, r"beta")),
    "AdamW weight_decay nan": (lambda: optim.AdamW([_w()], weight_decay=NAN), (ValueError, r"weight_decay")),
    "SGD momentum -1": (lambda: optim.SGD([_w()], lr=0.1, momentum=-1), (ValueError, r"momentum")),
    "SGD params str": (lambda: optim.SGD("abc", lr=0.1), (TypeError, r"Tensors")),
    "SGD params empty": (lambda: optim.SGD([], lr=0.1), (ValueError, r"empty parameter list")),
}


def _jvp_bad_tangent_shape():
    return tn.func.jvp(lambda a: a * 2, (tn.ones(3),), (tn.ones(4),))


FUNC = {
    "vjp cotangent shape": (lambda: tn.func.vjp(lambda a: a * 2, tn.ones(3))[1](tn.ones(4)),
                            (ValueError, r"cotangent has shape \(4,\)")),
    "vjp complex cotangent": (lambda: tn.func.vjp(lambda a: a * 2, tn.ones(1))[1](np.array([1j])),
                              (TypeError, r"complex autodiff")),
    "jvp tangent shape": (_jvp_bad_tangent_shape, (ValueError, r"tangent has shape")),
    "jvp complex tangent": (lambda: tn.func.jvp(lambda a: a * 2, (tn.ones(1),), (np.array([1j]),)),
                            (TypeError, r"complex autodiff")),
    "grad argnums 5": (lambda: tn.func.grad(lambda a: a * 2, argnums=5)(1.0), (ValueError, r"out of range")),
    "grad non-scalar output": (lambda: tn.func.grad(lambda a: a * 2)(tn.ones(3)), (TypeError, r"scalar output")),
    **{f"{n} not a function": (lambda n=n: getattr(tn.func, n)("abc"), (TypeError, r"expected a function"))
       for n in ("jacrev", "jacfwd", "linearize", "vjp")},
    "hvp not a function": (lambda: tn.func.hvp("abc", (tn.ones(2),), (tn.ones(2),)),
                           (TypeError, r"expected a function")),
    "stop_gradient str": (lambda: tn.func.stop_gradient("abc"), NOT_NUMBERS),
    "backward complex head gradient": (lambda: (x23() * 2).backward(np.ones((2, 3)) * 1j),
                                       (TypeError, r"complex autodiff")),
    "backward head gradient shape": (lambda: (x23() * 2).backward(tn.ones(4)),
                                     (ValueError, r"head gradient has shape \(4,\)")),
    "backward non-scalar without gradient": (lambda: (x23() * 2).backward(), (RuntimeError, r"scalar outputs")),
}


def _tt():
    return torch.ones(2, 3)


DOORS = {
    "torch.tensor str": (lambda: torch.tensor("abc"), NOT_NUMBERS),
    "torch.exp None": (lambda: torch.exp(None), NOT_NUMBERS),          # was a NaN tensor
    "torch.sin str": (lambda: torch.sin("abc"), NOT_NUMBERS),
    "torch.add object array": (lambda: torch.add(_tt(), np.array([1.0, 2.0, 3.0], dtype=object)), NOT_NUMBERS),
    "torch.sum dim 5": (lambda: torch.sum(_tt(), dim=5), (IndexError, r"out of range")),
    "torch.transpose 0, 5": (lambda: torch.transpose(_tt(), 0, 5), (IndexError, r"Dimension out of range")),
    "torch.cat dim 5": (lambda: torch.cat([_tt(), _tt()], dim=5), (IndexError, r"Dimension out of range")),
    "Tensor.reshape (4, 2)": (lambda: _tt().reshape(4, 2), (ValueError, r"cannot reshape")),
    "torch.zeros -1": (lambda: torch.zeros(-1), (ValueError, r"negative")),
    "torch.ones 2.0": (lambda: torch.ones(2, 2.0), (TypeError, r"integer")),
    "torch.split 0": (lambda: _tt().split(0), (RuntimeError, r"split_size")),
    "tf.constant str": (lambda: tf.constant("abc"), NOT_NUMBERS),
    "tf.add str": (lambda: tf.add(tf.ones(2), "abc"), NOT_NUMBERS),
    "tf.exp None": (lambda: tf.exp(None), NOT_NUMBERS),
    "tf.reduce_sum axis 5": (lambda: tf.reduce_sum(tf.ones((2, 3)), axis=5), (AxisError, r"out of range")),
    "tf.concat axis 5": (lambda: tf.concat([tf.ones((2, 3))] * 2, 5), (AxisError, r"out of range")),
    "tf.reshape (4, 2)": (lambda: tf.reshape(tf.ones(6), (4, 2)), (ValueError, r"cannot reshape")),
    "tf.zeros -1": (lambda: tf.zeros((-1,)), (ValueError, r"negative")),
    "tf.Variable str": (lambda: tf.Variable("abc"), NOT_NUMBERS),
    "mx np.array None": (lambda: mnp.array([1.0, None]), NOT_NUMBERS),
    "mx np.add str": (lambda: mnp.add(mnp.ones(2), "abc"), NOT_NUMBERS),
    "mx np.exp None": (lambda: mnp.exp(None), NOT_NUMBERS),
    "mx np.swapaxes 0, 5": (lambda: mnp.swapaxes(mnp.ones((2, 3)), 0, 5), (AxisError, r"out of range")),
    "mx ndarray.sum axis 5": (lambda: mnp.ones((2, 3)).sum(axis=5), (AxisError, r"out of range")),
    "mx np.zeros -1": (lambda: mnp.zeros((-1,)), (ValueError, r"negative")),
    "mx npx.softmax axis 5": (lambda: npx.softmax(mnp.ones((2, 3)), axis=5), (AxisError, r"out of range")),
    "mx npx.relu str": (lambda: npx.relu("abc"), NOT_NUMBERS),
}

OTHER = {**{f"nn: {k} [{c}]": v for k, row in NN.items() for c, v in row.items()},
         **{f"optim: {k}": v for k, v in OPTIM.items()},
         **{f"func: {k}": v for k, v in FUNC.items()},
         **{f"doors: {k}": v for k, v in DOORS.items()}}


@pytest.mark.parametrize("label", sorted(OTHER))
def test_other_entry_points(label):
    check(*OTHER[label])


# ---- the doors, swept generically: a bad first argument gets a clear error, never a leak or a silent result ----
def _door_functions():
    out = []
    for prefix, mod in (("torch", torch), ("tf", tf), ("tf.math", tf.math), ("mx.np", mnp), ("mx.npx", npx)):
        for n in sorted(dir(mod)):
            fn = getattr(mod, n)
            if n.startswith("_") or inspect.isclass(fn) or inspect.ismodule(fn) or not callable(fn):
                continue
            out.append((f"{prefix}.{n}", fn))
    return out


# door functions whose first argument is not a tensor (names, sizes, seeds, devices, predicates), or that take none
DOOR_NOT_TENSOR_FIRST = re.compile(
    r"\.(is_\w+|set_\w+|get_\w+|manual_seed|seed|no_grad|enable_grad|inference_mode|device|cpu|gpu|num_gpus|"
    r"current_\w+|reset_np|use_np|zeros|ones|empty|full|rand\w*|normal|uniform|arange|linspace|eye|identity|"
    r"range|fill|tensor|as_tensor|from_numpy|constant|convert_to_tensor|array|asarray|Variable|einsum|"
    r"cat|concat|concatenate|stack|hstack|vstack|meshgrid|broadcast_tensors|where|save|load|"
    r"checkpoint|grad|vjp|jvp|func|typename|result_type|promote_types|can_cast|dtype|finfo|iinfo|"
    r"manual_\w+|default_\w+|shape|size|rank|one_hot|autocast|compile|jit|function|cdist|chain_matmul|block_diag)$")


DOOR_FUNCTIONS = [(name, fn) for name, fn in _door_functions() if not DOOR_NOT_TENSOR_FIRST.search(name)]


@pytest.mark.parametrize("bad", ["abc", None], ids=["str", "None"])
@pytest.mark.parametrize("name", [n for n, _ in DOOR_FUNCTIONS])
def test_door_functions_refuse_non_numbers_clearly(name, bad):
    fn = dict(DOOR_FUNCTIONS)[name]
    try:
        with np.errstate(all="ignore"):
            out = fn(bad)
    except (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError) as e:
        assert not _LEAKS.search(str(e)), f"{name}({bad!r}): an internal error leaked out: {e!r}"
        return
    # no error: whatever came back must not be a tensor made of the non-number
    data = getattr(out, "data", out)
    kind = getattr(getattr(data, "dtype", None), "kind", None)
    assert kind is None or kind in "biufc", f"{name}({bad!r}) returned a {kind!r}-dtype result: {out!r:.100}"
    pytest.fail(f"{name}({bad!r}) returned {type(out).__name__} {out!r:.100} instead of raising")


# ---- in-place calls: refused without changing anything ---------------------------------------------------------
def _leaf():
    return tn.tensor([1.0, 2.0, 3.0])


def _setitem(t, index, value):
    t[index] = value


INPLACE = {
    "add_ str": (lambda t: t.add_("abc"), NOT_NUMBERS),
    "add_ None": (lambda t: t.add_(None), NOT_NUMBERS),
    "mul_ object array": (lambda t: t.mul_(np.array([1.0, 2.0, 3.0], dtype=object)), NOT_NUMBERS),
    "sub_ shape (4,)": (lambda t: t.sub_(tn.ones(4)), (ValueError, r"broadcast")),
    "div_ shape (2, 3)": (lambda t: t.div_(tn.ones((2, 3))), (ValueError, r"would change the shape")),
    "pow_ str": (lambda t: t.pow_("a"), NOT_NUMBERS),
    "+= str": (lambda t: t.__iadd__("abc"), NOT_NUMBERS),
    "fill_ str": (lambda t: t.fill_("a"), TypeError),
    "fill_ None": (lambda t: t.fill_(None), TypeError),
    "setitem str": (lambda t: _setitem(t, 0, "abc"), NOT_NUMBERS),
    "setitem None": (lambda t: _setitem(t, slice(None), None), NOT_NUMBERS),
    "setitem index 7": (lambda t: _setitem(t, 7, 1.0), (IndexError, r"out of bounds")),
    "setitem shape": (lambda t: _setitem(t, slice(0, 2), tn.ones(3)), (ValueError, r"broadcast|shape")),
    "data = str": (lambda t: setattr(t, "data", "abc"), (TypeError, r"tensor or an array")),
}


@pytest.mark.parametrize("label", sorted(INPLACE))
def test_a_refused_in_place_call_changes_nothing(label):
    call, want = INPLACE[label]
    t = _leaf()
    before, version = t.numpy().copy(), t._version[0]
    check(lambda: call(t), want)
    np.testing.assert_array_equal(t.numpy(), before)
    assert t._version[0] == version, "a refused in-place call bumped the version"
    assert t.dtype == np.float32 and t.shape == (3,)


# ---- operators keep Python's protocol, and NumPy's where it has one ------------------------------------------------
def test_operators_answer_not_implemented_to_non_numbers_as_pytorch():
    x = tn.ones(3)
    with pytest.raises(TypeError, match="unsupported operand"):
        x + "abc"
    with pytest.raises(TypeError, match="unsupported operand"):
        x * None
    with pytest.raises(TypeError):
        x + np.array([1.0, 2.0, 3.0], dtype=object)     # was an object-dtype "tensor"
    # comparisons keep NumPy's semantics (elementwise; PyTorch gives False)
    np.testing.assert_array_equal((x == None).numpy(), [False, False, False])  # noqa: E711


def test_numbers_beside_tensors_keep_their_values_and_dtypes():
    x = tn.tensor([1.0, 2.0, 3.0])
    for got, want in ((x * 2.0, [2.0, 4.0, 6.0]), (2 ** x, [2.0, 4.0, 8.0]), (x ** 2, [1.0, 4.0, 9.0]),
                      (tn.maximum(x, np.float64(2.5)), [2.5, 2.5, 3.0]), (tn.add(x, [1, 1, 1]), [2.0, 3.0, 4.0]),
                      (tn.add([1.0], [2.0]), [3.0]), (tn.exp([0.0]), [1.0])):
        np.testing.assert_allclose(got.numpy(), want)
    assert (x * 2.0).dtype == np.float32 and (x ** 2).dtype == np.float32 and (x > 1).dtype == np.bool_
    assert tn.equal(x, [1.0, 0.0, 3.0]).tolist() == [True, False, True]


# ---- NaN and infinity as data propagate (hyper-parameters are refused: OPTIM, F.dropout, normal above) ------
def test_nan_data_propagates_through_a_training_step():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * tn.tensor([NAN, 1.0])).sum().backward()
    opt.step()
    assert math.isnan(w.detach().numpy()[0]) and w.detach().numpy()[1] == pytest.approx(1.9)
