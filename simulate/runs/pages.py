"""The trace page of a run (--html, --open, show): what goes on it, where it is written,
and the one line that says where.

The runs call in here with a few lines each; the page itself is report/html.py.
The file is opened before the run starts, like --output, so a bad path is one
error line (exit 2) and not a run whose page is lost at the end.
"""
from __future__ import annotations

import os
import tempfile
import webbrowser
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from opentelemetry.sdk.trace import ReadableSpan
from rich.console import Console

from ..config import RunConfig
from ..i18n import _
from ..report.analysis import Analysis
from ..report.compare import comparison
from ..report.html import Page
from ..report.logs import MemoryLog, TeeLog
from ..report.records import SpanRecord, by_trace, from_readable
from ..report.terminal import say
from ..tracing.histogram import Histogram
from ..tracing.samples import TraceSamples
from ..world.log import LogSink
from .common import OutputError


class PageFile:
    """Where a page goes: ``path``, or a temporary file; opened now, written at the end."""

    def __init__(self, path: str | None, open_page: bool):
        self.open_page = open_page
        try:
            if path is None:
                handle, name = tempfile.mkstemp(prefix="ordertrace-", suffix=".html")
                self.path = name
                self._stream: IO[str] = os.fdopen(handle, "w", encoding="utf-8")
            else:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.path = path
                self._stream = open(path, "w", encoding="utf-8")  # noqa: SIM115 - written at the end
        except OSError as exc:
            raise OutputError(_("argument --html: cannot write {path}: {reason}").format(
                path=repr(path), reason=exc.strerror)) from None

    @classmethod
    def for_run(cls, config: RunConfig) -> PageFile | None:
        if config.html is None and not config.open_page:
            return None
        return cls(config.html, config.open_page)

    def write(self, page: Page, console: Console) -> None:
        with self._stream:
            self._stream.write(page.html())
        say(console, "🌐 " + _("Trace page: {path}").format(path=self.path))
        if self.open_page and not webbrowser.open(Path(self.path).resolve().as_uri()):
            say(console, "   " + _("No browser found here: open the file in yours."), style="dim")


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
        self._seen = len(records)

    def finish(self, reports: Sequence[Analysis], console: Console) -> None:
        if self.config.compare and len(reports) == 2 and len(self._orders) == 2:
            self.page.compare = comparison(reports[0], reports[1], sorted(self.config.optimizations))
            self.page.add_view(_("baseline vs optimised"), self._orders)
        for trace_id in self._orders:
            self.page.add_view(self.page.trace_title(trace_id), [trace_id])
        for trace_id, title in self._linked:
            self.page.add_view(title, [trace_id], note=_("starts after the order answered"))
        self.target.write(self.page, console)


def _records_by_trace(spans: Sequence[ReadableSpan]) -> list[list[SpanRecord]]:
    return list(by_trace(from_readable(spans)).values())


def load_page(target: PageFile, config: RunConfig, summary: dict[str, Any],
              latencies: Mapping[str, Histogram], samples: TraceSamples, console: Console) -> None:
    """A load run's page: the summary, a histogram per operation, the sample traces."""
    page = Page("ordertrace: load run", describe(config))
    page.set_load(summary, latencies)
    for label, sample in samples.labelled():
        traces = [page.add_trace(spans) for spans in _records_by_trace(sample.spans)]
        page.add_view(f"{label}: {sample.duration_ms:.0f} ms", traces, note=f"answered {sample.outcome}")
        for linked in sample.linked:
            for spans in _records_by_trace(linked):
                page.add_view(f"linked from {label}", [page.add_trace(spans)])
    target.write(page, console)
