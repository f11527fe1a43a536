"""PyTorch programs of the kind D2L and the PyTorch tutorials hold, run unchanged on the door and on PyTorch.

Each program takes the ``torch`` module as its argument, draws its data and initial parameters from a seeded
NumPy stream (so both runs start from the same numbers), and returns what a reader would print: a dict of
values, dtypes, shapes and reprs. The test runs it on ``turunan.torch`` and on real PyTorch and compares them
(float values to float32 precision). These are programs the other door tests do not contain (issue 11's judge).
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import turunan.torch as door


@pytest.fixture(scope="module")
def real_torch():
    return pytest.importorskip("torch")


def _plain(value):
    """What a program returned, as plain Python/NumPy values that compare across the two libraries."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return ("tensor", str(value.dtype), tuple(value.shape), np.asarray(value.detach().numpy()))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value) if not hasattr(value, "_fields") else tuple(map(_plain, value))
    if hasattr(value, "numel") and isinstance(value, tuple):
        return tuple(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return value


def _is_tensor(plain) -> bool:
    return isinstance(plain, tuple) and len(plain) == 4 and isinstance(plain[0], str) and plain[0] == "tensor"


def _same(ours, theirs, where="result"):
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), where
        for k in theirs:
            _same(ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, (list, tuple)) and not _is_tensor(theirs):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, tuple):
        assert ours[:3] == theirs[:3], f"{where}: {ours[:3]} vs {theirs[:3]}"
        np.testing.assert_allclose(ours[3], theirs[3], rtol=2e-5, atol=2e-6, err_msg=where)
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=2e-5, abs=2e-6), where
    else:
        assert ours == theirs, where


def _run_both(program, real_torch):
    ours, theirs = program(door), program(real_torch)
    _same(_plain(ours), _plain(theirs))


