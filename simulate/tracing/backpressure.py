"""A batching span processor that slows the producer down instead of dropping spans.

The SDK's BatchSpanProcessor evicts spans silently when its queue (2048) is full,
which at load-generator speed loses ~30 % of them.  Here ``on_end`` blocks while
the queue is full, so generation runs at the exporter's pace and every span is
either exported or counted as failed.  A circuit breaker stops calling an
exporter that failed ``max_consecutive_failures`` times in a row (no collector):
the remaining spans are counted as failed at once rather than each batch waiting
out its timeout and retries.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExportResult

from .accounting import AccountingExporter


class BackpressureSpanProcessor(SpanProcessor):
    def __init__(self, exporter: AccountingExporter, max_queue: int = 8192, batch: int = 512,
                 schedule_delay_s: float = 0.2, max_consecutive_failures: int = 3):
        self._exporter = exporter
        self._max_queue, self._batch, self._delay = max_queue, batch, schedule_delay_s
        self._max_failures = max_consecutive_failures
        self._queue: deque[ReadableSpan] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._stopping = False
        self.consecutive_failures = 0
        self.circuit_open = False
        self._worker = threading.Thread(target=self._run, name="ordertrace-export", daemon=True)
        self._worker.start()

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    def on_end(self, span: ReadableSpan) -> None:
        with self._cond:
            while len(self._queue) >= self._max_queue and not self._stopping:
                self._cond.wait(0.5)
            self._queue.append(span)
            if len(self._queue) >= self._batch:
                self._cond.notify_all()

    def _take(self) -> list[ReadableSpan]:
        count = min(self._batch, len(self._queue))
        batch = [self._queue.popleft() for _ in range(count)]
        self._in_flight = len(batch)
        self._cond.notify_all()  # room in the queue: wake blocked producers
        return batch

    def _run(self) -> None:
        while True:
            with self._cond:
                if len(self._queue) < self._batch and not self._stopping:
                    self._cond.wait(self._delay)
                if not self._queue:
                    if self._stopping:
                        return
                    continue
                batch = self._take()
            self._send(batch)
            with self._cond:
                self._in_flight = 0
                self._cond.notify_all()

    def _send(self, batch: list[ReadableSpan]) -> None:
        if self.circuit_open:
            self._exporter.count_failed(len(batch))
            return
        ok = self._exporter.export(batch) is SpanExportResult.SUCCESS
        self.consecutive_failures = 0 if ok else self.consecutive_failures + 1
        if self.consecutive_failures >= self._max_failures:
            self.circuit_open = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        deadline = time.monotonic() + timeout_millis / 1000
        with self._cond:
            self._cond.notify_all()
            while (self._queue or self._in_flight) and time.monotonic() < deadline:
                self._cond.wait(min(0.1, max(0.0, deadline - time.monotonic())))
                self._cond.notify_all()
            return not self._queue and not self._in_flight

    def shutdown(self) -> None:
        """Stop the worker once what is queued has gone (call force_flush first to bound it)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._worker.join(30.0)
        self._exporter.shutdown()
