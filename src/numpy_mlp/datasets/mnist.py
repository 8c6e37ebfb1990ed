"""MNIST: the four original IDX files, found or downloaded, verified by SHA-256, as arrays.

Search order for each file: ``data_dir``, then ``$NUMPY_MLP_DATA``, then the user cache
(``$XDG_CACHE_HOME/numpy-mlp/mnist``, by default ``~/.cache/numpy-mlp/mnist``, on macOS
``~/Library/Caches/numpy-mlp/mnist``; on Windows ``%LOCALAPPDATA%\\numpy-mlp\\mnist``).
Missing files are downloaded into the first of those folders that is writable, from the
first mirror that serves the right bytes.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import numpy as np

from ..validation import check_dtype
from .download import ChecksumError, DownloadError, download_file, sha256_file
from .idx import read_idx

logger = logging.getLogger(__name__)

ENV_VAR = "NUMPY_MLP_DATA"

SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# Their sizes in bytes: a download is refused beyond them (a server announcing more, or sending on).
SIZES = {
    "train-images-idx3-ubyte.gz": 9_912_422,
    "train-labels-idx1-ubyte.gz": 28_881,
    "t10k-images-idx3-ubyte.gz": 1_648_877,
    "t10k-labels-idx1-ubyte.gz": 4_542,
}

# The mirrors torchvision and TensorFlow use; LeCun's original page is the last resort.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


def cache_dir() -> Path:
    """The user cache folder for MNIST (see the module docstring)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif os.environ.get("XDG_CACHE_HOME"):
        base = os.environ["XDG_CACHE_HOME"]
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path.home() / ".cache"
    return Path(base) / "numpy-mlp" / "mnist"


def search_folders(data_dir=None) -> list[tuple[str, Path]]:
    """(description, folder) pairs in search order: data_dir, $NUMPY_MLP_DATA, the user cache."""
    folders = []
    if data_dir is not None:
        folders.append(("data_dir", Path(data_dir).expanduser()))
    if os.environ.get(ENV_VAR):
        folders.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR]).expanduser()))
    folders.append(("user cache", cache_dir()))
    return folders


def fetch_mnist(data_dir=None, download: bool = True, mirrors=None, progress=None,
                timeout: float = 30.0) -> dict[str, Path]:
    """The paths of the four verified MNIST files, keyed by file name, downloading missing ones.

    A file found is checked against its SHA-256 digest and refused (ChecksumError) if it
    differs. ``mirrors`` (base URLs ending in '/') replaces ``MIRRORS``; ``progress`` is
    passed to ``download_file``. With ``download=False``, missing files raise
    FileNotFoundError saying where they were looked for and how to get them.
    """
    folders = search_folders(data_dir)
    paths = {name: _find(name, folders) for name in SHA256}
    for name, path in paths.items():
        if path is not None:
            _verify(path, SHA256[name])
    missing = [name for name, path in paths.items() if path is None]
    if missing and not download:
        raise FileNotFoundError(_not_found_message(missing, folders))
    if missing:
        target = _writable_folder(folders)
        for name in missing:
            paths[name] = target / name
            try:
                download_file([base + name for base in (mirrors or MIRRORS)], paths[name],
                              SHA256[name], timeout=timeout, progress=progress, max_bytes=SIZES[name])
            except DownloadError as error:
                raise DownloadError(f"{error}\nCheck the network connection, or fetch the file "
                                    f"by hand into a folder and pass it as data_dir (or set "
                                    f"${ENV_VAR}).") from None
    for name, path in paths.items():
        logger.debug("MNIST file %s: %s", name, path)
    return paths


def load_mnist(data_dir=None, download: bool = True, dtype=np.float32, normalize: bool = True,
               mirrors=None, progress=None, timeout: float = 30.0):
    """MNIST as ((X_train, y_train), (X_test, y_test)): 60,000 and 10,000 digits.

    X has shape (n, 784), one row per 28x28 image in row-major order: pixel / 255 in
    ``dtype`` (float32 or float64), so values lie in [0, 1]; with ``normalize=False`` or
    ``dtype=np.uint8``, the raw uint8 pixels 0-255. y has shape (n,), int64 digits 0-9.
    Files are found, downloaded and verified by ``fetch_mnist`` (same arguments).
    """
    raw = not normalize or np.dtype(dtype) == np.uint8
    if not raw:
        dtype = check_dtype(dtype)
    paths = fetch_mnist(data_dir, download=download, mirrors=mirrors, progress=progress,
                        timeout=timeout)

    def images(name):
        pixels = read_idx(paths[name])
        pixels = pixels.reshape(len(pixels), -1)
        if raw:
            return pixels
        scaled = pixels.astype(dtype)
        scaled /= 255  # a Python int keeps the dtype; x / 255 is correctly rounded
        return scaled

    def labels(name):
        return read_idx(paths[name]).astype(np.int64)

    return ((images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")),
            (images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")))


def _find(name: str, folders) -> Path | None:
    """The first ``folder / name`` that is a file, or None."""
    for _, folder in folders:
        if (folder / name).is_file():
            return folder / name
    return None


def _verify(path: Path, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumError(
            f"{path} is not the original MNIST file (corrupt or truncated?): its SHA-256 is "
            f"{actual}, expected {expected}. Delete it and load again to download a fresh "
            f"copy, or replace it with the original file.")


def _writable_folder(folders) -> Path:
    """The first folder that exists or can be created, and can be written to."""
    for _, folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise DownloadError("no writable folder to download MNIST into; tried: "
                        + ", ".join(f"{folder} ({label})" for label, folder in folders))


def _not_found_message(missing, folders) -> str:
    looked = [f"  {folder} ({label})" for label, folder in folders]
    if not os.environ.get(ENV_VAR):
        looked.append(f"  (${ENV_VAR} is not set)")
    return (f"MNIST files not found: {', '.join(missing)}. Looked in:\n" + "\n".join(looked)
            + f"\nTo get them: load with download=True (the default; `numpy-mlp mnist` does) to "
            f"download them into {folders[0][1]}, or download the four files from "
            f"{MIRRORS[0]} yourself and pass their folder as data_dir (--data-dir) or in "
            f"${ENV_VAR}.")
