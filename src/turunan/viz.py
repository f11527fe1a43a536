"""Pictures of the recorded computation graph, as Graphviz DOT (rendered to SVG/PNG where Graphviz is
installed, and inline in Jupyter), and ``plot_with_derivative`` (the chapter's exercise 5).

The graph is read from what the engine recorded: a result's ``Node`` (the operation, e.g. ``MulBackward0``,
with its output shape) and its parents (earlier nodes, or leaf tensors). Leaves that require grad are
blue, the outputs green, inputs that do not require grad grey; arrows run forward, from inputs to results,
and backward sends gradients against them, along every drawn edge. The walk (parents before children) uses
an explicit stack, no recursion.

>>> import turunan as tn
>>> x = tn.arange(4.0, requires_grad=True)
>>> y = 2 * tn.dot(x, x)
>>> g = draw_graph(y, params={"x": x})
>>> "MulBackward0" in g.source and '"x' in g.source
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ._core import Node, Tensor
from ._engine import toposort

__all__ = ["Graph", "draw_graph", "plot_with_derivative", "graphviz_available", "main"]  # noqa: F822 (lazy)

RENDER_FORMATS = ("svg", "png", "pdf")


def graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` program is installed (needed to render, not to write DOT)."""
    return shutil.which("dot") is not None


