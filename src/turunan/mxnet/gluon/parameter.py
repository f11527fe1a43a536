"""``mxnet.gluon.parameter``: ``Parameter`` (an ndarray with its gradient, initialised on demand) and
``ParameterDict``.

MXNet 1.x semantics (``python/mxnet/gluon/parameter.py``): ``initialize()`` on a parameter whose shape is not
known yet (a 0 in it: ``Dense``'s ``in_units=0``) defers the initialisation to the first forward pass, which
fills in the shape; until then ``data()`` raises ``DeferredInitializationError``; before ``initialize()`` it
raises a ``RuntimeError``; initialising twice warns and keeps the values unless ``force_reinit=True``. The data
is an ndarray with ``attach_grad(grad_req)``: recorded inside ``autograd.record()``, its ``.grad`` written by
``backward`` (the MXNet door's engine; no gradient math here).
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

import numpy as _onp

from .. import init as _init
from .._ndarray import MXNetError, ndarray

__all__ = ["Parameter", "ParameterDict", "DeferredInitializationError", "Constant"]


class DeferredInitializationError(MXNetError):
    """A parameter's initialisation waits for the first forward pass, which tells its shape."""


def _known(shape) -> bool:
    return shape is not None and all(int(s) > 0 for s in shape)


class Parameter:
    """A block's weight: ``data()``, ``grad()``, ``set_data()``, ``initialize()``, ``zero_grad()``.

    >>> from turunan.mxnet import init
    >>> p = Parameter("dense0_weight", shape=(2, 3))
    >>> p.initialize(init.Constant(1.0))
    >>> p.data().shape, p.grad().shape
    ((2, 3), (2, 3))
    """

    def __init__(self, name: str = "weight", grad_req: str = "write", shape=None, dtype="float32",
                 lr_mult: float = 1.0, wd_mult: float = 1.0, init=None, allow_deferred_init: bool = False,
                 differentiable: bool = True) -> None:
        self.name = name
        self._shape = None if shape is None else (tuple(int(s) for s in shape) if not isinstance(shape, int)
                                                  else (shape,))
        self.dtype = _onp.dtype(dtype)
        self.lr_mult, self.wd_mult = lr_mult, wd_mult
        self.init = init
        self.allow_deferred_init = allow_deferred_init
        self._grad_req = grad_req if differentiable else "null"
        self._data: ndarray | None = None
        self._deferred = None      # the default initialiser, waiting for the shape

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype.name})"

    # ---- shape ------------------------------------------------------------------------------------------
    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new_shape) -> None:
        new_shape = tuple(int(s) for s in new_shape)
        if self._shape is not None:
            if len(self._shape) != len(new_shape) or any(o not in (0, n) for o, n in zip(self._shape, new_shape)):
                raise MXNetError(f"Expected shape {new_shape} is incompatible with given shape {self._shape} "
                                 f"for Parameter {self.name!r}.")
        self._shape = new_shape

    # ---- grad_req -------------------------------------------------------------------------------------------
    @property
    def grad_req(self) -> str:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be one of 'write', 'add', or 'null', but got '{req}'")
        self._grad_req = req
        if self._data is not None:
            self._attach()

    def _attach(self) -> None:
        if self._grad_req == "null":
            self._data._node = None
            self._data.requires_grad = False
            self._data._grad = None
        else:
            self._data.attach_grad(self._grad_req)

    # ---- initialisation -----------------------------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=None, force_reinit: bool = False) -> None:
        """Fill the data now, or at the first forward pass where the shape is not known yet.

        ``init`` overrides the parameter's own ``init``, which overrides ``default_init`` (``Uniform()``).
        """
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. Set force_reinit=True to "
                          "re-initialize.", stacklevel=2)
            return
        if default_init is None:
            default_init = _init.Uniform()
        self._data = None
        self._deferred = (init, default_init)
        if not _known(self._shape):
            if not self.allow_deferred_init:
                raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                                 f"{self._shape}.")
            return
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        if self._deferred is None:
            return
        if not _known(self._shape):
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                             f"{self._shape}. Please specify in_units, in_channels, etc for `Block`s.")
        init, default_init = self._deferred
        self._deferred = None
        data = ndarray(_onp.zeros(self._shape, self.dtype))
        own = init if init is not None else self.init
        if own is not None:                  # MXNet: InitDesc(name, {'__init__': init}) -> create(init)._init_weight
            _init.create(own)._init_weight(_init.InitDesc(self.name), data)
        else:
            _init.create(default_init)(_init.InitDesc(self.name), data)
        self._data = data
        self._attach()

    def _check(self) -> ndarray:
        if self._data is not None:
            return self._data
        if self._deferred is not None:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was deferred. "
                "Actual initialization happens during the first forward pass. Please pass one batch of data "
                "through the network before accessing Parameters. You can also avoid deferred initialization by "
                "specifying in_units, num_features, etc., for network layers.")
        raise RuntimeError(f"Parameter '{self.name}' has not been initialized. Note that you should initialize "
                           "parameters and create Trainer with Block.collect_params() instead of Block.params "
                           "because the later does not include Parameters of nested child Blocks")

    # ---- access -------------------------------------------------------------------------------------------
    def data(self, ctx=None) -> ndarray:
        """The parameter's ndarray (the same object every time: updates happen in place)."""
        return self._check()

    def list_data(self) -> list:
        return [self.data()]

    def grad(self, ctx=None) -> ndarray:
        """The gradient buffer that ``backward`` writes."""
        data = self._check()
        if self._grad_req == "null" or data.grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        return data.grad

    def list_grad(self) -> list:
        return [self.grad()]

    def list_ctx(self) -> list:
        return ["cpu(0)"]

    def set_data(self, data) -> None:
        """Overwrite the values in place (the shape must match; a deferred parameter takes it as its shape)."""
        arr = data.asnumpy() if isinstance(data, ndarray) else _onp.asarray(data)
        if self._data is None:
            if self._deferred is None:
                self._check()                  # not initialised: MXNet's RuntimeError
            self.shape = arr.shape
            self._finish_deferred_init()
        if tuple(arr.shape) != self._data.shape:
            raise MXNetError(f"Parameter '{self.name}': set_data got shape {tuple(arr.shape)}, expected "
                             f"{self._data.shape}")
        self._data[:] = arr.astype(self.dtype)

    def _load(self, arr, key: str) -> None:
        """Take ``arr`` from a parameter file: its shape must fit; an uninitialised parameter is initialised."""
        try:
            self.shape = arr.shape
        except MXNetError:
            raise MXNetError(f"Failed loading Parameter '{key}' from saved params: shape incompatible expected "
                             f"{self._shape} vs saved {arr.shape}") from None
        if self._data is None and self._deferred is None:
            self._deferred = (_init.Zero(), _init.Zero())
        self.set_data(arr)

    def zero_grad(self) -> None:
        if self._data is not None and self._data.grad is not None:
            self._data.grad[:] = 0

    def reset_ctx(self, ctx) -> None:
        """One device (the CPU): nothing to move."""

    def cast(self, dtype) -> None:
        self.dtype = _onp.dtype(dtype)
        if self._data is not None:
            self._data = ndarray(self._data.asnumpy().astype(self.dtype))
            self._attach()

    def var(self):
        raise NotImplementedError("turunan.mxnet has no symbolic API: Parameter.var() is not available")


