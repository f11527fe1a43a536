"""Saving and loading parameters as ``.npz`` files: plain arrays, no pickle, all or nothing.

A file holds one array per state-dict name plus a small format marker, each an uncompressed ``.npy`` member
of a zip archive. Loading never trusts the file: it checks the archive's member names first, then every
member's ``.npy`` header (dtype, shape, and that the declared size is what the member really holds, which
also bounds memory by the file's size on disk), then, when loading into a model, the names, shapes and dtypes
the model expects, and only then reads any data (``allow_pickle=False``, every member's CRC). So a corrupt,
truncated, forged or mismatched file raises ``CheckpointError`` before a large allocation and leaves the
model exactly as it was.

Saving writes to a fresh temporary file created exclusively in the target's folder (a random name, never
an existing file or a planted symlink), then renames it over the target: a crash or an error mid-write never
leaves a half-written checkpoint nor a stray file.
"""

from __future__ import annotations

import math
import os
import stat
import tempfile
import zipfile

import numpy as np

from .._array import assign, to_numpy
from .._core import Tensor
from .._mode import no_grad

FORMAT_KEY = "__turunan_format__"
FORMAT = "turunan-state-dict-v1"
_SUFFIX = ".npy"
_READ_CHUNK = 1 << 20     # bytes read at a time into the destination array: no second full-size buffer


class CheckpointError(ValueError):
    """A checkpoint could not be read, or does not fit the model it is loaded into."""


def _loadable(dtype, kinds: str = "biufc") -> bool:
    """The dtypes a checkpoint holds: plain numbers (what ``load`` reads back; no strings, objects, records)."""
    return dtype.kind in kinds and dtype.fields is None and dtype.subdtype is None


def _as_array(name: str, value) -> np.ndarray:
    arr = value._d if isinstance(value, Tensor) else np.asarray(value)
    if not _loadable(arr.dtype):    # saved, it would be a file that load refuses
        raise CheckpointError(f"state entry {name!r} is not numeric (dtype {arr.dtype}); only arrays of numbers "
                              "can be saved")
    return arr


# ---- saving ---------------------------------------------------------------------------------------------
def _new_file_mode(path: str) -> int:
    # mkstemp makes the file 0600; give the checkpoint the mode an ordinary open() would (the old file's mode
    # when replacing one, else 0666 less the umask). The umask is read, not set: os.umask(x) would change it
    # for every thread for a moment.
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    umask = 0o022
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
                    break
    except (OSError, ValueError):
        pass
    return 0o666 & ~umask


def save(state_dict: dict, path) -> None:
    """Write a state dict (name -> Tensor or array) to ``path`` as an uncompressed ``.npz``.

    >>> import tempfile, os, turunan as tn
    >>> from turunan import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> nn.save({"w": tn.ones(2)}, path)
    >>> nn.load(path)["w"]
    tensor([1., 1.])
    """
    if not hasattr(state_dict, "items"):
        raise TypeError(f"save needs a mapping of name -> Tensor or array (e.g. model.state_dict()), "
                        f"got {type(state_dict).__name__}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str) or name == FORMAT_KEY:
            raise CheckpointError(f"state dict keys must be strings other than {FORMAT_KEY!r}, got {name!r}")
        arrays[name] = _as_array(name, value)
    arrays[FORMAT_KEY] = np.array(FORMAT)
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save a checkpoint to {path!r}: it is a directory; give a file name "
                                f"such as {os.path.join(path, 'model.npz')!r}")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save a checkpoint to {path!r}: the folder {folder!r} does not exist "
                                "(or is not a folder); create it first")
    mode = _new_file_mode(path)
    # O_EXCL with a random name: never an existing file, never a symlink planted to redirect the write
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())     # the data is on disk before the rename makes it the checkpoint
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---- loading --------------------------------------------------------------------------------------------
def _bad(path: str, why: str) -> CheckpointError:
    return CheckpointError(f"{path!r} is not a valid checkpoint (corrupt or truncated .npz): {why}")


