"""vmap's differential sweep (issue 10): random programs, run under vmap and its compositions with grad, jvp,
jacrev and jacfwd, compared with torch.func (and JAX where installed) and with a per-example NumPy loop.

A *program* is a small straight-line function of a few inputs, kept as data (``Prog``): a list of instructions
``(id, op, args, params)``. It is written once against an *ops namespace* (``XNS``: NumPy's names over an
array module) and run by its instances: NumPy (the generator's shape oracle and the torch-free reference, one
example at a time; it also refuses values at a tie or a kink: max/min with ties, clip at a bound, ``where`` at
its threshold), turunan, torch, JAX, and turunan's again on source text (``Src``), which prints the program as a
turunan snippet: the repro. Inputs are batched (``x``: floats, ``y``: integer labels and index arrays) or shared
by every example (``w``: in_axes None, the parameters of a per-example gradient); constants are closed over.

The transforms (``T_*``): vmap with mixed in_axes/out_axes (int, negative, None, one int for all), nested vmap
(inputs batched along one level or both, inner functions closing over outer values), vmap of grad / vjp / jvp /
jacrev / jacfwd / jacfwd(jacrev), grad / jvp / jacrev / the Hessian of vmap, the tape's backward through vmap,
chunk_size, pytree arguments and results. Each is written once too, against a library's names (``TURUNAN``,
``torch_lib``, ``jax_lib``), and built by turunan and by the reference. The torch reference applies out_dims
itself and, where torch.func cannot batch a program (a torch limitation), loops over the examples instead
(``_vmap_th``).

A failing program is shrunk (instructions bypassed or dropped, the graph cut above a value, inputs unbatched,
axes set to 0) while it fails the same way, and the failure message shows the minimal turunan repro with the
expected and the obtained values. Everything is seeded: the same programs, the same verdicts, every run.

Run ``python tests/test_vmap_sweep.py`` for a summary of the distinct failures with their repros.
"""

from __future__ import annotations

import operator
import re
import types
import warnings

import numpy as np
import pytest

import turunan as tn
from turunan import func as tfunc
from turunan._batched import BatchingError

B = 5                # the batch of one vmap level
B1, B2 = 5, 6        # the batches of a nested vmap (outer, inner)
RTOL, ATOL = 1e-7, 1e-8
SHRINK_TRIES = 300         # candidate programs tried when shrinking one failure (counted, not timed: the same
SHRINK_LEFT = [2500]       # repro every run); the whole process's allowance, so a pervasive bug stays quick


class Reject(Exception):
    """The generated program is not a valid test (a tie, a kink, a bad shape, an overflow): draw another."""


# ---- index markers inside getitem keys ----------------------------------------------------------------------
class C:
    """A constant integer index array inside an indexing key."""

    def __init__(self, arr):
        self.arr = np.asarray(arr, dtype=np.int64)


class A:
    """The ``k``-th index operand (an integer value of the program, e.g. a batched label) inside a key."""

    def __init__(self, k: int):
        self.k = k


def _key_conv(key, idx, conv):
    out = []
    for c in key:
        if isinstance(c, C):
            out.append(conv(c.arr))
        elif isinstance(c, A):
            out.append(idx[c.k])
        else:
            out.append(c)
    return tuple(out)


def _dims(axis, nd):
    return tuple(range(nd)) if axis is None else axis


# ---- the ops namespaces -------------------------------------------------------------------------------------
# One class runs a program's ops on an array module that speaks NumPy's names (numpy, turunan, jax.numpy);
# the subclasses differ only where a library does: NumPy refuses ties and kinks, turunan takes NumPy's index
# arrays and has methods, JAX writes out of place, torch has names of its own and dim/keepdim for axis/keepdims.
UNARY = ["sin", "cos", "tanh", "exp", "sigmoid", "square", "neg", "logsq", "sqrtsq", "abs", "relu", "softplus",
         "expm1"]
MARGIN = 1e-3


def _far(d, what):
    if np.any(np.abs(d) < MARGIN):
        raise Reject(f"{what} too close to a kink")


class XNS:
    """The ops over the array module ``xp``: ``fn(name)`` is its function of that name, or the one ``fns`` gives
    (a function the module lacks or names otherwise)."""

    meth = False      # red(meth=True) calls the method, x.sum(axis=...), where the module has one (turunan)

    def __init__(self, xp, **fns):
        self.xp, self.fns = xp, fns

    def fn(self, name):
        return self.fns[name] if name in self.fns else getattr(self.xp, name)

    def conv(self, a):
        """A constant (an index array in a key, a weight) as the module takes it."""
        return self.xp.asarray(a)

    def const(self, value):
        return self.conv(value)

    def copy(self, a):
        """The fresh array an in-place write starts from."""
        return a * 1.0

    def un(self, x, f):
        if f == "neg":
            return -x
        if f in ("logsq", "sqrtsq"):                 # log(x * x + 1), sqrt(x * x + 1)
            return self.fn(f.removesuffix("sq"))(x * x + 1)
        return self.fn(f)(x)

    def bin(self, a, b, f):
        if f in ("maximum", "minimum"):
            return self.fn(f)(a, b)
        return {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}[f](a, b)

    def scal(self, x, f, c):
        return {"mul": lambda: x * c, "add": lambda: x + c, "rsub": lambda: c - x, "pow": lambda: x ** c,
                "rdiv": lambda: c / x}[f]()

    def red(self, x, f, axis, keepdims, meth=False):
        if meth and self.meth:
            return getattr(x, f)(axis=axis, keepdims=keepdims)
        return self.fn(f)(x, axis=axis, keepdims=keepdims)

    def lsm(self, x, axis):
        return self.fn("log_softmax")(x, axis=axis)

    def softmax(self, x, axis):
        return self.fn("softmax")(x, axis=axis)

    def cum(self, x, f, axis):
        return self.fn(f)(x, axis=axis)

    def sort(self, x, axis, descending):
        return self.fn("sort")(x, axis=axis, descending=descending)

    def argmax(self, x, axis, keepdims):
        return self.fn("argmax")(x, axis=axis, keepdims=keepdims)

    def matmul(self, a, b):
        return a @ b

    def einsum(self, *ops, spec):
        return self.fn("einsum")(spec, *ops)

    def reshape(self, x, shape):
        return x.reshape(shape)

    def T(self, x):
        return x.T

    def swap(self, x, a, b):
        return self.fn("swapaxes")(x, a, b)

    def expand(self, x, axis):
        return self.fn("expand_dims")(x, axis)

    def squeeze(self, x, axis):
        return self.fn("squeeze")(x, axis)

    def flip(self, x, axis):
        return self.fn("flip")(x, axis)

    def moveaxis(self, x, src, dst):
        return self.fn("moveaxis")(x, src, dst)

    def bcast(self, x, shape):
        return self.fn("broadcast_to")(x, shape)

    def clip(self, x, lo, hi):
        return self.fn("clip")(x, lo, hi)

    def getitem(self, x, *idx, key):
        return x[_key_conv(key, idx, self.conv)]

    def tal(self, x, *idx, axis, const=None):
        return self.fn("take_along_axis")(x, idx[0] if const is None else self.conv(const.arr), axis=axis)

    def cat(self, *xs, axis):
        return self.fn("concatenate")(list(xs), axis=axis)

    def stack(self, *xs, axis):
        return self.fn("stack")(list(xs), axis=axis)

    def where(self, c, a, b, t):
        return self.fn("where")(c > t, a, b)

    def wheres(self, c, a, t, v):
        return self.where(c, a, v, t)

    def imod(self, y, c, n):
        return (y + c) % n

    def setitem(self, a, b, *idx, key):
        return self.write(a, _key_conv(key, idx, self.conv), b, add=False)

    def setadd(self, a, b, *idx, key):
        return self.write(a, _key_conv(key, idx, self.conv), b, add=True)

    def write(self, a, key, b, add):
        """z = a * 1.0; z[key] = b (or z[key] += b: a read, an in-place add on the view, a write back)."""
        z = self.copy(a)
        if add:
            z[key] += b
        else:
            z[key] = b
        return z

    def iadd(self, a, b):
        z = self.copy(a)
        z += b
        return z

    def wsum(self, y, W):
        """A scalar loss: the output weighted by the constant ``W``."""
        return (y * self.const(W)).sum()


def _logsumexp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=_dims(axis, x.ndim))


def _norm(xp):
    return lambda x, axis, keepdims: xp.sqrt(xp.sum(x * x, axis=axis, keepdims=keepdims))


def _sort_flip(xp):
    """sort(descending=) for a module whose sort has none: ascending, flipped."""
    def sort(x, axis, descending):
        y = xp.sort(x, axis=axis)
        return xp.flip(y, axis) if descending else y
    return sort


class NPNS(XNS):
    """NumPy, one example at a time: the generator's oracle. Refuses ties and kinks."""

    def __init__(self):
        lsm = lambda x, axis: x - _logsumexp(x, axis, True)
        super().__init__(np, sigmoid=lambda x: 1 / (1 + np.exp(-x)), relu=lambda x: np.maximum(x, 0),
                         softplus=lambda x: np.logaddexp(0, x), logsumexp=_logsumexp, norm=_norm(np),
                         log_softmax=lsm, softmax=lambda x, axis: np.exp(lsm(x, axis)), sort=_sort_flip(np))

    def copy(self, a):
        return np.array(a, copy=True)

    def un(self, x, f):
        if f in ("abs", "relu"):
            _far(x, f)
        return super().un(x, f)

    def bin(self, a, b, f):
        if f == "div" and np.any(np.abs(b) < 0.2):
            raise Reject("division by a small number")
        if f in ("maximum", "minimum"):
            _far(a - b, f)
        return super().bin(a, b, f)

    def scal(self, x, f, c):
        if f == "rdiv" and np.any(np.abs(x) < 0.2):
            raise Reject("division by a small number")
        return super().scal(x, f, c)

    def _untied(self, x, f, axis):
        axes = tuple(a % x.ndim for a in _dims(axis, x.ndim)) if not isinstance(axis, int) else (axis % x.ndim,)
        rest = [a for a in range(x.ndim) if a not in axes]
        flat = np.transpose(x, rest + list(axes)).reshape([x.shape[a] for a in rest] + [-1])
        if flat.shape[-1] > 1:
            s = np.sort(flat, axis=-1)
            _far(s[..., -1] - s[..., -2] if f == "max" else s[..., 1] - s[..., 0], "a tie")

    def red(self, x, f, axis, keepdims, meth=False):
        if f in ("max", "min"):
            self._untied(x, f, axis)
        if f == "std" and np.any(np.var(x, axis=axis, keepdims=keepdims) < 1e-4):
            raise Reject("std near 0")
        r = super().red(x, f, axis, keepdims)
        if f == "norm" and np.any(r < 1e-2):
            raise Reject("norm near 0")
        return r

    def argmax(self, x, axis, keepdims):
        self._untied(x, "max", axis)
        return super().argmax(x, axis, keepdims)

    def sort(self, x, axis, descending):
        y = super().sort(x, axis, descending)
        if y.shape[axis] > 1:
            _far(np.diff(y, axis=axis), "a tie")
        return y

    def where(self, c, a, b, t):
        _far(c - t, "where's condition")
        return super().where(c, a, b, t)

    def clip(self, x, lo, hi):
        for bound in (lo, hi):
            if bound is not None:
                _far(x - bound, "clip")
        return super().clip(x, lo, hi)


