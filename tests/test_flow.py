"""The seed's trace, captured in memory: tree, kinds, services, attributes, timings, log."""
from __future__ import annotations

import re

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from conftest import run_flow
from simulate.world.backends.database import SELECT_STOCK
from simulate.world.clock import RealClock

K = SpanKind
# The table, written out independently of simulate/profile.py:
# (name, parent name, service.name, kind, duration ms)
SEED_TREE = [
    ("POST /api/orders", None, "api-gateway", K.SERVER, 250),
    ("create-order", "POST /api/orders", "order-service", K.SERVER, 230),
    ("validate-order", "create-order", "order-service", K.INTERNAL, 20),
    ("check-inventory", "create-order", "inventory-service", K.SERVER, 30),
    ("db.query@inventory-service", "check-inventory", "inventory-service", K.CLIENT, 15),
    ("process-payment", "create-order", "payment-service", K.SERVER, 50),
    ("authorize-payment", "process-payment", "payment-service", K.CLIENT, 30),
    ("save-order", "create-order", "order-service", K.INTERNAL, 25),
    ("db.query@order-service", "save-order", "order-service", K.CLIENT, 15),
    ("send-notification", "create-order", "notification-service", K.PRODUCER, 10),
]

SEED_LOG = """\
📥 [API Gateway] Received order request
📦 [Order Service] Processing order...
  ✓ [Order Service] Order validated
📊 [Inventory Service] Checking stock...
  ✓ [Inventory Service] Stock available
💳 [Payment Service] Processing payment...
    → [Payment Gateway] Authorization complete
  ✓ [Payment Service] Payment successful
💾 [Database] Saving order...
  ✓ [Database] Order order-1234 saved
📧 [Notification Service] Email sent for order order-1234
✅ [Order Service] Order created: order-1234
✅ [API Gateway] Order created: order-1234""".splitlines()


def label(span) -> str:
    service = span.resource.attributes["service.name"]
    return f"{span.name}@{service}" if span.name == "db.query" else span.name


def ms(span) -> float:
    return (span.end_time - span.start_time) / 1e6


def check_tree(run, expected, tolerance_ms: float) -> None:
    spans = {label(s): s for s in run.spans}
    assert sorted(spans) == sorted(e[0] for e in expected)
    assert len({s.context.trace_id for s in run.spans}) == 1
    for name, parent, service, kind, duration in expected:
        span = spans[name]
        got_parent = run.parent_of(span)
        assert (label(got_parent) if got_parent else None) == parent, name
        assert span.resource.attributes["service.name"] == service, name
        assert span.kind == kind, name
        assert ms(span) == pytest.approx(duration, abs=tolerance_ms), name
        if got_parent is not None:  # a child lies inside its parent
            assert got_parent.start_time <= span.start_time <= span.end_time <= got_parent.end_time


def test_success_trace_is_the_seed_tree_to_the_microsecond_in_virtual_time():
    check_tree(run_flow(), SEED_TREE, tolerance_ms=0.001)


def test_success_trace_in_real_time_keeps_the_seed_durations():
    # Generous tolerance: the benchmark (bench/fidelity.py) reports the real precision.
    check_tree(run_flow(clock=RealClock()), SEED_TREE, tolerance_ms=40)


def test_remote_parents_are_marked_remote_and_local_ones_not():
    run = run_flow()
    remote = {label(s) for s in run.spans if s.parent is not None and s.parent.is_remote}
    assert remote == {"create-order", "check-inventory", "process-payment", "send-notification"}


def test_log_is_the_seed_log_line_for_line():
    assert run_flow().log.lines == SEED_LOG


def test_each_log_line_belongs_to_a_span_of_its_service():
    run = run_flow()
    by_id = {s.context.span_id: s for s in run.spans}
    for record in run.log.records:
        span = by_id[record.span_context.span_id]
        assert span.resource.attributes["service.name"] == record.service