def _read_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, size_on_disk: int, kinds: str = "biufc"):
    """``(shape, fortran_order, dtype, header_length)`` of one member, read without touching its data."""
    name = info.filename
    if info.compress_type != zipfile.ZIP_STORED:
        # a compressed member can declare any size: refusing it is what bounds memory by the file's size
        raise CheckpointError(f"{path!r}: member {name!r} is compressed, but turunan checkpoints store their "
                              "arrays uncompressed (as turunan.nn.save writes them); re-save it with nn.save")
    if info.flag_bits & 0x1:
        raise CheckpointError(f"{path!r}: member {name!r} is encrypted; turunan checkpoints never are")
    if info.compress_size != info.file_size or info.header_offset + info.compress_size > size_on_disk:
        raise _bad(path, f"member {name!r} declares {info.file_size} bytes, more than the file holds")
    with zf.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f".npy format version {version} (turunan reads 1.0 and 2.0)")
        except ValueError as e:
            raise _bad(path, f"member {name!r} has no valid .npy header ({e})") from e
        header_length = f.tell()
    if dtype.hasobject:
        raise CheckpointError(f"{path!r} holds pickled objects (member {name!r} has dtype object), which "
                              "turunan never loads (allow_pickle=False); only files written by turunan.nn.save "
                              "can be loaded")
    if not _loadable(dtype, kinds):
        raise CheckpointError(f"{path!r}: member {name!r} has dtype {dtype}, not a plain numeric dtype; only "
                              "files written by turunan.nn.save can be loaded")
    if any(d < 0 for d in shape):
        raise _bad(path, f"member {name!r} declares a negative dimension in shape {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    if info.file_size != header_length + nbytes:
        raise _bad(path, f"member {name!r} declares shape {shape} and dtype {dtype} ({nbytes} bytes of data) "
                         f"but holds {info.file_size - header_length} bytes")
    return shape, fortran, dtype, header_length


def _read_data(zf: zipfile.ZipFile, info: zipfile.ZipInfo, header, path: str) -> np.ndarray:
    shape, fortran, dtype, header_length = header
    flat = np.empty(math.prod(shape), dtype=dtype)
    view = memoryview(flat).cast("B")
    with zf.open(info) as f:
        f.read(header_length)
        done = 0
        while done < len(view):
            chunk = f.read(min(_READ_CHUNK, len(view) - done))
            if not chunk:
                raise _bad(path, f"member {info.filename!r} ends before its data does")
            view[done:done + len(chunk)] = chunk
            done += len(chunk)
        f.read(1)                # reach the end, so that zipfile checks the member's CRC
    if fortran:
        return flat.reshape(shape[::-1]).T
    return flat.reshape(shape)


def _members(path: str, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Member name (without ``.npy``) -> its zip entry; only names are checked here (nothing is opened)."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        if not name.endswith(_SUFFIX) or info.is_dir():
            raise CheckpointError(f"{path!r} is not a turunan checkpoint: member {name!r} is not an .npy array "
                                  "(turunan.nn.save writes only .npy members)")
        key = name[:-len(_SUFFIX)]
        if key in members:
            raise CheckpointError(f"{path!r} is not a valid checkpoint: member {name!r} appears twice")
        members[key] = info
    return members


def _read(path, targets: dict[str, Tensor] | None = None, strict: bool = True,
          owner: str = "") -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    """Check the whole file, then read it: ``(arrays, missing, unexpected)``.

    With ``targets`` (name -> the Tensor it will be loaded into) the names, shapes and dtypes are checked
    against them before any data is read; members the targets don't have are not read at all.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory, not a checkpoint file")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":      # np.load would take any other bytes for a pickle: say what it is
        raise CheckpointError(f"{path!r} is not a valid checkpoint (corrupt or truncated .npz: it does not start "
                              "like a zip archive)")
    try:
        with zipfile.ZipFile(path) as zf:
            size_on_disk = os.fstat(zf.fp.fileno()).st_size
            members = _members(path, zf)
            marker = members.pop(FORMAT_KEY, None)
            if marker is None:
                raise CheckpointError(f"{path!r} is an .npz file but not a turunan checkpoint (no {FORMAT_KEY!r} "
                                      f"marker of format {FORMAT!r})")
            missing: list[str] = []
            unexpected: list[str] = []
            if targets is not None:
                missing = [k for k in targets if k not in members]
                unexpected = [k for k in members if k not in targets]
                if strict and (missing or unexpected):
                    problems = []
                    if missing:
                        problems.append("missing keys: " + ", ".join(repr(k) for k in missing))
                    if unexpected:
                        problems.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
                    raise CheckpointError(f"cannot load {path!r} into {owner} (nothing was changed): "
                                          + "; ".join(problems))
            # every header next, still no data: a header can declare any size, so it is checked before
            # anything is allocated
            marker_header = _read_header(zf, marker, path, size_on_disk, kinds="U")
            if marker_header[0] != ():
                raise CheckpointError(f"{path!r} is an .npz file but not a turunan checkpoint (its "
                                      f"{FORMAT_KEY!r} marker is not of format {FORMAT!r})")
            headers = {}
            problems = []
            for key, info in members.items():
                if targets is not None and key not in targets:
                    continue               # not loaded (strict=False): not read either
                headers[key] = header = _read_header(zf, info, path, size_on_disk)
                if targets is not None:
                    shape, _, dtype, _ = header
                    target = targets[key]
                    if tuple(shape) != tuple(target.shape):
                        problems.append(f"{key!r} has shape {tuple(shape)} in the checkpoint but "
                                        f"{tuple(target.shape)} in the model")
                    elif dtype != target.dtype:
                        problems.append(f"{key!r} has dtype {dtype} in the checkpoint but {target.dtype} in the "
                                        f"model (convert the model first, e.g. model.to({dtype.name!r}))")
            if problems:
                raise CheckpointError(f"cannot load {path!r} into {owner} (nothing was changed): "
                                      + "; ".join(problems))
            value = _read_data(zf, marker, marker_header, path)
            arrays = {key: _read_data(zf, members[key], h, path) for key, h in headers.items()}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, ValueError,
            NotImplementedError, RuntimeError) as e:
        raise _bad(path, str(e)) from e
    if str(value) != FORMAT:
        raise CheckpointError(f"{path!r} is an .npz file but not a turunan checkpoint (its {FORMAT_KEY!r} marker "
                              f"is not of format {FORMAT!r})")
    return arrays, missing, unexpected


def load(path) -> dict[str, Tensor]:
    """Read a file written by ``save``: name -> Tensor. Raises ``CheckpointError`` if it is not one.

    Memory is bounded by the file's size on disk whatever its headers declare. To load into a model, prefer
    ``model.load(path)``: it also checks every name, shape and dtype against the model before reading data.
    """
    arrays, _, _ = _read(path)
    return {k: Tensor(v) for k, v in arrays.items()}


def load_into(targets: dict[str, Tensor], path, strict: bool, owner: str) -> tuple[list[str], list[str]]:
    """``Module.load``: check the file against ``targets`` (names, then headers), read it, copy it in place."""
    arrays, missing, unexpected = _read(path, targets, strict, owner)
    assign_state(targets, arrays, strict, owner)
    return missing, unexpected


def assign_state(targets: dict[str, Tensor], state_dict, strict: bool, owner: str) -> tuple[list, list]:
    """Check everything first, then copy ``state_dict``'s values into ``targets`` in place."""
    if not hasattr(state_dict, "items"):
        raise TypeError(f"load_state_dict needs a mapping of name -> Tensor, got {type(state_dict).__name__}")
    missing = [k for k in targets if k not in state_dict]
    unexpected = [k for k in state_dict if k not in targets]
    problems = []
    if strict and missing:
        problems.append("missing keys: " + ", ".join(repr(k) for k in missing))
    if strict and unexpected:
        problems.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
    plan = []
    for name, target in targets.items():
        if name not in state_dict:
            continue
        value = _as_array(name, state_dict[name])
        if value.shape != target.shape:
            problems.append(f"{name!r} has shape {value.shape} in the checkpoint but {target.shape} in the model")
        elif value.dtype != target.dtype:
            problems.append(f"{name!r} has dtype {value.dtype} in the checkpoint but {target.dtype} in the model "
                            f"(convert the model first, e.g. model.to({value.dtype.name!r}))")
        else:
            plan.append((target, value))
    if problems:
        raise CheckpointError(f"cannot load the state into {owner} (nothing was changed): " + "; ".join(problems))
    with no_grad():
        for target, value in plan:
            d = target._d
            if type(d) is np.ndarray and type(value) is np.ndarray:
                if np.shares_memory(d, value):
                    continue
                np.copyto(d, value)
            elif d is value:
                continue
            elif type(d) is np.ndarray:     # a device (CuPy) or lazy (Dask) value into a host model: copied over
                np.copyto(d, to_numpy(value))
            else:                           # into a device or lazy model: CuPy copies a host value over
                target._d = assign(d, value)
            target._bump_version()     # nodes that saved the old values must not backward through them
    return missing, unexpected
