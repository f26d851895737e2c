"""Latency histograms: bounded memory, 1 % precision, exact counts and merges."""
from __future__ import annotations

import random

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from simulate.tracing.histogram import Histogram, SpanLatencies


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))]


def record_spans(latencies: SpanLatencies, durations_ns: list[int], name: str = "create-order",
                 kind: SpanKind = SpanKind.SERVER, attributes: dict | None = None) -> None:
    provider = TracerProvider()
    provider.add_span_processor(latencies)
    tracer = provider.get_tracer("test")
    for duration in durations_ns:
        span = tracer.start_span(name, kind=kind, attributes=attributes, start_time=1_000)
        span.end(end_time=1_000 + duration)


def test_span_latencies_match_the_exact_quantiles_past_the_fold():
    rng = random.Random(7)
    durations = [rng.randrange(1_000_000, 400_000_000) for _ in range(5_000)]  # 1-400 ms, all distinct
    latencies = SpanLatencies()
    record_spans(latencies, durations)
    [(name, histogram)] = latencies.by_name.items()
    assert name == "create-order"
    assert histogram.total == 5_000
    values_ms = [d / 1e6 for d in durations]
    assert histogram.max_ms == pytest.approx(max(values_ms), rel=1e-12)
    assert histogram.min_ms == pytest.approx(min(values_ms), rel=1e-12)
    for q in (0.5, 0.9, 0.99):
        assert histogram.quantile(q) == pytest.approx(exact_quantile(values_ms, q), rel=0.012)
    direct = Histogram()
    for ms in values_ms:
        direct.record(ms)
    assert histogram.counts == direct.counts  # folding counts is the same as recording each


def test_repeated_durations_count_exactly_and_reading_twice_changes_nothing():
    latencies = SpanLatencies()
    record_spans(latencies, [15_000_000] * 1_000 + [30_000_000] * 10)
    first = latencies.by_name["create-order"]
    assert first.total == 1_010 and first.max_ms == 30.0 and first.min_ms == 15.0
    assert first.quantile(0.5) == pytest.approx(15.0, rel=0.01)
    assert latencies.by_name["create-order"].counts == first.counts
    record_spans(latencies, [30_000_000] * 5)  # more after a read adds, never replaces
    assert latencies.by_name["create-order"].total == 1_015


def test_one_row_per_query_for_database_client_spans():
    latencies = SpanLatencies()
    record_spans(latencies, [15_000_000] * 3, name="db.query", kind=SpanKind.CLIENT,
                 attributes={"db.query.summary": "SELECT inventory"})
    record_spans(latencies, [15_000_000] * 2, name="db.query", kind=SpanKind.CLIENT,
                 attributes={"db.query.summary": "INSERT orders"})
    record_spans(latencies, [10_000_000], name="authorize-payment", kind=SpanKind.CLIENT)
    rows = {name: h.total for name, h in latencies.by_name.items()}
    assert rows == {"db.query (SELECT inventory)": 3, "db.query (INSERT orders)": 2,
                    "authorize-payment": 1}


def test_merge_of_halves_equals_the_whole():
    rng = random.Random(3)
    values = [rng.uniform(0.01, 5_000.0) for _ in range(3_000)]
    whole, left, right = Histogram(), Histogram(), Histogram()
    for i, ms in enumerate(values):
        whole.record(ms)
        (left if i % 2 else right).record(ms)
    left.merge(right)
    assert left.counts == whole.counts and left.total == whole.total
    assert (left.min_ms, left.max_ms) == (whole.min_ms, whole.max_ms)
    assert len(whole.counts) < 700  # bounded: log-spaced buckets, not one per value
