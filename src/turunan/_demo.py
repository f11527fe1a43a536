"""``make demo`` / ``python -m turunan demo``: the engine in a few steps, the chapter three ways, a short
training run. Each part is its own command too (``tour``, ``train``)."""

from __future__ import annotations

import numpy as np

from . import _cli


def engine_tour() -> None:
    import turunan as tn

    def show(code: str, value) -> None:
        print(f">>> {code}\n{value}")

    print("== the engine ==")
    x = tn.arange(4.0, requires_grad=True)
    show("x = tn.arange(4.0, requires_grad=True); x", x)
    y = 2 * tn.dot(x, x)
    show("y = 2 * tn.dot(x, x); y", y)
    y.backward()
    show("y.backward(); x.grad", x.grad)
    (g,) = tn.autograd.grad(tn.sin(x).sum(), [x], create_graph=True)
    (h,) = tn.autograd.grad(g.sum(), [x])
    show("second derivative of sum(sin(x)), which is -sin(x)", h)
    assert np.allclose(h.numpy(), -np.sin(x.detach().numpy()), atol=1e-6)
    z = np.sum(np.sin(x) * np.exp(-x * x))
    show("np.sum(np.sin(x) * np.exp(-x * x))   # plain NumPy, recorded", z)
    chain = tn.tensor([0.5], requires_grad=True)
    out = chain
    for _ in range(100_000):
        out = out * 1.0
    out.sum().backward()
    show("a chain of 100,000 ops, differentiated", chain.grad)
    print()


def main(argv: list[str] | None = None) -> int:
    parser = _cli.ArgumentParser(prog="python -m turunan demo", description=__doc__)
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out)")
    parser.add_argument("--epochs", type=_cli.positive_int, default=3, help="epochs of the closing training run")
    args = parser.parse_args(argv)
    _cli.check_out_folder(parser, args.out, ("digits_mlp.npz", "digits_mlp.png"))   # before any of the work
    engine_tour()
    from . import tour, train
    status = tour.main(["--out", args.out])
    print("\n== a short training run: an MLP on scikit-learn's handwritten digits ==")
    status = status or train.main(["--model", "mlp", "--epochs", str(args.epochs), "--out", args.out])
    return status
