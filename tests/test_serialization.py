"""Saving and loading parameters as .npz: round trip, and clear all-or-nothing errors."""

import os

import numpy as np
import pytest

import turunan as tn
from turunan import nn
from turunan.nn import CheckpointError


def make(seed=0):
    g = tn.Generator(seed)
    return nn.Sequential(nn.Conv2d(1, 2, 3, generator=g), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8, 3, generator=g))


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


@pytest.fixture
def saved(tmp_path):
    model = make(0)
    model(tn.ones(4, 1, 4, 4))                  # move the batch-norm running statistics off their defaults
    path = tmp_path / "model.npz"
    model.save(path)
    return model, path


def test_round_trip(saved):
    model, path = saved
    other = make(1)
    assert not np.array_equal(other[0].weight.detach().numpy(), model[0].weight.detach().numpy())
    weight_buffer = other[0].weight.data
    other.load(path)
    assert_same(snapshot(other), snapshot(model))
    assert other[0].weight.data is weight_buffer                       # loaded in place
    assert int(other[1].num_batches_tracked.item()) == 1
    x = tn.ones(2, 1, 4, 4)
    np.testing.assert_array_equal(other.eval()(x).detach().numpy(), model.eval()(x).detach().numpy())


def test_functional_save_load_and_no_pickle_in_the_file(tmp_path):
    path = tmp_path / "state.npz"
    nn.save({"a": tn.ones(2, 3), "b": np.arange(3)}, path)
    with np.load(path, allow_pickle=False) as f:
        assert set(f.files) == {"a", "b", "__turunan_format__"}
    state = nn.load(path)
    assert state["a"].shape == (2, 3) and state["b"].dtype == np.int64
    assert not os.path.exists(str(path) + ".tmp")


def _check_refused(model, path, match):
    before = snapshot(model)
    with pytest.raises(CheckpointError, match=match):
        model.load(path)
    assert_same(snapshot(model), before)                               # nothing was changed


def test_corrupt_file(saved, tmp_path):
    model, path = saved
    bad = tmp_path / "bad.npz"
    bad.write_bytes(os.urandom(2000))
    _check_refused(make(2), bad, "corrupt or truncated")
    flipped = bytearray(path.read_bytes())
    flipped[len(flipped) // 3] ^= 0xFF                                 # one flipped byte inside the data
    bad.write_bytes(bytes(flipped))
    _check_refused(make(2), bad, "corrupt or truncated|not a turunan checkpoint")


def test_truncated_file(saved, tmp_path):
    _, path = saved
    for keep in (0.3, 0.7, 0.95):
        cut = tmp_path / f"cut{keep}.npz"
        data = path.read_bytes()
        cut.write_bytes(data[:int(len(data) * keep)])
        _check_refused(make(2), cut, "corrupt or truncated")


def test_mismatched_files(saved, tmp_path):
    model, path = saved
    state = {k: v.numpy() for k, v in nn.load(path).items()}
    wrong_shape = dict(state, **{"4.weight": np.zeros((3, 9), np.float32)})
    nn.save(wrong_shape, tmp_path / "shape.npz")
    _check_refused(make(2), tmp_path / "shape.npz", r"'4.weight' has shape \(3, 9\).*\(3, 8\)")
    missing = {k: v for k, v in state.items() if k != "0.bias"}
    nn.save(missing, tmp_path / "missing.npz")
    _check_refused(make(2), tmp_path / "missing.npz", "missing keys: '0.bias'")
    extra = dict(state, extra=np.zeros(1))
    nn.save(extra, tmp_path / "extra.npz")
    _check_refused(make(2), tmp_path / "extra.npz", "unexpected keys: 'extra'")
    _check_refused(make(2).double(), path, "dtype float32 in the checkpoint but float64")


def test_strict_false_loads_what_matches(saved, tmp_path):
    model, path = saved
    state = {k: v.numpy() for k, v in nn.load(path).items() if not k.startswith("4.")}
    nn.save(dict(state, extra=np.zeros(1)), tmp_path / "part.npz")
    other = make(3)
    head = other[4].weight.detach().numpy().copy()
    missing, unexpected = other.load_state_dict(nn.load(tmp_path / "part.npz"), strict=False)
    assert missing == ["4.weight", "4.bias"] and unexpected == ["extra"]
    np.testing.assert_array_equal(other[0].weight.detach().numpy(), model[0].weight.detach().numpy())
    np.testing.assert_array_equal(other[4].weight.detach().numpy(), head)


def test_pickled_and_foreign_files_are_refused(tmp_path):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, w=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="pickle"):
        nn.load(pickled)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, w=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a turunan checkpoint"):
        nn.load(foreign)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.npz")
    with pytest.raises(CheckpointError, match="not numeric"):
        nn.save({"w": np.array([None])}, tmp_path / "x.npz")


def test_loading_bumps_versions_so_stale_graphs_are_detected(saved):
    model, path = saved
    other = make(1)
    loss = other(tn.ones(2, 1, 4, 4)).sum()
    other.load(path)
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()
