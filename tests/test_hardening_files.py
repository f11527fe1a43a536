"""Hostile files and careless hyper-parameters (issue 9, items 7, 9, 11 and 12).

Checkpoints: a zip bomb, a forged ``.npy`` header, a foreign or duplicated member, a symlink planted where
the old code wrote its temporary file, a save that fails. Each must give a clear error, allocate nothing
large and change nothing. Optimisers, schedulers and the DataLoader: NaN, infinite, negative, fractional
and string arguments are refused where they enter, with PyTorch's wording.
"""

import gc
import io
import math
import os
import stat
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import turunan as tn
from turunan import nn, optim
from turunan.data import DataLoader, TensorDataset
from turunan.nn import CheckpointError, serialization


# ---- building hostile files ----------------------------------------------------------------------------
def npy(arr) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def header(shape, dtype) -> bytes:
    """A version-1.0 .npy header declaring ``shape`` and ``dtype``; the data is whatever follows it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                               "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def marker() -> bytes:
    return npy(np.array(serialization.FORMAT))


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """``members``: (name, bytes) pairs, written in order (duplicates allowed, as zip allows them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)            # zipfile warns about a duplicate name
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return path


def make_model():
    return nn.Linear(8, 3, generator=tn.Generator(0))


def good_members(model):
    return [(k + ".npy", npy(v.numpy())) for k, v in model.state_dict().items()] + [("__turunan_format__.npy",
                                                                                     marker())]


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_unchanged(model, before):
    after = snapshot(model)
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


