"""Fusion for ``tn.jit(fuse=True)``: runs of consecutive elementwise ops of a trace as one loop compiled by numba.

A replay without fusion makes one pass over memory per op, and on small arrays pays NumPy's per-call cost per op
(a chain of 300 ops on 4 numbers is 300 calls). Fused, a run of elementwise ufuncs whose results all have one
shape (other operands: arrays of that shape, 0-d arrays, numbers) becomes one loop over the elements, each
intermediate a register: one call, one pass. Only the results read after the run are written to memory.

Which ops join is decided by measurement (the table at ``TRANSCENDENTAL`` below): arithmetic and comparisons at any
size; sin, exp, tanh and the like only on arrays of at most 128 elements, since numba calls the C library's scalar
functions where NumPy runs SIMD kernels 20x faster per element.

Each op is computed in the dtypes NumPy's own loop would use (``ufunc.resolve_dtypes``, weak Python numbers as
NEP 50 says), so +, -, *, /, sqrt and comparisons give NumPy's bits exactly; transcendental functions (sin, exp,
tanh, ...) come from the C library that numba calls, not from NumPy's SIMD kernels, and may differ in the last bits
(measured in ``tests/test_jit.py``), and a fused loop raises no floating-point warnings (NumPy's divide-by-zero
RuntimeWarning; the values, inf and nan, are NumPy's). That is why fusion is asked for, not the default. Needs numba
(``pip install turunan[jit]``); without it ``fuse=True`` replays unfused.

>>> import numpy as np
>>> plan = [("call", np.multiply, ((0, (3,), "float64"), 2.0), 1, (3,), "float64"),
...         ("call", np.sin, ((1, (3,), "float64"),), 2, (3,), "float64")]
>>> kernel_source(plan, inputs=[0], outputs=[2])[:30]
'def kernel(n, a0, o0):\\n    for'
"""

from __future__ import annotations

import operator

import numpy as np

__all__ = ["FUSABLE", "MIN_UPDATE", "available", "broadcast", "compile_group", "groups", "hoisted", "kernel_source",
           "sgd_update", "sgd_updates", "target", "ufunc_of"]

# ufunc -> the expression of one element (x, y: its operands, cast to the loop's dtypes)
FUSABLE = {
    np.add: "{x} + {y}", np.subtract: "{x} - {y}", np.multiply: "{x} * {y}", np.true_divide: "{x} / {y}",
    np.negative: "-{x}", np.positive: "+{x}", np.square: "{x} * {x}", np.absolute: "abs({x})",
    np.sqrt: "np.sqrt({x})", np.sin: "np.sin({x})", np.cos: "np.cos({x})", np.tan: "np.tan({x})",
    np.tanh: "np.tanh({x})", np.exp: "np.exp({x})", np.log: "np.log({x})", np.log1p: "np.log1p({x})",
    np.expm1: "np.expm1({x})", np.sinh: "np.sinh({x})", np.cosh: "np.cosh({x})", np.arctan: "np.arctan({x})",
    # NumPy's maximum/minimum propagate a NaN from either side and give the second operand where the two are equal
    # (maximum(-0.0, 0.0) is 0.0, maximum(0.0, -0.0) is -0.0)
    np.maximum: "({x} if ({x} > {y} or {x} != {x}) else {y})",
    np.minimum: "({x} if ({x} < {y} or {x} != {x}) else {y})",
    np.greater: "{x} > {y}", np.less: "{x} < {y}", np.greater_equal: "{x} >= {y}", np.less_equal: "{x} <= {y}",
    np.equal: "{x} == {y}", np.not_equal: "{x} != {y}",
}
_KERNELS: dict[str, object] = {}      # source -> compiled kernel: one compilation per distinct loop per process
_WARM: set = set()                    # (source, F-ordered outputs) already compiled for


def available() -> bool:
    try:
        import numba  # noqa: F401
    except Exception:       # noqa: BLE001 - not installed, or broken by a module shadowing its dependencies
        return False
    return True


