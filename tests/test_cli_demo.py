"""`numpy-mlp demo`: the animation of the two moons, the honest three-way split, and --write-csv."""

import re

import numpy as np
import pytest
from helpers import open_image

from numpy_mlp.cli import main
from numpy_mlp.datasets import make_moons, read_csv

pytest.importorskip("matplotlib")


def test_animate_writes_the_moons_training_gif(tmp_path, capsys, monkeypatch):
    import numpy_mlp.cli.demo as demo

    monkeypatch.setattr(demo, "demo_xor", lambda: None)  # the other parts are tested in test_cli.py
    monkeypatch.setattr(demo, "demo_breast_cancer", lambda out_dir: None)
    assert main(["demo", "--animate", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    gif = open_image(tmp_path / "moons_training.gif", "GIF", (400, 340))
    assert gif.n_frames == 40
    assert f"training animation saved to {tmp_path / 'moons_training.gif'}" in out
    open_image(tmp_path / "moons_learning_curves.png", "PNG", (1000, 400))
    open_image(tmp_path / "moons_decision_boundary.png", "PNG", (600, 500))


def test_the_test_part_is_held_out_from_training_and_validation(tmp_path, capsys, monkeypatch):
    import numpy_mlp.cli.demo as demo

    fitted = []
    original_fit = demo.MLP.fit

    def recording_fit(model, X, y, **options):
        fitted.append((np.asarray(X), options["validation_data"][0]))
        return original_fit(model, X, y, **options)

    monkeypatch.setattr(demo.MLP, "fit", recording_fit)
    monkeypatch.setattr(demo, "demo_xor", lambda: None)
    monkeypatch.setattr(demo, "demo_breast_cancer", lambda out_dir: None)
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "600 training, 200 validation and 200 test samples" in out
    assert re.search(r"^  test: +loss [0-9.]+  accuracy [0-9.]+", out, re.M)

    (X_train, X_val), = fitted
    X, _ = make_moons(**demo.MOONS)
    seen = {tuple(point) for point in np.concatenate([X_train, X_val]).tolist()}
    held_out = [point for point in X.tolist() if tuple(point) not in seen]
    assert len(X_train) == 600 and len(X_val) == 200 and len(held_out) == 200


def test_write_csv_writes_the_demo_moons_and_trains_nothing(tmp_path, capsys):
    path = tmp_path / "moons.csv"
    assert main(["demo", "--write-csv", str(path), "--out-dir", str(tmp_path / "plots")]) == 0
    assert "1000 two-moons samples written to" in capsys.readouterr().out
    X, y, names = read_csv(path, "label")
    expected_X, expected_y = make_moons(n_samples=1000, noise=0.15, seed=0)
    assert names == ["x1", "x2"]
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(y.astype(int), expected_y)
    assert not (tmp_path / "plots").exists()


def test_the_readme_cli_example_runs_on_the_written_csv(tmp_path, capsys):
    csv_path, model_path = tmp_path / "moons.csv", tmp_path / "model.npz"
    assert main(["demo", "--write-csv", str(csv_path)]) == 0
    assert main(["train", str(csv_path), "--target", "label", "--epochs", "20", "--quiet",
                 "--out", str(model_path)]) == 0
    assert main(["predict", str(model_path), str(csv_path), "--out", str(tmp_path / "predictions.csv")]) == 0
    assert (tmp_path / "predictions.csv").read_text().startswith("prediction,probability_0,probability_1\n")
