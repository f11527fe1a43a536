"""``torch.distributions``: the distributions D2L's chapters sample from (``Multinomial``), drawn from turunan's
default generator (seeded by ``torch.manual_seed``; its numbers are NumPy's, not PyTorch's)."""

from __future__ import annotations

from . import multinomial
from .multinomial import Multinomial
from .normal import Categorical, Normal

__all__ = ["Multinomial", "multinomial", "Normal", "Categorical"]
