"""Properties of numpy_mlp.load on generated files: a saved model loads back exactly; truncated,
flipped, lying and hostile files give a model or ModelFileError and nothing else; memory stays
within a bound set by the file's size, never by what its headers or metadata claim.

Examples per test: the Hypothesis profile in conftest.py (NUMPY_MLP_HYPOTHESIS_EXAMPLES).
"""

import functools
import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import make_moons, peak_allocation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numpy_mlp import MLP, Adam, ModelFileError, load

# What a load may allocate whatever the file: zipfile's buffers and the model's own arrays
# (a few hundred parameters here), with room to spare; a claim believed would be far larger.
OVERHEAD_BYTES = 4 << 20
file_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@functools.cache
def model_file_bytes() -> bytes:
    """A small standardising model with Adam's state, saved: the file every example starts from."""
    X, y = make_moons(60, noise=0.2, seed=0)
    model = MLP(2, [6, 4, 1], seed=0, standardize=True)
    model.fit(X, y, epochs=2, batch_size=16, optimizer=Adam(learning_rate=0.01), verbose=0)
    with tempfile.TemporaryDirectory() as folder:
        model.save(Path(folder) / "model.npz", include_optimizer=True)
        return (Path(folder) / "model.npz").read_bytes()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def archive(contents: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as result:
        for name, data in contents.items():
            result.writestr(name, data)
    return buffer.getvalue()


def load_within(path):
    """load(path) with ModelFileError as a value; asserts that the peak allocation stays bounded."""
    outcome = []

    def attempt():
        try:
            outcome.append(load(path))
        except ModelFileError as error:
            assert str(path) in str(error)  # every message names the file
            outcome.append(error)

    peak = peak_allocation(attempt)
    assert peak <= OVERHEAD_BYTES + 16 * path.stat().st_size, f"peak allocation {peak} bytes"
    return outcome[0]


def test_the_model_file_loads_back(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(model_file_bytes())
    assert isinstance(load_within(path), MLP)


@file_settings
@given(cut=st.integers(0, 100_000))
def test_a_truncated_file_is_a_model_file_error(tmp_path, cut):
    data = model_file_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[:cut % len(data)])
    assert isinstance(load_within(path), ModelFileError)


@file_settings
@given(flips=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(1, 255)), min_size=1, max_size=8))
def test_flipped_bytes_give_a_model_or_a_model_file_error(tmp_path, flips):
    data = bytearray(model_file_bytes())
    for position, mask in flips:
        data[position % len(data)] ^= mask
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    load_within(path)  # a model (a flip in a weight's low bits is still a model) or the error


def npy(shape, dtype: str, data: bytes, version=(1, 0)) -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)}).encode("latin1")
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    length = len(header).to_bytes(2 if version == (1, 0) else 4, "little")
    return b"\x93NUMPY" + bytes(version) + length + header + data


@file_settings
@given(name=st.sampled_from(["layers.0.weights.npy", "layers.1.bias.npy", "scaler.std.npy", "optimizer.0.m.npy",
                             "optimizer.step_count.npy", "metadata.npy", "other.npy"]),
       shape=st.lists(st.integers(0, 2 ** 40), max_size=4),
       dtype=st.sampled_from(["<f4", "<f8", ">f4", "<c8", "|O", "<U64", "<i8", "|b1", "<f2"]),
       data=st.binary(max_size=256))
def test_a_member_whose_header_lies_gives_a_model_or_a_model_file_error(tmp_path, name, shape, dtype, data):
    contents = members(model_file_bytes())
    contents[name] = npy(shape, dtype, data)
    path = tmp_path / "lying.npz"
    path.write_bytes(archive(contents))
    load_within(path)


def json_values():
    scalars = st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | st.text(max_size=8)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


FIELDS = ["config", "classes", "feature_names", "feature_range", "epochs_trained", "planned_epochs", "batch_size",
          "training_metrics", "threshold",
          "rng_state", "optimizer", "format_version"]


@file_settings
@given(field=st.sampled_from(FIELDS + [f"config.{key}" for key in ("n_features", "neurons_per_layer", "activation",
                                                                   "output", "dtype", "standardize")]
                             + ["optimizer.config", "optimizer.name", "rng_state.state"]),
       value=json_values())
def test_hostile_metadata_gives_a_model_or_a_model_file_error(tmp_path, field, value):
    contents = members(model_file_bytes())
    metadata = json.loads(str(np.load(io.BytesIO(contents["metadata.npy"]))))
    *parents, key = field.split(".")
    target = metadata
    for parent in parents:
        target = target[parent]
    target[key] = value
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(metadata)))
    contents["metadata.npy"] = buffer.getvalue()
    path = tmp_path / "hostile.npz"
    path.write_bytes(archive(contents))
    load_within(path)


@pytest.mark.parametrize("depth", [10, 1000, 100_000])
def test_nested_metadata_of_any_depth_gives_a_model_file_error(tmp_path, depth):
    contents = members(model_file_bytes())
    buffer = io.BytesIO()
    np.save(buffer, np.array('{"format": "numpy-mlp", "format_version": 1, "config": ' + "[" * depth + "]" * depth + "}"))
    contents["metadata.npy"] = buffer.getvalue()
    path = tmp_path / "nested.npz"
    path.write_bytes(archive(contents))
    assert isinstance(load_within(path), ModelFileError)
