"""Tracing setup: one TracerProvider per service, one shared export pipeline.

Each simulated service gets its own ``TracerProvider`` (so its spans carry its
own ``service.name`` resource) but every provider feeds the same span
processors, which are shut down once, here.  The export pipeline wraps the real
exporter in an :class:`AccountingExporter` that never raises and never logs:
it counts what was delivered and keeps the first error, so the CLI can print a
single clear warning instead of the SDK's retry spam.
"""
from __future__ import annotations

import inspect
import logging
import threading
from dataclasses import dataclass
from typing import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.semconv._incubating.attributes.deployment_attributes import (
    DEPLOYMENT_ENVIRONMENT_NAME,
)
from opentelemetry.semconv._incubating.attributes.service_attributes import SERVICE_NAMESPACE
from opentelemetry.semconv.attributes.service_attributes import SERVICE_NAME, SERVICE_VERSION
from opentelemetry.trace import Tracer

from . import __version__

_SDK_EXPORT_LOGGERS = ("opentelemetry.exporter", "opentelemetry.sdk._shared_internal",
                       "opentelemetry.sdk.trace.export")


class _ErrorCollector(logging.Handler):
    """Takes the exporter's own log records so they reach the user once, summarised."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []  # the first few distinct ones; enough to name the cause
        self.dropped_warnings = 0

    @property
    def first_error(self) -> str | None:
        return "\n".join(self.messages) or None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "dropping" in message.lower():
            self.dropped_warnings += 1
        elif message not in self.messages and len(self.messages) < 5:
            self.messages.append(message)


class AccountingExporter(SpanExporter):
    """Delegates to ``inner``; counts spans delivered and failed; never raises."""

    def __init__(self, inner: SpanExporter, description: str):
        self.inner = inner
        self.description = description  # where spans go, safe to print (no headers)
        self.exported = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._collector = _ErrorCollector()
        self._raised: str | None = None
        for name in _SDK_EXPORT_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(self._collector)
            logger.propagate = False

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
        try:
            self.inner.shutdown()
        except Exception:  # noqa: BLE001
            pass
        for name in _SDK_EXPORT_LOGGERS:
            logging.getLogger(name).removeHandler(self._collector)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def count_failed(self, spans: int) -> None:
        """Spans a processor gave up on without sending (e.g. after its circuit opened)."""
        with self._lock:
            self.failed += spans

    @property
    def error(self) -> str | None:
        return self._raised or self._collector.first_error


class EndedSpanCounter(SpanProcessor):
    """Counts spans handed to the pipeline, so drops can be computed, not guessed."""

    def __init__(self) -> None:
        self.ended = 0
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self.ended += 1


@dataclass
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


class Telemetry:
    """Tracers for the simulated services, all feeding the same processors."""

    def __init__(self, processors: Sequence[SpanProcessor], *, environment: str = "demo",
                 version: str = __version__, sampler: Sampler | None = None):
        self._processors = list(processors)
        self._environment = environment
        self._version = version
        self._sampler = sampler
        self._providers: dict[str, TracerProvider] = {}
        self._lock = threading.Lock()
        self._shut = False

    def resource(self, service: str) -> Resource:
        ours = Resource({SERVICE_NAMESPACE: "ordertrace", SERVICE_VERSION: self._version,
                         DEPLOYMENT_ENVIRONMENT_NAME: self._environment})
        # OTEL_RESOURCE_ATTRIBUTES may override version/environment and add keys,
        # but service.name is what makes five services out of one process: it stays ours.
        return ours.merge(Resource.create({SERVICE_NAME: service}))

    def provider(self, service: str) -> TracerProvider:
        with self._lock:
            if service not in self._providers:
                # shutdown_on_exit=False: the processors are shared and shut down once, by us.
                provider = TracerProvider(resource=self.resource(service), sampler=self._sampler,
                                          shutdown_on_exit=False)
                for processor in self._processors:
                    provider.add_span_processor(processor)
                self._providers[service] = provider
            return self._providers[service]

    def tracer(self, service: str) -> Tracer:
        return self.provider(service).get_tracer("ordertrace", __version__)

    def shutdown(self, timeout_millis: int = 3000) -> None:
        """Flush and stop the shared processors once; safe to call twice."""
        with self._lock:
            if self._shut:
                return
            self._shut = True
        for processor in self._processors:
            # The SDK's BatchSpanProcessor.shutdown takes no timeout; its export is
            # bounded by the exporter's own deadline instead.
            if "timeout_millis" in inspect.signature(processor.shutdown).parameters:
                processor.shutdown(timeout_millis=timeout_millis)  # type: ignore[call-arg]
            else:
                processor.shutdown()
