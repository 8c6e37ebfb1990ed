"""How long ``load_mnist`` and ``read_idx`` take on the four MNIST files (gzip, and decompressed).

    python bench/load_mnist.py --data-dir DIR [--repeats 7]

Prints the median and the fastest of ``--repeats`` runs of: ``load_mnist(data_dir=DIR,
download=False)`` (SHA-256 checks, gzip, scaling to float32), ``read_idx`` on the training
images as shipped (gzip), and ``read_idx`` on a decompressed copy of them (written to a
temporary folder first, so that the plain-file path is measured too).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from numpy_mlp.datasets import load_mnist, read_idx

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"


def timings(call, repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``call()``, after one warm-up call."""
    call()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path, help="folder holding the four MNIST .gz files")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / TRAIN_IMAGES.removesuffix(".gz")
        with gzip.open(args.data_dir / TRAIN_IMAGES, "rb") as source, open(plain, "wb") as target:
            shutil.copyfileobj(source, target)
        cases = {
            "load_mnist (4 files, gzip)": lambda: load_mnist(data_dir=args.data_dir, download=False),
            "read_idx train images (gzip)": lambda: read_idx(args.data_dir / TRAIN_IMAGES),
            "read_idx train images (plain)": lambda: read_idx(plain),
        }
        for name, call in cases.items():
            seconds = timings(call, args.repeats)
            print(f"{name:32} median {statistics.median(seconds) * 1e3:7.1f} ms   "
                  f"fastest {min(seconds) * 1e3:7.1f} ms   ({args.repeats} runs)")


if __name__ == "__main__":
    main()
