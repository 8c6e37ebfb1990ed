"""Shared test helpers: gradient assertions (on the library's own finite-difference checker),
small datasets, MNIST's folder, and a local HTTP server."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import struct
import threading
import tracemalloc
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from numpy_mlp.datasets import make_moons, make_xor  # noqa: F401  (the tests' small datasets)
from numpy_mlp.gradient_check import numerical_gradient, relative_error  # noqa: F401  (the tests use them)

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


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


def open_image(path, image_format: str, size: tuple[int, int]):
    """The PIL image at ``path``, after checking its format ("PNG", "GIF") and its (width, height)."""
    from PIL import Image  # pillow comes with matplotlib

    image = Image.open(path)
    assert image.format == image_format, f"{path} is {image.format}, not {image_format}"
    assert image.size == size, f"{path} is {image.size[0]}x{image.size[1]} pixels, not {size[0]}x{size[1]}"
    image.load()  # decodes the pixels: a truncated file fails here
    return image


def idx_header(type_code: int, shape) -> bytes:
    """An IDX header: two zero bytes, the type code, the number of dimensions, then each size as a big-endian uint32."""
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


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


def onnx_outputs(model, X: np.ndarray) -> dict[str, np.ndarray]:
    """onnxruntime's outputs, by name, for the ONNX ``model`` (a ModelProto or a file's path) on X."""
    import onnxruntime

    source = model if isinstance(model, (str, os.PathLike)) else model.SerializeToString()
    session = onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {session.get_inputs()[0].name: X})))


def assert_one_line_error(capsys, *fragments) -> None:
    """The CLI's error convention: one line on standard error, no traceback, naming ``fragments``."""
    err = capsys.readouterr().err
    assert err.startswith("numpy-mlp: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
