"""turunan.data: batching, seeded shuffling, drop_last; turunan.datasets: the digits loader."""

import numpy as np
import pytest

import turunan as tn
from turunan.data import DataLoader, Dataset, TensorDataset


def epochs(loader, n=2):
    return [[tuple(t.numpy().copy() for t in batch) for batch in loader] for _ in range(n)]


def test_batches_cover_everything_in_order():
    x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    assert all(isinstance(t, tn.Tensor) for b in batches for t in b)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)
    assert batches[0][0].dtype == np.float64 and batches[0][1].dtype == np.int64


def test_drop_last():
    loader = DataLoader((np.arange(10), np.arange(10)), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[0]) for b in loader] == [4, 4]
    assert len(DataLoader((np.arange(8),), batch_size=4, drop_last=True)) == 2


def test_shuffle_is_seeded_and_differs_between_epochs():
    ds = TensorDataset(np.arange(20), np.arange(20) * 2)
    a = epochs(DataLoader(ds, batch_size=5, shuffle=True, seed=3))
    b = epochs(DataLoader(ds, batch_size=5, shuffle=True, seed=3))
    c = epochs(DataLoader(ds, batch_size=5, shuffle=True, seed=4))
    flat = lambda ep: np.concatenate([bx for bx, _ in ep])
    assert all(np.array_equal(flat(p), flat(q)) for p, q in zip(a, b))   # same seed, same order
    assert not np.array_equal(flat(a[0]), flat(a[1]))                    # a new order each epoch
    assert not np.array_equal(flat(a[0]), flat(c[0]))
    assert sorted(flat(a[0])) == list(range(20))
    for bx, by in a[0]:                                                  # rows stay paired
        np.testing.assert_array_equal(by, bx * 2)


def test_shuffle_from_the_default_generator_follows_manual_seed():
    ds = TensorDataset(np.arange(12))
    tn.manual_seed(5)
    a = [b[0].numpy() for b in DataLoader(ds, batch_size=12, shuffle=True)]
    tn.manual_seed(5)
    b = [b[0].numpy() for b in DataLoader(ds, batch_size=12, shuffle=True)]
    np.testing.assert_array_equal(a[0], b[0])


def test_a_generic_dataset_is_collated():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full(2, i, dtype=np.float32), i * i

    (x, y), *_ = list(DataLoader(Squares(), batch_size=3))
    assert x.shape == (3, 2) and y.numpy().tolist() == [0, 1, 4]


def test_errors():
    with pytest.raises(ValueError, match="same length"):
        TensorDataset(np.arange(3), np.arange(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.arange(3)), batch_size=0)
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(42)


def test_digits_loader():
    pytest.importorskip("sklearn")
    from turunan.datasets import load_digits
    (xtr, ytr), (xte, yte) = load_digits(seed=1)
    assert xtr.shape[1:] == (1, 8, 8) and xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert len(xtr) + len(xte) == 1797 and 350 <= len(xte) <= 365
    assert 0.0 <= xtr.min() and xtr.max() <= 1.0
    assert np.all(np.bincount(yte) >= 34)                                # stratified
    (xtr2, _), _ = load_digits(seed=1)
    np.testing.assert_array_equal(xtr, xtr2)
