"""numpy-mlp info: a model file's architecture, classes, features, training record and guarantees."""

import csv
import json

import numpy as np
import pytest
from helpers import assert_one_line_error, make_moons

from numpy_mlp import MLP, load
from numpy_mlp.cli import main
from numpy_mlp.serialization import FORMAT_VERSION


@pytest.fixture
def trained_path(tmp_path):
    """A model trained by 'numpy-mlp train' (so saved with its optimizer): moons, labels no/yes."""
    X, y = make_moons(n_samples=200, noise=0.1, seed=0)
    data = tmp_path / "moons.csv"
    with open(data, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["x1", "answer", "x2"])
        writer.writerows([[a, "yes" if label else "no", b] for (a, b), label in zip(X.tolist(), y)])
    path = tmp_path / "model.npz"
    assert main(["train", str(data), "--target", "answer", "--layers", "8", "--epochs", "5", "--optimizer",
                 "adam", "--learning-rate", "0.01", "--quiet", "--out", str(path)]) == 0
    return path


def info(capsys, *arguments) -> str:
    assert main(["info", *map(str, arguments)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_text_describes_the_model(trained_path, capsys):
    capsys.readouterr()
    text = info(capsys, trained_path)
    model = load(trained_path)
    assert model.summary() in text  # the architecture table
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in text.splitlines()[-13:] if ":" in line}
    assert lines["Output"] == "one sigmoid output, the probability of class yes (binary)"
    assert lines["Classes"] == "no, yes"
    assert lines["Features"] == "2, named x1, x2"
    assert lines["Standardised"].startswith("yes")
    assert lines["Dtype"] == "float32"
    assert lines["Epochs trained"] == "5"
    # the last epoch's metrics, as fit recorded them (no validation part was asked for)
    metrics = model.training_metrics
    assert lines["Last epoch"] == f"learning_rate 0.01, loss {metrics['loss']:.4g}, accuracy {metrics['accuracy']:.4g}"
    assert lines["Optimizer"].startswith("adam(learning_rate=0.01, ")
    assert f"{model.optimizer.step_count:,} steps; saved with the model" in lines["Optimizer"]
    assert lines["Format"] == f"numpy-mlp model file, version {FORMAT_VERSION}"
    assert lines["Guarantees"].startswith("no pickle")
    assert text.rstrip().splitlines()[-1].strip().startswith("written atomically")


def test_json_holds_the_same_facts(trained_path, capsys):
    capsys.readouterr()
    description = json.loads(info(capsys, trained_path, "--json"))
    model = load(trained_path)
    assert description["format"] == {"name": "numpy-mlp", "version": FORMAT_VERSION}
    assert description["guarantees"] == {"no_pickle": True, "atomic_writes": True}
    architecture = description["architecture"]
    assert architecture["neurons_per_layer"] == [8, 1] and architecture["activation"] == {"name": "relu"}
    assert [layer["type"] for layer in architecture["layers"]] == ["Layer", "ReLU", "Layer"]
    assert architecture["parameters"] == sum(value.size for value, _ in model.parameters()) == 2 * 8 + 8 + 8 + 1
    assert description["output"] == {"activation": "sigmoid", "n_outputs": 1, "task": "binary"}
    assert description["classes"] == ["no", "yes"]
    features = description["features"]
    assert features["names"] == ["x1", "x2"] and features["standardized"] is True
    assert features["training_range"] == list(model.feature_range_)
    assert description["dtype"] == "float32"
    training = description["training"]
    assert training["epochs_trained"] == 5
    assert training["final_metrics"] == pytest.approx(model.training_metrics)
    assert set(training["final_metrics"]) == {"learning_rate", "loss", "accuracy"}
    assert training["optimizer"] == {"name": "adam", "config": model.optimizer.config(),
                                     "steps": model.optimizer.step_count}


def test_long_lists_are_shortened_in_text_only(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 30)), np.arange(200) % 20  # 30 features, 20 classes
    model = MLP.for_labels(30, [8], y, seed=0)
    model.feature_names_ = [f"f{index}" for index in range(30)]
    model.fit(X, y, epochs=1, verbose=0)
    model.save(tmp_path / "model.npz")  # without its optimizer
    text = info(capsys, tmp_path / "model.npz")
    assert "Classes:        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ..., 18, 19 (20 in all)" in text
    assert "Features:       30, named f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, ..., f28, f29 (30 in all)" in text
    assert "Output:         softmax over 20 classes (multiclass)" in text
    assert "Optimizer:      not saved with the model" in text
    description = json.loads(info(capsys, tmp_path / "model.npz", "--json"))
    assert description["classes"] == list(range(20)) and description["features"]["names"] == model.feature_names_
    assert description["training"]["optimizer"] is None


def test_multi_label_model_from_the_low_level_api(tmp_path, capsys):
    model = MLP(4, [6, 3], activation={"name": "leaky_relu", "negative_slope": 0.1}, dtype="float64", seed=0)
    model.save(tmp_path / "model.npz")
    text = info(capsys, tmp_path / "model.npz")
    assert "Output:         3 sigmoid outputs, independent probabilities (multi-label)" in text
    assert "Classes:        none stored (labels are output indices)" in text
    assert "Features:       4, not named" in text and "Standardised:   no" in text
    assert "Epochs trained: 0" in text and "Dtype:          float64" in text
    assert "Training range" not in text  # never trained through fit
    description = json.loads(info(capsys, tmp_path / "model.npz", "--json"))
    assert description["architecture"]["layers"][1] == {"type": "LeakyReLU", "name": "leaky_relu",
                                                        "negative_slope": 0.1}
    assert description["classes"] is None and description["output"]["task"] == "multi-label"


def test_missing_file(tmp_path, capsys):
    assert main(["info", str(tmp_path / "absent.npz")]) == 2
    assert_one_line_error(capsys, "No such file or directory", "absent.npz")


def test_a_file_that_is_not_a_model(tmp_path, capsys):
    path = tmp_path / "arrays.npz"
    np.savez(path, weights=np.zeros(3))
    assert main(["info", str(path), "--json"]) == 2
    assert_one_line_error(capsys, "arrays.npz", "without numpy-mlp metadata")


def test_help(capsys):
    assert main(["info", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: numpy-mlp info") and "--json" in out
