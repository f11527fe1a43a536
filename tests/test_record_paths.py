"""Every way the core records an operation fills the same fields (turunan._core: apply, apply1, apply2, finish).

The per-op hot paths (``apply1``: one input; ``apply2``: two inputs, no parameters) and the general ones
(``apply`` with parameters or three and more inputs; ``finish``, which vmap's batching rules use) all make their
result through one helper; these tests hold every path to every slot of ``Node`` and of the result Tensor, so a
slot added to either and forgotten on some path fails here. Also: a view made by any path is registered on its
base (``apply2`` once was not), and a rule that reads only ``ans.shape`` gets ``ans`` (it once got None).
"""

from __future__ import annotations

import numpy as np
import pytest

import turunan as tn
from turunan import _core
from turunan import _rules as R
from turunan._core import Node, Primitive, Tensor

# the slots of a result Tensor every path sets; _view/_views stay unset except on views and their bases
# (turunan._core.register_view), so that an ordinary op pays nothing for them
VIEW_SLOTS = {"_view", "_views"}
RESULT_SLOTS = set(Tensor.__slots__) - VIEW_SLOTS - {"__weakref__"}
NODE_SLOTS = set(Node.__slots__) - {"__weakref__"}

# primitives made here are not rows of the table (turunan.defprim would add them to it, and other tests sweep it)
_id3 = Primitive("test_record_three", lambda a, b, c: a * b + c,
                 [lambda g, ans, a, b, c: g * b, lambda g, ans, a, b, c: g * a, lambda g, ans, a, b, c: g])
_scaled = Primitive("test_record_scaled", lambda a, b, scale: (a + b) * scale,
                    [lambda g, ans, a, b, scale: g * scale, lambda g, ans, a, b, scale: g * scale])


def _unset(obj, slots) -> set:
    return {s for s in slots if not hasattr(obj, s)}


def _inputs():
    x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = tn.tensor([4.0, 5.0, 6.0], requires_grad=True)
    c = tn.tensor([0.5, 0.5, 0.5])
    return x, y, c


# each path, as (name, a function of the inputs that records through it)
PATHS = {
    "apply1": lambda x, y, c: _core.apply1(R.tanh, x),
    "apply1 with params": lambda x, y, c: _core.apply1(R.sum_, x, {"axis": 0, "keepdims": False}),
    "apply2": lambda x, y, c: _core.apply2(R.multiply, x, y),
    "apply2, one grad input": lambda x, y, c: _core.apply2(R.multiply, c, y),
    "apply2, a number": lambda x, y, c: _core.apply2(R.multiply, x, 2.0),
    "apply with params": lambda x, y, c: _core.apply(_scaled, x, y, scale=3.0),
    "apply with 3 inputs": lambda x, y, c: _core.apply(_id3, x, c, y),
    "finish": lambda x, y, c: _core.finish(R.multiply, (x, y), x.data * y.data, {}),
}


@pytest.mark.parametrize("path", PATHS)
def test_every_path_sets_every_node_slot_and_every_result_slot(path):
    x, y, c = _inputs()
    out = PATHS[path](x, y, c)
    assert not _unset(out, RESULT_SLOTS), f"{path} left result slots unset: {_unset(out, RESULT_SLOTS)}"
    node = out._node
    assert type(node) is Node and out.requires_grad
    assert not _unset(node, NODE_SLOTS), f"{path} left node slots unset: {_unset(node, NODE_SLOTS)}"
    # and with what the walk expects
    assert node.shape == out.shape and node.dtype == out.dtype
    assert len(node.saved) == len(node.versions) == len(node.parents)
    assert node.hooks is None and node.retained is None and node.tangents is None and node.freed is False
    assert type(node.seq) is int and out._version == [0] and out._grad is None and out._retain is False
    assert out.grad_fn is node
    out.sum().backward()    # the node is one backward can walk
    assert x.grad is not None or y.grad is not None


@pytest.mark.parametrize("path", PATHS)
def test_every_path_sets_every_result_slot_when_nothing_is_recorded(path):
    x, y, c = _inputs()
    with tn.no_grad():
        out = PATHS[path](x, y, c)
    assert not _unset(out, RESULT_SLOTS)
    assert out._node is None and out.requires_grad is False


def test_every_path_records_the_same_node_for_the_same_operation():
    x, y, _ = _inputs()
    made = [_core.apply2(R.multiply, x, y), _core.apply(R.multiply, x, y),
            _core.finish(R.multiply, (x, y), x.data * y.data, {})]
    nodes = [m._node for m in made]
    for field in NODE_SLOTS - {"seq"}:
        values = [getattr(n, field) for n in nodes]
        assert all(_same(v, values[0]) for v in values), f"{field} differs between paths: {values}"


def _same(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(p, q) for p, q in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b))
    return a is b or a == b


def test_a_path_that_forgets_a_slot_is_caught():
    # the check itself can fail: a node missing a field is reported
    node = object.__new__(Node)
    node.prim = R.tanh
    assert "seq" in _unset(node, NODE_SLOTS) and "parents" in _unset(node, NODE_SLOTS)


# ---- views: every path registers a view on its base --------------------------------------------------------
_flat2 = Primitive("test_record_flat_view2", lambda x, y: x.reshape(-1),
                   [lambda g, ans, x, y: g.reshape(x.shape), None], view=True,
                   inverse=lambda base, view, y: view.reshape(base.shape))