def test_gateway_span_follows_http_server_conventions():
    span = run_flow().by_name("POST /api/orders")
    a = span.attributes
    assert (a["http.request.method"], a["http.route"], a["url.path"], a["url.scheme"]) == (
        "POST", "/api/orders", "/api/orders", "http")
    assert a["http.response.status_code"] == 201
    assert span.status.status_code == StatusCode.UNSET


def test_db_spans_carry_the_sql_with_placeholders_and_never_values():
    run = run_flow()
    for service, operation, table in (("inventory-service", "SELECT", "inventory"),
                                      ("order-service", "INSERT", "orders")):
        a = run.by_name("db.query", service).attributes
        assert a["db.system.name"] == "sqlite"
        assert a["db.operation.name"] == operation
        assert a["db.collection.name"] == table
        assert a["db.query.text"].startswith(operation) and "?" in a["db.query.text"]
        assert "sku-1001" not in a["db.query.text"] and "order-1234" not in a["db.query.text"]
    assert run.by_name("db.query", "inventory-service").attributes["db.query.text"] == SELECT_STOCK.text


def test_payment_spans_carry_business_and_http_client_attributes():
    run = run_flow()
    payment = run.by_name("process-payment").attributes
    assert isinstance(payment["payment.amount"], float) and payment["payment.amount"] == 99.99
    assert payment["payment.transaction_id"].startswith("txn-")
    auth = run.by_name("authorize-payment").attributes
    assert auth["server.address"] == "api.payment-gateway.example"
    assert auth["url.full"].startswith("https://api.payment-gateway.example/")
    assert auth["http.response.status_code"] == 201
    assert auth["payment.gateway.decision"] == "approved"
    create = run.by_name("create-order").attributes
    assert (create["order.id"], create["user.id"]) == ("order-1234", "user-42")


def test_notification_is_a_kafka_producer_whose_record_carries_its_context():
    run = run_flow()
    span = run.by_name("send-notification")
    a = span.attributes
    assert a["messaging.system"] == "kafka"
    assert a["messaging.destination.name"] == "order-notifications"
    assert a["messaging.operation.type"] == "send"
    assert a["messaging.kafka.message.key"] == "order-1234"
    assert a["messaging.message.id"]
    [record] = run.system.kafka.records("order-notifications")
    assert record.headers["traceparent"].startswith(
        f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-")


def test_baggage_carries_order_and_user_ids_to_every_service():
    run = run_flow()
    for name in ("create-order", "check-inventory", "process-payment", "send-notification"):
        a = run.by_name(name).attributes
        assert (a["order.id"], a["user.id"]) == ("order-1234", "user-42"), name


def test_resource_identifies_each_service():
    for span in run_flow().spans:
        r = span.resource.attributes
        assert r["service.version"] and r["deployment.environment.name"] and r["service.name"]


def test_otel_resource_attributes_are_added_but_cannot_rename_a_service(monkeypatch):
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=checkout,service.name=oops,"
                                                   "deployment.environment.name=staging")
    for span in run_flow().spans:
        r = span.resource.attributes
        assert r["team"] == "checkout" and r["deployment.environment.name"] == "staging"
        assert r["service.name"] != "oops"


def test_no_span_holds_anything_like_a_card_number():
    for scenario in ("none", "inventory", "payment"):
        for span in run_flow(scenario).spans:
            values = list(span.attributes.values()) + [str(e.attributes) for e in span.events]
            for value in values:
                assert not re.search(r"\d{12,19}", str(value).replace(" ", "").replace("-", ""))


def test_success_writes_the_order_to_the_database():
    assert run_flow().system.database.count_orders() == 1


# ---------------------------------------------------------------- failures

