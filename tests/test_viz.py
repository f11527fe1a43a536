"""turunan.viz: the computation graph as DOT (rendered where Graphviz is installed) and the graph command."""

import shutil

import numpy as np
import pytest

import turunan as tn
from turunan import nn, viz


def chapter_graph():
    x = tn.arange(4.0, requires_grad=True)
    return 2 * tn.dot(x, x), x


def test_chapter_graph_shows_ops_shapes_and_leaves():
    y, x = chapter_graph()
    g = viz.draw_graph(y, params={"x": x})
    src = g.source
    assert src.startswith("digraph turunan {") and src.rstrip().endswith("}")
    for text in ("MulBackward0", "SumBackward0", '"x\\n(4,)\\nrequires_grad"', "output\\n()", "no grad"):
        assert text in src, text
    assert src.count("requires_grad") == 1            # one leaf, reached twice, drawn once
    assert src.count("->") >= 4


def test_graph_marks_gradients_and_freed_graphs():
    y, x = chapter_graph()
    y.backward()
    src = viz.draw_graph(y, params={"x": x}).source
    assert ".grad (4,)" in src and "(saved values freed)" in src


def test_model_graph_names_parameters_and_is_walked_without_recursion():
    g = tn.Generator(0)
    model = nn.Sequential(nn.Linear(3, 4, generator=g), nn.ReLU(), nn.Linear(4, 2, generator=g))
    loss = model(tn.ones(5, 3)).sum()
    src = viz.draw_graph(loss, params=dict(model.named_parameters())).source
    for name in ("0.weight", "0.bias", "2.weight", "2.bias", "ReluBackward0"):
        assert name in src
    x = tn.ones(3, requires_grad=True)
    y = x
    for _ in range(5000):                            # deeper than Python's recursion limit allows
        y = y * 1.0
    assert viz.draw_graph(y).source.count("MulBackward0") == 5000


def test_several_outputs_and_a_leaf_output():
    x = tn.ones(2, requires_grad=True)
    src = viz.draw_graph(x * 2, x.sum(), x, show_constants=False).source
    assert "output 0" in src and "output 2" in src and "no grad" not in src
    with pytest.raises(ValueError):
        viz.draw_graph()
    with pytest.raises(TypeError):
        viz.draw_graph(np.ones(2))


def test_save_dot_and_render_or_clear_error(tmp_path):
    y, _ = chapter_graph()
    g = viz.draw_graph(y)
    assert g.save(tmp_path / "g.dot").read_text() == g.source
    with pytest.raises(ValueError, match="format"):
        g.save(tmp_path / "g.jpeg")
    if shutil.which("dot"):
        assert g.save(tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
        assert g.save(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
        assert "<svg" in g._repr_svg_()
    else:
        with pytest.raises(RuntimeError, match="Graphviz"):
            g.save(tmp_path / "g.svg")
        assert g._repr_svg_() is None


def test_graph_command(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    assert viz.main(["--example", "mlp", "--out", str(out)]) == 0
    written = out if shutil.which("dot") else out.with_suffix(".dot")
    assert written.exists() and "written to" in capsys.readouterr().out


def test_plot_with_derivative_is_reexported():
    from turunan import plotting
    assert viz.plot_with_derivative is plotting.plot_with_derivative
    with pytest.raises(AttributeError):
        _ = viz.nothing_here
