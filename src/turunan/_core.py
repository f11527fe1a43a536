"""Core: Tensor, graph Node, Primitive, and ``apply`` — the one place an operation is recorded.

A Tensor is a thin handle: an array (``data``), whether it requires grad, its ``.grad`` buffer, and for a
result of a recorded operation the ``Node`` that made it. Nodes point only to their parents (nodes, or
leaf Tensors), never to the Tensor they produced, so dropping a result frees its graph by reference
counting alone — no cycles. A node keeps only what its rules read (see ``Primitive``): inputs whose
values a rule uses, the output if a rule uses it, and otherwise just shapes.

The operators and methods of Tensor (``+``, ``.sum()``, …) are attached by ``turunan._ops``, a layer above.
"""

from __future__ import annotations

import dis
import inspect
import itertools
import weakref
from typing import NamedTuple

import numpy as np

from . import _array, _batched
from ._mode import state as _grad_state


class Tensor:
    """An array that can record the operations applied to it, to differentiate them.

    >>> import turunan as tn
    >>> x = tn.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    # _view / _views stay unset (no cost per op) except on views and their bases: see register_view
    # the array lives in the slot ``_d``, which the engine reads directly; ``data`` is the checked public door to it
    __slots__ = ("_d", "requires_grad", "_grad", "_node", "_version", "_hooks", "_tangents", "_retain",
                 "_view", "_views", "__weakref__")
    # the class given to results of operations on this tensor (front doors and Parameter override it)
    _result_cls: type | None = None
    # how backward writes a leaf's .grad: 'add' here; MXNet-style arrays keep their own in a slot
    _grad_req = "add"
    # whether NumPy may read a tensor that requires grad (numpy(), np.asarray): PyTorch refuses while grad mode
    # is on (see NEEDS_DETACH); MXNet's asnumpy and TensorFlow's numpy() allow it, and their doors set this
    _numpy_reads_grad = False
    # whether a complex tensor of this class may require grad: turunan's gradients follow JAX's and HIPS
    # autograd's convention (df/dx - i df/dy); front doors whose framework conjugates (PyTorch) set it False
    _complex_grad = True

    def __init__(self, data, dtype=None, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data._d
        self._d = _array.as_array(data, dtype)
        self._grad = None
        self._node = None
        self._version = [0]
        self._hooks = None
        self._tangents = None
        self._retain = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data, node=None, requires_grad: bool = False, version=None):
        """Fast constructor for results: no conversion, no checks."""
        t = object.__new__(cls)
        t._d = data
        t._grad = None
        t._node = node
        t._version = [0] if version is None else version
        t._hooks = None
        t._tangents = None
        t._retain = False
        t.requires_grad = requires_grad
        return t

    @property
    def data(self):
        """The array this tensor holds (shared, not copied; reading it is outside the graph)."""
        return self._d

    @data.setter
    def data(self, value) -> None:
        # PyTorch's x.data = other: any shape, but an array of numbers; a tensor that requires grad keeps a float
        if isinstance(value, Tensor):
            value = value._d
        if not isinstance(value, np.ndarray) and not _array.is_foreign(value):
            raise TypeError(f"Tensor.data must be set to a tensor or an array, got {type(value).__name__}; "
                            "wrap numbers with turunan.tensor(...) first")
        if value.dtype.kind not in "biufc":
            raise TypeError(f"Tensor.data must hold numbers, got an array of dtype {value.dtype}")
        if self.requires_grad and value.dtype.kind not in "fc":
            raise TypeError(f"Tensor.data of a tensor that requires grad must be floating point, got {value.dtype}; "
                            "convert it first, e.g. .astype('float32')")
        self._d = value

    # ---- autograd state ------------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True):
        """Mark this tensor (in place) as a leaf whose gradient backward should compute."""
        kind = self._d.dtype.kind
        if requires_grad and kind != "f":
            if kind == "c" and not self._complex_grad:
                _array.refuse_complex(self._d.dtype, "this tensor")
            if kind != "c":
                raise TypeError(f"only floating-point or complex tensors can require gradients, but this one is "
                                f"{self._d.dtype}; convert it first, e.g. x.astype('float32')")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad_(False) works only on leaf tensors; use .detach() to get a "
                               "tensor that is cut from the graph")
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        """The accumulated gradient: None until a backward pass reaches this leaf."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            value = value if isinstance(value, Tensor) else Tensor(value)
            if value.shape != self.shape:
                raise ValueError(f"assigned grad has shape {value.shape}, but the tensor has shape {self.shape}")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    def detach(self):
        """A new tensor sharing this one's data, cut from the graph (no gradient flows through it)."""
        return type(self)._result_type()._wrap(self._d, version=self._version)  # shares data: and its version

    @classmethod
    def _result_type(cls):
        return cls._result_cls or cls

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self._node is not None:
            self._node.retain(self)
        self._retain = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None return replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        cls = self._result_cls or type(self)
        if cls is not Tensor:       # a door's tensor: its hook sees the door's class (torch.Tensor), as it would there
            user_hook = hook

            def hook(g):
                return user_hook(cls._wrap(g._d, g._node, g.requires_grad, g._version))
        if self._node is not None:
            self._node.add_hook(hook)
        else:
            self._hooks = (self._hooks or []) + [hook]
        return _HookHandle(self, hook)

    def _bump_version(self) -> None:
        """Record an in-place change: every saved use of this buffer (or a view of it) becomes stale.

        The counter is a one-element list shared by a tensor and its views (as PyTorch shares it), so
        changing either is seen by nodes that saved the other.
        """
        self._version[0] += 1

    def _rebind(self, array) -> None:
        """Give this tensor new memory (copy-on-write, TensorFlow's ``assign``): what shared the old memory keeps
        it, its views and version counter included; this tensor takes a new, higher counter, so a node that saved
        it (and would read the new value at backward) refuses instead of giving a wrong number."""
        self._d = array
        self._version = [self._version[0] + 1]
        if getattr(self, "_views", None) is not None:
            self._views = None

    # ---- array facts ---------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._d.shape

    @property
    def ndim(self) -> int:
        return self._d.ndim

    @property
    def dtype(self):
        return self._d.dtype

    @property
    def size(self) -> int:
        return self._d.size

    def __len__(self) -> int:
        if self._d.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._d)

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared, not copied).

        Refused on a tensor that requires grad while grad mode is on, as in PyTorch: the array is outside the
        graph, so a computation continued on it would silently have no gradient. ``.detach().numpy()`` says
        that this is meant.
        """
        if self.requires_grad and not self._numpy_reads_grad and _grad_state.enabled:
            raise RuntimeError(NEEDS_DETACH)
        return self._host()

    def _host(self):
        # the values as NumPy holds them: a Dask array computed, a CuPy array copied to the host; a batched array
        # (inside vmap) as it is, for its own clear refusal
        d = self._d
        return d if type(d) is np.ndarray or not _array.is_foreign(d) else _array.to_numpy(d)

    def item(self):
        if self._d.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        d = self._d
        return d.item() if type(d) is np.ndarray else self._host().item()

    def tolist(self):
        return self._host().tolist()

    def __bool__(self) -> bool:
        if self._d.size != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is ambiguous; "
                             "use .any() or .all()")
        return bool(self._d)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._d.dtype.kind not in "iu" or self._d.size != 1:
            raise TypeError("only integer tensors with one element can be used as an index")
        return self._d.item()     # int() of a 1-element array of more than 0 dims is an error in NumPy 2

    def __array__(self, dtype=None, copy=None):
        # NumPy asks for the data (np.asarray(t), np.array(t), a list of tensors given to a NumPy function): the
        # result would be cut from the graph, so a tensor that requires grad refuses, as PyTorch's does
        if self.requires_grad and not self._numpy_reads_grad and _grad_state.enabled:
            raise RuntimeError(NEEDS_DETACH + " (NumPy asked for its data, e.g. np.asarray(t) or a NumPy function "
                               "given a list of tensors; turunan.numpy's functions and turunan.stack record lists)")
        if self._tangents and _grad_state.enabled:
            # NumPy converting a tensor in forward mode (np.asarray(t), a list of tensors) would drop its tangents;
            # an explicit t.numpy() is left to the caller, as a custom Function's forward may call it
            raise RuntimeError(NEEDS_DETACH_FORWARD)
        # np.array(t) asks for a copy (copy=True): handing out the tensor's own buffer would let a change to the
        # "copy" change the tensor. np.asarray: a 0-d result may hold a NumPy scalar, and this must return an ndarray
        if copy:
            return np.array(self._d, dtype=dtype, copy=True)
        if copy is False:
            return np.asarray(self._d, dtype=dtype, copy=False)   # ValueError where a cast needs a copy
        return np.asarray(self._d, dtype=dtype)

    def __repr__(self) -> str:
        return format_tensor(self, "tensor")

    def __format__(self, spec: str) -> str:
        if spec and self._d.size == 1:     # f"{loss:.4f}" on a one-element tensor, as in PyTorch
            return format(self._d.item(), spec)
        return format(repr(self), spec)

    __hash__ = object.__hash__


_array.OWN_TYPES.add(Tensor)

NEEDS_DETACH = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
NEEDS_DETACH_FORWARD = ("this tensor carries forward-mode tangents (inside turunan.func.jvp or another forward-mode "
                        "transform), and NumPy reading its value would silently drop them (as JAX refuses to turn a "
                        "tracer into an array); use turunan's ops, turunan.stack for a list of tensors, or "
                        ".detach().numpy() to leave the computation on purpose")


def format_tensor(t: Tensor, name: str, show_dtype_for=(np.float32, np.int64, np.bool_)) -> str:
    """PyTorch-style text: ``tensor([0., 1.])``, with ``grad_fn`` / ``requires_grad`` as PyTorch shows. A lazy
    array (Dask) is shown as its own repr, never computed; a device array (CuPy) is copied to the host to print."""
    data = t._d
    if type(data) is not np.ndarray and _array.is_foreign(data):
        data = _array.to_numpy(data, compute=False)
    body = repr(t._d) if data is None else np.array2string(data, separator=", ", prefix=name + "(")
    extras = []
    if t._d.dtype.type not in show_dtype_for:
        extras.append(f"dtype={_dtype_name(t._d.dtype)}")
    if t._node is not None:
        extras.append(f"grad_fn=<{t._node.name}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return f"{name}({body}" + "".join(", " + e for e in extras) + ")"


def _dtype_name(dtype) -> str:
    return f"turunan.{np.dtype(dtype).name}"


class _HookHandle:
    __slots__ = ("tensor", "hook")

    def __init__(self, tensor, hook) -> None:
        self.tensor, self.hook = tensor, hook

    def remove(self) -> None:
        t = self.tensor
        if t._node is not None and t._node.hooks:
            t._node.hooks = [h for h in t._node.hooks if h is not self.hook]
        elif t._hooks:
            t._hooks = [h for h in t._hooks if h is not self.hook]


# ---- primitives ------------------------------------------------------------------------------------------
VALUE, META, UNUSED = 2, 1, 0   # how a rule uses one of its parameters
_META_ATTRS = {"shape", "ndim", "dtype", "size"}


def _param_uses(fn, names: list[str]) -> dict[str, int]:
    """Read a rule's bytecode: which parameters it needs by value, which only by shape/ndim/dtype.

    This is how a node knows what to keep alive for backward (PyTorch's codegen does the same with
    derivatives.yaml). Anything unclear counts as a value use, which is always safe.
    """
    uses = dict.fromkeys(names, UNUSED)
    instrs = list(dis.get_instructions(fn))
    for i, ins in enumerate(instrs):
        if not ins.opname.startswith("LOAD_FAST") and ins.opname not in ("LOAD_DEREF", "LOAD_CLOSURE"):
            continue
        loaded = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
        for name in loaded:
            if name not in uses:
                continue
            nxt = instrs[i + 1] if i + 1 < len(instrs) else None
            only_meta = (len(loaded) == 1 and nxt is not None and nxt.opname in ("LOAD_ATTR", "LOAD_METHOD")
                         and nxt.argval in _META_ATTRS)
            uses[name] = max(uses[name], META if only_meta else VALUE)
    return uses


class Primitive:
    """One row of the derivative table: a forward kernel, a reverse rule per input, a forward rule.

    ``vjps[i](g, ans, *inputs, **params)`` maps the output cotangent ``g`` to input ``i``'s cotangent (in
    the output's broadcast shape: the engine sums it back to the input's shape) or ``None`` for a zero.
    ``jvp(tangents, ans, *inputs, **params)`` maps input tangents (``None`` for zero) to the output tangent.
    Inputs a rule never reads by value are not kept; a rule that reads only ``x.shape`` gets a node, which
    carries shape, ndim and dtype.
    """

    __slots__ = ("name", "fwd", "vjps", "jvp", "batch", "inverse", "display", "uses", "variadic", "view",
                 "differentiable", "_plans", "_plan1", "_plan2", "__weakref__")

    def __init__(self, name: str, fwd, vjps=None, jvp=None, variadic: bool = False, view: bool = False, *,
                 batch=None, inverse=None, display: str | None = None) -> None:
        self.name = name
        self.view = view    # the output may share memory with input 0: they share a version counter
        self.batch = batch          # batching rule: batch(b, *physical inputs, **params) (turunan._batching)
        self.inverse = inverse      # a view's inverse: inverse(base, new_view, **params) -> base's new value
        # the name a grad_fn shows (PyTorch's spelling: MulBackward0); by default the row's name in CamelCase
        self.display = display or "".join(p.capitalize() for p in name.split("_"))
        self.fwd = fwd
        self.vjps = tuple(vjps) if vjps is not None else None
        self.jvp = jvp
        self.variadic = variadic
        self.differentiable = vjps is not None
        # uses[i] = (what rule i reads of each input, whether it reads ans): a node keeps only what the
        # rules of its grad-requiring inputs read
        uses = []
        for rule in self.vjps or ():
            if rule is None:
                uses.append(None)
                continue
            sig = inspect.signature(rule).parameters
            params = list(sig)
            positional = [p for p in params[2:] if sig[p].kind in (sig[p].POSITIONAL_ONLY,
                                                                    sig[p].POSITIONAL_OR_KEYWORD,
                                                                    sig[p].VAR_POSITIONAL)]
            found = _param_uses(rule, params)
            # a rule that reads only ans.shape still needs ans: the node keeps it (a node's own shape facts are
            # not handed to rules as ans)
            uses.append((tuple(found[p] for p in positional), found[params[1]] != UNUSED))
        self.uses = tuple(uses)
        self._plans = {}    # (grad-requiring inputs as a bit mask, number of inputs) -> what a node keeps
        self._plan1 = None          # the same for apply1 (one input, requiring grad) ...
        self._plan2 = [None] * 4    # ... and apply2 (two inputs), by mask

    def __call__(self, *args, **params):
        """Bind: on raw arrays run the kernel (nothing recorded); if any input is a Tensor, ``apply``.

        Rules call primitives this way, so the same rule runs fast on arrays and is recorded on Tensors.
        """
        for a in args:
            if isinstance(a, Tensor):
                return apply(self, *args, **params)
        if batch_hook is not None:      # raw batched arrays (a rule running inside vmap): the batching rule
            res = batch_hook(self, args, params, True)
            if res is not None:
                return res
        return self.fwd(*args, **params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


class Node:
    """A recorded application of a primitive: what backward needs to send gradients to the parents."""

    # __weakref__: turunan.checkpoint's hook refers to the nodes it refills weakly, so that it makes no cycle
    __slots__ = ("prim", "parents", "saved", "versions", "ans", "ans_version", "params", "shape", "dtype",
                 "hooks", "retained", "freed", "tangents", "seq", "__weakref__")

    def __init__(self, prim, parents, saved, versions, ans, ans_version, params, shape, dtype) -> None:
        self.seq = next(_seq)
        self.prim = prim
        self.parents = parents
        self.saved = saved
        self.versions = versions
        self.ans = ans
        self.params = params
        self.shape = shape
        self.dtype = dtype
        self.ans_version = ans_version     # (counter, value when saved) if ans is kept
        self.hooks = None
        self.retained = None
        self.freed = False
        self.tangents = None    # the output's forward-mode tangents, set by turunan._forward while live

    @property
    def name(self) -> str:
        """The name a ``grad_fn`` shows, PyTorch's spelling (``MulBackward0``), so the chapter's output reads the same;
        a composite op's result shows the op the user called (``MeanBackward0``: see ``name_grad_fn``)."""
        prim = self.prim
        if type(prim) is Renamed:
            return prim.grad_fn_name
        return prim.display + "Backward0"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def add_hook(self, hook) -> None:
        self.hooks = (self.hooks or []) + [hook]

    def retain(self, tensor) -> None:
        import weakref
        self.retained = weakref.ref(tensor)

    def __repr__(self) -> str:
        # PyTorch's: print(y.grad_fn) shows <AddBackward0 object at 0x7f...> (a tensor's text keeps <AddBackward0>)
        return f"<{self.name} object at {id(self):#x}>"


