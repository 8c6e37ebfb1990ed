"""Plots: each function writes a valid image of the expected size and draws what it says."""

import os
import sys

import numpy as np
import pytest
from helpers import open_image

pytest.importorskip("matplotlib")

from numpy_mlp import MLP  # noqa: E402
from numpy_mlp.datasets import make_moons  # noqa: E402
from numpy_mlp.plotting import (animate_decision_boundary, new_figure, plot_confusion_matrix,  # noqa: E402
                                plot_decision_boundary, plot_first_layer_weights, plot_history,
                                plot_misclassified, plot_mnist_report, plot_threshold_curves)



def assert_valid_png(path, size):
    """A PNG of ``size`` (width, height) pixels that is not blank."""
    pixels = np.asarray(open_image(path, "PNG", size))
    assert pixels.std() > 0


@pytest.fixture(scope="module")
def moons_model():
    X, y = make_moons(n_samples=120, noise=0.1, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = model.fit(X, y, epochs=5, batch_size=16, learning_rate=0.1, validation_split=0.25, verbose=0)
    return model, history, X, y


def legend_labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_plot_history_from_a_history(tmp_path, moons_model):
    _, history, _, _ = moons_model
    figure = plot_history(history, tmp_path / "curves.png")
    assert_valid_png(tmp_path / "curves.png", (1000, 400))
    loss_ax, accuracy_ax = figure.axes
    assert legend_labels(loss_ax) == ["training", "validation"]
    np.testing.assert_array_equal(loss_ax.lines[0].get_ydata(), history["loss"])
    np.testing.assert_array_equal(accuracy_ax.lines[1].get_ydata(), history["val_accuracy"])
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3, 4, 5])


def test_history_plot_returns_the_figure_and_saves_it_when_asked(tmp_path, moons_model, monkeypatch):
    _, history, _, _ = moons_model
    monkeypatch.chdir(tmp_path)
    figure = history.plot()
    assert os.listdir(tmp_path) == []  # no path, no file
    assert figure.canvas.get_width_height() == (1000, 400)
    assert [ax.get_title() for ax in figure.axes] == ["Loss", "Accuracy"]
    np.testing.assert_array_equal(figure.axes[1].lines[1].get_ydata(), history["val_accuracy"])

    history.plot(tmp_path / "curves.png")
    assert_valid_png(tmp_path / "curves.png", (1000, 400))


def test_held_out_curves_are_called_validation_unless_said_otherwise(moons_model):
    _, history, _, _ = moons_model
    assert legend_labels(history.plot().axes[0]) == ["training", "validation"]
    assert legend_labels(history.plot(validation_label="test").axes[0]) == ["training", "test"]


def test_plot_history_from_a_dict_without_validation(tmp_path):
    figure = plot_history({"loss": [0.7, 0.4], "accuracy": [0.5, 0.8]}, tmp_path / "curves.png",
                          validation_label="test")
    assert_valid_png(tmp_path / "curves.png", (1000, 400))
    assert legend_labels(figure.axes[0]) == ["training"]


def test_plot_history_needs_losses(tmp_path):
    with pytest.raises(ValueError, match="no 'loss'"):
        plot_history({}, tmp_path / "curves.png")
    assert not os.listdir(tmp_path)


def test_other_formats_follow_the_extension(tmp_path):
    plot_history({"loss": [0.7, 0.4], "accuracy": [0.5, 0.8]}, tmp_path / "curves.svg")
    assert b"<svg" in (tmp_path / "curves.svg").read_bytes()[:500]


def test_decision_boundary(tmp_path, moons_model):
    model, _, X, y = moons_model
    figure = plot_decision_boundary(model, X, y, tmp_path / "boundary.png", resolution=50)
    assert_valid_png(tmp_path / "boundary.png", (600, 500))
    ax = figure.axes[0]
    assert legend_labels(ax) == ["class 0", "class 1"]
    points = [collection.get_offsets() for collection in ax.collections
              if collection.get_label().startswith("class")]
    np.testing.assert_array_equal(points[0], X[y == 0])
    np.testing.assert_array_equal(points[1], X[y == 1])