class TNNS(XNS):
    """turunan, which speaks NumPy's names. Run on ``Src`` values (``SRC``), it writes a program's repro: the
    very calls the sweep made."""

    meth = True

    def conv(self, a):
        return a                 # NumPy's index arrays, as a user passes them

    def const(self, value):
        return self.xp.tensor(value)


class JXNS(XNS):
    """JAX (x64): writes out of place."""

    def __init__(self):
        import jax
        import jax.numpy as jnp
        import jax.scipy.special as jss
        jax.config.update("jax_enable_x64", True)
        super().__init__(jnp, sigmoid=jax.nn.sigmoid, relu=jax.nn.relu, softplus=jax.nn.softplus,
                         logsumexp=jss.logsumexp, norm=_norm(jnp), log_softmax=jax.nn.log_softmax,
                         softmax=jax.nn.softmax, sort=_sort_flip(jnp))

    def copy(self, a):
        return a                 # z += b makes a new array

    def write(self, a, key, b, add):
        return a.at[key].add(b) if add else a.at[key].set(b)


class THNS(XNS):
    """torch (float64): some names of its own, dim/keepdim for axis/keepdims."""

    NAMES = {"concatenate": "cat", "take_along_axis": "take_along_dim", "clip": "clamp", "moveaxis": "movedim",
             "expand_dims": "unsqueeze", "max": "amax", "min": "amin"}
    KW = {"axis": "dim", "keepdims": "keepdim"}

    def __init__(self):
        import torch
        super().__init__(torch, softplus=torch.nn.functional.softplus, norm=torch.linalg.vector_norm)

    def fn(self, name):
        f = super().fn(self.NAMES.get(name, name))
        return lambda *a, **kw: f(*a, **{self.KW.get(k, k): v for k, v in kw.items()})

    def conv(self, a):
        return self.xp.as_tensor(a)

    def copy(self, a):
        return a.clone()

    def red(self, x, f, axis, keepdims, meth=False):
        kw = {"correction": 0} if f in ("var", "std") else {}
        return self.fn(f)(x, axis=_dims(axis, x.ndim), keepdims=keepdims, **kw)

    def sort(self, x, axis, descending):
        return super().sort(x, axis, descending).values

    def T(self, x):
        return x.permute(*reversed(range(x.ndim)))

    def flip(self, x, axis):
        return self.xp.flip(x, dims=_dims(axis, x.ndim) if axis is None else (axis,))


# ---- the repro: turunan's namespace run on source text ------------------------------------------------------
def _lit(v) -> str:
    return repr(np.asarray(v).tolist())


def _src(v, prec=0) -> str:
    """The source of ``v`` as an operand that binds at ``prec`` (Python's precedence, 9: an atom), in
    parentheses where it binds looser."""
    p = 9
    if isinstance(v, Src):
        text, p = v.text, v.prec
    elif isinstance(v, (np.ndarray, np.generic)):
        text = f"np.array({_lit(v)})"
    elif isinstance(v, list):
        text = "[" + ", ".join(map(_src, v)) + "]"
    elif isinstance(v, tuple):
        text = f"({_key_src(v)})"
    elif isinstance(v, slice):
        text = ("" if v.start is None else str(v.start)) + ":" + ("" if v.stop is None else str(v.stop))
        text += "" if v.step is None else f":{v.step}"
    elif v is Ellipsis:
        text = "..."
    else:
        text = repr(v)
        p = 5 if text.startswith("-") else 9
    return text if p >= prec else f"({text})"


def _key_src(key) -> str:
    return ", ".join(map(_src, key)) + ("," if len(key) == 1 else "")


class Src:
    """turunan code as text. Calls (of ``Src('tn')``'s functions, of methods), operators, attributes and indexing
    print themselves; an in-place write becomes a statement (``post``) after the line that binds the value."""

    def __init__(self, text, prec=9, view=False, aug=None):
        self.text, self.prec, self.view, self.aug, self.post = text, prec, view, aug, []

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **kw: Src(f"{_src(self, 9)}.{name}(" + ", ".join(
            [_src(v) for v in a] + [f"{k}={_src(v)}" for k, v in kw.items()]) + ")")

    @property
    def T(self):
        return Src(f"{_src(self, 9)}.T")

    def __neg__(self):
        return Src(f"-{_src(self, 5)}", 5)

    def __getitem__(self, key):
        return Src(f"{_src(self, 9)}[{_key_src(key)}]", view=True)

    def __iadd__(self, b):
        if self.view:              # z[key] += b: the add on the view, then __setitem__ writes it back
            return Src(self.text, aug=b)
        self.post.append(f" += {_src(b)}")
        return self

    def __setitem__(self, key, v):
        aug = isinstance(v, Src) and v.aug is not None
        self.post.append(f"[{_key_src(key)}] " + (f"+= {_src(v.aug)}" if aug else f"= {_src(v)}"))


def _binop(sym, prec, swap=False):
    def op(a, b):
        a, b = (b, a) if swap else (a, b)
        lp, rp = (prec + 1, prec) if sym == "**" else (prec, prec + 1)      # ** groups right to left
        return Src(f"{_src(a, lp)} {sym} {_src(b, rp)}", prec)
    return op


for _sym, _name, _prec in [("+", "add", 3), ("-", "sub", 3), ("*", "mul", 4), ("/", "truediv", 4),
                           ("%", "mod", 4), ("@", "matmul", 4), ("**", "pow", 6)]:
    setattr(Src, f"__{_name}__", _binop(_sym, _prec))
    setattr(Src, f"__r{_name}__", _binop(_sym, _prec, swap=True))
Src.__gt__ = _binop(">", 1)

NP, TN, SRC = NPNS(), TNNS(tn), TNNS(Src("tn"))


# ---- programs -----------------------------------------------------------------------------------------------
class Inp:
    __slots__ = ("id", "kind", "shape")

    def __init__(self, id, kind, shape):
        self.id, self.kind, self.shape = id, kind, tuple(shape)

    @property
    def name(self):
        return f"{self.kind}{self.id}"


class Prog:
    """Inputs (kind ``x`` batched float, ``y`` batched int, ``w`` shared float), a body of instructions
    ``(id, op, args, params)``, the output ids, the data (``x``/``y``: one row per example; ``w``: one value) and
    the NumPy values per example (``vals[id]``: a list over the examples)."""

    def __init__(self, nex: int):
        self.nex = nex
        self.inputs: list = []
        self.body: list = []
        self.outs: list = []
        self.data: dict = {}
        self.vals: dict = {}
        self.pattern: dict = {}      # nested runs: input id -> 'both', 'outer' or 'inner' (the levels it varies on)
        self.next = 0

    def copy(self, keep_vals=True):
        p = Prog(self.nex)
        p.inputs, p.body, p.outs = list(self.inputs), list(self.body), list(self.outs)
        p.data = dict(self.data)
        p.pattern = dict(self.pattern)
        p.vals = dict(self.vals) if keep_vals else {}
        p.next = self.next
        return p

    def fresh(self):
        self.next += 1
        return self.next - 1

    def inp(self, id):
        return next((i for i in self.inputs if i.id == id), None)

    def shape(self, id):
        return self.vals[id][0].shape

    def is_float(self, id):
        return self.vals[id][0].dtype.kind == "f"

    def example(self, id, e):
        i = self.inp(id)
        return self.data[id] if i.kind == "w" else self.data[id][e]

    def add(self, op, args, **params):
        id = self.fresh()
        self.body.append((id, op, tuple(args), params))
        evaluate(self)
        return id

    def ids(self):
        return [i.id for i in self.inputs] + [ins[0] for ins in self.body]


def evaluate(p: Prog) -> None:
    """Fill in the NumPy values of every value not evaluated yet; Reject a program that is not a valid test."""
    for i in p.inputs:
        if i.id not in p.vals:
            p.vals[i.id] = [p.example(i.id, e) for e in range(p.nex)]
    for id, op, args, params in p.body:
        if id in p.vals:
            continue
        out = []
        for e in range(p.nex):
            with np.errstate(all="raise"):
                try:
                    v = np.asarray(getattr(NP, op)(*[p.vals[a][e] for a in args], **params))
                except (ValueError, IndexError, TypeError, FloatingPointError, np.exceptions.AxisError) as err:
                    raise Reject(f"{op}: {err}") from None
            if v.dtype.kind == "f" and (not np.all(np.isfinite(v)) or np.any(np.abs(v) > 1e3)):
                raise Reject("too large")
            if v.ndim > 4 or v.size > 200 or v.size == 0:
                raise Reject("too big")
            out.append(v)
        p.vals[id] = out


def _round(a):
    return np.round(a, 2) + 0.0


def new_input(p: Prog, r, kind: str, shape, hi: int = 0, pattern: str = "both") -> int:
    """A new input. In a nested run (``p.nex == B1 * B2``) a batched input varies along both levels, or along
    the outer (``pattern='outer'``) or the inner one only: its rows repeat accordingly."""
    id = p.fresh()
    shape = tuple(int(s) for s in shape)
    draw = (lambda *s: r.integers(0, hi, size=s + shape)) if kind == "y" else (
        lambda *s: _round(r.standard_normal(s + shape)))
    if kind == "w":
        d = draw()
    elif p.nex == B1 * B2 and pattern == "outer":
        d = np.repeat(draw(B1), B2, axis=0)
    elif p.nex == B1 * B2 and pattern == "inner":
        d = np.tile(draw(B2), (B1,) + (1,) * len(shape))
    else:
        d = draw(p.nex)
    p.inputs.append(Inp(id, kind, shape))
    p.data[id] = d
    p.pattern[id] = pattern
    evaluate(p)
    return id


def _floats(p, lo=0, hi=4, pred=None):
    return [i for i in p.ids() if p.is_float(i) and lo <= len(p.shape(i)) <= hi and (pred is None or pred(i))]


def pick(p: Prog, r, lo=0, hi=4, pred=None):
    c = _floats(p, lo, hi, pred)
    if not c:
        raise Reject("nothing to apply it to")
    if r.random() < 0.6 and p.body and p.body[-1][0] in c:     # mostly chains: deep programs
        return p.body[-1][0]
    w = np.arange(1, len(c) + 1, dtype=float) ** 2
    return c[r.choice(len(c), p=w / w.sum())]


def _pattern(r):
    return ["both", "both", "outer", "inner"][r.integers(4)]


def operand(p: Prog, r, shape) -> int:
    """A value of exactly ``shape``: an existing one, a constant, a shared input or a batched input."""
    shape = tuple(shape)
    same = _floats(p, pred=lambda i: p.shape(i) == shape)
    k = r.choice(4, p=[0.3, 0.3, 0.2, 0.2] if same else [0, 0.45, 0.3, 0.25])
    if k == 0:
        return same[r.integers(len(same))]
    if k == 1:
        return p.add("const", (), value=_round(r.standard_normal(shape)))
    return new_input(p, r, "w" if k == 2 else "x", shape, pattern=_pattern(r))


def _axis(r, nd, extra=0):
    """An axis of an ``nd``-d value (``extra=1``: of the result of inserting one), negative half the time."""
    a = int(r.integers(nd + extra))
    return a - (nd + extra) if r.random() < 0.5 else a


