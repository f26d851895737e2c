"""A few whole traces out of a load run, kept with bounded memory, for the trace page.

A load run must not keep its spans (millions), but a page of the run wants a
handful of real traces to open: the slowest, the first of each outcome, one
typical.  :class:`TraceSamples` buffers the spans of traces in flight (at most
``max_traces``; the oldest is dropped beyond that) and decides when a trace's
local root ends: its first span started in this process whose parent is not.
Only requests are candidates (a SERVER root); a trace whose root links to a kept
one (a consumer of its message) is kept beside it.  Late spans of a kept trace
(work that ends after the response) are added as they end.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from .histogram import Histogram


@dataclass
class Sample:
    outcome: str  # e.g. "201", "402 PaymentDeclinedError"
    duration_ms: float
    spans: list[ReadableSpan]
    linked: list[list[ReadableSpan]] = field(default_factory=list)  # consumer traces


@dataclass
class _Pending:
    started: set[int] = field(default_factory=set)  # span ids started here
    spans: list[ReadableSpan] = field(default_factory=list)


def outcome_of(root: ReadableSpan) -> str:
    """The root's answer: HTTP status code and error.type, when it has them."""
    attrs = root.attributes or {}
    parts = [str(attrs[k]) for k in ("http.response.status_code", "error.type") if k in attrs]
    if not parts and root.status.status_code == StatusCode.ERROR:
        parts.append("error")
    return " ".join(parts) or "ok"


def _failed(root: ReadableSpan) -> bool:
    attrs = root.attributes or {}
    code = attrs.get("http.response.status_code")
    return root.status.status_code == StatusCode.ERROR or "error.type" in attrs or (
        isinstance(code, int) and code >= 400)


class TraceSamples(SpanProcessor):
    def __init__(self, max_traces: int = 1024, max_spans: int = 1000, max_outcomes: int = 16):
        self._max_traces, self._max_spans, self._max_outcomes = max_traces, max_spans, max_outcomes
        self._pending: OrderedDict[int, _Pending] = OrderedDict()
        # trace id -> the sample it went to (None: not kept); bounded, for late spans
        self._decided: OrderedDict[int, Sample | None] = OrderedDict()
        self.slowest: Sample | None = None
        self.typical: Sample | None = None
        self.by_outcome: dict[str, Sample] = {}
        self._ok_latency = Histogram()  # the median a typical trace is measured against
        self._lock = threading.Lock()

    def labelled(self) -> list[tuple[str, Sample]]:
        """Each kept trace once, with every reason it was kept: slowest, first of an
        outcome, typical."""
        with self._lock:
            found = [("slowest", self.slowest), *((f"first {outcome}", sample) for outcome, sample
                                                  in self.by_outcome.items()),
                     ("typical", self.typical)]
        merged: dict[int, tuple[list[str], Sample]] = {}
        for label, sample in found:
            if sample is not None:
                merged.setdefault(id(sample), ([], sample))[0].append(label)
        return [(", ".join(labels), sample) for labels, sample in merged.values()]

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        context = span.get_span_context()
        if context is None:
            return
        with self._lock:
            pending = self._pending.get(context.trace_id)
            if pending is None:
                if context.trace_id in self._decided:
                    return
                pending = self._pending[context.trace_id] = _Pending()
                if len(self._pending) > self._max_traces:
                    self._pending.popitem(last=False)  # bounded: the oldest trace goes
            pending.started.add(context.span_id)

    def on_end(self, span: ReadableSpan) -> None:
        context = span.get_span_context()
        if context is None:
            return
        with self._lock:
            if context.trace_id in self._decided:
                kept = self._decided[context.trace_id]
                if kept is not None and len(kept.spans) < self._max_spans:
                    kept.spans.append(span)
                return
            pending = self._pending.get(context.trace_id)
            if pending is None:
                return
            if len(pending.spans) < self._max_spans:
                pending.spans.append(span)
            if span.parent is None or span.parent.span_id not in pending.started:
                del self._pending[context.trace_id]
                self._remember(context.trace_id, self._decide(span, pending.spans))

    def _remember(self, trace_id: int, sample: Sample | None) -> None:
        self._decided[trace_id] = sample
        if len(self._decided) > self._max_traces:
            self._decided.popitem(last=False)

    def _decide(self, root: ReadableSpan, spans: list[ReadableSpan]) -> Sample | None:
        if root.kind != SpanKind.SERVER:
            return self._attach(root, spans)
        ms = ((root.end_time or 0) - (root.start_time or 0)) / 1e6
        outcome = outcome_of(root)
        sample, kept = Sample(outcome, ms, spans), False
        if self.slowest is None or ms > self.slowest.duration_ms:
            self.slowest, kept = sample, True
        if outcome not in self.by_outcome and len(self.by_outcome) < self._max_outcomes:
            self.by_outcome[outcome], kept = sample, True
        if not _failed(root):
            self._ok_latency.record(ms)
            median = self._ok_latency.quantile(0.5)
            if self.typical is None or abs(ms - median) < abs(self.typical.duration_ms - median):
                self.typical, kept = sample, True
        return sample if kept else None

    def _attach(self, root: ReadableSpan, spans: list[ReadableSpan]) -> Sample | None:
        """A trace that is not a request is kept only beside the kept trace it links to."""
        for link in root.links:
            target = self._decided.get(link.context.trace_id)
            if target is not None and len(target.linked) < 4:
                target.linked.append(spans)
                break
        return None  # its late spans are not followed: a linked trace is shown as it ended
