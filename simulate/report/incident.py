"""The incident diagnosis: which fault of the catalogue the spans show, from the spans alone.

No span names a fault (the world makes them: world/scenarios.py), so each one is
known by its shape, as an engineer reading the trace would know it: a query far
slower than its typical duration, a wait before a query starts, repeated calls
after an error, a call that got no answer, a failed publish under a request that
succeeded, a consumer that started long after its producer, a row of identical
queries.  Typical durations are the latency profile's.  The same code reads a
run's own spans and any OTLP/JSON file (``show FILE``); thresholds sit far above
what ``--jitter`` can produce, so a healthy run is never diagnosed.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.semconv.attributes.db_attributes import DB_QUERY_SUMMARY, DB_QUERY_TEXT, DB_SYSTEM_NAME
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE
from opentelemetry.trace import SpanKind

from ..i18n import N_, _
from ..world import attributes as attr
from ..world.profile import SEED_PROFILE
from .analysis import Trace
from .records import SpanRecord, by_trace

TYPICAL_MS = {step.span_name: step.duration_ms for step in SEED_PROFILE.steps.values()}
TYPICAL_LEAD_MS = {step.span_name: step.lead_ms for step in SEED_PROFILE.steps.values()
                   if step.children}

SLOW_FACTOR = 10.0  # a span this many times its typical duration (and SLOW_MS more) is slow
SLOW_MS = 100.0
WAIT_MS = 30.0  # a wait before the first child beyond 6x the typical lead and this much more
LAG_MS = 1000.0  # a consumer that starts this long after its producer ended lags
REPEATED_QUERIES = 5  # this many identical statements under one span: the N+1 shape
SHOWN = 5  # evidence entries kept, worst first


@dataclass(frozen=True)
class Evidence:
    span: SpanRecord
    template: str  # English with {placeholders}; translated where shown
    values: tuple[tuple[str, Any], ...]
    ms: float  # what was measured (a duration, a wait, a gap)
    typical_ms: float | None = None  # the profile's value to compare it with

    @property
    def text(self) -> str:
        return _(self.template).format(**dict(self.values))

    def to_dict(self) -> dict[str, Any]:
        return {"span": self.span.name, "service": self.span.service,
                "span_id": f"{self.span.span_id:016x}", "trace_id": f"{self.span.trace_id:032x}",
                "ms": round(self.ms, 3),
                "typical_ms": None if self.typical_ms is None else round(self.typical_ms, 3),
                "what": self.template.format(**dict(self.values))}


@dataclass(frozen=True)
class Diagnosis:
    fault: str  # a catalogue name, or "none"
    service: str | None
    evidence: tuple[Evidence, ...] = ()
    found: int = 0  # how many spans showed it (evidence keeps the worst few)
    also: tuple[str, ...] = ()  # other faults seen at the same time, as SERVICE:FAULT

    @property
    def answer(self) -> str:
        """``SERVICE:FAULT``, the drill's answer format; ``none`` when nothing is wrong."""
        return f"{self.service}:{self.fault}" if self.service else "none"

    def to_dict(self) -> dict[str, Any]:
        """The ``diagnosis`` of ``--json`` and ``show FILE --json``."""
        return {"fault": self.fault, "service": self.service,
                "evidence": [e.to_dict() for e in self.evidence], "found": self.found,
                "also": list(self.also)}


HEALTHY = Diagnosis("none", None)


def _ms(ns: int) -> float:
    return ns / 1e6


def _no_answer(trace: Trace) -> list[Evidence]:
    """A call to the payment gateway that failed without any HTTP answer, after far longer
    than an answer takes."""
    typical = TYPICAL_MS["authorize-payment"]
    return [Evidence(s, N_("{span} got no answer after {ms:.0f} ms (an answer takes {typical:.0f} "
                           "ms); {tries} tries under {parent}"),
                     (("span", s.name), ("ms", s.duration_ms), ("typical", typical),
                      ("tries", _siblings(trace, s)), ("parent", _parent_name(trace, s))),
                     s.duration_ms, typical)
            for s in trace.spans if s.name == "authorize-payment" and s.error
            and HTTP_RESPONSE_STATUS_CODE not in s.attributes
            and s.duration_ms > SLOW_FACTOR * typical]


def _declined(trace: Trace) -> list[Evidence]:
    return [Evidence(s, N_("{span} answered HTTP {status}, decline code {code}"),
                     (("span", s.name), ("status", s.attributes[HTTP_RESPONSE_STATUS_CODE]),
                      ("code", s.attributes.get(attr.PAYMENT_GATEWAY_RESPONSE_CODE, "?"))),
                     s.duration_ms, TYPICAL_MS.get(s.name))
            for s in trace.spans if s.name == "authorize-payment"
            and s.attributes.get(HTTP_RESPONSE_STATUS_CODE) == 402]


