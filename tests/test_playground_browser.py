"""The playground in a real browser: Debian's Chromium, headless, driven by Playwright's Python API.

Chromium comes from the system (``apt-get install chromium``, which ``.ci/run`` does); Playwright
never downloads a browser of its own. Without Chromium or Playwright these tests skip, except
under CI=true, where they fail. Screenshots go to $NUMPY_MLP_ARTIFACTS/playground when that is
set, else to a folder under pytest's temporary directory.
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import numpy_mlp
from numpy_mlp.datasets import train_test_split
from numpy_mlp.playground.data import make_playground_data
from numpy_mlp.playground.messages import Settings

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# As root in a container: no sandbox; and nothing that calls home, since the network is closed.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SECONDS = 1000  # Playwright counts milliseconds


def system_chromium() -> str | None:
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def require(condition, reason: str) -> None:
    """Skip for a missing browser or driver, except in CI, which installs both: there, fail."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs Chromium, .[test] Playwright)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "Playwright is not installed (pip install playwright)")
    require(system_chromium() is not None, "Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=system_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    from numpy_mlp.playground.server import BackgroundServer
    with BackgroundServer() as running:
        yield running


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    folder = os.environ.get("NUMPY_MLP_ARTIFACTS")
    if not folder:
        return tmp_path_factory.mktemp("playground-screenshots")
    path = Path(folder) / "playground"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Tab:
    """A page of the playground in its own browser context, with its console errors and screenshots."""

    def __init__(self, browser, server, artifacts: Path, name: str, locale: str = "en-US"):
        self.context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.artifacts, self.name = artifacts, name
        self.page.goto(server.url)
        self.wait_for_layers("2-4-2-1")

    def wait_for_layers(self, layers: str) -> None:
        """Until the network has these sizes and its first frame is drawn."""
        self.page.wait_for_function(
            "layers => document.getElementById('network').dataset.layers === layers"
            " && document.getElementById('metrics').dataset.epoch === '0'", arg=layers, timeout=10 * SECONDS)

    def value(self, selector: str, attribute: str) -> str:
        return self.page.get_attribute(selector, attribute)

    def pause(self) -> int:
        """Pause, and wait until the numbers shown are those of the last epoch trained; returns it."""
        self.page.click("#play")
        self.page.wait_for_function("() => document.getElementById('play').dataset.playing === 'false'")
        self.page.wait_for_function("() => document.getElementById('metrics').dataset.epoch === "
                                    "document.getElementById('epoch').textContent")
        return int(self.page.text_content("#epoch"))

    def screenshot(self, label: str) -> Path:
        path = self.artifacts / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_tab(browser, server, artifacts, request):
    tabs = []

    def open_one(locale: str = "en-US") -> Tab:
        tabs.append(Tab(browser, server, artifacts, request.node.name, locale))
        return tabs[-1]

    yield open_one
    for tab in tabs:
        tab.close()


def test_the_page_loads_with_no_console_errors(open_tab):
    tab = open_tab()
    assert tab.page.title() == "numpy-mlp playground"
    assert "MLP(2, [4, 2, 1]" in tab.page.text_content("#code")
    assert tab.value("#val-accuracy", "data-value")  # the first frame's metrics are shown
    tab.screenshot("loaded")
    assert tab.errors == []


def test_play_on_xor_with_2_8_1_reaches_full_validation_accuracy(open_tab):
    tab = open_tab()
    tab.page.click("#remove-layer")
    tab.wait_for_layers("2-4-1")
    for _ in range(4):
        tab.page.click(".neuron-plus")
    tab.wait_for_layers("2-8-1")
    tab.page.click("#play")
    # Shown on the page: the number and the text, in the same frame.
    tab.page.wait_for_function("() => document.getElementById('val-accuracy').dataset.value === '1'"
                               " && document.getElementById('val-accuracy').textContent === '100.0%'",
                               timeout=30 * SECONDS)
    assert tab.pause() > 0  # (mini-batch steps may move a point back across the line after that)
    tab.screenshot("xor-2-8-1-trained")
    assert tab.errors == []


def test_changing_the_layers_rebuilds_the_network(open_tab, server):
    tab = open_tab()
    tab.page.click("#step")
    tab.page.wait_for_function("() => document.getElementById('epoch').textContent === '1'")
    tab.page.click("#add-layer")
    tab.wait_for_layers("2-4-2-2-1")
    assert tab.page.text_content("#epoch") == "0"
    assert "MLP(2, [4, 2, 2, 1]" in tab.page.text_content("#code")
    assert tab.page.locator("#layer-controls .neuron-plus").count() == 3
    tab.page.locator("#layer-controls .neuron-minus").first.click()
    tab.wait_for_layers("2-3-2-2-1")
    (session,) = server.sessions.live.values()  # this tab's, the only one open
    assert session.model.neurons_per_layer == [3, 2, 2, 1] and session.epoch == 0
    tab.screenshot("layers-changed")
    tab.close()
    assert tab.errors == []


def test_the_downloaded_model_loads_and_reaches_the_page_accuracy(open_tab, tmp_path):
    tab = open_tab()
    tab.page.click("#play")
    tab.page.wait_for_function("() => Number(document.getElementById('val-accuracy').dataset.value) >= 0.9",
                               timeout=30 * SECONDS)
    tab.pause()
    shown = {name: float(tab.value(f"#{name}", "data-value")) for name in ("val-accuracy", "train-accuracy")}
    with tab.page.expect_download() as download:
        tab.page.click("#download")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "playground-xor-2-4-2-1.npz"
    model = numpy_mlp.load(path)
    settings = Settings()  # the page starts from the defaults
    X, y = make_playground_data(settings.dataset, settings.n_samples, settings.noise, settings.seed)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=settings.validation_fraction,
                                                      seed=settings.seed, stratify=True)
    assert np.mean(model.predict(X_val) == y_val) == shown["val-accuracy"]
    assert np.mean(model.predict(X_train) == y_train) == shown["train-accuracy"]
    tab.screenshot("downloaded")
    assert tab.errors == []