def _bshape(r, s):
    """A shape that broadcasts with ``s``: a suffix with some 1s, or ``s`` with leading axes."""
    s = list(s)
    k = r.integers(3)
    if k == 0 or len(s) >= 3:
        t = s[r.integers(len(s) + 1):]
        return tuple(1 if r.random() < 0.3 else d for d in t)
    if k == 1:
        return tuple(s)
    return (int(r.integers(2, 4)),) + tuple(s)


# ---- the op generators --------------------------------------------------------------------------------------
def g_unary(p, r):
    p.add("un", (pick(p, r),), f=str(r.choice(UNARY)))


def g_binary(p, r):
    x = pick(p, r)
    s = p.shape(x)
    f = str(r.choice(["add", "sub", "mul", "div", "maximum", "minimum"], p=[.25, .2, .25, .1, .1, .1]))
    if r.random() < 0.3:
        comp = _floats(p, pred=lambda i: i != x and _broadcasts(p.shape(i), s))
        y = comp[r.integers(len(comp))] if comp else operand(p, r, _bshape(r, s))
    else:
        y = operand(p, r, _bshape(r, s))
    a, b = (x, y) if r.random() < 0.5 else (y, x)
    p.add("bin", (a, b), f=f)


def _broadcasts(s, t):
    try:
        return len(np.broadcast_shapes(s, t)) <= 4
    except ValueError:
        return False


def g_scalar(p, r):
    f = str(r.choice(["mul", "add", "rsub", "pow", "rdiv"]))
    c = int(r.choice([2, 3])) if f == "pow" else float(_round(r.uniform(0.5, 2) * r.choice([-1, 1])))
    p.add("scal", (pick(p, r),), f=f, c=c)


def g_reduce(p, r):
    x = pick(p, r, lo=1)
    nd = len(p.shape(x))
    f = str(r.choice(["sum", "mean", "max", "min", "logsumexp", "norm", "prod", "var", "std"],
                     p=[.2, .1, .15, .1, .1, .1, .1, .05, .1]))
    k = r.random()
    if f == "prod" or (k < 0.5 or nd == 1 and k < 0.8):
        axis = _axis(r, nd)
    elif k < 0.8:
        a, b = r.choice(nd, 2, replace=False)
        axis = (int(a), int(b) - nd if r.random() < 0.5 else int(b))
    else:
        axis = None
    p.add("red", (x,), f=f, axis=axis, keepdims=bool(r.random() < 0.3), meth=bool(r.random() < 0.3))


def g_lsm(p, r):
    x = pick(p, r, lo=1)
    p.add("lsm", (x,), axis=_axis(r, len(p.shape(x))))


def g_cum(p, r):
    x = pick(p, r, lo=1)
    p.add("cum", (x,), f=str(r.choice(["cumsum", "cumprod"])), axis=_axis(r, len(p.shape(x))))


def g_matmul(p, r):
    x = pick(p, r, lo=1, hi=3)
    s = p.shape(x)
    k = int(r.integers(1, 4))
    j = int(r.integers(2, 4))
    if r.random() < 0.6:                       # x @ y
        n = s[-1]
        opts = [(n,), (n, k), (j, n, k)] if len(s) <= 2 else [(n,), (n, k), (s[0], n, k), (1, n, k)]
        y = operand(p, r, opts[r.integers(len(opts))])
        p.add("matmul", (x, y))
    else:                                      # y @ x
        n = s[0] if len(s) == 1 else s[-2]
        opts = [(n,), (k, n)] + ([(j, k, n)] if len(s) <= 2 else [])
        y = operand(p, r, opts[r.integers(len(opts))])
        p.add("matmul", (y, x))


def g_einsum(p, r):
    x = pick(p, r, lo=1, hi=3)
    s = p.shape(x)
    k = int(r.integers(2, 4))
    if len(s) == 1:
        opts = [("i,i->", [s]), ("i,j->ij", [(k,)]), ("i->", []), ("i,ij->j", [(s[0], k)])]
    elif len(s) == 2:
        opts = [("ij->ji", []), ("ij->i", []), ("ij,j->i", [(s[1],)]), ("ij,kj->ik", [(k, s[1])]),
                ("ij,ij->i", [s]), ("ij,jk->ik", [(s[1], k)]), ("ij->", [])]
    else:
        opts = [("bij,bjk->bik", [(s[0], s[2], k)]), ("bij->bj", []), ("bij,j->bi", [(s[2],)]), ("bij->jib", [])]
    spec, shapes = opts[r.integers(len(opts))]
    p.add("einsum", (x,) + tuple(operand(p, r, t) for t in shapes), spec=spec)


def g_reshape(p, r):
    x = pick(p, r, lo=0)
    n = int(np.prod(p.shape(x)))
    dims = []
    m = n
    for _ in range(int(r.integers(0, 3))):
        ds = [d for d in range(1, m + 1) if m % d == 0]
        d = int(ds[r.integers(len(ds))])
        dims.append(d)
        m //= d
    dims.append(m)
    dims = [int(v) for v in r.permutation(dims)]
    if r.random() < 0.3:
        dims[r.integers(len(dims))] = -1
    p.add("reshape", (x,), shape=tuple(dims))


def g_T(p, r):
    p.add("T", (pick(p, r, lo=1),))


def g_swap(p, r):
    x = pick(p, r, lo=2)
    nd = len(p.shape(x))
    a, b = r.choice(nd, 2, replace=False)
    p.add("swap", (x,), a=int(a), b=int(b) - nd if r.random() < 0.5 else int(b))


def g_expand(p, r):
    x = pick(p, r, hi=3)
    p.add("expand", (x,), axis=_axis(r, len(p.shape(x)), extra=1))


def g_squeeze(p, r):
    x = pick(p, r, lo=1, pred=lambda i: 1 in p.shape(i))
    s = p.shape(x)
    a = int(r.choice([i for i, d in enumerate(s) if d == 1]))
    p.add("squeeze", (x,), axis=a - len(s) if r.random() < 0.5 else a)


def _basic_key(r, s, none=True):
    """A basic indexing key for shape ``s``: slices (with steps), integers, maybe None and a leading Ellipsis."""
    m = int(r.integers(1, len(s) + 1))
    ellipsis = m < len(s) and r.random() < 0.3
    key = []
    for n in (s[len(s) - m:] if ellipsis else s[:m]):
        k = r.integers(5)
        if k == 0:
            key.append(slice(None))
        elif k == 1:
            a = int(r.integers(0, n))
            b = int(r.integers(a + 1, n + 1))
            key.append(slice(a - n if r.random() < 0.3 else a, b if r.random() < 0.7 else None))
        elif k == 2 and n >= 2:
            key.append(slice(int(r.integers(0, 2)), None, 2))
        else:
            key.append(int(r.integers(-n, n)))
    if none and r.random() < 0.25:
        key.insert(int(r.integers(len(key) + 1)), None)
    return tuple([Ellipsis] + key if ellipsis else key)


def g_slice(p, r):
    x = pick(p, r, lo=1)
    p.add("getitem", (x,), key=_basic_key(r, p.shape(x)))


def g_adv(p, r):
    """Integer-array indexing: a constant index (with repeats), a batched one (per-example labels), or both."""
    x = pick(p, r, lo=1)
    s = p.shape(x)
    k = r.integers(6)
    where = r.integers(3) if len(s) >= 2 else 0   # x[i], x[:, i], x[..., i]
    n = s[0] if where == 0 else s[1] if where == 1 else s[-1]
    pre = [(), (slice(None),), (Ellipsis,)][where]
    if k <= 1:                                   # constant index array
        shp = [(int(r.integers(1, 4)),), (2, int(r.integers(1, 3))), ()][r.integers(3)]
        p.add("getitem", (x,), key=pre + (C(r.integers(-n, n, size=shp)),))
    elif k <= 3:                                 # a batched label or index vector
        shp = [(), (), (int(r.integers(1, 4)),)][r.integers(3)]
        y = _label(p, r, n, shp)
        p.add("getitem", (x, y), key=pre + (A(0),))
    elif k == 4 and len(s) >= 2:                 # two arrays: a batched one with a constant one
        y = new_input(p, r, "y", (), hi=s[0], pattern=_pattern(r))
        p.add("getitem", (x, y), key=(A(0), C(r.integers(0, s[1], size=(int(r.integers(1, 4)),)))))
    else:                                        # a mixed key: arrays (maybe separated), slices, None, Ellipsis
        _mixed_index(p, r, x)


def _mixed_index(p, r, x):
    s = p.shape(x)
    nd = len(s)
    m = int(r.integers(1, min(nd, 3) + 1))
    ell = m < nd and r.random() < 0.4
    dims = s[nd - m:] if ell else s[:m]
    npos = int(r.integers(1, min(m, 2) + 1))
    pos = set(int(v) for v in r.choice(m, npos, replace=False))
    ishape = [(), (1,), (2,), (3,)][r.integers(4)]
    key, args = [], []
    for d, n in enumerate(dims):
        if d in pos:
            if r.random() < 0.5:
                args.append(_label(p, r, n, ishape))
                key.append(A(len(args) - 1))
            else:
                key.append(C(r.integers(-n, n, size=ishape or (1,))))
        elif r.random() < 0.6:
            key.append(slice(None))
        else:
            a = int(r.integers(0, n))
            key.append(slice(a, int(r.integers(a + 1, n + 1))))
    if r.random() < 0.3:
        key.insert(0 if r.random() < 0.5 else len(key), None)
    p.add("getitem", (x,) + tuple(args), key=tuple([Ellipsis] + key if ell else key))


def g_tal(p, r):
    x = pick(p, r, lo=1)
    s = p.shape(x)
    ax = _axis(r, len(s))
    shp = list(s)
    shp[ax] = int(r.integers(1, 4))
    if r.random() < 0.5:
        y = new_input(p, r, "y", shp, hi=s[ax], pattern=_pattern(r))
        p.add("tal", (x, y), axis=ax)
    else:
        p.add("tal", (x,), axis=ax, const=C(r.integers(0, s[ax], size=shp)))


def g_cat(p, r):
    x = pick(p, r, lo=1)
    s = p.shape(x)
    ax = _axis(r, len(s))
    parts = [x]
    for _ in range(int(r.integers(1, 3))):
        t = list(s)
        t[ax] = int(r.integers(1, 3))
        parts.append(operand(p, r, t))
    p.add("cat", tuple(r.permutation(parts).tolist()), axis=ax)


def g_stack(p, r):
    x = pick(p, r, hi=3)
    s = p.shape(x)
    parts = [x] + [operand(p, r, s) for _ in range(int(r.integers(1, 3)))]
    p.add("stack", tuple(r.permutation(parts).tolist()), axis=_axis(r, len(s), extra=1))


def g_where(p, r):
    x = pick(p, r)
    s = p.shape(x)
    comp = _floats(p, pred=lambda i: _broadcasts(p.shape(i), s))
    c = comp[r.integers(len(comp))]
    t = float(_round(np.median(np.concatenate([np.ravel(v) for v in p.vals[c]]))))
    y = operand(p, r, _bshape(r, s))
    p.add("where", (c, x, y) if r.random() < 0.5 else (c, y, x), t=t)


