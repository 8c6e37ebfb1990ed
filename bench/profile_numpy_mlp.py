"""Where one numpy-mlp epoch spends its time: cProfile's top functions, and a per-phase breakdown.

    python bench/profile_numpy_mlp.py [--workload mnist-shaped] [--quick] [--top 25] [--repeat 3]

cProfile: NumPy's operators (``@``, ``+``, ``*``) are not function calls to it, so their time is
the own time ("tottime") of the Python function whose line uses them, such as ``Layer.forward``.
The epoch is profiled ``--repeat`` times and the run during which other processes used the least
CPU is shown (a busy neighbour slows multi-threaded BLAS many times over).

Phases: the low-level loop (gather, forward, loss, backward, optimizer step) timed step by step
with ``time.perf_counter``, next to the workload's GEMM time per batch (bench/gemm_rate.py).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gemm_rate import measure as measure_gemm  # noqa: E402
from system_numpy_mlp import Runner  # noqa: E402
from worker import busy_cpu_seconds, contention, own_cpu_seconds  # noqa: E402
from workloads import SEED, WORKLOADS, make_data  # noqa: E402


def profile_epoch(runner: Runner) -> tuple[pstats.Stats, float, float | None]:
    """One epoch under cProfile: (stats, wall seconds, contention)."""
    profiler = cProfile.Profile()
    busy, own = busy_cpu_seconds(), own_cpu_seconds()
    start = time.perf_counter()
    profiler.enable()
    runner.train_epoch()
    profiler.disable()
    wall = time.perf_counter() - start
    return pstats.Stats(profiler), wall, contention(busy, own, wall)


def phase_times(runner: Runner, n_steps: int) -> dict[str, float]:
    """Median seconds per step of each phase of the low-level loop, on shuffled full batches."""
    model, optimizer, workload = runner.model, runner.optimizer, runner.workload
    features, targets = model._prepare_data(runner.X, runner.y)
    order = np.random.default_rng(SEED).permutation(len(features))
    x = np.empty((workload.batch_size, features.shape[1]), features.dtype)
    t = np.empty((workload.batch_size, *targets.shape[1:]), targets.dtype)
    loss_function = model.loss_function
    times = {name: [] for name in ("gather", "forward", "loss", "backward", "optimizer step")}
    for step in range(n_steps):
        batch = order[step * workload.batch_size:(step + 1) * workload.batch_size]
        clock = time.perf_counter()
        np.take(features, batch, axis=0, out=x)
        np.take(targets, batch, axis=0, out=t)
        ticks = [clock, time.perf_counter()]
        logits = model.forward_logits(x)
        ticks.append(time.perf_counter())
        loss_function.forward(logits, t)
        ticks.append(time.perf_counter())
        model.backward(loss_function.backward())
        ticks.append(time.perf_counter())
        optimizer.step()
        ticks.append(time.perf_counter())
        for name, begin, end in zip(times, ticks[:-1], ticks[1:]):
            times[name].append(end - begin)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="mnist-shaped")
    parser.add_argument("--quick", action="store_true", help="the smaller dataset")
    parser.add_argument("--top", type=int, default=25, help="rows of cProfile to print (default 25)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    parser.add_argument("--repeat", type=int, default=3, help="epochs profiled; the least contended is shown")
    args = parser.parse_args(argv)

    workload = WORKLOADS[args.workload]
    X, y = make_data(workload, workload.samples(args.quick))

    def fresh_runner() -> Runner:
        # A new model each time: after a few epochs Adam's state holds subnormal numbers (the
        # moments of weights whose gradient stays 0 decay towards 0), which are far slower to
        # compute with; the benchmark's single epoch never gets there.
        runner = Runner("numpy-mlp", workload, X, y, SEED, threads=2)
        runner.warm_up()
        return runner

    runs = [profile_epoch(fresh_runner()) for _ in range(max(1, args.repeat))]
    stats, wall, busy = min(runs, key=lambda run: run[2] or 0)
    stream = io.StringIO()
    stats.stream = stream
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    busy_text = "unknown" if busy is None else f"{busy:.0%}"
    print(f"numpy-mlp, {args.workload}, {len(X)} samples: one epoch under cProfile took {wall:.3f} s "
          f"(other processes used {busy_text} of the CPU meanwhile)")
    print(stream.getvalue())

    n_steps = min(len(X) // workload.batch_size, 300)
    runner = fresh_runner()
    phases = phase_times(runner, n_steps)
    total = sum(phases.values())
    gemm = measure_gemm(workload)
    print(f"Per full batch of {workload.batch_size}, median of {n_steps} steps "
          f"(sum {total * 1e6:.0f} us; epoch of {-(-len(X) // workload.batch_size)} steps "
          f"~ {total * -(-len(X) // workload.batch_size):.3f} s):")
    for name, seconds in phases.items():
        print(f"  {name:<15} {seconds * 1e6:8.0f} us  {seconds / total:5.1%}")
    print(f"  GEMMs alone     {gemm['seconds_per_batch'] * 1e6:8.0f} us  (NumPy matmul on the same shapes, "
          f"{gemm['gflops']:.0f} GFLOP/s): {gemm['seconds_per_batch'] / total:.0%} of the step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
