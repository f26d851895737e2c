"""The trace view in the terminal: Jaeger's tree and timeline, from finished spans.

Rendered from what was actually recorded (never from the profile): each span's
name and duration in the seed's tree shape, its service, kind and status, and a
waterfall bar on a time axis shared by the whole trace.  Then the performance
analysis.  rich drops colours by itself when stdout is not a terminal.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..i18n import _
from ..safe_text import printable
from .analysis import Analysis, Suggestion, Trace, analyse
from .records import SpanRecord
from .signals import LogEntry
from .terminal import say


def _prefixes(trace: Trace) -> list[tuple[str, SpanRecord, str]]:
    """Tree guides in the seed's style: ├─ for a middle child, └─ for the last; and the
    guide its children (and its log records) hang from."""
    rows: list[tuple[str, SpanRecord, str]] = []

    def visit(span: SpanRecord, lead: str, last: bool, top: bool) -> None:
        kids = trace.children(span)
        child_lead = "" if top else lead + ("   " if last else "│  ")
        rows.append(("" if top else lead + ("└─ " if last else "├─ "), span, child_lead))
        for i, child in enumerate(kids):
            visit(child, child_lead, i == len(kids) - 1, False)

    for root in trace.roots:
        visit(root, "", True, True)
    return rows


def waterfall(span: SpanRecord, t0: int, t1: int, width: int) -> str:
    """The span's place on the trace's time axis, ``width`` characters wide."""
    scale = width / max(1, t1 - t0)
    start = min(width - 1, int((span.start_ns - t0) * scale))
    end = max(start + 1, min(width, round((span.end_ns - t0) * scale)))
    return " " * start + "█" * (end - start) + " " * (width - end)


def kind_label(kind: str) -> str:
    """SERVER -> server (or the reader's word for it)."""
    return {"SERVER": _("server"), "CLIENT": _("client"), "INTERNAL": _("internal"),
            "PRODUCER": _("producer"), "CONSUMER": _("consumer")}.get(kind, kind.lower())


_SEVERITY_STYLES = {"ERROR": "red", "FATAL": "red", "WARN": "yellow"}


def _log_texts(entries: Sequence[LogEntry], guide: str) -> list[tuple[LogEntry, Text, str]]:
    """Each record as the span column shows it (a guide, its severity and body on one line),
    and its style."""
    styled = [(entry, _SEVERITY_STYLES.get(entry.severity.upper(), "dim")) for entry in entries]
    return [(entry, Text(guide + "· ", style="dim") + Text(
        printable(f"{entry.severity} {entry.body}"), style=style), style) for entry, style in styled]


def trace_table(spans: Sequence[SpanRecord], width: int = 80,
                logs: Mapping[int, Sequence[LogEntry]] | None = None) -> Table:
    """The tree with a waterfall column that takes whatever width is left; ``logs`` (span id
    -> its log records, e.g. ``signals.by_span``) puts each span's records under it, cut to
    fit, with a dot on the time axis where each was written."""
    trace = Trace(spans)
    t0 = min(s.start_ns for s in trace.spans)
    t1 = max(s.end_ns for s in trace.spans)
    # names and services may come from a file or a receiver: escaped for the terminal
    rows = [(prefix, span, f"{printable(span.name, 80)} ({span.duration_ms:.0f}ms)"
             f"{' ✗' if span.error else ''}",
             _log_texts((logs or {}).get(span.span_id, ()),
                        lead + ("│  " if trace.children(span) else "   ")))
            for prefix, span, lead in _prefixes(trace)]
    name_w = max(len(p) + len(label) for p, _unused, label, _logs in rows)
    service_w = max(len(printable(s.service, 40)) for s in trace.spans)
    kind_w = max(len(kind_label(s.kind.name)) for s in trace.spans)
    # log lines may widen the span column as long as the time axis keeps 10 columns
    longest_log = max((text.cell_len for *_unused, texts in rows for _e, text, _s in texts), default=0)
    name_w = max(name_w, min(longest_log, width - service_w - kind_w - 13))
    bar_w = max(10, min(60, width - name_w - service_w - kind_w - 3))
    title = _("Trace: {spans} spans, {services} services, {ms} ms").format(
        spans=len(trace.spans), services=len({s.service for s in trace.spans}),
        ms=f"{(t1 - t0) / 1e6:.1f}")
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), show_edge=False,
                  title=title, title_justify="left", title_style="bold")
    table.add_column(_("span"), no_wrap=True)
    table.add_column(_("service"), no_wrap=True, style="cyan")
    table.add_column(_("kind"), no_wrap=True, style="dim")
    axis_end = f"{(t1 - t0) / 1e6:.0f} ms"
    table.add_column("0" + axis_end.rjust(bar_w - 1), no_wrap=True, min_width=bar_w)
    for prefix, span, label, log_texts in rows:
        style = "red" if span.error else ""
        table.add_row(Text(prefix, style="dim") + Text(label, style=style), Text(printable(span.service, 40)),
                      kind_label(span.kind.name),
                      Text(waterfall(span, t0, t1, bar_w), style=style or "green"))
        for entry, text, log_style in log_texts:
            text.truncate(name_w, overflow="ellipsis")
            at = min(bar_w - 1, max(0, int((entry.time_ns - t0) * bar_w / max(1, t1 - t0))))
            table.add_row(text, "", _("log"), Text(" " * at + "•", style=log_style))
    return table


