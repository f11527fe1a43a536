"""Data-parallel training on MPI: all-reduce round trips and the digits MLP's step at 1 and 2 ranks (standalone).

    .venv/bin/python benchmarks/bench_distributed.py            # launches mpiexec itself; prints markdown tables
    .venv/bin/python benchmarks/bench_distributed.py --ranks 4 --quick

All-reduce: the time of one in-place sum of 4 KB and 4 MB of float32 over the ranks, measured in the same
processes, interleaved round by round: turunan.distributed (MPI through mpi4py), mpi4py's blocking Allreduce
(the floor: what turunan adds is its own), and torch.distributed over gloo on 127.0.0.1 (when torch is
installed). MLP step: ``turunan.train.build_model('mlp')`` (64-256-128-10 with BatchNorm), Adam, a batch of 64
per rank (weak scaling), without DDP and with it, at 1 and N ranks; efficiency is the N-rank throughput over
N times the 1-rank throughput without DDP. One thread per rank (OMP_NUM_THREADS=1), set before NumPy loads.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)
SRC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")
SIZES = {"4 KB": 1024, "4 MB": 1 << 20}      # float32 elements


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


# ---- workers (run under mpiexec; rank 0 prints one JSON line) ----------------------------------------------------
def worker_allreduce(rounds: int, reps: int) -> dict:
    import numpy as np
    from mpi4py import MPI

    import turunan as tn
    import turunan.distributed as dist
    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    peers = {}
    for label, n in SIZES.items():
        t = tn.tensor(np.ones(n, np.float32))
        raw = np.ones(n, np.float32)
        peers[("turunan.distributed (MPI)", label)] = lambda t=t: dist.all_reduce(t)
        peers[("mpi4py Allreduce (floor)", label)] = lambda raw=raw: comm.Allreduce(MPI.IN_PLACE, raw, MPI.SUM)
    try:
        import torch
        import torch.distributed as tdist
        torch.set_num_threads(1)
        tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{os.environ['BENCH_PORT']}",
                                 rank=comm.Get_rank(), world_size=comm.Get_size())
        for label, n in SIZES.items():
            tt = torch.ones(n)
            peers[("torch.distributed gloo (127.0.0.1)", label)] = lambda tt=tt: tdist.all_reduce(tt)
    except ImportError:
        pass
    times = {k: [] for k in peers}
    for _ in range(2):                                  # warm up every peer
        for fn in peers.values():
            fn()
    order = list(peers.items())
    for r in range(rounds):     # interleaved, A B C, B C A, ...: the call after gloo's ran slower, whoever it was
        for key, fn in order[r % len(order):] + order[:r % len(order)]:
            k = reps if key[1] == "4 KB" else max(1, reps // 20)
            comm.Barrier()
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            times[key].append((time.perf_counter() - t0) / k)
    if "torch.distributed" in sys.modules:
        sys.modules["torch.distributed"].destroy_process_group()   # gloo's threads, ended before MPI's exit
    dist.destroy_process_group()
    return {f"{a}|{b}": _median(v) for (a, b), v in times.items()}


def worker_mlp(steps: int, rounds: int, batch: int) -> dict:
    import numpy as np

    import turunan as tn
    import turunan.distributed as dist
    from turunan import nn, optim
    from turunan.train import build_model
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    rng = np.random.default_rng(rank)
    x = tn.tensor(rng.standard_normal((batch, 1, 8, 8)).astype(np.float32))
    y = tn.tensor(rng.integers(0, 10, batch))
    loss_fn = nn.CrossEntropyLoss()
    out = {}
    runs = {}
    for mode in ("plain", "ddp", "ddp, no buffer broadcast"):
        model = build_model("mlp", tn.Generator(0))
        net = model if mode == "plain" else nn.parallel.DistributedDataParallel(
            model, broadcast_buffers=mode == "ddp")
        opt = optim.Adam(net.parameters(), lr=1e-3)

        def step(net=net, opt=opt):
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
        for _ in range(10):
            step()
        runs[mode] = step
    times = {m: [] for m in runs}
    for _ in range(rounds):
        for mode, step in runs.items():
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            times[mode].append((time.perf_counter() - t0) / steps)
    for mode, ts in times.items():
        mine = tn.tensor([_median(ts)], dtype=np.float64)
        dist.all_reduce(mine, dist.ReduceOp.MAX)        # a step lasts as long as its slowest rank's
        out[mode] = float(mine.numpy()[0])
    return out


# ---- the parent ----------------------------------------------------------------------------------------------------
def _mpiexec() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        sys.exit("no mpiexec next to the interpreter or on PATH: pip install 'turunan[mpi]'")
    return found


def _launch(n: int, *args: str) -> dict:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), BENCH_PORT=str(port),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([_mpiexec(), "-n", str(n), sys.executable, HERE, "--worker", *args], capture_output=True,
                          text=True, env=env, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"worker {args} on {n} ranks failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a few seconds)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rounds, reps, steps = (3, 50, 20) if args.quick else (7, 400, 100)
    if args.worker:
        kind = args.worker[0]
        result = worker_allreduce(rounds, reps) if kind == "allreduce" else worker_mlp(steps, rounds, 64)
        if int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0"))) == 0:
            print(json.dumps(result), flush=True)
        return
    n = args.ranks
    print(f"turunan data-parallel benchmark: {n} ranks, 1 thread each, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the start\n")
    ar = _launch(n, "allreduce")
    print(f"| all-reduce, {n} ranks (median round trip) | 4 KB | 4 MB |")
    print("| --- | ---: | ---: |")
    for peer in dict.fromkeys(k.split("|")[0] for k in ar):
        cells = [f"{ar[f'{peer}|{s}'] * 1e6:,.0f} µs" for s in SIZES]
        print(f"| {peer} | {' | '.join(cells)} |")
    one = _launch(1, "mlp")
    many = _launch(n, "mlp")
    base = 64 / one["plain"]
    print("\n| digits MLP step, batch 64 per rank | ranks | ms / step | samples / s | efficiency |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, ranks, t in (("one process, no DDP", 1, one["plain"]), ("DistributedDataParallel", 1, one["ddp"]),
                            ("one process per rank, no DDP (no averaging)", n, many["plain"]),
                            ("DistributedDataParallel", n, many["ddp"]),
                            ("DistributedDataParallel, broadcast_buffers=False", n,
                             many["ddp, no buffer broadcast"])):
        rate = 64 * ranks / t
        print(f"| {label} | {ranks} | {t * 1e3:.2f} | {rate:,.0f} | {rate / (ranks * base):.0%} |")
    print(f"\n(load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
