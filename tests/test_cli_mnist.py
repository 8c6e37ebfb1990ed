"""`numpy-mlp mnist` end to end on a subset of the shared MNIST files, and predict on its model."""

import contextlib
import csv
import io
import json
import re

import numpy as np
import pytest
from helpers import open_image, require_mnist

from numpy_mlp import SGD, CosineDecay, load
from numpy_mlp.cli import main
from numpy_mlp.datasets import load_mnist
from numpy_mlp.datasets.mnist import ENV_VAR

TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # test digits per class


def run(argv) -> tuple[int, str, str]:
    """main(argv) with its standard output and error captured (usable in a module fixture)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_other_mnist_folders(monkeypatch, tmp_path):
    """Only --data-dir is searched: no $NUMPY_MLP_DATA, and a user cache under tmp_path."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short run: 3,000 training digits, 2 epochs, tested on all 10,000 test digits."""
    folder = tmp_path_factory.mktemp("mnist-cli")
    status, out, err = run(["mnist", "--data-dir", str(require_mnist()), "--no-download",
                            "--limit-train", "3000", "--epochs", "2", "--batch-size", "32",
                            "--optimizer", "momentum", "--learning-rate", "0.1", "--lr-schedule", "cosine",
                            "--weight-decay", "5e-4",
                            "--seed", "0", "--out", str(folder / "model.npz"),
                            "--plot", str(folder / "report.png")])
    return status, out, err, folder


def test_mnist_trains_tests_and_reports(trained):
    status, out, err, _ = trained
    assert status == 0, err
    accuracy = float(re.search(r"^test accuracy: ([0-9.]+)% of 10,000 digits$", out, re.M).group(1))
    assert accuracy >= 90.0
    assert "Epoch 2/2" in err and "samples/s" in err and "Epoch" not in out  # progress on stderr

    # The per-class table: one row per digit, each with its number of test digits.
    rows = re.findall(r"^ +(\d) +([0-9.]+) +([0-9.]+) +([0-9.]+) +(\d+)$", out, re.M)
    assert [int(row[0]) for row in rows] == list(range(10))
    assert [int(row[4]) for row in rows] == TEST_COUNTS
    assert all(0.5 < float(value) <= 1 for row in rows for value in row[1:4])

    # The confusion matrix: rows sum to the class counts, and its diagonal is the accuracy.
    lines = out[out.index("confusion matrix"):].splitlines()[2:12]
    matrix = np.array([[int(cell) for cell in line.split()[1:]] for line in lines])
    assert matrix.shape == (10, 10) and matrix.sum(axis=1).tolist() == TEST_COUNTS
    assert np.trace(matrix) / 100 == pytest.approx(accuracy, abs=0.005)


def test_mnist_saves_a_resumable_model_and_a_report(trained):
    status, out, _, folder = trained
    assert status == 0
    model = load(folder / "model.npz")
    assert model.n_features == 784 and model.neurons_per_layer == [256, 128, 10]
    assert model.output == "softmax" and model.classes_.tolist() == list(range(10))
    assert model.epochs_trained == 2
    optimizer = model.optimizer
    assert isinstance(optimizer, SGD) and isinstance(optimizer.learning_rate, CosineDecay)
    assert (optimizer.momentum, optimizer.nesterov, optimizer.weight_decay) == (0.9, False, 5e-4)
    assert optimizer.step_count == optimizer.learning_rate.decay_steps == 2 * 94  # ceil(3000 / 32) an epoch

    assert f"report saved to {folder / 'report.png'}" in out
    # Learning curves; the confusion matrix, the first layer's weights and digits: one figure.
    open_image(folder / "report.png", "PNG", (2100, 1000))


