"""The replay of ``tn.jit``: a finished trace (``turunan._trace.Recorder``) as one generated Python function.

Each recorded op becomes one line of NumPy (``v7 = np.multiply(v3, c2)``, ``np.add(v9, v4, out=v9)``,
``v12 = v8[c5]``) over local variables, one per slot: no Tensor, no node, no dispatch and no rule lookup are left,
and every broadcasting, dtype and view decision was taken while tracing. A local is deleted after its last use, so
arrays are freed as eagerly as the eager step frees them. Guards become comparisons that raise ``GuardMismatch``;
if the trace wrote into memory bound from outside (a parameter, a ``.grad`` buffer, a running mean) before a
later guard, those arrays are copied at the first such write and put back when a guard fails, so a replay that
stops leaves no state half-updated.

>>> import numpy as np
>>> from turunan._trace import Recorder
>>> rec = Recorder(); x = rec.input(np.arange(3.0)); y = np.sin(x) * 2.0
>>> run = compile_trace(rec, [y.k], consts={})
>>> run([np.zeros(3)], None)[0]
array([0., 0., 0.])
"""

from __future__ import annotations

import numpy as np

from ._array import normalize_axes
from ._layout import aligned_empty, copied_transposes, product_order, transpose_views
from ._trace import GuardMismatch, Recorder, Slot, blasable, op_uses

__all__ = ["compile_trace", "same"]


def same(a, b) -> bool:
    """Whether the value ``a`` a replay read equals the value ``b`` its trace read (NaN equals NaN)."""
    if isinstance(b, np.ndarray):
        a = np.asarray(a)
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=b.dtype.kind in "fc"))
    if a == b:
        return type(a) is type(b) or isinstance(a, type(b)) or isinstance(b, type(a))
    return isinstance(a, float) and isinstance(b, float) and a != a and b != b


def _restore(saved) -> None:
    for arr, copy in saved:
        np.copyto(arr, copy)


def _generators() -> list:
    """The random generators' states, to put back where a replay that drew stops at a guard (its trace draws
    again: drawn twice, the next numbers would not be eager's)."""
    from ._creation import live_generators
    return [(g, g.rng, g.rng.bit_generator.state) for g in list(live_generators)]


def _put_back(states) -> None:
    for g, rng, state in states:
        g.rng = rng
        rng.bit_generator.state = state


_CONV = {"float": float, "int": int, "complex": complex, "index": lambda a: a.__index__(), "item": lambda a: a.item(),
         "tolist": lambda a: a.tolist(), "array": lambda a: np.array(a, copy=True), "value": lambda v: v}


class _Source:
    def __init__(self, consts: dict) -> None:
        self.ns: dict = {"_M": GuardMismatch, "_same": same, "_A": np.asarray, "_restore": _restore,
                         "_generators": _generators, "_put_back": _put_back,
                         "_copy": np.array, "_E": np.empty, "_R": np.add.reduce, "_blas": blasable,
                         "_copyto": np.copyto}
        self.names: dict[int, str] = {}
        self.consts = consts          # slot -> name of a read-only constant (used in place of the slot)
        self.alias: dict[int, int] = {}   # slot -> the slot holding the same array (a repeated call, x * 1)

    def const(self, value) -> str:
        t = type(value)
        if value is None or t is bool or t is int:
            return repr(value)
        if t is float and value == value and value not in (float("inf"), float("-inf")):
            return repr(value)
        name = self.names.get(id(value))
        if name is None:
            name = self.names[id(value)] = f"c{len(self.names)}"
            self.ns[name] = value
        return name

    def expr(self, x) -> str:
        t = type(x)
        if t is Slot:
            k = self.alias.get(x.k, x.k)
            return self.consts.get(k) or f"v{k}"
        if t is tuple:
            inner = ", ".join(self.expr(v) for v in x)
            return f"({inner},)" if len(x) == 1 else f"({inner})"
        if t is list:
            return "[" + ", ".join(self.expr(v) for v in x) + "]"
        if t is dict:
            return "{" + ", ".join(f"{self.const(k)}: {self.expr(v)}" for k, v in x.items()) + "}"
        return self.const(x)

    def call(self, head: str, args, kw) -> str:
        parts = [self.expr(a) for a in args] + [f"{k}={self.expr(v)}" for k, v in kw.items()]
        return f"{head}({', '.join(parts)})"


def _defs(op) -> list:
    kind = op[0]
    if kind in ("call", "method", "attr", "getitem", "item", "draw"):
        return [] if op[-2] is None else [op[-2]]
    if kind == "host":
        return list(op[3])
    return []


def _views_by_transpose(rec, ops, escape, last) -> dict:
    """slot -> the last op index reading it or a view of it, for slots of the replay's own whose every view is its
    ``.mT`` or ``.T`` (a matrix product's operand), read by nothing that keeps it (not returned, not handed to a
    host call, viewed no further): their buffers can be shared as the slot's own, once those views are dead too."""
    views: dict[int, list] = {}
    bad = set()
    for op in ops:
        d = op[-2] if op[0] in ("call", "method", "attr", "getitem") else None
        if d is None or d not in rec.meta or d in rec.fresh:
            continue
        for k in op_uses(op):      # d is a view (of an operand): only a transpose of a slot keeps it poolable
            if op[0] == "attr" and op[2] in ("mT", "T") and op[1] == k and d not in rec.viewed and d not in escape:
                views.setdefault(k, []).append(d)
            else:
                bad.add(k)
    return {k: max([last.get(k, -1)] + [last.get(d, -1) for d in ds]) for k, ds in views.items() if k not in bad}


