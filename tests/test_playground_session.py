"""One tab's session: its replies to the page's messages, what a frame holds, the model file it sends."""

import base64
import json

import numpy as np
import pytest

import numpy_mlp
from numpy_mlp.datasets import train_test_split
from numpy_mlp.playground.data import make_playground_data
from numpy_mlp.playground.messages import Settings
from numpy_mlp.playground.pictures import BOUNDARY_GRID, NEURON_GRID, decode_picture, plane_grid
from numpy_mlp.playground.session import MAX_FRAMES_IN_FLIGHT, Session


def message(kind: str, **body) -> str:
    return json.dumps({"type": kind, **body})


def configured(**settings) -> Session:
    session = Session()
    replies = session.handle(message("configure", settings=settings))
    assert [reply["type"] for reply in replies] == ["setup", "frame", "status"]
    return session


def test_configure_rebuilds_data_and_network_and_replies_with_setup_frame_status():
    session = Session()
    setup, frame, status = session.handle(message("configure", settings={
        "dataset": "spiral", "n_samples": 200, "validation_fraction": 0.25, "hidden_layers": [6, 5],
        "output": "softmax", "seed": 4}))
    assert setup["network"] == [2, 6, 5, 2] and session.model.neurons_per_layer == [6, 5, 2]
    assert setup["settings"]["dataset"] == "spiral" and setup["settings"]["hidden_layers"] == [6, 5]
    assert len(setup["train"]["points"]) == 150 and len(setup["validation"]["points"]) == 50
    X, y = make_playground_data("spiral", 200, 0.0, seed=4)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, seed=4, stratify=True)
    np.testing.assert_allclose(setup["validation"]["points"], X_val, atol=5e-5)
    assert setup["validation"]["labels"] == y_val.tolist()
    assert frame["epoch"] == 0 and status["epoch"] == 0 and status["playing"] is False
    assert "MLP(2, [6, 5, 2]" in status["code"]
    json.dumps([setup, frame, status], allow_nan=False)  # what the server sends must be plain JSON


def test_a_frame_holds_the_metrics_the_pictures_and_the_weights():
    session = configured(dataset="moons", hidden_layers=[8, 3], noise=0.1, learning_rate=0.3)
    for _ in range(5):
        session.train_epoch()
    frame = session.frame()
    model = session.model
    assert frame["epoch"] == 5
    # The metrics, computed independently from predict_proba and predict.
    for X, y, prefix in ((session.X_train, session.y_train, ""), (session.X_val, session.y_val, "val_")):
        p = model.predict_proba(X).astype(np.float64)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        assert frame["metrics"][prefix + "loss"] == pytest.approx(loss, rel=1e-4)
        assert frame["metrics"][prefix + "accuracy"] == np.mean(model.predict(X) == y)
    assert decode_picture(frame["boundary"]).shape == (BOUNDARY_GRID ** 2,)
    assert [len(layer) for layer in frame["neurons"]] == [8, 3]
    assert all(decode_picture(picture).shape == (NEURON_GRID ** 2,) for layer in frame["neurons"] for picture in layer)
    weights = [np.array(matrix) for matrix in frame["weights"]]
    assert [w.shape for w in weights] == [(2, 8), (8, 3), (3, 1)]
    np.testing.assert_allclose(weights[1], model.layers[2].weights, atol=5e-5)


def test_the_model_file_loads_and_predicts_what_the_page_showed(tmp_path):
    session = configured(dataset="circles", hidden_layers=[6], noise=0.05, learning_rate=0.3)
    for _ in range(20):
        session.train_epoch()
    frame = session.frame()
    (reply,) = session.handle(message("download"))
    assert reply["type"] == "model_file" and reply["filename"] == "playground-circles-2-6-1.npz"
    path = tmp_path / reply["filename"]
    path.write_bytes(base64.b64decode(reply["data"]))
    model = numpy_mlp.load(path)
    assert np.mean(model.predict(session.X_val) == session.y_val) == frame["metrics"]["val_accuracy"]
    assert np.mean(model.predict(session.X_train) == session.y_train) == frame["metrics"]["accuracy"]
    # Its probability over the plane is the page's colour map, to the byte.
    grid = plane_grid(BOUNDARY_GRID)
    shown = decode_picture(frame["boundary"]).astype(np.float64) / 255
    np.testing.assert_allclose(model.forward(grid)[:, 0], shown, atol=0.5 / 255 + 1e-6)


def test_step_play_pause_reset_and_drawn():
    session = configured(hidden_layers=[4])
    initial = session.model.state_dict()
    frame, status = session.handle(message("step"))
    assert frame["epoch"] == 1 and status["epoch"] == 1 and session.epoch == 1
    assert "epochs=1," in status["code"]  # the code panel trains as long as the page did
    (status,) = session.handle(message("play"))
    assert status["playing"] and session.playing
    session.frames_in_flight = 0
    for _ in range(MAX_FRAMES_IN_FLIGHT):
        assert session.wants_frame
        (frame,) = session.advance()
    assert not session.wants_frame  # the page has not drawn them yet: training waits for it
    assert session.handle(message("drawn")) == [] and session.wants_frame
    (status,) = session.handle(message("pause"))
    assert not status["playing"] and not session.wants_frame
    frame, status = session.handle(message("reset"))
    assert frame["epoch"] == 0 and session.epoch == 0
    for name, value in session.model.state_dict().items():
        np.testing.assert_array_equal(value, initial[name])  # the same seed: the same first weights


@pytest.mark.parametrize("text", [
    "{", '{"type": "configure", "settings": {"hidden_layers": [1000000, 1000000]}}',
    '{"type": "configure", "settings": {"n_samples": 100000000}}', '{"type": "nope"}', "null", b"\x00\x01",
])
def test_a_bad_message_gets_an_error_and_changes_nothing(text):
    session = configured(hidden_layers=[3])
    session.train_epoch()
    before, settings = session.model.state_dict(), session.settings
    (reply,) = session.handle(text)
    assert reply["type"] == "error" and reply["code"] == "invalid" and reply["message"]
    assert session.settings == settings and session.epoch == 1
    for name, value in session.model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_divergence_pauses_and_keeps_the_weights_from_before():
    session = configured(hidden_layers=[16] * 6, activation="identity", learning_rate=10.0, batch_size=1,
                         n_samples=100, optimizer="momentum")
    session.handle(message("play"))
    before = session.model.state_dict()
    error, status = session.advance()
    assert error["type"] == "error" and error["code"] == "diverged" and "smaller learning rate" in error["message"]
    assert status["playing"] is False and not session.playing
    for name, value in session.model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    json.dumps(session.frame(), allow_nan=False)


def test_default_settings_learn_xor_with_2_8_1():
    session = configured(hidden_layers=[8])
    assert session.settings == Settings(hidden_layers=(8,))
    for _ in range(60):
        session.train_epoch()
    assert session.frame()["metrics"]["val_accuracy"] == 1.0
