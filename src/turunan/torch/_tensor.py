"""PyTorch's ``torch.Tensor`` over turunan's Tensor: PyTorch's method names and conventions, PyTorch's printing.

The core Tensor's methods follow NumPy (``transpose`` permutes, ``std`` is biased, ``size`` is an int). This
subclass translates PyTorch's spelling into the same core operations (docs/design.md, principle 6: names, never math):
``transpose(0, 1)`` swaps two dims, ``std()`` is unbiased, ``size()`` is a method giving a ``torch.Size``,
``max(dim)`` gives ``(values, indices)``. Results of operations on it are PyTorch tensors again.

The methods that are the door's functions (``max``, ``sort``, ``transpose``, the arithmetic with PyTorch's type
promotion and its operators, ...) are attached by ``turunan.torch._functions``, which is defined after this
class because its functions return it.

>>> import turunan.torch as torch
>>> x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> x.transpose(0, 1).shape
torch.Size([3, 2])
>>> x.std()
tensor(1.8708)
>>> x.max(dim=1)
torch.return_types.max(
values=tensor([3., 6.]),
indices=tensor([2, 2]))
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import _core
from .. import _ops as ops
from .._doors import recast
from ._printing import format_torch
from ._types import (
    CPP_NAMES,
    CPU,
    LEGACY_NAMES,
    SCALAR_NAMES,
    Size,
    SizeAttr,
    as_dtype,
    check_device,
    checked_dim,
    checked_dims,
    dtype,
    np_dtype,
    type_name,
)
from ._types import device as torch_device


def reduce_args(dim, keepdim, kw) -> tuple:
    """PyTorch also accepts NumPy's ``axis``/``keepdims`` as aliases of ``dim``/``keepdim``."""
    if "axis" in kw:
        dim = kw.pop("axis")
    if "keepdims" in kw:
        keepdim = kw.pop("keepdims")
    if kw:
        raise TypeError(f"unexpected keyword arguments {sorted(kw)}")
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim)


def _keyword(kw: dict, name: str, method: str):
    """The one keyword a method that takes its sizes or dims as ``*args`` accepts instead (``x.view(size=...)``)."""
    if set(kw) != {name}:
        raise TypeError(f"{method}() takes its {name} positionally or as {name}=, got keyword arguments {sorted(kw)}")
    return kw[name]


