"""The command line refuses careless use in one line, before any work (issue 9, items 17, 18 and 19).

``python -m turunan train --lr nan`` used to train 15 epochs into NaN weights and exit 0; ``--out`` under a
file failed with a traceback only after the whole training ran. Every user error is now one line on stderr
naming the problem, exit status 2, found before training, drawing or any other work starts.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import turunan
from turunan import _cli, _demo, train, viz

SRC = str(Path(turunan.__file__).resolve().parents[1])     # the turunan these tests import, for the children


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "turunan", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def one_line_error(done, *words):
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert done.stdout == ""                   # nothing started: not even the data was announced
    return lines[0]


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("not a folder")
    return f


@pytest.mark.parametrize("args,words", [
    (["nosuchcmd"], ["'nosuchcmd' is not a command", "demo, tour, train, graph, bench"]),
    (["train", "--lr", "nan"], ["--lr", "finite number > 0", "'nan'"]),
    (["graph", "--out", "g.xyz"], ["unknown picture format '.xyz'", ".svg", ".dot"]),
])
def test_bad_arguments_get_one_line_and_exit_2(tmp_path, args, words):
    one_line_error(run_cli(*args, cwd=tmp_path), *words)
    assert os.listdir(tmp_path) == []                      # no out/ folder, no picture, nothing


def test_out_under_a_file_is_refused_before_training(tmp_path, a_file):
    line = one_line_error(run_cli("train", "--out", str(a_file / "sub"), cwd=tmp_path), "a_file", "is a file")
    assert line.startswith("python -m turunan train: error:")


def test_graph_out_a_folder_is_refused(tmp_path):
    one_line_error(run_cli("graph", "--out", str(tmp_path), cwd=tmp_path), "is a folder", "graph.svg")


# ---- in process: the checks run before any work (the work is replaced by a tripwire) ------------------
@pytest.fixture
def no_work(monkeypatch):
    def tripwire(*a, **k):
        raise AssertionError("work started before the arguments were checked")
    monkeypatch.setattr(train, "fit", tripwire)
    monkeypatch.setattr(_demo, "engine_tour", tripwire)
    monkeypatch.setattr(viz, "_example", tripwire)
    import turunan.datasets
    monkeypatch.setattr(turunan.datasets, "load_digits", tripwire)


def exits_2(main, argv, capsys, *words):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and all(w in err for w in words), err


@pytest.mark.parametrize("argv,words", [
    (["--epochs", "-1"], ["--epochs", ">= 1", "-1"]),
    (["--epochs", "0"], ["--epochs", ">= 1"]),
    (["--epochs", "2.5"], ["--epochs", "expected an integer", "'2.5'"]),
    (["--batch-size", "0"], ["--batch-size", ">= 1"]),
    (["--batch-size", "-3"], ["--batch-size", ">= 1"]),
    (["--lr", "-1"], ["--lr", "finite number > 0", "'-1'"]),
    (["--lr", "0"], ["--lr", "finite number > 0"]),
    (["--lr", "inf"], ["--lr", "'inf'"]),
    (["--lr", "abc"], ["--lr", "expected a number"]),
    (["--seed", "-1"], ["--seed", ">= 0"]),
    (["--model", "resnet"], ["--model", "invalid choice"]),
])
def test_train_refuses_bad_numbers_before_training(tmp_path, monkeypatch, capsys, no_work, argv, words):
    monkeypatch.chdir(tmp_path)
    exits_2(train.main, argv, capsys, "python -m turunan train: error:", *words)
    assert os.listdir(tmp_path) == []


def test_an_unwritable_out_folder_is_found_before_the_work(tmp_path, capsys, monkeypatch, no_work):
    # permissions cannot be taken from root, so the write test itself is made to fail as a read-only disk would
    def read_only(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(_cli.tempfile, "mkstemp", read_only)
    exits_2(train.main, ["--out", str(tmp_path / "out")], capsys, "not writable", "Permission denied")
    exits_2(viz.main, ["--out", str(tmp_path / "g.dot")], capsys, "not writable")
    exits_2(_demo.main, ["--out", str(tmp_path / "out")], capsys, "not writable")


def test_an_output_file_name_taken_by_a_folder_is_found_before_training(tmp_path, capsys, no_work):
    (tmp_path / "digits_mlp.npz").mkdir()
    exits_2(train.main, ["--out", str(tmp_path)], capsys, "digits_mlp.npz", "is a folder")


def test_out_that_is_a_file_or_under_a_file_is_refused_in_every_command(tmp_path, capsys, a_file, no_work):
    exits_2(train.main, ["--out", str(a_file)], capsys, "is a file, not a folder")
    exits_2(viz.main, ["--out", str(a_file / "g.dot")], capsys, "is a file, not a folder")
    exits_2(viz.main, ["--out", str(tmp_path / "g")], capsys, "unknown picture format '(no suffix)'")


def test_help_still_works(capsys):
    from turunan.__main__ import main
    assert main([]) == 0 and "commands:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        train.main(["--help"])
    assert e.value.code == 0 and "--lr" in capsys.readouterr().out


def test_demo_checks_its_arguments_before_the_tour(tmp_path, capsys, a_file, no_work):
    exits_2(_demo.main, ["--epochs", "0"], capsys, "--epochs", ">= 1")
    exits_2(_demo.main, ["--out", str(a_file)], capsys, "is a file, not a folder")


def test_fit_refuses_bad_arguments_before_loading_data(monkeypatch):
    import turunan.datasets

    def tripwire(*a, **k):
        raise AssertionError("the data was loaded before the arguments were checked")
    monkeypatch.setattr(turunan.datasets, "load_digits", tripwire)
    with pytest.raises(ValueError, match="epochs must be >= 0, got -1"):
        train.fit("mlp", epochs=-1)
    with pytest.raises(TypeError, match="epochs must be an integer"):
        train.fit("mlp", epochs=2.5)
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        train.fit("resnet")
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        train.fit("mlp", epochs=1, lr=float("nan"))


def test_fit_refuses_a_bad_batch_size_before_training():
    rng = np.random.default_rng(0)
    data = ((rng.normal(size=(8, 1, 8, 8)), np.arange(8) % 10), (rng.normal(size=(4, 1, 8, 8)), np.arange(4)))
    with pytest.raises(TypeError, match="batch_size must be a positive integer"):
        train.fit("mlp", epochs=1, batch_size=2.5, data=data, progress=False)


# ---- item 19: the first screen ---------------------------------------------------------------------------
def test_the_training_plot_shows_whole_epochs_only():
    pytest.importorskip("matplotlib")
    history = {"loss": [1.0, 0.5, 0.3], "train_acc": [0.5, 0.7, 0.8], "test_acc": [0.4, 0.6, 0.7]}
    fig = train.history_figure(history)
    fig.canvas.draw()
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_the_license_is_an_spdx_string_not_a_deprecated_table():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "MIT"
    # an SPDX string needs setuptools 77 (PEP 639); an older build backend would reject it
    (req,) = [r for r in meta["build-system"]["requires"] if r.startswith("setuptools")]
    assert req.replace(" ", "") == "setuptools>=77"


# ---- item 18: the submodules are attributes of `import turunan`, loaded on first use --------------------
def test_submodules_are_reachable_from_the_top_level_lazily(tmp_path):
    code = ("import sys, turunan as tn\n"
            "assert 'turunan.nn' not in sys.modules and 'turunan.optim' not in sys.modules, 'not lazy'\n"
            "m = tn.nn.Linear(2, 2)\n"
            "opt = tn.optim.SGD(m.parameters(), lr=0.1)\n"
            "assert tn.data.DataLoader and tn.func.grad and tn.numpy.sin and tn.testing.check_grads\n"
            "assert tn.viz.draw_graph and tn.datasets and tn.plotting\n"
            "assert {'nn', 'optim', 'data', 'viz'} <= set(dir(tn))\n"
            "try:\n"
            "    tn.no_such_thing\n"
            "except AttributeError as e:\n"
            "    assert 'no_such_thing' in str(e)\n"
            "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
