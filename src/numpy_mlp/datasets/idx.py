"""IDX files, the format of the original MNIST distribution, plain or gzip-compressed.

Layout (all integers big-endian): two zero bytes, a type code, the number of dimensions
``ndim``, then ``ndim`` sizes as uint32, then the values in C order, big-endian.
Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""

from __future__ import annotations

import gzip
import math
import zlib

import numpy as np

TYPE_CODES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
CHUNK_BYTES = 1 << 20


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (bad magic, unknown type, wrong data length)."""


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip detected by its magic bytes, not its name).

    Returns an array of the file's type in native byte order, with the header's shape.
    Raises IDXError for a bad magic number, an unknown type code, a truncated header, or
    data shorter or longer than the header claims. Memory is bounded by the file's real
    content: a header that lies about huge sizes is refused without allocating them.
    """
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    with (gzip.open(path, "rb") if compressed else open(path, "rb")) as file:
        try:
            dtype, shape = _read_header(file, path)
            expected_bytes = math.prod(shape) * dtype.itemsize
            data = _read_at_most(file, expected_bytes + 1)  # one byte more reveals trailing data
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise IDXError(f"{path}: corrupt compressed data ({error})") from None
    promise = f"its header promises {shape} {dtype.name} values, {expected_bytes} bytes of data"
    if len(data) < expected_bytes:
        raise IDXError(f"{path} is truncated: {promise}, but the file holds {len(data)}")
    if len(data) > expected_bytes:
        raise IDXError(f"{path} has bytes left over: {promise}, and the file holds more")
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_header(file, path) -> tuple[np.dtype, tuple[int, ...]]:
    """(big-endian dtype, shape) from the header at the start of ``file``."""
    head = file.read(4)
    if len(head) < 4 or head[:2] != b"\x00\x00":
        raise IDXError(f"{path} is not an IDX file: it starts with {head.hex(' ') or 'nothing'}, "
                       f"an IDX file starts with 00 00")
    type_code, ndim = head[2], head[3]
    if type_code not in TYPE_CODES:
        known = ", ".join(f"0x{code:02X} ({dtype.name})" for code, dtype in TYPE_CODES.items())
        raise IDXError(f"{path} has unknown IDX type code 0x{type_code:02X}; known: {known}")
    if ndim == 0:
        raise IDXError(f"{path}: the IDX header declares no dimensions")
    sizes = file.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXError(f"{path}: the IDX header is truncated ({ndim} dimensions declared, "
                       f"{len(sizes) // 4} present)")
    shape = tuple(int(size) for size in np.frombuffer(sizes, dtype=">u4"))
    return TYPE_CODES[type_code], shape


def _read_at_most(file, limit: int) -> bytearray:
    """Up to ``limit`` bytes from ``file``, read in chunks so that only what exists is allocated."""
    data = bytearray()
    while len(data) < limit:
        chunk = file.read(min(CHUNK_BYTES, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return data
