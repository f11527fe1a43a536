"""The memory order of a replay's arrays around matrix products, chosen by probing the very shapes.

OpenBLAS multiplies a C-ordered matrix by a transposed one (``g @ W.T``, the gradient of ``x @ W``) through a
slower path than the other layouts: measured here, one thread, float32, 32x64 by 64x64: 2.1 us with both operands
C-ordered, 5.0 us as ``g @ W.T`` with ``g`` C-ordered, 2.2 us with ``g`` F-ordered. NumPy hands every layout to BLAS
as it is (a transpose flag, no copy), and on these shapes the kernels add the same products in the same order: the
same bits. So, where a probe on the very shapes shows that both the bits and the time allow it (``turunan._replay``
asks, with ``tn.jit(fuse=True)``):

- an array a fused loop writes and nothing but matrix products read is written F-ordered (``product_order``; the
  loop writes it through a row of scratch, ~0.6 us more on 32x64, repaid by the products);
- otherwise, a product's operand that is the transpose of a C-ordered matrix is copied into a C-ordered buffer
  first (``copied_transposes``; mlp_train's ``g @ W2.T``, 12.2 us, becomes a 1.1 us copy and an 8.4 us product).

The bits are compared on random values (two draws, one with exponents spread over 40 binades): kernels that add in
another order disagree on almost every element of such values, so agreement means the same order; they are compared
for every layout the product's other operand may have on a later replay (an array bound from outside may arrive
C- or F-ordered), and against ``np.matmul`` on the arrays eager execution has, which is what it calls. Each probe
runs once per shape, with the trace (a few milliseconds), and its answer is kept. The replay's own buffers start on
a cache line (``aligned_empty``).

>>> import numpy as np
>>> order_for([(np.dot, 0, (32, 64), (64, 64), np.dtype(np.float32), ("F",), "F")]) in ("C", "F")
True
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ._trace import Slot

__all__ = ["aligned_empty", "copied_transposes", "copy_pays", "order_for", "product_order", "transpose_views"]

_PROBED: dict = {}      # (fn, position, shape, other shape, dtype, other order) -> (same bits, seconds C, seconds F)


def _values(rng, shape, dtype, spread: bool) -> np.ndarray:
    x = rng.standard_normal(shape)
    if spread:
        x = x * np.exp2(rng.integers(-20, 20, shape))
    return x.astype(dtype)


def _seconds(fn, a, b) -> float:
    t0 = time.perf_counter()
    fn(a, b)
    once = time.perf_counter() - t0
    reps = max(1, min(200, int(5e-4 / max(once, 1e-7))))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(a, b)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def _orient(fn, pos: int):
    """``fn`` taking the probed operand first, whichever side of the product it is on."""
    return fn if pos == 0 else (lambda mine, other: fn(other, mine))


def _draws(seed: int, shape: tuple, other_shape: tuple, dtype, order: str, transposed: bool = False):
    """Two draws of (the probed operand, the other one): plain values, then exponents spread over 40 binades.
    ``transposed``: the probed operand is the transpose of a C-ordered matrix (an F-ordered view)."""
    rng = np.random.default_rng(seed)
    for spread in (False, True):
        mine = _values(rng, shape[::-1] if transposed else shape, dtype, spread)
        yield (mine.T if transposed else mine), np.asarray(_values(rng, other_shape, dtype, spread), order=order)


def _kept(table: str):
    """A probe run once per argument tuple, its answer kept in the module's dict ``table``."""
    def wrap(probe):
        @functools.wraps(probe)
        def kept(*args):
            done = globals()[table]
            got = done.get(args)
            if got is None:
                got = done[args] = probe(*args)
            return got
        return kept
    return wrap


@_kept("_PROBED")
def _probe(fn, pos: int, shape: tuple, other_shape: tuple, dtype: np.dtype, order: str) -> tuple:
    fast, eager = _orient(fn, pos), _orient(np.matmul, pos)
    same = True
    for mine, other in _draws(0, shape, other_shape, dtype, order):
        want, fortran = eager(mine, other).tobytes(), np.asfortranarray(mine)
        same = same and all(f(m, other).tobytes() == want for f, m in ((fast, mine), (fast, fortran),
                                                                        (eager, fortran)))
    if same:
        return same, _seconds(fast, mine, other), _seconds(fast, fortran, other)
    return same, 0.0, 0.0


def order_for(uses: list) -> str:
    """"F" where an array read only by the products ``uses`` may be F-ordered (the same bits for every layout their
    other operands may have, and faster in all by a tenth), else "C". Each use: (the function the replay calls,
    the array's position in it, its shape, the other operand's shape, the dtype, the orders the other operand may
    have, the order it had when traced)."""
    t_c = t_f = 0.0
    for fn, pos, shape, other_shape, dtype, orders, traced in uses:
        for order in orders:
            same, c, f = _probe(fn, pos, shape, other_shape, dtype, order)
            if not same:
                return "C"
            if order == traced:
                t_c, t_f = t_c + c, t_f + f
    return "F" if t_f < 0.9 * t_c else "C"


_COPIES: dict = {}      # (fn, position, view shape, other shape, dtype, other order) -> whether a copy pays


