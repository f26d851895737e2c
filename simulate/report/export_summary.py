"""The closing lines about export: one line per destination, one for the --output file.

Worded by what happened: delivered, failed (refused, unreachable, rejected),
unconfirmed (no answer in time: the collector may well have the spans) or
abandoned (a second Ctrl-C), with the hint that fits the cause.  The reason
(a status code, "connection refused") stays as the wire said it; the words
around it are the reader's language.
"""
from __future__ import annotations

from ..i18n import _
from ..tracing.accounting import ExportReport
from ..tracing.otlp_file import FileReport


def delivered_line(report: ExportReport) -> str:
    said = _("Exported 1 span to {destination}") if report.exported == 1 else _(
        "Exported {count} spans to {destination}")
    return "📤 " + said.format(count=f"{report.exported:,}", destination=report.destination)


def problem_line(report: ExportReport) -> str:
    """⚠ … for a destination that did not get every span."""
    missing = report.not_delivered
    values = {"missing": f"{missing:,}", "total": f"{report.handed:,}",
              "destination": report.destination}
    if report.failed == missing:
        head = _("Could not export {missing} of {total} spans to {destination}").format(**values)
    elif report.unconfirmed == missing:
        head = _("{missing} of {total} spans sent to {destination} are unconfirmed").format(**values)
    else:
        parts = _(", ").join(text.format(n=f"{n:,}") for n, text in (
            (report.failed, _("{n} failed")), (report.unconfirmed, _("{n} unconfirmed")),
            (report.abandoned, _("{n} abandoned"))) if n)
        head = _("{missing} of {total} spans not delivered to {destination} ({parts})").format(
            parts=parts, **values)
    reason = _(": ") + report.reason if report.reason else ""
    hint = _(". ") + _(report.hint) if report.hint else _(".")
    return f"⚠ {head}{reason}{hint}"


def file_line(sink: FileReport) -> str:
    if sink.error is None:
        said = _("1 span written to {path} (OTLP/JSON lines)") if sink.written == 1 else _(
            "{count} spans written to {path} (OTLP/JSON lines)")
        return "💾 " + said.format(count=f"{sink.written:,}", path=sink.path)
    return "⚠ " + _("could not write {path}: {error}; {count} spans not written").format(
        path=sink.path, error=sink.error, count=f"{sink.not_written:,}")
