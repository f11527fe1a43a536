"""``Module``: the base class of layers and models — parameters, buffers, sub-modules, modes, state.

A Module registers what it is given as attributes: a ``Parameter`` becomes a parameter, a ``Module`` a
sub-module, and ``register_buffer`` adds state that is saved but not trained (BatchNorm's running
statistics). Walks over the module tree are iterative (an explicit stack), like every walk in turunan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from .._core import Tensor
from .._grad import zero_grads as _zero_grads
from .._mode import no_grad
from .parameter import Parameter


class _HookHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook off (also as a ``with`` block)."""

    _next_id = 0

    def __init__(self, hooks: dict, hook) -> None:
        _HookHandle._next_id += 1
        self.hooks, self.id = hooks, _HookHandle._next_id
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` did not match, as PyTorch's result names it (``result.missing_keys``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for layers and models: subclass it, assign layers and Parameters in ``__init__``, and
    write ``forward``.

    >>> import turunan as tn
    >>> from turunan import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(3, 2, generator=tn.Generator(0))
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    >>> net(tn.ones(4, 3)).shape
    (4, 2)
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ---- registration ----------------------------------------------------------------------------------
    def _registry(self) -> dict:
        try:
            return object.__getattribute__(self, "_parameters")
        except AttributeError:
            raise AttributeError(f"cannot assign to {type(self).__name__} before Module.__init__() is called; "
                                 "call super().__init__() first in your __init__") from None

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, Parameter):
            self._registry()
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._registry()
            self._forget(name)
            self._modules[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r}: assign a "
                                "turunan.nn.Parameter (or None)")
            self._parameters[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} to buffer {name!r}: assign a Tensor")
            self._buffers[name] = value
        elif "_modules" in self.__dict__ and name in self._modules and value is None:
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        for d in (self._parameters, self._buffers, self._modules):
            d.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str):
        # only called when ordinary lookup fails: look in the registries
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if reg in d and name in d[reg]:
                return d[reg][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for reg in (self._parameters, self._buffers, self._modules):
            if name in reg:
                del reg[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}) needs a Parameter or None, got {type(param).__name__}")
        self._registry()
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is not trained but is part of ``state_dict`` (unless ``persistent=False``)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._registry()
        self._forget(name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}) needs a Module, got {type(module).__name__}")
        self._registry()
        self._forget(name)
        self._modules[name] = module

    # ---- running ---------------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define forward(self, ...) in it")

    def __call__(self, *args, **kwargs):
        hooks = self.__dict__.get("_forward_hooks")
        if not hooks:
            return self.forward(*args, **kwargs)
        for hook in list(hooks["pre"].values()):
            changed = hook(self, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
        out = self.forward(*args, **kwargs)
        for hook in list(hooks["post"].values()):
            changed = hook(self, args, out)
            if changed is not None:
                out = changed
        return out

    def _add_hook(self, kind: str, hook) -> _HookHandle:
        hooks = self.__dict__.get("_forward_hooks")
        if hooks is None:
            hooks = {"pre": {}, "post": {}}
            object.__setattr__(self, "_forward_hooks", hooks)
        return _HookHandle(hooks[kind], hook)

    def register_forward_hook(self, hook) -> _HookHandle:
        """Call ``hook(module, args, output)`` after each forward; a non-None return replaces the output.
        Returns a handle whose ``remove()`` takes the hook off (PyTorch's rules)."""
        return self._add_hook("post", hook)

    def register_forward_pre_hook(self, hook) -> _HookHandle:
        """Call ``hook(module, args)`` before each forward; a non-None return replaces the positional args."""
        return self._add_hook("pre", hook)

    # ---- walking the tree (iteratively) ----------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, each once (shared modules are not repeated)."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            yield name, mod
            children = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for k, m in self._modules.items():
            if m is not None:
                yield k, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, mod in mods:
            for k, v in getattr(mod, registry).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{mname}.{k}" if mname else k), v, mod, k

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, e.g. ``('0.weight', Parameter)``; a shared parameter appears once."""
        for name, p, _, _ in self._named("_parameters", prefix, recurse):
            yield name, p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        for name, b, _, _ in self._named("_buffers", prefix, recurse):
            yield name, b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every sub-module and then on this one (e.g. a custom initialiser)."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    # ---- modes and gradients ---------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout passes through, BatchNorm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (PyTorch 2's default), or, with ``set_to_none=False``,
        zeros written in place, so the next backward reuses the same buffers."""
        _zero_grads(self.parameters(), set_to_none)

    def num_parameters(self) -> int:
        """How many trainable numbers the model has."""
        return sum(p.size for p in self.parameters())

    # ---- dtype -----------------------------------------------------------------------------------------
    def to(self, dtype) -> Module:
        """Convert floating-point parameters and buffers to ``dtype`` (in place); gradients are dropped."""
        dtype = np.dtype(dtype)
        with no_grad():
            for t in list(self.parameters()) + list(self.buffers()):
                if t.dtype.kind == "f" and t.dtype != dtype:
                    t.data = t._d.astype(dtype)
                    t._bump_version()
                    t._grad = None
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ---- state -----------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, as detached Tensors sharing the data."""
        out = {}
        for name, mod in self.named_modules():
            pre = f"{name}." if name else ""
            for k, p in mod._parameters.items():
                if p is not None:
                    out[pre + k] = p.detach()
            for k, b in mod._buffers.items():
                if b is not None and k not in mod._non_persistent:
                    out[pre + k] = b.detach()
        return out

    def _state_targets(self) -> dict[str, Tensor]:
        out = {}
        for name, mod in self.named_modules():
            pre = f"{name}." if name else ""
            for k, p in mod._parameters.items():
                if p is not None:
                    out[pre + k] = p
            for k, b in mod._buffers.items():
                if b is not None and k not in mod._non_persistent:
                    out[pre + k] = b
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, all or nothing.

        Every key, shape and dtype is checked before anything is written, so a mismatch raises and leaves
        the module as it was. With ``strict=False`` missing and unexpected keys are allowed (and returned).
        """
        from .serialization import assign_state
        return IncompatibleKeys(*assign_state(self._state_targets(), state_dict, strict, type(self).__name__))

    def save(self, path) -> None:
        """Write ``state_dict()`` to an ``.npz`` file (no pickle)."""
        from .serialization import save
        save(self.state_dict(), path)

    def load(self, path, strict: bool = True) -> Module:
        """Load an ``.npz`` written by ``save``; on any error (``CheckpointError``) the module is left unchanged.

        Names, then every array's header (shape, dtype, declared size) are checked against this module before
        any data is read, so a forged or foreign file is refused without a large allocation. Returns self.
        """
        from .serialization import load_into
        # checked against this module's names, shapes and dtypes before any data is read (hostile files)
        load_into(self._state_targets(), path, strict, type(self).__name__)
        return self

    # ---- printing --------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for k, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({k}): {sub}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"



class Sequential(Module):
    """Layers applied one after another; indexable, iterable.

    >>> from turunan import nn
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> len(net), type(net[1]).__name__
    (3, 'ReLU')
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], dict):
            for k, m in layers[0].items():
                self.add_module(str(k), m)
        else:
            for i, m in enumerate(layers):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential takes Modules; item {i} is a {type(m).__name__}")
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of sub-modules, registered so their parameters are found."""

    def __init__(self, modules=()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def extend(self, modules) -> ModuleList:
        for m in modules:
            self.append(m)
        return self


class ModuleDict(Module):
    """A dict of sub-modules (names in insertion order), registered so their parameters are found.

    >>> import turunan as tn
    >>> heads = ModuleDict({"a": tn.nn.Linear(2, 1)})
    >>> heads["b"] = tn.nn.Linear(2, 3)
    >>> list(heads), [n for n, _ in heads.named_parameters()]
    (['a', 'b'], ['a.weight', 'a.bias', 'b.weight', 'b.bias'])
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        self.update(modules or {})

    def update(self, modules) -> None:
        for name, m in (modules.items() if hasattr(modules, "items") else modules):
            self[name] = m

    def __setitem__(self, name: str, module: Module) -> None:
        self.add_module(name, module)

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __delitem__(self, name: str) -> None:
        del self._modules[name]

    def __contains__(self, name) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


class ParameterList(Module):
    """A list of parameters (plain tensors are made Parameters), registered under the names "0", "1", ...

    >>> import turunan as tn
    >>> scales = ParameterList([tn.ones(2), tn.zeros(1)])
    >>> len(scales), [tuple(p.shape) for p in scales], type(scales[0]).__name__
    (2, [(2,), (1,)], 'Parameter')
    """

    def __init__(self, values=()) -> None:
        super().__init__()
        self.extend(values)

    def append(self, value) -> ParameterList:
        if not isinstance(value, Parameter):
            value = Parameter(value._d if isinstance(value, Tensor) else value)
        self.register_parameter(str(len(self._parameters)), value)
        return self

    def extend(self, values) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, i):
        return list(self._parameters.values())[i]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())
