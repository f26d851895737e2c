"""One destination of one signal: the SDK's own processor or reader and the official
exporter, with our guard between them and, for spans and log records, a counter in front.

Spans: ``on_end`` counts the span and hands it to the SDK's BatchSpanProcessor (a deque
append), so export never acts inside an order.  Log records: the same through the
BatchLogRecordProcessor.  The processor's queue is never allowed to overflow: an item
that finds ``capacity`` items waiting is dropped here and counted, and a load run asks
:meth:`has_room` before it starts an order (admission control).  Metrics: the SDK's
PeriodicExportingMetricReader (one per service: a MeterProvider has its own readers)
exports through the same guard.  ``OTEL_BSP_*``, ``OTEL_BLRP_*`` and
``OTEL_METRIC_EXPORT_INTERVAL`` are read by the SDK components themselves.

The exporter is built on a thread of its own (gRPC takes ~0.1 s to import: a single
run spends that time in its 250 ms order).  ``flush`` waits with a deadline (the
processors' own ``force_flush`` has none: opentelemetry-python #4568); ``abandon``
gives up at once (guard.py says how).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.semconv._incubating.metrics.otel_metrics import (
    OTEL_SDK_EXPORTER_LOG_EXPORTED,
    OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED,
    OTEL_SDK_EXPORTER_OPERATION_DURATION,
    OTEL_SDK_EXPORTER_SPAN_EXPORTED,
    OTEL_SDK_PROCESSOR_LOG_PROCESSED,
    OTEL_SDK_PROCESSOR_LOG_QUEUE_CAPACITY,
    OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
    OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY,
)

from .accounting import Accounts, ExportReport
from .cause import ExportDiagnoser
from .exporters import build, description
from .guard import Breaker, Guard
from .self_observability import SelfObservability
from .settings import ExportSettings


@dataclass(frozen=True)
class Policy:
    """How hard to try.  A single run: no breaker.  A load run: see LOAD."""

    threshold: int | None = None  # failed batches in a row that open the circuit
    cooldown_s: float = 2.0  # between looks at the endpoint while the circuit is open
    # The batch processors' schedule delay when OTEL_BSP_/OTEL_BLRP_SCHEDULE_DELAY is unset
    # (None: the SDK's 5 s and 1 s).  serve shows each order's trace as it happens.
    schedule_delay_ms: float | None = None

    def delay(self, variable: str) -> float | None:
        return None if os.environ.get(variable, "").strip() else self.schedule_delay_ms


SINGLE = Policy()
LOAD = Policy(threshold=3)
SERVE = Policy(threshold=3, schedule_delay_ms=200)
DEFAULT_CAPACITY = 2048  # the SDK's OTEL_BSP_MAX_QUEUE_SIZE default, if its metric is missing
SDK_FIGURES = {
    "traces": (OTEL_SDK_EXPORTER_SPAN_EXPORTED, OTEL_SDK_PROCESSOR_SPAN_PROCESSED),
    "logs": (OTEL_SDK_EXPORTER_LOG_EXPORTED, OTEL_SDK_PROCESSOR_LOG_PROCESSED),
    "metrics": (OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED,),
}


class Shipment:
    """What every destination shares: the exporter built on a thread, the guard around it,
    the accounts and the SDK's own figures."""

    def __init__(self, name: str, settings: ExportSettings, policy: Policy):
        self.signal = settings.signal
        self.description = description(name, settings)
        self.accounts = Accounts()
        self.sdk = SelfObservability()
        self._holder: list[Any] = []
        self.ready = threading.Thread(target=lambda: self._holder.append(
            build(name, settings, self.sdk.meter_provider)), name="ordertrace-exporter", daemon=True)
        otlp = self.otlp = name == "otlp"
        diagnoser = ExportDiagnoser(lambda: self.sdk.counts(OTEL_SDK_EXPORTER_OPERATION_DURATION),
                                    settings.endpoint if otlp else None, settings.plaintext,
                                    settings.certificate, settings.timeout_s, settings.protocol == "grpc")
        breaker = Breaker(policy.threshold, policy.cooldown_s, diagnoser.look)
        self.guard = Guard(self.accounts, breaker, diagnoser, self._shutdown_exporter)
        self.ready.start()

    @property
    def exporter(self) -> Any:
        """The official exporter (waits for it to be built)."""
        self.ready.join()
        return self._holder[0]

    def _shutdown_exporter(self) -> None:
        self.ready.join(5.0)
        if self._holder:
            self._holder[0].shutdown()

    def send(self, count: int, export: Callable[[Any], bool]) -> bool:
        return self.guard.run(count, lambda: export(self.exporter))

    def report(self) -> ExportReport:
        figures = {name: self.sdk.outcomes(name) for name in SDK_FIGURES[self.signal]}
        calls = self.sdk.points(OTEL_SDK_EXPORTER_OPERATION_DURATION).values()
        batches = sum(point.count for point in calls)
        seconds = sum(point.sum for point in calls)
        return ExportReport.of(self.description, self.accounts, self.signal,
                               sdk={name: counts for name, counts in figures.items() if counts},
                               batches=batches if self.otlp else None,
                               latency_ms=seconds / batches * 1000 if batches and self.otlp else None)


