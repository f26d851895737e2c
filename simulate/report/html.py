"""The trace page: one self-contained HTML file drawn from SpanRecords, for any browser.

Python gathers the data (the records of each trace, its analysis, the log lines,
the compare table, a load run's summary and histograms) and embeds it as JSON in
``<script type="application/json">``; ``page/viewer.js`` draws it with plain DOM
calls (``textContent``, never ``innerHTML``), so span data is always text.  CSS and
JavaScript are package files inlined into the page: no CDN, no request of any
kind (a Content-Security-Policy forbids them), and it works from ``file://``.
"""
from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from ..i18n import _, current_tag
from ..tracing.histogram import Histogram
from ..world.log import LogLine
from .analysis import Analysis, Trace, analyse, critical_path
from .page_words import NOSCRIPT, page_words
from .records import SpanRecord
from .signals import LogEntry, MetricSeries
from .view import shown_suggestions, suggestion_line

ASSETS = ("viewer.js", "panels.js")
# No request of any kind: the page works from file://, offline.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _hex(value: int | None, width: int) -> str | None:
    return None if value is None else f"{value:0{width}x}"


# A value longer than this is cut for display, its full length stated: a file's 1 MB
# attribute would otherwise make the page too heavy for a browser to lay out.
DISPLAY_CHARS = 4_000


