"""The network and optimizer that the playground's settings describe."""

import numpy as np
import pytest

from numpy_mlp import SGD, Adam
from numpy_mlp.playground.messages import Settings
from numpy_mlp import Dropout
from numpy_mlp.playground.model import build_model, build_optimizer


def test_the_network_follows_the_settings():
    model = build_model(Settings(hidden_layers=(8, 3), activation="relu", output="softmax", seed=5))
    assert model.n_features == 2 and model.neurons_per_layer == [8, 3, 2]
    assert model.activation.name == "relu" and model.output == "softmax"
    assert build_model(Settings(hidden_layers=())).neurons_per_layer == [1]  # logistic regression
    same = build_model(Settings(hidden_layers=(8, 3), activation="relu", output="softmax", seed=5))
    for (first, _), (second, _) in zip(model.parameters(), same.parameters()):
        np.testing.assert_array_equal(first, second)  # the seed fixes the first weights


@pytest.mark.parametrize("name, kind, momentum", [("sgd", SGD, 0.0), ("momentum", SGD, 0.9), ("adam", Adam, None)])
def test_the_optimizer_follows_the_settings(name, kind, momentum):
    optimizer = build_optimizer(Settings(optimizer=name, learning_rate=0.3, l2=0.01))
    assert type(optimizer) is kind
    assert optimizer.learning_rate == 0.3 and optimizer.weight_decay == 0.01
    if momentum is not None:
        assert optimizer.momentum == momentum


def test_dropout_follows_the_setting_and_trains_only_while_training():
    plain, with_dropout = build_model(Settings(hidden_layers=(8, 8))), build_model(Settings(hidden_layers=(8, 8), dropout=0.5))
    assert not any(isinstance(layer, Dropout) for layer in plain.layers)
    assert [layer.rate for layer in with_dropout.layers if isinstance(layer, Dropout)] == [0.5, 0.5]
    X = np.random.default_rng(0).normal(size=(20, 2))
    np.testing.assert_array_equal(with_dropout.predict_proba(X), with_dropout.predict_proba(X))
    no_hidden = build_model(Settings(hidden_layers=(), dropout=0.5))  # no hidden layer: nothing to drop
    assert [type(layer).__name__ for layer in no_hidden.layers] == ["Layer"]