class _Queued:
    """Spans or log records: a counter in front of the SDK's batch processor."""

    def __init__(self, shipment: Shipment, processor: Any, capacity_metric: str):
        self.shipment = shipment
        self.accounts = shipment.accounts
        self.processor = processor
        capacity = shipment.sdk.sums(capacity_metric)
        self.capacity = int(next(iter(capacity.values()), DEFAULT_CAPACITY))
        self._flusher: threading.Thread | None = None
        self._flush_lock = threading.Lock()

    @property
    def description(self) -> str:
        return self.shipment.description

    @property
    def backlog(self) -> int:
        """Items queued or being sent."""
        return self.accounts.handed - self.accounts.settled

    def has_room(self) -> bool:
        return self.backlog < self.capacity // 2

    def send_soon(self) -> None:
        """Start sending what is queued now, without waiting for a full batch."""
        with self._flush_lock:
            if self._flusher is None or not self._flusher.is_alive():
                self._flusher = threading.Thread(target=self.processor.force_flush,
                                                 name="ordertrace-flush", daemon=True)
                self._flusher.start()

    def flush(self, timeout_s: float) -> bool:
        """Send everything queued; False if the deadline came first (the rest stays queued)."""
        self.send_soon()
        flusher = self._flusher
        if flusher is not None:
            flusher.join(timeout_s)
        if self.backlog and not (flusher and flusher.is_alive()):
            self.send_soon()  # items that came after that flush began
        return not self.backlog

    def abandon(self) -> int:
        """Stop now: queued items are abandoned, a batch in flight is unconfirmed. Returns how
        many items that leaves undelivered."""
        in_flight = self.shipment.guard.abandon()
        queued = max(0, self.backlog - self.shipment.guard.in_flight)
        self.accounts.abandon(queued, 0)
        return queued + in_flight

    def close(self) -> None:
        """Stop; whatever is still queued is abandoned (flush first to send it)."""
        if self.backlog:
            self.abandon()
        self.processor.shutdown()
        self.shipment.guard.shutdown()
        self.shipment.sdk.shutdown()

    def report(self) -> ExportReport:
        return self.shipment.report()


class _Guarded:
    """The part the guarded span and log exporters share: the shipment, and nothing of their
    own to flush or to close (the destination shuts the shared exporter down once)."""

    def __init__(self, shipment: Shipment):
        self._shipment = shipment

    def shutdown(self) -> None:
        self._shipment.guard.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _GuardedSpanExporter(_Guarded, SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        batch = list(spans)
        sent = self._shipment.send(len(batch), lambda e: e.export(batch) is SpanExportResult.SUCCESS)
        return SpanExportResult.SUCCESS if sent else SpanExportResult.FAILURE


class Destination(_Queued, SpanProcessor):
    """Spans to one exporter."""

    def __init__(self, name: str, settings: ExportSettings, policy: Policy = SINGLE):
        shipment = Shipment(name, settings, policy)
        with SelfObservability.enabled():
            processor = BatchSpanProcessor(_GuardedSpanExporter(shipment),
                                           schedule_delay_millis=policy.delay("OTEL_BSP_SCHEDULE_DELAY"),
                                           meter_provider=shipment.sdk.meter_provider)
        super().__init__(shipment, processor, OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if self.accounts.hand(self.capacity):
            self.processor.on_end(span)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.flush(timeout_millis / 1000)

    def shutdown(self) -> None:
        self.close()


class _GuardedLogExporter(_Guarded, LogRecordExporter):
    def export(self, batch: Any) -> LogRecordExportResult:
        records = list(batch)
        sent = self._shipment.send(len(records),
                                   lambda e: e.export(records) is LogRecordExportResult.SUCCESS)
        return LogRecordExportResult.SUCCESS if sent else LogRecordExportResult.FAILURE


class LogDestination(_Queued, LogRecordProcessor):
    """Log records to one exporter."""

    def __init__(self, name: str, settings: ExportSettings, policy: Policy = SINGLE):
        shipment = Shipment(name, settings, policy)
        with SelfObservability.enabled():
            processor = BatchLogRecordProcessor(_GuardedLogExporter(shipment),
                                                schedule_delay_millis=policy.delay("OTEL_BLRP_SCHEDULE_DELAY"),
                                                meter_provider=shipment.sdk.meter_provider)
        super().__init__(shipment, processor, OTEL_SDK_PROCESSOR_LOG_QUEUE_CAPACITY)

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if self.accounts.hand(self.capacity):
            self.processor.on_emit(log_record)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.flush(timeout_millis / 1000)

    def shutdown(self) -> None:
        self.close()
