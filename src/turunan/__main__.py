"""``python -m turunan <command>``: demo, tour, train, graph, bench.

Each command lives in its own module with a ``main(argv) -> int``; this file only dispatches, importing
the module lazily so that optional extras are needed only by the command that uses them.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "demo": ("turunan._demo", "the whole tour: the engine, the chapter three ways, a short training run"),
    "tour": ("turunan.tour", "the chapter's examples and exercises in the MXNet, PyTorch and TensorFlow styles; "
                             "--chapter C --tab T: a D2L preliminaries chapter from ../shared/d2l"),
    "train": ("turunan.train", "train the digits models (MLP or CNN)"),
    "graph": ("turunan.viz", "draw an example computation graph to a file"),
    "bench": ("turunan.bench", "run the benchmarks side by side with the peers"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        what = "an option" if argv[0].startswith("-") else "a command"
        print(f"python -m turunan: error: {argv[0]!r} is not {what} turunan knows; choose a command from "
              f"{', '.join(COMMANDS)} (see python -m turunan --help)", file=sys.stderr)
        return 2
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m turunan <command> [options]\n\ncommands:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<6} {text}")
        print("\n`python -m turunan <command> --help` lists a command's options.")
        return 0
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