def _dead(ops, keep: set) -> set:
    """Ops whose results nothing reads (the value of a loss nobody returns): pure ops only. Writes, guards, draws
    (they advance a generator) and host calls always run."""
    needed, dead = set(keep), set()
    for i in range(len(ops) - 1, -1, -1):
        op = ops[i]
        defs = _defs(op)
        pure = op[0] in ("call", "method", "attr", "getitem", "item") and defs and op[-2] is not None
        if pure and not any(k in needed for k in defs):
            dead.add(i)
            continue
        needed.update(op_uses(op))
    return dead


def compile_trace(rec: Recorder, results: list[int], consts: dict, bound: list[int] | None = None,
                  name: str = "replay", fuse: bool = False):
    """The replay of ``rec`` as a function ``run(arrays, state) -> tuple`` of the arrays of slots ``results``.

    ``arrays`` holds the arrays for ``bound`` (default: ``rec.inputs``) in order; ``consts`` maps the slot of each
    internal constant to its array (copied on every replay where the trace writes into it); ``state`` is passed
    to host calls (``("host", fn, in_slots, out_slots)`` ops). Returns the function; its source is ``run.source``.
    """
    bound = rec.inputs if bound is None else bound
    consts = dict(consts)
    if fuse:
        from . import _fuse
        own = {k for k in rec.fresh if k not in rec.viewed}
        order = _fuse.hoisted(rec.ops, rec.meta, own) if _fuse.available() else None
        if order is not None:       # large transcendental calls moved before the arithmetic they interrupt
            rec.first_writes = {k: order.index(i) for k, i in rec.first_writes.items()}
            rec.ops = [rec.ops[i] for i in order]
    for op in rec.ops:      # folded: computed from the trace's own constants only (not from arrays held outside)
        k = _defs(op)[0] if _defs(op) else None
        fold = rec.folded.get(k)
        if fold is not None and all(d in consts and (not fold[3] or d not in rec.written) for d in fold[1]):
            consts[k] = fold[0]
    readonly = {k: v for k, v in consts.items() if k not in rec.written}
    dead_ops = _dead(rec.ops, set(results) | set(bound))
    src = _Source({})
    for k, v in readonly.items():
        src.consts[k] = src.const(v)
    ops = rec.ops
    keep = set(results) | set(bound)
    src.alias = _aliases(rec, ops, dead_ops, consts, readonly, keep)
    keep |= {src.alias[k] for k in keep if k in src.alias}      # a result held by another slot: kept alive
    last: dict[int, int] = {}
    for i, op in enumerate(ops):
        if i not in dead_ops and not (_defs(op) and _defs(op)[0] in src.alias):
            for k in op_uses(op):
                k = src.alias.get(k, k)
                last[k] = i
    info: dict = {}
    allocs: dict = {}
    views = transpose_views(ops)
    dots, blas_checked = _dots(rec, ops, dead_ops, consts, bound, src, views)
    fused = _fused_groups(rec, ops, dead_ops, consts, last, keep, src, info, dots, allocs, views) if fuse else {}
    # (after the loops' outputs chose their order: g F-ordered makes g @ W.T fast without a copy)
    fortran = {k for a in allocs.values() for k, order, _ in a[0] if order == "F"}
    copied = copied_transposes(rec, ops, dead_ops, consts, dots, src, views, fortran) if fuse else {}
    if fuse:
        mined = _strip_mined(rec, ops, dead_ops, consts, last, keep, src, fused, info)
        for i in mined:             # (a loop run chunk by chunk writes slices of arrays of its own)
            allocs.pop(i, None)
        fused.update(mined)
    pooled = _pool(rec, ops, dead_ops, consts, last, keep, src, fused, allocs)
    row_reduced = _row_reductions(rec, ops, dead_ops, consts, src, fused) if fuse else {}
    # a replay that stops at a guard puts back what it wrote before it: the bound arrays first written before the
    # last guard are copied before the first of those writes (one written only after it never needs putting back)
    last_guard = max((i for i, op in enumerate(ops) if op[0] == "guard"), default=-1)
    undo = sorted(k for k, i in rec.first_writes.items() if i < last_guard and k not in consts)
    body: list[str] = []
    if bound:
        body.append(", ".join(f"v{k}" for k in bound) + (", = _in" if len(bound) == 1 else " = _in"))
    for k in blas_checked:      # (before anything is written: another layout traces again)
        body.append(f"if not _blas(v{k}): raise _M(-1)")
    for k, v in consts.items():
        if k in rec.written:
            body.append(f"v{k} = _copy({src.const(v)})")
    updates = _sgd_updates(rec, ops, dead_ops, consts, last, keep, src, fused) if fuse else {}
    undo_at = min(rec.first_writes[k] for k in undo) if undo else None
    if undo_at in updates and not updates[undo_at]:     # inside a fused update: before it
        undo_at = max(j for j in updates if j < undo_at and updates[j])
    draw_at = next((i for i, op in enumerate(ops) if op[0] == "draw" and i not in dead_ops), None)
    if draw_at is not None and not any(op[0] == "guard" for op in ops[draw_at:]):
        draw_at = None          # no guard after the first draw: a replay that draws runs to its end
    for i, op in enumerate(ops):
        if draw_at == i:
            body.append("_g = _generators()")
        if undo and i == undo_at:
            body.append("_u = [(a, a.copy()) for a in (" + "".join(f"v{k}, " for k in undo) + ")]")
        if i in updates:
            body.extend(updates[i])
            continue
        if i in fused:
            body.extend(fused[i])
            continue
        defs = _defs(op)
        if i in dead_ops or (defs and (defs[0] in consts or defs[0] in src.alias)):
            continue        # its result is never read, folded, or the same array as another slot's
        if op[0] == "guard" and op[1] in consts:
            continue        # a constant's value: always the one seen
        if defs and defs[0] in rec.plain_copies and op[1] not in keep and op[1] not in rec.viewed \
                and last.get(op[1]) == i and op[1] not in consts:
            body.append(f"v{defs[0]} = {src.expr(Slot(op[1]))}")   # a copy of an array read nowhere else: the array
        elif i in row_reduced:
            body.append(f"v{defs[0]} = {row_reduced[i]}")
        elif i in copied:           # a transposed operand copied first (see _copied_transposes)
            pos, buf = copied[i]
            args = [src.expr(a) for a in op[2]]
            body.append(f"_copyto({buf}, {args[pos]})")
            args[pos] = buf
            out = f", out={pooled[defs[0]]}" if defs[0] in pooled else ""
            body.append(f"v{defs[0]} = {src.const(np.dot if i in dots else op[1])}({', '.join(args)}{out})")
        elif defs and defs[0] in pooled:
            args = ", ".join(src.expr(a) for a in op[2])
            fn = np.dot if i in dots else op[1]
            body.append(f"v{defs[0]} = {src.const(fn)}({args}, out={pooled[defs[0]]})")
        else:
            body.append(_line(("call", np.dot) + op[2:] if i in dots else op, src, rec.meta))
        dead = [k for k in [src.alias.get(k, k) for k in op_uses(op)] + _defs(op)
                if last.get(k, i) <= i and k not in keep and k not in readonly]
        if dead:
            body.append("del " + ", ".join(f"v{k}" for k in sorted(set(dead))))
    # a constant handed out is a copy: the caller may write into what it gets
    body.append("return (" + "".join(f"_copy({src.consts[k]}), " if k in src.consts else f"{src.expr(Slot(k))}, "
                                      for k in results) + ")")
    if undo or draw_at is not None:
        body = ["_u = _g = None", "try:"] + ["    " + b for b in body] + \
            ["except _M:", "    if _u is not None:", "        _restore(_u)",
             "    if _g is not None:", "        _put_back(_g)", "    raise"]
    code = f"def {name}(_in, _S):\n" + "".join(f"    {b}\n" for b in body)
    exec(compile(code, f"<tn.jit {name}>", "exec"), src.ns)
    fn = src.ns[name]
    fn.source = code
    # bound slots the replay never reads (an old .grad that zero_grad(set_to_none=True) drops first): the caller
    # need not fetch them
    fn.unused = {k for k in bound if src.alias.get(k, k) not in last and k not in results}
    return fn


