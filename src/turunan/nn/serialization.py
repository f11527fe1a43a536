"""Saving and loading parameters as ``.npz`` files: plain arrays, no pickle, all or nothing.

A file holds one array per state-dict name plus a small format marker. Loading reads and checks the whole
file first (``allow_pickle=False``, every member's CRC, every key, shape and dtype against the model) and
only then writes, so a corrupt, truncated or mismatched file raises ``CheckpointError`` and leaves the
model exactly as it was.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from .._core import Tensor
from .._mode import no_grad

FORMAT_KEY = "__turunan_format__"
FORMAT = "turunan-state-dict-v1"


class CheckpointError(ValueError):
    """A checkpoint could not be read, or does not fit the model it is loaded into."""


def _as_array(name: str, value) -> np.ndarray:
    arr = value.data if isinstance(value, Tensor) else np.asarray(value)
    if arr.dtype == object:
        raise CheckpointError(f"state entry {name!r} is not numeric (dtype object); only arrays can be saved")
    return arr


def save(state_dict: dict, path) -> None:
    """Write a state dict (name -> Tensor or array) to ``path`` as an uncompressed ``.npz``.

    >>> import tempfile, os, turunan as tn
    >>> from turunan import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> nn.save({"w": tn.ones(2)}, path)
    >>> nn.load(path)["w"]
    tensor([1., 1.])
    """
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str) or name == FORMAT_KEY:
            raise CheckpointError(f"state dict keys must be strings other than {FORMAT_KEY!r}, got {name!r}")
        arrays[name] = _as_array(name, value)
    arrays[FORMAT_KEY] = np.array(FORMAT)
    path = os.fspath(path)
    # write next to the target, then rename: a crash mid-write never leaves a half-written checkpoint
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def load(path) -> dict[str, Tensor]:
    """Read a file written by ``save``: name -> Tensor. Raises ``CheckpointError`` if it is not one."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":      # np.load would take any other bytes for a pickle: say what it is
        raise CheckpointError(f"{path!r} is not a valid checkpoint (corrupt or truncated .npz: it does not start "
                              "like a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as f:
            # read every member now: a truncated or bit-flipped file fails here (zip CRC), not half way
            # through assigning
            arrays = {k: f[k] for k in f.files}
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise CheckpointError(f"{path!r} holds pickled objects, which turunan never loads (allow_pickle=False);"
                                  " only files written by turunan.nn.save can be loaded") from e
        raise CheckpointError(f"{path!r} is not a valid checkpoint (corrupt or truncated .npz): {e}") from e
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
        raise CheckpointError(f"{path!r} is not a valid checkpoint (corrupt or truncated .npz): {e}") from e
    marker = arrays.pop(FORMAT_KEY, None)
    if marker is None or marker.shape != () or str(marker) != FORMAT:
        raise CheckpointError(f"{path!r} is an .npz file but not a turunan checkpoint (no {FORMAT_KEY!r} "
                              f"marker of format {FORMAT!r})")
    return {k: Tensor(v) for k, v in arrays.items()}


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
            if np.shares_memory(target.data, value):
                continue
            np.copyto(target.data, value)
            target._bump_version()     # nodes that saved the old values must not backward through them
    return missing, unexpected
