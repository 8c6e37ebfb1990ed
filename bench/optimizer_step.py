"""What Adam's step costs on the mnist-shaped network, written the ways one could write it.

    python bench/optimizer_step.py [--epoch] [--repeats 7]

The mnist-shaped epoch (docs/performance.md) spends about as long in Adam's element-wise
update of the 235,146 parameters as in all its matrix products. This script measures one
step of that update, alone and right after a matrix product (as in training, where
OpenBLAS's threads are still awake from the backward pass):

- numpy-mlp: ``Adam.step()``, twelve NumPy passes over the one flat array of parameters
  (``MLP.parameters()`` hands the optimizer a ``FlatParameters``);
- the same twelve passes in 64 Ki-element blocks (numpy-mlp 0.1's layout: each block's five
  arrays, 1.25 MiB in float32, were meant to stay in a 2 MiB L2 cache between passes), split
  between two Python threads, and once per parameter array (a plain list of pairs);
- numba: one compiled loop doing the whole update per element, serial and ``parallel=True``;
- numexpr: the three equations as three fused expressions.

numba and numexpr are not dependencies of numpy-mlp; each is skipped with a note when missing
(bench/requirements.txt lists them). With ``--epoch`` it also times whole mnist-shaped epochs
with Adam's update swapped for the serial numba loop, next to numpy-mlp's own: the gain a
compiled optimizer would bring, measured rather than estimated.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gemm_rate import measure as measure_gemm  # noqa: E402
from workloads import SEED, WORKLOADS, make_data  # noqa: E402

from numpy_mlp import MLP  # noqa: E402
from numpy_mlp.optimizers import Adam  # noqa: E402

WORKLOAD = WORKLOADS["mnist-shaped"]
#: elements per block of the blocked variant (numpy-mlp 0.1 updated its flat array this way)
BLOCK = 1 << 16


def adam_passes(value, gradient, m, v, scratch, b1, b2, step_size, eps_hat):
    """Adam.update's twelve NumPy passes, on any slice of the flat arrays (b1, b2: beta1, beta2)."""
    m *= b1
    np.multiply(gradient, 1 - b1, out=scratch)
    m += scratch
    v *= b2
    np.square(gradient, out=scratch)
    scratch *= 1 - b2
    v += scratch
    np.sqrt(v, out=scratch)
    scratch += eps_hat
    np.divide(m, scratch, out=scratch)
    scratch *= step_size
    value -= scratch


class TwoThreads:
    """Runs a function on half the blocks in a second thread while this one does the other half."""

    def __init__(self):
        self.go, self.done, self.job = threading.Event(), threading.Event(), None
        threading.Thread(target=self._work, daemon=True).start()

    def _work(self):
        while True:
            self.go.wait()
            self.go.clear()
            self.job()
            self.done.set()

    def run(self, here, there):
        self.job = there
        self.go.set()
        here()
        self.done.wait()
        self.done.clear()


def variants(model: MLP, optimizer: Adam) -> dict:
    """name -> a function doing one Adam step on the model's parameters (or a note why not)."""
    flat = model.parameters()
    value, gradient = flat.values, flat.gradients
    m, v, scratch = (np.full_like(value, 1e-3) for _ in range(3))
    b1, b2, eps = optimizer.beta1, optimizer.beta2, optimizer.eps
    step_size, eps_hat = 1e-3 * math.sqrt(1 - b2) / (1 - b1), eps * math.sqrt(1 - b2)
    arrays = (value, gradient, m, v, scratch)
    blocks = [tuple(array[start:start + BLOCK] for array in arrays) for start in range(0, value.size, BLOCK)]
    per_parameter = list(zip(*(flat.split(array) for array in arrays)))
    half = len(blocks) // 2
    threads = TwoThreads()

    def run_blocks(chosen):
        for block in chosen:
            adam_passes(*block, b1, b2, step_size, eps_hat)

    found = {"numpy-mlp Adam.step() (12 passes over the flat array)": optimizer.step,
             f"12 passes in {BLOCK // 1024} Ki blocks": lambda: run_blocks(blocks),
             f"12 passes per parameter array ({len(per_parameter)} arrays)": lambda: run_blocks(per_parameter),
             "12 passes, 2 Python threads": lambda: threads.run(lambda: run_blocks(blocks[:half]),
                                                                lambda: run_blocks(blocks[half:]))}
    kernels = numba_kernels()
    if isinstance(kernels, str):
        found["numba"] = kernels
    else:
        scalars = tuple(value.dtype.type(x) for x in (b1, b2, step_size, eps_hat))
        for name, kernel in kernels.items():
            kernel(value, gradient, m, v, *scalars)  # compile outside the timing
            found[name] = lambda kernel=kernel: kernel(value, gradient, m, v, *scalars)
    try:
        import numexpr
    except ImportError:
        found["numexpr"] = "numexpr is not installed (pip install numexpr)"
    else:
        names = {"g": gradient, "m": m, "v": v, "w": value, "b1": value.dtype.type(b1),
                 "b2": value.dtype.type(b2), "step": value.dtype.type(step_size), "eps": value.dtype.type(eps_hat)}

        def numexpr_step():
            numexpr.evaluate("b1 * m + (1 - b1) * g", local_dict=names, out=m, casting="same_kind")
            numexpr.evaluate("b2 * v + (1 - b2) * g * g", local_dict=names, out=v, casting="same_kind")
            numexpr.evaluate("w - step * m / (sqrt(v) + eps)", local_dict=names, out=value, casting="same_kind")
        found[f"numexpr, 3 expressions ({numexpr.get_num_threads()} threads)"] = numexpr_step
    return found


