"""What the page may send: every message and setting is checked, and a bad one names itself."""

import json

import pytest

from numpy_mlp.playground.messages import (MAX_HIDDEN_LAYERS, MAX_MESSAGE_CHARS, MAX_NEURONS, MESSAGE_TYPES, RANGES,
                                           MessageError, Settings, parse_message, parse_settings)


def test_every_message_type_parses():
    for kind in MESSAGE_TYPES:
        body = {"type": kind, **({"settings": {}} if kind == "configure" else {})}
        assert parse_message(json.dumps(body)) == (kind, body)


@pytest.mark.parametrize("text, message", [
    (b'{"type": "play"}', "messages must be JSON text, not binary"),
    ("{not json", "message is not valid JSON"),
    ("[1, 2]", 'a message must be a JSON object with a "type"'),
    ('{"kind": "play"}', 'a message must be a JSON object with a "type"'),
    ('{"type": 5}', 'a message must be a JSON object with a "type"'),
    ('{"type": "explode"}', "unknown message type 'explode'"),
    ('{"type": "play", "settings": {}}', "unexpected fields in a 'play' message: \\['settings'\\]"),
    ('{"type": "configure"}', 'a "configure" message needs "settings"'),
    ('{"type": "configure", "settings": {}, "x": 1}', "unexpected fields in a 'configure' message"),
    ("[" * 100_000, "message too long"),
    ("[" * 8_000 + "]" * 8_000, "message is not valid JSON"),  # nesting deeper than the parser goes
    ('{"type": "play", "n": ' + "9" * 5000 + "}", "message is not valid JSON"),  # an int too long to convert
])
def test_malformed_messages_are_refused_with_their_reason(text, message):
    with pytest.raises(MessageError, match=message):
        parse_message(text)


def test_a_long_message_is_refused_before_it_is_parsed():
    text = json.dumps({"type": "play", "padding": "x" * MAX_MESSAGE_CHARS})
    with pytest.raises(MessageError, match=f"at most {MAX_MESSAGE_CHARS}"):
        parse_message(text)


def test_settings_update_only_the_fields_given():
    base = Settings(dataset="spiral", learning_rate=0.3)
    settings = parse_settings({"hidden_layers": [8, 8], "noise": 0.25, "seed": 7, "learning_rate": 1}, base)
    assert settings.hidden_layers == (8, 8) and settings.noise == 0.25 and settings.seed == 7
    assert settings.dataset == "spiral"  # from the base
    assert settings.learning_rate == 1.0 and isinstance(settings.learning_rate, float)
    assert parse_settings({}) == Settings()
    assert parse_settings(Settings().to_json()) == Settings()  # what the server echoes, it accepts


def test_bounds_are_inclusive():
    for name, (low, high) in RANGES.items():
        assert getattr(parse_settings({name: low}), name) == low
        assert getattr(parse_settings({name: high}), name) == high
    assert parse_settings({"hidden_layers": [MAX_NEURONS] * MAX_HIDDEN_LAYERS}).hidden_layers == (16,) * 6
    assert parse_settings({"hidden_layers": []}).hidden_layers == ()


@pytest.mark.parametrize("raw, message", [
    ([], "settings must be a JSON object, got list"),
    ({"layers": [2]}, "unknown settings \\['layers'\\]"),
    ({"dataset": "mnist"}, "dataset must be one of"),
    ({"dataset": ["xor"]}, "dataset must be one of"),
    ({"activation": "softplus"}, "activation must be one of"),
    ({"output": "linear"}, "output must be one of"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of"),
    ({"noise": -0.1}, "noise must be between 0.0 and 0.5, got -0.1"),
    ({"noise": "0.1"}, "noise must be a number, got '0.1'"),
    ({"noise": None}, "noise must be a number, got None"),
    ({"noise": float("nan")}, "noise must be between"),
    ({"learning_rate": float("inf")}, "learning_rate must be between"),
    ({"learning_rate": 0}, "learning_rate must be between 1e-05 and 10.0"),
    ({"n_samples": 10**6}, "n_samples must be between 20 and 2000, got 1000000"),
    ({"n_samples": 500.0}, "n_samples must be an integer, got 500.0"),
    ({"n_samples": True}, "n_samples must be an integer, got True"),
    ({"batch_size": 0}, "batch_size must be between 1 and 2000"),
    ({"seed": -1}, "seed must be between 0 and 2147483647"),
    ({"seed": 10**400}, "seed must be between"),
    ({"dropout": 1.0}, "dropout must be between 0.0 and 0.9"),
    ({"l2": 2}, "l2 must be between 0.0 and 1.0"),
    ({"validation_fraction": 0.95}, "validation_fraction must be between 0.1 and 0.9"),
    ({"hidden_layers": 8}, "hidden_layers must be a list of at most 6 layer sizes, got 8"),
    ({"hidden_layers": [4] * 7}, "hidden_layers must be a list of at most 6"),
    ({"hidden_layers": [10**9]}, "each hidden layer's size must be between 1 and 16, got 1000000000"),
    ({"hidden_layers": [0]}, "each hidden layer's size must be between 1 and 16"),
    ({"hidden_layers": [2.5]}, "each hidden layer's size must be an integer"),
    ({"hidden_layers": [[8]]}, "each hidden layer's size must be an integer"),
])
def test_bad_settings_are_refused_with_the_field_and_the_range(raw, message):
    with pytest.raises(MessageError, match=message):
        parse_settings(raw)


def test_error_messages_stay_short_for_huge_values():
    with pytest.raises(MessageError) as error:
        parse_settings({"dataset": "x" * 10_000})
    assert len(str(error.value)) < 200
