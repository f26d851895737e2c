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
from opentelemetry.trace import SpanKind

_GROWTH = 1.02  # bucket i covers [1.02^i, 1.02^(i+1)) microseconds: ±1 % on any quantile
_PER_LOG = 1.0 / math.log(_GROWTH)  # math.log(x) * k is much cheaper than math.log(x, base)


class Histogram:
    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.min_ms = math.inf
        self.max_ms = 0.0

    def record(self, ms: float, count: int = 1) -> None:
        """``count`` durations of ``ms`` each."""
        us = max(ms * 1000.0, 1.0)
        bucket = int(math.log(us) * _PER_LOG)
        self.counts[bucket] = self.counts.get(bucket, 0) + count
        self.total += count
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
    """A histogram per span name (per query for db spans), fed by every ended span.

    On every span's path, so kept lean: a span only counts its exact duration in a
    small dict per row (a simulation repeats durations: in virtual time every span
    of a step lasts the same); the durations are folded into the row's histogram
    when that dict grows past ``_EXACT_LIMIT`` distinct values, and when read.
    Folding counts loses nothing: the histogram is the same as recording each span.
    """

    _EXACT_LIMIT = 256

    def __init__(self) -> None:
        self._exact: dict[tuple[str, object], dict[int, int]] = {}
        self._histograms: dict[tuple[str, object], Histogram] = {}
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        duration_ns = (span.end_time or 0) - (span.start_time or 0)
        # One row per query, not per span name: the slow query is what a reader looks for
        # (db.query.summary is a database client span's attribute: only those are asked).
        row = (span.name, span.attributes.get(DB_QUERY_SUMMARY)
               if span.kind is SpanKind.CLIENT and span.attributes else None)
        with self._lock:
            durations = self._exact.get(row)
            if durations is None:
                durations = self._exact[row] = {}
            durations[duration_ns] = durations.get(duration_ns, 0) + 1
            if len(durations) > self._EXACT_LIMIT:
                self._fold(row, durations)

    def _fold(self, row: tuple[str, object], durations: dict[int, int]) -> None:
        histogram = self._histograms.get(row)
        if histogram is None:
            histogram = self._histograms[row] = Histogram()
        for duration_ns, count in durations.items():
            histogram.record(duration_ns / 1e6, count)
        durations.clear()

    @property
    def by_name(self) -> dict[str, Histogram]:
        """The histograms so far, by row name: ``db.query (SELECT inventory)`` for a query."""
        with self._lock:
            for row, durations in self._exact.items():
                self._fold(row, durations)
            out: dict[str, Histogram] = {}
            for (name, summary), histogram in self._histograms.items():
                label = f"{name} ({summary})" if summary else name
                out.setdefault(label, Histogram()).merge(histogram)
            return out
