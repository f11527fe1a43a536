"""``python -m turunan bench``: run the benchmarks of a source checkout side by side with the peers.

The runner lives in ``<repo>/benchmarks/run.py`` (it is not part of the installed package: workloads import
PyTorch, JAX and HIPS autograd, which turunan itself never needs). Options are the runner's own:

    python -m turunan bench [--threads N] [--repeats R] [--only a,b] [--quick] [--json PATH] [--list]
    python -m turunan bench --train [--threads N]     # also: whole digits training runs, turunan vs PyTorch

Next to eager turunan, two columns give the same steps to ``tn.jit``: ``turunan_jit`` (the replay, NumPy alone)
and ``turunan_fused`` (``fuse=True``, needs numba); a table gives their first timed call (trace and compile).
Every framework is pinned to ``--threads`` (JAX through ``NPROC``/``PJRT_NPROC``, which size XLA:CPU's
pool).

``--train`` runs ``benchmarks/bench_train.py`` after the step workloads, in its own process (so that its
thread count is pinned before NumPy is imported): time per epoch and final test accuracy, side by side.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def _load_runner(path: Path = RUNNER):
    if not path.is_file():
        raise FileNotFoundError(
            f"the benchmark runner is not where a source checkout keeps it ({path}); `python -m turunan bench` "
            "runs from a clone of the turunan repository (pip install -e .), not from an installed wheel")
    spec = importlib.util.spec_from_file_location("turunan_bench_runner", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        runner = _load_runner()
    except FileNotFoundError as e:
        print(f"turunan bench: {e}", file=sys.stderr)
        return 2
    train = "--train" in argv
    argv = [a for a in argv if a != "--train"]
    status = int(runner.main(argv) or 0)
    if train and not status:
        threads = argv[argv.index("--threads") + 1] if "--threads" in argv else "1"
        script = RUNNER.parent / "bench_train.py"
        status = subprocess.call([sys.executable, str(script), "--threads", threads])
    return status


if __name__ == "__main__":
    sys.exit(main())
