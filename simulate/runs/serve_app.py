"""What ``serve``'s routes do: place an order through a world, find a saved order, hand
the page and each order's trace to the browser.

The HTTP details (routes, checks, the handler) are http_api.py; the server and
the stop are serve.py; the email workers and the page files serve_workers.py.
Here: the worlds (one per set of switches, made on first use, each with its
consumer group), admission (an order waits, briefly, for room in the exporter's
queue before it starts, never inside it), the per-order line, the trace pages.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus

from rich.console import Console

from ..config import ServeConfig
from ..i18n import _
from ..report.html import Page
from ..report.logs import TeeLog
from ..report.otlp_log import OtlpLog
from ..report.records import from_readable
from ..report.serve_page import CSP, order_page, serve_page
from ..tracing.pipeline import ExportPipeline
from ..tracing.providers import Telemetry
from ..tracing.recent import RecentTraces
from ..world import wire
from ..world.backends.kafka import Backlog
from ..world.clock import RealClock, RunInterrupted
from ..world.log import LogLine
from ..world.profile import profile_for
from ..world.scenarios import SCENARIOS
from ..world.services.base import Runtime
from ..world.services.gateway import sequential_order_ids
from ..world.system import OrderOutcome, System, build_system, outcome_of
from .common import jaeger_link, ui_answers
from .http_api import (
    FAULT_HEADER,
    OPTIMIZE_HEADER,
    HttpError,
    Reply,
    Request,
    json_reply,
    parse_fault,
    parse_optimize,
    parse_order,
    world_request,
)
from .serve_workers import (
    LAGGING_MEMBERS,
    MEMBERS,
    SKIP_UNSAMPLED,
    ConsumerGroup,
    DeliveryWatch,
    PageWriter,
    backlog_line,
)

SETTLE_S = 1.0  # how long a trace page waits for the work that ends after the answer
ADMIT_S = 1.0  # how long a new order waits for room in the exporter's queue, then 503
KEEP_ORDERS = 10_000  # per world: the database keeps the newest, memory stays flat
KEEP_INFO = 1024  # orders remembered for their trace page's title
OUTCOMES = {201: "ok", 409: "out of stock", 402: "declined"}


class TraceLog:
    """The services' log, each line kept with its (recorded) trace for the page."""

    def __init__(self, store: RecentTraces):
        self._store = store

    def write(self, line: LogLine) -> None:
        context = line.span_context
        if context is not None and context.trace_flags.sampled:
            self._store.note(context.trace_id, line)


@dataclass(frozen=True)
class World:
    system: System
    consumers: ConsumerGroup
    fault: str = "none"  # the catalogue's fault this world has (?fault=)


