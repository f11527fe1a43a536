"""``turunan.distributed``: collectives between processes, with ``torch.distributed``'s names.

Many processes, one per core or machine, started as MPI programs are: ``mpiexec -n 4 python train.py``. The
engine is MPI through mpi4py (``pip install 'turunan[mpi]'``: mpi4py and the MPICH wheel, which brings
``mpiexec``); ``backend="gloo"`` uses ``torch.distributed`` for those who already have PyTorch. Nothing here
is a transport of its own (docs/design.md, principle 8): this module names what those libraries do.

Collectives work in place on a Tensor's array (``all_reduce(t)`` leaves the sum in ``t`` on every rank, as
PyTorch's does), and ``async_op=True`` returns a ``Work`` whose ``wait()`` finishes the call. Nothing hangs
forever: under MPI a wait longer than the group's ``timeout`` (30 minutes by default, as PyTorch's) is reported
(which call, on which rank) and aborts every rank (``MPI_Abort``), and so does an exception that nobody catches
on one rank, which would otherwise leave the others waiting for it; gloo raises PyTorch's timeout error.

Without a process group nothing works yet, and says so:

>>> import turunan as tn
>>> import turunan.distributed as dist
>>> dist.is_initialized()
False
>>> dist.all_reduce(tn.ones(3))
Traceback (most recent call last):
RuntimeError: all_reduce: no process group: call turunan.distributed.init_process_group() first ...

In a script started with ``mpiexec -n 2 python script.py``::

    dist.init_process_group("mpi")
    t = tn.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(t)                  # tensor([3.]) on both ranks
    dist.destroy_process_group()
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import os
import sys
import time

import numpy as np

from ._core import Tensor

__all__ = ["ReduceOp", "Backend", "Work", "is_available", "is_mpi_available", "is_gloo_available",
           "init_process_group", "is_initialized", "get_backend", "get_rank", "get_world_size", "all_reduce",
           "broadcast", "barrier", "destroy_process_group"]

_MISSING_MPI = ("turunan.distributed's 'mpi' backend needs mpi4py: pip install 'turunan[mpi]' (mpi4py and the "
                "MPICH wheel, which brings mpiexec)")
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)     # PyTorch's default for its CPU backends


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' values (PyTorch's names). ``AVG`` is the sum divided by the
    number of ranks (floating-point tensors only); ``BAND``/``BOR``/``BXOR`` are bitwise (integers, booleans)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class Backend:
    """The backends' names: ``Backend.MPI`` (mpi4py) and ``Backend.GLOO`` (torch.distributed)."""

    MPI = "mpi"
    GLOO = "gloo"


def _mpi():
    """mpi4py's MPI module, imported on first use (importing it starts MPI in this process)."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(_MISSING_MPI) from e
    return MPI


def _importable(name: str) -> bool:
    import importlib.util
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def is_available() -> bool:
    """True: the module is always there; whether a backend is, ``is_mpi_available`` / ``is_gloo_available``."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py can be imported (without importing it, which would start MPI)."""
    return _importable("mpi4py")


def is_gloo_available() -> bool:
    """Whether ``torch.distributed`` is installed (the 'gloo' backend goes through it)."""
    return _importable("torch") and _importable("torch.distributed")


class Work:
    """A collective started with ``async_op=True``: ``wait()`` blocks until it is done, ``is_completed()`` asks
    without blocking (and, under MPI, moves the call along). A wait longer than the group's timeout ends the run:
    under MPI the watchdog prints which call on which rank and aborts every rank; gloo raises PyTorch's error."""

    __slots__ = ("_test", "_block", "_what", "_timeout", "_then", "_done", "_rank")

    def __init__(self, calls: tuple, what, timeout: float, then=None, rank: int = 0) -> None:
        (self._test, self._block), self._what, self._timeout = calls, what, timeout
        self._then, self._done, self._rank = then, False, rank

    def _finish(self) -> None:
        self._done = True
        if self._then is not None:
            self._then()
            self._then = None

    def is_completed(self) -> bool:
        if not self._done and self._test():
            self._finish()
        return self._done

    def wait(self, timeout: datetime.timedelta | float | None = None) -> bool:
        if self._done:
            return True
        limit = self._timeout if timeout is None else _seconds(timeout)
        # the library's own blocking wait (measured: a Python loop of MPI_Test was a third slower per training
        # step on a loaded machine); the watchdog thread gives up for it
        with _watched(self._what, self._rank, limit):
            self._block(limit)
        self._finish()
        return True