def _variant_of(prim: Primitive, cls: type) -> Primitive:
    """A ``cls`` (a subclass of Primitive) holding every field of ``prim``: a node's alias of its primitive that
    differs in one respect (its grad_fn name, its rules for real inputs), made without ``Primitive.__init__``."""
    variant = object.__new__(cls)
    for field in Primitive.__slots__:
        if field != "__weakref__":
            setattr(variant, field, getattr(prim, field))
    return variant


class Renamed(Primitive):
    """A primitive shown under another ``grad_fn`` name: the op a composite's user called (``name_grad_fn``).

    It holds the same kernel, rules and tags as the primitive it renames (the walk, forward mode and checkpoint's
    comparison of recorded ops see no difference); it is only ever a node's ``prim``, never applied.
    """

    __slots__ = ("grad_fn_name", "renames")


_renamed: dict = {}     # (primitive, name) -> its Renamed alias: one per pair, so that aliases compare by identity


def name_grad_fn(out, name: str):
    """Make ``out``'s ``grad_fn`` show ``name`` (PyTorch's spelling, ``MeanBackward0``) instead of the name of the last
    primitive a composite op recorded: ``mean`` is a sum and a division, PyTorch shows ``MeanBackward0``.

    Only the node's primitive is swapped, for an alias that differs in its name alone; the record paths (``apply1``,
    ``apply2``) pay nothing for it, and a node keeps every slot it had. Call it only on a result the composite has
    just recorded (a node nobody else's result shares). Returns ``out``.
    """
    node = out._node if isinstance(out, Tensor) else None
    if node is None or type(node) is not Node:
        return out
    prim = node.prim
    if type(prim) is Renamed:
        prim = prim.renames
    alias = _renamed.get((prim, name))
    if alias is None:
        alias = _variant_of(prim, Renamed)
        alias.grad_fn_name = name
        alias.renames = prim
        alias = _renamed.setdefault((prim, name), alias)    # two threads at once keep one alias
    node.prim = alias
    return out


