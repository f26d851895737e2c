"""``python main.py show FILE...``: the traces of OTLP/JSON files, with their logs and metrics.

Our ``--output``, the collector's ``file`` exporter, a hand-saved request: traces, logs
and metrics, one file per signal or mixed, each line's signal known by its top-level
key.  The terminal shows the first traces as trees with each log record under its span;
the page holds every trace (a list to choose from when there are several), each span's
log records, and the metric histograms.  The incident diagnosis reads the same spans
(``--json``: it alone, as JSON).  Bad input is one line,
``main.py: error: FILE:LINE: what is wrong``, and exit 2.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from ..i18n import _
from ..report.html import Page
from ..report.incident import diagnose, diagnosis_lines
from ..report.otlp_input import InputError, Signals, read_signals
from ..report.records import SpanRecord, by_trace
from ..report.signals import by_span, series
from ..report.terminal import say
from ..report.view import trace_table
from .common import OutputError, input_error
from .pages import PageFile

SHOWN_TRACES = 3  # in the terminal; the page holds them all


def _text(path: str) -> str:
    """The file as text; a byte that is not UTF-8 is an InputError at its line."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(data[:exc.start].count(b"\n") + 1, "not UTF-8 text") from None


def _label(spans: list[SpanRecord]) -> tuple[str, str]:
    root = next((s for s in spans if s.parent_id not in {x.span_id for x in spans}), spans[0])
    duration = (max(s.end_ns for s in spans) - min(s.start_ns for s in spans)) / 1e6
    errors = sum(s.error for s in spans)
    count = f"{len(spans)} span" + ("s" if len(spans) != 1 else "")
    note = f"{count}, trace {spans[0].trace_id:032x}" + (
        f", {errors} failed" if errors else "")
    return f"{root.name} ({root.service}) {duration:.0f} ms", note


def _read(paths: Sequence[str]) -> Signals | int:
    """Everything in the files, or the exit status of the first error (printed)."""
    found = Signals()
    for path in paths:
        try:
            found.extend(read_signals(_text(path)))
        except OSError as exc:
            return input_error(_("{path}: cannot read: {reason}").format(path=path, reason=exc.strerror))
        except InputError as exc:
            return input_error(f"{path}:{exc.line}: {exc.message}")
    return found


def _print_view(found: Signals, traces: dict[int, list[SpanRecord]], console: Console) -> None:
    """The first traces as trees, each log record under its span, and what else was read."""
    logs = by_span(found.logs)
    for spans in list(traces.values())[:SHOWN_TRACES]:
        console.print(trace_table(spans, width=console.width, logs=logs))
        console.print()
    if len(traces) > SHOWN_TRACES:
        say(console, _("{count} more traces: see the page.").format(count=len(traces) - SHOWN_TRACES),
            style="dim")
    say(console, _("Read {spans} spans in {traces} traces, {records} log records, {points} metric "
                   "points.").format(spans=len(found.spans), traces=len(traces),
                                     records=len(found.logs), points=len(found.metrics)))


def run_show(paths: Sequence[str], html: str | None, open_page: bool, as_json: bool = False) -> int:
    """``as_json``: print the diagnosis as JSON, and write a page only if ``html`` names one."""
    found = _read(paths)
    if isinstance(found, int):
        return found
    diagnosis = diagnose(found.spans)
    traces = by_trace(found.spans)
    if as_json:
        print(json.dumps({"file": ", ".join(paths), "spans": len(found.spans), "traces": len(traces),
                          "diagnosis": diagnosis.to_dict()}, indent=2))
        if html is None:
            return 0
    try:
        target = PageFile(html, open_page)
    except OutputError as exc:
        return input_error(str(exc))
    console = Console(highlight=False, file=sys.stderr if as_json else None)
    if not as_json:
        _print_view(found, traces, console)
    names = ", ".join(Path(p).name for p in paths)
    page = Page(f"ordertrace: {names}",
                f"{len(found.spans)} spans in {len(traces)} traces, {len(found.logs)} log records, "
                f"{len(found.metrics)} metric points from {', '.join(paths)}")
    for spans in traces.values():
        title, note = _label(spans)
        page.add_view(title, [page.add_trace(spans)], note=note)
    page.add_log_records(found.logs)
    page.set_metrics(series(found.metrics))
    target.write(page, console)
    if not as_json:
        for line in diagnosis_lines(diagnosis):
            console.print(line, markup=False, soft_wrap=True)
    return 0
