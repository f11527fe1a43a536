"""Regression tests for bugs found by adversarial probing (each fails before its fix)."""

import numpy as np

import turunan as tn
from turunan import nn


def test_checkpoint_replays_a_dropout_with_its_own_generator():
    def grad_of_w(use_checkpoint: bool) -> np.ndarray:
        drop = nn.Dropout(0.5, generator=tn.Generator(0))
        w = tn.tensor(np.full((4, 4), 0.3), requires_grad=True)
        x = tn.tensor(np.arange(32.0).reshape(8, 4) / 10)

        def block(h):
            return drop(tn.tanh(h @ w)) ** 2

        f = tn.checkpoint(block) if use_checkpoint else block
        f(x).sum().backward()
        return w.grad.numpy()

    np.testing.assert_allclose(grad_of_w(True), grad_of_w(False))

