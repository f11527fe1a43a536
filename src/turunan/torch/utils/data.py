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


class Subset:
    """PyTorch's ``Subset(dataset, indices)``: the items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, i):
        if isinstance(i, list):
            return [self.dataset[self.indices[j]] for j in i]
        return self.dataset[self.indices[i]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset, lengths, generator=None) -> list:
    """PyTorch's ``random_split``: disjoint random ``Subset``s of the given lengths (or fractions summing to 1,
    the remainder dealt one by one from the first), drawn from ``generator`` (a ``torch.Generator``; default:
    turunan's default generator, so ``torch.manual_seed`` fixes it; NumPy's numbers, not PyTorch's)."""
    import math

    from ..._creation import default_generator
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= x <= 1 for x in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = [int(math.floor(n * x)) for x in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input dataset ({n})!")
    order = (generator or default_generator).rng.permutation(n).tolist()
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, order[start:start + k]))
        start += k
    return out


def __getattr__(name: str):
    if name == "DataLoader":
        made = _made.get(name)
        if made is None:
            made = _made[name] = _data_loader()
        return made
    return _forward(name)


def __dir__() -> list:
    return forwarded_dir(["DataLoader", "Subset", "random_split"], "turunan.data")
