"""``DistributedDataParallel``: one model per process, gradients averaged over the processes in buckets.

How the gradients travel (and why this way). At construction rank 0's parameters and buffers are broadcast,
so every rank starts from the same model, and the parameters are cut into buckets of about ``bucket_cap_mb``
in reverse registration order (roughly the order backward reaches them), as PyTorch's DDP does.

The engine runs a leaf's gradient hooks once, on its total, but only when the whole walk is done, too late to
overlap anything. So during a forward the model reads each parameter through an *alias* (the identity,
recorded: one graph node, no copy) made when the model first reads the parameter. Backward visits nodes
newest first and a node only after every consumer, so the alias's hook runs with the parameter's complete
gradient as soon as the last layer that used it is done. The hook copies it into its bucket, and the moment a
bucket is full its all-reduce starts (non-blocking); it travels while backward goes on through the earlier
layers. Buckets start strictly in order, the same on every rank, as MPI requires. The parameters' own hooks
run after the walk: the first waits for all the buckets and divides by the number of ranks, and each returns
its parameter's averaged gradient, which becomes ``.grad``. What is reduced is the gradient ``.grad`` will
hold (earlier ``.grad`` included, as PyTorch reduces ``.grad``), so accumulating under ``no_sync()`` works.
Non-blocking MPI calls move while some MPI call runs; each hook asks the pending ones, which is what lets them
move during backward.

A parameter that gets no gradient in a backward (a branch not taken, a head not used) would keep its bucket,
and every rank, waiting. As in PyTorch this is an error naming the parameters, unless
``find_unused_parameters=True``: then such a parameter counts as a zero gradient on this rank (its ``.grad``
is left alone if no rank used it). A gradient that reaches a parameter other than through the model's forward
(a penalty computed from ``ddp.parameters()`` outside it) cannot be averaged in step and is an error too:
compute it inside ``forward``. Buffers (BatchNorm's running statistics) are broadcast from rank 0 at each
forward (``broadcast_buffers=True``), as PyTorch does.

Without a process group there is nothing to be parallel with, and it says so:

>>> import turunan as tn
>>> from turunan import nn
>>> DistributedDataParallel(nn.Linear(3, 2))
Traceback (most recent call last):
RuntimeError: DistributedDataParallel: no process group: call turunan.distributed.init_process_group() first ...

In a script started with ``mpiexec -n 2 python train.py``::

    dist.init_process_group("mpi")
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = optim.SGD(ddp.parameters(), lr=0.1)
    loss_fn(ddp(x_shard), y_shard).backward()   # .grad: the average over the ranks
    opt.step()                                    # the same step on every rank
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np

from .. import distributed as dist
from .._core import Tensor
from .._mode import is_grad_enabled
from .._rules import alias
from .module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """A flat buffer for the gradients of some parameters of one dtype, and where each lies in it."""

    def __init__(self, members: list, dtype: np.dtype) -> None:
        """``members``: (parameter index, parameter) pairs, in the order their gradients are laid out."""
        self.members = [i for i, _ in members]      # parameter indices
        self.flat = Tensor(np.zeros(sum(p._d.size for _, p in members), dtype))
        self.slots: dict = {}               # index -> view of ``flat`` in the parameter's shape
        start = 0
        for i, p in members:
            self.slots[i] = self.flat._d[start:start + p._d.size].reshape(p._d.shape)
            start += p._d.size


class _Round:
    """One reduction: the aliases of a forward, what has arrived, which buckets are on their way."""

    def __init__(self, n_buckets: list) -> None:
        self.aliases: dict = {}             # parameter index -> its alias in this forward
        self.arrived: dict = {}             # parameter index -> the gradient array its alias hook saw
        self.missing = list(n_buckets)      # per bucket: how many of its parameters have not arrived
        self.next = 0                       # the next bucket to start (in order, on every rank)
        self.works: list = []
        self.finished = False
        self.unused: set = set()
        self.deliver: set = set()           # parameters whose own hook has yet to hand over the average


class _Aliased(dict):
    """A module's parameter registry during a forward: reading a parameter gives its alias (made on first read)."""

    def __init__(self, registry: dict, make) -> None:
        super().__init__(registry)
        self._make = make

    def __getitem__(self, name):
        return self._make(dict.__getitem__(self, name))

    def get(self, name, default=None):
        return self._make(dict.__getitem__(self, name)) if name in self else default

    def values(self):
        return [self._make(v) for v in dict.values(self)]

    def items(self):
        return [(k, self._make(v)) for k, v in dict.items(self)]