class _Watchdog:
    """One daemon thread: if a wait outlasts its timeout, say which call on which rank, then end every rank
    (MPI_Abort), as NCCL's watchdog does in PyTorch. It only looks at a deadline the waiting thread sets."""

    def __init__(self) -> None:
        self.deadline = None
        self.thread = None

    def start(self) -> None:
        if self.thread is None:
            import threading
            self.thread = threading.Thread(target=self._watch, name="turunan.distributed watchdog", daemon=True)
            self.thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(0.05)
            d = self.deadline
            if d is not None and time.monotonic() > d[0]:
                what, rank, limit = d[1:]
                print(f"turunan.distributed: {what()} on rank {rank} did not complete within {limit:g} s: "
                      "another rank failed, stopped, or did not reach the same call (every rank must call the same "
                      "collectives in the same order); aborting all ranks. The timeout is "
                      "init_process_group(timeout=...)", file=sys.stderr, flush=True)
                _abort()


_watchdog = _Watchdog()


@contextlib.contextmanager
def _watched(what, rank: int, limit: float):
    """A blocking wait the watchdog ends after ``limit`` seconds (``what()`` names the call in its message)."""
    _watchdog.deadline = (time.monotonic() + limit, what, rank, limit)
    try:
        yield
    finally:
        _watchdog.deadline = None


def _seconds(timeout) -> float:
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    raise TypeError(f"timeout must be a datetime.timedelta or a positive number of seconds, got {timeout!r}")


# ---- the backends: each turns (array, op) into a started call and a test for its end --------------------------
class _MPIGroup:
    backend = Backend.MPI

    def __init__(self, timeout: float) -> None:
        MPI = _mpi()
        self.MPI = MPI
        # our own communicator: the user's MPI traffic never mixes with ours. Made without blocking, so that a
        # rank that failed before reaching init_process_group ends the others' wait with an error (the timeout)
        self.rank, self.size, self.timeout = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size(), timeout
        _watchdog.start()
        self.comm, req = MPI.COMM_WORLD.Idup()
        Work(self._calls(req), lambda: "init_process_group (waiting for every rank to call it)", timeout,
             rank=self.rank).wait()
        self.ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                    ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR,
                    ReduceOp.BXOR: MPI.BXOR}

    @staticmethod
    def _calls(req) -> tuple:
        return req.Test, lambda limit: req.Wait()

    def _buffer(self, a: np.ndarray):
        # mpi4py reads the MPI datatype from the buffer's format (a predefined type, which reductions accept)
        if a.dtype.char not in self.MPI._typedict:
            raise TypeError(f"turunan.distributed (mpi): MPI has no datatype for {a.dtype} tensors; convert to "
                            "float32, float64 or an integer dtype first")
        return a

    def all_reduce(self, a: np.ndarray, op: ReduceOp, blocking: bool):
        mpi_op = self.ops[op]
        if a.dtype == np.bool_:     # MPI reduces booleans with its logical operations only (as PyTorch does)
            MPI = self.MPI
            mpi_op = MPI.LXOR if op is ReduceOp.BXOR else MPI.LOR if op in (
                ReduceOp.SUM, ReduceOp.MAX, ReduceOp.BOR) else MPI.LAND
        try:
            if blocking:
                self.comm.Allreduce(self.MPI.IN_PLACE, self._buffer(a), mpi_op)
                return None
            req = self.comm.Iallreduce(self.MPI.IN_PLACE, self._buffer(a), mpi_op)
        except self.MPI.Exception as e:      # e.g. SUM of booleans: MPI defines only the logical operations
            raise TypeError(f"turunan.distributed (mpi): MPI cannot reduce {a.dtype} tensors with {op.name} "
                            f"({e.Get_error_string().splitlines()[-1].strip()})") from None
        return self._calls(req)

    def broadcast(self, a: np.ndarray, src: int, blocking: bool):
        if blocking:
            return self.comm.Bcast(self._buffer(a), root=src)
        return self._calls(self.comm.Ibcast(self._buffer(a), root=src))

    def barrier(self, blocking: bool):
        return self.comm.Barrier() if blocking else self._calls(self.comm.Ibarrier())

    def close(self) -> None:
        self.comm.Free()


