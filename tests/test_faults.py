"""The fault catalogue: each fault changes what the world does, and the spans show only that.

Span names, parents, kinds, statuses, attributes and simulated durations per fault;
no span, attribute, event or log line names a fault; the real query plan, the lock
in both clocks' time, the retries and their backoff.
"""
from __future__ import annotations

import threading

import pytest
from opentelemetry.semconv.attributes.db_attributes import DB_COLLECTION_NAME, DB_QUERY_TEXT
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_RESEND_COUNT,
    HTTP_RESPONSE_STATUS_CODE,
)
from opentelemetry.trace import SpanKind, StatusCode

from conftest import run_flow
from simulate.config import ConfigError, parse_failure_rates
from simulate.world.backends.database import CATALOGUE_ITEMS, SELECT_STOCK, Database
from simulate.world.clock import RealClock, VirtualClock
from simulate.world.profile import PAYMENT_BACKOFF_MS, PAYMENT_TIMEOUT_MS, SCAN_MS_PER_ROW
from simulate.world.scenarios import CONSUMER_BACKLOG, FAILURES, ORDER_LINES, SCENARIOS


def ms(span) -> float:
    return (span.end_time - span.start_time) / 1e6


def children(run, span):
    return sorted((s for s in run.spans if s.parent and s.parent.span_id == span.context.span_id),
                  key=lambda s: s.start_time)


def order_spans(run):
    root = run.by_name("POST /api/orders")
    return [s for s in run.spans if s.context.trace_id == root.context.trace_id]


def test_the_catalogue_has_every_fault_of_the_issue_and_the_seeds_two():
    assert set(FAILURES) == {"inventory", "payment", "slow-query", "db-lock", "gateway-timeout",
                             "flaky-inventory", "kafka-down", "consumer-lag", "n-plus-one"}
    for name in FAILURES:
        fault = SCENARIOS[name]
        assert fault.service.endswith("-service") and fault.description and fault.looks and fault.lesson
        assert fault.answer == f"{fault.service}:{name}"
    assert SCENARIOS["none"].answer == "none"


@pytest.mark.parametrize("name", [n for n in FAILURES if "-" in n])
def test_no_span_attribute_event_or_log_line_names_the_fault(name):
    run = run_flow(name, consume=True)
    # The catalogue's identifiers (HTTP's own reason phrase "504 Gateway Timeout" is what any
    # gateway answers, not a label of ours).
    words = {name, name.replace("-", "_"), "fault", "flaky", "n+1"}
    for span in run.spans:
        texts = [span.name, span.status.description or "", *map(str, span.attributes.values()),
                 *(str(v) for e in span.events for v in e.attributes.values() if e.name != "exception"
                   or not str(v).startswith("Traceback"))]
        for text in texts:
            assert not any(w in text.lower() for w in words), (name, span.name, text)
    for line in run.log.records:
        assert name not in line.text.lower()


def test_slow_query_the_real_query_plan_scans_without_the_index():
    indexed, dropped = Database({"sku-1": 1}), Database({"sku-1": 1}, indexed=False)
    assert indexed.rows_read(SELECT_STOCK) == 1
    assert dropped.rows_read(SELECT_STOCK) == CATALOGUE_ITEMS + 1  # every row of the table
    assert dropped.execute(SELECT_STOCK, ("sku-1",)) == indexed.execute(SELECT_STOCK, ("sku-1",)) == [(1,)]


def test_slow_query_makes_the_stock_lookup_hundreds_of_ms_and_nothing_fails():
    run = run_flow("slow-query")
    check = run.by_name("check-inventory")
    [query] = children(run, check)
    assert query.kind == SpanKind.CLIENT and query.attributes[DB_COLLECTION_NAME] == "inventory"
    scan = 15 + (CATALOGUE_ITEMS + 2) * SCAN_MS_PER_ROW
    assert ms(query) == pytest.approx(scan, abs=0.01)
    assert ms(check) == pytest.approx(30 - 15 + scan, abs=0.01)
    assert ms(run.by_name("POST /api/orders")) == pytest.approx(250 - 15 + scan, abs=0.01)
    assert run.outcome.status == 201
    assert all(s.status.status_code == StatusCode.UNSET for s in run.spans)


def test_gateway_timeout_each_try_is_a_client_span_of_the_timeout_then_504():
    run = run_flow("gateway-timeout")
    payment = run.by_name("process-payment")
    tries = children(run, payment)
    assert [s.name for s in tries] == ["authorize-payment"] * 3
    for n, span in enumerate(tries):
        assert span.kind == SpanKind.CLIENT and span.status.status_code == StatusCode.ERROR
        assert HTTP_RESPONSE_STATUS_CODE not in span.attributes  # no answer at all
        assert span.attributes.get(HTTP_REQUEST_RESEND_COUNT) == (n or None)
        assert span.attributes[ERROR_TYPE] == "GatewayTimeoutError"
        assert ms(span) == pytest.approx(PAYMENT_TIMEOUT_MS, abs=0.01)
    pauses = [(b.start_time - a.end_time) / 1e6 for a, b in zip(tries, tries[1:])]
    assert pauses == pytest.approx([PAYMENT_BACKOFF_MS, 2 * PAYMENT_BACKOFF_MS], abs=0.01)
    assert payment.status.status_code == StatusCode.ERROR
    root = run.by_name("POST /api/orders")
    assert run.outcome.status == 504 and root.attributes[HTTP_RESPONSE_STATUS_CODE] == 504
    assert root.status.status_code == StatusCode.ERROR  # a 5xx is the server's own failure
    assert not [s for s in run.spans if s.name == "save-order"]


