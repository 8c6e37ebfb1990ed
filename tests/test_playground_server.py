"""The playground's server, run for real (uvicorn in a thread) and spoken to over HTTP and WebSockets."""

import gc
import json
import re
import time
import urllib.error
import urllib.request
import weakref

import pytest

pytest.importorskip("starlette")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from numpy_mlp.playground.server import MAX_MESSAGE_BYTES, STATIC, BackgroundServer  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with BackgroundServer() as running:
        yield running


def socket_url(server) -> str:
    return server.url.replace("http://", "ws://") + "ws"


def replies(connection, count: int) -> list[dict]:
    return [json.loads(connection.recv(timeout=10)) for _ in range(count)]


def request(server, path: str, headers=None):
    return urllib.request.urlopen(urllib.request.Request(server.url + path.lstrip("/"), headers=headers or {}),
                                  timeout=10)


def wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_page_loads_only_its_own_files_under_a_strict_policy(server):
    with request(server, "/") as response:
        page = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    local = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert local and all(address.startswith("/static/") for address in local)
    for address in local:
        with request(server, address) as response:
            assert response.status == 200
    for path in STATIC.iterdir():  # no script or style reaches for the network: the page works offline
        text = path.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name only
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), path.name


def test_a_foreign_host_name_is_refused(server):
    # DNS rebinding: a page of another site whose name now points at 127.0.0.1.
    with pytest.raises(urllib.error.HTTPError) as error:
        request(server, "/", headers={"Host": "attacker.example"})
    assert error.value.code == 400


def test_a_websocket_from_another_origin_is_refused(server):
    with pytest.raises(InvalidStatus) as error:
        connect(socket_url(server), origin="http://attacker.example")
    assert error.value.response.status_code == 403
    own_origin = server.url.rstrip("/")
    with connect(socket_url(server), origin=own_origin) as connection:
        connection.send(json.dumps({"type": "step"}))
        assert replies(connection, 2)[0]["type"] == "frame"


def test_each_tab_has_its_own_model_and_a_closed_tab_frees_it(server):
    with connect(socket_url(server)) as first, connect(socket_url(server)) as second:
        first.send(json.dumps({"type": "configure", "settings": {"hidden_layers": [3]}}))
        second.send(json.dumps({"type": "configure", "settings": {"hidden_layers": [5, 5]}}))
        assert replies(first, 3)[0]["network"] == [2, 3, 1]
        assert replies(second, 3)[0]["network"] == [2, 5, 5, 1]
        models = {tuple(session.model.neurons_per_layer): session.model for session in server.sessions.live.values()}
        assert set(models) == {(3, 1), (5, 5, 1)}
        first_model = weakref.ref(models.pop((3, 1)))
        first.close()
        assert wait_until(lambda: len(server.sessions) == 1)
        gc.collect()
        assert first_model() is None  # nothing holds the closed tab's model any more
        second.send(json.dumps({"type": "step"}))
        assert replies(second, 2)[0]["epoch"] == 1  # the other tab goes on
    assert wait_until(lambda: len(server.sessions) == 0)


def test_malformed_messages_get_errors_and_the_server_keeps_serving(server):
    with connect(socket_url(server)) as connection:
        for bad in ("{not json", b"\x00binary", json.dumps({"type": "rm -rf"}),
                    json.dumps({"type": "configure", "settings": {"hidden_layers": [10**9]}}),
                    json.dumps({"type": "configure", "settings": {"n_samples": 10**9}})):
            connection.send(bad)
            (reply,) = replies(connection, 1)
            assert reply["type"] == "error" and reply["code"] == "invalid", reply
        connection.send(json.dumps({"type": "step"}))
        frame, status = replies(connection, 2)
        assert frame["type"] == "frame" and frame["epoch"] == 1 and status["type"] == "status"


def test_a_message_over_the_size_limit_closes_that_connection_only(server):
    with connect(socket_url(server)) as bystander:
        with connect(socket_url(server)) as connection:
            connection.send("x" * (MAX_MESSAGE_BYTES + 1))
            with pytest.raises(ConnectionClosed):
                connection.recv(timeout=10)
            assert connection.close_code == 1009  # "message too big"
        bystander.send(json.dumps({"type": "step"}))
        assert replies(bystander, 2)[0]["type"] == "frame"


def test_playing_sends_frames_as_fast_as_the_page_draws_them(server):
    with connect(socket_url(server)) as connection:
        connection.send(json.dumps({"type": "configure", "settings": {"hidden_layers": [4]}}))
        replies(connection, 3)
        connection.send(json.dumps({"type": "drawn"}))  # the configure's frame
        connection.send(json.dumps({"type": "play"}))
        status, first, second = replies(connection, 3)
        assert status["playing"] and [first["epoch"], second["epoch"]] == [1, 2]
        with pytest.raises(TimeoutError):
            connection.recv(timeout=0.5)  # two frames in flight: training waits for the page
        connection.send(json.dumps({"type": "drawn"}))
        (third,) = replies(connection, 1)
        assert third["epoch"] == 3
        connection.send(json.dumps({"type": "pause"}))
        connection.send(json.dumps({"type": "drawn"}))
        connection.send(json.dumps({"type": "drawn"}))
        (status,) = replies(connection, 1)
        assert status["type"] == "status" and status["playing"] is False


def test_pages_beyond_the_limit_are_told_the_server_is_busy():
    with BackgroundServer(max_sessions=1) as small:
        with connect(socket_url(small)) as first:
            with connect(socket_url(small)) as second:
                (reply,) = replies(second, 1)
                assert reply["type"] == "error" and reply["code"] == "busy"
                with pytest.raises(ConnectionClosed):
                    second.recv(timeout=10)
            first.send(json.dumps({"type": "step"}))
            assert replies(first, 2)[0]["type"] == "frame"
