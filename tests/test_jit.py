"""``tn.jit``: a replayed step gives the numbers eager execution gives, bit for bit, and never replays a wrong path.

Differential: every benchmark workload, a sample of the engine's random-program sweep, the functional transforms and
PyTorch-style training steps run eagerly and jitted (first call and replays). Guards: value-dependent branches,
shape changes, Dropout, BatchNorm's modes, a parameter replaced between calls, an exception inside the step.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import pathlib
import pkgutil
import re
import sys
import types
import warnings

import numpy as np
import pytest

import turunan as tn
from turunan import _fuse, nn, optim
from turunan._jit_reach import reach

ROOT = pathlib.Path(__file__).resolve().parents[1]
JIT = sys.modules["turunan.jit"]


def val(x):
    """A result or a piece of state as plain, copied values (nested lists of arrays)."""
    if isinstance(x, tn.Tensor):
        return np.array(x._d, copy=True)
    if isinstance(x, (list, tuple)):
        return [val(v) for v in x]
    if isinstance(x, dict):
        return {k: val(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return x.copy()
    return x


def same(a, b) -> bool:
    """Bit for bit: same types, shapes, dtypes and values (NaN equals NaN)."""
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    return type(a) is type(b) and (a == b or (a != a and b != b))


def state_of(fn) -> list:
    return [[val(t), val(t.grad)] for t in reach(fn).tensors]


@contextlib.contextmanager
def no_warnings():
    """No eager fallback: tn.jit warns when it gives up on replaying."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# ---- every benchmark workload ------------------------------------------------------------------------------
def _workloads():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        names = [m.name for m in pkgutil.iter_modules([str(ROOT / "benchmarks" / "workloads")])
                 if not m.name.startswith("_")]
        out = []
        for name in sorted(names):
            mod = importlib.import_module(f"workloads.{name}")
            if hasattr(mod, "setup_turunan"):
                out += [(name, t) for t in getattr(mod, "TIMED", ["step"])]
        return out
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def _workload_pair(name, timed, monkeypatch, fuse=False):
    """A benchmark workload's timed function (quick size) twice, from the same data: as it is, and jitted."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    mod = importlib.import_module(f"workloads.{name}")
    size = mod.SIZES["quick"]
    return (mod.setup_turunan(mod.data(size), size).timed(timed),
            tn.jit(mod.setup_turunan(mod.data(size), size).timed(timed), fuse=fuse))


@pytest.mark.parametrize("name,timed", _workloads())
def test_every_workload_replays_bit_for_bit(name, timed, monkeypatch):
    eager, jitted = _workload_pair(name, timed, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)      # no eager fallback: every workload is replayed
        for i in range(4):
            assert same(val(eager()), val(jitted())), f"{name}/{timed}: call {i} differs"
            assert same(state_of(eager), state_of(jitted.fn)), f"{name}/{timed}: state after call {i} differs"
    assert jitted.replay_count >= 2 and jitted.trace_count <= 2


# ---- a sample of the engine's random-program sweep (tests/test_properties.py) -------------------------------
def _programs():
    from test_properties import BINARY, REDUCE, SHAPES, UNARY
    rng = np.random.default_rng(14)
    for _ in range(24):
        yield ([int(i) for i in rng.integers(0, len(UNARY), rng.integers(1, 5))], int(rng.integers(len(BINARY))),
               int(rng.integers(len(REDUCE))), int(rng.integers(len(SHAPES))), UNARY, BINARY, REDUCE, SHAPES)


def _program(case: int):
    """The sweep's random program ``case`` as a function of two tensors, and its two input shapes."""
    unary_ids, b, r, s, UNARY, BINARY, REDUCE, SHAPES = list(_programs())[case]

    def f(x, y):
        for i in unary_ids:
            x = UNARY[i](x)
        return REDUCE[r](BINARY[b](x, y)).sum()
    return f, SHAPES[s]


@pytest.mark.parametrize("case", list(range(24)))
def test_random_programs_replay_bit_for_bit(case):
    f, (sa, sb) = _program(case)
    first = tn.func.value_and_grad(f, argnums=(0, 1))
    second = tn.func.grad(lambda x, y: tn.func.grad(f)(x, y).sum(), argnums=(0, 1))
    jf, js = tn.jit(first), tn.jit(second)
    rng = np.random.default_rng(case)
    with no_warnings():
        for _ in range(3):      # new values each call: replays compute, they do not repeat the first answer
            x, y = tn.tensor(rng.uniform(-1.5, 1.5, sa)), tn.tensor(rng.uniform(-1.5, 1.5, sb))
            assert same(val(first(x, y)), val(jf(x, y)))
            assert same(val(second(x, y)), val(js(x, y)))
    assert jf.trace_count == 1 and js.trace_count == 1


# ---- the functional style ------------------------------------------------------------------------------------
def _mlp_params(rng):
    return {"W": tn.tensor(rng.standard_normal((5, 4)).astype(np.float32)),
            "b": tn.tensor(np.zeros(4, np.float32))}


def _loss(params, x, y):
    z = tn.tanh(x @ params["W"] + params["b"])
    return ((z - y) ** 2).mean()


def test_functional_grad_value_and_grad_hessian():
    rng = np.random.default_rng(0)
    params = _mlp_params(rng)
    g, jg = tn.func.grad(_loss), tn.jit(tn.func.grad(_loss))
    vg, jvg = tn.value_and_grad(_loss), tn.jit(tn.value_and_grad(_loss))
    h = lambda w: tn.tanh(w @ w.T).sum() * tn.sin(w).sum()     # noqa: E731
    jh = tn.jit(tn.hessian(h))
    with no_warnings():
        for _ in range(3):
            x = tn.tensor(rng.standard_normal((8, 5)).astype(np.float32))
            y = tn.tensor(rng.standard_normal((8, 4)).astype(np.float32))
            assert same(val(g(params, x, y)), val(jg(params, x, y)))
            assert same(val(vg(params, x, y)), val(jvg(params, x, y)))
            w = tn.tensor(rng.standard_normal((3, 2)))
            assert same(val(tn.hessian(h)(w)), val(jh(w)))
    assert jg.trace_count == jvg.trace_count == jh.trace_count == 1


def test_a_named_tuple_and_a_tuple_are_two_signatures():
    pair = collections.namedtuple("pair", "a b")
    f = tn.jit(lambda p: p.a * 2 if isinstance(p, pair) else p[0] * 3)
    x, y = tn.tensor([1.0]), tn.tensor([1.0])
    for _ in range(2):
        assert same(val(f(pair(x, y))), np.array([2.0], np.float32))
        assert same(val(f((x, y))), np.array([3.0], np.float32))
    assert f.trace_count == 2 and f.replay_count == 2


def test_an_array_of_a_module_and_a_moveaxis_replay():
    # an array read through a module's attribute is bound by a weak reference (checked on every replay); the
    # replay calls np.moveaxis as the transpose it is
    lib = types.ModuleType("lib")
    lib.table = np.arange(24.0).reshape(2, 3, 4)

    def f(x):
        return (np.moveaxis(x * lib.table, 0, -1) * 2.0).sum(axis=0)
    jitted = tn.jit(f)
    x = tn.tensor(np.ones((2, 3, 4)))
    for _ in range(3):
        assert same(val(jitted(x)), val(f(x)))
    assert jitted.replay_count == 2 and ".transpose((1, 2, 0))" in jitted.dump()


def test_numpy_arrays_and_numbers_as_arguments():
    f = tn.jit(lambda a, k: np.sin(tn.tensor(a)) * k)
    a = np.arange(3.0)
    with warnings.catch_warnings():     # a bare simplefilter made every later test's RuntimeWarning an error
        warnings.simplefilter("error", RuntimeWarning)
        assert same(val(f(a, 2.0)), val(np.sin(tn.tensor(a)) * 2.0))
        assert same(val(f(a + 1, 2.0)), val(np.sin(tn.tensor(a + 1)) * 2.0))
        assert same(val(f(a, 3.0)), val(np.sin(tn.tensor(a)) * 3.0))      # a number is part of the signature
    assert f.trace_count == 2


# ---- PyTorch-style training steps ----------------------------------------------------------------------------
def _model(seed=0, dropout=0.0, batchnorm=False):
    tn.manual_seed(seed)
    layers = [nn.Linear(6, 8)] + ([nn.BatchNorm1d(8)] if batchnorm else []) + [nn.ReLU()]
    layers += ([nn.Dropout(dropout)] if dropout else []) + [nn.Linear(8, 3)]
    return nn.Sequential(*layers)


