"""turunan.optim against PyTorch 2.13: optimiser trajectories, checked state loading, chainable schedulers.

Every expectation is a hard-coded number (computed with PyTorch 2.13, float64), so the file runs without torch;
where torch is installed the same runs are also compared with it live.
"""

import itertools
import warnings

import numpy as np
import pytest

import turunan as tn
import turunan.torch as TT
from turunan import optim
from turunan.optim import lr_scheduler

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


# ---- schedulers: PyTorch's chainable form ---------------------------------------------------------------------
SCHEDS = {
    "StepLR": dict(step_size=3, gamma=0.5),
    "MultiStepLR": dict(milestones=[2, 5, 5, 8], gamma=0.5),     # 5 twice: γ² there, as PyTorch counts
    "ExponentialLR": dict(gamma=0.8),
    "CosineAnnealingLR": dict(T_max=4, eta_min=0.01),
    "LambdaLR": dict(lr_lambda=lambda e: 1 / (e + 1)),
}
# the rate after each of 10 (optimiser step, scheduler step) pairs, from lr=1.0; PyTorch 2.13
ALONE = {
    "StepLR": [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125],
    "MultiStepLR": [1.0, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125, 0.0625, 0.0625, 0.0625],
    "ExponentialLR": [0.8, 0.6400000000000001, 0.5120000000000001, 0.40960000000000013, 0.32768000000000014,
                      0.2621440000000001, 0.2097152000000001, 0.1677721600000001, 0.13421772800000006,
                      0.10737418240000006],
    "CosineAnnealingLR": [0.855017856687341, 0.505, 0.15498214331265903, 0.01, 0.15498214331265897,
                          0.5050000000000001, 0.8550178566873414, 1.0000000000000004, 0.8550178566873415,
                          0.5050000000000003],
    "LambdaLR": [0.5, 0.3333333333333333, 0.25, 0.2, 0.16666666666666666, 0.14285714285714285, 0.125,
                 0.1111111111111111, 0.1, 0.09090909090909091],
}
# the same, with the rate set to 5.0 by hand before the 5th step: the chainable ones continue from it
EDITED = {
    "StepLR": [1.0, 1.0, 0.5, 0.5, 5.0, 2.5, 2.5, 2.5, 1.25, 1.25],
    "MultiStepLR": [1.0, 0.5, 0.5, 0.5, 1.25, 1.25, 1.25, 0.625, 0.625, 0.625],
    "ExponentialLR": [0.8, 0.6400000000000001, 0.5120000000000001, 0.40960000000000013, 4.0, 3.2,
                      2.5600000000000005, 2.0480000000000005, 1.6384000000000005, 1.3107200000000006],
    "CosineAnnealingLR": [0.855017856687341, 0.505, 0.15498214331265903, 0.01, 5.144982143312659,
                          17.541925676241753, 29.93886920917085, 35.07385135248351, 29.938869209170853,
                          17.541925676241764],
    "LambdaLR": ALONE["LambdaLR"],          # not chainable: initial rate · fn(epoch), whatever was set
}
# a group with lr=3.0 added before the 4th step: scheduled from its own rate; LambdaLR, and CosineAnnealingLR
# when it leaves its minimum, need the group's initial rate and refuse (PyTorch: a ValueError from zip)
ADDED = {
    "StepLR": [[1.0], [1.0], [0.5], [0.5, 3.0], [0.5, 3.0], [0.25, 1.5], [0.25, 1.5]],
    "MultiStepLR": [[1.0], [0.5], [0.5], [0.5, 3.0], [0.125, 0.75], [0.125, 0.75], [0.125, 0.75]],
    "ExponentialLR": [[0.8], [0.6400000000000001], [0.5120000000000001], [0.40960000000000013, 2.4000000000000004],
                      [0.32768000000000014, 1.9200000000000004], [0.2621440000000001, 1.5360000000000005],
                      [0.2097152000000001, 1.2288000000000006]],
    "CosineAnnealingLR": [[0.855017856687341], [0.505], [0.15498214331265903], [0.01, 0.01], "ValueError"],
    "LambdaLR": [[0.5], [0.3333333333333333], [0.25], "ValueError"],
}
CHAINED = {
    ("StepLR", "ExponentialLR"): [0.8, 0.6400000000000001, 0.25600000000000006, 0.20480000000000007,
                                  0.16384000000000007, 0.06553600000000002, 0.052428800000000025,
                                  0.04194304000000002, 0.016777216000000008, 0.013421772800000007],
    ("ExponentialLR", "StepLR"): [0.8, 0.6400000000000001, 0.25600000000000006, 0.20480000000000007,
                                  0.16384000000000007, 0.06553600000000002, 0.052428800000000025,
                                  0.04194304000000002, 0.016777216000000008, 0.013421772800000007],
    ("MultiStepLR", "CosineAnnealingLR"): [0.855017856687341, 0.25457106781186545, 0.08163320728006043, 0.01,
                                           0.14748214331265896, 0.4793933982822019, 0.811304653251745,
                                           0.47353553390593295, 0.40565232662587253, 0.24176776695296656],
    ("CosineAnnealingLR", "ExponentialLR"): [0.6840142853498729, 0.323862741699797, 0.08154261494565501, 0.008,
                                             0.12238571465012718, 0.31496706494036564, 0.4244890756786053,
                                             0.3964833265232621, 0.2719073230093582, 0.1307374061872409],
    ("StepLR", "LambdaLR"): ALONE["LambdaLR"],
    ("LambdaLR", "StepLR"): [0.5, 0.3333333333333333, 0.125, 0.2, 0.16666666666666666, 0.07142857142857142,
                             0.125, 0.1111111111111111, 0.05, 0.09090909090909091],
}


