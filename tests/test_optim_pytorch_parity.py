"""turunan.optim against PyTorch 2.13: optimiser trajectories, checked state loading, chainable schedulers.

Every expectation is a hard-coded number (computed with PyTorch 2.13, float64), so the file runs without torch;
where torch is installed the same runs are also compared with it live.
"""


import numpy as np
import pytest

import turunan as tn
import turunan.torch as TT
from turunan import optim

W0 = [1.0, -2.0, 0.5]
C = [0.5, -1.0, 2.0]

# ---- optimisers: 10 steps on sum(w⁴)/4 − <c, w>, non-default hyper-parameters --------------------------------
CONFIGS = {
    "sgd_momentum_dampening_wd": ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    "sgd_nesterov_wd": ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    "sgd_maximize_momentum": ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    "sgd_maximize_nesterov_wd": ("SGD", dict(lr=0.003, momentum=0.7, nesterov=True, weight_decay=0.2,
                                             maximize=True)),
    "sgd_wd_only": ("SGD", dict(lr=0.1, weight_decay=0.3)),
    "adam_amsgrad_wd": ("Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.1, amsgrad=True)),
    "adam_maximize_small_betas": ("Adam", dict(lr=0.05, betas=(0.3, 0.6), maximize=True)),
    "adam_maximize_wd": ("Adam", dict(lr=0.05, weight_decay=0.3, maximize=True)),
    "adam_decoupled": ("Adam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True)),
    "adamw_amsgrad_maximize": ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True, maximize=True)),
    "adamw_betas_eps": ("AdamW", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3)),
}
AFTER_10_STEPS = {      # PyTorch 2.13, float64
    "sgd_momentum_dampening_wd": [0.649419011568528, 0.47218193201061226, 1.3399273353019014],
    "sgd_nesterov_wd": [0.6986825571738294, -0.7834934072503057, 1.2305585140274216],
    "sgd_maximize_momentum": [1.1112133817381378, -7.309450201648196, 0.1510679733633577],
    "sgd_maximize_nesterov_wd": [1.0274842032753593, -2.853032404780995, 0.33175129459050284],
    "sgd_wd_only": [0.7065109777250155, -0.9131241446737699, 1.175399561035002],
    "adam_amsgrad_wd": [0.6843201312859708, -1.5293125255999542, 0.986109665084151],
    "adam_maximize_small_betas": [1.541419145240088, -2.520908955829336, -0.002222439563625618],
    "adam_maximize_wd": [1.493317652861189, -2.5078650960416953, -0.0001569578828552673],
    "adam_decoupled": [0.6695193207496859, -1.3638842267476987, 0.9241148919002652],
    "adamw_amsgrad_maximize": [1.3885852704934696, -2.292555643488856, -0.027213749963784915],
    "adamw_betas_eps": [0.7863794284607334, -1.551377517210665, 0.9689468850332446],
}