def _literal(value, dtype: np.dtype) -> str:
    v = np.asarray(value).astype(dtype).item()
    if dtype.kind == "b":
        return repr(bool(v))
    if dtype.kind in "iu":
        return f"np.{dtype.name}({int(v)})"
    f = float(v)
    text = repr(f) if f == f and f not in (float("inf"), float("-inf")) else \
        ("np.nan" if f != f else "np.inf" if f > 0 else "-np.inf")
    return f"np.{dtype.name}({text})"     # repr round-trips a float exactly


def kernel_source(plan: list, inputs: list[int], outputs: list[int], scalars: tuple = (), rows: tuple = (),
                  cols: tuple = (), two_d: bool = False, fortran: frozenset = frozenset()) -> str:
    """The loop of a group. ``plan``: (kind, ufunc, operands, slot, shape, dtype) per op, each operand a number or
    (slot, shape, dtype); ``inputs``: slots read as arrays of the group's shape; ``scalars``: 0-d slots; ``rows``,
    ``cols``: a 2-D group's operands broadcast along its rows (a bias, ``(n,)`` or ``(1, n)``) or its columns
    (``(m, 1)``); a ``"colsum"`` entry sums a slot of the loop over axis 0 (the bias's gradient); ``two_d``: a 2-D
    loop even without those (its arrays indexed as they are); ``fortran``: outputs that are F-ordered, each row
    written through a row of scratch (a store at every column's stride keeps LLVM from vectorising the loop: 1.9 us
    against 0.8 on 32x64 float32; with the scratch row, 1.4).

    A 2-D group loops over rows, then columns (``nc`` of them); a column sum starts from zero and adds the rows in
    order, as NumPy's ``add.reduce`` over axis 0 of a C-ordered array does: the same bits, -0.0 included."""
    sums = [p for p in plan if p[0] == "colsum"]
    two_d = two_d or bool(rows or cols or sums)
    args = [f"a{i}" for i in range(len(inputs))] + [f"b{i}" for i in range(len(rows))] + \
        [f"c{i}" for i in range(len(cols))] + [f"s{i}" for i in range(len(scalars))] + \
        [f"o{i}" for i in range(len(outputs))]
    if two_d:
        lines = [f"def kernel(n, nc, {', '.join(args)}):"]
        lines += [f"    for j in range(nc):\n        o{outputs.index(p[3])}[j] = np.{np.dtype(p[5]).name}(0)"
                  for p in sums if p[3] in outputs]
        lines += [f"    w{i} = np.empty(nc, o{i}.dtype)" for i, k in enumerate(outputs) if k in fortran]
        lines += ["    for r in range(n // nc):", "        for j in range(nc):"]
        pad = "            "
    else:
        lines = [f"def kernel(n, {', '.join(args)}):", "    for i in range(n):"]
        pad = "        "
    shapes = {o[0]: o[1] for p in plan for o in p[2] if isinstance(o, tuple)}
    # a 2-D loop indexes its arrays as they are (no flattened views to make on every call, any strides)
    name = {k: f"a{i}[r, j]" if two_d else f"a{i}[i]" for i, k in enumerate(inputs)}
    name.update({k: f"b{i}[j]" if len(shapes[k]) == 1 else f"b{i}[0, j]" for i, k in enumerate(rows)})
    name.update({k: f"c{i}[r, 0]" for i, k in enumerate(cols)})
    name.update({k: f"s{i}[()]" for i, k in enumerate(scalars)})
    temps: dict[int, str] = {}          # slot -> its local, numbered in order: one source (one compilation) per loop
    summed = set()
    for kind, fn, operands, k, _shape, dtype in plan:
        if kind == "colsum":
            o = outputs.index(k)
            lines.append(f"{pad}o{o}[j] = np.{np.dtype(dtype).name}(o{o}[j] + {name[operands[0][0]]})")
            summed.add(k)
            continue
        loop = fn.resolve_dtypes(tuple(np.dtype(o[2]) if isinstance(o, tuple) else o.dtype
                                       if isinstance(o, np.generic) else type(o) for o in operands) + (None,))
        xs = []
        for o, dt in zip(operands, loop):
            if isinstance(o, tuple):
                xs.append(f"np.{dt.name}({name[o[0]]})")
            else:
                xs.append(_literal(o, dt))
        expr = FUSABLE[fn].format(x=xs[0], y=xs[1] if len(xs) > 1 else "")
        t = temps.setdefault(k, f"t{len(temps)}")
        lines.append(f"{pad}{t} = np.{np.dtype(dtype).name}({expr})")
        name[k] = t
    for i, k in enumerate(outputs):
        if k not in summed:
            lines.append(f"{pad}{'w' if k in fortran else 'o'}{i}[{'j' if k in fortran else 'r, j' if two_d else 'i'}]"
                         f" = {name[k]}")
    for i, k in enumerate(outputs):
        if k in fortran:
            lines += ["        for j in range(nc):", f"            o{i}[r, j] = w{i}[j]"]
    return "\n".join(lines) + "\n"


