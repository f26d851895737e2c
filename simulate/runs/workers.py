"""--workers N: N processes, each a whole simulation with its own export pipeline.

The simulation and the SDK's encoding share one GIL, so one process uses one
core.  The parent splits the plan (orders, --rate and --concurrency are totals;
order ids disjoint; seeds derived from --seed), starts the workers (``spawn``:
no fork after gRPC has threads), shows one progress line from their snapshots
and one summary from their results: outcomes and span accounting summed,
latency histograms merged bucket by bucket (exact), peak RSS per worker.

Each worker runs in a process group of its own, so a terminal's Ctrl-C reaches
the parent only, which forwards each stop request once; a worker whose parent
disappears stops by itself.  A worker that dies is reported with what its ledger
(worker_ledger.py) last said: spans exported, failed, and an upper bound on those
unknown since; the run does not wait for it, and exits 1.
"""
from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import queue as queue_module
import resource
import signal
import time
from dataclasses import dataclass, replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from rich.console import Console

from ..config import LoadPlan, RunConfig
from ..i18n import _
from ..report.live import Outcomes, Snapshot
from ..report.load_report import LoadSummary, Pace, WorkerInfo, print_summary
from ..report.terminal import consoles, say
from ..tracing.accounting import ExportReport
from ..tracing.histogram import Histogram
from ..tracing.otlp_file import FileReport
from ..world.clock import StopFlag
from .common import (
    EXIT_NOT_DELIVERED,
    OutputError,
    collect_less_often,
    finish_export,
    guarded_std_streams,
    input_error,
    open_output,
    summary_console,
    watch,
)
from .load import GRACE_S, LoadRun
from .rates import with_target
from .signals import catch_signals, exit_status, stop_on_signals
from .worker_ledger import Book, Entry, Ledger

SNAPSHOT_EVERY_S = 0.25
EXIT_WORKER_FAILED = 1


@dataclass(frozen=True)
class WorkerResult:
    """What a worker sends the parent at its end (pickled)."""

    index: int
    outcomes: Outcomes
    created: int
    exports: tuple[ExportReport, ...]
    output: FileReport | None
    latencies: dict[str, Histogram]
    peak_rss_mb: float
    held_s: float
    not_started: int
    late_ms: float


def split(total: int, parts: int, index: int) -> int:
    """``total`` shared out as evenly as whole numbers go."""
    return total // parts + (1 if index < total % parts else 0)


def worker_plan(plan: LoadPlan, index: int) -> LoadPlan:
    n = plan.workers
    return replace(plan, workers=1, worker_index=index,
                   orders=None if plan.orders is None else split(plan.orders, n, index),
                   rate=None if plan.rate is None else plan.rate / n,
                   concurrency=split(plan.concurrency, n, index),
                   seed=None if plan.seed is None else plan.seed * 1000 + index)


def worker_output(path: str | None, index: int) -> str | None:
    """spans.jsonl -> spans-0.jsonl, spans-1.jsonl, ...: one file per worker."""
    if path is None:
        return None
    p = Path(path)
    return str(p.with_name(f"{p.stem}-{index}{p.suffix}"))


def _worker_main(config: RunConfig, index: int, results: Any, parent: int, ledger_conn: Any) -> None:
    os.setpgrp()  # a terminal's Ctrl-C goes to the parent, which forwards it once
    stop = catch_signals(StopFlag(grace_s=GRACE_S))
    plan = config.load
    assert plan is not None
    quiet = Console(file=io.StringIO())
    run = LoadRun(plan, config, open_output(config.output), stop)
    ledger = Ledger(ledger_conn, lambda: (run.pipeline.created, tuple(run.pipeline.reports())))
    run.on_claim = ledger.claim
    last = [0.0]

    def tick() -> None:
        now = time.monotonic()
        if now - last[0] >= SNAPSHOT_EVERY_S:
            last[0] = now
            ledger.write()
            results.put(("progress", index, run.snapshot()))
            if os.getppid() != parent:  # orphaned: nobody will read our result
                stop.request(signal.SIGTERM)

    try:
        with collect_less_often():
            (run.run_virtual if plan.speed == 0 else run.run_real)(tick)
            finish_export(run.pipeline, stop, quiet, run.flush_budget_s())
        results.put(("done", index, WorkerResult(
            index, run.tally.outcomes(), run.pipeline.created, tuple(run.pipeline.reports()),
            run.pipeline.file.report() if run.pipeline.file else None, run.latencies.by_name,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, run.held_s,
            run.not_started, run.clock.mean_lateness_ms())))
    finally:
        run.pipeline.shutdown()
        results.close()
        results.join_thread()  # the result is in the pipe before this process ends