def _init(torch, model, seed=0):
    """Sets every parameter from one seeded NumPy stream (the same numbers in both libraries)."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))


def _data(n=32, d=4, k=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, k, n)
    return x, y


# ---- programs ---------------------------------------------------------------------------------------------------

def sequential_sgd_training(torch):
    x, y = _data()
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    _init(torch, model)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                         batch_size=8, shuffle=False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return {"losses": losses, "params": list(model.parameters()), "dtype": str(yb.dtype)}


def _optimiser_run(torch, make_opt, make_sched=None, plateau=False):
    x, y = _data()
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    _init(torch, model)
    opt = make_opt(torch, model.parameters())
    sched = make_sched(torch, opt) if make_sched else None
    xt, yt = torch.tensor(x), torch.tensor(y)
    losses, lrs = [], []
    for _ in range(8):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step(loss.item()) if plateau else sched.step()
        losses.append(loss.item())
        lrs.append(opt.param_groups[0]["lr"])
    return {"losses": losses, "lrs": lrs, "params": [p.detach() for p in model.parameters()]}


OPTIMISERS = {
    "sgd": lambda t, ps: t.optim.SGD(ps, lr=0.1),
    "sgd_momentum_dampening": lambda t, ps: t.optim.SGD(ps, lr=0.1, momentum=0.8, dampening=0.1),
    "adam": lambda t, ps: t.optim.Adam(ps, lr=0.01),
    "adam_amsgrad_wd": lambda t, ps: t.optim.Adam(ps, lr=0.01, weight_decay=0.01, amsgrad=True),
    "adamw": lambda t, ps: t.optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda t, ps: t.optim.RMSprop(ps, lr=0.01),
    "rmsprop_momentum_centered": lambda t, ps: t.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda t, ps: t.optim.Adagrad(ps, lr=0.1),
    "adagrad_decay": lambda t, ps: t.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.01),
}

SCHEDULERS = {
    "step": (lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), False),
    "multistep": (lambda t, o: t.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.3), False),
    "exponential": (lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, gamma=0.9), False),
    "cosine": (lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.001), False),
    "lambda": (lambda t, o: t.optim.lr_scheduler.LambdaLR(o, lambda epoch: 1 / (1 + epoch)), False),
    "plateau": (lambda t, o: t.optim.lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=0,
                                                                     threshold=0.5), True),
}


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_optimisers_train_as_pytorchs(name, real_torch):
    _run_both(lambda t: _optimiser_run(t, OPTIMISERS[name]), real_torch)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_schedulers_set_the_rate_as_pytorchs(name, real_torch):
    make, plateau = SCHEDULERS[name]
    _run_both(lambda t: _optimiser_run(t, OPTIMISERS["sgd"], make, plateau), real_torch)


def clipping_and_vectors(torch):
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 2))
    _init(torch, model)
    x, _ = _data()
    (model(torch.tensor(x)) ** 2).sum().backward()
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    after = torch.nn.utils.parameters_to_vector([p.grad for p in model.parameters()])
    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
    vec = torch.nn.utils.parameters_to_vector(model.parameters())
    torch.nn.utils.vector_to_parameters(vec * 2, model.parameters())
    return {"total": total, "after": after, "clipped": [p.grad for p in model.parameters()],
            "vec": vec, "doubled": [p.detach() for p in model.parameters()]}


class _Net:
    """A subclassed nn.Module with Dropout and BatchNorm (made per library)."""

    @staticmethod
    def make(torch):
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = torch.nn.Linear(4, 8, bias=False)  # a bias before BatchNorm gets a zero gradient
                self.bn = torch.nn.BatchNorm1d(8)
                self.drop = torch.nn.Dropout(0.5)
                self.fc2 = torch.nn.Linear(8, 3)

            def forward(self, x):
                return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))
        return Net()


def state_dict_round_trip(torch):
    x, y = _data()
    model = _Net.make(torch)
    _init(torch, model)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt, yt = torch.tensor(x), torch.tensor(y)
    model.train()
    model.drop.p = 0.0  # dropout's mask differs between libraries; train mode still drives BatchNorm
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf)
    clone = _Net.make(torch)
    clone.load_state_dict(saved["model"])
    opt2 = torch.optim.Adam(clone.parameters(), lr=0.01)
    opt2.load_state_dict(saved["opt"])
    clone.train()
    clone.drop.p = 0.0
    for _ in range(2):
        opt2.zero_grad()
        torch.nn.functional.cross_entropy(clone(xt), yt).backward()
        opt2.step()
    clone.eval()
    with torch.no_grad():
        out = clone(xt)
    with torch.inference_mode():
        out2 = clone(xt[:3])
    return {"keys": list(saved["model"].keys()), "out": out, "out2": out2,
            "running_mean": clone.bn.running_mean, "running_var": clone.bn.running_var,
            "tracked": clone.bn.num_batches_tracked, "step": list(opt2.state_dict()["state"][0].keys()),
            "requires_grad": out.requires_grad}


def save_to_a_file(torch, tmp_path):
    model = torch.nn.Linear(3, 2)
    _init(torch, model)
    path = tmp_path / f"model_{torch.__name__}.pt"
    torch.save(model.state_dict(), path)
    other = torch.nn.Linear(3, 2)
    result = other.load_state_dict(torch.load(path, weights_only=True))
    return {"w": other.weight.detach(), "b": other.bias.detach(), "missing": list(result.missing_keys)}


def autograd_tools(torch):
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * x
    seen = []
    h = x.register_hook(lambda g: seen.append(g.clone()))
    z = (y.sin() * x).sum()
    (gx,) = torch.autograd.grad(z, x, create_graph=True)
    (ggx,) = torch.autograd.grad(gx.sum(), x)
    y = x * x
    y.retain_grad()
    (y.sin() * x).sum().backward()
    h.remove()

    def f(v):
        return (v ** 3).sum() + v.prod()
    v = torch.tensor([1.0, 2.0, 0.5])
    jac = torch.autograd.functional.jacobian(lambda v: v.exp() * v.sum(), v)
    hess = torch.autograd.functional.hessian(f, v)
    d = x.detach()
    d2 = x.detach().requires_grad_()
    return {"gx": gx.detach(), "ggx": ggx, "xgrad": x.grad, "ygrad": y.grad, "hook": seen, "jac": jac,
            "hess": hess, "d_req": d.requires_grad, "d2_req": d2.requires_grad, "leaf": (x.is_leaf, y.is_leaf)}


def forward_hooks_and_containers(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(3)])
            self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, 1)})
            self.scales = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(4)) for _ in range(3)])
            self.emb = torch.nn.Embedding(5, 4)
            self.norm = torch.nn.LayerNorm(4)

        def forward(self, idx):
            h = self.emb(idx)
            for layer, s in zip(self.layers, self.scales):
                h = self.norm(torch.tanh(layer(h)) * s)
            return self.heads["a"](h), self.heads["b"](h)

    net = Net()
    _init(torch, net)
    captured = []
    handle = net.layers[1].register_forward_hook(lambda m, inp, out: captured.append(out.detach().clone()))
    a, b = net(torch.tensor([[0, 1, 4], [2, 3, 3]]))
    (a.sum() + b.pow(2).sum()).backward()
    handle.remove()
    net(torch.tensor([[0]]))
    names = [n for n, _ in net.named_parameters()]
    return {"a": a, "b": b, "captured": captured, "names": names, "emb_grad": net.emb.weight.grad,
            "n_params": sum(p.numel() for p in net.parameters()), "shapes": [tuple(p.shape) for p in net.parameters()]}


def conv_net(torch):
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, kernel_size=3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, kernel_size=3, stride=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d((1, 1)),
        torch.nn.Flatten(), torch.nn.Linear(6, 3))
    _init(torch, model)
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.standard_normal((4, 1, 8, 8)).astype(np.float32))
    y = torch.tensor([0, 1, 2, 1])
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"losses": losses, "grads": [p.grad for p in model.parameters()], "out_shape": model(x).shape}


def indexing_and_in_place(torch):
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((4, 5)).astype(np.float32))
    y = x.clone()
    y[y < 0] = 0
    z = torch.zeros(3, 5).index_add_(0, torch.tensor([0, 2, 0, 1]), x)
    s = torch.zeros(3, 5).scatter_(0, torch.tensor([[0, 1, 2, 0, 1]]), 1.5)
    m = x.clone().masked_fill_(x > 0.5, -1.0)
    c = x.clone().clamp_(min=-0.5, max=0.5)
    v = x.view(20)[3:9].view(2, 3)
    x2 = x.clone()
    x2[1:3, ::2] *= 10
    t = x.t().contiguous()
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    u = w * 2
    u[1] = 0.0
    u.sum().backward()
    return {"y": y, "z": z, "s": s, "m": m, "c": c, "v": v, "x2": x2, "t": t, "wgrad": w.grad,
            "long": x.long(), "float": x.long().float(), "f64": x.to(torch.float64), "int_dtype": str(x.int().dtype),
            "argmax": x.argmax(dim=1), "sum_keep": x.sum(dim=0, keepdim=True),
            "size": x.size() + torch.Size([7]), "numel": x.numel(), "dims": x.dim()}


def printing(torch):
    x = torch.tensor([[1.5, -2.0], [3.25, 4.0]])
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    lin = torch.nn.Linear(3, 2)
    seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(4, 1))
    return {"x": repr(x), "i": repr(torch.tensor([1, 2, 3])), "b": repr(torch.tensor([True, False])),
            "p": repr(p), "lin": repr(lin), "seq": repr(seq), "size": repr(x.size()), "dtype": repr(x.dtype),
            "req": repr(torch.ones(2, requires_grad=True)), "scalar": repr(torch.tensor(3.5)),
            "f64": repr(torch.tensor([1.0], dtype=torch.float64))}


def init_functions(torch):
    torch.manual_seed(0)
    lin = torch.nn.Linear(6, 4)
    torch.nn.init.zeros_(lin.bias)
    torch.nn.init.constant_(lin.weight, 0.5)
    w = lin.weight.detach().clone()
    torch.nn.init.ones_(lin.bias)
    e = torch.empty(3, 3)
    torch.nn.init.eye_(e)
    outs = {}
    for name in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "normal_",
                 "uniform_"):
        t = torch.empty(200, 300)
        getattr(torch.nn.init, name)(t)
        outs[name] = (tuple(t.shape), round(float(t.std()), 2))
    return {"w": w, "b": lin.bias.detach(), "eye": e, "stats": outs,
            "gain": torch.nn.init.calculate_gain("relu")}


def distributions_shapes(torch):
    loc = torch.tensor([0.0, 1.0, -1.0])
    scale = torch.tensor([1.0, 0.5, 2.0])
    normal = torch.distributions.Normal(loc, scale)
    logits = torch.tensor([[0.1, 0.5, -0.3], [1.0, 0.0, 0.0]])
    cat = torch.distributions.Categorical(logits=logits)
    return {"lp": normal.log_prob(torch.tensor([0.5, 0.5, 0.5])), "sample": tuple(normal.sample((5,)).shape),
            "rsample": tuple(normal.rsample().shape), "entropy": normal.entropy(), "mean": normal.mean,
            "stddev": normal.stddev,
            "cat_lp": cat.log_prob(torch.tensor([2, 0])), "cat_sample": tuple(cat.sample((4,)).shape),
            "cat_dtype": str(cat.sample().dtype), "cat_entropy": cat.entropy(), "probs": cat.probs,
            "batch": tuple(cat.batch_shape), "event": tuple(normal.event_shape)}


def recurrent(torch):
    out = {}
    for cls in ("RNN", "LSTM", "GRU"):
        rnn = getattr(torch.nn, cls)(input_size=3, hidden_size=4, batch_first=True)
        _init(torch, rnn)
        rng = np.random.default_rng(3)
        x = torch.tensor(rng.standard_normal((2, 5, 3)).astype(np.float32))
        y, h = rnn(x)
        y.sum().backward()
        out[cls] = (y, [p.grad for p in rnn.parameters()])
    return out


PROGRAMS = [sequential_sgd_training, clipping_and_vectors, state_dict_round_trip, autograd_tools,
            forward_hooks_and_containers, conv_net, indexing_and_in_place, printing, init_functions,
            distributions_shapes, recurrent]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_program_runs_as_on_pytorch(program, real_torch):
    _run_both(program, real_torch)


def test_saving_to_a_file(real_torch, tmp_path):
    _run_both(lambda t: save_to_a_file(t, tmp_path), real_torch)


# ---- the helpers these programs needed, and their error paths ---------------------------------------------------

@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
def test_clip_grad_norm_of_every_order_as_pytorchs(norm_type, real_torch):
    def program(torch):
        ps = [torch.tensor(v, requires_grad=True) for v in ([0.5, -2.0, 1.5], [[3.0], [-0.25]])]
        sum((p ** 2).sum() for p in ps).backward()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm=0.7, norm_type=norm_type)
        return total, [p.grad for p in ps]
    _run_both(program, real_torch)


def test_clipping_refuses_what_it_cannot_do():
    w = door.tensor([1.0, 2.0], requires_grad=True)
    (w * float("inf")).sum().backward()
    with pytest.raises(RuntimeError, match="non-finite"):
        door.nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="norm_type must be positive"):
        door.nn.utils.clip_grad_norm_([w], 1.0, norm_type=0)
    with pytest.raises(TypeError, match="expected Tensors"):
        door.nn.utils.clip_grad_value_([1.0], 0.5)
    with pytest.raises(ValueError, match="the vector has 3 entries but the parameters hold 2"):
        door.nn.utils.vector_to_parameters(door.ones(3), [w])
    assert float(door.nn.utils.clip_grad_norm_([door.zeros(2)], 1.0)) == 0.0     # no gradients: norm 0


class _NotWeights:
    pass


def test_load_with_weights_only_refuses_other_objects():
    buf = io.BytesIO()
    door.save({"w": door.ones(2), "obj": _NotWeights()}, buf)
    buf.seek(0)
    with pytest.raises(Exception, match="weights_only load refused .*_NotWeights.*weights_only=False"):
        door.load(buf)
    buf.seek(0)
    assert isinstance(door.load(buf, weights_only=False)["obj"], _NotWeights)
    with pytest.raises(Exception, match="cuda"):
        door.load(io.BytesIO(), map_location="cuda")


@pytest.mark.parametrize("kw", [dict(mode="min", factor=0.5, patience=1),
                                dict(mode="max", factor=0.3, patience=0, threshold=0.1, threshold_mode="abs"),
                                dict(mode="min", factor=0.5, patience=0, cooldown=2, min_lr=0.02),
                                dict(mode="max", factor=0.5, patience=2, threshold=0.05)])
def test_reduce_on_plateau_follows_a_metric_as_pytorchs(kw, real_torch):
    metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.5, 0.6, 0.6, 0.7, 0.7, 0.2, 0.3, 0.3, 0.3]

    def program(torch):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        rates = []
        for m in metrics:
            sched.step(torch.tensor(m))
            rates.append(sched.get_last_lr()[0])
        return rates
    _run_both(program, real_torch)


def test_reduce_on_plateau_refuses_bad_settings():
    opt = door.optim.SGD([door.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        door.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match="factor must be in"):
        door.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)


def test_adagrad_state_round_trip_continues_pytorchs_trajectory(real_torch):
    def program(torch):
        w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
        opt = torch.optim.Adagrad([w], lr=0.3, lr_decay=0.1, initial_accumulator_value=0.2)
        for _ in range(2):
            opt.zero_grad()
            (w ** 3).sum().backward()
            opt.step()
        state = opt.state_dict()
        w2 = w.detach().clone().requires_grad_()
        opt2 = torch.optim.Adagrad([w2], lr=0.3, lr_decay=0.1)
        opt2.load_state_dict(state)
        for _ in range(2):
            opt2.zero_grad()
            (w2 ** 3).sum().backward()
            opt2.step()
        return w2.detach(), torch.as_tensor(opt2.state_dict()["state"][0]["sum"])  # turunan's state: arrays
    _run_both(program, real_torch)


def test_a_leafs_hook_runs_once_on_its_total_gradient(real_torch):
    """A leaf used three times: its hook sees (and may change) the summed gradient once, as PyTorch's does;
    a clamping hook gave a wrong .grad when it ran on each contribution (and the hook saw turunan's class)."""
    def program(torch):
        x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
        seen = []

        def clamp(g):
            seen.append((type(g) is torch.Tensor, g.clone()))
            return g.clamp(-1.0, 1.0)
        x.register_hook(clamp)
        ((x * x).sin() * x).sum().backward()
        y = x * 3
        y.register_hook(lambda g: seen.append((type(g) is torch.Tensor, g.clone())))
        (y * y).sum().backward()
        return x.grad, seen
    _run_both(program, real_torch)


def autograd_functional(torch):
    AF = torch.autograd.functional

    def f(a, b):
        return (a.sin() * b).sum() + (a * a).sum() * b.sum()
    a, b = torch.tensor([0.3, -1.2, 2.0]), torch.tensor([1.5, 0.5, -0.7])
    v = torch.tensor([1.0, 2.0, -1.0])
    return {"jac": AF.jacobian(lambda x: torch.stack([x.sum(), (x ** 2).prod()]), a),
            "jac_tuple": AF.jacobian(lambda x, y: x * y, (a, b)), "hess_tuple": AF.hessian(f, (a, b)),
            "vjp": AF.vjp(lambda x: x.exp() * 2, a, v), "vjp_scalar": AF.vjp(lambda x: (x ** 3).sum(), a),
            "jvp": AF.jvp(lambda x: x.exp() * x, a, v), "hvp": AF.hvp(lambda x: (x ** 3).sum(), a, v),
            "vhp": AF.vhp(lambda x, y: f(x, y), (a, b), (v, v))}


def test_autograd_functional_as_pytorchs(real_torch):
    _run_both(autograd_functional, real_torch)


def index_add_with_gradients(torch):
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    src = torch.tensor(rng.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    out = x.index_add(1, torch.tensor([2, 0, 2, 2, 1]), src, alpha=0.5)
    (out ** 2).sum().backward()
    return out, x.grad, src.grad


def test_index_add_and_its_gradients_as_pytorchs(real_torch):
    _run_both(index_add_with_gradients, real_torch)


def test_index_add_scatter_and_eye_refuse_what_they_cannot_do():
    with pytest.raises(RuntimeError, match="source has 2 slices along dim 0 but index has 3"):
        door.zeros(3, 2).index_add(0, door.tensor([0, 1, 2]), door.ones(2, 2))
    with pytest.raises(RuntimeError, match="Expected dtype int64"):
        door.zeros(3).index_add(0, door.tensor([0.0]), door.ones(1))
    with pytest.raises(NotImplementedError, match="reduce"):
        door.zeros(3).scatter(0, door.tensor([0]), door.ones(1), reduce="add")
    with pytest.raises(ValueError, match="eye_ fills a 2-d tensor"):
        door.nn.init.eye_(door.zeros(2, 2, 2))


@pytest.mark.parametrize("size", [(1, 1), 2, (3, 2), (None, 4), (5, 3)])
def test_adaptive_average_pooling_as_pytorchs(size, real_torch):
    def program(torch):
        x = torch.tensor(np.random.default_rng(4).standard_normal((2, 3, 7, 6)).astype(np.float32),
                         requires_grad=True)
        out = torch.nn.AdaptiveAvgPool2d(size)(x)
        (out * out).sum().backward()
        return out, x.grad, repr(torch.nn.AdaptiveAvgPool2d(size))
    _run_both(program, real_torch)


def test_adaptive_pooling_refuses_a_bad_input():
    with pytest.raises(ValueError, match="expects a 3-d or 4-d input"):
        door.nn.AdaptiveAvgPool2d(1)(door.ones(4, 4))
    with pytest.raises(ValueError, match="output_size must be positive"):
        door.nn.functional.adaptive_avg_pool2d(door.ones(1, 4, 4), 0)


def distribution_gradients(torch):
    loc = torch.tensor([0.2, -1.0], requires_grad=True)
    scale = torch.tensor([0.7, 1.5], requires_grad=True)
    logits = torch.tensor([[0.3, -0.2, 1.1], [0.0, 0.5, -1.0]], requires_grad=True)
    normal = torch.distributions.Normal(loc, scale)
    cat = torch.distributions.Categorical(logits=logits)
    total = (normal.log_prob(torch.tensor([[1.0, 0.0], [0.5, -2.0]])).sum() + normal.entropy().sum()
             + cat.log_prob(torch.tensor([2, 1])).sum() + cat.entropy().sum() + normal.cdf(torch.tensor(0.3)).sum())
    total.backward()
    probs_cat = torch.distributions.Categorical(probs=torch.tensor([0.2, 0.3, 0.5]))
    return (total, loc.grad, scale.grad, logits.grad, probs_cat.log_prob(torch.tensor([0, 2])),
            probs_cat.entropy(), normal.rsample((4,)).requires_grad)


def test_distribution_gradients_as_pytorchs(real_torch):
    _run_both(distribution_gradients, real_torch)


def test_categorical_samples_follow_the_probabilities_and_bad_input_is_refused():
    door.manual_seed(0)
    draws = door.distributions.Categorical(probs=door.tensor([0.1, 0.6, 0.3])).sample((20000,)).numpy()
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / draws.size, [0.1, 0.6, 0.3], atol=0.015)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        door.distributions.Categorical()
    with pytest.raises(ValueError, match="scale must be positive"):
        door.distributions.Normal(0.0, -1.0)


@pytest.mark.parametrize("cls, kw", [("RNN", dict(num_layers=2, nonlinearity="relu")), ("LSTM", dict(num_layers=2)),
                                     ("GRU", dict(num_layers=2, bias=False)), ("LSTM", dict(batch_first=True))])
def test_recurrent_layers_as_pytorchs(cls, kw, real_torch):
    def program(torch):
        rnn = getattr(torch.nn, cls)(3, 4, **kw)
        _init(torch, rnn, seed=9)
        rng = np.random.default_rng(10)
        x = torch.tensor(rng.standard_normal((5, 2, 3)).astype(np.float32), requires_grad=True)
        batch = 5 if kw.get("batch_first") else 2
        h0 = torch.tensor(rng.standard_normal((rnn.num_layers, batch, 4)).astype(np.float32))
        state = (h0, h0 * 0.5) if cls == "LSTM" else h0
        out, h = rnn(x, state)
        single, _ = rnn(x[:, 0])                    # unbatched (L, input)
        (out.sum() + single.pow(2).sum()).backward()
        return (out, h, single, x.grad, [p.grad for p in rnn.parameters()], list(rnn.state_dict()),
                repr(rnn))
    _run_both(program, real_torch)


def test_recurrent_layers_refuse_what_they_cannot_do():
    with pytest.raises(NotImplementedError, match="bidirectional"):
        door.nn.LSTM(3, 4, bidirectional=True)
    with pytest.raises(ValueError, match=r"expects input of shape \(L, N, 3\)"):
        door.nn.GRU(3, 4)(door.ones(2, 5, 2))
    with pytest.raises(ValueError, match="initial state must have shape"):
        door.nn.RNN(3, 4)(door.ones(5, 2, 3), door.zeros(1, 3, 4))


def test_random_split_and_random_like_give_pytorchs_shapes_and_dtypes(real_torch):
    def program(torch):
        ds = torch.utils.data.TensorDataset(torch.arange(10.0), torch.arange(10))
        parts = torch.utils.data.random_split(ds, [0.7, 0.3])
        seen = sorted(int(y) for part in parts for _, y in part)
        loader = torch.utils.data.DataLoader(parts[0], batch_size=4)
        x = torch.ones(2, 3, dtype=torch.float64)
        return ([len(p) for p in parts], seen, [tuple(b[0].shape) for b in loader], str(torch.randn_like(x).dtype),
                tuple(torch.rand_like(x).shape), torch.randn_like(x, requires_grad=True).requires_grad)
    _run_both(program, real_torch)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        door.utils.data.random_split(door.utils.data.TensorDataset(door.ones(3)), [1, 1])


def scratch_softmax_regression_and_param_groups(torch):
    r = {}
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.standard_normal((20, 4)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 3, 20))
    W = torch.tensor(rng.standard_normal((4, 3)).astype(np.float32) * 0.01, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    def softmax(X):
        X_exp = torch.exp(X)
        return X_exp / X_exp.sum(1, keepdims=True)
    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)
    def ce(y_hat, y):
        return -torch.log(y_hat[range(len(y_hat)), y])
    def sgd(params, lr, batch_size):
        with torch.no_grad():
            for param in params:
                param -= lr * param.grad / batch_size
                param.grad.zero_()
    losses = []
    for _epoch in range(3):
        for i in range(0, 20, 5):
            l = ce(net(X[i:i + 5]), y[i:i + 5])
            l.sum().backward()
            sgd([W, b], 0.1, 5)
        with torch.no_grad():
            losses.append(float(ce(net(X), y).mean()))
    r["losses"], r["W"] = losses, W.detach()
    # param groups and accumulation
    m = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    opt = torch.optim.SGD([{"params": m[0].parameters()}, {"params": m[2].parameters(), "lr": 0.01}], lr=0.1,
                          momentum=0.9)
    for step in range(4):
        loss = torch.nn.functional.cross_entropy(m(X[step * 5:(step + 1) * 5]), y[step * 5:(step + 1) * 5]) / 2
        loss.backward()
        if step % 2 == 1:
            opt.step()
            m.zero_grad()
    r["m"] = [p.detach() for p in m.parameters()]
    r["grads_none"] = [p.grad is None for p in m.parameters()]
    for g in opt.param_groups:
        g["lr"] = 0.5
    r["lrs"] = [g["lr"] for g in opt.param_groups]
    z = (W * 2).sum()
    z.backward(retain_graph=True)
    z.backward()
    r["Wgrad"] = W.grad.clone()
    W.grad.data.zero_()
    r["Wgrad0"] = W.grad.sum().item()
    r["drop_eval"] = torch.nn.functional.dropout(torch.ones(3), 0.5, training=False).tolist()
    r["normal"] = tuple(torch.normal(0, 0.01, size=(2, 1), requires_grad=True).shape)
    r["is_leaf"] = (W.is_leaf, (W * 2).is_leaf, (W * 2).grad_fn is not None)
    r["sd_opt_keys"] = sorted(opt.state_dict().keys())
    return r