def compile_group(plan: list, inputs: list[int], scalars: list[int], outputs: list[int], meta: dict,
                  rows: list[int] = (), cols: list[int] = (), fortran: frozenset = frozenset()):
    """The compiled loop of a group (cached by its source), compiled now, with the trace: a first replay that
    compiled would hide the compile time in a step's time. ``fortran``: outputs the replay allocates F-ordered
    (numba compiles another version for them: compiled now too)."""
    two_d = bool(rows or cols or fortran or any(p[0] == "colsum" for p in plan))
    src = kernel_source(plan, inputs, outputs, tuple(scalars), tuple(rows), tuple(cols), two_d, fortran)
    kernel = _KERNELS.get(src)
    if kernel is None:
        import numba
        ns: dict = {"np": np}
        exec(compile(src, "<tn.jit fused>", "exec"), ns)
        # error_model="numpy": x / 0 is inf or nan, as NumPy gives it (numba's default raises ZeroDivisionError)
        kernel = _KERNELS[src] = numba.njit(cache=False, nogil=True, error_model="numpy")(ns["kernel"])
    if (src, fortran) not in _WARM:
        _WARM.add((src, fortran))
        sums = {p[3] for p in plan if p[0] == "colsum"}
        # no element computed (n = 0); arrays of the dimensions and layouts of the replay's (a column sum's output:
        # one row; a (2, 2) F-ordered array, since numba calls a (1, 1) one C-ordered)
        kernel(*((0, 1) if two_d else (0,)),
               *[np.ones((1,) * (len(meta[k][0]) if two_d else 1), meta[k][1]) for k in list(inputs) + list(rows)
                 + list(cols)], *[np.ones((), meta[k][1]) for k in scalars],
               *[np.empty((2, 2), meta[k][1], order="F") if k in fortran else
                 np.empty((1,) * (1 if k in sums or not two_d else 2), meta[k][1]) for k in outputs])
    return kernel


def ufunc_of(op):
    """The ufunc of an op that joins a loop (a copy to the same dtype computes ``+x``: the same bits)."""
    return np.positive if op[0] == "method" else op[1]


def target(op):
    """The slot an elementwise op of a group defines: its result, or the array it accumulates into in place
    (``np.add(a, b, out=a)``, the engine's gradient accumulation)."""
    if op[-2] is not None:
        return op[-2]
    out = op[3]["out"]
    return (out[0] if isinstance(out, tuple) else out).k


def _in_place(op) -> bool:
    """``ufunc(a, b, out=a)`` with nothing else but ``casting="same_kind"``: a new value of ``a``, elementwise."""
    from ._trace import Slot
    kw = op[3]
    if op[-2] is not None or not kw or set(kw) - {"out", "casting"} or kw.get("casting", "same_kind") != "same_kind":
        return False
    out = kw["out"]
    out = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    return type(out) is Slot and bool(op[2]) and type(op[2][0]) is Slot and op[2][0].k == out.k