def g_argmax(p, r):
    """The value at the maximum, gathered with the (batched, integer) argmax: take_along_axis(x, argmax(x))."""
    x = pick(p, r, lo=1)
    ax = _axis(r, len(p.shape(x)))
    i = p.add("argmax", (x,), axis=ax, keepdims=True)
    y = x if r.random() < 0.6 else operand(p, r, p.shape(x))
    p.add("tal", (y, i), axis=ax)


def g_wheres(p, r):
    """where with a Python scalar branch: a batched condition (or not), a value, 0.0 (a relu written by hand)."""
    x = pick(p, r)
    c = x if r.random() < 0.6 else pick(p, r, pred=lambda i: _broadcasts(p.shape(i), p.shape(x)))
    p.add("wheres", (c, x), t=0.0, v=float(r.choice([0.0, 1.5])))


def g_clip(p, r):
    x = pick(p, r)
    v = np.concatenate([np.ravel(a) for a in p.vals[x]])
    lo, hi = (float(_round(q)) for q in np.quantile(v, [0.25, 0.75]))
    if hi <= lo:
        hi = lo + 0.1
    k = r.integers(4)
    p.add("clip", (x,), lo=None if k == 0 else lo, hi=None if k == 1 else hi)


def g_nll(p, r):
    """The per-example classification loss: log_softmax of a vector, indexed by the example's label."""
    x = pick(p, r, lo=1, hi=1, pred=lambda i: p.shape(i)[0] >= 2)
    z = p.add("lsm", (x,), axis=-1)
    y = new_input(p, r, "y", (), hi=p.shape(x)[0], pattern=_pattern(r))
    p.add("getitem", (z, y), key=(A(0),))


def g_softmax(p, r):
    x = pick(p, r, lo=1)
    p.add("softmax", (x,), axis=_axis(r, len(p.shape(x))))


def g_sort(p, r):
    x = pick(p, r, lo=1)
    p.add("sort", (x,), axis=_axis(r, len(p.shape(x))), descending=bool(r.random() < 0.5))


def g_flip(p, r):
    x = pick(p, r, lo=1)
    p.add("flip", (x,), axis=None if r.random() < 0.2 else _axis(r, len(p.shape(x))))


def g_moveaxis(p, r):
    x = pick(p, r, lo=2)
    nd = len(p.shape(x))
    p.add("moveaxis", (x,), src=_axis(r, nd), dst=_axis(r, nd))


def g_bcast(p, r):
    x = pick(p, r, hi=3)
    t = tuple(int(r.integers(1, 4)) if d == 1 else d for d in p.shape(x))
    p.add("bcast", (x,), shape=((int(r.integers(2, 4)),) if r.random() < 0.5 else ()) + t)


def levels(p, id, memo=None):
    """The vmap levels a value varies along ('o', 'i': outer, inner; a one-level run counts as both)."""
    i = p.inp(id)
    if i is not None:
        return frozenset() if i.kind == "w" else frozenset({"both": "oi", "outer": "o", "inner": "i"}[
            p.pattern.get(id, "both")])
    memo = {} if memo is None else memo
    if id not in memo:
        ins = next(b for b in p.body if b[0] == id)
        memo[id] = frozenset().union(*[levels(p, a, memo) for a in ins[2]])
    return memo[id]


def g_setitem(p, r):
    """z = a * 1.0; z[key] = b: in-place writes inside vmap (batched target, value and index)."""
    a = pick(p, r, lo=1)
    s = p.shape(a)
    k = r.integers(3)
    if k == 0:
        key, args = _basic_key(r, s, none=False), ()
    elif k == 1:
        n = s[0]
        key, args = (C(r.choice(n, int(r.integers(1, n + 1)), replace=False)),), ()
    else:
        args = (_label(p, r, s[-1]),)
        key = (Ellipsis, A(0))
    target = np.shape(p.vals[a][0][_key_conv(key, [p.vals[i][0] for i in args], lambda i: i)])
    b = operand(p, r, _bshape(r, target) if r.random() < 0.5 and target else target)
    if not levels(p, b) | frozenset().union(*[levels(p, i) for i in args]) <= levels(p, a):
        raise Reject("a batched write into an unbatched tensor")
    # z[key] = b, or z[key] += b (a read, an in-place add on the view, a write back)
    p.add("setitem" if r.random() < 0.6 else "setadd", (a, b) + args, key=key)


def _label(p, r, n, shape=()):
    """A batched integer index in [0, n): an input, or an input moved by integer arithmetic inside the function."""
    if r.random() < 0.7:
        return new_input(p, r, "y", shape, hi=n, pattern=_pattern(r))
    y = new_input(p, r, "y", shape, hi=n + 3, pattern=_pattern(r))
    return p.add("imod", (y,), c=int(r.integers(1, 4)), n=int(n))


def g_iadd(p, r):
    a = pick(p, r)
    s = p.shape(a)
    t = s[r.integers(len(s) + 1):]
    b = operand(p, r, tuple(1 if r.random() < 0.3 else d for d in t))
    if not levels(p, b) <= levels(p, a):
        raise Reject("a batched write into an unbatched tensor")
    p.add("iadd", (a, b))


GENS = [(g_unary, 10), (g_binary, 14), (g_scalar, 4), (g_reduce, 10), (g_lsm, 4), (g_cum, 4), (g_matmul, 8),
        (g_einsum, 6), (g_reshape, 4), (g_T, 3), (g_swap, 3), (g_expand, 3), (g_squeeze, 4), (g_slice, 6),
        (g_adv, 7), (g_tal, 4), (g_cat, 4), (g_stack, 3), (g_where, 4), (g_clip, 3), (g_nll, 3), (g_softmax, 2),
        (g_sort, 2), (g_flip, 2), (g_moveaxis, 2), (g_bcast, 2), (g_setitem, 4), (g_iadd, 3),
        (g_argmax, 2), (g_wheres, 2)]
_GW = np.array([w for _, w in GENS], dtype=float)


def generate(seed: int, nex: int = B, n_outs: int = 1, min_ops: int = 2, max_ops: int = 8, max_in: int = 200):
    """A random program, deterministic in ``seed``."""
    r = np.random.default_rng(seed)
    p = Prog(nex)
    for _ in range(int(r.integers(1, 3))):
        nd = int(r.choice([0, 1, 1, 2, 2, 3]))
        new_input(p, r, "x", r.integers(1, 5, size=nd) if r.random() < 0.2 else r.integers(2, 5, size=nd),
                  pattern="both" if not p.inputs else _pattern(r))
    if r.random() < 0.5:
        nd = int(r.integers(0, 3))
        new_input(p, r, "w", r.integers(2, 5, size=nd))
    target = int(r.integers(min_ops, max_ops + 1))
    for _ in range(300):
        if sum(1 for ins in p.body if ins[1] != "const") >= target:
            break
        q = p.copy()
        gen = GENS[r.choice(len(GENS), p=_GW / _GW.sum())][0]
        try:
            gen(q, r)
        except Reject:
            continue
        p = q
    last = [ins[0] for ins in p.body if ins[1] != "const" and p.is_float(ins[0])]
    outs = [last[-1]] if last else [_floats(p)[-1]]
    used = {a for ins in p.body for a in ins[2]}
    for d in [i for i in last[:-1] if i not in used][-3:]:     # the dangling ends flow into the output too
        q = p.copy()
        try:
            s = q.add("red", (d,), f="sum", axis=None, keepdims=False) if q.shape(d) else d
            outs = [q.add("bin", (outs[0], s), f="add")]
        except Reject:
            continue
        p = q
    if n_outs > 1:
        rest = [i for i in _floats(p) if i not in outs]
        outs.append(rest[r.integers(len(rest))] if rest else outs[0])
    p.outs = outs
    return dce(p)


def dce(p: Prog) -> Prog:
    live = set(p.outs)
    keep = []
    for ins in reversed(p.body):
        if ins[0] in live:
            keep.append(ins)
            live.update(ins[2])
    q = p.copy()
    q.body = keep[::-1]
    q.inputs = [i for i in p.inputs if i.id in live]
    return q


# ---- running a program on a framework -----------------------------------------------------------------------
def run(p: Prog, ns, args):
    env = {i.id: a for i, a in zip(p.inputs, args)}
    for id, op, a, params in p.body:
        env[id] = getattr(ns, op)(*[env[j] for j in a], **params)
    outs = [env[o] for o in p.outs]
    return outs[0] if len(outs) == 1 else tuple(outs)


def fn(p: Prog, ns):
    return lambda *args: run(p, ns, args)


def phys(p: Prog, inp: Inp, ax):
    """The array passed for ``inp`` to a one-level vmap with batch axis ``ax`` (None: shared)."""
    d = p.data[inp.id]
    if inp.kind == "w" or ax is None:
        return d if inp.kind == "w" else d[0]
    return np.moveaxis(d[:B], 0, ax)


def phys2(p: Prog, inp: Inp, ao, ai):
    """The array passed for ``inp`` to ``vmap(vmap(f, ai), ao)``: batched along the levels its pattern says."""
    d = p.data[inp.id]
    pat = p.pattern[inp.id]
    if inp.kind == "w":
        return d
    nd = len(inp.shape)
    if pat == "both":
        a = d.reshape((B1, B2) + inp.shape)
        a = np.moveaxis(a, 1, 1 + ai % (nd + 1))
        return np.moveaxis(a, 0, ao)
    if pat == "outer":
        return np.moveaxis(d[::B2], 0, ao)
    return np.moveaxis(d[:B2], 0, ai)


def to_tn(a):
    return tn.tensor(a)


def to_th(a):
    import torch
    return torch.from_numpy(np.array(a))


def as_np(v):
    if isinstance(v, tn.Tensor):
        return np.asarray(v.data)
    if hasattr(v, "detach"):
        return v.detach().numpy()
    return np.asarray(v)


def leaves(tree):
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [x for t in tree for x in leaves(t)]
    return [tree]


def _fmt(a):
    a = np.asarray(a)
    return np.array2string(a, precision=6, threshold=60, max_line_width=110)


def assert_close(got, exp, what=""):
    g, e = leaves(got), leaves(exp)
    if len(g) != len(e):
        raise AssertionError(f"{what}: {len(g)} outputs, expected {len(e)}")
    for k, (a, b) in enumerate(zip(g, e)):
        a, b = as_np(a), as_np(b)
        if a.shape != b.shape:
            raise AssertionError(f"{what} output {k}: shape {a.shape}, expected {b.shape}\n"
                                 f"got:\n{_fmt(a)}\nexpected:\n{_fmt(b)}")
        if not np.allclose(a, b, rtol=RTOL, atol=ATOL):
            raise AssertionError(f"{what} output {k}: values differ (max abs err {np.max(np.abs(a - b)):.3g})\n"
                                 f"got:\n{_fmt(a)}\nexpected:\n{_fmt(b)}")


def _weights(shape):
    """Fixed cotangent weights of ``shape`` (a scalar loss from a non-scalar output)."""
    return _round(np.random.default_rng(abs(hash(tuple(shape))) % 2 ** 32).standard_normal(shape) + 0.5)


def _tangent(id, shape):
    return _round(np.random.default_rng(7919 + id).standard_normal(shape))


def loss_fn(p: Prog, ns):
    W = _weights(np.shape(p.vals[p.outs[0]][0]))
    return lambda *args: ns.wsum(run(p, ns, args), W)


