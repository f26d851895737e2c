"""Load mode: many orders, open- or closed-loop, real or compressed or virtual time.

``--speed 0`` runs on a VirtualClock in one thread: each order is placed at its
scheduled instant (open loop: ``t0 + i/rate``; closed loop: whichever of the C
clients is free first), so timestamps are exactly what a real-time run would
produce, at CPU speed.  With ``--speed > 0`` real threads do the work: C client
threads (closed loop) or a dispatcher that starts orders on schedule (open loop).
Export never slows an order down: when the exporter falls behind, new orders wait
*before* they start (admission), and the summary says so.  Nothing per order is
kept once it ends: outcomes are counters, latencies are histograms, the database
and Kafka keep a bounded window.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from opentelemetry.sdk.trace import SpanProcessor

from ..config import LoadPlan, RunConfig
from ..i18n import _
from ..report.live import Snapshot, Tally
from ..report.load_report import LoadSummary, Pace, print_summary
from ..report.otlp_log import OtlpLog
from ..report.signals import points_of
from ..report.terminal import consoles, say
from ..tracing.destination import LOAD
from ..tracing.histogram import SpanLatencies
from ..tracing.otlp_file import OtlpJsonFileProcessor
from ..tracing.pipeline import ExportPipeline
from ..tracing.samples import TraceSamples
from ..world.clock import RealClock, RunInterrupted, StopFlag, VirtualClock
from ..world.latency import JitterLatency
from ..world.profile import profile_for
from ..world.scenarios import default_order, world_of
from ..world.schedule import OpenLoop
from ..world.services.base import Runtime
from ..world.services.gateway import sequential_order_ids
from ..world.system import build_system, place_order
from .common import (
    OutputError,
    all_delivered,
    collect_less_often,
    final_status,
    finish_export,
    guarded_std_streams,
    input_error,
    open_output,
    summary_console,
    watch,
)
from .pages import PageFile, load_page
from .rates import with_target
from .signals import stop_on_signals

OUTCOMES = {201: "ok", 409: "out_of_stock", 402: "declined"}
LOAD_TIMEOUT_S = 10.0  # a loaded collector may be slow: the SDK's default, not 1 s
GRACE_S = 0.5  # after Ctrl-C, orders in flight may finish for this long (an order is 0.25 s)
FINAL_FLUSH_S = 60.0  # at the normal end, the queue gets this long to drain
CATCH_UP_S = 0.1  # an open-loop dispatcher this late or less still starts the orders it passed


def next_slot(slot: int, now_slot: int, per_s: float) -> tuple[int, int]:
    """The open-loop slot to start after ``slot``, now that the clock is in ``now_slot``;
    and how many slots are given up.

    A dispatcher a little late (a timer or a GIL hand-off: a few ms) starts the slots it
    passed at once, as a client's late timer would.  Slots further behind than CATCH_UP_S
    (new orders held by the exporter, or a machine that cannot keep up) are not made up in
    a burst: they are counted as not started (k6's dropped iterations).
    """
    passed = now_slot - slot - 1
    if passed > CATCH_UP_S * per_s:
        return now_slot, passed
    return slot + 1, 0


class LoadRun:
    def __init__(self, plan: LoadPlan, config: RunConfig, output: OtlpJsonFileProcessor | None,
                 stop: StopFlag, also: SpanProcessor | None = None):
        """``also``: one more span processor beside the run's own (the drill keeps every span)."""
        self.plan = plan
        self.planned = plan.planned_orders
        self.stop = stop
        self.rng = random.Random(plan.seed)
        self.settings = config.export.with_default_timeout(LOAD_TIMEOUT_S)
        self.latencies = SpanLatencies()
        # --html: a few whole traces for the page, in bounded memory
        self.samples = TraceSamples() if config.html or config.open_page else None
        extra: list[SpanProcessor] = [self.latencies, *([self.samples] if self.samples else []),
                                      *([also] if also else [])]
        self.pipeline = ExportPipeline(
            self.settings, LOAD, extra_processors=extra, file=output,
            logs=config.logs.with_default_timeout(LOAD_TIMEOUT_S),
            metrics=config.metrics.with_default_timeout(LOAD_TIMEOUT_S),
            keep_metrics=self.samples is not None)  # the page draws the metric histograms
        self.telemetry = self.pipeline.telemetry(config.sampler)
        self.clock = VirtualClock() if plan.speed == 0 else RealClock(speed=plan.speed, spin_ms=0,
                                                                      stop=stop)
        # No emoji log in a load run; with the logs signal on, the services' lines still become
        # OTLP log records (and a failing step's exception a log-based event).
        self.records = OtlpLog(self.telemetry) if self.telemetry.has_logs else None
        if self.records:  # loaded before the first order: lines never wait, unbounded, for it
            self.records.flush()
        runtime = Runtime(telemetry=self.telemetry, clock=self.clock, log=self.records,
                          profile=profile_for(config.optimizations),
                          optimizations=config.optimizations, client_spans=config.client_spans,
                          events=self.records, exception_signal=config.exception_signal)
        if plan.jitter:
            runtime.latency = JitterLatency(plan.jitter, random.Random(self.rng.random()))
        # The healthy world, and one per fault mixed in (the seed's two failures are the healthy
        # world's sold-out item and empty card); one counter numbers the orders of all of them.
        order_ids = sequential_order_ids(plan.first_order_number)
        self.systems = {world.name: build_system(runtime, world, kafka_retention=1_000,
                                                 order_ids=order_ids)
                        for world in {world_of(name) for name in ("none", *plan.failure_rates)}}
        self.system = self.systems["none"]
        self.tally = Tally()
        self.held_s = 0.0
        self.not_started = 0
        self._index = itertools.count()
        self._lock = threading.Lock()
        # --workers: called with each order's index before it starts (workers.py's ledger).
        self.on_claim: Callable[[int], None] | None = None
        self._sim_elapsed: Callable[[], float] = lambda: 0.0  # set by the scheduler that runs

    def snapshot(self) -> Snapshot:
        schedule = self.plan.schedule
        return Snapshot(self.tally.outcomes(), self.pipeline.created, self.pipeline.backlog,
                        tuple(self.pipeline.reports()),
                        schedule.rate_at(self._sim_elapsed()) if schedule else None)

    # ------------------------------------------------------------ one order
    def _scenario(self) -> str:
        with self._lock:  # one shared seeded stream: reproducible in --speed 0
            draw = self.rng.random()
        for name, p in self.plan.failure_rates.items():
            if draw < p:
                return name
            draw -= p
        return "none"

    def _admit(self, tick: Callable[[], None] | None = None) -> bool:
        """Wait (before the order starts, never inside it) until the exporter has room."""
        if self.pipeline.has_room():
            return not self.stop.requested
        started = time.monotonic()
        while not self.pipeline.has_room() and not self.stop.requested:
            time.sleep(0.005)
            if tick:
                tick()
        with self._lock:
            self.held_s += time.monotonic() - started
        return not self.stop.requested

    def _one_order(self) -> None:
        try:
            scenario = self._scenario()
            system = self.systems[world_of(scenario).name]
            outcome = place_order(system, default_order(scenario))
            system.email_worker.poll()
            self.tally.add(OUTCOMES.get(outcome.status, "errors"))
        except RunInterrupted:
            self.tally.add("interrupted")
        except Exception:  # noqa: BLE001 - one broken order must not stop the run
            self.tally.add("errors")
        if self.tally.done % 1000 == 0:
            for system in self.systems.values():
                system.database.prune_orders(keep=1000)

    def _more(self, sim_elapsed_s: float) -> bool:
        if self.stop.requested:
            return False
        if self.plan.orders is not None and self.tally.done >= self.plan.orders:
            return False
        return self.plan.duration_s is None or sim_elapsed_s < self.plan.duration_s

    # ------------------------------------------------------------ schedules
    def run_virtual(self, tick: Callable[[], None]) -> None:
        """One thread, exact simulated instants; ``tick`` refreshes the progress display."""
        clock = self.clock
        assert isinstance(clock, VirtualClock)
        t0, schedule = clock.now_ns(), self.plan.schedule
        self._sim_elapsed = lambda: (clock.now_ns() - t0) / 1e9
        # closed loop: the clients' timelines, joining one by one over the ramp
        free_at = [(t0 + int(self._joins_s(i) * 1e9), i) for i in range(self.plan.concurrency)]
        for i in itertools.count():
            start = t0 + int(schedule.at(i) * 1e9) if schedule else free_at[0][0]
            if not self._more((start - t0) / 1e9) or not self._admit(tick):
                break
            if self.on_claim:
                self.on_claim(i)
            clock.set_now(start)
            self._one_order()
            if not self.plan.rate:
                heapq.heapreplace(free_at, (clock.now_ns(), free_at[0][1]))
            if i % 50 == 0:
                tick()

    def run_real(self, tick: Callable[[], None]) -> None:
        """Threads in real (or scaled) time; a stop request ends them within the grace."""
        started = time.monotonic()
        self._sim_elapsed = lambda: (time.monotonic() - started) * self.plan.speed
        if self.plan.schedule:
            self._open_loop(self.plan.schedule, tick)
        else:
            self._closed_loop(tick)
        self.clock.drain()

    def _claim(self, started: float) -> bool:
        with self._lock:
            sim_elapsed = (time.monotonic() - started) * self.plan.speed
            if not self._more(sim_elapsed):
                return False
            index = next(self._index)
            if self.plan.orders is not None and index >= self.plan.orders:
                return False
            if self.on_claim:
                self.on_claim(index)
            return True

    def _joins_s(self, client: int) -> float:
        """When a closed-loop client starts (simulated seconds): one by one over --ramp."""
        return self.plan.ramp_s * client / self.plan.concurrency

    def _open_loop(self, schedule: OpenLoop, tick: Callable[[], None]) -> None:
        started, speed = time.monotonic(), self.plan.speed
        per_s = schedule.rate * speed  # real orders per real second, at full rate
        pool = ThreadPoolExecutor(min(512, max(4, math.ceil(per_s * 0.5))),
                                  thread_name_prefix="ordertrace-order")
        slot = 0
        try:
            while True:
                due = started + schedule.at(slot) / speed  # steady, not bursty
                while (wait := due - time.monotonic()) > 0 and not self.stop.requested:
                    time.sleep(min(wait, 0.05))
                    tick()
                if not self._admit(tick) or not self._claim(started):
                    break
                pool.submit(self._one_order)
                sim_now = (time.monotonic() - started) * speed
                slot, skipped = next_slot(slot, math.floor(schedule.count(sim_now)),
                                          max(1.0, schedule.rate_at(sim_now) * speed))
                if skipped:
                    with self._lock:
                        self.not_started += skipped
        finally:
            pool.shutdown(wait=True)

    def _closed_loop(self, tick: Callable[[], None]) -> None:
        started = time.monotonic()

        def client(i: int) -> None:
            joins = started + self._joins_s(i) / self.plan.speed
            while time.monotonic() < joins and not self.stop.requested:
                time.sleep(min(0.05, joins - time.monotonic()))
            while self._admit() and self._claim(started):
                self._one_order()

        threads = [threading.Thread(target=client, args=(i,), name=f"ordertrace-client-{i}", daemon=True)
                   for i in range(self.plan.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.05)
                tick()

    def flush_budget_s(self) -> float:
        """How long the end of the run may wait for export: one export timeout after a stop
        request (Ctrl-C must end soon), long enough to drain the queue otherwise."""
        return self.settings.timeout_s + 0.5 if self.stop.requested else FINAL_FLUSH_S

    def summary(self, wall_s: float, interrupted: bool) -> LoadSummary:
        return LoadSummary(
            interrupted=interrupted, outcomes=self.tally.outcomes(), wall_s=wall_s,
            spans_created=self.pipeline.created, exports=tuple(self.pipeline.reports()),
            output=self.pipeline.file.report() if self.pipeline.file else None,
            latencies=self.latencies.by_name,
            peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            pace=Pace(self.plan.speed > 0, self.plan.rate, self.held_s, self.not_started,
                      self.clock.mean_lateness_ms()))


def run_load(config: RunConfig, stop: StopFlag | None = None) -> int:
    plan = config.load
    assert plan is not None
    try:
        output = open_output(config.output)
        page_file = PageFile.for_run(config)
    except OutputError as exc:
        return input_error(str(exc))
    stop = stop or StopFlag()
    stop.grace_s = GRACE_S
    with guarded_std_streams(), stop_on_signals(stop), collect_less_often():
        out, err = consoles()
        config = with_target(config, err)
        plan = config.load
        assert plan is not None
        run = LoadRun(plan, config, output, stop)
        try:
            started = time.monotonic()
            with watch(run, config, out) as tick:
                (run.run_virtual if plan.speed == 0 else run.run_real)(tick)
            wall_s = time.monotonic() - started
            if stop.requested:
                say(err, _("interrupted: orders in flight finished, flushing spans"), style="yellow")
            if run.records:
                run.records.flush()
            finish_export(run.pipeline, stop, err, run.flush_budget_s())
            tick.final()
            summary = run.summary(wall_s, stop.requested)
            shown = summary_console(config, out, err)
            print_summary(summary, shown, err, as_json=config.json)
            page_ok = not (page_file and run.samples) or load_page(
                page_file, config, summary.to_dict(), summary.latencies, run.samples,
                err if config.json else shown, err,
                [p for data in run.pipeline.kept_metrics() for p in points_of(data)])
            return final_status(stop, all_delivered(run.pipeline) and page_ok)
        finally:
            run.pipeline.shutdown()