def test_decision_boundary_of_a_softmax_model(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [3, 0], [0, 3]])
    y = np.repeat(["a", "b", "c"], 20)
    X = np.repeat(centres, 20, axis=0) + rng.normal(scale=0.3, size=(60, 2))
    model = MLP(2, [8, 3], output="softmax", seed=0)
    model.fit(X, y, epochs=3, verbose=0)
    figure = plot_decision_boundary(model, X, y, tmp_path / "boundary.png", resolution=40)
    assert_valid_png(tmp_path / "boundary.png", (600, 500))
    assert legend_labels(figure.axes[0]) == ["class a", "class b", "class c"]


def gif_frames(path, size, n_frames):
    """The frames of a GIF of ``size`` pixels, as RGB arrays, after checking there are ``n_frames``."""
    from PIL import ImageSequence

    image = open_image(path, "GIF", size)
    assert image.n_frames == n_frames
    return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]


def test_animation_writes_one_gif_frame_per_run_and_trains_like_one_fit(tmp_path):
    X, y = make_moons(n_samples=120, noise=0.1, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = animate_decision_boundary(model, X, y, tmp_path / "training.gif", epochs=8, frames=3,
                                        resolution=30, batch_size=16, learning_rate=0.5)
    frames = gif_frames(tmp_path / "training.gif", (400, 340), 3)
    for earlier, later in zip(frames, frames[1:]):
        # Below the title (which names the epoch), over 1% of the pixels change colour clearly, more
        # than each frame's own 256-colour palette moves them: the boundary moves.
        change = np.abs(earlier[40:].astype(int) - later[40:].astype(int)).max(axis=2)
        assert np.mean(change > 50) > 0.01
    assert all(frame.std() > 0 for frame in frames)

    # Runs of 2, 3 and 3 epochs (rounded shares of 8) give the same model and History as one fit.
    assert history.epochs == list(range(1, 9)) and model.epochs_trained == 8
    reference = MLP(2, [8, 1], seed=0)
    expected = reference.fit(X, y, epochs=8, batch_size=16, learning_rate=0.5, verbose=0)
    for (value, _), (expected_value, _) in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(value, expected_value)
    assert history.history == expected.history


def test_animation_with_validation_data_and_fewer_epochs_than_frames(tmp_path):
    X, y = make_moons(n_samples=80, noise=0.1, seed=1)
    model = MLP(2, [4, 1], seed=0)
    history = animate_decision_boundary(model, X[:60], y[:60], tmp_path / "training.gif", epochs=2, frames=40,
                                        resolution=20, validation_data=(X[60:], y[60:]))
    gif_frames(tmp_path / "training.gif", (400, 340), 2)  # one frame per epoch at most
    assert len(history["val_loss"]) == 2


@pytest.mark.parametrize("option", [{"validation_split": 0.2}, {"early_stopping": 3}])
def test_animation_refuses_options_that_restart_at_every_run(tmp_path, option):
    X, y = make_moons(n_samples=40, seed=0)
    with pytest.raises(ValueError, match="validation_data"):
        animate_decision_boundary(MLP(2, [1]), X, y, tmp_path / "training.gif", epochs=4, **option)
    assert not os.listdir(tmp_path)


def test_animation_of_a_softmax_model(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], 20)
    X = np.repeat([[0, 0], [3, 0], [0, 3]], 20, axis=0) + rng.normal(scale=0.3, size=(60, 2))
    model = MLP(2, [8, 3], output="softmax", seed=0)
    animate_decision_boundary(model, X, y, tmp_path / "training.gif", epochs=3, frames=3, resolution=20,
                              learning_rate=0.2)
    gif_frames(tmp_path / "training.gif", (400, 340), 3)


def test_decision_boundary_needs_2d_data(tmp_path):
    model = MLP(3, [1])
    with pytest.raises(ValueError, match="2-D data; X has 3 features"):
        plot_decision_boundary(model, np.zeros((4, 3)), np.zeros(4), tmp_path / "boundary.png")


