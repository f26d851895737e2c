"""``main.py show FILE...``: OTLP/JSON files in the terminal and as the trace page.

Our ``--output``, the collector's ``file`` exporter, a hand-saved request: traces, logs
and metrics, one file per signal or mixed, each line's signal known by its top-level
key.  The terminal shows the first traces as trees with each log record under its span;
the page holds the traces (a list to choose from when there are several), each span's
log records, and the metric histograms.  The incident diagnosis reads the same spans
(``--json``: it alone, as JSON).  Bad input is one line,
``main.py: error: FILE:LINE: what is wrong``, and exit 2.

A file may be hostile (anything can be handed to ``show``): it is read up to a size
limit (``/dev/zero`` is refused, not read until memory runs out), JSON nested too deep
is refused in one line, a trace thousands of spans deep is drawn (nothing recurses),
cycles and duplicate span ids are drawn or counted on the page, and a page that cannot
be written leaves no empty file behind (exit 3, as for a run).
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from ..i18n import _
from ..report.html import Page
from ..report.incident import diagnose, diagnosis_lines
from ..report.otlp_input import InputError, Signals, read_signals
from ..report.records import SpanRecord, by_trace
from ..report.signals import by_span, series
from ..report.terminal import consoles, say
from ..report.view import print_lines, trace_table
from .common import EXIT_NOT_DELIVERED, OutputError, input_error
from .pages import PageFile

SHOWN_TRACES = 3  # in the terminal; the page holds them all (up to MAX_TRACES)
MAX_MB = 100  # the default --max-mb
# Reading keeps every span (about 1.5 KB each: 100,000 spans, 200 MB peak RSS), one line's
# JSON at a time.  A page is for a person: past this many traces it would be too heavy for
# a browser (100,000 one-span traces made an 89 MB page), so the first ones are drawn and
# the rest counted.
MAX_TRACES = 1_000


def _text(path: str, max_mb: float) -> str:
    """The file as text, read up to the limit; a byte that is not UTF-8 is an InputError."""
    limit = int(max_mb * 1024 * 1024)
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(1, _("larger than {limit} MB: not read (--max-mb raises the limit; "
                              "each span takes about 1.5 KB of memory)").format(limit=f"{max_mb:g}"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(data[:exc.start].count(b"\n") + 1, _("not UTF-8 text")) from None


def _label(spans: list[SpanRecord]) -> tuple[str, str]:
    ids = {x.span_id for x in spans}
    root = next((s for s in spans if s.parent_id not in ids), spans[0])
    duration = (max(s.end_ns for s in spans) - min(s.start_ns for s in spans)) / 1e6
    errors = sum(s.error for s in spans)
    count = _("1 span") if len(spans) == 1 else _("{n} spans").format(n=len(spans))
    note = _("{count}, trace {trace_id}").format(count=count, trace_id=f"{spans[0].trace_id:032x}") + (
        _(", ") + _("{n} failed").format(n=errors) if errors else "")
    return f"{root.name[:200]} ({root.service[:100]}) {duration:.0f} ms", note


def _read(paths: Sequence[str], max_mb: float) -> Signals | int:
    """Everything in the files, or the exit status of the first error (printed)."""
    found = Signals()
    for path in paths:
        try:
            found.extend(read_signals(_text(path, max_mb)))
        except OSError as exc:
            return input_error(_("{path}: cannot read: {reason}").format(path=path, reason=exc.strerror))
        except InputError as exc:
            return input_error(f"{path}:{exc.line}: {exc.message}")
    return found


def _print_view(found: Signals, traces: dict[int, list[SpanRecord]], console: Console) -> None:
    """The first traces as trees, each log record under its span, and what else was read."""
    logs = by_span(found.logs)
    for spans in list(traces.values())[:SHOWN_TRACES]:
        print_lines(console, trace_table(spans, width=console.width, logs=logs))
        console.print()
    if len(traces) > SHOWN_TRACES:
        say(console, _("{count} more traces: see the page.").format(count=len(traces) - SHOWN_TRACES),
            style="dim")
    say(console, _("Read {spans} spans in {traces} traces, {records} log records, {points} metric "
                   "points.").format(spans=len(found.spans), traces=len(traces),
                                     records=len(found.logs), points=len(found.metrics)))


def run_show(paths: Sequence[str], html: str | None, open_page: bool, as_json: bool = False,
             max_mb: float = MAX_MB) -> int:
    """``as_json``: print the diagnosis as JSON, and write a page only if ``html`` names one."""
    found = _read(paths, max_mb)
    if isinstance(found, int):
        return found
    diagnosis = diagnose(found.spans)
    traces = by_trace(found.spans)
    out, err = consoles()
    if as_json:
        out.print_json(json.dumps({"file": ", ".join(paths), "spans": len(found.spans),
                                   "traces": len(traces), "diagnosis": diagnosis.to_dict()}))
        if html is None:
            return 0
    try:
        target = PageFile(html, open_page)
    except OutputError as exc:
        return input_error(str(exc))
    if not as_json:
        _print_view(found, traces, out)
    written = target.write(_page(paths, found, traces), err if as_json else out, err)
    if not as_json:
        for line in diagnosis_lines(diagnosis):
            out.print(line, markup=False, soft_wrap=True)
    return 0 if written else EXIT_NOT_DELIVERED


def _page(paths: Sequence[str], found: Signals, traces: dict[int, list[SpanRecord]]) -> Page:
    left_out = sum(found.clashes.values())
    more = max(0, len(traces) - MAX_TRACES)
    names = ", ".join(Path(p).name for p in paths)
    said = _("{spans} spans in {traces} traces, {records} log records, {points} metric points from "
             "{path}").format(spans=f"{len(found.spans):,}", traces=f"{len(traces):,}",
                              records=f"{len(found.logs):,}", points=f"{len(found.metrics):,}",
                              path=", ".join(paths))
    if left_out:
        said += _("; ") + _("{n} not drawn (duplicate span ids)").format(n=f"{left_out:,}")
    if more:
        said += _("; ") + _("the first {shown} traces are drawn, {more} more are not (a page that "
                            "large would stall a browser)").format(shown=f"{MAX_TRACES:,}",
                                                                    more=f"{more:,}")
    page = Page(f"ordertrace: {names}", said)
    for trace_id, spans in itertools.islice(traces.items(), MAX_TRACES):
        title, note = _label(spans)
        page.add_view(title, [page.add_trace(spans, problems=found.problems(trace_id))], note=note)
    page.add_log_records(found.logs)
    page.set_metrics(series(found.metrics))
    return page
