"""What happened to every item of a signal: counted where it happens, never derived.

Each destination keeps its own :class:`Accounts`: items handed to it, then each one
counted once as exported (the collector confirmed), unconfirmed (no answer in time,
or in flight when the run was abandoned), failed (refused, unreachable, or not tried
while the collector was known to be down), dropped (the queue was full) or abandoned
(still queued at a second Ctrl-C).  Nothing is "the rest": a test can add them up.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..i18n import N_
from .delivery import Attempt, Delivery

UNITS = {"traces": "spans", "logs": "log records", "metrics": "metric points"}
ABANDONED = Attempt(Delivery.UNCONFIRMED, "the flush was abandoned (Ctrl-C twice)",
                    N_("Spans in flight may have arrived; queued ones were never sent."))
QUEUE_FULL = Attempt(Delivery.FAILED, "the export queue was full",
                     N_("The exporter could not keep up; raise OTEL_BSP_MAX_QUEUE_SIZE or lower the rate."))


class Accounts:
    def __init__(self) -> None:
        self.handed = 0
        self.exported = 0
        self.unconfirmed = 0
        self.failed = 0
        self.dropped = 0
        self.abandoned = 0
        self.first_problem: Attempt | None = None
        self._lock = threading.Lock()

    @property
    def settled(self) -> int:
        """Items whose fate is known (all but those queued or in flight)."""
        return self.exported + self.unconfirmed + self.failed + self.dropped + self.abandoned

    def hand(self, room: int) -> bool:
        """One more item; False (and counted dropped) when ``room`` items are already waiting."""
        with self._lock:
            self.handed += 1
            if self.handed - self.settled > room:
                self.dropped += 1
                self.first_problem = self.first_problem or QUEUE_FULL
                return False
            return True

    def offered(self, count: int) -> None:
        """Items handed over in bulk (metric points, as a reader collects them)."""
        with self._lock:
            self.handed += count

    def delivered(self, count: int) -> None:
        with self._lock:
            self.exported += count

    def record(self, attempt: Attempt, count: int) -> None:
        """A batch of ``count`` items came back from a send."""
        with self._lock:
            if attempt.delivery is Delivery.DELIVERED:
                self.exported += count
                return
            if attempt.delivery is Delivery.UNCONFIRMED:
                self.unconfirmed += count
            else:
                self.failed += count
            self.first_problem = self.first_problem or attempt

    def abandon(self, queued: int, in_flight: int) -> None:
        with self._lock:
            self.abandoned += queued
            self.unconfirmed += in_flight
            if queued or in_flight:
                self.first_problem = self.first_problem or ABANDONED


@dataclass(frozen=True)
class ExportReport:
    """What became of one destination's items, for the closing summary."""

    destination: str
    handed: int
    exported: int
    unconfirmed: int
    failed: int
    abandoned: int
    reason: str  # the most telling cause, or ""
    hint: str
    dropped: int = 0
    signal: str = "traces"
    # The SDK's own figures (self_observability.py): metric name -> {"ok" or error.type: count}
    sdk: dict[str, dict[str, int]] = field(default_factory=dict)
    # What the collector answered, from the exporter's otel.sdk.exporter.operation.duration:
    # export calls made and their mean duration (each call's retries included).  Bytes and
    # retries: the official exporters report neither, so they stay unknown (None).
    batches: int | None = None
    latency_ms: float | None = None
    bytes: int | None = None
    retries: int | None = None

    @property
    def not_delivered(self) -> int:
        return self.unconfirmed + self.failed + self.dropped + self.abandoned

    @property
    def ok(self) -> bool:
        return self.not_delivered == 0 and self.exported == self.handed

    @staticmethod
    def combined(reports: list[ExportReport]) -> ExportReport:
        """The same destination's reports from several workers, added up."""
        first = next((r for r in reports if r.reason), reports[0])
        return ExportReport(reports[0].destination, sum(r.handed for r in reports),
                            sum(r.exported for r in reports), sum(r.unconfirmed for r in reports),
                            sum(r.failed for r in reports), sum(r.abandoned for r in reports),
                            first.reason, first.hint, sum(r.dropped for r in reports),
                            reports[0].signal, _added([r.sdk for r in reports]),
                            *_calls([(r.batches, r.latency_ms) for r in reports]))

    @staticmethod
    def of(destination: str, accounts: Accounts, signal: str = "traces",
           sdk: dict[str, dict[str, int]] | None = None, batches: int | None = None,
           latency_ms: float | None = None) -> ExportReport:
        problem = accounts.first_problem
        # A cause that explains the failures (refused, unauthorised) beats a later
        # "not tried" or a cancellation.
        return ExportReport(destination, accounts.handed, accounts.exported, accounts.unconfirmed,
                            accounts.failed, accounts.abandoned,
                            problem.reason if problem else "", problem.hint if problem else "",
                            accounts.dropped, signal, sdk or {}, batches, latency_ms)


def _added(figures: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    total: dict[str, dict[str, int]] = {}
    for one in figures:
        for name, counts in one.items():
            for key, n in counts.items():
                total.setdefault(name, {})[key] = total.get(name, {}).get(key, 0) + n
    return total


def _calls(figures: list[tuple[int | None, float | None]]) -> tuple[int | None, float | None]:
    """Export calls added up, and their mean duration weighted by calls (None: unknown)."""
    known = [(n, ms) for n, ms in figures if n is not None]
    if not known:
        return None, None
    calls = sum(n for n, _ms in known)
    timed = [(n, ms) for n, ms in known if ms is not None]
    mean = sum(n * ms for n, ms in timed) / sum(n for n, _ms in timed) if timed and calls else None
    return calls, mean