def _schedule(lib, names, steps=10, edit=None, add=None, groups=1):
    """Run schedulers ``names`` (in that order) on one optimiser; the rates after each epoch, every group."""
    def param():
        return lib.zeros(1, requires_grad=True)
    opt = lib.optim.SGD([{"params": [param()], "lr": 1.0 + i} for i in range(groups)], lr=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # PyTorch's step-order warnings
        scheds = [getattr(lib.optim.lr_scheduler, n)(opt, **SCHEDS[n]) for n in names]
        out = []
        for e in range(steps):
            if e == edit:
                opt.param_groups[0]["lr"] = 5.0
            if e == add:
                opt.add_param_group({"params": [param()], "lr": 3.0})
            opt.step()
            try:
                for s in scheds:
                    s.step()
            except ValueError:
                out.append("ValueError")
                break
            out.append([g["lr"] for g in opt.param_groups])
    return out, [s.get_last_lr() for s in scheds]


def _first_group(rates):
    return [r[0] for r in rates]


# rtol: the chainable forms are computed in PyTorch's order, so equal to the last bit here; a platform's cos may
# differ in the last bit
@pytest.mark.parametrize("name", sorted(SCHEDS))
def test_each_scheduler_alone(name):
    rates, last = _schedule(TT, [name])
    np.testing.assert_allclose(_first_group(rates), ALONE[name], rtol=1e-14)
    assert last == [[rates[-1][0]]]


@pytest.mark.parametrize("name", sorted(SCHEDS))
def test_a_rate_set_by_hand_is_where_the_schedule_continues(name):
    rates, _ = _schedule(TT, [name], edit=4)
    np.testing.assert_allclose(_first_group(rates), EDITED[name], rtol=1e-14)


def test_the_reviewers_examples():
    w = TT.tensor([1.0], requires_grad=True)
    opt = TT.optim.SGD([w], lr=1.0)
    s1 = TT.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    s2 = TT.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    got = []
    for _ in range(3):
        opt.step()
        s1.step()
        s2.step()
        got.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(got, [0.9, 0.405, 0.3645], rtol=1e-15)      # was 0.9, 0.81, 0.729
    opt = TT.optim.SGD([w], lr=1.0)
    sched = TT.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    got = []
    for e in range(4):
        if e == 2:
            opt.param_groups[0]["lr"] = 5
        opt.step()
        sched.step()
        got.append(opt.param_groups[0]["lr"])
    assert got == [0.5, 0.25, 2.5, 1.25]       # was [0.5, 0.25, 0.125, 0.0625]: the 5 was overwritten


@pytest.mark.parametrize("names", sorted(CHAINED), ids="+".join)
def test_two_schedulers_chain(names):
    rates, _ = _schedule(TT, list(names))
    np.testing.assert_allclose(_first_group(rates), CHAINED[names], rtol=1e-14)


@pytest.mark.parametrize("name", sorted(SCHEDS))
def test_a_group_added_later(name):
    rates, _ = _schedule(TT, [name], steps=7, add=3)
    want = ADDED[name]
    assert len(rates) == len(want)
    for have, w in zip(rates, want):
        if w == "ValueError":
            assert have == "ValueError"
        else:
            np.testing.assert_allclose(have, w, rtol=1e-14)


@pytest.mark.parametrize("name,kw,steps", [("LambdaLR", dict(lr_lambda=lambda e: 0.5 ** e), 1),
                                           ("CosineAnnealingLR", dict(T_max=2), 3)])
def test_a_group_the_scheduler_cannot_schedule_is_refused_clearly_and_changes_nothing(name, kw, steps):
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    sched = getattr(lr_scheduler, name)(opt, **kw)
    opt.add_param_group({"params": [tn.zeros(1, requires_grad=True)], "lr": 3.0})
    for _ in range(steps - 1):
        sched.step()
    before = [g["lr"] for g in opt.param_groups], sched.last_epoch, sched.get_last_lr()
    with pytest.raises(ValueError, match=f"{name} was made for 1 parameter group.*now has 2.*add_param_group"):
        sched.step()
    assert ([g["lr"] for g in opt.param_groups], sched.last_epoch, sched.get_last_lr()) == before


@pytest.mark.parametrize("names", [(n,) for n in sorted(SCHEDS)] + list(itertools.permutations(sorted(SCHEDS), 2)),
                         ids="+".join)
@pytest.mark.parametrize("kw", [dict(), dict(edit=4), dict(add=3), dict(groups=2)],
                         ids=["plain", "edited", "added", "two_groups"])
def test_every_scheduler_and_pair_equals_live_pytorch(names, kw):
    torch = pytest.importorskip("torch")
    assert _schedule(TT, list(names), steps=12, **kw) == _schedule(torch, list(names), steps=12, **kw)


def test_multistep_milestone_at_epoch_zero_decays_when_made_as_pytorch():
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    lr_scheduler.MultiStepLR(opt, milestones=[0, 1], gamma=0.5)
    assert opt.param_groups[0]["lr"] == 0.5


def test_lambda_lr_takes_one_function_per_group():
    opt = optim.SGD([{"params": [tn.zeros(1, requires_grad=True)]},
                     {"params": [tn.zeros(1, requires_grad=True)], "lr": 2.0}], lr=1.0)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: 1.0 / (1 + e)])
    sched.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.25, 2.0 / 3]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0, 0.5])


