"""What a load run shows at its end: the summary (table, plain or JSON) and the pace line.
The live display while it runs is live.py."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from ..i18n import _
from ..tracing.accounting import ExportReport
from ..tracing.histogram import Histogram
from ..tracing.otlp_file import FileReport
from .export_summary import exported_line, file_line, problem_lines
from .live import Outcomes
from .terminal import say

ROOT_SPAN = "POST /api/orders"


# Waits ending this late on average (simulated ms) mean the latencies shown are not the
# simulated system's.  Measured here (bench/realtime.py and by hand): a healthy real-time
# run 0.1-0.3 ms (0.8 ms at --speed 10, where a real 0.1 ms counts ten times); a saturated
# one 4 ms (--jitter at 800 orders/s: root p50 +30 %) to tens of ms (exact, 1,000/s).  With
# exact latencies the schedule absorbs a late wake-up; with --jitter lateness adds up along
# the order, hence a threshold well below the 250 ms order's 1 %.
LATE_MS = 2.0


@dataclass(frozen=True)
class Pace:
    """Whether the run kept the pace it was asked for (k6's dropped iterations)."""

    real_time: bool  # False (--speed 0): waiting for the exporter is the design, not a miss
    target_rate: float | None  # orders/s asked for (open loop), None for a closed loop
    held_s: float  # time new orders waited for the exporter to catch up
    not_started: int  # open-loop orders whose time passed while held
    late_ms: float = 0.0  # how late the simulation's waits ended on average (simulated ms)

    @property
    def fell_behind(self) -> bool:
        """The machine woke the simulation late enough to lengthen its spans."""
        return self.real_time and self.late_ms > LATE_MS


@dataclass(frozen=True)
class WorkerInfo:
    """One worker process of a --workers run, as the parent saw it end."""

    index: int
    orders: int
    spans: int
    peak_rss_mb: float
    problem: str = ""  # "" if it ended well, else e.g. "died (exit -9)"
    # A dead worker's last ledger entry: (spans created, spans accounted for, spans unknown since)
    ledger: tuple[int, int, int] | None = None


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
    # Spans of dead workers whose fate nobody knows (an upper bound): a receiver got at least
    # the exported ones, and at most exported + unconfirmed + unknown.
    unknown: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The --json schema of a load run."""
        o, wall = self.outcomes, self.wall_s
        main = next((r for r in self.exports if r.signal == "traces"), None)
        others = {signal: next((r for r in self.exports if r.signal == signal), None)
                  for signal in ("logs", "metrics")}
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
            "late_ms": round(self.pace.late_ms, 3),
            "spans_per_s": round(self.spans_created / wall, 1) if wall else 0.0,
            "latency_ms": latency,
            "spans": {"created": self.spans_created,
                      "exported": main.exported if main else 0,
                      "unconfirmed": main.unconfirmed if main else 0,
                      "failed": main.failed if main else 0,
                      "dropped": main.dropped if main else 0,
                      "abandoned": main.abandoned if main else 0,
                      # --workers: a dead worker's spans nobody has word of (an upper bound)
                      **({"unknown": self.unknown} if self.workers else {})},
            # What became of the other signals (the first destination of each; None: off).
            "log_records": _accounted(others["logs"]),
            "metric_points": _accounted(others["metrics"]),
            "export_destination": main.destination if main else None,
            # The SDK's own count of the same spans (README: where and why it differs).
            "sdk_self_observability": main.sdk if main else {},
            "export_error": (main.reason or None) if main and not main.ok else None,
            "output": None if self.output is None else {
                "path": self.output.path, "written": self.output.written,
                "not_written": self.output.not_written, "error": self.output.error},
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            **({"workers": [{"index": w.index, "orders": w.orders, "spans": w.spans,
                             "peak_rss_mb": round(w.peak_rss_mb, 1), "problem": w.problem or None,
                             **({"last_report": dict(zip(("created", "accounted", "unknown"), w.ledger))}
                                if w.ledger else {})}
                            for w in self.workers]} if self.workers else {}),
        }


def _pace_line(summary: LoadSummary) -> str | None:
    pace, wall = summary.pace, summary.wall_s
    held = pace.held_s >= max(0.5, 0.01 * wall)
    if not pace.real_time or not (pace.not_started or held or pace.fell_behind):
        return None
    achieved = f"{summary.outcomes.total / wall if wall else 0.0:,.0f}"
    target = f"{pace.target_rate:,.0f}" if pace.target_rate else None
    skipped = f"{pace.not_started:,}"
    if held:
        text = (_("target {target}/s, achieved {achieved}/s: export could not keep up (new orders "
                  "waited {held} s for the exporter; {skipped} scheduled starts missed); the latencies "
                  "above are the simulated system's, not the exporter's") if target else
                _("achieved {achieved}/s: export could not keep up (new orders waited {held} s for "
                  "the exporter); the latencies above are the simulated system's, not the "
                  "exporter's"))
    elif not pace.fell_behind:  # slots dropped, waits on time
        text = (_("target {target}/s, achieved {achieved}/s: this machine could not keep up "
                  "({skipped} scheduled starts missed); try a lower --rate, or --speed 0")
                if target else _("achieved {achieved}/s: this machine could not keep up "
                                 "({skipped} scheduled starts missed); try --speed 0"))
    else:
        text = (_("target {target}/s, achieved {achieved}/s: this machine could not keep up (its "
                  "waits ended {late} ms late on average, so the latencies above are longer than "
                  "the simulated system's; {skipped} scheduled starts missed); try a lower --rate, or "
                  "--speed 0") if target else
                _("achieved {achieved}/s: this machine could not keep up (its waits ended {late} ms "
                  "late on average, so the latencies above are longer than the simulated "
                  "system's); try a lower --concurrency, or --speed 0"))
    return "⚠ " + text.format(target=target, achieved=achieved, skipped=skipped,
                              held=f"{pace.held_s:.1f}", late=f"{pace.late_ms:.1f}")


def print_summary(summary: LoadSummary, out: Console, err: Console, *, as_json: bool) -> None:
    data = summary.to_dict()
    if as_json:
        out.print_json(data=data)
    else:
        o = data["orders"]
        outcomes = _("{ok} ok, {out_of_stock} out of stock, {declined} declined").format(
            ok=f"{o['ok']:,}", out_of_stock=f"{o['out_of_stock']:,}", declined=f"{o['declined']:,}")
        if o["errors"]:
            outcomes += _(", ") + _("{n} errors").format(n=f"{o['errors']:,}")
        if o["interrupted"]:
            outcomes += _(", ") + _("{n} interrupted").format(n=f"{o['interrupted']:,}")
        say(out, _("Orders: {total} in {seconds} s ({rate}/s): {outcomes}").format(
            total=f"{o['total']:,}", seconds=f"{data['wall_s']:.2f}",
            rate=f"{data['orders_per_s']:,.0f}", outcomes=outcomes))
        say(out, _("Latency per span (ms)"), style="italic")
        table = Table()
        for column, justify in ((_("span"), "left"), (_("count"), "right"), ("p50", "right"),
                                ("p95", "right"), ("p99", "right"), ("max", "right")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for name, row in data["latency_ms"].items():
            table.add_row(name, f"{row['count']:,}", f"{row['p50']:.1f}", f"{row['p95']:.1f}",
                          f"{row['p99']:.1f}", f"{row['max']:.1f}")
        out.print(table)
        if summary.workers:
            rss = _("peak RSS per worker {list} MB").format(
                list=_(", ").join(f"{w.peak_rss_mb:.0f}" for w in summary.workers))
        else:
            rss = _("peak RSS {mb} MB").format(mb=f"{data['peak_rss_mb']:.0f}")
        rates = _("({spans} spans/s, {rss})").format(spans=f"{data['spans_per_s']:,.0f}", rss=rss)
        created = f"{summary.spans_created:,}"
        if not summary.exports:
            say(out, _("Spans: {created} created, export off  {rates}").format(
                created=created, rates=rates))
        for report in summary.exports:
            if report.signal == "traces":
                say(out, _("Spans: {created} created, {exported} exported to {destination}  "
                           "{rates}").format(created=created, exported=f"{report.exported:,}",
                                             destination=report.destination, rates=rates))
        others: dict[str, list[ExportReport]] = {}
        for report in summary.exports:
            if report.signal != "traces" and report.ok and report.handed:
                others.setdefault(report.destination, []).append(report)
        for reports in others.values():
            say(out, exported_line(reports), style="dim")
        if summary.output is not None and summary.output.error is None:
            say(out, file_line(summary.output), style="dim")
    for line in problem_lines([r for r in summary.exports if not r.ok]):
        say(err, line, style="yellow")
    if summary.output is not None and summary.output.error is not None:
        say(err, file_line(summary.output), style="yellow")
    pace = _pace_line(summary)
    if pace:
        say(err, pace, style="yellow")
    for worker in summary.workers:
        if worker.problem and worker.ledger:
            made, accounted, unknown = worker.ledger
            say(err, "⚠ " + _("worker {index} {problem}: its last report said {orders} orders, "
                              "{created} spans created, {accounted} of them accounted for "
                              "(counted above); up to {unknown} spans are unknown since (made or "
                              "sent after that report)").format(
                index=worker.index, problem=worker.problem, orders=f"{worker.orders:,}",
                created=f"{made:,}", accounted=f"{accounted:,}", unknown=f"{unknown:,}"),
                style="yellow")
        elif worker.problem:
            say(err, "⚠ " + _("worker {index} {problem}; it had accounted for {orders} orders and "
                              "{spans} spans (counted above)").format(
                index=worker.index, problem=worker.problem, orders=f"{worker.orders:,}",
                spans=f"{worker.spans:,}"), style="yellow")


def _accounted(report: ExportReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {"created": report.handed, "exported": report.exported, "unconfirmed": report.unconfirmed,
            "failed": report.failed, "dropped": report.dropped, "abandoned": report.abandoned,
            "destination": report.destination}
