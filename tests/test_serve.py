"""``main.py serve`` over real HTTP on 127.0.0.1, exporting to a real OTLP receiver.

The server runs as a user starts it (a subprocess); requests go through http.client.
Checked: a new trace or the caller's continued, the failures from the world's state,
40 orders at once, every kind of bad input (never traced), the lookups, the trace
JSON the page draws, --html-dir, a stop that finishes and flushes, start-up errors.
"""
from __future__ import annotations

import http.client
import json
import signal
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Running, free_port, run_main
from simulate.receiver import OtlpReceiver, ReceivedSpan

CALLER_TRACE, CALLER_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
PARENT = {"create-order": "POST /api/orders", "validate-order": "create-order",
          "check-inventory": "create-order", "process-payment": "create-order",
          "authorize-payment": "process-payment", "save-order": "create-order",
          "send-notification": "create-order"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict

    @property
    def trace_id(self) -> str:
        return self.headers["traceresponse"].split("-")[1]


def call(port: int, method: str = "POST", path: str = "/api/orders", body: bytes | None = b"{}",
         headers: dict | None = None) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      json.loads(raw) if raw and response.getheader("content-type", "").startswith(
                          "application/json") else {"raw": raw.decode(errors="replace")})
    finally:
        conn.close()


def raw_request(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict]:
    """Bytes on a socket, for what http.client will not send (no Content-Length...)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


def trace_spans(receiver: OtlpReceiver, trace_id: str, n: int = 10,
                timeout_s: float = 10) -> list[ReceivedSpan]:
    wanted = bytes.fromhex(trace_id)
    deadline = time.monotonic() + timeout_s
    while True:
        spans = [s for s in receiver.spans() if s.span.trace_id == wanted]
        if len(spans) >= n or time.monotonic() > deadline:
            return spans
        time.sleep(0.05)


def by_name(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    [found] = [s for s in spans if s.span.name == name]
    return found


def ms(span: ReceivedSpan) -> float:
    return (span.span.end_time_unix_nano - span.span.start_time_unix_nano) / 1e6


def check_tree(spans: list[ReceivedSpan]) -> ReceivedSpan:
    """The seed's ten spans, each under the right parent; returns the root."""
    assert len(spans) == 10, [s.span.name for s in spans]
    ids = {s.span.span_id: s for s in spans}
    for s in spans:
        if s.span.name in PARENT:
            assert ids[s.span.parent_span_id].span.name == PARENT[s.span.name]
    return by_name(spans, "POST /api/orders")


@dataclass
class Server:
    run: Running
    port: int
    receiver: OtlpReceiver
    html_dir: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    html_dir = tmp_path_factory.mktemp("pages")
    with OtlpReceiver() as receiver, socket.socket() as jaeger_ui:
        jaeger_ui.bind(("127.0.0.1", 0))  # something answers where the Jaeger UI would
        jaeger_ui.listen()
        port = free_port()
        run = Running("serve", "--port", str(port), "--endpoint", receiver.endpoint,
                      "--html-dir", str(html_dir),
                      "--jaeger-url", f"http://127.0.0.1:{jaeger_ui.getsockname()[1]}")
        run.wait_for("listening on http://127.0.0.1:")
        yield Server(run, port, receiver, html_dir)
        run.signal(signal.SIGINT)
        run.finish(30)


def test_an_order_without_traceparent_starts_a_trace_of_ten_spans(server):
    answer = call(server.port, headers={"content-type": "application/json"})
    assert answer.status == 201
    assert answer.body["order_id"].startswith("order-") and answer.body["transaction_id"].startswith("txn-")
    root = check_tree(trace_spans(server.receiver, answer.trace_id))
    assert root.span.parent_span_id == b""
    assert root.attributes["http.response.status_code"] == 201
    assert root.attributes["server.port"] == server.port
    assert root.attributes["url.path"] == "/api/orders"