def _trajectory(lib, name, kw, steps=10):
    w = lib.tensor(W0, dtype=lib.float64, requires_grad=True)
    c = lib.tensor(C, dtype=lib.float64)
    opt = getattr(lib.optim, name)([w], **kw)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ((w ** 4).sum() / 4 - (c * w).sum()).backward()
        opt.step()
        out.append(w.detach().numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_optimiser_trajectory_matches_pytorch(key):
    name, kw = CONFIGS[key]
    ours = _trajectory(TT, name, kw)
    np.testing.assert_allclose(ours[-1], AFTER_10_STEPS[key], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_optimiser_trajectory_matches_live_pytorch_at_every_step(key):
    torch = pytest.importorskip("torch")
    name, kw = CONFIGS[key]
    np.testing.assert_allclose(_trajectory(TT, name, kw), _trajectory(torch, name, kw), rtol=1e-12, atol=1e-14)


GROUPS_AFTER_10_STEPS = {   # two groups with different settings; group 0's rate set by hand to 0.01 after 5 steps
    "SGD": ([0.8904968820263524, -1.1736119752272778, 0.8325122181002299],
            [0.4302311249887124, -0.5851967851871696, 0.07809983421297946]),
    "Adam": ([0.7329592548682465, -1.7052504700456164, 0.7975313898121048],
             [0.3478187173250024, -0.8236188681481786, 1.8033395024610492]),
}


def _two_groups(lib, name):
    second = dict(momentum=0.9, nesterov=True) if name == "SGD" else dict(amsgrad=True, betas=(0.5, 0.7))
    a = lib.tensor(W0, dtype=lib.float64, requires_grad=True)
    b = lib.tensor(C, dtype=lib.float64, requires_grad=True)
    opt = getattr(lib.optim, name)([{"params": [a]}, dict(params=[b], lr=0.02, weight_decay=0.1, **second)],
                                   lr=0.05)
    for t in range(10):
        if t == 5:
            opt.param_groups[0]["lr"] = 0.01
        opt.zero_grad()
        ((a ** 4).sum() / 4 - (b * a).sum() + (b ** 2).sum()).backward()
        opt.step()
    return a.detach().numpy(), b.detach().numpy()


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_param_groups_and_a_rate_changed_by_hand_match_pytorch(name):
    a, b = _two_groups(TT, name)
    want_a, want_b = GROUPS_AFTER_10_STEPS[name]
    np.testing.assert_allclose(a, want_a, rtol=1e-12)
    np.testing.assert_allclose(b, want_b, rtol=1e-12)
    torch = pytest.importorskip("torch")
    ta, tb = _two_groups(torch, name)
    np.testing.assert_allclose(a, ta, rtol=1e-12)
    np.testing.assert_allclose(b, tb, rtol=1e-12)


def test_maximize_and_decoupled_weight_decay_are_pytorchs_flags():
    # maximize: one plain step along +g; Adam(decoupled_weight_decay=True) is AdamW, flag included
    w = tn.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, maximize=True)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.2, -2.4])
    assert opt.param_groups[0]["maximize"] is True
    assert optim.AdamW([tn.zeros(1, requires_grad=True)]).param_groups[0]["decoupled_weight_decay"] is True
    got = _trajectory(TT, "Adam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True))
    np.testing.assert_array_equal(got, _trajectory(TT, "AdamW", dict(lr=0.05, weight_decay=0.2)))


def test_maximize_with_weight_decay_allocates_nothing_per_step_after_the_first():
    w = tn.tensor(np.linspace(-1, 1, 1000), requires_grad=True)
    opt = optim.Adam([w], lr=0.01, weight_decay=0.1, maximize=True)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    buffers = {k: v for k, v in opt.state[id(w)].items() if isinstance(v, np.ndarray)}
    opt.step()
    assert all(opt.state[id(w)][k] is v for k, v in buffers.items())     # same arrays, updated in place


# ---- load_state_dict: the state must be complete, and shaped and typed like the parameter ---------------------
def _stepped(make, **kw):
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    opt = make([w], **kw)
    (w * w).sum().backward()
    opt.step()
    return w, opt


def test_partial_adam_state_is_refused_at_load_not_at_step():
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w])
    groups = opt.state_dict()["param_groups"]
    with pytest.raises(ValueError, match=r"has \['step'\] but no \['exp_avg', 'exp_avg_sq'\], which Adam's step"):
        opt.load_state_dict({"state": {0: {"step": 3}}, "param_groups": groups})
    assert opt.state == {}                   # nothing changed: the next step is a plain first step
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 1e-3, 2.0 - 1e-3], rtol=1e-6)


@pytest.mark.parametrize("make,kw,good_keys", [
    (optim.Adam, {}, ("step", "exp_avg", "exp_avg_sq")),
    (optim.Adam, dict(amsgrad=True), ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")),
    (optim.AdamW, dict(amsgrad=True), ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")),
])
def test_every_key_the_adam_step_reads_is_required(make, kw, good_keys):
    w, opt = _stepped(make, **kw)
    good = opt.state_dict()
    assert tuple(sorted(good["state"][0])) == tuple(sorted(good_keys))
    before = {k: np.array(v, copy=True) for k, v in opt.state[id(w)].items() if isinstance(v, np.ndarray)}
    for drop in good_keys:
        partial = {k: v for k, v in good["state"][0].items() if k != drop}
        with pytest.raises(ValueError, match=f"no .*'{drop}'.*which {make.__name__}'s step needs"):
            opt.load_state_dict({"state": {0: partial}, "param_groups": good["param_groups"]})
    for k, v in before.items():
        np.testing.assert_array_equal(opt.state[id(w)][k], v)
    opt.load_state_dict(good)                 # the complete state still loads


def test_switching_amsgrad_on_through_load_needs_the_running_maximum():
    w, opt = _stepped(optim.Adam)             # stepped without amsgrad: no max_exp_avg_sq
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="no \\['max_exp_avg_sq'\\]"):
        opt.load_state_dict({"state": saved["state"], "param_groups": [dict(saved["param_groups"][0],
                                                                             amsgrad=True)]})
    assert opt.param_groups[0]["amsgrad"] is False


def test_switching_amsgrad_on_by_hand_is_refused_before_any_parameter_moves():
    a, b = tn.tensor([1.0, 2.0], requires_grad=True), tn.tensor([3.0], requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b]}], lr=0.1)
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    opt.param_groups[1]["amsgrad"] = True
    before = a.detach().numpy().copy(), b.detach().numpy().copy()
    with pytest.raises(ValueError, match="amsgrad was switched on in parameter group 1"):
        opt.step()                            # PyTorch: KeyError('max_exp_avg_sq') after moving group 0
    np.testing.assert_array_equal(a.detach().numpy(), before[0])
    np.testing.assert_array_equal(b.detach().numpy(), before[1])