def broadcast(sh: tuple, shape: tuple) -> str | None:
    """How an operand of shape ``sh`` meets a 2-D loop of ``shape``: "row" (a bias, ``(n,)`` or ``(1, n)``: one
    value per column), "col" (``(m, 1)``: one per row), or None."""
    if len(shape) != 2 or sh == shape:
        return None
    if sh == shape[1:] or sh == (1, shape[1]):
        return "row"
    if sh == (shape[0], 1):
        return "col"
    return None


def colsum(op, meta: dict, made: set):
    """The operand of ``op`` if it is ``x.sum(axis=0)`` or ``np.sum(x, axis=0)`` of a 2-D float slot ``x`` a run
    made (the gradient of a bias, which joins the run's loop: one pass fewer), else None."""
    from ._trace import Slot
    if op[0] == "method" and op[2] == "sum" and not op[3]:
        k, kw = op[1], op[4]
    elif op[0] == "call" and op[1] is np.sum and len(op[2]) == 1 and type(op[2][0]) is Slot:
        k, kw = op[2][0].k, op[3]
    else:
        return None
    if op[-1] or k not in made or op[-2] not in meta or set(kw) - {"axis", "keepdims", "dtype"} \
            or kw.get("axis") not in (0, (0,)) or kw.get("keepdims") or kw.get("dtype") is not None:
        return None
    shape, dtype = meta[k]
    if len(shape) != 2 or shape[1] < 2 or dtype.kind != "f" or meta[op[-2]] != ((shape[1],), dtype):
        return None         # (one column: NumPy sums it pairwise, not row by row)
    return (k, shape, dtype)


def _operands(op, meta: dict, fresh=frozenset()):
    """The operands of ``op`` if it can join a fused loop, else None. An accumulation in place joins where it
    writes an array of the replay's own (``fresh``: contiguous, not a view, seen by nobody through one)."""
    from ._trace import Slot
    if op[0] == "method" and op[2] == "astype" and op[-2] is not None and op[1] in meta:
        # a copy to the same dtype (the engine's gradient of a first use): a value of the loop like any other
        sh, dt = meta[op[1]]
        shape, dtype = meta[op[-2]]
        if dt != dtype or sh != shape or dtype.kind not in "fb" or op[-1]:
            return None
        return [(op[1], sh, dt)], shape, dtype
    if op[0] != "call" or op[1] not in FUSABLE or len(op[2]) != op[1].nin:
        return None
    if op[3] or op[-2] is None:
        if not _in_place(op) or op[2][0].k not in fresh:
            return None
    shape, dtype = meta[target(op)]
    if dtype.kind not in "fb":
        return None
    out = []
    for a in op[2]:
        if type(a) is Slot:
            if a.k not in meta:         # a live Python number (an optimiser's rate): not a loop operand yet
                return None
            sh, dt = meta[a.k]
            if (sh != shape and sh != () and broadcast(sh, shape) is None) or dt.kind not in "fiub":
                return None
            out.append((a.k, sh, dt))
        elif type(a) in (float, int, bool) or isinstance(a, (np.floating, np.integer, np.bool_)):
            out.append(a)
        else:
            return None
    return out, shape, dtype


