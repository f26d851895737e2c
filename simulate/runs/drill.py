"""``python main.py drill``: a hidden fault, a short exercise, a question, a verdict.

The seed picks the fault (or none) and the exercise, so a teacher can hand a class
one seed.  The exercise is a short load run on the virtual clock, exported as
configured; every span is also kept, and the incident diagnosis reads them, so
the verdict shows the evidence a learner should have found.  Exit 0 for a right
answer, 1 for a wrong one, 2 for bad input.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rich.console import Console
from rich.text import Text

from ..config import LoadPlan, RunConfig
from ..i18n import _
from ..report.html import Page
from ..report.incident import Diagnosis, diagnose, evidence_lines
from ..report.records import SpanRecord, by_trace, from_readable
from ..report.terminal import consoles, say
from ..world.clock import StopFlag
from ..world.profile import (
    API_GATEWAY,
    INVENTORY_SERVICE,
    NOTIFICATION_SERVICE,
    ORDER_SERVICE,
    PAYMENT_SERVICE,
)
from ..world.scenarios import FAILURES, SCENARIOS
from .common import OutputError, all_delivered, finish_export, guarded_std_streams, input_error, print_export
from .load import LoadRun
from .pages import PageFile
from .signals import exit_status, stop_on_signals

SERVICES = (API_GATEWAY, ORDER_SERVICE, INVENTORY_SERVICE, PAYMENT_SERVICE, NOTIFICATION_SERVICE)
LEVELS = (1, 2, 3)
PAGE_TRACES = 24  # order traces on a drill's page: every failed one, then the slowest
EXIT_RIGHT, EXIT_WRONG = 0, 1


@dataclass(frozen=True)
class Drill:
    """What a seed and a level decide."""

    seed: int
    level: int
    fault: str  # a catalogue name, or "none"
    orders: int
    concurrency: int
    jitter: float
    share: float  # of the orders that meet the fault

    @property
    def answer(self) -> str:
        return SCENARIOS[self.fault].answer

    def plan(self) -> LoadPlan:
        rates = {} if self.fault == "none" else {self.fault: self.share}
        return LoadPlan(orders=self.orders, concurrency=self.concurrency, failure_rates=rates,
                        jitter=self.jitter, seed=self.seed, speed=0.0)


def pick(seed: int, level: int) -> Drill:
    """Level 1: one clear fault in every order.  Level 2: a fault in some orders among normal
    ones, latencies jittered.  Level 3: under load (32 orders/s), where a lock shows too."""
    rng = random.Random(f"ordertrace-drill-{seed}-{level}")  # the same on every machine
    faults = [name for name in FAILURES if level == 3 or not SCENARIOS[name].needs_load]
    fault = rng.choice([*faults, "none"])
    if level == 1:
        return Drill(seed, level, fault, orders=3, concurrency=1, jitter=0.0, share=1.0)
    if level == 2:
        return Drill(seed, level, fault, orders=12, concurrency=1, jitter=0.3, share=0.5)
    share = 1.0 if SCENARIOS.get(fault, SCENARIOS["none"]).needs_load else 0.3
    return Drill(seed, level, fault, orders=96, concurrency=24, jitter=0.3, share=share)


def parse_answer(text: str) -> str:
    """``SERVICE:FAULT`` or ``none``, checked; ValueError (one line) otherwise."""
    text = text.strip().lower()
    if text == "none":
        return text
    service, _sep, fault = text.partition(":")
    if service not in SERVICES or fault not in FAILURES:
        raise ValueError(_("argument --answer: expected SERVICE:FAULT or none, with SERVICE one of "
                           "{services} and FAULT one of {faults}, got {answer}").format(
            services=", ".join(SERVICES), faults=", ".join(FAILURES), answer=repr(text)))
    return f"{service}:{fault}"


def ask(read: Callable[[str], str], out: Console) -> str:
    """The numbered choice on a terminal: the service, then the fault."""
    say(out, _("Which service is at fault?"))
    choices = ["none", *SERVICES]
    nothing = _("none: nothing is wrong")
    for n, service in enumerate(choices):
        say(out, f"  {n}. {service if n else nothing}")
    service = choices[_number(read("> "), len(choices))]
    if service == "none":
        return "none"
    say(out, _("Which fault?"))
    for n, fault in enumerate(FAILURES, 1):
        say(out, f"  {n}. {fault}: {_(SCENARIOS[fault].description)}")
    return f"{service}:{FAILURES[_number(read('> '), len(FAILURES) + 1, first=1) - 1]}"


def _number(text: str, end: int, first: int = 0) -> int:
    try:
        n = int(text.strip())
    except ValueError:
        n = -1
    if not first <= n < end:
        raise ValueError(_("expected a number from {low} to {high}, got {value}").format(
            low=first, high=end - 1, value=repr(text.strip())))
    return n


def _page(target: PageFile, drill: Drill, spans: Sequence[SpanRecord], console: Console) -> None:
    """The drill's traces, failed ones first, then the slowest, with the traces linked to them."""
    traces = list(by_trace(spans).values())
    orders = [t for t in traces if any(s.parent_id is None and s.service == API_GATEWAY for s in t)]
    orders.sort(key=lambda t: (not any(s.error for s in t),
                               -(max(s.end_ns for s in t) - min(s.start_ns for s in t))))
    number = {spans_of[0].trace_id: n for n, spans_of in enumerate(orders[:PAGE_TRACES], 1)}
    page = Page("ordertrace: drill", _("level {level}, seed {seed}: which service, which fault?").format(
        level=drill.level, seed=drill.seed))
    for spans_of in orders[:PAGE_TRACES]:
        page.add_view(f"order {number[spans_of[0].trace_id]}", [page.add_trace(spans_of)])
    for t in traces:
        linked = next((number[link.trace_id] for s in t for link in s.links if link.trace_id in number),
                      None)
        if linked is not None:
            page.add_view(f"linked to order {linked}", [page.add_trace(t)],
                          note="starts after the order answered")
    target.write(page, console)


