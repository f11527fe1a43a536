"""The benchmark runner: turunan next to hand-written NumPy (the floor), PyTorch, JAX and HIPS autograd.

Each (workload, framework) runs in its own subprocess with its thread count pinned before import; the
parent checks every framework's gradients against the floor's, then interleaves the timing rounds
(A B C A B C ...) and reports medians, ratios and peak memory. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import pkgutil
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FRAMEWORKS = ["floor", "turunan", "torch", "jax", "jax_jit", "turunan_jit", "turunan_fused", "hips"]
LABELS = {"floor": "NumPy floor", "turunan": "turunan", "torch": "PyTorch eager", "jax": "JAX eager",
          "jax_jit": "JAX jit", "turunan_jit": "turunan jit", "turunan_fused": "turunan jit fused",
          "hips": "HIPS autograd"}
# the module a framework needs, to skip it with a note when it is not installed
REQUIRES = {"floor": "numpy", "turunan": "turunan", "torch": "torch", "jax": "jax", "jax_jit": "jax",
            "turunan_jit": "turunan", "turunan_fused": "numba", "hips": "autograd"}
NUMPY_BASED = {"floor", "turunan", "turunan_jit", "turunan_fused", "hips"}
# frameworks whose first call compiles: the report gives that first call's time (trace + compile)
COMPILING = ("turunan_jit", "turunan_fused", "jax_jit")


def _setup(mod, framework: str):
    """The workload's setup for ``framework``; turunan_jit, unless a workload defines its own, is turunan's case
    with every timed function given to ``tn.jit`` (the step as the user wrote it, closure and all)."""
    setup = getattr(mod, f"setup_{framework}", None)
    if setup is not None or framework not in ("turunan_jit", "turunan_fused") or not hasattr(mod, "setup_turunan"):
        return setup
    fuse = framework == "turunan_fused"
    if fuse:        # numba reads `coverage`, which benchmarks/coverage.py would shadow: import it from elsewhere
        saved = sys.path[:]
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
        try:
            import numba  # noqa: F401
        finally:
            sys.path[:] = saved

    def setup_turunan_jit(d, size):
        import turunan as tn
        case = mod.setup_turunan(d, size)
        case.step = tn.jit(case.step, fuse=fuse)
        case.extra = {k: tn.jit(f, fuse=fuse) for k, f in case.extra.items()}
        return case
    return setup_turunan_jit
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")


# ---- the worker (one framework, one workload, its own process) -------------------------------------------
def _pin_threads(n: int) -> None:
    """Pin every framework to ``n`` threads; runs in the worker before any framework is imported (workloads
    import PyTorch and JAX inside their setup functions, after this)."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)
    # jaxlib 0.10 sizes XLA:CPU's thread pool from NPROC / PJRT_NPROC, not from XLA_FLAGS: with the flags
    # alone, a big elementwise jit kept 4 threads busy on a 2-core machine; with these, one
    os.environ["NPROC"] = os.environ["PJRT_NPROC"] = str(n)
    xla = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" if n == 1 else \
        f"intra_op_parallelism_threads={n}"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + xla).strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _framework_init(framework: str, threads: int) -> None:
    if framework == "torch":
        import torch
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:
            pass
    elif framework in ("jax", "jax_jit"):
        import jax
        jax.config.update("jax_enable_x64", True)   # float64 workloads; float32 arrays stay float32
        jax.config.update("jax_platforms", "cpu")


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hwm() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM")


def _peak_memory(fn, numpy_based: bool) -> dict:
    import gc
    gc.collect()
    if numpy_based:
        import tracemalloc
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            fn()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return {"peak_bytes": max(peak - before, 0), "method": "tracemalloc"}
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                 # resets VmHWM to the current RSS (Linux >= 4.0)
        before = _rss_now()
        fn()
        return {"peak_bytes": max(_hwm() - before, 0), "method": "rss-hwm"}
    except OSError:
        import resource
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        fn()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return {"peak_bytes": max(after - before, 0), "method": "maxrss-delta"}


def _time(fn, number: int) -> float:
    clock = time.perf_counter
    t0 = clock()
    for _ in range(number):
        fn()
    return (clock() - t0) / number


