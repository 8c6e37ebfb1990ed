"""Properties of read_idx on generated files: valid ones round-trip; truncated, flipped, lying and
bomb-like ones give an array or IDXError and nothing else; memory stays within a bound set by
the file's real content, never by what its header claims.

Examples per test: the Hypothesis profile in conftest.py (NUMPY_MLP_HYPOTHESIS_EXAMPLES).
"""

import functools
import gzip
import math
import re

import numpy as np
from helpers import idx_header, peak_allocation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from numpy_mlp.datasets.idx import TYPE_CODES, IDXError, read_idx

# Allocation every read may make whatever the file: open()'s buffers, one 1 MiB read chunk,
# the zlib state. Anything that grows with a header's claim would exceed it many times over.
OVERHEAD_BYTES = 2 << 20
# Deflate's largest expansion: one compressed byte decodes to at most 1032 bytes.
DEFLATE_RATIO = 1032

# Each example writes its file over the same path: the fixture's folder is not per example.
file_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def idx_files(draw):
    """(type code, shape, big-endian data bytes) of a valid IDX file: any bytes are valid values."""
    type_code = draw(st.sampled_from(sorted(TYPE_CODES)))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=4)))
    size = math.prod(shape) * TYPE_CODES[type_code].itemsize
    return type_code, shape, draw(st.binary(min_size=size, max_size=size))


def encode(content: bytes, compress: bool) -> bytes:
    return gzip.compress(content, mtime=0) if compress else content


def read(path):
    """read_idx(path), with IDXError as a value: the only exception a property accepts."""
    try:
        return read_idx(path)
    except IDXError as error:
        assert str(path) in str(error)  # every message names the file
        return error


def read_within(path, bound: int):
    """read(path), asserting that its peak allocation stays under ``bound`` bytes."""
    outcome = []
    peak = peak_allocation(lambda: outcome.append(read(path)))
    assert peak <= bound, f"peak allocation {peak} bytes, bound {bound}"
    return outcome[0]


@file_settings
@given(idx_files(), st.booleans())
def test_valid_files_round_trip_within_twice_their_data(tmp_path, idx, compress):
    type_code, shape, data = idx
    path = tmp_path / "valid.idx"
    path.write_bytes(encode(idx_header(type_code, shape) + data, compress))
    array = read_within(path, 2 * len(data) + OVERHEAD_BYTES)
    assert isinstance(array, np.ndarray), array
    assert array.shape == shape and array.dtype == TYPE_CODES[type_code].newbyteorder("=")
    assert array.astype(TYPE_CODES[type_code]).tobytes() == data


@file_settings
@given(idx_files(), st.booleans(), st.data())
def test_a_truncated_file_is_an_idx_error(tmp_path, idx, compress, data):
    type_code, shape, values = idx
    content = encode(idx_header(type_code, shape) + values, compress)
    cut = data.draw(st.integers(0, len(content) - 1), label="cut")
    path = tmp_path / "truncated.idx"
    path.write_bytes(content[:cut])
    assert isinstance(read_within(path, 2 * len(values) + OVERHEAD_BYTES), IDXError)


@file_settings
@given(idx_files(), st.booleans(), st.data())
def test_flipped_bytes_give_an_array_or_an_idx_error(tmp_path, idx, compress, data):
    type_code, shape, values = idx
    content = bytearray(encode(idx_header(type_code, shape) + values, compress))
    for _ in range(data.draw(st.integers(1, 4), label="flips")):
        position = data.draw(st.integers(0, len(content) - 1), label="position")
        content[position] ^= data.draw(st.integers(1, 255), label="mask")
    path = tmp_path / "flipped.idx"
    path.write_bytes(bytes(content))
    # A flipped deflate stream may decode to more than it did, never beyond deflate's ratio.
    real_content = DEFLATE_RATIO * len(content) if compress else len(content)
    outcome = read_within(path, 2 * real_content + OVERHEAD_BYTES)
    if isinstance(outcome, np.ndarray) and not compress:
        header_bytes = 4 + 4 * outcome.ndim
        assert header_bytes + outcome.nbytes == len(content)


@file_settings
@given(idx_files(), st.booleans(),
       st.lists(st.one_of(st.integers(0, 8), st.integers(0, 2**32 - 1)), min_size=1, max_size=70))
@example(idx=(0x08, (0,), b""), compress=True, claimed_shape=[2, 2, 4, 4, 4, 4, 4, 6, 3232, 3232, 6112, 6112])
def test_a_lying_header_is_refused_within_the_contents_memory(tmp_path, idx, compress, claimed_shape):
    type_code, _, values = idx
    claimed_shape = tuple(claimed_shape)
    path = tmp_path / "lying.idx"
    path.write_bytes(encode(idx_header(type_code, claimed_shape) + values, compress))
    outcome = read_within(path, 2 * len(values) + OVERHEAD_BYTES)
    claimed_bytes = math.prod(claimed_shape) * TYPE_CODES[type_code].itemsize
    if claimed_bytes != len(values):
        # Found by this test: a gzip trailer agrees with a claim of a multiple of 2**32 bytes (it
        # holds the size modulo 2**32), so NumPy's limits may speak before the length does.
        assert isinstance(outcome, IDXError)
        assert re.search("is truncated|has bytes left over|which NumPy cannot hold", str(outcome))
    elif isinstance(outcome, IDXError):  # the length agrees: only NumPy's limits may refuse it
        assert "which NumPy cannot hold" in str(outcome)
        assert len(claimed_shape) > 32 or 0 in claimed_shape
    else:
        assert outcome.shape == claimed_shape


@functools.lru_cache(maxsize=None)
def compressed_zeros(size: int) -> bytes:
    return gzip.compress(bytes(size), mtime=0)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
          max_examples=max(10, settings.default.max_examples // 4))
@given(st.sampled_from([1 << 20, 3 << 20]),
       st.lists(st.one_of(st.integers(1, 4096), st.integers(0, 2**32 - 1)), min_size=1, max_size=3),
       st.booleans())
def test_a_gzip_bomb_that_lies_is_refused_holding_none_of_it(tmp_path, zeros, claimed_shape, claim_the_truth):
    # Two gzip members, the header's and a few kilobytes that decompress to megabytes of zeros.
    if claim_the_truth:
        claimed_shape = (zeros // 1024, 1024)
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, claimed_shape), mtime=0) + compressed_zeros(zeros))
    if math.prod(claimed_shape) == zeros:
        array = read_within(path, 2 * zeros + OVERHEAD_BYTES)
        assert array.shape == tuple(claimed_shape) and not array.any()
    else:
        # Refused while holding at most one small counting buffer: well under the megabytes inside.
        assert isinstance(read_within(path, 1 << 19), IDXError)