class StaleViewNode(Node):
    """The node of an output of a function that returns several views (split, chunk, unbind) after it, its base
    or another view of its base was changed in place: PyTorch refuses to use such a view in autograd, because
    its history cannot be rewritten for each output separately. Any use raises: recording an op on it tests
    the node's truth (``x._node or x``), and a backward walk reads its ``parents``. No cost elsewhere."""

    __slots__ = ("message",)

    def __init__(self, like: Node, message: str) -> None:
        for field in Node.__slots__:
            if field not in ("parents", "__weakref__"):
                setattr(self, field, getattr(like, field, None))
        self.message = message

    def __bool__(self) -> bool:
        raise RuntimeError(self.message)

    @property
    def parents(self):
        raise RuntimeError(self.message)


# set by turunan._forward when forward-mode tangents are in flight; None keeps apply's fast path
jvp_hook = None
# set by turunan.vmap while a vmap runs: batch_hook(prim, args, params) gives the result Tensor where some input
# holds a batched array (turunan._batched), or None; None keeps apply's fast path
batch_hook = None

# creation order of nodes, counting down: a node's consumers always have smaller numbers than it, so backward
# walks a min-heap on it (PyTorch's ready queue orders by sequence_nr the same way) instead of sorting first
_seq = itertools.count(0, -1)


