"""``check_grads``: numerical proof of derivatives, in reverse and forward mode, to any order.

Central differences in float64 along one random direction, as HIPS autograd and JAX do: for random ``v`` (an
input direction) and ``u`` (an output direction), reverse mode must give ⟨u, J v⟩ = ⟨Jᵀu, v⟩ and forward
mode J v, both matching (f(x + εv) − f(x − εv)) / 2ε. For ``order=2`` the same check runs on the derivative
functions themselves (x ↦ ⟨Jᵀu, v⟩ and x ↦ ⟨u, J v⟩), which checks second derivatives, and so on.

Complex inputs and outputs are checked too, in JAX's and HIPS autograd's convention: ``v`` and ``u`` get random real
and imaginary parts (so both parts of an input are perturbed), and the pairing is Re Σ a·b (no conjugation): the
cotangent c of an input z with df = Re Σ c dz is what reverse mode must give.
"""

from __future__ import annotations

import numpy as np

from . import _rules, autograd
from ._core import Tensor
from .func import jvp as _jvp

EPS = 1e-6


def _inner(a, b) -> float:
    """Re Σ a·b: the pairing of cotangents with tangents (real, or complex in JAX's convention)."""
    return float(np.real(np.sum(_to_f64(a) * _to_f64(b))))


def _to_f64(x) -> np.ndarray:
    """``x`` in float64, or complex128 where it is complex."""
    x = x._d if isinstance(x, Tensor) else x
    return np.asarray(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64)


def _random_like(rng, x) -> np.ndarray:
    """A random direction of ``x``'s shape: with a random imaginary part too where ``x`` is complex."""
    v = rng.standard_normal(np.shape(x))
    return v + 1j * rng.standard_normal(np.shape(x)) if np.iscomplexobj(x) else v


def _real_part(t: Tensor) -> Tensor:
    return _rules.real(t) if t._d.dtype.kind == "c" else t


def _leaf(t: Tensor) -> Tensor:
    """A leaf that requires grad, keeping ``t``'s forward-mode tangents (so jvp of this check works)."""
    leaf = Tensor(t._d, requires_grad=True)
    leaf._tangents = t._tangents
    return leaf


def check_grads(f, args, order: int = 2, modes=("rev", "fwd"), eps: float = EPS, rtol: float = 1e-5,
                atol: float = 1e-6, seed: int = 0) -> None:
    """Assert that turunan's derivatives of ``f`` at ``args`` match finite differences, up to ``order``.

    ``f`` takes Tensors and returns one Tensor; ``args`` are arrays or numbers (checked in float64).

    >>> import turunan as tn
    >>> check_grads(lambda x: tn.sin(x) * x, [np.linspace(0, 1, 3)])
    """
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    # a check that checks nothing must not pass: order 0 or an unknown mode ran no comparison at all
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive integer, got {order!r}")
    if not modes or not set(modes) <= {"rev", "fwd"}:
        raise ValueError(f"check_grads: modes must name 'rev' and/or 'fwd', got {modes!r}")
    if not callable(f):
        raise TypeError(f"check_grads: f must be a function, got {type(f).__name__}")
    xs = [_to_f64(a) for a in args]
    rng = np.random.default_rng(seed)
    _check(f, xs, order, modes, eps, rtol, atol, rng)


def _numerical_jvp(f, xs, vs, eps):
    plus = f(*[Tensor(x + eps * v) for x, v in zip(xs, vs)])
    minus = f(*[Tensor(x - eps * v) for x, v in zip(xs, vs)])
    return (_to_f64(plus) - _to_f64(minus)) / (2 * eps)


def _close(name, got, want, rtol, atol) -> None:
    got, want = _to_f64(got), _to_f64(want)
    if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol):
        raise AssertionError(f"{name} derivative check failed:\n  turunan:   {got}\n  numerical: {want}")


def _check(f, xs, order, modes, eps, rtol, atol, rng) -> None:
    vs = [_random_like(rng, x) for x in xs]
    out = f(*[Tensor(x) for x in xs])
    if not isinstance(out, Tensor):
        raise TypeError(f"check_grads: f must return a turunan Tensor, got {type(out).__name__}")
    u = _random_like(rng, _to_f64(out))
    numeric = _numerical_jvp(f, xs, vs, eps)

    if "rev" in modes:
        def vjp_dot_v(*ts):
            ts = [t if t.requires_grad else _leaf(t) for t in ts]
            out = f(*ts)
            if not out.requires_grad:      # f does not depend on its inputs: the derivative is zero
                return Tensor(np.zeros(()))
            gs = autograd.grad(out, ts, grad_outputs=Tensor(u), create_graph=order > 1, allow_unused=True)
            total = Tensor(np.zeros(()))
            for g, v in zip(gs, vs):
                if g is not None:
                    if g.shape != v.shape:
                        raise AssertionError(f"gradient shape {g.shape} differs from its input's shape {v.shape}")
                    total = total + _real_part((g * v).sum())
            return total

        _close("reverse-mode", _to_f64(vjp_dot_v(*[Tensor(x) for x in xs])), _inner(u, numeric), rtol, atol)
        if order > 1:
            _check(vjp_dot_v, xs, order - 1, modes, eps, rtol, atol, rng)

    if "fwd" in modes:
        def jvp(f, xs, vs):
            return _jvp(f, tuple(xs), tuple(vs))[1]

        def u_dot_jvp(*ts):
            return _real_part((jvp(f, list(ts), [Tensor(v) for v in vs]) * u).sum())

        got = jvp(f, [Tensor(x) for x in xs], [Tensor(v) for v in vs])
        _close("forward-mode", _to_f64(got), numeric, rtol, atol)
        if order > 1:
            _check(u_dot_jvp, xs, order - 1, modes, eps, rtol, atol, rng)
