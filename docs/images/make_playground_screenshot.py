"""Regenerate the README's pictures of the playground: docs/images/playground.png (English) and
docs/images/playground-pt-BR.png (Portuguese).

    python docs/images/make_playground_screenshot.py [--epochs 300]

Starts the playground in this process, opens it in headless Chromium (the system's, through
Playwright, as the tests do), sets up a spiral with two hidden layers of 8 neurons and Adam
through the page's own controls, trains until --epochs, pauses and takes the window. The PNG
is reduced to 128 colours with Pillow (matplotlib's dependency) to stay small.
"""

from __future__ import annotations

import argparse
import io
import shutil
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from numpy_mlp.playground.server import BackgroundServer

HERE = Path(__file__).resolve().parent
PICTURES = {"en-US": HERE / "playground.png", "pt-BR": HERE / "playground-pt-BR.png"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=300, help="epochs to train before the picture")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Chromium: apt-get install chromium")
    with BackgroundServer() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for locale, path in PICTURES.items():
            page = browser.new_page(locale=locale, viewport={"width": 1280, "height": 1040})
            page.goto(server.url)
            page.wait_for_function("() => document.getElementById('metrics').dataset.epoch === '0'")
            set_up(page)
            train(page, args.epochs)
            save(page.screenshot(), path)
            page.close()
        browser.close()


def set_up(page) -> None:
    """Spiral, a little noise, Adam at 0.03, two hidden layers of 8 (from the page's 4 and 2)."""
    page.click("[data-dataset=spiral]")
    page.eval_on_selector("#noise", "slider => { slider.value = '0.05'; slider.dispatchEvent(new Event('change')); }")
    page.select_option("#optimizer", "adam")
    page.select_option("#learning_rate", "0.03")
    for layer, clicks in ((0, 4), (1, 6)):
        for _ in range(clicks):
            page.locator("#layer-controls .neuron-plus").nth(layer).click()
    page.wait_for_function("() => document.getElementById('network').dataset.layers === '2-8-8-1'")


def train(page, epochs: int) -> None:
    page.click("#play")
    page.wait_for_function("epochs => Number(document.getElementById('epoch').textContent) >= epochs",
                           arg=epochs, timeout=120_000)
    page.click("#play")  # pause
    page.wait_for_function("() => document.getElementById('play').dataset.playing === 'false'"
                           " && document.getElementById('metrics').dataset.epoch === "
                           "document.getElementById('epoch').textContent")


def save(png: bytes, path: Path) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=48, method=Image.Quantize.MEDIANCUT)  # under 100 KB
    image.save(path, optimize=True)
    print(f"{path}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
