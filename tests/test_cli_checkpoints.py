"""--checkpoint-every and --resume: a training run killed at any moment goes on exactly where its
last checkpoint left it, schedule included, and ends as if it had never stopped."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import make_moons

import numpy_mlp
from numpy_mlp.cli import main

# Adam with a cosine schedule: the schedule's horizon (8 epochs) must survive the interruption.
RUN = ["--target", "label", "--layers", "16", "--optimizer", "adam", "--learning-rate", "0.01",
       "--lr-schedule", "cosine", "--batch-size", "4", "--seed", "3", "--quiet"]


def write_moons(path, n_samples):
    X, y = make_moons(n_samples=n_samples, noise=0.2, seed=0)
    rows = "\n".join(f"{a!r},{b!r},{label}" for (a, b), label in zip(X.tolist(), y.tolist()))
    path.write_text("x1,x2,label\n" + rows + "\n")
    return path


@pytest.fixture
def moons_csv(tmp_path):
    return write_moons(tmp_path / "moons.csv", 1200)


def assert_same_model(path, other):
    mine, theirs = numpy_mlp.load(path), numpy_mlp.load(other)
    assert mine.epochs_trained == theirs.epochs_trained
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(mine.state_dict()[key], value, err_msg=key)
    for key, value in theirs.optimizer.state_dict().items():
        np.testing.assert_array_equal(mine.optimizer.state_dict()[key], value, err_msg=key)
    assert mine.rng.bit_generator.state == theirs.rng.bit_generator.state


def test_every_epoch_is_saved_and_the_file_knows_the_run_it_belongs_to(tmp_path, moons_csv):
    out = tmp_path / "model.npz"
    assert main(["train", str(moons_csv), *RUN, "--epochs", "3", "--checkpoint-every", "2", "--out", str(out)]) == 0
    model = numpy_mlp.load(out)
    assert (model.epochs_trained, model.planned_epochs) == (3, 3)


def test_a_run_interrupted_after_a_checkpoint_resumes_to_the_same_model(tmp_path, moons_csv, monkeypatch):
    """In-process: the fit is interrupted (Ctrl-C) in epoch 5 of 8; --resume trains the 4 left."""
    straight = tmp_path / "straight.npz"
    assert main(["train", str(moons_csv), *RUN, "--epochs", "8", "--out", str(straight)]) == 0

    interrupted = tmp_path / "interrupted.npz"
    original = numpy_mlp.ModelCheckpoint.on_epoch_end

    def stop_after_epoch_4(self, trainer, logs):
        original(self, trainer, logs)
        if logs["epoch"] == 4:
            raise KeyboardInterrupt

    monkeypatch.setattr(numpy_mlp.ModelCheckpoint, "on_epoch_end", stop_after_epoch_4)
    assert main(["train", str(moons_csv), *RUN, "--epochs", "8", "--checkpoint-every", "1",
                 "--out", str(interrupted)]) == 130
    monkeypatch.undo()
    assert numpy_mlp.load(interrupted).epochs_trained == 4
    assert main(["train", str(moons_csv), "--resume", str(interrupted), "--target", "label", "--seed", "3",
                 "--quiet", "--out", str(interrupted)]) == 0
    assert_same_model(interrupted, straight)


def test_a_killed_run_resumes_to_the_same_model(tmp_path):
    """A real `kill -9` of `numpy-mlp train` once its checkpoint holds 2 epochs or more."""
    moons_csv = write_moons(tmp_path / "moons.csv", 4000)  # epochs long enough to be killed mid-run
    straight, killed = tmp_path / "straight.npz", tmp_path / "killed.npz"
    assert main(["train", str(moons_csv), *RUN, "--epochs", "12", "--out", str(straight)]) == 0
    command = [sys.executable, "-m", "numpy_mlp", "train", str(moons_csv), *RUN, "--epochs", "12",
               "--checkpoint-every", "1", "--out", str(killed)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if killed.exists() and numpy_mlp.load(killed).epochs_trained >= 2:
                break
            time.sleep(0.01)
        still_running = process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert still_running, f"the run ended before it could be killed: {process.stderr.read().decode()}"
    reached = numpy_mlp.load(killed).epochs_trained
    assert 2 <= reached < 12
    assert main(["train", str(moons_csv), "--resume", str(killed), "--target", "label", "--seed", "3",
                 "--quiet", "--out", str(killed)]) == 0
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".tmp-")]
    assert_same_model(killed, straight)


def test_resuming_a_finished_run_needs_epochs_and_a_new_rate(tmp_path, moons_csv, capsys):
    out = tmp_path / "model.npz"
    assert main(["train", str(moons_csv), *RUN, "--epochs", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    # The cosine schedule of the finished run has reached 0: more epochs need a new rate.
    assert main(["train", str(moons_csv), "--resume", str(out), "--target", "label", "--epochs", "2",
                 "--quiet", "--out", str(out)]) == 2
    assert "has ended at rate 0" in capsys.readouterr().err
    assert main(["train", str(moons_csv), "--resume", str(out), "--target", "label", "--epochs", "2",
                 "--learning-rate", "0.001", "--quiet", "--out", str(out)]) == 0
    assert numpy_mlp.load(out).epochs_trained == 4
