"""The command line's outputs and inputs at their edges: an --out or --plot that cannot be written
fails before any work, and a CSV value too large for the model's dtype is named by line and column."""

import contextlib
import io

import numpy as np
import pytest

from numpy_mlp import MLP
from numpy_mlp.cli import main
from numpy_mlp.datasets import make_moons
from numpy_mlp.datasets.mnist import ENV_VAR
from numpy_mlp.files import TEMPORARY_PREFIX


def run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(arg) for arg in argv])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def moons_csv(tmp_path):
    X, y = make_moons(n_samples=60, noise=0.1, seed=0)
    path = tmp_path / "moons.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{a!r},{b!r},{label}\n" for (a, b), label in zip(X.tolist(), y)))
    return path


def saved_model(path, dtype=np.float32):
    model = MLP(2, [4, 1], seed=0, dtype=dtype)
    model.feature_names_ = ["x1", "x2"]  # predict picks these columns of the CSV
    model.save(path)
    return path


@pytest.fixture
def model_file(tmp_path):
    return saved_model(tmp_path / "model.npz")


def assert_refused_before_work(result, path, problem):
    """Exit status 2, one line naming the path and the problem, and nothing done before it."""
    status, out, err = result
    assert status == 2
    assert err == f"numpy-mlp: error: cannot write {path}: {problem}\n"
    assert TEMPORARY_PREFIX not in err
    assert out == ""  # no metrics: training never ran


def missing(tmp_path, name):
    return tmp_path / "no-such-folder" / name, f"the folder {tmp_path / 'no-such-folder'} does not exist"


def test_train_refuses_an_out_in_a_missing_folder_before_training(tmp_path, moons_csv):
    out, problem = missing(tmp_path, "model.npz")
    result = run(["train", moons_csv, "--target", "label", "--epochs", "1", "--out", out])
    assert_refused_before_work(result, out, problem)


def test_train_refuses_a_plot_in_a_missing_folder_before_training(tmp_path, moons_csv):
    pytest.importorskip("matplotlib")
    plot, problem = missing(tmp_path, "curves.png")
    result = run(["train", moons_csv, "--target", "label", "--epochs", "1", "--out", tmp_path / "model.npz",
                  "--plot", plot])
    assert_refused_before_work(result, plot, problem)
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("option", ["--out", "--plot"])
def test_mnist_refuses_an_output_in_a_missing_folder_before_looking_for_the_data(tmp_path, monkeypatch, option):
    if option == "--plot":
        pytest.importorskip("matplotlib")
    monkeypatch.delenv(ENV_VAR, raising=False)  # only --data-dir is searched
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "cache"))
    destination, problem = missing(tmp_path, "mnist-output")
    # An empty --data-dir with --no-download would fail too, but later, and with another message.
    (tmp_path / "empty").mkdir()
    result = run(["mnist", "--data-dir", tmp_path / "empty", "--no-download", option, destination])
    assert_refused_before_work(result, destination, problem)


def test_predict_refuses_an_out_in_a_missing_folder(tmp_path, moons_csv, model_file):
    out, problem = missing(tmp_path, "predictions.csv")
    assert_refused_before_work(run(["predict", model_file, moons_csv, "--out", out]), out, problem)


def test_train_refuses_an_out_that_is_a_folder(tmp_path, moons_csv):
    result = run(["train", moons_csv, "--target", "label", "--epochs", "1", "--out", tmp_path])
    assert_refused_before_work(result, tmp_path, "it is a folder; give a file name")


def with_a_huge_value(csv_path, line: int, column: str):
    """``csv_path`` with 1e39, too large for float32, in ``column`` at ``line`` (1 is the header)."""
    lines = csv_path.read_text().splitlines()
    names = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[names.index(column)] = "1e39"
    lines[line - 1] = ",".join(cells)
    csv_path.write_text("\n".join(lines) + "\n")
    return csv_path


def test_train_names_the_line_and_column_of_a_value_too_large_for_float32(tmp_path, moons_csv):
    data = with_a_huge_value(moons_csv, 42, "x2")
    status, out, err = run(["train", data, "--target", "label", "--epochs", "1", "--out", tmp_path / "m.npz"])
    assert status == 2 and out == ""
    assert err == (f"numpy-mlp: error: {data}, line 42: column 'x2' has the value '1e39', too large for "
                   "float32 (largest: 3.4028235e+38); rescale the column\n")


def test_predict_names_the_line_and_column_of_a_value_too_large_for_the_model(tmp_path, moons_csv, model_file):
    data = with_a_huge_value(moons_csv, 7, "x1")
    status, out, err = run(["predict", model_file, data])
    assert status == 2 and out == ""
    assert err.startswith(f"numpy-mlp: error: {data}, line 7: column 'x1' has the value '1e39', too large "
                          "for float32")
    status, out, _ = run(["predict", saved_model(tmp_path / "model64.npz", np.float64), data])
    assert status == 0 and len(out.splitlines()) == 61  # float64 holds 1e39: a header and 60 rows
