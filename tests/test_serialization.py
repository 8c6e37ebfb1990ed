"""Model files: exact round trips, atomic writes, and refusal of anything that is not a model."""

import json
import os
import warnings

import numpy as np
import pytest

from numpy_mlp import MLP, SGD, FeatureRangeWarning, ModelFileError, load
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
    with pytest.raises(ModelFileError, match="target_scaler.mean and .std must hold 1 floats"):
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
