"""Metric points to one exporter: the SDK's PeriodicExportingMetricReader, one per service
(a MeterProvider has readers of its own), all exporting through one guarded official
exporter (destination.py's Shipment: accounting, cause, breaker).  The reader reads
``OTEL_METRIC_EXPORT_INTERVAL`` itself; a run's end exports every reader's points once.
"""
from __future__ import annotations

import threading
from typing import Any

from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)

from .accounting import ExportReport
from .destination import SINGLE, Policy, Shipment
from .settings import ExportSettings


def count_points(data: MetricsData) -> int:
    return sum(len(metric.data.data_points) for rm in data.resource_metrics
               for sm in rm.scope_metrics for metric in sm.metrics)


class _GuardedMetricExporter(MetricExporter):
    """Takes the official exporter's temporality and aggregation preferences (which it read
    from OTEL_EXPORTER_OTLP_METRICS_*), so the reader asks for what it would have asked.
    A gap: MetricExporter has no public getter for them; the SDK's own reader reads the
    same ``_preferred_*`` attributes, and so does this wrapper.

    Every service's reader exports through it: one call at a time (the gRPC exporter
    rebuilds its channel on UNAVAILABLE, so concurrent calls fail), and at a run's end the
    readers' points are gathered and sent as one request, as a collector would get them
    from one process: a slow collector then costs one timeout, not one per service."""

    def __init__(self, shipment: Shipment):
        inner = shipment.exporter
        super().__init__(preferred_temporality=getattr(inner, "_preferred_temporality", None),
                         preferred_aggregation=getattr(inner, "_preferred_aggregation", None))
        self._shipment = shipment
        self.closed = False
        self.gathered: list[MetricsData] | None = None  # a run's end: points kept, sent once
        self._one_at_a_time = threading.Lock()

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000,
               **kwargs: Any) -> MetricExportResult:
        if self.closed:  # a reader's last collection at shutdown: the run's flush sent it all
            return MetricExportResult.SUCCESS
        if self.gathered is not None:
            self.gathered.append(metrics_data)
            return MetricExportResult.SUCCESS
        return self.send(metrics_data, timeout_millis)

    def send(self, metrics_data: MetricsData, timeout_millis: float = 10_000) -> MetricExportResult:
        count = count_points(metrics_data)
        accounts = self._shipment.accounts
        accounts.offered(count)
        if self._shipment.guard.abandoned:  # a second Ctrl-C came first: never sent
            accounts.abandon(count, 0)
            return MetricExportResult.FAILURE
        with self._one_at_a_time:
            sent = self._shipment.send(count, lambda e: e.export(metrics_data, timeout_millis)
                                       is MetricExportResult.SUCCESS)
        return MetricExportResult.SUCCESS if sent else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None  # shared by every service's reader: the destination shuts it down once


class MetricDestination:
    """Metric points to one exporter, through one periodic reader per service."""

    def __init__(self, name: str, settings: ExportSettings, policy: Policy = SINGLE):
        self.shipment = Shipment(name, settings, policy)
        self.accounts = self.shipment.accounts
        self.description = self.shipment.description
        self._exporter: _GuardedMetricExporter | None = None
        self._readers: list[PeriodicExportingMetricReader] = []
        self._flusher: threading.Thread | None = None
        self._lock = threading.Lock()

    def reader(self) -> PeriodicExportingMetricReader:
        """A new reader for one service's MeterProvider (waits for the exporter)."""
        with self._lock:
            if self._exporter is None:
                self._exporter = _GuardedMetricExporter(self.shipment)
            reader = PeriodicExportingMetricReader(self._exporter)
            self._readers.append(reader)
            return reader

    def flush(self, timeout_s: float) -> bool:
        """Collect and export every reader's points once, at the end of a run (a single run's
        only export): later calls wait for that one rather than export the points again."""
        with self._lock:
            if self._flusher is None:
                readers, exporter = list(self._readers), self._exporter

                def collect() -> None:  # every service's points, then one request
                    if exporter is None:
                        return
                    exporter.gathered = []
                    for reader in readers:
                        reader.force_flush(30_000)
                    gathered, exporter.gathered = exporter.gathered, None
                    if gathered:
                        exporter.send(MetricsData(resource_metrics=[
                            rm for data in gathered for rm in data.resource_metrics]))

                self._flusher = threading.Thread(target=collect, name="ordertrace-metrics-flush",
                                                 daemon=True)
                self._flusher.start()
            flusher = self._flusher
        flusher.join(timeout_s)
        return not flusher.is_alive() and self.accounts.settled == self.accounts.handed

    def abandon(self) -> int:
        return self.shipment.guard.abandon()

    def close(self) -> None:
        with self._lock:
            readers = list(self._readers)
            if self._exporter is not None:
                self._exporter.closed = True
        for reader in readers:
            reader.shutdown(timeout_millis=1000)
        self.shipment.guard.shutdown()
        self.shipment.sdk.shutdown()

    def report(self) -> ExportReport:
        return self.shipment.report()
