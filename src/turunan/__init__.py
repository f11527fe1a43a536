"""turunan — automatic differentiation for deep learning, in Python, over NumPy.

>>> import turunan as tn
>>> x = tn.arange(4.0, requires_grad=True)
>>> y = 2 * tn.dot(x, x)
>>> y.backward()
>>> x.grad
tensor([ 0.,  4.,  8., 12.])
"""

from __future__ import annotations

import numpy as _np

from . import (
    _methods,  # (attaches Tensor's operators and methods)
    _rules,
    autograd,
    func,
)
from ._checkpoint import checkpoint
from ._conveniences import (  # HIPS autograd's transform names, at the top level as its other transforms
    deriv,
    elementwise_grad,
    grad_and_aux,
    grad_named,
    hessian_tensor_product,
    hessian_vector_product,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    vector_jacobian_product,
)
from ._core import Primitive, Tensor, apply
from ._creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    uniform,
    zeros,
    zeros_like,
)
from ._custom import custom_jvp, custom_vjp
from ._mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._ops import (
    abs,
    absolute,
    add,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    astype,
    broadcast_to,
    cat,
    ceil,
    clamp,
    clip,
    concatenate,
    copy,
    cos,
    cumprod,
    cumsum,
    divide,
    dot,
    einsum,
    elu,
    equal,
    erf,
    exp,
    exp2,
    expand_dims,
    expm1,
    flatten,
    flip,
    floor,
    greater,
    greater_equal,
    inner,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    moveaxis,
    multiply,
    negative,
    norm,
    not_equal,
    outer,
    permute,
    power,
    prod,
    ravel,
    reciprocal,
    relu,
    remainder,
    reshape,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    subtract,
    sum,
    swapaxes,
    take,
    take_along_axis,
    tan,
    tanh,
    tensordot,
    tile,
    topk,
    transpose,
    true_divide,
    trunc_divide,
    unsqueeze,
    var,
    vdot,
    where,
)
from ._rules import TABLE, defprim
from ._vmap import vmap
from .func import grad, hessian, holomorphic_grad, jacobian, stop_gradient, value_and_grad
from .jit import jit
from .lazy import compute
from .testing import check_grads

# NumPy's complex-number functions on Tensors (np.real(t), np.conj(t), np.angle(t)) record the table's rows
_methods.UFUNCS[_np.conjugate] = _rules.conj
_methods.FUNCTIONS.update({_np.real: _rules.real, _np.imag: _rules.imag,
                           _np.angle: lambda z, deg=False: _rules.angle(z) * (180 / _np.pi if deg else 1)})
# and as JAX's and PyTorch's attributes: z.real, z.imag (a real tensor's .real is itself), z.conj(), z.angle()
Tensor.real = property(lambda self: _rules.real(self) if self._d.dtype.kind == "c" else self)
Tensor.imag = property(_rules.imag)
Tensor.conj = Tensor.conjugate = lambda self: _rules.conj(self)
Tensor.angle = lambda self: _rules.angle(self)

float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64, uint8, bool_ = _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8, _np.bool_

__version__ = "0.1.0"


# submodules reachable as attributes (`tn.nn.Linear`, as `torch.nn` after `import torch`), imported on first
# use so that `import turunan` stays light
_LAZY_SUBMODULES = ("nn", "optim", "data", "func", "numpy", "testing", "viz", "datasets", "plotting")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")    # also binds it here: no second call
    # save/load live with nn (a higher layer); importing them lazily keeps `import turunan` light
    if name in ("save", "load"):
        from .nn import serialization
        return getattr(serialization, name)
    raise AttributeError(f"module 'turunan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | {"save", "load"})
