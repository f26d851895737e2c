"""The closing lines about export: one line per destination, one for the --output file.

Worded by what happened: delivered, failed (refused, unreachable, rejected),
unconfirmed (no answer in time: the collector may well have the spans) or
abandoned (a second Ctrl-C), with the hint that fits the cause.
"""
from __future__ import annotations

from ..tracing.accounting import ExportReport
from ..tracing.otlp_file import FileReport


def delivered_line(report: ExportReport) -> str:
    return f"📤 Exported {report.exported:,} spans to {report.destination}"


def problem_line(report: ExportReport) -> str:
    """⚠ … for a destination that did not get every span."""
    parts = [f"{n:,} {what}" for n, what in ((report.failed, "failed"),
                                             (report.unconfirmed, "unconfirmed"),
                                             (report.abandoned, "abandoned"))
             if n]
    missing = report.not_delivered
    if report.failed == missing:
        head = f"⚠ Could not export {missing:,} of {report.handed:,} spans to {report.destination}"
    elif report.unconfirmed == missing:
        head = (f"⚠ {missing:,} of {report.handed:,} spans sent to {report.destination} are "
                f"unconfirmed")
    else:
        head = (f"⚠ {missing:,} of {report.handed:,} spans not delivered to {report.destination} "
                f"({', '.join(parts)})")
    reason = f": {report.reason}" if report.reason else ""
    hint = f". {report.hint[0].upper()}{report.hint[1:]}" if report.hint else "."
    if report.abandoned and not report.hint:
        hint = ": abandoned at the second Ctrl-C."
    return head + reason + hint


def file_line(sink: FileReport) -> str:
    if sink.error is None:
        return f"💾 {sink.written:,} spans written to {sink.path} (OTLP/JSON lines)"
    return f"⚠ could not write {sink.path}: {sink.error}; {sink.not_written:,} spans not written"
