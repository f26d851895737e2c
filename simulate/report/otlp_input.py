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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

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
        raise InputError(line, "not OTLP trace data: expected an object with resourceSpans, "
                               "or a ResourceSpans object with scopeSpans")
    try:
        map_ids(data, _as_base64)
        return json_format.ParseDict(data, ExportTraceServiceRequest(),
                                     ignore_unknown_fields=True)
    except (ValueError, json_format.ParseError) as exc:
        raise InputError(line, f"invalid OTLP/JSON: {str(exc).splitlines()[0][:200]}") from None


def _check(records: list[SpanRecord], line: int) -> list[SpanRecord]:
    for record in records:
        if not record.trace_id or not record.span_id:
            raise InputError(line, f"span {record.name!r} has no traceId or spanId")
        if record.end_ns < record.start_ns:
            raise InputError(line, f"span {record.name!r} ends before it starts")
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
            raise InputError(whole.lineno, f"not JSON: {whole.msg}") from None
    for number, line in lines:
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(number, f"not JSON: {exc.msg} (column {exc.colno})") from None


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


@dataclass
class SpanFile:
    """The spans of a file, each id once, and what was left out and why (per trace id)."""

    records: list[SpanRecord]
    copies: Counter[int] = field(default_factory=Counter)  # the same span again: drawn once
    clashes: Counter[int] = field(default_factory=Counter)  # another span with a taken id: not drawn

    def problems(self, trace_id: int) -> list[str]:
        said = []
        if self.copies[trace_id]:
            said.append(f"{self.copies[trace_id]:,} span(s) appear again, identical, in the file: "
                        f"each is drawn once")
        if self.clashes[trace_id]:
            said.append(f"{self.clashes[trace_id]:,} span(s) not drawn: their span id is already "
                        f"another span's in this trace (the first in the file is drawn)")
        return said


def read_file(text: str) -> SpanFile:
    """Every span in an OTLP/JSON text, each id once, what was left out counted.  A file
    nested deeper than Python's parser goes is an InputError, not a crash."""
    if not text.strip():
        raise InputError(1, "empty file: no spans")
    seen: dict[tuple[int, int], SpanRecord] = {}
    found = SpanFile([])
    try:
        for line, doc in _documents(text):
            for record in _check(from_otlp(_request(doc, line)), line):
                first = seen.setdefault((record.trace_id, record.span_id), record)
                if first is not record:
                    (found.copies if first == record else found.clashes)[record.trace_id] += 1
    except RecursionError:
        raise InputError(1, "JSON nested too deep to read (deeper than any OTLP file "
                            "needs)") from None
    if not seen:
        raise InputError(1, "no spans in the file")
    found.records = list(seen.values())
    return found


def read_spans(text: str) -> list[SpanRecord]:
    """Every span in an OTLP/JSON text, each once (a span exported twice counts once)."""
    return read_file(text).records

