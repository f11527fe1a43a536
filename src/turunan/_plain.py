"""NumPy's callables that carry no derivative, in one place: what ``turunan.numpy`` passes through, and what it
refuses on purpose, with the reason.

``turunan.numpy`` differentiates NumPy's numerical functions (its rows and compositions). The rest of NumPy's
public callables fall in three groups, listed here and nowhere else (``tests/test_numpy_coverage.py`` walks
``numpy``, ``numpy.linalg`` and ``numpy.fft`` and finds each name either differentiable or in one of these):

- ``AS_IS``: functions of shapes, dtypes, settings or text, never of a tensor's values (``tril_indices``,
  ``result_type``, ``set_printoptions``): NumPy's own function, as HIPS autograd passes them through.
- ``CONSTANT``: functions of array values whose results carry no gradient (integers, booleans, counts, set
  membership, bins): they read the tensors' values and give NumPy's answer. A float result among them (the values
  ``unique`` and the set operations return, ``histogram``'s counts) is a constant too, as in HIPS autograd and
  JAX's ``stop_gradient``-free but non-differentiable set functions: said in ``CONSTANT``'s reason.
- ``REFUSED``: names turunan does not offer, each with why and what to do instead.
"""

from __future__ import annotations

import functools

import numpy as np

from ._core import Tensor

# functions of shapes, dtypes, settings, text: no tensor values in, nothing to differentiate
AS_IS = frozenset("""
    base_repr binary_repr broadcast_shapes can_cast common_type diag_indices einsum_path format_float_positional
    format_float_scientific get_include get_printoptions getbufsize geterr geterrcall indices info isdtype
    issubdtype iterable mask_indices min_scalar_type mintypecode printoptions promote_types ravel_multi_index
    result_type set_printoptions setbufsize seterr seterrcall show_config show_runtime tril_indices triu_indices
    typename unravel_index bartlett blackman hamming hanning kaiser tri ix_ fromfunction
""".split())

# functions of values whose results carry no gradient: integer, boolean or counting results, set operations
CONSTANT_REASON = ("its result carries no gradient (indices, booleans, counts, bins or set membership); the values "
                   "are read and NumPy's answer is returned, as in HIPS autograd")
CONSTANT = frozenset("""
    argwhere array_equal array_equiv bincount count_nonzero diag_indices_from digitize flatnonzero histogram
    histogram2d histogram_bin_edges histogramdd intersect1d iscomplex iscomplexobj isfortran isin isreal
    isrealobj isscalar lexsort may_share_memory nanargmax nanargmin nextafter setdiff1d setxor1d shares_memory
    spacing tril_indices_from triu_indices_from union1d unique_all unique_counts unique_inverse unique_values
    array2string array_repr array_str
""".split())

_INTEGER = "integers only: bit operations have no derivative; call numpy.{name} on integer arrays"
_INPLACE = ("it writes into its argument in place; a tensor changes in place only through its own in-place "
            "methods (t[idx] = v, t.add_(...)), which are recorded: use those, or turunan.numpy.where")
_IO = "file and buffer input/output, not arithmetic: call numpy.{name} on .detach().numpy() / numpy arrays"
_TIME = "dates and times have no derivative: call numpy.{name} on datetime64 arrays"
REFUSED = {
    **{n: _INTEGER for n in ("bitwise_and", "bitwise_count", "bitwise_invert", "bitwise_left_shift", "bitwise_not",
                             "bitwise_or", "bitwise_right_shift", "bitwise_xor", "invert", "left_shift",
                             "right_shift", "gcd", "lcm", "packbits", "unpackbits")},
    **{n: _INPLACE for n in ("copyto", "place", "put", "putmask", "fill_diagonal")},
    **{n: _IO for n in ("load", "loadtxt", "genfromtxt", "fromfile", "fromregex", "fromstring", "frombuffer",
                        "fromiter", "save", "savetxt", "savez", "savez_compressed", "from_dlpack")},
    **{n: _TIME for n in ("busday_count", "busday_offset", "is_busday", "datetime_as_string", "datetime_data",
                          "isnat")},
    "asmatrix": "numpy.matrix is deprecated by NumPy itself: use 2-d tensors and @",
    "bmat": "numpy.matrix is deprecated by NumPy itself: use turunan.numpy.block",
    "frompyfunc": "a Python function applied element by element is not recorded op by op: write it with "
                  "turunan.numpy's functions (or vmap it)",
    "nested_iters": "iterating over array buffers is not arithmetic: use indexing",
    "test": "NumPy's own test runner",
    "roots": "the roots are the eigenvalues of a non-symmetric companion matrix, whose derivative turunan does not "
             "offer (numpy.linalg.eig): differentiate through the polynomial (polyval) instead",
    "polydiv": "polynomial long division decides its steps from the values; call numpy.polydiv on the values",
    "i0": "its derivative is the Bessel function i1, which NumPy lacks: use turunan.scipy.special.i0 (SciPy)",
}


def constant(name: str):
    """NumPy's ``name`` on the tensors' values (no gradient): the answer of a CONSTANT function."""
    fn = getattr(np, name)

    @functools.wraps(fn)
    def read(*args, **kwargs):
        return fn(*_values(args), **{k: _values(v) for k, v in kwargs.items()})
    read.without_gradient = True
    return read


def _values(x):
    if isinstance(x, Tensor):
        return x._d      # the array itself: a CuPy or Dask array's own library answers (no copy, no compute)
    if type(x) in (list, tuple):
        return type(x)(_values(v) for v in x)
    return x


def explain(module: str, name: str) -> str | None:
    """Why ``module.name`` is refused, or None."""
    reason = REFUSED.get(name) if module == "numpy" else None
    return None if reason is None else reason.format(name=name)


def register(functions: dict) -> None:
    """NumPy's CONSTANT functions called on Tensors (``numpy.bincount(t)``) answer through ``functions`` (the
    protocol's table, ``turunan._methods.FUNCTIONS``), also on tensors that require grad: nothing is lost."""
    for name in CONSTANT:
        fn = getattr(np, name, None)
        if fn is not None:
            functions.setdefault(fn, constant(name))
