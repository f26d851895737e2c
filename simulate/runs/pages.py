"""The trace page of a run (--html, --open, show): what goes on it, where it is written,
and the one line that says where.

The runs call in here with a few lines each; the page itself is report/html.py.
The file is opened before the run starts, like --output, so a bad path is one
error line (exit 2) and not a run whose page is lost at the end.
"""
from __future__ import annotations

import errno
import os
import tempfile
import webbrowser
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from rich.console import Console

from ..config import RunConfig
from ..i18n import _
from ..report.analysis import Analysis
from ..report.compare import comparison
from ..report.html import Page
from ..report.logs import MemoryLog, TeeLog
from ..report.records import SpanRecord, by_trace, from_readable
from ..report.signals import MetricPoint, entries_of, series
from ..report.terminal import say
from ..tracing.histogram import Histogram
from ..tracing.samples import TraceSamples
from ..world.log import LogSink
from .common import OutputError


class PageFile:
    """Where a page goes: ``path``, or a temporary file; checked now, written at the end.

    A regular file is written beside itself and renamed into place, so a page that cannot
    be made (too deep, a full disk) never leaves an empty or half file; a device or a pipe
    (``/dev/stdout``, ``/dev/full``) is written as it is.  A write that fails is one line
    and :attr:`error`: the run exits 3, like an ``--output`` that failed.
    """

    def __init__(self, path: str | None, open_page: bool):
        self.open_page = open_page
        self.error: str | None = None
        try:
            if path is None:
                handle, name = tempfile.mkstemp(prefix="ordertrace-", suffix=".html")
                os.close(handle)
                self.path = name
            else:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.path = path
                _check_writable(Path(path))
        except OSError as exc:
            raise OutputError(_("argument --html: cannot write {path}: {reason}").format(
                path=repr(path), reason=exc.strerror)) from None

    @classmethod
    def for_run(cls, config: RunConfig) -> PageFile | None:
        if config.html is None and not config.open_page:
            return None
        return cls(config.html, config.open_page)

    def write(self, page: Page, console: Console, err: Console | None = None) -> bool:
        """Write the page and say where; or say in one line why not (``err``) and return False."""
        try:
            _write_text(Path(self.path), page.html())
        except OSError as exc:
            self.error = exc.strerror or type(exc).__name__
            say(err or console, "⚠ " + _("could not write the trace page {path}: {reason}").format(
                path=self.path, reason=self.error), style="yellow")
            return False
        say(console, "🌐 " + _("Trace page: {path}").format(path=self.path))
        if self.open_page and not webbrowser.open(Path(self.path).resolve().as_uri()):
            say(console, "   " + _("No browser found here: open the file in yours."), style="dim")
        return True


def _check_writable(path: Path) -> None:
    """Raise the OSError that writing ``path`` would, without touching it."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


def _write_text(path: Path, text: str) -> None:
    if path.exists() and not path.is_file():  # a device or a pipe: no rename possible
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
        return
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def describe(config: RunConfig) -> str:
    """The run in a few words, from the config (never the raw command line: an endpoint URL
    may hold credentials)."""
    plan = config.load
    if plan is not None:
        mix = ",".join(f"{k}={v:g}" for k, v in plan.failure_rates.items())
        orders = (_("{n} orders").format(n=f"{plan.orders:,}") if plan.orders
                  else _("orders without a count"))
        if plan.duration_s:
            orders += " " + _("over {seconds} s").format(seconds=f"{plan.duration_s:g}")
        parts = [orders, f"--failure-rate {mix}" if mix else _("no failures mixed in"),
                 f"--jitter {plan.jitter:g}" if plan.jitter else _("exact profile latencies")]
    else:
        parts = [f"--fail {config.scenario}" if config.scenario != "none" else _("the seed's order")]
    if config.optimizations:
        parts.append(f"--optimize {','.join(sorted(config.optimizations))}")
    if config.compare:
        parts.append(_("--compare: baseline above, optimised below, one time axis"))
    return " · ".join(parts)


class SinglePage:
    """A single run's page: each order's trace, the traces linked to it, and the log."""

    def __init__(self, target: PageFile, config: RunConfig):
        self.target, self.config = target, config
        self.page = Page(_("ordertrace: trace view"), describe(config))
        self._memory = MemoryLog()
        self._seen = 0  # log lines already placed
        self._orders: list[str] = []
        self._linked: list[tuple[str, str]] = []

    def tee(self, log: LogSink | None) -> LogSink:
        """The console's log, and a copy for the page."""
        return TeeLog(log, self._memory)

    def add(self, spans: Sequence[SpanRecord], linked: Sequence[SpanRecord],
            plan: frozenset[str]) -> None:
        """One order, after its run: ``plan`` names it (baseline or the switches)."""
        label = f"--optimize {','.join(sorted(plan))}" if plan else _("baseline")
        label = label if self.config.compare else ""
        self._orders.append(self.page.add_trace(spans, _("Order trace ({label})").format(label=label)
                                                if label else _("Order trace")))
        for spans in by_trace(linked).values():
            root = spans[0]
            trace_id = self.page.add_trace(spans, _("Linked trace: {span} ({service})").format(
                span=root.name, service=root.service))
            self._linked.append((trace_id, _("linked to {label}: {span}").format(label=label, span=root.name)
                                 if label else _("linked: {span}").format(span=root.name)))
        records = self._memory.records
        self.page.add_log(records[self._seen:], group=label)
        self.page.add_log_records(entries_of(records[self._seen:]))  # each under its span
        self._seen = len(records)

    def finish(self, reports: Sequence[Analysis], console: Console, err: Console) -> bool:
        if self.config.compare and len(reports) == 2 and len(self._orders) == 2:
            self.page.compare = comparison(reports[0], reports[1], sorted(self.config.optimizations))
            self.page.add_view(_("baseline vs optimised"), self._orders)
        for trace_id in self._orders:
            self.page.add_view(self.page.trace_title(trace_id), [trace_id])
        for trace_id, title in self._linked:
            self.page.add_view(title, [trace_id], note=_("starts after the order answered"))
        return self.target.write(self.page, console, err)


def _records_by_trace(spans: Sequence[ReadableSpan]) -> list[list[SpanRecord]]:
    return list(by_trace(from_readable(spans)).values())


def load_page(target: PageFile, config: RunConfig, summary: dict[str, Any],
              latencies: Mapping[str, Histogram], samples: TraceSamples, console: Console,
              err: Console, metrics: Sequence[MetricPoint] = ()) -> bool:
    """A load run's page: the summary, a histogram per operation, the sample traces, and the
    metrics the services recorded (with exemplars that open their traces)."""
    page = Page("ordertrace: load run", describe(config))
    page.set_load(summary, latencies)
    page.set_metrics(series(metrics))
    for label, sample in samples.labelled():
        traces = [page.add_trace(spans) for spans in _records_by_trace(sample.spans)]
        page.add_view(f"{label}: {sample.duration_ms:.0f} ms", traces, note=f"answered {sample.outcome}")
        for linked in sample.linked:
            for spans in _records_by_trace(linked):
                page.add_view(f"linked from {label}", [page.add_trace(spans)])
    return target.write(page, console, err)