def _training(make_opt, steps=6, sched=None, between=None, seed=1, **model_kw):
    """The same PyTorch-style step, eagerly and jitted, from the same start, ``between(opt, i)`` after call i (a
    ValueError it leads to recorded as its message): every result, parameter and optimiser state equal."""
    runs = []
    for jit in (False, True):
        model = _model(**model_kw)
        opt = make_opt(model.parameters())
        scheduler = sched(opt) if sched else None
        loss_fn = nn.CrossEntropyLoss()

        def step(x, y):
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            return loss

        f = tn.jit(step) if jit else step
        rng = np.random.default_rng(seed)
        tn.manual_seed(7)
        out = []
        for i in range(steps):
            x = tn.tensor(rng.standard_normal((10, 6)).astype(np.float32))
            y = tn.tensor(rng.integers(0, 3, 10))
            try:
                out.append(val(f(x, y)))
            except ValueError as e:
                if between is None:
                    raise
                out.append(str(e))
            out.append(val(list(model.parameters())))
            if between is not None:
                between(opt, i)
        out.append([val(p) for p in model.parameters()] + [val(p.grad) for p in model.parameters()])
        out.append(val([b for b in model.buffers()]))
        runs.append((out, f, opt))
    (eager, _, opt_e), (jitted, f, opt_j) = runs
    assert same(eager, jitted)
    for pe, pj in zip(opt_e.state.values(), opt_j.state.values()):
        assert same(val(pe), val(pj))      # moments, buffers, Adam's step count: no stale constant
    return f, opt_e, opt_j


@pytest.mark.parametrize("make_opt", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                      lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
                                      lambda ps: optim.Adam(ps, lr=0.01),
                                      lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True)])
def test_training_step_matches_eager(make_opt):
    with no_warnings():
        f, opt_e, opt_j = _training(make_opt)
    assert f.trace_count == 2 and f.replay_count == 4      # the second call has .grad buffers: a new signature
    for pe, pj in zip(opt_e.state.values(), opt_j.state.values()):
        assert same(val(pe), val(pj))      # Adam's step counter and moments live on: no stale constant


def test_a_scheduler_changes_the_rate_between_replays():
    with no_warnings():
        _training(lambda ps: optim.SGD(ps, lr=0.5), sched=lambda o: optim.lr_scheduler.StepLR(o, 1, gamma=0.5))


def _traced_updates(f) -> int:
    """How many of ``f``'s traces run an optimiser's update as traced NumPy calls with live numbers."""
    from turunan._jit_reach import LivePrologue
    return sum(any(isinstance(v, LivePrologue) for v in tr.run.__globals__.values())
               for entry in f.cache.values() if isinstance(entry, list) for tr in entry)


@pytest.mark.parametrize("make_opt", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=1e-2),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.01, weight_decay=1e-2),
    lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=1e-1),
    lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), epsilon_hat=True),
])
def test_an_optimisers_update_is_traced_with_live_rates_and_step_counts(make_opt):
    def between(opt, i):                       # a rate set by hand, as a schedule would set it
        for g in opt.param_groups:
            g["lr"] = g["lr"] * (0.5 if i % 2 else 1.5)
    with no_warnings():
        f, _, opt = _training(make_opt, steps=7, between=between, seed=3)
    assert _traced_updates(f) >= 1 and f.replay_count >= 4
    if isinstance(opt, optim.Adam):
        assert {st["step"] for st in opt.state.values()} == {7}     # t advanced on every replay


def test_adam_under_a_scheduler_replays_its_rate_and_bias_correction():
    for make_sched in (lambda o: optim.lr_scheduler.StepLR(o, 2, gamma=0.3),
                       lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.9)):
        scheds = {}

        def between(opt, i):
            scheds.setdefault(id(opt), make_sched(opt)).step()
        with no_warnings():
            f, _, opt = _training(lambda ps: optim.Adam(ps, lr=0.05), steps=7, between=between, seed=3)
        assert _traced_updates(f) >= 1
        assert f.trace_count <= 3


def test_a_changed_optimiser_path_retraces_and_a_bad_rate_raises_as_eager():
    def between(opt, i):
        g = opt.param_groups[0]
        if i == 2:
            g["momentum"] = 0.9                # momentum switched on: the update takes another path
        if i == 4:
            g["weight_decay"] = 1e-2
        if i == 5:
            g["lr"] = -1.0                     # refused by step(), eagerly and replayed alike
        if i == 6:
            g["lr"] = 0.05
    with no_warnings():
        f, _, _ = _training(lambda ps: optim.SGD(ps, lr=0.1), steps=9, between=between, seed=3)
    assert _traced_updates(f) >= 2


def test_sgds_prologue_sees_a_replaced_state_array_and_a_rate_of_another_type():
    # the prologue's fast path trusts only the very objects it checked: a momentum buffer replaced in opt.state, or a
    # rate set to an equal number of another type (NumPy's float64 is not weak as a Python float: other bits), is
    # read again, as eager step() reads it
    def between(opt, i):
        g = opt.param_groups[0]
        if i == 2:
            for st in opt.state.values():
                st["momentum_buffer"] = st["momentum_buffer"] * 0.5
        if i == 4:
            g["lr"] = np.float64(g["lr"])
        if i == 5:
            g["lr"] = float(g["lr"])
    with no_warnings():
        f, _, _ = _training(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), steps=8, between=between, seed=5)
    assert _traced_updates(f) >= 1 and f.replay_count >= 4


def test_an_optimiser_in_a_closure_cell_keeps_its_rate_live():
    w = tn.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    sgd_step = opt.step

    @tn.jit
    def step(x):
        loss = (w * w * x).sum()
        opt.zero_grad()
        loss.backward()
        sgd_step()
        return loss

    we = tn.tensor([1.0, -2.0], requires_grad=True)
    opt_e = optim.SGD([we], lr=0.5)
    for i in range(5):
        x = tn.tensor([1.0, 2.0])
        step(x)
        loss = (we * we * x).sum()
        opt_e.zero_grad()
        loss.backward()
        opt_e.step()
        assert same(val(w), val(we))
        opt.param_groups[0]["lr"] = opt_e.param_groups[0]["lr"] = 0.1 * (i + 1)
    assert _traced_updates(step) >= 1


def test_dropout_draws_fresh_masks_equal_to_eager():
    with no_warnings():
        f, _, _ = _training(lambda ps: optim.SGD(ps, lr=0.1), dropout=0.5)
    assert f.replay_count == 4


def test_a_replay_that_drew_and_stops_at_a_guard_puts_the_generator_back():
    # Dropout draws, then the loss's value decides a branch; a replay of the other path stops at that guard and
    # the step is traced again, drawing again: the generator must be where the stopped replay found it
    def run(jit):
        tn.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            loss = ((model(x) - y) ** 2).mean()
            raw = loss
            if loss > 8.0:
                loss = loss * 0.5
            opt.zero_grad()
            loss.backward()
            opt.step()
            return raw
        f = tn.jit(step) if jit else step
        rng = np.random.default_rng(0)
        tn.manual_seed(5)
        out = [val(f(tn.tensor(rng.standard_normal((6, 4)).astype(np.float32)),
                     tn.tensor(3 * rng.standard_normal((6, 1)).astype(np.float32)))) for _ in range(8)]
        return out + [val(list(model.parameters())), val(tn.rand(3))], f
    (eager, _), (jitted, f) = run(False), run(True)
    assert same(eager, jitted)
    assert f.trace_count >= 2 and f.replay_count >= 1


def test_batchnorm_running_stats_and_the_train_eval_switch():
    with no_warnings():
        _training(lambda ps: optim.SGD(ps, lr=0.1), batchnorm=True)
    model = _model(batchnorm=True)
    f = tn.jit(lambda x: model(x))
    x = tn.tensor(np.random.default_rng(0).standard_normal((10, 6)).astype(np.float32))
    train = [val(f(x)) for _ in range(2)]
    model.eval()
    ev = val(f(x))
    with tn.no_grad():
        assert same(ev, val(model(x)))
    model.train()
    assert not same(train[0], ev) and f.trace_count == 2


def test_a_parameter_replaced_between_calls():
    model = nn.Linear(3, 2)
    f = tn.jit(lambda x: model(x).sum())
    x = tn.tensor(np.ones((4, 3), np.float32))
    f(x), f(x)
    model.weight = nn.Parameter(np.zeros((2, 3), np.float32))
    with tn.no_grad():
        assert same(val(f(x)), val(model(x).sum()))
    model.weight.data[...] = 1.0         # changed in place: read by reference, no retrace needed
    with tn.no_grad():
        assert same(val(f(x)), val(model(x).sum()))
    assert f.trace_count == 2


