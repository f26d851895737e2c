"""The one export path all services share: a counter, the --output file, one
Destination (BatchSpanProcessor + official exporter) per name in OTEL_TRACES_EXPORTER."""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from .accounting import ExportReport
from .destination import SINGLE, Destination, Policy
from .otlp_file import OtlpJsonFileProcessor
from .settings import ExportSettings


class EndedSpanCounter(SpanProcessor):
    """Counts every span that ended: what the run created."""

    def __init__(self) -> None:
        self.ended = 0
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:  # `+=` is three bytecodes: threads could lose a count without it
            self.ended += 1


class ExportPipeline:
    def __init__(self, settings: ExportSettings, policy: Policy = SINGLE,
                 extra_processors: Sequence[SpanProcessor] = (),
                 file: OtlpJsonFileProcessor | None = None):
        self.settings = settings
        self.counter = EndedSpanCounter()
        self.file = file
        self.destinations = [Destination(name, settings, policy) for name in settings.exporters]
        self.processors: tuple[SpanProcessor, ...] = (
            self.counter, *extra_processors, *([file] if file else []), *self.destinations)

    @property
    def created(self) -> int:
        return self.counter.ended

    @property
    def backlog(self) -> int:
        return max((d.backlog for d in self.destinations), default=0)

    def has_room(self) -> bool:
        return all(d.has_room() for d in self.destinations)

    def flush(self, timeout_s: float) -> bool:
        """Everything queued sent (and the file written) before the deadline?"""
        deadline = time.monotonic() + timeout_s
        if self.file:
            self.file.force_flush()  # written or counted as not written: either way, done
        done = True
        for destination in self.destinations:
            done = destination.flush(max(0.0, deadline - time.monotonic())) and done
        return done

    def abandon(self) -> int:
        """A second Ctrl-C: stop sending at once; how many spans that leaves undelivered."""
        return sum(d.abandon() for d in self.destinations)

    def shutdown(self) -> None:
        for processor in self.processors:
            processor.shutdown()

    def reports(self) -> list[ExportReport]:
        return [d.report() for d in self.destinations]

    def status(self) -> str:
        """For the progress line: empty while all is well."""
        for report in self.reports():
            if report.not_delivered:
                return (f"export: failing ({report.reason or 'unknown'}), "
                        f"{report.not_delivered:,} spans not delivered")
        return ""
