"""The log sinks: the seed's emoji log (rich; plain text when not a terminal), JSON lines
that join traces in any backend, and in-memory/null sinks for tests and load runs.

``detail`` lines are work the seed's log does not show (the email worker): the
emoji log leaves them out so it stays line for line the seed's; JSON keeps them.
"""
from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import IO

from opentelemetry.trace import SpanContext
from rich.console import Console
from rich.text import Text

_STYLES = {"❌": "bold red", "✅": "bold green", "✓": "green", "→": "cyan"}


def format_line(icon: str, source: str, message: str, indent: int) -> str:
    """``  ✓ [Order Service] Order validated``: the seed's exact layout."""
    return f"{'  ' * indent}{icon} [{source}] {message}"


class ConsoleLog:
    """Prints each line as it happens. Text objects, not markup: ``[API Gateway]`` is literal."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False)
        self._lock = threading.Lock()

    def line(self, icon: str, source: str, message: str, indent: int, *, service: str,
             span_context: SpanContext | None, time_ns: int, detail: bool = False) -> None:
        if detail:
            return
        text = Text(format_line(icon, source, message, indent), style=_STYLES.get(icon, ""))
        with self._lock:
            self.console.print(text, soft_wrap=True)


class MemoryLog:
    """Keeps the lines (and the span each belongs to) for tests and summaries."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self._lock = threading.Lock()

    def line(self, icon: str, source: str, message: str, indent: int, *, service: str,
             span_context: SpanContext | None, time_ns: int, detail: bool = False) -> None:
        with self._lock:
            self.records.append({"text": format_line(icon, source, message, indent),
                                 "service": service, "span_context": span_context,
                                 "time_ns": time_ns, "detail": detail})

    @property
    def lines(self) -> list[str]:
        """What the emoji log shows (detail lines left out)."""
        return [r["text"] for r in self.records if not r["detail"]]


class JsonLog:
    """--log-format json: one object per line with the ids of the span it belongs to."""

    def __init__(self, stream: IO[str] | None = None):
        self._stream: IO[str] | None = stream or sys.stdout
        self._lock = threading.Lock()

    def line(self, icon: str, source: str, message: str, indent: int, *, service: str,
             span_context: SpanContext | None, time_ns: int, detail: bool = False) -> None:
        stamp = datetime.fromtimestamp(time_ns / 1e9, tz=timezone.utc)
        record = {
            "timestamp": stamp.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "severity": "ERROR" if icon == "❌" else "INFO",
            "service": service, "source": source, "body": message,
            "trace_id": f"{span_context.trace_id:032x}" if span_context else None,
            "span_id": f"{span_context.span_id:016x}" if span_context else None,
        }
        with self._lock:
            if self._stream is None:
                return
            try:
                self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._stream.flush()
            except BrokenPipeError:  # `| head`: the reader left; the simulation goes on
                self._stream = None


class NullLog:
    def line(self, *args, **kwargs) -> None:
        return None