# multiply-adds: above, np.dot costs more than matmul's call (measured, one thread: X.T @ dh of mlp_train, 784x128 by
# 128x256, 333 us as matmul, 348 as np.dot, the same bits); below, np.dot saves its ~0.35 us a call
MAX_DOT = 1 << 20


def _dots(rec, ops, dead_ops, consts, bound, src, view_of) -> tuple[set, list]:
    """The matmuls of two 2-D float arrays of one dtype (every dimension at least 2) that BLAS reads as they are,
    called as ``np.dot``: the same BLAS call (``tests/test_jit.py`` compares them on random shapes), without the
    ufunc machinery's ~0.35 us a call. An array the replay makes owns its memory (C- or F-ordered), and so does
    what its ``.mT`` shows; an array bound from outside was checked when traced and is checked again on every
    replay, before anything is written (another layout traces again). Returns (op indices, bound slots to check)."""
    bound = set(bound)
    dots, checked = set(), []
    for i, op in enumerate(ops):
        if i in dead_ops or op[0] != "call" or op[1] is not np.matmul or len(op[2]) != 2 or op[3] or op[-1]:
            continue
        if not all(type(a) is Slot and a.k in rec.meta for a in op[2]):
            continue
        dtypes = {rec.meta[a.k][1] for a in op[2]}
        shapes = [rec.meta[a.k][0] for a in op[2]]
        if any(len(sh) != 2 for sh in shapes) or shapes[0][0] * shapes[0][1] * shapes[1][1] > MAX_DOT:
            continue
        need = []
        for a in op[2]:
            shape, dtype = rec.meta[a.k]
            if len(shape) != 2 or min(shape) < 2 or dtype.kind != "f" or len(dtypes) != 1:
                break
            base = view_of.get(a.k, a.k)
            base = src.alias.get(base, base)
            if base in consts:
                if not blasable(consts[base]):
                    break
            elif base in bound:
                if base not in rec.blasable:
                    break
                need.append(base)
            elif base not in rec.fresh:
                break
        else:
            dots.add(i)
            checked += [k for k in need if k not in checked]
    return dots, checked


_ROW_FNS = {np.sum: "sum", np.add.reduce: "sum", np.max: "max", np.amax: "max", np.maximum.reduce: "max",
            np.min: "min", np.amin: "min", np.minimum.reduce: "min"}