_new = object.__new__
_NO_PARAMS: dict = {}     # the params of an op called without any (shared: nothing writes to a node's params)
_NONE1, _NONE2 = (None,), (None, None)


# ---- recording: the entries (apply, apply1, apply2, finish); _emit makes a result and its node ---------------
def apply(prim: Primitive, *args, **params):
    """Run ``prim`` on ``args`` (Tensors, arrays or scalars) and record it if any input requires grad.

    One and two inputs (most ops) go to ``apply1`` / ``apply2``, the per-op hot path; this general form
    serves more inputs, and two inputs with parameters.
    """
    n = len(args)
    if n == 1:
        return apply1(prim, args[0], params)
    if n == 2 and not params:
        return apply2(prim, args[0], args[1])
    if batch_hook is not None:
        res = batch_hook(prim, args, params)
        if res is not None:
            return res
    cls = None
    mask = 0    # bit i: input i requires grad
    vals = list(args)
    bit = 1
    for i, a in enumerate(args):
        if type(a) is list or type(a) is tuple:     # a list holding tensors is packed (recorded), as as_operand does
            packed = _array.pack_sequence(a) if _array.pack_sequence is not None else None
            if packed is not None:
                a = vals[i] = packed
                args = args[:i] + (a,) + args[i + 1:]
        if isinstance(a, Tensor):
            vals[i] = a._d
            if cls is None:
                cls = a._result_cls or type(a)
            if a.requires_grad:
                mask |= bit
        bit <<= 1
    return _result(prim, args, prim.fwd(*vals, **params), params, cls, mask)


