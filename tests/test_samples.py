"""TraceSamples: a load run's page gets a few whole traces, and memory stays bounded."""
from __future__ import annotations

import random

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Link, SpanKind

from simulate.tracing.samples import TraceSamples

MS = 1_000_000


def _order(tracer, start_ms: float, ms: float, status: int, error: str | None = None,
           late: bool = False) -> trace.SpanContext:
    """A root SERVER span with one child; ``late``: a second child that ends after the root."""
    t0 = int(start_ms * MS)
    root = tracer.start_span("POST /api/orders", kind=SpanKind.SERVER, start_time=t0)
    root.set_attribute("http.response.status_code", status)
    if error:
        root.set_attribute("error.type", error)
    context = trace.set_span_in_context(root)
    child = tracer.start_span("create-order", context=context, start_time=t0 + MS)
    child.end(end_time=t0 + int(ms * MS) - MS)
    straggler = tracer.start_span("send-notification", context=context, start_time=t0 + MS) \
        if late else None
    root.end(end_time=t0 + int(ms * MS))
    if straggler:
        straggler.end(end_time=t0 + int(ms * MS) + 5 * MS)
    return root.get_span_context()


def _tracer(samples: TraceSamples):
    provider = TracerProvider()
    provider.add_span_processor(samples)
    return provider.get_tracer("test")


def test_keeps_the_slowest_the_first_of_each_outcome_and_a_typical_one():
    samples = TraceSamples(max_traces=64)
    tracer = _tracer(samples)
    rng = random.Random(1)
    every, ok = [], []
    for i in range(3000):
        draw, ms = rng.random(), rng.lognormvariate(5.5, 0.2)
        every.append(ms)
        if draw < 0.1:
            _order(tracer, i * 300, ms, 402, "PaymentDeclinedError")
        elif draw < 0.15:
            _order(tracer, i * 300, ms, 409, "OutOfStockError")
        else:
            ok.append(ms)
            _order(tracer, i * 300, ms, 201)
    kept = samples.labelled()
    by_reason = {reason: sample for label, sample in kept for reason in label.split(", ")}
    assert set(by_reason) == {"slowest", "first 201", "first 402 PaymentDeclinedError",
                              "first 409 OutOfStockError", "typical"}
    assert by_reason["slowest"].duration_ms == pytest.approx(max(every), abs=1e-5)
    median = sorted(ok)[len(ok) // 2]
    assert abs(by_reason["typical"].duration_ms - median) / median < 0.03
    assert by_reason["typical"].outcome == "201"
    assert [s.name for s in by_reason["first 402 PaymentDeclinedError"].spans] == [
        "create-order", "POST /api/orders"]
    assert len(kept) <= 5
    # bounded: nothing pending once traces end, the decisions remembered are capped
    assert len(samples._pending) == 0 and len(samples._decided) <= 64


def test_a_late_span_joins_its_kept_trace_and_a_consumer_trace_rides_along():
    samples = TraceSamples()
    tracer = _tracer(samples)
    context = _order(tracer, 0, 250, 201, late=True)
    [(label, sample)] = samples.labelled()
    assert label == "slowest, first 201, typical"
    assert [s.name for s in sample.spans] == ["create-order", "POST /api/orders", "send-notification"]
    consumer = tracer.start_span("process order-notifications", kind=SpanKind.CONSUMER,
                                 context=trace.set_span_in_context(trace.INVALID_SPAN),
                                 links=[Link(context)])
    consumer.end()
    assert [[s.name for s in linked] for linked in sample.linked] == [["process order-notifications"]]


def test_traces_that_never_end_do_not_grow_memory():
    samples = TraceSamples(max_traces=100)
    tracer = _tracer(samples)
    for _ in range(1000):
        tracer.start_span("POST /api/orders", kind=SpanKind.SERVER)  # never ended
    assert len(samples._pending) == 100
    assert samples.labelled() == []