def _row_reductions(rec, ops, dead_ops, consts, src, fused) -> dict:
    """index -> the line's right side for sums, maxima and minima over the rows of a small 2-D float array of the
    replay's own (C-ordered: softmax's ``max(x, axis=1, keepdims=True)``), as ``_fuse.row_reduce``'s compiled loop
    where its probe found NumPy's bits on that shape."""
    from . import _fuse
    if not _fuse.available():
        return {}
    out = {}
    for i, op in enumerate(ops):
        if i in dead_ops or i in fused or op[-2] is None or op[-1]:
            continue
        if op[0] == "call" and len(op[2]) == 1:
            try:
                kind = _ROW_FNS.get(op[1])
            except TypeError:       # (an unhashable callable)
                continue
            arg, kw = op[2][0], op[3]
        elif op[0] == "method" and op[2] in ("sum", "max", "min") and not op[3]:
            kind, arg, kw = op[2], Slot(op[1]), op[4]
        else:
            continue
        if kind is None or type(arg) is not Slot or set(kw) - {"axis", "keepdims"} or "axis" not in kw \
                or kw["axis"] not in (1, -1, (1,), (-1,)) or type(kw.get("keepdims", False)) is not bool:
            continue
        k = src.alias.get(arg.k, arg.k)
        if k in consts or k not in rec.fresh or k in rec.not_c or k not in rec.meta:
            continue        # (an array bound from outside may come in another layout: NumPy's order differs)
        shape, dtype = rec.meta[k]
        kernel = _fuse.row_reduce(kind, shape, dtype, kw.get("keepdims", False))
        if kernel is not None and rec.meta.get(op[-2]) == ((shape[0], 1) if kw.get("keepdims") else (shape[0],),
                                                           dtype):
            out[i] = f"{src.const(kernel)}({src.expr(arg)})"
    return out


def _sgd_updates(rec, ops, dead_ops, consts, last, keep, src, fused) -> dict:
    """SGD's ``np.multiply(g, lr, out=(s,)); np.subtract(x, s, out=(x,))`` (``s``: a scratch array read nowhere
    else) as one loop that does not write ``s`` (``_fuse.sgd_update``), and consecutive such updates with one rate
    as one compiled call (``_fuse.sgd_updates``). index of each op replaced -> its lines (the first op of a run
    gets the call, the others none)."""
    from . import _fuse
    if not _fuse.available():
        return {}
    out: dict[int, list] = {}
    found: list[tuple] = []
    fn = None
    for i in range(len(ops) - 1):
        a, b = ops[i], ops[i + 1]
        if i in dead_ops or i + 1 in dead_ops or i in fused or i + 1 in fused or out.get(i) == []:
            continue
        if not (a[0] == "call" and a[1] is np.multiply and b[0] == "call" and b[1] is np.subtract
                and a[-2] is None and b[-2] is None and len(a[2]) == 2 and len(b[2]) == 2
                and set(a[3]) == {"out"} and set(b[3]) == {"out"}):
            continue
        ao, bo = a[3]["out"], b[3]["out"]
        if not (type(ao) is tuple and len(ao) == 1 and type(bo) is tuple and len(bo) == 1):
            continue
        g, lr = a[2]
        x, s2 = b[2]
        s, xo = ao[0], bo[0]
        if not (type(g) is Slot and type(x) is Slot and type(s) is Slot and type(s2) is Slot and type(xo) is Slot
                and (type(lr) is Slot or type(lr) is float)):
            continue
        sk = src.alias.get(s.k, s.k)
        if not (s2.k == s.k and xo.k == x.k and sk not in keep and sk not in consts and last.get(sk) == i + 1
                and x.k not in consts and g.k != s.k and x.k != s.k and x.k in rec.meta):
            continue
        found.append((i, x, g, lr, s))
        out[i + 1] = []         # (not a multiply to match)
    # consecutive updates with one rate: one compiled call for all (on small arrays, the calls are the cost)
    runs: list[list] = []
    for m in found:
        if runs and runs[-1][-1][0] + 2 == m[0] and src.expr(runs[-1][-1][3]) == src.expr(m[3]):
            runs[-1].append(m)
        else:
            runs.append([m])
    out = {}
    for run in runs:
        if len(run) == 1 and int(np.prod(rec.meta[run[0][1].k][0])) < _fuse.MIN_UPDATE:
            continue
        if len(run) == 1:
            if fn is None:
                fn = src.const(_fuse.sgd_update())
            i, x, g, lr, s = run[0]
            lines = [f"{fn}({src.expr(x)}, {src.expr(g)}, {src.expr(lr)}, {src.expr(s)})"]
        else:
            dts = {rec.meta[m[1].k][1] for m in run}
            meta = ([rec.meta[m[1].k][0] for m in run], np.dtype(dts.pop())) if len(dts) == 1 else ()
            # the gradients this replay makes itself (not a .grad accumulated in place: a bound array)
            own = all(m[2].k in rec.fresh and m[2].k not in rec.viewed and m[2].k not in rec.inputs
                      and m[2].k not in consts for m in run)
            many = src.const(_fuse.sgd_updates(len(run), meta, own))
            xs, gs, ss = ("(" + "".join(f"{src.expr(m[j])}, " for m in run) + ")" for j in (1, 2, 4))
            lines = [f"{many}({src.expr(run[0][3])}, {xs}, {gs}, {ss})"]
        end = run[-1][0] + 1
        used = {src.alias.get(k, k) for m in run for j in (m[0], m[0] + 1) for k in op_uses(ops[j])}
        dead = [k for k in used if last.get(k, end) <= end and k not in keep and k not in src.consts]
        if dead:
            lines.append("del " + ", ".join(f"v{k}" for k in sorted(dead)))
        out[run[0][0]] = lines
        for m in run:
            out.setdefault(m[0], [])
            out[m[0] + 1] = []
    return out


