"""Model files: exact round trips, atomic writes, and refusal of anything that is not a model."""

import json
import os
import warnings
import zipfile

import numpy as np
import pytest
from helpers import peak_allocation

from numpy_mlp import MLP, SGD, Adam, FeatureRangeWarning, ModelFileError, load
from numpy_mlp.serialization import FORMAT_VERSION


def small_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    return X, X[:, 0] + X[:, 1] / 10 > 0.5


def trained(labels=None, seed=0, epochs=3, **options):
    """A small standardising model fitted on labels derived from a fixed rule."""
    X, positive = small_data()
    y = positive if labels is None else np.where(positive, labels[1], labels[0])
    model = MLP(3, [5, 1], seed=seed, standardize=True, **options)
    model.fit(X, y, epochs=epochs, batch_size=16, learning_rate=0.1, verbose=0)
    return model, X, y


def assert_same_predictions(original, restored, X):
    np.testing.assert_array_equal(restored.predict_proba(X), original.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), original.predict(X))


@pytest.mark.parametrize("labels", [("no", "yes"), (False, True), (-1, 1), (0, 1), (0.0, 1.0)])
def test_round_trip_predicts_identically_and_keeps_the_labels(tmp_path, labels):
    model, X, y = trained(labels)
    model.save(tmp_path / "model.npz")
    restored = load(tmp_path / "model.npz")

    assert_same_predictions(model, restored, X)
    assert restored.classes_.tolist() == list(labels)
    assert type(restored.predict(X)[0].item()) is type(np.asarray(labels)[0].item())
    assert restored.config() == model.config()
    assert restored.epochs_trained == model.epochs_trained == 3


def test_round_trip_keeps_the_scaler(tmp_path):
    model, X, _ = trained()
    model.save(tmp_path / "model.npz")
    restored = load(tmp_path / "model.npz")
    np.testing.assert_array_equal(restored.scaler.mean, model.scaler.mean)
    np.testing.assert_array_equal(restored.scaler.std, model.scaler.std)
    # The features span very different scales, so predicting without the scaler would differ.
    restored.scaler = None
    restored.standardize = False
    assert not np.array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_float64_model_stays_float64(tmp_path):
    model, X, _ = trained(dtype=np.float64)
    model.save(tmp_path / "model.npz")
    restored = load(tmp_path / "model.npz")
    assert restored.dtype == np.float64
    assert all(value.dtype == np.float64 for value, _ in restored.parameters())
    assert_same_predictions(model, restored, X)


def test_softmax_model_round_trip(tmp_path):
    X, _ = small_data(90)
    y = np.array(["cat", "dog", "eel"])[np.argmax(X * [1.0, 0.1, 0.01], axis=1)]
    model = MLP(3, [6, 3], output="softmax", activation="tanh", seed=1, standardize=True)
    model.fit(X, y, epochs=3, batch_size=16, learning_rate=0.1, verbose=0)
    model.save(tmp_path / "model.npz")
    restored = load(tmp_path / "model.npz")
    assert restored.output == "softmax"
    assert restored.classes_.tolist() == ["cat", "dog", "eel"]
    assert_same_predictions(model, restored, X)


def test_feature_names_round_trip(tmp_path):
    model, _, _ = trained()
    model.feature_names_ = ("age", "height", "weight")
    model.save(tmp_path / "named.npz")
    assert load(tmp_path / "named.npz").feature_names_ == ["age", "height", "weight"]
    model.feature_names_ = None
    model.save(tmp_path / "unnamed.npz")
    assert load(tmp_path / "unnamed.npz").feature_names_ is None


def test_include_optimizer_restores_sgd_and_resumes_exactly(tmp_path):
    model, X, y = trained()
    model.save(tmp_path / "model.npz", include_optimizer=True)
    restored = load(tmp_path / "model.npz")

    assert isinstance(restored.optimizer, SGD)
    assert restored.optimizer.learning_rate == 0.1
    assert restored.optimizer.step_count == model.optimizer.step_count == 3 * 4  # 3 epochs of 4 batches
    assert restored.optimizer.parameters is restored.parameters()
    # Same weights, optimizer and random state: two more epochs give bit-identical weights.
    for network in (model, restored):
        network.fit(X, y, epochs=2, batch_size=16, optimizer=network.optimizer, verbose=0)
    for (expected, _), (actual, _) in zip(model.parameters(), restored.parameters()):
        np.testing.assert_array_equal(actual, expected)


def test_without_include_optimizer_no_optimizer_is_restored(tmp_path):
    model, _, _ = trained()
    model.save(tmp_path / "model.npz")
    assert load(tmp_path / "model.npz").optimizer is None


