"""`numpy-mlp train`'s validation workflow: the test part is held out and evaluated once, a
validation part of the rest is watched (and stops the training), the run is recorded as JSON;
and the CSV options (--delimiter, --id-column, --drop-columns) through train and predict."""

import csv
import io
import json
import os

import numpy as np
import pytest
from helpers import assert_one_line_error

from numpy_mlp import MLP, load
from numpy_mlp.cli import main
from numpy_mlp.cli import train as train_command
from numpy_mlp.datasets import read_features_csv
from numpy_mlp.splits import split_indices
from numpy_mlp.files import TEMPORARY_PREFIX

N_ROWS, N_FEATURES = 300, 8


def write_noisy_table(path, delimiter=",", n=N_ROWS, seed=0):
    """A table that a wide network overfits within a few epochs: two informative features of
    eight, labels flipped by noise. Columns: row (an identifier), note (text), x0..x7, label;
    x0 differs on every row, so it also tells which rows a call received."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    y = (X[:, 0] + X[:, 1] + rng.normal(scale=1.5, size=n) > 0).astype(int)
    header = ["row", "note", *(f"x{k}" for k in range(N_FEATURES)), "label"]
    with open(path, "w", newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows([f"r{i:03d}", f"note {i}", *map(repr, row), int(label)]
                         for i, (row, label) in enumerate(zip(X.tolist(), y)))
    return path


@pytest.fixture
def table(tmp_path):
    return write_noisy_table(tmp_path / "table.csv")


TRAIN = ["--target", "label", "--id-column", "row", "--drop-columns", "note", "--layers", "32", "32",
         "--learning-rate", "0.1", "--seed", "0", "--quiet"]


def train(table, out, *options):
    return main(["train", str(table), *TRAIN, "--out", str(out), *map(str, options)])


class FitSpy:
    """Records what MLP.fit and MLP.evaluate receive, by the x0 values (one per row)."""

    def __init__(self, monkeypatch):
        self.fits, self.evaluated = [], []
        fit, evaluate = MLP.fit, MLP.evaluate

        def spy_fit(model, X, y, **options):
            self.fits.append((np.array(X), np.array(y), options.get("validation_data")))
            return fit(model, X, y, **options)

        def spy_evaluate(model, X, y, **options):
            self.evaluated.append(rows_of(X))
            return evaluate(model, X, y, **options)

        monkeypatch.setattr(MLP, "fit", spy_fit)
        monkeypatch.setattr(MLP, "evaluate", spy_evaluate)


def rows_of(X) -> frozenset:
    """The rows of X, known by their x0 (the first feature column: the identifier and text are not features)."""
    return frozenset(np.asarray(X)[:, 0].tolist())


def all_rows(table) -> frozenset:
    return rows_of(read_features_csv(table, ["x0"], dtype=np.float32))


def read_record(path) -> dict:
    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(path.read_text(), parse_constant=refuse)


# -- the three parts ---------------------------------------------------------------------------

def test_the_test_rows_never_reach_fit_and_are_evaluated_once(tmp_path, table, monkeypatch):
    spy = FitSpy(monkeypatch)
    assert train(table, tmp_path / "model.npz", "--epochs", "3", "--validation-split", "0.25") == 0
    [(X_train, _, validation)] = spy.fits
    training, validating = rows_of(X_train), rows_of(validation[0])
    testing = all_rows(table) - training - validating
    assert not training & validating
    assert (len(training), len(validating), len(testing)) == (180, 60, 60)  # 300 - 60 test, a quarter of 240
    # After training: each part evaluated once, the test part only then.
    assert spy.evaluated == [training, validating, testing]


def test_without_validation_split_fit_watches_nothing(tmp_path, table, monkeypatch):
    spy = FitSpy(monkeypatch)
    assert train(table, tmp_path / "model.npz", "--epochs", "2") == 0
    [(X_train, _, validation)] = spy.fits
    assert validation is None and len(rows_of(X_train)) == 240
    assert spy.evaluated[-1] == all_rows(table) - rows_of(X_train)


def test_the_test_rows_do_not_depend_on_the_validation_split_but_on_the_seed(tmp_path, table, monkeypatch):
    spy = FitSpy(monkeypatch)
    for options in (["--seed", "0"], ["--seed", "0", "--validation-split", "0.3"], ["--seed", "1"]):
        assert train(table, tmp_path / "model.npz", "--epochs", "1", *options) == 0
    test_parts = [evaluated[-1] for evaluated in (spy.evaluated[0:2], spy.evaluated[2:5], spy.evaluated[5:7])]
    assert test_parts[0] == test_parts[1] != test_parts[2]
    # The same rows as numpy_mlp.splits draws for --test-size 0.2 and --seed 0, stratified.
    labels = np.array([int(row["label"]) for row in csv.DictReader(open(table))])
    x0 = read_features_csv(table, ["x0"], dtype=np.float32)[:, 0]
    _, test = split_indices(N_ROWS, 0.2, np.random.default_rng(0), labels)
    assert test_parts[0] == frozenset(x0[test].tolist())


def test_the_validation_part_is_stratified_and_the_same_for_the_same_seed(tmp_path, table, monkeypatch):
    spy = FitSpy(monkeypatch)
    for seed in ("0", "0", "5"):
        assert train(table, tmp_path / "model.npz", "--epochs", "1", "--validation-split", "0.25",
                     "--seed", seed) == 0
    parts = [rows_of(validation[0]) for _, _, validation in spy.fits]
    assert parts[0] == parts[1] != parts[2]
    validation_labels = spy.fits[0][2][1]
    labels = np.array([int(row["label"]) for row in csv.DictReader(open(table))])
    test_count = round(0.2 * N_ROWS)
    # 60 of the 240 rows left by the test part, each class in proportion (to the sample).
    assert abs(validation_labels.mean() - labels.mean()) <= 1 / (N_ROWS - test_count) + 1 / len(validation_labels)


# -- early stopping ----------------------------------------------------------------------------

def test_early_stopping_keeps_the_best_epoch(tmp_path, table, monkeypatch, capsys):
    spy = FitSpy(monkeypatch)
    out, record_path = tmp_path / "model.npz", tmp_path / "metrics.json"
    assert main(["train", str(table), *TRAIN, "--out", str(out), "--epochs", "200", "--validation-split", "0.25",
                 "--early-stopping", "5", "--metrics-out", str(record_path)]) == 0
    training = read_record(record_path)["training"]
    val_loss = training["history"]["val_loss"]
    best = int(np.argmin(val_loss)) + 1
    assert training["stopped_early"] and training["epochs_run"] == len(val_loss) == best + 5 < 200
    assert training["best_epoch"] == training["weights_of_epoch"] == best
    assert val_loss[-1] > val_loss[best - 1]  # the last epoch's weights would be worse

    # The saved model has the best epoch's weights: its validation loss is the lowest of the run.
    [(_, _, validation)] = spy.fits
    model = load(out)
    assert model.evaluate(*validation[:2])["loss"] == pytest.approx(val_loss[best - 1], rel=1e-6)
    # A run that stopped early is complete: --resume will not train "the epochs left" of the 200.
    assert model.planned_epochs == model.epochs_trained == best + 5
    assert f"keeping the weights of epoch {best}" in capsys.readouterr().err


def test_early_stopping_without_a_validation_split_is_refused(tmp_path, table, capsys):
    assert train(table, tmp_path / "model.npz", "--early-stopping", "5") == 2
    assert_one_line_error(capsys, "--early-stopping needs --validation-split")
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("options, fragments", [
    (["--validation-split", "0"], ["--validation-split", "expected a fraction in (0, 1), got '0'"]),
    (["--validation-split", "1"], ["expected a fraction in (0, 1), got '1'"]),
    (["--early-stopping", "0", "--validation-split", "0.2"], ["expected a positive integer, got '0'"]),
    (["--delimiter", "ab"], ["--delimiter", "expected one character"]),
])
def test_bad_option_values_are_usage_errors(tmp_path, table, capsys, options, fragments):
    assert train(table, tmp_path / "model.npz", "--epochs", "1", *options) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: numpy-mlp train") and "Traceback" not in err
    assert all(fragment in err.splitlines()[-1] for fragment in fragments), err


@pytest.mark.parametrize("options, fragments", [
    (["--validation-split", "0.999"], ["--validation-split=0.999 leaves no samples for one of the two parts"]),
    (["--test-size", "0.999"], ["--test-size=0.999 leaves no samples"]),
    (["--id-column", "label"], ["the column 'label' is given as the target and as the identifier column"]),
    (["--drop-columns", "nope"], ["table.csv, line 1: no column named 'nope' (a column to drop)"]),
    (["--metrics-out", "SAME"], ["--out and --metrics-out both name"]),
])
def test_bad_combinations_are_one_line_errors(tmp_path, table, capsys, options, fragments):
    out = tmp_path / "model.npz"
    options = [str(out) if option == "SAME" else option for option in options]
    assert train(table, out, "--epochs", "1", *options) == 2
    assert_one_line_error(capsys, *fragments)
    assert not out.exists()


def test_a_resumed_run_keeps_its_validation_part_and_ends_as_the_straight_run(tmp_path, table, monkeypatch):
    spy = FitSpy(monkeypatch)
    split = ["--validation-split", "0.25", "--optimizer", "adam", "--learning-rate", "0.01"]
    assert train(table, tmp_path / "straight.npz", "--epochs", "4", *split) == 0
    assert train(table, tmp_path / "first.npz", "--epochs", "2", *split) == 0
    assert train(table, tmp_path / "first.npz", "--epochs", "2", "--resume", tmp_path / "first.npz", *split) == 0
    assert len({rows_of(validation[0]) for _, _, validation in spy.fits}) == 1  # the same validation rows
    straight, resumed = load(tmp_path / "straight.npz"), load(tmp_path / "first.npz")
    assert resumed.epochs_trained == 4
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)


# -- what is printed, plotted and recorded -----------------------------------------------------

def test_the_held_out_parts_are_named_validation_and_test(tmp_path, table, monkeypatch, capsys):
    labels = []
    monkeypatch.setattr(train_command.plotting, "require_matplotlib", lambda: None)
    monkeypatch.setattr(train_command.plotting, "plot_history",
                        lambda history, path, validation_label: labels.append((sorted(history.history),
                                                                               validation_label)))
    assert train(table, tmp_path / "model.npz", "--epochs", "2", "--validation-split", "0.25",
                 "--plot", tmp_path / "curves.png") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["train", "validation", "test"]
    assert labels == [(["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"], "validation")]


def test_metrics_out_records_the_run(tmp_path, table, monkeypatch):
    spy = FitSpy(monkeypatch)
    out, record_path = tmp_path / "model.npz", tmp_path / "metrics.json"
    assert train(table, out, "--epochs", "4", "--validation-split", "0.25", "--batch-size", "16",
                 "--metrics-out", record_path) == 0
    record = read_record(record_path)
    assert record["command"] == "train"
    options = record["options"]
    assert (options["epochs"], options["batch_size"], options["validation_split"], options["test_size"]) == \
        (4, 16, 0.25, 0.2)
    assert (options["id_column"], options["drop_columns"], options["layers"]) == ("row", ["note"], [32, 32])
    model = load(out)
    assert record["model"]["neurons_per_layer"] == [32, 32, 1] and record["model"]["output"] == "sigmoid"
    assert record["model"]["feature_names"] == [f"x{k}" for k in range(N_FEATURES)]
    assert record["model"]["parameters"] == sum(value.size for value, _ in model.parameters()) == 9 * 32 + 33 * 32 + 33
    assert record["data"] == {"path": str(table), "samples": {"train": 180, "validation": 60, "test": 60}}
    training = record["training"]
    assert (training["epochs_run"], training["last_epoch"], training["stopped_early"]) == (4, 4, False)
    assert training["best_epoch"] == int(np.argmin(training["history"]["val_loss"])) + 1
    assert training["weights_of_epoch"] == 4 and training["history"]["epoch"] == [1, 2, 3, 4]
    # The final metrics of each part are the saved model's on that part's rows.
    [(X_train, y_train, validation)] = spy.fits
    for part, (X, y) in {"train": (X_train, y_train), "validation": validation[:2]}.items():
        report = model.evaluate(X, y)
        assert record["metrics"][part]["loss"] == pytest.approx(report["loss"], rel=1e-6)
        assert record["metrics"][part]["confusion_matrix"] == report["confusion_matrix"].tolist()
    assert sum(map(sum, record["metrics"]["test"]["confusion_matrix"])) == 60
    assert 0 < training["seconds"] <= record["wall_time_seconds"]
    assert not [name for name in os.listdir(tmp_path) if name.startswith(TEMPORARY_PREFIX)]


# -- --delimiter, --id-column, --drop-columns through train and predict ------------------------

def test_a_tab_separated_file_round_trips_with_its_identifiers(tmp_path, capsys):
    table = write_noisy_table(tmp_path / "table.tsv", delimiter="\t")
    out = tmp_path / "model.npz"
    assert main(["train", str(table), *TRAIN, "--delimiter", "tab", "--epochs", "2", "--out", str(out)]) == 0
    model = load(out)
    assert model.feature_names_ == [f"x{k}" for k in range(N_FEATURES)]  # neither row nor note
    capsys.readouterr()
    assert main(["predict", str(out), str(table), "--delimiter", "\\t", "--id-column", "row"]) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert printed[0] == ["row", "prediction", "probability_0", "probability_1"]
    assert [row[0] for row in printed[1:]] == [f"r{i:03d}" for i in range(N_ROWS)]
    X = read_features_csv(table, model.feature_names_, dtype=model.dtype, delimiter="\t")
    assert [int(row[1]) for row in printed[1:]] == model.predict(X).tolist()
    np.testing.assert_array_equal([float(row[3]) for row in printed[1:]], model.predict_proba(X))


def test_predict_keeps_the_identifiers_of_a_file_with_other_columns_in_another_order(tmp_path, table):
    out = tmp_path / "model.npz"
    assert train(table, out, "--epochs", "2") == 0
    rows = list(csv.DictReader(open(table)))[::-1]  # reversed rows, reordered columns, no label
    shuffled = tmp_path / "new.csv"
    with open(shuffled, "w", newline="") as file:
        writer = csv.DictWriter(file, [*(f"x{k}" for k in reversed(range(N_FEATURES))), "row", "note"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    predictions = tmp_path / "predictions.csv"
    assert main(["predict", str(out), str(shuffled), "--id-column", "row", "--out", str(predictions)]) == 0
    written = list(csv.DictReader(open(predictions)))
    assert [row["row"] for row in written] == [row["row"] for row in rows]
    X = np.array([[float(row[f"x{k}"]) for k in range(N_FEATURES)] for row in rows], dtype=np.float32)
    assert [int(row["prediction"]) for row in written] == load(out).predict(X).tolist()


def test_an_identifier_column_is_needed_where_it_is_named(tmp_path, table, capsys):
    out = tmp_path / "model.npz"
    assert train(table, out, "--epochs", "1") == 0
    capsys.readouterr()
    assert main(["predict", str(out), str(table), "--id-column", "id"]) == 2
    assert_one_line_error(capsys, "table.csv, line 1: no column named 'id' (the identifier column)")


def test_a_text_column_must_be_dropped_to_train(tmp_path, table, capsys):
    options = [option for option in TRAIN if option not in ("--drop-columns", "note")]
    assert main(["train", str(table), *options, "--epochs", "1", "--out", str(tmp_path / "m.npz")]) == 2
    assert_one_line_error(capsys, "line 2: column 'note' has the non-numeric value 'note 0'")
