"""Plot a function next to its derivative, the derivative computed by turunan's engine (the chapter's
exercise 5: sin(x) and d sin(x)/dx, without using that the answer is cos(x)).

matplotlib is optional (``pip install 'turunan[plot]'``); it is imported only when a plot is drawn.

>>> import turunan as tn
>>> x, y, dy = derivative_values(tn.sin, [0.0, 1.0])
>>> bool(abs(dy[1] - 0.5403023) < 1e-6)      # cos(1), found by backpropagation
True
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import autograd
from ._core import Tensor


def derivative_values(f: Callable, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x``, ``f(x)`` and ``f'(x)`` as NumPy arrays; ``f'`` by reverse mode through the engine.

    ``f`` must act elementwise (as sin does): then the gradient of sum(f(x)) is f'(x) at every point, so one
    backward pass gives the whole curve.
    """
    xt = Tensor(np.asarray(x._d if isinstance(x, Tensor) else x, dtype=np.float32), requires_grad=True)
    y = f(xt)
    if not isinstance(y, Tensor) or y.shape != xt.shape:
        raise ValueError("f must take a Tensor and return a Tensor of the same shape (an elementwise function)")
    (dy,) = autograd.grad(y, [xt], sum_non_scalar=True)
    return np.asarray(xt._d), np.asarray(y._d), np.asarray(dy._d)


def plot_with_derivative(f: Callable, x=None, path: str | Path = "out/derivative.png", *, name: str = "f",
                         reference: Callable | None = None, reference_label: str | None = None,
                         title: str | None = None) -> Path:
    """Draw ``f(x)`` and its derivative (by autodiff) to the PNG file ``path``; return the path.

    ``x`` defaults to 200 points over [-2π, 2π]. ``reference`` (e.g. ``numpy.cos``) is drawn dashed over
    the computed derivative, so the plot shows that they agree.

    >>> import turunan as tn, numpy as np                         # doctest: +SKIP
    >>> plot_with_derivative(tn.sin, path="out/sin.png", name="sin", reference=np.cos)   # doctest: +SKIP
    PosixPath('out/sin.png')
    """
    try:
        from matplotlib.figure import Figure  # the object API: no pyplot, no global backend change
    except ImportError:
        raise ImportError("plot_with_derivative needs matplotlib, an optional extra of turunan: "
                          "pip install 'turunan[plot]' (or pip install matplotlib)") from None
    if x is None:
        x = np.linspace(-2 * np.pi, 2 * np.pi, 200)
    xs, ys, dys = derivative_values(f, x)
    fig = Figure(figsize=(7, 4.4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(xs, ys, label=f"{name}(x)")
    ax.plot(xs, dys, label=f"d{name}(x)/dx  (turunan, backpropagation)")
    if reference is not None:
        label = reference_label or getattr(reference, "__name__", "reference") + "(x)"
        ax.plot(xs, np.asarray(reference(xs)), "--", label=label)
    ax.set_xlabel("x")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)   # off the curves
    ax.set_title(title or f"{name}(x) and its derivative computed by the engine")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