def worker(args) -> int:
    _pin_threads(args.threads)
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                        # framework chatter goes to stderr, the protocol to the saved stdout
    sys.stdout = sys.stderr

    def say(obj) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    try:
        import numpy as np
        sys.path.insert(0, str(HERE))
        _framework_init(args.framework, args.threads)
        mod = importlib.import_module(f"workloads.{args.workload}")
        size = mod.SIZES[args.size]
        d = mod.data(size)
        t0 = time.perf_counter()
        case = _setup(mod, args.framework)(d, size)
        grads = [np.asarray(g) for g in case.grads()]
        np.savez(args.grad_file, *grads)
        setup_s = time.perf_counter() - t0
        # the first call of each timed function: for a jit, the trace and compile (turunan_jit's grads() ran the
        # eager functions, so its first jitted call is this one)
        first = {t: _time(case.timed(t), 1) for t in getattr(mod, "TIMED", ["step"])}
        say({"ok": True, "setup_s": setup_s, "first_s": first})
    except Exception as e:   # noqa: BLE001 - reported to the parent, which prints it
        import traceback
        traceback.print_exc()
        say({"ok": False, "error": f"{type(e).__name__}: {e}"})
        return 1

    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["cmd"] == "quit":
                break
            fn = case.timed(cmd["name"])
            if cmd["cmd"] == "calibrate":
                _time(fn, 1)
                per = _time(fn, 1)
                number = max(1, int(cmd["min_batch"] / max(per, 1e-9)))
                _time(fn, min(number, 3))
                say({"number": number, "first_s": per})
            elif cmd["cmd"] == "time":
                say({"seconds": _time(fn, cmd["number"])})
            elif cmd["cmd"] == "memory":
                say(_peak_memory(fn, args.framework in NUMPY_BASED))
        except Exception as e:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            say({"error": f"{type(e).__name__}: {e}"})
    return 0


# ---- the parent -----------------------------------------------------------------------------------------
def discover() -> dict:
    sys.path.insert(0, str(HERE))
    mods = {}
    for info in pkgutil.iter_modules([str(HERE / "workloads")]):
        if not info.name.startswith("_"):
            mods[info.name] = importlib.import_module(f"workloads.{info.name}")
    return mods


ORDER = ["chain_small", "chapter", "mlp_train", "deep_narrow", "big_elementwise", "matmul_chain",
         "second_derivative"]


def _sorted_names(mods) -> list:
    return sorted(mods, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


class Worker:
    def __init__(self, workload, framework, opts, tmp: Path) -> None:
        self.framework = framework
        self.grad_file = tmp / f"{workload}-{framework}.npz"
        env = dict(os.environ)
        src = HERE.parent / "src"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
        cmd = [sys.executable, str(HERE / "run.py"), "--worker", workload, framework, "--threads",
               str(opts.threads), "--size", "quick" if opts.quick else "full", "--grad-file", str(self.grad_file)]
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     text=True, env=env, cwd=str(HERE.parent))

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.stderr.seek(0)
            tail = self.stderr.read()[-2000:]
            return {"ok": False, "error": "worker died: " + tail.strip().splitlines()[-1] if tail.strip()
                    else "worker died"}
        return json.loads(line)

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        self.stderr.close()


def _check(grads, ref, tol) -> dict:
    import numpy as np
    if len(grads) != len(ref):
        return {"passed": False, "detail": f"{len(grads)} gradients, the floor has {len(ref)}"}
    worst = 0.0
    for g, r in zip(grads, ref):
        if g.shape != r.shape:
            return {"passed": False, "detail": f"gradient shape {g.shape}, the floor's is {r.shape}"}
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        err = float(np.max(np.abs(g.astype(np.float64) - r.astype(np.float64)))) if r.size else 0.0
        worst = max(worst, err / (scale if scale > 0 else 1.0))
    return {"passed": bool(worst <= tol), "rel_err": worst, "tol": tol}


