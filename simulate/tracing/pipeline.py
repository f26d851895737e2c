"""The one export path all services share, for the three signals.

Spans: a counter, the ``--output`` file, one Destination (BatchSpanProcessor + official
exporter) per name in OTEL_TRACES_EXPORTER.  Log records: one LogDestination
(BatchLogRecordProcessor + official exporter) per name in OTEL_LOGS_EXPORTER, plus the
``--output`` logs file.  Metrics: the SpanMetrics processor records the instruments, and
one MetricDestination (a PeriodicExportingMetricReader per service + official exporter)
per name in OTEL_METRICS_EXPORTER, plus the ``--output`` metrics file.  ``telemetry()``
makes the per-service providers that feed them all.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader, MetricsData
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.sampling import Sampler

from .accounting import UNITS, ExportReport
from .destination import SINGLE, Destination, LogDestination, Policy
from .metric_destination import MetricDestination
from .otlp_file import OtlpJsonFileProcessor, signal_path
from .providers import Telemetry
from .settings import ExportSettings
from .span_metrics import SpanMetrics

# The gateway's answer -> the order's outcome, for the business counter.
OUTCOMES = {201: "ok", 409: "out_of_stock", 402: "declined"}


class EndedSpanCounter(SpanProcessor):
    """Counts every span that ended: what the run created."""

    def __init__(self) -> None:
        self.ended = 0
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:  # `+=` is three bytecodes: threads could lose a count without it
            self.ended += 1


def _with_file(settings: ExportSettings | None, file: OtlpJsonFileProcessor | None,
               signal: str) -> tuple[str, ...]:
    names = settings.exporters if settings else ()
    return (*names, f"file:{signal_path(file.path, signal)}") if file else names


class ExportPipeline:
    def __init__(self, settings: ExportSettings, policy: Policy = SINGLE,
                 extra_processors: Sequence[SpanProcessor] = (),
                 file: OtlpJsonFileProcessor | None = None,
                 logs: ExportSettings | None = None, metrics: ExportSettings | None = None,
                 outcomes: Mapping[int, str] = OUTCOMES, keep_metrics: bool = False):
        """``keep_metrics``: also keep every service's metric points in memory (a load run's
        page shows the histograms), even with metric export off."""
        self.settings = settings
        self.counter = EndedSpanCounter()
        self.file = file
        self.destinations = [Destination(name, settings, policy) for name in settings.exporters]
        log_settings = logs or replace(settings, exporters=(), signal="logs")
        metric_settings = metrics or replace(settings, exporters=(), signal="metrics")
        self.log_destinations = [LogDestination(name, log_settings, policy)
                                 for name in _with_file(logs, file, "logs")]
        self.metric_destinations = [MetricDestination(name, metric_settings, policy)
                                    for name in _with_file(metrics, file, "metrics")]
        self._telemetry: Telemetry | None = None
        self._kept: list[InMemoryMetricReader] = []
        self._keep_metrics = keep_metrics
        measured = self.metric_destinations or keep_metrics
        self.span_metrics = SpanMetrics(self._meter, outcomes) if measured else None
        self.processors: tuple[SpanProcessor, ...] = (
            self.counter, *extra_processors, *([file] if file else []),
            *([self.span_metrics] if self.span_metrics else []), *self.destinations)
        if self.span_metrics:
            self.span_metrics.start_when(self._metric_exporters_ready)

    def telemetry(self, sampler: Sampler | None = None) -> Telemetry:
        """The services' providers, feeding this pipeline (one per pipeline)."""
        if self._telemetry is None:
            self._telemetry = Telemetry(self.processors, sampler=sampler,
                                        log_processors=self.log_destinations,
                                        metric_readers=self._readers if self.span_metrics else None)
        return self._telemetry

    def _readers(self) -> list[MetricReader]:
        readers: list[MetricReader] = [d.reader() for d in self.metric_destinations]
        if self._keep_metrics:
            kept = InMemoryMetricReader()
            self._kept.append(kept)
            readers.append(kept)
        return readers

    def kept_metrics(self) -> list[MetricsData]:
        """Every service's metric points so far (``keep_metrics``), as the SDK collects them."""
        if self.span_metrics:
            self.span_metrics.wait_ready(5.0)
        return [data for reader in self._kept if (data := reader.get_metrics_data()) is not None]

    def _meter(self, service: str) -> Meter:
        assert self._telemetry is not None, "telemetry() first"
        return self._telemetry.meter(service)

    def _metric_exporters_ready(self) -> None:
        for destination in self.metric_destinations:
            destination.shipment.ready.join()
        while self._telemetry is None:  # the run makes its providers right after the pipeline
            time.sleep(0.005)

    @property
    def created(self) -> int:
        return self.counter.ended

    @property
    def queued(self) -> list[Destination | LogDestination]:
        return [*self.destinations, *self.log_destinations]

    @property
    def backlog(self) -> int:
        """Spans queued or being sent (the most of any destination)."""
        return max((d.backlog for d in self.destinations), default=0)

    def has_room(self) -> bool:
        return all(d.has_room() for d in self.queued)

    def flush(self, timeout_s: float) -> bool:
        """Everything queued sent (and the file written) before the deadline?"""
        deadline = time.monotonic() + timeout_s
        if self.file:
            self.file.force_flush()  # written or counted as not written: either way, done
        for destination in self.queued:  # all at once: a slow one must not hold the others
            destination.send_soon()
        metrics: list[threading.Thread] = []
        results: list[bool] = []
        if self.span_metrics and self.span_metrics.wait_ready(max(0.0, deadline - time.monotonic())):
            # Every span recorded: each reader's points exported once, beside the queues.
            for metric in self.metric_destinations:
                thread = threading.Thread(target=lambda m=metric: results.append(
                    m.flush(max(0.0, deadline - time.monotonic()))), daemon=True)
                thread.start()
                metrics.append(thread)
        done = True
        for destination in self.queued:
            done = destination.flush(max(0.0, deadline - time.monotonic())) and done
        for thread in metrics:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self.span_metrics and (len(results) < len(self.metric_destinations) or not all(results)):
            done = False
        return done

    def abandon(self) -> int:
        """A second Ctrl-C: stop sending every signal at once; how many spans that leaves
        undelivered (the closing lines count the log records and metric points)."""
        for log in self.log_destinations:
            log.abandon()
        for metric in self.metric_destinations:
            metric.abandon()
        return sum(d.abandon() for d in self.destinations)

    def shutdown(self) -> None:
        for processor in self.processors:
            processor.shutdown()
        for destination in self.log_destinations:
            destination.shutdown()
        for metric in self.metric_destinations:
            metric.close()

    def send_soon(self) -> None:
        """Start sending the queued spans and log records now, without waiting for a batch."""
        for destination in self.queued:
            destination.send_soon()

    def span_reports(self) -> list[ExportReport]:
        return [d.report() for d in self.destinations]

    def reports(self) -> list[ExportReport]:
        return ([d.report() for d in self.queued]
                + [m.report() for m in self.metric_destinations])

    def status(self) -> str:
        """For the progress line: empty while all is well."""
        for report in self.reports():
            if report.not_delivered:
                return (f"export: failing ({report.reason or 'unknown'}), "
                        f"{report.not_delivered:,} {UNITS[report.signal]} not delivered")
        return ""