# Measured (one thread, float32, a chain of 4 ops: x*2+0.5, tanh, *0.5, against the same 4 NumPy calls):
#   elements            16     64    256   1024   4096   65536   1M
#   with tanh, NumPy   6.4    6.2    6.2    7.7   12.8    106   2606 us
#   with tanh, fused   1.4    2.6    7.4   27.7    116   1966  32452 us   (the C library's tanhf, ~28 ns an element,
#                                                                           against NumPy's SIMD kernel, ~1.5 ns)
#   arithmetic, NumPy  5.3    5.3    5.4    6.3   10.5     91   2565 us
#   arithmetic, fused  0.9    0.8    0.8    0.9    1.6     17    621 us   (LLVM vectorises the loop)
#   numexpr, with tanh  18     19     24     36     98   1455  23491 us   (one thread; ~18 us a call to parse and
#   numexpr, arithmetic 18     18     19     20     31    196   2601 us    dispatch: slower than numba everywhere)
# so numba, not numexpr; a transcendental op joins a fused loop only on small arrays; arithmetic at any size.
# On large arrays the transcendental calls stay NumPy's and move before the arithmetic they interrupt (``hoisted``),
# and turunan._replay runs a region of such calls and loops chunk by chunk. Measured on big_elementwise's step
# (10M float32, one thread): NumPy sin 6.1 ms, cos 5.3, exp 4.0 a pass; numba with the C library's scalar functions,
# the whole gradient in one loop, 122 ms; NumPy's calls and two loops over whole arrays 56 ms (each loop is
# memory-bound: 5 arrays of 40 MB, 12 ms); the same chunk by chunk (16K elements) 30 ms, against the floor's 74.
# Chunks of 4K: 37 ms, 8K: 32, 32K: 30, 64K: 32. SVML (Intel's vector math, ``icc-rt``) would let numba vectorise
# sin/exp, but the llvmlite here is not built with its patch (``numba -s``: "llvmlite Using SVML Patched LLVM:
# False"), so it is not used.
TRANSCENDENTAL = frozenset({np.sin, np.cos, np.tan, np.tanh, np.exp, np.log, np.log1p, np.expm1, np.sinh, np.cosh,
                            np.arctan})
MAX_TRANSCENDENTAL = 128


def _broadcasts(member) -> bool:
    """Whether a run's op reads an operand along the rows or columns of its 2-D shape (a bias): NumPy runs such a
    ufunc one row at a time (a bias added to 32x64 float32: 1.2 us against 0.6 as a loop; to 128x256: 12.5 against
    4.2), so even alone it is worth a loop."""
    return any(isinstance(o, tuple) and broadcast(o[1], member[2]) is not None for o in member[1])


def groups(ops: list, live: list[int], meta: dict, fresh=frozenset()) -> list[list]:
    """Runs of consecutive live ops that fuse, each ``[(index, operands, shape, dtype), ...]``: at least two, or
    one that broadcasts an operand along a 2-D shape; a column sum that ends a run is
    ``(index, [operand], shape, dtype, "colsum")``."""
    found, run = [], []
    for i in live:
        got = _operands(ops[i], meta, fresh)
        if got is not None and ops[i][1] in TRANSCENDENTAL and int(np.prod(got[1])) > MAX_TRANSCENDENTAL:
            got = None
        if got is not None and ops[i][-2] is None and (not run or target(ops[i]) not in
                                                        {ops[j][-2] for j, *_ in run}):
            got = None      # accumulating in place joins only the loop that made the array (its own, C order)
        if got is not None and run and got[1] == run[-1][2]:
            run.append((i,) + got)
            continue
        summed = colsum(ops[i], meta, {ops[j][-2] for j, *_ in run}) if got is None and run else None
        if summed is not None:      # the run's last member: its result is read after the loop
            run.append((i, [summed], run[-1][2], summed[2], "colsum"))
            got = None
        if len(run) >= 2 or (run and _broadcasts(run[0])):
            found.append(run)
        run = [(i,) + got] if got is not None else []
    if len(run) >= 2 or (run and _broadcasts(run[0])):
        found.append(run)
    return found


def _pure(op) -> bool:
    kind = op[0]
    if kind not in ("call", "method", "attr", "getitem", "item") or op[-2] is None:
        return False
    kw = op[3] if kind == "call" else op[4] if kind == "method" else {}
    return "out" not in kw