class ServeApp:
    def __init__(self, config: ServeConfig, pipeline: ExportPipeline, telemetry: Telemetry,
                 clock: RealClock, store: RecentTraces, out: Console, err: Console):
        self.config, self.pipeline, self.telemetry = config, pipeline, telemetry
        self.clock, self.store, self._out, self._err = clock, store, out, err
        self._print_lock = threading.Lock()  # one line at a time from the handler threads
        # The log lines go to the recent traces (the page) and, as OTLP log records, to the
        # collector; a failing step's exception too.
        self._records = OtlpLog(telemetry) if telemetry.has_logs else None
        if self._records:  # loaded before the first request, not during it
            self._records.flush()
        self._log = TeeLog(TraceLog(store), self._records) if self._records else TraceLog(store)
        self._worlds: dict[tuple[frozenset[str], str], World] = {}  # (switches, fault) -> world
        self._order_ids = sequential_order_ids()  # one counter: ids unique across the worlds
        # trace id -> the order's answer, switches, fault and export mark, for its page (bounded)
        self._orders: OrderedDict[str, tuple[OrderOutcome, frozenset[str], str, tuple[int, int]]] = \
            OrderedDict()
        self._tally: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self.in_flight = 0
        self.stopping = False
        self._delivery = DeliveryWatch(pipeline)
        self._pages = (PageWriter(config.html_dir, self.trace_page, self._warn, settle_s=SETTLE_S)
                       if config.html_dir else None)

    # ------------------------------------------------------------ requests in flight
    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        with self._idle:
            self.in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self.in_flight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self.in_flight == 0, timeout_s)

    def failed(self, error: BaseException) -> None:
        self._say(self._err, f"⚠ internal error: {type(error).__name__}: {error}", "red")

    def _warn(self, text: str) -> None:
        self._say(self._err, text, "yellow")

    def _say(self, console: Console, text: str, style: str = "") -> None:
        with self._print_lock:
            console.print(text, style=style, soft_wrap=True, markup=False)

    # ------------------------------------------------------------ routes
    def handle(self, name: str, args: tuple[str, ...], request: Request) -> Reply:
        routes: dict[str, Callable[..., Reply]] = {
            "page": self._page_reply, "health": self._health, "place": self.place,
            "order": self.order, "trace": self.trace}
        return routes[name](request, *args)

    def _page_reply(self, request: Request) -> Reply:
        with self._lock:  # made per request: it says how many orders others placed already
            served = sum(self._tally.values())
        page = serve_page(jaeger=self._jaeger(), served=served).encode()
        return Reply(200, page, "text/html; charset=utf-8",
                     {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"})

    def _jaeger(self) -> bool:
        """Links to Jaeger only when the spans go to a collector and a Jaeger UI answers."""
        return self.config.export.exports_otlp and ui_answers(self.config.jaeger_url)

    def _health(self, request: Request) -> Reply:
        if self.stopping:
            return json_reply(503, {"status": "stopping"}, close=True)
        return json_reply(200, {"status": "ok", "in_flight": self.in_flight - 1,  # but this one
                                "notifications": vars(self.notifications())})

    def place(self, request: Request) -> Reply:
        if self.stopping:
            raise HttpError(503, "the server is stopping", close=True)
        fault = parse_fault(request.query, request.headers.get(FAULT_HEADER))
        order = parse_order(request.body, fault)
        optimizations = parse_optimize(request.query, request.headers.get(OPTIMIZE_HEADER))
        self._admit()
        world = self.world(optimizations, fault)
        system = world.system
        started = time.monotonic()
        try:
            # As on every other hop: the callee extracts the caller's context from the headers.
            response = wire.call(system.gateway.handle, world_request(order, request), request.headers)
        except RunInterrupted:
            raise HttpError(503, "the server stopped while this order was in flight",
                            close=True) from None
        ms = (time.monotonic() - started) * 1000
        outcome = outcome_of(response)
        if outcome.trace_id and outcome.sampled:
            self._remember(outcome.trace_id, outcome, optimizations, fault, self._delivery.mark())
        return json_reply(response.status, response.body, response.headers,
                          after=lambda: self._after(world, outcome, optimizations, ms))

    def order(self, request: Request, order_id: str) -> Reply:
        with self._lock:
            worlds = list(self._worlds.values())
        for world in worlds:
            found = world.system.database.find_order(order_id)
            if found is not None:
                return json_reply(200, found)
        raise HttpError(404, f"no order {order_id[:64]!r} (each world keeps its newest "
                             f"{KEEP_ORDERS:,})")

    def trace(self, request: Request, trace_id: str) -> Reply:
        page = self.trace_page(trace_id)
        if page is None:
            raise HttpError(404, f"no trace {trace_id} here: not recorded (sampled out), or older "
                                 f"than the last {self.store.max_traces} kept")
        with self._lock:
            order = self._orders.get(trace_id)
        # A link only to a trace the collector confirmed (the README's promise), in a Jaeger
        # whose UI answers.
        jaeger = (jaeger_link(self.config.jaeger_url, trace_id)
                  if order is not None and self._jaeger() and self._delivery.delivered(order[3])
                  else None)
        return json_reply(200, {"trace_id": trace_id, "jaeger": jaeger, "page": page.data()})

    # ------------------------------------------------------------ backlog
    def notifications(self) -> Backlog:
        """The email workers' backlog over every world: published = consumed + queued + dropped."""
        with self._lock:
            worlds = list(self._worlds.values())
        return sum((w.system.email_worker.backlog() for w in worlds), Backlog())

    # ------------------------------------------------------------ the worlds
    def world(self, optimizations: frozenset[str], fault: str = "none") -> World:
        with self._lock:
            world = self._worlds.get((optimizations, fault))
            if world is None:
                runtime = Runtime(telemetry=self.telemetry, clock=self.clock, log=self._log,
                                  profile=profile_for(optimizations), optimizations=optimizations,
                                  client_spans=self.config.client_spans,
                                  exception_signal=self.config.exception_signal, events=self._records)
                # consumer-lag: a group that fell behind is down to one member on one partition,
                # so the order's record waits behind the whole backlog, as in a single run.
                members = LAGGING_MEMBERS if SCENARIOS[fault].consumer_backlog else MEMBERS
                system = build_system(runtime, SCENARIOS[fault], order_ids=self._order_ids,
                                      kafka_retention=1_000, kafka_partitions=members)
                world = self._worlds[(optimizations, fault)] = World(
                    system, ConsumerGroup(system.email_worker, members, on_error=self.failed), fault)
            return world

    def finish(self, timeout_s: float) -> None:
        """At the stop, once no request is in flight: the notifications handed off are
        published, the email workers consume what is left, the pages queued are written."""
        deadline = time.monotonic() + timeout_s
        self.clock.drain(timeout_s / 2)
        with self._lock:
            worlds = list(self._worlds.values())
        for world in worlds:
            world.consumers.stop(max(0.0, deadline - time.monotonic()))
        if self._pages:
            self._pages.close(max(0.0, deadline - time.monotonic()))

    def _admit(self) -> None:
        """Wait before the order starts (never inside it) while the exporter has no room."""
        deadline = time.monotonic() + ADMIT_S
        while not self.pipeline.has_room():
            if time.monotonic() >= deadline or self.stopping:
                raise HttpError(503, "the span exporter is behind: try again in a moment",
                                {"Retry-After": "1"})
            time.sleep(0.01)

    def _remember(self, trace_id: str, outcome: OrderOutcome, optimizations: frozenset[str],
                  fault: str, mark: tuple[int, int]) -> None:
        with self._lock:
            self._orders[trace_id] = outcome, optimizations, fault, mark
            if len(self._orders) > KEEP_INFO:
                self._orders.popitem(last=False)

    def _after(self, world: World, outcome: OrderOutcome, optimizations: frozenset[str],
               ms: float) -> None:
        """Once the answer is sent (quick: the connection's next request waits for it)."""
        if outcome.status == 201:
            world.consumers.nudge()  # its notification is in Kafka (or soon, with async)
        with self._lock:
            self._tally[OUTCOMES.get(outcome.status, str(outcome.status))] += 1
            prune = sum(self._tally.values()) % 1000 == 0
        if prune:
            world.system.database.prune_orders(keep=KEEP_ORDERS)
        self._say(self._out, _line(outcome, optimizations, ms, world.fault))
        if self._pages and outcome.trace_id and outcome.sampled:
            self._pages.add(outcome.trace_id)
        elif self._pages:
            self._pages.skip(SKIP_UNSAMPLED)

    # ------------------------------------------------------------ trace pages
    def trace_page(self, trace_id: str, wait_s: float = SETTLE_S) -> Page | None:
        """The trace's page once its work after the answer ended too (waits ``wait_s`` at most)."""
        with self._lock:
            order = self._orders.get(trace_id)
        key = int(trace_id, 16)
        # A created order published a notification: its consumer trace belongs on the page.
        self.store.wait_settled(key, expect_linked=order is not None and order[0].status == 201,
                                timeout_s=wait_s)
        spans, notes, linked = self.store.get(key)
        if not spans:
            return None
        if order is None:
            title, subtitle = f"Trace {trace_id}", ""
        else:
            outcome, switches, fault, _mark = order
            title = f"Order {outcome.body.get('order_id', '?')}: {outcome.status} {_phrase(outcome.status)}"
            subtitle = " · ".join(["POST /api/orders on this server",
                                   *([f"--optimize {','.join(sorted(switches))}"] if switches else []),
                                   *([f"--fail {fault}"] if fault != "none" else [])])
        return order_page(from_readable(spans), [from_readable(s) for s in linked],
                          [n for n in notes if isinstance(n, LogLine)], title, subtitle)

    def summary(self) -> str:
        with self._lock:
            total = sum(self._tally.values())
            parts = _(", ").join(f"{n:,} {what}" for what, n in self._tally.most_common())
        text = _("Served {count} orders").format(count=f"{total:,}") + (_(": ") + parts if parts else "")
        if self._pages:
            text += _("; ") + _("{count} trace pages written to {folder}").format(
                count=f"{self._pages.written:,}", folder=self.config.html_dir)
            if self._pages.skipped:
                text += ", " + _("{count} skipped ({reasons})").format(
                    count=f"{sum(self._pages.skipped.values()):,}",
                    reasons=", ".join(f"{n:,} {_(why)}" for why, n in self._pages.skipped.most_common()))
        backlog = self.notifications()
        if backlog.published:
            text += "\n" + backlog_line(backlog, self.stopping)
        return text


def _line(outcome: OrderOutcome, optimizations: frozenset[str], ms: float, fault: str = "none") -> str:
    """``201 order-1234 trace 4bf9... 251 ms``: one line per order while serving."""
    if outcome.trace_id is None:
        trace = "no trace"
    else:
        trace = f"trace {outcome.trace_id}" + ("" if outcome.sampled else " (not sampled)")
    switches = f" --optimize {','.join(sorted(optimizations))}" if optimizations else ""
    switches += f" --fail {fault}" if fault != "none" else ""
    return f"{outcome.status} {outcome.body.get('order_id', '-')} {trace} {ms:.0f} ms{switches}"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