def test_shape_change_retraces():
    f = tn.jit(lambda x: (x * x).sum())
    for n in (3, 4, 3, 4):
        assert same(val(f(tn.ones(n))), np.array(n, np.float32))
    assert f.trace_count == 2 and f.replay_count == 2


def test_np_dot_makes_the_same_blas_call_as_matmul():
    # the replay calls np.dot for matmuls of 2-D float arrays BLAS reads as they are: the same bits as matmul,
    # transposed operands, a @ a.T (both send it to syrk) and out= included
    rng = np.random.default_rng(7)
    for _ in range(300):
        m, k, n = (int(v) for v in rng.integers(2, 90, 3))
        dt = rng.choice([np.float32, np.float64])
        a, b = rng.standard_normal((m, k)).astype(dt), rng.standard_normal((k, n)).astype(dt)
        at, bt = np.ascontiguousarray(a.T).T, np.ascontiguousarray(b.T).T        # F-ordered
        for x, y in ((a, b), (at, b), (a, bt), (at, bt), (a, a.T), (a.T, a)):
            out = np.empty((x.shape[0], y.shape[1]), dt)
            assert np.array_equal(np.dot(x, y), x @ y) and np.array_equal(np.dot(x, y, out=out), x @ y)


def test_a_bound_array_of_another_layout_traces_again():
    # traced with C-ordered inputs (the replay calls np.dot on them), replayed with a strided view that BLAS cannot
    # read as it is (matmul runs its own loop): the layout check fails before anything is written, a new trace
    # calls matmul, and every answer is eager's
    rng = np.random.default_rng(8)
    w = tn.tensor(rng.standard_normal((6, 5)).astype(np.float32), requires_grad=True)
    grad = tn.func.grad(lambda w, x: tn.tanh(x @ w).sum())
    jitted = tn.jit(grad)
    xs = [rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((4, 12)).astype(np.float32)[:, ::2],
          rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((4, 12)).astype(np.float32)[:, ::2]]
    with no_warnings():
        for x in xs:
            assert same(val(jitted(w, x)), val(grad(w, x)))
    src = jitted.dump()
    assert "_blas(" in src and jitted.trace_count == 2 and jitted.replay_count == 2


# ---- guards -------------------------------------------------------------------------------------------------
def test_value_dependent_control_flow_is_guarded(monkeypatch):
    # the chapter's f(a), as the benchmark's chapter workload writes it: a while loop and an if on the values
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    chapter = importlib.import_module("workloads.chapter")

    def _chapter_f(a):
        return chapter._f(a, lambda b: b.norm(), lambda b: b.sum())
    a_grad = tn.jit(tn.func.grad(lambda a: _chapter_f(a).sum()))
    f = tn.jit(_chapter_f)
    with no_warnings():
        for v in ([0.5, -0.2], [30.0, 1.0], [-0.5, 0.2], [0.5, -0.2], [3.0, 4.0], [-30.0, 1.0]):
            a = tn.tensor(v)
            assert same(val(f(a)), val(_chapter_f(a)))       # loops a different number of times, flips the if
            assert same(val(a_grad(a)), val(tn.func.grad(lambda a: _chapter_f(a).sum())(a)))
    assert f.replay_count >= 1 and f.trace_count == 5


def test_a_path_that_keeps_changing_falls_back_to_eager_with_a_warning():
    f = tn.jit(lambda x: x * 2 if float(x.sum()) > 0 else x, max_traces=2)
    f(tn.tensor([1.0])), f(tn.tensor([-1.0]))
    with pytest.warns(RuntimeWarning, match="changed between calls"):
        f(tn.tensor([0.0]))
    assert same(val(f(tn.tensor([5.0]))), np.array([10.0], np.float32))


def test_a_failed_guard_leaves_no_state_half_written():
    w = tn.tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        (w * x).sum().backward()          # accumulates into w.grad: written before the guard below
        return x * 2 if float(w.grad.sum()) > 0 else x * 3

    f, eager_w = tn.jit(step), tn.tensor([1.0, 2.0], requires_grad=True)
    for v in ([1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [-5.0, -5.0], [1.0, 1.0]):
        out = f(tn.tensor(v))
        (eager_w * tn.tensor(v)).sum().backward()
        assert same(val(w.grad), val(eager_w.grad))
        assert same(val(out), val(tn.tensor(v) * (2 if float(eager_w.grad.sum()) > 0 else 3)))


def test_a_replay_copies_only_what_it_writes_before_its_last_guard():
    # BatchNorm's running statistics are written in the forward, before the optimiser's guard; the parameters only
    # after it: a replay that stops at that guard puts back the statistics, so only they are copied first
    with no_warnings():
        f, _, _ = _training(lambda ps: optim.SGD(ps, lr=0.1), batchnorm=True)
    steady = f.dump().split("def replay_")[-1]
    saved = re.findall(r"_u = \[\(a, a\.copy\(\)\) for a in \(([^)]*)\)\]", steady)
    assert len(saved) == 1 and len([v for v in saved[0].split(",") if v.strip()]) == 3     # mean, var, count


def test_an_exception_inside_the_step_leaves_state_as_eager_and_the_next_call_works():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = val(list(model.parameters()))

    @tn.jit
    def step(x, fail):
        loss = model(x).sum()
        opt.zero_grad()
        loss.backward()
        if fail:
            raise ValueError("boom")
        opt.step()
        return loss

    x = tn.tensor(np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="boom"):
        step(x, True)
    assert same(val(list(model.parameters())), before)
    assert all(type(p._d) is np.ndarray and type(p.grad._d) is np.ndarray for p in model.parameters())
    for _ in range(3):
        step(x, False)
    assert step.trace_count == 2 and step.replay_count == 2
    assert all(type(p._d) is np.ndarray for p in model.parameters())


def test_python_state_changed_by_the_step_runs_eagerly():
    seen = []
    f = tn.jit(lambda x: seen.append(1) or x * 2)
    with pytest.warns(RuntimeWarning, match="Python state"):
        f(tn.ones(2))
    f(tn.ones(2))
    assert len(seen) == 2


def test_reading_a_value_after_the_optimiser_step_runs_eagerly():
    w = tn.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step():
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        return w.item()

    f = tn.jit(step)
    with pytest.warns(RuntimeWarning, match="after an optimiser step"):
        first = f()
    assert [first, f(), f()] == pytest.approx([0.8, 0.64, 0.512])


def test_dump_and_cache_bound():
    f = tn.jit(lambda x: tn.exp(x) + 1, max_cache=2)
    for n in (1, 2, 3):
        f(tn.ones(n))
    assert len(f.cache) == 2 and f.trace_count == 3
    assert "def replay_" in f.dump() and "exp" not in f.dump().split("def ")[0]


# ---- fusion (numba) -------------------------------------------------------------------------------------------
def _ulps(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    gap = np.spacing(np.maximum(np.abs(a), np.abs(b)).astype(a.dtype)).astype(np.float64)
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)) / gap)) if a.size else 0.0


needs_numba = pytest.mark.skipif(not _fuse.available(), reason="numba is not installed")   # imports numba now


@pytest.mark.parametrize("fuse", [False, pytest.param(True, marks=needs_numba)])
def test_a_result_in_another_order_than_c_keeps_its_order(fuse):
    # exp(x.T) is F-ordered in eager NumPy (a ufunc keeps its operand's order); a replay's buffer for it, or a fused
    # loop's output, C-ordered, would make the later sum add in another order: other bits
    x = tn.tensor(np.random.default_rng(9).standard_normal((300, 257)).astype(np.float32))

    def f(x):
        y = tn.exp(x.T * 0.5)
        return (y * 1.5).sum(axis=1)
    jitted = tn.jit(f, fuse=fuse)
    for _ in range(3):
        assert same(val(f(x)), val(jitted(x)))
    assert jitted.replay_count == 2


@needs_numba
def test_fusion_of_exact_ops_is_bit_for_bit():
    # +, -, *, /, sqrt, comparisons and maximum are computed in NumPy's loop dtypes: the same bits
    def f(x):
        y = tn.sqrt(x * x + 1.0) / (x - 3.0) * 0.5
        return tn.maximum(y, -x).sum()
    g, jg = tn.func.value_and_grad(f), tn.jit(tn.func.value_and_grad(f), fuse=True)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = tn.tensor(rng.standard_normal(16).astype(np.float32))
        assert same(val(g(x)), val(jg(x)))
    assert "kernel" not in jg.dump() and "reshape(-1)" in jg.dump()       # one fused loop was run