def finish(prim: Primitive, args: tuple, ans, params: dict):
    """The result Tensor of ``prim`` on ``args`` whose value ``ans`` was computed elsewhere (by a batching rule,
    ``turunan._batching``), recorded exactly as ``apply`` records it."""
    cls = None
    mask = 0
    bit = 1
    for a in args:
        if isinstance(a, Tensor):
            if cls is None:
                cls = a._result_cls or type(a)
            if a.requires_grad:
                mask |= bit
        bit <<= 1
    return _result(prim, args, ans, params, cls, mask)


def _result(prim, args, ans, params, cls, mask):
    """The second half of ``apply`` and ``finish``: what the node keeps (``_plan``), then ``_emit``."""
    x = args[0] if args else None
    rest = args[1:] if prim.view else ()
    if not (mask and prim.differentiable and _grad_state.enabled):
        out = _emit(prim, cls or Tensor, ans, x, params, rest=rest)
    else:
        n = len(args)
        key = mask << 20 | n if n < 1 << 20 else (mask, n)
        plan = prim._plans.get(key)
        if plan is None:
            plan = prim._plans[key] = _plan(prim, mask, n)
        parents = tuple(a._node or a if mask >> i & 1 else None for i, a in enumerate(args))
        saved = versions = plan.nones
        if plan.by_value or plan.by_meta:
            saved, versions = list(saved), list(versions)
            for j in plan.by_value:
                saved[j] = a = args[j]
                if isinstance(a, Tensor):
                    versions[j] = a._version[0]
            for j in plan.by_meta:
                saved[j] = args[j]    # a constant's shape: nothing else would carry it
            saved, versions = tuple(saved), tuple(versions)
        out = _emit(prim, cls or Tensor, ans, x, params, parents, saved, versions, plan.keep_ans, rest)
    if jvp_hook is not None:
        jvp_hook(prim, args, out, params)
    return out