def _out_of_stock(trace: Trace) -> list[Evidence]:
    return [Evidence(s, N_("{span} read {available} in stock for {requested} requested and failed"),
                     (("span", s.name), ("available", s.attributes[attr.INVENTORY_AVAILABLE]),
                      ("requested", s.attributes.get(attr.INVENTORY_QUANTITY, "?"))),
                     s.duration_ms, TYPICAL_MS.get(s.name))
            for s in trace.spans if s.name == "check-inventory" and s.error
            and s.attributes.get(attr.INVENTORY_AVAILABLE, 1) < s.attributes.get(attr.INVENTORY_QUANTITY, 1)]


def _retried(trace: Trace) -> list[Evidence]:
    """A call made again under the same parent after a failed try."""
    found = []
    for parent in trace.spans:
        calls = [c for c in trace.children(parent) if c.name == "check-inventory"]
        failed = [c for c in calls[:-1] if c.error]
        if len(calls) > 1 and failed:
            found.append(Evidence(failed[0], N_("{span} was called {calls} times under {parent}; "
                                                "{failed} failed with: {message}"),
                                  (("span", failed[0].name), ("calls", len(calls)),
                                   ("parent", parent.name), ("failed", len(failed)),
                                   ("message", failed[0].message)),
                                  _ms(calls[-1].end_ns - calls[0].start_ns),
                                  TYPICAL_MS.get(failed[0].name)))
    return found


def _lost_message(trace: Trace) -> list[Evidence]:
    status = trace.root.attributes.get(HTTP_RESPONSE_STATUS_CODE)
    if not isinstance(status, int) or status >= 400:
        return []
    return [Evidence(s, N_("{span} failed ({message}) while the request answered {status}"),
                     (("span", s.name), ("message", s.message), ("status", status)),
                     s.duration_ms, TYPICAL_MS.get(s.name))
            for s in trace.spans if s.kind == SpanKind.PRODUCER and s.error]


def _slow_query(trace: Trace) -> list[Evidence]:
    found = []
    for s in trace.spans:
        typical = TYPICAL_MS.get(s.name)
        if s.kind == SpanKind.CLIENT and DB_SYSTEM_NAME in s.attributes and typical \
                and s.duration_ms > max(SLOW_FACTOR * typical, typical + SLOW_MS):
            found.append(Evidence(s, N_("{span} ({query}) took {ms:.0f} ms; it typically takes "
                                        "{typical:.0f} ms"),
                                  (("span", s.name), ("query", _query(s)), ("ms", s.duration_ms),
                                   ("typical", typical)), s.duration_ms, typical))
    return found


def _repeated_queries(trace: Trace) -> list[Evidence]:
    found = []
    for parent in trace.spans:
        texts = Counter(c.attributes.get(DB_QUERY_TEXT) for c in trace.children(parent)
                        if c.kind == SpanKind.CLIENT and DB_SYSTEM_NAME in c.attributes)
        text, count = max(texts.items(), key=lambda kv: kv[1], default=(None, 0))
        if text is not None and count >= REPEATED_QUERIES:
            first = next(c for c in trace.children(parent) if c.attributes.get(DB_QUERY_TEXT) == text)
            found.append(Evidence(parent, N_("{span} ran the same statement {count} times, one "
                                             "after another: {query}"),
                                  (("span", parent.name), ("count", count), ("query", _query(first))),
                                  parent.duration_ms, TYPICAL_MS.get(parent.name)))
    return found


def _waited(trace: Trace) -> list[Evidence]:
    """A span that waited, doing nothing, before its query started."""
    found = []
    for s in trace.spans:
        kids, lead = trace.children(s), TYPICAL_LEAD_MS.get(s.name)
        if not kids or lead is None or DB_SYSTEM_NAME not in kids[0].attributes:
            continue
        gap = _ms(kids[0].start_ns - s.start_ns)
        if gap > 6 * lead + WAIT_MS:
            found.append(Evidence(s, N_("{span} waited {ms:.0f} ms before its {child} started "
                                        "(typically {typical:.0f} ms); the query itself took "
                                        "{query_ms:.0f} ms"),
                                  (("span", s.name), ("ms", gap), ("child", kids[0].name),
                                   ("typical", lead), ("query_ms", kids[0].duration_ms)), gap, lead))
    return found


def _lagging(spans: Sequence[SpanRecord]) -> list[Evidence]:
    """A consumer that started long after the producer it links to had ended."""
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    found = []
    for s in spans:
        if s.kind != SpanKind.CONSUMER:
            continue
        for link in s.links:
            producer = by_id.get((link.trace_id, link.span_id))
            if producer is not None and _ms(s.start_ns - producer.end_ns) > LAG_MS:
                gap = _ms(s.start_ns - producer.end_ns)
                found.append(Evidence(s, N_("{span} started {ms:.0f} ms after {producer} published "
                                            "the message it links to"),
                                      (("span", s.name), ("ms", gap), ("producer", producer.name)),
                                      gap, None))
    return found