class Tensor(_core.Tensor):
    """PyTorch's tensor: turunan's Tensor with PyTorch's method names and conventions, printed as PyTorch prints.

    ``torch.Tensor(data)`` makes a float32 tensor (as PyTorch's constructor does); ``torch.Tensor(2, 3)`` one
    of that shape (filled with zeros: PyTorch leaves it uninitialised).
    """

    __slots__ = ()
    _complex_grad = False   # PyTorch's complex gradients are the conjugate of turunan's (JAX's): refused, not wrong

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False) -> None:
        check_device(device)
        if args and builtins.all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            data = np.zeros(tuple(int(a) for a in args), np.float32)
        elif len(args) == 1 and isinstance(args[0], (tuple, Size)) and not args[0]:
            data = np.zeros((0,), np.float32)
        elif len(args) == 1:
            data = args[0]._d if isinstance(args[0], _core.Tensor) else args[0]
        elif not args:
            data = np.zeros((0,), np.float32)
        else:
            raise TypeError("torch.Tensor(data) or torch.Tensor(*sizes)")
        super().__init__(data, np_dtype(dtype) or np.float32, requires_grad)

    # ---- facts, PyTorch's way ------------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._d.shape)

    @property
    def size(self) -> SizeAttr:
        """``x.size()`` is a torch.Size, ``x.size(dim)`` an int (and ``x.size`` alone the element count)."""
        return SizeAttr(self._d.shape)

    @property
    def dtype(self) -> dtype:
        return as_dtype(self._d.dtype)

    @property
    def device(self) -> torch_device:
        return CPU

    is_cuda = False

    @property
    def grad(self):
        """The accumulated gradient (a PyTorch tensor): None until a backward pass reaches this leaf."""
        g = self._grad
        if g is not None and not isinstance(g, Tensor):
            g = self._grad = recast(g, Tensor)    # the same array and graph node, PyTorch's class
        return g

    @grad.setter
    def grad(self, value) -> None:
        """PyTorch's checks, in its order: a Tensor or None (``a.grad = 0.`` is a TypeError), not the tensor
        itself, of the tensor's dtype and shape."""
        if value is not None:
            if not isinstance(value, _core.Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type_name(value)}")
            if value is self:
                raise RuntimeError("can't assign Variable as its own grad")
            have, want = value._d.dtype, self._d.dtype
            if have != want:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{CPP_NAMES.get(have.name, have.name)}' to a "
                    f"tensor with grad_dtype '{SCALAR_NAMES.get(want.name, want.name)}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
                    "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. "
                    "Diverging the dtypes of a tensor and its gradient may break downstream systems that assume "
                    "they match.")
            if value._d.shape != self._d.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value._d.shape)}' to a tensor "
                                   f"of size '{list(self._d.shape)}'. Please ensure that the gradient and the "
                                   "tensor are the same size")
        _core.Tensor.grad.fset(self, value)

    @property
    def data(self):
        """PyTorch's ``x.data``: a tensor sharing this one's memory that does not require grad and has its own
        version counter, so in-place changes through it (``p.data.sub_(lr * p.grad)``) are not seen by the
        graph, as in PyTorch. A raw array here would give PyTorch's method names NumPy's meaning
        (``std``, ``repeat``, ``sort`` in place)."""
        return type(self)._result_type()._wrap(self._d)

    @data.setter
    def data(self, value) -> None:
        """``x.data = other``: ``x`` now holds ``other``'s memory (any shape and dtype), as in PyTorch, which
        refuses a number and, for a tensor that requires grad, a tensor that is not floating point. (An array is
        taken too, unlike PyTorch: turunan's own layers set their parameters' arrays this way.)"""
        if not isinstance(value, (_core.Tensor, np.ndarray)):
            raise TypeError(f"Variable data has to be a tensor, but got {type_name(value)}")
        kind = (value._d if isinstance(value, _core.Tensor) else value).dtype.kind
        if self.requires_grad and kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex "
                               "dtype")
        _core.Tensor.data.fset(self, value)     # the core's checks: an array of numbers

    def nelement(self) -> int:
        return self._d.size

    def ndimension(self) -> int:
        return self._d.ndim

    def element_size(self) -> int:
        return self._d.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._d.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._d.flags.c_contiguous)

    def contiguous(self):
        """This tensor if its memory is C-contiguous, else a recorded copy that is (PyTorch's)."""
        return self if self._d.flags.c_contiguous else recast(ops.copy(self), Tensor)

    def ravel(self):
        """A 1-d view where the memory is contiguous, else a 1-d copy (PyTorch's ``contiguous().view(-1)``)."""
        return recast(ops.reshape(self.contiguous(), (-1,)), Tensor)

    def flip(self, *dims, **kw):
        """A copy with the order of ``dims`` reversed (PyTorch's flip copies; NumPy's is a view)."""
        dims = dims or (_keyword(kw, "dims", "flip"),)
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return recast(ops.copy(ops.flip(self, checked_dims(dims, self.ndim) if self.ndim else dims)), Tensor)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """PyTorch's flatten: the tensor itself where nothing is merged (a 1-d tensor), else ``reshape``."""
        if self.ndim and checked_dim(start_dim, self.ndim) == checked_dim(end_dim, self.ndim):
            return self
        out = recast(ops.flatten(self, start_dim, end_dim), Tensor)
        if out.grad_fn is None:
            return out
        # PyTorch's names: a view where the memory allows it, else a copy (as its reshape, which flatten calls)
        return _core.name_grad_fn(out, "ViewBackward0" if getattr(out, "_view", None) is not None
                                  else "UnsafeViewBackward0")

    # ---- devices and dtypes ------------------------------------------------------------------------------
    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking: bool = False):
        check_device("cuda")

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False):
        """``x.to(torch.float64)``, ``x.to('cpu')``, ``x.to(other)`` (its dtype): a new tensor only if needed."""
        for a in args:
            if isinstance(a, _core.Tensor):
                dtype = a._d.dtype
            elif isinstance(a, (str, torch_device)):
                device = a
            else:
                dtype = a
        check_device(device)
        out = self if dtype is None else ops.astype(self, np_dtype(dtype))
        return out.clone() if copy and out is self else out

    def type(self, dtype=None, non_blocking: bool = False):
        """Without an argument, PyTorch's type name (``'torch.FloatTensor'``); with one, a converted tensor."""
        if dtype is None:
            return f"torch.{LEGACY_NAMES.get(self._d.dtype.name, self._d.dtype.name)}Tensor"
        if isinstance(dtype, str):
            names = {f"torch.{v}Tensor": k for k, v in LEGACY_NAMES.items()}
            if dtype not in names:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = names[dtype]
        return ops.astype(self, np_dtype(dtype))

    def type_as(self, other):
        return ops.astype(self, other._d.dtype)

    # ---- shapes --------------------------------------------------------------------------------------------
    def view(self, *shape, **kw):
        """The same elements in another shape, sharing memory (``-1`` infers one size); raises where that
        needs a copy, as PyTorch does (use ``reshape``)."""
        shape = shape or (_keyword(kw, "size", "view"),)
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            raise TypeError("view(dtype) is not supported by turunan; use .to(dtype)")
        out = ops.view(self, *shape)
        return out if out is self else _core.name_grad_fn(out, "ViewBackward0")

    def view_as(self, other):
        return ops.view(self, tuple(other.shape))

    def reshape_as(self, other):
        return ops.reshape(self, tuple(other.shape))

    def expand_as(self, other):
        return ops.broadcast_to(self, tuple(other.shape))

    def expand(self, *sizes, **kw):
        """Broadcast to ``sizes``; -1 keeps the size of that dim (PyTorch's ``x.expand(-1, 5)``)."""
        kw.pop("implicit", None)
        sizes = ops.shape_arg(sizes or (_keyword(kw, "size", "expand"),))
        lead = len(sizes) - self._d.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({self._d.ndim})")
        if builtins.any(s == -1 for s in sizes[:lead]):
            raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
        shape = tuple(self._d.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        return ops.broadcast_to(self, shape)

    def t(self):
        """Transpose a tensor of at most 2 dimensions (0-d and 1-d tensors come back as they are)."""
        if self._d.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._d.ndim}D")
        out = ops.transpose(self)
        return out if out is self else _core.name_grad_fn(out, "TBackward0")

    def squeeze(self, dim=None):
        """Remove dims of size 1 (only ``dim``, if given; a ``dim`` whose size is not 1 is left as it is)."""
        if dim is None:
            return ops.squeeze(self)
        nd = self._d.ndim
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = tuple(d for d in (checked_dim(d, nd) for d in dims) if nd and self._d.shape[d] == 1)
        return ops.squeeze(self, dims) if dims else self.view(self._d.shape)

    def unsqueeze(self, dim: int):
        return ops.expand_dims(self, checked_dim(dim, self._d.ndim + 1))

    def movedim(self, source, destination):
        nd = self._d.ndim
        if nd == 0:     # PyTorch: dim 0 or -1 of a 0-d tensor is the tensor itself
            checked_dims(source, 0), checked_dims(destination, 0)
            return ops.reshape(self, ())
        return ops.moveaxis(self, checked_dims(source, nd), checked_dims(destination, nd))

    moveaxis = movedim

    # ---- reductions ----------------------------------------------------------------------------------------
    def var(self, dim=None, unbiased=True, keepdim: bool = False, *, correction=None, **kw):
        """Variance, unbiased by default (PyTorch's ``correction=1``; NumPy's default is the population's)."""
        if isinstance(dim, bool):            # the old spelling x.var(False): unbiased, not a dim
            dim, unbiased = None, dim
        dim, keepdim = reduce_args(dim, keepdim, kw)
        ddof = correction if correction is not None else (1 if unbiased else 0)
        return ops.var(self, dim, keepdim, ddof)

    def std(self, dim=None, unbiased=True, keepdim: bool = False, *, correction=None, **kw):
        """Standard deviation, unbiased by default (as PyTorch)."""
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        dim, keepdim = reduce_args(dim, keepdim, kw)
        ddof = correction if correction is not None else (1 if unbiased else 0)
        return ops.std(self, dim, keepdim, ddof)

    # ---- PyTorch's method names for the core ops ------------------------------------------------------------
    def neg(self):
        return ops.negative(self)

    def equal(self, other) -> bool:
        return bool(np.array_equal(self._d, np.asarray(other)))

    # ---- printing ------------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return format_torch(self)

    __str__ = __repr__
    __hash__ = _core.Tensor.__hash__


Tensor._result_cls = Tensor     # operations on a PyTorch tensor (or a subclass of it) give PyTorch tensors
Tensor.__module__ = "turunan.torch"
