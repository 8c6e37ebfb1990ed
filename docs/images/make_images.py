"""Regenerate the pictures the READMEs embed, into this folder.

    pip install "numpy-mlp[all]"        # or, from a clone: pip install ".[all]"
    python docs/images/make_images.py

Writes the demo's pictures (``numpy-mlp demo --animate``: learning curves, the two moons'
decision boundary and the GIF of its training) and the first-layer weights of a small MNIST
network (784-64-10, 3 epochs on the 60,000 training digits; MNIST is found by
``load_mnist``: $NUMPY_MLP_DATA, the user cache, or downloaded, 11 MB). Every PNG is then
stored with a 256-colour palette, which keeps it under 100 KB and looks the same.
Takes about 20 s.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from numpy_mlp import MLP
from numpy_mlp.cli import main
from numpy_mlp.datasets import load_mnist
from numpy_mlp.files import atomic_write
from numpy_mlp.plotting import plot_first_layer_weights

FOLDER = Path(__file__).resolve().parent


def make_mnist_weights(path: Path) -> None:
    (X_train, y_train), (X_test, y_test) = load_mnist()
    model = MLP(784, [64, 10], output="softmax", seed=0)
    model.fit(X_train, y_train, epochs=3, batch_size=64, learning_rate=0.1, verbose=0)
    print(f"MNIST 784-64-10, 3 epochs: test accuracy {model.evaluate(X_test, y_test)['accuracy']:.2%}")
    plot_first_layer_weights(model, path)


def with_palette(path: Path) -> None:
    """Store a PNG with a 256-colour palette (anti-aliased lines and text keep their look)."""
    image = Image.open(path).convert("RGB").quantize(colors=256)
    atomic_write(path, lambda file: image.save(file, format="PNG", optimize=True))


if __name__ == "__main__":
    if main(["demo", "--animate", "--out-dir", str(FOLDER)]) != 0:
        raise SystemExit("the demo failed")
    make_mnist_weights(FOLDER / "mnist_first_layer_weights.png")
    for picture in sorted(FOLDER.glob("*.png")):
        with_palette(picture)
    for picture in sorted([*FOLDER.glob("*.png"), *FOLDER.glob("*.gif")]):
        print(f"{picture.name}: {picture.stat().st_size / 1000:.0f} KB")
