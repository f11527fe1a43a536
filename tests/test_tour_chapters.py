"""``python -m turunan tour --chapter C --tab T`` for D2L's chapters after the preliminaries (issue 11): the book's
helper library runs on the tab's door (``turunan.book``), Fashion-MNIST comes from its files when they are on the
machine and from a synthetic stand-in (said so) when they are not, and what the progress board would have drawn is
printed as its last points. The cells' values are checked against PyTorch by ``test_d2l_chapters_*.py``; this
checks the command."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from turunan import book, datasets, tour

NOTE = "a synthetic set of the same shapes stands in"


@pytest.fixture(autouse=True)
def _present(monkeypatch, tmp_path):
    if not (book.chapter_path("linear-regression-scratch").is_file() and book.library_path("pytorch").is_file()):
        pytest.skip(f"D2L's chapters are not here: {book.d2l_root()} (shared/ beside the checkout)")
    monkeypatch.setenv("TURUNAN_DATA", str(tmp_path / "no-data"))       # never the user's own files


def _run(chapter, tab, capsys):
    status = tour.main(["--chapter", chapter, "--tab", tab])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("tab", ["pytorch", "tensorflow", "mxnet"])
def test_linear_regression_from_scratch_runs_and_shows_its_board(tab, capsys):
    status, out, err = _run("linear-regression-scratch", tab, capsys)
    assert status == 0 and err == "", out[-2000:]
    assert f"linear-regression-scratch ({tab}): 10 cells ran, 0 not run" in out and "0 failed" in out
    assert "error in estimating w:" in out and "(the board's last points: train_loss " in out
    assert NOTE not in out                      # no Fashion-MNIST in this chapter: nothing stands in


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.mark.parametrize("tab", ["tensorflow", "mxnet"])
def test_the_later_chapters_run_on_every_tab(tab, capsys):
    for chapter, cells in (("softmax-regression-concise", 4), ("mlp-implementation", 7)):
        status, out, _ = _run(chapter, tab, capsys)
        assert status == 0 and f"{chapter} ({tab}): {cells} cells ran, 0 not run" in out, out[-2000:]
        assert NOTE in out and "val_acc" in out


def test_fashion_mnist_is_synthetic_only_when_its_files_are_absent(monkeypatch, tmp_path, capsys):
    status, out, _ = _run("softmax-regression-concise", "pytorch", capsys)
    assert status == 0 and NOTE in out and "val_acc" in out
    # the files present (a small set written in Fashion-MNIST's format): they are read, nothing stands in
    images, labels = datasets.synthetic_fashion_mnist(train=True, n=300, seed=5)
    folder = tmp_path / "data" / "fashion-mnist"
    folder.mkdir(parents=True)
    for train, (x, y) in {True: (images, labels), False: (images[:100], labels[:100])}.items():
        for stem, array in zip(datasets.FASHION_MNIST_FILES[train], (x, y)):
            _write_idx(folder / f"{stem}.gz", array)
    monkeypatch.setenv("TURUNAN_DATA", str(tmp_path / "data"))
    got = datasets.fashion_mnist(train=False)
    assert got[0].shape == (100, 28, 28) and np.array_equal(got[0], images[:100])
    status, out, _ = _run("softmax-regression-concise", "pytorch", capsys)
    assert status == 0 and NOTE not in out and "4 cells ran, 0 not run" in out


def test_fashion_mnist_files_that_are_not_idx_get_a_clear_error(tmp_path):
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for stem in datasets.FASHION_MNIST_FILES[False]:
        (folder / stem).write_bytes(b"not an idx file")
    with pytest.raises(ValueError, match="is not an IDX file"):
        datasets.fashion_mnist(train=False, root=folder)
    with pytest.raises(FileNotFoundError, match="turunan downloads nothing"):
        datasets.fashion_mnist(train=True, root=folder)


def test_a_later_chapter_without_the_library_says_so(tmp_path, capsys):
    root = tmp_path / "d2l"
    (root / "chapter_linear-regression").mkdir(parents=True)
    (root / "chapter_linear-regression" / "linear-regression-scratch.md").write_text("no cells\n")
    with pytest.raises(SystemExit) as e:
        tour.main(["--chapter", "linear-regression-scratch", "--d2l", str(root)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "D2L's file is not here" in err and "torch.py" in err, err
