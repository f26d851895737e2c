"""The emoji log of the seed, printed with rich (plain text when not a terminal)."""
from __future__ import annotations

import threading

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
             span_context: SpanContext | None, time_ns: int) -> None:
        text = Text(format_line(icon, source, message, indent), style=_STYLES.get(icon, ""))
        with self._lock:
            self.console.print(text, soft_wrap=True)


class MemoryLog:
    """Keeps the lines (and the span each belongs to) for tests and summaries."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self._lock = threading.Lock()

    def line(self, icon: str, source: str, message: str, indent: int, *, service: str,
             span_context: SpanContext | None, time_ns: int) -> None:
        with self._lock:
            self.records.append({"text": format_line(icon, source, message, indent),
                                 "service": service, "span_context": span_context,
                                 "time_ns": time_ns})

    @property
    def lines(self) -> list[str]:
        return [r["text"] for r in self.records]


class NullLog:
    def line(self, *args, **kwargs) -> None:
        return None