def run_workload(name, mod, opts, tmp: Path, log) -> dict:
    import numpy as np
    timed = list(getattr(mod, "TIMED", ["step"]))
    tol = float(getattr(mod, "TOL", 1e-4))
    result = {"doc": (mod.__doc__ or "").strip().splitlines()[0] if mod.__doc__ else "", "timed": timed,
              "frameworks": {}, "notes": []}
    fws = [f for f in opts.frameworks if f in FRAMEWORKS]
    workers = {}
    for fw in fws:
        if _setup(mod, fw) is None:
            result["notes"].append(f"{fw}: not defined for this workload")
            continue
        if importlib.util.find_spec(REQUIRES[fw]) is None:
            result["notes"].append(f"{fw}: {REQUIRES[fw]} is not installed, skipped")
            continue
        workers[fw] = Worker(name, fw, opts, tmp)
    ready = {}
    for fw, w in workers.items():
        msg = w.read()
        ready[fw] = msg
        result["frameworks"][fw] = {"setup": msg}
        if not msg.get("ok"):
            log(f"  {fw}: setup failed: {msg.get('error')}")
    if "floor" not in ready or not ready["floor"].get("ok"):
        for w in workers.values():
            w.close()
        result["error"] = "the floor did not run; nothing to check against"
        return result
    with np.load(workers["floor"].grad_file) as z:
        ref = [z[f"arr_{i}"] for i in range(len(z.files))]
    live = {}
    for fw, w in workers.items():
        if not ready[fw].get("ok"):
            w.close()
            continue
        with np.load(w.grad_file) as z:
            grads = [z[f"arr_{i}"] for i in range(len(z.files))]
        chk = _check(grads, ref, tol)
        result["frameworks"][fw]["grad_check"] = chk
        if not chk["passed"]:
            log(f"  {fw}: gradient check FAILED ({chk}); not timed")
            w.close()
            continue
        live[fw] = w
    numbers = {}
    for fw, w in live.items():
        for t in timed:
            msg = w.ask(cmd="calibrate", name=t, min_batch=opts.min_batch)
            numbers[fw, t] = msg.get("number", 1)
    rounds = {(fw, t): [] for fw in live for t in timed}
    for _ in range(opts.repeats):
        for t in timed:
            for fw, w in live.items():       # interleaved: A B C A B C ...
                msg = w.ask(cmd="time", name=t, number=numbers[fw, t])
                if "seconds" in msg:
                    rounds[fw, t].append(msg["seconds"])
    for fw, w in live.items():
        entry = result["frameworks"][fw]
        entry["times"] = {}
        for t in timed:
            xs = rounds[fw, t]
            entry["times"][t] = {"median_s": statistics.median(xs) if xs else None, "rounds_s": xs,
                                 "number": numbers[fw, t]}
        if not opts.no_memory:
            entry["memory"] = {t: w.ask(cmd="memory", name=t) for t in timed}
        w.close()
    return result


def _machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for mod in ("numpy", "torch", "jax", "autograd"):
        try:
            from importlib.metadata import version
            versions[mod] = version(mod)
        except Exception:  # noqa: BLE001
            versions[mod] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def _ms(s) -> str:
    if s is None:
        return "—"
    ms = s * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def _mb(b) -> str:
    mb = b / 2**20
    return f"{mb:.0f}" if mb >= 100 else f"{mb:.1f}" if mb >= 1 else f"{mb:.3f}"


def _ratio(a, b) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def _median(res, fw, t):
    try:
        return res["frameworks"][fw]["times"][t]["median_s"]
    except KeyError:
        return None


def _table(lines: list, title: str, head: list, results: dict, cells) -> None:
    """One markdown table: a row per workload and timed function, ``cells(res, t)`` its cells after the name."""
    lines.append(title)
    lines.append("| " + " | ".join(["workload"] + head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * len(head)) + "|")
    for name, res in results.items():
        for t in res.get("timed", ["step"]):
            lines.append("| " + " | ".join([name if t == "step" else f"{name}/{t}"] + cells(res, t)) + " |")


