"""``serve`` switches a fault on per request (``?fault=NAME`` or the ``ordertrace-fault``
header): the order goes to a world with that fault, in real time, and the spans the collector
gets show it; db-lock shows when orders overlap, as on a real server."""
from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_serve import call

from conftest import Running, free_port
from simulate.receiver import OtlpReceiver
from simulate.report.incident import diagnose
from simulate.report.records import from_otlp
from simulate.world.scenarios import SCENARIOS


@pytest.fixture(scope="module")
def server():
    with OtlpReceiver() as receiver:
        port = free_port()
        run = Running("serve", "--port", str(port), "--endpoint", receiver.endpoint)
        run.wait_for("listening on http://127.0.0.1:")
        yield port, receiver
        run.signal(signal.SIGINT)
        run.finish(30)


def _diagnosis(receiver: OtlpReceiver, trace_ids: set[str], settle_s: float = 6.0):
    """The diagnosis of these orders' traces and the consumer traces linked to them, once the
    collector has them (a consumer may start seconds later)."""
    wanted = {int(t, 16) for t in trace_ids}
    deadline = time.monotonic() + settle_s
    while True:
        spans = [s for r in list(receiver.requests) for s in from_otlp(r)]
        ours = [s for s in spans if s.trace_id in wanted
                or any(t in wanted for t in s.linked_trace_ids)]
        found = diagnose(ours)
        if found.fault != "none" or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.parametrize("fault", ["slow-query", "gateway-timeout", "flaky-inventory", "kafka-down",
                                   "consumer-lag", "n-plus-one"])
def test_a_request_switches_the_fault_on(server, fault):
    port, receiver = server
    placed = call(port, path=f"/api/orders?fault={fault}")
    assert placed.status == (504 if fault == "gateway-timeout" else 201)
    assert _diagnosis(receiver, {placed.trace_id}).answer == SCENARIOS[fault].answer


def test_db_lock_shows_when_orders_overlap_and_the_header_works_too(server):
    port, receiver = server
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: call(port, headers={"ordertrace-fault": "db-lock"}), range(12)))
    assert [a.status for a in answers] == [201] * 12
    found = _diagnosis(receiver, {a.trace_id for a in answers})
    assert found.answer == "order-service:db-lock"
    assert found.evidence[0].ms > 30  # the wait, in real time, before the query started


def test_healthy_orders_and_an_unknown_fault(server):
    port, receiver = server
    healthy = call(port, path="/api/orders?fault=none")
    assert healthy.status == 201
    assert _diagnosis(receiver, {healthy.trace_id}, settle_s=0.5).answer == "none"
    bad = call(port, path="/api/orders?fault=slowness")
    assert bad.status == 400 and "unknown fault 'slowness'" in bad.body["message"]
    assert "traceresponse" not in bad.headers  # checked before any span starts


def test_the_page_switches_a_fault_on_for_the_next_order(browser):
    """In a real browser: choose n-plus-one in the page's fault selector, place an order, see
    the N+1 shape (a row of db.query under save-order) in the trace the page draws."""
    from selenium.webdriver.support.ui import Select
    from test_serve_page import place, rows

    port = free_port()
    run = Running("serve", "--port", str(port), "--no-export")
    run.wait_for("listening")
    try:
        browser.get(f"http://127.0.0.1:{port}/")
        select = Select(browser.find_element("id", "fault"))
        assert [o.get_attribute("value") for o in select.options] == [
            "none", "slow-query", "db-lock", "gateway-timeout", "flaky-inventory", "kafka-down",
            "consumer-lag", "n-plus-one"]
        select.select_by_value("n-plus-one")
        place(browser, "order")
        assert "--fail n-plus-one" in browser.find_element("id", "outcome").text
        names = [r.find_element("css selector", ".name").text for r in rows(browser)]
        assert sum(n.startswith("db.query") for n in names) == 14  # inventory's 1 + save-order's 13
    finally:
        run.signal(signal.SIGINT)
        assert run.finish(30) == 130
