"""The closing lines about export: one line per destination, one for the --output file.

Worded by what happened: delivered, failed (refused, unreachable, rejected),
unconfirmed (no answer in time: the collector may well have the spans) or
abandoned (a second Ctrl-C), with the hint that fits the cause.  The reason
(a status code, "connection refused") stays as the wire said it; the words
around it are the reader's language.
"""
from __future__ import annotations

from ..i18n import N_, _
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


# Logs and metrics beside the spans: the same sentences with the signal's own unit.
UNIT_WORDS = {"traces": N_("spans"), "logs": N_("log records"), "metrics": N_("metric points")}


def exported_line(reports: list[ExportReport]) -> str:
    """📤 one line for one destination: what it got of each signal."""
    parts = [_("{count} {what}").format(count=f"{r.exported:,}", what=_(UNIT_WORDS[r.signal]))
             for r in reports if r.handed]
    if len(parts) == 1 and reports[0].signal == "traces":
        return delivered_line(reports[0])
    return "📤 " + _("Exported {parts} to {destination}").format(
        parts=_(", ").join(parts), destination=reports[0].destination)


def problem_lines(reports: list[ExportReport]) -> list[str]:
    """⚠ one line per destination and cause: a missing collector is one line, not three."""
    groups: dict[tuple[str, str], list[ExportReport]] = {}
    for report in reports:
        groups.setdefault((report.destination, report.reason), []).append(report)
    lines = []
    for (destination, reason), group in groups.items():
        if len(group) == 1 and group[0].signal == "traces":
            lines.append(problem_line(group[0]))
            continue
        parts = _(", ").join(_("{missing} of {total} {what}").format(
            missing=f"{r.not_delivered:,}", total=f"{r.handed:,}", what=_(UNIT_WORDS[r.signal]))
            for r in group)
        if all(r.failed == r.not_delivered for r in group):
            said = _("Could not export {parts} to {destination}")
        elif all(r.unconfirmed == r.not_delivered for r in group):
            said = _("{parts} sent to {destination} are unconfirmed")
        else:
            said = _("{parts} not delivered to {destination}")
        head = said.format(parts=parts, destination=destination)
        hint = group[0].hint
        lines.append(f"⚠ {head}" + (_(": ") + reason if reason else "")
                     + (_(". ") + _(hint) if hint else _(".")))
    return lines
