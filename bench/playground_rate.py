"""How many picture updates a second the playground sends a page that keeps up (target: 10 or more).

    python bench/playground_rate.py [--seconds 10] [--hidden 8 8] [--points 500] [--browser]

Starts ``numpy-mlp playground --no-browser`` in its own process, connects over a real
WebSocket as the page does, configures the network (by default 2-8-8-1, tanh, on 500 points
of two moons, batch 10), presses play and acknowledges each frame (``drawn``) as soon as it
has decoded it: the 100x100 colour map and every neuron's picture, from base 64 to bytes,
as the page does before drawing. It counts the frames over ``--seconds`` after a one-second
warm-up, and prints frames a second, the intervals between frames and the frame's size.
Every frame is one epoch of training plus its pictures, so frames a second are also epochs
a second.

With ``--browser`` it also opens the page in headless Chromium (the system's, through
Playwright, as the tests do) and counts the frames the page really draws a second.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import subprocess
import sys
import time

from websockets.sync.client import connect

TARGET = 10.0  # updates a second, from the issue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to count (default: %(default)s)")
    parser.add_argument("--hidden", type=int, nargs="*", default=[8, 8], help="hidden layer sizes (default: 8 8)")
    parser.add_argument("--points", type=int, default=500, help="points in the data set (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=10, help="mini-batch size (default: %(default)s)")
    parser.add_argument("--dataset", default="moons", help="data set (default: %(default)s)")
    parser.add_argument("--browser", action="store_true", help="also count the frames headless Chromium draws")
    args = parser.parse_args()
    settings = {"dataset": args.dataset, "n_samples": args.points, "hidden_layers": args.hidden,
                "batch_size": args.batch_size, "activation": "tanh", "noise": 0.1, "learning_rate": 0.03}
    server, url = start_server()
    try:
        network = "-".join(str(n) for n in (2, *args.hidden, 1))
        print(f"network {network}, {args.points} points ({args.dataset}), batch {args.batch_size}, "
              f"100x100 colour map, {args.seconds:g} s")
        rate = websocket_rate(url, settings, args.seconds)
        if args.browser:
            browser_rate(url, settings, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{'PASS' if rate >= TARGET else 'FAIL'}: {rate:.1f} updates a second (target: {TARGET:g} or more)")
    return 0 if rate >= TARGET else 1


def start_server() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, "-m", "numpy_mlp", "playground", "--no-browser"],
                              stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line.startswith("numpy-mlp playground: http://"):
        server.kill()
        raise SystemExit(f"the playground did not start: {line!r}")
    return server, line.split()[2]


def websocket_rate(url: str, settings: dict, seconds: float) -> float:
    """Frames a second that the server sends a client that decodes and acknowledges each at once."""
    with connect(url.replace("http://", "ws://") + "ws", max_size=2**22) as page:
        page.send(json.dumps({"type": "configure", "settings": settings}))
        for _ in range(3):  # setup, frame, status
            page.recv(timeout=10)
        page.send(json.dumps({"type": "drawn"}))
        page.send(json.dumps({"type": "play"}))
        arrivals, sizes, warm_until = [], [], time.perf_counter() + 1.0
        while True:
            text = page.recv(timeout=10)
            reply = json.loads(text)
            if reply["type"] != "frame":
                continue
            decode(reply)
            page.send(json.dumps({"type": "drawn"}))
            now = time.perf_counter()
            if now >= warm_until:
                arrivals.append(now)
                sizes.append(len(text))
                if now - arrivals[0] >= seconds:
                    break
        page.send(json.dumps({"type": "pause"}))
    intervals = [1000 * (b - a) for a, b in zip(arrivals, arrivals[1:])]
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    print(f"WebSocket client: {rate:.1f} frames a second ({len(arrivals) - 1} frames); interval median "
          f"{statistics.median(intervals):.1f} ms, 95th percentile {percentile(intervals, 95):.1f} ms; "
          f"frame {statistics.median(sizes) / 1024:.1f} KiB of JSON")
    return rate


def decode(frame: dict) -> None:
    """What the page does before drawing: every picture from base 64 to bytes."""
    base64.b64decode(frame["boundary"])
    for layer in frame["neurons"]:
        for picture in layer:
            base64.b64decode(picture)


def browser_rate(url: str, settings: dict, seconds: float) -> None:
    """Frames a second that headless Chromium draws (the page paints at most once per screen refresh)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        print("browser: skipped (needs Chromium and Playwright)")
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_function("() => document.getElementById('metrics').dataset.epoch === '0'")
        set_up_page(page, settings)
        page.click("#play")
        page.wait_for_timeout(1000)
        drawn = page.evaluate("""seconds => new Promise(resolve => {
            const metrics = document.getElementById('metrics');
            let count = 0;
            const observer = new MutationObserver(() => { count += 1; });
            observer.observe(metrics, { attributes: true, attributeFilter: ['data-epoch'] });
            setTimeout(() => { observer.disconnect(); resolve(count); }, seconds * 1000);
        })""", seconds)
        layers = page.get_attribute("#network", "data-layers")
        browser.close()
    print(f"headless Chromium ({layers}): {drawn / seconds:.1f} frames drawn a second")


def set_up_page(page, settings: dict) -> None:
    """The settings through the page's own controls, from its defaults (XOR, 4 and 2 hidden neurons)."""
    page.click(f"[data-dataset={settings['dataset']}]")
    page.select_option("#n_samples", str(settings["n_samples"]))
    page.select_option("#batch_size", str(settings["batch_size"]))
    while page.locator("#layer-controls .neuron-plus").count() < len(settings["hidden_layers"]):
        page.click("#add-layer")
    while page.locator("#layer-controls .neuron-plus").count() > len(settings["hidden_layers"]):
        page.click("#remove-layer")
    for layer, size in enumerate(settings["hidden_layers"]):
        while page.locator("#layer-controls .neuron-count").nth(layer).text_content().split()[0] != str(size):
            current = int(page.locator("#layer-controls .neuron-count").nth(layer).text_content().split()[0])
            button = ".neuron-plus" if current < size else ".neuron-minus"
            page.locator(f"#layer-controls {button}").nth(layer).click()
    wanted = "-".join(str(n) for n in (2, *settings["hidden_layers"], 1))
    page.wait_for_function("layers => document.getElementById('network').dataset.layers === layers", arg=wanted)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share / 100))]


if __name__ == "__main__":
    sys.exit(main())
