"""Traces, logs and metrics, correlated, as a real OTLP receiver gets them (gRPC and HTTP).

Each log line of a run arrives as a record of the service that wrote it, inside the span
that wrote it; a failing step's exception arrives as a log-based event; the metrics carry
the semantic conventions' names, units and attributes (checked against the package), and
their exemplars point at exported traces; each signal can be turned off alone.
"""
from __future__ import annotations

import json
import re

import pytest
from opentelemetry.semconv._incubating.metrics import messaging_metrics
from opentelemetry.semconv.metrics import db_metrics, http_metrics

from conftest import free_port, run_main
from simulate.receiver import OtlpReceiver

LOG_LINE = re.compile(r"^\s*(📥|📦|✓|📊|💳|→|💾|📧|✅|❌|⚠) \[")


def single_run(receiver: OtlpReceiver, *args: str, protocol: str = "grpc", env: dict | None = None):
    endpoint = receiver.endpoint if protocol == "grpc" else receiver.http_endpoint
    result = run_main("--speed", "0", "--no-view", "--endpoint", endpoint, "--protocol", protocol,
                      *args, env=env)
    assert result.returncode == 0, result.stderr
    return result


def spans_by_id(receiver: OtlpReceiver) -> dict[int, object]:
    return {int.from_bytes(s.span.span_id, "big"): s for s in receiver.spans()}


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_every_log_line_arrives_inside_the_span_and_service_that_wrote_it(protocol):
    with OtlpReceiver() as receiver:
        result = single_run(receiver, protocol=protocol)
        lines = [line for line in result.stdout.splitlines() if LOG_LINE.match(line)]
        assert receiver.wait_for("logs", len(lines)) and receiver.wait_for_spans(11)
        records, spans = receiver.logs(), spans_by_id(receiver)
    trace_id = int(re.search(r"Trace ID: ([0-9a-f]{32})", result.stdout).group(1), 16)
    printed = sorted(re.sub(r"^\s*\S+ \[[^]]+\] ", "", line) for line in lines)
    worker = [r for r in records if spans[r.span_id].span.name == "process order-notifications"]
    # Every printed line, plus the email worker's, which the seed's log leaves out.
    assert sorted(r.body for r in records if r not in worker) == printed
    assert [r.body for r in worker] == ["Order confirmation for order-1234 sent to user-42"]
    for record in records:
        span = spans[record.span_id]
        assert record.service == span.service  # written by the service whose span it is
        assert record.severity == "INFO" and record.event_name == ""
        assert record.trace_id == int.from_bytes(span.span.trace_id, "big")
        if record.trace_id != trace_id:  # the email worker's own trace, linked to the order's
            assert span.span.name == "process order-notifications"
        elif span.span.parent_span_id:  # known from the baggage below the gateway
            assert record.attributes["order.id"] == "order-1234"


@pytest.mark.parametrize("scenario,failing,error", [("inventory", "check-inventory", "OutOfStockError"),
                                                    ("payment", "process-payment", "PaymentDeclinedError")])
def test_the_failure_is_an_error_record_and_an_exception_event_on_the_failing_span(scenario, failing, error):
    with OtlpReceiver() as receiver:
        single_run(receiver, "--fail", scenario)
        assert receiver.wait_for("logs", 3)
        records, spans = receiver.logs(), spans_by_id(receiver)
    failing_span = next(s for s in spans.values() if s.span.name == failing)
    on_it = [r for r in records if r.span_id == int.from_bytes(failing_span.span.span_id, "big")]
    assert any(r.severity == "ERROR" and r.event_name == "" for r in on_it)  # the ❌ line
    [event] = [r for r in on_it if r.event_name == "exception"]
    assert event.severity == "ERROR" and event.attributes["exception.type"] == error
    assert "exception.stacktrace" in event.attributes and event.attributes["exception.message"]
    assert [e.name for e in failing_span.span.events] == ["exception"]  # both, by default


@pytest.mark.parametrize("choice,span_event,log_event", [("span", True, False), ("logs", False, True)])
def test_exception_events_go_where_the_switch_says(choice, span_event, log_event):
    with OtlpReceiver() as receiver:
        single_run(receiver, "--fail", "inventory", "--exception-events", choice)
        assert receiver.wait_for("logs", 3)
        records = receiver.logs()
        failing = next(s for s in receiver.spans() if s.span.name == "check-inventory")
    assert any(e.name == "exception" for e in failing.span.events) is span_event
    assert any(r.event_name == "exception" for r in records) is log_event


def _points(receiver: OtlpReceiver, name: str) -> list:
    return [p for p in receiver.metric_points() if p.name == name]