# elementwise ufuncs whose every result is exactly rounded (or exact): written over an operand they read for the
# last time, they give the same bits. Not the transcendental ones: NumPy may run a different loop (its scalar
# fallback instead of SIMD) where input and output share memory
_IN_PLACE = frozenset({np.add, np.subtract, np.multiply, np.true_divide, np.negative, np.positive, np.maximum,
                       np.minimum, np.fmax, np.fmin, np.absolute, np.square, np.sqrt})


def _pool(rec, ops, dead_ops, consts, last, keep, src, fused, allocs=None) -> dict:
    """slot -> the name of a buffer its ufunc writes with ``out=``: allocated once with the trace (on a cache line)
    and reused by every replay, and, inside one replay, by slots whose lifetimes do not overlap (same shape, dtype
    and order). Only arrays that never leave the replay: not returned, not bound, not handed to a host call, not
    seen through a view other than a transpose that dies with them, not the source of an elided copy or of an
    alias. A jitted function is therefore not re-entrant. ``allocs``: the fused loops' outputs (index of a loop's
    first op -> [(slot, order, where its ``_E`` line is)]); those that qualify get a buffer too (never one of the
    loop's own inputs: a loop whose output is one of its inputs runs unvectorised), and their lines are rewritten."""
    escape = set(keep) | set(src.alias.values())
    for op in ops:
        if op[0] == "host":
            escape.update(op[2])
        elif op[0] == "method" and op[-2] in rec.plain_copies:
            escape.add(op[1])
    last = dict(last)
    transposed = _views_by_transpose(rec, ops, escape, last)
    last.update(transposed)
    fresh = rec.fresh
    free: dict = {}
    buf: dict[int, str] = {}
    key: dict[int, tuple] = {}
    out: dict[int, str] = {}
    allocs = allocs or {}

    def ok(k) -> bool:
        return (k not in escape and k in fresh and (k not in rec.viewed or k in transposed) and k not in consts
                and k not in src.alias and k in rec.meta and k not in rec.not_c)

    def take(k, order="C") -> str:
        shape, dtype = rec.meta[k]
        key[k] = (shape, dtype, order)
        pool = free.setdefault(key[k], [])
        out[k] = buf[k] = pool.pop() if pool else src.const(aligned_empty(shape, dtype, order))
        return out[k]

    def release(j, i) -> None:
        if j in buf and last.get(j, i) <= i:
            free.setdefault(key[j], []).append(buf.pop(j))

    for i, op in enumerate(ops):
        if i in allocs:
            for k, order, at in allocs[i][0]:
                if ok(k):
                    fused[i][at] = f"v{k} = {take(k, order)}"
            end = allocs[i][1]
            for j in {src.alias.get(j, j) for n in allocs[i][2] for j in op_uses(ops[n])}:
                release(j, end)
            for k, _, _ in allocs[i][0]:
                if k in buf and last.get(k, -1) <= end:
                    release(k, end)
            continue
        if i in dead_ops or i in fused:
            continue
        k = op[-2] if op[0] == "call" else None
        if (k is not None and isinstance(op[1], np.ufunc) and op[1].nout == 1 and not op[3] and ok(k)
                and len(op[2]) == op[1].nin):
            if op[1] in _IN_PLACE:      # may write over an input it reads for the last time (as ``h += b``)
                for j in set(op_uses(op)):
                    release(src.alias.get(j, j), i)
            take(k)
        for j in set(op_uses(op)):
            release(src.alias.get(j, j), i)
        if k in buf and last.get(k, -1) <= i:       # never read: free again at once
            release(k, i)
    return out


def _aliases(rec, ops, dead_ops, consts, readonly, keep) -> dict:
    """Slots whose op need not run because another slot already holds the same values, exactly: a repeated pure
    ufunc call on the same operands (the rule of x * x asks for g * x twice), and ``x * 1`` (a gradient of ones).
    Only where neither array is ever written, nor returned or bound (two results must not share memory)."""
    alias: dict[int, int] = {}
    seen: dict = {}
    fresh = rec.fresh     # slots holding arrays of their own (not views of others)
    for i, op in enumerate(ops):
        kind = op[0]
        if kind == "host" or kind == "setitem" or (kind in ("call", "method") and op[-2] is None):
            seen.clear()        # a write: an earlier result may no longer equal a later call
            continue
        if i in dead_ops or kind != "call" or not isinstance(op[1], np.ufunc) or op[3] or op[-2] is None:
            continue
        k = op[-2]
        if k in rec.written or k in consts:
            continue
        args = tuple(Slot(alias.get(a.k, a.k)) if type(a) is Slot else a for a in op[2])
        try:
            key = (op[1], tuple(("s", a.k) if type(a) is Slot else (type(a), a) for a in args), op[-1])
            hash(key)
        except TypeError:
            key = None
        j = seen.get(key) if key is not None and k not in keep else None
        if j is not None:
            alias[k] = alias.get(j, j)
            continue
        if key is not None:
            seen[key] = k
        if op[1] is np.multiply and len(args) == 2 and not op[-1]:
            for a, b in (args, args[::-1]):
                one = type(a) is Slot and a.k in readonly
                if one and type(b) is Slot and b.k not in keep and b.k not in rec.written and b.k not in consts \
                        and b.k in fresh and b.k not in rec.viewed \
                        and rec.meta.get(b.k) == rec.meta.get(k) and np.asarray(readonly[a.k]).dtype == \
                        rec.meta[k][1] and bool(np.all(readonly[a.k] == 1)):
                    alias[k] = alias.get(b.k, b.k)
                    break
    return alias


