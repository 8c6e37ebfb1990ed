"""Verified downloads: a file reaches its final name only once its SHA-256 digest matches.

The bytes stream into a temporary file beside the target while being hashed; a wrong
digest, a short transfer, a timeout or an interrupt removes the temporary file, and a
verified file is renamed into place (``files.atomic_write``). Mirrors are tried
in turn until one delivers the right bytes.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
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


def download_file(urls, destination, sha256: str, timeout: float = 30.0, progress=None) -> None:
    """Fetch ``destination`` from the first of ``urls`` that delivers bytes with digest ``sha256``.

    ``progress(name, bytes_done, bytes_total)`` is called as the bytes arrive (``bytes_total``
    is None when the server does not say). Raises DownloadError naming every URL tried and
    why it failed; the destination is then left as it was and no temporary file remains.
    """
    name = os.path.basename(destination)
    failures = []
    for url in urls:
        logger.info("downloading %s from %s", name, url)
        try:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                atomic_write(destination, lambda file: _copy_verified(response, file, url, sha256,
                                                                      progress, name))
            return
        except (OSError, http.client.HTTPException, ChecksumError) as error:
            # URLError, HTTPError, refused connections and timeouts are all OSError.
            logger.info("download of %s failed: %s", url, error)
            failures.append(f"  {url}: {error}")
    raise DownloadError(f"could not download {name}; tried:\n" + "\n".join(failures))


def _copy_verified(response, file, url: str, sha256: str, progress, name: str) -> None:
    """Copy ``response`` into ``file`` while hashing; raise unless it is complete and its digest right."""
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    digest, done = hashlib.sha256(), 0
    for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
        file.write(chunk)
        digest.update(chunk)
        done += len(chunk)
        if progress is not None:
            progress(name, done, total)
    if total is not None and done != total:
        raise DownloadError(f"transfer interrupted after {done} of {total} bytes")
    if digest.hexdigest() != sha256:
        raise ChecksumError(f"{url} sent a file with SHA-256 {digest.hexdigest()}, expected {sha256}")
