"""The one export path all services share: counter, batch processor, accounting exporter."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from .accounting import AccountingExporter, EndedSpanCounter, ExportReport, sdk_log_capture
from .backpressure import BackpressureSpanProcessor
from .exporters import build_exporter
from .settings import ExportSettings


class ExportPipeline:
    """Counter + batch processor + accounting exporter, plus any extra processors."""

    def __init__(self, settings: ExportSettings, extra_processors: tuple[SpanProcessor, ...] = (),
                 backpressure: bool = False):
        """``backpressure``: a load run's processor that blocks instead of dropping spans."""
        self.settings = settings
        self.counter = EndedSpanCounter()
        built = build_exporter(settings)
        self.exporter: AccountingExporter | None = None
        self.backpressure: BackpressureSpanProcessor | None = None
        processors: list[SpanProcessor] = [self.counter, *extra_processors]
        if built is not None:
            inner, description = built
            self.exporter = AccountingExporter(inner, description)
            if backpressure:
                self.backpressure = BackpressureSpanProcessor(self.exporter)
                processors.append(self.backpressure)
            else:
                processors.append(BatchSpanProcessor(self.exporter, schedule_delay_millis=500))
        self.processors = tuple(processors)

    @contextlib.contextmanager
    def capturing_sdk_logs(self) -> Iterator[None]:
        """For the length of a run: the SDK exporter's log records feed our summary."""
        if self.exporter is None:
            yield
            return
        with sdk_log_capture(self.exporter.collector):
            yield

    @property
    def queue_depth(self) -> int:
        return self.backpressure.queue_depth if self.backpressure else 0

    def report(self) -> ExportReport | None:
        if self.exporter is None:
            return None
        return ExportReport(self.exporter.description, self.counter.ended, self.exporter.exported,
                            self.exporter.failed, self.exporter.error)

    def shutdown_budget_ms(self) -> int:
        # One export attempt plus a little: the exporter's own deadline bounds each batch.
        return int(self.settings.timeout_ms + 500)
