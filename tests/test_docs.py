"""The documentation runs: every ```python block of the README, and the docstring examples of every module."""

import contextlib
import doctest
import importlib
import io
import pkgutil

import numpy as np
import pytest
from readme import sections

import turunan

SECTIONS = {title: found for title, found in sections().items() if found}


def test_readme_has_examples():
    assert sum(len(b) for b in SECTIONS.values()) >= 10


@pytest.mark.parametrize("title", sorted(SECTIONS))
def test_readme_section_runs(title, tmp_path, monkeypatch):
    """A section's blocks run in order in one namespace, as a reader would run them."""
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    try:
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(over="ignore"):
            for i, block in enumerate(SECTIONS[title]):
                exec(compile(block, f"README.md, {title!r}, block {i}", "exec"), namespace)
    except ImportError as e:
        # turunan's own message for a missing optional extra ("... pip install ..."), or a block that imports an
        # extra's package itself (`import dask.array as da`); any other ImportError is a failure
        if "pip install" not in str(e) and (getattr(e, "name", None) or "").split(".")[0] not in OPTIONAL:
            raise
        pytest.skip(f"this section needs an optional extra: {e}")


# the packages of pyproject.toml's optional extras, which a README block may import itself
OPTIONAL = {"dask", "distributed", "mpi4py", "numba", "torch", "jax", "autograd", "scipy", "matplotlib", "sklearn",
            "tqdm", "graphviz"}


MODULES = sorted(m.name for m in pkgutil.walk_packages(turunan.__path__, "turunan.") if ".__main__" not in m.name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as e:        # a module of an optional extra that is not installed
        pytest.skip(f"{name} needs an optional dependency: {e}")
    if name.startswith("turunan.scipy") or name == "turunan.torch.special":
        pytest.importorskip("scipy", reason=f"{name}'s examples run SciPy's kernels (the scipy extra)")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
