"""``python -m turunan train``: train an MLP or a small LeNet-style CNN on the bundled digits.

    python -m turunan train --model cnn --epochs 15 --seed 0 --out out
    python -m turunan train --jit          # the same training step, traced once and replayed by tn.jit

Shows a progress bar (tqdm, if installed), prints the held-out test accuracy, saves the weights as
``.npz`` and, if matplotlib is installed, a loss/accuracy plot. ``fit`` is the same loop as a function.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from . import _cli, nn, optim
from ._array import as_int
from ._core import Tensor
from ._creation import Generator
from ._mode import no_grad
from .data import DataLoader, TensorDataset

# epochs and learning rates that reach >= 97% test accuracy on the digits from any seed we tried
DEFAULTS = {"mlp": {"epochs": 15, "lr": 3e-3}, "cnn": {"epochs": 30, "lr": 3e-3}}
JIT_AND_DISTRIBUTED = ("does not combine with {}: the gradients' all-reduce runs in MPI calls inside backward hooks, "
                       "which tn.jit's trace (of NumPy calls) does not record, so every step would run eagerly "
                       "anyway; drop one of the two")


def build_model(name: str, generator: Generator | None = None) -> nn.Module:
    """``'mlp'``: 64-256-128-10 with batch norm and ReLU. ``'cnn'``: two 3x3 conv + ReLU + max-pool blocks
    (LeNet style), then two linear layers. Both take (N, 1, 8, 8) images and return 10 logits."""
    g = generator
    if name == "mlp":
        return nn.Sequential(nn.Flatten(),
                             nn.Linear(64, 256, generator=g), nn.BatchNorm1d(256), nn.ReLU(),
                             nn.Linear(256, 128, generator=g), nn.BatchNorm1d(128), nn.ReLU(),
                             nn.Linear(128, 10, generator=g))
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, generator=g), nn.ReLU(), nn.MaxPool2d(2),   # 16x4x4
                             nn.Conv2d(16, 32, 3, padding=1, generator=g), nn.ReLU(), nn.MaxPool2d(2),  # 32x2x2
                             nn.Flatten(), nn.Linear(128, 64, generator=g), nn.ReLU(),
                             nn.Linear(64, 10, generator=g))
    raise ValueError(f"unknown model {name!r}; choose 'mlp' or 'cnn'")


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> float:
    """Fraction of ``x`` classified as ``y`` (evaluation mode, nothing recorded)."""
    was_training = model.training
    model.eval()
    correct = 0
    with no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(Tensor(x[start:start + batch_size]))
            correct += int(np.sum(np.argmax(logits._d, axis=1) == y[start:start + batch_size]))
    model.train(was_training)
    return correct / len(x)


def _progress(iterable, total: int, desc: str, enabled: bool):
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stdout)


def fit(model_name: str = "mlp", epochs: int | None = None, seed: int = 0, batch_size: int = 64,
        lr: float | None = None, progress: bool = True, data=None, log=print, distributed: bool = False,
        jit: bool = False) -> dict:
    """Train on the digits; returns the model and per-epoch history (loss, test accuracy, seconds).

    ``data`` may supply ``((x_train, y_train), (x_test, y_test))`` instead of loading the digits.
    ``distributed=True``: data-parallel over the processes ``mpiexec`` started (``turunan.distributed``; a
    process group is made if there is none): each rank trains a ``DistributedDataParallel`` copy on its shard
    (``DistributedSampler``) with ``batch_size`` split between the ranks, so the global batch and the steps per
    epoch stay those of one process. Rank 0 alone measures accuracy and logs; the others return no history.

    ``jit=True``: the step (loss, ``zero_grad``, ``backward``, optimiser ``step``) runs under ``tn.jit``: traced on
    its first batch of each shape (the last, shorter batch of an epoch is a second shape), then replayed as
    generated NumPy code. The replay computes eager execution's numbers bit for bit, so the history and the weights
    are those of ``jit=False``. The result's ``"step"`` is the jitted step (``trace_count``, ``dump()``).
    ``jit`` does not combine with ``distributed``: the gradients' all-reduce runs in MPI calls inside backward
    hooks, which a trace (of NumPy calls) does not record; ``tn.jit`` would run every step eagerly.
    """
    if model_name not in DEFAULTS:
        raise ValueError(f"unknown model {model_name!r}; choose 'mlp' or 'cnn'")
    epochs = DEFAULTS[model_name]["epochs"] if epochs is None else epochs
    epochs = as_int(epochs, "epochs")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    lr = DEFAULTS[model_name]["lr"] if lr is None else lr
    if jit and distributed:
        raise ValueError("jit=True " + JIT_AND_DISTRIBUTED.format("distributed=True"))
    gen = Generator(seed)
    model = build_model(model_name, gen)
    rank, world, net = 0, 1, model
    if distributed:
        from . import distributed as dist
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
        if batch_size < world or batch_size % world:
            raise ValueError(f"batch_size {batch_size} does not split evenly over the {world} processes: it is the "
                             f"global batch, split between the ranks; give a multiple of {world}")
        net = nn.parallel.DistributedDataParallel(model)
        batch_size //= world
    opt = optim.Adam(net.parameters(), lr=lr)         # refuses a NaN, infinite or negative rate
    if data is None:
        from .datasets import load_digits
        data = load_digits(seed=seed)
    (xtr, ytr), (xte, yte) = data
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    loss_fn = nn.CrossEntropyLoss()
    train_set = TensorDataset(xtr, ytr)
    sampler = None
    if distributed:
        from .data import DistributedSampler
        sampler = DistributedSampler(train_set, seed=seed)
        loader = DataLoader(train_set, batch_size=batch_size, sampler=sampler)
    else:
        loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, seed=seed)

    def step(xb, yb):
        # state reached through the closure: a function of a turunan module reaches none through its globals
        loss = loss_fn(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    if jit:
        from .jit import jit as _jit
        step = _jit(step)
    history = {"loss": [], "train_acc": [], "test_acc": [], "epoch_time": []}
    steps = 0
    lead = rank == 0
    progress = progress and lead
    has_tqdm = progress and _has("tqdm")
    for epoch in range(epochs):
        model.train()
        if sampler is not None:
            sampler.set_epoch(epoch)
        t0 = time.perf_counter()
        total, count = 0.0, 0
        steps += len(loader)
        bar = _progress(loader, len(loader), f"{model_name} epoch {epoch + 1}/{epochs}", progress)
        for xb, yb in bar:
            loss = step(xb, yb)
            total += loss.item() * len(yb)
            count += len(yb)
            if has_tqdm:
                bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)   # tqdm shows it with its count
        sched.step()
        if distributed:                 # the epoch's loss over every rank's samples
            sums = Tensor(np.array([total, count], np.float64))
            dist.all_reduce(sums)
            total, count = (float(v) for v in sums._d)
        if not lead:
            continue
        history["epoch_time"].append(time.perf_counter() - t0)
        history["loss"].append(total / count)
        history["train_acc"].append(accuracy(model, xtr, ytr))
        history["test_acc"].append(accuracy(model, xte, yte))
        if log is not None and progress:
            log(f"epoch {epoch + 1:3d}/{epochs}  loss {history['loss'][-1]:.4f}  "
                f"train acc {history['train_acc'][-1]:.2%}  test acc {history['test_acc'][-1]:.2%}  "
                f"({history['epoch_time'][-1]:.2f}s)")
    if not lead:
        return {"model": model, "history": history, "test_acc": None, "step": step, "steps": steps}
    return {"model": model, "history": history, "test_acc": history["test_acc"][-1] if epochs else
            accuracy(model, xte, yte), "step": step, "steps": steps}


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def history_figure(history: dict, title: str = ""):
    """The loss / accuracy figure of ``history`` (a matplotlib ``Figure``; needs matplotlib).

    Drawn with the object API (no pyplot, no global backend switched); the epoch axes show whole epochs
    only: a short run of 3 epochs would otherwise get ticks at 1.5 and 2.5.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig = Figure(figsize=(9, 3.5), layout="tight")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(epochs, history["loss"], marker="o", ms=3)
    ax1.set(xlabel="epoch", ylabel="training loss", yscale="log", title="loss")
    ax2.plot(epochs, np.array(history["train_acc"]) * 100, marker="o", ms=3, label="train")
    ax2.plot(epochs, np.array(history["test_acc"]) * 100, marker="o", ms=3, label="test")
    ax2.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    ax2.legend()
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    return fig


