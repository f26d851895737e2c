"""The in-process receiver against the SDK's official OTLP exporters, gRPC and HTTP, for
traces, logs and metrics: what it stores, how it misbehaves, what it prints."""
from __future__ import annotations

import gzip
import io
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogs
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetrics
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogs
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetrics
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpans
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD
from opentelemetry.semconv.metrics.http_metrics import HTTP_SERVER_REQUEST_DURATION
from rich.console import Console

from conftest import ROOT, clean_env, free_port, run_flow, run_main
from otlp_signals import LOG_LINES, json_line, logs_request
from simulate.receiver import OtlpReceiver, TreePrinter
from simulate.receiver.http_side import PROTOBUF

RESOURCE = Resource.create({"service.name": "payment-service"})


def _exporters(receiver: OtlpReceiver, transport: str, gzip_body: bool = False):
    if transport == "grpc":
        return (GrpcSpans(endpoint=receiver.endpoint, insecure=True),
                GrpcLogs(endpoint=receiver.endpoint, insecure=True),
                GrpcMetrics(endpoint=receiver.endpoint, insecure=True))
    base = receiver.http_endpoint
    compression = Compression.Gzip if gzip_body else Compression.NoCompression
    return (HttpSpans(endpoint=f"{base}/v1/traces", compression=compression),
            HttpLogs(endpoint=f"{base}/v1/logs", compression=compression),
            HttpMetrics(endpoint=f"{base}/v1/metrics", compression=compression))


def _send_all(receiver: OtlpReceiver, transport: str, gzip_body: bool = False):
    """One span with two log records inside it and a histogram point recorded in it."""
    span_exporter, log_exporter, metric_exporter = _exporters(receiver, transport, gzip_body)
    tracer_provider = TracerProvider(resource=RESOURCE)
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    logger_provider = LoggerProvider(resource=RESOURCE)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    meter_provider = MeterProvider(resource=RESOURCE, metric_readers=[
        PeriodicExportingMetricReader(metric_exporter, export_interval_millis=3_600_000)])
    logger = logger_provider.get_logger("ordertrace")
    histogram = meter_provider.get_meter("ordertrace").create_histogram(
        HTTP_SERVER_REQUEST_DURATION, unit="s")
    with tracer_provider.get_tracer("ordertrace").start_as_current_span("process-payment") as span:
        logger.emit(body="💳 [Payment Service] Processing payment...", severity_text="INFO",
                    attributes={"order.id": "order-1234"})
        logger.emit(body="❌ [Payment Service] Payment declined", severity_text="ERROR")
        histogram.record(0.05, {HTTP_REQUEST_METHOD: "POST"})
    for provider in (tracer_provider, logger_provider, meter_provider):
        provider.shutdown()
    return span.get_span_context()


@pytest.mark.parametrize("transport,gzip_body", [("grpc", False), ("http", False), ("http", True)])
def test_every_signal_arrives_over_each_transport(transport, gzip_body):
    with OtlpReceiver() as receiver:
        context = _send_all(receiver, transport, gzip_body)
        assert receiver.wait_for("traces", 1) and receiver.wait_for("logs", 2)
        assert receiver.wait_for("metrics", 1)
        calls = list(receiver.calls)
    assert {t for t, _ in calls} == {transport}
    assert {s for _, s in calls} == {"traces", "logs", "metrics"}
    if gzip_body:
        assert {m.get("content-encoding") for m in receiver.metadata} == {"gzip"}
    [span] = receiver.spans()
    assert span.span.name == "process-payment" and span.service == "payment-service"
    logs = receiver.logs()
    assert [(e.severity, e.body) for e in logs] == [
        ("INFO", "💳 [Payment Service] Processing payment..."),
        ("ERROR", "❌ [Payment Service] Payment declined")]
    assert {(e.trace_id, e.span_id, e.service) for e in logs} == {
        (context.trace_id, context.span_id, "payment-service")}
    assert logs[0].attributes == {"order.id": "order-1234"}
    assert logs[0].resource["service.name"] == "payment-service"
    [point] = receiver.metric_points()
    assert (point.name, point.unit, point.kind, point.service) == (
        HTTP_SERVER_REQUEST_DURATION, "s", "histogram", "payment-service")
    assert point.attributes == {HTTP_REQUEST_METHOD: "POST"}
    assert point.histogram.count == 1 and point.histogram.sum == pytest.approx(0.05)
    assert sum(point.histogram.counts) == 1
    [exemplar] = point.exemplars  # recorded inside the span: it points at its trace
    assert (exemplar.trace_id, exemplar.span_id) == (context.trace_id, context.span_id)


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_a_failing_receiver_fails_every_signal_and_keeps_nothing(transport):
    # INVALID_ARGUMENT (HTTP 400) is not retried: each export fails at once
    with OtlpReceiver(fail_with=grpc.StatusCode.INVALID_ARGUMENT) as receiver:
        _send_all(receiver, transport)
        calls = list(receiver.calls)
    assert sorted(s for _, s in calls) == ["logs", "logs", "metrics", "traces"]
    assert receiver.counts == {"traces": 0, "logs": 0, "metrics": 0}
    assert not receiver.requests and not receiver.log_requests and not receiver.metric_requests


