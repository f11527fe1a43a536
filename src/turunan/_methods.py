"""Tensor's operators and methods, and the NumPy protocols, attached to the core class.

``numpy.sin(t)`` on a Tensor lands in ``__array_ufunc__`` and ``numpy.sum(t)`` in ``__array_function__``;
both look the function up in one mapping to turunan's own ops, so plain NumPy code is recorded. A NumPy
function with no mapping raises a TypeError that names it: gradients are never silently dropped.
"""

from __future__ import annotations

import numpy as np

from . import _array, _engine, _grad, _plain
from . import _ops as ops
from . import _rules_fft as fft
from . import _rules_linalg as linalg
from ._core import Tensor

# ---- operators -------------------------------------------------------------------------------------------


def _swap(fn):
    return lambda self, other: fn(other, self)


# ``.operator``: answers NotImplemented to an operand that is not numbers (``t + 'a'``: Python's TypeError), as
# PyTorch's; the comparisons keep NumPy's semantics (see turunan._ops._arith)
_OPERATORS = {
    "__add__": ops.add.operator, "__radd__": ops.add.reflected,
    "__sub__": ops.subtract.operator, "__rsub__": ops.subtract.reflected,
    "__mul__": ops.multiply.operator, "__rmul__": ops.multiply.reflected,
    "__truediv__": ops.divide.operator, "__rtruediv__": ops.divide.reflected,
    "__floordiv__": ops.floor_divide.operator, "__rfloordiv__": _swap(ops.floor_divide),
    "__mod__": ops.remainder.operator, "__rmod__": _swap(ops.remainder),
    "__pow__": ops.power.operator, "__rpow__": _swap(ops.power),
    "__matmul__": ops.matmul, "__rmatmul__": _swap(ops.matmul),
    "__eq__": ops.equal.operator, "__ne__": ops.not_equal.operator, "__lt__": ops.less.operator,
    "__le__": ops.less_equal.operator, "__gt__": ops.greater.operator, "__ge__": ops.greater_equal.operator,
    "__and__": ops.logical_and.operator, "__or__": ops.logical_or.operator, "__xor__": ops.logical_xor.operator,
    "__rand__": _swap(ops.logical_and), "__ror__": _swap(ops.logical_or), "__rxor__": _swap(ops.logical_xor),
    "__neg__": ops.negative, "__abs__": ops.abs, "__invert__": ops.logical_not,
    "__getitem__": ops.getitem, "__setitem__": ops.setitem,
}
_INPLACE = {"__iadd__": ops.add, "__isub__": ops.subtract, "__imul__": ops.multiply, "__itruediv__": ops.divide,
            "__ipow__": ops.power, "add_": ops.add, "sub_": ops.subtract, "mul_": ops.multiply,
            "div_": ops.divide, "pow_": ops.power}


def _make_inplace(fn):
    def method(self, other):
        return ops.apply_inplace(self, fn, other)
    return method


_METHODS = {
    "sum": ops.sum, "mean": ops.mean, "prod": ops.prod, "max": ops.amax, "min": ops.amin, "amax": ops.amax,
    "amin": ops.amin, "argmax": ops.argmax, "argmin": ops.argmin, "var": ops.var, "std": ops.std,
    "norm": ops.norm, "logsumexp": ops.logsumexp, "softmax": ops.softmax, "log_softmax": ops.log_softmax,
    "cumsum": ops.cumsum, "cumprod": ops.cumprod, "argsort": ops.argsort, "all": ops.all, "any": ops.any,
    "exp": ops.exp, "expm1": ops.expm1, "log": ops.log, "log1p": ops.log1p, "sqrt": ops.sqrt,
    "square": ops.square, "sin": ops.sin, "cos": ops.cos, "tan": ops.tan, "tanh": ops.tanh,
    "sigmoid": ops.sigmoid, "relu": ops.relu, "abs": ops.abs, "sign": ops.sign, "reciprocal": ops.reciprocal,
    "clip": ops.clip, "clamp": ops.clip, "round": ops.round, "floor": ops.floor, "ceil": ops.ceil,
    "maximum": ops.maximum, "minimum": ops.minimum, "pow": ops.power,
    "dot": ops.dot, "matmul": ops.matmul,
    "reshape": ops.reshape, "view": ops.view, "transpose": ops.transpose, "permute": ops.permute,
    "swapaxes": ops.swapaxes, "expand_dims": ops.expand_dims, "unsqueeze": ops.unsqueeze,
    "squeeze": ops.squeeze, "flatten": ops.flatten, "ravel": ops.ravel, "broadcast_to": ops.broadcast_to,
    "expand": lambda self, *shape: ops.broadcast_to(self, ops.shape_arg(shape)), "flip": ops.flip,
    "astype": ops.astype, "zero_": ops.zero_, "fill_": ops.fill_,
    "float": lambda self: ops.astype(self, np.float32), "double": lambda self: ops.astype(self, np.float64),
    "half": lambda self: ops.astype(self, np.float16), "long": lambda self: ops.astype(self, np.int64),
    "int": lambda self: ops.astype(self, np.int32), "bool": lambda self: ops.astype(self, np.bool_),
    "clone": lambda self: ops.copy(self),
    "copy": lambda self: type(self)._wrap(self._d.copy()),
    "numel": lambda self: self._d.size,
    "dim": lambda self: self._d.ndim,
    "size_of": lambda self, axis: self._d.shape[axis],
}


