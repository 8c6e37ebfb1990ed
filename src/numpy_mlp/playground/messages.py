"""What the page may send, checked before anything acts on it: message envelopes and settings.

A message is one JSON object of at most MAX_MESSAGE_CHARS characters with a ``"type"`` from
MESSAGE_TYPES; ``configure`` also carries ``"settings"``, an object with some of the fields of
``Settings``. Every value is checked for its type and range (bounded layers, neurons, points,
rates), so that a crafted message gets a MessageError that names the field, never a crash
or a large allocation.
"""

from __future__ import annotations

import dataclasses
import json

from .data import SHAPES

#: longest message accepted, in characters (a full ``configure`` is about 400)
MAX_MESSAGE_CHARS = 16_384

#: what each message type asks of the session
MESSAGE_TYPES = {
    "configure": "take new settings (some or all of them) and rebuild the data and the network",
    "play": "train epoch after epoch, sending a frame after each",
    "pause": "stop training",
    "step": "train one epoch and send its frame",
    "reset": "a new network with the same settings, at epoch 0",
    "download": "send the trained model as a numpy-mlp .npz file",
    "drawn": "the page has drawn a frame and is ready for another",
}

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "identity")
OUTPUTS = ("sigmoid", "softmax")
OPTIMIZERS = ("sgd", "momentum", "adam")
MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 16

#: (smallest, largest) of each numeric setting
RANGES = {
    "noise": (0.0, 0.5),
    "n_samples": (20, 2000),
    "validation_fraction": (0.1, 0.9),
    "learning_rate": (1e-5, 10.0),
    "batch_size": (1, 2000),
    "l2": (0.0, 1.0),
    "dropout": (0.0, 0.9),
    "seed": (0, 2**31 - 1),
}
INTEGER_SETTINGS = {"n_samples", "batch_size", "seed"}
CHOICES = {"dataset": tuple(SHAPES), "activation": ACTIVATIONS, "output": OUTPUTS, "optimizer": OPTIMIZERS}


class MessageError(ValueError):
    """A message from the page that is malformed or out of range; the text says which field and why."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the page controls: the data, the network and its training."""

    dataset: str = "xor"
    noise: float = 0.0
    n_samples: int = 500
    validation_fraction: float = 0.3
    hidden_layers: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    output: str = "sigmoid"
    learning_rate: float = 0.03
    optimizer: str = "sgd"
    batch_size: int = 10
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "hidden_layers": list(self.hidden_layers)}


FIELDS = {field.name for field in dataclasses.fields(Settings)}


def parse_message(text) -> tuple[str, dict]:
    """(type, body) of one message from the page; MessageError if it is not a valid message."""
    if not isinstance(text, str):
        raise MessageError("messages must be JSON text, not binary")
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageError(f"message too long: {len(text)} characters, at most {MAX_MESSAGE_CHARS}")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, or an int of too many digits
        raise MessageError(f"message is not valid JSON: {error}") from None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise MessageError('a message must be a JSON object with a "type", such as {"type": "play"}')
    kind = body["type"]
    if kind not in MESSAGE_TYPES:
        raise MessageError(f"unknown message type {kind[:40]!r}; expected one of {sorted(MESSAGE_TYPES)}")
    allowed = {"type", "settings"} if kind == "configure" else {"type"}
    if body.keys() - allowed:
        raise MessageError(f"unexpected fields in a {kind!r} message: {_names(body.keys() - allowed)}")
    if kind == "configure" and "settings" not in body:
        raise MessageError('a "configure" message needs "settings"')
    return kind, body


def parse_settings(raw, base: Settings = Settings()) -> Settings:
    """``base`` with the fields given in ``raw`` (an object from the page), each checked."""
    if not isinstance(raw, dict):
        raise MessageError(f"settings must be a JSON object, got {type(raw).__name__}")
    unknown = raw.keys() - FIELDS
    if unknown:
        raise MessageError(f"unknown settings {_names(unknown)}; known: {sorted(FIELDS)}")
    checked = {}
    for name, value in raw.items():
        if name == "hidden_layers":
            checked[name] = check_hidden_layers(value)
        elif name in CHOICES:
            checked[name] = check_choice(value, name, CHOICES[name])
        else:
            checked[name] = check_number(value, name, *RANGES[name], integer=name in INTEGER_SETTINGS)
    return dataclasses.replace(base, **checked)


def check_number(value, name: str, low, high, integer: bool = False):
    """``value`` if it is a number (an int when ``integer``) in [low, high]; else MessageError."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        expected = "an integer" if integer else "a number"
        raise MessageError(f"{name} must be {expected}, got {_shown(value)}")
    if not low <= value <= high:  # NaN fails every comparison; an int of any size compares exactly
        raise MessageError(f"{name} must be between {low} and {high}, got {_shown(value)}")
    return int(value) if integer else float(value)


def check_choice(value, name: str, options) -> str:
    if not isinstance(value, str) or value not in options:
        raise MessageError(f"{name} must be one of {list(options)}, got {_shown(value)}")
    return value


def check_hidden_layers(value) -> tuple[int, ...]:
    """A list of 0 to MAX_HIDDEN_LAYERS layer sizes, each 1 to MAX_NEURONS neurons."""
    if not isinstance(value, list) or len(value) > MAX_HIDDEN_LAYERS:
        raise MessageError(f"hidden_layers must be a list of at most {MAX_HIDDEN_LAYERS} layer sizes, "
                           f"got {_shown(value)}")
    return tuple(check_number(size, "each hidden layer's size", 1, MAX_NEURONS, integer=True)
                 for size in value)


def _shown(value) -> str:
    """A short repr of a value from the page, for an error message (crafted values can be huge)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _names(keys) -> str:
    return _shown(sorted(str(key) for key in keys))