def _fused_groups(rec, ops, dead_ops, consts, last, keep, src, info=None, dots=frozenset(), allocs=None,
                  views=None) -> dict:
    """index -> the lines replacing that op: the fused loop at a group's first op, nothing at its others.

    A value a group makes only for later groups, from arrays bound from outside that nothing writes (``-x`` of
    ``exp(-x * x)``, read again by its gradient), is computed again inside each group that reads it instead of
    written to memory and read back: one pass over memory fewer each, and an array fewer alive."""
    from . import _fuse
    if not _fuse.available():
        return {}
    live = [i for i, op in enumerate(ops) if i not in dead_ops and not (_defs(op) and (_defs(op)[0] in consts
                                                                                    or _defs(op)[0] in src.alias))]
    out: dict[int, list] = {}
    readonly = {k for k in consts if k not in rec.written}
    fresh = {k for k in rec.fresh if k not in rec.viewed}
    found = []
    summing = set()         # ops that are a column sum ending a group (their plan entry: "colsum")
    for group in _fuse.groups(ops, live, rec.meta, fresh):
        if any(ops[m[0]][-2] in rec.not_c for m in group):
            continue            # (its loop writes C-ordered arrays where eager's were not)
        summing.update(m[0] for m in group if len(m) == 5)
        # a constant of one value (0-d, or broadcast: all strides 0) becomes a literal of the loop, as a NumPy scalar:
        # typed as strongly as its array. Flattening a broadcast view would copy it on every call
        group = [(i, [(src.alias.get(o[0], o[0]),) + tuple(o[1:]) if isinstance(o, tuple) else o
                      for o in operands], shape, dtype) for i, operands, shape, dtype, *_ in group]
        group = [(i, [consts[o[0]].reshape(-1)[0] if isinstance(o, tuple) and o[0] in readonly
                      and not any(consts[o[0]].strides) else o for o in operands], shape, dtype)
                 for i, operands, shape, dtype in group]
        found.append(group)
    group_of = {i: n for n, group in enumerate(found) for i, *_ in group}
    uses: dict[int, list] = {}
    for j in live:
        for k in set(op_uses(ops[j])):
            uses.setdefault(src.alias.get(k, k), []).append(j)
    stable = set(rec.inputs) - rec.written      # bound arrays nothing in the trace writes
    remat: dict[int, tuple] = {}
    for n, group in enumerate(found):
        end = group[-1][0]
        for i, operands, shape, dtype in group:
            k = _fuse.target(ops[i])
            if i in summing or ops[i][-2] is None or k in keep or not all(
                    not isinstance(o, tuple) or o[0] in stable for o in operands):
                continue
            later = [j for j in uses.get(k, []) if j > end]
            if later and all(group_of.get(j, n) > n for j in later):
                remat[k] = ("call", _fuse.ufunc_of(ops[i]), operands, k, shape, dtype)
    for group in found:
        end = group[-1][0]
        plan = [("colsum", None, operands, ops[i][-2], rec.meta[ops[i][-2]][0], dtype) if i in summing else
                ("call", _fuse.ufunc_of(ops[i]), operands, _fuse.target(ops[i]), shape, dtype)
                for i, operands, shape, dtype in group]
        made = {p[3] for p in plan}
        summed_slots = {p[3] for p in plan if p[0] == "colsum"}
        extra = []
        for p in plan:
            for o in p[2]:
                if isinstance(o, tuple) and o[0] in remat and o[0] not in made:
                    extra.append(remat[o[0]])
                    made.add(o[0])
        plan = extra + plan
        defined: set = set()
        inputs, scalars, rows, cols = [], [], [], []
        for _, _, operands, k, shape, _ in plan:
            for o in operands:
                if isinstance(o, tuple) and o[0] not in defined and o[0] not in inputs + scalars + rows + cols:
                    how = _fuse.broadcast(o[1], shape)
                    (rows if how == "row" else cols if how == "col" else
                     scalars if o[1] == () and shape != () else inputs).append(o[0])
            defined.add(k)
        own = {ops[i][-2] for i, *_ in group if ops[i][-2] is not None}     # made here (others: written in place)
        outputs = [k for k in sorted({p[3] for p in plan[len(extra):]})
                   if (last.get(k, -1) > end and (k not in remat or any(group_of.get(j) is None
                                                                        for j in uses.get(k, []) if j > end)))
                   or k in keep]
        # (an op of the group redefines a slot it accumulates into: its inputs were read before, in the loop)
        plan_inputs = [k for k in inputs if k not in own]
        # an output read only by matrix products may be F-ordered, where that is as exact and faster (_layout)
        fortran = frozenset(k for k in outputs if k in own and k not in keep and k not in summed_slots
                            and product_order(rec, ops, k, [j for j in uses.get(k, []) if j > end], dots, consts,
                                               src, views or {}) == "F")
        kernel = _fuse.compile_group(plan, plan_inputs, scalars, outputs, rec.meta, rows, cols, fortran)
        shape, n = group[0][2], int(np.prod(group[0][2]))
        two_d = bool(rows or cols or fortran or group[-1][0] in summing)
        lines = [f"v{k} = _E({rec.meta[k][0]!r}, {src.const(rec.meta[k][1])}"
                 + (", order='F')" if k in fortran else ")") for k in outputs if k in own]
        if allocs is not None:
            allocs[group[0][0]] = ([(k, "F" if k in fortran else "C", n) for n, k in
                                    enumerate(k for k in outputs if k in own)], end, [i for i, *_ in group])
        flat = "" if two_d else ".reshape(-1)"
        args = [f"{src.expr(Slot(k))}{flat}" for k in plan_inputs + rows + cols] + \
            [src.expr(Slot(k)) for k in scalars] + [f"v{k}{flat}" for k in outputs]
        lines.append(f"{src.const(kernel)}({n}, {f'{shape[1]}, ' if two_d else ''}{', '.join(args)})")
        dead = [k for k in plan_inputs + rows + cols + scalars
                if last.get(k, end) <= end and k not in keep and k not in src.consts]
        if dead:
            lines.append("del " + ", ".join(f"v{k}" for k in sorted(set(dead))))
        out[group[0][0]] = lines
        for i, *_ in group[1:]:
            out[i] = []
        if info is not None and not two_d:     # (a 2-D loop is not cut into flat chunks)
            info[group[0][0]] = (src.const(kernel), plan_inputs, scalars, outputs, own, [i for i, *_ in group], shape)
    return out