class _GlooGroup:
    backend = Backend.GLOO

    def __init__(self, timeout: float, init_method: str | None, rank: int, world_size: int) -> None:
        try:
            import torch
            import torch.distributed as tdist
        except ImportError as e:
            raise ImportError("turunan.distributed's 'gloo' backend goes through torch.distributed: install "
                              "PyTorch (pip install 'turunan[torch]'), or use backend='mpi' "
                              "(pip install 'turunan[mpi]')") from e
        self.torch, self.tdist = torch, tdist
        # started by mpiexec, torchrun or by hand: rank and size from whichever launcher set them
        if rank < 0:
            rank = _env_int("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", default=0)
        if world_size < 0:
            world_size = _env_int("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", default=1)
        if init_method is None:
            addr = os.environ.get("MASTER_ADDR", "127.0.0.1")
            init_method = f"tcp://{addr}:{os.environ.get('MASTER_PORT', '29500')}"
        tdist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size,
                                 timeout=datetime.timedelta(seconds=timeout))
        self.rank, self.size, self.timeout = tdist.get_rank(), tdist.get_world_size(), timeout
        R = tdist.ReduceOp
        # gloo has no AVG: the sum, divided afterwards (as for MPI)
        self.ops = {ReduceOp.SUM: R.SUM, ReduceOp.AVG: R.SUM, ReduceOp.PRODUCT: R.PRODUCT, ReduceOp.MIN: R.MIN,
                    ReduceOp.MAX: R.MAX, ReduceOp.BAND: R.BAND, ReduceOp.BOR: R.BOR, ReduceOp.BXOR: R.BXOR}

    def _tensor(self, a: np.ndarray):
        try:
            return self.torch.from_numpy(a)     # shares the memory: the collective writes into our array
        except TypeError:
            raise TypeError(f"turunan.distributed (gloo): PyTorch has no tensor type for {a.dtype}") from None

    @staticmethod
    def _calls(work) -> tuple | None:
        if work is None:            # a blocking call: done already
            return None
        return work.is_completed, lambda limit: work.wait(datetime.timedelta(seconds=limit))

    def all_reduce(self, a: np.ndarray, op: ReduceOp, blocking: bool):
        return self._calls(self.tdist.all_reduce(self._tensor(a), op=self.ops[op], async_op=not blocking))

    def broadcast(self, a: np.ndarray, src: int, blocking: bool):
        return self._calls(self.tdist.broadcast(self._tensor(a), src=src, async_op=not blocking))

    def barrier(self, blocking: bool):
        return self._calls(self.tdist.barrier(async_op=not blocking))

    def close(self) -> None:
        self.tdist.destroy_process_group()


def _env_int(*names: str, default: int) -> int:
    for n in names:
        if os.environ.get(n, "").strip().isdigit():
            return int(os.environ[n])
    return default


_group = None               # the default process group (one per process, as PyTorch's default group)
_previous_excepthook = None


def _abort_on_uncaught(kind, value, tb) -> None:
    """An exception nobody caught on this rank: print it, then end every rank (the others would wait forever
    in their next collective for this one)."""
    hook = _previous_excepthook or sys.__excepthook__
    hook(kind, value, tb)
    world = _mpi().COMM_WORLD
    if world.Get_size() > 1 and not issubclass(kind, KeyboardInterrupt):
        print(f"turunan.distributed: rank {world.Get_rank()} of {world.Get_size()} stopped with {kind.__name__}; "
              "aborting all ranks (MPI_Abort)", file=sys.stderr, flush=True)
        _abort()