@needs_numba
def test_fusion_around_numpys_transcendentals_on_big_arrays():
    # big_elementwise's step: sin, cos and exp stay NumPy's (moved before the arithmetic they interrupted), -x is
    # computed again where the gradient reads it, the gradient's accumulations join the loop: two loops in all,
    # and since every fused op is exact and the transcendentals are NumPy's, the same bits as eager
    x = tn.tensor(np.random.default_rng(2).uniform(-3, 3, 4096).astype(np.float32), requires_grad=True)

    def step():
        x.grad = None
        (tn.sin(x) * tn.exp(-x * x)).sum().backward()
        return x.grad

    js = tn.jit(step, fuse=True)
    want = val(step())
    for _ in range(3):
        assert same(val(js()), want)
    src = js.dump().split("def replay_")[1]
    assert src.count("reshape(-1))") == 2 and "casting" not in src       # two loops; no accumulation left over
    # -x * x written (into a buffer of the replay's own, allocated once) and the gradient (a new array); -x is not
    assert src.count("= _E(") == 1 and len(re.findall(r"\n +v\d+ = c\d+\n", src)) == 1


@needs_numba
@pytest.mark.parametrize("shape", [(100_003,), (300, 401)])
def test_large_elementwise_regions_run_chunk_by_chunk_with_the_same_bits(shape):
    # more than JIT's chunk, not a multiple of it; 2-D flattened in C order; the loss and a kept intermediate too
    rng = np.random.default_rng(5)
    x = tn.tensor(rng.uniform(-3, 3, shape).astype(np.float32), requires_grad=True)
    y = tn.tensor(rng.uniform(-1, 1, shape).astype(np.float32))

    def step():
        x.grad = None
        h = tn.sin(x) * tn.exp(-x * y) + tn.cos(y) * x
        loss = (h * h).sum()
        loss.backward()
        return loss, x.grad, h

    js = tn.jit(step, fuse=True)
    want = val(step())
    for _ in range(3):
        assert same(val(js()), want)
    assert "for _a in range(" in js.dump()


def test_arithmetic_writes_over_an_operand_it_reads_last_but_a_transcendental_does_not():
    # h = x @ w + b: the add writes over the matmul's buffer (as ``h += b``); tanh gets a buffer of its own
    rng = np.random.default_rng(2)
    w = tn.tensor(rng.standard_normal((8, 16)).astype(np.float32), requires_grad=True)
    b = tn.tensor(rng.standard_normal(16).astype(np.float32), requires_grad=True)

    def f(x):
        return tn.tanh(tn.tanh(x @ w + b) * 3.0).sum()

    jf = tn.jit(f)
    for seed in range(3):
        x = tn.tensor(np.random.default_rng(seed).standard_normal((4, 8)).astype(np.float32))
        assert same(val(jf(x)), val(f(x)))
    src = jf.dump().split("def replay_")[1]
    outs = re.findall(r"\n +v(\d+) = (c\d+)\((v\d+|c\d+), [^\n]*out=(c\d+)\)", src)
    made = {f"v{k}": buf for k, _, _, buf in outs}
    ns = [tr for entry in jf.cache.values() if isinstance(entry, list) for tr in entry][0].run.__globals__
    over = [ns[fn] for _, fn, a, buf in outs if made.get(a) == buf]    # ufuncs written over an operand
    assert np.add in over and np.multiply in over and np.tanh not in over
    assert sum(ns[fn] is np.tanh for _, fn, _, _ in outs) == 2


@needs_numba
@pytest.mark.parametrize("bias", [False, True])
def test_fused_sgd_update_is_one_loop_with_the_same_bits(bias):
    # p -= lr * g as one loop (w alone), or one compiled call for all the parameters (w and b); lr changed between
    # calls, also to NumPy scalars (float64: computed in float64 by NumPy, so the two calls); a scratch array holds
    # no state
    def run(jit):
        rng = np.random.default_rng(11)
        w = tn.tensor(rng.standard_normal((40, 64)).astype(np.float32), requires_grad=True)
        b = tn.tensor(np.zeros(64, np.float32), requires_grad=True)
        x = tn.tensor(rng.standard_normal((16, 40)).astype(np.float32))
        params = [w, b] if bias else [w]
        opt = optim.SGD(params, lr=0.1)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = tn.tanh(x @ w + b).sum()
            loss.backward()
            opt.step()
            return loss

        f = tn.jit(step, fuse=True) if jit else step
        out = []
        for lr in (0.1, 0.1, 0.037, np.float64(0.3), np.float32(0.2), 0.3):
            opt.param_groups[0]["lr"] = lr
            f()
            out.append([val(p) for p in params] + [val(p.grad) for p in params])
        written = [np.array_equal(opt.state[id(p)]["scratch"], p.grad.numpy() * 0.3) for p in params]   # the last
        return out, f, written

    (eager, _, written), (fused, f, fused_written) = run(False), run(True)
    assert same(eager, fused)
    assert all(written) and not any(fused_written)       # the last update ran as the loop: no scratch written
    src = f.dump().split("def replay_")[1]
    call = r"\n +c\d+\(v\d+, \(v\d+, v\d+, \), \(v\d+, v\d+, \), \(v\d+, v\d+, \)\)\n" if bias else \
        r"\n +c\d+\(v\d+, v\d+, v\d+, v\d+\)\n"
    assert len(re.findall(call, src)) == 1 and ", out=(" not in src


@needs_numba
@pytest.mark.parametrize("shape", [(32, 64), (5, 3), (1, 7), (200, 2)])
def test_a_bias_its_gradient_and_a_column_operand_fuse_as_2d_loops_with_the_same_bits(shape):
    # relu(x @ W + b): the bias (a row operand) joins relu's loop; the gradient's loop reads a column operand and
    # sums the bias's gradient over the rows as NumPy's add.reduce does (from zero, row by row: -0.0 included);
    # x is F-ordered (a 2-D loop indexes its operands as they are)
    m, n = shape
    rng = np.random.default_rng(5)
    x = tn.tensor(np.asfortranarray(rng.standard_normal((m, 3)).astype(np.float32)))
    W = tn.tensor(rng.standard_normal((3, n)).astype(np.float32), requires_grad=True)
    b = tn.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)
    b.data[0] = -100.0          # a column relu cuts off: its gradient is -0.0 in every row
    col = tn.tensor(rng.standard_normal((m, 1)).astype(np.float32) + 1.0)

    def step():
        W.grad = b.grad = None
        h = tn.relu(x @ W + b)
        ((h - col) * (h - col) * 0.5).sum().backward()
        return W.grad, b.grad

    jitted = tn.jit(step, fuse=True)
    for _ in range(3):
        eager, replayed = [val(t) for t in step()], [val(t) for t in jitted()]
        assert all(a.dtype == c.dtype and np.array_equal(a.view(np.uint32), c.view(np.uint32))
                   for a, c in zip(eager, replayed))
    assert jitted.replay_count == 2
    src = jitted.dump()
    # one 2-D loop ran the forward's bias and relu and the backward (h is read by nothing else), and wrote the sum
    assert re.search(rf"\n +c\d+\({m * n}, {n}, ", src) and f"_E(({n},)" in src


def _tanh_net_step(x, W1, b1, W2, b2):
    """Two tanh layers and an MSE loss: the gradient after each tanh is read only by two matrix products."""
    def step():
        for p in (W1, b1, W2, b2):
            p.grad = None
        h = tn.tanh(x @ W1 + b1)
        out = tn.tanh(h @ W2 + b2)
        ((out - 0.25) * (out - 0.25)).mean().backward()
        return [p.grad for p in (W1, b1, W2, b2)]
    return step


def _f_ordered(jitted) -> int:
    """How many arrays a jitted function's replays allocate F-ordered (buffers made with the trace, or per call)."""
    n = 0
    for entry in jitted.cache.values():
        for tr in entry if isinstance(entry, list) else ():
            n += tr.source.count("order='F'") + sum(
                isinstance(v, np.ndarray) and v.ndim == 2 and v.flags.f_contiguous and not v.flags.c_contiguous
                for v in tr.run.__globals__.values())
    return n


