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
