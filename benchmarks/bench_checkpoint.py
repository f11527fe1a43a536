"""Checkpointing on a deep network: memory kept between forward and backward, peak, and time (standalone).

    python benchmarks/bench_checkpoint.py
"""

import time
import tracemalloc

import numpy as np

import turunan as tn


def net(depth=32, width=256, per_block=4, ckpt=False):
    r = np.random.default_rng(0)
    ws = [tn.tensor(r.standard_normal((width, width)).astype(np.float32) / np.sqrt(width), requires_grad=True)
          for _ in range(depth)]

    def block(h, w):
        for _ in range(per_block):
            h = tn.tanh(h @ w)
        return h
    run = tn.checkpoint(block) if ckpt else block

    def loss(x):
        h = x
        for w in ws:
            h = run(h, w)
        return (h * h).mean()
    return loss, ws


def main():
    x = tn.tensor(np.random.default_rng(1).standard_normal((256, 256)).astype(np.float32))
    print("deep tanh net: 32 blocks x 4 layers of 256x256, batch 256, float32")
    print(f"{'':12} {'kept after fwd MB':>18} {'peak fwd+bwd MB':>16} {'fwd+bwd ms':>11}")
    for ckpt in (False, True):
        loss, ws = net(ckpt=ckpt)
        for _ in range(2):
            loss(x).backward()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            loss(x).backward()
            times.append(time.perf_counter() - t)
        tracemalloc.start()
        y = loss(x)
        kept = tracemalloc.get_traced_memory()[0]
        y.backward()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{'checkpoint' if ckpt else 'plain':12} {kept / 2**20:18.1f} {peak / 2**20:16.1f} "
              f"{np.median(times) * 1e3:11.1f}")


if __name__ == "__main__":
    main()
