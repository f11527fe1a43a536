"""A tensor's text as PyTorch prints it (``torch/_tensor_str.py``: precision 4, linewidth 80, threshold 1000).

>>> import turunan.torch as torch
>>> torch.tensor([1.0, 0.5, 100.0])
tensor([  1.0000,   0.5000, 100.0000])
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import _core
from ._types import as_dtype

_PRECISION, _LINEWIDTH, _THRESHOLD, _EDGEITEMS = 4, 80, 1000, 3


class _Formatter:
    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = builtins.max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        absval = np.abs(finite)
        lo, hi = absval.min(), absval.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        for v in finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{_PRECISION}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{_PRECISION}f}")
            self.max_width = builtins.max(self.max_width, width)

    def format(self, v) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{v:{self.max_width}.{_PRECISION}e}"
            elif self.int_mode:
                text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                text = f"{v:.{_PRECISION}f}"
        else:
            text = str(v)
        return " " * (self.max_width - len(text)) + text


def _summarized(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:_EDGEITEMS], a[-_EDGEITEMS:]]) if a.shape[0] > 2 * _EDGEITEMS else a
    rows = list(range(_EDGEITEMS)) + list(range(a.shape[0] - _EDGEITEMS, a.shape[0])) \
        if a.shape[0] > 2 * _EDGEITEMS else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _text(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    cut = summarize and a.shape[0] > 2 * _EDGEITEMS
    if a.ndim == 1:
        per_line = builtins.max(1, (_LINEWIDTH - indent) // (fmt.max_width + 2))
        if cut:
            items = ([fmt.format(v) for v in a[:_EDGEITEMS].tolist()] + [" ..."]
                     + [fmt.format(v) for v in a[-_EDGEITEMS:].tolist()])
        else:
            items = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = (list(range(_EDGEITEMS)) + [None] + list(range(a.shape[0] - _EDGEITEMS, a.shape[0]))) if cut \
        else range(a.shape[0])
    parts = ["..." if i is None else _text(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_torch(t: _core.Tensor, prefix: str = "tensor(") -> str:
    """The text PyTorch prints for a tensor: ``tensor([1.0000, 0.5403], dtype=torch.float64, grad_fn=<...>)``."""
    a = np.asarray(t._d)
    indent = len(prefix)
    suffixes = []
    default = a.dtype in (np.float32, np.int64, np.bool_)
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != np.float32:
            suffixes.append(f"dtype={as_dtype(a.dtype)!r}")
    else:
        summarize = a.size > _THRESHOLD
        body = _text(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))
        if not default:
            suffixes.append(f"dtype={as_dtype(a.dtype)!r}")
    if t._node is not None:
        suffixes.append(f"grad_fn=<{t._node.name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = [prefix + body]
    last = len(out[0]) - out[0].rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _LINEWIDTH:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"
