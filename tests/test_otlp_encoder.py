"""Our OTLP request encoder writes exactly the bytes of the SDK's encode_spans.

Byte for byte, on the spans of every scenario we simulate and on spans built to reach
every branch: all value types, arrays, events, links with attributes, trace state,
remote parents, dropped counts, statuses, scope attributes, several resources and
scopes in one batch.  What ours does not write falls back to the SDK's bytes.
"""
from __future__ import annotations

import math

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from conftest import run_flow
from simulate.tracing.otlp_encoder import UnencodableError, encode_batch, encode_request


def sdk_bytes(spans: list[ReadableSpan]) -> bytes:
    return encode_spans(spans).SerializeToString()


def assert_same(spans: list[ReadableSpan]) -> None:
    ours = encode_batch(spans)
    if ours != sdk_bytes(spans):  # say where, not just that
        mine = ExportTraceServiceRequest.FromString(ours)
        assert str(mine) == str(encode_spans(spans))
    assert ours == sdk_bytes(spans)


class Recorder:
    def __init__(self, resource: Resource | None = None, limits: SpanLimits | None = None):
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(resource=resource or Resource.create({"service.name": "t"}),
                                       span_limits=limits)
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def tracer(self, name: str = "scope", version: str | None = "1.0", schema_url: str | None = None,
               attributes: dict | None = None) -> trace.Tracer:
        return self.provider.get_tracer(name, version, schema_url=schema_url, attributes=attributes)

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


@pytest.mark.parametrize("scenario", ["none", "inventory", "payment"])
def test_the_spans_of_every_scenario(scenario):
    run = run_flow(scenario=scenario, consume=True)
    assert len(run.spans) >= 5
    assert any(s.events for s in run.spans) == (scenario != "none")  # failures carry exceptions
    assert_same(list(run.spans))


def test_every_value_type_and_edge_value():
    rec = Recorder()
    span = rec.tracer().start_span("values", kind=SpanKind.CLIENT, attributes={
        "s": "text", "empty": "", "unicode": "订单 ✅ \u0000 nul", "t": True, "f": False,
        "zero": 0, "one": 1, "big": 2**63 - 1, "neg": -1, "most_negative": -(2**63), "large": 300,
        "pi": 3.14159, "negzero": -0.0, "inf": math.inf, "nan": math.nan, "float0": 0.0,
        "strs": ["a", "", "b"], "bools": [True, False], "ints": [1, -2, 2**40], "floats": [1.5, -0.25],
        "none_yet": [], "long": "x" * 300})
    span.end()
    assert_same(rec.spans)


def test_events_links_status_trace_state_and_remote_parent():
    rec = Recorder()
    tracer = rec.tracer(schema_url="https://opentelemetry.io/schemas/1.44.0",
                        attributes={"scope.attr": "yes"})
    remote = SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, is_remote=True,
                         trace_flags=TraceFlags(1), trace_state=TraceState([("vendor", "v1"), ("b", "2")]))
    linked = SpanContext(0x1234, 0x5678, is_remote=False, trace_flags=TraceFlags(1))
    span = tracer.start_span("server", context=trace.set_span_in_context(NonRecordingSpan(remote)),
                             kind=SpanKind.SERVER, links=[Link(linked, {"link.attr": 7}), Link(remote)])
    span.add_event("retry", {"attempt": 2, "ok": False}, timestamp=1_700_000_000_000_000_000)
    span.add_event("")
    span.record_exception(ValueError("boom"), escaped=True)
    span.set_status(Status(StatusCode.ERROR, "it failed"))
    span.end()
    child = tracer.start_span("child", context=trace.set_span_in_context(span))
    child.set_status(Status(StatusCode.OK))
    child.end()
    unset = tracer.start_span("unset", kind=SpanKind.PRODUCER, start_time=0)
    unset.end(end_time=5)
    assert_same(rec.spans)


def test_dropped_counts():
    rec = Recorder(limits=SpanLimits(max_span_attributes=2, max_events=1, max_links=1,
                                     max_event_attributes=1, max_link_attributes=1))
    span = rec.tracer().start_span("limited", attributes={"a": 1, "b": 2, "c": 3},
                                   links=[Link(SpanContext(3, 4, False)),
                                          Link(SpanContext(1, 2, False), {"x": 1, "y": 2})])
    span.add_event("e1")
    span.add_event("e2", {"x": 1, "y": 2})  # the newest are kept
    span.end()
    [readable] = rec.spans
    assert readable.dropped_attributes and readable.dropped_events and readable.dropped_links
    assert readable.events[0].dropped_attributes and readable.links[0].dropped_attributes
    assert_same(rec.spans)


def test_several_resources_and_scopes_in_one_batch_keep_their_order():
    first = Recorder(Resource({"service.name": "a", "n": 1}, schema_url="https://example.test/1"))
    second = Recorder(Resource({"service.name": "b"}))
    spans: list[ReadableSpan] = []
    for i in range(3):
        for rec, scope in ((first, "x"), (second, "y"), (first, "z"), (second, "y")):
            s = rec.tracer(scope, version=None if scope == "z" else "2").start_span(f"{scope}-{i}")
            s.end()
            spans.append(rec.spans[-1])
    assert_same(spans)


def test_what_ours_does_not_write_goes_through_the_sdk_encoder():
    rec = Recorder()
    span = rec.tracer().start_span("odd", attributes={"ok": "yes"})
    span.end()
    [readable] = rec.spans
    # Two equal resources in separate objects: the SDK interleaves their spans in one group.
    twin = Recorder(Resource.create({"service.name": "t"}))
    s = twin.tracer().start_span("twin")
    s.end()
    batch = [readable, *twin.spans, readable]
    with pytest.raises(UnencodableError):
        encode_batch(batch)
    assert encode_request(batch) == sdk_bytes(batch)


def test_values_equal_in_python_but_not_on_the_wire_are_written_apart():
    rec = Recorder()
    tracer = rec.tracer()
    # 0.0 == -0.0, and (True,) == (1,): each must still be written as itself.
    for value in (0.0, -0.0, 0.0, (True,), (1,), (1.0,)):
        span = tracer.start_span("same key", attributes={"v": value})
        span.end()
    assert_same(rec.spans)