def hoisted(ops: list, meta: dict, own=frozenset()) -> list[int] | None:
    """An order of ``ops`` in which each large transcendental call (which stays NumPy's: see above) runs as early
    as its operands allow, so that the arithmetic around it makes runs that fuse: the gradient of
    ``sin(x) * exp(-x * x)`` computes ``cos(x)`` between two runs of arithmetic, which become one loop once it is
    moved before them. Only pure calls move, and never past an op that writes, guards, draws or calls the host,
    nor before the ops that make their operands: the same calls on the same values, so the same bits. A write in
    place into an array of the replay's own that nobody views (``own``: the engine accumulating a gradient) only
    holds back the calls that read that array. None where nothing moves."""
    from ._trace import op_uses
    order: list[int] = []
    where: dict[int, int] = {}           # slot -> position in order of the op that defines it (or writes it)
    barrier = -1
    moved = False
    for i, op in enumerate(ops):
        pure = _pure(op)
        if pure and op[0] == "call" and op[1] in TRANSCENDENTAL and not op[3] and op[-2] in meta \
                and int(np.prod(meta[op[-2]][0])) > MAX_TRANSCENDENTAL:
            pos = max([barrier] + [where.get(k, -1) for k in op_uses(op)]) + 1
            if pos < len(order):
                moved = True
                order.insert(pos, i)
                for k, p in where.items():
                    if p >= pos:
                        where[k] = p + 1
                if barrier >= pos:
                    barrier += 1
                where[op[-2]] = pos
                continue
        order.append(i)
        if not pure:
            if op[0] == "call" and _in_place(op) and op[2][0].k in own:
                where[op[2][0].k] = len(order) - 1      # a later read of it waits for this write
            else:
                barrier = len(order) - 1
        for k in ([op[-2]] if op[0] in ("call", "method", "attr", "getitem", "item", "draw") and op[-2] is not None
                  else list(op[3]) if op[0] == "host" else []):
            where[k] = len(order) - 1
    return order if moved else None


# ---- SGD's update ``p -= lr * g`` as one loop ----------------------------------------------------------------
# The traced SGD step writes ``lr * g`` into a scratch array of the optimiser's (``.grad`` must not be
# overwritten), then subtracts it from the parameter: two passes over memory, the second over a scratch array out
# of the cache (784x256 float32: 62 us against the hand-written ``g *= lr; p -= g``'s 43 us, 29 us as one loop).
# One loop computes the same products in the same dtype (the weak Python ``lr`` rounded to the array's dtype once,
# as NumPy does) and the same differences: the same bits. It does not write the scratch array, which holds no
# state (every step writes it before reading it).
MIN_UPDATE = 1024       # elements: below, the two NumPy calls cost about what the loop's dispatch does
_UPDATE = []


def _update_kernel():
    if not _UPDATE:
        import numba

        def update(x, g, lr):
            for i in range(x.shape[0]):
                x[i] = x[i] - g[i] * lr
        kernel = numba.njit(cache=False, nogil=True, error_model="numpy")(update)
        for dt in (np.float32, np.float64):     # compiled with the trace, not inside a timed step
            kernel(np.ones(1, dt), np.ones(1, dt), dt(1))
        _UPDATE.append(kernel)
    return _UPDATE[0]


def _fits(x, g, dt) -> bool:
    """Whether ``x -= lr * g`` as one loop gives NumPy's bits: ``x`` and ``g`` of the float dtype ``dt`` and one
    shape, each of its own memory (so not overlapping), ``x`` C-ordered and writable."""
    if not (x.dtype is dt and g.dtype is dt and x.base is None and g.base is None and x.shape == g.shape
            and x is not g):
        return False
    fx = x.flags
    return fx.c_contiguous and fx.writeable


