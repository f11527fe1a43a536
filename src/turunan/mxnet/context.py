"""``mxnet.context``: where arrays live. turunan runs on the CPU (NumPy), so there is one context, ``cpu(0)``.

MXNet 1.x (``python/mxnet/context.py``): ``Context(device_type, device_id)`` prints as ``cpu(0)``, compares by
type and id, and works as a ``with`` block that makes it the default. ``num_gpus()`` is 0 here, so D2L's
``try_gpu()`` gives ``cpu()``; asking for a GPU context raises an error that says so.

>>> from turunan.mxnet import context
>>> context.cpu(), context.num_gpus(), context.current_context() == context.cpu()
(cpu(0), 0, True)
"""

from __future__ import annotations

from .._doors import lacking as _lacking

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "num_gpus", "current_context"]

_DEVICE_TYPES = ("cpu", "gpu", "cpu_pinned", "cpu_shared")


class Context:
    """A device: ``Context('cpu', 0)``; only CPU contexts exist here."""

    def __init__(self, device_type="cpu", device_id: int = 0) -> None:
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in _DEVICE_TYPES:
            raise ValueError(f"unknown device type {device_type!r}; MXNet's are {', '.join(_DEVICE_TYPES)}")
        if device_type == "gpu":
            raise RuntimeError(f"gpu({device_id}) is not available: turunan.mxnet runs on the CPU (NumPy) and "
                               "num_gpus() is 0. Use mxnet.cpu(), or d2l.try_gpu(), which falls back to it")
        self.device_type, self.device_id = device_type, int(device_id)

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Context) and (other.device_type, other.device_id) == (self.device_type,
                                                                                       self.device_id)

    def __hash__(self) -> int:
        return hash((self.device_type, self.device_id))

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def empty_cache(self) -> None:
        """Nothing is cached on a CPU context."""


def cpu(device_id: int = 0) -> Context:
    """The CPU context (MXNet's default)."""
    return Context("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    return Context("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Context:
    """Raises: there is no GPU here (``num_gpus()`` is 0)."""
    return Context("gpu", device_id)


def num_gpus() -> int:
    """0: turunan.mxnet computes on the CPU."""
    return 0


def current_context() -> Context:
    return cpu()


__getattr__ = _lacking(__name__, "MXNet")