# ---- the transforms' choices -------------------------------------------------------------------------------
# cfg: the transform's choices, keyed by input id where they are per input (so that shrinking keeps them)
def _axes_tuple(p, cfg, key="ax"):
    return tuple(cfg[key].get(i.id) for i in p.inputs)


def _in_axes(p, cfg):
    """The in_axes of a plain vmap: one per input, or one int for all where every input has the same int axis."""
    t = _axes_tuple(p, cfg)
    return t[0] if len(set(t)) == 1 and t[0] is not None and len(t) > 1 else t


def _choose_axes(p, r):
    ax = {}
    for i in p.inputs:
        ax[i.id] = None if i.kind == "w" else _axis(r, len(i.shape), extra=1)
    return ax


def _out_axis(p, r, k=0):
    return _axis(r, len(p.shape(p.outs[k])), extra=1)


def _float_args(p):
    return tuple(n for n, i in enumerate(p.inputs) if i.kind != "y")


def need_batched(p):
    _need(p)


def need_floats(p):
    _need(p, floats=True)


def need_x(p):
    if not any(i.kind == "x" for i in p.inputs):
        raise Reject("no batched float input")


def _need(p, batched=True, floats=False):
    if batched and not any(i.kind != "w" for i in p.inputs):
        raise Reject("nothing batched")
    if floats and not _float_args(p):
        raise Reject("nothing to differentiate")


# ---- torch.func as the reference ----------------------------------------------------------------------------
def _vmap_th(f, in_axes, out_axes=0, **kw):
    """torch.func.vmap. Its out_dims other than 0 are applied here, by a movedim after it: torch 2.x gets them
    wrong for an output that does not vary over the batch (out_dims=1 raises, a negative one reads garbage and
    can crash the process).

    Where torch.func.vmap itself cannot run the function (a torch limitation, e.g. the backward of indexing with a
    batched 0-d index calls .item()), the reference is the loop over the examples of the unmapped function."""
    import torch.func
    g = torch.func.vmap(f, in_dims=in_axes, out_dims=0, **kw)

    def mapped(*a):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = g(*a)
        except RuntimeError:
            axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(a)
            n = next(x.shape[ax] for x, ax in _leaf_axes(a, axes) if ax is not None)
            out = _stack_trees([f(*_slice_args(a, axes, e)) for e in range(n)])
        return _move_out(out, out_axes)
    return mapped


def _th_hessian(L, k):
    """torch's Hessian of ``L`` in argument ``k``: jacfwd(jacrev(L)), as turunan is asked for. Where torch.func
    cannot run it (its batching rules fail on some in-place index writes), reverse over reverse, then
    torch.autograd.functional.hessian (a loop over rows)."""
    import torch.autograd.functional
    import torch.func

    def H(*a):
        try:
            return torch.func.jacfwd(torch.func.jacrev(L, argnums=k), argnums=k)(*a)
        except RuntimeError:
            pass
        try:
            return torch.func.jacrev(torch.func.jacrev(L, argnums=k), argnums=k)(*a)
        except RuntimeError:
            pass
        return torch.autograd.functional.hessian(lambda xk: L(*a[:k], xk, *a[k + 1:]), a[k])
    return H


def _leaf_axes(tree, axes):
    if isinstance(tree, dict):
        return [la for k in tree for la in _leaf_axes(tree[k], axes[k] if isinstance(axes, dict) else axes)]
    if isinstance(tree, (tuple, list)):
        return [la for n, t in enumerate(tree) for la in _leaf_axes(t, axes[n] if isinstance(axes, (tuple, list))
                                                                      else axes)]
    return [(tree, axes)]


def _slice_args(tree, axes, e):
    if isinstance(tree, dict):
        return {k: _slice_args(tree[k], axes[k] if isinstance(axes, dict) else axes, e) for k in tree}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_slice_args(t, axes[n] if isinstance(axes, (tuple, list)) else axes, e)
                          for n, t in enumerate(tree))
    return tree if axes is None else tree.select(axes % tree.ndim, e)


def _stack_trees(trees):
    import torch
    t = trees[0]
    if isinstance(t, dict):
        return {k: _stack_trees([x[k] for x in trees]) for k in t}
    if isinstance(t, (tuple, list)):
        return type(t)(_stack_trees([x[n] for x in trees]) for n in range(len(t)))
    return torch.stack(trees)


def _move_out(out, axes):
    if isinstance(axes, int):
        if isinstance(out, (tuple, list, dict)):
            return _move_out(out, (type(out)((k, axes) for k in out) if isinstance(out, dict)
                                   else type(out)(axes for _ in out)))
        return out.movedim(0, axes % out.ndim)
    if isinstance(axes, dict):
        return {k: _move_out(out[k], axes[k]) for k in out}
    return type(out)(_move_out(o, a) for o, a in zip(out, axes))


def _nested_config(p, r):
    ao, ai = {}, {}
    for i in p.inputs:
        nd = len(i.shape)
        pat = p.pattern[i.id]
        if i.kind == "w":
            ao[i.id] = ai[i.id] = None
        elif pat == "both":
            ai[i.id] = _axis(r, nd, extra=1)
            ao[i.id] = _axis(r, nd + 1, extra=1)
        elif pat == "outer":
            ao[i.id], ai[i.id] = _axis(r, nd, extra=1), None
        else:
            ao[i.id], ai[i.id] = None, _axis(r, nd, extra=1)
    nd = len(p.shape(p.outs[0]))
    return {"ao": ao, "ai": ai, "oi": _axis(r, nd, extra=1), "oo": _axis(r, nd + 1, extra=1)}


def _nested_need(p):
    if not any(p.pattern[i.id] in ("both", "outer") for i in p.inputs if i.kind != "w") or \
       not any(p.pattern[i.id] in ("both", "inner") for i in p.inputs if i.kind != "w"):
        raise Reject("a level with nothing batched")


def _grad_nums(p):
    """Per-example gradients: with respect to the shared inputs, or the first batched one if none is shared."""
    w = tuple(n for n, i in enumerate(p.inputs) if i.kind == "w")
    return w or _float_args(p)[:1]


def _first_x(p):
    return next(n for n, i in enumerate(p.inputs) if i.kind == "x")


def _put(base, at, vals):
    """``base`` with the values ``vals`` at the positions ``at``."""
    full = list(base)
    for n, v in zip(at, vals):
        full[n] = v
    return full


def _of_floats(p, f, ins):
    """``f`` as a function of the float inputs, the others fixed at their values in ``ins``."""
    return lambda *fa: f(*_put(ins, _float_args(p), fa))


def _jvp_parts(p, jvp, f):
    """A function of (inputs..., tangents of the float inputs...) -> jvp of f in its float inputs."""
    n = len(p.inputs)

    def per(*a):
        ins, tans = a[:n], a[n:]
        return jvp(_of_floats(p, f, ins), tuple(ins[j] for j in _float_args(p)), tuple(tans))
    return per


def _vjp_parts(p, vjp, f):
    """A function of (inputs..., a cotangent) -> (f's output, vjp of f in its float inputs)."""
    n = len(p.inputs)

    def per(*a):
        ins, ct = a[:n], a[n]
        out, back = vjp(_of_floats(p, f, ins), *[ins[j] for j in _float_args(p)])
        return out, back(ct)
    return per


def _batch_weights(p):
    return _weights((B,) + p.shape(p.outs[0]))


def _batch_loss(p, L, axes):
    """A weighted sum of vmap(f)'s output: a scalar loss of the whole batch."""
    W = _batch_weights(p)
    return lambda *a: L.ns.wsum(L.vmap(fn(p, L.ns), axes)(*a), W)


def _closure_nested(p, L, ai, oi):
    """The outer function of a nested vmap whose inner function takes only the inner-batched inputs and closes
    over the others (values batched along the outer level only, or shared)."""
    inner_ids = [n for n, a in enumerate(ai) if a is not None]

    def outer(*a):
        inner = lambda *b: run(p, L.ns, _put(a, inner_ids, b))
        return L.vmap(inner, tuple(ai[n] for n in inner_ids), oi)(*[a[n] for n in inner_ids])
    return outer


# ---- the libraries: a transform is written once, against these names ---------------------------------------
TURUNAN = types.SimpleNamespace(
    ns=TN, conv=to_tn, grad=tfunc.grad, jacrev=tfunc.jacrev, jacfwd=tfunc.jacfwd, jvp=tfunc.jvp, vjp=tfunc.vjp,
    vmap=lambda f, in_axes, out_axes=0, **kw: tn.vmap(f, in_axes=in_axes, out_axes=out_axes, **kw),
    hessian=lambda L, k: tfunc.jacfwd(tfunc.jacrev(L, argnums=k), argnums=k),
    leaf=lambda v, rg: tn.tensor(v, requires_grad=rg))
_LIBS = {}


def torch_lib():
    """torch.func, the reference (its vmap: _vmap_th; its Hessian: _th_hessian)."""
    if "torch" not in _LIBS:
        import torch
        import torch.func as tf
        _LIBS["torch"] = types.SimpleNamespace(
            ns=THNS(), conv=to_th, grad=tf.grad, jacrev=tf.jacrev, jacfwd=tf.jacfwd, jvp=tf.jvp, vjp=tf.vjp,
            vmap=_vmap_th, hessian=_th_hessian, leaf=lambda v, rg: torch.tensor(v, requires_grad=rg))
    return _LIBS["torch"]


def jax_lib():
    import jax
    ns = JXNS()
    return types.SimpleNamespace(ns=ns, conv=ns.conv, grad=jax.grad,
                                 vmap=lambda f, in_axes, out_axes=0: jax.vmap(f, in_axes=in_axes, out_axes=out_axes))


# ---- the transforms -----------------------------------------------------------------------------------------
class Transform:
    """A transform (``T_*``): ``build(p, cfg, L)`` is the transformed program in library ``L`` (turunan, or the
    reference: torch.func, JAX), called on ``args(p, cfg)`` (the arrays by name, as the repro prints them)
    converted by ``L.conv``. Where ``torch`` is False the reference is ``expect(p, cfg)``, from the per-example
    NumPy values. ``call`` (and ``prelude``) print the transform for the repro."""

    torch = True
    nex = B                 # the examples a program is drawn for
    n_outs = 1
    loss = False            # the repro defines loss (see loss_fn)
    requires_grad = False   # the repro's float inputs require grad
    need = need_batched

    def config(p, r):
        return {"ax": _choose_axes(p, r)}

    def args(p, cfg):
        return {i.id: phys(p, i, cfg["ax"][i.id]) for i in p.inputs}

    def prelude(p, cfg):
        return []

    @classmethod
    def run(T, p, cfg, L=None):
        """(turunan's result, the reference's); ``L``: the reference library, torch's by default."""
        a = list(T.args(p, cfg).values())
        if T.torch or L is not None:
            L = L or torch_lib()
            exp = ref(lambda: T.build(p, cfg, L)(*map(L.conv, a)))
        else:
            exp = T.expect(p, cfg)
        return T.build(p, cfg, TURUNAN)(*map(to_tn, a)), exp