def test_an_incoming_traceparent_is_continued_by_the_gateway(server):
    answer = call(server.port, body=b'{"quantity": 2}', headers={
        "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01", "tracestate": "vendor=opaque",
        "baggage": "tenant=acme", "user-agent": "test-client/1"})
    assert answer.status == 201 and answer.trace_id == CALLER_TRACE
    spans = trace_spans(server.receiver, CALLER_TRACE)
    root = check_tree(spans)
    assert root.span.parent_span_id.hex() == CALLER_SPAN  # the caller's span is its parent
    assert {s.span.trace_id.hex() for s in spans} == {CALLER_TRACE}
    assert root.span.trace_state == "vendor=opaque"
    assert root.attributes["user_agent.original"] == "test-client/1"
    assert answer.headers["traceresponse"].startswith(f"00-{CALLER_TRACE}-{root.span.span_id.hex()}-")


@pytest.mark.parametrize("body,status,error,failed,count", [
    (b'{"item_id": "sku-0000"}', 409, "OutOfStockError", "check-inventory", 5),
    (b'{"user_id": "user-0"}', 402, "PaymentDeclinedError", "process-payment", 7),
])
def test_the_two_failures_come_from_the_worlds_state(server, body, status, error, failed, count):
    answer = call(server.port, body=body)
    assert answer.status == status and answer.body["error"] == error
    assert answer.body["order_id"].startswith("order-") and answer.body["message"]
    spans = trace_spans(server.receiver, answer.trace_id, n=count)
    assert len(spans) == count  # the steps after the failure never ran
    culprit = by_name(spans, failed)
    assert culprit.span.status.code == 2 and culprit.attributes["error.type"] == error
    root = by_name(spans, "POST /api/orders")
    assert root.span.status.code == 0  # a 4xx is the client's: the server span stays UNSET
    assert root.attributes["http.response.status_code"] == status


def test_forty_orders_at_once_are_forty_correct_traces_of_250_ms(server):
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: call(server.port), range(40)))
    assert [a.status for a in answers] == [201] * 40
    trace_ids = {a.trace_id for a in answers}
    assert len(trace_ids) == 40 and len({a.body["order_id"] for a in answers}) == 40
    roots = [check_tree(trace_spans(server.receiver, t)) for t in trace_ids]
    durations = [ms(root) for root in roots]
    assert statistics.median(durations) == pytest.approx(250, abs=15)
    assert min(durations) >= 245 and max(durations) < 450, durations


BAD = [
    ("malformed JSON", dict(body=b"{bad"), 400, "malformed JSON"),
    ("wrong type", dict(body=b'{"quantity": "two"}'), 400, "quantity"),
    ("negative quantity", dict(body=b'{"quantity": -3}'), 400, "quantity"),
    ("not an object", dict(body=b"[]"), 400, "JSON object"),
    ("unknown field", dict(body=b'{"price": 1}'), 400, "unknown field"),
    ("bad switch", dict(path="/api/orders?optimize=warp"), 400, "warp"),
    ("unknown path", dict(path="/api/order"), 404, "no such path"),
    ("wrong method", dict(method="GET"), 405, "GET is not allowed"),
    ("body over 64 KB", dict(body=b'{"item_id": "' + b"x" * 65536 + b'"}'), 413, "at most 65,536"),
]


