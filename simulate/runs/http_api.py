"""The HTTP side of ``serve``: routes, what a request may hold, and the handler.

Everything here is checked *before* any span starts: a malformed body, a wrong
type, a negative quantity, an unknown path or method, a body too large is the
client's mistake, answered with a JSON error (400, 404, 405, 411, 413) and never
traced as a server failure.  What passes becomes the world's ``HttpRequest``
plus the real headers, lower-cased, which the gateway extracts ``traceparent``,
``tracestate`` and ``baggage`` from exactly as on every other hop.

The handler is stdlib ``http.server`` (HTTP/1.1, keep-alive): it reads the
request, asks the app (runs/serve.py) for a :class:`Reply`, sends it, then runs
the reply's ``after`` work (the email worker's poll) on the same thread.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import ConfigError, parse_optimizations
from ..world.messages import HttpRequest, OrderRequest
from ..world.scenarios import FAILURES, default_order, world_of

MAX_BODY = 64 * 1024
_DRAIN_LIMIT = 1024 * 1024  # a refused body up to this size is read away, so the client sees the answer
FIELDS = ("user_id", "item_id", "quantity", "amount")
MAX_QUANTITY = 10_000
MAX_AMOUNT = 1_000_000.0
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
OPTIMIZE_HEADER = "ordertrace-optimize"
FAULT_HEADER = "ordertrace-fault"
# The faults a request can switch on: each is a world of its own (the seed's two failures
# are the body's sold-out item and empty card, in every world).
WORLD_FAULTS = tuple(name for name in FAILURES if world_of(name).name == name)

# path pattern -> {method: route name}; HEAD is allowed wherever GET is.
ROUTES: tuple[tuple[re.Pattern[str], dict[str, str]], ...] = (
    (re.compile(r"/"), {"GET": "page"}),
    (re.compile(r"/healthz"), {"GET": "health"}),
    (re.compile(r"/api/orders"), {"POST": "place"}),
    (re.compile(r"/api/orders/([^/]+)"), {"GET": "order"}),
    (re.compile(r"/api/traces/([0-9a-f]{32})"), {"GET": "trace"}),
)


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # close the connection after this answer
    after: Callable[[], None] | None = None  # work once the answer is sent


def json_reply(status: int, data: Any, headers: Mapping[str, str] | None = None, *,
               close: bool = False, after: Callable[[], None] | None = None) -> Reply:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Reply(status, body, headers=dict(headers or {}), close=close, after=after)


class HttpError(Exception):
    """An answer that ends the request here: ``error`` names it, ``message`` says why."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None,
                 close: bool = False):
        super().__init__(message)
        self.status, self.message, self.close = status, message, close
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        error = HTTPStatus(self.status).phrase.replace(" ", "")
        return json_reply(self.status, {"error": error, "message": self.message}, self.headers,
                          close=self.close)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ","
    body: bytes
    host: str  # where the server listens (for the gateway's server.address without a Host)
    port: int


def route(method: str, path: str) -> tuple[str, tuple[str, ...]]:
    """The route name and its path parameters, or 404 / 405 (with ``Allow``)."""
    for pattern, methods in ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        allowed = {**methods, **({"HEAD": methods["GET"]} if "GET" in methods else {})}
        if method not in allowed:
            raise HttpError(405, f"{method} is not allowed on {path}",
                            {"Allow": ", ".join(allowed)})
        return allowed[method], tuple(unquote(g) for g in match.groups())
    raise HttpError(404, f"no such path: {path}")


def body_length(headers: Mapping[str, str]) -> int:
    """The declared body size, checked before a byte of it is read."""
    if "transfer-encoding" in headers:
        raise HttpError(411, "send the body with a Content-Length (no chunked transfer coding)",
                        close=True)
    raw = headers.get("content-length")
    if raw is None:
        raise HttpError(411, "a POST needs a Content-Length", close=True)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise HttpError(400, f"invalid Content-Length: {raw[:40]!r}", close=True)
    if int(raw) > MAX_BODY:
        raise HttpError(413, f"the body is {int(raw):,} bytes; at most {MAX_BODY:,}", close=True)
    return int(raw)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _field(data: Mapping[str, Any], name: str, default: Any, check: Callable[[Any], bool],
           expected: str) -> Any:
    value = data.get(name, default)
    if not check(value):
        raise HttpError(400, f"{name}: expected {expected}, got {json.dumps(value)[:60]}")
    return value


def _is_id(v: Any) -> bool:
    return isinstance(v, str) and _ID.fullmatch(v) is not None


