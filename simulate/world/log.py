"""One line of the services' log, tied to the span that wrote it, and where lines go."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from opentelemetry.trace import SpanContext


@dataclass(frozen=True)
class LogLine:
    icon: str
    source: str  # how the log names the writer: "Order Service", "Database", ...
    message: str
    indent: int
    service: str  # resource service.name of the service that wrote it
    span_context: SpanContext | None
    time_ns: int
    detail: bool = False  # work the seed's log does not show (the email worker)

    @property
    def text(self) -> str:
        """``  ✓ [Order Service] Order validated``: the seed's exact layout."""
        return f"{'  ' * self.indent}{self.icon} [{self.source}] {self.message}"


class LogSink(Protocol):
    def write(self, line: LogLine) -> None: ...


class ExceptionSink(Protocol):
    """Where a failing step's exception goes as a log-based event (beside or instead of the
    span event): OpenTelemetry is deprecating span events for events on the Logs API."""

    def exception(self, error: BaseException, span_context: SpanContext, time_ns: int,
                  service: str) -> None: ...