def plot_history(history: dict, path: str, title: str = "") -> bool:
    """Write a loss / accuracy plot to ``path``; returns False (and writes nothing) without matplotlib."""
    try:
        fig = history_figure(history, title)
    except ImportError:
        return False
    fig.savefig(path, dpi=120)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = _cli.ArgumentParser(prog="python -m turunan train",
                                 description="Train an MLP or a small CNN on scikit-learn's bundled digits.")
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=_cli.positive_int, default=None, help="default: 15 (mlp), 30 (cnn)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=_cli.positive_int, default=64)
    parser.add_argument("--lr", type=_cli.positive_float, default=None, help="default: 3e-3")
    parser.add_argument("--out", default="out", help="folder for the weights (.npz) and the plot (.png)")
    parser.add_argument("--no-plot", action="store_true", help="skip the matplotlib plot")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over MPI: mpiexec -n 4 python -m turunan train --distributed "
                             "(--batch-size is the global batch, split between the processes; needs turunan[mpi])")
    parser.add_argument("--jit", action="store_true",
                        help="run the training step under tn.jit: traced once, replayed as generated NumPy code "
                             "(the same numbers as without; not with --distributed)")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.fail(f"argument --seed: must be an integer >= 0, got {args.seed}")
    if args.jit and args.distributed:
        parser.fail("--jit " + JIT_AND_DISTRIBUTED.format("--distributed"))
    lead, world = True, 1
    if args.distributed:
        from . import distributed as dist
        try:
            dist.init_process_group("mpi")
        except ImportError as e:
            return _cli.say_error(parser.prog, str(e))
        lead, world = dist.get_rank() == 0, dist.get_world_size()
        if args.batch_size < world:
            parser.fail(f"argument --batch-size: {args.batch_size} is smaller than the number of processes "
                        f"({world}); each needs at least one sample per step")
    # the output folder is checked (and made) before training, not found unwritable after it (by every rank:
    # one that stopped here alone would leave the others waiting for it)
    _cli.check_out_folder(parser, args.out, (f"digits_{args.model}.npz", f"digits_{args.model}.png"))
    try:
        from .datasets import load_digits
        data = load_digits(seed=args.seed)
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    (xtr, _), (xte, _) = data
    if lead:
        print(f"digits: {len(xtr)} training and {len(xte)} held-out test images (8x8); model {args.model}"
              + (f"; data-parallel over {world} process{'es' * (world > 1)} (MPI)" if args.distributed else ""))
        if args.distributed and world == 1:
            print("(one process: start several with mpiexec -n 4 python -m turunan train --distributed)")
    result = fit(args.model, args.epochs, args.seed, args.batch_size, args.lr, progress=not args.quiet, data=data,
                 distributed=args.distributed, jit=args.jit)
    if not lead:
        return 0
    hist = result["history"]
    weights = os.path.join(args.out, f"digits_{args.model}.npz")
    try:
        result["model"].save(weights)
    except OSError as e:                   # checked before training, but the disk may have filled up since
        return _cli.say_error(parser.prog, f"could not save the weights to {weights!r}: {e}")
    per_epoch = float(np.mean(hist["epoch_time"])) if hist["epoch_time"] else 0.0
    print(f"test accuracy: {result['test_acc']:.2%}  ({len(hist['loss'])} epochs, {per_epoch:.3f}s per epoch)")
    if args.jit:
        step, steps = result["step"], result["steps"]
        eager = steps - step.trace_count - step.replay_count      # (a trace is an eager call that records)
        print(f"tn.jit: {step.trace_count} trace{'s' * (step.trace_count != 1)} and {step.replay_count} replays of "
              f"{steps} steps" + (f"; {eager} ran eagerly (see the warning)" if eager > 0 else ""))
    print(f"weights saved to {weights}")
    if not args.no_plot and hist["loss"]:
        png = os.path.join(args.out, f"digits_{args.model}.png")
        if plot_history(hist, png, f"turunan: {args.model} on digits"):
            print(f"plot saved to {png}")
        else:
            print("(matplotlib is not installed: no plot; `pip install matplotlib` to get one)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
