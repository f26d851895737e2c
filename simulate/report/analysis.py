"""Performance analysis computed from finished spans (the seed's "性能分析").

Pure functions over :class:`SpanRecord` (a minimal, SDK-independent span) so the
numbers can be checked on hand-built span sets: self time, per-service time, the
slowest step, the critical path, failure location, and suggestions derived from
the trace's structure (parallelise, cache, make asynchronous) with their savings.
:func:`analyse` gathers them in an :class:`Analysis`; ``to_dict`` is the --json schema.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from opentelemetry.trace import SpanKind

from ..i18n import N_, _
from .records import SpanRecord


class Trace:
    """One trace's spans, indexed as a tree.

    Built for any file ``show`` is given, so nothing here recurses (a trace may be
    thousands of spans deep) and a parent-id cycle cannot hide spans: each cycle is
    broken at its earliest span, which becomes a root and is listed in :attr:`cut`.
    """

    def __init__(self, spans: Sequence[SpanRecord]):
        self.spans = sorted(spans, key=lambda s: (s.start_ns, s.end_ns))
        self._by_id = {s.span_id: s for s in self.spans}
        self.roots = [s for s in self.spans if s.parent_id not in self._by_id]
        self._children: dict[int, list[SpanRecord]] = {}
        for s in self.spans:
            if s.parent_id in self._by_id:
                self._children.setdefault(s.parent_id, []).append(s)
        self.cut: dict[int, int] = {}  # span id -> the parent id it named, in a cycle
        self._break_cycles()

    def _break_cycles(self) -> None:
        reached = {s.span_id for root in self.roots for _, s in self.walk(root)}
        for span in self.spans:
            if span.span_id in reached:
                continue
            # Unreached: it hangs under a cycle.  Up its parents to the first span seen twice,
            # then cut that cycle at its earliest span.
            seen: dict[int, SpanRecord] = {}
            current = span
            while current.span_id not in seen:
                seen[current.span_id] = current
                current = self._by_id[current.parent_id]  # type: ignore[index]
            cycle = [current]
            while (above := self._by_id[cycle[-1].parent_id]) is not current:  # type: ignore[index]
                cycle.append(above)
            first = min(cycle, key=lambda s: (s.start_ns, s.end_ns))
            self._children[first.parent_id].remove(first)  # type: ignore[index]
            self.cut[first.span_id] = first.parent_id  # type: ignore[assignment]
            self.roots.append(first)
            reached.update(s.span_id for _, s in self.walk(first))

    @property
    def root(self) -> SpanRecord:
        return self.roots[0]

    def children(self, span: SpanRecord) -> list[SpanRecord]:
        return self._children.get(span.span_id, [])

    def walk(self, span: SpanRecord | None = None, depth: int = 0) -> Iterator[tuple[int, SpanRecord]]:
        """(depth, span) in depth-first order, iteratively."""
        stack = [(depth, span or self.root)]
        while stack:
            level, current = stack.pop()
            yield level, current
            stack.extend((level + 1, c) for c in reversed(self.children(current)))

    def parent(self, span: SpanRecord) -> SpanRecord | None:
        if span.span_id in self.cut:
            return None
        return self._by_id.get(span.parent_id) if span.parent_id is not None else None


def without_wire_hops(spans: Sequence[SpanRecord]) -> list[SpanRecord]:
    """The spans as the seed draws them: a CLIENT span whose one child is another service's
    SERVER (or PRODUCER) span is the wire between them (``--client-spans``); it is left out
    and its child hangs from the caller's span, so steps, paths and suggestions read the
    services' own spans whether or not the client side was traced."""
    children: dict[int, list[SpanRecord]] = {}
    for span in spans:
        if span.parent_id is not None:
            children.setdefault(span.parent_id, []).append(span)
    hops = {}
    for span in spans:
        kids = children.get(span.span_id, [])
        if span.kind == SpanKind.CLIENT and len(kids) == 1 and kids[0].service != span.service \
                and kids[0].kind in (SpanKind.SERVER, SpanKind.PRODUCER):
            hops[span.span_id] = span.parent_id
    if not hops:
        return list(spans)
    return [replace(s, parent_id=hops[s.parent_id]) if s.parent_id in hops else s
            for s in spans if s.span_id not in hops]


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
    from that child's start.  Handles overlapping (parallel) children.  Iterative:
    a span's critical children are pushed latest first, so the earliest comes out next.
    """
    path: list[SpanRecord] = []
    stack = [span or trace.root]
    while stack:
        current = stack.pop()
        path.append(current)
        cursor = current.end_ns
        for child in sorted(trace.children(current), key=lambda c: c.end_ns, reverse=True):
            if child.end_ns <= cursor and child.end_ns <= current.end_ns:
                stack.append(child)
                cursor = child.start_ns
    return path


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
    trace = Trace(without_wire_hops(spans))

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
