"""numpy-mlp playground: a local web page where the real library trains a network on 2-D data."""

from __future__ import annotations

import argparse
import threading
import webbrowser

from .options import note

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_playground_command(commands) -> None:
    parser = commands.add_parser(
        "playground", help="a web page where you watch the network learn, and see the code that does it",
        description="Starts a local web page (in Portuguese and English) where numpy-mlp trains a "
                    "small network on 2-D data while you watch: the decision boundary, each "
                    "neuron's picture, the learning curves, and the Python that does the same. "
                    "Needs the [playground] extra: pip install numpy-mlp[playground]. "
                    "Ctrl-C stops it.")
    parser.add_argument("--host", default="127.0.0.1", metavar="HOST",
                        help="the interface to listen on (default: %(default)s, this computer only; "
                             "any other lets other computers in, with no password)")
    parser.add_argument("--port", type=port_number, default=0, metavar="PORT",
                        help="the port to listen on (default: a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    parser.set_defaults(run=run_playground)


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535 (0: a free one), got {text!r}")
    return port


def run_playground(args) -> int:
    server = require_playground()
    if args.host not in LOOPBACK:
        note(f"numpy-mlp: warning: listening on {args.host}: anyone who can reach this computer "
             "can use the playground, which has no password")
    try:
        listener = server.bind(args.host, args.port)
    except OSError as error:
        raise OSError(f"cannot listen on {args.host} port {args.port}: {error.strerror or error}") from None
    try:
        url = server.address_of(listener)
        app = server.create_app(allowed_hosts=server.LOOPBACK_HOSTS if args.host in LOOPBACK else ["*"])
        print(f"numpy-mlp playground: {url}  (Ctrl-C stops it)", flush=True)
        if not args.no_browser:
            # In a thread: a browser that takes its time (or a text one) must not hold the server up.
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        server.make_server(app).run(sockets=[listener])
    except KeyboardInterrupt:  # Ctrl-C: uvicorn stops, then raises it again for us (or it came first)
        pass
    finally:
        listener.close()
    note("numpy-mlp playground: stopped")
    return 0


def require_playground():
    """The playground's server module, or an ImportError that says how to install its extra."""
    try:
        from ..playground import server
    except ImportError as error:
        raise ImportError(f"the playground needs the [playground] extra ({error.name} is not installed): "
                          "pip install numpy-mlp[playground]") from None
    return server
