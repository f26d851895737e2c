"""Log records and metric points as the reports see them, from OTLP whatever carried it.

The trace's neighbours: a log record sits on its span (trace and span id), a metric
point belongs to a service and, through an exemplar, may point at a trace.  Built
from OTLP protobuf (what a receiver got) or from an OTLP/JSON dict of one export
request (a file line, or a live run's records through the SDK's encoders and
``MessageToDict``): one adapter for all, so every view reads the same fields.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric, NumberDataPoint

from .otlp_json import to_message
from .records import any_value, attributes_of

SIGNAL_KEYS = {"resourceSpans": "traces", "resourceLogs": "logs", "resourceMetrics": "metrics"}
# OTLP severity numbers come in fours: 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, ...
_SEVERITIES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


@dataclass(frozen=True)
class LogEntry:
    trace_id: int  # 0: not recorded inside a trace
    span_id: int
    time_ns: int
    severity: str  # the record's severity text, else the name of its number's range
    body: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    service: str = ""
    severity_number: int = 0
    event_name: str = ""  # a log-based event's name (e.g. exception), else empty
    scope: str = ""
    resource: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exemplar:
    trace_id: int
    span_id: int
    value: float
    time_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HistogramData:
    count: int
    sum: float
    bounds: tuple[float, ...]  # explicit bucket upper bounds; len(counts) == len(bounds) + 1
    counts: tuple[int, ...]
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class MetricPoint:
    """One data point of one metric stream (a metric name and a set of attributes)."""

    name: str
    unit: str
    kind: str  # gauge, sum, histogram, exponential_histogram or summary
    service: str
    attributes: dict[str, Any]
    start_ns: int
    time_ns: int
    value: float | None = None  # gauge and sum points
    histogram: HistogramData | None = None  # histogram points
    exemplars: tuple[Exemplar, ...] = ()
    description: str = ""
    scope: str = ""
    resource: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricSeries:
    """A metric stream over a whole file or run: its points merged into one value or one
    histogram (cumulative points: the latest of each start; delta points: added up)."""

    name: str
    unit: str
    kind: str
    service: str
    attributes: dict[str, Any]
    value: float | None = None
    histogram: HistogramData | None = None
    exemplars: tuple[Exemplar, ...] = ()
    description: str = ""


def signal_of(doc: object) -> str | None:
    """traces, logs or metrics: which export request an OTLP/JSON document is."""
    if isinstance(doc, dict):
        return next((SIGNAL_KEYS[k] for k in SIGNAL_KEYS if k in doc), None)
    return None


def _id(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def severity_name(number: int) -> str:
    return _SEVERITIES[min(5, (number - 1) // 4)] if number > 0 else ""


def _scoped(resources: Iterable[Any], scopes: str, items: str) -> Iterator[tuple[dict[str, Any], str, Any]]:
    """(resource attributes, scope name, item) for each item of an export request."""
    for resource_items in resources:
        resource = attributes_of(resource_items.resource.attributes)
        for scope_items in getattr(resource_items, scopes):
            for item in getattr(scope_items, items):
                yield resource, scope_items.scope.name, item


def logs_from_otlp(request: ExportLogsServiceRequest) -> list[LogEntry]:
    """Every log record of an export request, with its resource's service."""
    return [LogEntry(
        trace_id=_id(record.trace_id), span_id=_id(record.span_id),
        time_ns=record.time_unix_nano or record.observed_time_unix_nano,
        severity=record.severity_text or severity_name(record.severity_number),
        body=any_value(record.body), attributes=attributes_of(record.attributes),
        service=str(resource.get("service.name", "")), severity_number=record.severity_number,
        event_name=record.event_name, scope=scope, resource=resource)
        for resource, scope, record in _scoped(request.resource_logs, "scope_logs", "log_records")]


def _number(point: NumberDataPoint) -> float:
    return point.as_double if point.WhichOneof("value") == "as_double" else float(point.as_int)


def _exemplars(point: Any) -> tuple[Exemplar, ...]:
    return tuple(Exemplar(_id(e.trace_id), _id(e.span_id), _number(e), e.time_unix_nano,
                          attributes_of(e.filtered_attributes)) for e in point.exemplars)


def _points(metric: Metric) -> Iterable[tuple[str, Any, dict[str, Any]]]:
    """(kind, data point, the fields that kind adds) for each point of a metric."""
    kind = metric.WhichOneof("data") or ""
    for point in getattr(metric, kind).data_points if kind else ():
        extra: dict[str, Any] = {}
        if kind in ("gauge", "sum"):
            extra["value"] = _number(point)
        elif kind == "histogram":
            extra["histogram"] = HistogramData(
                count=point.count, sum=point.sum, bounds=tuple(point.explicit_bounds),
                counts=tuple(point.bucket_counts),
                min=point.min if point.HasField("min") else None,
                max=point.max if point.HasField("max") else None)
        yield kind, point, extra