def numba_kernels():
    """The whole update as one loop per element, compiled serial and parallel; or why not."""
    try:
        import numba
    except ImportError:
        return "numba is not installed (pip install numba)"

    def adam_loop(w, g, m, v, b1, b2, step_size, eps_hat):
        for i in numba.prange(w.size):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            w[i] -= step_size * m[i] / (math.sqrt(v[i]) + eps_hat)

    # error_model="numpy": no ZeroDivisionError check, which would keep the loop from vectorising.
    return {"numba, 1 compiled pass, serial": numba.njit(error_model="numpy")(adam_loop),
            "numba, 1 compiled pass, parallel=True": numba.njit(parallel=True)(adam_loop)}


def time_step(step, product, repeats: int, steps: int = 300) -> tuple[float, float]:
    """Median microseconds of one step, alone and right after a matrix product."""
    alone, after = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        alone.append((time.perf_counter() - start) / steps)
        product()
        start = time.perf_counter()
        for _ in range(steps):
            product()
        product_only = (time.perf_counter() - start) / steps
        start = time.perf_counter()
        for _ in range(steps):
            product()
            step()
        after.append((time.perf_counter() - start) / steps - product_only)
    return statistics.median(alone) * 1e6, statistics.median(after) * 1e6


def time_epochs(X, y, repeats: int) -> dict:
    """Median seconds of one mnist-shaped epoch: numpy-mlp as it is, and with numba's serial Adam."""
    kernels = numba_kernels()
    results = {}
    original = Adam.update
    choices = {"numpy-mlp": original}
    if not isinstance(kernels, str):
        kernel = kernels["numba, 1 compiled pass, serial"]

        def compiled_update(self, value, gradient, state, scratch, learning_rate):
            t, dtype = self.step_count, value.dtype.type
            correction2 = math.sqrt(1 - self.beta2 ** t)
            kernel(value.reshape(-1), gradient.reshape(-1), state["m"].reshape(-1), state["v"].reshape(-1),
                   dtype(self.beta1), dtype(self.beta2), dtype(learning_rate * correction2 / (1 - self.beta1 ** t)),
                   dtype(self.eps * correction2))
        choices["numpy-mlp with numba's Adam"] = compiled_update
    try:
        for name, update in choices.items():
            Adam.update = update
            model = MLP(WORKLOAD.n_features, [*WORKLOAD.hidden, WORKLOAD.n_outputs], output="softmax", seed=SEED)
            optimizer = Adam(learning_rate=WORKLOAD.learning_rate)
            model.fit(X[:512], y[:512], epochs=1, batch_size=WORKLOAD.batch_size, optimizer=optimizer, verbose=0)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                model.fit(X, y, epochs=1, batch_size=WORKLOAD.batch_size, optimizer=optimizer, verbose=0)
                times.append(time.perf_counter() - start)
            results[name] = statistics.median(times)
    finally:
        Adam.update = original
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="medians over this many repeats (default 7)")
    parser.add_argument("--epoch", action="store_true", help="also time whole epochs with a compiled Adam")
    args = parser.parse_args(argv)

    model = MLP(WORKLOAD.n_features, [*WORKLOAD.hidden, WORKLOAD.n_outputs], output="softmax", seed=SEED)
    optimizer = Adam(model.parameters(), learning_rate=WORKLOAD.learning_rate)
    rng = np.random.default_rng(SEED)
    for _, gradient in model.parameters():
        gradient[...] = rng.normal(scale=1e-2, size=gradient.shape)
    optimizer.step()
    inputs = rng.random((WORKLOAD.batch_size, WORKLOAD.n_features), dtype=np.float32)
    weights = model.dense_layers[0].weights

    def product():
        return inputs @ weights

    steps_per_epoch = math.ceil(WORKLOAD.n_samples / WORKLOAD.batch_size)
    bound = measure_gemm(WORKLOAD)["seconds_per_batch"] * steps_per_epoch
    n_parameters = sum(value.size for value, _ in model.parameters())
    print(f"Adam on the mnist-shaped network: {n_parameters:,} float32 parameters, {steps_per_epoch} steps "
          f"an epoch; the epoch's GEMM lower bound here is {bound:.3f} s.\n")
    print("| Adam step written as | us per step | after a GEMM | s per epoch (after a GEMM) | x GEMM bound |")
    print("|---|---:|---:|---:|---:|")
    for name, step in variants(model, optimizer).items():
        if isinstance(step, str):
            print(f"| {name} | skipped: {step} | | | |")
            continue
        alone, after = time_step(step, product, args.repeats)
        epoch = after * 1e-6 * steps_per_epoch
        print(f"| {name} | {alone:.0f} | {after:.0f} | {epoch:.3f} | {epoch / bound:.2f} |")
    if args.epoch:
        X, y = make_data(WORKLOAD, WORKLOAD.n_samples, SEED)
        print("\n| whole mnist-shaped epoch | median s | x GEMM bound |\n|---|---:|---:|")
        for name, seconds in time_epochs(X, y, args.repeats).items():
            print(f"| {name} | {seconds:.3f} | {seconds / bound:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