def _f_looks_faster(fn, a, b) -> float:
    """A stand-in for turunan._layout's timing: the probed array F-ordered is the faster."""
    return 0.5 if a.flags.f_contiguous and not a.flags.c_contiguous else 1.0


def _tanh_net(seed=0, n=32, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = tn.tensor(rng.standard_normal((n, 48)).astype(dtype))
    ps = [tn.tensor(rng.standard_normal(s).astype(dtype) / 4, requires_grad=True)
          for s in ((48, 64), (64,), (64, 64), (64,))]
    return x, ps


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_gradient_read_only_by_products_may_be_f_ordered_with_the_same_bits(dtype, monkeypatch):
    # g @ W.T with g C-ordered takes OpenBLAS's slow path; g F-ordered the fast one. The fused loop writes g in the
    # order the probe (turunan._layout) chooses: F only where both layouts give the same bits. The timing is made
    # to favour F here, so the branch taken depends only on what this machine's BLAS computes
    from turunan import _layout
    monkeypatch.setattr(_layout, "_PROBED", {})
    monkeypatch.setattr(_layout, "_seconds", _f_looks_faster)
    x, ps = _tanh_net(dtype=dtype)
    step = _tanh_net_step(x, *ps)
    jitted = tn.jit(step, fuse=True)
    for _ in range(3):
        assert same(val(step()), val(jitted()))
    assert jitted.replay_count == 2
    exact = all(same_bits for same_bits, _, _ in _layout._PROBED.values())
    assert _layout._PROBED and (_f_ordered(jitted) > 0) == exact


@needs_numba
def test_a_layout_is_never_chosen_where_the_bits_would_differ(monkeypatch):
    from turunan import _layout
    monkeypatch.setattr(_layout, "_PROBED", {})
    monkeypatch.setattr(_layout, "_probe", lambda *a: (False, 1.0, 0.1))      # F much faster, but other bits
    x, ps = _tanh_net(seed=1)
    jitted = tn.jit(_tanh_net_step(x, *ps), fuse=True)
    for _ in range(2):
        jitted()
    assert _f_ordered(jitted) == 0
    uses = [(np.dot, 0, (32, 64), (64, 64), np.dtype(np.float32), ("C", "F"), "F")]
    assert _layout.order_for(uses) == "C"
    monkeypatch.setattr(_layout, "_probe", lambda *a: (True, 1.0, 0.95))      # the same bits, not faster enough
    assert _layout.order_for(uses) == "C"
    monkeypatch.setattr(_layout, "_probe", lambda *a: (True, 1.0, 0.5))
    assert _layout.order_for(uses) == "F"


@needs_numba
def test_an_operand_bound_in_another_layout_later_keeps_eagers_bits(monkeypatch):
    # W arrives C-ordered when traced, F-ordered later: the product g @ W.T changes path, and the F-ordered g was
    # probed against both layouts of W, so the replay still gives eager's bits
    from turunan import _layout
    monkeypatch.setattr(_layout, "_PROBED", {})
    monkeypatch.setattr(_layout, "_seconds", _f_looks_faster)
    rng = np.random.default_rng(4)
    x = tn.tensor(rng.standard_normal((32, 64)).astype(np.float32))

    def f(W):
        h = tn.tanh(x @ W)
        return tn.func.grad(lambda W: (tn.tanh(tn.tanh(x @ W) @ W) * h).sum())(W)
    jitted = tn.jit(f, fuse=True)
    for order in ("C", "C", "F", "F", "C"):
        W = tn.tensor(np.asarray(rng.standard_normal((64, 64)).astype(np.float32) / 8, order=order))
        assert same(val(f(W)), val(jitted(W)))
    assert jitted.replay_count >= 3


@needs_numba
@pytest.mark.parametrize("kind", ["sum", "max", "min"])
def test_row_reductions_as_loops_give_numpys_bits_or_are_not_used(kind):
    # a loop is used only where its probe found NumPy's bits; where it is, it gives them on other values too
    rng = np.random.default_rng(3)
    numpy = {"sum": np.add.reduce, "max": np.maximum.reduce, "min": np.minimum.reduce}[kind]
    used = 0
    for n in (2, 5, 8, 10, 16, 17, 31, 64, 128):
        for dtype in (np.float32, np.float64):
            for keepdims in (True, False):
                kernel = _fuse.row_reduce(kind, (50, n), dtype, keepdims)
                if kernel is None:
                    continue
                used += 1
                x = (rng.standard_normal((50, n)) * np.exp2(rng.integers(-8, 8, (50, n)))).astype(dtype)
                x[3] = -0.0
                x[4, ::2] = np.nan
                want = numpy(x, axis=1, keepdims=keepdims)
                assert _fuse._same_values(kernel(x), want), (n, dtype, keepdims)
    assert used >= 24           # most shapes: NumPy's SIMD kernels differ only on ties of zeros at a few lengths
    assert _fuse.row_reduce(kind, (50, 129), np.float32, True) is None       # longer rows: NumPy's own loop
    assert _fuse.row_reduce(kind, (50, 10), np.int64, True) is None


@needs_numba
def test_a_row_reduction_whose_probe_differs_stays_numpys(monkeypatch):
    monkeypatch.setattr(_fuse, "_ROW_PROBED", {})
    monkeypatch.setitem(_fuse._ROW_NUMPY, "max", lambda x, axis, keepdims: np.maximum.reduce(x, axis=axis,
                                                                                               keepdims=keepdims) + 0.5)
    assert _fuse.row_reduce("max", (8, 10), np.float32, True) is None
    assert _fuse.row_reduce("sum", (8, 10), np.float32, True) is not None


@needs_numba
def test_log_softmax_cross_entropy_replays_with_row_loops_bit_for_bit():
    rng = np.random.default_rng(8)
    x = tn.tensor(rng.standard_normal((64, 20)).astype(np.float32))
    W = tn.tensor(rng.standard_normal((20, 10)).astype(np.float32) / 4, requires_grad=True)
    Y = tn.tensor(np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)])

    def step():
        W.grad = None
        logp = tn.log_softmax(x @ W, axis=1)
        loss = -(logp * Y).sum() / 64
        loss.backward()
        return loss, W.grad

    jitted = tn.jit(step, fuse=True)
    for _ in range(3):
        assert same(val(step()), val(jitted()))
    src = jitted.dump().split("def replay_")[-1]
    assert "axis=1" not in src          # the row maximum and the row sums ran as compiled loops


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_transposed_operand_may_be_copied_first_with_the_same_bits(dtype, monkeypatch):
    # softmax's gradient @ W2.T: a C-ordered copy of W2.T first, where the probe finds the same bits (the timing is
    # made to favour the copy here, so what happens depends only on what this machine's BLAS computes)
    from turunan import _layout
    monkeypatch.setattr(_layout, "_COPIES", {})
    monkeypatch.setattr(_layout, "_PROBED", {})
    monkeypatch.setattr(_layout, "_seconds", lambda fn, a, b: 1.0)          # no layout ahead of another: C
    monkeypatch.setattr(_layout, "_copy_timing", lambda *a: (0.5, 1.0))      # the copy ahead
    rng = np.random.default_rng(11)
    x = tn.tensor(rng.standard_normal((64, 30)).astype(dtype))
    W1 = tn.tensor(rng.standard_normal((30, 40)).astype(dtype) / 4, requires_grad=True)
    W2 = tn.tensor(rng.standard_normal((40, 10)).astype(dtype) / 4, requires_grad=True)
    Y = tn.tensor(np.eye(10, dtype=dtype)[rng.integers(0, 10, 64)])

    def step():
        W1.grad = W2.grad = None
        h = tn.relu(x @ W1)
        (-(tn.log_softmax(h @ W2, axis=1) * Y).sum() / 64).backward()
        return W1.grad, W2.grad

    jitted = tn.jit(step, fuse=True)
    for _ in range(3):
        assert same(val(step()), val(jitted()))
    copies = [v for k, v in _layout._COPIES.items() if k[1] == 1]
    assert copies and ("_copyto(" in jitted.dump()) == any(copies)
    assert dtype is not np.float32 or any(copies)       # (the case measured here: OpenBLAS adds in one order)
    monkeypatch.setattr(_layout, "copy_pays", lambda *a: False)
    jitted = tn.jit(step, fuse=True)
    for _ in range(3):
        assert same(val(step()), val(jitted()))
    assert "_copyto(" not in jitted.dump()


