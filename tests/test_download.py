"""download_file against real HTTP servers on 127.0.0.1: good, corrupt, interrupted, stalled, mirrors."""

import hashlib
import time

import numpy as np
import pytest
from helpers import QuietHandler, refused_url, serve, without_proxy

from numpy_mlp.datasets.download import ChecksumError, DownloadError, download_file, sha256_file


class InterruptedHandler(QuietHandler):
    """Announces the whole file in Content-Length, sends 1000 bytes, then closes the connection."""

    def copyfile(self, source, outputfile):
        outputfile.write(source.read(1000))


class StallingHandler(QuietHandler):
    """Sends 1000 bytes, then goes silent for longer than the client's timeout."""

    def copyfile(self, source, outputfile):
        outputfile.write(source.read(1000))
        outputfile.flush()
        time.sleep(1.0)


class SlowHandler(QuietHandler):
    """Answers every GET with ``respond()``, giving up on its own after ``LIMIT_SECONDS``."""

    LIMIT_SECONDS = 5.0

    def do_GET(self):
        self.stop_at = time.monotonic() + self.LIMIT_SECONDS
        try:
            self.respond()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def send(self, data: bytes, pause: float = 0.0) -> bool:
        """Write ``data`` then wait ``pause`` s; False once the time limit has passed."""
        self.wfile.write(data)
        self.wfile.flush()
        time.sleep(pause)
        return time.monotonic() < self.stop_at


class TricklingHandler(SlowHandler):
    """Announces 200,000 bytes, then sends one byte every 0.05 s: each read gets something in time."""

    def respond(self):
        self.send_response(200)
        self.send_header("Content-Length", "200000")
        self.end_headers()
        for _ in range(200):
            if not self.send(b"x", pause=0.05):
                return


class TricklingHeadersHandler(SlowHandler):
    """Sends even the status line and headers one byte every 0.05 s."""

    def respond(self):
        for byte in b"HTTP/1.0 200 OK\r\nContent-Length: 200000\r\nX-Padding: " + b"p" * 200:
            if not self.send(bytes([byte]), pause=0.05):
                return


class EndlessHandler(SlowHandler):
    """Sends 64 kB blocks without announcing a length, until the client hangs up (or 5 s pass)."""

    def respond(self):
        self.send_response(200)
        self.end_headers()
        block = bytes(1 << 16)
        while self.send(block):
            pass


class HugeLengthHandler(SlowHandler):
    """Announces 10**12 bytes, then sends them slowly: a client that reads would wait."""

    def respond(self):
        self.send_response(200)
        self.send_header("Content-Length", str(10**12))
        self.end_headers()
        while self.send(bytes(10), pause=0.1):
            pass


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    without_proxy(monkeypatch)