def test_each_instrument_has_its_semconv_name_unit_and_attributes():
    with OtlpReceiver() as receiver:
        single_run(receiver, "--fail", "payment")
        assert receiver.wait_for("metrics", 6)
        points = receiver.metric_points()
    names = {p.name: p for p in points}
    expected = {http_metrics.HTTP_SERVER_REQUEST_DURATION: "s",
                http_metrics.HTTP_CLIENT_REQUEST_DURATION: "s",
                db_metrics.DB_CLIENT_OPERATION_DURATION: "s",
                "ordertrace.orders": "{order}"}
    for name, unit in expected.items():
        assert names[name].unit == unit, name
    gateway = [p for p in points if p.name == http_metrics.HTTP_SERVER_REQUEST_DURATION
               and p.service == "api-gateway"]
    [root] = gateway
    assert root.attributes == {"http.request.method": "POST", "http.route": "/api/orders",
                               "url.scheme": "http", "http.response.status_code": 402}
    payment = next(p for p in points if p.name == http_metrics.HTTP_SERVER_REQUEST_DURATION
                   and p.service == "payment-service")
    assert payment.attributes["error.type"] == "PaymentDeclinedError"
    assert payment.attributes["http.route"] == "/payments"
    client = names[http_metrics.HTTP_CLIENT_REQUEST_DURATION]
    assert client.attributes["server.address"] == "api.payment-gateway.example"
    assert client.attributes["http.response.status_code"] == 402
    query = names[db_metrics.DB_CLIENT_OPERATION_DURATION]
    assert query.attributes["db.system.name"] == "sqlite"
    assert query.histogram.count == 1 and abs(query.histogram.sum - 0.015) < 1e-6  # the profile's 15 ms
    orders = names["ordertrace.orders"]
    assert orders.value == 1 and orders.attributes["ordertrace.order.outcome"] == "declined"


def test_the_kafka_send_and_the_consumer_have_their_messaging_metrics():
    with OtlpReceiver() as receiver:
        single_run(receiver)
        assert receiver.wait_for("metrics", 8)
        names = {p.name: p for p in receiver.metric_points()}
    sent = names[messaging_metrics.MESSAGING_CLIENT_SENT_MESSAGES]
    assert sent.value == 1 and sent.attributes["messaging.destination.name"] == "order-notifications"
    assert names[messaging_metrics.MESSAGING_CLIENT_OPERATION_DURATION].unit == "s"
    assert names[messaging_metrics.MESSAGING_PROCESS_DURATION].attributes["messaging.operation.type"] \
        == "process"


def test_an_exemplar_points_at_a_trace_that_was_exported():
    with OtlpReceiver() as receiver:
        single_run(receiver)
        assert receiver.wait_for("metrics", 6) and receiver.wait_for_spans(11)
        traces = {int.from_bytes(s.span.trace_id, "big") for s in receiver.spans()}
        spans = set(spans_by_id(receiver))
        exemplars = [e for p in receiver.metric_points() for e in p.exemplars]
    assert exemplars
    assert all(e.trace_id in traces and e.span_id in spans for e in exemplars)


def test_the_exported_histograms_agree_with_the_load_summary():
    with OtlpReceiver(keep=True) as receiver:
        result = run_main("--orders", "300", "--speed", "0", "--jitter", "0.4", "--seed", "3",
                          "--json", "--endpoint", receiver.endpoint)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert receiver.wait_for("metrics", 10)
        points = receiver.metric_points()
    [root] = [p for p in points if p.name == http_metrics.HTTP_SERVER_REQUEST_DURATION
              and p.service == "api-gateway"]
    summary = data["latency_ms"]["POST /api/orders"]
    assert root.histogram.count == summary["count"] == 300
    assert root.histogram.max * 1000 == pytest.approx(summary["max"], rel=0.011)  # ±1 % buckets
    assert data["metric_points"]["exported"] == data["metric_points"]["created"] > 0
    assert data["log_records"]["exported"] == data["log_records"]["created"] == len(
        [r for r in receiver.logs()]) > 0


@pytest.mark.parametrize("off,signal", [("OTEL_LOGS_EXPORTER", "logs"), ("OTEL_METRICS_EXPORTER", "metrics")])
def test_each_signal_turns_off_alone(off, signal):
    with OtlpReceiver() as receiver:
        result = single_run(receiver, env={off: "none"})
        assert receiver.wait_for_spans(11)
        other = "metrics" if signal == "logs" else "logs"
        assert receiver.wait_for(other, 1)
        assert receiver.counts[signal] == 0
    assert "Exported 11 spans" in result.stdout


def test_a_signal_that_is_not_delivered_makes_exit_3_and_says_which():
    with OtlpReceiver() as receiver:
        result = run_main("--speed", "0", "--no-view", env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"http://127.0.0.1:{free_port()}"})
        assert receiver.wait_for_spans(11)
    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "metric points" in line and "spans" not in line and "connection refused" in line
    assert re.search(r"Exported 11 spans, \d+ log records to 127\.0\.0\.1", result.stdout)


def test_output_writes_one_file_per_signal_and_show_reads_them(tmp_path):
    out = tmp_path / "run.jsonl"
    result = run_main("--speed", "0", "--no-view", "--no-export", "--output", str(out))
    assert result.returncode == 0, result.stderr
    logs, metrics = tmp_path / "run.logs.jsonl", tmp_path / "run.metrics.jsonl"
    assert all("resourceLogs" in json.loads(line) for line in logs.read_text().splitlines())
    assert all("resourceMetrics" in json.loads(line) for line in metrics.read_text().splitlines())
    shown = run_main("show", str(out), str(logs), str(metrics), "--html", str(tmp_path / "p.html"))
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"Read 11 spans in 2 traces, 1\d log records, \d+ metric points", shown.stdout)
    assert "INFO Order validated" in shown.stdout  # a record under its span
