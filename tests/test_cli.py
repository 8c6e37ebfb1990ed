"""The numpy-mlp command line, end to end, called in-process through main(argv)."""

import csv
import re
import subprocess
import sys

import numpy as np
import pytest

from numpy_mlp import SGD, Adam, AdamW, CosineDecay, ExponentialDecay, RMSProp, StepDecay, load
from numpy_mlp.cli import main
from numpy_mlp.datasets import make_moons, read_features_csv

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_table(path, header, rows):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def moons_csv(tmp_path):
    """Two moons with string labels and the target in the middle column."""
    X, y = make_moons(n_samples=200, noise=0.1, seed=0)
    labels = np.where(y == 1, "yes", "no")
    return write_table(tmp_path / "moons.csv", ["x1", "answer", "x2"],
                       [[a, label, b] for (a, b), label in zip(X.tolist(), labels)])


def read_rows(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


def train(csv_path, out, *options):
    return main(["train", str(csv_path), "--target", "answer", "--layers", "16", "16", "--epochs", "40",
                 "--batch-size", "16", "--learning-rate", "0.1", "--seed", "0", "--out", str(out), *options])


def metric(text, line_start, name):
    """The value of ``name`` on the output line starting with ``line_start``."""
    line = next(line for line in text.splitlines() if line.strip().startswith(line_start))
    return float(re.search(rf"\b{name} ([0-9.]+)", line).group(1))


def test_python_m_numpy_mlp_help():
    result = subprocess.run([sys.executable, "-m", "numpy_mlp", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: numpy-mlp")
    for command in ("train", "mnist", "predict", "demo"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["train", "mnist", "predict", "demo"])
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: numpy-mlp {command}")


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage: numpy-mlp" in capsys.readouterr().err


def test_bad_option_value_is_a_usage_error(capsys, moons_csv):
    assert main(["train", str(moons_csv), "--target", "answer", "--epochs", "0"]) == 2
    assert "expected a positive integer, got '0'" in capsys.readouterr().err


def test_train_then_predict(tmp_path, moons_csv, capsys):
    model_path = tmp_path / "model.npz"
    assert train(moons_csv, model_path, "--plot", str(tmp_path / "curves.png")) == 0
    out, err = capsys.readouterr()

    assert metric(out, "train:", "accuracy") >= 0.95
    assert metric(out, "test:", "accuracy") >= 0.9
    assert f"model saved to {model_path}" in out
    assert "Epoch 40/40" in err and "Epoch" not in out  # progress on stderr, results on stdout
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG_SIGNATURE

    model = load(model_path)
    assert model.feature_names_ == ["x1", "x2"]
    assert model.classes_.tolist() == ["no", "yes"]
    assert model.scaler is not None  # the features were standardised

    predictions_path = tmp_path / "predictions.csv"
    assert main(["predict", str(model_path), str(moons_csv), "--out", str(predictions_path)]) == 0
    rows = read_rows(predictions_path)
    assert rows[0] == ["prediction", "probability_no", "probability_yes"]
    X = read_features_csv(moons_csv, ["x1", "x2"])
    assert [row[0] for row in rows[1:]] == model.predict(X).tolist()
    probabilities = np.array([[float(cell) for cell in row[1:]] for row in rows[1:]])
    np.testing.assert_array_equal(probabilities[:, 1], model.predict_proba(X))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_predict_to_stdout_finds_columns_by_name(tmp_path, moons_csv, capsys):
    model_path = tmp_path / "model.npz"
    assert train(moons_csv, model_path, "--quiet") == 0
    capsys.readouterr()
    # Columns reordered, the target dropped and an extra column added: names decide.
    rows = read_rows(moons_csv)[1:]
    shuffled = write_table(tmp_path / "new.csv", ["id", "x2", "x1"],
                           [[i, x2, x1] for i, (x1, _, x2) in enumerate(rows)])
    assert main(["predict", str(model_path), str(shuffled)]) == 0
    out, err = capsys.readouterr()
    printed = list(csv.reader(out.splitlines()))
    model = load(model_path)
    X = np.array([[float(x1), float(x2)] for x1, _, x2 in rows])
    assert [row[0] for row in printed[1:]] == model.predict(X).tolist()
    assert err == ""


def test_predict_warns_in_one_line_about_features_unlike_the_training_data(tmp_path, moons_csv, capsys):
    model_path = tmp_path / "model.npz"
    assert train(moons_csv, model_path, "--quiet") == 0
    rows = read_rows(moons_csv)[1:]
    scaled = write_table(tmp_path / "scaled.csv", ["x1", "x2"], [[float(x1) * 255, float(x2) * 255]
                                                                 for x1, _, x2 in rows])
    capsys.readouterr()
    assert main(["predict", str(model_path), str(scaled)]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("numpy-mlp: warning: X's values lie in [") and "far outside" in err
    assert len(err.splitlines()) == 1
    assert len(out.splitlines()) == len(rows) + 1  # the predictions are still written


def test_quiet_train_prints_no_progress(tmp_path, moons_csv, capsys):
    assert train(moons_csv, tmp_path / "model.npz", "--quiet", "--epochs", "2") == 0
    assert capsys.readouterr().err == ""


def test_multiclass_gets_a_softmax(tmp_path, capsys):
    rng = np.random.default_rng(0)
    centres = {"red": (0, 0), "green": (4, 0), "blue": (0, 4)}
    rows = [[label, *(np.array(centre) + rng.normal(scale=0.5, size=2)).tolist()]
            for label, centre in centres.items() for _ in range(30)]
    data = write_table(tmp_path / "colours.csv", ["answer", "a", "b"], rows)
    assert train(data, tmp_path / "model.npz", "--quiet") == 0
    assert metric(capsys.readouterr().out, "test:", "accuracy") >= 0.9
    model = load(tmp_path / "model.npz")
    assert model.output == "softmax" and model.classes_.tolist() == ["blue", "green", "red"]

    assert main(["predict", str(tmp_path / "model.npz"), str(data), "--out", str(tmp_path / "p.csv")]) == 0
    predictions = read_rows(tmp_path / "p.csv")
    assert predictions[0] == ["prediction", "probability_blue", "probability_green", "probability_red"]
    np.testing.assert_allclose([sum(map(float, row[1:])) for row in predictions[1:]], 1.0, rtol=1e-6)


def test_test_size_zero_trains_on_everything(tmp_path, moons_csv, capsys):
    assert train(moons_csv, tmp_path / "model.npz", "--quiet", "--test-size", "0", "--epochs", "2") == 0
    out = capsys.readouterr().out
    assert "train:" in out and "test:" not in out


def test_same_seed_same_model(tmp_path, moons_csv, capsys):
    for name in ("a.npz", "b.npz"):
        assert train(moons_csv, tmp_path / name, "--quiet", "--epochs", "3") == 0
    first, second = load(tmp_path / "a.npz"), load(tmp_path / "b.npz")
    for (a, _), (b, _) in zip(first.parameters(), second.parameters()):
        np.testing.assert_array_equal(a, b)


def assert_one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert err.startswith("numpy-mlp: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.parametrize("text, fragments", [
    ("x1,x2,label\n1,2,a\n", ["line 1", "no column named 'answer'", "x1, x2, label"]),
    ("x1,answer\n1,a\n2,b\n3 4,a\n", ["line 4", "'x1'", "non-numeric value '3 4'"]),
    ("x1,answer\n1,a\n2,b,7\n", ["line 3", "3 fields, but the header has 2"]),
    ("x1,answer\n1,a\n,b\n", ["line 3", "missing value in column 'x1'"]),
    ("", ["the file is empty"]),
    ("x1,answer\n1,a\n2,a\n", ["only one class"]),
])
def test_bad_csv_gives_exit_2_and_one_line(tmp_path, capsys, text, fragments):
    (tmp_path / "bad.csv").write_text(text)
    assert train(tmp_path / "bad.csv", tmp_path / "model.npz") == 2
    assert_one_line_error(capsys, "bad.csv", *fragments)
    assert not (tmp_path / "model.npz").exists()


def test_missing_csv(tmp_path, capsys):
    assert train(tmp_path / "absent.csv", tmp_path / "model.npz") == 2
    assert_one_line_error(capsys, "No such file or directory", "absent.csv")


def test_predict_with_a_corrupt_model(tmp_path, capsys, moons_csv):
    (tmp_path / "model.npz").write_bytes(b"PK\x03\x04 not really a zip file")
    assert main(["predict", str(tmp_path / "model.npz"), str(moons_csv)]) == 2
    assert_one_line_error(capsys, "model.npz", "corrupt or truncated")


def test_predict_with_a_csv_lacking_features(tmp_path, capsys, moons_csv):
    assert train(moons_csv, tmp_path / "model.npz", "--quiet", "--epochs", "1") == 0
    capsys.readouterr()
    data = write_table(tmp_path / "other.csv", ["x1", "y"], [[1, 2]])
    assert main(["predict", str(tmp_path / "model.npz"), str(data)]) == 2
    assert_one_line_error(capsys, "other.csv, line 1", "missing feature column(s) 'x2'")


def test_diverging_training_fails_with_one_line(tmp_path, capsys, moons_csv):
    assert train(moons_csv, tmp_path / "model.npz", "--quiet", "--learning-rate", "1e30") == 1
    assert_one_line_error(capsys, "diverged at epoch", "smaller learning rate")
    assert not (tmp_path / "model.npz").exists()


def test_plot_without_matplotlib_fails_before_training(tmp_path, capsys, moons_csv, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert train(moons_csv, tmp_path / "model.npz", "--plot", str(tmp_path / "c.png")) == 2
    assert_one_line_error(capsys, "pip install numpy-mlp[plot]")
    assert not (tmp_path / "model.npz").exists()


# -- demo ---------------------------------------------------------------------------------------

def test_demo(tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    sections = out.split("\n\n")
    xor, cancer, moons = sections[0], sections[1], sections[2]
    assert metric(xor, "loss", "accuracy") == 1.0
    assert metric(cancer, "test:", "accuracy") >= 0.95
    assert metric(moons, "test:", "accuracy") >= 0.95
    for name in ("breast_cancer_learning_curves.png", "moons_learning_curves.png",
                 "moons_decision_boundary.png"):
        assert (tmp_path / "out" / name).read_bytes()[:8] == PNG_SIGNATURE
    seconds = float(re.search(r"demo finished in ([0-9.]+) s", out).group(1))
    assert seconds < 30


def test_demo_without_optional_packages(tmp_path, capsys, monkeypatch):
    import numpy_mlp.cli.demo as cli

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr(cli, "demo_xor", lambda: None)  # the slow parts are tested above
    monkeypatch.setattr(cli, "demo_moons", lambda out_dir, animate: print(f"moons out_dir={out_dir}"))
    assert main(["demo", "--out-dir", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert "breast cancer: skipped, scikit-learn is not installed (pip install numpy-mlp[sklearn])" in out
    assert "moons out_dir=None" in out
    assert "matplotlib is not installed" in err
    assert not (tmp_path / "out").exists()


# -- optimizer options and --resume -------------------------------------------------------------

def train_briefly(csv_path, out, *options):
    """A 2-epoch run with only the given optimizer options (160 training rows, 4 steps an epoch)."""
    return main(["train", str(csv_path), "--target", "answer", "--epochs", "2", "--batch-size", "50",
                 "--seed", "0", "--quiet", "--out", str(out), *options])


@pytest.mark.parametrize("options, expected_type, expected_config", [
    ([], SGD, {"learning_rate": 0.1, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0,
               "clip_norm": None}),
    (["--optimizer", "momentum", "--momentum", "0.8"], SGD, {"momentum": 0.8, "nesterov": False}),
    (["--optimizer", "nesterov", "--learning-rate", "0.05", "--weight-decay", "0.001", "--clip-norm", "2"],
     SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.001, "clip_norm": 2.0}),
    (["--optimizer", "rmsprop", "--rho", "0.8", "--eps", "1e-6"], RMSProp, {"rho": 0.8, "eps": 1e-6}),
    (["--optimizer", "adam", "--beta1", "0.8", "--beta2", "0.99", "--learning-rate", "0.01"], Adam,
     {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.0}),
    (["--optimizer", "adamw"], AdamW, {"weight_decay": 0.01}),
    (["--optimizer", "adamw", "--weight-decay", "0"], AdamW, {"weight_decay": 0.0}),
])
def test_optimizer_options_reach_the_saved_optimizer(tmp_path, moons_csv, options, expected_type,
                                                     expected_config):
    assert train_briefly(moons_csv, tmp_path / "model.npz", *options) == 0
    optimizer = load(tmp_path / "model.npz").optimizer
    assert type(optimizer) is expected_type
    config = optimizer.config()
    assert {key: config[key] for key in expected_config} == expected_config
    assert optimizer.step_count == 2 * 4


def test_a_schedule_spans_the_run_and_is_saved(tmp_path, moons_csv):
    # 160 training rows in batches of 50: ceil(3.2) = 4 steps an epoch, 12 in 3 epochs.
    assert train_briefly(moons_csv, tmp_path / "model.npz", "--optimizer", "adam", "--learning-rate", "0.01",
                         "--lr-schedule", "cosine", "--warmup-epochs", "1", "--epochs", "3") == 0
    optimizer = load(tmp_path / "model.npz").optimizer
    assert isinstance(optimizer.learning_rate, CosineDecay)
    assert optimizer.config()["learning_rate"] == {
        "schedule": "cosine",
        "config": {"learning_rate": 0.01, "decay_steps": 8, "final_learning_rate": 0.0, "warmup_steps": 4}}
    assert optimizer.step_count == 12 and optimizer.current_learning_rate() == 0.0


@pytest.mark.parametrize("schedule, expected", [("step", StepDecay), ("exponential", ExponentialDecay)])
def test_other_schedules_are_saved_too(tmp_path, moons_csv, schedule, expected):
    assert train_briefly(moons_csv, tmp_path / "model.npz", "--lr-schedule", schedule) == 0
    rate = load(tmp_path / "model.npz").optimizer.learning_rate
    assert type(rate) is expected and rate.learning_rate == 0.1 and rate.warmup_steps == 0


def test_a_warm_up_as_long_as_the_run_is_refused(tmp_path, moons_csv, capsys):
    assert train_briefly(moons_csv, tmp_path / "model.npz", "--warmup-epochs", "2") == 2
    assert_one_line_error(capsys, "--warmup-epochs (2) must be fewer than --epochs (2)")


@pytest.mark.parametrize("options, message", [
    (["--momentum", "1"], "expected a fraction in [0, 1), got '1'"),
    (["--weight-decay", "-0.1"], "expected a number >= 0, got '-0.1'"),
    (["--eps", "0"], "expected a positive number, got '0'"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["--lr-schedule", "linear"], "invalid choice: 'linear'"),
])
def test_bad_optimizer_options_are_usage_errors(tmp_path, moons_csv, capsys, options, message):
    assert train_briefly(moons_csv, tmp_path / "model.npz", *options) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "model.npz").exists()


def assert_same_model(first, second):
    assert first.epochs_trained == second.epochs_trained
    for key, value in first.state_dict().items():
        np.testing.assert_array_equal(second.state_dict()[key], value, err_msg=key)
    for key, value in first.optimizer.state_dict().items():
        np.testing.assert_array_equal(second.optimizer.state_dict()[key], value, err_msg=key)


def test_resuming_1_plus_1_epochs_equals_2_epochs_straight(tmp_path, moons_csv, capsys):
    adam = ["--optimizer", "adam", "--learning-rate", "0.01"]
    assert train_briefly(moons_csv, tmp_path / "straight.npz", *adam) == 0
    assert train_briefly(moons_csv, tmp_path / "first.npz", *adam, "--epochs", "1") == 0
    # Repeating the first run's options is fine; --epochs counts the epochs to add.
    assert train_briefly(moons_csv, tmp_path / "resumed.npz", *adam, "--epochs", "1",
                         "--resume", str(tmp_path / "first.npz")) == 0
    assert capsys.readouterr().err == ""

    straight, first, resumed = (load(tmp_path / f"{name}.npz") for name in ("straight", "first", "resumed"))
    assert (first.epochs_trained, resumed.epochs_trained) == (1, 2)
    assert resumed.optimizer.step_count == straight.optimizer.step_count == 8
    assert_same_model(straight, resumed)


def test_resume_goes_on_counting_epochs(tmp_path, moons_csv, capsys):
    model_path = tmp_path / "model.npz"
    assert train_briefly(moons_csv, model_path, "--epochs", "2") == 0
    assert train_briefly(moons_csv, model_path, "--epochs", "3", "--resume", str(model_path)) == 0
    assert load(model_path).epochs_trained == 5
    main(["train", str(moons_csv), "--target", "answer", "--epochs", "1", "--resume", str(model_path),
          "--out", str(model_path)])
    assert "Epoch 6/6" in capsys.readouterr().err


def test_resuming_a_model_saved_without_its_optimizer_builds_one(tmp_path, moons_csv, capsys):
    assert train_briefly(moons_csv, tmp_path / "first.npz", "--epochs", "1") == 0
    model = load(tmp_path / "first.npz")
    model.save(tmp_path / "bare.npz")  # no optimizer state
    assert train_briefly(moons_csv, tmp_path / "resumed.npz", "--resume", str(tmp_path / "bare.npz"),
                         "--optimizer", "momentum", "--learning-rate", "0.05") == 0
    assert "bare.npz was saved without its optimizer" in capsys.readouterr().err
    resumed = load(tmp_path / "resumed.npz")
    assert resumed.epochs_trained == 3
    assert isinstance(resumed.optimizer, SGD) and resumed.optimizer.momentum == 0.9
    assert resumed.optimizer.learning_rate == 0.05 and resumed.optimizer.step_count == 8


@pytest.mark.parametrize("options, fragments", [
    (["--layers", "8", "4"], ["--layers 8 4 contradicts", "which has --layers 16 8"]),
    (["--activation", "tanh"], ["--activation tanh contradicts", "which has --activation relu"]),
    (["--optimizer", "sgd"], ["--optimizer sgd contradicts the optimizer saved in", "(--optimizer adam)"]),
    (["--beta2", "0.9"], ["--beta2 0.9 contradicts", "(--beta2 0.999)"]),
])
def test_options_contradicting_the_resumed_model_are_refused(tmp_path, moons_csv, capsys, options, fragments):
    first = tmp_path / "first.npz"
    assert train_briefly(moons_csv, first, "--layers", "16", "8", "--optimizer", "adam",
                         "--learning-rate", "0.01", "--epochs", "1") == 0
    assert train_briefly(moons_csv, tmp_path / "resumed.npz", "--resume", str(first), *options) == 2
    assert_one_line_error(capsys, str(first), *fragments)
    assert not (tmp_path / "resumed.npz").exists()


def test_resuming_after_the_schedule_ended_is_refused_unless_a_new_rate_is_given(tmp_path, moons_csv, capsys):
    first = tmp_path / "first.npz"
    assert train_briefly(moons_csv, first, "--optimizer", "adam", "--lr-schedule", "cosine") == 0
    assert train_briefly(moons_csv, tmp_path / "resumed.npz", "--resume", str(first)) == 2
    assert_one_line_error(capsys, "has ended at rate 0", "give a new --learning-rate", "more --epochs")
    assert train_briefly(moons_csv, tmp_path / "resumed.npz", "--resume", str(first), "--learning-rate", "0.01") == 0
    rate = load(tmp_path / "resumed.npz").optimizer.learning_rate
    assert isinstance(rate, CosineDecay) and rate.learning_rate == 0.01  # the saved schedule, anew


def test_a_new_learning_rate_on_resume_keeps_the_optimizer_state(tmp_path, moons_csv, capsys):
    first = tmp_path / "first.npz"
    assert train_briefly(moons_csv, first, "--optimizer", "adam", "--learning-rate", "0.01", "--epochs", "1") == 0
    assert train_briefly(moons_csv, tmp_path / "new-rate.npz", "--resume", str(first), "--learning-rate", "0.002",
                         "--epochs", "1") == 0
    assert "goes on with its state, at the new learning rate 0.002" in capsys.readouterr().err
    # The same run by hand: the saved optimizer, its rate changed in Python, resumed without options.
    by_hand = load(first)
    by_hand.optimizer.learning_rate = 0.002
    by_hand.save(tmp_path / "by-hand.npz", include_optimizer=True)
    assert train_briefly(moons_csv, tmp_path / "resumed-by-hand.npz", "--resume", str(tmp_path / "by-hand.npz"),
                         "--epochs", "1") == 0
    assert_same_model(load(tmp_path / "new-rate.npz"), load(tmp_path / "resumed-by-hand.npz"))
    assert load(tmp_path / "new-rate.npz").optimizer.step_count == 2 * load(first).optimizer.step_count


def test_a_new_schedule_on_resume_starts_at_the_saved_step_and_spans_this_run(tmp_path, moons_csv, capsys):
    first = tmp_path / "first.npz"
    assert train_briefly(moons_csv, first, "--optimizer", "adam", "--learning-rate", "0.01", "--epochs", "1") == 0
    steps = load(first).optimizer.step_count
    assert train_briefly(moons_csv, tmp_path / "resumed.npz", "--resume", str(first), "--lr-schedule", "cosine",
                         "--epochs", "3") == 0
    rate = load(tmp_path / "resumed.npz").optimizer.learning_rate
    assert isinstance(rate, CosineDecay) and rate.learning_rate == 0.01  # the saved rate, now decaying
    assert rate.start_step == steps and rate.decay_steps == 3 * steps
    assert rate(steps) == 0.01 and rate(4 * steps) == 0.0


def test_resuming_on_other_columns_is_refused(tmp_path, moons_csv, capsys):
    assert train_briefly(moons_csv, tmp_path / "first.npz", "--epochs", "1") == 0
    rows = read_rows(moons_csv)[1:]
    renamed = write_table(tmp_path / "renamed.csv", ["a", "answer", "b"], rows)
    assert train_briefly(renamed, tmp_path / "resumed.npz", "--resume", str(tmp_path / "first.npz")) == 2
    assert_one_line_error(capsys, "feature columns a, b", "trained on x1, x2")