def _T(self):
    return ops.transpose(self)


def _mT(self):
    return ops.swapaxes(self, -1, -2)


def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False, inputs=None):
    """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (PyTorch's semantics).

    A scalar needs no ``gradient``; a non-scalar needs one of its own shape (its vector-Jacobian product is
    computed). ``retain_graph`` defaults to ``create_graph``.
    """
    data = self._d
    if gradient is None and inputs is None and not create_graph and self.requires_grad and data.size == 1 \
            and data.dtype.kind != "c":
        # the common call, a scalar loss: what _grad.backward does for it, without its general checks
        head = (np.array(1, data.dtype) if data.ndim == 0 else np.ones(data.shape, data.dtype)) \
            if type(data) is np.ndarray else _array.ones_like(data)
        _engine.backward([self], [head], retain_graph=bool(retain_graph))
        return
    _grad.backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs=inputs)


# ---- the NumPy protocols ---------------------------------------------------------------------------------
UFUNCS = {
    np.add: ops.add, np.subtract: ops.subtract, np.multiply: ops.multiply, np.divide: ops.divide,
    np.power: ops.power, np.float_power: ops.power, np.maximum: ops.maximum, np.minimum: ops.minimum,
    np.fmax: ops.fmax, np.fmin: ops.fmin,
    np.negative: ops.negative, np.positive: ops.tensor_of, np.exp: ops.exp, np.expm1: ops.expm1, np.log: ops.log,
    np.log1p: ops.log1p, np.sqrt: ops.sqrt, np.square: ops.square, np.sin: ops.sin, np.cos: ops.cos,
    np.tan: ops.tan, np.tanh: ops.tanh, np.absolute: ops.abs, np.sign: ops.sign, np.reciprocal: ops.reciprocal,
    np.matmul: ops.matmul, np.equal: ops.equal, np.not_equal: ops.not_equal, np.less: ops.less,
    np.less_equal: ops.less_equal, np.greater: ops.greater, np.greater_equal: ops.greater_equal,
    np.logical_and: ops.logical_and, np.logical_or: ops.logical_or, np.logical_xor: ops.logical_xor,
    np.logical_not: ops.logical_not, np.isnan: ops.isnan, np.isinf: ops.isinf, np.isfinite: ops.isfinite,
    np.floor: ops.floor, np.ceil: ops.ceil, np.trunc: ops.trunc, np.floor_divide: ops.floor_divide,
    np.remainder: ops.remainder, np.rint: ops.rint,
    np.log2: ops.log2, np.exp2: ops.exp2,
    np.sinh: ops.sinh, np.cosh: ops.cosh, np.arcsin: ops.arcsin, np.arccos: ops.arccos, np.arctan: ops.arctan,
    np.arcsinh: ops.arcsinh, np.arccosh: ops.arccosh, np.arctanh: ops.arctanh, np.arctan2: ops.arctan2,
    np.hypot: ops.hypot, np.log10: ops.log10, np.fabs: ops.fabs, np.deg2rad: ops.deg2rad, np.rad2deg: ops.rad2deg,
    np.degrees: ops.degrees, np.radians: ops.radians, np.logaddexp: ops.logaddexp, np.logaddexp2: ops.logaddexp2,
    np.fmod: ops.fmod, np.signbit: ops.signbit,
}

