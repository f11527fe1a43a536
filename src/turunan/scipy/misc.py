"""``turunan.scipy.misc``: ``logsumexp``, where HIPS autograd's ``autograd.scipy.misc`` keeps it (SciPy moved it
to ``scipy.special``); the same function as ``turunan.scipy.special.logsumexp``.

>>> from turunan.scipy import misc, special
>>> misc.logsumexp is special.logsumexp
True
"""

from __future__ import annotations

from .special import logsumexp

__all__ = ["logsumexp"]