def Constant(value) -> Parameter:  # noqa: N802  (MXNet's class name)
    """A parameter that holds a constant and gets no gradient (``gluon.Constant``)."""
    arr = value.asnumpy() if isinstance(value, ndarray) else _onp.asarray(value, dtype=_onp.float32)
    p = Parameter("const", grad_req="null", shape=arr.shape, dtype=arr.dtype, init=_init.Constant(0.0))
    p.initialize()
    p.set_data(arr)
    return p


class ParameterDict(OrderedDict):
    """Name -> ``Parameter``, what ``Block.collect_params()`` returns; initialises and zeroes them together."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__()
        self.prefix = prefix

    def __repr__(self) -> str:
        body = "\n".join(f"  {p!r}" for p in self.values())
        return f"{self.prefix} (\n{body}\n)" if body else f"{self.prefix} (\n)"

    def initialize(self, init=None, ctx=None, verbose: bool = False, force_reinit: bool = False) -> None:
        """Initialise every parameter: each one's own initialiser first, else ``init`` (``Uniform()``)."""
        default = _init.Uniform() if init is None else _init.create(init)
        for p in self.values():
            p.initialize(None, ctx, default, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx) -> None:
        """One device (the CPU): nothing to move."""

    def setattr(self, name: str, value) -> None:
        """Set one attribute on every parameter (``collect_params().setattr('grad_req', 'add')``)."""
        for p in self.values():
            setattr(p, name, value)

    def update(self, other) -> None:
        for k, v in other.items():
            if k in self and self[k] is not v:
                raise ValueError(f"Cannot update self with other because they have different Parameters with "
                                 f"the same name '{k}'")
            self[k] = v