class T_vmap(Transform):
    """vmap(f, in_axes, out_axes) against torch.func.vmap (with chunk_size where cfg has a chunk)."""

    def config(p, r):
        ax = _choose_axes(p, r)
        if r.random() < 0.25 and all(i.kind != "w" for i in p.inputs):
            a = int(r.choice([0, -1]))
            ax = {k: a for k in ax}          # passed as one int for every argument
        return {"ax": ax, "out": _out_axis(p, r)}

    def build(p, cfg, L):
        kw = {"chunk_size": cfg["chunk"]} if "chunk" in cfg else {}
        return L.vmap(fn(p, L.ns), _in_axes(p, cfg), cfg["out"], **kw)

    def call(p, cfg):
        chunk = f", chunk_size={cfg['chunk']}" if "chunk" in cfg else ""
        return f"vmap(f, in_axes={_in_axes(p, cfg)!r}, out_axes={cfg['out']}{chunk})({_names(p)})"


class T_vmap_np(T_vmap):
    """vmap(f, in_axes, out_axes) against the per-example NumPy loop (needs no torch)."""
    torch = False

    def expect(p, cfg):
        return np.moveaxis(np.stack(p.vals[p.outs[0]][:B]), 0, cfg["out"])


class T_chunk(T_vmap):
    """vmap(f, in_axes, out_axes, chunk_size=c) against torch.func.vmap with the same chunks."""

    def config(p, r):
        return dict(T_vmap.config(p, r), chunk=int(r.choice([1, 2, 3, 4, 7])))


class Nested(Transform):
    """A nested vmap: programs drawn over a grid of B1 x B2 examples."""
    nex = B1 * B2
    config = _nested_config
    need = _nested_need

    def args(p, cfg):
        return {i.id: phys2(p, i, cfg["ao"][i.id], cfg["ai"][i.id]) for i in p.inputs}


class T_nested(Nested):
    """vmap(vmap(f)) against torch.func.vmap(torch.func.vmap(f))."""

    def build(p, cfg, L):
        return L.vmap(L.vmap(fn(p, L.ns), _axes_tuple(p, cfg, "ai"), cfg["oi"]), _axes_tuple(p, cfg, "ao"),
                      cfg["oo"])

    def call(p, cfg):
        return (f"vmap(vmap(f, in_axes={_axes_tuple(p, cfg, 'ai')!r}, out_axes={cfg['oi']}), "
                f"in_axes={_axes_tuple(p, cfg, 'ao')!r}, out_axes={cfg['oo']})({_names(p)})")


class T_nested_np(T_nested):
    """vmap(vmap(f, in_axes=ai, out_axes=oi), in_axes=ao, out_axes=oo) against the per-example loop."""
    torch = False

    def expect(p, cfg):
        o = p.outs[0]
        y = np.stack(p.vals[o]).reshape((B1, B2) + p.shape(o))
        y = np.moveaxis(y, 1, 1 + cfg["oi"] % (y.ndim - 1))
        return np.moveaxis(y, 0, cfg["oo"])


class T_vmap_grad(Transform):
    """vmap(grad(loss, argnums), in_axes=(None, ..., 0, ...)): per-example gradients."""
    need = need_floats
    loss = True

    def build(p, cfg, L):
        return L.vmap(L.grad(loss_fn(p, L.ns), argnums=_grad_nums(p)), _axes_tuple(p, cfg))

    def call(p, cfg):
        return f"vmap(grad(loss, argnums={_grad_nums(p)!r}), in_axes={_axes_tuple(p, cfg)!r})({_names(p)})"


class T_grad_vmap(Transform):
    """grad of a weighted sum of vmap(f)'s output, with respect to every float input (shared ones get the sum of
    the examples' gradients)."""
    need = need_floats

    def build(p, cfg, L):
        return L.grad(_batch_loss(p, L, _axes_tuple(p, cfg)), argnums=_float_args(p))

    def call(p, cfg):
        return (f"grad(lambda {_names(p)}: (vmap(f, in_axes={_axes_tuple(p, cfg)!r})({_names(p)}) * "
                f"tn.tensor(np.array({_lit(_batch_weights(p))}))).sum(), argnums={_float_args(p)!r})({_names(p)})")


class T_vmap_jacrev(Transform):
    """vmap(jacrev(f, argnums=<a batched input>)): per-example Jacobians."""
    need = need_x
    jac = "jacrev"

    @classmethod
    def build(T, p, cfg, L):
        return L.vmap(getattr(L, T.jac)(fn(p, L.ns), argnums=_first_x(p)), _axes_tuple(p, cfg))

    @classmethod
    def call(T, p, cfg):
        return f"vmap({T.jac}(f, argnums={_first_x(p)}), in_axes={_axes_tuple(p, cfg)!r})({_names(p)})"


class T_vmap_jacfwd(T_vmap_jacrev):
    """vmap(jacfwd(f, argnums=<a batched input>)): per-example Jacobians by forward mode."""
    jac = "jacfwd"


class T_hessian(Transform):
    """jacfwd(jacrev(loss)) on one example (the Hessian: jacrev and jacfwd are vmaps inside)."""
    nex = 1
    need = need_x
    loss = True

    def config(p, r):
        return {}

    def args(p, cfg):
        return {i.id: p.example(i.id, 0) for i in p.inputs}

    def build(p, cfg, L):
        return L.hessian(loss_fn(p, L.ns), _first_x(p))

    def call(p, cfg):
        k = _first_x(p)
        return f"jacfwd(jacrev(loss, argnums={k}), argnums={k})({_names(p)})"


class T_vmap_hessian(Transform):
    """vmap(jacfwd(jacrev(loss))): per-example Hessians."""
    need = need_x
    loss = True

    def build(p, cfg, L):
        return L.vmap(L.hessian(loss_fn(p, L.ns), _first_x(p)), _axes_tuple(p, cfg))

    def call(p, cfg):
        k = _first_x(p)
        return (f"vmap(jacfwd(jacrev(loss, argnums={k}), argnums={k}), in_axes={_axes_tuple(p, cfg)!r})"
                f"({_names(p)})")


class T_hessian_vmap(Transform):
    """jacfwd(jacrev(L)) where L is a weighted sum of vmap(f): the Hessian of a batch loss in a batched input."""

    def need(p):
        need_x(p)
        if B * int(np.prod(p.inputs[_first_x(p)].shape)) > 40:
            raise Reject("too large a Hessian")

    def build(p, cfg, L):
        return L.hessian(_batch_loss(p, L, _axes_tuple(p, cfg)), _first_x(p))

    def prelude(p, cfg):
        return [f"def L({_names(p)}):",
                f"    return (vmap(f, in_axes={_axes_tuple(p, cfg)!r})({_names(p)}) * "
                f"tn.tensor(np.array({_lit(_batch_weights(p))}))).sum()", ""]

    def call(p, cfg):
        k = _first_x(p)
        return f"jacfwd(jacrev(L, argnums={k}), argnums={k})({_names(p)})"


def _float_names(p, prefix=""):
    """The names of the float inputs (``prefix='t_'``: of their tangents), as the repro writes them."""
    return [prefix + p.inputs[j].name for j in _float_args(p)]


class T_vmap_jvp(Transform):
    """vmap of jvp: per-example tangents (shared inputs get per-example tangents too)."""
    need = need_floats

    def args(p, cfg):
        tans = [np.moveaxis(_tangent(i.id, (B,) + i.shape), 0, 0 if i.kind == "w" else cfg["ax"][i.id])
                for i in p.inputs if i.kind != "y"]
        return {**Transform.args(p, cfg), **dict(zip(_float_names(p, "t_"), tans))}

    def _axes(p, cfg):
        return _axes_tuple(p, cfg) + tuple(0 if i.kind == "w" else cfg["ax"][i.id] for i in p.inputs
                                           if i.kind != "y")

    def build(p, cfg, L):
        return L.vmap(_jvp_parts(p, L.jvp, fn(p, L.ns)), T_vmap_jvp._axes(p, cfg))

    def call(p, cfg):
        fl, tl = ", ".join(_float_names(p)), ", ".join(_float_names(p, "t_"))
        return (f"vmap(lambda {_names(p)}, {tl}: jvp(lambda {fl}: f({_names(p)}), ({fl},), ({tl},)), "
                f"in_axes={T_vmap_jvp._axes(p, cfg)!r})({_names(p)}, {tl})")


class T_jvp_vmap(Transform):
    """jvp of vmap(f) in its float inputs (tangents of the physical, batched shapes)."""
    need = need_floats

    def args(p, cfg):
        a = Transform.args(p, cfg)
        tans = [_tangent(i.id, np.shape(a[i.id])) for i in p.inputs if i.kind != "y"]
        return {**a, **dict(zip(_float_names(p, "t_"), tans))}

    def build(p, cfg, L):
        return _jvp_parts(p, L.jvp, L.vmap(fn(p, L.ns), _axes_tuple(p, cfg)))

    def call(p, cfg):
        fl, tl = ", ".join(_float_names(p)), ", ".join(_float_names(p, "t_"))
        return f"jvp(lambda {fl}: vmap(f, in_axes={_axes_tuple(p, cfg)!r})({_names(p)}), ({fl},), ({tl},))"


class T_vmap_vjp(Transform):
    """vmap of vjp with per-example cotangents, in every float input."""
    need = need_floats

    def args(p, cfg):
        return {**Transform.args(p, cfg), "ct": _tangent(10 ** 4, (B,) + p.shape(p.outs[0]))}

    def build(p, cfg, L):
        return L.vmap(_vjp_parts(p, L.vjp, fn(p, L.ns)), _axes_tuple(p, cfg) + (0,))

    def call(p, cfg):
        fl = ", ".join(_float_names(p))
        return (f"vmap(lambda {_names(p)}, ct: (lambda o, back: (o, back(ct)))(*vjp(lambda {fl}: "
                f"f({_names(p)}), {fl})), in_axes={_axes_tuple(p, cfg) + (0,)!r})({_names(p)}, ct)")


class T_nested_grad(Nested):
    """vmap(vmap(grad(loss))): per-example gradients over a grid of examples (a shared input's gradient for each)."""
    loss = True

    def need(p):
        _nested_need(p)
        _need(p, floats=True)

    def build(p, cfg, L):
        g = L.grad(loss_fn(p, L.ns), argnums=_grad_nums(p))
        return L.vmap(L.vmap(g, _axes_tuple(p, cfg, "ai")), _axes_tuple(p, cfg, "ao"))

    def call(p, cfg):
        return (f"vmap(vmap(grad(loss, argnums={_grad_nums(p)!r}), in_axes={_axes_tuple(p, cfg, 'ai')!r}), "
                f"in_axes={_axes_tuple(p, cfg, 'ao')!r})({_names(p)})")


class T_jacrev_vmap(Transform):
    """jacrev(vmap(f)) in a batched input: the Jacobian of the whole batch (block-diagonal across examples)."""
    need = need_x

    def build(p, cfg, L):
        return L.jacrev(L.vmap(fn(p, L.ns), _axes_tuple(p, cfg)), argnums=_first_x(p))

    def call(p, cfg):
        return f"jacrev(vmap(f, in_axes={_axes_tuple(p, cfg)!r}), argnums={_first_x(p)})({_names(p)})"