def _abort() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    # mpiexec forwards what the ranks printed through its own pipes, and MPI_Abort kills its forwarders too:
    # a moment first, so that the message saying why reaches the terminal (measured: without it, sometimes not)
    time.sleep(0.5)
    _mpi().COMM_WORLD.Abort(1)


def init_process_group(backend: str = "mpi", init_method: str | None = None,
                       timeout: datetime.timedelta | float | None = None, world_size: int = -1, rank: int = -1,
                       **kwargs) -> None:
    """Join the processes started together into the default process group.

    ``backend="mpi"``: the processes ``mpiexec`` started (run without it, a group of one); ``world_size`` and
    ``rank``, if given, must agree with MPI's. ``backend="gloo"``: ``torch.distributed`` over TCP; rank and
    size come from the arguments, or from the launcher's environment (``RANK``/``WORLD_SIZE``, or mpiexec's
    ``PMI_RANK``/``PMI_SIZE``), the address from ``init_method`` or ``MASTER_ADDR``/``MASTER_PORT``
    (default ``tcp://127.0.0.1:29500``). ``timeout`` bounds every wait (default 30 minutes).

    >>> init_process_group("nccl")
    Traceback (most recent call last):
    ValueError: unknown backend 'nccl': turunan.distributed has 'mpi' (mpi4py) and 'gloo' (torch.distributed)...
    """
    global _group, _previous_excepthook
    name = str(backend).lower() if backend is not None else "mpi"
    if name not in (Backend.MPI, Backend.GLOO):
        raise ValueError(f"unknown backend {backend!r}: turunan.distributed has 'mpi' (mpi4py) and 'gloo' "
                         "(torch.distributed); NCCL and other GPU backends are not available (turunan computes on "
                         "the CPU)")
    unknown = set(kwargs) - {"store", "group_name", "pg_options", "device_id"}
    if unknown:
        raise TypeError(f"init_process_group() got unexpected keyword arguments {sorted(unknown)}")
    if _group is not None:
        raise RuntimeError("init_process_group: the default process group is already initialised; call "
                           "destroy_process_group() first to start another")
    limit = _seconds(DEFAULT_TIMEOUT if timeout is None else timeout)
    if name == Backend.MPI:
        if init_method is not None:
            raise ValueError("init_process_group: the 'mpi' backend takes no init_method (mpiexec starts and "
                             "connects the processes)")
        _mpi()
        if sys.excepthook is not _abort_on_uncaught:    # from here on (init's own timeout included)
            _previous_excepthook = sys.excepthook
            sys.excepthook = _abort_on_uncaught
        group = _MPIGroup(limit)
        for what, given, actual in (("world_size", world_size, group.size), ("rank", rank, group.rank)):
            if given not in (-1, None) and given != actual:
                group.close()
                raise ValueError(f"init_process_group: {what}={given}, but MPI started this process as {what} "
                                 f"{actual} (mpiexec -n N sets both; leave them out)")
    else:
        group = _GlooGroup(limit, init_method, rank, world_size)
    _group = group


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not undone)."""
    return _group is not None


def _need(what: str):
    if _group is None:
        raise RuntimeError(f"{what}: no process group: call turunan.distributed.init_process_group() first "
                           "(e.g. init_process_group('mpi') in a script started by mpiexec -n 2 python script.py)")
    return _group


def _check_group(group, what: str) -> None:
    if group is not None and group is not _group:
        raise ValueError(f"{what}: only the default process group is supported (pass group=None)")


def get_backend(group=None) -> str:
    """``'mpi'`` or ``'gloo'``."""
    _check_group(group, "get_backend")
    return _need("get_backend").backend


def get_rank(group=None) -> int:
    """This process's number, 0 to ``get_world_size() - 1``."""
    _check_group(group, "get_rank")
    return _need("get_rank").rank


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    _check_group(group, "get_world_size")
    return _need("get_world_size").size


