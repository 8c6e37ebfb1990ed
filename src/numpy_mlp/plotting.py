"""Figures: learning curves, decision boundaries (still and animated), confusion matrices,
misclassified digits and first-layer weights.

Needs matplotlib (``pip install numpy-mlp[plot]``), imported only when a function is called.
Figures are built with matplotlib's object API and rendered by Agg, never through pyplot:
library code opens no window and leaves pyplot's global state alone. Files are written
atomically (``files.atomic_write``); the format follows the file's extension (PNG
when it has none).

Held-out curves are labelled by what the data did: "validation" for data used to choose
anything (an epoch, a learning rate), "test" only for data that chose nothing and is
reported once, at the end.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .files import atomic_write
from .metrics import average_precision, precision_recall_curve, roc_auc, roc_curve
from .validation import check_features, check_positive_int


def require_matplotlib():
    """The ``matplotlib`` module, or an ImportError that says how to install it."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401 (Agg must be there)
    except ImportError:
        raise ImportError("plotting needs matplotlib, which is not installed: "
                          "pip install numpy-mlp[plot]") from None
    return matplotlib


def new_figure(width: float, height: float, dpi: int = 100):
    """A matplotlib Figure of ``width`` x ``height`` inches drawn by the Agg backend, outside pyplot."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi, constrained_layout=True)  # works from matplotlib 3.5
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, path, dpi: int = 100) -> None:
    """Write ``figure`` to ``path`` atomically, in the format named by its extension."""
    extension = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    atomic_write(path, lambda file: figure.savefig(file, format=extension or "png", dpi=dpi))


# -- learning curves ----------------------------------------------------------------------------

def plot_learning_curves(history, loss_ax, accuracy_ax, validation_label: str = "validation") -> None:
    """Training and held-out loss on ``loss_ax``, accuracy on ``accuracy_ax``, against the epoch.

    ``history`` is a ``History`` (from ``fit``) or a dict of per-epoch lists; the ``val_``
    curves are labelled ``validation_label``: keep "validation" for data that chose anything
    (early stopping, a learning rate); "test" is honest only for data that chose nothing.
    """
    metrics = getattr(history, "history", history)
    if "loss" not in metrics or not metrics["loss"]:
        raise ValueError("history has no 'loss' values to plot: train for at least one epoch")
    epochs = getattr(history, "epochs", None) or list(range(1, len(metrics["loss"]) + 1))
    from matplotlib.ticker import MaxNLocator

    best_epoch = getattr(history, "best_epoch", None)
    for ax, name, title in ((loss_ax, "loss", "Loss"), (accuracy_ax, "accuracy", "Accuracy")):
        for key, label in ((name, "training"), (f"val_{name}", validation_label)):
            if key in metrics:
                ax.plot(epochs, metrics[key], label=label, marker="." if len(epochs) < 30 else None)
        if best_epoch is not None:
            ax.axvline(best_epoch, color="grey", linestyle=":", label="best epoch")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()


def plot_history(history, path=None, validation_label: str = "validation"):
    """The learning curves (loss and accuracy, training and held-out) as a 1000x400-pixel Figure.

    Saved to ``path`` when one is given; returns the matplotlib Figure.
    """
    figure = new_figure(10, 4)
    loss_ax, accuracy_ax = figure.subplots(1, 2)
    plot_learning_curves(history, loss_ax, accuracy_ax, validation_label)
    if path is not None:
        save_figure(figure, path)
    return figure


# -- decision boundary --------------------------------------------------------------------------

def plot_decision_boundary(model, X, y, path, resolution: int = 200, title: str | None = None):
    """Save the model's class regions over 2-D data, with the samples on top, to ``path``; returns the Figure.

    The model's probability is evaluated on a ``resolution`` x ``resolution`` grid covering
    the data; for one sigmoid output the 0.5 contour (the decision boundary) is drawn.
    The figure is 600x500 pixels.
    """
    points, labels = _check_2d_data(X, y)
    grid = _grid(points, resolution)
    figure = new_figure(6, 5)
    ax = figure.subplots()
    classes = _classes(model, labels)
    surface = _class_surface(model, grid)
    filled = _draw_classes(ax, grid, surface, points, labels, classes)
    if surface.dtype.kind == "f":
        figure.colorbar(filled, ax=ax, label=f"P(class {classes[1]})")
    ax.set_title(title or "Decision boundary")
    ax.legend(loc="best")
    save_figure(figure, path)
    return figure


def animate_decision_boundary(model, X, y, path, epochs: int = 200, frames: int = 40,
                              resolution: int = 100, fps: int = 8, **fit_options):
    """Train ``model`` on 2-D data and save a GIF of its decision boundary as it learns; returns the History.

    The ``epochs`` are cut into ``frames`` runs of ``model.fit(X, y, epochs=k, verbose=0,
    **fit_options)`` (k about epochs / frames; fewer frames when epochs < frames); after each
    run the probability surface is recorded on a ``resolution`` x ``resolution`` grid, and
    each frame shows it with the samples and the epoch. The GIF is 400x340 pixels, ``fps``
    frames a second, holding the last frame for 2 s. Returns the History of all the epochs,
    as one ``fit`` would. ``validation_split`` and ``early_stopping`` would act anew at every
    run, so they are refused: pass ``validation_data`` instead.
    """
    for option in ("validation_split", "early_stopping"):
        if fit_options.get(option) is not None:
            raise ValueError(f"{option} would start again at each frame's call to fit; "
                             "pass validation_data=(X_val, y_val) to animate_decision_boundary instead")
    epochs = check_positive_int(epochs, "epochs")
    frames = min(check_positive_int(frames, "frames"), epochs)
    points, labels = _check_2d_data(X, y)
    grid = _grid(points, resolution)
    history, surfaces, captions = None, [], []
    for frame in range(frames):
        # Frame f ends at round((f + 1) * epochs / frames) epochs: runs of equal length, to one epoch.
        run = (frame + 1) * epochs // frames - frame * epochs // frames
        part = model.fit(X, y, epochs=run, verbose=0, **fit_options)
        history = part if history is None else _extend_history(history, part)
        surfaces.append(_class_surface(model, grid))
        accuracy = float(np.mean(model.predict(X) == labels))
        captions.append(f"epoch {model.epochs_trained}: training accuracy {accuracy:.1%}")
    images = _render_frames(model, grid, surfaces, captions, points, labels)
    durations = [1000 // fps] * (len(images) - 1) + [2000]
    atomic_write(path, lambda file: images[0].save(file, format="GIF", save_all=True, loop=0,
                                                   append_images=images[1:], duration=durations))
    return history


def _extend_history(history, part):
    """``history`` with the epochs of ``part`` (a later call to fit) appended."""
    for index, epoch in enumerate(part.epochs):
        history.append({"epoch": epoch, **{key: values[index] for key, values in part.history.items()}})
    return history


def _render_frames(model, grid, surfaces, captions, points, labels) -> list:
    """One RGB PIL image per recorded surface, drawn on the same 400x340-pixel figure."""
    from PIL import Image

    figure = new_figure(4, 3.4)
    ax = figure.subplots()
    classes = _classes(model, labels)
    images = []
    for surface, caption in zip(surfaces, captions):
        ax.clear()
        filled = _draw_classes(ax, grid, surface, points, labels, classes, point_size=6)
        if surface.dtype.kind == "f" and not images:  # one colour bar, drawn with the first frame
            figure.colorbar(filled, ax=ax, label=f"P(class {classes[1]})")
        ax.set_title(caption, fontsize=9)
        figure.canvas.draw()
        width, height = figure.canvas.get_width_height()
        rgba = Image.frombuffer("RGBA", (width, height), bytes(figure.canvas.buffer_rgba()), "raw", "RGBA", 0, 1)
        images.append(rgba.convert("RGB"))
    return images


def _check_2d_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X as float64 (n, 2) points and y as an (n,) array; ValueError otherwise."""
    points = check_features(X, np.float64)
    if points.shape[1] != 2:
        raise ValueError(f"a decision boundary is drawn for 2-D data; X has {points.shape[1]} features")
    labels = np.asarray(y)
    if len(labels) != len(points):
        raise ValueError(f"X has {len(points)} samples but y has {len(labels)}; they must match")
    return points, labels


