"""read_idx on IDX bytes built here by hand with struct, and on malformed files."""

import gzip
import math
import struct
import time

import numpy as np
import pytest
from helpers import idx_header, peak_allocation, require_mnist

from numpy_mlp.datasets.idx import IDXError, read_idx

# type code, struct format letter, the dtype read_idx must return, values covering its range
TYPES = [
    (0x08, "B", np.uint8, [0, 1, 128, 255]),
    (0x09, "b", np.int8, [-128, -1, 0, 127]),
    (0x0B, "h", np.int16, [-32768, -2, 258, 32767]),
    (0x0C, "i", np.int32, [-(2**31), -3, 65539, 2**31 - 1]),
    (0x0D, "f", np.float32, [-1.5, 0.0, 3.25, 1e30]),
    (0x0E, "d", np.float64, [-1e300, 0.1, 2.5, 5e-324]),
]


def write(path, content: bytes, compress: bool):
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("shape", [(4,), (2, 3, 4)], ids=["1-D", "3-D"])
@pytest.mark.parametrize("type_code, letter, dtype, values", TYPES, ids=[t[2].__name__ for t in TYPES])
def test_reads_every_type_code(tmp_path, compress, shape, type_code, letter, dtype, values):
    count = int(np.prod(shape))
    flat = [values[i % len(values)] for i in range(count)]
    content = idx_header(type_code, shape) + struct.pack(f">{count}{letter}", *flat)
    # The names lie on purpose: gzip is recognised by its magic bytes, not by ".gz".
    path = write(tmp_path / ("data.idx" if compress else "data.idx.gz"), content, compress)

    array = read_idx(path)

    assert array.dtype == np.dtype(dtype) and array.dtype.isnative
    assert array.shape == shape
    np.testing.assert_array_equal(array, np.array(flat, dtype=dtype).reshape(shape))