def test_include_optimizer_needs_an_optimizer(tmp_path):
    with pytest.raises(ValueError, match="no optimizer"):
        MLP(3, [1]).save(tmp_path / "model.npz", include_optimizer=True)


def test_saved_file_gets_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    model, _, _ = trained()
    model.save(tmp_path / "model.npz")
    assert os.stat(tmp_path / "model.npz").st_mode & 0o777 == 0o666 & ~umask


# -- interrupted saves -----------------------------------------------------------------------

def test_save_interrupted_inside_savez_keeps_the_previous_file(tmp_path, monkeypatch):
    old, X, _ = trained(seed=0)
    new, _, _ = trained(seed=1)
    path = tmp_path / "model.npz"
    old.save(path)

    def savez_then_crash(file, **arrays):
        file.write(b"PK\x03\x04 half of a zip archive")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", savez_then_crash)
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    monkeypatch.undo()

    assert_same_predictions(old, load(path), X)
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_save_interrupted_before_the_rename_keeps_the_previous_file(tmp_path, monkeypatch):
    old, X, _ = trained(seed=0)
    new, _, _ = trained(seed=1)
    path = tmp_path / "model.npz"
    old.save(path)

    def crash(source, destination):
        raise KeyboardInterrupt  # even an interrupt cleans up

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        new.save(path)
    monkeypatch.undo()

    assert_same_predictions(old, load(path), X)
    assert os.listdir(tmp_path) == ["model.npz"]


# -- files that are not models ---------------------------------------------------------------

def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


