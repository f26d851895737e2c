"""A wrapper around an official exporter: counts every item, names the cause of a
failure, stops hammering a collector that is down, and can be abandoned at once.

What the official exporters lack, and why this wrapper exists (public API only):
- ``export`` answers SUCCESS or FAILURE; the cause goes to a log line.  The cause is read
  from the exporter's self-observability metrics instead (cause.py).
- Partial success (``rejected_spans``) is not reported at all: opentelemetry-python
  #4803.  Spans a collector rejected inside a successful request count as exported.
- The HTTP exporter records a failure that came with a status code (a 503) as exported
  in ``otel.sdk.exporter.span.exported``: it has no exception to name in error.type.
- There is no circuit breaker: with a dead collector every batch retries for its whole
  timeout (UNAVAILABLE is retryable), while the queue fills behind it.  The
  :class:`Breaker` here looks at the endpoint itself (cause.probe: a TCP connect, a TLS
  handshake) before the first batch and after a failure; while nothing answers there,
  batches fail at once without entering the exporter, and every ``cooldown_s`` one look
  decides whether the next batch may try again.
- ``BatchSpanProcessor.force_flush`` ignores its timeout (opentelemetry-python #4568),
  and an export in flight cannot be cancelled: :meth:`Guard.abandon` counts what is in
  flight as unconfirmed and what is queued as abandoned, then shuts the exporter down
  (which interrupts its retry back-off and closes its channel) without waiting for it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from .accounting import Accounts
from .delivery import Attempt, Delivery


class Diagnoser(Protocol):
    def failure(self) -> Attempt:
        """Why the export that just failed failed."""

    def success(self) -> None:
        """The collector answered: what was learnt about it is stale."""

    def nothing_there(self) -> bool:
        """Did the last look find nothing answering at the endpoint?"""


NOT_TRIED = Attempt(Delivery.FAILED, "not sent: the collector was failing")


class Breaker:
    """Closed: every batch is sent.  Open: none is, until a look at the endpoint finds it
    answering (at most once per ``cooldown_s``).  It looks before the first batch, and opens
    when a look finds nothing there, or after ``threshold`` failed batches in a row (None:
    only the former; a single run)."""

    def __init__(self, threshold: int | None, cooldown_s: float,
                 look: Callable[[], Attempt | None] = lambda: None):
        self._threshold, self._cooldown_s, self._look = threshold, cooldown_s, look
        self._failures = 0
        self._next_look = 0.0
        self._looked_first = False
        self.open = False
        self.why: Attempt = NOT_TRIED  # what keeps it open

    def allows(self) -> bool:
        if not self._looked_first:  # before the first batch: is anything there at all?
            self._looked_first = True
            found = self._look()
            if found is not None:
                self.trip(found)
                return False
        if not self.open:
            return True
        now = time.monotonic()
        if now < self._next_look:
            return False
        self._next_look = now + self._cooldown_s
        found = self._look()
        if found is not None:
            self.why = found
            return False
        return True  # half open: this batch tries

    def trip(self, why: Attempt) -> None:
        """Open now: nothing answers there (refused, no such host, TLS mismatch)."""
        self.open, self.why = True, why
        self._next_look = time.monotonic() + self._cooldown_s

    def record(self, delivered: bool) -> None:
        if delivered:
            self._failures, self.open = 0, False
            return
        self._failures += 1
        if self._threshold is not None and self._failures >= self._threshold and not self.open:
            self.trip(self.why)


class Guard:
    """The signal-agnostic part: one per destination, around its exporter's export calls."""

    def __init__(self, accounts: Accounts, breaker: Breaker, diagnoser: Diagnoser,
                 shutdown: Callable[[], None]):
        self.accounts = accounts
        self._breaker = breaker
        self._diagnoser = diagnoser
        self._shutdown = shutdown
        self._lock = threading.Lock()
        self._in_flight = 0
        self._abandoned = False
        self._shut = False

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def abandoned(self) -> bool:
        return self._abandoned

    def run(self, count: int, send: Callable[[], bool]) -> bool:
        """Send ``count`` items with ``send`` (True: delivered) and count what became of them."""
        with self._lock:
            if self._abandoned:
                return False  # already counted as abandoned
            if not self._breaker.allows():
                self.accounts.record(self._breaker.why, count)
                return False
            self._in_flight += count  # several at once for metrics: one call per service
        try:
            delivered = send()
            crash = None
        except Exception as exc:  # noqa: BLE001 - an exporter that raises has failed, no more
            delivered, crash = False, exc
        with self._lock:
            self._in_flight -= count
            if self._abandoned:
                return delivered  # counted as unconfirmed by abandon()
        if delivered:
            self.accounts.delivered(count)
            self._diagnoser.success()
        elif crash is not None:
            self.accounts.record(Attempt(Delivery.FAILED, type(crash).__name__), count)
        else:
            attempt = self._diagnoser.failure()
            self.accounts.record(attempt, count)
            if self._diagnoser.nothing_there():
                self._breaker.trip(attempt)
        self._breaker.record(delivered)
        return delivered

    def abandon(self) -> int:
        """Stop now: the batch in flight is unconfirmed. Returns its size."""
        with self._lock:
            if self._abandoned:
                return 0
            self._abandoned = True
            in_flight = self._in_flight
            self.accounts.abandon(0, in_flight)
        threading.Thread(target=self.shutdown, name="ordertrace-abandon", daemon=True).start()
        return in_flight

    def shutdown(self) -> None:
        with self._lock:
            if self._shut:
                return
            self._shut = True
        self._shutdown()
