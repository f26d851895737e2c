"""Load mode: many orders, open- or closed-loop, real or compressed or virtual time.

``--speed 0`` runs on a VirtualClock in one thread: each order is placed at its
scheduled instant (open loop: ``t0 + i/rate``; closed loop: whichever of the C
clients is free first), so timestamps are exactly what a real-time run would
produce, at CPU speed.  With ``--speed > 0`` real threads do the work: C client
threads (closed loop) or a dispatcher that starts orders on schedule (open loop).
Nothing per order is kept once it ends: outcomes are counters, latencies are
histograms, the database and Kafka keep a bounded window.
"""
from __future__ import annotations

import heapq
import itertools
import math
import os
import random
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import IO

from opentelemetry.sdk.trace import SpanProcessor
from rich.console import Console

from ..config import LoadPlan, RunConfig
from ..report.load_report import LoadSummary, Outcomes, Snapshot, print_summary, progress_display
from ..tracing.histogram import SpanLatencies
from ..tracing.otlp_file import OtlpJsonFileProcessor
from ..tracing.pipeline import ExportPipeline
from ..tracing.providers import Telemetry
from ..tracing.samples import TraceSamples
from ..world.clock import RealClock, VirtualClock
from ..world.profile import Step, profile_for
from ..world.scenarios import SCENARIOS, default_order
from ..world.services.base import Runtime
from ..world.system import build_system, place_order
from .common import OutputError, input_error, open_output
from .pages import PageFile, load_page

OUTCOMES = {201: "ok", 409: "out_of_stock", 402: "declined"}
LOAD_TIMEOUT_MS = 10_000  # a loaded collector may be slow: the spec's default, not 1 s


class JitterLatency:
    """Log-normal around the profile (median = nominal): mostly close, a long right tail."""

    exact = False

    def __init__(self, sigma: float, rng: random.Random):
        self._sigma, self._rng = sigma, rng

    def sample(self, step: Step, ms: float) -> float:
        return ms * self._rng.lognormvariate(0.0, self._sigma) if ms else 0.0


