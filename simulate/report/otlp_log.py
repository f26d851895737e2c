"""The services' log lines as OTLP log records, through Python's standard ``logging``.

Every line a service prints (the seed's emoji log, unchanged on the terminal) is also
a record of that service's LoggerProvider, written the way a Python service writes
logs today: ``logging.getLogger(...).info(...)`` with the OpenTelemetry handler on it.
The handler is ``opentelemetry-instrumentation-logging``'s ``LoggingHandler``: the
SDK's own ``opentelemetry.sdk._logs.LoggingHandler`` is deprecated in its favour (1.39
on), and the instrumentation's ``LoggingInstrumentor`` would install it on the root
logger, which a tool that also prints to a terminal does not want.  One stdlib logger
per service (``ordertrace.<service.name>``, its instrumentation scope), not propagated.

A record carries the trace id, span id and flags of the span that wrote the line,
severity INFO (WARN for ⚠, ERROR for ❌), the message as its body, ``order.id`` and
``user.id`` from the baggage where known, and the simulated clock's time.  A failing
step's exception also becomes a log-based event (``exception`` with the semantic
conventions' ``exception.type``, ``exception.message`` and ``exception.stacktrace``):
OpenTelemetry is deprecating span events for events on the Logs API.

The handler's package takes ~0.2 s to import, so it is loaded on a thread; lines that
come before it is ready wait (with their context) and are written in order.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.trace import NonRecordingSpan, SpanContext

from ..tracing.providers import Telemetry
from ..world.attributes import ORDER_ID, USER_ID
from ..world.log import LogLine

SEVERITY = {"❌": logging.ERROR, "⚠": logging.WARNING}
_TIME = "_ordertrace_time_ns"
Item = tuple[str, int, str, dict[str, Any], "SpanContext | None", int, "BaseException | None"]


class _SimulatedTime(logging.Filter):
    """A record's time is the simulated clock's, not the moment Python logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        time_ns = record.__dict__.pop(_TIME, None)
        if time_ns is not None:
            record.created = time_ns / 1e9
            record.msecs = (time_ns // 1_000_000) % 1000
        return True


class OtlpLog:
    """A LogSink and an ExceptionSink (world/log.py) that write OTLP log records."""

    def __init__(self, telemetry: Telemetry):
        self._telemetry = telemetry
        self._loggers: dict[str, logging.Logger] = {}
        self._waiting: list[Item] = []
        self._handler_class: Any = None
        self._lock = threading.Lock()
        self._ready = threading.Thread(target=self._load, name="ordertrace-log-bridge", daemon=True)
        self._ready.start()

    def _load(self) -> None:
        from opentelemetry.instrumentation.logging.handler import LoggingHandler

        with self._lock:
            self._handler_class = LoggingHandler
            waiting, self._waiting = self._waiting, []
            for item in waiting:
                self._send(item)

    def write(self, line: LogLine) -> None:
        self._emit((line.service, SEVERITY.get(line.icon, logging.INFO), line.message, _known_ids(),
                    line.span_context, line.time_ns, None))

    def exception(self, error: BaseException, span_context: SpanContext, time_ns: int,
                  service: str) -> None:
        attributes = {**_known_ids(), "otel.event.name": "exception"}  # promoted to the event name
        self._emit((service, logging.ERROR, f"{type(error).__name__}: {error}", attributes,
                    span_context, time_ns, error))

    def flush(self, timeout_s: float = 5.0) -> None:
        """Every line so far handed to the LoggerProviders."""
        self._ready.join(timeout_s)

    def _emit(self, item: Item) -> None:
        with self._lock:
            if self._handler_class is None:
                self._waiting.append(item)
            else:
                self._send(item)

    def _logger(self, service: str) -> logging.Logger:
        logger = self._loggers.get(service)
        if logger is None:
            logger = logging.getLogger(f"ordertrace.{service}")
            logger.propagate = False  # records go to OpenTelemetry, not to a terminal
            logger.setLevel(logging.INFO)
            handler = self._handler_class(logger_provider=self._telemetry.logger_provider(service))
            handler.addFilter(_SimulatedTime())
            for old in list(logger.handlers):  # a previous run in this process
                logger.removeHandler(old)
            logger.addHandler(handler)
            self._loggers[service] = logger
        return logger

    def _send(self, item: Item) -> None:
        service, level, message, attributes, span_context, time_ns, error = item
        span = NonRecordingSpan(span_context) if span_context is not None else None
        token = otel_context.attach(trace.set_span_in_context(span) if span else otel_context.Context())
        try:
            exc_info = (type(error), error, error.__traceback__) if error is not None else None
            self._logger(service).log(level, "%s", message, exc_info=exc_info,
                                      extra={**attributes, _TIME: time_ns})
        finally:
            otel_context.detach(token)


def _known_ids() -> dict[str, Any]:
    """order.id and user.id from the current baggage, where the line knows them."""
    entries = baggage.get_all()
    return {key: entries[key] for key in (ORDER_ID, USER_ID) if key in entries}
