"""Datasets that need no download. ``load_digits``: scikit-learn's bundled 8x8 handwritten digits.

scikit-learn is an optional extra (``pip install 'turunan[data]'``); it is imported only when called.
"""

from __future__ import annotations

import numpy as np


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
