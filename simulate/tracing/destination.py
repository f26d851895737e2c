"""One destination of the spans: the SDK's BatchSpanProcessor and the official
exporter, with our guard between them and a counter in front.

``on_end`` counts the span and hands it to the BatchSpanProcessor (a deque append),
so export never acts inside an order.  The processor's queue is never allowed to
overflow: a span that finds ``capacity`` spans waiting is dropped here and counted,
and a load run asks :meth:`has_room` before it starts an order (admission control).
The exporter is built on a thread of its own (gRPC takes ~0.1 s to import: a single
run spends that time in its 250 ms order), and ``OTEL_BSP_*`` are read by the
processor itself.  ``flush`` waits for the queue with a deadline (the processor's
own ``force_flush`` has none); ``abandon`` gives up at once (guard.py says how).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.semconv._incubating.metrics.otel_metrics import (
    OTEL_SDK_EXPORTER_OPERATION_DURATION,
    OTEL_SDK_EXPORTER_SPAN_EXPORTED,
    OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
    OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY,
)

from .accounting import Accounts, ExportReport
from .cause import ExportDiagnoser
from .exporters import description, span_exporter
from .guard import Breaker, Guard
from .self_observability import SelfObservability
from .settings import ExportSettings


@dataclass(frozen=True)
class Policy:
    """How hard to try.  A single run: no breaker.  A load run: see LOAD."""

    threshold: int | None = None  # failed batches in a row that open the circuit
    cooldown_s: float = 2.0  # between probes while the circuit is open


SINGLE = Policy()
LOAD = Policy(threshold=3)
SDK_FIGURES = (OTEL_SDK_EXPORTER_SPAN_EXPORTED, OTEL_SDK_PROCESSOR_SPAN_PROCESSED)
DEFAULT_CAPACITY = 2048  # the SDK's OTEL_BSP_MAX_QUEUE_SIZE default, if its metric is missing


class _GuardedSpanExporter(SpanExporter):
    """The official exporter, built on first need, behind the guard."""

    def __init__(self, build: threading.Thread, holder: list[SpanExporter]):
        self._build, self._holder = build, holder
        self.guard: Guard | None = None

    def export(self, spans: object) -> SpanExportResult:
        assert self.guard is not None
        batch = list(spans)  # type: ignore[call-overload]

        def send() -> bool:
            self._build.join()
            return self._holder[0].export(batch) is SpanExportResult.SUCCESS

        return SpanExportResult.SUCCESS if self.guard.run(len(batch), send) else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        if self.guard is not None:
            self.guard.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class Destination(SpanProcessor):
    def __init__(self, name: str, settings: ExportSettings, policy: Policy = SINGLE):
        self.description = description(name, settings)
        self.accounts = Accounts()
        self.sdk = SelfObservability()
        holder: list[SpanExporter] = []
        build = threading.Thread(target=lambda: holder.append(
            span_exporter(name, settings, self.sdk.meter_provider)), name="ordertrace-exporter", daemon=True)
        self._exporter = _GuardedSpanExporter(build, holder)
        otlp = name != "console"
        diagnoser = ExportDiagnoser(lambda: self.sdk.counts(OTEL_SDK_EXPORTER_OPERATION_DURATION),
                                    settings.endpoint if otlp else None, settings.plaintext,
                                    settings.certificate, settings.timeout_s)
        breaker = Breaker(policy.threshold, policy.cooldown_s, diagnoser.look)
        self.guard = Guard(self.accounts, breaker, diagnoser,
                           lambda: holder[0].shutdown() if holder else None)
        self._exporter.guard = self.guard
        build.start()
        with SelfObservability.enabled():
            self.processor = BatchSpanProcessor(self._exporter, meter_provider=self.sdk.meter_provider)
        capacity = self.sdk.sums(OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY)
        self.capacity = int(next(iter(capacity.values()), DEFAULT_CAPACITY))
        self._flusher: threading.Thread | None = None
        self._flush_lock = threading.Lock()

    # ------------------------------------------------------------ producer side
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if self.accounts.hand(self.capacity):
            self.processor.on_end(span)

    @property
    def backlog(self) -> int:
        """Spans queued or being sent."""
        return self.accounts.handed - self.accounts.settled

    def has_room(self) -> bool:
        return self.backlog < self.capacity // 2

    # ------------------------------------------------------------ run control
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
            self.send_soon()  # spans that ended after that flush began
        return not self.backlog

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.flush(timeout_millis / 1000)

    def abandon(self) -> int:
        """Stop now: queued spans are abandoned, a batch in flight is unconfirmed. Returns how
        many spans that leaves undelivered."""
        in_flight = self.guard.abandon()
        queued = max(0, self.backlog - self.guard.in_flight)
        self.accounts.abandon(queued, 0)
        return queued + in_flight

    def shutdown(self) -> None:
        """Stop; whatever is still queued is abandoned (flush first to send it)."""
        if self.backlog:
            self.abandon()
        self.processor.shutdown()
        self.guard.shutdown()
        self.sdk.shutdown()

    def report(self) -> ExportReport:
        figures = {name: self.sdk.outcomes(name) for name in SDK_FIGURES}
        return ExportReport.of(self.description, self.accounts,
                               sdk={name: counts for name, counts in figures.items() if counts})
