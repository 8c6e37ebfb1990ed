"""Verified downloads: a file reaches its final name only once its SHA-256 digest matches.

The bytes stream into a temporary file beside the target while being hashed; a wrong
digest, a short transfer, a timeout or an interrupt removes the temporary file, and a
verified file is renamed into place (``files.atomic_write``). Mirrors are tried
in turn until one delivers the right bytes.

Each transfer is bounded in time and size, whatever the server does: ``timeout`` bounds the
wait for any one read, ``deadline`` the whole transfer (connection, headers and body; a
watchdog shuts the connection down when it passes, so a server that trickles a byte at a
time cannot hold it open), and ``max_bytes`` its size (a larger Content-Length is refused
before the body is read, and a body that goes on is cut off there).
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import socket
import threading
import time
import urllib.request

from ..files import atomic_write

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 16
USER_AGENT = "numpy-mlp (Python urllib)"


class DownloadError(OSError):
    """No mirror delivered the file (or the transfer broke off)."""


class ChecksumError(ValueError):
    """A file whose SHA-256 digest is not the expected one (corrupt, truncated or another file)."""


def sha256_file(path) -> str:
    """The hexadecimal SHA-256 digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(urls, destination, sha256: str, timeout: float = 30.0, progress=None,
                  max_bytes: int | None = None, deadline: float = 600.0) -> None:
    """Fetch ``destination`` from the first of ``urls`` that delivers bytes with digest ``sha256``.

    ``timeout``: seconds any one read may wait; ``deadline``: seconds one URL's whole transfer
    may take; ``max_bytes``: the most bytes accepted from a URL (None: no limit).
    ``progress(name, bytes_done, bytes_total)`` is called as the bytes arrive (``bytes_total``
    is None when the server does not say). Raises DownloadError naming every URL tried and
    why it failed; the destination is then left as it was and no temporary file remains.
    """
    name = os.path.basename(destination)
    failures = []
    for url in urls:
        logger.info("downloading %s from %s", name, url)
        watchdog = _Watchdog(deadline)
        try:
            with _opener(watchdog).open(_request(url), timeout=timeout) as response:
                _check_announced_size(response, max_bytes)
                atomic_write(destination, lambda file: _copy_verified(
                    response, file, url, sha256, progress, name, max_bytes, watchdog))
            return
        except (OSError, http.client.HTTPException, ChecksumError) as error:
            # URLError, HTTPError, refused connections and timeouts are all OSError.
            reason = watchdog.error() if watchdog.expired else error
            logger.info("download of %s failed: %s", url, reason)
            failures.append(f"  {url}: {reason}")
        finally:
            watchdog.cancel()
    raise DownloadError(f"could not download {name}; tried:\n" + "\n".join(failures))


def _request(url: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"User-Agent": USER_AGENT})


def _check_announced_size(response, max_bytes: int | None) -> None:
    """Refuse a response whose Content-Length exceeds ``max_bytes``, before reading its body."""
    length = response.headers.get("Content-Length")
    if max_bytes is not None and length and length.isdigit() and int(length) > max_bytes:
        raise DownloadError(f"the server announces {int(length)} bytes, more than the {max_bytes} "
                            f"expected; refused without reading them")


def _copy_verified(response, file, url: str, sha256: str, progress, name: str,
                   max_bytes: int | None, watchdog: _Watchdog) -> None:
    """Copy ``response`` into ``file`` while hashing; raise unless it is complete, in time, in size and right."""
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    digest, done = hashlib.sha256(), 0
    # read1: whatever has arrived, so that the deadline is checked as bytes trickle in. Asking
    # for one byte more than max_bytes reveals a body that goes on.
    while chunk := response.read1(CHUNK_BYTES if max_bytes is None else min(CHUNK_BYTES, max_bytes + 1 - done)):
        watchdog.check(done + len(chunk))
        if max_bytes is not None and done + len(chunk) > max_bytes:
            raise DownloadError(f"the server sent more than the {max_bytes} bytes expected; stopped there")
        file.write(chunk)
        digest.update(chunk)
        done += len(chunk)
        if progress is not None:
            progress(name, done, total)
    if total is not None and done != total:
        raise DownloadError(f"transfer interrupted after {done} of {total} bytes")
    if digest.hexdigest() != sha256:
        raise ChecksumError(f"{url} sent a file with SHA-256 {digest.hexdigest()}, expected {sha256}")


class _Watchdog:
    """Ends one transfer at its deadline: shuts down its sockets, so that a blocked read returns."""

    def __init__(self, seconds: float):
        self.seconds, self.end = seconds, time.monotonic() + seconds
        self.expired, self.received = False, 0
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True
        self.timer.start()

    def watch(self, connection_socket: socket.socket) -> None:
        with self.lock:
            self.sockets.append(connection_socket)
        if self.expired:
            self.expire()

    def expire(self) -> None:
        self.expired = True
        with self.lock:
            for connection_socket in self.sockets:
                try:
                    connection_socket.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed already

    def check(self, received: int) -> None:
        """Raise DownloadError if the deadline has passed (``received``: the bytes so far, for the message)."""
        self.received = received
        if self.expired or time.monotonic() > self.end:
            self.expired = True
            raise self.error()

    def error(self) -> DownloadError:
        return DownloadError(f"the transfer took longer than its {self.seconds:g} s deadline "
                             f"({self.received} bytes received); stopped there")

    def cancel(self) -> None:
        self.timer.cancel()


class _WatchedConnection:
    """Mixin for http.client connections: once connected, the socket is handed to a _Watchdog."""

    def __init__(self, *args, watchdog: _Watchdog, **options):
        super().__init__(*args, **options)
        self.watchdog = watchdog

    def connect(self):
        super().connect()
        self.watchdog.watch(self.sock)


class _HTTPConnection(_WatchedConnection, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, http.client.HTTPSConnection):
    pass


WATCHED_CONNECTIONS = {http.client.HTTPConnection: _HTTPConnection, http.client.HTTPSConnection: _HTTPSConnection}


class _WatchedHandler:
    """Mixin for urllib's HTTP(S) handlers: their connections report to ``self.watchdog``."""

    watchdog: _Watchdog

    def do_open(self, http_class, request, **options):
        return super().do_open(WATCHED_CONNECTIONS[http_class], request, watchdog=self.watchdog, **options)


class _HTTPHandler(_WatchedHandler, urllib.request.HTTPHandler):
    pass


class _HTTPSHandler(_WatchedHandler, urllib.request.HTTPSHandler):
    pass


def _opener(watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    """urllib's default opener (proxies, redirects), with connections watched by ``watchdog``."""
    handlers = [_HTTPHandler(), _HTTPSHandler()]
    for handler in handlers:
        handler.watchdog = watchdog
    return urllib.request.build_opener(*handlers)