# ---- resuming and saving ------------------------------------------------------------------------------------
def test_resuming_with_last_epoch_matches_pytorch():
    # initial_lr=2 (what the schedule started from), the optimiser's rate is now 1; resume after epoch 5
    want = {"StepLR": [0.5, 0.5, 0.5, 0.25], "MultiStepLR": [1.0, 1.0, 0.5, 0.5],
            "ExponentialLR": [1.0, 0.8, 0.6400000000000001, 0.5120000000000001],
            "CosineAnnealingLR": [1.0, 1.7000357133746824, 1.9900000000000004, 1.7000357133746826],
            "LambdaLR": [0.2857142857142857, 0.25, 0.2222222222222222, 0.2]}

    def run(lib, name):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        opt.param_groups[0]["initial_lr"] = 2.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = getattr(lib.optim.lr_scheduler, name)(opt, last_epoch=5, **SCHEDS[name])
            out = [opt.param_groups[0]["lr"]]
            for _ in range(3):
                opt.step()
                s.step()
                out.append(opt.param_groups[0]["lr"])
        return out

    for name in SCHEDS:
        np.testing.assert_allclose(run(TT, name), want[name], rtol=1e-14, err_msg=name)
    torch = pytest.importorskip("torch")
    for name in SCHEDS:
        assert run(TT, name) == run(torch, name), name


def test_resuming_needs_initial_lr_and_last_epoch_is_checked():
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    with pytest.raises(ValueError, match="last_epoch must be -1"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=-2)
    assert "initial_lr" not in opt.param_groups[0]


def test_a_refused_scheduler_leaves_the_optimiser_as_it_was():
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="LambdaLR computed a learning rate .* epoch 0"):
        lr_scheduler.LambdaLR(opt, lambda e: float("nan"))
    assert opt.param_groups[0] == dict(opt.param_groups[0], lr=1.0) and "initial_lr" not in opt.param_groups[0]


