"""``torch.utils.data`` over turunan: forwards every name lazily to ``turunan.data``; ``DataLoader`` takes
PyTorch's keywords and gives the door's tensors."""

from __future__ import annotations

from ..._doors import forwarded_dir, forwarder, recast

_forward = forwarder(__name__, "turunan.data", "PyTorch")
_made: dict = {}


def _data_loader() -> type:
    from .._tensor import Tensor
    base = _forward("DataLoader")

    class DataLoader(base):
        """PyTorch's ``DataLoader(dataset, batch_size=1, shuffle=False, ...)`` over turunan's: batches of the
        door's tensors (a list per batch, as PyTorch's). ``num_workers``, ``pin_memory``, ``persistent_workers``
        and ``prefetch_factor`` are accepted and change nothing (turunan loads in this process, on the CPU);
        ``generator`` is a ``torch.Generator`` (turunan's)."""

        def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, *, num_workers: int = 0,
                     pin_memory: bool = False, drop_last: bool = False, generator=None,
                     persistent_workers: bool = False, prefetch_factor=None, **kwargs) -> None:
            super().__init__(dataset, batch_size, shuffle, drop_last, generator=generator, **kwargs)

        def __iter__(self):
            for batch in super().__iter__():
                yield [recast(t, Tensor) for t in batch]      # a list, as PyTorch's default collate gives

    DataLoader.__module__, DataLoader.__qualname__ = __name__, "DataLoader"
    return DataLoader


def __getattr__(name: str):
    if name == "DataLoader":
        made = _made.get(name)
        if made is None:
            made = _made[name] = _data_loader()
        return made
    return _forward(name)


def __dir__() -> list:
    return forwarded_dir(["DataLoader"], "turunan.data")
