"""turunan.distributed, DistributedDataParallel and DistributedSampler, on real MPI ranks.

One ``mpiexec -n 2`` launch runs a worker (written to tmp_path) that makes many checks and prints them as
JSON; a few more launches check what must end a run (an exception on one rank, a rank that never arrives).
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("mpi4py")


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec next to the interpreter or on PATH")

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def launch(script: str, tmp_path, n: int = 2, timeout: float = 60, args=(), env=None):
    path = tmp_path / "worker.py"
    path.write_text(textwrap.dedent(script))
    environ = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", **(env or {}))
    return subprocess.run([MPIEXEC, "-n", str(n), sys.executable, str(path), *args], capture_output=True,
                          text=True, timeout=timeout, env=environ, cwd=tmp_path)


WORKER = r'''
import json
import numpy as np
import turunan as tn
import turunan.distributed as dist
from turunan import nn, optim
from turunan.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
out = {"rank": rank, "size": size, "backend": dist.get_backend()}


def error(fn):
    try:
        fn()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


# ---- collectives: dtypes, odd sizes, every op -----------------------------------------------------------------
coll = {}
for dtype in ("float32", "float64", "int32", "int64"):
    for n in (1, 7, 1001):
        base = np.arange(n).astype(dtype)
        for op in ("SUM", "MAX", "MIN", "PRODUCT", "AVG"):
            if op == "AVG" and dtype.startswith("int"):
                continue
            mine = base + (rank + 1)
            t = tn.tensor(mine.copy())
            dist.all_reduce(t, getattr(dist.ReduceOp, op))
            everyone = np.stack([base + (r + 1) for r in range(size)])
            want = {"SUM": everyone.sum(0), "MAX": everyone.max(0), "MIN": everyone.min(0),
                    "PRODUCT": everyone.prod(0), "AVG": everyone.mean(0)}[op].astype(dtype)
            coll[f"{op} {dtype}[{n}]"] = bool(np.array_equal(t.numpy(), want)) and t.dtype == want.dtype
        t = tn.tensor(np.full(n, rank, dtype))
        dist.broadcast(t, src=1)
        coll[f"broadcast {dtype}[{n}]"] = bool((t.numpy() == 1).all())
t = tn.tensor(np.array([rank == 0, True, False]))
dist.all_reduce(t, dist.ReduceOp.BOR)
coll["BOR bool"] = t.numpy().tolist() == [True, True, False]
t = tn.tensor([1.0, 2.0])
work = dist.all_reduce(t, async_op=True)
coll["async"] = work.wait() and t.numpy().tolist() == [1.0 * size, 2.0 * size]
x = tn.tensor([1.0, 2.0], requires_grad=True)
y = x * 1.0
saved = y * y
dist.all_reduce(y)
coll["in-place bumps the version"] = error(lambda: saved.sum().backward()) is not None
dist.barrier()
out["collectives"] = coll

out["errors"] = {
    "noncontiguous": error(lambda: dist.all_reduce(tn.ones(4, 4).T)),
    "array": error(lambda: dist.all_reduce(np.ones(3))),
    "op": error(lambda: dist.all_reduce(tn.ones(3), "sum")),
    "avg int": error(lambda: dist.all_reduce(tn.tensor([1, 2]), dist.ReduceOp.AVG)),
    "src": error(lambda: dist.broadcast(tn.ones(3), src=size)),
    "twice": error(lambda: dist.init_process_group("mpi")),
}

# ---- DDP: ranks end equal to one process training on the full batch -------------------------------------------
rng = np.random.default_rng(0)
X = rng.standard_normal((48, 6)).astype(np.float32)
Y = rng.integers(0, 3, 48)


def mlp(seed, extra=False):
    g = tn.Generator(seed)
    layers = [nn.Linear(6, 32, generator=g), nn.Tanh(), nn.Linear(32, 16, generator=g), nn.ReLU(),
              nn.Linear(16, 3, generator=g)]
    return nn.Sequential(*layers)


def params_of(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def same_everywhere(vec):
    hi, lo = tn.tensor(vec.copy()), tn.tensor(vec.copy())
    dist.all_reduce(hi, dist.ReduceOp.MAX)
    dist.all_reduce(lo, dist.ReduceOp.MIN)
    return bool(np.array_equal(hi.numpy(), lo.numpy()))


loss_fn = nn.CrossEntropyLoss()
reference = mlp(0)
ref_opt = optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
model = mlp(0 if rank == 0 else 123)         # another start elsewhere: DDP broadcasts rank 0's
ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=1000 / 2 ** 20)   # several buckets
opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)

# overlap: the first bucket must start before backward reaches the first layer
events = []
started = dist.all_reduce


def logged(t, *a, **k):
    events.append("bucket")
    return started(t, *a, **k)


nn.parallel.dist.all_reduce = logged
first = model[0]


def mark(module, args, output):
    output.register_hook(lambda g: events.append("first layer"))


first.register_forward_hook(mark)
sampler = DistributedSampler(TensorDataset(X, Y), shuffle=False)
shard = np.array(list(sampler))
for step in range(4):
    opt.zero_grad()
    loss_fn(ddp(tn.tensor(X[shard])), tn.tensor(Y[shard])).backward()
    opt.step()
    ref_opt.zero_grad()
    loss_fn(reference(tn.tensor(X)), tn.tensor(Y)).backward()
    ref_opt.step()
nn.parallel.dist.all_reduce = started
out["buckets"] = len(ddp._buckets)
out["overlap"] = events[:events.index("first layer")].count("bucket")
out["ddp max diff"] = float(np.abs(params_of(model) - params_of(reference)).max())
out["ddp identical"] = same_everywhere(params_of(model))

# no_sync: two local micro-batches, then one synchronised: the full batch's gradient (sum of two means)
acc = nn.parallel.DistributedDataParallel(mlp(1))
half = len(shard) // 2
with acc.no_sync():
    loss_fn(acc(tn.tensor(X[shard[:half]])), tn.tensor(Y[shard[:half]])).backward()
loss_fn(acc(tn.tensor(X[shard[half:]])), tn.tensor(Y[shard[half:]])).backward()
ref = mlp(1)
for part in (slice(None, half), slice(half, None)):
    for r in range(size):
        idx = np.array(list(DistributedSampler(TensorDataset(X, Y), size, r, shuffle=False)))[part]
        (loss_fn(ref(tn.tensor(X[idx])), tn.tensor(Y[idx])) / size).backward()
out["no_sync max diff"] = max(float(np.abs(a.grad.numpy() - b.grad.numpy()).max())
                              for a, b in zip(acc.parameters(), ref.parameters()))


# unused parameters
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        g = tn.Generator(2)
        self.body = nn.Linear(6, 8, generator=g)
        self.a, self.b = nn.Linear(8, 3, generator=g), nn.Linear(8, 3, generator=g)

    def forward(self, x):
        return self.a(self.body(x).relu())


strict = nn.parallel.DistributedDataParallel(TwoHeads())
out["unused error"] = error(lambda: strict(tn.tensor(X[:4])).sum().backward())
loose = nn.parallel.DistributedDataParallel(TwoHeads(), find_unused_parameters=True)
loose(tn.tensor(X[:4])).sum().backward()
out["unused grads"] = [n for n, p in loose.named_parameters() if p.grad is None]

# a gradient from outside the forward cannot be averaged in step: an error, not a wrong number
outside = nn.parallel.DistributedDataParallel(mlp(3))
loss = outside(tn.tensor(X[:4])).sum() + sum((p * p).sum() for p in outside.parameters())
out["outside error"] = error(loss.backward)

# the sampler: disjoint shards that cover the data, a new order per epoch
s = DistributedSampler(TensorDataset(X, Y), seed=5)
e0 = list(s)
s.set_epoch(1)
e1 = list(s)
everything = tn.tensor(np.bincount(e0, minlength=len(X)))
dist.all_reduce(everything)
out["sampler covers"] = everything.numpy().tolist() == [1] * len(X)
out["sampler reshuffles"] = e0 != e1 and len(e0) == len(X) // size
loader = DataLoader(TensorDataset(X, Y), batch_size=5, sampler=s)
out["loader"] = [len(xb) for xb, _ in loader]

# PyTorch's door: the same names
import turunan.torch as torch

lin = torch.nn.Linear(6, 3)
door = torch.nn.parallel.DistributedDataParallel(lin)
door(torch.tensor(X[shard])).sum().backward()
t = torch.ones(3)
torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.SUM)
out["door"] = [type(door).__name__, type(lin.weight.grad).__name__, t.tolist(),
               same_everywhere(lin.weight.grad.numpy())]

dist.destroy_process_group()
out["after destroy"] = error(lambda: dist.get_rank())
with open(f"result-{rank}.json", "w") as f:     # a file each: two ranks' long lines would interleave on stdout
    json.dump(out, f)
'''


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    proc = launch(WORKER, tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [json.loads((tmp / f"result-{r}.json").read_text()) for r in range(2)]


def test_two_ranks(results):
    assert [(r["rank"], r["size"], r["backend"]) for r in results] == [(0, 2, "mpi"), (1, 2, "mpi")]


def test_collectives_on_dtypes_and_odd_sizes(results):
    for r in results:
        bad = [k for k, ok in r["collectives"].items() if not ok]
        assert not bad, bad
        assert len(r["collectives"]) > 60


def test_collective_errors_are_clear(results):
    e = results[0]["errors"]
    assert e["noncontiguous"].startswith("ValueError") and "contiguous" in e["noncontiguous"]
    assert e["array"].startswith("TypeError") and "turunan Tensor" in e["array"]
    assert e["op"].startswith("TypeError") and "ReduceOp" in e["op"]
    assert e["avg int"].startswith("TypeError") and "AVG" in e["avg int"]
    assert e["src"].startswith("ValueError") and "src" in e["src"]
    assert "already initialised" in e["twice"]
    assert "init_process_group" in results[0]["after destroy"]


def test_ddp_equals_full_batch_training(results):
    for r in results:
        assert r["buckets"] >= 3
        assert r["ddp identical"]
        assert r["ddp max diff"] < 1e-5, r["ddp max diff"]


def test_buckets_start_while_backward_goes_on(results):
    assert all(r["overlap"] >= 1 for r in results), [r["overlap"] for r in results]


def test_no_sync_accumulates_then_averages(results):
    assert all(r["no_sync max diff"] < 1e-6 for r in results)


def test_unused_parameters(results):
    r = results[0]
    assert r["unused error"].startswith("RuntimeError")
    assert "b.weight" in r["unused error"] and "find_unused_parameters=True" in r["unused error"]
    assert r["unused grads"] == ["module.b.weight", "module.b.bias"]
    assert "outside the model's forward" in r["outside error"]


def test_sampler_and_door(results):
    for r in results:
        assert r["sampler covers"] and r["sampler reshuffles"]
        assert r["loader"] == [5, 5, 5, 5, 4]
        assert r["door"][0] == "DistributedDataParallel" and r["door"][1] == "Tensor"
        assert r["door"][2:] == [[2.0, 2.0, 2.0], True]


def test_an_exception_on_one_rank_ends_every_rank(tmp_path):
    script = '''
    import time
    import turunan as tn, turunan.distributed as dist
    dist.init_process_group("mpi")
    if dist.get_rank() == 1:
        raise ValueError("rank one fails")
    dist.all_reduce(tn.ones(3))     # rank 0 would wait here forever
    time.sleep(30)
    '''
    proc = launch(script, tmp_path, timeout=20)
    assert proc.returncode != 0
    assert "ValueError: rank one fails" in proc.stderr
    assert "rank 1 of 2 stopped with ValueError; aborting all ranks" in proc.stderr


def test_a_rank_that_never_arrives_times_out(tmp_path):
    script = '''
    import time
    import turunan as tn, turunan.distributed as dist
    dist.init_process_group("mpi", timeout=1.0)
    if dist.get_rank() == 0:
        dist.all_reduce(tn.ones(3))
    time.sleep(30)
    '''
    proc = launch(script, tmp_path, timeout=20)
    assert proc.returncode != 0
    assert "all_reduce(SUM, float32[3]) on rank 0 did not complete within 1 s" in proc.stderr


@pytest.mark.skipif(not __import__("turunan.distributed").distributed.is_gloo_available(), reason="needs torch")
def test_gloo_backend_under_mpiexec(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = '''
    import turunan as tn, turunan.distributed as dist
    dist.init_process_group("gloo")
    t = tn.tensor([1.0, 2.0, 3.0]) * (dist.get_rank() + 1)
    dist.all_reduce(t, dist.ReduceOp.AVG)
    b = tn.tensor([dist.get_rank()] * 3)
    dist.broadcast(b, 1)
    # a file per rank: two ranks printing at once interleave their lines in mpiexec's merged stdout
    with open(f"result{dist.get_rank()}.txt", "w") as out:
        print("RESULT", dist.get_backend(), dist.get_world_size(), t.tolist(), b.tolist(), file=out)
    dist.destroy_process_group()
    '''
    proc = launch(script, tmp_path, timeout=60, env={"MASTER_PORT": str(port)})
    assert proc.returncode == 0, proc.stderr
    lines = [(tmp_path / f"result{rank}.txt").read_text().strip() for rank in (0, 1)]
    assert lines == ["RESULT gloo 2 [1.5, 3.0, 4.5] [1, 1, 1]"] * 2


def test_distributed_training_command(tmp_path):
    pytest.importorskip("sklearn")
    proc = launch("import sys\nfrom turunan.train import main\nsys.exit(main(sys.argv[1:]))\n", tmp_path,
                  args=("--distributed", "--epochs", "2", "--quiet", "--no-plot", "--out", str(tmp_path / "out")))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("test accuracy:") == 1         # rank 0 alone prints
    assert "2 processes" in proc.stdout
    assert sorted(os.listdir(tmp_path / "out")) == ["digits_mlp.npz"]


# ---- in this process: no MPI started ----------------------------------------------------------------------------
def test_errors_before_init_process_group():
    import turunan as tn
    import turunan.distributed as dist
    for call in (lambda: dist.all_reduce(tn.ones(2)), lambda: dist.get_rank(), lambda: dist.barrier(),
                 lambda: dist.broadcast(tn.ones(2), 0)):
        with pytest.raises(RuntimeError, match=r"no process group: call turunan.distributed.init_process_group"):
            call()
    with pytest.raises(ValueError, match="unknown backend 'nccl'"):
        dist.init_process_group("nccl")
    with pytest.raises(TypeError, match="needs a turunan Tensor"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(ValueError, match="contiguous"):
        dist.all_reduce(tn.ones(3, 2).T)
    from turunan.data import DistributedSampler
    with pytest.raises(RuntimeError, match="pass num_replicas= and rank="):
        DistributedSampler(list(range(4)))
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=2)


def test_missing_mpi4py_names_the_extra(monkeypatch):
    import turunan.distributed as dist
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install 'turunan\[mpi\]'"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_the_readme_training_script_runs_on_two_ranks(tmp_path):
    """The README's MPI example (its ```python title="train.py" block: the README's other blocks run in-process,
    this one needs mpiexec) trains on 2 ranks; rank 0 alone prints."""
    import re

    from readme import README
    text = README.read_text(encoding="utf-8")
    (script,) = re.findall(r'```python title="train.py"\n(.*?)```', text, flags=re.S)
    done = launch(script, tmp_path, n=2, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == [f"epoch {k}" for k in range(5)], done.stdout
    first, last = (float(line.rsplit(" ", 1)[1]) for line in (lines[0], lines[-1]))
    assert last < first, done.stdout
