"""The public ops under one name: ``from . import _ops as ops`` reaches every op, whichever module holds it.

Each concern has its module; listed from the bottom up, each imports only modules above it in this list:

- ``_elementwise``: arithmetic, comparisons, unary functions, ``where``, ``clip``, ``astype``
- ``_shapes``: reshape and views, transpose, broadcast, tile, concatenate and stack, split; lists of tensors
- ``_reductions``: sum, mean, var and std, max and min, logsumexp, softmax, cumulative sums and products
- ``_indexing``: ``x[index]``, take, take_along_axis, argsort, sort, topk
- ``_linalg``: matmul, dot, tensordot, einsum, norms
- ``_inplace``: in-place changes and the graphs of the tensors sharing the memory changed; ``x[index] = v``

Composites get their derivatives for free from the table; a NOTE marks a composition that changes the
math at some point (the gradient of the 2-norm at zero, for instance).
"""

from __future__ import annotations

from ._elementwise import *  # noqa: F403
from ._elementwise import tensor_of
from ._indexing import *  # noqa: F403
from ._inplace import *  # noqa: F403
from ._inplace import apply_inplace
from ._linalg import *  # noqa: F403
from ._reductions import *  # noqa: F403
from ._shapes import *  # noqa: F403
from ._shapes import SEQUENCES, from_nested, holds_tensor, nested_values, shape_arg

# the names other modules have used from here
_t = tensor_of
_shape_arg = shape_arg
_inplace = apply_inplace
_SEQ, _holds_tensor, _values, _from_nested = SEQUENCES, holds_tensor, nested_values, from_nested
