"""turunan.checkpoint under misuse (issue 9, items 6 and 16): an in-place change between the forward and the
recomputation is refused, never recomputed from the new value; a checkpointed graph dropped without backward
is freed by reference counting alone."""

import gc
import weakref

import numpy as np
import pytest

import turunan as tn
from turunan import nn

MODIFIED = "modified by an in-place operation"


def test_an_input_changed_in_place_after_the_forward_is_refused():
    w = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = tn.tensor([0.5, 1.5, -1.0])
    out = tn.checkpoint(lambda c: (c * w).sum())(c)
    c.add_(1)
    with pytest.raises(RuntimeError, match=f"argument 0 of the checkpointed function was {MODIFIED}"):
        out.backward()
    # the same graph without checkpoint refuses too: checkpoint must not be more lenient
    c2 = tn.tensor([0.5, 1.5, -1.0])
    plain = (c2 * w).sum()
    c2.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        plain.backward()


def test_a_refused_backward_changes_nothing_and_refuses_again():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    c = tn.tensor([3.0, 4.0])
    out = tn.checkpoint(lambda c: tn.exp(c * w).sum())(c)
    c.mul_(2)
    for _ in range(2):
        with pytest.raises(RuntimeError, match=MODIFIED):
            out.backward()
    assert w.grad is None


def test_inputs_inside_containers_and_keywords_are_checked():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    a, b = tn.tensor([1.0, 1.0]), tn.tensor([2.0, 2.0])
    out = tn.checkpoint(lambda pair, scale: (pair[0] * w + pair[1] * scale * w).sum())([a, b], scale=b)
    b.add_(1)
    with pytest.raises(RuntimeError, match=r"argument 0\[1\] of the checkpointed function"):
        out.backward()


def test_a_closed_over_tensor_changed_in_place_is_refused_even_if_no_node_saved_it():
    # add saves nothing of m, and exp keeps only its own output: without checkpoint this backward is right (the
    # output was saved before the change); a recomputation would read the new m, so it must be refused
    x = tn.tensor([0.1, 0.2], requires_grad=True)
    m = tn.tensor([1.0, 2.0])
    out = tn.checkpoint(lambda x: tn.exp(x + m).sum())(x)
    m.add_(4.0)
    with pytest.raises(RuntimeError, match=f"a tensor read by add inside the checkpointed function was {MODIFIED}"):
        out.backward()


def test_a_function_that_changes_its_own_input_in_place_is_refused():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    c = tn.tensor([1.0, 1.0])

    def f(c):
        c.add_(1.0)          # the recomputation would add 1 a second time
        return (c * w).sum()

    out = tn.checkpoint(f)(c)
    with pytest.raises(RuntimeError, match=MODIFIED):
        out.backward()


def test_changes_after_backward_and_batch_norm_statistics_are_allowed():
    x = tn.tensor(np.random.default_rng(0).standard_normal((8, 3)), requires_grad=True)
    bn = nn.BatchNorm1d(3)
    tn.checkpoint(lambda x: (bn(x) ** 2).sum())(x).backward()   # running statistics are updated under no_grad
    g = x.grad.data.copy()
    x.grad = None
    bn2 = nn.BatchNorm1d(3)
    (bn2(x) ** 2).sum().backward()
    np.testing.assert_allclose(g, x.grad.data, rtol=1e-6, atol=1e-12)
    c = tn.tensor([1.0, 2.0])
    w = tn.tensor([3.0, 4.0], requires_grad=True)
    tn.checkpoint(lambda c: (c * w).sum())(c).backward()
    c.add_(1)                                                    # after backward: nothing to refuse
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0])


def test_a_checkpointed_graph_dropped_without_backward_is_freed_by_reference_counting():
    was = gc.isenabled()
    gc.disable()
    try:
        x = tn.tensor([0.1, 0.2, 0.3], requires_grad=True)
        w = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = tn.checkpoint(lambda x: tn.tanh(tn.exp(x * w)).sum())(x)
        node, leaf = weakref.ref(out._node), weakref.ref(x)
        del out, x
        assert node() is None, "the checkpoint's hook keeps its nodes alive in a reference cycle"
        assert leaf() is None
    finally:
        if was:
            gc.enable()


def test_a_checkpoint_still_works_after_its_unreachable_branches_are_freed():
    w = tn.tensor([1.0, 2.0], requires_grad=True)

    def f(x):
        tn.exp(x * w)                  # recorded, then dropped: no output depends on it
        return (tn.sin(x * w) * w).sum()

    x = tn.tensor([0.3, 0.7], requires_grad=True)
    tn.checkpoint(f)(x).backward()
    xd, wd = x.data, w.data
    np.testing.assert_allclose(x.grad.data, np.cos(xd * wd) * wd * wd, rtol=1e-6)
    np.testing.assert_allclose(w.grad.data, np.cos(xd * wd) * xd * wd + np.sin(xd * wd), rtol=1e-6)
