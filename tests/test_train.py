"""A short training run reaches clearly-better-than-chance accuracy in seconds (the 97% run is the example)."""

import numpy as np
import pytest

import turunan as tn
from turunan import nn, optim, train
from turunan.data import DataLoader, TensorDataset


def blobs(n=240, seed=0):
    """Three separable classes of 1x6x6 'images': a bright bar in one of three places, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.3, (n, 1, 6, 6)).astype(np.float32)
    for i, c in enumerate(y):
        x[i, 0, 2 * c:2 * c + 2, :] += 1.0
    return x, y


def test_a_cnn_learns_without_any_optional_package():
    x, y = blobs()
    g = tn.Generator(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, generator=g), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(36, 3, generator=g))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(3):
        for xb, yb in DataLoader(TensorDataset(x[:200], y[:200]), batch_size=20, shuffle=True, seed=0):
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    assert train.accuracy(model, x[200:], y[200:]) > 0.9        # chance is 1/3


def test_digits_mlp_beats_chance_in_seconds():
    pytest.importorskip("sklearn")
    result = train.fit("mlp", epochs=2, seed=0, progress=False)
    assert result["test_acc"] > 0.8                                # chance is 0.1
    assert len(result["history"]["loss"]) == 2
    assert result["history"]["loss"][1] < result["history"]["loss"][0]


def test_train_command(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert train.main(["--model", "cnn", "--epochs", "1", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out
    assert (tmp_path / "digits_cnn.npz").exists()
    model = train.build_model("cnn").load(tmp_path / "digits_cnn.npz")   # the saved weights load back
    assert model.num_parameters() > 0
    if pytest.importorskip("matplotlib"):
        assert (tmp_path / "digits_cnn.png").exists()


def test_unknown_model():
    with pytest.raises(ValueError, match="mlp"):
        train.build_model("resnet")


def test_the_training_example_in_the_docs_runs_as_written(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    from readme import blocks
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    for block in blocks("Training a model"):
        exec(compile(block, "README training section", "exec"), scope)
    assert (tmp_path / "digits_cnn.npz").exists() and (tmp_path / "graph.dot").exists()
    assert scope["accuracy"](scope["restored"]) > 0.8


@pytest.mark.parametrize("batch_size", [64, 2])
def test_a_global_batch_that_does_not_split_over_the_ranks_is_refused(monkeypatch, batch_size):
    # --batch-size is the global batch: 64 over 3 ranks would train on 63 (and another number of steps)
    from turunan import distributed as dist
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_rank", lambda: 0)
    monkeypatch.setattr(dist, "get_world_size", lambda: 3)
    with pytest.raises(ValueError, match="multiple of 3"):
        train.fit("mlp", epochs=1, batch_size=batch_size, progress=False, distributed=True)
