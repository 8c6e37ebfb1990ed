"""One tab's playground: its settings, data, model and optimizer, driven by the page's messages.

``Session.handle(text)`` answers one message with a list of replies (JSON-ready dicts);
``Session.advance()`` trains one epoch while playing. The session knows nothing of the web:
the server only carries messages to it and its replies back.

Replies: ``setup`` (settings, network sizes, the points), ``frame`` (epoch, metrics, pictures,
weights), ``status`` (playing or not, epoch, the code panel's Python), ``model_file`` (the
trained model's ``.npz``, base 64) and ``error`` (a ``code``: "invalid" or "diverged", and a message).
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import numpy as np

from ..datasets import train_test_split
from ..layers import Layer
from ..training import DivergenceError
from .data import PLANE_HALF_WIDTH, make_playground_data
from .messages import Settings, parse_message, parse_settings
from .model import build_model, build_optimizer, n_outputs
from .pictures import (BOUNDARY_GRID, NEURON_GRID, class_1_probability, encode_picture, hidden_activations,
                       plane_grid)
from .snippet import python_code

#: frames sent but not yet drawn by the page, beyond which training waits for it
MAX_FRAMES_IN_FLIGHT = 2
#: epochs the code panel shows before the page has trained any
CODE_EPOCHS_BEFORE_TRAINING = 100

BOUNDARY_POINTS = plane_grid(BOUNDARY_GRID)
NEURON_POINTS = plane_grid(NEURON_GRID)


class Session:
    """The state behind one page: rebuilt by ``configure``, trained by ``step`` and ``play``."""

    def __init__(self, settings: Settings = Settings()):
        self.playing = False
        self.frames_in_flight = 0
        self.configure(settings)

    # -- what the messages do -----------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """New data and a new network for ``settings``, paused at epoch 0."""
        X, y = make_playground_data(settings.dataset, settings.n_samples, settings.noise, settings.seed)
        split = train_test_split(X, y, test_size=settings.validation_fraction, seed=settings.seed, stratify=True)
        model, optimizer = build_model(settings), build_optimizer(settings)
        # Only now that all is built: a failure above leaves the session as it was.
        self.settings, self.model, self.optimizer, self.playing = settings, model, optimizer, False
        self.X_train, self.X_val, self.y_train, self.y_val = split

    def reset(self) -> None:
        """A new network (the same initial weights for the same seed), paused at epoch 0."""
        self.model, self.optimizer = build_model(self.settings), build_optimizer(self.settings)
        self.playing = False

    def train_epoch(self) -> None:
        """One pass over the training points with ``fit``; DivergenceError leaves the weights as before."""
        self.model.fit(self.X_train, self.y_train, epochs=1, batch_size=self.settings.batch_size,
                       optimizer=self.optimizer, verbose=0)

    @property
    def epoch(self) -> int:
        return self.model.epochs_trained

    @property
    def wants_frame(self) -> bool:
        """Playing, and the page keeps up: train the next epoch and send its frame."""
        return self.playing and self.frames_in_flight < MAX_FRAMES_IN_FLIGHT

    def handle(self, text) -> list[dict]:
        """The replies to one message from the page; a bad message gets an error reply."""
        try:
            kind, body = parse_message(text)
            return getattr(self, f"on_{kind}")(body)
        except ValueError as error:  # a MessageError, or the library refusing a combination of values
            return [error_reply("invalid", str(error))]
        except DivergenceError as error:
            self.playing = False
            return [error_reply("diverged", str(error)), self.status()]

    def advance(self) -> list[dict]:
        """While playing: one epoch and its frame (or the divergence's error)."""
        try:
            self.train_epoch()
        except DivergenceError as error:
            self.playing = False
            return [error_reply("diverged", str(error)), self.status()]
        return [self.frame()]

    def on_configure(self, body: dict) -> list[dict]:
        self.configure(parse_settings(body["settings"], self.settings))
        return [self.setup(), self.frame(), self.status()]

    def on_play(self, body: dict) -> list[dict]:
        self.playing = True
        return [self.status()]

    def on_pause(self, body: dict) -> list[dict]:
        self.playing = False
        return [self.status()]

    def on_step(self, body: dict) -> list[dict]:
        self.playing = False
        self.train_epoch()
        return [self.frame(), self.status()]

    def on_reset(self, body: dict) -> list[dict]:
        self.reset()
        return [self.frame(), self.status()]

    def on_download(self, body: dict) -> list[dict]:
        return [self.model_file()]

    def on_drawn(self, body: dict) -> list[dict]:
        self.frames_in_flight = max(0, self.frames_in_flight - 1)
        return []

    # -- the replies ------------------------------------------------------------------------------

    def setup(self) -> dict:
        """The settings as applied, the network's sizes and the points, for the page to draw."""
        s = self.settings
        return {"type": "setup", "settings": s.to_json(),
                "network": [2, *s.hidden_layers, n_outputs(s)],
                "plane": PLANE_HALF_WIDTH, "boundary_grid": BOUNDARY_GRID, "neuron_grid": NEURON_GRID,
                "train": _points(self.X_train, self.y_train), "validation": _points(self.X_val, self.y_val)}

    def frame(self) -> dict:
        """The epoch, the metrics, P(class 1) over the plane, each hidden neuron's picture, the weights."""
        model = self.model
        loss, accuracy = loss_and_accuracy(model, self.X_train, self.y_train)
        val_loss, val_accuracy = loss_and_accuracy(model, self.X_val, self.y_val)
        neurons = [[encode_picture(layer[:, unit], -1.0, 1.0) for unit in range(layer.shape[1])]
                   for layer in hidden_activations(model, NEURON_POINTS)]
        self.frames_in_flight += 1
        return {"type": "frame", "epoch": self.epoch, "playing": self.playing,
                "metrics": {"loss": loss, "accuracy": accuracy, "val_loss": val_loss, "val_accuracy": val_accuracy},
                "boundary": encode_picture(class_1_probability(model, BOUNDARY_POINTS), 0.0, 1.0),
                "neurons": neurons,
                "weights": [np.round(layer.weights.astype(np.float64), 4).tolist()
                            for layer in model.layers if isinstance(layer, Layer)]}

    def status(self) -> dict:
        epochs = self.epoch or CODE_EPOCHS_BEFORE_TRAINING
        return {"type": "status", "playing": self.playing, "epoch": self.epoch,
                "code": python_code(self.settings, epochs)}

    def model_file(self) -> dict:
        """The model as ``model.save`` writes it, base 64, with a file name that describes it."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.npz"
            self.model.save(path)
            data = path.read_bytes()
        layers = "-".join(str(n) for n in (2, *self.settings.hidden_layers, n_outputs(self.settings)))
        return {"type": "model_file", "filename": f"playground-{self.settings.dataset}-{layers}.npz",
                "data": base64.b64encode(data).decode("ascii")}


def loss_and_accuracy(model, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Cross-entropy and the fraction of points classified right, as ``model.predict`` would."""
    probabilities = model.forward(X)
    loss = model.loss(y)
    # predict's rule: P(class 1) >= 0.5 for a sigmoid output, the larger probability for softmax
    if model.output == "softmax":
        labels = probabilities.argmax(axis=1)
    else:
        labels = probabilities[:, 0] >= 0.5
    return _finite_or_none(loss), float(np.mean(labels == y))


def _finite_or_none(value) -> float | None:
    """A float for JSON, or None (null) for NaN and infinity, which JSON cannot carry."""
    value = float(value)
    return value if np.isfinite(value) else None


def error_reply(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


def _points(X: np.ndarray, y: np.ndarray) -> dict:
    return {"points": np.round(X, 4).tolist(), "labels": y.tolist()}