class Graph:
    """A drawn computation graph: ``.source`` is DOT text; ``.save(path)`` writes .dot, .svg, .png or .pdf.

    In Jupyter the graph shows inline (``_repr_svg_``) when Graphviz is installed.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<turunan.viz.Graph: {self.source.count(' -> ')} edges; .source holds the DOT text>"

    def render(self, format: str = "svg") -> bytes:
        """The picture as bytes, drawn by Graphviz's ``dot``."""
        if format not in RENDER_FORMATS:
            raise ValueError(f"format must be one of {RENDER_FORMATS}, got {format!r}")
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("rendering needs Graphviz's `dot` program, which is not installed (e.g. `apt-get "
                               "install graphviz` or `brew install graphviz`); Graph.save('graph.dot') writes "
                               "the DOT text without it")
        done = subprocess.run([dot, f"-T{format}"], input=self.source.encode(), capture_output=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def save(self, path) -> Path:
        """Write to ``path``; the suffix picks the format (``.dot``/``.gv`` text, or ``.svg``/``.png``/``.pdf``)."""
        path = Path(path)
        fmt = path.suffix.lstrip(".").lower()
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        if fmt in ("dot", "gv"):
            path.write_text(self.source)
        elif fmt in RENDER_FORMATS:
            path.write_bytes(self.render(fmt))
        else:
            raise ValueError(f"unknown picture format {path.suffix!r}: use .dot, .gv, .svg, .png or .pdf")
        return path

    def _repr_svg_(self):
        # Jupyter calls this; None makes it fall back to the text repr when Graphviz is missing
        if not graphviz_available():
            return None
        return self.render("svg").decode()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def draw_graph(*outputs: Tensor, params: dict[str, Tensor] | None = None, show_constants: bool = True,
               rankdir: str = "LR") -> Graph:
    """Draw the graph recorded into ``outputs``: operations, shapes, leaves, where gradients flow.

    ``params`` names leaves (``dict(model.named_parameters())`` names a model's weights).
    """
    if not outputs:
        raise ValueError("draw_graph needs at least one output tensor")
    for t in outputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph takes turunan Tensors, got {type(t).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    ids: dict[int, str] = {}

    def key(obj) -> str:
        if id(obj) not in ids:
            ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    lines = ["digraph turunan {", f"  rankdir={rankdir};",
             '  node [fontname="Helvetica", fontsize=11];', '  edge [color="#555555"];']
    keep_alive = []         # hold what we key by id() so no id is reused mid-walk

    def leaf(t: Tensor) -> str:
        k = key(t)
        keep_alive.append(t)
        label = names.get(id(t), "")
        label = (label + "\n" if label else "") + _shape(t.shape)
        if t.requires_grad:
            label += "\nrequires_grad"
            if t.grad is not None:
                label += "\n.grad " + _shape(t.grad.shape)
        fill = "#cfe2ff" if t.requires_grad else "#eeeeee"
        lines.append(f'  {k} [label={_quote(label)}, shape=ellipse, style=filled, fillcolor="{fill}"];')
        return k

    roots: list[Node] = []
    drawn: set[int] = set()     # leaves drawn, by id (each node of the walk comes once)
    for i, out in enumerate(outputs):
        ok = f"out{i}"
        label = f"output {i}\n{_shape(out.shape)}" if len(outputs) > 1 else f"output\n{_shape(out.shape)}"
        lines.append(f'  {ok} [label={_quote(label)}, shape=ellipse, style=filled, fillcolor="#d1e7dd"];')
        if out._node is None:
            src = leaf(out)
            drawn.add(id(out))
            lines.append(f"  {src} -> {ok};")
            continue
        lines.append(f"  {key(out._node)} -> {ok};")
        roots.append(out._node)

    for node in toposort(roots):   # parents before children, as backward walks them (in reverse)
        k = key(node)
        keep_alive.append(node)
        label = f"{node.name}\n{_shape(node.shape)}"
        style = "rounded,filled,dashed" if node.freed else "rounded,filled"
        if node.freed:
            label += "\n(saved values freed)"
        lines.append(f'  {k} [label={_quote(label)}, shape=box, style="{style}", fillcolor="#fff3cd"];')
        for i, p in enumerate(node.parents):
            if p is None:
                if show_constants:
                    c = f"{k}_c{i}"
                    saved = node.saved[i] if i < len(node.saved) else None
                    clabel = "no grad" + (f"\n{_shape(saved.shape)}" if hasattr(saved, "shape") else "")
                    lines.append(f'  {c} [label={_quote(clabel)}, shape=ellipse, style=filled, fillcolor="#eeeeee", '
                                 'fontsize=9, fontcolor="#666666"];')
                    lines.append(f'  {c} -> {k} [style=dashed, color="#aaaaaa"];')
                continue
            if type(p) is not Node and id(p) not in drawn:
                drawn.add(id(p))
                leaf(p)
            lines.append(f"  {key(p)} -> {k};")
    lines.append('  labelloc=b; fontsize=10; fontname="Helvetica";')
    lines.append('  label="arrows: forward; backward() sends gradients against every solid arrow to the blue '
                 'leaves";')
    lines.append("}")
    return Graph("\n".join(lines) + "\n")


def __getattr__(name: str):
    # the plotting helper lives in turunan.plotting; import it only when asked for
    if name in ("plot_with_derivative", "derivative_values"):
        from . import plotting
        return getattr(plotting, name)
    raise AttributeError(f"module 'turunan.viz' has no attribute {name!r}")


# ---- the command ----------------------------------------------------------------------------------------
def _example(name: str) -> tuple[Tensor, dict]:
    from . import _ops as ops
    from ._creation import Generator, arange, tensor
    if name == "chapter":
        x = arange(4.0, requires_grad=True)
        return 2 * ops.dot(x, x), {"x": x}
    if name == "mlp":
        from . import nn
        g = Generator(0)
        model = nn.Sequential(nn.Linear(3, 4, generator=g), nn.ReLU(), nn.Linear(4, 2, generator=g))
        x = Generator(1).normal(size=(5, 3))
        loss = nn.CrossEntropyLoss()(model(x), tensor([0, 1, 1, 0, 1]))
        return loss, {name: p for name, p in model.named_parameters()}
    raise ValueError(f"unknown example {name!r}")


def main(argv: list[str] | None = None) -> int:
    from . import _cli
    parser = _cli.ArgumentParser(prog="python -m turunan graph",
                                 description="Draw an example computation graph to a file.")
    parser.add_argument("--example", choices=["chapter", "mlp"], default="chapter",
                        help="chapter: y = 2 x·x (the chapter's first example); mlp: a small network's loss")
    parser.add_argument("--out", default=os.path.join("out", "graph.svg"),
                        help="picture file: .svg, .png, .pdf (need Graphviz) or .dot")
    args = parser.parse_args(argv)
    # every problem with --out is found here, before the example is built and drawn
    _cli.check_out_file(parser, args.out, tuple("." + f for f in RENDER_FORMATS + ("dot", "gv")))
    path = Path(args.out)
    fallback = path.suffix.lower().lstrip(".") in RENDER_FORMATS and not graphviz_available()
    if fallback:
        path = path.with_suffix(".dot")
        _cli.check_out_file(parser, str(path), (".dot",))
    out, params = _example(args.example)
    graph = draw_graph(out, params=params)
    if fallback:
        print(f"Graphviz's `dot` is not installed, so the graph is written as DOT text to {path} (install graphviz "
              f"and run `dot -Tsvg {path} -o graph.svg`, or paste it into any Graphviz viewer)")
    try:
        graph.save(path)
    except (OSError, RuntimeError) as e:       # e.g. the disk filled up, or Graphviz failed
        return _cli.say_error(parser.prog, f"could not write {str(path)!r}: {e}")
    print(f"computation graph of the {args.example!r} example written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
