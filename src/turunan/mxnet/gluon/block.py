"""``mxnet.gluon.Block``: a model as a Python object whose attributes are its child blocks and parameters.

MXNet 1.x semantics (``python/mxnet/gluon/block.py``): assigning a ``Block`` or a ``Parameter`` to an attribute
registers it; ``collect_params()`` gathers the parameters of the block and of every child, recursively, in the
order they were assigned; ``initialize(init)`` initialises them all (``init.Uniform()`` by default);
``net(x)`` calls ``forward(x)``. Names follow MXNet 1.x's global counters: the first ``Dense`` is ``dense0``,
its parameters ``dense0_weight`` and ``dense0_bias``. ``HybridBlock`` is ``Block`` here (``hybridize()`` does
nothing: there is no graph compiler).
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections import OrderedDict

import numpy as _onp

from .._ndarray import MXNetError
from .parameter import Parameter, ParameterDict

__all__ = ["Block", "HybridBlock"]

_COUNTERS: dict[str, itertools.count] = {}


def _new_prefix(cls: type) -> str:
    hint = cls.__name__.lower()
    counter = _COUNTERS.setdefault(hint, itertools.count())
    return f"{hint}{next(counter)}_"


class Block:
    """The base class of layers and models: subclass it, create children in ``__init__``, write ``forward``.

    >>> from turunan.mxnet import np
    >>> from turunan.mxnet.gluon import nn
    >>> class MLP(nn.Block):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Dense(4, activation='relu')
    ...         self.out = nn.Dense(2)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x))
    >>> net = MLP()
    >>> net.initialize()
    >>> net(np.ones((3, 5))).shape
    (3, 2)
    >>> [p.shape for p in net.collect_params().values()]
    [(4, 5), (4,), (2, 4), (2,)]
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        object.__setattr__(self, "_children", OrderedDict())
        object.__setattr__(self, "_reg_params", OrderedDict())
        object.__setattr__(self, "_prefix", _new_prefix(type(self)) if prefix is None else prefix)
        object.__setattr__(self, "_params", ParameterDict(self._prefix))
        if params is not None:
            self._params.update(params)

    def _ensure(self) -> None:
        if "_children" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                               "child blocks or parameters (gluon.Block's rule)")

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, (Block, Parameter)):
            self._ensure()
            old = self.__dict__.get(name)
            if isinstance(old, (Block, Parameter)) and not isinstance(value, type(old)):
                raise TypeError(f"Changing attribute type for {name} from {type(old)} to {type(value)} is not "
                                "allowed.")
            if isinstance(value, Block):
                self._children[name] = value
            else:
                self._reg_params[name] = value
        object.__setattr__(self, name, value)

    # ---- names ----------------------------------------------------------------------------------------------
    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def name(self) -> str:
        return self._prefix[:-1] if self._prefix.endswith("_") else self._prefix

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's: use ``collect_params()``)."""
        out = ParameterDict(self._prefix)
        out.update(self._params)
        for p in self._reg_params.values():
            out[p.name] = p
        return out

    def name_scope(self):
        """MXNet's naming scope; names here come from global counters, so it changes nothing."""
        return contextlib.nullcontext(self)

    # ---- parameters -----------------------------------------------------------------------------------------
    def collect_params(self, select: str | None = None) -> ParameterDict:
        """Every parameter of this block and its children (recursively), by name; ``select`` is a regular
        expression the names must match."""
        out = ParameterDict(self._prefix)
        seen: set[int] = set()

        def visit(block: Block) -> None:
            if id(block) in seen:
                return
            seen.add(id(block))
            for p in list(block._params.values()) + list(block._reg_params.values()):
                if select is None or re.match(select, p.name):
                    out[p.name] = p
            for child in block._children.values():
                visit(child)

        visit(self)
        return out

    def initialize(self, init=None, ctx=None, verbose: bool = False, force_reinit: bool = False) -> None:
        """Initialise every parameter (now, or at the first forward pass where a shape is still unknown)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def zero_grad(self) -> None:
        self.collect_params().zero_grad()

    def _structured_params(self, prefix: str = "") -> dict:
        """Parameters by their place in the tree (``'0.weight'``, ``'hidden.bias'``): MXNet's file keys, which
        do not depend on the global name counters, so a fresh net of the same structure can load them."""
        out = {prefix + name: p for name, p in self._reg_params.items()}
        for name, child in self._children.items():
            out.update(child._structured_params(f"{prefix}{name}."))
        return out

    def save_parameters(self, filename, deduplicate: bool = False) -> None:
        """Write every parameter's values to ``filename`` (a NumPy ``.npz`` archive under the name given)."""
        arrays = {k: p.data().asnumpy() for k, p in self._structured_params().items()}
        with open(filename, "wb") as f:
            _onp.savez(f, **arrays)

    def load_parameters(self, filename, ctx=None, allow_missing: bool = False, ignore_extra: bool = False,
                        cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Read values written by ``save_parameters`` into this block's parameters (initialising any that are
        not yet); a missing or extra name, or a shape that differs, raises as MXNet does."""
        with _onp.load(filename, allow_pickle=False) as archive:
            loaded = {k: archive[k] for k in archive.files}
        params = self._structured_params()
        if not allow_missing:
            for name in (n for n in params if n not in loaded):
                raise MXNetError(f"Parameter '{name}' is missing in file '{filename}'. Set allow_missing=True "
                                 "to ignore missing parameters.")
        if not ignore_extra:
            for name in (n for n in loaded if n not in params):
                raise MXNetError(f"Parameter '{name}' loaded from file '{filename}' is not present in this "
                                 "Block. Set ignore_extra=True to ignore.")
        for name, p in params.items():
            if name in loaded:
                p._load(loaded[name], name)

    def register_child(self, block: Block, name: str | None = None) -> None:
        self._children[name or str(len(self._children))] = block

    def hybridize(self, active: bool = True, **kwargs) -> None:
        """No graph compiler here: runs as it is (imperatively)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype) -> None:
        for p in self.collect_params().values():
            p.cast(dtype)

    # ---- running ---------------------------------------------------------------------------------------------
    def __call__(self, *args):
        return self.forward(*args)

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __repr__(self) -> str:
        if not self._children:
            return f"{type(self).__name__}()"
        body = "\n".join(f"  ({k}): " + repr(v).replace("\n", "\n  ") for k, v in self._children.items())
        return f"{type(self).__name__}(\n{body}\n)"


HybridBlock = Block