class T_grad_vmap_closure(Transform):
    """grad, with respect to the shared inputs, of a weighted sum of vmap(f) where f closes over them (they are
    not arguments of the vmapped function)."""

    def need(p):
        _need(p)
        if not any(i.kind == "w" for i in p.inputs):
            raise Reject("nothing shared")

    def build(p, cfg, L):
        ws = [n for n, i in enumerate(p.inputs) if i.kind == "w"]
        bs = [n for n, i in enumerate(p.inputs) if i.kind != "w"]
        bax = tuple(cfg["ax"][p.inputs[n].id] for n in bs)
        W = _batch_weights(p)

        def grads(*a):
            def loss(*w):
                per = lambda *b: run(p, L.ns, _put(_put(a, ws, w), bs, b))
                return L.ns.wsum(L.vmap(per, bax)(*[a[n] for n in bs]), W)
            return L.grad(loss, argnums=tuple(range(len(ws))))(*[a[n] for n in ws])
        return grads

    def prelude(p, cfg):
        ws = ", ".join(i.name for i in p.inputs if i.kind == "w")
        bs = ", ".join(i.name for i in p.inputs if i.kind != "w")
        bax = tuple(cfg["ax"][i.id] for i in p.inputs if i.kind != "w")
        return [f"def L({ws}):", f"    per = lambda {bs}: f({_names(p)})      # closes over {ws}",
                f"    return (vmap(per, in_axes={bax!r})({bs}) * tn.tensor(np.array({_lit(_batch_weights(p))})))"
                ".sum()", ""]

    def call(p, cfg):
        n = sum(1 for i in p.inputs if i.kind == "w")
        return f"grad(L, argnums={tuple(range(n))!r})({', '.join(i.name for i in p.inputs if i.kind == 'w')})"


class T_nested_closure(Nested):
    """vmap(outer) where outer runs vmap(inner) and inner closes over outer's arguments."""

    def build(p, cfg, L):
        return L.vmap(_closure_nested(p, L, _axes_tuple(p, cfg, "ai"), cfg["oi"]), _axes_tuple(p, cfg, "ao"),
                      cfg["oo"])

    def prelude(p, cfg):
        ai = _axes_tuple(p, cfg, "ai")
        inner = ", ".join(i.name for i, a in zip(p.inputs, ai) if a is not None)
        return [f"def outer({_names(p)}):", f"    def inner({inner}):",
                f"        return f({_names(p)})      # closes over the others",
                f"    return vmap(inner, in_axes={tuple(a for a in ai if a is not None)!r}, "
                f"out_axes={cfg['oi']})({inner})", ""]

    def call(p, cfg):
        return f"vmap(outer, in_axes={_axes_tuple(p, cfg, 'ao')!r}, out_axes={cfg['oo']})({_names(p)})"


class T_vmap_backward(T_vmap):
    """The tape API around vmap: inputs that require grad, y = vmap(f)(...), (y * W).sum().backward(), x.grad."""
    need = need_floats
    requires_grad = True

    def grads(p, cfg, L, reference=False):
        fl = _float_args(p)
        a = [L.leaf(v, n in fl) for n, v in enumerate(T_vmap_backward.args(p, cfg).values())]
        out = T_vmap.build(p, cfg, L)(*a)
        if reference and not out.requires_grad:
            raise Reject("the output does not depend differentiably on the inputs")
        L.ns.wsum(out, _weights(tuple(out.shape))).backward()
        return [np.zeros(np.shape(x)) if x.grad is None else as_np(x.grad) for x in (a[n] for n in fl)]

    @classmethod
    def run(T, p, cfg, L=None):
        exp = ref(lambda: T.grads(p, cfg, L or torch_lib(), reference=True))
        return T.grads(p, cfg, TURUNAN), exp

    def call(p, cfg):
        W = _weights(np.moveaxis(np.stack(p.vals[p.outs[0]][:B]), 0, cfg["out"]).shape)
        return (f"(vmap(f, in_axes={_in_axes(p, cfg)!r}, out_axes={cfg['out']})({_names(p)}) * "
                f"tn.tensor(np.array({_lit(W)}))).sum().backward(), {', '.join(n + '.grad' for n in _float_names(p))}")


class T_pytree(Transform):
    """Pytree arguments and results: f(floats: dict, labels: tuple) -> (out0, {'b': out1}), with in_axes given as
    a prefix of the same structure and a tuple of out_axes."""
    n_outs = 2

    def config(p, r):
        return {"ax": _choose_axes(p, r), "out": _out_axis(p, r, 0), "out1": _out_axis(p, r, 1),
                "flat_floats": bool(r.random() < 0.3)}

    def _axes(p, cfg):
        ax_fl = {i.name: cfg["ax"][i.id] for i in p.inputs if i.kind != "y"}
        if cfg["flat_floats"] and len(set(ax_fl.values())) == 1:
            ax_fl = next(iter(ax_fl.values()), 0)
        return ax_fl, tuple(cfg["ax"][i.id] for i in p.inputs if i.kind == "y")

    def build(p, cfg, L):
        def f(fl, lb):
            it = iter(lb)
            o = run(p, L.ns, [fl[i.name] if i.kind != "y" else next(it) for i in p.inputs])
            o = o if isinstance(o, tuple) else (o, o)
            return (o[0], {"b": o[1]})
        g = L.vmap(f, T_pytree._axes(p, cfg), (cfg["out"], {"b": cfg["out1"]}))
        return lambda *a: g({i.name: v for i, v in zip(p.inputs, a) if i.kind != "y"},
                            tuple(v for i, v in zip(p.inputs, a) if i.kind == "y"))

    @classmethod
    def run(T, p, cfg, L=None):
        got, exp = super().run(p, cfg, L)
        if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], dict) and set(got[1]) == {"b"}):
            raise AssertionError(f"the result's structure: {type(got).__name__} {got!r:.200}, expected (a, {{'b': c}})")
        return got, exp

    def prelude(p, cfg):
        lb = iter(range(len(p.inputs)))
        args = ", ".join(f"fl[{i.name!r}]" if i.kind != "y" else f"lb[{next(lb)}]" for i in p.inputs)
        return ["def g(fl, lb):", f"    o = f({args})", "    return (o[0], {'b': o[1]})", ""]

    def call(p, cfg):
        fls = "{" + ", ".join(f"{i.name!r}: {i.name}" for i in p.inputs if i.kind != "y") + "}"
        lbs = "(" + "".join(i.name + ", " for i in p.inputs if i.kind == "y") + ")"
        outs = (cfg["out"], {"b": cfg["out1"]})
        return f"vmap(g, in_axes={T_pytree._axes(p, cfg)!r}, out_axes={outs!r})({fls}, {lbs})"


# ---- running a case, shrinking a failure, printing a repro ------------------------------------------------
def _names(p):
    return ", ".join(i.name for i in p.inputs)