def test_reads_the_real_mnist_test_labels():
    labels = read_idx(require_mnist() / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the first test digits, as published


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("content, message", [
    (b"", "not an IDX file"),
    (b"\x00\x01\x08\x01" + struct.pack(">I", 1) + b"\x07", "not an IDX file"),
    (b"\x1f\x8c\x08\x01" + struct.pack(">I", 1) + b"\x07", "not an IDX file"),
    (idx_header(0x0A, (1,)) + b"\x07", "unknown IDX type code 0x0A"),
    (idx_header(0xFF, (1,)) + b"\x07", "unknown IDX type code 0xFF"),
    (bytes([0, 0, 0x08, 0]), "no dimensions"),
    (bytes([0, 0, 0x08, 3]) + struct.pack(">I", 5), "header is truncated"),
    (idx_header(0x08, (10,)) + bytes(9), "is truncated"),
    (idx_header(0x0B, (2, 2)) + bytes(7), "is truncated"),
    (idx_header(0x08, (10,)) + bytes(11), "bytes left over"),
    (idx_header(0x0C, (2,)) + bytes(9), "bytes left over"),
], ids=["empty", "bad magic", "bad magic 2", "type 0x0A", "type 0xFF", "no dims", "short header",
        "short data", "short int16 data", "trailing byte", "trailing int32 byte"])
def test_malformed_files_are_refused(tmp_path, compress, content, message):
    path = write(tmp_path / "bad.idx", content, compress)
    with pytest.raises(IDXError, match=message) as raised:
        read_idx(path)
    assert isinstance(raised.value, ValueError)
    assert str(path) in str(raised.value)


def refused(path, message):
    with pytest.raises(IDXError, match=message):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_lying_header_is_refused_without_allocating_its_claim(tmp_path, compress):
    # 4e9 * 4e9 * 8 bytes (1.3e20) claimed, 100 bytes present.
    content = idx_header(0x0E, (4_000_000_000, 4_000_000_000)) + bytes(100)
    path = write(tmp_path / "liar.idx", content, compress)

    start = time.perf_counter()
    peak = peak_allocation(lambda: refused(path, "is truncated"))
    assert time.perf_counter() - start < 2.0
    assert peak < 4 << 20, f"peak {peak} bytes allocated for a 100-byte file"


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_plausible_lie_reads_no_more_than_the_file(tmp_path, compress):
    # 1 GB claimed by a 1 MB file: refused, and memory stays near the file's size.
    content = idx_header(0x08, (1_000_000_000,)) + bytes(1 << 20)
    path = write(tmp_path / "liar.idx", content, compress)
    peak = peak_allocation(lambda: refused(path, "holds 1048576"))
    assert peak < 8 << 20


def test_corrupt_gzip_is_refused(tmp_path):
    compressed = gzip.compress(idx_header(0x08, (1000,)) + bytes(range(256)) * 4)
    truncated = write(tmp_path / "cut.idx.gz", compressed[: len(compressed) // 2], compress=False)
    with pytest.raises(IDXError, match="corrupt compressed data"):
        read_idx(truncated)
    garbled = compressed[:10] + bytes(b ^ 0xFF for b in compressed[10:-8]) + compressed[-8:]
    garbled_path = write(tmp_path / "garbled.idx.gz", garbled, compress=False)
    with pytest.raises(IDXError):
        read_idx(garbled_path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.idx")


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("shape", [(1,) * 65, (1,) * 255, (0, 2**32 - 1, 2**32 - 1, 2**32 - 1)],
                         ids=["65 dimensions", "255 dimensions", "too many values"])
def test_a_shape_numpy_refuses_is_an_idx_error_naming_the_file(tmp_path, compress, shape):
    # The data length agrees with the header (1 byte, or none for a zero-size shape):
    # only NumPy's limits (64 dimensions, sizes whose product overflows) refuse it.
    content = idx_header(0x08, shape) + bytes(math.prod(shape))
    path = write(tmp_path / "odd-shape.idx", content, compress)
    with pytest.raises(IDXError, match="which NumPy cannot hold") as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def test_a_small_gzip_bomb_with_a_lying_header_is_refused_without_holding_its_content(tmp_path):
    # 32 MB of zeros compress to about 32 kB; the header claims 2**32 - 1 values per row.
    content = idx_header(0x08, (2**32 - 1, 2)) + bytes(32 << 20)
    path = write(tmp_path / "bomb.idx.gz", content, compress=True)
    assert path.stat().st_size < 100_000
    peak = peak_allocation(lambda: refused(path, f"holds {32 << 20}"))
    assert peak < 1 << 20, f"peak {peak} bytes allocated to refuse a {path.stat().st_size}-byte file"


def test_a_forged_gzip_trailer_still_bounds_memory_by_the_content(tmp_path):
    # The trailer is forged to agree with the header's 1 GB claim, so the reader trusts it and
    # reads; the content (4 MB) is what bounds the memory, and the lie is still found.
    claim = 1 << 30
    compressed = bytearray(gzip.compress(idx_header(0x08, (claim,)) + bytes(4 << 20)))
    compressed[-4:] = struct.pack("<I", (8 + claim) % 2**32)
    path = write(tmp_path / "forged.idx.gz", bytes(compressed), compress=False)
    peak = peak_allocation(lambda: refused(path, "is truncated|corrupt compressed data"))
    assert peak < 12 << 20


def test_a_file_of_several_gzip_members_reads_whole(tmp_path):
    # `cat a.gz b.gz` is a valid gzip file; its trailer states only the last member's size.
    content = idx_header(0x0B, (3, 1000)) + np.arange(3000, dtype=">i2").tobytes()
    path = tmp_path / "members.idx.gz"
    path.write_bytes(gzip.compress(content[:2500]) + gzip.compress(content[2500:]))
    np.testing.assert_array_equal(read_idx(path), np.arange(3000, dtype=np.int16).reshape(3, 1000))


def test_a_plain_file_is_measured_before_its_data_is_read(tmp_path):
    # 100 MB claimed, 10 MB present: refused from the file's size, before reading the 10 MB.
    content = idx_header(0x08, (100 << 20,)) + bytes(10 << 20)
    path = write(tmp_path / "short.idx", content, compress=False)
    peak = peak_allocation(lambda: refused(path, f"holds {10 << 20}"))
    assert peak < 1 << 20
