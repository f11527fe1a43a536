"""turunan.func split by concern: the facade's names, the transform context's grad mode, viz's walk."""

import numpy as np
import pytest

import turunan as tn
import turunan._forward_fn as forward_fn
import turunan._jacobians as jacobians
import turunan._reverse as reverse
import turunan.func as F
from turunan import viz
from turunan._core import Node
from turunan._engine import toposort
from turunan._transform import Transform, depth


def test_the_facade_has_every_public_name_from_its_module():
    homes = {"grad": reverse, "value_and_grad": reverse, "vjp": reverse, "jvp": forward_fn,
             "linearize": forward_fn, "jacrev": jacobians, "jacfwd": jacobians, "jacobian": jacobians,
             "hessian": jacobians, "hvp": jacobians}
    for name, home in homes.items():
        assert getattr(F, name) is getattr(home, name), name
    assert F.jacobian_of_recorded is jacobians.jacobian_of_recorded      # the TensorFlow door's
    for name in F.__all__:
        assert callable(getattr(F, name)), name


@pytest.mark.parametrize("outer", [True, False])
def test_transform_turns_recording_on_and_restores_the_mode(outer):
    with tn.set_grad_enabled(outer):
        seen = []

        def f(x):
            seen.append((tn.is_grad_enabled(), depth.n))
            return (x * x).sum()
        F.grad(f)(tn.tensor([1.0, 2.0]))
        assert seen == [(True, 1)]
        assert tn.is_grad_enabled() is outer and depth.n == 0

        def fails(x):
            raise KeyError("inside")
        with pytest.raises(KeyError):
            F.grad(fails)(1.0)
        assert tn.is_grad_enabled() is outer and depth.n == 0

        with Transform(record=False) as tr:         # forward mode leaves the mode as it finds it
            assert tr.prev is outer and tn.is_grad_enabled() is outer and depth.n == 1
        assert tn.is_grad_enabled() is outer and depth.n == 0


def test_forward_mode_inside_no_grad_records_nothing():
    with tn.no_grad():
        x = tn.tensor([1.0, 2.0], requires_grad=True)
        y, t = F.jvp(lambda v: v * v, (x,), (tn.ones(2),))
        assert not tn.is_grad_enabled()
    np.testing.assert_allclose(t.numpy(), [2.0, 4.0])


def test_viz_walks_the_graph_as_the_engine_does():
    r = np.random.default_rng(0)
    w = tn.tensor(r.standard_normal((3, 3)), requires_grad=True)
    x = tn.tensor(r.standard_normal(3), requires_grad=True)
    h = tn.tanh(x @ w)
    a, b = (h * h).sum(), (h + x).max()
    roots = [a._node, b._node, a._node]
    assert viz.toposort is toposort          # one walker for backward and for the pictures
    order = toposort(roots)
    place = {node: i for i, node in enumerate(order)}
    assert len(place) == len(order) == 8     # each once: reshape, mm, reshape, tanh, mul, sum, add, amax
    for node in order:                       # parents before children
        assert all(place[p] < place[node] for p in node.parents if isinstance(p, Node))
    deep = x
    for _ in range(3000):                    # no recursion
        deep = deep * 1.0
    chain = toposort([deep._node])
    assert len(chain) == 3000 and chain[-1] is deep._node
