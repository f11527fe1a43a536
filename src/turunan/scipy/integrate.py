"""``turunan.scipy.integrate.odeint``: an ODE solution, differentiable by the adjoint method.

The forward pass is an adaptive Dormand-Prince 5(4) Runge-Kutta solver (NumPy, fixed tolerances ``rtol`` and
``atol``) that lands on every requested time. The reverse pass is the adjoint method, as HIPS autograd's and JAX's
``odeint``: one augmented system (the state, its adjoint, and the gradients of the start time and of ``args``)
integrated backwards from the last time to the first, the vector-Jacobian products of ``func`` taken by turunan
on the way. So the memory does not grow with the number of steps, and gradients reach ``y0``, every time in ``t``
and every argument in ``args``.

First derivatives only: a gradient of the gradient (``create_graph=True``), forward mode (``jvp``) and ``vmap``
through ``odeint`` raise NotImplementedError (never a silent wrong number).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _forward, _mode
from .._core import Tensor
from .._custom import custom_vjp
from ..func import vjp

__all__ = ["odeint"]

# Dormand-Prince 5(4): nodes, stage coefficients, the 5th-order weights and (5th - 4th)-order error weights
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = ((), (1 / 5,), (3 / 40, 9 / 40), (44 / 45, -56 / 15, 32 / 9),
      (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
      (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
      (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
_B = np.array(_A[6] + (0.0,))
_E = _B - np.array((5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40))


def _rms(x) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def _initial_step(f, t, y, f0, rtol, atol) -> float:
    """Hairer, Norsett and Wanner's first step: small enough for the solution's scale and curvature."""
    scale = atol + np.abs(y) * rtol
    d0, d1 = _rms(y / scale), _rms(f0 / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    d2 = _rms((f(y + h0 * f0, t + h0) - f0) / scale) / h0
    h1 = max(1e-6, h0 * 1e-3) if max(d1, d2) <= 1e-15 else (0.01 / max(d1, d2)) ** 0.2
    return min(100 * h0, h1)


def _step(f, t, y, h, k1):
    """One Dormand-Prince step: the new state, its derivative there (the next step's first stage), the error."""
    ks = [k1]
    for i in range(1, 7):
        y_stage = y + h * sum(a * k for a, k in zip(_A[i], ks) if a)
        ks.append(f(y_stage, t + _C[i] * h))
    y_new = y_stage                    # the 7th stage is evaluated at the 5th-order solution (FSAL)
    err = h * sum(e * k for e, k in zip(_E, ks) if e)
    return y_new, ks[6], err


def _integrate(f, y0: np.ndarray, ts: np.ndarray, rtol: float, atol: float, mxstep: float) -> np.ndarray:
    """The solution of dy/dt = f(y, t), y(ts[0]) = y0, at each of the increasing times ``ts`` (flat float64)."""
    ys = [y0]
    t, y = float(ts[0]), y0
    k1 = f(y, t)
    h = _initial_step(f, t, y, k1, rtol, atol) if len(ts) > 1 else 0.0
    for t_next in ts[1:]:
        steps = 0
        while t < t_next:
            if steps >= mxstep:
                raise RuntimeError(f"odeint: more than mxstep={mxstep} steps between t={t} and t={t_next}; the "
                                   "problem may be stiff: loosen rtol/atol or raise mxstep")
            last = h >= t_next - t
            dt = t_next - t if last else h
            y_new, k_new, err = _step(f, t, y, dt, k1)
            ratio = _rms(err / (atol + rtol * np.maximum(np.abs(y), np.abs(y_new))))
            if not np.isfinite(ratio):
                raise FloatingPointError(f"odeint: the solution is not finite near t={t}")
            if ratio <= 1:
                t, y, k1 = (float(t_next) if last else t + dt), y_new, k_new
            h = dt * min(10.0, max(0.2, 0.9 * ratio ** -0.2)) if ratio > 0 else dt * 10.0
            steps += 1
        ys.append(y)
    return np.stack(ys)


def _value(v) -> np.ndarray:
    return np.asarray(v.detach().numpy() if isinstance(v, Tensor) else v, dtype=np.float64)


def _flat_func(func, shape, args):
    """func on flat arrays, without recording: what the forward solver calls."""
    def f(y, t):
        with _mode.no_grad():
            out = func(Tensor(y.reshape(shape)), Tensor(np.float64(t)), *[Tensor(a) for a in args])
        out = _value(out)
        if out.shape != shape:
            raise ValueError(f"odeint: func must return dy/dt of y's shape {shape}, got shape {out.shape}")
        return out.ravel()
    return f


def _primal(func, opts, y0, t, *args):
    ys = _integrate(_flat_func(func, np.shape(_value(y0)), [_value(a) for a in args]), _value(y0).ravel(),
                    _value(t), *opts)
    return Tensor(ys.reshape((len(ys),) + np.shape(_value(y0))))


def _fwd(func, opts, y0, t, *args):
    out = _primal(func, opts, y0, t, *args)
    return out, (out.detach().numpy(), _value(t), [_value(a) for a in args])


def _adjoint_dynamics(func, shape, args):
    """The augmented system in reversed time s = -t: the state y, its adjoint y_bar, the start time's gradient and
    the arguments' gradients, as one flat vector (HIPS autograd's and JAX's adjoint)."""
    n = math.prod(shape)
    sizes = [a.size for a in args]

    def f(state, s):
        y, y_bar = state[:n].reshape(shape), state[n:2 * n].reshape(shape)
        dy, pull = vjp(lambda y, t, *args: func(y, t, *args), y, np.float64(-s), *args)
        cts = pull(Tensor(y_bar))
        parts = [-_value(dy).ravel()] + [_value(c).ravel() for c in cts]
        return np.concatenate(parts)
    return f, n, sizes


def _bwd(func, opts, res, g):
    if _mode.is_grad_enabled():
        raise NotImplementedError("odeint: first derivatives only (its adjoint runs outside the graph); a gradient "
                                  "of its gradient (create_graph=True, hessian) is not supported")
    ys, ts, args = res
    g = _value(g)
    shape = ys.shape[1:]
    f, n, sizes = _adjoint_dynamics(func, shape, args)
    rhs = _flat_func(func, shape, args)
    y_bar, t0_bar = g[-1].ravel(), 0.0
    args_bar = np.zeros(sum(sizes))
    ts_bar = np.zeros(len(ts))
    for i in range(len(ts) - 1, 0, -1):
        t_bar = float(rhs(ys[i].ravel(), ts[i]) @ g[i].ravel())     # moving an output time moves y(t_i)
        ts_bar[i] = t_bar
        t0_bar -= t_bar
        state = np.concatenate([ys[i].ravel(), y_bar, [t0_bar], args_bar])
        state = _integrate(f, state, np.array([-ts[i], -ts[i - 1]]), *opts)[-1]
        y_bar = state[n:2 * n] + g[i - 1].ravel()
        t0_bar, args_bar = float(state[2 * n]), state[2 * n + 1:]
    ts_bar[0] = t0_bar
    split = np.split(args_bar, np.cumsum(sizes)[:-1]) if sizes else []
    return (y_bar.reshape(shape), ts_bar, *[b.reshape(a.shape) for b, a in zip(split, args)])


_odeint = custom_vjp(_primal, nondiff_argnums=(0, 1))
_odeint.defvjp(_fwd, _bwd)


def _extra_arguments(args: tuple, keywords: dict) -> tuple:
    """The arguments after t: JAX's (positional) or SciPy's (``args=(...)``), never both, never ambiguous."""
    if set(keywords) - {"args"}:
        raise TypeError(f"odeint got unexpected keyword arguments {sorted(set(keywords) - {'args'})}; it takes "
                        "rtol, atol, mxstep and args")
    if "args" in keywords:
        if args:
            raise TypeError("odeint: give the extra arguments either after t (JAX's odeint(func, y0, t, *args)) or "
                            "as args=(...) (SciPy's), not both")
        extra = keywords["args"]
        return tuple(extra) if isinstance(extra, (tuple, list)) else (extra,)
    for a in args:
        if isinstance(a, (tuple, list)):
            raise TypeError("odeint: an extra argument is a tuple or list: pass the arguments one by one after t "
                            "(JAX's odeint(func, y0, t, a, b)) or as args=(a, b) (SciPy's, HIPS autograd's)")
    return args


def odeint(func, y0, t, *args, rtol: float = 1.4e-8, atol: float = 1.4e-8, mxstep: float = math.inf,
           **keywords) -> Tensor:
    """Solve dy/dt = func(y, t, *args) from y(t[0]) = y0; returns y at each time of ``t`` (shape (len(t),) +
    y0's shape). JAX's signature, and SciPy's and HIPS autograd's ``args=(...)`` keyword; differentiable (reverse
    mode, first order) in ``y0``, ``t`` and ``args`` by the adjoint method. ``t`` must be strictly increasing;
    ``func`` takes and returns Tensors of y0's shape.

    >>> import turunan as tn
    >>> y = odeint(lambda y, t, k: -k * y, 1.0, tn.tensor([0.0, 1.0], dtype=tn.float64), 0.5)
    >>> round(float(y[1]), 6)           # exp(-0.5)
    0.606531
    """
    args = _extra_arguments(args, keywords)
    if not callable(func):
        raise TypeError(f"odeint: func must be a function of (y, t, *args), got {type(func).__name__}")
    times = _value(t)
    if times.ndim != 1 or len(times) < 1 or np.any(np.diff(times) <= 0) or not np.all(np.isfinite(times)):
        raise ValueError(f"odeint: t must be a 1-d array of finite, strictly increasing times, got {times!r}")
    if _forward.live():
        raise NotImplementedError("odeint: forward mode (jvp, jacfwd) is not supported; use reverse mode "
                                  "(grad, vjp, jacrev)")
    as_input = [v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=np.float64)) for v in (y0, t, *args)]
    for v in as_input:
        if v.dtype.kind != "f":
            raise TypeError(f"odeint: y0, t and args must be real floating-point numbers, got dtype {v.dtype}")
    return _odeint(func, (float(rtol), float(atol), mxstep), *as_input)