FUNCTIONS = {
    # reductions with NumPy's signatures (dtype=, where=, initial=, ddof=; integers averaged in float64)
    np.sum: ops.numpy_sum, np.mean: ops.numpy_mean, np.prod: ops.numpy_prod, np.max: ops.numpy_amax,
    np.amax: ops.numpy_amax, np.min: ops.numpy_amin, np.amin: ops.numpy_amin, np.var: ops.numpy_var,
    np.std: ops.numpy_std, np.cumsum: ops.numpy_cumsum, np.cumprod: ops.numpy_cumprod, np.ptp: ops.ptp,
    np.average: ops.average, np.nansum: ops.nansum, np.nanmean: ops.nanmean, np.nanvar: ops.nanvar,
    np.nanstd: ops.nanstd, np.nanmax: ops.nanmax, np.nanmin: ops.nanmin, np.nanprod: ops.nanprod,
    np.nancumsum: ops.nancumsum, np.nancumprod: ops.nancumprod,
    np.sinc: ops.sinc, np.nan_to_num: ops.nan_to_num, np.fix: ops.fix, np.around: ops.around,
    np.isposinf: ops.isposinf, np.isneginf: ops.isneginf,
    np.argmax: ops.argmax, np.argmin: ops.argmin, np.all: ops.all, np.any: ops.any,
    np.linalg.norm: ops.norm, np.dot: ops.dot, np.tensordot: ops.tensordot, np.einsum: ops.einsum,
    np.outer: ops.outer, np.inner: ops.inner, np.vdot: ops.vdot, np.matmul: ops.matmul,
    np.reshape: ops.reshape, np.transpose: ops.transpose, np.swapaxes: ops.swapaxes, np.moveaxis: ops.moveaxis,
    np.expand_dims: ops.expand_dims, np.squeeze: ops.squeeze, np.ravel: ops.ravel,
    np.broadcast_to: ops.broadcast_to, np.concatenate: ops.concatenate, np.stack: ops.stack,
    np.tile: ops.tile, np.take_along_axis: ops.take_along_axis, np.take: ops.take,
    np.argsort: lambda a, axis=-1, kind=None, order=None, stable=None: ops.argsort(a, axis),
    np.sort: lambda a, axis=-1, kind=None, order=None, stable=None: ops.sort(a, axis),
    np.split: ops.split, np.flip: ops.flip, np.where: ops.where, np.clip: ops.clip, np.round: ops.round,
    np.shape: lambda x: np.shape(x._d), np.ndim: lambda x: x.ndim, np.size: lambda x: x.size,
    np.result_type: lambda *a: np.result_type(*[x._d if isinstance(x, Tensor) else x for x in a]),
    # numpy.fft (turunan._rules_fft)
    np.fft.fft: fft.fft_1d, np.fft.ifft: fft.ifft_1d, np.fft.fft2: fft.fft2, np.fft.ifft2: fft.ifft2,
    np.fft.fftn: fft.fftn, np.fft.ifftn: fft.ifftn, np.fft.rfft: fft.rfft_1d, np.fft.irfft: fft.irfft_1d,
    np.fft.rfft2: fft.rfft2, np.fft.irfft2: fft.irfft2, np.fft.rfftn: fft.rfftn, np.fft.irfftn: fft.irfftn,
    np.fft.hfft: fft.hfft, np.fft.ihfft: fft.ihfft, np.fft.fftshift: fft.fftshift, np.fft.ifftshift: fft.ifftshift,
    # numpy.linalg (turunan._rules_linalg)
    np.linalg.solve: linalg.linalg_solve, np.linalg.inv: linalg.linalg_inv, np.linalg.det: linalg.linalg_det,
    np.linalg.slogdet: linalg.linalg_slogdet, np.linalg.cholesky: linalg.linalg_cholesky,
    np.linalg.eigh: linalg.linalg_eigh, np.linalg.eigvalsh: linalg.linalg_eigvalsh, np.linalg.svd: linalg.linalg_svd,
    np.linalg.qr: linalg.linalg_qr, np.linalg.pinv: linalg.linalg_pinv, np.linalg.matrix_power: linalg.matrix_power,
    np.linalg.matrix_rank: linalg.matrix_rank, np.linalg.tensorinv: linalg.tensorinv,
    np.linalg.tensorsolve: linalg.tensorsolve, np.linalg.eig: linalg.linalg_eig,
    np.linalg.eigvals: linalg.linalg_eigvals,
}


