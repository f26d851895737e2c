"""--output FILE: spans as OTLP/JSON lines, as the collector's file exporter writes them.

One ``ExportTraceServiceRequest`` per line, protobuf JSON mapping with lowerCamelCase
keys, integer enums and trace/span ids as hex strings (the OTLP/JSON rule, not
protobuf's base64), so the collector's ``otlpjsonfile`` receiver can replay it.
A file that cannot be written (a full disk) never breaks the run nor the OTLP
export: the first error is kept and every span after it counted as not written.
"""
from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FileReport:
    path: str
    written: int
    not_written: int
    error: str | None  # the first write error, e.g. "No space left on device"


class OtlpJsonFileProcessor(SpanProcessor):
    """Writes ended spans to a file, ``batch`` spans per line; independent of the OTLP export,
    so a failing collector never loses the file, and a failing file never loses the export."""

    def __init__(self, stream: IO[str], path: str, batch: int = 512):
        self._stream, self.path, self._batch = stream, path, batch
        self._pending: list[ReadableSpan] = []
        self._lock = threading.Lock()
        self.written = 0
        self.not_written = 0
        self.error: str | None = None  # the first write error, e.g. "No space left on device"

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self._pending.append(span)
            if len(self._pending) >= self._batch:
                self._write()

    def _write(self) -> None:
        if not self._pending:
            return
        spans, self._pending = self._pending, []
        if self.error is None:
            try:
                self._stream.write(to_json_line(spans) + "\n")
                self._stream.flush()  # per line: a failure is known, and counted, at once
                self.written += len(spans)
                return
            except (OSError, ValueError) as exc:  # ValueError: the stream was closed
                self.error = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        self.not_written += len(spans)

    def report(self) -> FileReport:
        return FileReport(self.path, self.written, self.not_written, self.error)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        with self._lock:
            self._write()
        return self.error is None

    def shutdown(self) -> None:
        self.force_flush()
        try:
            self._stream.close()
        except OSError as exc:  # the buffer's last flush may fail again
            self.error = self.error or exc.strerror or type(exc).__name__


class OtlpJsonLinesExporter:
    """``--output``'s log records or metric points: one export request per line, like the
    spans, in a file of the signal's own (``spans.jsonl`` -> ``spans.logs.jsonl``,
    ``spans.metrics.jsonl``).  Used as an exporter behind the same guard as OTLP."""

    def __init__(self, signal: str, path: str):
        from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
        from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

        self._encode = encode_logs if signal == "logs" else encode_metrics
        self.path = path
        self._stream: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in shutdown
        self._lock = threading.Lock()

    def export(self, data: object, *args: object, **kwargs: object) -> object:
        """The SDK exporter interface: SUCCESS or FAILURE of the signal's result type."""
        from opentelemetry.sdk._logs.export import LogRecordExportResult
        from opentelemetry.sdk.metrics.export import MetricExportResult

        result = LogRecordExportResult if self._encode.__name__ == "encode_logs" else MetricExportResult
        try:
            self.write(data)
        except (OSError, ValueError):
            return result.FAILURE
        return result.SUCCESS

    def write(self, data: object) -> bool:
        line = json_format.MessageToDict(self._encode(data), use_integers_for_enums=True)  # type: ignore[arg-type]
        map_ids(line, lambda b64: base64.b64decode(b64).hex())
        with self._lock:
            self._stream.write(json.dumps(line, separators=(",", ":")) + "\n")
            self._stream.flush()
        return True

    def shutdown(self, *args: object, **kwargs: object) -> None:
        with self._lock, contextlib.suppress(OSError):
            self._stream.close()


def signal_path(path: str, signal: str) -> str:
    """Where --output PATH puts a signal other than spans: PATH with the signal before its
    extension (``out/run.jsonl`` -> ``out/run.logs.jsonl``)."""
    base, dot, extension = path.rpartition(".")
    if not dot or "/" in extension:
        return f"{path}.{signal}"
    return f"{base}.{signal}.{extension}"
