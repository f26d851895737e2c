"""Performance analysis computed from finished spans (the seed's "性能分析").

Pure functions over :class:`SpanRecord` (a minimal, SDK-independent span) so the
numbers can be checked on hand-built span sets: self time, per-service time, the
slowest step, the critical path, failure location, and suggestions derived from
the trace's structure (parallelise, cache, make asynchronous) with their savings.
:func:`analyse` gathers them in an :class:`Analysis`; ``to_dict`` is the --json schema.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanKind

from ..i18n import N_, _
from .records import SpanRecord


class Trace:
    """One trace's spans, indexed as a tree."""

    def __init__(self, spans: Sequence[SpanRecord]):
        self.spans = sorted(spans, key=lambda s: (s.start_ns, s.end_ns))
        ids = {s.span_id for s in self.spans}
        self.roots = [s for s in self.spans if s.parent_id not in ids]
        self._children: dict[int, list[SpanRecord]] = {}
        for s in self.spans:
            if s.parent_id in ids:
                self._children.setdefault(s.parent_id, []).append(s)

    @property
    def root(self) -> SpanRecord:
        return self.roots[0]

    def children(self, span: SpanRecord) -> list[SpanRecord]:
        return self._children.get(span.span_id, [])

    def walk(self, span: SpanRecord | None = None, depth: int = 0) -> Iterator[tuple[int, SpanRecord]]:
        span = span or self.root
        yield depth, span
        for child in self.children(span):
            yield from self.walk(child, depth + 1)

    def parent(self, span: SpanRecord) -> SpanRecord | None:
        return next((s for s in self.spans if s.span_id == span.parent_id), None)


def union_ns(intervals: Iterable[tuple[int, int]]) -> int:
    """Total length covered by possibly overlapping intervals."""
    total, end = 0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif end is not None and b > end:
            total += b - end
            end = b
    return total


def self_time_ms(trace: Trace, span: SpanRecord) -> float:
    """Duration minus the union of the children's time inside this span."""
    inside = [(max(c.start_ns, span.start_ns), min(c.end_ns, span.end_ns))
              for c in trace.children(span)]
    return (span.end_ns - span.start_ns - union_ns((a, b) for a, b in inside if b > a)) / 1e6


def per_service_ms(trace: Trace) -> dict[str, float]:
    """Self time summed per service: where the time was really spent."""
    totals: dict[str, float] = {}
    for s in trace.spans:
        totals[s.service] = totals.get(s.service, 0.0) + self_time_ms(trace, s)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def steps(trace: Trace) -> list[SpanRecord]:
    """The steps of the request: the children of the first span (from the root down
    through single-child wrappers) that fans out to several children."""
    span = trace.root
    while len(trace.children(span)) == 1:
        span = trace.children(span)[0]
    return trace.children(span) or [span]


def critical_path(trace: Trace, span: SpanRecord | None = None) -> list[SpanRecord]:
    """Spans whose time the response waited on, in time order.

    From the span's end, walk back: the child that ended last (and not after the
    span itself: work nobody waited for is not critical) is critical; continue
    from that child's start.  Handles overlapping (parallel) children.
    """
    span = span or trace.root
    path: list[SpanRecord] = []
    cursor = span.end_ns
    for child in sorted(trace.children(span), key=lambda c: c.end_ns, reverse=True):
        if child.end_ns <= cursor and child.end_ns <= span.end_ns:
            path = critical_path(trace, child) + path
            cursor = child.start_ns
    return [span] + path


@dataclass(frozen=True)
class Suggestion:
    kind: str  # parallel | cache | async: also the --optimize switch that applies it
    spans: tuple[str, ...]
    saving_ms: float
    template: str  # the reason in English with {placeholders}: translated where it is shown
    values: tuple[tuple[str, str], ...] = ()

    @property
    def reason(self) -> str:
        """The reason in English (the --json schema's ``reason``)."""
        return self.template.format(**dict(self.values))

    @property
    def services(self) -> tuple[str, ...]:
        """The services the suggestion is about, in order."""
        return tuple(v for k, v in self.values if k.startswith("service"))


def _is_remote_call(trace: Trace, span: SpanRecord) -> bool:
    parent = trace.parent(span)
    return span.kind in (SpanKind.SERVER, SpanKind.CONSUMER) and parent is not None \
        and parent.service != span.service


