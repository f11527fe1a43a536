"""The benchmark runner runs (tiny sizes) and its JSON carries what the README promises. No timings checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from turunan import bench

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, *args):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "turunan", "bench", "--quick", "--repeats", "2",
                           "--json", str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    return proc, out


def test_runner_quick_json(tmp_path):
    proc, out = _run(tmp_path, "--only", "chain_small,big_elementwise", "--frameworks", "floor,turunan,torch")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert set(res) >= {"machine", "options", "workloads", "table"}
    assert res["options"]["threads"] == 1 and res["options"]["quick"] is True
    assert set(res["workloads"]) == {"chain_small", "big_elementwise"}
    for name, wl in res["workloads"].items():
        for fw in ("floor", "turunan"):
            entry = wl["frameworks"][fw]
            assert entry["setup"]["ok"], (name, fw, entry)
            assert entry["grad_check"]["passed"], (name, fw, entry["grad_check"])
            for t in wl["timed"]:
                times = entry["times"][t]
                assert len(times["rounds_s"]) == 2 and times["median_s"] > 0
                assert entry["memory"][t]["method"] == "tracemalloc"
                assert entry["memory"][t]["peak_bytes"] >= 0
    assert res["workloads"]["big_elementwise"]["timed"] == ["forward", "step"]
    assert "turunan / floor" in res["table"] and "chain_small" in proc.stdout


def test_every_workload_follows_the_plugin_format():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run
        mods = run.discover()
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert {"chain_small", "chapter", "mlp_train", "deep_narrow", "big_elementwise", "matmul_chain",
            "second_derivative"} <= set(mods)
    for name, mod in mods.items():
        assert mod.__doc__, name
        assert {"full", "quick"} <= set(mod.SIZES), name
        assert callable(mod.data) and callable(mod.setup_floor), name
        for t in getattr(mod, "TIMED", ["step"]):
            assert isinstance(t, str)


@pytest.mark.parametrize("name", ["chapter", "mlp_train", "deep_narrow", "matmul_chain", "second_derivative"])
def test_turunan_matches_the_floor_in_process(name):
    """Each workload's turunan gradients equal the hand-written floor's (quick sizes, no subprocess)."""
    import numpy as np
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import importlib
        mod = importlib.import_module(f"workloads.{name}")
        import run
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    size = mod.SIZES["quick"]
    d = mod.data(size)
    ref = [np.asarray(g) for g in mod.setup_floor(d, size).grads()]
    case = mod.setup_turunan(d, size)
    got = [np.asarray(g) for g in case.grads()]
    assert run._check(got, ref, getattr(mod, "TOL", 1e-4))["passed"]
    case.step()   # a step runs after the check


def test_unknown_workload_is_an_error(tmp_path):
    proc, _ = _run(tmp_path, "--only", "no_such_workload")
    assert proc.returncode == 2 and "unknown workload" in proc.stderr


def test_missing_checkout_gives_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="source checkout"):
        bench._load_runner(tmp_path / "nope" / "run.py")
