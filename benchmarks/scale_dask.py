"""Scale run: the gradient of an MLP's loss over a Dask array larger than one machine's comfort, on a LocalCluster.

Not a test: a benchmark, run by hand::

    python benchmarks/scale_dask.py                       # 1e9 float32 elements (3.7 GiB), 2 workers
    python benchmarks/scale_dask.py --elements 1e8 --repeats 3

X has shape (N/64, 64), float32, chunked by rows (``--chunk-mib``, 64 MiB by default), made lazily from a seeded
random generator on the workers; the target is computed from X, lazily. The model is an MLP 64 -> 32 -> 1 with
tanh, the loss the mean squared error. Two ways to the loss and its four parameter gradients:

* **turunan**: ``tn.tensor(X)``, the forward with turunan's ops, ``loss.backward()``, then
  ``tn.compute(loss, W1.grad, b1.grad, W2.grad, b2.grad)``: one graph execution;
* **hand-written**: the same forward in ``dask.array`` and the backward written out by hand
  (``dout = 2 r / n``, ``dW2 = h.T @ dout``, ...), then one ``dask.compute``.

Both results are checked against each other before the table is printed. Each run starts on a fresh LocalCluster
(new worker processes), and the runs alternate (hand-written, turunan, hand-written, ...). Wall time is
from the first op to the values in hand. Peak memory is the largest sum, over the worker processes and this
(client) process, of their resident set sizes, polled every 0.2 s in a thread; the workers' baseline is in the
table too. The table also counts the tasks of each graph (after Dask's optimisation): a turunan graph with many
more tasks, or more passes over X, is where a time difference would come from.

``--live-peak`` compares the two graphs without a cluster: the most chunk bytes held at once when Dask's
synchronous scheduler runs them in ``dask.order``'s order. At 1e8 elements (6 chunks) the hand-written graph holds
130 MiB, turunan's 615 MiB: its graph makes Dask run the whole forward pass (every chunk of X and of the hidden
layer held) before the backward starts. The cause is the head gradient of the mean, broadcast to the (rows, 1)
shape with ``np.broadcast_to`` (``turunan._rules._unreduce``): any ``broadcast_to`` there (one chunk, or chunked
like X) gives that order, while ``ones(shape, chunks=X's row chunks) * g`` gives the hand-written graph's 130 MiB.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

# this folder holds a distributed.py (the MPI benchmark) that would shadow the dask.distributed package here and in
# the worker processes (which inherit sys.path): the script's own folder is taken off the path
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

# one BLAS thread per worker thread: the workers already use every core
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

FEATURES, HIDDEN = 64, 32
GiB = 2 ** 30


def make_data(n_elements: int, chunk_mib: float, seed: int = 0):
    """X (rows, 64) float32 and its target (rows, 1), lazily, chunked by rows."""
    import dask.array as da
    rows = int(n_elements) // FEATURES
    chunk_rows = max(1, int(chunk_mib * 2 ** 20) // (FEATURES * 4))
    X = da.random.default_rng(seed).standard_normal((rows, FEATURES), chunks=(chunk_rows, FEATURES),
                                                    dtype=np.float32)
    y = np.sin(X[:, :1]) + 0.1 * X[:, 1:2] * X[:, 2:3]
    return X, y


def init_params(seed: int = 1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((FEATURES, HIDDEN)) / np.sqrt(FEATURES)).astype(np.float32),
            np.zeros(HIDDEN, np.float32),
            (rng.standard_normal((HIDDEN, 1)) / np.sqrt(HIDDEN)).astype(np.float32),
            np.zeros(1, np.float32)]


def graph_turunan(X, y, params):
    """The loss and gradients as lazy Dask arrays, through turunan (forward + ``loss.backward()``)."""
    import turunan as tn
    W1, b1, W2, b2 = (tn.tensor(p, requires_grad=True) for p in params)
    x, t = tn.tensor(X), tn.tensor(y)
    h = tn.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    loss = ((out - t) ** 2).mean()
    loss.backward()
    return [loss, W1.grad, b1.grad, W2.grad, b2.grad]


def graph_hand(X, y, params):
    """The same loss and gradients written by hand in dask.array."""
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    r = out - y
    loss = (r ** 2).mean()
    dout = r * np.float32(2.0 / r.size)
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    dpre = (dout @ W2.T) * (1 - h * h)
    dW1 = X.T @ dpre
    db1 = dpre.sum(axis=0)
    return [loss, dW1, db1, dW2, db2]


def run_turunan(X, y, params):
    import turunan as tn
    out = graph_turunan(X, y, params)
    return [t.numpy() for t in tn.compute(*out)]


def run_hand(X, y, params):
    import dask
    return list(dask.compute(*graph_hand(X, y, params)))


def n_tasks(arrays) -> int:
    import dask
    from dask.base import collections_to_expr
    try:
        expr = collections_to_expr(arrays, optimize_graph=True)
        return len(expr.__dask_graph__())
    except Exception:   # an older Dask: count the optimised high-level graph's tasks
        opt = dask.optimize(*arrays)
        return len(set().union(*(dict(a.__dask_graph__()).keys() for a in opt)))


class MemoryPoller:
    """The largest sum of resident set sizes of ``pids``, polled every ``interval`` seconds in a thread."""

    def __init__(self, pids, interval: float = 0.2) -> None:
        import psutil
        self.procs = [psutil.Process(p) for p in pids]
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> int:
        total = 0
        for p in self.procs:
            try:
                total += p.memory_info().rss
            except Exception:   # a worker restarting: counted as nothing this time
                pass
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.interval)

    def cpu(self) -> float:
        """CPU seconds (user + system) used so far by the processes."""
        total = 0.0
        for p in self.procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except Exception:
                pass
        return total

    def __enter__(self) -> MemoryPoller:
        self.peak = self.sample()
        self.cpu_seconds = -self.cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.sample())
        self.cpu_seconds += self.cpu()


def measure(args, fn, X, y, params):
    """(wall seconds, peak summed RSS in bytes, baseline RSS in bytes, CPU seconds, results) of one run on a
    fresh cluster. CPU seconds (workers + this process, which runs the scheduler) are less sensitive than wall
    time to other programs sharing the cores."""
    import gc

    import dask
    from dask.distributed import Client, LocalCluster
    gc.collect()
    # no spilling to disk: the memory measured is what the computation holds
    with dask.config.set({"distributed.worker.memory.target": False, "distributed.worker.memory.spill": False}), \
            LocalCluster(n_workers=args.workers, threads_per_worker=args.threads_per_worker, processes=True,
                         memory_limit=args.memory_limit, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(args.workers)
        pids = list(client.run(os.getpid).values()) + [os.getpid()]
        with MemoryPoller(pids) as mem:
            base = mem.peak
            t0 = time.perf_counter()
            result = fn(X, y, params)
            wall = time.perf_counter() - t0
    return wall, mem.peak, base, mem.cpu_seconds, result


def live_peak(arrays) -> int:
    """The largest total size of the chunks held at once when Dask's local synchronous scheduler runs ``arrays``
    in ``dask.order``'s order: a property of the graph, free of the cluster's timing and of other programs."""
    import dask
    from dask.callbacks import Callback

    class Live(Callback):
        peak = 0

        def _posttask(self, key, result, dsk, state, worker_id):
            held = sum(getattr(v, "nbytes", 0) for v in state["cache"].values())
            self.peak = max(self.peak, held)

    with Live() as live:
        dask.compute(*arrays, scheduler="sync")
    return live.peak


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elements", type=float, default=1e9, help="float32 elements in X (default 1e9 = 3.7 GiB)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads-per-worker", type=int, default=1)
    ap.add_argument("--memory-limit", default="8GiB", help="per worker (default 8GiB)")
    ap.add_argument("--chunk-mib", type=float, default=64.0, help="rows per chunk, as MiB of X (default 64)")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each (alternating); the table shows the best")
    ap.add_argument("--live-peak", action="store_true",
                    help="only compare the graphs: the most chunk bytes held at once in dask.order's order (one "
                         "process, synchronous scheduler), then exit")
    args = ap.parse_args(argv)

    X, y = make_data(args.elements, args.chunk_mib)
    params = init_params()
    print(f"X: {X.shape} float32 = {X.nbytes / GiB:.2f} GiB in {X.numblocks[0]} chunks of "
          f"{X.chunksize[0] * FEATURES * 4 / 2 ** 20:.0f} MiB; {args.workers} workers x "
          f"{args.threads_per_worker} thread(s), memory_limit={args.memory_limit}", flush=True)
    tasks = {"hand-written": n_tasks(graph_hand(X, y, params)),
             "turunan": n_tasks([t._d for t in graph_turunan(X, y, params)])}

    if args.live_peak:
        for name, arrays in (("hand-written", graph_hand(X, y, params)),
                             ("turunan", [t._d for t in graph_turunan(X, y, params)])):
            print(f"{name:12s}: {tasks[name]} tasks, at most {live_peak(arrays) / 2 ** 20:.0f} MiB of chunks held "
                  "at once in dask.order's order", flush=True)
        return 0

    # warm-up in this process (imports, Dask's first graph optimisations), which the first timed run would pay
    small_X, small_y = make_data(FEATURES * 1000, 0.1)
    run_hand(small_X, small_y, params)
    run_turunan(small_X, small_y, params)

    rows: dict[str, list] = {"hand-written": [], "turunan": []}
    results = {}
    for r in range(args.repeats):
        for name, fn in (("hand-written", run_hand), ("turunan", run_turunan)):
            wall, peak, base, cpu, res = measure(args, fn, X, y, params)
            rows[name].append((wall, peak, base, cpu))
            results[name] = res
            print(f"  round {r + 1}: {name:12s} {wall:8.2f} s  peak {peak / GiB:6.2f} GiB "
                  f"(baseline {base / GiB:.2f} GiB)  CPU {cpu:8.2f} s", flush=True)

    ref, got = results["hand-written"], results["turunan"]
    for n, a, b in zip(["loss", "dW1", "db1", "dW2", "db2"], ref, got):
        scale = max(float(np.abs(a).max()), 1e-30)
        err = float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max()) / scale
        if not err < 1e-3:
            print(f"MISMATCH: {n} differs by {err:.2e} (relative to its largest entry)", file=sys.stderr)
            return 1
    print(f"loss {float(got[0]):.6f}: turunan's loss and gradients equal the hand-written ones (float32 rounding)\n")

    best = {k: tuple(min(r[i] for r in v) for i in range(4)) for k, v in rows.items()}
    hw, tu = best["hand-written"], best["turunan"]
    print(f"N = {args.elements:.0e} float32 elements, {args.workers} workers, best of {args.repeats} "
          f"(each column's minimum over the rounds)\n")
    print("| | wall time (s) | CPU time (s) | peak memory (GiB) | peak above baseline (GiB) | graph tasks |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, key in (("hand-written dask.array", "hand-written"), ("turunan", "turunan")):
        w, p, b, c = best[key]
        print(f"| {name} | {w:.2f} | {c:.2f} | {p / GiB:.2f} | {(p - b) / GiB:.2f} | {tasks[key]} |")
    print(f"| **turunan / hand-written** | **{tu[0] / hw[0]:.2f}x** | {tu[3] / hw[3]:.2f}x | "
          f"**{tu[1] / hw[1]:.2f}x** | "
          f"{(tu[1] - tu[2]) / max(hw[1] - hw[2], 1):.2f}x | {tasks['turunan'] / tasks['hand-written']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
