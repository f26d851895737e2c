"""--output FILE: spans as OTLP/JSON lines, as the collector's file exporter writes them.

One ``ExportTraceServiceRequest`` per line, protobuf JSON mapping with lowerCamelCase
keys, integer enums and trace/span ids as hex strings (the OTLP/JSON rule, not
protobuf's base64), so the collector's ``otlpjsonfile`` receiver can replay it.
"""
from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Sequence
from typing import IO

from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def map_ids(obj: object, convert: Callable[[str], str]) -> None:
    """Apply ``convert`` to every id field, wherever it sits (spans and links)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in _ID_KEYS and isinstance(value, str):
                obj[key] = convert(value)
            else:
                map_ids(value, convert)
    elif isinstance(obj, list):
        for item in obj:
            map_ids(item, convert)


def to_json_line(spans: Sequence[ReadableSpan]) -> str:
    data = json_format.MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    map_ids(data, lambda b64: base64.b64decode(b64).hex())
    return json.dumps(data, separators=(",", ":"))


def from_json_line(line: str) -> ExportTraceServiceRequest:
    """The inverse, for tests and replay tools."""
    data = json.loads(line)
    map_ids(data, lambda hex_id: base64.b64encode(bytes.fromhex(hex_id)).decode())
    return json_format.ParseDict(data, ExportTraceServiceRequest())


class OtlpJsonFileProcessor(SpanProcessor):
    """Writes ended spans to a file, ``batch`` spans per line; independent of the OTLP export,
    so a failing collector never loses the file."""

    def __init__(self, stream: IO[str], batch: int = 512):
        self._stream, self._batch = stream, batch
        self._pending: list[ReadableSpan] = []
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self._pending.append(span)
            if len(self._pending) >= self._batch:
                self._write()

    def _write(self) -> None:
        if self._pending:
            self._stream.write(to_json_line(self._pending) + "\n")
            self._pending = []

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        with self._lock:
            self._write()
            self._stream.flush()
        return True

    def shutdown(self) -> None:
        self.force_flush()
        self._stream.close()
