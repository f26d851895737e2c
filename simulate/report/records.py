"""SpanRecord: a finished span as the reports see it, independent of where it came from.

Built from the SDK's ReadableSpans (a run's own spans) or from OTLP protobuf (what
a receiver got, what an OTLP/JSON file holds); the analysis, the trace view and
the pages all read these and nothing else.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode


@dataclass(frozen=True)
class SpanRecord:
    span_id: int
    parent_id: int | None
    name: str
    service: str
    kind: SpanKind
    start_ns: int
    end_ns: int
    error: bool = False
    message: str = ""  # status description, or the exception message
    attributes: dict[str, Any] = field(default_factory=dict)
    raised: bool = False  # has an exception event: where an error was thrown
    trace_id: int = 0
    linked_trace_ids: tuple[int, ...] = ()

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def from_readable(spans: Iterable[ReadableSpan]) -> list[SpanRecord]:
    """Adapt SDK ReadableSpans."""
    records = []
    for s in spans:
        events = [e for e in s.events if e.name == "exception"]
        resource = s.resource.attributes if s.resource else {}
        exception_message = events[0].attributes.get("exception.message") if events and \
            events[0].attributes else None
        context = s.get_span_context()
        records.append(SpanRecord(
            span_id=context.span_id if context else 0,
            parent_id=s.parent.span_id if s.parent else None,
            name=s.name, service=str(resource.get("service.name", "?")), kind=s.kind,
            start_ns=s.start_time or 0, end_ns=s.end_time or 0,
            error=s.status.status_code == StatusCode.ERROR,
            message=str(exception_message or s.status.description or ""),
            attributes=dict(s.attributes or {}), raised=bool(events),
            trace_id=context.trace_id if context else 0,
            linked_trace_ids=tuple(link.context.trace_id for link in s.links)))
    return records


def _any_value(value: AnyValue) -> Any:
    """The Python value inside an OTLP AnyValue."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind else None


def attributes_of(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: _any_value(kv.value) for kv in pairs}


def from_otlp(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    """Adapt the spans of an OTLP export request (what a receiver or a file holds)."""
    records = []
    for resource_spans in request.resource_spans:
        resource = attributes_of(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                events = [e for e in span.events if e.name == "exception"]
                exception = attributes_of(events[0].attributes) if events else {}
                records.append(SpanRecord(
                    span_id=int.from_bytes(span.span_id, "big"),
                    parent_id=int.from_bytes(span.parent_span_id, "big") or None,
                    name=span.name, service=str(resource.get("service.name", "?")),
                    # OTLP numbers kinds from 1 (INTERNAL); the API's SpanKind from 0.
                    kind=SpanKind(max(0, span.kind - 1)),
                    start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                    error=span.status.code == Status.STATUS_CODE_ERROR,
                    message=str(exception.get("exception.message") or span.status.message),
                    attributes=attributes_of(span.attributes), raised=bool(events),
                    trace_id=int.from_bytes(span.trace_id, "big"),
                    linked_trace_ids=tuple(int.from_bytes(link.trace_id, "big")
                                           for link in span.links)))
    return records