def cut(text: str, limit: int = DISPLAY_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (cut for display: {len(text):,} characters in all)"


def _clean(value: Any) -> Any:
    """JSON holds no NaN or infinity: such attribute values become text; long text is cut."""
    if isinstance(value, str):
        return cut(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return value


def _pairs(attributes: dict[str, Any]) -> list[list[Any]]:
    """Key/value pairs in the order they were set: pairs, not an object, because a key may
    be any string, even ``__proto__``, which a JavaScript object would not keep as data."""
    return [[k, _clean(v)] for k, v in attributes.items()]


def _iso(ns: int) -> str:
    stamp = datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)
    return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")


class Page:
    """What one page shows.  ``add_trace`` returns the trace id to put in views."""

    def __init__(self, title: str, subtitle: str = ""):
        self.title, self.subtitle = title, subtitle
        self._traces: dict[str, dict[str, Any]] = {}
        self._resources: dict[str, int] = {}
        self.views: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []
        self.compare: dict[str, Any] | None = None
        self.load: dict[str, Any] | None = None
        self._starts: dict[str, int] = {}  # trace id -> its first span's start (ns)
        self._records: list[LogEntry] = []
        self.metrics: list[dict[str, Any]] = []

    def _resource(self, attributes: dict[str, Any]) -> int:
        """Resources are shared by many spans: stored once, referenced by index."""
        key = json.dumps(_pairs(attributes), default=str)
        return self._resources.setdefault(key, len(self._resources))

    def add_trace(self, spans: Sequence[SpanRecord], title: str = "",
                  problems: Sequence[str] = ()) -> str:
        """``problems``: what the page must say it could not show as it was (``show``'s file)."""
        t0 = min(s.start_ns for s in spans)
        trace_id = _hex(spans[0].trace_id, 32) or ""
        if trace_id in self._traces:
            return trace_id
        tree = Trace(spans)
        analysis = analyse(spans, trace_id) if tree.roots else None

        def us(ns: int) -> float:
            return round((ns - t0) / 1000, 3)

        if not title and tree.roots:
            title = cut(f"{tree.root.name} ({tree.root.service})", 300)
        self._starts[trace_id] = t0
        if tree.cut:
            problems = [*problems, f"{len(tree.cut)} parent-id cycle(s) broken: the spans marked "
                                   f"\u21ba are drawn as roots (their parent is named in their details)"]
        self._traces[trace_id] = {
            "id": trace_id, "title": title,
            "start": _iso(t0),
            "analysis": page_analysis(analysis) if analysis else None,
            "critical": [_hex(s.span_id, 16) for s in critical_path(tree)] if tree.roots else [],
            "problems": list(problems),
            "spans": [{
                # A span cut from a parent-id cycle is drawn as a root, marked with that parent.
                "id": _hex(s.span_id, 16),
                "parent": None if s.span_id in tree.cut else _hex(s.parent_id, 16),
                "cycleParent": _hex(tree.cut.get(s.span_id), 16), "name": cut(s.name, 500),
                "service": cut(s.service, 200), "kind": s.kind.name, "start": us(s.start_ns),
                "dur": round((s.end_ns - s.start_ns) / 1000, 3), "status": s.status,
                "statusMessage": cut(s.status_message), "scope": cut(s.scope, 200),
                "attrs": _pairs(s.attributes), "res": self._resource(s.resource),
                "events": [{"name": cut(e.name, 500), "t": us(e.time_ns), "attrs": _pairs(e.attributes)}
                           for e in s.events],
                "links": [{"trace": _hex(link.trace_id, 32), "span": _hex(link.span_id, 16),
                           "attrs": _pairs(link.attributes)} for link in s.links],
            } for s in tree.spans]}
        return trace_id

    def trace_title(self, trace_id: str) -> str:
        return str(self._traces[trace_id]["title"])

    def add_view(self, title: str, trace_ids: Sequence[str], note: str = "") -> None:
        self.views.append({"title": title, "traces": list(trace_ids), "note": note})

    def add_log(self, lines: Iterable[LogLine], group: str = "") -> None:
        for line in lines:
            context = line.span_context
            self.log.append({"text": line.text, "icon": line.icon, "detail": line.detail,
                             "group": group,
                             "trace": _hex(context.trace_id, 32) if context else None,
                             "span": _hex(context.span_id, 16) if context else None})

    def set_load(self, summary: dict[str, Any], latencies: Mapping[str, Histogram]) -> None:
        self.load = {"summary": summary, "histograms": {
            name: [[round(lo, 4), round(hi, 4), n] for lo, hi, n in h.buckets()]
            for name, h in latencies.items()}}

    def add_log_records(self, entries: Iterable[LogEntry]) -> None:
        """OTLP log records: each is listed with its span (those of traces not on the page
        are left out when the page is drawn)."""
        self._records.extend(entries)

    def set_metrics(self, series: Iterable[MetricSeries]) -> None:
        """Metric series for the metrics section: histograms drawn, values in a table."""
        self.metrics = [{
            "name": m.name, "unit": m.unit, "kind": m.kind, "service": m.service,
            "attrs": _pairs(m.attributes), "value": m.value,
            "hist": None if m.histogram is None else {
                "bounds": list(m.histogram.bounds), "counts": list(m.histogram.counts),
                "count": m.histogram.count, "sum": m.histogram.sum},
            "exemplars": [{"trace": _hex(e.trace_id, 32), "span": _hex(e.span_id, 16),
                           "value": e.value} for e in m.exemplars if e.trace_id],
        } for m in series]

    def _record_data(self) -> list[dict[str, Any]]:
        records = []
        for entry in sorted(self._records, key=lambda e: e.time_ns):
            trace_id = _hex(entry.trace_id, 32) or ""
            if entry.span_id and trace_id in self._starts:
                records.append({
                    "trace": trace_id, "span": _hex(entry.span_id, 16),
                    "t": round((entry.time_ns - self._starts[trace_id]) / 1000, 3),
                    "severity": entry.severity, "body": _clean(entry.body),
                    "event": entry.event_name, "attrs": _pairs(entry.attributes)})
        return records

    def data(self) -> dict[str, Any]:
        return {"title": self.title, "subtitle": self.subtitle,
                "traces": list(self._traces.values()), "views": self.views,
                "resources": [json.loads(key) for key in self._resources],
                "log": self.log, "compare": self.compare, "load": self.load,
                "records": self._record_data(), "metrics": self.metrics}

    def html(self) -> str:
        return render(self.data(), self.title)


def page_analysis(analysis: Analysis) -> dict[str, Any]:
    """The --json analysis, with what the page says in the reader's words: each suggestion
    as the terminal says it, and the failing calls as data for a sentence."""
    data = analysis.to_dict()
    shown = {id(g) for g in shown_suggestions(analysis)}
    data["suggestions"] = [{**d, "said": suggestion_line(g).removeprefix("• ")}
                           for d, g in zip(data["suggestions"], analysis.suggestions) if id(g) in shown]
    if analysis.failure is not None:
        data["failure"]["answers"] = [list(answer) for answer in analysis.failure.answers]
    return data


def embed_json(data: Any) -> str:
    """JSON that cannot end its <script> element: ``</script>``, ``<!--`` and the like are
    written with ``\\u003c`` (the same string to JSON.parse), whatever span data holds."""
    text = json.dumps(_clean(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("page", name).read_text(encoding="utf-8")


def render(data: dict[str, Any], title: str, csp: str = CSP, scripts: Sequence[str] = ASSETS,
           styles: Sequence[str] = ("viewer.css",)) -> str:
    """The page: the styles, the scripts and the data inlined, under ``csp``."""
    data = {**data, "words": page_words()}  # the page's own words, in the reader's language
    parts = {"title": html.escape(title), "csp": csp,  # ours: no quote to escape
             "lang": current_tag(), "noscript": html.escape(_(NOSCRIPT)),
             "css": "\n".join(_asset(name) for name in styles),
             "js": "\n".join(_asset(name) for name in scripts), "data": embed_json(data)}
    # One pass over the template only: inserted text is never searched for placeholders.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("page.html"))