def test_scratch_softmax_regression_and_param_groups_as_pytorchs(real_torch):
    """D2L's scratch softmax regression (its own sgd under no_grad, grad.zero_()), then parameter groups,
    gradient accumulation over two batches, a retained graph backwarded twice, grad.data.zero_()."""
    _run_both(scratch_softmax_regression_and_param_groups, real_torch)


def fine_tuning_a_frozen_layer(torch):
    x, y = _data()
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    _init(torch, model)
    model[0].requires_grad_(False)                      # frozen, yet handed to the optimiser (as PyTorch allows)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    xt, yt = torch.tensor(x), torch.tensor(y)
    frozen = model[0].weight.detach().clone()
    for step in range(6):
        if step == 3:
            model[0].requires_grad_(True)               # unfrozen: the same optimiser now trains it
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
        if step == 2:
            unchanged = bool((model[0].weight == frozen).all())
    return unchanged, [p.detach() for p in model.parameters()], isinstance(opt, torch.optim.Optimizer)


def test_fine_tuning_a_frozen_layer_as_pytorch(real_torch):
    _run_both(fine_tuning_a_frozen_layer, real_torch)


def test_modules_print_as_pytorchs(real_torch):
    def program(torch):
        nn = torch.nn
        return [repr(m) for m in (
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.BatchNorm1d(4), nn.LayerNorm(4), nn.Embedding(10, 3),
            nn.MaxPool2d(2), nn.Flatten(), nn.LSTM(3, 4, 2), nn.GRU(3, 4, batch_first=True), nn.CrossEntropyLoss(),
            nn.MSELoss(), nn.ModuleList([nn.ReLU(), nn.Tanh()]), nn.ModuleDict({"a": nn.Sigmoid()}), nn.GELU(),
            nn.LeakyReLU(0.2), nn.Softmax(dim=1), nn.LogSoftmax(dim=1), nn.Identity(), nn.Dropout(p=0.1),
            nn.BCEWithLogitsLoss(), nn.AdaptiveAvgPool2d((1, 1)), nn.RNN(2, 3, bias=False))]
    _run_both(program, real_torch)