@pytest.mark.parametrize("bad,match", [
    ({"momentum_buffer": 3.0}, r"has shape \(\)"),
    ({"momentum_buffer": "fast"}, "must be an array shaped like the parameter"),
    ({"momentum_buffer": [1.0, 2.0, 3.0]}, r"has shape \(3,\)"),
    ({"momentum_buffer": [[1.0], [2.0, 3.0]]}, "not a rectangular array"),
    ({"momentum_buffer": np.array([np.nan, 0.0])}, "NaN or infinite"),
    ({"momentum_buffer": np.array([1 + 1j, 0j])}, "dtype complex128"),
    ({"exp_avg": np.zeros(2)}, "SGD keeps no such state .*another optimiser"),
    ({"step": 3}, "SGD keeps no such state"),
])
def test_sgd_state_is_checked(bad, match):
    w, opt = _stepped(optim.SGD, lr=0.1, momentum=0.9)
    good = opt.state_dict()
    buf = opt.state[id(w)]["momentum_buffer"].copy()
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict({"state": {0: bad}, "param_groups": good["param_groups"]})
    np.testing.assert_array_equal(opt.state[id(w)]["momentum_buffer"], buf)


def test_a_float_momentum_buffer_no_longer_restarts_the_momentum_silently():
    # before: {'momentum_buffer': 3.0} loaded, and every step restarted from 3.0 without storing the new buffer
    w = tn.tensor([5.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="momentum_buffer"):
        opt.load_state_dict({"state": {0: {"momentum_buffer": 3.0 + 0j}},
                             "param_groups": opt.state_dict()["param_groups"]})
    opt.load_state_dict({"state": {0: {"momentum_buffer": [3.0]}}, "param_groups": opt.state_dict()["param_groups"]})
    for _ in range(2):
        opt.zero_grad()
        (w * 2.0).sum().backward()
        opt.step()
    # b = 0.9·3 + 2 = 4.7, then 0.9·4.7 + 2 = 6.23: w = 5 − 0.1·(4.7 + 6.23)
    np.testing.assert_allclose(w.detach().numpy(), [5.0 - 0.1 * (4.7 + 6.23)], rtol=1e-6)


def test_adam_state_values_are_checked():
    w, opt = _stepped(optim.Adam, amsgrad=True)
    good = opt.state_dict()
    st = good["state"][0]
    for bad, match in [(dict(st, exp_avg_sq=-st["exp_avg_sq"] - 1), "exp_avg_sq.*negative values"),
                       (dict(st, max_exp_avg_sq=np.array([-1.0, 0.0])), "max_exp_avg_sq.*negative"),
                       (dict(st, exp_avg=np.array([np.inf, 0.0])), "NaN or infinite"),
                       (dict(st, exp_avg=None), "exp_avg.*must be an array .* got NoneType"),
                       (dict(st, exp_avg=np.zeros((2, 1))), r"shape \(2, 1\)"),
                       (dict(st, step=np.array(2.5)), "'step' of parameter 0 must be an integer"),
                       (dict(st, momentum_buffer=np.zeros(2)), "Adam keeps no such state")]:
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict({"state": {0: bad}, "param_groups": good["param_groups"]})
    assert opt.state[id(w)]["step"] == 1


def test_loaded_state_is_cast_to_the_parameter_and_json_lists_load():
    w = tn.tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    opt = optim.Adam([w])
    opt.load_state_dict({"state": {"0": {"step": np.int64(2), "exp_avg": [0.5, 0.25],
                                         "exp_avg_sq": np.array([1.0, 2.0])}},
                         "param_groups": opt.state_dict()["param_groups"]})
    st = opt.state[id(w)]
    assert st["step"] == 2 and type(st["step"]) is int
    assert st["exp_avg"].dtype == np.float32 and st["exp_avg_sq"].dtype == np.float32


def test_sgd_without_momentum_saves_no_state_and_a_none_buffer_is_a_fresh_start():
    w, opt = _stepped(optim.SGD, lr=0.1)
    assert opt.state_dict()["state"] == {}              # as PyTorch: nothing but scratch buffers
    w2, opt2 = _stepped(optim.SGD, lr=0.1, momentum=0.9)
    opt2.load_state_dict({"state": {0: {"momentum_buffer": None}}, "param_groups": opt2.state_dict()["param_groups"]})
    assert "momentum_buffer" not in opt2.state.get(id(w2), {})


def test_state_round_trip_continues_the_pytorch_trajectory():
    name, kw = CONFIGS["adam_amsgrad_wd"]
    w = tn.tensor(W0, dtype="float64", requires_grad=True)
    c = tn.tensor(C, dtype="float64")
    opt = optim.Adam([w], **kw)

    def step(opt, w):
        opt.zero_grad()
        ((w ** 4).sum() / 4 - (c * w).sum()).backward()
        opt.step()

    for _ in range(4):
        step(opt, w)
    w2 = tn.tensor(w.detach().numpy().copy(), requires_grad=True)
    opt2 = optim.Adam([w2], lr=1.0)
    opt2.load_state_dict(opt.state_dict())
    for _ in range(6):
        step(opt2, w2)
    np.testing.assert_allclose(w2.detach().numpy(), AFTER_10_STEPS["adam_amsgrad_wd"], rtol=1e-12)


def test_duplicate_indices_in_loaded_groups_are_refused():
    a, b = tn.ones(2, requires_grad=True), tn.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    groups = opt.state_dict()["param_groups"]
    with pytest.raises(ValueError, match="number two parameters 0"):
        opt.load_state_dict({"state": {}, "param_groups": [dict(groups[0], params=[0, 0])]})
