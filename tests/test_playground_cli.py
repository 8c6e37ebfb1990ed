"""numpy-mlp playground: starts on a free loopback port, opens the browser, stops cleanly on Ctrl-C."""

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("starlette")
from websockets.sync.client import connect  # noqa: E402

from numpy_mlp.cli import main  # noqa: E402
from numpy_mlp.playground import server as server_module  # noqa: E402


def start(*arguments):
    """The command in a child process, and the address it printed."""
    process = subprocess.Popen([sys.executable, "-m", "numpy_mlp", "playground", "--no-browser", *arguments],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith("numpy-mlp playground: http://"), line + process.stderr.read()
    return process, line.split()[2]


def test_ctrl_c_stops_the_server_cleanly_even_with_a_page_open():
    process, url = start()
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"numpy-mlp" in response.read()
        with connect(url.replace("http://", "ws://") + "ws") as page:
            page.send(json.dumps({"type": "play"}))
            time.sleep(0.3)  # training while the signal comes
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0
    finally:
        process.kill()
    stderr = process.stderr.read()
    assert "numpy-mlp playground: stopped" in stderr
    assert "Traceback" not in stderr and "warning" not in stderr


def test_another_host_is_allowed_with_a_warning():
    process, url = start("--host", "0.0.0.0")
    try:
        assert url.startswith("http://127.0.0.1:")  # the address to open on this computer
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()
    assert "numpy-mlp: warning: listening on 0.0.0.0" in process.stderr.read()


def test_the_browser_opens_on_the_page_unless_told_not_to(monkeypatch, capsys):
    servers, opened = [], []
    real_make_server = server_module.make_server
    monkeypatch.setattr(server_module, "make_server", lambda app: servers.append(real_make_server(app)) or servers[-1])

    def open_and_stop(url):  # the "browser": load the page, then stop the server as Ctrl-C would
        while not (servers and servers[0].started):
            time.sleep(0.01)
        with urllib.request.urlopen(url, timeout=10) as response:
            opened.append((url, response.status))
        servers[0].should_exit = True

    monkeypatch.setattr("webbrowser.open", open_and_stop)
    assert main(["playground", "--port", "0"]) == 0
    printed = capsys.readouterr().out.split()[2]
    assert opened == [(printed, 200)]


def test_a_busy_port_is_an_error_naming_it(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["playground", "--no-browser", "--port", str(port)]) == 2
    assert f"numpy-mlp: error: cannot listen on 127.0.0.1 port {port}" in capsys.readouterr().err


def test_a_bad_port_is_a_usage_error(capsys):
    assert main(["playground", "--port", "70000"]) == 2
    assert "a port is a number from 0 to 65535" in capsys.readouterr().err


def test_without_the_extra_the_error_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if uvicorn were not installed
    monkeypatch.delitem(sys.modules, "numpy_mlp.playground.server")
    monkeypatch.delattr(sys.modules["numpy_mlp.playground"], "server")  # so the import runs again
    assert main(["playground", "--no-browser"]) == 2
    error = capsys.readouterr().err
    assert "the playground needs the [playground] extra (uvicorn is not installed)" in error
    assert "pip install numpy-mlp[playground]" in error


def test_help_names_the_options(capsys):
    assert main(["playground", "--help"]) == 0
    help_text = capsys.readouterr().out
    for option in ("--host", "--port", "--no-browser", "Ctrl-C"):
        assert option in help_text
