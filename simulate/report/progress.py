"""A load run's live numbers: the progress line (fitted to the terminal, the export state
kept longest) and the --stats-interval JSON lines an SRE graphs while a collector is loaded.

The export state comes from the destinations' ExportReports (spans handed, exported,
not delivered and why).  What a collector answered per batch (batches, bytes, retries,
export latency) is read from the same reports when the exporter provides it: see
``collector_answers``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from ..i18n import _
from ..tracing.accounting import ExportReport
from .cells import cell_len

# HOOK (export counters): the exporter may add these fields to ExportReport; until it
# does they read as None and are left out of the line and written as null in the JSON.
ANSWER_FIELDS = ("batches", "bytes", "retries", "latency_ms")


def collector_answers(report: ExportReport) -> dict[str, Any]:
    """batches, bytes, retries, latency_ms of one destination (None: not measured yet)."""
    return {name: getattr(report, name, None) for name in ANSWER_FIELDS}


@dataclass(frozen=True)
class Live:
    """What the progress line and a stats record are made of, at one instant."""

    done: int
    planned: int | None
    failed: int
    elapsed_s: float
    spans: int
    queue: int
    exports: tuple[ExportReport, ...]
    target_rate: float | None = None  # orders/s asked for right now (a ramp rises to --rate)


def export_choices(exports: Sequence[ExportReport]) -> list[str]:
    """The export state, from the longest wording to the shortest."""
    if not exports:
        return [_("export off")]
    failing = next((r for r in exports if r.not_delivered), None)
    if failing is not None:
        lost = f"{failing.not_delivered:,}"
        return [_("export failing ({reason}): {count} spans not delivered").format(
                    reason=failing.reason or "?", count=lost),
                _("export failing: {count} not delivered").format(count=lost),
                _("export failing")]
    sent = sum(r.exported for r in exports)
    answers = [collector_answers(r) for r in exports]
    extra = _answers_text(answers)
    return [x for x in (_("export ok: {count} sent").format(count=f"{sent:,}") + extra,
                        _("export ok: {count} sent").format(count=f"{sent:,}"),
                        _("export ok")) if x]


def _answers_text(answers: list[dict[str, Any]]) -> str:
    def total(name: str) -> Any:
        values = [a[name] for a in answers if a[name] is not None]
        return sum(values) if values else None

    parts = []
    if (batches := total("batches")) is not None:
        parts.append(_("{n} batches").format(n=f"{batches:,}"))
    if (size := total("bytes")) is not None:
        parts.append(f"{size / 1e6:,.1f} MB")
    if (retries := total("retries")) is not None:
        parts.append(_("{n} retries").format(n=f"{retries:,}"))
    latencies = [a["latency_ms"] for a in answers if a["latency_ms"] is not None]
    if latencies:
        parts.append(_("latency {ms} ms").format(ms=f"{max(latencies):.0f}"))
    return (_(", ") if parts else "") + _(", ").join(parts)


def progress_fields(live: Live) -> list[list[str]]:
    """Each field's wordings, most important field first; a field may shrink to nothing."""
    elapsed = max(live.elapsed_s, 1e-6)
    done = f"{live.done:,}" + (f"/{live.planned:,}" if live.planned else "")
    rate = _("{orders} orders/s").format(orders=f"{live.done / elapsed:,.0f}")
    if live.target_rate is not None:
        rate = _("{orders}/{target} orders/s").format(orders=f"{live.done / elapsed:,.0f}",
                                                      target=f"{live.target_rate:,.0f}")
    return [[_("orders {done}").format(done=done)],
            export_choices(live.exports) + [""],
            [rate, ""],
            [_("{spans} spans/s").format(spans=f"{live.spans / elapsed:,.0f}"), ""],
            [_("failed {failed}").format(failed=f"{live.failed:,}"), ""],
            [_("queue {queue}").format(queue=f"{live.queue:,}"), ""]]


def fit(fields: list[list[str]], width: int, separator: str = " | ") -> str:
    """The fields joined, each at its longest wording that lets the line fit ``width``
    cells: the least important shrink first, the first field never."""
    chosen = [0] * len(fields)

    def line() -> str:
        return separator.join(f[c] for f, c in zip(fields, chosen) if f[c])

    for i in range(len(fields) - 1, 0, -1):
        while cell_len(line()) > width and chosen[i] < len(fields[i]) - 1:
            chosen[i] += 1
    for i in range(1, len(fields)):  # room left over: give it back, most important first
        while chosen[i] > 0:
            chosen[i] -= 1
            if cell_len(line()) > width:
                chosen[i] += 1
                break
    return line()


def stats_record(live: Live, before: Live | None = None) -> dict[str, Any]:
    """One --stats-interval JSON line; the rates are over the interval since ``before``."""
    since = before or Live(0, live.planned, 0, 0.0, 0, 0, ())
    interval = max(live.elapsed_s - since.elapsed_s, 1e-6)
    return {
        "elapsed_s": round(live.elapsed_s, 3),
        "orders": {"done": live.done, "failed": live.failed, "planned": live.planned},
        "spans": live.spans,
        "orders_per_s": round((live.done - since.done) / interval, 1),
        "target_orders_per_s": None if live.target_rate is None else round(live.target_rate, 1),
        "spans_per_s": round((live.spans - since.spans) / interval, 1),
        "queue": live.queue,
        "export": [{"signal": r.signal, "destination": r.destination, "handed": r.handed,
                    "exported": r.exported,
                    "unconfirmed": r.unconfirmed, "failed": r.failed, "abandoned": r.abandoned,
                    "reason": r.reason or None, **collector_answers(r)} for r in live.exports],
    }


def json_lines(console: Console) -> Callable[[dict[str, Any]], None]:
    """Writes each record as one compact JSON line, at once (a collector dashboard tails it)."""
    def write(record: dict[str, Any]) -> None:
        console.file.write(json.dumps(record, separators=(",", ":")) + "\n")
        console.file.flush()
    return write