def _post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("path,body,headers,status", [
    ("/v1/spans", b"", {"Content-Type": PROTOBUF}, 404),
    ("/v1/logs", b"<log/>", {"Content-Type": "text/xml"}, 415),
    ("/v1/logs", b"{oops", {"Content-Type": "application/json"}, 400),
    ("/v1/logs", b"not gzip", {"Content-Type": PROTOBUF, "Content-Encoding": "gzip"}, 400),
    ("/v1/metrics", b"\xff\xff\xff", {"Content-Type": PROTOBUF}, 400),
    ("/v1/traces", gzip.compress(b""), {"Content-Type": PROTOBUF, "Content-Encoding": "gzip"}, 200),
])
def test_the_http_side_answers_as_otlp_http_does(path, body, headers, status):
    with OtlpReceiver() as receiver:
        code, _ = _post(receiver.http_endpoint + path, body, headers)
    assert code == status


def test_the_http_side_reads_otlp_json_with_hex_ids_and_answers_in_json():
    spans = run_flow().spans
    with OtlpReceiver() as receiver:
        code, answer = _post(receiver.http_endpoint + "/v1/logs", json_line(logs_request(spans)).encode(),
                             {"Content-Type": "application/json"})
        entries = receiver.logs()
    assert code == 200 and json.loads(answer) == {}
    payment = next(s for s in spans if s.name == "process-payment")
    assert [e.body for e in entries if e.span_id == payment.context.span_id] == [
        body for name, _, body in LOG_LINES if name == "process-payment"]


def test_the_tree_view_prints_each_log_record_under_its_span():
    out = io.StringIO()
    printer = TreePrinter(Console(file=out, width=120, highlight=False), quiet_s=0)
    with OtlpReceiver() as receiver:
        receiver.on_receive = printer.add
        context = _send_all(receiver, "grpc")
        assert receiver.wait_for("metrics", 1)
    printer.flush(everything=True)
    lines = out.getvalue().splitlines()
    assert f"trace {context.trace_id:032x}" in lines
    row = next(i for i, line in enumerate(lines) if line.startswith("process-payment ("))
    assert "INFO 💳 [Payment Service] Processing payment..." in lines[row + 1]
    assert "ERROR ❌ [Payment Service] Payment declined" in lines[row + 2]
    assert any(line.startswith("metric payment-service") and HTTP_SERVER_REQUEST_DURATION in line
               for line in lines)


def test_a_log_record_outside_any_received_trace_is_printed_on_its_own():
    out = io.StringIO()
    printer = TreePrinter(Console(file=out, width=120, highlight=False), quiet_s=0)
    with OtlpReceiver() as receiver:
        receiver.on_receive = lambda signal, request: signal == "logs" and printer.add(signal, request)
        context = _send_all(receiver, "http")
        assert receiver.wait_for("logs", 2)
    printer.flush(everything=True)
    text = out.getvalue()
    assert f"{context.trace_id:032x} {context.span_id:016x} payment-service" in text
    assert "Payment declined" in text and "trace " not in text


def test_python_m_simulate_receiver_draws_a_run_sent_to_it():
    grpc_port, http_port = free_port(), free_port()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "simulate.receiver", "--port", str(grpc_port), "--http-port", str(http_port)],
        cwd=ROOT, env=clean_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert "listening" in receiver.stdout.readline()
        for protocol, port in (("grpc", grpc_port), ("http/protobuf", http_port)):
            result = run_main("--no-view", "--speed", "0", "--protocol", protocol,
                              "--endpoint", f"http://127.0.0.1:{port}")
            assert result.returncode == 0, result.stderr
    finally:
        receiver.send_signal(signal.SIGINT)
        out, err = receiver.communicate(timeout=30)
    assert err == ""
    assert out.count("POST /api/orders (250ms)") == 2 and out.count("process-payment (50ms)") == 2