class DistributedDataParallel(Module):
    """Data-parallel training: ``ddp = DistributedDataParallel(model)``, then train ``ddp`` as the model.

    ``ddp.module`` is the model (its parameters are ``ddp.parameters()``, named ``module.<name>`` as in
    PyTorch). ``bucket_cap_mb`` sizes the buckets; ``find_unused_parameters`` lets a parameter get no gradient;
    ``broadcast_buffers`` syncs buffers from rank 0 at each forward; ``device_ids`` / ``output_device`` may only
    name the CPU; ``dim``, ``gradient_as_bucket_view`` and ``static_graph`` are accepted for PyTorch's signature
    and change nothing. How gradients are averaged, and when: the module docstring.

    Every forward is a collective when buffers are broadcast (all ranks must call it): to evaluate on rank 0
    alone, call ``ddp.module``. Gradients are averaged on ``loss.backward()``, as in PyTorch, whose DDP supports
    ``backward()`` only: ``turunan.grad`` through the model and ``create_graph=True`` are not supported.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float = 25.0,
                 find_unused_parameters: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a turunan.nn.Module, got {type(module).__name__}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: no process group: call "
                               "turunan.distributed.init_process_group() first (in a script started by "
                               "mpiexec -n N python script.py)")
        for name, dev in (("device_ids", device_ids), ("output_device", output_device)):
            if dev not in (None, [], "cpu") and not (isinstance(dev, (list, tuple)) and list(dev) in ([], ["cpu"])):
                raise ValueError(f"DistributedDataParallel: {name}={dev!r}, but turunan computes on the CPU "
                                 "(leave it out)")
        if process_group is not None and process_group is not dist._group:
            raise ValueError("DistributedDataParallel: only the default process group is supported")
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be > 0, got {bucket_cap_mb!r}")
        super().__init__()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.world_size = dist.get_world_size()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._index = {id(p): i for i, p in enumerate(self._params)}
        foreign = [(n, type(p._d).__name__) for n, p in named if type(p._d) is not np.ndarray]
        if foreign:     # its buckets are host memory that MPI sends; a CuPy or Dask parameter would be copied silently
            raise TypeError(f"DistributedDataParallel reduces gradients in NumPy buffers over MPI; parameters "
                            f"{[n for n, _ in foreign[:3]]} hold {foreign[0][1]} arrays: keep the model's parameters "
                            "in NumPy arrays (the data may be Dask arrays)")
        self._buckets = self._make_buckets(int(bucket_cap_mb * 2 ** 20))
        self._check_same_model()
        self._sync_state()
        self._bucket_of = {i: b for b, bucket in enumerate(self._buckets) for i in bucket.members}
        self._round: _Round | None = None
        self._sync = True
        me = weakref.ref(self)      # the parameters' hooks must not keep this wrapper alive
        self._handles = [p.register_hook(_leaf_hook(me, i)) for i, p in enumerate(self._params)]

    # ---- construction ------------------------------------------------------------------------------------
    def _check_same_model(self) -> None:
        """Every rank must wrap the same architecture (or the buckets would not match): compare a checksum."""
        import zlib
        # (the buckets too: a bucket_cap_mb that differs between ranks would make reductions of other sizes meet)
        text = repr([(n, p._d.shape, p._d.dtype.str) for n, p in zip(self._names, self._params)]) + \
            repr([b.members for b in self._buckets])
        sums = Tensor(np.array([zlib.crc32(text.encode()), -zlib.crc32(text.encode())], np.int64))
        dist.all_reduce(sums, dist.ReduceOp.MAX)
        if sums._d[0] != -sums._d[1]:
            raise RuntimeError("DistributedDataParallel: the ranks wrap different models (parameter names, shapes "
                               "or dtypes differ) or give different bucket_cap_mb; every rank must build the same "
                               "model and wrap it the same way")

    def _sync_state(self) -> None:
        """Rank 0's parameters and buffers, everywhere: all ranks start from the same model."""
        for p in self.module.parameters():
            dist.broadcast(p, 0)
        self._broadcast_buffers()

    def _broadcast_buffers(self) -> None:
        """Rank 0's buffers everywhere: one broadcast per dtype (BatchNorm's six buffers: two calls, not six)."""
        by_dtype: dict = {}
        for b in self.module.buffers():
            by_dtype.setdefault(b._d.dtype, []).append(b)
        for bufs in by_dtype.values():
            flat = Tensor(np.concatenate([b._d.ravel() for b in bufs]) if len(bufs) > 1 else
                          np.ascontiguousarray(bufs[0]._d).ravel().copy())
            dist.broadcast(flat, 0)
            start = 0
            for b in bufs:
                n = b._d.size
                b._d[...] = flat._d[start:start + n].reshape(b._d.shape)
                b._bump_version()
                start += n

    def _make_buckets(self, cap: int) -> list:
        buckets, current, size, dtype = [], [], 0, None
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            if current and (p._d.dtype != dtype or size + p._d.nbytes > cap):
                buckets.append(_Bucket(current, dtype))
                current, size = [], 0
            current.append((i, p))
            size += p._d.nbytes
            dtype = p._d.dtype
        if current:
            buckets.append(_Bucket(current, dtype))
        return buckets

    # ---- forward -----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Forwards inside this block skip the reduction: their gradients accumulate locally in ``.grad``, and
        the first synchronised backward after it averages the accumulated total (PyTorch's ``no_sync``)."""
        old, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = old

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.world_size > 1:
            self._broadcast_buffers()
        if not (self._sync and is_grad_enabled() and self._params):
            if not self._sync:
                self._round = None      # a no_sync forward: its backward accumulates locally
            return self.module(*args, **kwargs)
        r = self._round
        if r is not None and r.arrived and not r.finished:
            raise RuntimeError("DistributedDataParallel: the previous backward did not finish its reduction "
                               f"(parameters never reached: {self._unready(r)}); "
                               + _UNUSED_ADVICE)
        if r is None or r.finished:
            r = self._round = _Round([len(b.members) for b in self._buckets])
        make = _alias_maker(weakref.ref(self), r)
        swapped = []
        for m in self.module.modules():
            reg = m.__dict__.get("_parameters")
            if reg:
                m.__dict__["_parameters"] = _Aliased(reg, make)
                swapped.append((m, reg))
        try:
            return self.module(*args, **kwargs)
        finally:
            for m, reg in swapped:
                seen = m.__dict__["_parameters"]
                m.__dict__["_parameters"] = reg
                if dict.keys(seen) != reg.keys() or any(dict.__getitem__(seen, k) is not v for k, v in reg.items()):
                    reg.clear()         # the forward (re)assigned a parameter: keep what it did
                    reg.update(dict.items(seen))

    def _unready(self, r: _Round) -> list:
        return [self._names[i] for i in range(len(self._params)) if i not in r.arrived and i not in r.unused]

    # ---- backward: arrival (during the walk) and delivery (after it) ---------------------------------------
    def _arrive(self, r: _Round, i: int, g: np.ndarray) -> None:
        if r is not self._round:
            return                      # an alias of an earlier round's graph (a forward never differentiated)
        if r.finished:
            raise RuntimeError("DistributedDataParallel: a second backward through the same forward; run the "
                               "forward again (each forward's gradients are averaged once)")
        if i in r.arrived:
            return
        p = self._params[i]
        slot = self._buckets[self._bucket_of[i]].slots[i]
        prior = p._grad                 # not yet touched: the parameter's hook defers its accumulation to the end
        if prior is None:
            np.copyto(slot, g, casting="same_kind")
        else:
            np.add(g, prior._d, out=slot, casting="same_kind")
        r.arrived[i] = g
        b = self._bucket_of[i]
        r.missing[b] -= 1
        if r.missing[b] == 0:
            self._start_ready(r)
        for w in r.works:               # moving the calls on their way (MPI progresses inside MPI calls)
            w.is_completed()

    def _start_ready(self, r: _Round) -> None:
        while r.next < len(self._buckets) and r.missing[r.next] == 0:
            r.works.append(dist.all_reduce(self._buckets[r.next].flat, dist.ReduceOp.AVG, async_op=True))
            r.next += 1

    def _finish(self, r: _Round) -> None:
        """The walk is over (the first parameter hook runs): every arriving gradient has arrived."""
        unready = [i for i in range(len(self._params)) if i not in r.arrived]
        if unready and not self.find_unused_parameters:
            r.finished = True
            names = [self._names[i] for i in unready]
            raise RuntimeError(f"DistributedDataParallel: parameters got no gradient through the model's forward in "
                               f"this backward: {names}; " + _UNUSED_ADVICE)
        for i in unready:               # a zero gradient from this rank (plus .grad so far: PyTorch reduces .grad)
            prior = self._params[i]._grad
            self._buckets[self._bucket_of[i]].slots[i][...] = 0 if prior is None else prior._d
            r.unused.add(i)
            r.missing[self._bucket_of[i]] -= 1
        self._start_ready(r)
        for w in r.works:
            w.wait()                    # (each bucket averaged as its reduction completes)
        r.finished = True
        r.deliver = set(r.arrived)
        r.aliases.clear()               # the aliases' hooks hold this round: no cycle outlives the step
        for i in r.unused:              # not reached here, so no hook will hand these over: write them now
            avg = self._buckets[self._bucket_of[i]].slots[i]
            p = self._params[i]
            if p._grad is not None:
                p._grad._d[...] = avg
                p._grad._bump_version()
            elif avg.any():
                p.grad = Tensor(avg.copy())

    def _deliver(self, i: int, g: Tensor):
        r = self._round
        if r is not None and not r.finished:
            self._finish(r)
        if r is None or i not in r.deliver:
            if r is not None and i in r.unused:
                raise RuntimeError(f"DistributedDataParallel: parameter {self._names[i]!r} got a gradient that did "
                                   "not pass through the model's forward; " + _OUTSIDE_ADVICE)
            return None                 # no synchronised forward: local accumulation, as under no_sync
        r.deliver.discard(i)
        if g._d is not r.arrived.pop(i):
            raise RuntimeError(f"DistributedDataParallel: parameter {self._names[i]!r} also got a gradient from "
                               "outside the model's forward; " + _OUTSIDE_ADVICE)
        p = self._params[i]
        if p._grad is not None:         # its value is in the average already (PyTorch reduces .grad)
            p._grad._d[...] = 0
        return Tensor(self._buckets[self._bucket_of[i]].slots[i].astype(g._d.dtype, copy=False))

    def extra_repr(self) -> str:
        return f"world_size={self.world_size}, buckets={len(self._buckets)}"


_UNUSED_ADVICE = ("a parameter that gets no gradient would leave every rank waiting for it. If the model does not "
                  "use every parameter in every step, pass find_unused_parameters=True; if it reads a parameter "
                  "other than as a module attribute (model.weight, self._parameters), read it as one")
_OUTSIDE_ADVICE = ("DDP averages the gradients that flow through ddp(...) only. Compute the term (a weight penalty, "
                   "say) inside the model's forward, or add it to .grad after backward")


def _alias_maker(me, r: _Round):
    def make(p):
        self = me()
        i = self._index.get(id(p)) if self is not None and p is not None else None
        if i is None:
            return p                    # not trained (requires_grad=False), or None
        a = r.aliases.get(i)
        if a is None:
            a = r.aliases[i] = alias(p)
            a.register_hook(lambda g, i=i: _arrive(me, r, i, g))
        return a
    return make


def _arrive(me, r: _Round, i: int, g: Tensor) -> None:
    self = me()
    if self is not None:
        self._arrive(r, i, g._d)


def _leaf_hook(me, i: int):
    def hook(g):
        self = me()
        return None if self is None else self._deliver(i, g)
    return hook