def apply1(prim: Primitive, x, params: dict | None = None):
    """``apply`` for one input: the hot path, with ``_emit`` inlined (no ``*args``, no further call: calling
    ``_emit`` here measured 65-100 ns more per op, 5%, and 2% on the chain_small benchmark).
    ``tests/test_record_paths.py`` holds this copy, ``apply2``'s and ``_emit`` to the same slots."""
    if params is None:
        params = _NO_PARAMS
    if batch_hook is not None:
        res = batch_hook(prim, (x,), params)
        if res is not None:
            return res
    if isinstance(x, Tensor):
        cls = x._result_cls or type(x)
        ans = prim.fwd(x._d, **params) if params else prim.fwd(x._d)
        record = x.requires_grad
    else:   # not a Tensor (tn.exp([1.0, 2.0])): numbers only, checked here, off the Tensor path
        x = _array.as_operand(x, prim.name)
        if isinstance(x, Tensor):   # a list holding tensors, packed (recorded): the Tensor path
            return apply1(prim, x, params)
        cls = Tensor
        ans = prim.fwd(x, **params) if params else prim.fwd(x)
        record = False
    # from here as _emit, with the node's saved input decided by the plan
    if type(ans) is not np.ndarray:
        ans = _array.as_result(ans)
    out = _new(cls)
    out._d = ans
    out._grad = out._hooks = out._tangents = None
    out._retain = False
    if prim.view and getattr(ans, "base", None) is not None and isinstance(x, Tensor) and shares_memory(ans, x._d):
        out._version = version = x._version
        register_view(out, x, prim, params)
    else:
        out._version = version = [0]
    if record and prim.differentiable and _grad_state.enabled:
        plan = prim._plan1
        if plan is None:    # cached as a plain pair: unpacking a named tuple measured 40-90 ns more per op
            full = _plan(prim, 1, 1)
            plan = prim._plan1 = (bool(full.by_value), full.keep_ans)
        by_value, keep_ans = plan
        node = _new(Node)
        node.prim = prim
        node.parents = (x._node or x,)
        if by_value:     # the rule reads x's value
            node.saved = (x,)
            node.versions = (x._version[0],)
        else:
            node.saved = node.versions = _NONE1
        node.params = params
        node.shape = ans.shape
        node.dtype = dt = ans.dtype
        if dt.kind == "c":
            complex_node(node)
        node.hooks = node.retained = node.tangents = None
        node.freed = False
        node.seq = next(_seq)
        if keep_ans:
            node.ans = ans
            node.ans_version = (version, version[0])
        else:
            node.ans = node.ans_version = None
        out._node = node
        out.requires_grad = True
    else:
        out._node = None
        out.requires_grad = False
    if jvp_hook is not None:
        jvp_hook(prim, (x,), out, params)
    return out


def apply2(prim: Primitive, x, y):
    """``apply`` for two inputs and no parameters (the binary operators): the hot path, ``_emit`` inlined as in
    ``apply1`` (and held to it by ``tests/test_record_paths.py``)."""
    if batch_hook is not None:
        res = batch_hook(prim, (x, y), _NO_PARAMS)
        if res is not None:
            return res
    cls = None
    mask = 0
    if isinstance(x, Tensor):
        cls = x._result_cls or type(x)
        if x.requires_grad:
            mask = 1
        xd = x._d
    elif type(x) is list or type(x) is tuple:   # off the Tensor path: a list holding tensors is packed (recorded)
        return apply2(prim, _array.as_operand(x, prim.name), y)
    else:
        xd = x
    if isinstance(y, Tensor):
        if cls is None:
            cls = y._result_cls or type(y)
        if y.requires_grad:
            mask |= 2
        yd = y._d
    elif type(y) is list or type(y) is tuple:
        return apply2(prim, x, _array.as_operand(y, prim.name))
    else:
        yd = y
    if cls is None:     # no Tensor among the inputs (tn.add([1], [2])): numbers only. One operand that is not a
        # Tensor next to one that is is checked by the op's wrapper (turunan._ops._arith), where that costs nothing
        cls = Tensor
        xd, yd = _array.as_operand(xd, prim.name), _array.as_operand(yd, prim.name)
        if isinstance(xd, Tensor) or isinstance(yd, Tensor):    # a list holding tensors, packed (recorded)
            return apply2(prim, xd, yd)
    ans = prim.fwd(xd, yd)
    # from here as _emit, with the node's saved inputs decided by the plan
    if type(ans) is not np.ndarray:
        ans = _array.as_result(ans)
    out = _new(cls)
    out._d = ans
    out._grad = out._hooks = out._tangents = None
    out._retain = False
    if prim.view and getattr(ans, "base", None) is not None and isinstance(x, Tensor) and shares_memory(ans, x._d):
        out._version = version = x._version
        register_view(out, x, prim, _view_params(prim, (y,), _NO_PARAMS))
    else:
        out._version = version = [0]
    if mask and prim.differentiable and _grad_state.enabled:
        plan = prim._plan2[mask]
        if plan is None:    # a plain pair, as apply1's
            full = _plan(prim, mask, 2)
            plan = prim._plan2[mask] = (full.keep_ans, full.keep)
        node = _new(Node)
        node.prim = prim
        node.parents = (x._node or x if mask & 1 else None, y._node or y if mask & 2 else None)
        keep_ans, (kx, ky) = plan      # what is kept of each input: nothing, its value, or (a constant) its shape
        if kx or ky:
            sx = vx = sy = vy = None
            if kx:
                sx = x
                if kx == VALUE and isinstance(x, Tensor):
                    vx = x._version[0]
            if ky:
                sy = y
                if ky == VALUE and isinstance(y, Tensor):
                    vy = y._version[0]
            node.saved = (sx, sy)
            node.versions = (vx, vy)
        else:
            node.saved = node.versions = _NONE2
        node.params = _NO_PARAMS
        node.shape = ans.shape
        node.dtype = dt = ans.dtype
        if dt.kind == "c":
            complex_node(node)
        node.hooks = node.retained = node.tangents = None
        node.freed = False
        node.seq = next(_seq)
        if keep_ans:
            node.ans = ans
            node.ans_version = (version, version[0])
        else:
            node.ans = node.ans_version = None
        out._node = node
        out.requires_grad = True
    else:
        out._node = None
        out.requires_grad = False
    if jvp_hook is not None:
        jvp_hook(prim, (x, y), out, _NO_PARAMS)
    return out


