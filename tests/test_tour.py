"""The tour (``python -m turunan tour``, part of ``make demo``): every style runs, prints like a notebook,
and writes the exercise-5 plot."""

import sys

import numpy
import pytest

import turunan
from turunan import __main__ as cli
from turunan import tour
from turunan.plotting import derivative_values, plot_with_derivative


def test_tour_prints_every_style_and_writes_the_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert tour.main(["--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    for title, first in [("MXNet", "from turunan.mxnet import autograd, np, npx"),
                         ("PyTorch", "import turunan.torch as torch"),
                         ("TensorFlow", "import turunan.tensorflow as tf")]:
        assert f"{title} — {first}" in text
    for shown in ["Out[2]: array([0., 1., 2., 3.])", "Out[4]: array(28.)", "Out[2]: tensor([0., 1., 2., 3.])",
                  "Out[4]: tensor(28., grad_fn=<MulBackward0>)",
                  "<tf.Tensor: shape=(4,), dtype=float32, numpy=array([0., 1., 2., 3.], dtype=float32)>",
                  "MXNetError: Cannot differentiate node", "RuntimeError: A non-persistent GradientTape",
                  "RuntimeError: Trying to backward through the graph a second time",
                  "array([ 0.,  8., 16., 24.])", "tensor([ 0.,  8., 16., 24.])"]:
        assert shown in text
    assert "False" not in text                  # every == check of the tour is all True
    png = tmp_path / "sin_and_derivative.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("style", list(tour.STYLES))
def test_each_style_checks_its_math(style, capsys):
    ns = tour.run_style(style)
    capsys.readouterr()
    out = ns["Out"]
    last = max(out)                                   # exercise 5: max |d sin/dx - cos|
    assert float(numpy.asarray(out[last])) < 1e-6
    ex1 = next(v for v in out.values() if isinstance(v, tuple) and len(v) == 3 and v[0].shape == (4,))
    x = numpy.arange(4.0)
    # (MXNet's third item is x.grad, a buffer later cells overwrite in place, as MXNet would)
    for got, want in zip(ex1[:2], [3 * x ** 2, 6 * x]):
        numpy.testing.assert_allclose(numpy.asarray(got.detach()), want)


def test_cli_dispatches_tour(capsys, tmp_path):
    assert cli.main(["tour", "--style", "pytorch", "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "PyTorch" in out and "MXNet —" not in out


def test_run_cell_returns_the_last_expression():
    ns: dict = {}
    assert tour.run_cell("a = 2\na * 3", ns) == 6 and ns["a"] == 2
    assert tour.run_cell("b = 1", ns) is None


def test_derivative_values_by_the_engine():
    x, y, dy = derivative_values(turunan.sin, numpy.linspace(-3, 3, 7))
    numpy.testing.assert_allclose(dy, numpy.cos(x), atol=1e-6)
    numpy.testing.assert_allclose(y, numpy.sin(x), atol=1e-6)
    with pytest.raises(ValueError, match="elementwise"):
        derivative_values(lambda t: t.sum(), [1.0, 2.0])


def test_plot_without_matplotlib_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"turunan\[plot\]"):
        plot_with_derivative(turunan.sin, [0.0, 1.0], tmp_path / "x.png")
    assert tour.write_plot(tmp_path, out=lambda s: None) is None


def test_three_ways_doc_examples_run(capsys):
    from readme import blocks
    found = blocks("The chapter, three ways")
    assert len(found) == 3
    for i, block in enumerate(found):
        exec(compile(block, f"README three-ways block {i}", "exec"), {"__name__": "__doc__"})  # noqa: S102
    out = capsys.readouterr().out
    assert "tensor([ 0.,  8., 16., 24.])" in out and "non-persistent GradientTape" in out


def test_the_pytorch_tour_shows_tn_jit_tracing_once_and_retracing_on_a_new_path(capsys):
    ns = tour.run_style("pytorch")
    text = capsys.readouterr().out
    assert "import turunan as tn\n" in text and "df = tn.jit(tn.grad(lambda a: f(a).sum()))" in text
    df, out = ns["df"], ns["Out"]
    shown = {n: v for n, v in out.items() if isinstance(v, tuple) and len(v) >= 2 and isinstance(v[1], int)}
    (first, again, other) = sorted(shown)[:3]
    numpy.testing.assert_array_equal(numpy.asarray(shown[first][0]), [512.0] * 3)     # 2 * 2**8 doublings
    assert shown[first][1] == 1
    numpy.testing.assert_array_equal(numpy.asarray(shown[again][0]), [512.0] * 3)
    assert shown[again][1:] == (1, 1)             # replayed, not traced again
    numpy.testing.assert_array_equal(numpy.asarray(shown[other][0]), [8.0] * 3)       # 2 * 2**2: another path
    assert shown[other][1] == 2
    assert df.trace_count == 2 and df.replay_count == 1
    heads = next(v for v in out.values() if isinstance(v, list))
    assert len(heads) == 2 and all(h.startswith("# ") and "guards" in h for h in heads)
    assert f"Out[{other}]: (tensor([8., 8., 8.]), 2)" in text