def _array_of(tensor, what: str) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} needs a turunan Tensor (it works in place on the tensor's memory), got "
                        f"{type(tensor).__name__}; wrap an array with turunan.tensor(array)")
    a = tensor._d
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{what} needs a tensor over a NumPy array, got one over {type(a).__name__}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{what} needs a contiguous tensor (it writes the result into the tensor's memory); this "
                         "one is a strided view: pass t.contiguous() (or a copy) and read the result from it")
    if not a.flags.writeable:
        raise ValueError(f"{what} writes into the tensor, but its memory is read-only; pass a copy")
    return a


def _run(start, what, async_op: bool, then=None, tensor: Tensor | None = None):
    """Run a collective: ``start(blocking)`` calls the backend; ``what`` names it in a timeout's message (a
    function: formatted only then). A blocking call is the library's blocking call (measured: the cheapest for
    small messages), watched by the watchdog; ``async_op=True`` gives a ``Work``."""
    group = _group
    done = then
    if tensor is not None:         # written in place: a graph that saved this tensor must see it changed
        def done():
            if then is not None:
                then()
            tensor._bump_version()
    if async_op:
        return Work(start(False), what, group.timeout, done, group.rank)
    with _watched(what, group.rank, group.timeout):
        start(True)
    if done is not None:
        done()
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False) -> Work | None:
    """Combine ``tensor`` over all ranks, in place: afterwards every rank holds the same result. Every rank must
    give a tensor of the same shape and dtype (as PyTorch asks; MPI does not check, and ends the job when they differ).

    >>> all_reduce([1.0, 2.0])
    Traceback (most recent call last):
    TypeError: all_reduce needs a turunan Tensor (it works in place on the tensor's memory), got list; ...
    """
    a = _array_of(tensor, "all_reduce")
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a turunan.distributed.ReduceOp (e.g. ReduceOp.SUM), got {op!r}")
    kind = a.dtype.kind
    if op is ReduceOp.AVG and kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG of a {a.dtype} tensor would not be a {a.dtype}; use "
                        "ReduceOp.SUM and divide, or a floating-point tensor")
    if op in (ReduceOp.MIN, ReduceOp.MAX) and kind == "c":
        raise TypeError(f"all_reduce: complex numbers have no order, so {op.name} of a {a.dtype} tensor is undefined")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "iub":
        raise TypeError(f"all_reduce: {op.name} is bitwise: it needs an integer or boolean tensor, not {a.dtype}")
    g = _need("all_reduce")
    _check_group(group, "all_reduce")
    then = None
    if op is ReduceOp.AVG:
        def then():
            np.divide(a, g.size, out=a)
    return _run(lambda blocking: g.all_reduce(a, op, blocking),
                lambda: f"all_reduce({op.name}, {a.dtype}{list(a.shape)})", async_op, then, tensor)


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank (same shape and dtype everywhere)."""
    a = _array_of(tensor, "broadcast")
    g = _need("broadcast")
    _check_group(group, "broadcast")
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < g.size:
        raise ValueError(f"broadcast: src must be a rank between 0 and {g.size - 1}, got {src!r}")
    return _run(lambda blocking: g.broadcast(a, int(src), blocking),
                lambda: f"broadcast(src={src}, {a.dtype}{list(a.shape)})", async_op, tensor=tensor)


def barrier(group=None, async_op: bool = False) -> Work | None:
    """Wait until every rank has reached this call."""
    g = _need("barrier")
    _check_group(group, "barrier")
    return _run(g.barrier, lambda: "barrier", async_op)


def destroy_process_group(group=None) -> None:
    """Leave the default process group (MPI itself stays initialised until the process ends, as MPI requires;
    a new ``init_process_group`` may follow)."""
    global _group, _previous_excepthook
    _check_group(group, "destroy_process_group")
    g = _need("destroy_process_group")
    _group = None
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _previous_excepthook or sys.__excepthook__
    _previous_excepthook = None
    g.close()
