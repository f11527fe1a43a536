"""Datasets. ``load_digits``: scikit-learn's bundled 8x8 handwritten digits. ``fashion_mnist``: Fashion-MNIST
from its files on disk (turunan downloads nothing), which the three doors' dataset names read
(``gluon.data.vision.FashionMNIST``, ``tf.keras.datasets.fashion_mnist``); ``synthetic_fashion_mnist``: a stand-in
of the same shapes and dtypes for machines without the files (the tour and the tests of D2L's chapters use it).

scikit-learn is an optional extra (``pip install 'turunan[data]'``); it is imported only when called.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

FASHION_MNIST_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                       False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def fashion_mnist_root(root: str | os.PathLike | None = None) -> Path:
    """Where Fashion-MNIST's files are looked for: ``root``, else ``$TURUNAN_DATA/fashion-mnist``, else
    ``~/.turunan/datasets/fashion-mnist``."""
    if root is not None:
        return Path(root).expanduser()
    base = os.environ.get("TURUNAN_DATA") or Path.home() / ".turunan" / "datasets"
    return Path(base) / "fashion-mnist"


def _idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 8:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (Fashion-MNIST's format)")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist(train: bool = True, root: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's training (60,000) or test (10,000) set from its IDX files (``.gz`` or not) in ``root``
    (see ``fashion_mnist_root``): images uint8 shaped (N, 28, 28), labels uint8, as the files hold them.

    turunan downloads nothing: fetch the four files from https://github.com/zalandoresearch/fashion-mnist once
    and put them in that folder.

    >>> from turunan.datasets import fashion_mnist
    >>> images, labels = fashion_mnist(train=False)     # doctest: +SKIP
    """
    folder = fashion_mnist_root(root)
    arrays = []
    for stem in FASHION_MNIST_FILES[bool(train)]:
        found = [folder / (stem + ext) for ext in (".gz", "") if (folder / (stem + ext)).is_file()]
        if not found:
            raise FileNotFoundError(
                f"Fashion-MNIST's file {stem}(.gz) is not in {folder}: turunan downloads nothing. Put the four files "
                "from https://github.com/zalandoresearch/fashion-mnist there (or set $TURUNAN_DATA, or pass root=), "
                "or use turunan.datasets.synthetic_fashion_mnist for a stand-in of the same shapes")
        arrays.append(_idx(found[0]))
    images, labels = arrays
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(f"Fashion-MNIST's files in {folder} hold images {images.shape} and labels {labels.shape}; "
                         "expected (N, 28, 28) and (N,)")
    return images, labels


def synthetic_fashion_mnist(train: bool = True, n: int | None = None, mix: float = 0.2,
                            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A stand-in for ``fashion_mnist`` with its shapes and dtypes: ``n`` images (1024 for training, 256 for test
    by default) uint8 (N, 28, 28) and labels uint8 in 0..9. Each image is ``mix`` of its class's template (ten
    fixed random images) and the rest noise, so a model learns it, but not perfectly. The same every call.

    >>> images, labels = synthetic_fashion_mnist(train=False)
    >>> images.shape, images.dtype.name, labels.dtype.name
    ((256, 28, 28), 'uint8', 'uint8')
    """
    templates = np.random.RandomState(seed + 1).randint(0, 256, (10, 28, 28))
    n = (1024 if train else 256) if n is None else int(n)
    rng = np.random.RandomState(seed + (2 if train else 3))
    labels = rng.randint(0, 10, n)
    noise = rng.randint(0, 256, (n, 28, 28))
    return (templates[labels] * mix + noise * (1 - mix)).astype(np.uint8), labels.astype(np.uint8)


def load_digits(test_fraction: float = 0.2, seed: int = 0):
    """The 1,797 8x8 digit images, scaled to [0, 1], split into train and held-out test sets.

    Returns ``(x_train, y_train), (x_test, y_test)`` as NumPy arrays: images float32 shaped (N, 1, 8, 8),
    labels int64. The split is stratified (each digit in proportion) and fixed by ``seed``.

    >>> (xtr, ytr), (xte, yte) = load_digits()      # doctest: +SKIP
    >>> xtr.shape, xte.shape                        # doctest: +SKIP
    ((1438, 1, 8, 8), (359, 1, 8, 8))
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise ImportError("the digits dataset comes bundled with scikit-learn, which is not installed; install it "
                          "with `pip install scikit-learn` (or `pip install 'turunan[data]'`)") from None
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    bunch = _sk_load_digits()
    x = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = []
    for digit in np.unique(y):          # stratified: the same share of every class goes to the test set
        idx = rng.permutation(np.flatnonzero(y == digit))
        test.extend(idx[:int(round(len(idx) * test_fraction))])
    test = np.sort(np.array(test))
    train = np.setdiff1d(np.arange(len(y)), test)
    train = rng.permutation(train)
    return (x[train], y[train]), (x[test], y[test])