def peak_bytes_of(fn):
    """Run ``fn``; return (its exception or None, the peak of Python/NumPy allocations while it ran).

    The cyclic collector is paused meanwhile: a full collection that happened to fall in the window runs
    turunan's gc callback (turunan._gc), whose look at the tracked objects would be counted as the load's."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        fn()
    except Exception as e:       # noqa: BLE001  (the caller asserts on it)
        err = e
    else:
        err = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if gc_was_enabled:
            gc.enable()
    return err, peak


# ---- item 11: loading checks names, then headers, before reading ----------------------------------------
@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """A small file whose one extra, deflated member inflates to 64 MB of zeros."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    model = make_model()
    size = 8 * 2**20                                        # float64 elements: 64 MiB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in good_members(model):
            zf.writestr(name, data)
        info = zipfile.ZipInfo("bomb.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as f:     # streamed: the test never holds 64 MB either
            f.write(header((size,), np.float64))
            chunk = bytes(2**20)
            for _ in range(size * 8 // len(chunk)):
                f.write(chunk)
    assert path.stat().st_size < 2**20                       # under a megabyte on disk
    return path


def test_a_zip_bomb_member_is_refused_before_it_is_decompressed(bomb):
    model = make_model()
    before = snapshot(model)
    err, peak = peak_bytes_of(lambda: model.load(bomb))
    assert isinstance(err, CheckpointError) and "unexpected keys: 'bomb'" in str(err)
    assert peak < 4 * 2**20, f"loading the bomb allocated {peak / 2**20:.0f} MiB"
    assert_unchanged(model, before)
    # without a model to compare with, the compressed member is refused as such (it could declare any size)
    err, peak = peak_bytes_of(lambda: nn.load(bomb))
    assert isinstance(err, CheckpointError) and "compressed" in str(err)
    assert peak < 4 * 2**20
    # strict=False skips the member it has no use for without reading a byte of it
    other = make_model()
    other.weight.data[...] = 0
    err, peak = peak_bytes_of(lambda: other.load(bomb, strict=False))
    assert err is None and peak < 4 * 2**20
    np.testing.assert_array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())


@pytest.mark.parametrize("load", ["model", "plain"])
def test_a_header_declaring_2_to_the_40_elements_is_a_checkpoint_error_not_a_memory_error(tmp_path, load):
    model = make_model()
    members = [m for m in good_members(model) if m[0] != "weight.npy"]
    members.append(("weight.npy", header((2**40,), np.float32) + bytes(96)))
    path = write_zip(tmp_path / "forged.npz", members)
    before = snapshot(model)
    err, peak = peak_bytes_of((lambda: model.load(path)) if load == "model" else (lambda: nn.load(path)))
    assert isinstance(err, CheckpointError), repr(err)
    assert "weight" in str(err) and ("1099511627776" in str(err) or "shape" in str(err))
    assert peak < 2**20
    assert_unchanged(model, before)


def test_a_real_but_wrongly_shaped_member_is_refused_before_its_data_is_read(tmp_path):
    model = make_model()
    members = [m for m in good_members(model) if m[0] != "weight.npy"]
    members.append(("weight.npy", npy(np.zeros((2000, 1000), np.float32))))       # 8 MB, honestly declared
    path = write_zip(tmp_path / "big.npz", members)
    before = snapshot(model)
    err, peak = peak_bytes_of(lambda: model.load(path))
    assert isinstance(err, CheckpointError) and "'weight' has shape (2000, 1000)" in str(err)
    assert peak < 2 * 2**20, f"{peak / 2**20:.1f} MiB allocated to refuse a wrongly shaped member"
    assert_unchanged(model, before)


@pytest.mark.parametrize("name,data,match", [
    ("README.txt", b"hello", "not an .npy array"),
    ("weights/", b"", "not an .npy array"),
    ("extra.npy", b"not an npy file at all", "no valid .npy header"),
    ("extra.npy", header((3,), np.float32) + bytes(4), "declares shape"),           # shorter than declared
    ("extra.npy", header((3,), np.float32) + bytes(400), "declares shape"),         # longer than declared
    ("extra.npy", header((2,), [("a", np.float32), ("b", np.int8)]) + bytes(10), "not a plain numeric"),
])
def test_foreign_or_malformed_members_are_checkpoint_errors(tmp_path, name, data, match):
    model = make_model()
    path = write_zip(tmp_path / "odd.npz", good_members(model) + [(name, data)])
    with pytest.raises(CheckpointError, match=match):
        nn.load(path)
    before = snapshot(model)
    with pytest.raises(CheckpointError):
        model.load(path)
    assert_unchanged(model, before)


def test_a_member_stored_twice_is_refused(tmp_path):
    """zip allows two members of one name; which one a reader takes is up to the reader: refuse."""
    model = make_model()
    members = good_members(model) + [("bias.npy", npy(np.full(3, 7.0, np.float32)))]
    path = write_zip(tmp_path / "twice.npz", members)
    before = snapshot(model)
    with pytest.raises(CheckpointError, match="appears twice"):
        model.load(path)
    assert_unchanged(model, before)


def test_a_wrong_member_of_the_right_size_is_still_refused_by_its_dtype(tmp_path):
    model = make_model()
    members = [m for m in good_members(model) if m[0] != "weight.npy"]
    members.append(("weight.npy", npy(np.zeros((3, 8), np.int32))))
    path = write_zip(tmp_path / "int.npz", members)
    before = snapshot(model)
    with pytest.raises(CheckpointError, match="dtype int32 in the checkpoint but float32"):
        model.load(path)
    assert_unchanged(model, before)


def test_fortran_ordered_and_empty_arrays_round_trip(tmp_path):
    f = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    assert not f.flags.c_contiguous
    nn.save({"f": f, "empty": np.zeros((0, 5), np.float32), "scalar": np.float64(2.5)}, tmp_path / "a.npz")
    got = nn.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(got["f"].numpy(), f)
    assert got["empty"].shape == (0, 5) and got["empty"].dtype == np.float32
    assert got["scalar"].item() == 2.5


def test_a_flipped_data_byte_is_caught_by_the_crc(tmp_path):
    model = make_model()
    path = tmp_path / "m.npz"
    model.save(path)
    data = bytearray(path.read_bytes())
    raw = npy(model.weight.detach().numpy())
    at = bytes(data).index(raw) + len(raw) - 3            # inside the weight's data, not its header
    data[at] ^= 0x55
    path.write_bytes(bytes(data))
    other = make_model()
    other.weight.data[...] = 0
    before = snapshot(other)
    with pytest.raises(CheckpointError, match="corrupt|CRC"):
        other.load(path)
    assert_unchanged(other, before)


# ---- item 12: save through a fresh temporary file ------------------------------------------------------
def test_a_symlink_planted_at_path_tmp_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "model.npz"
    os.symlink(victim, str(path) + ".tmp")
    make_model().save(path)
    assert victim.read_text() == "precious"
    assert os.path.islink(str(path) + ".tmp")
    np.testing.assert_array_equal(nn.load(path)["weight"].numpy(), make_model().weight.detach().numpy())


def test_saving_onto_a_directory_is_a_clear_error_and_leaves_no_stray_file(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        nn.save({"w": tn.ones(2)}, folder)
    assert sorted(os.listdir(tmp_path)) == ["ckpt"] and os.listdir(folder) == []
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.save({"w": tn.ones(2)}, tmp_path / "nowhere" / "w.npz")
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]


def test_a_save_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    nn.save({"w": tn.ones(2)}, path)
    old = path.read_bytes()

    def disk_full(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(serialization.np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        nn.save({"w": tn.zeros(2)}, path)
    assert os.listdir(tmp_path) == ["w.npz"] and path.read_bytes() == old


def test_save_gives_the_file_the_mode_open_would(tmp_path):
    path = tmp_path / "w.npz"
    old_umask = os.umask(0o027)
    try:
        nn.save({"w": tn.ones(2)}, path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640            # not mkstemp's 0600
    os.chmod(path, 0o604)
    nn.save({"w": tn.ones(2)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o604            # replacing a file keeps its mode


# ---- item 7: optimiser and scheduler hyper-parameters -------------------------------------------------
def w():
    return tn.tensor([1.0, -2.0], requires_grad=True)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("make,match", [
    (lambda: optim.SGD([w()], lr=NAN), "Invalid learning rate: nan"),
    (lambda: optim.SGD([w()], lr=-1.0), "Invalid learning rate: -1"),
    (lambda: optim.SGD([w()], lr=INF), "Invalid learning rate: inf"),
    (lambda: optim.SGD([w()], lr=np.float32(NAN)), "Invalid learning rate: nan"),
    (lambda: optim.SGD([w()], lr=0.1, momentum=NAN), "Invalid momentum value: nan"),
    (lambda: optim.SGD([w()], lr=0.1, momentum=-0.5), "Invalid momentum value"),
    (lambda: optim.SGD([w()], lr=0.1, weight_decay=NAN), "Invalid weight_decay value: nan"),
    (lambda: optim.SGD([w()], lr=0.1, momentum=0.9, dampening=NAN), "Invalid dampening value: nan"),
    (lambda: optim.SGD([w()], lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
    (lambda: optim.Adam([w()], lr=NAN), "Invalid learning rate: nan"),
    (lambda: optim.Adam([w()], eps=NAN), "Invalid epsilon value: nan"),
    (lambda: optim.Adam([w()], eps=-1e-8), "Invalid epsilon value"),
    (lambda: optim.Adam([w()], betas=(NAN, 0.999)), "Invalid beta parameter at index 0: nan"),
    (lambda: optim.Adam([w()], betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda: optim.Adam([w()], weight_decay=NAN), "Invalid weight_decay value: nan"),
    (lambda: optim.AdamW([w()], lr=NAN), "Invalid learning rate: nan"),
    (lambda: optim.AdamW([w()], weight_decay=-INF), "Invalid weight_decay value"),
])
def test_nan_infinite_and_negative_hyper_parameters_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make,match", [
    (lambda: optim.SGD([w()], lr="0.1"), "lr must be a real number, got str '0.1'"),
    (lambda: optim.SGD([w()], lr=None), "lr must be a real number, got NoneType"),
    (lambda: optim.SGD([w()], lr=True), "lr must be a real number, got bool"),
    (lambda: optim.Adam([w()], betas=0.9), "betas must be a pair"),
    (lambda: optim.Adam([w()], betas=(0.9,)), "betas must be a pair"),
    (lambda: optim.Adam([w()], eps="1e-8"), "eps must be a real number"),
])
def test_hyper_parameters_that_are_not_numbers_are_type_errors(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_a_group_added_later_and_a_rate_set_by_hand_are_checked_too():
    a, b = w(), w()
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.add_param_group({"params": [b], "lr": NAN})
    assert len(opt.param_groups) == 1
    (a * a).sum().backward()
    opt.param_groups[0]["lr"] = NAN
    before = a.detach().numpy().copy()
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), before)          # refused before any parameter moved


def test_schedulers_check_their_arguments_and_the_rates_they_compute():
    opt = optim.SGD([w()], lr=0.1)
    sched = optim.lr_scheduler
    with pytest.raises(TypeError, match="step_size must be an integer"):
        sched.StepLR(opt, step_size=2.5)
    with pytest.raises(ValueError, match="Invalid gamma: nan"):
        sched.StepLR(opt, step_size=2, gamma=NAN)
    with pytest.raises(ValueError, match="Invalid gamma"):
        sched.ExponentialLR(opt, gamma=-0.5)
    with pytest.raises(ValueError, match="T_max must be >= 1"):
        sched.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="Invalid eta_min: nan"):
        sched.CosineAnnealingLR(opt, T_max=3, eta_min=NAN)
    with pytest.raises(TypeError, match="milestone must be an integer"):
        sched.MultiStepLR(opt, milestones=[1.5])
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        sched.LambdaLR(opt, 0.5)
    lam = sched.LambdaLR(opt, lambda e: 1.0 if e < 2 else NAN)
    lam.step()
    with pytest.raises(ValueError, match="LambdaLR computed a learning rate .* epoch 2: Invalid learning rate: nan"):
        lam.step()
    assert opt.param_groups[0]["lr"] == 0.1 and lam.last_epoch == 1        # unchanged by the refused step


def test_optimizer_load_state_dict_refuses_unknown_indices_and_bad_values_and_changes_nothing():
    a = w()
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    (a * a).sum().backward()
    opt.step()
    good = opt.state_dict()
    buf = opt.state[id(a)]["momentum_buffer"].copy()

    unknown = {"state": {7: good["state"][0]}, "param_groups": good["param_groups"]}
    with pytest.raises(ValueError, match="state for parameter index 7"):
        opt.load_state_dict(unknown)
    bad_lr = {"state": good["state"], "param_groups": [dict(good["param_groups"][0], lr=NAN)]}
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.load_state_dict(bad_lr)
    with pytest.raises(ValueError, match="'state'.*'param_groups'"):
        opt.load_state_dict({"weights": 1})
    with pytest.raises(ValueError, match="integers"):
        opt.load_state_dict({"state": {"first": {}}, "param_groups": good["param_groups"]})
    assert opt.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(opt.state[id(a)]["momentum_buffer"], buf)
    json_like = {"state": {"0": good["state"][0]}, "param_groups": good["param_groups"]}
    opt.load_state_dict(json_like)                   # string keys, as after a JSON round trip, still load


# ---- item 9 (part): the DataLoader's batch size ---------------------------------------------------------
@pytest.mark.parametrize("bad,error", [(2.5, TypeError), ("2", TypeError), (True, TypeError), (None, TypeError),
                                       (0, ValueError), (-1, ValueError)])
def test_dataloader_batch_size_must_be_a_positive_integer(bad, error):
    ds = TensorDataset(np.arange(10.0))
    with pytest.raises(error, match="batch_size must be a positive integer"):
        DataLoader(ds, batch_size=bad)


def test_dataloader_takes_numpy_integers():
    loader = DataLoader(TensorDataset(np.arange(10.0)), batch_size=np.int64(4))
    assert [len(b[0]) for b in loader] == [4, 4, 2] and math.isclose(len(loader), 3)


def test_optimizer_state_values_that_would_cast_badly_are_refused():
    a = w()
    opt = optim.Adam([a], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    good = opt.state_dict()
    st = good["state"][0]
    for bad, match in [(dict(st, exp_avg=np.array([1 + 2j, 0j])), "dtype complex128"),
                       (dict(st, exp_avg=np.array(["a", "b"])), "dtype <U1"),
                       (dict(st, step=-1), "'step' of parameter 0 must be >= 0"),
                       (dict(st, step=2.5), "'step' of parameter 0 must be an integer")]:
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict({"state": {0: bad}, "param_groups": good["param_groups"]})
    assert opt.state[id(a)]["step"] == 1
    with pytest.raises(TypeError, match="'params' entry"):
        optim.SGD([{"lr": 0.1}])


@pytest.mark.parametrize("bad,error,match", [(np.array(["a", "b"]), TypeError, "dtype <U1"),
                                             (np.array([None, 1]), TypeError, "dtype object"),
                                             (3.0, ValueError, "is a scalar")])
def test_a_dataset_of_strings_objects_or_a_scalar_is_refused_when_made(bad, error, match):
    with pytest.raises(error, match=match):
        TensorDataset(np.arange(2.0), bad)


@pytest.mark.parametrize("value", [np.array(["x"]), np.array(["2020-01-01"], dtype="datetime64[D]"),
                                   np.zeros(2, dtype=[("a", np.float32)])])
def test_save_refuses_what_load_would_refuse(tmp_path, value):
    # these were written, and every later load of the file raised CheckpointError
    with pytest.raises(CheckpointError, match="not numeric"):
        nn.save({"a": value}, tmp_path / "s.npz")
    assert not list(tmp_path.iterdir())