@pytest.mark.parametrize("name", sorted(SCHEDS))
def test_state_dict_round_trip_continues_the_schedule(name):
    def make():
        opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
        return opt, getattr(lr_scheduler, name)(opt, **SCHEDS[name])

    opt, sched = make()
    for _ in range(4):
        opt.step()
        sched.step()
    opt2, sched2 = make()
    lr_before = opt2.param_groups[0]["lr"]
    sched2.load_state_dict(sched.state_dict())
    assert opt2.param_groups[0]["lr"] == lr_before           # as PyTorch: the optimiser keeps its own rates
    opt2.load_state_dict(opt.state_dict())
    assert sched2.get_last_lr() == sched.get_last_lr() and sched2.last_epoch == 4
    for _ in range(6):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    np.testing.assert_allclose(opt.param_groups[0]["lr"], ALONE[name][-1], rtol=1e-14)


def test_scheduler_state_keeps_pytorchs_keys_and_hyper_parameters():
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5)
    state = sched.state_dict()
    assert sorted(state) == ["_last_lr", "_step_count", "base_lrs", "gamma", "last_epoch", "milestones"]
    other = lr_scheduler.MultiStepLR(opt, milestones=[100], gamma=0.1)
    other.load_state_dict(state)
    assert other.milestones == {2: 1, 5: 2} and other.gamma == 0.5
    state["milestones"][7] = 1                 # the saved state is a copy
    assert 7 not in sched.milestones


@pytest.mark.parametrize("change,error,match", [
    (dict(gamma=float("nan")), ValueError, "Invalid gamma: nan"),
    (dict(step_size=0), ValueError, "step_size must be >= 1"),
    (dict(base_lrs=[1.0, 2.0]), ValueError, "2 base rates.*schedules 1"),
    (dict(base_lrs=[float("inf")]), ValueError, "Invalid learning rate: inf"),
    (dict(base_lrs=0.5), ValueError, "'base_lrs' of a scheduler state is a list"),
    (dict(last_epoch=-3), ValueError, "last_epoch must be >= 0"),
    (dict(last_epoch=2.5), TypeError, "last_epoch must be an integer"),
    (dict(T_max=4), ValueError, "'T_max', which a StepLR does not keep.*another scheduler"),
])
def test_scheduler_load_state_dict_refuses_bad_states_and_changes_nothing(change, error, match):
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    before = sched.state_dict()
    with pytest.raises(error, match=match):
        sched.load_state_dict(dict(before, **change))
    assert sched.state_dict() == before
    with pytest.raises(ValueError, match="'last_epoch' and 'base_lrs'"):
        sched.load_state_dict({"epoch": 3})


def test_lambda_lr_saves_the_attributes_of_callable_objects():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, e):
            return min(1.0, (e + 1) / self.n)

    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.LambdaLR(opt, Warmup(4))
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"n": 4}]
    fresh = lr_scheduler.LambdaLR(opt, Warmup(10))
    fresh.load_state_dict(state)
    assert fresh.lr_lambdas[0].n == 4
    assert lr_scheduler.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_get_lr_outside_step_warns_as_pytorch():
    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()                          # no warning from inside step
    assert sched.get_last_lr() == [0.5]


def test_a_custom_scheduler_written_for_pytorch_works():
    class Halve(lr_scheduler.LRScheduler):
        def get_lr(self):
            return [g["lr"] * (0.5 if self.last_epoch > 0 else 1.0) for g in self.optimizer.param_groups]

    opt = optim.SGD([tn.zeros(1, requires_grad=True)], lr=1.0)
    sched = Halve(opt)
    sched.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.25 and sched.get_last_lr() == [0.25]


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_float32_parameters_stay_float32_and_match_live_pytorch(key):
    name, kw = CONFIGS[key]

    def run(lib):
        w = lib.tensor(W0, dtype=lib.float32, requires_grad=True)
        c = lib.tensor(C, dtype=lib.float32)
        opt = getattr(lib.optim, name)([w], **kw)
        for _ in range(10):
            opt.zero_grad(set_to_none=True)
            ((w ** 4).sum() / 4 - (c * w).sum()).backward()
            opt.step()
        return w.detach().numpy()

    ours = run(TT)
    assert ours.dtype == np.float32
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours, run(torch), rtol=2e-5, atol=1e-6)


def test_a_parameter_without_a_gradient_is_skipped_after_zero_grad_set_to_none():
    # PyTorch 2's default loop: a parameter unused in this step keeps its value and its Adam moments
    a, b = tn.tensor([1.0], requires_grad=True), tn.tensor([2.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    b_after_one = b.detach().numpy().copy()
    opt.zero_grad(set_to_none=True)
    (a * a).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), b_after_one)
    assert opt.state[id(b)]["step"] == 1 and opt.state[id(a)]["step"] == 2
