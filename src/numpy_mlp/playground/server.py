"""The playground's web server: the page, its files, and one WebSocket and one Session per tab.

Built on Starlette and served by uvicorn (the ``[playground]`` extra). It listens on the
loopback interface unless told otherwise; requests must name a loopback host (``Host``
header, against DNS rebinding) and a page's WebSocket must come from this server's own
origin, so that another web site open in the browser cannot drive it. Messages longer than
MAX_MESSAGE_BYTES close the connection (uvicorn's limit); every other bad message gets an
error reply from the session, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .session import Session, error_reply

STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
MAX_SESSIONS = 32  # open pages at once; each holds its data, a network and two picture grids
MAX_MESSAGE_BYTES = 64 * 1024  # the page's longest message is under 1 KB
INBOX_SIZE = 16  # messages read ahead of the session; then the reader waits (back pressure)
# The page loads nothing from elsewhere, and nothing elsewhere may frame it.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_CLOSED = object()  # put in a session's inbox when its WebSocket closes


class Sessions:
    """The live sessions, one per open WebSocket, at most ``limit``; a closed tab's is dropped."""

    def __init__(self, limit: int = MAX_SESSIONS):
        self.limit = limit
        self.live: dict[int, Session] = {}
        self._next_key = 0

    def open(self) -> int | None:
        """A new session's key, or None when ``limit`` are open."""
        if len(self.live) >= self.limit:
            return None
        self._next_key += 1
        self.live[self._next_key] = Session()
        return self._next_key

    def close(self, key: int) -> None:
        self.live.pop(key, None)

    def __len__(self) -> int:
        return len(self.live)


def create_app(allowed_hosts=LOOPBACK_HOSTS, max_sessions: int = MAX_SESSIONS) -> Starlette:
    """The web app: ``/`` the page, ``/static/...`` its files, ``/ws`` a session's WebSocket.

    ``allowed_hosts``: the names the ``Host`` header may give (``["*"]``: any).
    ``app.state.sessions`` holds the live sessions.
    """
    sessions = Sessions(max_sessions)

    async def page(request):
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    async def session_socket(websocket: WebSocket):
        await serve_session(websocket, sessions)

    app = Starlette(
        routes=[Route("/", page), WebSocketRoute("/ws", session_socket),
                Mount("/static", StaticFiles(directory=STATIC), name="static")],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))])
    app.state.sessions = sessions
    return app


async def serve_session(websocket: WebSocket, sessions: Sessions) -> None:
    """Give one page its session, answer its messages, train while it plays; drop it on close."""
    if not is_same_origin(websocket):
        await websocket.close(code=1008)  # before accepting: the browser sees a refused handshake
        return
    await websocket.accept()
    key = await asyncio.to_thread(sessions.open)
    if key is None:
        await send(websocket, error_reply("busy", f"too many pages open (at most {sessions.limit}): "
                                                  "close one and reload"))
        await websocket.close(code=1013)
        return
    inbox: asyncio.Queue = asyncio.Queue(maxsize=INBOX_SIZE)
    reader = asyncio.create_task(read_messages(websocket, inbox))
    try:
        await run_session(websocket, sessions.live[key], inbox)
    except (WebSocketDisconnect, OSError, RuntimeError):  # the page went away while we sent
        pass
    finally:
        reader.cancel()
        sessions.close(key)


async def run_session(websocket: WebSocket, session: Session, inbox: asyncio.Queue) -> None:
    """Messages first; while playing and the page keeps up, one epoch and its frame at a time.

    The session's work runs in a worker thread, so other tabs and the page's messages are served meanwhile.
    """
    while True:
        if session.wants_frame and inbox.empty():
            replies = await asyncio.to_thread(session.advance)
        else:
            text = await inbox.get()
            if text is _CLOSED:
                return
            replies = await asyncio.to_thread(session.handle, text)
        for reply in replies:
            await send(websocket, reply)


async def read_messages(websocket: WebSocket, inbox: asyncio.Queue) -> None:
    """Move the page's messages (text, or bytes that the session will refuse) into ``inbox``."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            await inbox.put(_CLOSED)
            return
        text = message.get("text")
        await inbox.put(text if text is not None else message.get("bytes"))


async def send(websocket: WebSocket, reply: dict) -> None:
    await websocket.send_text(json.dumps(reply, allow_nan=False))


def is_same_origin(websocket: WebSocket) -> bool:
    """Whether the WebSocket comes from a page of this server (or from no page: a script)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser; browsers always send Origin with a WebSocket handshake
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def address_of(listener: socket.socket) -> str:
    """The page's URL for a socket from ``bind`` (a loopback address for 0.0.0.0 or ::)."""
    host, port = listener.getsockname()[:2]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def make_server(app: Starlette) -> uvicorn.Server:
    """A uvicorn server for ``app``: warnings only, bounded messages, a short graceful shutdown."""
    return uvicorn.Server(uvicorn.Config(app, ws="websockets-sansio", ws_max_size=MAX_MESSAGE_BYTES,
                                         log_config=None, log_level="warning", lifespan="off",
                                         timeout_graceful_shutdown=2))


class BackgroundServer:
    """The playground served from a thread, for scripts and tests: ``with BackgroundServer() as s: s.url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **app_options):
        self.app = create_app(**app_options)
        self.listener = bind(host, port)
        self.url = address_of(self.listener)
        self.server = make_server(self.app)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.listener]},
                                       daemon=True)

    def __enter__(self) -> "BackgroundServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the playground server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.listener.close()

    @property
    def sessions(self) -> Sessions:
        return self.app.state.sessions