def run_drill(config: RunConfig, level: int, seed: int | None, answer: str | None, reveal: bool,
              stop: StopFlag | None = None) -> int:
    if seed is None:
        seed = random.SystemRandom().randrange(1_000_000)
    drill = pick(seed, level)
    try:
        page_file = PageFile.for_run(config)
    except OutputError as exc:
        return input_error(str(exc))
    stop = stop or StopFlag()
    with guarded_std_streams(), stop_on_signals(stop):
        out, err = consoles()
        talk = err if reveal else out  # --reveal: stdout holds the answer alone
        say(talk, "🚨 " + _("Drill, level {level}, seed {seed} (drill --seed {seed} --level {level} "
                           "repeats it): {orders} orders go through the system. Something may be "
                           "wrong.").format(level=level, seed=seed, orders=drill.orders))
        spans = _exercise(drill, config, stop, talk, err, page_file)
        status = exit_status(stop)
        if status is not None:
            return status
        found = diagnose(spans)
        if reveal:
            print(drill.answer)
            return EXIT_RIGHT
        try:
            given = answer if answer is not None else parse_answer(ask(input, out))
        except (ValueError, EOFError) as exc:
            return input_error(str(exc) or _("no answer"))
        return _verdict(drill, given, found, out)


def _exercise(drill: Drill, config: RunConfig, stop: StopFlag, out: Console, err: Console,
              page_file: PageFile | None) -> list[SpanRecord]:
    """Run the drill's orders; export them as configured; every span, for the diagnosis."""
    kept = InMemorySpanExporter()
    run = LoadRun(drill.plan(), config, None, stop, also=SimpleSpanProcessor(kept))
    try:
        run.run_virtual(lambda: None)
        finish_export(run.pipeline, stop, err, run.flush_budget_s())
        print_export(run.pipeline, out, err, quiet=False)
        spans = from_readable(kept.get_finished_spans())
        if config.export.exports_otlp and all_delivered(run.pipeline):
            say(out, "🔗 " + _("Look in Jaeger: {url}/search?service={service} (the last {orders} "
                              "traces)").format(url=config.jaeger_url, service=API_GATEWAY,
                                                orders=drill.orders))
        if page_file:
            _page(page_file, drill, spans, out)
        if not page_file and not config.export.exports_otlp:
            say(out, _("Nothing was exported: add --html FILE to read the traces on a page."),
                style="yellow")
        return spans
    finally:
        run.pipeline.shutdown()


def _verdict(drill: Drill, given: str, found: Diagnosis, out: Console) -> int:
    right = given == drill.answer
    if right:
        say(out, "✅ " + _("Right: {answer}").format(answer=drill.answer), style="green")
    else:
        say(out, "❌ " + _("Not this time: you said {given}; it was {answer}").format(
            given=given, answer=drill.answer), style="red")
    if drill.fault != "none":
        fault = SCENARIOS[drill.fault]
        say(out, "   " + _("What the world did: {description}").format(description=_(fault.description)))
        say(out, "   " + _("Lesson: {lesson}").format(lesson=_(fault.lesson)))
    if found.fault == "none":
        say(out, "   " + _("The spans show nothing wrong: every duration is near its typical value, "
                          "no error, no retry, no gap."))
    else:
        say(out, "   " + _("Evidence in the spans:"))
        for line in evidence_lines(found):
            say(out, Text(line))
    return EXIT_RIGHT if right else EXIT_WRONG