def metrics_from_otlp(request: ExportMetricsServiceRequest) -> list[MetricPoint]:
    """Every data point of an export request, each with its metric's name and unit."""
    return [MetricPoint(
        name=metric.name, unit=metric.unit, kind=kind, service=str(resource.get("service.name", "")),
        attributes=attributes_of(point.attributes), start_ns=point.start_time_unix_nano,
        time_ns=point.time_unix_nano,
        exemplars=_exemplars(point) if hasattr(point, "exemplars") else (),
        description=metric.description, scope=scope, resource=resource, **extra)
        for resource, scope, metric in _scoped(request.resource_metrics, "scope_metrics", "metrics")
        for kind, point, extra in _points(metric)]


def parse_logs(doc: Mapping[str, Any]) -> list[LogEntry]:
    """The log records of one ExportLogsServiceRequest as an OTLP/JSON dict (hex or base64
    ids, enum names or numbers).  ValueError if it is not one."""
    return logs_from_otlp(to_message(dict(doc), ExportLogsServiceRequest()))


def parse_metrics(doc: Mapping[str, Any]) -> list[MetricPoint]:
    """The data points of one ExportMetricsServiceRequest as an OTLP/JSON dict."""
    return metrics_from_otlp(to_message(dict(doc), ExportMetricsServiceRequest()))


def by_span(entries: Iterable[LogEntry]) -> dict[int, list[LogEntry]]:
    """Log records per span id, each span's in time order (records outside a span left out)."""
    spans: dict[int, list[LogEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.time_ns):
        if entry.span_id:
            spans.setdefault(entry.span_id, []).append(entry)
    return spans


def _merged(a: HistogramData, b: HistogramData) -> HistogramData:
    lows = [x for x in (a.min, b.min) if x is not None]
    highs = [x for x in (a.max, b.max) if x is not None]
    return HistogramData(a.count + b.count, a.sum + b.sum, a.bounds,
                         tuple(x + y for x, y in zip(a.counts, b.counts)),
                         min(lows) if lows else None, max(highs) if highs else None)


def _series_of(points: list[MetricPoint], max_exemplars: int) -> MetricSeries:
    latest: dict[int, MetricPoint] = {}  # per start time: a cumulative stream's latest point
    for point in sorted(points, key=lambda p: p.time_ns):
        latest[point.start_ns] = point
    kept = list(latest.values())
    first = kept[0]
    value = histogram = None
    if first.kind == "gauge":
        value = max(points, key=lambda p: p.time_ns).value
    elif first.histogram is not None:
        histogram = first.histogram
        for point in kept[1:]:
            histogram = _merged(histogram, point.histogram or histogram)
    elif first.value is not None:
        value = sum(p.value or 0.0 for p in kept)
    exemplars = sorted((e for p in kept for e in p.exemplars), key=lambda e: e.time_ns)
    return MetricSeries(first.name, first.unit, first.kind, first.service, first.attributes,
                        value, histogram, tuple(exemplars[-max_exemplars:]), first.description)


def series(points: Iterable[MetricPoint], max_exemplars: int = 10) -> list[MetricSeries]:
    """One series per metric name, service and attribute set (and bucket bounds), by name."""
    groups: dict[tuple[Any, ...], list[MetricPoint]] = {}
    for point in points:
        key = (point.name, point.unit, point.kind, point.service,
               tuple(sorted((k, repr(v)) for k, v in point.attributes.items())),
               point.histogram.bounds if point.histogram else ())
        groups.setdefault(key, []).append(point)
    return [_series_of(group, max_exemplars) for _key, group in sorted(groups.items(),
                                                                       key=lambda kv: kv[0][:4])]


def points_of(data: Any) -> list[MetricPoint]:
    """A live run's metric points (the SDK's MetricsData), through the same OTLP encoding a
    collector would receive, so a page draws them exactly as it draws a file's."""
    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

    return metrics_from_otlp(encode_metrics(data))


def entries_of(lines: Iterable[Any]) -> list[LogEntry]:
    """A live run's log lines (world.log.LogLine) as the records its LoggerProviders emit:
    the span that wrote each, its severity and message."""
    severities = {"❌": "ERROR", "⚠": "WARN"}
    return [LogEntry(line.span_context.trace_id, line.span_context.span_id, line.time_ns,
                     severities.get(line.icon, "INFO"), line.message, service=line.service)
            for line in lines if line.span_context is not None]
