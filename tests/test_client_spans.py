"""--client-spans: the caller's CLIENT span around every call to another service, made as
HTTP client instrumentation makes it; off by default, the seed's tree exactly."""
from __future__ import annotations

import json
import urllib.request

import pytest
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL
from opentelemetry.trace import SpanKind

from conftest import Running, free_port, run_flow, run_main
from simulate.receiver import OtlpReceiver
from simulate.report.analysis import analyse, without_wire_hops
from simulate.report.records import SpanRecord, from_otlp, from_readable

# (optimizations, scenario): every shape the order's tree takes
SHAPES = [(frozenset(), "none"), (frozenset(), "payment"), (frozenset(), "inventory"),
          (frozenset({"parallel", "cache", "async"}), "none")]


def check_client_parents(spans: list[SpanRecord]) -> int:
    """Every SERVER span (and the PRODUCER span the order service calls) of another service
    than its caller hangs from a CLIENT span in the caller's service, named and attributed
    per the HTTP client convention; returns how many such pairs there are."""
    by_id = {s.span_id: s for s in spans}
    pairs = 0
    for span in spans:
        client = by_id.get(span.parent_id)
        if span.kind not in (SpanKind.SERVER, SpanKind.PRODUCER) or client is None:
            continue
        caller = by_id.get(client.parent_id)
        if span.kind == SpanKind.PRODUCER and client.service == span.service:
            continue  # a producer inside its own service's work
        assert client.kind == SpanKind.CLIENT and caller is not None, span.name
        assert client.service == caller.service != span.service, span.name
        attrs = client.attributes
        assert client.name == attrs[HTTP_REQUEST_METHOD] == "POST"
        assert attrs[SERVER_ADDRESS] == span.service and attrs[SERVER_PORT] == 8080
        assert attrs[URL_FULL].startswith(f"http://{span.service}:8080/")
        status = attrs[HTTP_RESPONSE_STATUS_CODE]
        assert (client.status == "ERROR") == (status >= 400) == (ERROR_TYPE in attrs)
        if status >= 400:
            assert attrs[ERROR_TYPE] == str(status)
        pairs += 1
    return pairs


def _structure(spans: list[SpanRecord]) -> list[tuple]:
    """Names, services, kinds, parents and times from the first span's start."""
    by_id = {s.span_id: s for s in spans}
    t0 = min(s.start_ns for s in spans)
    return sorted((s.name, s.service, s.kind.name, by_id[s.parent_id].name if s.parent_id in by_id else None,
                   s.start_ns - t0, s.end_ns - t0) for s in spans)


@pytest.mark.parametrize("optimizations,scenario", SHAPES)
def test_every_call_to_another_service_gets_the_callers_client_span(optimizations, scenario):
    on = from_readable(run_flow(scenario, optimizations=optimizations, client_spans=True,
                                consume=True).spans)
    off = from_readable(run_flow(scenario, optimizations=optimizations, consume=True).spans)
    calls = {"none": 4, "payment": 3, "inventory": 2}[scenario]  # order, inventory, payment, notification
    assert check_client_parents(on) == calls
    assert len(on) == len(off) + calls
    # Default off is the seed's tree exactly: no CLIENT span between services, and taking the
    # wire hops out of the run with them gives the same spans at the same times.
    assert not [s for s in off if s.kind == SpanKind.CLIENT and s.name == "POST"]
    assert _structure(without_wire_hops(on)) == _structure(off)
    assert analyse(on).to_dict() | {"spans": None} == analyse(off).to_dict() | {"spans": None}


def test_the_callee_continues_from_the_client_span_the_headers_were_injected_from():
    run = run_flow(client_spans=True)
    server = run.by_name("check-inventory")
    client = run.parent_of(server)
    assert client.kind == SpanKind.CLIENT and client.resource.attributes["service.name"] == "order-service"
    assert server.parent.is_remote  # it came over the wire, from the client span's context
    assert client.context.trace_id == server.context.trace_id
    assert (client.start_time, client.end_time) == (server.start_time, server.end_time)


def test_a_single_run_exports_the_client_spans():
    with OtlpReceiver() as receiver:
        result = run_main("--client-spans", "--no-view", "--speed", "0", "--endpoint", receiver.endpoint)
        assert result.returncode == 0, result.stderr
        assert receiver.wait_for_spans(15)
    spans = [r for request in receiver.requests for r in from_otlp(request)]
    assert len(spans) == 15 and check_client_parents(spans) == 4


def test_a_load_run_makes_them_in_every_order():
    result = run_main("--client-spans", "--orders", "20", "--speed", "0", "--no-export", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["spans"]["created"] == 20 * 15


def test_serve_makes_them_for_an_order_placed_over_http():
    port = free_port()
    with OtlpReceiver() as receiver:
        run = Running("serve", "--port", str(port), "--endpoint", receiver.endpoint, "--client-spans")
        try:
            run.wait_for(f"127.0.0.1:{port}")
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/orders", data=b"{}",
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 201
            assert receiver.wait_for_spans(14, timeout_s=15)  # the email worker's span comes later
        finally:
            run.signal(2)
            run.finish()
    spans = [r for request in receiver.requests for r in from_otlp(request)]
    assert check_client_parents(spans) == 4