def _query(span: SpanRecord) -> str:
    return str(span.attributes.get(DB_QUERY_SUMMARY) or span.attributes.get(DB_QUERY_TEXT, "?"))


def _parent_name(trace: Trace, span: SpanRecord) -> str:
    parent = trace.parent(span)
    return parent.name if parent else "?"


def _siblings(trace: Trace, span: SpanRecord) -> int:
    parent = trace.parent(span)
    return sum(c.name == span.name for c in trace.children(parent)) if parent else 1


PerTrace = Callable[[Trace], list[Evidence]]

# The catalogue's faults by their shape, the most telling first: what fails a request
# before what only slows it.  Each evidence span's service is the one at fault.
SIGNATURES: tuple[tuple[str, PerTrace | None], ...] = (
    ("gateway-timeout", _no_answer), ("payment", _declined), ("inventory", _out_of_stock),
    ("flaky-inventory", _retried), ("kafka-down", _lost_message), ("slow-query", _slow_query),
    ("n-plus-one", _repeated_queries), ("db-lock", _waited), ("consumer-lag", None))


def diagnose(spans: Iterable[SpanRecord]) -> Diagnosis:
    """What the spans (any number of traces, with the traces linked to them) show."""
    spans = list(spans)
    traces = [Trace(t) for t in by_trace(spans).values()]
    found: list[tuple[str, list[Evidence]]] = []
    for fault, signature in SIGNATURES:
        evidence = _lagging(spans) if signature is None else [
            e for trace in traces if trace.roots for e in signature(trace)]
        if evidence:
            found.append((fault, sorted(evidence, key=lambda e: -e.ms)))
    if not found:
        return HEALTHY
    (fault, evidence), others = found[0], found[1:]
    return Diagnosis(fault, evidence[0].span.service, tuple(evidence[:SHOWN]), len(evidence),
                     tuple(f"{ev[0].span.service}:{name}" for name, ev in others))


# What a good investigation clicks, per fault ({span} and {span_id}: the worst evidence).
CLICKS = {
    "gateway-timeout": N_("Click the authorize-payment spans ({span_id} first): no "
                          "http.response.status_code, status ERROR, each as long as the timeout; "
                          "http.request.resend_count counts the retries."),
    "payment": N_("Click authorize-payment ({span_id}): http.response.status_code 402 and "
                  "payment.gateway.response_code."),
    "inventory": N_("Click check-inventory ({span_id}): inventory.quantity_available against "
                    "inventory.quantity_requested, and its exception event."),
    "flaky-inventory": N_("Click the red check-inventory ({span_id}): no db.query under it, its "
                          "exception says the instance could not serve; the next try succeeded."),
    "kafka-down": N_("Click send-notification ({span_id}): status ERROR and its exception, "
                     "while the root span answered 201; no consumer trace links to it."),
    "slow-query": N_("Click db.query ({span_id}): db.query.text looks up one row by item_id, "
                     "yet it takes hundreds of ms; no error anywhere."),
    "n-plus-one": N_("Expand {span} ({span_id}): the db.query children, one per line item, "
                     "each with the same db.query.text."),
    "db-lock": N_("Look at the gap at the start of {span} ({span_id}) before its db.query: "
                  "the query is fast, the wait is not in any span."),
    "consumer-lag": N_("Follow the link from {span} ({span_id}) to send-notification: compare "
                       "their start times."),
}


def click_hint(diagnosis: Diagnosis) -> str:
    if not diagnosis.evidence:
        return ""
    worst = diagnosis.evidence[0].span
    return _(CLICKS[diagnosis.fault]).format(span=worst.name, span_id=f"{worst.span_id:016x}")


def evidence_lines(diagnosis: Diagnosis) -> list[str]:
    """The worst three pieces of evidence, each with its span id, and what to click."""
    return [*(f"   • {e.text} [{e.span.span_id:016x}]" for e in diagnosis.evidence[:3]),
            "   " + click_hint(diagnosis)]


def diagnosis_lines(diagnosis: Diagnosis) -> list[str]:
    """The diagnosis as the terminal shows it."""
    if diagnosis.fault == "none":
        return ["🩺 " + _("The spans show no fault of the catalogue (python main.py faults).")]
    lines = ["🩺 " + _("The spans point to {fault} in {service}; evidence found {count} times:").format(
        fault=diagnosis.fault, service=diagnosis.service, count=diagnosis.found)]
    lines += evidence_lines(diagnosis)
    if diagnosis.also:
        lines.append("   " + _("Also seen: {faults}").format(faults=", ".join(diagnosis.also)))
    return lines
