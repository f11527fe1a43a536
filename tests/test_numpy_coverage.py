"""Every public callable of ``numpy``, ``numpy.linalg`` and ``numpy.fft`` is accounted for in ``turunan.numpy``
(issue 12): differentiable there, or one of NumPy's functions without a derivative that ``turunan._plain`` lists in
one place (passed through as NumPy's own, read as a constant, or refused with the reason). Nothing falls through
to the generic "no rule" error. Walked from the installed NumPy, so a NumPy release that adds a function makes this
test name it."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import turunan as tn
import turunan.numpy as tnp
from turunan import _plain


def _public_callables(module) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))
                  and not inspect.isclass(getattr(module, n)) and not inspect.ismodule(getattr(module, n)))


@pytest.mark.parametrize("np_module, ours", [(np, tnp), (np.linalg, tnp.linalg), (np.fft, tnp.fft)],
                         ids=["numpy", "numpy.linalg", "numpy.fft"])
def test_no_numpy_callable_falls_through(np_module, ours):
    unexplained = []
    for name in _public_callables(np_module):
        if name == "test":          # NumPy's own test runner (numpy.test, numpy.linalg.test, numpy.fft.test)
            continue
        try:
            found = getattr(ours, name)
        except AttributeError as e:
            if "does not offer" not in str(e):          # refused without a reason: a gap
                unexplained.append(name)
            continue
        assert callable(found), f"{ours.__name__}.{name} is not callable"
    assert not unexplained, (f"{len(unexplained)} callables of {np_module.__name__} are neither differentiable in "
                             f"{ours.__name__} nor listed in turunan._plain: {unexplained}")


def test_the_lists_do_not_overlap_and_name_numpys_functions():
    groups = {"AS_IS": _plain.AS_IS, "CONSTANT": _plain.CONSTANT, "REFUSED": set(_plain.REFUSED)}
    names = list(groups.items())
    for i, (a, sa) in enumerate(names):
        for b, sb in names[i + 1:]:
            assert not sa & sb, f"{a} and {b} both list {sorted(sa & sb)}"
    everything = set().union(*groups.values())
    assert not {n for n in everything if not hasattr(np, n)} - {"test"}, "a listed name NumPy does not have"
    # a name with a rule is never also listed as without one (the CONSTANT functions are defined as readers)
    defined = {n for n, v in vars(tnp).items() if not n.startswith("_") and not getattr(v, "without_gradient", 0)}
    assert not defined & everything, sorted(defined & everything)


def test_refused_names_say_why_and_what_to_do():
    for name in ("packbits", "copyto", "load", "busday_count", "frompyfunc"):
        if not hasattr(np, name):
            continue
        with pytest.raises(AttributeError, match=f"does not offer numpy.{name}: .+"):
            getattr(tnp, name)


def test_constants_read_tensors_that_require_grad_and_give_numpys_answer():
    x = tn.tensor([3.0, 0.0, 3.0, 1.0], requires_grad=True)
    assert tnp.count_nonzero(x) == 3
    np.testing.assert_array_equal(tnp.flatnonzero(x), [0, 2, 3])
    np.testing.assert_array_equal(tnp.unique_values(x), [0.0, 1.0, 3.0])
    assert tnp.array_equal(x, [3.0, 0.0, 3.0, 1.0]) is True or bool(tnp.array_equal(x, [3.0, 0.0, 3.0, 1.0]))
    np.testing.assert_array_equal(np.bincount(tn.tensor([1, 1, 2])), [0, 2, 1])     # through NumPy's protocol
    assert np.count_nonzero(x) == 3
    # a graph that uses a constant's answer still differentiates through the rest
    y = (x * float(tnp.count_nonzero(x))).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0, 3.0, 3.0])


def test_as_is_names_are_numpys_own():
    assert tnp.tril_indices is np.tril_indices and tnp.result_type is np.result_type
    np.testing.assert_array_equal(tnp.hanning(4), np.hanning(4))


def test_a_numpy_function_without_a_rule_refuses_a_tensor_that_requires_grad_but_reads_a_plain_one():
    if not hasattr(np, "packbits"):
        pytest.skip("NumPy without packbits")
    plain = tn.tensor([1, 0, 1], dtype=np.uint8)
    np.testing.assert_array_equal(np.packbits(plain), np.packbits(np.array([1, 0, 1], np.uint8)))
    assert np.allclose(tn.tensor([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(TypeError, match="no rule for numpy.allclose"):
        np.allclose(tn.tensor([1.0, 2.0], requires_grad=True), [1.0, 2.0])


def test_numpys_version_is_readable_where_numpy_code_checks_it():
    assert tnp.__version__ == np.__version__
