"""`numpy-mlp evaluate model.npz data.csv --target label`: the metrics of a saved model on a
labelled CSV file, as text or as JSON, equal to model.evaluate's."""

import contextlib
import io
import json

import numpy as np
import pytest
from helpers import assert_one_line_error

from numpy_mlp import MLP, load
from numpy_mlp.cli import main
from numpy_mlp.cli.options import format_metrics
from numpy_mlp.datasets import make_moons, read_csv


def write_rows(path, header, rows, delimiter=","):
    path.write_text("\n".join(delimiter.join(map(str, row)) for row in [header, *rows]) + "\n")
    return path


@pytest.fixture
def moons_csv(tmp_path):
    """Two moons with string labels, an identifier first and a text column last."""
    X, y = make_moons(n_samples=120, noise=0.2, seed=1)
    rows = [[f"id{i}", repr(a), "yes" if label else "no", repr(b), f"note{i}"]
            for i, ((a, b), label) in enumerate(zip(X.tolist(), y))]
    return write_rows(tmp_path / "moons.csv", ["id", "x1", "answer", "x2", "note"], rows)


@pytest.fixture
def model_file(tmp_path, moons_csv):
    out = tmp_path / "model.npz"
    assert main(["train", str(moons_csv), "--target", "answer", "--id-column", "id", "--drop-columns", "note",
                 "--epochs", "15", "--layers", "8", "--quiet", "--out", str(out)]) == 0
    return out


def run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(arg) for arg in argv])
    return status, out.getvalue(), err.getvalue()


def strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def expected_report(model_path, data_path, target="answer"):
    model = load(model_path)
    table = read_csv(data_path, target, dtype=model.dtype)
    X, y, names = table
    return model.evaluate(X[:, [names.index(name) for name in model.feature_names_]], y)


def test_json_parses_and_equals_model_evaluate(model_file, moons_csv):
    status, out, err = run(["evaluate", model_file, moons_csv, "--target", "answer", "--json",
                            "--drop-columns", "id", "note"])
    assert status == 0 and err == ""
    printed = strict_json(out)
    report = expected_report(model_file, moons_csv_numbers(moons_csv))
    assert printed.pop("samples") == 120 and printed.pop("classes") == ["no", "yes"]
    assert printed.keys() == report.keys()
    for key, value in report.items():
        assert printed[key] == (value.tolist() if isinstance(value, np.ndarray) else value), key
    assert isinstance(printed["loss"], float) and isinstance(printed["confusion_matrix"][0][0], int)


def moons_csv_numbers(moons_csv):
    """The moons file without its text columns, for read_csv."""
    lines = [line.split(",")[1:4] for line in moons_csv.read_text().splitlines()]
    path = moons_csv.parent / "numbers.csv"
    path.write_text("\n".join(",".join(line) for line in lines) + "\n")
    return path


def test_text_output_is_the_metrics_line_and_the_confusion_matrix(model_file, moons_csv):
    status, out, _ = run(["evaluate", model_file, moons_csv, "--target", "answer"])
    assert status == 0
    lines = out.splitlines()
    report = expected_report(model_file, moons_csv_numbers(moons_csv))
    assert lines[0] == f"{moons_csv}: 120 samples"
    assert lines[1] == format_metrics(report)
    assert lines[2] == "confusion matrix (rows: true class, columns: predicted class)"
    (no_no, no_yes), (yes_no, yes_yes) = report["confusion_matrix"].tolist()
    assert lines[4].split() == ["no", str(no_no), str(no_yes)]
    assert lines[5].split() == ["yes", str(yes_no), str(yes_yes)]


def test_a_softmax_model_gets_its_per_class_table(tmp_path):
    rng = np.random.default_rng(0)
    centres = {"red": (0, 0), "green": (4, 0), "blue": (0, 4)}
    rows = [[label, *(np.array(centre) + rng.normal(scale=0.5, size=2)).tolist()]
            for label, centre in centres.items() for _ in range(20)]
    data = write_rows(tmp_path / "colours.tsv", ["colour", "a", "b"], rows, delimiter="\t")
    out = tmp_path / "model.npz"
    assert main(["train", str(data), "--target", "colour", "--delimiter", "tab", "--epochs", "30",
                 "--quiet", "--out", str(out)]) == 0
    status, text, _ = run(["evaluate", out, data, "--target", "colour", "--delimiter", "tab"])
    assert status == 0
    model = load(out)
    X, y, _ = read_csv(data, "colour", dtype=np.float32, delimiter="\t")
    report = model.evaluate(X, y)
    table = text.splitlines()[2:6]
    assert table[0].split() == ["class", "precision", "recall", "f1", "support"]
    for line, label, recall, support in zip(table[1:], ["blue", "green", "red"], report["recall_per_class"],
                                            report["confusion_matrix"].sum(axis=1)):
        cells = line.split()
        assert cells[0] == label and float(cells[2]) == pytest.approx(recall, abs=5e-5) and int(cells[4]) == support
    assert strict_json(run(["evaluate", out, data, "--target", "colour", "--delimiter", "\\t", "--json"])[1])[
        "precision_per_class"] == report["precision_per_class"].tolist()


