"""What a load run shows: a live progress bar, then the summary (table, plain or JSON)."""
from __future__ import annotations

import contextlib
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

ROOT_SPAN = "POST /api/orders"


def _status(run, elapsed: float) -> str:
    t = run.tally
    return (f"failed {t.failed} | {t.done / elapsed:,.0f} orders/s | "
            f"{run.pipeline.counter.ended / elapsed:,.0f} spans/s | queue {run.pipeline.queue_depth}")


@contextlib.contextmanager
def progress_display(run, console: Console, enabled: bool, plain: bool = False):
    """Yields ``tick()``: call it often.  On a terminal it redraws a progress bar at most
    10 times a second; with ``plain`` (a pipe, a CI log) it prints a line every 5 s."""
    started, last = time.monotonic(), [time.monotonic()]
    if not enabled:
        def plain_tick() -> None:
            now = time.monotonic()
            if plain and now - last[0] >= 5:
                last[0] = now
                done = f"{run.tally.done}" + (f"/{run.plan.orders}" if run.plan.orders else "")
                console.print(f"orders {done} | {_status(run, now - started)}", soft_wrap=True)
        yield plain_tick
        return
    plan = run.plan
    total = plan.orders if plan.orders is not None else None
    # Fits 80 columns: a short bar, done/total, then the live rates.
    columns = [BarColumn(bar_width=12), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
               TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("orders", total=total, status="")

        def tick() -> None:
            now = time.monotonic()
            if now - last[0] < 0.1:
                return
            last[0] = now
            progress.update(task, completed=run.tally.done,
                            status=_status(run, max(now - started, 1e-6)))

        yield tick
        tick()


def summary(run, wall_s: float, peak_rss_mb: float, interrupted: bool) -> dict:
    report = run.pipeline.report()
    t = run.tally
    created = run.pipeline.counter.ended
    latency = {name: {"count": h.total, "p50": round(h.quantile(0.5), 3),
                      "p95": round(h.quantile(0.95), 3), "p99": round(h.quantile(0.99), 3),
                      "max": round(h.max_ms, 3)}
               for name, h in sorted(run.latencies.by_name.items(),
                                     key=lambda kv: (kv[0] != ROOT_SPAN, kv[0]))}
    return {
        "interrupted": interrupted,
        "orders": {"total": t.done, "ok": t.ok, "out_of_stock": t.out_of_stock,
                   "declined": t.declined, "errors": t.errors},
        "wall_s": round(wall_s, 3),
        "orders_per_s": round(t.done / wall_s, 1) if wall_s else 0.0,
        "spans_per_s": round(created / wall_s, 1) if wall_s else 0.0,
        "latency_ms": latency,
        "spans": {"created": created,
                  "exported": report.exported if report else 0,
                  "failed": report.failed if report else 0,
                  "dropped": report.dropped if report else 0},
        "export_destination": report.destination if report else None,
        "export_error": report.error if report else None,
        "peak_rss_mb": round(peak_rss_mb, 1),
    }


def print_summary(run, out: Console, err: Console, *, wall_s: float, peak_rss_mb: float,
                  as_json: bool, interrupted: bool) -> dict:
    data = summary(run, wall_s, peak_rss_mb, interrupted)
    if as_json:
        out.print_json(data=data)
        return data
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
    return data
