"""OTLP/JSON log and metric lines made by the real SDK for the spans of a run, as the
collector's file exporter writes them (hex ids): input for ``show`` and the page."""
from __future__ import annotations

import base64
import json

from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD, HTTP_ROUTE
from opentelemetry.semconv.metrics.http_metrics import HTTP_SERVER_REQUEST_DURATION

from simulate.tracing.otlp_file import map_ids

# (span name, severity, body) written inside these spans of the seed's order
LOG_LINES = [("process-payment", "INFO", "💳 [Payment Service] Processing payment..."),
             ("process-payment", "INFO", "✓ [Payment Service] Payment successful"),
             ("check-inventory", "WARN", "📊 [Inventory Service] Checking stock...")]


def json_line(request, hex_ids: bool = True) -> str:
    data = json_format.MessageToDict(request)
    if hex_ids:
        map_ids(data, lambda b64: base64.b64decode(b64).hex())
    return json.dumps(data, ensure_ascii=False)


def _context(span: ReadableSpan):
    return trace.set_span_in_context(trace.NonRecordingSpan(span.get_span_context()))


def logs_request(spans: list[ReadableSpan]):
    """LOG_LINES as the SDK's log records, each in its span's context, from its service."""
    exporter = InMemoryLogRecordExporter()
    for name, severity, body in LOG_LINES:
        span = next(s for s in spans if s.name == name)
        provider = LoggerProvider(resource=span.resource)
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        provider.get_logger("ordertrace").emit(
            timestamp=span.start_time + 1_000_000, context=_context(span), severity_text=severity,
            body=body, attributes={"order.id": "order-1234"})  # exported at once
    return encode_logs(exporter.get_finished_logs())


def metrics_request(spans: list[ReadableSpan]):
    """http.server.request.duration for the gateway's span, recorded in it (an exemplar)."""
    root = next(s for s in spans if s.name == "POST /api/orders")
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=root.resource, metric_readers=[reader])
    histogram = provider.get_meter("ordertrace").create_histogram(HTTP_SERVER_REQUEST_DURATION, unit="s")
    histogram.record((root.end_time - root.start_time) / 1e9,
                     {HTTP_REQUEST_METHOD: "POST", HTTP_ROUTE: "/api/orders"}, context=_context(root))
    provider.get_meter("ordertrace").create_counter("orders", unit="{order}").add(1, {"outcome": "ok"})
    request = encode_metrics(reader.get_metrics_data())
    provider.shutdown()
    return request
