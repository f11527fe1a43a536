"""``train --jit``: the digits training step under ``tn.jit`` gives eager training's numbers, bit for bit.

The unfused replay runs the NumPy calls the eager step ran, in the same order, on the same arrays: the loss history
and the final weights must be equal, not close. The step is traced a bounded number of times (the first step,
before the parameters have a ``.grad``; a full batch; the last, shorter batch) and replayed for every other batch:
a scheduler changing the optimiser's rate between epochs does not retrace it (the optimiser's step is a host call).
"""

import re
import warnings

import numpy as np
import pytest

from turunan import train


def digits_like(n_train=200, n_test=40, seed=0):
    """Random 8x8 'images' and labels: 200 training samples are three batches of 64 and a last one of 8."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_train + n_test, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, n_train + n_test)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_jit_training_gives_the_eager_numbers_bit_for_bit(model):
    data = digits_like()
    eager = train.fit(model, epochs=2, seed=3, batch_size=64, progress=False, data=data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # a step that fell back to eager would warn
        jitted = train.fit(model, epochs=2, seed=3, batch_size=64, progress=False, data=data, jit=True)
    assert jitted["history"]["loss"] == eager["history"]["loss"]
    assert jitted["history"]["test_acc"] == eager["history"]["test_acc"]
    a, b = eager["model"].state_dict(), jitted["model"].state_dict()
    assert list(a) == list(b)
    for name in a:      # parameters and BatchNorm's running statistics
        np.testing.assert_array_equal(np.asarray(b[name]), np.asarray(a[name]), err_msg=name)
    step = jitted["step"]
    assert jitted["steps"] == eager["steps"] == 2 * 4
    assert step.trace_count <= 3                 # not retraced per epoch (2 epochs x 2 shapes would be 4)
    assert step.trace_count + step.replay_count == jitted["steps"]     # no call ran eagerly
    assert step.replay_count >= 5
    assert "replay" in step.dump()
    assert not hasattr(eager["step"], "trace_count")


def test_jit_and_distributed_are_refused_together(capsys):
    with pytest.raises(ValueError, match="jit=True does not combine with distributed=True: .*MPI"):
        train.fit("mlp", epochs=1, progress=False, data=digits_like(), jit=True, distributed=True)
    with pytest.raises(SystemExit) as e:
        train.main(["--jit", "--distributed", "--epochs", "1"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--jit does not combine with --distributed" in err and "all-reduce" in err


def test_train_command_with_jit(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert train.main(["--model", "mlp", "--epochs", "1", "--out", str(tmp_path), "--quiet", "--no-plot",
                       "--jit"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out
    line = next(s for s in out.splitlines() if s.startswith("tn.jit:"))
    # the digits' 1438 training images: 22 full batches of 64 and one of 30; nothing ran eagerly
    m = re.fullmatch(r"tn\.jit: (\d+) traces? and (\d+) replays of 23 steps", line)
    assert m and 2 <= int(m[1]) <= 3 and int(m[1]) + int(m[2]) == 23, line
    assert (tmp_path / "digits_mlp.npz").exists()
