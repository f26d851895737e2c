"""A load run while it goes: its counts (Outcomes, Snapshot) and how they are shown live,
a progress bar on a terminal, a plain line in a pipe, JSON lines with --stats-interval."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column

from ..tracing.accounting import ExportReport
from .progress import Live, fit, progress_fields, stats_record
from .terminal import say


@dataclass(frozen=True)
class Outcomes:
    """Orders by how they ended."""

    ok: int = 0
    out_of_stock: int = 0
    declined: int = 0
    errors: int = 0
    interrupted: int = 0  # in flight when the run was stopped, cut short

    @property
    def total(self) -> int:
        return self.ok + self.out_of_stock + self.declined + self.errors + self.interrupted

    @property
    def failed(self) -> int:
        return self.total - self.ok


class Tally:
    """Counters only: memory does not grow with the number of orders."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(("ok", "out_of_stock", "declined", "errors", "interrupted"), 0)
        self.done = 0
        self._lock = threading.Lock()

    def add(self, outcome: str) -> None:
        with self._lock:
            self._counts[outcome] += 1
            self.done += 1

    def outcomes(self) -> Outcomes:
        with self._lock:
            return Outcomes(**self._counts)


@dataclass(frozen=True)
class Snapshot:
    """The live numbers of a run in progress."""

    outcomes: Outcomes
    spans: int  # ended so far
    queue: int  # spans waiting for the exporter
    exports: tuple[ExportReport, ...] = ()  # each destination's account so far
    target_rate: float | None = None  # open loop: the orders/s asked for now (a ramp rises)


class ProgressSource(Protocol):
    planned: int | None  # orders planned, if known

    def snapshot(self) -> Snapshot: ...


def live(run: ProgressSource, elapsed_s: float) -> Live:
    snap = run.snapshot()
    return Live(snap.outcomes.total, run.planned, snap.outcomes.failed, elapsed_s, snap.spans,
                snap.queue, snap.exports, snap.target_rate)


class Ticker:
    """``tick()`` while the run goes; ``final()`` once everything is flushed: the last
    --stats-interval record then holds the export's final counts."""

    def __init__(self, tick: Callable[[], None], final: Callable[[], None]):
        self._tick, self.final = tick, final

    def __call__(self) -> None:
        self._tick()


@contextlib.contextmanager
def progress_display(run: ProgressSource, console: Console, enabled: bool, plain: bool = False,
                     stats: Callable[[dict[str, Any]], None] | None = None, stats_s: float = 5.0,
                     ) -> Iterator[Ticker]:
    """Yields ``tick()``: call it often.  On a terminal it redraws a progress bar at most
    10 times a second, and once more at the end with the final count; with ``plain`` (a
    pipe, a CI log) it prints a line every 5 s, and at once when export starts failing;
    ``stats`` gets a record every ``stats_s`` seconds and a final one (--stats-interval).
    The line is fitted to the width: the count stays, the export state goes last."""
    started = time.monotonic()
    last = {"plain": started, "bar": started, "stats": started}
    told = [False]

    before: list[Live | None] = [None]

    def record(now: float, final: bool = False) -> None:
        if stats and (final or now - last["stats"] >= stats_s):
            last["stats"] = now
            state = live(run, now - started)
            stats({**stats_record(state, before[0]), "final": final})
            before[0] = state

    if not enabled:
        def plain_tick() -> None:
            now = time.monotonic()
            record(now)
            if not plain:
                return
            state = live(run, now - started)
            failing = any(r.not_delivered for r in state.exports)
            if now - last["plain"] >= 5 or (failing and not told[0]):
                last["plain"], told[0] = now, failing
                say(console, fit(progress_fields(state), console.width))
        yield Ticker(plain_tick, lambda: record(time.monotonic(), final=True))
        return
    columns = [BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=BAR_MIN)),
               TextColumn("{task.fields[status]}", table_column=Column(no_wrap=True)),
               TimeElapsedColumn(table_column=Column(no_wrap=True))]
    with Progress(*columns, console=console, transient=False, expand=True) as progress:
        task = progress.add_task("orders", total=run.planned, status="")

        def update() -> None:
            state = live(run, max(time.monotonic() - started, 1e-6))
            room = console.width - BAR_MIN - ELAPSED_W - 2
            progress.update(task, completed=state.done, status=fit(progress_fields(state), room))

        def tick() -> None:
            now = time.monotonic()
            record(now)
            if now - last["bar"] >= 0.1:
                last["bar"] = now
                update()

        yield Ticker(tick, lambda: record(time.monotonic(), final=True))
        update()  # the last frame shows the final count, whenever the last tick was


BAR_MIN = 8
ELAPSED_W = 7  # 0:00:00
