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

import numpy as np

__all__ = ["FUSABLE", "available", "compile_group", "kernel_source"]

# ufunc -> the expression of one element (x, y: its operands, cast to the loop's dtypes)
FUSABLE = {
    np.add: "{x} + {y}", np.subtract: "{x} - {y}", np.multiply: "{x} * {y}", np.true_divide: "{x} / {y}",
    np.negative: "-{x}", np.positive: "+{x}", np.square: "{x} * {x}", np.absolute: "abs({x})",
    np.sqrt: "np.sqrt({x})", np.sin: "np.sin({x})", np.cos: "np.cos({x})", np.tan: "np.tan({x})",
    np.tanh: "np.tanh({x})", np.exp: "np.exp({x})", np.log: "np.log({x})", np.log1p: "np.log1p({x})",
    np.expm1: "np.expm1({x})", np.sinh: "np.sinh({x})", np.cosh: "np.cosh({x})", np.arctan: "np.arctan({x})",
    # NumPy's maximum/minimum propagate a NaN from either side
    np.maximum: "({x} if ({x} >= {y} or {x} != {x}) else {y})",
    np.minimum: "({x} if ({x} <= {y} or {x} != {x}) else {y})",
    np.greater: "{x} > {y}", np.less: "{x} < {y}", np.greater_equal: "{x} >= {y}", np.less_equal: "{x} <= {y}",
    np.equal: "{x} == {y}", np.not_equal: "{x} != {y}",
}
_KERNELS: dict[str, object] = {}      # source -> compiled kernel: one compilation per distinct loop per process


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


def kernel_source(plan: list, inputs: list[int], outputs: list[int], scalars: tuple = ()) -> str:
    """The loop of a group. ``plan``: (kind, ufunc, operands, slot, shape, dtype) per op, each operand a number or
    (slot, shape, dtype); ``inputs``: slots read as arrays of the group's shape; ``scalars``: 0-d slots."""
    args = [f"a{i}" for i in range(len(inputs))] + [f"s{i}" for i in range(len(scalars))] + \
        [f"o{i}" for i in range(len(outputs))]
    lines = [f"def kernel(n, {', '.join(args)}):", "    for i in range(n):"]
    name = {k: f"a{i}[i]" for i, k in enumerate(inputs)}
    name.update({k: f"s{i}[()]" for i, k in enumerate(scalars)})
    for _, fn, operands, k, _shape, dtype in plan:
        loop = fn.resolve_dtypes(tuple(np.dtype(o[2]) if isinstance(o, tuple) else o.dtype
                                       if isinstance(o, np.generic) else type(o) for o in operands) + (None,))
        xs = []
        for o, dt in zip(operands, loop):
            if isinstance(o, tuple):
                xs.append(f"np.{dt.name}({name[o[0]]})")
            else:
                xs.append(_literal(o, dt))
        expr = FUSABLE[fn].format(x=xs[0], y=xs[1] if len(xs) > 1 else "")
        lines.append(f"        t{k} = np.{np.dtype(dtype).name}({expr})")
        name[k] = f"t{k}"
    for i, k in enumerate(outputs):
        lines.append(f"        o{i}[i] = {name[k]}")
    return "\n".join(lines) + "\n"


def compile_group(plan: list, inputs: list[int], scalars: list[int], outputs: list[int], meta: dict):
    """The compiled loop of a group (cached by its source), compiled now, with the trace: a first replay that
    compiled would hide the compile time in a step's time."""
    src = kernel_source(plan, inputs, outputs, tuple(scalars))
    kernel = _KERNELS.get(src)
    if kernel is None:
        import numba
        ns: dict = {"np": np}
        exec(compile(src, "<tn.jit fused>", "exec"), ns)
        # error_model="numpy": x / 0 is inf or nan, as NumPy gives it (numba's default raises ZeroDivisionError)
        kernel = _KERNELS[src] = numba.njit(cache=False, nogil=True, error_model="numpy")(ns["kernel"])
        kernel(1, *[np.ones(1, meta[k][1]) for k in inputs], *[np.ones((), meta[k][1]) for k in scalars],
               *[np.empty(1, meta[k][1]) for k in outputs])
    return kernel, src


def _operands(op, meta: dict):
    """The operands of ``op`` if it can join a fused loop, else None."""
    from ._trace import Slot
    if op[0] != "call" or op[1] not in FUSABLE or op[3] or op[-2] is None or len(op[2]) != op[1].nin:
        return None
    shape, dtype = meta[op[-2]]
    if dtype.kind not in "fb":
        return None
    out = []
    for a in op[2]:
        if type(a) is Slot:
            if a.k not in meta:         # a live Python number (an optimiser's rate): not a loop operand yet
                return None
            sh, dt = meta[a.k]
            if (sh != shape and sh != ()) or dt.kind not in "fiub":
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
# so numba, not numexpr; a transcendental op joins a fused loop only on small arrays; arithmetic at any size
TRANSCENDENTAL = frozenset({np.sin, np.cos, np.tan, np.tanh, np.exp, np.log, np.log1p, np.expm1, np.sinh, np.cosh,
                            np.arctan})
MAX_TRANSCENDENTAL = 128


def groups(ops: list, live: list[int], meta: dict) -> list[list]:
    """Runs of at least two consecutive live ops that fuse, each ``[(index, operands, shape, dtype), ...]``."""
    found, run = [], []
    for i in live:
        got = _operands(ops[i], meta)
        if got is not None and ops[i][1] in TRANSCENDENTAL and int(np.prod(got[1])) > MAX_TRANSCENDENTAL:
            got = None
        if got is not None and run and got[1] == run[-1][2]:
            run.append((i,) + got)
            continue
        if len(run) >= 2:
            found.append(run)
        run = [(i,) + got] if got is not None else []
    if len(run) >= 2:
        found.append(run)
    return found