def _is_quantity(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_QUANTITY


def _is_amount(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and 0 < v <= MAX_AMOUNT)


def parse_order(body: bytes, fault: str = "none") -> OrderRequest:
    """The JSON body as an order; every field optional (the seed's order, as that fault's
    world orders it), all checked."""
    data: Any = {}
    if body.strip():
        try:
            data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError:
            raise HttpError(400, "the body is not UTF-8") from None
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise HttpError(400, f"malformed JSON: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise HttpError(400, 'the body must be a JSON object, e.g. {"item_id": "sku-0000"}')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise HttpError(400, f"unknown field {unknown[0][:40]!r} (fields: {', '.join(FIELDS)})")
    seed = default_order(fault)
    ids = "an id of 1-64 letters, digits, '.', '_', ':' or '-'"
    return OrderRequest(
        user_id=_field(data, "user_id", seed.user_id, _is_id, ids),
        item_id=_field(data, "item_id", seed.item_id, _is_id, ids),
        quantity=_field(data, "quantity", seed.quantity, _is_quantity,
                        f"an integer from 1 to {MAX_QUANTITY:,}"),
        amount=float(_field(data, "amount", seed.amount, _is_amount,
                            f"a number above 0, at most {MAX_AMOUNT:,.0f}")))


def parse_optimize(query: str, header: str | None) -> frozenset[str]:
    """``?optimize=parallel,cache`` (or the ``ordertrace-optimize`` header; the query wins)."""
    values = parse_qs(query, keep_blank_values=True).get("optimize")
    raw = values[-1] if values else header
    if raw is None or not raw.strip():
        return frozenset()
    try:
        return parse_optimizations(raw)
    except ConfigError as exc:
        raise HttpError(400, str(exc).replace("argument --optimize", "optimize")) from None


def parse_fault(query: str, header: str | None) -> str:
    """``?fault=slow-query`` (or the ``ordertrace-fault`` header; the query wins): the world
    the order goes to; ``none`` without one."""
    values = parse_qs(query, keep_blank_values=True).get("fault")
    raw = (values[-1] if values else header or "").strip().lower()
    if raw in ("", "none"):
        return "none"
    if raw not in WORLD_FAULTS:
        raise HttpError(400, f"fault: unknown fault {raw[:40]!r} (choose from "
                             f"{', '.join(WORLD_FAULTS)}; the seed's two are the body's item_id "
                             "and user_id)")
    return raw


def world_request(order: OrderRequest, request: Request) -> HttpRequest:
    """The real request as the world's gateway takes it: path, Host, User-Agent."""
    host, port = request.host, request.port
    try:
        authority = urlsplit("//" + request.headers.get("host", ""))
        host, port = authority.hostname or host, authority.port or port
    except ValueError:  # a Host header that is no authority: the listening address it is
        pass
    return HttpRequest("POST", request.path, order, host=host, port=port,
                       user_agent=request.headers.get("user-agent", ""))


class App(Protocol):
    """What the handler needs from the server's application (runs/serve.py)."""

    def handle(self, name: str, args: tuple[str, ...], request: Request) -> Reply: ...

    def busy(self) -> Any: ...  # a context manager: this request is in flight

    def failed(self, error: BaseException) -> None: ...  # a bug: say so once, answer 500


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as load tools expect
    server_version = "ordertrace"
    timeout = 30.0  # an idle or stalled connection is closed after this long
    # The headers and the body leave in two writes: with Nagle's algorithm the body would wait
    # for the client's delayed ACK, 40 ms on every answer.
    disable_nagle_algorithm = True
    app: App  # set on the subclass the server makes

    def handle_one_request(self) -> None:
        self._note_waiting(True)  # reading the request line and headers: sheddable
        super().handle_one_request()

    def _note_waiting(self, waiting: bool) -> None:
        note = getattr(self.server, "note_waiting", None)  # serve's BoundedConnections
        if note is not None:
            note(self.connection, waiting)

    def _handle(self) -> None:
        with self.app.busy():
            reply, after = self._reply(), None
            try:
                self._send(reply)
                after = reply.after
            finally:
                if after is not None:
                    after()  # on this thread, still in flight: a stop waits for it

    def _reply(self) -> Reply:
        try:
            url = urlsplit(self.path)
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            name, args = route(self.command, url.path)
            body = self._body(headers) if self.command == "POST" else b""
            if self.command != "POST" and headers.get("content-length", "0") != "0":
                self.close_connection = True  # a body nobody reads: not on a kept-alive connection
            host, port = cast(tuple[str, int], self.server.server_address)[:2]
            self._note_waiting(False)  # the whole request is in: serving it, never cut
            request = Request(self.command, url.path, url.query, headers, body, str(host), int(port))
            return self.app.handle(name, args, request)
        except HttpError as exc:
            return exc.reply()
        except Exception as exc:  # noqa: BLE001 - a bug must not take the server down
            self.app.failed(exc)
            return HttpError(500, f"{type(exc).__name__} (see the server's output)", close=True).reply()

    def _body(self, headers: Mapping[str, str]) -> bytes:
        try:
            length = body_length(headers)
        except HttpError as exc:
            if exc.status == 413:
                self._drain(headers)
            raise
        body = self.rfile.read(length)
        if len(body) < length:
            raise HttpError(400, f"the body ended after {len(body)} of {length} bytes", close=True)
        return body

    def _drain(self, headers: Mapping[str, str]) -> None:
        """Read a refused body away (up to a bound): closing a socket with unread data resets
        it, and the client would never read the 413."""
        left = int(headers.get("content-length", "0"))
        if left > _DRAIN_LIMIT:
            return
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    return
                left -= len(chunk)
        except OSError:
            return

    def _send(self, reply: Reply) -> None:
        if reply.close:
            self.close_connection = True
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client left: nothing to answer

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (a bad request line, 501 for an unknown method, 414...)
        answered in JSON like ours."""
        self.close_connection = True
        status = HTTPStatus(code)
        self._send(HttpError(code, message or status.description, close=True).reply())

    def version_string(self) -> str:
        return self.server_version  # not the Python version: nobody's business

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr: serve prints one line per order instead."""


# http.server calls do_<METHOD>: these all go through one dispatch (405 on a known path with
# another method); any other method gets the stdlib's 501.
for _method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
    setattr(Handler, f"do_{_method}", Handler._handle)