def short_title(service: str) -> str:
    """payment-service -> Payment: how the seed's suggestions name a service."""
    return service.removesuffix("-service").replace("-", " ").title()


def suggestion_line(g: Suggestion) -> str:
    """• Run Inventory and Payment in parallel: why: saves ~30 ms (--optimize parallel)."""
    services = [short_title(s) for s in g.services]
    headline = {
        "parallel": _("Run {a} and {b} in parallel"),
        "cache": _("Use a cache to cut database queries"),
        "async": _("Send notifications asynchronously ({c})"),
    }[g.kind].format(a=services[0], b=services[-1], c=services[0])
    reason = _(g.template).format(**dict(g.values))
    return _("• {headline}: {reason}: saves ~{ms} ms (--optimize {kind})").format(
        headline=headline, reason=reason, ms=f"{g.saving_ms:.0f}", kind=g.kind)


def shown_suggestions(report: Analysis) -> list[Suggestion]:
    """The ones worth a reader's time: a saving of under half a millisecond is not one."""
    return [g for g in report.suggestions if g.saving_ms >= 0.5]


def analysis_table(report: Analysis) -> Table:
    """The seed's 性能分析, computed: total, slowest step, where time goes, suggestions."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")  # CJK text has no spaces to wrap at
    grid.add_row(_("Total latency"), f"{report.total_ms:.1f} ms")
    slow = report.slowest_step
    grid.add_row(_("Slowest step"), f"{_service_title(slow.service)} ({slow.name}, "
                                    f"{slow.duration_ms:.1f} ms)")
    most = report.most_self_time
    grid.add_row(_("Most own work"), _("{span} ({service}): {ms} ms outside its children").format(
        span=most.name, service=most.service, ms=f"{most.self_ms:.1f}"))
    grid.add_row(_("Own work/service"),
                 ", ".join(f"{k} {v:.0f} ms" for k, v in report.services_ms.items()))
    grid.add_row(_("Critical path"), " → ".join(report.critical_path))
    if report.failure:
        f = report.failure
        text = _("the trace shows the failure at {span} ({service}): {message}").format(
            span=f.span, service=f.service, message=f.message)
        if f.detail:
            text += f"; {f.detail}"
        grid.add_row(Text(_("Failure"), style="bold red"), Text(text, style="red"))
    for i, g in enumerate(shown_suggestions(report)):
        grid.add_row(_("Suggestions") if i == 0 else "", suggestion_line(g))
    return grid


def _service_title(service: str) -> str:
    """payment-service -> Payment Service, as the seed names it."""
    return " ".join(w.capitalize() for w in service.split("-"))


def render(spans: Sequence[SpanRecord], console: Console, report: Analysis | None = None) -> Analysis:
    """Print the view and the analysis; return the analysis."""
    report = report or analyse(spans)
    console.print()
    console.print(trace_table(spans, width=console.width))
    console.print()
    console.print(Text(_("Performance analysis"), style="bold underline"))
    console.print(analysis_table(report))
    extent_ms = (max(s.end_ns for s in spans) - min(s.start_ns for s in spans)) / 1e6
    if extent_ms - report.total_ms >= 0.5:
        say(console, _("The trace lasts {extent} ms and the response {total} ms: work the response "
                       "did not wait for (an asynchronous step) ends after it.").format(
            extent=f"{extent_ms:.1f}", total=f"{report.total_ms:.1f}"), style="dim")
    return report


def render_linked(linked: Sequence[SpanRecord], spans: Sequence[SpanRecord], console: Console) -> None:
    """Spans of other traces that link to this one (the email worker's CONSUMER span)."""
    if not linked:
        return
    console.print()
    console.print(Text(_("Linked traces (follow the link in Jaeger)"), style="bold underline"))
    order_start = min(s.start_ns for s in spans)
    for span in linked:
        say(console, "  " + _("{span} ({ms}ms)  {service}  {kind}  trace {trace_id}, starts {after} ms "
                              "after the order").format(
            span=span.name, ms=f"{span.duration_ms:.0f}", service=span.service,
            kind=kind_label(span.kind.name), trace_id=f"{span.trace_id:032x}",
            after=f"{(span.start_ns - order_start) / 1e6:.0f}"))