def test_a_fortran_output_of_a_loop_has_the_values_of_a_c_one():
    if not _fuse.available():
        pytest.skip("numba is not installed")
    f32 = np.dtype(np.float32)
    plan = [("call", np.multiply, ((0, (5, 7), f32), (1, (5, 7), f32)), 2, (5, 7), f32),
            ("call", np.add, ((2, (5, 7), f32), 1.5), 3, (5, 7), f32)]
    meta = {k: ((5, 7), f32) for k in range(4)}
    a, b = (np.random.default_rng(k).standard_normal((5, 7)).astype(np.float32) for k in (0, 1))
    outs = []
    for fortran in (frozenset(), frozenset({3})):
        kernel = _fuse.compile_group(plan, [0, 1], [], [3], meta, fortran=fortran)
        o = np.empty((5, 7), np.float32, order="F" if fortran else "C")
        kernel(35, 7, a, b, o) if fortran else kernel(35, a.reshape(-1), b.reshape(-1), o.reshape(-1))
        outs.append(o)
    assert outs[1].flags.f_contiguous and np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], a * b + 1.5)


@needs_numba
@pytest.mark.parametrize("shape", [(32, 64), (128, 10), (3, 200)])
def test_a_lone_bias_add_between_a_matmul_and_numpys_tanh_is_a_loop_with_the_same_bits(shape):
    # tanh on more than 128 elements stays NumPy's, so the bias add is alone: NumPy adds a row operand one row at a
    # time, a 2-D loop does it faster, with the same bits
    m, n = shape
    rng = np.random.default_rng(6)
    x = tn.tensor(rng.standard_normal((m, 5)).astype(np.float32))
    W = tn.tensor(rng.standard_normal((5, n)).astype(np.float32), requires_grad=True)
    b = tn.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)

    def step():
        W.grad = b.grad = None
        tn.tanh(x @ W + b).sum().backward()
        return W.grad, b.grad

    jitted = tn.jit(step, fuse=True)
    for _ in range(3):
        assert same(val(step()), val(jitted()))
    assert re.search(rf"\n +c\d+\({m * n}, {n}, v\d+, v\d+, v\d+\)\n", jitted.dump())


@needs_numba
def test_fusion_of_a_small_chain_within_a_few_ulps(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    mod = importlib.import_module("workloads.chain_small")
    size = mod.SIZES["quick"]
    eager = mod.setup_turunan(mod.data(size), size).step
    fused = tn.jit(mod.setup_turunan(mod.data(size), size).step, fuse=True)
    for _ in range(3):
        eager(), fused()
        for (a, ga), (b, gb) in zip(state_of(eager), state_of(fused.fn)):
            assert _ulps(a, b) == 0 and _ulps(ga, gb) <= 4      # sin and tanh from the C library, not NumPy's


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_fusable_transcendental_is_within_2_ulp_of_numpys(dtype):
    # the one place a fused loop's numbers may differ from eager's: the C library's sin, exp, tanh... against
    # NumPy's SIMD kernels, one op at a time, on the sizes that fuse (at most 128 elements)
    rng = np.random.default_rng(12)
    f = dtype(0).dtype
    for fn in sorted(_fuse.TRANSCENDENTAL, key=lambda u: u.__name__):
        x = rng.uniform(-3, 3, 128).astype(dtype)
        if fn in (np.log, np.log1p):
            x = np.abs(x) + 0.1
        if fn in (np.tan,):
            x = x / 2
        plan = [("call", fn, ((0, (128,), f),), 1, (128,), f)]
        kernel = _fuse.compile_group(plan, [0], [], [1], {0: ((128,), f), 1: ((128,), f)})
        out = np.empty(128, dtype)
        kernel(128, x, out)
        assert _ulps(fn(x), out) <= 2, fn.__name__


@needs_numba
@pytest.mark.parametrize("name,timed", _workloads())
def test_every_workload_fused_stays_within_rounding_of_eager(name, timed, monkeypatch):
    # fused, the transcendental ops of small arrays come from the C library (within 2 ulp each, above); through
    # matmuls and sums those last bits move a result by about float32's rounding, measured against the largest
    # value of each array (an element that is itself a cancellation can differ in more of its own bits)
    eager, jitted = _workload_pair(name, timed, monkeypatch, fuse=True)

    def arrays(x):
        if isinstance(x, list):
            for v in x:
                yield from arrays(v)
        elif isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size:
            yield x
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)      # no eager fallback
        for i in range(4):
            got, want = [val(jitted()), state_of(jitted.fn)], [val(eager()), state_of(eager)]
            for a, b in zip(arrays(got), arrays(want), strict=True):
                scale = float(np.max(np.abs(b))) or 1.0
                tol = 64 * np.finfo(b.dtype).eps
                assert float(np.max(np.abs(a.astype(np.float64) - b))) <= tol * scale, f"{name}/{timed} call {i}"
    assert jitted.replay_count >= 2


# ---- what the signature and the reach see -------------------------------------------------------------------
W_GLOBAL = tn.tensor(np.ones((3, 2), np.float32), requires_grad=True)


def _uses_a_global(x):
    return (x @ W_GLOBAL).sum()


def test_a_global_tensor_is_reached_and_its_grad_written():
    f = tn.jit(lambda x: _uses_a_global(x).backward())
    W_GLOBAL.grad = None
    for _ in range(3):
        f(tn.ones(4, 3))
    assert same(val(W_GLOBAL.grad), np.full((3, 2), 12.0, np.float32))      # 3 calls, accumulated
    W_GLOBAL.grad = None


@pytest.mark.parametrize("draw", ["python", "numpy"])
def test_a_step_that_draws_from_pythons_or_numpys_global_random_runs_eagerly(draw):
    # the PyTorch tutorial's DynamicNet picks how many terms to add with random.randint on every forward: a replay
    # would keep the first call's choice (a wrong number, silently)
    import random

    def make():
        w = tn.tensor([0.5, -0.25], requires_grad=True)
        opt = optim.SGD([w], lr=0.01)

        def step(x):
            k = random.randint(1, 4) if draw == "python" else int(np.random.randint(1, 5))
            y = x * w[0]
            for _ in range(k):
                y = y + w[1] * x
            loss = (y * y).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return step

    def run(step):
        random.seed(3)
        np.random.seed(3)
        return [val(step(tn.tensor([1.0, 2.0]))) for _ in range(6)]
    eager = run(make())
    with pytest.warns(RuntimeWarning, match="random module or NumPy's global np.random"):
        jitted = run(tn.jit(make()))
    assert same(eager, jitted)