def test_the_portuguese_switch_changes_the_labels(open_tab):
    tab = open_tab()
    labels = {"#data-panel h2": ("Data", "Dados"), "#code-panel h2": ("The code", "O código"),
              "#download": ("Download the trained model (.npz)", "Baixar o modelo treinado (.npz)"),
              ".hyperparameters label span": ("Learning rate", "Taxa de aprendizado")}
    for selector, (english, _) in labels.items():
        assert tab.page.text_content(selector) == english
    tab.page.click("#lang-pt")
    for selector, (_, portuguese) in labels.items():
        assert tab.page.text_content(selector) == portuguese
    assert tab.value("html", "lang") == "pt-BR" and tab.value("#play", "title") == "Treinar (play)"
    assert "," in tab.page.text_content("#val-loss")  # Brazilian numbers: a decimal comma
    tab.screenshot("portuguese")
    tab.page.reload()  # the choice is remembered
    tab.wait_for_layers("2-4-2-1")
    assert tab.page.text_content("#data-panel h2") == "Dados"
    # A browser that asks for Portuguese gets it from the start.
    brazilian = open_tab(locale="pt-BR")
    assert brazilian.page.text_content("#data-panel h2") == "Dados"
    assert tab.errors == [] and brazilian.errors == []


def test_a_malformed_websocket_message_gets_an_error_and_the_server_keeps_serving(open_tab):
    tab = open_tab()
    answers = tab.page.evaluate("""async () => {
        const socket = new WebSocket("ws://" + location.host + "/ws");
        const replies = [];
        await new Promise(resolve => { socket.onopen = resolve; });
        const next = () => new Promise(resolve => { socket.onmessage = event => resolve(JSON.parse(event.data)); });
        for (const text of ["{not json", '{"type": "configure", "settings": {"hidden_layers": [1e9, 1e9]}}',
                            '{"type": "configure", "settings": {"n_samples": -5}}']) {
            const reply = next();
            socket.send(text);
            replies.push(await reply);
        }
        socket.close();
        return replies;
    }""")
    assert [(answer["type"], answer["code"]) for answer in answers] == [("error", "invalid")] * 3
    assert "not valid JSON" in answers[0]["message"] and "hidden layer's size" in answers[1]["message"]
    tab.page.click("#step")  # the page's own connection still trains
    tab.page.wait_for_function("() => document.getElementById('metrics').dataset.epoch === '1'")
    second = open_tab()  # and a new page still loads
    assert second.value("#network", "data-layers") == "2-4-2-1"
    tab.screenshot("after-malformed-messages")
    assert tab.errors == [] and second.errors == []