# NumPy's shapes, assembly, gathers, products and differences (turunan._shapes, _indexing, _linalg)
FUNCTIONS.update({
    np.tril: ops.tril, np.triu: ops.triu, np.diag: ops.diag, np.diagonal: ops.diagonal, np.trace: ops.trace,
    np.repeat: ops.repeat, np.roll: ops.roll, np.rot90: ops.rot90, np.fliplr: ops.fliplr, np.flipud: ops.flipud,
    np.append: ops.append, np.vstack: ops.vstack, np.hstack: ops.hstack, np.dstack: ops.dstack,
    np.column_stack: ops.column_stack, np.row_stack: ops.row_stack, np.atleast_1d: ops.atleast_1d,
    np.atleast_2d: ops.atleast_2d, np.atleast_3d: ops.atleast_3d, np.array_split: ops.array_split,
    np.hsplit: ops.hsplit, np.vsplit: ops.vsplit, np.dsplit: ops.dsplit, np.pad: ops.pad,
    np.broadcast_arrays: ops.broadcast_arrays, np.diff: ops.diff, np.gradient: ops.gradient, np.cross: ops.cross,
    np.kron: ops.kron, np.partition: ops.partition, np.argpartition: ops.argpartition,
    np.select: ops.select, np.searchsorted: ops.searchsorted, np.unique: ops.unique, np.nonzero: ops.nonzero,
    np.where: ops.numpy_where, np.clip: ops.numpy_clip,
})


def _no_rule(name: str):
    return TypeError(f"turunan has no rule for numpy.{name}, so it cannot be recorded on a Tensor. Use a turunan "
                     f"op instead, call .detach().numpy() to leave the graph on purpose, or add a primitive "
                     f"(turunan.defprim) with its derivative")


def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
    fn = UFUNCS.get(ufunc)
    if method != "__call__" or fn is None:
        raise _no_rule(ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}")
    if kwargs.get("out") is not None:
        raise TypeError(f"numpy.{ufunc.__name__}(..., out=...) on a Tensor is not supported: Tensors are "
                        "changed in place only through their own in-place methods (+=, mul_, ...)")
    if kwargs:
        raise TypeError(f"numpy.{ufunc.__name__} on a Tensor does not take {sorted(kwargs)}")
    return fn(*inputs)


def _readable(x):
    """A Tensor's array where nothing is lost by reading it: no gradient, no tangent, no batch (else None)."""
    if x.requires_grad or x._tangents or not isinstance(x._d, np.ndarray):
        return None
    return x._d


def _without_tensors(args: tuple, kwargs: dict):
    """The arguments with every Tensor (also in a list or tuple) replaced by its array; None where one cannot be
    read without losing a derivative."""
    def swap(v):
        if isinstance(v, Tensor):
            return _readable(v)
        if type(v) in (list, tuple):
            items = [swap(x) for x in v]
            if any(x is None and y is not None for x, y in zip(items, v)):
                return None
            return type(v)(items)
        return v
    new_args, new_kwargs = swap(tuple(args)), {k: swap(v) for k, v in kwargs.items()}
    if new_args is None or any(new_kwargs[k] is None and kwargs[k] is not None for k in kwargs):
        return None
    return new_args, new_kwargs


def __array_function__(self, func, types, args, kwargs):
    fn = FUNCTIONS.get(func)
    if fn is None:
        # a NumPy function without a rule: on tensors that carry no derivative (no grad, no tangent, no batch) it
        # runs on their arrays and gives NumPy's answer (np.allclose(grad(f)(x), want)), as nothing can be lost;
        # on one that does, a silent cut would drop a gradient: refused, naming the function
        plain = _without_tensors(args, kwargs)
        if plain is not None:
            return func(*plain[0], **plain[1])
        name = getattr(func, "__name__", str(func))
        module = getattr(func, "__module__", "numpy") or "numpy"
        qual = name if module in ("numpy", "numpy.core.fromnumeric") else f"{module.replace('numpy.', '')}.{name}"
        raise _no_rule(qual)
    return fn(*args, **kwargs)


def _attach() -> None:
    for name, fn in _OPERATORS.items():
        setattr(Tensor, name, fn)
    for name, fn in _INPLACE.items():
        setattr(Tensor, name, _make_inplace(fn))
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.__pos__ = lambda self: self
    Tensor.T = property(_T)
    Tensor.mT = property(_mT)
    Tensor.backward = backward
    Tensor.__array_ufunc__ = __array_ufunc__
    Tensor.__array_function__ = __array_function__
    Tensor.__array_priority__ = 1000
    Tensor.__hash__ = object.__hash__
    Tensor.__iter__ = lambda self: (self[i] for i in range(len(self)))
    Tensor.__round__ = lambda self, n=0: ops.round(self, n)


_plain.register(FUNCTIONS)     # NumPy's functions whose results carry no gradient: answered on values
_attach()
