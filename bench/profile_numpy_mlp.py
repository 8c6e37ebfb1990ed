"""Where one numpy-mlp epoch spends its time: cProfile's top functions by own time.

    python bench/profile_numpy_mlp.py [--workload mnist-shaped] [--quick] [--top 25]

NumPy's operators (``@``, ``+``, ``*``) are not function calls to cProfile: their time is the
own time ("tottime") of the Python function whose line uses them, such as ``Layer.forward``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_numpy_mlp import Runner  # noqa: E402
from workloads import SEED, WORKLOADS, make_data  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="mnist-shaped")
    parser.add_argument("--quick", action="store_true", help="the smaller dataset")
    parser.add_argument("--top", type=int, default=25, help="rows to print (default 25)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    args = parser.parse_args(argv)

    workload = WORKLOADS[args.workload]
    X, y = make_data(workload, workload.samples(args.quick))
    runner = Runner("numpy-mlp", workload, X, y, SEED, threads=2)
    runner.warm_up()
    profiler = cProfile.Profile()
    profiler.enable()
    runner.train_epoch()
    profiler.disable()

    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(f"{runner.label}, {args.workload}, {len(X)} samples, one epoch under cProfile")
    print(stream.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