def _grid(points: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """(grid_x, grid_y): a ``resolution`` x ``resolution`` mesh over the points, plus 10% each side."""
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-3)
    return np.meshgrid(np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
                       np.linspace(low[1] - margin[1], high[1] + margin[1], resolution))


def _classes(model, labels: np.ndarray) -> np.ndarray:
    return model.classes_ if model.classes_ is not None else np.unique(labels)


def _class_surface(model, grid) -> np.ndarray:
    """On the grid: P(classes_[1]) (floats) for one sigmoid output, else the most probable class (ints)."""
    grid_x, grid_y = grid
    probabilities = model.predict_proba(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    if probabilities.ndim == 1:
        return probabilities.astype(np.float64).reshape(grid_x.shape)
    return probabilities.argmax(axis=1).reshape(grid_x.shape)


def _draw_classes(ax, grid, surface, points, labels, classes, point_size: float = 14):
    """The class regions (a probability surface and its 0.5 contour, or class areas) and the samples.

    Returns the filled contours, for a colour bar.
    """
    grid_x, grid_y = grid
    if surface.dtype.kind == "f":
        filled = ax.contourf(grid_x, grid_y, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
        ax.contour(grid_x, grid_y, surface, levels=[0.5], colors="black", linewidths=1.5)
    else:
        filled = ax.contourf(grid_x, grid_y, surface, levels=np.arange(len(classes) + 1) - 0.5,
                             cmap="tab10", alpha=0.4)
    for index, label in enumerate(classes):
        members = labels == label
        ax.scatter(points[members, 0], points[members, 1], s=point_size, edgecolors="black", linewidths=0.4,
                   color=_class_color(index, len(classes)), label=f"class {label}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return filled


def _class_color(index: int, n_classes: int):
    """Blue and red for two classes (matching the RdBu surface), tab10 beyond."""
    from matplotlib import colormaps

    if n_classes == 2:
        return ("#2166ac", "#b2182b")[index]
    return colormaps["tab10"](index % 10)


# -- MNIST-style reports ------------------------------------------------------------------------

def plot_confusion_matrix(matrix, labels, ax) -> None:
    """Draw the confusion matrix C[true, predicted] on ``ax`` with the count in every cell."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix must be square, got shape {matrix.shape}")
    labels = [str(label) for label in labels]
    if len(labels) != len(matrix):
        raise ValueError(f"{len(labels)} labels for a {len(matrix)}x{len(matrix)} confusion matrix")
    image = ax.imshow(matrix, cmap="Blues")
    threshold = matrix.max() / 2 if matrix.size else 0
    font_size = 8 if len(matrix) <= 10 else 6
    for (row, column), count in np.ndenumerate(matrix):
        ax.text(column, row, f"{count:g}", ha="center", va="center", fontsize=font_size,
                color="white" if count > threshold else "black")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix")
    ax.figure.colorbar(image, ax=ax, shrink=0.8)


def plot_misclassified(images, true, predicted, ax, n_columns: int = 8, max_images: int = 32) -> None:
    """Tile up to ``max_images`` square images (n, side*side) on ``ax``, each captioned 'true→predicted'.

    Meant for the misclassified test digits: pass only those rows and their labels.
    """
    images = np.asarray(images)
    true, predicted = np.asarray(true), np.asarray(predicted)
    if images.ndim != 2:
        raise ValueError(f"images must be 2-D (n_images, side*side), got shape {images.shape}")
    if not len(images) == len(true) == len(predicted):
        raise ValueError(f"{len(images)} images but {len(true)} true and {len(predicted)} predicted labels")
    side = _square_side(images.shape[1], "each image")
    ax.set_axis_off()
    count = min(len(images), max_images)
    ax.set_title(f"Misclassified (true→predicted): {count} of {len(images)} shown" if len(images)
                 else "No misclassified images")
    if count == 0:
        return
    # Captions go above each tile, so each row of tiles has a band of blank pixels over it.
    mosaic, corners = _mosaic(images[:count], side, min(n_columns, count), band=side // 2)
    for index, (top, left) in enumerate(corners):
        ax.text(left + side / 2, top - 1.5, f"{true[index]}→{predicted[index]}", ha="center",
                va="bottom", fontsize=7, color="#b2182b")
    ax.imshow(np.ma.masked_invalid(mosaic), cmap="gray_r", interpolation="nearest")


def plot_first_layer_weights(model, ax_or_path):
    """Each first-layer unit's incoming weights as a square image (28x28 for MNIST), one tile per unit.

    Column j of the first layer's weights (n_in, n_hidden) is what unit j responds to: red
    where a bright pixel raises its input z_j, blue where it lowers it (a diverging colour map
    centred at 0, the same scale for every tile, saturating at the 99th percentile of |w|).
    ``ax_or_path`` is a matplotlib Axes to draw on, or a file path: then a figure 600 pixels
    wide (560 high for a square grid) is saved there. Returns the Figure.
    """
    weights = np.asarray(model.layers[0].weights, dtype=np.float64)
    side = _square_side(weights.shape[0], "the first layer's input")
    n_units = weights.shape[1]
    columns = math.ceil(math.sqrt(n_units))
    drawing_on_axes = hasattr(ax_or_path, "imshow")
    ax = ax_or_path if drawing_on_axes else new_figure(6, 5 * math.ceil(n_units / columns) / columns + 0.6).subplots()
    mosaic, _ = _mosaic(weights.T, side, columns)
    # A few large weights would wash out every tile: the scale saturates at the 99th percentile.
    limit = float(np.quantile(np.abs(weights), 0.99)) or 1.0
    image = ax.imshow(np.ma.masked_invalid(mosaic), cmap="RdBu_r", vmin=-limit, vmax=limit,
                      interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"First-layer weights: {n_units} units, {side}x{side} inputs each")
    ax.figure.colorbar(image, ax=ax, shrink=0.8, extend="both", label="weight")
    if not drawing_on_axes:
        save_figure(ax.figure, ax_or_path)
    return ax.figure


def _square_side(n_pixels: int, what: str) -> int:
    side = math.isqrt(n_pixels)
    if side * side != n_pixels:
        raise ValueError(f"{what} must be a square image (side*side values); {n_pixels} is not a square")
    return side


def _mosaic(images: np.ndarray, side: int, columns: int, band: int = 0):
    """Images (n, side*side) tiled ``columns`` to a row, one NaN pixel around each and ``band``
    NaN rows over each row of tiles: (mosaic, the (top, left) corner of each tile)."""
    rows = math.ceil(len(images) / columns)
    cell = side + 2
    mosaic = np.full((rows * (cell + band), columns * cell), np.nan)
    corners = []
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * (cell + band) + band + 1, column * cell + 1
        mosaic[top:top + side, left:left + side] = image.reshape(side, side)
        corners.append((top, left))
    return mosaic, corners


def plot_mnist_report(history, matrix, images, true, predicted, path, labels=None,
                      validation_label: str = "validation", model=None):
    """Save one figure: learning curves on top; the confusion matrix, the first-layer weights
    (when ``model`` is given) and misclassified digits below. Returns the Figure.

    ``matrix`` is the (K, K) test confusion matrix; ``images``, ``true`` and ``predicted``
    the misclassified test images (n, 784) with their labels; ``labels`` the K class names
    (0..K-1 by default); ``validation_label`` names the held-out curves (see
    ``plot_learning_curves``). 1400x1000 pixels, 2100x1000 with the weights.
    """
    matrix = np.asarray(matrix)
    labels = list(range(len(matrix))) if labels is None else labels
    panels = 2 if model is None else 3
    figure = new_figure(7 * panels, 10)
    grid = figure.add_gridspec(2, 2 * panels, height_ratios=[1, 1.5])
    plot_learning_curves(history, figure.add_subplot(grid[0, :panels]), figure.add_subplot(grid[0, panels:]),
                         validation_label)
    plot_confusion_matrix(matrix, labels, figure.add_subplot(grid[1, 0:2]))
    if model is not None:
        plot_first_layer_weights(model, figure.add_subplot(grid[1, 2:4]))
    plot_misclassified(images, true, predicted, figure.add_subplot(grid[1, -2:]))
    save_figure(figure, path)
    return figure


# -- ROC and precision-recall curves (binary classifiers, imbalanced data) ----------------------

def plot_roc_curve(true_binary, scores, ax, label: str = "model") -> None:
    """Draw the ROC curve (true positive rate against false positive rate, every threshold) on
    ``ax``, its area in the legend, and the diagonal of a classifier that guesses."""

    false_positive_rate, true_positive_rate, _ = roc_curve(true_binary, scores)
    ax.plot(false_positive_rate, true_positive_rate, label=f"{label} (AUC {roc_auc(true_binary, scores):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    ax.set(title="ROC curve", xlabel="false positive rate", ylabel="true positive rate (recall)",
           xlim=(-0.01, 1.01), ylim=(-0.01, 1.01))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")


def plot_precision_recall_curve(true_binary, scores, ax, label: str = "model") -> None:
    """Draw the precision-recall curve on ``ax`` as average precision sums it (steps, no
    interpolation), its area in the legend, and the positives' share: the precision of guessing."""

    precision, recall, _ = precision_recall_curve(true_binary, scores)
    ax.step(recall, precision, where="post", label=f"{label} (AP {average_precision(true_binary, scores):.3f})")
    share = float(np.mean(np.asarray(true_binary).astype(bool)))
    ax.axhline(share, color="grey", linestyle=":", label=f"chance ({share:.3f})")
    ax.set(title="Precision-recall curve", xlabel="recall", ylabel="precision", xlim=(-0.01, 1.01),
           ylim=(-0.01, 1.01))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")


def plot_threshold_curves(model, X, y, path, title: str | None = None):
    """Save the ROC and precision-recall curves of a binary classifier on (X, y) side by side,
    each marking where the model's decision threshold (``threshold_``, else 0.5) puts it; returns
    the Figure. Give it validation or test data: on the training data the curves flatter."""
    scores = np.asarray(model.predict_proba(X), dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError("threshold curves are drawn for binary classifiers (one sigmoid output)")
    labels = np.asarray(y).ravel()
    positive = labels == (model.classes_[1] if model.classes_ is not None else 1)
    threshold = 0.5 if model.threshold_ is None else model.threshold_
    predicted = scores >= threshold
    true_positives = np.count_nonzero(predicted & positive)
    figure = new_figure(11, 5)
    roc_ax, pr_ax = figure.subplots(1, 2)
    plot_roc_curve(positive, scores, roc_ax)
    plot_precision_recall_curve(positive, scores, pr_ax)
    recall = true_positives / max(np.count_nonzero(positive), 1)
    marker = {"color": "black", "zorder": 3, "label": f"threshold {threshold:.3g}"}
    roc_ax.scatter([np.count_nonzero(predicted & ~positive) / max(np.count_nonzero(~positive), 1)], [recall], **marker)
    pr_ax.scatter([recall], [true_positives / max(np.count_nonzero(predicted), 1)], **marker)
    for ax in (roc_ax, pr_ax):
        ax.legend(loc="lower right" if ax is roc_ax else "lower left")
    if title:
        figure.suptitle(title)
    save_figure(figure, path)
    return figure
