"""``torch.distributed`` over turunan: ``turunan.distributed``'s names (they are PyTorch's already).

``import turunan.torch as torch`` then ``torch.distributed.init_process_group("mpi")`` in a script started by
``mpiexec -n 2 python script.py``; the collectives take the door's tensors as turunan's.

>>> import turunan.torch as torch
>>> torch.distributed.is_initialized(), torch.distributed.ReduceOp.SUM.name
(False, 'SUM')
"""

from __future__ import annotations

from ..distributed import (
    Backend,
    ReduceOp,
    Work,
    all_reduce,
    barrier,
    broadcast,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
)

__all__ = ["Backend", "ReduceOp", "Work", "all_reduce", "barrier", "broadcast", "destroy_process_group",
           "get_backend", "get_rank", "get_world_size", "init_process_group", "is_available", "is_gloo_available",
           "is_initialized", "is_mpi_available"]