def test_a_pytorch_zip_checkpoint_gets_a_clear_error(real_torch, tmp_path):
    path = tmp_path / "real.pt"
    real_torch.save({"w": real_torch.ones(2)}, path)
    with pytest.raises(ValueError, match="zip archive .*PyTorch's own torch.save format"):
        door.load(path)


def functional_values_and_gradients(torch):
    """Every common torch.nn.functional call, its value and the gradients of its sum of squares."""
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = torch.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.2, requires_grad=True)
    v = torch.tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    t = torch.tensor([0, 3, 1, 2, 0])
    out = {}
    cases = {
        "conv": lambda: F.conv2d(x, w, stride=1, padding=1), "conv_s2": lambda: F.conv2d(x, w, stride=2),
        "mp": lambda: F.max_pool2d(x, 2), "ap": lambda: F.avg_pool2d(x, 3, stride=1, padding=1),
        "relu": lambda: F.relu(v), "softmax": lambda: F.softmax(v, dim=1), "lsm": lambda: F.log_softmax(v, dim=-1),
        "nll": lambda: F.nll_loss(F.log_softmax(v, 1), t), "ce_sum": lambda: F.cross_entropy(v, t, reduction="sum"),
        "ce_ls": lambda: F.cross_entropy(v, t, label_smoothing=0.1),
        "bce": lambda: F.binary_cross_entropy_with_logits(v, (v > 0).float()),
        "bce2": lambda: F.binary_cross_entropy(torch.sigmoid(v), (v > 0).float()),
        "ln": lambda: F.layer_norm(v, (4,)), "linear": lambda: F.linear(v, v[:3]), "pad": lambda: F.pad(v, (1, 2)),
        "l1": lambda: F.l1_loss(v, v * 0.5), "smooth": lambda: F.smooth_l1_loss(v, v * 0.1),
        "huber": lambda: F.huber_loss(v, -v, delta=0.5),
        "kl": lambda: F.kl_div(F.log_softmax(v, 1), F.softmax(v * 2, 1), reduction="batchmean"),
        "gelu": lambda: F.gelu(v), "silu": lambda: F.silu(v), "elu": lambda: F.elu(v),
        "softplus": lambda: F.softplus(v), "normalize": lambda: F.normalize(v, dim=1),
        "cos": lambda: F.cosine_similarity(v, v.flip(0), dim=1),
        "emb": lambda: F.embedding(t, v), "mse": lambda: F.mse_loss(v, v ** 2),
        "bn": lambda: F.batch_norm(v, None, None, training=True),
        "dropout_eval": lambda: F.dropout(v, 0.3, training=False),
        "tanh": lambda: torch.tanh(v), "lse": lambda: torch.logsumexp(v, 1),
    }
    for name, f in cases.items():
        y = f()
        out[name] = (y.detach(), list(torch.autograd.grad((y * y).sum(), [x, w, v], allow_unused=True)))
    return out


def test_functional_values_and_gradients_as_pytorchs(real_torch):
    _run_both(functional_values_and_gradients, real_torch)


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(5, 9)), dict(scale_factor=(1.5, 0.5)),
                                dict(size=4), dict(scale_factor=3, recompute_scale_factor=True)])
def test_nearest_interpolation_as_pytorchs(kw, real_torch):
    def program(torch):
        x = torch.tensor(np.random.default_rng(2).standard_normal((2, 3, 4, 6)).astype(np.float32),
                         requires_grad=True)
        y = torch.nn.functional.interpolate(x, mode="nearest", **kw)
        (y * y).sum().backward()
        return y, x.grad
    _run_both(program, real_torch)


def test_interpolation_refuses_what_it_cannot_do():
    with pytest.raises(NotImplementedError, match="only mode='nearest'"):
        door.nn.functional.interpolate(door.ones(1, 1, 2, 2), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="exactly one of size or scale_factor"):
        door.nn.functional.interpolate(door.ones(1, 1, 2, 2))
