"""The code panel: the Python of the current settings runs as it is and trains as the page does."""

import contextlib
import io

import numpy as np
import pytest

from numpy_mlp.playground.messages import Settings
from numpy_mlp.playground.session import Session
from numpy_mlp.playground.snippet import python_code

SETTINGS = [
    Settings(),
    Settings(dataset="gaussians", hidden_layers=(3,), optimizer="momentum", l2=0.001, learning_rate=0.1),
    Settings(dataset="moons", hidden_layers=(6, 4), activation="relu", optimizer="adam", output="softmax",
             learning_rate=0.01, batch_size=25, noise=0.1, validation_fraction=0.5, seed=12),
    Settings(dataset="circles", hidden_layers=(), optimizer="sgd", l2=0.0001, n_samples=100),
    Settings(dataset="spiral", hidden_layers=(8, 8), optimizer="adam", learning_rate=0.01, dropout=0.2),
]


def run(code: str) -> tuple[dict, str]:
    namespace, output = {}, io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "<playground code>", "exec"), namespace)
    return namespace, output.getvalue()


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s.dataset}-{s.optimizer}-{s.output}")
def test_the_fit_part_trains_exactly_as_the_page(settings):
    code = python_code(settings, epochs=3)
    fit_part = code.split("# Low level")[0]
    namespace, output = run(fit_part)
    session = Session(settings)
    for _ in range(3):
        session.train_epoch()
    for name, value in session.model.state_dict().items():
        np.testing.assert_array_equal(namespace["model"].state_dict()[name], value, err_msg=name)
    page_accuracy = session.frame()["metrics"]["val_accuracy"]
    assert output == f"fit:  validation accuracy {page_accuracy:.4f}\n"


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s.dataset}-{s.optimizer}-{s.output}")
def test_the_whole_script_runs_and_its_loop_learns(settings):
    namespace, output = run(python_code(settings, epochs=40))
    loop_line = output.splitlines()[-1]
    assert loop_line.startswith("loop: validation accuracy ")
    if settings.dataset == "gaussians":  # two clouds a line separates: the loop must find the line
        assert float(loop_line.split()[-1]) > 0.9
    model = namespace["model"]
    assert model.epochs_trained == 0  # trained by the loop, never by fit


def test_the_five_line_loop_uses_the_low_level_api():
    plain = python_code(Settings(optimizer="sgd", learning_rate=0.3), epochs=7)
    for line in ("model.forward(X_train[batch])", "loss = model.loss(y_train[batch])", "model.backward()",
                 "model.optimize(0.3)", "for epoch in range(7):", "epochs=7", "learning_rate=0.3"):
        assert line in plain
    adam = python_code(Settings(optimizer="adam", learning_rate=0.001, l2=0.01), epochs=7)
    assert "optimizer = Adam(model.parameters(), learning_rate=0.001, weight_decay=0.01)" in adam
    dropout = python_code(Settings(hidden_layers=(8,), dropout=0.3), epochs=7)
    assert "dropout=0.3" in dropout and "model.forward(X_train[batch], training=True)" in dropout
    assert "optimizer.step()" in adam and "model.optimize" not in adam
    assert "from numpy_mlp import Adam, MLP" in adam