def test_an_undefined_metric_is_null_in_json(model_file, tmp_path):
    """Only one class present: the ROC AUC is undefined (NaN), which JSON writes as null."""
    only_yes = write_rows(tmp_path / "yes.csv", ["x1", "x2", "answer"], [[1.0, -0.4, "yes"], [0.5, -0.3, "yes"]])
    status, out, _ = run(["evaluate", model_file, only_yes, "--target", "answer", "--json"])
    assert status == 0
    assert strict_json(out)["roc_auc"] is None
    assert np.isnan(expected_report(model_file, only_yes)["roc_auc"])


def test_a_model_without_feature_names_takes_every_column_not_set_apart(tmp_path):
    X, y = make_moons(n_samples=50, noise=0.1, seed=0)
    model = MLP(2, [6, 1], seed=0, standardize=True)
    model.fit(X, y, epochs=5, verbose=0)
    assert model.feature_names_ is None
    model.save(tmp_path / "model.npz")
    data = write_rows(tmp_path / "data.csv", ["key", "x1", "comment", "x2", "label"],
                      [[i, a, "text", b, label] for i, ((a, b), label) in enumerate(zip(X.tolist(), y))])
    status, out, err = run(["evaluate", tmp_path / "model.npz", data, "--target", "label", "--id-column", "key",
                            "--drop-columns", "comment", "--json"])
    assert status == 0, err
    assert strict_json(out)["loss"] == model.evaluate(X.astype(np.float32), y)["loss"]


def test_metrics_out_records_the_evaluation(model_file, moons_csv, tmp_path):
    record_path = tmp_path / "evaluation.json"
    status, out, err = run(["evaluate", model_file, moons_csv, "--target", "answer", "--json",
                            "--metrics-out", record_path])
    assert status == 0 and f"metrics saved to {record_path}" in err  # standard output holds the JSON alone
    printed, record = strict_json(out), strict_json(record_path.read_text())
    assert record["command"] == "evaluate" and record["options"]["target"] == "answer"
    assert record["data"] == {"path": str(moons_csv), "samples": {"data": 120}}
    assert record["model"]["neurons_per_layer"] == [8, 1] and record["model"]["classes"] == ["no", "yes"]
    assert record["metrics"]["data"] == {key: value for key, value in printed.items()
                                         if key not in ("samples", "classes")}
    assert record["training"] is None and record["wall_time_seconds"] > 0


@pytest.mark.parametrize("make_data, options, fragments", [
    (lambda path: write_rows(path, ["x1", "x2", "answer"], [[0.1, 0.2, "maybe"]]), [],
     ["'maybe'"]),
    (lambda path: write_rows(path, ["x1", "x2", "label"], [[0.1, 0.2, "yes"]]), [],
     ["data.csv, line 1: no column named 'answer'; the columns are: x1, x2, label"]),
    (lambda path: write_rows(path, ["x1", "x2", "answer"], [[0.1, 0.2, "yes"]]), ["--drop-columns", "x1"],
     ["the column 'x1' is a feature and is given as a column to drop"]),
    (lambda path: write_rows(path, ["x1;x2;answer"], [["0.1;0.2;yes"]]), [],
     ["no column named 'answer'", "separated by ';' rather than ','"]),
])
def test_bad_data_is_a_one_line_error(model_file, tmp_path, capsys, make_data, options, fragments):
    data = make_data(tmp_path / "data.csv")
    assert main(["evaluate", str(model_file), str(data), "--target", "answer", *options]) == 2
    assert_one_line_error(capsys, *fragments)


def test_evaluate_is_listed_with_help(capsys):
    assert main(["evaluate", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: numpy-mlp evaluate")
    assert main(["--help"]) == 0
    assert "evaluate" in capsys.readouterr().out