def test_bad_input_is_answered_never_traced_and_the_server_keeps_serving(server):
    for what, request, status, says in BAD:
        answer = call(server.port, **request)
        assert answer.status == status, what
        assert says in answer.body["message"], (what, answer.body)
        assert answer.body["error"] and "traceresponse" not in answer.headers, what
    assert call(server.port, method="DELETE").headers["allow"] == "POST"
    head = b"POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    assert raw_request(server.port, head + b"\r\n")[0] == 411
    assert raw_request(server.port, head + b"Content-Length: x\r\n\r\n")[0] == 400
    assert raw_request(server.port, b"BREW /api/orders HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 501
    good = call(server.port)
    assert good.status == 201  # still serving
    server.run.wait_for(f"201 {good.body['order_id']} trace {good.trace_id}")
    # One line per order: none for a refused request.
    statuses = {line.split()[0] for line in server.run.text().splitlines() if " trace " in line}
    assert statuses <= {"201", "402", "409"}
    roots = [s for s in server.receiver.spans() if s.span.name == "POST /api/orders"]
    assert {r.attributes["http.response.status_code"] for r in roots} <= {201, 402, 409}


def test_saved_orders_health_and_switches_per_request(server):
    placed = call(server.port, path="/api/orders?optimize=parallel")
    found = call(server.port, "GET", f"/api/orders/{placed.body['order_id']}", body=None)
    assert found.status == 200
    assert found.body["transaction_id"] == placed.body["transaction_id"]
    assert found.body["item_id"] == "sku-1001" and found.body["quantity"] == 1
    assert call(server.port, "GET", "/api/orders/order-99999999", body=None).status == 404
    health = call(server.port, "GET", "/healthz", body=None)
    assert health.status == 200 and health.body["status"] == "ok"
    root = check_tree(trace_spans(server.receiver, placed.trace_id))
    assert ms(root) == pytest.approx(220, abs=15)  # parallel: inventory beside payment
    cached = call(server.port, headers={"ordertrace-optimize": "cache"})
    names = [s.span.name for s in trace_spans(server.receiver, cached.trace_id, n=9)]
    assert names.count("db.query") == 1  # the stock came from the cache


def test_the_page_and_each_orders_trace_as_the_page_draws_it(server):
    page = call(server.port, "GET", "/", body=None)
    policy = page.headers["content-security-policy"]
    assert page.status == 200 and "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert 'id="trace-data"' in page.body["raw"] and "place(s)" in page.body["raw"]
    placed = call(server.port)
    answer = call(server.port, "GET", f"/api/traces/{placed.trace_id}", body=None)
    assert answer.status == 200 and answer.body["jaeger"].endswith(f"/trace/{placed.trace_id}")
    data = answer.body["page"]
    assert data["title"] == f"Order {placed.body['order_id']}: 201 Created"
    order, consumer = data["traces"]
    assert order["id"] == placed.trace_id and len(order["spans"]) == 10
    assert [s["name"] for s in consumer["spans"]] == ["process order-notifications"]
    assert [v["title"] for v in data["views"]] == ["Order trace", "linked: process order-notifications"]
    log = [line["text"] for line in data["log"]]
    assert log[0] == "📥 [API Gateway] Received order request"
    assert f"✅ [API Gateway] Order created: {placed.body['order_id']}" in log
    assert all(line["trace"] in (order["id"], consumer["id"]) for line in data["log"])
    assert call(server.port, "GET", "/api/traces/" + "0" * 31 + "1", body=None).status == 404
    written = server.html_dir / f"{placed.trace_id}.html"
    deadline = time.monotonic() + 5
    while not written.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert placed.trace_id in written.read_text(encoding="utf-8")


def test_a_stop_finishes_the_orders_in_flight_flushes_them_and_exits_143():
    with OtlpReceiver() as receiver:
        port = free_port()
        run = Running("serve", "--port", str(port), "--endpoint", receiver.endpoint)
        run.wait_for("listening")
        with ThreadPoolExecutor(8) as pool:
            pending = [pool.submit(call, port) for _ in range(8)]
            time.sleep(0.1)
            sent = time.monotonic()
            run.signal(signal.SIGTERM)
            answers = [p.result() for p in pending]
        assert run.finish(30) == 143
        assert time.monotonic() - sent < 5
        done = [a for a in answers if a.status == 201]
        assert len(done) == 8  # each was in flight: all finished within the grace
        for answer in done:
            check_tree(trace_spans(receiver, answer.trace_id, timeout_s=2))
    assert "Served 8 orders: 8 ok" in run.text()
    assert "📤 Exported" in run.text() and "Traceback" not in run.text("stderr")
    with pytest.raises(OSError):
        call(port)  # nobody listens any more


def test_start_up_errors_are_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = run_main("serve", "--no-export", "--port", str(taken.getsockname()[1]))
    assert busy.returncode == 2
    [line] = busy.stderr.splitlines()
    assert line.startswith("main.py serve: error: cannot listen on http://127.0.0.1:")
    for args, says in [(("--port", "70000"), "--port"), (("--exporter", "zipkin"), "invalid choice"),
                       (("--fail", "payment"), "unrecognized arguments")]:
        bad = run_main("serve", *args)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        [line] = bad.stderr.splitlines()
        assert line.startswith("main.py serve: error:") and says in line and "(see --help)" in line
