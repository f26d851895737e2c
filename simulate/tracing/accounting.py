"""What happened to every span: counted where it happens, and the exporter's own complaints.

:class:`AccountingExporter` wraps the real exporter: it never raises, counts the
spans delivered and failed, and keeps the first error.  :func:`sdk_log_capture`
takes the SDK exporters' log records for the length of a run (and gives them
back afterwards), so the user reads one summary line instead of retry spam.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

_SDK_EXPORT_LOGGERS = ("opentelemetry.exporter", "opentelemetry.sdk._shared_internal",
                       "opentelemetry.sdk.trace.export")


class ErrorCollector(logging.Handler):
    """Keeps the first few distinct messages the SDK logged: enough to name the cause."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    @property
    def first_error(self) -> str | None:
        return "\n".join(self.messages) or None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "dropping" not in message.lower() and message not in self.messages \
                and len(self.messages) < 5:
            self.messages.append(message)


@contextlib.contextmanager
def sdk_log_capture(collector: ErrorCollector) -> Iterator[ErrorCollector]:
    """Route the SDK exporters' loggers to ``collector`` only, then restore them as they were."""
    loggers = [logging.getLogger(name) for name in _SDK_EXPORT_LOGGERS]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(collector)
        logger.propagate = False
    try:
        yield collector
    finally:
        for logger, propagate in zip(loggers, saved):
            logger.removeHandler(collector)
            logger.propagate = propagate


class AccountingExporter(SpanExporter):
    """Delegates to ``inner``; counts spans delivered and failed; never raises."""

    def __init__(self, inner: SpanExporter, description: str):
        self.inner = inner
        self.description = description  # where spans go, safe to print (no headers)
        self.exported = 0
        self.failed = 0
        self.collector = ErrorCollector()
        self._lock = threading.Lock()
        self._raised: str | None = None

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # noqa: BLE001 - a broken exporter must not break the run
            self._raised = self._raised or f"{type(exc).__name__}: {exc}"
            result = SpanExportResult.FAILURE
        with self._lock:
            if result is SpanExportResult.SUCCESS:
                self.exported += len(spans)
            else:
                self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):  # shutting down must not fail the run either
            self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def count_failed(self, spans: int) -> None:
        """Spans a processor gave up on without sending (e.g. after its circuit opened)."""
        with self._lock:
            self.failed += spans

    @property
    def error(self) -> str | None:
        return self._raised or self.collector.first_error


class EndedSpanCounter(SpanProcessor):
    """Counts spans handed to the pipeline, so drops can be computed, not guessed."""

    def __init__(self) -> None:
        self.ended = 0
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self.ended += 1


@dataclass(frozen=True)
class ExportReport:
    """What happened to the spans of a run, for the closing summary/warning."""

    destination: str
    ended: int
    exported: int
    failed: int
    error: str | None

    @property
    def dropped(self) -> int:
        return max(0, self.ended - self.exported - self.failed)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.dropped == 0 and self.error is None