def test_a_step_that_returns_a_grad_returns_this_calls_grad():
    # a replay used to return the .grad of the call that was traced, as a constant: every later call returned the
    # same numbers (a new .grad is a TraceArray while tracing, a plain array once the trace ends, and a plain array
    # nobody bound was taken for a constant)
    def make():
        w = tn.tensor([1.0, -2.0, 0.5], requires_grad=True)
        opt = optim.SGD([w], lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = (w * w * x).sum()
            loss.backward()
            opt.step()
            return loss, w.grad
        return step, w
    (eager, we), (jitted_fn, wj) = make(), make()
    jitted = tn.jit(jitted_fn)
    for i in range(5):
        x = tn.tensor([1.0, float(i), -1.0])
        (le, ge), (lj, gj) = eager(x), jitted(x)
        assert same(val([le, ge, we]), val([lj, gj, wj])), f"call {i}"
        assert gj is wj.grad
    assert jitted.replay_count >= 3


def test_a_step_that_returns_an_optimisers_state_array_returns_it_as_it_is_now():
    def make():
        w = tn.tensor([1.0, -2.0, 0.5], requires_grad=True)
        opt = optim.SGD([w], lr=0.1, momentum=0.9)

        def step(x):
            opt.zero_grad()
            (w * w * x).sum().backward()
            opt.step()
            return opt.state[id(w)]["momentum_buffer"]
        step(tn.ones(3))            # the first step makes the state (a host call: see the next test)
        return step
    eager, jitted = make(), tn.jit(make())
    for i in range(6):
        x = tn.tensor([1.0, float(i), -1.0])
        assert same(val(eager(x)), val(jitted(x))), f"call {i}"
    assert jitted.replay_count >= 3


def test_an_array_a_host_step_may_change_is_not_returned_as_a_constant():
    class MySGD(optim.SGD):         # a subclass: its step runs as a host call, its state unknown to the trace
        pass

    def make():
        w = tn.tensor([1.0, -2.0, 0.5], requires_grad=True)
        opt = MySGD([w], lr=0.1, momentum=0.9)

        def step(x):
            opt.zero_grad()
            (w * w * x).sum().backward()
            opt.step()
            return opt.state[id(w)]["momentum_buffer"]
        return step
    eager, jitted = make(), tn.jit(make())
    with pytest.warns(RuntimeWarning, match="does not compute"):
        for i in range(5):
            x = tn.tensor([1.0, float(i), -1.0])
            assert same(val(eager(x)), val(jitted(x))), f"call {i}"


@pytest.mark.parametrize("fuse", [False, pytest.param(True, marks=needs_numba)])
def test_a_result_that_is_a_transpose_of_an_inner_array_is_never_a_shared_buffer(fuse):
    # h is read by h.T @ g (its buffer could be shared once that product is done), but here h.T is also returned:
    # a later call must not write into what an earlier one returned
    rng = np.random.default_rng(13)
    W = tn.tensor(rng.standard_normal((6, 5)).astype(np.float32), requires_grad=True)

    def f(x):
        W.grad = None
        h = tn.tanh(x @ W + 1.0)
        (h * h).sum().backward()
        return h.T * 1.0, h.mT, W.grad
    jitted = tn.jit(f, fuse=fuse)
    xs = [tn.tensor(rng.standard_normal((4, 6)).astype(np.float32)) for _ in range(4)]
    got = [jitted(x) for x in xs]
    assert jitted.replay_count >= 2 and got[-1][2] is W.grad        # a .grad returned is the tensor W holds
    for x, g in zip(xs, got):       # (fused: tanh of 20 numbers from the C library: within float32's rounding)
        want = val(f(x))
        assert same(want, val(g)) if not fuse else all(
            float(np.max(np.abs(a - b))) <= 64 * np.finfo(np.float32).eps * float(np.max(np.abs(a)))
            for a, b in zip(want, val(g)))


def test_the_last_signature_shortcut_never_takes_another_signatures_trace():
    # after a replay the next call with the same parts skips the cache lookup: a call that differs in any part
    # (shape, dtype, static value, grad mode, requires_grad) must still find its own trace
    f = tn.jit(lambda x, n: (x * n).sum(), static_argnums=1)
    a, b = tn.ones(3), tn.ones(4)
    c, d = tn.ones(3, dtype=tn.float64), tn.ones(3, requires_grad=True)
    for x, n, want in [(a, 2, 6.0), (a, 2, 6.0), (a, 2, 6.0), (b, 2, 8.0), (a, 2, 6.0), (a, 3, 9.0), (c, 2, 6.0),
                       (a, 2, 6.0), (d, 2, 6.0), (a, 2, 6.0)]:
        assert float(f(x, n)) == want
        with tn.no_grad():
            assert float(f(x, n)) == want
    assert f.trace_count == 2 * 5 and f.replay_count >= 8
    f.clear()
    assert float(f(a, 2)) == 6.0 and float(f(a, 2)) == 6.0 and f.trace_count == 11


def test_a_step_without_arguments_replays_directly_only_while_its_signature_holds():
    # a step over the state it reaches: after a replay, the next call checks the reach, the tensors' facts and the
    # grad mode and runs the same trace; any change takes the full path (another trace, or a retrace)
    box = {"w": tn.tensor([1.0, 2.0], requires_grad=True)}
    scale = tn.tensor(1.0)

    def step():
        w = box["w"]
        w.grad = None
        y = (w * w * scale).sum()
        if float(scale) > 1.5:                  # a guard: another path when scale grows
            y = y * 2.0
        if tn.is_grad_enabled():
            y.backward()
        return y

    f = tn.jit(step)
    expect = []
    for i, change in enumerate(["", "", "", "shape", "", "", "nograd", "", "value", "", "", "replace", "", ""]):
        if change == "shape":
            box["w"] = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
        elif change == "value":
            scale.data[...] = 2.0
        elif change == "replace":
            box["w"] = tn.tensor([0.5, 0.5, 0.5], requires_grad=True)
        if change == "nograd":
            with tn.no_grad():
                got, want = f(), step()
        else:
            got = f()
            g = None if box["w"].grad is None else val(box["w"].grad)
            want = step()
            assert same(g, val(box["w"].grad)), f"call {i}: grad"
        expect.append((float(got), float(want)))
    assert all(a == b for a, b in expect), expect
    assert f.replay_count >= 6 and f._lean is not None         # the direct replay was taken


def test_static_argnums_and_keyword_calls():
    f = tn.jit(lambda x, n: x * n if n > 1 else x, static_argnums=1)
    assert same(val(f(tn.ones(2), 3)), np.full(2, 3.0, np.float32))
    assert same(val(f(tn.ones(2), 1)), np.ones(2, np.float32))
    assert f.trace_count == 2
    assert same(val(f(tn.ones(2), n=3)), np.full(2, 3.0, np.float32))     # keywords: run eagerly


@pytest.mark.parametrize("kw, err, match", [
    (dict(static_argnums="a"), TypeError, "static_argnums must be an int or a tuple of ints"),
    (dict(static_argnums=(0, "b")), TypeError, "an item 'b'"),
    (dict(static_argnums=1.0), TypeError, "static_argnums"),
    (dict(static_argnums=True), TypeError, "static_argnums"),
    (dict(static_argnums=2), ValueError, "out of range"),
    (dict(static_argnums=(-3,)), ValueError, "out of range"),
    (dict(donate_argnums="x"), TypeError, "donate_argnums"),
    (dict(donate_argnums=(5,)), ValueError, "out of range"),
    (dict(static_argnums=1, donate_argnums=(1,)), ValueError, "both static and donated"),
])
def test_argnums_are_checked_as_jax_checks_them(kw, err, match):
    with pytest.raises(err, match=match):
        tn.jit(lambda x, n: x, **kw)
    with pytest.raises(err, match=match):
        tn.jit(**kw)(lambda x, n: x)


def test_argnums_forms_that_are_accepted():
    assert tn.jit(lambda x, n: x, static_argnums=-1).static_argnums == (1,)
    assert tn.jit(lambda x, n: x, static_argnums=[1, 1]).static_argnums == (1,)
    assert tn.jit(lambda x, n: x, static_argnums=np.int64(1)).static_argnums == (1,)
    assert tn.jit(lambda *a: a[0], static_argnums=7).static_argnums == (7,)     # *args: not counted
    # donated: accepted for JAX's signature, and the argument's values are untouched
    x = tn.ones(3)
    f = tn.jit(lambda x: x * 2, donate_argnums=0)
    for _ in range(3):
        assert same(val(f(x)), np.full(3, 2.0, np.float32))
    assert same(val(x), np.ones(3, np.float32))


def test_a_tensor_it_cannot_reach_runs_eagerly_with_a_warning():
    import types
    box = types.SimpleNamespace(w=tn.tensor([1.0, 2.0], requires_grad=True))
    hidden = types.ModuleType("hidden")      # a module's attributes are not walked
    hidden.box = box
    f = tn.jit(lambda x: (hidden.box.w * x).sum().backward())
    with pytest.warns(RuntimeWarning, match="does not reach"):
        f(tn.ones(2))
    f(tn.ones(2))
    assert same(val(box.w.grad), np.full(2, 2.0, np.float32)) and type(box.w.grad._d) is np.ndarray


@needs_numba
@pytest.mark.parametrize("case", list(range(0, 24, 3)))
def test_random_programs_fused_within_tolerance(case):
    f, shapes = _program(case)
    second = tn.func.grad(lambda x, y: tn.func.grad(f)(x, y).sum(), argnums=(0, 1))
    js = tn.jit(second, fuse=True)
    rng = np.random.default_rng(case)
    for _ in range(3):
        x, y = (tn.tensor(rng.uniform(-1.5, 1.5, sh).astype(np.float32)) for sh in shapes)
        for a, j in zip(val(second(x, y)), val(js(x, y))):
            np.testing.assert_allclose(j, a, rtol=2e-5, atol=1e-6)


@needs_numba
def test_fusion_keeps_numpys_answers_at_zero_and_infinity():
    f = lambda x: (1.0 / x - x / x) * tn.sqrt(x - 1.0)      # noqa: E731  inf, nan where NumPy gives them
    jf = tn.jit(f, fuse=True)
    x = tn.tensor(np.array([0.0, -1.0, 2.0, np.inf], np.float32))
    with np.errstate(all="ignore"):
        assert same(val(f(x)), val(jf(x))) and same(val(f(x)), val(jf(x)))
    # maximum and minimum of equal operands give the second, as NumPy's: the sign of a zero is NumPy's too
    g = lambda x, y: (tn.maximum(x * 1.0, y * 1.0) * 2.0, tn.minimum(x * 1.0, y * 1.0) * 3.0)  # noqa: E731
    jg = tn.jit(g, fuse=True)
    a = tn.tensor(np.array([-0.0, 0.0, np.nan, 1.0, -0.0], np.float32))
    b = tn.tensor(np.array([0.0, -0.0, 1.0, np.nan, -0.0], np.float32))
    for x, y in ((a, b), (b, a), (a, b)):
        for want, got in zip(val(g(x, y)), val(jg(x, y))):
            assert np.array_equal(np.signbit(want), np.signbit(got)) and same(want, got)
    assert "kernel" not in jg.dump() and ".reshape(-1)" in jg.dump()      # a fused loop ran


def test_the_grad_of_an_argument_lands_on_that_argument():
    f = tn.jit(lambda x: (x * x).sum().backward())
    xs = [tn.tensor([1.0, float(i)], requires_grad=True) for i in range(4)]
    for x in xs:
        f(x)
    assert [val(x.grad).tolist() for x in xs] == [[2.0, 2.0 * i] for i in range(4)]
    f(xs[0])                                     # a .grad present: accumulated, as eagerly
    assert val(xs[0].grad).tolist() == [4.0, 0.0] and f.trace_count == 2


# ---- the front doors ----------------------------------------------------------------------------------------
def _eager_and_jitted(make, calls):
    runs = []
    for jit in (False, True):
        step = make()
        f = tn.jit(step) if jit else step
        runs.append([val(f(*args)) for args in calls()])
    return runs, f


def _door_step(layers, make_opt, loss):
    """``make()`` for _eager_and_jitted: a PyTorch-door model from seed 0 and its training step."""
    import turunan.torch as torch

    def make():
        torch.manual_seed(0)
        model = torch.nn.Sequential(*layers(torch))
        opt = make_opt(torch, model.parameters())
        loss_fn = loss(torch)

        def step(x, y):
            out = loss_fn(model(x), y)
            opt.zero_grad()
            out.backward()
            opt.step()
            return out, [p.detach().clone() for p in model.parameters()]
        return step
    return make


def test_the_pytorch_door_training_step():
    import turunan.torch as torch
    make = _door_step(lambda t: [t.nn.Linear(5, 7), t.nn.ReLU(), t.nn.Linear(7, 2)],
                      lambda t, ps: t.optim.SGD(ps, lr=0.1, momentum=0.9), lambda t: t.nn.functional.mse_loss)

    def calls():
        g = np.random.default_rng(0)
        return [(torch.tensor(g.standard_normal((3, 5)).astype(np.float32)),
                 torch.tensor(g.standard_normal((3, 2)).astype(np.float32))) for _ in range(4)]
    with no_warnings():
        (eager, jitted), f = _eager_and_jitted(make, calls)
    assert same(eager, jitted) and f.replay_count == 2


def test_the_pytorch_door_with_dropout_and_cross_entropy_replays():
    # the door's dtype promotion reads an operand's dtype as it is: the Dropout mask and the labels' one-hot, arrays
    # the step makes itself, are not read as values (a guard on each: a retrace on every call, then eager)
    import turunan.torch as torch
    make = _door_step(lambda t: [t.nn.Linear(5, 7), t.nn.ReLU(), t.nn.Dropout(0.3), t.nn.Linear(7, 3)],
                      lambda t, ps: t.optim.SGD(ps, lr=0.1), lambda t: t.nn.CrossEntropyLoss())

    def calls():
        g = np.random.default_rng(0)
        return [(torch.tensor(g.standard_normal((6, 5)).astype(np.float32)), torch.tensor(g.integers(0, 3, 6)))
                for _ in range(6)]
    with no_warnings():
        (eager, jitted), f = _eager_and_jitted(make, calls)
    assert same(eager, jitted) and f.trace_count == 2 and f.replay_count == 4


def test_the_mxnet_and_tensorflow_doors():
    import turunan.tensorflow as tf
    from turunan.mxnet import autograd
    from turunan.mxnet import np as mnp

    def make_mx():
        x = mnp.arange(4.0)
        x.attach_grad()         # grad_req='write': each backward overwrites the buffer

        def step(k):
            with autograd.record():
                y = 2 * mnp.dot(x, x) * k
            y.backward()
            return x.grad
        return step

    def make_tf():
        w = tf.Variable([1.0, 2.0])

        def step(x):
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(w * w * x)
            return tape.gradient(y, w)
        return step

    with no_warnings():
        (eager, jitted), f = _eager_and_jitted(make_mx, lambda: [(mnp.array(float(i)),) for i in range(4)])
        assert same(eager, jitted) and f.replay_count == 3
        (eager, jitted), f = _eager_and_jitted(make_tf, lambda: [(tf.constant([float(i), 1.0]),) for i in range(4)])
        assert same(eager, jitted) and f.replay_count == 3


def test_a_jitted_method_reaches_its_instance():
    class Trainer:
        def __init__(self):
            tn.manual_seed(0)
            self.model = nn.Linear(3, 2)
            self.opt = optim.SGD(self.model.parameters(), lr=0.1)

        def step(self, x):
            loss = self.model(x).sum()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return loss

        jitted_step = tn.jit(step)

    eager, jitted = Trainer(), Trainer()
    x = tn.tensor(np.ones((4, 3), np.float32))
    with no_warnings():
        for _ in range(4):
            assert same(val(eager.step(x)), val(jitted.jitted_step(x)))
    assert same(val(list(eager.model.parameters())), val(list(jitted.model.parameters())))
    assert jitted.jitted_step is jitted.jitted_step and jitted.jitted_step.replay_count == 2


def test_a_step_that_sets_a_constant_grad_runs_eagerly():
    w = tn.tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        w.grad = tn.zeros(2)        # not computed from anything the trace binds
        return (w * x).sum()
    f = tn.jit(step)
    with pytest.warns(RuntimeWarning, match="not computed from its inputs"):
        out = f(tn.ones(2))
    assert same(val(out), np.array(3.0, np.float32)) and type(w._d) is np.ndarray
    assert same(val(f(tn.full(2, 2.0))), np.array(6.0, np.float32))


def test_a_generator_state_set_outside_the_trace_runs_eagerly():
    # checkpoint's recomputation puts the generators back to draw the same Dropout mask again; a replay would not
    def run(jit):
        tn.manual_seed(3)
        w = tn.tensor(np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32), requires_grad=True)
        block = tn.checkpoint(lambda x: nn.functional.dropout(tn.tanh(x @ w), 0.5))

        def step(x):
            w.grad = None
            block(x).sum().backward()
            return w.grad.detach()
        f = tn.jit(step) if jit else step
        x = tn.ones((3, 4))
        return [val(f(x)) for _ in range(3)]
    eager = run(False)
    with pytest.warns(RuntimeWarning, match="random generator"):
        jitted = run(True)
    assert same(eager, jitted)