@_kept("_COPIES")
def copy_pays(fn, pos: int, shape: tuple, other_shape: tuple, dtype: np.dtype, other_order: str) -> bool:
    """Whether a product reading, at ``pos``, the transpose of a C-ordered matrix (an F-ordered view of ``shape``,
    ``W.T`` in ``x @ W.T``) is as exact and faster by a tenth with that view first copied into a C-ordered buffer:
    OpenBLAS's path for a C-ordered operand times a transposed one is the slow one (128x10 by 10x256 float32:
    12.2 us; the copy 1.1 us and the product of C-ordered operands 8.4 us)."""
    fast, eager = _orient(fn, pos), _orient(np.matmul, pos)
    same = True
    for view, other in _draws(1, shape, other_shape, dtype, other_order, transposed=True):
        copy, want = np.ascontiguousarray(view), eager(view, other).tobytes()
        same = same and all(fast(m, other).tobytes() == want for m in (copy, view))
    if same:
        t_copy, t_view = _copy_timing(fast, copy, view, other)
        same = t_copy < 0.9 * t_view
    return same


def _copy_timing(fast, copy, view, other) -> tuple:
    """(seconds of the product with the view copied first, seconds without the copy)."""
    return _seconds(lambda a, b: (np.copyto(copy, a), fast(copy, b)), view, other), _seconds(fast, view, other)


# ---- the replay's passes that use the probes (turunan._replay) ------------------------------------------------
def transpose_views(ops) -> dict:
    """slot -> the slot it is the ``.mT`` or ``.T`` of, over a trace's ops (made once per compiled trace)."""
    return {op[-2]: op[1] for op in ops if op[0] == "attr" and op[2] in ("mT", "T") and op[-2] is not None}


def aligned_empty(shape: tuple, dtype, order: str = "C") -> np.ndarray:
    """``np.empty`` at a 64-byte boundary: a replay's buffers, allocated once, start on a cache line (NumPy's own
    start at 16 bytes; BLAS and NumPy's SIMD loops on such arrays measured 5-10% slower on 32x64 float32)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(n + 64, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + n].view(dtype).reshape(shape, order=order)


def copied_transposes(rec, ops, dead_ops, consts, dots, src, view_of, fortran=frozenset()) -> dict:
    """index -> (position, buffer) for matrix products of an operand that is the transpose of a C-ordered matrix
    (``g @ W2.T``) where ``turunan._layout.copy_pays`` finds copying it into a C-ordered buffer first as exact and
    faster. The buffer is shared by every such copy of its shape (each is read at once by its product)."""
    buffers: dict = {}
    out = {}
    for i, op in enumerate(ops):
        if i in dead_ops or op[0] != "call" or op[1] is not np.matmul or len(op[2]) != 2 or op[3] or op[-1] \
                or not all(type(a) is Slot for a in op[2]):
            continue
        pair = [src.alias.get(a.k, a.k) for a in op[2]]
        if not all(k in rec.meta and len(rec.meta[k][0]) == 2 and min(rec.meta[k][0]) >= 2 for k in pair) \
                or len({rec.meta[k][1] for k in pair}) != 1 or rec.meta[pair[0]][1] not in (np.float32, np.float64):
            continue
        for pos in (0, 1):
            base = view_of.get(pair[pos])
            if base is None:
                continue
            base = src.alias.get(base, base)
            if base in consts:
                c_ordered = consts[base].flags.c_contiguous
            elif base in rec.inputs:        # (a later call's other layout: copied from a C view, the same values)
                c_ordered = base in rec.blasable and base not in rec.f_ordered
            else:
                c_ordered = base in rec.fresh and base not in rec.not_c
            other = pair[1 - pos]
            other_c = other in rec.fresh and other not in rec.not_c and other not in view_of and other not in fortran
            shape, dtype = rec.meta[pair[pos]]
            if c_ordered and other_c and copy_pays(np.dot if i in dots else np.matmul, pos, shape,
                                                   rec.meta[other][0], dtype, "C"):
                if (shape, dtype) not in buffers:
                    buffers[shape, dtype] = src.const(aligned_empty(shape, dtype))
                out[i] = (pos, buffers[shape, dtype])
                break
    return out


def product_order(rec, ops, k, later, dots, consts, src, view_of) -> str:
    """"F" where the array of slot ``k`` (2-D, made by a fused loop) is read by nothing but the matrix products at
    op indices ``later``, and ``turunan._layout`` finds them as exact and faster with it F-ordered; else "C"."""
    shape, dtype = rec.meta[k]
    if len(shape) != 2 or min(shape) < 2 or dtype not in (np.float32, np.float64) or k in rec.viewed or not later:
        return "C"
    uses = []
    for j in later:
        op = ops[j]
        if op[0] != "call" or op[1] is not np.matmul or len(op[2]) != 2 or op[3] or op[-1] or \
                not all(type(a) is Slot for a in op[2]):
            return "C"
        pair = [src.alias.get(a.k, a.k) for a in op[2]]
        if pair.count(k) != 1:
            return "C"
        pos = pair.index(k)
        other = pair[1 - pos]
        if other not in rec.meta or len(rec.meta[other][0]) != 2 or min(rec.meta[other][0]) < 2 \
                or rec.meta[other][1] != dtype:
            return "C"
        base = src.alias.get(view_of.get(other, other), view_of.get(other, other))
        flip = base != other
        if base in consts:
            f = consts[base].flags
            traced = "C" if f.c_contiguous else "F" if f.f_contiguous else None
            orders = (traced,)
        elif base in rec.inputs:        # bound from outside: a later call may bring either layout
            traced = "F" if base in rec.f_ordered else "C" if base in rec.blasable else None
            orders = ("C", "F")
        elif base in rec.fresh and base not in rec.not_c:
            traced = "C"
            orders = (traced,)
        else:
            return "C"
        if traced is None:
            return "C"
        if flip:
            traced = "F" if traced == "C" else "C"
            orders = tuple("F" if o == "C" else "C" for o in orders)
        uses.append((np.dot if j in dots else np.matmul, pos, shape, rec.meta[other][0], dtype, orders, traced))
    return order_for(uses)
