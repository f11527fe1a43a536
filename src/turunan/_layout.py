"""Which memory order a replay gives an array it allocates that only feeds matrix products.

OpenBLAS multiplies a C-ordered matrix by a transposed one (``g @ W.T``, the gradient of ``x @ W``) through a
slower path than the other layouts: measured here, one thread, float32, 32x64 by 64x64: 2.1 us with both operands
C-ordered, 5.0 us as ``g @ W.T`` with ``g`` C-ordered, 2.2 us with ``g`` F-ordered. NumPy hands both layouts to BLAS
as they are (a transpose flag, no copy), and on these shapes the kernels add the same products in the same order:
the same bits. So an array a fused loop writes (it can write either order at the same cost) and that nothing but
matrix products reads may be F-ordered, where a probe on the very shapes shows that both the bits and the time
allow it. The probe runs once per shape with the trace (a few milliseconds), and its answer is kept.

The bits are compared on random values (two draws, one with exponents spread over 40 binades): kernels that add in
another order disagree on almost every element of such values, so agreement means the same order; it is compared
for every layout the product's other operand may have on a later replay (an array bound from outside may arrive
C- or F-ordered), and against ``np.matmul`` on the C-ordered array, which is what eager execution calls.

>>> import numpy as np
>>> order_for([(np.dot, 0, (32, 64), (64, 64), np.dtype(np.float32), ("F",), "F")]) in ("C", "F")
True
"""

from __future__ import annotations

import functools
import time

import numpy as np

__all__ = ["copy_pays", "order_for"]

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
