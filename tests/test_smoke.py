import numpy as np

import turunan as tn


def test_chapter_first_example():
    x = tn.arange(4.0, requires_grad=True)
    y = 2 * tn.dot(x, x)
    y.backward()
    assert np.array_equal(x.grad.detach().numpy(), 4 * x.detach().numpy())
