"""Property tests: random compositions of ops and shapes, checked numerically (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import turunan as tn
from turunan.testing import check_grads

# exp of a bounded input: a random stack of exps (e^e^e^x) outruns float64 finite differences
UNARY = [tn.sin, tn.cos, tn.tanh, tn.sigmoid, lambda x: tn.exp(tn.tanh(x)), lambda x: tn.log1p(x * x), lambda x: x * x,
         lambda x: tn.sqrt(x * x + 1), tn.softplus, lambda x: -x, lambda x: x / (1 + x * x)]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (1 + b * b),
          lambda a, b: tn.maximum(a, b) * 0 + a * b]
REDUCE = [lambda x: x.sum(), lambda x: x.mean(axis=-1), lambda x: tn.logsumexp(x, axis=0), lambda x: x.var(),
          lambda x: tn.softmax(x, axis=-1), lambda x: x]
SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((1, 3), (2, 3)), ((2, 3), ())]


@settings(max_examples=60, deadline=None, derandomize=True)   # the same examples every run: CI is stable
@given(st.lists(st.integers(0, len(UNARY) - 1), min_size=1, max_size=4),
       st.integers(0, len(BINARY) - 1), st.integers(0, len(REDUCE) - 1), st.integers(0, len(SHAPES) - 1),
       st.integers(0, 2 ** 16))
def test_random_compositions(unary_ids, binary_id, reduce_id, shape_id, seed):
    rng = np.random.default_rng(seed)
    sa, sb = SHAPES[shape_id]
    a, b = rng.uniform(-1.5, 1.5, sa), rng.uniform(-1.5, 1.5, sb)

    def f(x, y):
        for i in unary_ids:
            x = UNARY[i](x)
        return REDUCE[reduce_id](BINARY[binary_id](x, y))

    check_grads(f, [a, b], order=2)
