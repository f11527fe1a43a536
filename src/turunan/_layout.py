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


def _probe(fn, pos: int, shape: tuple, other_shape: tuple, dtype: np.dtype, order: str) -> tuple:
    key = (fn, pos, shape, other_shape, dtype, order)
    got = _PROBED.get(key)
    if got is not None:
        return got
    rng = np.random.default_rng(0)

    def call(f, mine, other):
        return f(mine, other) if pos == 0 else f(other, mine)
    same = True
    for spread in (False, True):
        mine = _values(rng, shape, dtype, spread)
        other = np.asarray(_values(rng, other_shape, dtype, spread), order=order)
        want = call(np.matmul, mine, other).tobytes()
        fortran = np.asfortranarray(mine)
        same = same and call(fn, mine, other).tobytes() == want and call(fn, fortran, other).tobytes() == want \
            and call(np.matmul, fortran, other).tobytes() == want
    if same:
        t_c = _seconds(lambda a, b: call(fn, a, b), mine, other)
        t_f = _seconds(lambda a, b: call(fn, a, b), fortran, other)
    else:
        t_c = t_f = 0.0
    got = _PROBED[key] = (same, t_c, t_f)
    return got


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


def copy_pays(fn, pos: int, shape: tuple, other_shape: tuple, dtype, other_order: str) -> bool:
    """Whether a product reading, at ``pos``, the transpose of a C-ordered matrix (an F-ordered view of ``shape``,
    ``W.T`` in ``x @ W.T``) is as exact and faster by a tenth with that view first copied into a C-ordered buffer:
    OpenBLAS's path for a C-ordered operand times a transposed one is the slow one (128x10 by 10x256 float32:
    12.2 us; the copy 1.1 us and the product of C-ordered operands 8.4 us)."""
    dtype = np.dtype(dtype)
    key = (fn, pos, shape, other_shape, dtype, other_order)
    got = _COPIES.get(key)
    if got is not None:
        return got
    rng = np.random.default_rng(1)

    def call(f, mine, other):
        return f(mine, other) if pos == 0 else f(other, mine)
    same = True
    for spread in (False, True):
        view = _values(rng, shape[::-1], dtype, spread).T
        copy = np.ascontiguousarray(view)
        other = np.asarray(_values(rng, other_shape, dtype, spread), order=other_order)
        want = call(np.matmul, view, other).tobytes()
        same = same and call(fn, copy, other).tobytes() == want and call(fn, view, other).tobytes() == want
    if same:
        t_view = _seconds(lambda a, b: call(fn, a, b), view, other)
        t_copy = _seconds(lambda a, b: (np.copyto(copy, a), call(fn, copy, b)), view, other)
        same = t_copy < 0.9 * t_view
    _COPIES[key] = same
    return same