def sgd_update():
    """``update(x, g, lr, s)``: ``np.multiply(g, lr, out=s); np.subtract(x, s, out=x)`` as one loop where the
    result is bit for bit NumPy's: a Python float ``lr`` and ``x``, ``g`` float32 or float64 arrays of one dtype
    and shape that own their memory (so not overlapping); else the two calls."""
    kernel = _update_kernel()
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)

    def update(x, g, lr, s):
        dt = x.dtype        # (a dtype of another byte order is another object: the two calls)
        if type(lr) is float and (dt is f32 or dt is f64) and _fits(x, g, dt):
            kernel(x.reshape(-1), g.reshape(-1), dt.type(lr))   # (a g of other strides: reshape copies its values)
            return
        np.multiply(g, lr, out=s)
        np.subtract(x, s, out=x)
    return update


_UPDATES: dict[int, object] = {}


def _updates_kernel(n: int):
    """One loop per parameter, all in one compiled call: ``kernel(lr, x0, ..., x{n-1}, g0, ..., g{n-1})``."""
    kernel = _UPDATES.get(n)
    if kernel is None:
        import numba
        xs, gs = [f"x{j}" for j in range(n)], [f"g{j}" for j in range(n)]
        src = f"def kernel(lr, {', '.join(xs + gs)}):\n" + "".join(
            f"    a = x{j}.reshape(-1)\n    b = g{j}.reshape(-1)\n"
            f"    for i in range(a.shape[0]):\n        a[i] = a[i] - b[i] * lr\n" for j in range(n))
        ns: dict = {}
        exec(compile(src, "<tn.jit updates>", "exec"), ns)
        kernel = _UPDATES[n] = numba.njit(cache=False, nogil=True, error_model="numpy")(ns["kernel"])
    return kernel


def sgd_updates(n: int, meta=(), own_grads: bool = False):
    """``update(lr, xs, gs, ss)``: ``sgd_update``'s ``update(x, g, lr, s)`` for each parameter ``x`` of ``xs``, as
    one compiled call where every pair qualifies (one dtype, all C-contiguous; ``g`` of any size: on the small
    arrays of a deep narrow net, two NumPy calls a parameter cost more than the work), else one at a time.
    ``meta``: the (shapes, dtype) the trace saw, compiled for now (not inside a timed step). ``own_grads``: every
    ``g`` is an array the replay made (C-ordered, of its own memory, the shape and dtype traced); then parameters
    checked once are not checked again while they are the same arrays (their shapes and dtypes are the
    signature's; an array made read-only since is refused by the compiled call, before it writes anything)."""
    kernel = _updates_kernel(n)
    one = sgd_update()
    if meta:
        shapes, dt = meta
        arrays = [np.ones(s, dt) for s in shapes]
        kernel(dt.type(1), *arrays, *[a.copy() for a in arrays])
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    checked: list = [()]
    same = operator.is_

    def update(lr, xs, gs, ss):
        if type(lr) is float:
            dt = xs[0].dtype
            if own_grads and len(xs) == len(checked[0]) and all(map(same, xs, checked[0])):
                kernel(dt.type(lr), *xs, *gs)
                return
            if dt is f32 or dt is f64:
                for x, g in zip(xs, gs):
                    if not (_fits(x, g, dt) and g.flags.c_contiguous):    # (the loop flattens g in place)
                        break
                else:
                    kernel(dt.type(lr), *xs, *gs)
                    if own_grads:
                        checked[0] = xs
                    return
        checked[0] = ()
        for x, g, s in zip(xs, gs, ss):
            one(x, g, lr, s)
    return update


# ---- reductions along the last axis of small rows (softmax's max and sum) --------------------------------------
# NumPy reduces short rows one row at a time, paying its inner loop's setup on each: maximum.reduce over axis 1 of
# 128x10 float32 costs 12 us (94 ns a row), add.reduce 4 us; one compiled loop over all rows, under 1 us. The loops
# follow NumPy's arithmetic: add.reduce starts from 0.0 and adds the row's pairwise sum (rows of fewer than 8 one
# by one; up to 128 in 8 running sums combined as ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)), then the tail); maximum and
# minimum keep a NaN and compare left to right. NumPy's SIMD kernels settle a tie of 0.0 and -0.0 by lengths (on
# rows of 17 or 33 they can keep the other zero), so each loop is probed on the very shape with random values,
# rows of signed zeros, NaN and infinities, and used only where it gives NumPy's bits (``row_reduce``).
MAX_ROW = 128
_ROW_KERNELS: dict = {}
_ROW_PROBED: dict = {}
_ROW_NUMPY = {"sum": np.add.reduce, "max": np.maximum.reduce, "min": np.minimum.reduce}


