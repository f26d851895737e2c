"""--output (OTLP/JSON lines), --log-format json, and the Kafka consumer's linked span."""
from __future__ import annotations

import json

from opentelemetry.trace import SpanKind

from conftest import free_port, run_flow, run_main
from simulate.tracing.otlp_file import from_json_line


def test_output_file_round_trips_through_the_protobuf_types(tmp_path):
    out = tmp_path / "spans.jsonl"
    # no collector on the port: the file must still get everything
    result = run_main("--no-view", "--speed", "0", "--output", str(out),
                      "--endpoint", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 3 and "Could not export" in result.stderr
    lines = out.read_text().splitlines()
    assert lines
    raw = json.loads(lines[0])
    first_span = raw["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(first_span["traceId"]) == 32 and len(first_span["spanId"]) == 16  # hex, not base64
    assert isinstance(first_span["kind"], int)  # OTLP/JSON: enums as integers
    requests = [from_json_line(line) for line in lines]
    spans = [(rs, span) for r in requests for rs in r.resource_spans for ss in rs.scope_spans
             for span in ss.spans]
    assert len(spans) == 11
    trace_id = next(span.trace_id.hex() for _, span in spans if span.name == "POST /api/orders")
    assert f"Trace ID: {trace_id}" in result.stdout
    services = {kv.value.string_value for rs, _ in spans for kv in rs.resource.attributes
                if kv.key == "service.name"}
    assert len(services) == 5
    # round trip: re-encoding the parsed message gives the same JSON
    from google.protobuf import json_format

    from simulate.tracing.otlp_file import map_ids
    again = json_format.MessageToDict(requests[0], use_integers_for_enums=True)
    import base64
    map_ids(again, lambda b64: base64.b64decode(b64).hex())
    assert again == raw


def test_json_log_lines_carry_the_ids_of_their_spans(tmp_path):
    out = tmp_path / "spans.jsonl"
    result = run_main("--no-export", "--speed", "0", "--log-format", "json", "--no-view",
                      "--output", str(out))
    assert result.returncode == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]  # stdout: JSON only
    assert "Trace ID" in result.stderr  # the human-readable part moved to stderr
    assert [r["body"] for r in records[:2]] == ["Received order request", "Processing order..."]
    assert set(records[0]) == {"timestamp", "severity", "service", "source", "body", "trace_id",
                               "span_id"}
    assert records[0]["timestamp"].endswith("Z")
    span_ids = {span.span_id.hex(): span for line in out.read_text().splitlines()
                for rs in from_json_line(line).resource_spans for ss in rs.scope_spans
                for span in ss.spans}
    for record in records:
        span = span_ids[record["span_id"]]
        assert span.trace_id.hex() == record["trace_id"]
    # the email worker's line is in the JSON log (not in the emoji log) with its own trace
    [worker] = [r for r in records if r["source"] == "Email Worker"]
    assert worker["trace_id"] != records[0]["trace_id"]


def test_json_log_marks_failures_as_errors():
    result = run_main("--no-export", "--speed", "0", "--log-format", "json", "--no-view",
                      "--fail", "inventory")
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    errors = [r for r in records if r["severity"] == "ERROR"]
    assert [r["body"] for r in errors][0] == "Out of stock"


def test_consumer_processes_the_message_in_its_own_trace_linked_to_the_producer():
    run = run_flow(consume=True)
    [consumer] = [s for s in run.spans if s.kind == SpanKind.CONSUMER]
    producer = run.by_name("send-notification")
    assert consumer.name == "process order-notifications"
    assert consumer.parent is None
    assert consumer.context.trace_id != producer.context.trace_id
    [link] = consumer.links
    assert link.context.span_id == producer.context.span_id
    a = consumer.attributes
    assert (a["messaging.system"], a["messaging.operation.type"], a["messaging.destination.name"]) == (
        "kafka", "process", "order-notifications")
    assert a["messaging.consumer.group.name"] == "email-workers"
    assert consumer.start_time >= producer.end_time
    assert run.log.lines[-1] == "✅ [API Gateway] Order created: order-1234"  # emoji log unchanged
    # a second poll finds nothing new: offsets were committed
    assert run.system.email_worker.poll() == 0