class Fleet:
    """The parent's view of its workers: the progress source and the results."""

    def __init__(self, config: RunConfig, stop: StopFlag):
        plan = config.load
        assert plan is not None
        self.plan, self.stop = plan, stop
        self.planned = plan.planned_orders
        context = multiprocessing.get_context("spawn")
        self.queue = context.Queue()
        pipes = [context.Pipe(duplex=False) for _ in range(plan.workers)]
        self.book = Book([reader for reader, _ in pipes])
        self.processes: list[BaseProcess] = [
            context.Process(target=_worker_main, name=f"ordertrace-worker-{i}",
                            args=(replace(config, load=worker_plan(plan, i),
                                          output=worker_output(config.output, i)),
                                  i, self.queue, os.getpid(), pipes[i][1]))
            for i in range(plan.workers)]
        self._writers = [writer for _, writer in pipes]
        self.snapshots: dict[int, Snapshot] = {}
        self.results: dict[int, WorkerResult] = {}
        self.problems: dict[int, str] = {}
        self._forwarded = 0

    def snapshot(self) -> Snapshot:
        snaps = list(self.snapshots.values())
        total = Outcomes(*(sum(getattr(s.outcomes, f) for s in snaps) for f in
                           ("ok", "out_of_stock", "declined", "errors", "interrupted")))
        exports = tuple(ExportReport.combined([s.exports[d] for s in snaps])
                        for d in range(min((len(s.exports) for s in snaps), default=0)))
        targets = [s.target_rate for s in snaps if s.target_rate is not None]
        return Snapshot(total, sum(s.spans for s in snaps), sum(s.queue for s in snaps), exports,
                        sum(targets) if targets else None)

    def run(self, tick: Any) -> None:
        for process in self.processes:
            process.start()
        for writer in self._writers:
            writer.close()  # the workers hold theirs: a dead one's pipe ends (EOF)
        exited_at: dict[int, float] = {}
        deadline = None
        while len(self.results) + len(self.problems) < len(self.processes):
            self._receive(0.05)
            self.book.read()
            tick()
            if self.stop.requests > self._forwarded:  # each request once, to every worker
                self._forwarded = self.stop.requests
                self._signal_all(self.stop.signal or signal.SIGINT)
                deadline = deadline or time.monotonic() + GRACE_S + 20.0
            for i, process in enumerate(self.processes):
                if i in self.results or i in self.problems or process.exitcode is None:
                    continue
                # Its result may still be on its way through the queue: give it a moment.
                if time.monotonic() - exited_at.setdefault(i, time.monotonic()) > 1.0:
                    self.problems[i] = f"died (exit {process.exitcode})"
            if deadline and time.monotonic() > deadline:
                for i, process in enumerate(self.processes):
                    if i not in self.results and i not in self.problems:
                        process.kill()
                        self.problems[i] = "did not stop in time and was killed"
        for process in self.processes:
            process.join(5)
        self.book.read()

    def _receive(self, timeout_s: float) -> None:
        try:
            kind, index, payload = self.queue.get(timeout=timeout_s)
        except queue_module.Empty:
            return
        if kind == "progress":
            self.snapshots[index] = payload
        elif kind == "done":
            self.results[index] = payload
            self.snapshots[index] = Snapshot(payload.outcomes, payload.created, 0, tuple(payload.exports))

    def _signal_all(self, signum: int) -> None:
        for process in self.processes:
            if process.pid is not None and process.exitcode is None:
                with contextlib.suppress(ProcessLookupError):  # it just ended
                    os.kill(process.pid, signum)

    def summary(self, wall_s: float) -> LoadSummary:
        results = [self.results[i] for i in sorted(self.results)]
        dead: dict[int, Entry] = {i: self.book.last.get(i, Entry(0, 0, 0, ())) for i in self.problems}
        latencies: dict[str, Histogram] = {}
        for result in results:
            for name, histogram in result.latencies.items():
                latencies.setdefault(name, Histogram()).merge(histogram)
        # A dead worker's exports as its ledger last said (what it confirmed is certain).
        reports = [r.exports for r in results] + [e.exports for e in dead.values() if e.exports]
        exports = tuple(ExportReport.combined([r[d] for r in reports])
                        for d in range(len(reports[0]))) if reports else ()
        outputs = [r.output for r in results if r.output]
        output = FileReport(", ".join(o.path for o in outputs), sum(o.written for o in outputs),
                            sum(o.not_written for o in outputs),
                            next((o.error for o in outputs if o.error), None)) if outputs else None
        workers = []
        for i in range(len(self.processes)):
            snap = self.snapshots.get(i)
            done = self.results.get(i)
            entry = dead.get(i)
            workers.append(WorkerInfo(i, snap.outcomes.total if snap else 0, snap.spans if snap else 0,
                                      done.peak_rss_mb if done else 0.0, self.problems.get(i, ""),
                                      ledger=None if entry is None else (
                                          entry.created, entry.accounted, entry.unknown)))
        total = self.snapshot()
        return LoadSummary(
            interrupted=self.stop.requested, outcomes=total.outcomes, wall_s=wall_s,
            spans_created=sum(r.created for r in results) + sum(
                max(w.spans, w.ledger[0]) if w.ledger else w.spans for w in workers if w.problem),
            exports=exports, output=output, unknown=sum(e.unknown for e in dead.values()),
            latencies=latencies, peak_rss_mb=max((r.peak_rss_mb for r in results), default=0.0),
            pace=Pace(self.plan.speed > 0, self.plan.rate, max((r.held_s for r in results), default=0),
                      sum(r.not_started for r in results),
                      max((r.late_ms for r in results), default=0.0)),
            workers=tuple(workers))


def run_workers(config: RunConfig, stop: StopFlag | None = None) -> int:
    try:  # every worker's file can be written: found now, not after the run
        for i in range(config.load.workers if config.load else 0):
            sink = open_output(worker_output(config.output, i))
            if sink:
                sink.shutdown()
    except OutputError as exc:
        return input_error(str(exc))
    stop = stop or StopFlag()
    with guarded_std_streams(), stop_on_signals(stop):
        out, err = consoles()
        config = with_target(config, err)
        fleet = Fleet(config, stop)
        started = time.monotonic()
        with watch(fleet, config, out) as tick:
            fleet.run(tick)
        tick.final()
        if stop.requested:
            say(err, _("interrupted: every worker stopped and flushed"), style="yellow")
        summary = fleet.summary(time.monotonic() - started)
        print_summary(summary, summary_console(config, out, err), err, as_json=config.json)
        stopped = exit_status(stop)
        if stopped is not None:
            return stopped
        if fleet.problems:
            return EXIT_WORKER_FAILED
        delivered = all(r.ok for r in summary.exports) and (
            summary.output is None or summary.output.error is None)
        return 0 if delivered else EXIT_NOT_DELIVERED