def outcome(T, p, cfg):
    """None (passed), 'reject' (not a valid case) or (signature, message) for a failure."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            T.need(p)
            got, exp = T.run(p, cfg)
            assert_close(got, exp, T.__name__[2:])
    except Reject:
        return "reject"
    except AssertionError as e:
        msg = str(e)
        return (("mismatch", "shape" if "shape" in msg.split("\n")[0] else "values"), msg)
    except _ReferenceFailed as e:
        return (("reference failed",), str(e))
    except Exception as e:   # noqa: BLE001
        first = str(e).split("\n")[0]
        return ((type(e).__name__, re.sub(r"[-\d]+", "#", first)[:60]), f"{type(e).__name__}: {first}")
    return None


class _ReferenceFailed(Exception):
    pass


def ref(thunk):
    """The reference's result; its own failure is reported as such (a bug of this file, or a torch limitation)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return thunk()
    except Reject:
        raise
    except Exception as e:   # noqa: BLE001
        raise _ReferenceFailed(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e


def make_case(T, seed):
    """The case of ``seed``: the first program drawn from it that suits the transform."""
    for k in range(50):
        p = generate(seed + 100003 * k, nex=T.nex, n_outs=T.n_outs)
        try:
            T.need(p)
        except Reject:
            continue
        break
    r = np.random.default_rng(seed + 10 ** 6)
    return p, T.config(p, r)


def _rebuild(p):
    q = p.copy(keep_vals=False)
    try:
        evaluate(q)
    except Reject:
        return None
    return q


def _candidates(p, cfg):
    """Smaller or simpler variants of a program (and of its transform choices), the most drastic first."""
    body_ids = [ins[0] for ins in p.body if ins[1] != "const"]
    for o in range(len(p.outs)):
        for k in [i.id for i in p.inputs] + body_ids:
            if k != p.outs[o] and p.is_float(k):
                q = p.copy()
                q.outs = list(p.outs)
                q.outs[o] = k
                yield dce(q), cfg
    order = {ins[0]: n for n, ins in enumerate(p.body)}
    for n, (id, _op, args, _params) in enumerate(p.body):
        for r in [a for a in args if p.is_float(a)] + [k for k in p.ids() if k not in args]:
            if r == id or (r in order and order[r] >= n) or not p.is_float(r) or p.shape(r) != p.shape(id):
                continue
            q = p.copy(keep_vals=False)
            q.body = [(i, o, tuple(r if a == id else a for a in aa), pp) for i, o, aa, pp in p.body if i != id]
            q.outs = [r if o == id else o for o in p.outs]
            yield dce(q), cfg
    for id, op, _args, _params in p.body:
        if op == "const" or not p.is_float(id):
            continue
        lv = levels(p, id)           # cut the graph above a value: it becomes an input holding its values
        q = p.copy(keep_vals=False)
        q.body = [ins for ins in p.body if ins[0] != id]
        pat = "both" if len(lv) != 1 else "outer" if "o" in lv else "inner"
        q.inputs = p.inputs + [Inp(id, "x" if lv else "w", p.shape(id))]
        q.data[id] = _round(np.stack(p.vals[id]) if lv else p.vals[id][0])
        q.pattern[id] = pat
        c = {k: dict(v) if isinstance(v, dict) else v for k, v in cfg.items()}
        for key in ("ax", "ai", "ao"):
            if key in c:
                on = lv and (key == "ax" or pat == "both" or (pat == "outer") == (key == "ao"))
                c[key][id] = 0 if on else None
        yield dce(q), c
    for i in p.inputs:
        if i.kind == "x":
            q = p.copy(keep_vals=False)
            q.inputs = [Inp(j.id, "w", j.shape) if j.id == i.id else j for j in p.inputs]
            q.data[i.id] = p.data[i.id][0]
            c = {k: ({**v, i.id: None} if isinstance(v, dict) else v) for k, v in cfg.items()}
            yield q, c
    for key in ("ax", "ai", "ao"):
        for i in p.inputs:
            if cfg.get(key, {}).get(i.id) not in (None, 0):
                c = dict(cfg)
                c[key] = dict(cfg[key])
                c[key][i.id] = 0
                yield p, c
    for key in ("out", "out1", "oi", "oo", "chunk"):
        if cfg.get(key) not in (None, 0, 1 if key == "chunk" else 0):
            c = dict(cfg)
            c[key] = 0 if key != "chunk" else 1
            yield p, c


def shrink(T, p, cfg, sig, tries):
    """The failing case made small: greedily take the first candidate that fails the same way, until none does
    (or ``tries`` candidates have been run)."""
    progress = True
    while progress and tries > 0:
        progress = False
        for q, c in _candidates(p, cfg):
            if tries <= 0:
                break
            q = _rebuild(q)
            if q is None:
                continue
            tries -= 1
            SHRINK_LEFT[0] -= 1
            res = outcome(T, q, c)
            if isinstance(res, tuple) and res[0] == sig:
                p, cfg, progress = q, c, True
                break
    return p, cfg


def render(T, p, cfg) -> str:
    lines = ["import numpy as np", "import turunan as tn",
             "from turunan.func import vmap, grad, jacrev, jacfwd, jvp, vjp", "", f"def f({_names(p)}):"]
    names = {i.id: i.name for i in p.inputs}
    for id, op, args, params in p.body:
        e = getattr(SRC, op)(*[Src(names[a]) for a in args], **params)
        names[id] = f"v{id}"
        lines += [f"    v{id} = {e.text}"] + [f"    v{id}{s}" for s in e.post]
    outs = [names[o] for o in p.outs]
    lines.append("    return " + ", ".join(outs))
    if T.loss:
        W = _weights(p.shape(p.outs[0]))
        lines += ["", f"def loss({_names(p)}):",
                  f"    return (f({_names(p)}) * tn.tensor(np.array({_lit(W)}))).sum()"]
    lines.append("")
    lines += T.prelude(p, cfg)
    for k, a in T.args(p, cfg).items():
        nm = names.get(k, k)
        a = np.asarray(a)
        rg = ", requires_grad=True" if T.requires_grad and a.dtype.kind == "f" else ""
        lines.append(f"{nm} = tn.tensor(np.array({_lit(a)}){rg})" + ("" if a.dtype.kind == "f" else "   # int64"))
    lines.append("print(" + T.call(p, cfg) + ")")
    return "\n".join(lines)


def check(T, seed):
    """Run one case; on failure shrink it and fail with the minimal repro."""
    if T.torch:
        pytest.importorskip("torch")
    p, cfg = make_case(T, seed)
    res = outcome(T, p, cfg)
    if res is None or res == "reject":
        return None
    sig, msg = res
    budget = max(0, min(SHRINK_TRIES, SHRINK_LEFT[0]))
    p2, cfg2 = shrink(T, p, cfg, sig, budget)
    res2 = outcome(T, p2, cfg2)
    msg2 = res2[1] if isinstance(res2, tuple) else msg
    return sig, (f"{T.__name__[2:]} seed {seed} fails ({' '.join(map(str, sig))}): {msg}\n\n"
                 + (f"shrunk, it fails with: {msg2}\n\n" if msg2 != msg else "")
                 + f"minimal repro:\n{render(T, p2, cfg2)}\n")


# ---- the sweep ---------------------------------------------------------------------------------------------
SWEEP = [(T_vmap_np, 60), (T_nested_np, 30), (T_vmap, 60), (T_nested, 30), (T_vmap_grad, 50), (T_grad_vmap, 30),
         (T_vmap_jacrev, 30), (T_hessian, 30), (T_vmap_hessian, 15), (T_vmap_jvp, 30), (T_jvp_vmap, 30),
         (T_chunk, 20), (T_pytree, 30), (T_nested_grad, 30), (T_jacrev_vmap, 20), (T_grad_vmap_closure, 30),
         (T_nested_closure, 30), (T_vmap_jacfwd, 20), (T_vmap_vjp, 20), (T_hessian_vmap, 15),
         (T_vmap_backward, 30)]
CASES = [(T, 1000 * k + i) for k, (T, n) in enumerate(SWEEP) for i in range(n)]


@pytest.mark.parametrize("T,seed", CASES, ids=[f"{T.__name__[2:]}-{s}" for T, s in CASES])
def test_sweep(T, seed):
    res = check(T, seed)
    if res is not None:
        pytest.fail(res[1], pytrace=False)


def test_sweep_is_not_vacuous():
    """Most generated cases are valid tests, and the programs use every op generator."""
    counts = {}
    for T, seed in CASES[::7]:
        p = generate(seed, nex=T.nex)
        for ins in p.body:
            counts[ins[1]] = counts.get(ins[1], 0) + 1
    for op in ("un", "bin", "red", "lsm", "cum", "matmul", "einsum", "reshape", "T", "swap", "expand", "getitem",
               "tal", "cat", "stack", "where", "clip", "sort", "setitem", "setadd", "iadd", "imod", "argmax",
               "wheres"):
        assert counts.get(op, 0) > 0, (op, counts)


# ---- errors -------------------------------------------------------------------------------------------------
def test_mismatched_batch_sizes():
    with pytest.raises(ValueError, match="same size"):
        tn.vmap(lambda a, b: a + b)(tn.ones((3, 2)), tn.ones((4, 2)))
    with pytest.raises(ValueError, match="same size"):
        tn.vmap(lambda a, b: a + b, in_axes=(0, 1))(tn.ones((3, 2)), tn.ones((3, 2)))


def test_in_axes_length_mismatch():
    with pytest.raises(ValueError, match="in_axes"):
        tn.vmap(lambda a, b: a + b, in_axes=(0,))(tn.ones((3, 2)), tn.ones((3, 2)))
    with pytest.raises(ValueError, match="in_axes"):
        tn.vmap(lambda a: a, in_axes=({"a": 0},))({"a": tn.ones(3), "b": tn.ones(3)})


def test_in_axes_out_of_range_and_all_none():
    with pytest.raises(Exception, match="in_axes"):
        tn.vmap(lambda a: a, in_axes=2)(tn.ones((3, 2)))
    with pytest.raises(ValueError, match="batched"):
        tn.vmap(lambda a: a, in_axes=None)(tn.ones((3, 2)))


def test_out_axes_none_for_a_batched_output():
    with pytest.raises(ValueError, match="out_axes=None"):
        tn.vmap(lambda a: a * 2, out_axes=None)(tn.ones((3, 2)))
    # an output that does not vary may have out_axes None
    a, c = tn.vmap(lambda a: (a * 2, tn.ones(2)), out_axes=(0, None))(tn.ones((3, 2)))
    assert a.shape == (3, 2) and c.shape == (2,)


def test_randomness():
    x = tn.zeros((4, 3))
    with pytest.raises(RuntimeError, match="randomness"):
        tn.vmap(lambda a: a + tn.randn(3))(x)
    d = as_np(tn.vmap(lambda a: a + tn.randn(3), randomness="different")(x))
    assert d.shape == (4, 3) and len({tuple(row) for row in d}) == 4
    s = as_np(tn.vmap(lambda a: a + tn.randn(3), randomness="same")(x))
    assert s.shape == (4, 3) and np.all(s == s[0]) and np.any(s[0] != 0)
    with pytest.raises(ValueError, match="randomness"):
        tn.vmap(lambda a: a, randomness="sometimes")


def test_randomness_with_chunks():
    """chunk_size changes how the batch is computed, never what it is: 'same' draws once for the whole batch (as
    torch.func.vmap does with chunks), 'different' draws independently for every example."""
    x = tn.zeros((6, 3))
    s = as_np(tn.vmap(lambda a: a + tn.randn(3), randomness="same", chunk_size=2)(x))
    assert np.all(s == s[0]), s
    d = as_np(tn.vmap(lambda a: a + tn.randn(3), randomness="different", chunk_size=2)(x))
    assert len({tuple(row) for row in d}) == 6


def test_write_at_a_batched_index_differentiates():
    """The sweep's one failure class, as a directed test: z[y] = c with a per-example index y, differentiated
    (vmap(grad), the tape's backward, jacrev): the gradient with respect to z's input is W with the written
    entry zeroed, for each example."""
    x = np.array([[0.4, 1.0, -2.0], [0.3, 2.0, 0.5], [-0.7, 3.0, 1.5]])
    y = np.array([0, 2, 1])
    W = np.array([1.0, 2.0, 3.0])
    expected = np.where(np.arange(3)[None, :] == y[:, None], 0.0, W)

    def loss(a, i):
        z = a * 1.0
        z[i] = 0.5
        return (z * tn.tensor(W)).sum()
    np.testing.assert_allclose(as_np(tn.vmap(tfunc.grad(loss))(tn.tensor(x), tn.tensor(y))), expected)
    xt = tn.tensor(x, requires_grad=True)
    tn.vmap(loss)(xt, tn.tensor(y)).sum().backward()
    np.testing.assert_allclose(as_np(xt.grad), expected)


def test_keyword_arguments_are_not_batched():
    got = tn.vmap(lambda a, scale: a * scale)(tn.ones((3, 2)), scale=tn.tensor(np.array([1.0, 2.0])))
    np.testing.assert_array_equal(as_np(got), [[1.0, 2.0]] * 3)


def test_triple_nesting():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    b = np.arange(3.0)
    f = tn.vmap(tn.vmap(tn.vmap(lambda u, v: u * v, in_axes=(0, None)), in_axes=(1, 0)), in_axes=(2, None))
    np.testing.assert_allclose(as_np(f(tn.tensor(x), tn.tensor(b))), np.einsum("ijk,j->kji", x, b), rtol=1e-12)


def test_chunked_output_with_out_axes_none():
    a, c = tn.vmap(lambda a: (a * 2, tn.ones(2)), out_axes=(0, None), chunk_size=2)(tn.ones((5, 2)))
    assert a.shape == (5, 2) and c.shape == (2,)


def test_data_dependent_control_flow():
    def f(a):
        if a.sum() > 0:
            return a
        return -a
    with pytest.raises(BatchingError, match="control flow"):
        tn.vmap(f)(tn.ones((3, 2)))
    with pytest.raises(BatchingError, match="control flow"):
        tn.vmap(lambda a: a * float(a.sum()))(tn.ones((3, 2)))
    with pytest.raises(BatchingError, match="control flow"):
        tn.vmap(lambda a: a * a.sum().item())(tn.ones((3, 2)))
    # the same function is fine outside vmap, and tn.where does the choice inside
    np.testing.assert_allclose(as_np(tn.vmap(lambda a: tn.where(a.sum() > 0, a, -a))(
        tn.tensor(np.array([[1.0, 2.0], [-3.0, 1.0]])))), [[1.0, 2.0], [3.0, -1.0]])


def test_inplace_write_of_batched_into_unbatched():
    w = tn.zeros(2)

    def f(a):
        w2 = w * 1.0
        w2 += a
        return w2
    with pytest.raises(BatchingError, match="in-place"):
        tn.vmap(f)(tn.ones((3, 2)))


# ---- JAX: a subset, where installed -------------------------------------------------------------------------
JAX_CASES = [(T_vmap, 1000 * 2 + i) for i in range(15)] + [(T_vmap_grad, 1000 * 4 + i) for i in range(15)]


@pytest.mark.parametrize("T,seed", JAX_CASES, ids=[f"jax-{T.__name__[2:]}-{s}" for T, s in JAX_CASES])
def test_against_jax(T, seed):
    pytest.importorskip("jax")
    p, cfg = make_case(T, seed)
    try:
        T.need(p)
        got, exp = T.run(p, cfg, jax_lib())
    except Reject:
        return
    assert_close(got, [np.asarray(e) for e in leaves(exp)], "jax")


# ---- a summary of the distinct failures: python tests/test_vmap_sweep.py ------------------------------------
if __name__ == "__main__":
    import collections
    SHRINK_LEFT[0] = 10 ** 6
    groups = collections.defaultdict(list)
    n = 0
    for T, seed in CASES:
        res = check(T, seed)
        n += 1
        if res is not None:
            groups[(T.__name__, res[0])].append(res[1])
    print(f"{n} cases, {sum(map(len, groups.values()))} failures, {len(groups)} distinct")
    for (name, sig), msgs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"\n=== {name} {sig}: {len(msgs)} cases ===")
        print(min(msgs, key=len))
