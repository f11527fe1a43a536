"""What a jitted function reaches: the tensors, modules, optimisers and Python values its step reads and writes.

A PyTorch-style step takes no tensors as arguments: it reads a model, a loss and an optimiser from its closure or
from the globals it names. ``reach`` walks the closure cells, the globals named by the code (through nested code
objects and the functions and bound methods found there), defaults, containers and plain objects' attributes,
and collects

- every Tensor (parameters, buffers, data held by the closure): their arrays are bound afresh on every call;
- optimisers and learning-rate schedulers (duck-typed: ``param_groups`` / ``optimizer`` and a ``step``): their
  ``step`` runs as a host call on replay, on the real arrays, so Adam's step counter, a scheduler's rate and any
  state an optimiser keeps in Python stay live (nothing of theirs is baked into the trace);
- a fingerprint of Python values (numbers, strings, flags such as ``Module.training``, container lengths, the
  identity and layout of NumPy arrays, where an iterator stands) that joins the cache key: a changed value means
  another trace, and a step that changes one (``next(batches)``) is not replayed at all.

Turunan's own library functions and modules are not walked (their globals are the library, not the step's state).

>>> import turunan as tn
>>> def make(w):
...     return lambda x: (w * x).sum()
>>> w = tn.tensor([1.0], requires_grad=True)
>>> [t is w for t in reach(make(w)).tensors]
[True]
"""

from __future__ import annotations

import functools
import operator
import types

import numpy as np

from ._core import Tensor

__all__ = ["Reach", "reach", "still"]

_SCALARS = (int, float, bool, complex, str, bytes, type(None))
_MAX_ITEMS = 4096          # a container's items walked at most (a dataset held in a list is not state to key on)


def _library(mod: str | None) -> bool:
    return bool(mod) and (mod in ("turunan", "numpy", "scipy") or mod.startswith(("turunan.", "numpy.", "scipy.")))


class Reach:
    """The result of ``reach``: tensors, hosts (optimisers, schedulers) and the fingerprint of Python values."""

    __slots__ = ("tensors", "hosts", "modules", "fp", "arrays", "bound_steps", "edges", "key", "check", "state")

    def __init__(self) -> None:
        self.edges: list = []           # what the walk read: (kind, container, key, value), for ``still``
        self.state = None               # the tensors a call binds, when it passes none (kept by turunan.jit)
        self.bound_steps: list = []     # (cell or container, key): where a host's bound ``step`` is kept
        self.tensors: list = []
        self.hosts: list = []
        self.modules: list = []
        self.arrays: list = []
        self.fp: list = []


def _is_module(obj) -> bool:
    d = getattr(obj, "__dict__", None)
    return d is not None and "_parameters" in d and "_modules" in d and "training" in d


def _is_optimizer(obj) -> bool:
    return isinstance(getattr(obj, "param_groups", None), list) and callable(getattr(obj, "step", None))


def _is_scheduler(obj) -> bool:
    return _is_optimizer(getattr(obj, "optimizer", None)) and callable(getattr(obj, "step", None))


def _host_step(v) -> bool:
    return type(v) is types.MethodType and v.__func__.__name__ == "step" and (
        _is_optimizer(v.__self__) or _is_scheduler(v.__self__))


_EMPTY = object()


def still(r: Reach) -> bool:
    """Whether everything ``r``'s walk read is still there (same objects, same numbers, same lengths): then a new
    walk would find the same. One generated function of straight comparisons (a walk costs 20-70 us a call)."""
    if r.check is None:
        lines, consts = [], []

        def c(v) -> str:
            consts.append(v)
            return f"E[{len(consts) - 1}]"
        for kind, cont, key, value in r.edges:
            if kind == "len":
                lines.append(f"if len({c(cont)}) != {value}: return False")
                continue
            get = f"{c(cont)}.cell_contents" if kind == "cell" else f"{c(cont)}[{c(key)}]"
            if type(value) in _SCALARS:
                lines.append(f"v = {get}")
                lines.append(f"if v is not {c(value)} and (v.__class__ is not {c(type(value))} or v != "
                             f"{c(value)}): return False")
            else:
                lines.append(f"if {get} is not {c(value)}: return False")
        code = "def check(E):\n" + "".join(f"    {x}\n" for x in lines) + "    return True\n"
        ns: dict = {}
        exec(compile(code, "<tn.jit reach check>", "exec"), ns)
        r.check = functools.partial(ns["check"], consts)
    try:
        return r.check()
    except (ValueError, KeyError, IndexError, TypeError):   # an emptied cell, a removed key, a shorter list
        return False


