"""One span model, whatever the source: the SDK's spans and the same spans through an
OTLP/JSON file give equal SpanRecords, with everything the trace page shows."""
from __future__ import annotations

import pytest

from conftest import run_flow
from simulate.report.records import from_otlp, from_readable
from simulate.tracing.otlp_file import from_json_line, to_json_line


@pytest.mark.parametrize("scenario", ["none", "payment"])
def test_the_sdk_and_an_otlp_json_file_give_the_same_records(scenario):
    spans = run_flow(scenario, consume=True).spans
    direct = sorted(from_readable(spans), key=lambda r: r.span_id)
    via_file = sorted(from_otlp(from_json_line(to_json_line(spans))), key=lambda r: r.span_id)
    assert direct == via_file
    by_name = {r.name: r for r in direct}
    assert by_name["POST /api/orders"].resource["service.name"] == "api-gateway"
    if scenario == "none":
        consumer = by_name["process order-notifications"]
        [link] = consumer.links
        assert link.span_id == by_name["send-notification"].span_id
        assert consumer.linked_trace_ids == (by_name["send-notification"].trace_id,)
    else:
        failed = by_name["process-payment"]
        assert (failed.status, failed.error, failed.raised) == ("ERROR", True, True)
        [event] = failed.events
        assert event.name == "exception" and "Traceback" in event.attributes["exception.stacktrace"]
        assert failed.status_message.startswith("Payment declined")
