"""``serve`` under hostile load (issue 20): the email workers' backlog counted, every order's
page written or skipped with why, slow clients that cannot starve a real order, and a
Jaeger link only to a trace that was delivered.  Real subprocesses, real sockets, loopback."""
from __future__ import annotations

import re
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from test_serve import call

from conftest import Running, free_port
from simulate.receiver import OtlpReceiver

SUMMARY = re.compile(r"Notifications: ([\d,]+) published, ([\d,]+) consumed by the email workers, "
                     r"([\d,]+) still queued, ([\d,]+) dropped")


def numbers(*groups: str) -> list[int]:
    return [int(g.replace(",", "")) for g in groups]


def start(*args: str, env: dict | None = None) -> tuple[Running, int]:
    port = free_port()
    run = Running("serve", "--port", str(port), *args, env=env)
    run.wait_for("listening on http://127.0.0.1:")
    return run, port


def hammer(port: int, seconds: float, clients: int) -> int:
    """Closed-loop clients placing orders for ``seconds``; the 201s they got."""
    def client() -> int:
        created, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            created += call(port).status == 201
        return created
    with ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(lambda _: client(), range(clients)))


def test_the_email_backlog_is_counted_on_healthz_and_in_the_summary_and_drained_at_stop():
    with OtlpReceiver() as receiver:
        run, port = start("--endpoint", receiver.endpoint)
        created = hammer(port, 2.5, 24)
        health = call(port, "GET", "/healthz", body=None).body["notifications"]
        assert health["published"] == created
        assert health["published"] == health["consumed"] + health["queued"] + health["dropped"]
        run.signal(signal.SIGTERM)
        assert run.finish(30) == 143
        published, consumed, queued, dropped = numbers(*SUMMARY.search(run.text()).groups())
        assert published == created == consumed + queued + dropped
        assert queued == 0  # drained within the stop's grace
        time.sleep(0.5)
        spans = [s for s in receiver.spans() if s.span.name == "process order-notifications"]
        assert len(spans) == consumed  # every notification consumed is a trace delivered


def test_html_dir_pages_written_plus_skipped_equal_the_orders_served_with_why(tmp_path):
    # Half the traces sampled out: their pages cannot exist, and the summary says so.
    run, port = start("--no-export", "--html-dir", str(tmp_path),
                      env={"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"})
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: call(port), range(40)))
    assert all(a.status == 201 for a in answers)
    run.signal(signal.SIGINT)
    assert run.finish(30) == 130
    text = run.text()
    written = int(re.search(r"([\d,]+) trace pages written", text).group(1))
    skipped = re.search(r"written to \S+, ([\d,]+) skipped \((.+?)\)", text)
    assert skipped, text
    reasons = dict((why, int(n)) for n, why in re.findall(r"([\d,]+) ([^,]+)", skipped.group(2)))
    assert written + int(skipped.group(1)) == 40 == written + sum(reasons.values())
    assert reasons.get("not sampled: no trace recorded", 0) > 0
    assert len(list(Path(tmp_path).glob("*.html"))) == written


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))


def test_1500_slow_clients_neither_starve_an_order_nor_multiply_threads():
    run, port = start("--no-export")  # the default cap, 256
    slow: list[socket.socket] = []
    try:
        for _ in range(1500):  # slowloris: a request line and half a header, then nothing
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Le")
            slow.append(sock)
        time.sleep(0.5)
        assert threads_of(run.proc.pid) < 256 + 40
        started = time.monotonic()
        answer = call(port)
        took = time.monotonic() - started
        assert answer.status == 201 and took < 0.8, took
        assert threads_of(run.proc.pid) < 256 + 40
    finally:
        for sock in slow:
            sock.close()
    run.signal(signal.SIGTERM)
    assert run.finish(30) == 143
    assert "Traceback" not in run.text("stderr")


def test_a_client_too_slow_to_send_its_request_is_closed_after_the_timeout():
    run, port = start("--no-export", "--request-timeout", "1")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            started = time.monotonic()
            assert sock.recv(1024) == b""  # closed by the server, no answer
            assert 0.8 < time.monotonic() - started < 3
        assert call(port, "GET", "/healthz", body=None).status == 200  # the others are served
    finally:
        run.signal(signal.SIGTERM)
        run.finish(30)


def test_no_jaeger_link_while_export_fails_and_credentials_in_its_url_masked(jaeger_ui):
    ui = jaeger_ui.removeprefix("http://")  # a Jaeger UI answers there: only delivery decides
    dead = f"http://127.0.0.1:{free_port()}"
    run, port = start("--endpoint", dead, env={"ORDERTRACE_JAEGER_URL": f"http://u:SECRET-J@{ui}"})
    try:
        placed = call(port)
        answer = call(port, "GET", f"/api/traces/{placed.trace_id}", body=None)
        assert answer.status == 200 and answer.body["jaeger"] is None
    finally:
        run.signal(signal.SIGTERM)
        run.finish(30)
    with OtlpReceiver() as receiver:
        run, port = start("--endpoint", receiver.endpoint,
                          env={"ORDERTRACE_JAEGER_URL": f"http://u:SECRET-J@{ui}"})
        try:
            placed = call(port)
            answer = call(port, "GET", f"/api/traces/{placed.trace_id}", body=None)
            assert answer.body["jaeger"] == f"http://***@{ui}/trace/{placed.trace_id}"
        finally:
            run.signal(signal.SIGTERM)
            run.finish(30)
    assert "SECRET-J" not in run.text() + run.text("stderr")


def test_a_group_that_falls_behind_retention_has_its_losses_counted():
    from simulate.world.backends.kafka import Kafka

    kafka = Kafka(partitions=2, retention=3)
    for n in range(10):
        kafka.produce("t", f"k{n}", b"v", {})
    taken = len(kafka.poll("t", "g", max_records=2))
    backlog = kafka.backlog("t", "g")
    assert backlog.published == 10 and backlog.consumed == taken == 2
    assert backlog.published == backlog.consumed + backlog.queued + backlog.dropped
    assert backlog.dropped == 10 - 2 - backlog.queued > 0  # retention took them before the poll
    while kafka.poll("t", "g"):
        pass
    drained = kafka.backlog("t", "g")
    assert drained.queued == 0 and drained.published == drained.consumed + drained.dropped
