"""The log sinks: the seed's emoji log (rich; plain text when not a terminal), JSON lines
that join traces in any backend, an in-memory sink (tests, the trace page) and a tee.

``detail`` lines are work the seed's log does not show (the email worker): the
emoji log leaves them out so it stays line for line the seed's; JSON keeps them.
"""
from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import IO

from rich.console import Console
from rich.text import Text

from ..world.log import LogLine, LogSink

_STYLES = {"❌": "bold red", "✅": "bold green", "✓": "green", "→": "cyan"}


class ConsoleLog:
    """Prints each line as it happens. Text objects, not markup: ``[API Gateway]`` is literal."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False)
        self._lock = threading.Lock()

    def write(self, line: LogLine) -> None:
        if line.detail:
            return
        with self._lock:
            # The seed's line as it is, never rewrapped (a terminal folds a long one itself).
            self.console.print(Text(line.text, style=_STYLES.get(line.icon, "")), soft_wrap=True)


class MemoryLog:
    """Keeps the lines (each with the span it belongs to) for tests and summaries."""

    def __init__(self) -> None:
        self.records: list[LogLine] = []
        self._lock = threading.Lock()

    def write(self, line: LogLine) -> None:
        with self._lock:
            self.records.append(line)

    @property
    def lines(self) -> list[str]:
        """What the emoji log shows (detail lines left out)."""
        return [r.text for r in self.records if not r.detail]


class TeeLog:
    """Writes each line to every sink: the console and the trace page both get the log."""

    def __init__(self, *sinks: LogSink | None):
        self._sinks = [sink for sink in sinks if sink is not None]

    def write(self, line: LogLine) -> None:
        for sink in self._sinks:
            sink.write(line)


class JsonLog:
    """--log-format json: one object per line with the ids of the span it belongs to."""

    def __init__(self, stream: IO[str] | None = None):
        self._stream: IO[str] | None = stream or sys.stdout
        self._lock = threading.Lock()

    def write(self, line: LogLine) -> None:
        stamp = datetime.fromtimestamp(line.time_ns / 1e9, tz=timezone.utc)
        context = line.span_context
        record = {
            "timestamp": stamp.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "severity": "ERROR" if line.icon == "❌" else "INFO",
            "service": line.service, "source": line.source, "body": line.message,
            "trace_id": f"{context.trace_id:032x}" if context else None,
            "span_id": f"{context.span_id:016x}" if context else None,
        }
        with self._lock:
            if self._stream is None:
                return
            try:
                self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._stream.flush()
            except BrokenPipeError:  # `| head`: the reader left; the simulation goes on
                self._stream = None