@pytest.fixture
def mirror(tmp_path):
    """A folder holding 'payload.bin' (200 kB of random bytes) and that payload's SHA-256."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    payload = np.random.default_rng(0).bytes(200_000)
    (folder / "payload.bin").write_bytes(payload)
    return folder, hashlib.sha256(payload).hexdigest()


@pytest.fixture
def target(tmp_path):
    folder = tmp_path / "target"
    folder.mkdir()
    return folder


def test_a_good_download_is_verified_and_moved_into_place(mirror, target):
    folder, digest = mirror
    reports = []
    with serve(folder) as url:
        download_file([url + "payload.bin"], target / "payload.bin", digest,
                      progress=lambda *report: reports.append(report))
    assert [path.name for path in target.iterdir()] == ["payload.bin"]
    assert sha256_file(target / "payload.bin") == digest
    assert (target / "payload.bin").read_bytes() == (folder / "payload.bin").read_bytes()
    done = [report[1] for report in reports]
    assert done == sorted(done) and done[-1] == 200_000
    assert all(report[0] == "payload.bin" and report[2] == 200_000 for report in reports)


def test_a_corrupt_file_is_rejected_and_leaves_nothing(mirror, target):
    folder, digest = mirror
    corrupt = bytearray((folder / "payload.bin").read_bytes())
    corrupt[123_456] ^= 0x01
    (folder / "payload.bin").write_bytes(bytes(corrupt))
    with serve(folder) as url, pytest.raises(DownloadError) as raised:
        download_file([url + "payload.bin"], target / "payload.bin", digest)
    message = str(raised.value)
    assert digest in message and hashlib.sha256(corrupt).hexdigest() in message
    assert list(target.iterdir()) == []


def test_a_corrupt_download_does_not_replace_an_existing_file(mirror, target):
    folder, digest = mirror
    (target / "payload.bin").write_bytes(b"previous content")
    with serve(folder) as url, pytest.raises(DownloadError):
        download_file([url + "payload.bin"], target / "payload.bin", "0" * 64)
    assert (target / "payload.bin").read_bytes() == b"previous content"
    assert [path.name for path in target.iterdir()] == ["payload.bin"]


def test_an_interrupted_transfer_leaves_no_file(mirror, target):
    folder, digest = mirror
    with serve(folder, InterruptedHandler) as url, pytest.raises(DownloadError, match="1000 of 200000"):
        download_file([url + "payload.bin"], target / "payload.bin", digest)
    assert list(target.iterdir()) == []


def test_a_stalled_transfer_times_out_and_leaves_no_file(mirror, target):
    folder, digest = mirror
    start = time.perf_counter()
    with serve(folder, StallingHandler) as url, pytest.raises(DownloadError, match="timed out"):
        download_file([url + "payload.bin"], target / "payload.bin", digest, timeout=0.2)
    assert time.perf_counter() - start < 5
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("handler", [TricklingHandler, TricklingHeadersHandler], ids=["body", "headers"])
def test_a_trickling_server_is_stopped_at_the_deadline(mirror, target, handler):
    folder, digest = mirror
    start = time.perf_counter()
    with serve(folder, handler) as url, pytest.raises(DownloadError, match=r"longer than its 0.5 s deadline"):
        download_file([url + "payload.bin"], target / "payload.bin", digest, timeout=2.0, deadline=0.5)
    assert time.perf_counter() - start < 2.0  # the deadline, not the 10 s the server would take
    assert list(target.iterdir()) == []


def test_an_endless_body_is_cut_off_at_the_size_cap(mirror, target):
    folder, digest = mirror
    with serve(folder, EndlessHandler) as url, \
            pytest.raises(DownloadError, match="sent more than the 200000 bytes expected"):
        download_file([url + "payload.bin"], target / "payload.bin", digest, timeout=2.0, max_bytes=200_000)
    assert list(target.iterdir()) == []


def test_a_content_length_above_the_cap_is_refused_before_reading(mirror, target):
    folder, digest = mirror
    reports = []
    start = time.perf_counter()
    with serve(folder, HugeLengthHandler) as url, \
            pytest.raises(DownloadError, match="announces 1000000000000 bytes, more than the 200000 expected"):
        download_file([url + "payload.bin"], target / "payload.bin", digest, timeout=2.0, max_bytes=200_000,
                      progress=lambda *report: reports.append(report))
    assert reports == [] and time.perf_counter() - start < 1.5
    assert list(target.iterdir()) == []


def test_a_file_of_exactly_the_cap_downloads_within_its_deadline(mirror, target):
    folder, digest = mirror
    with serve(folder) as url:
        download_file([url + "payload.bin"], target / "payload.bin", digest, max_bytes=200_000, deadline=5.0)
    assert sha256_file(target / "payload.bin") == digest


@pytest.mark.parametrize("first_failure", ["404", "refused", "corrupt", "interrupted"])
def test_the_next_mirror_is_used_when_the_first_fails(mirror, target, tmp_path, first_failure):
    folder, digest = mirror
    bad_folder = tmp_path / "bad-mirror"
    bad_folder.mkdir()
    if first_failure == "corrupt":
        (bad_folder / "payload.bin").write_bytes(b"not the payload")
    handler = InterruptedHandler if first_failure == "interrupted" else QuietHandler
    source = folder if first_failure == "interrupted" else bad_folder
    with serve(source, handler) as bad_url, serve(folder) as good_url:
        first = refused_url() if first_failure == "refused" else bad_url
        download_file([first + "payload.bin", good_url + "payload.bin"], target / "payload.bin", digest)
    assert sha256_file(target / "payload.bin") == digest
    assert [path.name for path in target.iterdir()] == ["payload.bin"]


def test_every_failed_mirror_is_named_in_the_error(mirror, target, tmp_path):
    _, digest = mirror
    empty = tmp_path / "empty"
    empty.mkdir()
    closed = refused_url()
    with serve(empty) as url, pytest.raises(DownloadError) as raised:
        download_file([closed + "payload.bin", url + "payload.bin"], target / "payload.bin", digest)
    message = str(raised.value)
    assert closed + "payload.bin" in message and "refused" in message.lower()
    assert url + "payload.bin" in message and "404" in message
    assert list(target.iterdir()) == []


def test_sha256_file_and_checksum_error_types(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    # The FIPS 180-2 test vector for "abc".
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert issubclass(ChecksumError, ValueError) and issubclass(DownloadError, OSError)
