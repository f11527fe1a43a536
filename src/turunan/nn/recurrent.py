"""Recurrent layers with PyTorch's equations, parameter names and shapes: ``RNN``, ``LSTM``, ``GRU``.

Each layer ``k`` holds ``weight_ih_l{k}`` (gates·H, input), ``weight_hh_l{k}`` (gates·H, H) and the two biases,
initialised U(−1/√H, 1/√H) as PyTorch's; the gates are stacked in PyTorch's order (LSTM: input, forget, cell,
output; GRU: reset, update, new), so a state_dict moves between the two libraries. The time loop is plain
Python over the core's differentiable ops.

>>> import turunan as tn
>>> lstm = LSTM(3, 4, batch_first=True, generator=tn.Generator(0))
>>> out, (h, c) = lstm(tn.ones((2, 5, 3)))
>>> out.shape, h.shape, c.shape
((2, 5, 4), (1, 2, 4), (1, 2, 4))
"""

from __future__ import annotations

import math

import numpy as np

from .. import _ops as ops
from .._array import beside
from .._creation import Generator, zeros
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["RNN", "LSTM", "GRU"]


class _Recurrent(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype=np.float32, generator: Generator | None = None) -> None:
        super().__init__()
        if bidirectional or dropout:
            raise NotImplementedError(f"{type(self).__name__}: bidirectional=True and dropout > 0 are not provided "
                                      "yet; stack two layers by hand (reversing the sequence) instead")
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError(f"hidden_size and num_layers must be positive, got {hidden_size} and {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        rows = self._gates * hidden_size
        for k in range(num_layers):
            cols = input_size if k == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{k}", Parameter(np.zeros((rows, cols), dtype)))
            self.register_parameter(f"weight_hh_l{k}", Parameter(np.zeros((rows, hidden_size), dtype)))
            if bias:
                self.register_parameter(f"bias_ih_l{k}", Parameter(np.zeros(rows, dtype)))
                self.register_parameter(f"bias_hh_l{k}", Parameter(np.zeros(rows, dtype)))
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, generator)

    def _layer(self, k: int):
        get = self._parameters.get
        return get(f"weight_ih_l{k}"), get(f"weight_hh_l{k}"), get(f"bias_ih_l{k}"), get(f"bias_hh_l{k}")

    def forward(self, x, hx=None):
        unbatched = x.ndim == 2
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects input of shape (L, N, {self.input_size}) "
                             f"(batch_first: (N, L, {self.input_size}), or unbatched (L, {self.input_size})), "
                             f"got {x.shape}")
        if unbatched:
            x = ops.expand_dims(x, 1)
        elif self.batch_first:
            x = ops.swapaxes(x, 0, 1)
        states = self._initial_states(hx, x.shape[1], x.dtype, unbatched, x)
        finals = []
        steps = [x[t] for t in range(x.shape[0])]
        for k in range(self.num_layers):
            state = tuple(s[k] for s in states)
            outs = []
            for xt in steps:
                state = self._cell(xt, state, *self._layer(k))
                outs.append(state[0])
            finals.append(state)
            steps = outs
        out = ops.stack(steps, 0)
        out = out[:, 0] if unbatched else (ops.swapaxes(out, 0, 1) if self.batch_first else out)
        h = tuple(ops.stack([f[i] for f in finals], 0) for i in range(len(states)))
        if unbatched:
            h = tuple(s[:, 0] for s in h)
        return out, (h if len(h) > 1 else h[0])

    def _initial_states(self, hx, batch: int, dtype, unbatched: bool, x=None) -> tuple:
        count = 2 if isinstance(self, LSTM) else 1
        if hx is None:      # zeros of x's array type (on the device for a CuPy input)
            zero = zeros((self.num_layers, batch, self.hidden_size), dtype=dtype)
            zero = zero if x is None else type(zero)._wrap(beside(zero._d, x))
            return (zero,) * count
        hx = tuple(hx) if count == 2 else (hx,)
        want = (self.num_layers, self.hidden_size) if unbatched else (self.num_layers, batch, self.hidden_size)
        for s in hx:
            if tuple(s.shape) != want:
                raise ValueError(f"{type(self).__name__}: the initial state must have shape {want}, got {s.shape}")
        return tuple(ops.expand_dims(s, 1) for s in hx) if unbatched else hx

    def extra_repr(self) -> str:
        extra = (f", num_layers={self.num_layers}" if self.num_layers != 1 else "") \
            + (", bias=False" if not self.bias else "") + (", batch_first=True" if self.batch_first else "")
        return f"{self.input_size}, {self.hidden_size}{extra}"


def _affine(x, w, b):
    return F.linear(x, w, b)


class RNN(_Recurrent):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (``nonlinearity='relu'``: relu); returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype=np.float32, generator: Generator | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
                         generator)

    def _cell(self, x, state, w_ih, w_hh, b_ih, b_hh):
        z = _affine(x, w_ih, b_ih) + _affine(state[0], w_hh, b_hh)
        return (ops.tanh(z) if self.nonlinearity == "tanh" else ops.maximum(z, 0.0),)


class LSTM(_Recurrent):
    """Gates i, f, g, o from W_ih x + b_ih + W_hh h + b_hh; c' = f·c + i·g, h' = o·tanh(c'); returns
    (output, (h_n, c_n))."""

    _gates = 4

    def _cell(self, x, state, w_ih, w_hh, b_ih, b_hh):
        h, c = state
        i, f, g, o = ops.split(_affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh), 4, axis=-1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c), c


class GRU(_Recurrent):
    """r, z = σ(W_i· x + b_i· + W_h· h + b_h·); n = tanh(W_in x + b_in + r·(W_hn h + b_hn)); h' = (1−z)·n + z·h."""

    _gates = 3

    def _cell(self, x, state, w_ih, w_hh, b_ih, b_hh):
        h = state[0]
        xr, xz, xn = ops.split(_affine(x, w_ih, b_ih), 3, axis=-1)
        hr, hz, hn = ops.split(_affine(h, w_hh, b_hh), 3, axis=-1)
        r, z = ops.sigmoid(xr + hr), ops.sigmoid(xz + hz)
        n = ops.tanh(xn + r * hn)
        return ((1 - z) * n + z * h,)
