"""The NumPy/SciPy surface turunan differentiates, next to HIPS autograd's and JAX's: ``python
benchmarks/coverage.py`` prints the README's table (the peers' columns need them installed; SciPy's rows need
SciPy).

For each namespace, every public callable of NumPy/SciPy itself is counted, and for each library the ones it
differentiates: turunan's names that are neither NumPy's own pass-throughs nor constant readers
(``turunan._plain``); HIPS autograd's names with a registered reverse rule (its primitives with a vjp, plus the
compositions of them it defines in the module); JAX's names present in ``jax.numpy``/``jax.scipy`` (JAX
differentiates everything it offers, save integer functions).
"""

from __future__ import annotations

import importlib
import inspect

AREAS = [("numpy", "turunan.numpy", "autograd.numpy", "jax.numpy"),
         ("numpy.linalg", "turunan.numpy.linalg", "autograd.numpy.linalg", "jax.numpy.linalg"),
         ("numpy.fft", "turunan.numpy.fft", "autograd.numpy.fft", "jax.numpy.fft"),
         ("scipy.special", "turunan.scipy.special", "autograd.scipy.special", "jax.scipy.special"),
         ("scipy.stats", "turunan.scipy.stats", "autograd.scipy.stats", "jax.scipy.stats"),
         ("scipy.linalg", "turunan.scipy.linalg", "autograd.scipy.linalg", "jax.scipy.linalg"),
         ("scipy.signal", "turunan.scipy.signal", "autograd.scipy.signal", "jax.scipy.signal"),
         ("scipy.integrate", "turunan.scipy.integrate", "autograd.scipy.integrate", "jax.experimental.ode")]


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def public(module) -> list[str]:
    """The public names of ``module`` that are functions, ufuncs or distributions (not classes, modules, types)."""
    out = []
    for n in dir(module):
        if n.startswith("_") or n == "test":
            continue
        try:
            v = getattr(module, n)
        except AttributeError:
            continue
        if inspect.ismodule(v) or inspect.isclass(v):
            continue
        if callable(v) or type(v).__name__.endswith("_gen") or hasattr(v, "logpdf") or hasattr(v, "logpmf"):
            out.append(n)
    return sorted(out)


def _turunan_has(module, name: str) -> bool:
    from turunan import _plain
    try:
        v = getattr(module, name)
    except AttributeError:
        return False
    return not getattr(v, "without_gradient", False) and name not in _plain.AS_IS


def _hips_has(module, name: str) -> bool:
    try:
        from autograd.core import primitive_vjps
        v = getattr(module, name)
    except (ImportError, AttributeError):
        return False
    if v in primitive_vjps:
        return True
    if hasattr(v, "logpdf") or hasattr(v, "pdf"):       # a distribution module: its functions are primitives
        return True
    fun = getattr(v, "fun", None)                       # a wrapped primitive without a vjp: not differentiable
    return fun is None and inspect.isfunction(v) and v.__module__.startswith("autograd")


def _jax_has(module, name: str) -> bool:
    return module is not None and hasattr(module, name)


def table() -> list[str]:
    rows = ["| namespace | callables | turunan | HIPS autograd | JAX |", "| --- | --- | --- | --- | --- |"]
    for reference, ours, hips, jax in AREAS:
        ref = _module(reference)
        if ref is None:
            rows.append(f"| `{reference}` | (not installed) | | | |")
            continue
        names = public(ref)
        mods = [_module(m) for m in (ours, hips, jax)]
        counts = []
        for mod, has in zip(mods, (_turunan_has, _hips_has, _jax_has)):
            counts.append("—" if mod is None else str(sum(has(mod, n) for n in names)))
        rows.append(f"| `{reference}` | {len(names)} | {' | '.join(counts)} |")
    return rows


if __name__ == "__main__":
    print("\n".join(table()))
