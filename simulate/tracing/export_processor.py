"""Batches ended spans to one destination on a worker thread: never blocks, never raises.

``on_end`` only appends to a queue, so export can never act inside an order: a
load run asks :meth:`has_room` before it starts the next order instead
(admission control).  The worker sends batches through a :class:`Sender`,
retries what the collector called transient, and keeps a circuit breaker: after
``threshold`` failed batches in a row it stops sending (spans are counted failed
at once, so a dead collector costs nothing) and probes again every ``cooldown_s``,
so export resumes when the collector is back.  ``flush`` waits for the queue with
a deadline; ``abandon`` (a second Ctrl-C) gives up at once and says how many spans
were left.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from .accounting import Accounts
from .delivery import Attempt, Delivery, Sender


@dataclass(frozen=True)
class Policy:
    """How hard to try.  A single run: one attempt, no breaker.  A load run: see LOAD."""

    batch: int = 512
    schedule_delay_s: float | None = None  # None: send only on flush (a single run)
    retries: int = 0  # extra attempts for a transient failure
    retry_backoff_s: float = 0.25
    threshold: int | None = None  # failed batches in a row that open the circuit
    cooldown_s: float = 2.0  # between probes while the circuit is open
    capacity: int = 8192  # queued spans above which admission waits


SINGLE = Policy()
LOAD = Policy(schedule_delay_s=0.2, retries=2, threshold=3, capacity=4096)


class Breaker:
    def __init__(self, threshold: int | None, cooldown_s: float):
        self._threshold, self._cooldown_s = threshold, cooldown_s
        self._failures = 0
        self._next_probe = 0.0
        self.open = False

    def allows(self) -> bool:
        """Send this batch? Always while closed; once per cooldown (a probe) while open."""
        if not self.open:
            return True
        now = time.monotonic()
        if now >= self._next_probe:
            self._next_probe = now + self._cooldown_s
            return True
        return False

    def record(self, delivered: bool) -> None:
        if delivered:
            self._failures, self.open = 0, False
            return
        self._failures += 1
        if self._threshold is not None and self._failures >= self._threshold and not self.open:
            self.open = True
            self._next_probe = time.monotonic() + self._cooldown_s


class ExportProcessor(SpanProcessor):
    def __init__(self, sender: Sender, policy: Policy = SINGLE):
        self.sender = sender
        self.policy = policy
        self.accounts = Accounts()
        self.breaker = Breaker(policy.threshold, policy.cooldown_s)
        self._queue: deque[ReadableSpan] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._batch_abandoned = False
        self._flushing = False
        self._eager = False
        self._stopping = False
        self._abandoned = False
        self._worker = threading.Thread(target=self._run, name="ordertrace-export", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------ producer side
    def on_end(self, span: ReadableSpan) -> None:
        with self._cond:  # one lock per span on the hot path: the count rides along
            self.accounts.handed += 1
            if self._abandoned:
                self.accounts.abandon(1, 0)
                return
            self._queue.append(span)
            if len(self._queue) >= self.policy.batch:
                self._cond.notify_all()

    @property
    def backlog(self) -> int:
        """Spans queued or being sent."""
        return len(self._queue) + self._in_flight

    def has_room(self) -> bool:
        return self.backlog < self.policy.capacity

    # ------------------------------------------------------------ run control
    def flush(self, timeout_s: float) -> bool:
        """Send everything queued; False if the deadline came first (the rest stays queued)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._flushing = True
            self._cond.notify_all()
            while self.backlog and not self._abandoned:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(0.05, left))
            self._flushing = False
            return not self.backlog

    def send_soon(self) -> None:
        """From now on send whatever is queued without waiting for a full batch."""
        with self._cond:
            self._eager = True
            self._cond.notify_all()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.flush(timeout_millis / 1000)

    def abandon(self) -> int:
        """Stop now: queued spans are abandoned, a batch in flight is unconfirmed. Returns
        how many spans that leaves undelivered."""
        with self._cond:
            if self._abandoned:
                return 0
            self._abandoned = True
            queued, in_flight = len(self._queue), self._in_flight
            self._queue.clear()
            self._batch_abandoned = in_flight > 0
            self.accounts.abandon(queued, in_flight)
            self._cond.notify_all()
        self.sender.cancel()
        return queued + in_flight

    def shutdown(self) -> None:
        """Stop the worker; whatever is still queued is abandoned (flush first to send it)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self.backlog:
            self.abandon()
        self._worker.join(5.0)
        self.sender.close()

    # ------------------------------------------------------------ worker side
    def _due(self) -> bool:
        return bool(self._queue) and (self._flushing or self._eager or self._stopping
                                      or len(self._queue) >= self.policy.batch)

    def _run(self) -> None:
        delay = self.policy.schedule_delay_s
        while True:
            with self._cond:
                if not self._due() and not self._stopping:
                    self._cond.wait(delay if delay is not None else 0.05)
                if self._stopping and not self._queue:
                    return
                if not self._queue or (delay is None and not self._due()):
                    continue
                batch = [self._queue.popleft() for _ in range(min(self.policy.batch, len(self._queue)))]
                self._in_flight = len(batch)
                self._batch_abandoned = False
            self._deliver(batch)
            with self._cond:
                self._in_flight = 0
                self._cond.notify_all()

    def _deliver(self, batch: list[ReadableSpan]) -> None:
        if not self.breaker.allows():
            self.accounts.not_sent(len(batch))
            return
        attempt = self._send_with_retries(batch)
        with self._cond:
            if self._batch_abandoned:  # already counted as unconfirmed by abandon()
                return
        self.breaker.record(attempt.delivery is Delivery.DELIVERED)
        self.accounts.record(attempt, len(batch))

    def _send_with_retries(self, batch: list[ReadableSpan]) -> Attempt:
        attempt = self.sender.send(batch)
        for retry in range(self.policy.retries):
            if attempt.delivery is Delivery.DELIVERED or not attempt.retryable:
                break
            deadline = time.monotonic() + self.policy.retry_backoff_s * 2 ** retry
            with self._cond:
                while not (self._abandoned or self._stopping) and time.monotonic() < deadline:
                    self._cond.wait(deadline - time.monotonic())
                if self._abandoned or self._stopping:
                    break
            attempt = self.sender.send(batch)
        return attempt