def suggestions(trace: Trace) -> list[Suggestion]:
    found: list[Suggestion] = []
    on_path = {s.span_id for s in critical_path(trace)}
    for span in trace.spans:
        kids = trace.children(span)
        # 1. Consecutive calls to different services, one after the other, that read
        #    nothing from each other (checks before the commit step): run them together.
        calls = [c for c in kids if _is_remote_call(trace, c)]
        for a, b in zip(calls, calls[1:]):
            between = [c for c in kids if a.end_ns <= c.start_ns < b.start_ns]
            if a.service != b.service and a.end_ns <= b.start_ns and not between:
                found.append(Suggestion(
                    "parallel", (a.name, b.name), min(a.duration_ms, b.duration_ms),
                    N_("{span_a} ({service_a}) and {span_b} ({service_b}) run one after the "
                       "other and neither uses the other's result"),
                    (("span_a", a.name), ("service_a", a.service), ("span_b", b.name),
                     ("service_b", b.service))))
        # 3. Fire-and-forget work on the critical path that the response waits for anyway.
        for c in kids:
            if c.kind == SpanKind.PRODUCER and c.span_id in on_path and c.end_ns <= span.end_ns \
                    and not any(k.start_ns >= c.end_ns for k in kids):
                found.append(Suggestion(
                    "async", (c.name,), c.duration_ms,
                    N_("{span} ({service}) publishes a message nothing after it waits for"),
                    (("span", c.name), ("service", c.service))))
    # 2. Reads a cache could serve; the saving counts only where the response waits on them.
    for s in trace.spans:
        if s.kind == SpanKind.CLIENT and s.attributes.get("db.operation.name") == "SELECT":
            parent = trace.parent(s)
            saving = s.duration_ms if s.span_id in on_path else 0.0
            found.append(Suggestion(
                "cache", ((parent.name if parent else "?"), s.name), saving,
                N_("{span} reads {table} on every request") if saving else
                N_("{span} reads {table} on every request (not on the critical path: no saving on "
                   "the response)"),
                (("span", s.name), ("service", s.service),
                 ("table", str(s.attributes.get("db.collection.name", "data"))))))
    return found


@dataclass(frozen=True)
class Failure:
    span: str
    service: str
    message: str
    detail: str  # e.g. the failing span's own failing call (the gateway's answer)
    # the same calls as data, (span, status code, message), for a sentence in any language
    answers: tuple[tuple[str, str, str], ...] = ()

    def detail_text(self) -> str:
        """The failing calls in the reader's words ("authorize-payment answered 402: ...")."""
        return _("; ").join(
            _("{span} answered {code}: {message}").format(span=span, code=code, message=message)
            if code else _("{span} failed: {message}").format(span=span, message=message)
            for span, code, message in self.answers) or self.detail


def failure(trace: Trace) -> Failure | None:
    """Where the order failed: the first span that raised an error (its origin)."""
    raised = [s for s in trace.spans if s.error and s.raised]
    if not raised:
        return None
    origin = min(raised, key=lambda s: (s.end_ns, -len(list(trace.walk(s)))))
    failing_calls = [c for c in trace.children(origin) if c.error]
    answers = tuple((c.name, str(c.attributes.get("http.response.status_code", "")), c.message)
                    for c in failing_calls)
    detail = "; ".join(f"{name} answered {code} {message}".strip() for name, code, message in answers)
    return Failure(origin.name, origin.service, origin.message, detail, answers)


@dataclass(frozen=True)
class SpanRow:
    name: str
    service: str
    kind: str  # SpanKind name
    depth: int
    duration_ms: float
    self_ms: float
    error: bool


@dataclass(frozen=True)
class Analysis:
    """Everything above for one trace."""

    trace_id: str | None
    total_ms: float
    spans: tuple[SpanRow, ...]  # tree order
    services_ms: dict[str, float]  # own work per service, largest first
    slowest_step: SpanRow
    most_self_time: SpanRow
    critical_path: tuple[str, ...]
    suggestions: tuple[Suggestion, ...]
    failure: Failure | None

    def saving_ms(self, switches: Iterable[str]) -> float:
        """What the suggestions promise for these --optimize switches, added up."""
        chosen = set(switches)
        return sum(g.saving_ms for g in self.suggestions if g.kind in chosen)

    def to_dict(self) -> dict[str, Any]:
        """The --json schema."""
        return {
            "trace_id": self.trace_id,
            "total_ms": round(self.total_ms, 3),
            "spans": [{"name": r.name, "service": r.service, "kind": r.kind, "depth": r.depth,
                       "duration_ms": round(r.duration_ms, 3), "self_ms": round(r.self_ms, 3),
                       "error": r.error} for r in self.spans],
            "services_ms": {k: round(v, 3) for k, v in self.services_ms.items()},
            "slowest_step": {"name": self.slowest_step.name, "service": self.slowest_step.service,
                             "duration_ms": round(self.slowest_step.duration_ms, 3)},
            "most_self_time": {"name": self.most_self_time.name,
                               "service": self.most_self_time.service,
                               "self_ms": round(self.most_self_time.self_ms, 3)},
            "critical_path": list(self.critical_path),
            "suggestions": [{"kind": g.kind, "optimize": g.kind, "spans": list(g.spans),
                             "saving_ms": round(g.saving_ms, 3), "reason": g.reason}
                            for g in self.suggestions],
            "failure": None if self.failure is None else {
                "span": self.failure.span, "service": self.failure.service,
                "message": self.failure.message, "detail": self.failure.detail},
        }


def analyse(spans: Sequence[SpanRecord], trace_id: str | None = None) -> Analysis:
    trace = Trace(spans)

    def row(span: SpanRecord, depth: int = 0) -> SpanRow:
        return SpanRow(span.name, span.service, span.kind.name, depth, span.duration_ms,
                       self_time_ms(trace, span), span.error)

    slowest = max(steps(trace), key=lambda s: s.duration_ms)
    most_self = max(trace.spans, key=lambda s: self_time_ms(trace, s))
    return Analysis(
        trace_id=trace_id, total_ms=trace.root.duration_ms,
        spans=tuple(row(s, depth) for depth, s in trace.walk()),
        services_ms=per_service_ms(trace), slowest_step=row(slowest), most_self_time=row(most_self),
        critical_path=tuple(s.name for s in critical_path(trace)),
        suggestions=tuple(suggestions(trace)), failure=failure(trace))
