"""Shared test helpers: the finite-difference gradient checker, small datasets, MNIST's folder,
and a local HTTP server."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import threading
import tracemalloc
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from numpy_mlp.datasets import make_moons, make_xor  # noqa: F401  (the tests' small datasets)

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(a + eps) - f(a - eps)) / (2 eps) for every element of ``array``.

    ``f`` takes no argument and reads ``array``, which is perturbed in place and restored.
    """
    grad = np.zeros_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus = f()
        array[index] = original - eps
        minus = f()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a - n| / max(|a| + |n|) over the whole array: scale-free, 0 for identical arrays.

    Normalised by the array's largest gradient, not element by element: central differences
    carry an absolute rounding error (~1e-16 |L| / eps), so an element whose true gradient is
    ~1e-10 (a unit barely used) cannot be matched to 1e-6 of itself by any float64 check.
    """
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(float(np.max(np.abs(analytic) + np.abs(numeric))), 1e-12)
    return float(np.max(np.abs(analytic - numeric))) / scale


def assert_gradients_match(analytic, numeric, tolerance: float = 1e-6) -> None:
    error = relative_error(analytic, numeric)
    assert error < tolerance, f"relative error {error:.3g} >= {tolerance:g}"


def assert_loss_gradient_matches(loss, logits: np.ndarray, targets: np.ndarray, weights=None) -> None:
    """A loss's ``backward`` (dL/dlogits) against central differences of its ``forward``
    (weighted by ``weights`` when given)."""
    loss.forward(logits, targets, weights)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(logits, targets, weights), logits)
    assert_gradients_match(analytic, numeric)


@contextlib.contextmanager
def strict_floating_point():
    """NumPy overflow, division by zero and invalid operations raise, and so does any warning.

    Underflow stays allowed: e^-10000 becoming 0 is the correctly rounded answer, not an error.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


def peak_allocation(call) -> int:
    """The peak of memory that ``call()`` allocates, in bytes (tracemalloc); its exceptions propagate."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def require_mnist() -> Path:
    """The shared MNIST folder; a test needing it fails under CI=true when it is missing, else skips."""
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    if all((MNIST_DIR / name).is_file() for name in names):
        return MNIST_DIR
    message = f"MNIST files not found in {MNIST_DIR}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the shared data must be there)")
    pytest.skip(message)


# -- a local HTTP server for the downloader's tests ---------------------------------------------

class QuietHandler(SimpleHTTPRequestHandler):
    """Serves a folder without logging each request to standard error."""

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(directory, handler=QuietHandler):
    """An HTTP server on 127.0.0.1 (a free port) serving ``directory``; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def refused_url() -> str:
    """A URL on a port that was free a moment ago, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def without_proxy(monkeypatch) -> None:
    """A proxy set in the environment must not intercept requests to 127.0.0.1."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