def report(results: dict, fws: list) -> str:
    lines: list = []
    cols = [f for f in FRAMEWORKS if f in fws]
    labels = [LABELS[f] for f in cols]

    def times(res, t):
        tu = _median(res, "turunan", t)
        return [_ms(_median(res, f, t)) for f in cols] + [_ratio(tu, _median(res, "floor", t)),
                                                          _ratio(tu, _median(res, "torch", t))]

    def memory(res, t):
        ms = [res["frameworks"].get(f, {}).get("memory", {}).get(t) for f in cols]
        return ["—" if not m or "peak_bytes" not in m else _mb(m["peak_bytes"]) for m in ms]
    _table(lines, "Median time per iteration, ms (lower is better)\n",
           labels + ["turunan / floor", "turunan / PyTorch"], results, times)
    _table(lines, "\nRatio to the NumPy floor (median / floor median)\n", labels, results,
           lambda res, t: [_ratio(_median(res, f, t), _median(res, "floor", t)) for f in cols])
    _table(lines, "\nPeak memory over one call, MB (tracemalloc for floor/turunan/HIPS; resident-set peak "
           "for PyTorch/JAX)\n", labels, results, memory)
    jits = [f for f in COMPILING if f in cols]
    if jits:
        _table(lines, "\nFirst call, ms (for a jit: trace and compile; turunan jit's later calls replay)\n",
               [LABELS[f] for f in jits], results,
               lambda res, t: [_ms(res["frameworks"].get(f, {}).get("setup", {}).get("first_s", {}).get(t))
                               for f in jits])
    notes = [(n, x) for n, res in results.items() for x in res.get("notes", [])]
    fails = [(n, f, r["frameworks"][f].get("grad_check") or r["frameworks"][f]["setup"].get("error"))
             for n, r in results.items() for f in r.get("frameworks", {})
             if not r["frameworks"][f]["setup"].get("ok") or not r["frameworks"][f].get("grad_check", {})
             .get("passed", True)]
    if notes or fails:
        lines.append("\nNotes")
        seen = set()
        for n, x in notes:
            if x.endswith("skipped") and x in seen:
                continue
            seen.add(x)
            lines.append(f"- {n}: {x}")
        for n, f, why in fails:
            lines.append(f"- {n}: {f} did not pass: {why}")
    return "\n".join(lines)


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m turunan bench", description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="threads for every framework (default 1)")
    p.add_argument("--repeats", type=int, default=7, help="interleaved timing rounds (default 7)")
    p.add_argument("--only", default="", help="comma-separated workloads (default: all)")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated frameworks "
                   f"(default: {','.join(FRAMEWORKS)})")
    p.add_argument("--quick", action="store_true", help="tiny sizes and short batches (for tests)")
    p.add_argument("--min-batch", type=float, default=None, help="seconds per timed batch (default 0.2, "
                   "quick 0.005)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    p.add_argument("--json", default="bench-results/bench.json", help="where to write the JSON results")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "FRAMEWORK"), help=argparse.SUPPRESS)
    p.add_argument("--size", default="full", help=argparse.SUPPRESS)
    p.add_argument("--grad-file", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    opts = parse(sys.argv[1:] if argv is None else argv)
    if opts.worker:
        opts.workload, opts.framework = opts.worker
        return worker(opts)
    mods = discover()
    if opts.list:
        for n in _sorted_names(mods):
            print(f"{n:<20} {(mods[n].__doc__ or '').strip().splitlines()[0]}")
        return 0
    names = _sorted_names(mods)
    if opts.only:
        wanted = [n.strip() for n in opts.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in mods]
        if unknown:
            print(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(names)}", file=sys.stderr)
            return 2
        names = [n for n in names if n in wanted]
    opts.frameworks = [f.strip() for f in opts.frameworks.split(",") if f.strip()]
    if "floor" not in opts.frameworks:
        opts.frameworks.insert(0, "floor")
    if opts.min_batch is None:
        opts.min_batch = 0.005 if opts.quick else 0.2

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    machine = _machine()
    log(f"turunan bench: {len(names)} workload(s), threads={opts.threads}, repeats={opts.repeats}"
        f"{', quick' if opts.quick else ''}; {machine['cpu']} ({machine['cores']} cores)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="turunan-bench-") as tmp:
        for n in names:
            log(f"[{n}] ...")
            t0 = time.perf_counter()
            results[n] = run_workload(n, mods[n], opts, Path(tmp), log)
            log(f"[{n}] done in {time.perf_counter() - t0:.1f}s")
    text = report(results, opts.frameworks)
    print(text)
    out = {"machine": machine, "options": {"threads": opts.threads, "repeats": opts.repeats, "quick": opts.quick,
                                           "min_batch_s": opts.min_batch, "frameworks": opts.frameworks,
                                           "command": "python -m turunan bench " + " ".join(
                                               sys.argv[1:] if argv is None else argv)},
           "workloads": results, "table": text}
    if opts.json:
        path = Path(opts.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=1))
        log(f"results written to {path}")
    ok = all(r["frameworks"].get(f, {}).get("grad_check", {}).get("passed", True)
             for r in results.values() for f in r.get("frameworks", {})) and not any("error" in r
                                                                                     for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