class Tally:
    """Counters only: memory does not grow with the number of orders."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(("ok", "out_of_stock", "declined", "errors"), 0)
        self.done = 0
        self._lock = threading.Lock()

    def add(self, status: int) -> None:
        with self._lock:
            self._counts[OUTCOMES.get(status, "errors")] += 1
            self.done += 1

    def outcomes(self) -> Outcomes:
        with self._lock:
            return Outcomes(**self._counts)


class LoadRun:
    def __init__(self, plan: LoadPlan, config: RunConfig, output: IO[str] | None):
        self.plan = plan
        self.planned = plan.orders
        self.rng = random.Random(plan.seed)
        settings = replace(config.export, retry_unavailable=True,
                           timeout_ms=config.export.timeout_ms
                           if _timeout_configured() else LOAD_TIMEOUT_MS)
        self.latencies = SpanLatencies()
        extra: list[SpanProcessor] = [self.latencies]
        if output is not None:
            extra.append(OtlpJsonFileProcessor(output))
        # --html: a few whole traces for the page, in bounded memory
        self.samples = TraceSamples() if config.html or config.open_page else None
        if self.samples:
            extra.append(self.samples)
        self.pipeline = ExportPipeline(settings, extra_processors=tuple(extra), backpressure=True)
        self.telemetry = Telemetry(self.pipeline.processors, sampler=config.sampler)
        self.clock = VirtualClock() if plan.speed == 0 else RealClock(speed=plan.speed, spin_ms=0)
        runtime = Runtime(telemetry=self.telemetry, clock=self.clock, log=None,
                          profile=profile_for(config.optimizations),
                          optimizations=config.optimizations)
        if plan.jitter:
            runtime.latency = JitterLatency(plan.jitter, random.Random(self.rng.random()))
        self.system = build_system(runtime, SCENARIOS["none"], kafka_retention=1_000)
        self.tally = Tally()
        self.stop = threading.Event()
        self._index = itertools.count()
        self._scenario_lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        return Snapshot(self.tally.outcomes(), self.pipeline.counter.ended,
                        self.pipeline.queue_depth)

    # ------------------------------------------------------------ one order
    def _scenario(self) -> str:
        with self._scenario_lock:  # one shared seeded stream: reproducible in --speed 0
            draw = self.rng.random()
        for name, p in self.plan.failure_rates.items():
            if draw < p:
                return name
            draw -= p
        return "none"

    def _one_order(self) -> None:
        outcome = place_order(self.system, default_order(self._scenario()))
        self.system.email_worker.poll()
        self.tally.add(outcome.status)
        if self.tally.done % 1000 == 0:
            self.system.database.prune_orders(keep=1000)

    def _more(self, sim_elapsed_s: float) -> bool:
        if self.stop.is_set():
            return False
        if self.plan.orders is not None and self.tally.done >= self.plan.orders:
            return False
        return self.plan.duration_s is None or sim_elapsed_s < self.plan.duration_s

    # ------------------------------------------------------------ schedules
    def run_virtual(self, tick: Callable[[], None]) -> None:
        """One thread, exact simulated instants; ``tick`` refreshes the progress display."""
        clock = self.clock
        assert isinstance(clock, VirtualClock)
        t0 = clock.now_ns()
        free_at = [(t0, i) for i in range(self.plan.concurrency)]  # closed loop: client timelines
        for i in itertools.count():
            start = t0 + int(i * 1e9 / self.plan.rate) if self.plan.rate else free_at[0][0]
            if not self._more((start - t0) / 1e9):
                break
            clock.set_now(start)
            self._one_order()
            if not self.plan.rate:
                heapq.heapreplace(free_at, (clock.now_ns(), free_at[0][1]))
            if i % 50 == 0:
                tick()

    def run_real(self, tick: Callable[[], None]) -> None:
        """Threads in real (or scaled) time. Ctrl-C: stop starting orders, let the ones in
        flight finish, then re-raise."""
        started = time.monotonic()

        def claim() -> bool:
            with self._scenario_lock:
                sim_elapsed = (time.monotonic() - started) * self.plan.speed
                return self._more(sim_elapsed) and (
                    self.plan.orders is None or next(self._index) < self.plan.orders)

        if self.plan.rate:
            rate = self.plan.rate
            pool = ThreadPoolExecutor(min(512, max(4, math.ceil(rate * 0.5))),
                                      thread_name_prefix="ordertrace-order")
            try:
                for i in itertools.count():
                    due = started + i / (rate * self.plan.speed)  # steady, not bursty
                    while (wait := due - time.monotonic()) > 0:
                        time.sleep(min(wait, 0.1))
                        tick()
                    if not claim():
                        break
                    pool.submit(self._safe_order)
            except KeyboardInterrupt:
                self.stop.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
            return
        threads = [threading.Thread(target=self._client, args=(claim,), daemon=True)
                   for _ in range(self.plan.concurrency)]
        for t in threads:
            t.start()
        try:
            while any(t.is_alive() for t in threads):
                threads[0].join(0.1)
                tick()
        except KeyboardInterrupt:
            self.stop.set()
            for t in threads:
                t.join()
            raise

    def _client(self, claim: Callable[[], bool]) -> None:
        while claim():
            self._safe_order()

    def _safe_order(self) -> None:
        try:
            self._one_order()
        except Exception:  # noqa: BLE001 - one broken order must not stop the run
            self.tally.add(0)


def _timeout_configured() -> bool:
    return any(os.environ.get(k) for k in ("OTEL_EXPORTER_OTLP_TIMEOUT",
                                            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"))


def run_load(config: RunConfig) -> int:
    plan = config.load
    assert plan is not None
    try:
        output = open_output(config.output)
        page_file = PageFile.for_run(config)
    except OutputError as exc:
        return input_error(str(exc))
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    run = LoadRun(plan, config, output)
    started = time.monotonic()
    interrupted = False
    with run.pipeline.capturing_sdk_logs():
        with progress_display(run, out, enabled=out.is_terminal and not config.json,
                              plain=not out.is_terminal and not config.json) as tick:
            try:
                (run.run_virtual if plan.speed == 0 else run.run_real)(tick)
            except KeyboardInterrupt:
                interrupted = True
                err.print("interrupted: orders in flight finished, flushing spans", style="yellow")
        wall_s = time.monotonic() - started
        run.clock.drain()
        run.telemetry.shutdown(timeout_millis=30_000)
    summary = LoadSummary(interrupted=interrupted, outcomes=run.tally.outcomes(), wall_s=wall_s,
                          spans_created=run.pipeline.counter.ended, export=run.pipeline.report(),
                          latencies=run.latencies.by_name,
                          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print_summary(summary, out, err, as_json=config.json)
    if page_file and run.samples:
        load_page(page_file, config, summary.to_dict(), run.latencies.by_name, run.samples,
                  err if config.json else out)
    return 130 if interrupted else 0
