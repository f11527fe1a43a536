"""Python's cyclic collector and deep graphs (issue 9, item 16; turunan._gc): while a deep graph is alive, full
collections are spaced out, and the program's own threshold comes back when the graph is dropped. Counted in
collections and thresholds, never in seconds."""

import gc

import pytest

import turunan as tn
from turunan import _gc


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    was = gc.isenabled()
    gc.enable()
    yield saved
    gc.set_threshold(*saved)
    _gc._raised = None
    if not was:
        gc.disable()


def _deep() -> int:
    """A chain length that makes the graph deep here: at least DEEP nodes, and (two tracked objects a node) at
    least 1 / SHARE of everything tracked in this process."""
    return max(3 * _gc.DEEP, len(gc.get_objects()) // 2)


def _chain(n: int):
    y = tn.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(n):
        y = y * 1.0
    return y


def test_a_deep_graph_raises_the_threshold_and_dropping_it_restores_it(thresholds):
    gc.collect()
    y = _chain(_deep())
    gc.collect()                        # a full collection with a deep graph alive
    assert gc.get_threshold()[2] > thresholds[2]
    y.sum().backward()                  # nodes stay alive as long as y: the threshold too
    assert gc.get_threshold()[2] > thresholds[2]
    del y                               # the graph goes by reference counting: the program's threshold is back
    assert gc.get_threshold() == thresholds


def test_small_graphs_leave_the_collector_alone(thresholds):
    gc.collect()
    keep = [_chain(10) for _ in range(20)]
    for _ in range(2 * _gc.DEEP // 10):
        _chain(10)                      # many nodes recorded, few alive
    gc.collect()
    assert gc.get_threshold() == thresholds
    assert keep


def test_a_threshold_set_by_the_program_is_left_alone(thresholds):
    gc.collect()
    y = _chain(_deep())
    gc.collect()
    assert gc.get_threshold()[2] > thresholds[2]
    gc.set_threshold(500, 5, 7)         # the program's own choice, made while ours was in force
    del y
    gc.collect()
    assert gc.get_threshold() == (500, 5, 7)


def test_fewer_full_collections_while_recording_a_deep_chain(thresholds):
    def full_collections(n: int) -> int:
        gc.collect()
        before = gc.get_stats()[2]["collections"]
        y = _chain(n)
        count = gc.get_stats()[2]["collections"] - before
        del y
        return count

    n = max(150_000, len(gc.get_objects()))     # long enough for several full collections with this heap
    gc.callbacks.remove(_gc._callback)
    try:
        plain = full_collections(n)
    finally:
        _gc.install()
    assert full_collections(n) < plain
