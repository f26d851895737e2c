"""SpanRecord: a finished span as the reports see it, independent of where it came from.

Built from the SDK's ReadableSpans (a run's own spans) or from OTLP protobuf (what
a receiver got, what an OTLP/JSON file holds); the analysis, the trace view and
the trace page all read these and nothing else.  Both adapters fill every field
the same way (a test checks it), so a page drawn from a file equals the run's own.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

STATUS_NAMES = ("UNSET", "OK", "ERROR")  # OTLP's and the API's StatusCode share these numbers


@dataclass(frozen=True)
class EventRecord:
    name: str
    time_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkRecord:
    trace_id: int
    span_id: int
    attributes: dict[str, Any] = field(default_factory=dict)


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
    events: tuple[EventRecord, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    resource: dict[str, Any] = field(default_factory=dict)
    status: str = "UNSET"  # one of STATUS_NAMES
    status_message: str = ""  # the status description exactly as sent
    scope: str = ""  # instrumentation scope name

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6

    @property
    def linked_trace_ids(self) -> tuple[int, ...]:
        return tuple(link.trace_id for link in self.links)


def _plain(value: Any) -> Any:
    """Attribute values as JSON would hold them: the SDK keeps sequences as tuples."""
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


def _attrs(pairs: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: _plain(v) for k, v in (pairs or {}).items()}


def _record(*, trace_id: int, span_id: int, parent_id: int | None, name: str,
            resource: dict[str, Any], kind: SpanKind, start_ns: int, end_ns: int, status: str,
            status_message: str, attributes: dict[str, Any], events: tuple[EventRecord, ...],
            links: tuple[LinkRecord, ...], scope: str) -> SpanRecord:
    """The derived fields (error, message, raised) computed once, for both adapters."""
    exception = next((e for e in events if e.name == "exception"), None)
    message = exception.attributes.get("exception.message") if exception else None
    return SpanRecord(
        span_id=span_id, parent_id=parent_id, name=name,
        service=str(resource.get("service.name", "?")), kind=kind, start_ns=start_ns,
        end_ns=end_ns, error=status == "ERROR", message=str(message or status_message or ""),
        attributes=attributes, raised=exception is not None, trace_id=trace_id, events=events,
        links=links, resource=resource, status=status, status_message=status_message,
        scope=scope)


def from_readable(spans: Iterable[ReadableSpan]) -> list[SpanRecord]:
    """Adapt SDK ReadableSpans."""
    records = []
    for s in spans:
        context = s.get_span_context()
        records.append(_record(
            trace_id=context.trace_id if context else 0,
            span_id=context.span_id if context else 0,
            parent_id=s.parent.span_id if s.parent else None,
            name=s.name, resource=_attrs(s.resource.attributes if s.resource else None),
            kind=s.kind, start_ns=s.start_time or 0, end_ns=s.end_time or 0,
            status=STATUS_NAMES[s.status.status_code.value],
            status_message=s.status.description or "", attributes=_attrs(s.attributes),
            events=tuple(EventRecord(e.name, e.timestamp, _attrs(e.attributes)) for e in s.events),
            links=tuple(LinkRecord(link.context.trace_id, link.context.span_id,
                                   _attrs(link.attributes)) for link in s.links),
            scope=s.instrumentation_scope.name if s.instrumentation_scope else ""))
    return records


def any_value(value: AnyValue) -> Any:
    """The Python value inside an OTLP AnyValue."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind else None


def attributes_of(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in pairs}


def _id(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def from_otlp(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    """Adapt the spans of an OTLP export request (what a receiver or a file holds)."""
    records = []
    for resource_spans in request.resource_spans:
        resource = attributes_of(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                records.append(_record(
                    trace_id=_id(span.trace_id), span_id=_id(span.span_id),
                    parent_id=_id(span.parent_span_id) or None, name=span.name,
                    resource=resource,
                    # OTLP numbers kinds from 1 (INTERNAL); the API's SpanKind from 0.
                    kind=SpanKind(max(0, span.kind - 1)),
                    start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                    status=STATUS_NAMES[span.status.code] if span.status.code < 3 else "UNSET",
                    status_message=span.status.message, attributes=attributes_of(span.attributes),
                    events=tuple(EventRecord(e.name, e.time_unix_nano, attributes_of(e.attributes))
                                 for e in span.events),
                    links=tuple(LinkRecord(_id(link.trace_id), _id(link.span_id),
                                           attributes_of(link.attributes)) for link in span.links),
                    scope=scope_spans.scope.name))
    return records


def by_trace(records: Iterable[SpanRecord]) -> dict[int, list[SpanRecord]]:
    """Spans grouped by trace id, traces in the order they started."""
    traces: dict[int, list[SpanRecord]] = {}
    for record in sorted(records, key=lambda r: r.start_ns):
        traces.setdefault(record.trace_id, []).append(record)
    return traces
