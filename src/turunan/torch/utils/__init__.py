"""``torch.utils`` over turunan: only ``torch.utils.data`` (forwarded to ``turunan.data``)."""

from __future__ import annotations

from ..._doors import lacking
from . import data

__getattr__ = lacking(__name__, "PyTorch")