def test_confusion_matrix_writes_every_count():
    figure = new_figure(4, 4)
    ax = figure.subplots()
    matrix = np.array([[5, 1, 0], [2, 7, 3], [0, 0, 9]])
    plot_confusion_matrix(matrix, ["cat", "dog", "eel"], ax)
    assert sorted(text.get_text() for text in ax.texts) == sorted(str(count) for count in matrix.ravel())
    assert [label.get_text() for label in ax.get_xticklabels()] == ["cat", "dog", "eel"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"


@pytest.mark.parametrize("matrix, labels", [(np.zeros((2, 3)), [0, 1]), (np.zeros((2, 2)), [0, 1, 2])])
def test_confusion_matrix_shape_errors(matrix, labels):
    with pytest.raises(ValueError):
        plot_confusion_matrix(matrix, labels, new_figure(3, 3).subplots())


def test_misclassified_grid_captions_true_and_predicted():
    figure = new_figure(6, 4)
    ax = figure.subplots()
    images = np.random.default_rng(0).random((12, 784))
    plot_misclassified(images, np.arange(12) % 10, (np.arange(12) + 1) % 10, ax, n_columns=5, max_images=10)
    assert [text.get_text() for text in ax.texts] == [f"{i % 10}→{(i + 1) % 10}" for i in range(10)]
    mosaic = ax.images[0].get_array()
    assert mosaic.shape[1] == 5 * 30  # 5 tiles of 28 pixels plus padding
    assert "10 of 12" in ax.get_title()


def test_misclassified_with_nothing_to_show():
    ax = new_figure(3, 3).subplots()
    plot_misclassified(np.zeros((0, 784)), [], [], ax)
    assert ax.get_title() == "No misclassified images" and not ax.images


def test_misclassified_needs_square_images():
    with pytest.raises(ValueError, match="square"):
        plot_misclassified(np.zeros((2, 780)), [0, 1], [1, 0], new_figure(3, 3).subplots())


@pytest.fixture(scope="module")
def digit_model():
    """A 784-10-3 model on random 28x28 'images': its first layer has 10 units."""
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 784)), np.arange(60) % 3
    model = MLP(784, [10, 3], output="softmax", seed=0)
    model.fit(X, y, epochs=2, verbose=0)
    return model


def tile(mosaic, index, columns, side=28):
    """Tile ``index`` of a mosaic of ``columns`` tiles a row, each with a one-pixel border."""
    row, column = divmod(index, columns)
    top, left = row * (side + 2) + 1, column * (side + 2) + 1
    return mosaic[top:top + side, left:left + side]


def test_first_layer_weights_one_tile_per_unit_on_a_scale_centred_at_zero(tmp_path, digit_model):
    figure = plot_first_layer_weights(digit_model, tmp_path / "weights.png")
    image = figure.axes[0].images[0]
    mosaic = image.get_array()
    weights = digit_model.layers[0].weights
    assert mosaic.shape == (3 * 30, 4 * 30)  # 10 units: 4 columns, 3 rows
    for unit in range(10):
        np.testing.assert_allclose(tile(mosaic, unit, 4), weights[:, unit].reshape(28, 28))
    assert mosaic.mask[:, 0].all() and mosaic[2 * 30 + 1:, 2 * 30:].mask.all()  # borders, unused tiles
    low, high = image.get_clim()
    assert low == -high == -np.quantile(np.abs(weights), 0.99)
    assert image.get_cmap().name == "RdBu_r"
    assert_valid_png(tmp_path / "weights.png", (600, 435))


def test_first_layer_weights_on_given_axes(digit_model):
    figure = new_figure(5, 5)
    ax = figure.subplots()
    assert plot_first_layer_weights(digit_model, ax) is figure
    assert len(ax.images) == 1 and "10 units, 28x28" in ax.get_title()


def test_first_layer_weights_need_square_inputs(tmp_path):
    with pytest.raises(ValueError, match="square image.*30 is not a square"):
        plot_first_layer_weights(MLP(30, [4, 1]), tmp_path / "weights.png")
    assert not os.listdir(tmp_path)


def test_mnist_report(tmp_path, moons_model):
    _, history, _, _ = moons_model
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 20, size=(10, 10)) + np.diag(np.full(10, 900))
    figure = plot_mnist_report(history, matrix, rng.random((7, 784)), np.arange(7), np.arange(7)[::-1],
                               tmp_path / "report.png")
    assert_valid_png(tmp_path / "report.png", (1400, 1000))
    assert [ax.get_title() for ax in figure.axes[:3]] == ["Loss", "Accuracy", "Confusion matrix"]
    assert any("7 of 7" in ax.get_title() for ax in figure.axes)


