"""What happened to every span: counted where it happens, never derived.

Each destination keeps its own :class:`Accounts`: spans handed to it, then each
one counted once as exported (the collector confirmed), unconfirmed (no answer in
time, or in flight when the run was abandoned), failed (refused, unreachable, or
not tried while the collector was known to be down) or abandoned (still queued
at a second Ctrl-C).  Nothing is "the rest": a test can add them up.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from ..i18n import N_
from .delivery import Attempt, Delivery

ABANDONED = Attempt(Delivery.UNCONFIRMED, "the flush was abandoned (Ctrl-C twice)",
                    N_("Spans in flight may have arrived; queued ones were never sent."))


class Accounts:
    def __init__(self) -> None:
        self.handed = 0
        self.exported = 0
        self.unconfirmed = 0
        self.failed = 0
        self.abandoned = 0
        self.first_problem: Attempt | None = None
        self._lock = threading.Lock()

    def record(self, attempt: Attempt, count: int) -> None:
        """A batch of ``count`` spans came back from a send."""
        with self._lock:
            if attempt.delivery is Delivery.DELIVERED:
                self.exported += count - attempt.rejected
                self.failed += attempt.rejected
                if not attempt.rejected:
                    return
            elif attempt.delivery is Delivery.UNCONFIRMED:
                self.unconfirmed += count
            else:
                self.failed += count
            self.first_problem = self.first_problem or attempt

    def not_sent(self, count: int) -> None:
        """Spans given up on without a send (the collector is known to be down)."""
        with self._lock:
            self.failed += count

    def abandon(self, queued: int, in_flight: int) -> None:
        with self._lock:
            self.abandoned += queued
            self.unconfirmed += in_flight
            if queued or in_flight:
                self.first_problem = self.first_problem or ABANDONED


@dataclass(frozen=True)
class ExportReport:
    """What became of one destination's spans, for the closing summary."""

    destination: str
    handed: int
    exported: int
    unconfirmed: int
    failed: int
    abandoned: int
    reason: str  # the most telling cause, or ""
    hint: str

    @property
    def not_delivered(self) -> int:
        return self.unconfirmed + self.failed + self.abandoned

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
                            first.reason, first.hint)

    @staticmethod
    def of(destination: str, accounts: Accounts) -> ExportReport:
        problem = accounts.first_problem
        # A cause that explains the failures (refused, unauthorised) beats a later
        # "not tried" or a cancellation.
        return ExportReport(destination, accounts.handed, accounts.exported, accounts.unconfirmed,
                            accounts.failed, accounts.abandoned,
                            problem.reason if problem else "", problem.hint if problem else "")
