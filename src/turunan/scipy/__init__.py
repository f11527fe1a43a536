"""``turunan.scipy``: SciPy's names, differentiable (HIPS autograd's ``autograd.scipy``, JAX's ``jax.scipy``).

SciPy is an optional extra (``pip install 'turunan[scipy]'``). Each submodule loads on first use
(``turunan.scipy.special``, or ``from turunan.scipy import stats``), so ``import turunan.scipy`` needs nothing;
a submodule whose kernels need SciPy raises an ImportError with the install hint where it is missing.

>>> import turunan.scipy
>>> "special" in turunan.scipy.SUBMODULES
True
"""

from __future__ import annotations

import importlib

# one line per submodule: it is imported when first named
SUBMODULES = {
    "special",
    "stats",
    "integrate",
    "misc",
    "linalg",
    "signal",
}


def __getattr__(name: str):
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'turunan.scipy' has no attribute {name!r}; its submodules are "
                         f"{', '.join(sorted(SUBMODULES))}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | SUBMODULES)