def test_mnist_report_with_the_first_layer_weights_beside_the_confusion_matrix(tmp_path, moons_model, digit_model):
    _, history, _, _ = moons_model
    matrix = np.diag([20, 20, 20])
    images = np.random.default_rng(0).random((2, 784))
    figure = plot_mnist_report(history, matrix, images, [0, 1], [1, 0], tmp_path / "report.png",
                               model=digit_model, validation_label="test")
    assert_valid_png(tmp_path / "report.png", (2100, 1000))
    figure.canvas.draw()

    def box(title):
        return next(ax for ax in figure.axes if ax.get_title().startswith(title)).get_position()

    confusion, weights, misclassified = box("Confusion matrix"), box("First-layer weights"), box("Misclassified")
    assert confusion.x1 < weights.x0 and weights.x1 < misclassified.x0  # side by side, in this order
    assert max(confusion.y0, weights.y0) < min(confusion.y1, weights.y1)  # on the same row
    assert legend_labels(figure.axes[0]) == ["training", "test"]


def test_saving_is_atomic(tmp_path, moons_model, monkeypatch):
    _, history, _, _ = moons_model
    path = tmp_path / "curves.png"
    path.write_bytes(b"previous")
    from matplotlib.figure import Figure

    def crash(self, file, **options):
        file.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", crash)
    with pytest.raises(OSError):
        plot_history(history, path)
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["curves.png"]


def test_without_matplotlib_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install numpy-mlp\[plot\]"):
        plot_history({"loss": [1.0], "accuracy": [0.5]}, tmp_path / "curves.png")


def test_pyplot_is_never_imported(tmp_path):
    """Library code renders with Agg directly: no pyplot state, no window, whatever the backend."""
    import subprocess

    code = ("import sys; from numpy_mlp.plotting import plot_history; "
            "plot_history({'loss': [1.0, 0.5], 'accuracy': [0.5, 0.7]}, sys.argv[1]); "
            "print('matplotlib.pyplot' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "curves.png")],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert_valid_png(tmp_path / "curves.png", (1000, 400))


# -- ROC and precision-recall curves ------------------------------------------------------------

@pytest.fixture(scope="module")
def imbalanced_classifier():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(1.0, 1.0, (40, 2)), rng.normal(0.0, 1.0, (260, 2))])
    y = np.where(np.arange(300) < 40, "fraud", "ok")
    model = MLP(2, [8, 1], seed=0)
    model.fit(X, y, epochs=10, batch_size=16, learning_rate=0.1, verbose=0)
    return model, X, y


def test_threshold_curves_draw_roc_and_precision_recall_with_the_threshold(tmp_path, imbalanced_classifier):
    from sklearn import metrics

    model, X, y = imbalanced_classifier
    model.threshold_ = 0.3
    figure = plot_threshold_curves(model, X, y, tmp_path / "curves.png", title="fraud")
    assert_valid_png(tmp_path / "curves.png", (1100, 500))
    roc_ax, pr_ax = figure.axes
    positive = y == "ok"  # classes_ are sorted: 'ok' is classes_[1], the sigmoid's class
    scores = model.predict_proba(X)
    fpr, tpr, _ = metrics.roc_curve(positive, scores, drop_intermediate=False)
    np.testing.assert_allclose(roc_ax.lines[0].get_xdata(), fpr)
    np.testing.assert_allclose(roc_ax.lines[0].get_ydata(), tpr)
    precision, recall, _ = metrics.precision_recall_curve(positive, scores)
    np.testing.assert_allclose(pr_ax.lines[0].get_xdata(), recall)
    np.testing.assert_allclose(pr_ax.lines[0].get_ydata(), precision)
    auc, ap = metrics.roc_auc_score(positive, scores), metrics.average_precision_score(positive, scores)
    assert legend_labels(roc_ax)[0] == f"model (AUC {auc:.3f})" and "threshold 0.3" in legend_labels(roc_ax)
    assert legend_labels(pr_ax)[0] == f"model (AP {ap:.3f})"
    predicted = scores >= 0.3  # the marked point is the one the stored threshold gives
    expected = [metrics.recall_score(positive, predicted), metrics.precision_score(positive, predicted)]
    np.testing.assert_allclose(pr_ax.collections[0].get_offsets()[0], expected)


def test_threshold_curves_are_for_binary_classifiers(tmp_path):
    model = MLP(2, [3], output="softmax", seed=0)
    with pytest.raises(ValueError, match="binary classifiers"):
        plot_threshold_curves(model, np.zeros((3, 2)), [0, 1, 2], tmp_path / "curves.png")
