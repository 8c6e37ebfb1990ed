"""IDX files, the format of the original MNIST distribution, plain or gzip-compressed.

Layout (all integers big-endian): two zero bytes, a type code, the number of dimensions
``ndim``, then ``ndim`` sizes as uint32, then the values in C order, big-endian.
Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""

from __future__ import annotations

import gzip
import math
import os
import stat
import struct
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
#: the buffer that counts a doubtful gzip file's bytes, keeping none of them
COUNTING_CHUNK_BYTES = 1 << 16


class IDXError(ValueError):
    """A file that is not a well-formed IDX file (bad magic, unknown type, wrong data length)."""


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip detected by its magic bytes, not its name).

    Returns an array of the file's type in native byte order, with the header's shape.
    Raises IDXError for a bad magic number, an unknown type code, a truncated header, data
    shorter or longer than the header claims, or a shape NumPy cannot hold. Memory stays
    within the smaller of the header's claim and the file's real content: a plain file's
    length is checked before its data is read; a gzip file is read in chunks, and one whose
    trailer (the uncompressed size modulo 2**32) disagrees with the header is counted
    through first, keeping nothing, so that a lying header is refused holding none of it.
    """
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        stated_size = _gzip_stated_size(raw) if compressed else None
        plain_size = None if compressed else _regular_file_size(raw)
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as file:
            dtype, shape = _read_header(file, path)
            header_bytes = 4 + 4 * len(shape)
            expected_bytes = math.prod(shape) * dtype.itemsize
            if plain_size is not None:
                _check_length(path, dtype, shape, plain_size - header_bytes)
            elif compressed and stated_size != (header_bytes + expected_bytes) % 2**32:
                # A lie, or a file of several gzip members: count the data before keeping any.
                _check_length(path, dtype, shape, _count_at_most(file, expected_bytes + 1))
                file.seek(header_bytes)  # gzip rewinds and decompresses again
            _check_shape(path, dtype, shape)
            data = _read_at_most(file, expected_bytes + 1)  # one byte more reveals trailing data
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise IDXError(f"{path}: corrupt compressed data ({error})") from None
    _check_length(path, dtype, shape, len(data))
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


def _check_length(path, dtype: np.dtype, shape, length: int) -> None:
    """Raise IDXError unless ``length`` bytes of data are what the header promises."""
    expected_bytes = math.prod(shape) * dtype.itemsize
    promise = f"its header promises {shape} {dtype.name} values, {expected_bytes} bytes of data"
    if length < expected_bytes:
        raise IDXError(f"{path} is truncated: {promise}, but the file holds {length}")
    if length > expected_bytes:
        raise IDXError(f"{path} has bytes left over: {promise}, and the file holds more")


def _check_shape(path, dtype: np.dtype, shape) -> None:
    """Raise IDXError if NumPy refuses the shape (too many dimensions, too many values)."""
    try:
        # A view of one element with zero strides: NumPy checks the shape and allocates nothing.
        np.ndarray(shape, dtype, buffer=bytes(dtype.itemsize), strides=(0,) * len(shape))
    except ValueError as error:
        raise IDXError(f"{path}: its header declares the shape {shape} ({len(shape)} dimensions), "
                       f"which NumPy cannot hold: {error}") from None


def _regular_file_size(file) -> int | None:
    """The size in bytes of an open regular file; None for a pipe or a device, which cannot say."""
    status = os.fstat(file.fileno())
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _gzip_stated_size(raw) -> int | None:
    """The uncompressed size (modulo 2**32) in the last gzip member's trailer, if it can be read."""
    try:
        raw.seek(-4, os.SEEK_END)
    except OSError:  # shorter than 4 bytes, or not seekable
        return None
    trailer = raw.read(4)
    return struct.unpack("<I", trailer)[0] if len(trailer) == 4 else None


def _count_at_most(file, limit: int) -> int:
    """How many bytes ``file`` still holds, counting up to ``limit``, through one small reused buffer."""
    buffer = memoryview(bytearray(COUNTING_CHUNK_BYTES))
    count = 0
    while count < limit:
        read = file.readinto(buffer[:min(COUNTING_CHUNK_BYTES, limit - count)])
        if not read:
            break
        count += read
    return count


def _read_at_most(file, limit: int) -> bytearray:
    """Up to ``limit`` bytes from ``file``, read in chunks so that only what exists is allocated."""
    data = bytearray()
    while len(data) < limit:
        chunk = file.read(min(CHUNK_BYTES, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return data
