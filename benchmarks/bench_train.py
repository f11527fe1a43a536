"""Train the digits models with turunan and with PyTorch (CPU, eager) in one run, side by side: time per
epoch and final held-out test accuracy.

    python benchmarks/bench_train.py                       # both models, their default epochs, 1 thread
    python benchmarks/bench_train.py --models cnn --epochs 10 --threads 2 --seed 1

Both frameworks train the same architecture (``turunan.train.build_model`` and its PyTorch twin) with
Adam and a cosine schedule on the very same batches in the same order; their epochs are interleaved
(which one goes first alternates) and the thread count is pinned equal before NumPy or PyTorch is
imported. Epoch time excludes evaluation. Initial weights come from each framework's own generator (same
distributions), so accuracies differ a little run to run; timings are the medians over epochs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS")


def _torch_model(torch, name: str):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.BatchNorm1d(256), nn.ReLU(),
                             nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def run(model_name: str, epochs: int, seed: int, batch_size: int = 64, with_torch: bool = True) -> dict:
    """Train ``model_name`` with both frameworks; returns {framework: {"epoch_times": [...], "test_acc": x}}."""
    import numpy as np

    import turunan as tn
    from turunan import nn, optim, train
    from turunan.data import DataLoader, TensorDataset
    from turunan.datasets import load_digits

    (xtr, ytr), (xte, yte) = load_digits(seed=seed)
    lr = train.DEFAULTS[model_name]["lr"]
    # one shuffled order per epoch, shared by both frameworks
    loader = DataLoader(TensorDataset(xtr, ytr), batch_size=batch_size, shuffle=True, seed=seed)
    orders = [[(xb.numpy(), yb.numpy()) for xb, yb in loader] for _ in range(epochs)]

    model = train.build_model(model_name, tn.Generator(seed))
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()

    def turunan_epoch(batches):
        model.train()
        for xb, yb in batches:
            loss = loss_fn(model(tn.Tensor(xb)), tn.Tensor(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()

    epochs_fns = {"turunan": turunan_epoch}
    accuracy = {"turunan": lambda: train.accuracy(model, xte, yte)}
    if with_torch:
        import torch
        torch.manual_seed(seed)
        tmodel = _torch_model(torch, model_name)
        topt = torch.optim.Adam(tmodel.parameters(), lr=lr)
        tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=epochs)
        tloss = torch.nn.CrossEntropyLoss()

        def torch_epoch(batches):
            tmodel.train()
            for xb, yb in batches:
                loss = tloss(tmodel(torch.from_numpy(xb)), torch.from_numpy(yb))
                topt.zero_grad()
                loss.backward()
                topt.step()
            tsched.step()

        def torch_accuracy():
            tmodel.eval()
            with torch.no_grad():
                pred = tmodel(torch.from_numpy(xte)).argmax(1).numpy()
            return float(np.mean(pred == yte))

        epochs_fns["torch"] = torch_epoch
        accuracy["torch"] = torch_accuracy

    times = {k: [] for k in epochs_fns}
    names = list(epochs_fns)
    for e in range(epochs):
        for k in (names if e % 2 == 0 else names[::-1]):     # interleaved, alternating who goes first
            t0 = time.perf_counter()
            epochs_fns[k](orders[e])
            times[k].append(time.perf_counter() - t0)
    return {k: {"epoch_times": times[k], "test_acc": accuracy[k]()} for k in names}


def table(results: dict, threads: int) -> str:
    lines = [f"digits training, time per epoch (median over epochs) and final test accuracy; {threads} thread(s)",
             "",
             f"{'model':<6} {'epochs':>6}  {'turunan s/epoch':>15} {'PyTorch s/epoch':>15} {'ratio':>6}  "
             f"{'turunan acc':>11} {'PyTorch acc':>11}"]
    for name, res in results.items():
        tu = statistics.median(res["turunan"]["epoch_times"])
        n = len(res["turunan"]["epoch_times"])
        if "torch" in res:
            to = statistics.median(res["torch"]["epoch_times"])
            lines.append(f"{name:<6} {n:>6}  {tu:>15.4f} {to:>15.4f} {tu / to:>6.2f}  "
                         f"{res['turunan']['test_acc']:>11.2%} {res['torch']['test_acc']:>11.2%}")
        else:
            lines.append(f"{name:<6} {n:>6}  {tu:>15.4f} {'(no torch)':>15} {'':>6}  "
                         f"{res['turunan']['test_acc']:>11.2%} {'':>11}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--epochs", type=int, default=None, help="default: each model's own (turunan.train)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    for var in THREAD_VARS:           # before NumPy or PyTorch is imported in this process
        os.environ[var] = str(args.threads)
    try:
        import torch
        torch.set_num_threads(args.threads)
        with_torch = True
    except ImportError:
        print("(PyTorch is not installed: turunan only)")
        with_torch = False
    from turunan import train
    results = {}
    for name in args.models.split(","):
        epochs = args.epochs or train.DEFAULTS[name]["epochs"]
        results[name] = run(name, epochs, args.seed, with_torch=with_torch)
    print(table(results, args.threads))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    sys.exit(main())
