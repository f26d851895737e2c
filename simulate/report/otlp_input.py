"""Reading OTLP/JSON files for ``show``: ours, the collector's, or a hand-saved one.

Accepted, per line (JSON lines) or as one pretty-printed document: an export request of
any signal, ``{"resourceSpans": [...]}``, ``{"resourceLogs": [...]}`` or
``{"resourceMetrics": [...]}`` (our ``--output``, the collector's ``file`` exporter), or a
single ResourceSpans / ResourceLogs / ResourceMetrics object.  Ids may be hex (the
OTLP/JSON rule) or base64 (protobuf's plain JSON mapping).  Anything else is an
:class:`InputError` naming the line, so the command line can print one line and exit 2.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ..i18n import _
from .otlp_json import to_message
from .records import SpanRecord, from_otlp
from .signals import LogEntry, MetricPoint, parse_logs, parse_metrics, signal_of

# A single Resource* object, without the export request around it: its signal by its list.
_RESOURCE_KEYS = {"scopeSpans": "resourceSpans", "scopeLogs": "resourceLogs",
                  "scopeMetrics": "resourceMetrics"}


class InputError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"{line}: {message}")
        self.line, self.message = line, message


def _wrapped(doc: Any) -> dict[str, Any] | None:
    """The document as an export request of its signal, or None if it is none."""
    if signal_of(doc):
        return doc
    if isinstance(doc, dict):
        key = next((k for k in _RESOURCE_KEYS if k in doc), "scopeSpans" if "resource" in doc else None)
        if key:
            return {_RESOURCE_KEYS[key]: [doc]}
    return None


def _request(doc: dict[str, Any], line: int) -> ExportTraceServiceRequest:
    try:
        return to_message(doc, ExportTraceServiceRequest())
    except ValueError as exc:
        raise InputError(line, str(exc)) from None


def _check(records: list[SpanRecord], line: int) -> list[SpanRecord]:
    for record in records:
        if not record.trace_id or not record.span_id:
            raise InputError(line, _("span {name} has no traceId or spanId").format(name=repr(record.name)))
        if record.end_ns < record.start_ns:
            raise InputError(line, _("span {name} ends before it starts").format(name=repr(record.name)))
    return records


def _documents(text: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) for each document: one pretty-printed, or one per line,
    parsed one at a time (a line's objects are freed once its spans are read)."""
    try:
        yield 1, json.loads(text)
        return
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        first_alone = _loads(lines[0][1]) if lines else None
        if whole.msg != "Extra data" and first_alone is None:
            raise InputError(whole.lineno, _("not JSON: {reason}").format(reason=whole.msg)) from None
    for number, line in lines:
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(number, _("not JSON: {reason} (column {column})").format(
                reason=exc.msg, column=exc.colno)) from None


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


@dataclass
class Signals:
    """What a file holds, each signal in the order read; each span id once, and what was left
    out and why (per trace id)."""

    spans: list[SpanRecord] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    metrics: list[MetricPoint] = field(default_factory=list)
    copies: Counter[int] = field(default_factory=Counter)  # the same span again: drawn once
    clashes: Counter[int] = field(default_factory=Counter)  # another span with a taken id: not drawn

    def __len__(self) -> int:
        return len(self.spans) + len(self.logs) + len(self.metrics)

    def extend(self, other: Signals) -> None:
        self.spans += other.spans
        self.logs += other.logs
        self.metrics += other.metrics
        self.copies += other.copies
        self.clashes += other.clashes

    def problems(self, trace_id: int) -> list[str]:
        said = []
        if self.copies[trace_id]:
            said.append(f"{self.copies[trace_id]:,} span(s) appear again, identical, in the file: "
                        f"each is drawn once")
        if self.clashes[trace_id]:
            said.append(f"{self.clashes[trace_id]:,} span(s) not drawn: their span id is already "
                        f"another span's in this trace (the first in the file is drawn)")
        return said


def _other(doc: dict[str, Any], line: int, into: Signals) -> None:
    """A logs or metrics request's records into ``into``."""
    try:
        if "resourceLogs" in doc:
            into.logs += parse_logs(doc)
        else:
            into.metrics += parse_metrics(doc)
    except ValueError as exc:
        raise InputError(line, str(exc)) from None


def read_signals(text: str) -> Signals:
    """Every span (each id once, what was left out counted), log record and metric point in
    an OTLP/JSON text, whichever signals it mixes.  A file nested deeper than Python's
    parser goes is an InputError, not a crash."""
    if not text.strip():
        raise InputError(1, _("empty file: no spans"))
    seen: dict[tuple[int, int], SpanRecord] = {}
    found = Signals()
    try:
        for line, doc in _documents(text):
            data = _wrapped(doc)
            if data is None:
                raise InputError(line, _("not OTLP data: expected an object with resourceSpans, "
                                         "resourceLogs or resourceMetrics, or one such resource object"))
            if "resourceSpans" not in data:
                _other(data, line, found)
                continue
            for record in _check(from_otlp(_request(data, line)), line):
                first = seen.setdefault((record.trace_id, record.span_id), record)
                if first is not record:
                    (found.copies if first == record else found.clashes)[record.trace_id] += 1
    except RecursionError:
        raise InputError(1, _("JSON nested too deep to read (deeper than any OTLP file "
                              "needs)")) from None
    found.spans = list(seen.values())
    if not found:
        raise InputError(1, _("no spans, log records or metric points in the file"))
    return found


def read_spans(text: str) -> list[SpanRecord]:
    """Every span in an OTLP/JSON text, each once (a span exported twice counts once)."""
    return read_signals(text).spans