def test_out_of_stock_is_database_state_and_fails_check_inventory():
    run = run_flow("inventory")
    assert run.system.database.execute(SELECT_STOCK, ("sku-1001",)) == [(0,)]
    assert sorted(label(s) for s in run.spans) == sorted(
        ["POST /api/orders", "create-order", "validate-order", "check-inventory",
         "db.query@inventory-service"])
    check = run.by_name("check-inventory")
    assert check.status.status_code == StatusCode.ERROR
    assert "Out of stock" in check.status.description
    assert check.attributes["error.type"] == "OutOfStockError"
    [event] = check.events
    assert event.name == "exception"
    assert event.attributes["exception.type"].endswith("OutOfStockError")
    create = run.by_name("create-order")
    assert create.status.status_code == StatusCode.ERROR
    assert create.attributes["error.type"] == "OutOfStockError"
    gateway = run.by_name("POST /api/orders")
    assert gateway.attributes["http.response.status_code"] == 409
    assert gateway.status.status_code == StatusCode.UNSET  # 4xx on a server span is not an error
    assert "error.type" not in gateway.attributes
    assert run.outcome.status == 409
    assert run.system.database.count_orders() == 0
    assert run.system.kafka.records("order-notifications") == []
    assert run.log.lines[-2:] == ["❌ [Inventory Service] Out of stock",
                                  "❌ [API Gateway] Order failed: 409 Conflict "
                                  "(Out of stock: sku-1001 has 0, 1 requested)"]
    # create-order ends right after the failure; every finished span kept its duration
    assert ms(check) == 30 and ms(create) == 15 + 20 + 15 + 30 + 20 and ms(gateway) == ms(create) + 20


def test_payment_declined_shows_the_gateway_response_and_fails_process_payment():
    run = run_flow("payment")
    assert "save-order" not in {s.name for s in run.spans}
    assert "send-notification" not in {s.name for s in run.spans}
    auth = run.by_name("authorize-payment")
    assert auth.status.status_code == StatusCode.ERROR  # 4xx is an error for an HTTP client
    assert auth.attributes["http.response.status_code"] == 402
    assert auth.attributes["payment.gateway.decision"] == "declined"
    assert auth.attributes["payment.gateway.response_code"] == "51"
    assert auth.attributes["error.type"] == "402"
    payment = run.by_name("process-payment")
    assert payment.status.status_code == StatusCode.ERROR
    assert payment.attributes["error.type"] == "PaymentDeclinedError"
    assert [e.name for e in payment.events] == ["exception"]
    assert "payment.transaction_id" not in payment.attributes
    assert run.by_name("create-order").status.status_code == StatusCode.ERROR
    gateway = run.by_name("POST /api/orders")
    assert gateway.attributes["http.response.status_code"] == 402
    assert gateway.status.status_code == StatusCode.UNSET
    assert run.outcome.status == 402
    assert run.log.lines[-3:-1] == ["    → [Payment Gateway] Authorization declined (51: insufficient funds)",
                                    "❌ [Payment Service] Payment declined"]
    assert run.log.lines[-1].startswith("❌ [API Gateway] Order failed: 402 Payment Required")


def test_a_5xx_from_the_gateway_marks_its_server_span_as_an_error():
    # Two orders with the same id: the second INSERT breaks the primary key, deep in save-order.
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from simulate.report.logs import MemoryLog
    from simulate.tracing.providers import Telemetry
    from simulate.world.clock import VirtualClock
    from simulate.world.profile import SEED_PROFILE
    from simulate.world.services.base import Runtime
    from simulate.world.system import build_system, place_order

    exporter = InMemorySpanExporter()
    runtime = Runtime(telemetry=Telemetry([SimpleSpanProcessor(exporter)]), clock=VirtualClock(),
                      log=MemoryLog(), profile=SEED_PROFILE)
    system = build_system(runtime, order_ids=lambda: "order-1")
    assert place_order(system).status == 201
    exporter.clear()
    outcome = place_order(system)
    assert outcome.status == 500
    spans = {s.name: s for s in exporter.get_finished_spans() if s.name != "db.query"}
    gateway = spans["POST /api/orders"]
    assert gateway.attributes["http.response.status_code"] == 500
    assert gateway.status.status_code == StatusCode.ERROR  # a 5xx is the server's own failure
    assert gateway.attributes["error.type"] == "RemoteServiceError"
    assert "IntegrityError" in gateway.status.description  # the real cause, named
    assert spans["save-order"].status.status_code == StatusCode.ERROR
