"""`numpy-mlp train --task regression`, weights and thresholds, through train, predict and evaluate."""

import csv
import json

import numpy as np
import pytest
from helpers import assert_one_line_error

from numpy_mlp import MLP, load
from numpy_mlp.cli import main
from numpy_mlp.datasets import write_csv


def write_table(path, X, y, extra=None):
    header = [f"x{k}" for k in range(X.shape[1])] + ["target"] + ([] if extra is None else ["weight"])
    columns = [X, y[:, None]] + ([] if extra is None else [extra[:, None]])
    write_csv(path, header, np.hstack(columns).tolist())
    return path


@pytest.fixture
def regression_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = 50 + 30 * X[:, 0] - 20 * np.sin(X[:, 1]) + rng.normal(scale=3, size=400)  # far from unit scale
    return write_table(tmp_path / "regression.csv", X, y)


@pytest.fixture
def imbalanced_csv(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.8, size=2000) > 2.3).astype(int)  # about 4% positive
    return write_table(tmp_path / "imbalanced.csv", X, y, extra=np.where(y == 1, 5.0, 1.0))


def json_metrics(capsys, *arguments):
    capsys.readouterr()
    assert main(["evaluate", *map(str, arguments), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_regression_trains_predicts_and_evaluates(tmp_path, regression_csv, capsys):
    out = tmp_path / "model.npz"
    assert main(["train", str(regression_csv), "--target", "target", "--task", "regression", "--layers", "32",
                 "--optimizer", "adam", "--learning-rate", "0.01", "--epochs", "150", "--validation-split", "0.2",
                 "--early-stopping", "20", "--quiet", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["train", "validation", "test"] and " r2 " in lines[2]
    model = load(out)
    assert model.output == "linear" and model.target_scaler is not None
    report = json_metrics(capsys, out, regression_csv, "--target", "target")
    assert report["r2"] > 0.9 and set(report) >= {"mse", "rmse", "mae", "r2"}
    assert main(["predict", str(out), str(regression_csv), "--out", str(tmp_path / "predictions.csv")]) == 0
    with open(tmp_path / "predictions.csv", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["prediction"] and len(rows) == 401
    np.testing.assert_allclose([float(row[0]) for row in rows[1:]],
                               model.predict(np.loadtxt(regression_csv, delimiter=",", skiprows=1)[:, :4]), rtol=1e-6)


def test_a_continuous_target_without_task_regression_is_told_about_it(tmp_path, regression_csv, capsys):
    assert main(["train", str(regression_csv), "--target", "target", "--quiet", "--out", str(tmp_path / "m.npz")]) == 2
    assert_one_line_error(capsys, "--task regression")


def test_class_weight_balanced_raises_the_balanced_accuracy(tmp_path, imbalanced_csv, capsys):
    common = ["--target", "target", "--drop-columns", "weight", "--epochs", "40", "--quiet"]
    plain, weighted = tmp_path / "plain.npz", tmp_path / "weighted.npz"
    assert main(["train", str(imbalanced_csv), *common, "--out", str(plain)]) == 0
    assert main(["train", str(imbalanced_csv), *common, "--class-weight", "balanced", "--out", str(weighted)]) == 0
    evaluate = ["--target", "target", "--drop-columns", "weight"]
    before = json_metrics(capsys, plain, imbalanced_csv, *evaluate)["balanced_accuracy"]
    after = json_metrics(capsys, weighted, imbalanced_csv, *evaluate)["balanced_accuracy"]
    assert after > before + 0.05, (before, after)


def test_a_weight_column_weighs_the_rows_and_is_no_feature(tmp_path, imbalanced_csv, monkeypatch):
    received = {}
    fit = MLP.fit
    monkeypatch.setattr(MLP, "fit", lambda self, X, y, **options: received.update(options) or fit(self, X, y, **options))
    out = tmp_path / "model.npz"
    assert main(["train", str(imbalanced_csv), "--target", "target", "--sample-weight-column", "weight",
                 "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    assert "weight" not in load(out).feature_names_
    weights = received["sample_weight"]
    assert len(weights) == 1600 and set(np.unique(weights)) == {1.0, 5.0}


def test_a_chosen_threshold_is_saved_and_used_and_can_be_overridden(tmp_path, imbalanced_csv, capsys):
    out = tmp_path / "model.npz"
    assert main(["train", str(imbalanced_csv), "--target", "target", "--drop-columns", "weight", "--epochs", "40",
                 "--validation-split", "0.25", "--choose-threshold", "f1", "--quiet", "--out", str(out)]) == 0
    model = load(out)
    assert model.threshold_ is not None and model.threshold_ != 0.5
    evaluate = [out, imbalanced_csv, "--target", "target", "--drop-columns", "weight"]
    saved = json_metrics(capsys, *evaluate)
    plain = json_metrics(capsys, *evaluate, "--threshold", "0.5")
    assert saved["confusion_matrix"] != plain["confusion_matrix"]
    capsys.readouterr()
    assert main(["predict", str(out), str(imbalanced_csv), "--drop-columns", "weight"]) == 0
    labels = [line.split(",")[0] for line in capsys.readouterr().out.splitlines()[1:]]
    predicted_ones = sum(label == "1" for label in labels)
    assert predicted_ones == sum(saved["confusion_matrix"][0][1:]) + sum(saved["confusion_matrix"][1][1:])


@pytest.mark.parametrize("options, fragment", [
    (["--task", "regression", "--class-weight", "balanced"], "are for classification"),
    (["--choose-threshold", "f1"], "--choose-threshold needs --validation-split"),
])
def test_options_that_do_not_go_together_are_refused(tmp_path, regression_csv, capsys, options, fragment):
    assert main(["train", str(regression_csv), "--target", "target", *options, "--out", str(tmp_path / "m.npz")]) == 2
    assert_one_line_error(capsys, fragment)