def _emit(prim, cls, ans, x, params, parents=None, saved=None, versions=None, keep_ans=False, rest=()) -> Tensor:
    """How a result is made: the Tensor (of class ``cls``) holding ``prim``'s output ``ans``, every slot set, and,
    unless ``parents`` is None, its Node (``saved`` inputs at ``versions``, the output if ``keep_ans``). The general
    paths (``apply``, ``finish``) call it; the hot paths ``apply1`` and ``apply2`` hold a copy inline.

    A view's result shares the version counter of its first input ``x`` and is registered on it (``rest``: the
    inputs after ``x``, which the registration names as parameters, see ``_view_params``).
    """
    if type(ans) is not np.ndarray:
        ans = _array.as_result(ans)    # NumPy returns scalars for 0-d results; a Tensor always holds an array
    out = _new(cls)
    out._d = ans
    out._grad = out._hooks = out._tangents = None
    out._retain = False
    if prim.view and getattr(ans, "base", None) is not None and isinstance(x, Tensor) and shares_memory(ans, x._d):
        out._version = version = x._version    # a view shares its base's version counter
        register_view(out, x, prim, _view_params(prim, rest, params) if rest else params)
    else:
        out._version = version = [0]
    if parents is None:
        out._node = None
        out.requires_grad = False
        return out
    node = _new(Node)    # filled in place (its fields, without __init__'s call)
    node.prim = prim
    node.parents = parents
    node.saved = saved
    node.versions = versions
    node.params = params
    node.shape = ans.shape
    node.dtype = dt = ans.dtype
    if dt.kind == "c":
        complex_node(node)
    node.hooks = node.retained = node.tangents = None
    node.freed = False
    node.seq = next(_seq)
    if keep_ans:
        node.ans = ans
        node.ans_version = (version, version[0])
    else:
        node.ans = node.ans_version = None
    out._node = node
    out.requires_grad = True
    return out


def _view_params(prim, rest: tuple, params: dict) -> dict:
    """The parameters that make a view from its base alone: turunan._inplace re-derives a view as
    ``apply(prim, base, **params)`` and inverts it as ``prim.inverse(base, view, **params)``, so inputs after the
    base given by position (a rule's ``getitem(g, index, basic)``) are named as the kernel names them."""
    try:
        sig = inspect.signature(prim.fwd)
        bound = sig.bind(None, *rest, **params).arguments
    except (TypeError, ValueError):
        return params
    names = list(bound)[1:]
    if any(sig.parameters[n].kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
           for n in names):
        return params
    return {n: bound[n] for n in names}


def shares_memory(ans, data) -> bool:
    """Whether the kernel's result ``ans`` is a view of ``data``'s memory (not a copy).

    A view op's kernel may copy (``reshape`` of a non-contiguous array does), and the copy's ``base`` is then
    a temporary, not ``data``. NumPy points every view's ``base`` at the array that owns the memory, so one
    identity test tells a view from a copy exactly; whether a result is a view must follow that, or an
    in-place write into a copy would rewrite the original's graph while its data stays the same.
    """
    base = getattr(ans, "base", None)     # a Dask array has none: it never shares memory
    if base is None:
        return False
    if type(ans) is _batched.BatchedArray:
        ans, data = ans.phys, data.phys if type(data) is _batched.BatchedArray else data
    if base is data or base is data.base:
        return True
    # a view of a view made with stride tricks (the writeable expand) has that view or a helper object as its
    # base; a copy's base is a temporary. NumPy's bounds test is exact here: a copy is a new allocation
    return bool(np.may_share_memory(ans, data))


