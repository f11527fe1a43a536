"""Threads: gradient accumulation is locked, and what is live in one thread (forward-mode levels, a checkpoint's
observer of recorded operations, a running transform) never reaches another thread (issue 9, items 5 and 13).

The interleavings are forced with events and barriers, not left to chance, except in the race test, which
repeats its read-modify-write often enough to lose updates in every run without the lock.
"""

import threading

import numpy as np

import turunan as tn
from turunan import _core, _forward
from turunan.func import grad, jvp

TIMEOUT = 30    # seconds a thread may wait for the other one: only reached if the test is broken


def _run_threads(*targets):
    """Run each target in its own thread; re-raise the first exception one of them raised."""
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:     # noqa: BLE001 - reported in the main thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


# ---- item 5: accumulation into a shared leaf -------------------------------------------------------------
def test_two_threads_accumulating_into_one_leaf_lose_no_update():
    n, reps = 200_000, 100
    w = tn.zeros(n, requires_grad=True)
    c = tn.tensor(np.arange(n) % 7 + 0.5)      # exact in float32 sums of up to 200 terms
    start = threading.Barrier(2)

    def work():
        start.wait(TIMEOUT)
        for _ in range(reps):
            (w * c).sum().backward()

    _run_threads(work, work)
    np.testing.assert_array_equal(w.grad.data, 2 * reps * c.data)


def test_two_threads_accumulating_retained_grads_lose_no_update():
    w = tn.ones(400_000, requires_grad=True)
    h = w * 3.0
    h.retain_grad()
    loss = (h * 2.0).sum()
    start = threading.Barrier(2)

    def work():
        start.wait(TIMEOUT)
        for _ in range(50):
            loss.backward(retain_graph=True)

    _run_threads(work, work)
    np.testing.assert_array_equal(h.grad.data, np.full(400_000, 200.0))
    np.testing.assert_array_equal(w.grad.data, np.full(400_000, 600.0))


# ---- item 13: a checkpoint in one thread, a plain graph in another ----------------------------------------
def test_a_checkpoint_in_one_thread_does_not_capture_another_threads_graph():
    w = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tn.tensor([0.5, -1.0, 2.0], requires_grad=True)
    inside = threading.Event()      # A is inside its checkpointed function
    recorded = threading.Event()    # B has recorded its graph
    out = {}

    def block(x):
        y = tn.exp(x * w)
        inside.set()
        assert recorded.wait(TIMEOUT)
        return (tn.tanh(y) * w).sum()

    def thread_a():
        x = tn.tensor([0.1, 0.2, 0.3], requires_grad=True)
        loss = tn.checkpoint(block)(x)
        loss.backward()
        out["a"] = (x.grad.data.copy(), w.grad.data.copy())

    def thread_b():
        assert inside.wait(TIMEOUT)
        e = tn.exp(v)                   # recorded while A's checkpoint is observing its own thread
        loss = (e * v).sum()
        out["b_node_kept"] = e._node.ans is not None
        recorded.set()
        loss.backward()
        out["b"] = v.grad.data.copy()

    _run_threads(thread_a, thread_b)
    vd = v.data
    np.testing.assert_allclose(out["b"], np.exp(vd) * (1 + vd), rtol=1e-6)
    assert out["b_node_kept"], "B's node had its saved values dropped by A's checkpoint"
    # A: the same function without checkpoint, in this thread
    x = tn.tensor([0.1, 0.2, 0.3], requires_grad=True)
    w.grad = None
    (tn.tanh(tn.exp(x * w)) * w).sum().backward()
    np.testing.assert_allclose(out["a"][0], x.grad.data, rtol=1e-6)
    np.testing.assert_allclose(out["a"][1], w.grad.data, rtol=1e-6)


def test_jvp_in_one_thread_leaks_no_tangent_and_no_recording_into_another():
    inside = threading.Event()
    done = threading.Event()
    shared = {}

    def thread_a():
        def f(x):
            shared["dual"] = x      # a tensor carrying A's tangent, handed to B
            inside.set()
            assert done.wait(TIMEOUT)
            return tn.sin(x)
        x = tn.tensor([0.0, 1.0])
        shared["a"] = jvp(f, (x,), (tn.ones(2),))[1].data.copy()

    def thread_b():
        assert inside.wait(TIMEOUT)
        try:
            assert not _forward.live()
            y = shared["dual"] * 2.0            # A's level is not live here: no tangent is carried
            shared["b_tangents"] = y._tangents
            # a transform in B while A's jvp runs: top level, so its result is detached (as with nothing else live)
            g = grad(lambda x: (x * x).sum())(tn.tensor([1.0, 2.0]))
            shared["b_grad"] = (g.data.copy(), g.requires_grad)
            # and B's own jvp is independent of A's
            shared["b_jvp"] = jvp(lambda x: x ** 3, (tn.tensor(2.0),), (tn.tensor(1.0),))[1].item()
        finally:
            done.set()

    _run_threads(thread_a, thread_b)
    np.testing.assert_allclose(shared["a"], np.cos([0.0, 1.0]))
    assert shared["b_tangents"] is None
    np.testing.assert_array_equal(shared["b_grad"][0], [2.0, 4.0])
    assert shared["b_grad"][1] is False
    assert shared["b_jvp"] == 12.0
    assert _core.jvp_hook is None     # nothing live in any thread: the hot path's hook is off again


def test_the_hook_stays_on_while_any_thread_has_something_live():
    a_in = threading.Event()
    b_out = threading.Event()
    seen = {}

    def thread_a():
        def f(x):
            a_in.set()
            assert b_out.wait(TIMEOUT)      # B has entered and left its own jvp meanwhile
            seen["hook_after_b"] = _core.jvp_hook is not None
            return x * x
        seen["a"] = jvp(f, (tn.tensor(3.0),), (tn.tensor(1.0),))[1].item()

    def thread_b():
        assert a_in.wait(TIMEOUT)
        seen["b"] = jvp(tn.exp, (tn.tensor(0.0),), (tn.tensor(1.0),))[1].item()
        b_out.set()

    _run_threads(thread_a, thread_b)
    assert seen == {"hook_after_b": True, "a": 6.0, "b": 1.0}
    assert _core.jvp_hook is None
