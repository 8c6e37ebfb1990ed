"""numpy-mlp export: a saved model as an ONNX file that onnxruntime runs like the model."""

import sys

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx  # noqa: E402
from helpers import assert_one_line_error, make_moons, onnx_outputs  # noqa: E402

from numpy_mlp import MLP, load  # noqa: E402
from numpy_mlp.cli import main  # noqa: E402
from numpy_mlp.onnx_export import OPSET  # noqa: E402


@pytest.fixture
def model_path(tmp_path):
    """Two moons, string labels, standardised, trained briefly and saved with its feature names."""
    X, y = make_moons(n_samples=200, noise=0.1, seed=0)
    labels = np.where(y == 1, "yes", "no")
    model = MLP.for_labels(2, [16], labels, standardize=True, seed=0)
    model.feature_names_ = ["x1", "x2"]
    model.fit(X, labels, epochs=20, learning_rate=0.1, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    return path


def test_export_writes_a_file_onnxruntime_runs_like_the_model(model_path, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["export", str(model_path), str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert stdout == ""  # a note on standard error, nothing else
    assert stderr == f"{out} written: ONNX opset {OPSET}, input X float32 (N, 2), outputs probabilities, label\n"

    model = load(model_path)
    X = np.random.default_rng(0).uniform(-1.0, 2.0, size=(300, 2)).astype(np.float32)
    outputs = onnx_outputs(str(out), X)
    assert np.max(np.abs(outputs["probabilities"] - model.predict_proba(X))) <= 1e-5
    assert outputs["label"].tolist() == model.predict(X).tolist()
    assert {entry.key: entry.value for entry in onnx.load(out).metadata_props} == {"feature_names": '["x1", "x2"]'}


def test_opset_on_request(model_path, tmp_path):
    out = tmp_path / "model.onnx"
    assert main(["export", str(model_path), str(out), "--opset", "13"]) == 0
    assert [opset.version for opset in onnx.load(out).opset_import] == [13]


def test_help_states_the_default_opset(capsys):
    assert main(["export", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert help_text.startswith("usage: numpy-mlp export")
    assert f"(default: {OPSET}," in help_text


def test_too_old_an_opset_is_one_line(model_path, tmp_path, capsys):
    assert main(["export", str(model_path), str(tmp_path / "model.onnx"), "--opset", "12"]) == 2
    assert_one_line_error(capsys, "opset must be an integer from 13")
    assert not (tmp_path / "model.onnx").exists()


def test_missing_model(tmp_path, capsys):
    assert main(["export", str(tmp_path / "absent.npz"), str(tmp_path / "model.onnx")]) == 2
    assert_one_line_error(capsys, "No such file or directory", "absent.npz")


def test_a_file_that_is_not_a_model(tmp_path, capsys):
    path = tmp_path / "notes.npz"
    path.write_text("not a model")
    assert main(["export", str(path), str(tmp_path / "model.onnx")]) == 2
    assert_one_line_error(capsys, "notes.npz", "not a numpy-mlp model file")


def test_without_the_onnx_package_the_error_names_the_extra(model_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now raises ImportError
    monkeypatch.delitem(sys.modules, "numpy_mlp.onnx_export", raising=False)
    assert main(["export", str(model_path), str(tmp_path / "model.onnx")]) == 2
    assert_one_line_error(capsys, "needs the onnx package", "pip install numpy-mlp[onnx]")