def test_a_step_that_advances_an_iterator_runs_eagerly():
    batches = (tn.full(2, float(i)) for i in range(10))
    listed = iter([tn.full(2, float(i)) for i in range(10)])
    for it in (batches, listed):
        f = tn.jit(lambda: (next(it) * 2).sum())     # noqa: B023
        with pytest.warns(RuntimeWarning, match="Python state"):
            first = f()
        assert [float(first), float(f()), float(f())] == [0.0, 4.0, 8.0]


def test_a_learning_rate_the_step_reads_itself_is_not_baked_in():
    """A step that reads ``opt.param_groups[0]["lr"]`` in its own tensor math (not only inside opt.step()): the number
    is a constant of the trace, so a new lr means another trace, never the old number (it gave 1.5 for eager's 6.0)."""
    def make():
        w = tn.tensor(np.ones(3), requires_grad=True)
        opt = tn.optim.SGD([w], lr=0.5)

        def step(x):
            loss = (w * x).sum() * opt.param_groups[0]["lr"]
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return w, opt, step
    w_e, opt_e, step_e = make()
    w_j, opt_j, step_j = make()
    jitted = tn.jit(step_j)
    x = tn.tensor(np.arange(3.0))
    for lr in (0.5, 0.5, 2.0, 2.0, 0.25):
        opt_e.param_groups[0]["lr"] = opt_j.param_groups[0]["lr"] = lr
        assert same(val(step_e(x)), val(jitted(x)))
        assert same(val(w_e), val(w_j))
    assert jitted.replay_count >= 1 and jitted.trace_count >= 3     # replayed where lr stayed; traced anew where not
