"""What ``python -m simulate.receiver`` prints: each trace as a tree with its log records
under their spans, or a line per span, record and metric point (``--flat``)."""
from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console

from ..report.records import SpanRecord, from_otlp
from ..report.signals import LogEntry, MetricPoint, by_span, logs_from_otlp, metrics_from_otlp
from ..report.view import print_lines, trace_table
from ..safe_text import printable


def _metric_line(point: MetricPoint) -> str:
    if point.histogram is not None:
        value = f"count={point.histogram.count} sum={point.histogram.sum:g}"
    else:
        value = f"{point.value:g}" if point.value is not None else "?"
    attributes = ",".join(f"{k}={v}" for k, v in sorted(point.attributes.items()))
    return printable(f"metric {point.service:<22} {point.name} [{point.unit}] {value} {{{attributes}}}",
                     limit=400)


def _log_line(entry: LogEntry) -> str:
    return printable(f"{entry.trace_id:032x} {entry.span_id:016x} {entry.service:<22} "
                     f"{entry.severity:<5} {entry.body}", limit=400)


class TreePrinter:
    """Draws each trace once it has been quiet for ``quiet_s`` (its spans and log records may
    come in several batches, and the email worker's linked trace a little later).  Log records
    outside any trace, and metric points, are printed as they come."""

    def __init__(self, console: Console, quiet_s: float = 1.0):
        self._console, self._quiet_s = console, quiet_s
        self._spans: dict[int, tuple[float, list[SpanRecord]]] = {}
        self._logs: dict[int, tuple[float, list[LogEntry]]] = {}
        self._lock = threading.Lock()

    def add(self, signal: str, request: Any) -> None:
        now = time.monotonic()
        if signal == "metrics":
            for point in metrics_from_otlp(request):
                self._console.print(_metric_line(point), highlight=False, markup=False)
            return
        with self._lock:
            if signal == "traces":
                for record in from_otlp(request):
                    _, spans = self._spans.get(record.trace_id, (now, []))
                    self._spans[record.trace_id] = (now, [*spans, record])
                return
            loose = []
            for entry in logs_from_otlp(request):
                if entry.trace_id:
                    _, entries = self._logs.get(entry.trace_id, (now, []))
                    self._logs[entry.trace_id] = (now, [*entries, entry])
                else:
                    loose.append(entry)
        for entry in loose:
            self._console.print(_log_line(entry), highlight=False, markup=False)

    def flush(self, everything: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            ready = [tid for tid, (seen, _) in self._spans.items()
                     if everything or now - seen >= self._quiet_s]
            traces = [(tid, self._spans.pop(tid)[1], self._logs.pop(tid, (now, []))[1]) for tid in ready]
            # records whose trace is not here (sampled out, sent elsewhere, or already drawn)
            late = [tid for tid, (seen, _) in self._logs.items() if tid not in self._spans
                    and (everything or now - seen >= self._quiet_s)]
            orphans = [entry for tid in late for entry in self._logs.pop(tid)[1]]
        for trace_id, spans, entries in traces:
            self._console.print(f"trace {trace_id:032x}", style="bold")
            print_lines(self._console, trace_table(spans, width=self._console.width, logs=by_span(entries)))
            self._console.print()
        for entry in orphans:
            self._console.print(_log_line(entry), highlight=False, markup=False)


def print_flat(signal: str, request: Any) -> None:
    if signal == "traces":
        for record in from_otlp(request):
            print(printable(f"{record.trace_id:032x}  {record.service:<22} {record.name:<28} "
                            f"{record.duration_ms:8.2f} ms", limit=400), flush=True)
    elif signal == "logs":
        for entry in logs_from_otlp(request):
            print(_log_line(entry), flush=True)
    else:
        for point in metrics_from_otlp(request):
            print(_metric_line(point), flush=True)