CHUNK = 16384       # elements a strip-mined region computes at a time (its arrays stay in the L2 cache)
MIN_CHUNKED = 4 * CHUNK


def _strip_mined(rec, ops, dead_ops, consts, last, keep, src, fused, info) -> dict:
    """Regions of consecutive elementwise work on one large shape (NumPy's ufunc calls and fused loops), run chunk
    by chunk: ``sin(x)``, ``cos(x)``, ``exp(t)`` and the loops around them each make one pass over memory, which
    on 10M elements is what they cost (the loops more than NumPy's transcendentals); a chunk of all of them stays
    in the cache, so only the region's inputs are read from memory and its outputs written. Same calls on the
    same elements: the same values. index -> lines, as ``fused``."""
    skip = set(dead_ops)
    for i, op in enumerate(ops):
        d = _defs(op)
        if d and (d[0] in consts or d[0] in src.alias):
            skip.add(i)
    members = {i for v in info.values() for i in v[5]}

    def unit(i):
        """(shape, kind) where op i can be part of a region."""
        if i in info:
            return info[i][6]
        if i in members or i in fused:
            return None
        op = ops[i]
        if op[0] != "call" or not isinstance(op[1], np.ufunc) or op[1].nout != 1 or op[3] or op[-2] is None \
                or len(op[2]) != op[1].nin or op[-2] not in rec.meta or op[-1] or op[-2] in rec.not_c:
            return None
        shape = rec.meta[op[-2]][0]
        for a in op[2]:
            if type(a) is Slot:
                k = src.alias.get(a.k, a.k)
                if k in src.consts or k not in rec.meta or rec.meta[k][0] not in (shape, ()):
                    return None
            elif not isinstance(a, (int, float, bool, np.generic)):
                return None
        return shape

    regions, run, shape = [], [], None
    for i in range(len(ops)):
        if i in skip or i in members and i not in info:
            continue
        u = unit(i)
        if u is not None and u == shape and run:
            run.append(i)
            continue
        if len(run) >= 2 and int(np.prod(shape)) >= MIN_CHUNKED:
            regions.append((run, shape))
        run, shape = ([i], u) if u is not None else ([], None)
    if len(run) >= 2 and shape is not None and int(np.prod(shape)) >= MIN_CHUNKED:
        regions.append((run, shape))
    out: dict = {}
    for run, shape in regions:
        n = int(np.prod(shape))
        end = max(max(info[i][5]) if i in info else i for i in run)
        made: dict[int, str] = {}       # slot -> its chunk's expression inside the loop
        pre, loop, full = [], [], {}
        inputs: list = []

        def chunk(k):
            k = src.alias.get(k, k)
            if k in made:
                return made[k]
            if rec.meta[k][0] == ():
                return src.expr(Slot(k))
            if k not in full:
                full[k] = f"_f{k}"
                pre.append(f"_f{k} = {src.expr(Slot(k))}.reshape(-1)")
                inputs.append(k)
            made[k] = f"_c{k}"
            loop.append(f"_c{k} = _f{k}[_a:_b]")
            return made[k]

        def result(k, dtype) -> str:
            """Where the chunk of slot k's values goes: a slice of a full array if read after the region."""
            if last.get(k, -1) > end or k in keep:
                pre.append(f"v{k} = _E({shape!r}, {src.const(dtype)})")
                pre.append(f"_g{k} = v{k}.reshape(-1)")
                return f"_g{k}[_a:_b]"
            return None

        for i in run:
            if i in info:
                kname, ins, scalars, outs, own, _, _ = info[i]
                args = [chunk(k) for k in ins] + [src.expr(Slot(k)) for k in scalars]
                outs_exprs = []
                for k in outs:
                    if k in own:        # the loop's output: a slice of a full array, or a chunk of its own
                        where = result(k, rec.meta[k][1])
                        loop.append(f"_c{k} = {where or f'_E(_b - _a, {src.const(rec.meta[k][1])})'}")
                        made[k] = f"_c{k}"
                    outs_exprs.append(chunk(k))
                loop.append(f"{kname}(_b - _a, {', '.join(args + outs_exprs)})")
                continue
            op = ops[i]
            k = op[-2]
            args = [chunk(a.k) if type(a) is Slot else src.expr(a) for a in op[2]]
            where = result(k, rec.meta[k][1])
            into = f", out={where}" if where else ""
            loop.append(f"_c{k} = {src.const(op[1])}({', '.join(args)}{into})")
            made[k] = f"_c{k}"
        lines = pre + [f"for _a in range(0, {n}, {CHUNK}):", f"    _b = min(_a + {CHUNK}, {n})"] + \
            ["    " + x for x in loop]
        used = set()
        for i in run:
            for j in (info[i][5] if i in info else [i]):
                used.update(src.alias.get(k, k) for k in op_uses(ops[j]))
        dead = [k for k in used if last.get(k, end) <= end and k not in keep and k not in src.consts
                and k in inputs]
        if dead:
            lines.append("del " + ", ".join(f"v{k}" for k in sorted(set(dead))))
        out[run[0]] = lines
        for i in run[1:]:
            out[i] = []
        for i in run:
            for j in (info[i][5] if i in info else []):
                out.setdefault(j, [])
    return out


