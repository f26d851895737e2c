"""Latency histograms with bounded memory: log-spaced buckets, 1 % relative precision.

A load run records millions of durations; keeping them in lists would grow
without bound.  Each histogram is a dict of bucket -> count (a few hundred
entries at most for durations from microseconds to minutes) plus the exact max.
"""
from __future__ import annotations

import math
import threading

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.semconv.attributes.db_attributes import DB_QUERY_SUMMARY

_GROWTH = 1.02  # bucket i covers [1.02^i, 1.02^(i+1)) microseconds: ±1 % on any quantile
_PER_LOG = 1.0 / math.log(_GROWTH)  # math.log(x) * k is much cheaper than math.log(x, base)


class Histogram:
    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.min_ms = math.inf
        self.max_ms = 0.0

    def record(self, ms: float) -> None:
        us = max(ms * 1000.0, 1.0)
        bucket = int(math.log(us) * _PER_LOG)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += 1
        self.max_ms = max(self.max_ms, ms)
        self.min_ms = min(self.min_ms, ms)

    def merge(self, other: Histogram) -> None:
        """Add ``other``'s counts: exact, because both use the same buckets."""
        for bucket, count in other.counts.items():
            self.counts[bucket] = self.counts.get(bucket, 0) + count
        self.total += other.total
        self.max_ms = max(self.max_ms, other.max_ms)
        self.min_ms = min(self.min_ms, other.min_ms)

    def quantile(self, q: float) -> float:
        """The q-quantile in ms (bucket midpoint), 0 if empty."""
        if not self.total:
            return 0.0
        rank, seen = q * self.total, 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                # the bucket's midpoint, but never outside what was actually seen
                return max(self.min_ms, min(self.max_ms, _GROWTH ** (bucket + 0.5) / 1000.0))
        return self.max_ms

    def buckets(self) -> list[tuple[float, float, int]]:
        """(from ms, to ms, count) for each non-empty bucket, in order: what a chart draws."""
        return [(_GROWTH ** b / 1000.0, _GROWTH ** (b + 1) / 1000.0, n)
                for b, n in sorted(self.counts.items())]


class SpanLatencies(SpanProcessor):
    """A histogram per span name, fed by every ended span."""

    def __init__(self) -> None:
        self.by_name: dict[str, Histogram] = {}
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        # One row per query, not per span name: the slow query is what a reader looks for.
        summary = span.attributes.get(DB_QUERY_SUMMARY) if span.attributes else None
        name = f"{span.name} ({summary})" if summary else span.name
        with self._lock:
            self.by_name.setdefault(name, Histogram()).record(ms)
