"""What a --workers worker has accounted for, known to the parent even if it is SIGKILLed.

A dead worker cannot send its result, and the progress snapshots go through a queue
whose feeder thread dies with it: the parent used to count the spans it had *made*
but none it had *exported*, so the totals were wrong both ways (a receiver got more
than "exported", and "0 failed" was a guess).

Here each worker writes an :class:`Entry` to a pipe of its own, synchronously (once
``send`` returns, the entry is in the kernel's buffer and survives the process):
its orders claimed, spans created and export reports, and an *allowance*, the
orders it may start before it must write again.  It writes before claiming past
its allowance, and every 0.25 s.  An order makes at most :data:`MAX_SPANS_PER_ORDER`
spans, so after a death the parent knows an upper bound on everything it has no
word of: ``unknown = MAX_SPANS_PER_ORDER * allowance - spans accounted for``, and
``exported <= received <= exported + unconfirmed + unknown`` holds.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from ..tracing.accounting import ExportReport

# The 10-span tree and the email worker's CONSUMER span; a failed order makes fewer.
MAX_SPANS_PER_ORDER = 11
# Orders a worker may start past its last entry: a write every ~60 ms at full speed,
# and at most 11 x 100 spans of slack in a dead worker's "unknown".
ALLOWANCE = 100


@dataclass(frozen=True)
class Entry:
    claimed: int  # orders started so far
    allowance: int  # it starts no order with an index at or past this without a new entry
    created: int  # spans ended so far
    exports: tuple[ExportReport, ...]

    @property
    def accounted(self) -> int:
        """Spans whose fate the worker knew: exported, unconfirmed, failed or abandoned (with
        export off: every span it reported, none is sent)."""
        if not self.exports:
            return self.created
        return sum(r.exported + r.not_delivered for r in self.exports[:1])

    @property
    def unknown(self) -> int:
        """After a death: the spans that may exist and whose fate nobody knows (a bound)."""
        return max(0, MAX_SPANS_PER_ORDER * self.allowance - self.accounted)


class Ledger:
    """The worker's side: ``claim`` before each order, ``write`` on each progress tick."""

    def __init__(self, conn: Connection, counts: Callable[[], tuple[int, tuple[ExportReport, ...]]]):
        self._conn, self._counts = conn, counts
        self._lock = threading.Lock()  # orders are claimed on many threads
        self._claimed = self._allowance = 0

    def claim(self, index: int) -> None:
        with self._lock:
            self._claimed = max(self._claimed, index + 1)
            if index >= self._allowance:
                self._write()

    def write(self) -> None:
        with self._lock:
            self._write()

    def _write(self) -> None:
        self._allowance = max(self._allowance, self._claimed + ALLOWANCE)
        created, exports = self._counts()
        self._conn.send(Entry(self._claimed, self._allowance, created, exports))


class Book:
    """The parent's side: the last entry of each worker, read as they come."""

    def __init__(self, conns: list[Connection]):
        self._conns = dict(enumerate(conns))
        self.last: dict[int, Entry] = {}

    def read(self) -> None:
        for index, conn in list(self._conns.items()):
            try:
                while conn.poll():
                    self.last[index] = conn.recv()
            except (EOFError, OSError):  # the worker ended: its last entry stays
                del self._conns[index]