def _direct(op, src: _Source, meta: dict) -> str | None:
    """NumPy's Python-level wrappers called as what they call (``np.reshape(a, s)`` as ``a.reshape(s)``, ``np.sum``
    of floats as ``np.add.reduce``, ``np.moveaxis`` as a transpose worked out now): the same kernels, the same bits,
    without 1-2 us of argument handling per call. None where the call is not one of these simple forms."""
    fn, args, kw = op[1], op[2], op[3]
    if not args or type(args[0]) is not Slot:
        return None
    a = src.expr(args[0])
    if fn is np.reshape and len(args) == 2 and not kw:
        return f"{a}.reshape({src.expr(args[1])})"
    if fn is np.transpose and not kw and len(args) <= 2:
        return f"{a}.transpose({src.expr(args[1]) if len(args) == 2 else ''})"
    ndim = len(meta[args[0].k][0]) if args[0].k in meta else None
    if fn is np.moveaxis and len(args) == 3 and not kw and ndim is not None and \
            all(type(x) is not Slot for x in args[1:]):
        source, dest = normalize_axes(args[1], ndim, "moveaxis"), normalize_axes(args[2], ndim, "moveaxis")
        order = [n for n in range(ndim) if n not in source]
        for d, s in sorted(zip(dest, source)):
            order.insert(d, s)
        return f"{a}.transpose({tuple(order)!r})"
    if fn is np.sum and len(args) == 1 and set(kw) == {"axis", "keepdims"} and args[0].k in meta \
            and meta[args[0].k][1].kind in "fc":
        return f"_R({a}, axis={src.expr(kw['axis'])}, keepdims={src.expr(kw['keepdims'])})"
    red = _EXTREMA.get(fn)
    if red is not None and len(args) == 1 and set(kw) <= {"axis", "keepdims"} and args[0].k in meta \
            and meta[args[0].k][1].kind in "fiu":
        # np.max's wrapper calls np.maximum.reduce (the same error on an empty array)
        return src.call(src.const(red), (args[0],), kw)
    return None


_EXTREMA = {np.max: np.maximum.reduce, np.amax: np.maximum.reduce, np.min: np.minimum.reduce,
            np.amin: np.minimum.reduce}


def _line(op, src: _Source, meta: dict) -> str:
    kind = op[0]
    if kind in ("call", "method", "attr", "getitem", "item", "draw"):
        k, conv = op[-2], op[-1]
        if kind == "call":
            rhs = _direct(op, src, meta) or src.call(src.const(op[1]), op[2], op[3])
        elif kind == "method":
            if op[2] == "sum" and not op[3] and set(op[4]) <= {"axis", "keepdims"} and op[1] in meta \
                    and meta[op[1]][1].kind in "fc":      # ndarray.sum's Python wrapper: its kernel directly
                rhs = src.call("_R", (Slot(op[1]),), {"axis": op[4].get("axis"), **op[4]})
            else:
                rhs = src.call(f"{src.expr(Slot(op[1]))}.{op[2]}", op[3], op[4])
        elif kind == "attr":
            rhs = f"{src.expr(Slot(op[1]))}.{op[2]}"
        elif kind == "getitem":
            rhs = f"{src.expr(Slot(op[1]))}[{src.expr(op[2])}]"
        elif kind == "item":
            rhs = f"v{op[1]}[{op[2]}]"
        else:
            rhs = f"{src.const(op[1])}({src.expr(op[2])})"
        if conv:
            rhs = f"_A({rhs})"
        return rhs if k is None else f"v{k} = {rhs}"
    if kind == "setitem":
        return f"{src.expr(Slot(op[1]))}[{src.expr(op[2])}] = {src.expr(op[3])}"
    if kind == "guard":
        _, k, conv, value, where = op
        v = src.expr(Slot(k))
        if conv == "bool":
            return f"if bool({v}) is not {value!r}: raise _M({where})"
        if conv == "value" and (value is True or value is False or value is None):
            return f"if {v} is not {value!r}: raise _M({where})"      # (what _same asks of them: the same object)
        return f"if not _same({src.const(_CONV[conv])}({v}), {src.const(value)}): raise _M({where})"
    if kind == "host":
        _, fn, ins, outs = op
        call = f"{src.const(fn)}(_S" + "".join(f", {src.expr(Slot(k))}" for k in ins) + ")"
        return (", ".join(f"v{k}" for k in outs) + (", = " if len(outs) == 1 else " = ") + call) if outs else call
    raise AssertionError(f"unknown op {kind}")