def test_flaky_inventory_the_order_service_retries_and_the_order_succeeds():
    run = run_flow("flaky-inventory")
    create = run.by_name("create-order")
    checks = [s for s in children(run, create) if s.name == "check-inventory"]
    assert len(checks) == 2 and all(s.kind == SpanKind.SERVER for s in checks)
    failed, good = checks
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes[ERROR_TYPE] == "ServiceUnavailableError"
    assert children(run, failed) == []  # the broken instance read nothing
    assert [s.name for s in children(run, good)] == ["db.query"]
    assert good.status.status_code == StatusCode.UNSET
    assert (good.start_time - failed.end_time) / 1e6 == pytest.approx(20, abs=0.01)  # the backoff
    assert run.outcome.status == 201
    assert ms(run.by_name("POST /api/orders")) > 250  # the retry's cost shows in the numbers


def test_kafka_down_fails_the_publish_but_not_the_request():
    run = run_flow("kafka-down", consume=True)
    send = run.by_name("send-notification")
    assert send.kind == SpanKind.PRODUCER and send.status.status_code == StatusCode.ERROR
    assert [e.name for e in send.events] == ["exception"]
    root = run.by_name("POST /api/orders")
    assert run.outcome.status == 201 and root.status.status_code == StatusCode.UNSET
    assert run.by_name("create-order").status.status_code == StatusCode.UNSET
    assert not [s for s in run.spans if s.kind == SpanKind.CONSUMER]


def test_consumer_lag_the_order_message_waits_behind_a_backlog():
    run = run_flow("consumer-lag", consume=True)
    send = run.by_name("send-notification")
    consumers = [s for s in run.spans if s.kind == SpanKind.CONSUMER]
    assert len(consumers) == CONSUMER_BACKLOG + 1
    [ours] = [s for s in consumers if s.links]
    assert ours.links[0].context.span_id == send.context.span_id
    assert (ours.start_time - send.end_time) / 1e6 >= 1000  # seconds, not milliseconds
    assert ms(ours) == pytest.approx(20, abs=0.01)  # the email itself is as quick as ever


def test_n_plus_one_saves_each_line_with_its_own_statement():
    run = run_flow("n-plus-one")
    save = run.by_name("save-order")
    queries = children(run, save)
    assert len(queries) == 1 + ORDER_LINES
    assert all(s.name == "db.query" and s.kind == SpanKind.CLIENT for s in queries)
    assert {s.attributes[DB_QUERY_TEXT] for s in queries[1:]} == {
        "INSERT INTO order_lines (order_id, line_no, item_id) VALUES (?, ?, ?)"}
    assert all(b.start_time >= a.end_time for a, b in zip(queries, queries[1:]))  # one by one
    assert ms(save) == pytest.approx(25 + ORDER_LINES * 15, abs=0.01)


def _two_orders_at_once(scenario, clock) -> list[float]:
    """Two clients place an order at the same instant; how long each save-order waited
    before its query started."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from simulate.tracing.providers import Telemetry
    from simulate.world.profile import SEED_PROFILE
    from simulate.world.services.base import Runtime
    from simulate.world.system import build_system, place_order

    exporter = InMemorySpanExporter()
    runtime = Runtime(Telemetry([SimpleSpanProcessor(exporter)]), clock, None, SEED_PROFILE)
    system = build_system(runtime, scenario)
    if isinstance(clock, VirtualClock):
        t0 = clock.now_ns()
        for _ in range(2):
            clock.set_now(t0)
            place_order(system)
    else:
        threads = [threading.Thread(target=place_order, args=(system,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    spans = exporter.get_finished_spans()
    waits = []
    for save in (s for s in spans if s.name == "save-order"):
        [query] = [s for s in spans if s.parent and s.parent.span_id == save.context.span_id]
        waits.append((query.start_time - save.start_time) / 1e6)
    return sorted(waits)


@pytest.mark.parametrize("clock", [VirtualClock, RealClock], ids=["virtual", "real"])
def test_db_lock_the_second_save_waits_for_the_first(clock):
    healthy = _two_orders_at_once(SCENARIOS["none"], clock())
    locked = _two_orders_at_once(SCENARIOS["db-lock"], clock())
    assert healthy == pytest.approx([5, 5], abs=3)  # save-order's own lead: nobody waits
    assert locked[0] == pytest.approx(5, abs=3)
    assert locked[1] >= 15  # behind the first save's whole query (15 ms)


def test_every_fault_is_a_failure_rate():
    rates = parse_failure_rates(",".join(f"{name}=0.1" for name in FAILURES))
    assert set(rates) == set(FAILURES)
    with pytest.raises(ConfigError):
        parse_failure_rates("slow-querry=0.1")