def reach(fn, depth: int = 8) -> Reach:
    """Walk what ``fn`` can reach (see the module's docstring)."""
    out = Reach()
    seen: set[int] = set()
    fp = out.fp
    edges = out.edges
    out.check = None
    stack = [(fn, depth)]
    while stack:
        obj, d = stack.pop()
        t = type(obj)
        if t in _SCALARS:
            fp.append(obj)
            continue
        if id(obj) in seen or d < 0:
            continue
        seen.add(id(obj))
        if isinstance(obj, Tensor):
            out.tensors.append(obj)
            fp.append(id(obj))
            continue
        if t is np.ndarray:
            out.arrays.append(obj)
            fp.append((id(obj), obj.shape, obj.dtype.str))
            continue
        if isinstance(obj, (types.ModuleType, type, np.generic, np.dtype)):
            fp.append(obj if isinstance(obj, np.generic) else id(obj))
            continue
        if t is types.FunctionType:
            code = obj.__code__
            cells = obj.__closure__ or ()
            for c in cells:
                try:
                    v = c.cell_contents
                except ValueError:          # an empty cell (a name not bound yet)
                    fp.append("<empty>")
                    continue
                edges.append(("cell", c, None, v))
                if _host_step(v):           # ``sgd_step = opt.step`` kept in a closure: swapped while tracing
                    out.bound_steps.append((c, None))
                stack.append((v, d - 1))
            for v in (obj.__defaults__ or ()):
                stack.append((v, d - 1))
            for v in (obj.__kwdefaults__ or {}).values():
                stack.append((v, d - 1))
            if _library(obj.__module__):
                continue        # a transform's closure (tn.func.grad(loss)) holds the user's function; not its globals
            g = obj.__globals__
            for name in _names(code):
                if name in g:
                    edges.append(("item", g, name, g[name]))
                    stack.append((g[name], d - 1))
            continue
        if t is types.GeneratorType:        # a batch iterator: where it stands, to see a step advance it
            frame = obj.gi_frame
            fp.append(("gen", -1 if frame is None else frame.f_lasti,
                       () if frame is None else tuple(v if type(v) in _SCALARS else id(v)
                                                      for v in frame.f_locals.values())))
            continue
        if t is types.MethodType:
            stack.append((obj.__self__, d - 1))
            stack.append((obj.__func__, d - 1))
            continue
        if t is functools.partial:
            stack.append((obj.func, d - 1))
            stack.extend((v, d - 1) for v in obj.args)
            stack.extend((v, d - 1) for v in obj.keywords.values())
            continue
        if t is tuple or t is list or t is set or t is frozenset:
            fp.append((t.__name__, len(obj)))
            if t is list or t is set:
                edges.append(("len", obj, None, len(obj)))
            if len(obj) <= _MAX_ITEMS:
                if t is list:
                    edges.extend(("item", obj, i, v) for i, v in enumerate(obj))
                stack.extend((v, d - 1) for v in obj)
            continue
        if t is dict:
            fp.append(("dict", len(obj)))
            edges.append(("len", obj, None, len(obj)))
            if len(obj) <= _MAX_ITEMS:
                for k, v in obj.items():
                    edges.append(("item", obj, k, v))
                    fp.append(k if type(k) in _SCALARS else id(k))
                    if _host_step(v):
                        out.bound_steps.append((obj, k))
                    stack.append((v, d - 1))
            continue
        if not hasattr(obj, "__dict__") and hasattr(t, "__next__"):    # a built-in iterator (iter(list), zip)
            fp.append(("iter", id(obj), operator.length_hint(obj, -1)))
            continue
        if _is_optimizer(obj) or _is_scheduler(obj):
            out.hosts.append(obj)
            opt = obj if _is_optimizer(obj) else obj.optimizer
            stack.extend((p, d - 1) for g in opt.param_groups for p in g["params"])
            edges.append(("len", opt.param_groups, None, len(opt.param_groups)))
            for g in opt.param_groups:
                edges.append(("item", g, "params", g["params"]))
                edges.append(("len", g["params"], None, len(g["params"])))
                edges.extend(("item", g["params"], i, p) for i, p in enumerate(g["params"]))
            if opt is not obj:
                stack.append((opt, d - 1))
            continue
        if _is_module(obj):
            out.modules.append(obj)
        elif _library(getattr(t, "__module__", None)):
            continue        # the library's own objects (generators, dtypes, ...): not the step's state
        attrs = getattr(obj, "__dict__", None)
        if attrs is not None:
            fp.append(("obj", id(t), len(attrs)))
            edges.append(("len", attrs, None, len(attrs)))
            for k, v in attrs.items():
                fp.append(k)
                edges.append(("item", attrs, k, v))
                stack.append((v, d - 1))
    out.key = tuple(fp)
    return out


@functools.lru_cache(maxsize=1024)
def _names(code: types.CodeType) -> tuple:
    """The global names ``code`` and the code objects nested in it may read."""
    names, stack = [], [code]
    while stack:
        c = stack.pop()
        names.extend(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return tuple(dict.fromkeys(names))
