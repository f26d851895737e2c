"""Reading OTLP/JSON trace files for ``show``: ours, the collector's, or a hand-saved one.

Accepted, per line (JSON lines) or as one pretty-printed document: an export request
``{"resourceSpans": [...]}`` (our ``--output``, the collector's ``file`` exporter) or a
single ResourceSpans ``{"resource": ..., "scopeSpans": [...]}``.  Ids may be hex (the
OTLP/JSON rule) or base64 (protobuf's plain JSON mapping).  Anything else is an
:class:`InputError` naming the line, so the command line can print one line and exit 2.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ..i18n import _
from ..tracing.otlp_file import map_ids
from .records import SpanRecord, from_otlp

_HEX_ID = re.compile(r"(?:[0-9a-fA-F]{16}){1,2}")  # 8-byte span or 16-byte trace id, as hex


class InputError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"{line}: {message}")
        self.line, self.message = line, message


def _as_base64(value: str) -> str:
    """protobuf's JSON parser wants base64 bytes; a hex id (OTLP/JSON) is turned into it.
    Lengths keep the two apart: base64 of an 8- or 16-byte id is 12 or 24 characters."""
    if _HEX_ID.fullmatch(value):
        return base64.b64encode(bytes.fromhex(value)).decode()
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"id {value[:40]!r} is neither hex nor base64") from None
    return value


def _request(doc: Any, line: int) -> ExportTraceServiceRequest:
    if isinstance(doc, dict) and "resourceSpans" in doc:
        data = doc
    elif isinstance(doc, dict) and ("scopeSpans" in doc or "resource" in doc):
        data = {"resourceSpans": [doc]}
    else:
        raise InputError(line, _("not OTLP trace data: expected an object with resourceSpans, "
                                 "or a ResourceSpans object with scopeSpans"))
    try:
        map_ids(data, _as_base64)
        return json_format.ParseDict(data, ExportTraceServiceRequest(),
                                     ignore_unknown_fields=True)
    except (ValueError, json_format.ParseError) as exc:
        raise InputError(line, _("invalid OTLP/JSON: {reason}").format(
            reason=str(exc).splitlines()[0][:200])) from None


def _check(records: list[SpanRecord], line: int) -> list[SpanRecord]:
    for record in records:
        if not record.trace_id or not record.span_id:
            raise InputError(line, _("span {name} has no traceId or spanId").format(name=repr(record.name)))
        if record.end_ns < record.start_ns:
            raise InputError(line, _("span {name} ends before it starts").format(name=repr(record.name)))
    return records


def _documents(text: str) -> list[tuple[int, Any]]:
    """(line number, parsed JSON) for each document: one pretty-printed, or one per line."""
    try:
        return [(1, json.loads(text))]
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        first_alone = _loads(lines[0][1]) if lines else None
        if whole.msg != "Extra data" and first_alone is None:
            raise InputError(whole.lineno, _("not JSON: {reason}").format(reason=whole.msg)) from None
    docs = []
    for number, line in lines:
        try:
            docs.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(number, _("not JSON: {reason} (column {column})").format(
                reason=exc.msg, column=exc.colno)) from None
    return docs


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def read_spans(text: str) -> list[SpanRecord]:
    """Every span in an OTLP/JSON text, each once (a span exported twice counts once)."""
    if not text.strip():
        raise InputError(1, _("empty file: no spans"))
    seen: dict[tuple[int, int], SpanRecord] = {}
    for line, doc in _documents(text):
        for record in _check(from_otlp(_request(doc, line)), line):
            seen.setdefault((record.trace_id, record.span_id), record)
    if not seen:
        raise InputError(1, _("no spans in the file"))
    return list(seen.values())