def test_random_bytes(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(ModelFileError, match="not a numpy-mlp model file"):
        load(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ModelFileError):
        load(tmp_path / "empty.npz")


def test_random_bytes_after_a_zip_signature(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(1).bytes(2000))
    with pytest.raises(ModelFileError, match="corrupt or truncated"):
        load(path)


def test_truncated_files(tmp_path):
    trained()[0].save(tmp_path / "model.npz")
    data = (tmp_path / "model.npz").read_bytes()
    for size in (10, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1):
        path = tmp_path / f"cut{size}.npz"
        path.write_bytes(data[:size])
        with pytest.raises(ModelFileError, match="corrupt or truncated"):
            load(path)


def test_corrupted_bytes_never_escape_as_other_errors(tmp_path):
    trained()[0].save(tmp_path / "model.npz")
    data = bytearray((tmp_path / "model.npz").read_bytes())
    rng = np.random.default_rng(0)
    refused = 0
    for position in rng.choice(len(data), size=40, replace=False):
        corrupted = data.copy()
        corrupted[position] ^= 0xFF
        path = tmp_path / "corrupted.npz"
        path.write_bytes(bytes(corrupted))
        try:
            load(path)  # a flipped byte in unchecked zip fields may still load
        except ModelFileError:
            refused += 1
    assert refused > 20  # the CRC-32 of each member catches corrupted array data


def test_plain_npy_file(tmp_path):
    np.save(tmp_path / "array.npy", np.arange(5.0))
    with pytest.raises(ModelFileError, match=r"single NumPy array \(\.npy\)"):
        load(tmp_path / "array.npy")


def test_npz_without_metadata(tmp_path):
    np.savez(tmp_path / "foreign.npz", weights=np.ones((2, 2)))
    with pytest.raises(ModelFileError, match="without numpy-mlp metadata"):
        load(tmp_path / "foreign.npz")


def test_npz_with_foreign_metadata(tmp_path):
    np.savez(tmp_path / "foreign.npz", metadata=np.array(json.dumps({"format": "keras"})))
    with pytest.raises(ModelFileError, match="not a numpy-mlp model"):
        load(tmp_path / "foreign.npz")


def test_npz_with_non_json_metadata(tmp_path):
    np.savez(tmp_path / "foreign.npz", metadata=np.array("{not json"))
    with pytest.raises(ModelFileError, match="not JSON"):
        load(tmp_path / "foreign.npz")


class RunsCodeWhenUnpickled:
    """Unpickling this calls os.mkdir(marker): proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickled_object_array_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "code-ran"
    trained()[0].save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as data:
        arrays = {name: data[name] for name in data.files}
    arrays["layers.0.weights"] = np.array([RunsCodeWhenUnpickled(marker)], dtype=object)
    np.savez(tmp_path / "evil.npz", **arrays)  # NumPy pickles object arrays when saving

    with pytest.raises(ModelFileError, match="pickled Python object"):
        load(tmp_path / "evil.npz")
    assert not marker.exists()


def rewrite_metadata(source, destination, change):
    """Copy a model file with its metadata passed through ``change(dict)``."""
    with np.load(source) as data:
        arrays = {name: data[name] for name in data.files}
    metadata = json.loads(str(arrays["metadata"]))
    change(metadata)
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(destination, **arrays)


def test_the_training_feature_range_round_trips_and_older_files_load_without_it(tmp_path):
    model, X, _ = trained()
    model.save(tmp_path / "model.npz")
    features = X.astype(np.float32)  # the range of what the model saw, in its dtype
    expected = (float(features.min()), float(features.max()))
    assert load(tmp_path / "model.npz").feature_range_ == model.feature_range_ == expected
    rewrite_metadata(tmp_path / "model.npz", tmp_path / "older.npz", lambda metadata: metadata.pop("feature_range"))
    older = load(tmp_path / "older.npz")
    assert older.feature_range_ is None
    with pytest.warns(FeatureRangeWarning):
        model.predict(X * 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        older.predict(X * 1000)  # no range to warn about


def test_newer_format_version_is_refused(tmp_path):
    trained()[0].save(tmp_path / "model.npz")
    rewrite_metadata(tmp_path / "model.npz", tmp_path / "future.npz",
                     lambda metadata: metadata.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match=f"format version {FORMAT_VERSION + 1}.*upgrade numpy-mlp"):
        load(tmp_path / "future.npz")


@pytest.mark.parametrize("change, message", [
    (lambda m: m.pop("config"), "'config' is missing"),
    (lambda m: m["config"].update(neurons_per_layer=[7, 1]), "has shape"),
    (lambda m: m["config"].update(activation="swish"), "unknown activation"),
    (lambda m: m.update(format_version="1"), "invalid format version"),
    (lambda m: m.update(optimizer={"name": "lion", "config": {}}), "optimizer 'lion'"),
])
def test_inconsistent_metadata_is_a_model_file_error(tmp_path, change, message):
    trained()[0].save(tmp_path / "model.npz")
    rewrite_metadata(tmp_path / "model.npz", tmp_path / "bad.npz", change)
    with pytest.raises(ModelFileError, match=message):
        load(tmp_path / "bad.npz")


def test_scaler_of_the_wrong_size_is_refused(tmp_path):
    trained()[0].save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as data:
        arrays = {name: data[name] for name in data.files}
    arrays["scaler.mean"] = np.zeros(2, np.float32)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="scaler.mean must hold 3 floats"):
        load(tmp_path / "bad.npz")


# -- hostile files: every field checked before anything is built or allocated ------------------

def saved_arrays(tmp_path):
    """The arrays (metadata parsed) of a small saved model, to tamper with."""
    return saved_arrays_of(trained()[0], tmp_path)


def write_npz(path, arrays, metadata, compressed=False):
    (np.savez_compressed if compressed else np.savez)(path, **arrays, metadata=np.array(json.dumps(metadata)))
    return path


def assert_refused(path, message, max_bytes=4 << 20):
    """load(path) raises ModelFileError matching ``message`` and allocates less than ``max_bytes``."""
    def attempt():
        with pytest.raises(ModelFileError, match=message):
            load(path)
    assert peak_allocation(attempt) < max_bytes


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(epochs_trained=float("inf")), "epochs_trained must be an integer"),
    (lambda m: m.update(epochs_trained=-3), "epochs_trained must be an integer"),
    (lambda m: m["rng_state"]["state"].update(state=2 ** 200), "rng_state is not a state"),
    (lambda m: m["rng_state"]["state"].update(inc=-1), "rng_state is not a state"),
    (lambda m: m.update(rng_state="seed 0"), "rng_state is not a state"),
    (lambda m: m.update(classes=[]), "lists 0 classes, but a sigmoid output of 1 unit"),
    (lambda m: m.update(classes=[0]), "lists 1 classes"),
    (lambda m: m.update(classes=[0, 1, 2]), "lists 3 classes"),
    (lambda m: m.update(classes={"a": 1}), "classes must be a list"),
    (lambda m: m.update(classes="ab"), "classes must be a list"),
    (lambda m: m.update(classes=["a", 1]), "mix strings and numbers"),
    (lambda m: m.update(classes=[1, 1]), "repeat a label"),
    (lambda m: m.update(feature_names=5), "feature_names must be a list of strings"),
    (lambda m: m.update(feature_names=["a", "a", "b"]), "name each of the 3 features once"),
    (lambda m: m.update(feature_range=[1.0]), "feature_range must be"),
    (lambda m: m.update(feature_range=[2.0, 1.0]), "feature_range must be"),
    (lambda m: m["optimizer"]["config"].update(learning_rate={"schedule": "nope", "config": {}}),
     "unknown learning-rate schedule 'nope'"),
    (lambda m: m.update(optimizer=["sgd"]), "optimizer must be"),
    (lambda m: m["config"].update(dtype="float16"), "config dtype must be"),
    (lambda m: m["config"].update(n_features=True), "n_features must be an integer"),
    (lambda m: m["config"].pop("output"), "config has no 'output'"),
])
def test_hostile_metadata_is_a_model_file_error_that_names_the_field(tmp_path, change, message):
    arrays, metadata = saved_arrays(tmp_path)
    change(metadata)
    assert_refused(write_npz(tmp_path / "bad.npz", arrays, metadata), message)


def test_deeply_nested_json_is_a_model_file_error(tmp_path):
    arrays, _ = saved_arrays(tmp_path)
    nested = '{"format": "numpy-mlp", "format_version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    np.savez(tmp_path / "deep.npz", **arrays, metadata=np.array(nested))
    assert_refused(tmp_path / "deep.npz", "unreadable metadata")


def test_an_architecture_larger_than_the_arrays_is_refused_before_anything_is_built(tmp_path):
    arrays, metadata = saved_arrays(tmp_path)
    metadata["config"]["neurons_per_layer"] = [10 ** 6, 10 ** 6, 1]  # 4 TB of weights
    assert_refused(write_npz(tmp_path / "huge.npz", arrays, metadata), r"layers.0.weights has shape \(3, 5\), "
                                                                       r"but the architecture needs \(3, 1000000\)")
    metadata["config"]["neurons_per_layer"] = [5, 1]
    metadata["config"]["n_features"] = 6000  # a 7 KB file claiming 6000 features
    assert_refused(write_npz(tmp_path / "wide.npz", arrays, metadata), "layers.0.weights has shape")


def npy_member_claiming(shape, dtype="<f8") -> bytes:
    """An .npy file whose header claims ``shape`` but which holds 16 bytes of data."""
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16


def add_member(path, name, data, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "a", compression=compress) as archive:
        archive.writestr(name, data)


def test_a_header_claiming_terabytes_is_refused_unread(tmp_path):
    arrays, metadata = saved_arrays(tmp_path)
    arrays.pop("layers.0.weights")
    path = write_npz(tmp_path / "liar.npz", arrays, metadata)
    add_member(path, "layers.0.weights.npy", npy_member_claiming((10 ** 12,)))
    assert_refused(path, r"refused unread: its header claims \(1000000000000,\) float64 values")


@pytest.mark.parametrize("name", ["layers.0.weights.npy", "unused-by-numpy-mlp.npy"])
def test_a_decompression_bomb_is_never_inflated(tmp_path, name):
    arrays, metadata = saved_arrays(tmp_path)
    if name.startswith("layers."):
        arrays.pop("layers.0.weights")
    path = write_npz(tmp_path / "bomb.npz", arrays, metadata)
    bomb = npy_member_claiming((64 << 20,))[:-16] + bytes(512 << 20)  # 512 MB of zeros, 0.5 MB deflated
    add_member(path, name, bomb, zipfile.ZIP_DEFLATED)
    assert os.path.getsize(path) < 1 << 20
    if name.startswith("layers."):
        assert_refused(path, "refused unread")
    else:  # a member the model does not use is not even read
        assert peak_allocation(lambda: load(path)) < 4 << 20


def test_a_long_npy_header_is_not_called_a_pickle(tmp_path):
    arrays, metadata = saved_arrays(tmp_path)
    arrays.pop("layers.0.weights")
    path = write_npz(tmp_path / "long.npz", arrays, metadata)
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), " + b" " * 20000 + b"}\n"
    add_member(path, "layers.0.weights.npy", b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little") + header)
    with pytest.raises(ModelFileError, match="not a readable .npy array") as error:
        load(path)
    assert "pickle" not in str(error.value)


@pytest.mark.parametrize("name, value, message", [
    ("layers.0.weights", lambda a: a.astype(np.complex64), "holds complex64 values, but the model computes in float32"),
    ("layers.0.weights", lambda a: a.astype(np.float64), "holds float64 values, but the model computes in float32"),
    ("layers.1.bias", lambda a: np.full_like(a, np.nan), "layers.1.bias holds NaN or infinity"),
    ("layers.0.weights", lambda a: np.where(a > 0, np.inf, a), "layers.0.weights holds NaN or infinity"),
    ("scaler.std", lambda a: np.zeros_like(a), "scaler.std holds a standard deviation of 0"),
    ("scaler.mean", lambda a: np.full_like(a, -np.inf), "scaler.mean holds NaN or infinity"),
    ("optimizer.0.v", lambda a: a[:2], r"optimizer.0.v must hold float32 values of shape \(3, 5\)"),
    ("optimizer.9.v", lambda a: a, "optimizer.9.v belongs to no parameter"),
])
def test_arrays_that_would_predict_nonsense_are_refused(tmp_path, name, value, message):
    model, X, y = trained()
    model.fit(X, y, epochs=1, optimizer=Adam(learning_rate=0.01), verbose=0)
    arrays, metadata = saved_arrays_of(model, tmp_path)
    arrays[name] = value(arrays["optimizer.0.v"] if name == "optimizer.9.v" else arrays[name])
    assert_refused(write_npz(tmp_path / "bad.npz", arrays, metadata), message)


def test_files_of_numpy_mlp_0_1_with_adams_b1_and_b2_still_load(tmp_path):
    model, X, y = trained()
    model.fit(X, y, epochs=1, optimizer=Adam(learning_rate=0.01, beta1=0.8, beta2=0.99), verbose=0)
    arrays, metadata = saved_arrays_of(model, tmp_path)
    config = metadata["optimizer"]["config"]
    config["b1"], config["b2"] = config.pop("beta1"), config.pop("beta2")
    loaded = load(write_npz(tmp_path / "old.npz", arrays, metadata))
    assert (loaded.optimizer.beta1, loaded.optimizer.beta2) == (0.8, 0.99)


def saved_arrays_of(model, tmp_path):
    model.save(tmp_path / "model.npz", include_optimizer=True)
    with np.load(tmp_path / "model.npz") as data:
        arrays = {name: data[name] for name in data.files}
    return arrays, json.loads(str(arrays.pop("metadata")))


# -- regressors, dropout and thresholds ---------------------------------------------------------

def test_a_regressor_round_trips_with_its_target_standardisation(tmp_path):
    X, _ = small_data()
    Y = np.column_stack([X[:, 0] * 1000 + 7, X[:, 1] - X[:, 2]])
    model = MLP(3, [5, 2], output="linear", seed=0, standardize=True, standardize_targets=True)
    model.fit(X, Y, epochs=3, batch_size=16, learning_rate=0.05, verbose=0)
    model.save(tmp_path / "regressor.npz")
    restored = load(tmp_path / "regressor.npz")
    assert restored.config() == model.config() and restored.config()["standardize_targets"] is True
    np.testing.assert_array_equal(restored.target_scaler.mean, model.target_scaler.mean)
    np.testing.assert_array_equal(restored.target_scaler.std, model.target_scaler.std)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert restored.evaluate(X, Y) == model.evaluate(X, Y)


def test_a_target_scaler_of_the_wrong_size_is_refused(tmp_path):
    X, _ = small_data()
    model = MLP(3, [5, 1], output="linear", standardize_targets=True)
    model.fit(X, X[:, 0], epochs=1, verbose=0)
    model.target_scaler.std = np.ones(3, np.float32)  # as a damaged or hand-made file would have it
    model.save(tmp_path / "bad.npz")
    with pytest.raises(ModelFileError, match=r"target_scaler.std must hold 1 floats \(one per output\)"):
        load(tmp_path / "bad.npz")


def test_dropout_is_saved_and_the_loaded_model_predicts_deterministically(tmp_path):
    X, y = small_data()
    model = MLP(3, [8, 8, 1], seed=0, dropout=[0.5, 0.25], standardize=True)
    model.fit(X, y, epochs=3, batch_size=16, learning_rate=0.1, verbose=0)
    model.save(tmp_path / "model.npz")
    restored = load(tmp_path / "model.npz")
    assert restored.dropout == [0.5, 0.25] and restored.config() == model.config()
    assert_same_predictions(model, restored, X)
    assert_same_predictions(restored, restored, X)


def test_the_chosen_threshold_round_trips_and_older_files_load_without_it(tmp_path):
    model, X, y = trained(epochs=10)
    model.threshold_ = 0.3125
    model.save(tmp_path / "model.npz")
    restored = load(tmp_path / "model.npz")
    assert restored.threshold_ == 0.3125
    np.testing.assert_array_equal(restored.predict(X), model.predict(X, threshold=0.3125))
    rewrite_metadata(tmp_path / "model.npz", tmp_path / "older.npz", lambda metadata: metadata.pop("threshold"))
    assert load(tmp_path / "older.npz").threshold_ is None
    rewrite_metadata(tmp_path / "model.npz", tmp_path / "bad.npz", lambda metadata: metadata.update(threshold="high"))
    with pytest.raises(ModelFileError, match="threshold must be a finite number"):
        load(tmp_path / "bad.npz")