def test_predict_with_an_mnist_model(trained, tmp_path):
    status, _, _, folder = trained
    assert status == 0
    (_, _), (X_test, y_test) = load_mnist(require_mnist(), download=False)
    images, labels = X_test[:25], y_test[:25]
    data = tmp_path / "digits.csv"
    with open(data, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([f"pixel{i}" for i in range(784)])
        writer.writerows([repr(float(value)) for value in row] for row in images)

    assert run(["predict", str(folder / "model.npz"), str(data), "--out", str(tmp_path / "p.csv")])[0] == 0
    with open(tmp_path / "p.csv", newline="") as file:
        predictions = list(csv.reader(file))
    assert predictions[0] == ["prediction", *(f"probability_{digit}" for digit in range(10))]
    predicted = np.array([int(row[0]) for row in predictions[1:]])
    probabilities = np.array([[float(cell) for cell in row[1:]] for row in predictions[1:]])
    model = load(folder / "model.npz")
    np.testing.assert_array_equal(predicted, model.predict(images))
    np.testing.assert_array_equal(probabilities, model.predict_proba(images))
    assert np.mean(predicted == labels) >= 0.8


def test_no_download_without_files_says_where_it_looked(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, out, err = run(["mnist", "--data-dir", str(empty), "--no-download", "--out",
                            str(tmp_path / "model.npz")])
    assert status == 2 and out == ""
    assert err.startswith("numpy-mlp: error: MNIST files not found") and err.count("\n") == 1, err
    assert f"{empty} (data_dir)" in err and str(tmp_path / "cache") in err
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("options, fragments", [
    (["--layers", "64"], ["--layers 64 contradicts the model to resume", "--layers 256 128"]),
    (["--optimizer", "adam"], ["--optimizer adam contradicts the optimizer saved", "--optimizer momentum"]),
])
def test_resume_refuses_contradictions_before_loading_the_data(tmp_path, trained, options, fragments):
    status, _, _, folder = trained
    assert status == 0
    # The data folder is absent: the error must come from the options, before any loading.
    status, _, err = run(["mnist", "--data-dir", str(tmp_path / "absent"), "--no-download",
                          "--resume", str(folder / "model.npz"), *options, "--out", str(tmp_path / "model.npz")])
    assert status == 2
    assert all(fragment in err for fragment in fragments), err


def test_resume_refuses_a_model_that_is_not_for_mnist(tmp_path):
    from numpy_mlp import MLP
    MLP(2, [4, 1], seed=0).save(tmp_path / "small.npz")
    status, _, err = run(["mnist", "--resume", str(tmp_path / "small.npz"), "--no-download",
                          "--data-dir", str(tmp_path)])
    assert status == 2 and "is not an MNIST classifier" in err


def test_metrics_out_records_an_mnist_run(tmp_path):
    record_path = tmp_path / "metrics.json"
    status, out, err = run(["mnist", "--data-dir", str(require_mnist()), "--no-download", "--limit-train", "600",
                            "--epochs", "1", "--layers", "16", "--quiet", "--out", str(tmp_path / "model.npz"),
                            "--metrics-out", str(record_path)])
    assert status == 0, err
    record = json.loads(record_path.read_text())
    assert record["command"] == "mnist" and record["options"]["limit_train"] == 600
    assert record["data"]["samples"] == {"train": 600, "test": 10000}
    assert record["model"]["neurons_per_layer"] == [16, 10]
    accuracy = float(re.search(r"^test accuracy: ([0-9.]+)%", out, re.M).group(1))
    assert record["metrics"]["test"]["accuracy"] * 100 == pytest.approx(accuracy, abs=0.005)
    assert [sum(row) for row in record["metrics"]["test"]["confusion_matrix"]] == TEST_COUNTS
    # fit watched the test digits each epoch: the record's curves say so, not "val_".
    assert sorted(record["training"]["history"]) == ["accuracy", "epoch", "learning_rate", "loss",
                                                     "test_accuracy", "test_loss"]


def test_a_validation_part_chooses_the_epoch_and_the_test_set_is_evaluated_once(tmp_path, monkeypatch, capsys):
    """--validation-size (the best preset's way): fit watches the held-out training digits, the
    weights of their best epoch are kept, and the test digits reach only the final evaluation."""
    from numpy_mlp import MLP
    watched, evaluated = [], []
    fit, evaluate = MLP.fit, MLP.evaluate
    monkeypatch.setattr(MLP, "fit", lambda self, X, y, **options: watched.append(len(options["validation_data"][1]))
                        or fit(self, X, y, **options))
    monkeypatch.setattr(MLP, "evaluate", lambda self, X, y, **options: evaluated.append(len(y))
                        or evaluate(self, X, y, **options))
    out, record = tmp_path / "model.npz", tmp_path / "run.json"
    assert main(["mnist", "--data-dir", str(require_mnist()), "--no-download", "--limit-train", "1200",
                 "--validation-size", "200", "--layers", "32", "--dropout", "0.2", "--epochs", "4", "--quiet",
                 "--out", str(out), "--metrics-out", str(record)]) == 0
    assert watched == [200] and evaluated[0] == 10000  # the validation digits, then the test set once
    run = json.loads(record.read_text())
    assert run["data"]["samples"] == {"train": 1000, "validation": 200, "test": 10000}
    best = run["training"]["weights_of_epoch"]
    accuracies = run["training"]["history"]["val_accuracy"]
    assert best == 1 + accuracies.index(max(accuracies))
    assert load(out).dropout == [0.2]


def test_the_best_preset_is_the_documented_recipe_and_typed_options_override_it(tmp_path, monkeypatch):
    from numpy_mlp.cli import mnist
    recorded = {}

    def stop(args, n_train):
        recorded.update(vars(args))
        raise KeyboardInterrupt  # the options are all known by now: no need to train

    monkeypatch.setattr(mnist, "mnist_parts", stop)
    assert main(["mnist", "--preset", "best", "--epochs", "3", "--out", str(tmp_path / "m.npz")]) == 130
    assert recorded["layers"] == [1024, 1024] and recorded["dropout"] == [0.4]
    assert recorded["validation_size"] == 5000 and recorded["epochs"] == 3  # typed: kept