def _row_kernel(kind: str, keepdims: bool):
    key = (kind, keepdims)
    kernel = _ROW_KERNELS.get(key)
    if kernel is None:
        import numba
        at = "out[r, 0]" if keepdims else "out[r]"
        shape = "(m, 1)" if keepdims else "m"
        if kind == "sum":
            body = ["        if n < 8:", "            res = zero", "            for j in range(n):",
                    "                res = res + x[r, j]", "        else:"]
            body += [f"            s{i} = x[r, {i}]" for i in range(8)]
            body += ["            i = 8", "            while i < n - n % 8:"]
            body += [f"                s{i} = s{i} + x[r, i + {i}]" for i in range(8)]
            body += ["                i += 8", "            res = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))",
                     "            while i < n:", "                res = res + x[r, i]", "                i += 1",
                     f"        {at} = zero + res"]
        else:
            cmp = ">" if kind == "max" else "<"
            body = ["        acc = x[r, 0]", "        for j in range(1, n):", "            y = x[r, j]",
                    f"            acc = acc if (acc {cmp} y or acc != acc) else y", f"        {at} = acc"]
        src = "\n".join(["def kernel(x):", "    m, n = x.shape", f"    out = np.empty({shape}, x.dtype)",
                         "    zero = np.zeros(1, x.dtype)[0]" if kind == "sum" else "", "    for r in range(m):"]
                        + body + ["    return out"]) + "\n"
        ns: dict = {"np": np}
        exec(compile(src, f"<tn.jit row {kind}>", "exec"), ns)
        kernel = _ROW_KERNELS[key] = numba.njit(cache=False, nogil=True, error_model="numpy")(ns["kernel"])
    return kernel


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """The same bits, but for a NaN's payload (where both are NaN)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    return bool(np.array_equal(nan_a, nan_b)) and a[~nan_a].tobytes() == b[~nan_b].tobytes()


def row_reduce(kind: str, shape: tuple, dtype, keepdims: bool):
    """A compiled ``np.{add,maximum,minimum}.reduce(x, axis=1, keepdims=keepdims)`` for C-ordered float arrays
    ``x`` of ``shape`` (2-D, rows of 2 to ``MAX_ROW``), or None where its probe on that shape finds other bits than
    NumPy's (compiled and probed now, with the trace; the answer is kept)."""
    dtype = np.dtype(dtype)
    if len(shape) != 2 or not 2 <= shape[1] <= MAX_ROW or shape[0] < 1 or dtype not in (np.float32, np.float64):
        return None
    key = (kind, shape, dtype, keepdims)
    if key in _ROW_PROBED:
        return _ROW_PROBED[key]
    kernel = _row_kernel(kind, keepdims)
    numpy = _ROW_NUMPY[kind]
    rng = np.random.default_rng(0)
    m, n = shape
    exact = True
    for rows in (m, max(m, 256)):
        x = rng.standard_normal((rows, n)) * np.exp2(rng.integers(-30, 30, (rows, n)))
        zeros = np.where(rng.random((rows, n)) < 0.5, -0.0, 0.0)
        odd = np.where(rng.random((rows, n)) < 0.1, rng.choice([np.nan, np.inf, -np.inf], (rows, n)), x)
        for values in (x, zeros, odd, -np.abs(x)):
            values = np.ascontiguousarray(values, dtype=dtype)
            with np.errstate(all="ignore"):
                want = numpy(values, axis=1, keepdims=keepdims)
            exact = exact and _same_values(kernel(values), want)
    got = _ROW_PROBED[key] = kernel if exact else None
    return got
