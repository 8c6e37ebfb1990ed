"""NumPy's float32 GEMM rate on a workload's own shapes, and the BLAS behind it.

Run by bench/run.py in a child process with the workers' environment (so that
OPENBLAS_CORETYPE and thread settings are the ones numpy-mlp sees):

    python bench/gemm_rate.py --workload mnist-shaped --workload small-binary --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker import busy_cpu_seconds, contention, own_cpu_seconds  # noqa: E402
from workloads import WORKLOADS, Workload, flops_per_sample  # noqa: E402


def batch_products(workload: Workload, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(a, b, out) for every matrix product of one full batch's training step, laid out as a trainer has them.

    Per layer: forward x @ W, weight gradient x^T @ dz (a transposed view: BLAS reads it as is),
    and, for every layer but the first, input gradient dz @ W^T.
    """
    batch = workload.batch_size
    sizes = workload.layer_sizes
    products = []
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        inputs = rng.random((batch, n_in), dtype=np.float32)
        weights = rng.standard_normal((n_in, n_out), dtype=np.float32)
        grad_outputs = rng.standard_normal((batch, n_out), dtype=np.float32)
        products.append((inputs, weights, np.empty((batch, n_out), np.float32)))
        products.append((inputs.T, grad_outputs, np.empty((n_in, n_out), np.float32)))
        if index > 0:
            products.append((grad_outputs, weights.T, np.empty((batch, n_in), np.float32)))
    return products


def measure(workload: Workload, seconds: float = 0.6, repeats: int = 15) -> dict:
    """Median seconds for one batch's products, and the rate: FLOPs per batch / that time."""
    products = batch_products(workload, np.random.default_rng(0))

    def one_batch():
        for a, b, out in products:
            np.matmul(a, b, out=out)

    for _ in range(20):  # wake the BLAS threads, fault the pages in
        one_batch()
    start = time.perf_counter()
    probe = 0
    while time.perf_counter() - start < 0.05:
        one_batch()
        probe += 1
    per_batch_guess = (time.perf_counter() - start) / probe
    inner = max(1, int(seconds / repeats / per_batch_guess))
    times = []
    busy, own, began = busy_cpu_seconds(), own_cpu_seconds(), time.perf_counter()
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            one_batch()
        times.append((time.perf_counter() - start) / inner)
    seconds_per_batch = statistics.median(times)
    flops = flops_per_sample(workload) * workload.batch_size
    return {"workload": workload.name, "flops_per_batch": flops, "seconds_per_batch": seconds_per_batch,
            "gflops": flops / seconds_per_batch / 1e9, "n_products": len(products),
            "contention": contention(busy, own, time.perf_counter() - began)}


def blas_info() -> list[dict]:
    """threadpoolctl's view of the BLAS and OpenMP libraries loaded (empty if threadpoolctl is missing)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return threadpool_info()


def blas_threads() -> dict | None:
    """Threads of each BLAS/OpenMP library loaded, by library (None without threadpoolctl)."""
    info = blas_info()
    return {entry["internal_api"]: entry["num_threads"] for entry in info} if info else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS), required=True)
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout")
    args = parser.parse_args(argv)
    results = {"numpy": np.__version__, "blas": blas_info(),
               "env": {key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                         "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
                       if key in os.environ},
               "rates": [measure(WORKLOADS[name]) for name in args.workload]}
    if args.json:
        print("BENCH_RESULT " + json.dumps(results))
    else:
        for rate in results["rates"]:
            print(f"{rate['workload']}: {rate['gflops']:.1f} GFLOP/s "
                  f"({rate['seconds_per_batch'] * 1e6:.1f} us per batch of products)")
        for library in results["blas"]:
            print(library)
    return 0


if __name__ == "__main__":
    sys.exit(main())

