"""The PyTorch door's ``.grad`` and ``.data`` (issue 11, items 3 and 4), against real PyTorch where installed.

``a.grad = 0.`` is a TypeError, as in PyTorch 2.13 (the tutorial ``polynomial_autograd`` does it); a grad of
another shape or dtype, or the tensor itself, is refused with PyTorch's errors. ``x.data`` is a door tensor
sharing ``x``'s memory, detached: writes through it change ``x`` and are not seen by the graph; ``x.data =``
makes ``x`` hold another tensor's memory.
"""

from __future__ import annotations

import numpy as np
import pytest

import turunan.torch as TT


def _outcome(fn):
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001  (the outcome compared is the exception)
        return type(e).__name__, str(e)
    return "ok", None if out is None else np.asarray(out.detach().numpy() if hasattr(out, "detach") else out)


def _grad_cases(lib):
    return {
        "float": lambda: 0.0, "int": lambda: 1, "bool": lambda: True, "list": lambda: [1.0, 2.0, 3.0],
        "ndarray": lambda: np.ones(3), "numpy scalar": lambda: np.float32(1), "None": lambda: None,
        "other shape": lambda: lib.ones(2), "0-d": lambda: lib.ones(()), "size 1": lambda: lib.ones(1),
        "float64": lambda: lib.ones(3, dtype=lib.float64), "int64": lambda: lib.ones(3, dtype=lib.int64),
        "float64 other shape": lambda: lib.ones(2, dtype=lib.float64),
        "float16": lambda: lib.ones(3, dtype=lib.float16),
        "requires grad": lambda: lib.ones(3, requires_grad=True), "non-contiguous": lambda: lib.ones(3, 2).t()[0],
        "bool tensor": lambda: lib.ones(3, dtype=lib.bool),
    }


@pytest.mark.parametrize("case", sorted(_grad_cases(TT)))
def test_assigning_grad_as_pytorch(case):
    def run(lib):
        a = lib.ones(3, requires_grad=True)
        value = _grad_cases(lib)[case]()

        def assign():
            a.grad = value
            return a.grad
        return _outcome(assign)

    ours = run(TT)
    if case in ("float", "int", "bool", "list", "ndarray", "numpy scalar"):
        assert ours[0] == "TypeError" and ours[1].startswith("assigned grad expected to be a Tensor or None")
    torch = pytest.importorskip("torch")
    theirs = run(torch)
    assert ours[0] == theirs[0] and (ours[1] == theirs[1] if ours[0] != "ok" else
                                     (ours[1] is None) == (theirs[1] is None))
    if ours[0] == "ok" and ours[1] is not None:
        np.testing.assert_array_equal(ours[1], theirs[1])


def test_the_tutorials_zeroing_by_number_is_refused_and_none_and_tensors_are_kept():
    a = TT.tensor(2.0, requires_grad=True)
    (a * a).backward()
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got grad of type float"):
        a.grad = 0.
    assert a.grad.item() == 4.0                 # unchanged by the refused assignment
    with pytest.raises(RuntimeError, match="can't assign Variable as its own grad"):
        a.grad = a
    g = TT.tensor(1.0)
    a.grad = g
    assert a.grad is g
    a.grad = None
    assert a.grad is None
    x = TT.ones(2, dtype=TT.int64)              # a tensor that cannot require grad may still hold one
    x.grad = TT.ones(2, dtype=TT.int64)
    assert x.grad.tolist() == [1, 1]


def test_data_is_a_detached_door_tensor_sharing_memory():
    x = TT.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = x.data
    assert type(d) is TT.Tensor and not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.numpy(), x.detach().numpy())
    y = x * x                                   # saves x
    x.data.mul_(2)                              # not seen by the graph: no version error, as PyTorch
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0, 12.0])
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 4.0, 6.0])
    assert x.data.norm().item() == pytest.approx(np.sqrt(56.0))
    assert x.data.std().item() == pytest.approx(2.0)        # PyTorch's meaning (unbiased), not NumPy's
    n = x * 2
    assert type(n.data) is TT.Tensor and not n.data.requires_grad


def test_the_autograd_tutorials_loop_on_data_norm():
    x = TT.tensor([0.1, -0.2, 0.3], requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    y.backward(TT.tensor([0.1, 1.0, 0.0001]))
    assert x.grad.tolist() == pytest.approx([409.6, 4096.0, 0.4096], rel=1e-6)      # y = 2**12 x


def test_setting_data_as_pytorch():
    def run(lib):
        out = []
        x = lib.ones(3, requires_grad=True)
        z = lib.zeros(2, 2)
        x.data = z
        z[0, 0] = 5.0                           # x now holds z's memory
        out.append(("shares", x.detach().numpy().tolist(), tuple(x.shape), x.requires_grad))
        for label, value in (("float", 1.0), ("str", "abc"), ("int tensor", lib.ones(2, dtype=lib.int64)),
                             ("list", [1.0])):
            try:
                x.data = value
                out.append((label, "ok"))
            except Exception as e:  # noqa: BLE001
                out.append((label, type(e).__name__, str(e)))
        w = lib.ones(3)
        w.data = lib.ones(2, dtype=lib.int64)  # without grad any dtype goes
        out.append(("no grad", str(w.dtype), w.tolist()))
        return out

    ours = run(TT)
    assert ours[0] == ("shares", [[5.0, 0.0], [0.0, 0.0]], (2, 2), True)
    torch = pytest.importorskip("torch")
    assert ours == run(torch)
