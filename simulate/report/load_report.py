"""What a load run shows: a live progress bar, then the summary (table, plain or JSON)."""
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

ROOT_SPAN = "POST /api/orders"


@dataclass(frozen=True)
class Outcomes:
    """Orders by how they ended."""

    ok: int = 0
    out_of_stock: int = 0
    declined: int = 0
    errors: int = 0

    @property
    def total(self) -> int:
        return self.ok + self.out_of_stock + self.declined + self.errors

    @property
    def failed(self) -> int:
        return self.total - self.ok


@dataclass(frozen=True)
class Snapshot:
    """The live numbers of a run in progress."""

    outcomes: Outcomes
    spans: int  # ended so far
    queue: int  # spans waiting for the exporter


class ProgressSource(Protocol):
    planned: int | None  # orders planned, if known

    def snapshot(self) -> Snapshot: ...


def _status(now: Snapshot, elapsed: float) -> str:
    return (f"failed {now.outcomes.failed} | {now.outcomes.total / elapsed:,.0f} orders/s | "
            f"{now.spans / elapsed:,.0f} spans/s | queue {now.queue}")


@contextlib.contextmanager
def progress_display(run: ProgressSource, console: Console, enabled: bool,
                     plain: bool = False) -> Iterator[Callable[[], None]]:
    """Yields ``tick()``: call it often.  On a terminal it redraws a progress bar at most
    10 times a second; with ``plain`` (a pipe, a CI log) it prints a line every 5 s."""
    started, last = time.monotonic(), [time.monotonic()]
    if not enabled:
        def plain_tick() -> None:
            now = time.monotonic()
            if plain and now - last[0] >= 5:
                last[0] = now
                snap = run.snapshot()
                done = f"{snap.outcomes.total}" + (f"/{run.planned}" if run.planned else "")
                console.print(f"orders {done} | {_status(snap, now - started)}", soft_wrap=True)
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
class LoadSummary:
    interrupted: bool
    outcomes: Outcomes
    wall_s: float
    spans_created: int
    export: ExportReport | None  # None: export off
    latencies: Mapping[str, Histogram]
    peak_rss_mb: float

    def to_dict(self) -> dict[str, Any]:
        """The --json schema of a load run."""
        o, report, wall = self.outcomes, self.export, self.wall_s
        latency = {name: {"count": h.total, "p50": round(h.quantile(0.5), 3),
                          "p95": round(h.quantile(0.95), 3), "p99": round(h.quantile(0.99), 3),
                          "max": round(h.max_ms, 3)}
                   for name, h in sorted(self.latencies.items(),
                                         key=lambda kv: (kv[0] != ROOT_SPAN, kv[0]))}
        return {
            "interrupted": self.interrupted,
            "orders": {"total": o.total, "ok": o.ok, "out_of_stock": o.out_of_stock,
                       "declined": o.declined, "errors": o.errors},
            "wall_s": round(wall, 3),
            "orders_per_s": round(o.total / wall, 1) if wall else 0.0,
            "spans_per_s": round(self.spans_created / wall, 1) if wall else 0.0,
            "latency_ms": latency,
            "spans": {"created": self.spans_created,
                      "exported": report.exported if report else 0,
                      "failed": report.failed if report else 0,
                      "dropped": report.dropped if report else 0},
            "export_destination": report.destination if report else None,
            "export_error": report.error if report else None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


def print_summary(summary: LoadSummary, out: Console, err: Console, *, as_json: bool) -> None:
    data = summary.to_dict()
    if as_json:
        out.print_json(data=data)
        return
    o, s = data["orders"], data["spans"]
    out.print(f"Orders: {o['total']} in {data['wall_s']:.2f} s ({data['orders_per_s']:,.0f}/s): "
              f"{o['ok']} ok, {o['out_of_stock']} out of stock, {o['declined']} declined"
              + (f", {o['errors']} errors" if o["errors"] else ""))
    table = Table(title="Latency per span (ms)", title_justify="left")
    for column in ("span", "count", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="left" if column == "span" else "right")
    for name, row in data["latency_ms"].items():
        table.add_row(name, f"{row['count']:,}", f"{row['p50']:.1f}", f"{row['p95']:.1f}",
                      f"{row['p99']:.1f}", f"{row['max']:.1f}")
    out.print(table)
    rates = f"({data['spans_per_s']:,.0f} spans/s, peak RSS {data['peak_rss_mb']:.0f} MB)"
    if data["export_destination"] is None:
        out.print(f"Spans: {s['created']:,} created, export off  {rates}")
    else:
        out.print(f"Spans: {s['created']:,} created = {s['exported']:,} exported + {s['failed']:,} "
                  f"failed + {s['dropped']:,} dropped, to {data['export_destination']}  {rates}")
    if data["export_destination"] is not None and (s["failed"] or s["dropped"]):
        err.print(f"⚠ {s['failed'] + s['dropped']:,} spans were not delivered to "
                  f"{data['export_destination']}: {data['export_error'] or 'unknown error'}",
                  style="yellow", soft_wrap=True)