def test_a_view_primitive_with_two_inputs_registers_the_view():
    x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = x * 1.0
    v = _core.apply2(_flat2, b, tn.tensor(0.0))
    assert v._view[0] is b and v._version is b._version
    assert any(r() is v for r in b._views)


def test_an_in_place_change_through_a_two_input_view_reaches_the_base():
    # apply2 once left such a view unregistered: the base's values changed but its graph did not, so its
    # gradient was 1 instead of 2
    x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = x * 1.0
    v = _core.apply2(_flat2, b, tn.tensor(0.0))
    v.mul_(2.0)
    np.testing.assert_allclose(b.data, [[2.0, 4.0], [6.0, 8.0]])
    b.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((2, 2), 2.0))


def test_a_view_row_called_by_position_registers_its_parameters_by_name():
    # reshape(x, (4,)) by position goes through apply2: the view is re-derived and inverted with shape= by name
    x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = x * 1.0
    v = _core.apply(R.reshape, b, (4,))
    assert v._view[0] is b and v._view[2] == {"shape": (4,)}
    w = b[0]            # another view of b, re-derived from b after the change below
    v.mul_(3.0)
    (b.sum() + w.sum()).backward()
    np.testing.assert_allclose(x.grad.data, [[6.0, 6.0], [3.0, 3.0]])


@pytest.mark.parametrize("path", ["apply1", "apply with params", "apply with 3 inputs", "finish"])
def test_every_path_registers_views(path):
    x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = x * 1.0
    three = Primitive("test_record_view3", lambda x, y, z: x[0], [lambda g, ans, x, y, z: None, None, None],
                      view=True)
    made = {
        "apply1": lambda: _core.apply1(R.reshape, b, {"shape": (4,)}),
        "apply with params": lambda: _core.apply(R.getitem, b, index=(0,), basic=True),
        "apply with 3 inputs": lambda: _core.apply(three, b, 1.0, 2.0),
        "finish": lambda: _core.finish(R.reshape, (b,), b.data.reshape(4), {"shape": (4,)}),
    }
    v = made[path]()
    assert v._view[0] is b and v._version is b._version and any(r() is v for r in b._views)


# ---- what a node keeps: _plan -------------------------------------------------------------------------------
def test_plan_is_a_named_tuple():
    plan = _core._plan(R.multiply, 1, 2)       # x * y, only x requires grad: its rule reads y
    assert plan.by_value == (1,) and plan.by_meta == () and plan.keep_ans is False
    assert plan.nones == (None, None) and plan.keep == (_core.UNUSED, _core.VALUE)
    assert _core._plan(R.tanh, 1, 1).keep_ans is True        # tanh's rule reads its output
    assert _core._plan(R.add, 3, 2).by_value == ()


# ---- a rule that reads only ans.shape gets ans: rows added through the public turunan.defprim ------------------
@pytest.fixture
def defprim():
    """``turunan.defprim``, with the rows it adds taken out of the table again after the test."""
    made = []

    def make(*args, **kwargs):
        made.append(tn.defprim(*args, **kwargs))
        return made[-1]
    yield make
    for prim in made:
        del R.TABLE[prim.name]


def _shape_rows(defprim):
    ones = np.ones
    return {
        "apply1": defprim("test_record_ans_shape1", lambda x: x + 1.0, [lambda g, ans, x: g * ones(ans.shape)]),
        "apply2": defprim("test_record_ans_shape2", lambda x, y: x + y,
                          [lambda g, ans, x, y: g * ones(ans.shape), lambda g, ans, x, y: g * ones(ans.shape)]),
        "params": defprim("test_record_ans_shape_p", lambda x, y, k: k * (x + y),
                          [lambda g, ans, x, y, k: k * g * ones(ans.shape), None]),
        "three inputs": defprim("test_record_ans_shape3", lambda x, y, z: x + y + z,
                                [lambda g, ans, x, y, z: g * ones(ans.shape)] * 3),
    }


@pytest.mark.parametrize("path, call, want", [
    ("apply1", lambda p, x, y: _core.apply(p, x), [1.0, 1.0]),
    ("apply2", lambda p, x, y: _core.apply(p, x, y), [1.0, 1.0]),
    ("params", lambda p, x, y: _core.apply(p, x, y, k=2.0), [2.0, 2.0]),
    ("three inputs", lambda p, x, y: _core.apply(p, x, y, x), [2.0, 2.0]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_rule_that_reads_only_ans_shape_gets_ans(defprim, path, call, want):
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = tn.tensor([3.0, 4.0])
    out = call(_shape_rows(defprim)[path], x, y)
    assert out._node.ans is not None
    out.sum().backward()        # raised AttributeError: 'NoneType' object has no attribute 'shape'
    np.testing.assert_allclose(x.grad.data, want)


def test_a_rule_that_reads_only_ans_shape_works_under_create_graph(defprim):
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    shape1 = _shape_rows(defprim)["apply1"]
    (g,) = tn.autograd.grad((_core.apply(shape1, x) * x).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.data, [3.0, 5.0])     # d/dx sum((x + 1) x) = 2x + 1
    (h,) = tn.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(h.data, [2.0, 2.0])


def test_the_node_constructor_sets_every_slot_too():
    node = Node(R.tanh, (None,), (None,), (None,), None, None, {}, (2,), np.dtype(np.float32))
    assert not _unset(node, NODE_SLOTS)
