"""The chapter's own cells, tab by tab, run on turunan with only the import line changed.

Each tab's cells run in one namespace, in order, as in a notebook. Every displayed value is compared with
what the original framework prints (the math behind it: 4x, ones, 2x, u, d / a), and every ``==`` result
must be all True. The chapter file lives outside the repository (``../shared/seed/``, or ``$TURUNAN_CHAPTER``);
without it these tests skip and say why.
"""

import os
import re
from pathlib import Path

import numpy
import pytest

import turunan
from turunan.tour import run_cell

CHAPTER = Path(os.environ.get("TURUNAN_CHAPTER") or
               Path(__file__).resolve().parents[1] / ".." / "shared" / "seed" / "000_718bc18d1756f0ba.txt")

IMPORTS = {
    "mxnet": ("from mxnet import autograd, np, npx", "from turunan.mxnet import autograd, np, npx"),
    "pytorch": ("import torch", "import turunan.torch as torch"),
    "tensorflow": ("import tensorflow as tf", "import turunan.tensorflow as tf"),
}

_TF = "<tf.Tensor: shape=(4,), dtype={}, numpy=array({})>"
TRUE4 = "[ True,  True,  True,  True]"

# what each displayed cell prints (None: nothing shown; ... : a random value, checked by the math instead)
EXPECTED = {
    "mxnet": [
        None,
        "array([0., 1., 2., 3.])",
        "array([0., 0., 0., 0.])",
        "array(28.)",
        "array([ 0.,  4.,  8., 12.])",
        f"array({TRUE4})",
        "array([1., 1., 1., 1.])",
        "array([0., 2., 4., 6.])",
        f"array({TRUE4})",
        f"array({TRUE4})",
        None,
        None,
        "array(True)",
    ],
    "pytorch": [
        None,
        "tensor([0., 1., 2., 3.])",
        None,
        "tensor(28., grad_fn=<MulBackward0>)",
        "tensor([ 0.,  4.,  8., 12.])",
        "tensor([True, True, True, True])",
        "tensor([1., 1., 1., 1.])",
        "tensor([0., 2., 4., 6.])",
        "tensor([True, True, True, True])",
        "tensor([True, True, True, True])",
        None,
        None,
        "tensor(True)",
    ],
    "tensorflow": [
        None,
        _TF.format("float32", "[0., 1., 2., 3.], dtype=float32"),
        None,
        "<tf.Tensor: shape=(), dtype=float32, numpy=28.0>",
        _TF.format("float32", "[ 0.,  4.,  8., 12.], dtype=float32"),
        _TF.format("bool", TRUE4),
        _TF.format("float32", "[1., 1., 1., 1.], dtype=float32"),
        _TF.format("float32", "[0., 2., 4., 6.], dtype=float32"),
        _TF.format("bool", TRUE4),
        _TF.format("bool", TRUE4),
        None,
        ...,
        "<tf.Tensor: shape=(), dtype=bool, numpy=True>",
    ],
}


def chapter_cells() -> dict:
    """The ```{.python .input}``` cells of the chapter, by tab (untagged cells are MXNet's)."""
    text = CHAPTER.read_text(encoding="utf-8")
    tabs = {"mxnet": [], "pytorch": [], "tensorflow": []}
    for body in re.findall(r"```\{\.python \.input\}\n(.*?)```", text, flags=re.S):
        first, _, rest = body.partition("\n")
        tag = re.fullmatch(r"#@tab (\w+)", first.strip())
        if tag:
            tabs[tag.group(1)].append(rest)
        else:
            tabs["mxnet"].append(body)
    return tabs


def _same_text(style: str, got: str, want: str) -> bool:
    return got == want       # every style prints exactly what its framework prints


@pytest.fixture(scope="module")
def cells():
    if not CHAPTER.is_file():
        pytest.skip(f"the chapter file is not here: {CHAPTER} (set TURUNAN_CHAPTER to its path to run these tests)")
    return chapter_cells()


def test_the_chapter_has_the_three_tabs(cells):
    assert {k: len(v) for k, v in cells.items()} == {"mxnet": 13, "pytorch": 13, "tensorflow": 13}


@pytest.mark.parametrize("style", ["mxnet", "pytorch", "tensorflow"])
def test_tab_runs_with_only_the_import_changed(cells, style):
    original, ours = IMPORTS[style]
    turunan.manual_seed(0)      # the control-flow cell draws a random a; seeded, the run is repeatable
    ns: dict = {}
    shown = []
    for n, code in enumerate(cells[style]):
        if original in code:
            code = code.replace(original, ours)
        assert "turunan" in code or not re.search(r"^\s*(import|from) ", code, flags=re.M), \
            f"cell {n} imports something other than the framework"
        value = run_cell(code, ns)
        shown.append(None if value is None else repr(value))     # as printed then: objects change later
        if "==" in code.splitlines()[-1]:
            assert numpy.asarray(value).all(), f"cell {n}: {code.splitlines()[-1]!r} is not all True: {value!r}"
    for n, (text, want) in enumerate(zip(shown, EXPECTED[style])):
        if want is None:
            assert text is None, f"cell {n} shows {text}, the chapter shows nothing"
        elif want is not ...:
            assert _same_text(style, text, want), f"cell {n}: got {text}, want {want}"
    # the math behind the last cells: f(a) = k a, so the gradient is d / a (a scalar, float32)
    a, d = ns["a"].detach(), ns["d"].detach()     # (PyTorch's tensors that require grad refuse numpy())
    grad = ns["d_grad"] if style == "tensorflow" else ns["a"].grad
    assert a.shape == () and numpy.asarray(a).dtype == numpy.float32
    numpy.testing.assert_allclose(numpy.asarray(grad), numpy.asarray(d) / numpy.asarray(a), rtol=1e-6)
