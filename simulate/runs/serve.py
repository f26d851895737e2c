"""``main.py serve``: the API Gateway as a real HTTP server, and a page to place orders.

A composition root like the other runs: the export pipeline (the load run's
policy: batches on a timer, retries, a circuit breaker), one :class:`RealClock`
in real time, and one long-lived world per set of optimisation switches, made
on first use.  Each world has its own SQLite database and Kafka (a switch
changes how the services behave, so it cannot be flipped on a shared world
mid-flight); the order ids come from one counter, so they never collide and
``GET /api/orders/{id}`` looks in every database.

Each ``POST /api/orders`` is one trace through the same services, clients and
wire as a single run: the handler calls ``wire.call(gateway.handle, request,
headers)`` with the real headers, so an incoming ``traceparent`` is continued.
After the answer is sent, the same thread lets the email worker poll, prints
one line, and (``--html-dir``) writes the trace page.  A span processor keeps
the last traces whole (tracing/recent.py) for ``GET /api/traces/{id}``.

Ctrl-C / SIGTERM: stop accepting, let the orders in flight finish (the clock
cuts them after the grace), flush the spans, exit 130 / 143.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from rich.console import Console

from ..config import ServeConfig
from ..i18n import _
from ..report.terminal import consoles, say
from ..tracing.destination import SERVE
from ..tracing.pipeline import ExportPipeline
from ..tracing.recent import RecentTraces
from ..world.clock import RealClock, StopFlag
from .common import all_delivered, final_status, finish_export, guarded_std_streams, print_export
from .http_api import Handler
from .serve_app import ServeApp
from .serve_connections import BoundedConnections
from .signals import stop_on_signals

GRACE_S = 1.0  # after Ctrl-C, orders in flight may finish for this long (an order is 0.25 s)
IDLE_WAIT_S = 3.0  # then the server waits at most this much longer for its handlers


class ServeError(Exception):
    """The server cannot start (port in use, bad address, --html-dir unwritable): exit 2."""


class Server(BoundedConnections, ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive connection never holds the exit
    request_queue_size = 128  # a burst of new connections waits in the backlog, not refused

    def __init__(self, host: str, port: int, app: ServeApp, max_connections: int = 256,
                 request_timeout_s: float = 10.0):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.max_connections, self.request_timeout_s = max_connections, request_timeout_s
        handler = type("OrderHandler", (Handler,), {"app": app})
        super().__init__((host, port), handler)
        self.start_reaper()

    def server_close(self) -> None:
        self.stop_reaper()
        super().server_close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up by reverse DNS (getfqdn): not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            print(f"⚠ serve: {type(error).__name__}: {error}", file=sys.stderr)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_of(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _check_html_dir(path: str | None) -> None:
    if path is None:
        return
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServeError(f"argument --html-dir: cannot create {path!r}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ServeError(f"argument --html-dir: cannot write in {path!r}")


def run_serve(config: ServeConfig, stop: StopFlag | None = None) -> int:
    stop = stop or StopFlag()
    stop.grace_s = GRACE_S
    with guarded_std_streams(), stop_on_signals(stop):
        out, err = consoles()
        store = RecentTraces()
        pipeline = ExportPipeline(config.export, SERVE, extra_processors=[store], logs=config.logs,
                                  metrics=config.metrics)
        try:
            telemetry = pipeline.telemetry(config.sampler)
            clock = RealClock(speed=1.0, spin_ms=0, stop=stop)
            try:
                _check_html_dir(config.html_dir)
                app = ServeApp(config, pipeline, telemetry, clock, store, out, err)
                server = Server(config.host, config.port, app, config.max_connections,
                                config.request_timeout_s)
            except (ServeError, OSError) as exc:
                message = str(exc) if isinstance(exc, ServeError) else _(
                    "cannot listen on {url}: {reason}").format(
                    url=url_of(config.host, config.port), reason=exc.strerror or exc)
                print(_("main.py serve: error: {message}").format(message=message), file=sys.stderr)
                return 2
            with server:
                _serve(server, app, config, stop, out, err)
            finish_export(pipeline, stop, err, config.export.timeout_s + 2.0)
            print_export(pipeline, out, err, quiet=False)
            return final_status(stop, all_delivered(pipeline))
        finally:
            pipeline.shutdown()


def _serve(server: Server, app: ServeApp, config: ServeConfig, stop: StopFlag, out: Console,
           err: Console) -> None:
    host, port = server.server_address[:2]
    if not is_loopback(config.host):
        say(err, "⚠ " + _("listening on {host}: other machines can reach this server (and place "
                          "orders); use --host 127.0.0.1 to keep it local").format(host=config.host),
            style="yellow")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="ordertrace-serve", daemon=True)
    thread.start()
    export = ", ".join(d.description for d in app.pipeline.destinations) or _("off")
    say(out, "🌐 " + _("ordertrace serve listening on {url} (export: {export}; Ctrl-C stops)").format(
        url=url_of(str(host), int(port)), export=export))
    said = ""
    while not stop.requested:  # the main thread only waits (a signal sets the flag) and watches
        time.sleep(0.05)
        # Export failing: said once per reason, not per order (the count is in the summary).
        reason = next((r.reason or "unknown" for r in app.pipeline.reports() if r.not_delivered), "")
        if reason and reason != said:
            say(err, "⚠ " + _("export failing ({reason}): orders go on, the spans are counted "
                              "(summary at the end); is the collector up? (--no-export to serve "
                              "without one)").format(reason=reason), style="yellow")
            said = reason
    say(err, _("stopping: no new orders; the ones in flight finish, then the spans are flushed"),
        style="yellow")
    app.stopping = True
    server.shutdown()  # the accept loop ends
    server.server_close()  # and the port closes: a new client is refused, not left waiting
    thread.join(2.0)
    if not app.wait_idle(GRACE_S + IDLE_WAIT_S):
        say(err, _("{count} requests still in flight: left behind").format(count=app.in_flight),
            style="yellow")
    app.finish(GRACE_S + IDLE_WAIT_S)
    say(out, app.summary())