def register_view(view: Tensor, base: Tensor, prim: Primitive, params: dict) -> None:
    """Remember that ``view`` shows ``base``'s memory through ``prim(base, **params)``.

    An in-place change recorded on either one then rewrites the other's graph (``turunan._ops._inplace``),
    as PyTorch does for views: the base takes the view's new values, and views re-derive from the base.
    """
    from_many = getattr(base, "_view", None)
    if from_many is not None and len(from_many) > 3:
        # a view of one output of split/chunk/unbind is itself such an output (PyTorch's rule; see
        # turunan._ops.mark_multi_output_views)
        view._view = (base, prim, params, (prim.display, 0))
    else:
        view._view = (base, prim, params)
    views = getattr(base, "_views", None)
    if views is None:
        base._views = [weakref.ref(view)]
        return
    if len(views) >= 16 and not len(views) & (len(views) - 1):     # at sizes 16, 32, 64...: drop the dead
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))


# ---- complex results: a real input's cotangent is the real part of what its rule gives --------------------------
# set by turunan._rules (this layer may not import it): the ``real`` row, recorded on Tensors under create_graph
real_part = None


class RealCotangents(Primitive):
    """A primitive whose rules for some real inputs of a complex result keep only the real part of the cotangent
    (a real input x of z = x * 1j: its cotangent is Re(g * 1j)). The engine's one place for it: a complex node
    with a real parent gets this variant as its ``prim`` when it is recorded (``complex_node``), so the walk and
    the real fast path pay nothing; the rules stay the holomorphic ones, with no conjugation anywhere."""

    __slots__ = ("real_inputs", "renames")


_real_variants: dict = {}   # (primitive, real inputs) -> its variant: one per pair, so variants compare by identity


def _real_of(g):
    if g is None or _array.kind(g) != "c":
        return g
    return g.real if type(g) is np.ndarray else real_part(g)


def _keep_real(rule, i: int, variadic: bool):
    if variadic:    # one rule for every input, told which by ``index``
        return lambda *a, **k: _real_of(rule(*a, **k)) if k["index"] in i else rule(*a, **k)
    return lambda *a, **k: _real_of(rule(*a, **k))


def complex_node(node) -> None:
    """Called as a node with a complex output is recorded (off the real fast path: the dtype check is the one
    ``apply`` makes anyway): where some parent is real, the node's rules give that parent the real part."""
    real = tuple(i for i, p in enumerate(node.parents)
                 if p is not None and (p.dtype if isinstance(p, Node) else p._d.dtype).kind != "c")
    if not real:
        return
    prim = node.prim
    variant = _real_variants.get((prim, real))
    if variant is None:
        variant = _variant_of(prim, RealCotangents)
        if prim.variadic:
            variant.vjps = (_keep_real(prim.vjps[0], frozenset(real), True),)
        else:
            variant.vjps = tuple(_keep_real(r, i, False) if i in real and r is not None else r
                                 for i, r in enumerate(prim.vjps))
        variant.real_inputs, variant.renames = real, prim
        variant = _real_variants.setdefault((prim, real), variant)
    node.prim = variant


class Plan(NamedTuple):
    """What a node of a primitive keeps when a given set of its inputs requires grad (``_plan``)."""

    by_value: tuple     # the inputs a rule reads by value: kept, with their version counters' values
    by_meta: tuple      # the constants (inputs not requiring grad) a rule reads only the shape of: kept
    keep_ans: bool      # whether a rule reads the output (its value or its shape): kept, with its version
    nones: tuple        # n Nones: the saved values and versions of a node that keeps no input
    keep: tuple         # per input: UNUSED, VALUE or META (what apply2 reads)


def _plan(prim, mask: int, n: int) -> Plan:
    """What a node of ``prim`` with ``n`` inputs keeps when the inputs in ``mask`` require grad (computed once per
    primitive and mask, then cached on it: ``_plans``, ``_plan1``, ``_plan2``)."""
    keep = [UNUSED] * n
    keep_ans = False
    for i in range(n):
        if not mask >> i & 1:
            continue
        rule_uses = prim.uses[0] if prim.variadic else prim.uses[i]
        if rule_uses is not None:
            arg_uses, ans_use = rule_uses
            keep_ans = keep_ans or ans_use
            if prim.variadic:
                arg_uses = arg_uses * n
            for j in range(n):
                if arg_uses[j] > keep[j]:
                    keep[j] = arg_uses[j]
    for j in range(n):
        if keep[j] == META and mask >> j & 1:
            keep[j] = UNUSED    # a grad-requiring input's parent (node or leaf) carries its shape already
    return Plan(by_value=tuple(j for j in range(n) if keep[j] == VALUE),
                by_meta=tuple(j for j in range(n) if keep[j] == META),
                keep_ans=bool(keep_ans), nones=(None,) * n, keep=tuple(keep))
