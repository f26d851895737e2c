"""What a load run shows: a live progress line, then the summary (table, plain or JSON)."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..tracing.accounting import ExportReport
from ..tracing.histogram import Histogram
from ..tracing.otlp_file import FileReport
from .export_summary import file_line, problem_line

ROOT_SPAN = "POST /api/orders"


@dataclass(frozen=True)
class Outcomes:
    """Orders by how they ended."""

    ok: int = 0
    out_of_stock: int = 0
    declined: int = 0
    errors: int = 0
    interrupted: int = 0  # in flight when the run was stopped, cut short

    @property
    def total(self) -> int:
        return self.ok + self.out_of_stock + self.declined + self.errors + self.interrupted

    @property
    def failed(self) -> int:
        return self.total - self.ok


@dataclass(frozen=True)
class Snapshot:
    """The live numbers of a run in progress."""

    outcomes: Outcomes
    spans: int  # ended so far
    queue: int  # spans waiting for the exporter
    export: str  # "" while all is well, else e.g. "export: failing (UNAVAILABLE), 5,120 ..."


class ProgressSource(Protocol):
    planned: int | None  # orders planned, if known

    def snapshot(self) -> Snapshot: ...


def _status(now: Snapshot, elapsed: float) -> str:
    line = (f"failed {now.outcomes.failed} | {now.outcomes.total / elapsed:,.0f} orders/s | "
            f"{now.spans / elapsed:,.0f} spans/s | queue {now.queue}")
    return f"{line} | {now.export}" if now.export else line


@contextlib.contextmanager
def progress_display(run: ProgressSource, console: Console, enabled: bool,
                     plain: bool = False) -> Iterator[Callable[[], None]]:
    """Yields ``tick()``: call it often.  On a terminal it redraws a progress bar at most
    10 times a second; with ``plain`` (a pipe, a CI log) it prints a line every 5 s, and
    at once when export starts failing."""
    started, last, told = time.monotonic(), [time.monotonic()], [""]
    if not enabled:
        def plain_tick() -> None:
            now = time.monotonic()
            if not plain:
                return
            snap = run.snapshot()
            if now - last[0] >= 5 or (snap.export and not told[0]):
                last[0], told[0] = now, snap.export
                done = f"{snap.outcomes.total}" + (f"/{run.planned}" if run.planned else "")
                console.print(f"orders {done} | {_status(snap, max(now - started, 1e-6))}",
                              soft_wrap=True)
        yield plain_tick
        return
    # Fits 80 columns: a short bar, done/total, then the live rates.
    columns = [BarColumn(bar_width=12), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
               TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("orders", total=run.planned, status="")

        def tick() -> None:
            now = time.monotonic()
            if now - last[0] < 0.1:
                return
            last[0] = now
            snap = run.snapshot()
            progress.update(task, completed=snap.outcomes.total,
                            status=_status(snap, max(now - started, 1e-6)))

        yield tick
        tick()


@dataclass(frozen=True)
class Pace:
    """Whether the run kept the pace it was asked for (k6's dropped iterations)."""

    real_time: bool  # False (--speed 0): waiting for the exporter is the design, not a miss
    target_rate: float | None  # orders/s asked for (open loop), None for a closed loop
    held_s: float  # time new orders waited for the exporter to catch up
    not_started: int  # open-loop orders whose time passed while held


@dataclass(frozen=True)
class WorkerInfo:
    """One worker process of a --workers run, as the parent saw it end."""

    index: int
    orders: int
    spans: int
    peak_rss_mb: float
    problem: str = ""  # "" if it ended well, else e.g. "died (exit -9)"


@dataclass(frozen=True)
class LoadSummary:
    interrupted: bool
    outcomes: Outcomes
    wall_s: float
    spans_created: int
    exports: tuple[ExportReport, ...]  # one per destination; empty: export off
    output: FileReport | None
    latencies: Mapping[str, Histogram]
    peak_rss_mb: float
    pace: Pace
    workers: tuple[WorkerInfo, ...] = ()  # --workers N: one entry per process

    def to_dict(self) -> dict[str, Any]:
        """The --json schema of a load run."""
        o, wall = self.outcomes, self.wall_s
        main = self.exports[0] if self.exports else None
        latency = {name: {"count": h.total, "p50": round(h.quantile(0.5), 3),
                          "p95": round(h.quantile(0.95), 3), "p99": round(h.quantile(0.99), 3),
                          "max": round(h.max_ms, 3)}
                   for name, h in sorted(self.latencies.items(),
                                         key=lambda kv: (kv[0] != ROOT_SPAN, kv[0]))}
        return {
            "interrupted": self.interrupted,
            "orders": {"total": o.total, "ok": o.ok, "out_of_stock": o.out_of_stock,
                       "declined": o.declined, "errors": o.errors, "interrupted": o.interrupted},
            "wall_s": round(wall, 3),
            "orders_per_s": round(o.total / wall, 1) if wall else 0.0,
            "target_orders_per_s": self.pace.target_rate,
            "held_s": round(self.pace.held_s, 3),
            "not_started": self.pace.not_started,
            "spans_per_s": round(self.spans_created / wall, 1) if wall else 0.0,
            "latency_ms": latency,
            "spans": {"created": self.spans_created,
                      "exported": main.exported if main else 0,
                      "unconfirmed": main.unconfirmed if main else 0,
                      "failed": main.failed if main else 0,
                      "abandoned": main.abandoned if main else 0},
            "export_destination": main.destination if main else None,
            "export_error": (main.reason or None) if main and not main.ok else None,
            "output": None if self.output is None else {
                "path": self.output.path, "written": self.output.written,
                "not_written": self.output.not_written, "error": self.output.error},
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            **({"workers": [{"index": w.index, "orders": w.orders, "spans": w.spans,
                             "peak_rss_mb": round(w.peak_rss_mb, 1), "problem": w.problem or None}
                            for w in self.workers]} if self.workers else {}),
        }


def _pace_line(summary: LoadSummary) -> str | None:
    pace, wall = summary.pace, summary.wall_s
    if not pace.real_time or pace.not_started == 0 and pace.held_s < max(0.5, 0.01 * wall):
        return None
    achieved = summary.outcomes.total / wall if wall else 0.0
    target = f"target {pace.target_rate:,.0f}/s, " if pace.target_rate else ""
    skipped = f"{pace.not_started:,} orders not started"
    if pace.held_s < max(0.5, 0.01 * wall):  # never held: the simulation itself fell behind
        return (f"⚠ {target}achieved {achieved:,.0f}/s: this machine could not keep up ({skipped}); "
                f"try a lower --rate, or --speed 0")
    skipped = f"; {skipped}" if pace.not_started else ""
    return (f"⚠ {target}achieved {achieved:,.0f}/s: export could not keep up (new orders waited "
            f"{pace.held_s:.1f} s for the exporter{skipped}); the latencies above are the "
            f"simulated system's, not the exporter's")


def print_summary(summary: LoadSummary, out: Console, err: Console, *, as_json: bool) -> None:
    data = summary.to_dict()
    if as_json:
        out.print_json(data=data)
    else:
        o = data["orders"]
        out.print(f"Orders: {o['total']} in {data['wall_s']:.2f} s ({data['orders_per_s']:,.0f}/s): "
                  f"{o['ok']} ok, {o['out_of_stock']} out of stock, {o['declined']} declined"
                  + (f", {o['errors']} errors" if o["errors"] else "")
                  + (f", {o['interrupted']} interrupted" if o["interrupted"] else ""))
        table = Table(title="Latency per span (ms)", title_justify="left")
        for column in ("span", "count", "p50", "p95", "p99", "max"):
            table.add_column(column, justify="left" if column == "span" else "right")
        for name, row in data["latency_ms"].items():
            table.add_row(name, f"{row['count']:,}", f"{row['p50']:.1f}", f"{row['p95']:.1f}",
                          f"{row['p99']:.1f}", f"{row['max']:.1f}")
        out.print(table)
        rss = (f"peak RSS per worker {', '.join(f'{w.peak_rss_mb:.0f}' for w in summary.workers)} MB"
               if summary.workers else f"peak RSS {data['peak_rss_mb']:.0f} MB")
        rates = f"({data['spans_per_s']:,.0f} spans/s, {rss})"
        if not summary.exports:
            out.print(f"Spans: {summary.spans_created:,} created, export off  {rates}")
        for report in summary.exports:
            out.print(f"Spans: {summary.spans_created:,} created, {report.exported:,} exported to "
                      f"{report.destination}  {rates}")
        if summary.output is not None and summary.output.error is None:
            out.print(file_line(summary.output), style="dim")
    for report in summary.exports:
        if not report.ok:
            err.print(problem_line(report), style="yellow", soft_wrap=True)
    if summary.output is not None and summary.output.error is not None:
        err.print(file_line(summary.output), style="yellow", soft_wrap=True)
    pace = _pace_line(summary)
    if pace:
        err.print(pace, style="yellow", soft_wrap=True)
    for worker in summary.workers:
        if worker.problem:
            err.print(f"⚠ worker {worker.index} {worker.problem}; it had accounted for "
                      f"{worker.orders:,} orders and {worker.spans:,} spans (counted above)",
                      style="yellow", soft_wrap=True)
