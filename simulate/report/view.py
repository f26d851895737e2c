"""The trace view in the terminal: Jaeger's tree and timeline, from finished spans.

Rendered from what was actually recorded (never from the profile): each span's
name and duration in the seed's tree shape, its service, kind and status, and a
waterfall bar on a time axis shared by the whole trace.  Then the performance
analysis.  rich drops colours by itself when stdout is not a terminal.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.text import Text

from ..i18n import _
from ..safe_text import printable
from .analysis import Analysis, Suggestion, Trace, analyse
from .cells import cell_len, pad, wrap_text
from .records import SpanRecord
from .signals import LogEntry
from .terminal import say


def _prefixes(trace: Trace) -> list[tuple[str, str, SpanRecord]]:
    """Tree guides in the seed's style: ├─ for a middle child, └─ for the last; and the
    guide that runs on under the span (its children's │), for a second line.  A stack, not
    recursion: a trace from a file may be thousands of spans deep."""
    rows: list[tuple[str, str, SpanRecord]] = []
    stack = [(root, "", True, True) for root in reversed(trace.roots)]
    while stack:
        span, lead, last, top = stack.pop()
        kids = trace.children(span)
        child_lead = "" if top else lead + ("   " if last else "│  ")
        under = child_lead + ("│  " if kids else "   ")
        rows.append(("" if top else lead + ("└─ " if last else "├─ "), under, span))
        stack += [(child, child_lead, i == len(kids) - 1, False)
                  for i, child in reversed(list(enumerate(kids)))]
    return rows


def waterfall(span: SpanRecord, t0: int, t1: int, width: int) -> str:
    """The span's place on the trace's time axis, at most ``width`` cells (no trailing blanks)."""
    scale = width / max(1, t1 - t0)
    start = min(width - 1, int((span.start_ns - t0) * scale))
    end = max(start + 1, min(width, round((span.end_ns - t0) * scale)))
    return " " * start + "█" * (end - start)


def kind_label(kind: str) -> str:
    """SERVER -> server in English; the seed's and Jaeger's SERVER in Chinese."""
    return {"SERVER": _("server"), "CLIENT": _("client"), "INTERNAL": _("internal"),
            "PRODUCER": _("producer"), "CONSUMER": _("consumer")}.get(kind, kind.lower())


MIN_BAR = 10  # narrower than this, a waterfall says nothing
_SEVERITY_STYLES = {"ERROR": "red", "FATAL": "red", "WARN": "yellow"}


def styled(*parts: tuple[str, str]) -> Text:
    """Pieces each in its own style (``Text(a, style=s) + b`` would give all of it ``s``)."""
    line = Text()
    for text, style in parts:
        line.append(text, style=style)
    return line


def _cells(*parts: tuple[str, int, str]) -> Text:
    """(text, width, style) columns side by side, one blank apart, trailing blanks cut."""
    line = Text()
    for i, (text, width, style) in enumerate(parts):
        line.append(pad(text, width) if i < len(parts) - 1 else text, style=style)
        if i < len(parts) - 1:
            line.append(" ")
    line.rstrip()
    return line


def trace_table(spans: Sequence[SpanRecord], width: int = 80,
                logs: Mapping[int, Sequence[LogEntry]] | None = None) -> list[Text]:
    """The tree, each span's service and kind, and a waterfall that takes the cells left.
    Every width is counted in terminal cells; no name is ever cut.  When a row does not
    fit ``width`` with a useful waterfall, each span takes two lines: the tree, then its
    service, kind and bar under it.  ``logs`` (span id -> its log records, e.g.
    ``signals.by_span``) puts each span's records under it, cut to fit, with a dot on the
    time axis where each was written."""
    trace = Trace(spans)
    t0 = min(s.start_ns for s in trace.spans)
    t1 = max(s.end_ns for s in trace.spans)
    # names and services may come from a file or a receiver: escaped for the terminal
    rows = [(prefix, lead, span, f"{printable(span.name, 80)} ({span.duration_ms:.0f}ms)"
             f"{' ✗' if span.error else ''}") for prefix, lead, span in _prefixes(trace)]
    heads = (_("span"), _("service"), _("kind"))
    name_w = max(cell_len(heads[0]), *(cell_len(p + label) for p, _l, _s, label in rows))
    service_w = max(cell_len(heads[1]), *(cell_len(printable(s.service, 40)) for s in trace.spans))
    kind_w = max(cell_len(heads[2]), cell_len(_("log")) if logs else 0,
                 *(cell_len(kind_label(s.kind.name)) for s in trace.spans))
    if logs:  # log lines may widen the span column, as long as the time axis keeps MIN_BAR
        longest = max((cell_len(lead) + 2 + cell_len(printable(f"{e.severity} {e.body}"))
                       for _p, lead, span, _l in rows for e in logs.get(span.span_id, ())), default=0)
        name_w = max(name_w, min(longest, width - service_w - kind_w - 3 - MIN_BAR))
    wide = width - name_w - service_w - kind_w - 3 >= MIN_BAR
    guide_w = 0 if wide else max(cell_len(lead) for _p, lead, _s, _l in rows)
    left_w = name_w if wide else guide_w
    bar_w = max(MIN_BAR, min(60, width - left_w - service_w - kind_w - 3))
    axis_end = f"{(t1 - t0) / 1e6:.0f} ms"
    axis = "0" + axis_end.rjust(bar_w - 1)
    services = len({s.service for s in trace.spans})
    title = (_("Trace: 1 span, 1 service, {ms} ms") if len(trace.spans) == 1 else
             _("Trace: {spans} spans, 1 service, {ms} ms") if services == 1 else
             _("Trace: {spans} spans, {services} services, {ms} ms"))
    lines = [Text(title.format(spans=len(trace.spans), services=services, ms=f"{(t1 - t0) / 1e6:.1f}"),
                  style="bold")]
    if not wide:
        lines.append(Text(heads[0], style="bold"))
    lines.append(_cells((heads[0] if wide else "", left_w, "bold"), (heads[1], service_w, "bold"),
                        (heads[2], kind_w, "bold"), (axis, bar_w, "bold")))
    for prefix, lead, span, label in rows:
        style = "red" if span.error else ""
        tree = styled((prefix, "dim"), (label, style))
        details = ((printable(span.service, 40), service_w, "cyan"),
                   (kind_label(span.kind.name), kind_w, "dim"),
                   (waterfall(span, t0, t1, bar_w), bar_w, style or "green"))
        if wide:
            lines.append(tree + Text(" " * (name_w - tree.cell_len + 1)) + _cells(*details))
        else:
            lines += [tree, _cells((lead, guide_w, "dim"), *details)]
        for entry in (logs or {}).get(span.span_id, ()):
            lines.append(_log_line(entry, lead, (t0, t1), (name_w if wide else width, bar_w, wide),
                                   (service_w, kind_w)))
    return lines


def _log_line(entry: LogEntry, lead: str, span_of: tuple[int, int], fit: tuple[int, int, bool],
              columns: tuple[int, int]) -> Text:
    """A log record under its span: its severity and body (cut to fit) and, when the row is
    wide, a dot on the time axis where it was written."""
    (t0, t1), (room, bar_w, wide), (service_w, kind_w) = span_of, fit, columns
    style = _SEVERITY_STYLES.get(entry.severity.upper(), "dim")
    text = styled((lead + "· ", "dim"), (printable(f"{entry.severity} {entry.body}"), style))
    text.truncate(room, overflow="ellipsis")
    if not wide:
        return text
    at = min(bar_w - 1, max(0, int((entry.time_ns - t0) * bar_w / max(1, t1 - t0))))
    return text + Text(" " * (room - text.cell_len + 1)) + _cells(
        ("", service_w, ""), (_("log"), kind_w, "dim"), (" " * at + "•", bar_w, style))


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


def analysis_lines(report: Analysis, width: int = 80) -> list[Text]:
    """The seed's 性能分析, computed: total, slowest step, where time goes, suggestions;
    a label column, then each value wrapped in the cells left (CJK counted as two)."""
    slow, most = report.slowest_step, report.most_self_time
    rows: list[tuple[str, str, str]] = [
        (_("Total latency"), f"{report.total_ms:.1f} ms", ""),
        (_("Slowest step"), f"{_service_title(slow.service)} ({slow.name}, {slow.duration_ms:.1f} ms)", ""),
        (_("Most own work"), _("{span} ({service}): {ms} ms outside its children").format(
            span=most.name, service=most.service, ms=f"{most.self_ms:.1f}"), ""),
        (_("Own work/service"), _(", ").join(f"{k} {v:.0f} ms" for k, v in report.services_ms.items()), ""),
        (_("Critical path"), " → ".join(report.critical_path), ""),
    ]
    if report.failure:
        f = report.failure
        text = _("the trace shows the failure at {span} ({service}): {message}").format(
            span=f.span, service=f.service, message=f.message)
        if f.detail:
            text += _("; ") + f.detail_text()
        rows.append((_("Failure"), text, "red"))
    rows += [(_("Suggestions") if i == 0 else "", suggestion_line(g), "bullet")
             for i, g in enumerate(shown_suggestions(report))]
    label_w = max(cell_len(label) for label, _v, _s in rows)
    margin = " " * (label_w + 1)
    lines: list[Text] = []
    for label, value, style in rows:
        hang = "  " if style == "bullet" else ""
        wrapped = wrap_text(Text(value, style="red" if style == "red" else ""),
                            max(MIN_BAR, width - label_w - 1), hang)
        head = styled((pad(label, label_w) + " ", "bold red" if style == "red" else "bold"))
        lines.append(head + wrapped[0])
        lines += [Text(margin) + line for line in wrapped[1:]]
    for line in lines:
        line.rstrip()
    return lines


def _service_title(service: str) -> str:
    """payment-service -> Payment Service, as the seed names it."""
    return " ".join(w.capitalize() for w in service.split("-"))


def render(spans: Sequence[SpanRecord], console: Console, report: Analysis | None = None) -> Analysis:
    """Print the view and the analysis; return the analysis."""
    report = report or analyse(spans)
    console.print()
    print_lines(console, trace_table(spans, width=console.width))
    console.print()
    console.print(Text(_("Performance analysis"), style="bold underline"))
    print_lines(console, analysis_lines(report, width=console.width))
    extent_ms = (max(s.end_ns for s in spans) - min(s.start_ns for s in spans)) / 1e6
    if extent_ms - report.total_ms >= 0.5:
        say(console, _("The trace lasts {extent} ms and the response {total} ms: work the response "
                       "did not wait for (an asynchronous step) ends after it.").format(
            extent=f"{extent_ms:.1f}", total=f"{report.total_ms:.1f}"), style="dim")
    return report


def print_lines(console: Console, lines: Sequence[Text]) -> None:
    """Lines already fitted to the console: printed as they are, never cut again."""
    for line in lines:
        console.print(line, soft_wrap=True)


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
            after=f"{(span.start_ns - order_start) / 1e6:.0f}"), indent="    ")
