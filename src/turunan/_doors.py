"""What the three front doors (``turunan.mxnet``, ``turunan.torch``, ``turunan.tensorflow``) share.

Naming only, never math (docs/design.md, principle 6): these helpers give a result a door's class, forward names
lazily to another module, and say clearly when a door lacks a name. Derivatives stay in the core.
"""

from __future__ import annotations

import functools
import importlib

from ._array import refuse_complex
from ._core import Tensor

# the slot that stores requires_grad, reachable even where a door puts a property of the same name on top
REQUIRES_GRAD = Tensor.__dict__["requires_grad"]


def recast(value, cls: type):
    """``value`` as an instance of ``cls``: the same array, graph node, version counter and forward-mode
    tangents; only the class changes.

    Lists, tuples and named tuples are recast item by item; anything that is not a Tensor passes through.

    >>> import turunan as tn
    >>> class Mine(tn.Tensor):
    ...     __slots__ = ()
    >>> type(recast(tn.ones(2), Mine)).__name__
    'Mine'
    """
    if isinstance(value, Tensor):
        if isinstance(value, cls):
            return value
        out = cls._wrap(value._d, value._node, REQUIRES_GRAD.__get__(value), value._version)
        out._tangents = value._tangents     # forward-mode tangents travel with the value
        if out._node is None and out.requires_grad and not cls._complex_grad and value._d.dtype.kind == "c":
            refuse_complex(value._d.dtype, "this tensor")   # a complex leaf of a door whose framework conjugates
        return out
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(recast(v, cls) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(recast(v, cls) for v in value)
    return value


def adapt(fn, cls: type, name: str | None = None):
    """Wrap the core function ``fn`` so that what it returns has the door's class ``cls``.

    (A list of tensors given where an array goes, ``tf.reduce_sum([x, 2 * x])``, is recorded by the core's ops
    themselves: ``turunan._array.as_operand``.)
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return recast(fn(*args, **kwargs), cls)
    if name is not None:
        wrapper.__name__ = wrapper.__qualname__ = name
    return wrapper


def missing(module: str, name: str, style: str) -> AttributeError:
    """The error for a name a door does not provide: it names what is missing, so nobody gets a wrong result."""
    return AttributeError(f"module '{module}' has no attribute '{name}': turunan's {style} front door does not "
                          f"provide '{name}' (yet). Use a turunan op that does the same (see dir(turunan)), or "
                          "add the name to the front door if the core already has the operation")


def lacking(module: str, style: str):
    """A module ``__getattr__`` for a door's namespace: any name it lacks raises an error naming it."""
    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise missing(module, name, style)
    return __getattr__


def forwarder(module: str, target: str, style: str):
    """A module ``__getattr__`` that resolves names lazily in ``target`` (which may not exist yet).

    Lazy, so that importing the door never fails while ``target`` is missing, and names added to ``target``
    later appear without touching the door.
    """
    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            mod = importlib.import_module(target)
        except ImportError as e:
            if e.name != target:
                raise
            raise AttributeError(f"module '{module}' has no attribute '{name}': it forwards to '{target}', "
                                 f"which is not available in this version of turunan") from None
        try:
            return getattr(mod, name)
        except AttributeError:
            raise missing(module, name, style) from None
    return __getattr__


def forwarded_dir(own: list, target: str) -> list:
    """``dir()`` of a forwarding module: its own names plus the public names of ``target`` (if it exists)."""
    try:
        mod = importlib.import_module(target)
    except ImportError:
        return sorted(own)
    names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
    return sorted(set(own) | set(names))
