"""The analysis on hand-built span sets with known answers."""
from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind

from simulate.report.analysis import (
    Trace,
    analyse,
    critical_path,
    failure,
    per_service_ms,
    self_time_ms,
    suggestions,
    union_ns,
)
from simulate.report.records import SpanRecord, from_readable

MS = 1_000_000
K = SpanKind


def span(sid, parent, name, service, kind, start, end, **kw) -> SpanRecord:
    return SpanRecord(sid, parent, name, service, kind, start * MS, end * MS, **kw)


def sequential():
    """root(0-100) > orch(0-100) > a[svc-a](10-30), b[svc-b](30-70) > db(40-50), p[producer](80-90)"""
    return [
        span(1, None, "root", "gw", K.SERVER, 0, 100),
        span(2, 1, "orch", "orders", K.SERVER, 0, 100),
        span(3, 2, "a", "svc-a", K.SERVER, 10, 30),
        span(4, 2, "b", "svc-b", K.SERVER, 30, 70),
        span(5, 4, "db", "svc-b", K.CLIENT, 40, 50, attributes={"db.operation.name": "SELECT"}),
        span(6, 2, "p", "notify", K.PRODUCER, 80, 90),
    ]


def test_union_of_overlapping_intervals():
    assert union_ns([(0, 10), (5, 15), (20, 30), (25, 26)]) == 25
    assert union_ns([]) == 0


def test_self_time_subtracts_the_union_of_overlapping_children():
    spans = [span(1, None, "p", "s", K.SERVER, 0, 100),
             span(2, 1, "c1", "s", K.INTERNAL, 10, 50),
             span(3, 1, "c2", "s", K.INTERNAL, 30, 60),  # overlaps c1
             span(4, 1, "late", "s", K.INTERNAL, 90, 130)]  # ends after the parent
    trace = Trace(spans)
    assert self_time_ms(trace, trace.root) == pytest.approx(100 - 50 - 10)


def test_per_service_time_is_own_work():
    totals = per_service_ms(Trace(sequential()))
    assert totals == {"orders": 30.0, "svc-b": 40.0, "svc-a": 20.0, "notify": 10.0, "gw": 0.0}


def test_critical_path_of_a_sequential_trace_is_everything_waited_for():
    assert [s.name for s in critical_path(Trace(sequential()))] == ["root", "orch", "a", "b", "db", "p"]


def test_critical_path_takes_the_longer_of_overlapping_children_and_skips_async_work():
    spans = [span(1, None, "root", "gw", K.SERVER, 0, 100),
             span(2, 1, "fast", "x", K.SERVER, 10, 40),
             span(3, 1, "slow", "y", K.SERVER, 10, 80),
             span(4, 1, "async", "z", K.PRODUCER, 90, 120)]  # ends after its parent
    assert [s.name for s in critical_path(Trace(spans))] == ["root", "slow"]


def test_suggestions_for_the_seed_shape():
    found = {g.kind: g for g in suggestions(Trace(sequential()))}
    assert found["parallel"].spans == ("a", "b") and found["parallel"].saving_ms == 20
    assert found["cache"].spans == ("b", "db") and found["cache"].saving_ms == 10
    assert found["async"].spans == ("p",) and found["async"].saving_ms == 10


def test_no_suggestions_where_the_structure_does_not_call_for_them():
    spans = [span(1, None, "root", "gw", K.SERVER, 0, 100),
             span(2, 1, "a", "x", K.SERVER, 10, 40),
             span(3, 1, "b", "x", K.SERVER, 40, 70),  # same service: not parallelised
             span(4, 1, "w", "gw", K.CLIENT, 70, 80, attributes={"db.operation.name": "INSERT"}),
             span(5, 1, "p", "q", K.PRODUCER, 80, 85),
             span(6, 1, "after", "gw", K.INTERNAL, 85, 95)]  # work follows the producer
    assert suggestions(Trace(spans)) == []


def test_a_read_off_the_critical_path_saves_nothing_on_the_response():
    spans = [span(1, None, "root", "gw", K.SERVER, 0, 100),
             span(2, 1, "inv", "i", K.SERVER, 10, 40),
             span(3, 2, "db", "i", K.CLIENT, 20, 30, attributes={"db.operation.name": "SELECT"}),
             span(4, 1, "pay", "p", K.SERVER, 10, 90)]
    [cache] = [g for g in suggestions(Trace(spans)) if g.kind == "cache"]
    assert cache.saving_ms == 0


def test_failure_is_located_at_the_span_that_raised():
    spans = [span(1, None, "root", "gw", K.SERVER, 0, 100),
             span(2, 1, "orch", "o", K.SERVER, 0, 90, error=True, raised=True, message="declined"),
             span(3, 2, "pay", "p", K.SERVER, 10, 60, error=True, raised=True, message="declined"),
             span(4, 3, "auth", "p", K.CLIENT, 20, 50, error=True, message="402",
                  attributes={"http.response.status_code": 402})]
    found = failure(Trace(spans))
    assert (found.span, found.service, found.message) == ("pay", "p", "declined")
    assert "auth answered 402" in found.detail
    assert failure(Trace(sequential())) is None


def test_analyse_reports_the_seeds_numbers_for_the_seed_trace(flow):
    report = analyse(from_readable(flow().spans))
    assert report.total_ms == 250
    slowest = report.slowest_step
    assert (slowest.name, slowest.service, slowest.duration_ms) == (
        "process-payment", "payment-service", 50)
    assert {g.kind: g.saving_ms for g in report.suggestions} == {
        "parallel": 30, "cache": 15, "async": 10}
    assert report.failure is None
