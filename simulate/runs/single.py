"""A single order (or --compare's two): log, trace id, view and analysis, export summary."""
from __future__ import annotations

import sys

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rich.console import Console
from rich.text import Text

from ..config import RunConfig
from ..i18n import _
from ..report.analysis import Analysis, analyse
from ..report.compare import compare_note, compare_table, compare_title, comparison
from ..report.diagnosis import diagnosis
from ..report.incident import Diagnosis, diagnose, diagnosis_lines
from ..report.load_report import LATE_MS
from ..report.logs import ConsoleLog, JsonLog, TeeLog
from ..report.otlp_log import OtlpLog
from ..report.records import SpanRecord, from_readable
from ..report.terminal import consoles, say
from ..report.view import render, render_linked
from ..tracing.pipeline import ExportPipeline
from ..tracing.providers import Telemetry
from ..tracing.settings import redact
from ..world.clock import Clock, RealClock, RunInterrupted, StopFlag, VirtualClock
from ..world.log import ExceptionSink, LogSink
from ..world.profile import profile_for
from ..world.scenarios import SCENARIOS
from ..world.services.base import Runtime
from ..world.system import OrderOutcome, build_system, place_order
from .common import (
    OutputError,
    all_delivered,
    final_status,
    finish_export,
    guarded_std_streams,
    input_error,
    jaeger_link,
    open_output,
    print_export,
    ui_answers,
)
from .pages import PageFile, SinglePage
from .signals import stop_on_signals


def make_clock(speed: float, stop: StopFlag | None = None) -> Clock:
    return VirtualClock() if speed == 0 else RealClock(speed=speed, stop=stop)


def run_order(telemetry: Telemetry, clock: Clock, log: LogSink | None, scenario: str,
              optimizations: frozenset[str], client_spans: bool = False,
              events: ExceptionSink | None = None, exception_signal: str = "both") -> OrderOutcome:
    """One order through a freshly built system, then its email worker's poll."""
    runtime = Runtime(telemetry=telemetry, clock=clock, log=log,
                      profile=profile_for(optimizations), optimizations=optimizations,
                      client_spans=client_spans, events=events, exception_signal=exception_signal)
    system = build_system(runtime, SCENARIOS[scenario])
    outcome = place_order(system)
    clock.drain()  # fire-and-forget work belongs to this order's trace too
    while system.email_worker.poll():  # after the response, as a real consumer would
        pass
    return outcome


def _trace_spans(captured: InMemorySpanExporter,
                 trace_id: str | None) -> tuple[list[SpanRecord], list[SpanRecord]]:
    """The order's spans, and the spans of other traces that link to them."""
    records = from_readable(captured.get_finished_spans())
    captured.clear()
    if not trace_id:
        return [], []
    own = [s for s in records if f"{s.trace_id:032x}" == trace_id]
    linked = [s for s in records if s not in own and any(
        f"{link:032x}" == trace_id for link in s.linked_trace_ids)]
    return own, linked


def run_single(config: RunConfig, stop: StopFlag | None = None) -> int:
    try:
        output = open_output(config.output)
        page_file = PageFile.for_run(config)
    except OutputError as exc:
        return input_error(str(exc))
    stop = stop or StopFlag()
    stop.grace_s = 0.0  # Ctrl-C: the order in flight stops at once
    with guarded_std_streams(), stop_on_signals(stop):
        out, err = consoles()
        # With --log-format json, stdout carries only the JSON log lines (pipe them to a log
        # shipper); the human-readable rest goes to stderr.
        if config.log_format == "json":
            out = err
        captured = InMemorySpanExporter()  # the view is drawn from what was really recorded
        extra: list[SpanProcessor] = [SimpleSpanProcessor(captured)]
        pipeline = ExportPipeline(config.export, extra_processors=extra, file=output,
                                  logs=config.logs, metrics=config.metrics)
        try:
            page = SinglePage(page_file, config) if page_file else None
            return SingleRun(config, pipeline, captured, stop, out, err, page).run()
        finally:
            pipeline.shutdown()


class SingleRun:
    def __init__(self, config: RunConfig, pipeline: ExportPipeline, captured: InMemorySpanExporter,
                 stop: StopFlag, out: Console, err: Console, page: SinglePage | None = None):
        self.config, self.pipeline, self.captured, self.stop = config, pipeline, captured, stop
        self.out, self.err, self.page = out, err, page
        self.quiet = config.json
        self.reports: list[Analysis] = []
        self.diagnoses: list[Diagnosis] = []  # the incident diagnosis of each report's spans
        self.jaeger = False  # the trace reached a Jaeger whose UI answers: links are worth printing

    def run(self) -> int:
        config, out, err = self.config, self.out, self.err
        telemetry = self.pipeline.telemetry(config.sampler)
        # --json keeps stdout for its one document: a JSON log then goes to stderr.
        log: LogSink | None = (JsonLog(sys.stderr if self.quiet else None)
                               if config.log_format == "json" else
                               None if self.quiet else ConsoleLog(out))
        log = self.page.tee(log) if self.page else log
        records = OtlpLog(telemetry) if telemetry.has_logs else None  # the same lines, over OTLP
        log = TeeLog(log, records) if records else log
        clock = make_clock(config.speed, self.stop)
        plans = [frozenset(), config.optimizations] if config.compare else [config.optimizations]
        try:
            for plan in plans:
                if config.compare and not self.quiet:
                    out.rule(f"--optimize {','.join(sorted(plan))}" if plan else _("baseline"),
                             style="dim")
                self._show(run_order(telemetry, clock, log, config.scenario, plan,
                                    config.client_spans, records, config.exception_signal), plan)
        except RunInterrupted:
            say(err, _("interrupted: flushing the spans recorded so far"), style="yellow")
        if records:
            records.flush()
        finish_export(self.pipeline, self.stop, err, config.export.timeout_s + 0.5)
        delivered = all_delivered(self.pipeline)
        # A link only where a Jaeger UI answers: the bundled receiver, or a bare collector,
        # takes the spans but shows nothing at that address.
        self.jaeger = delivered and config.export.exports_otlp and ui_answers(config.jaeger_url)
        if not self.stop.requested:
            self._print_results()
        print_export(self.pipeline, out, err, self.quiet)
        if self.jaeger and not self.quiet:
            for report in self.reports:
                say(out, "🔗 " + _("Jaeger: {url}").format(
                    url=jaeger_link(config.jaeger_url, report.trace_id)))
        elif delivered and config.export.exports_otlp and self.reports and not self.quiet:
            say(out, _("No Jaeger UI answers at {url}, so no trace link (--jaeger-url names "
                       "yours).").format(url=redact(config.jaeger_url)), style="dim")
        late = clock.mean_lateness_ms()
        if late > LATE_MS and not self.stop.requested:
            say(err, "⚠ " + _("this machine could not keep up: the simulation's waits ended {late} ms "
                              "late on average, so the durations above are longer than the simulated "
                              "system's and the slowest step may be wrong; run it again on a quieter "
                              "machine, or with --speed 0 (exact timestamps)").format(
                late=f"{late:.1f}"), style="yellow")
        page_ok = self.page is None or self.page.finish(self.reports, err if self.quiet else out, err)
        return final_status(self.stop, delivered and page_ok)

    def _show(self, outcome: OrderOutcome, plan: frozenset[str]) -> None:
        """The trace id, the view and the analysis of one order, as soon as it ended."""
        # Export starts now, while the view is drawn: the run ends that much sooner.
        for destination in self.pipeline.destinations:
            destination.send_soon()
        spans, linked = _trace_spans(self.captured, outcome.trace_id)
        if not self.quiet:
            if spans and outcome.trace_id:
                say(self.out, "🔎 " + _("Trace ID: {trace_id}").format(trace_id=outcome.trace_id),
                    style="bold")
            else:
                say(self.out, _why_no_trace(outcome), style="bold")
        if not spans or outcome.trace_id is None:
            return
        report = analyse(spans, outcome.trace_id)
        self.reports.append(report)
        self.diagnoses.append(diagnose([*spans, *linked]))
        if self.page:
            self.page.add(spans, linked, plan)
        if not self.quiet and not self.config.compare and self.config.view:
            render(spans, self.out, report)
            render_linked(linked, spans, self.out)

    def _print_results(self) -> None:
        config, out = self.config, self.out
        if config.compare and len(self.reports) == 2:
            switches = sorted(config.optimizations)
            if config.json:
                out.print_json(data=comparison(self.reports[0], self.reports[1], switches))
            else:
                out.print()
                say(out, compare_title(switches), style="italic")
                out.print(compare_table(self.reports[0], self.reports[1], switches))
                note = compare_note(self.reports[0], self.reports[1], switches)
                if note:
                    say(out, note, style="dim")
        elif config.json:
            out.print_json(data={**self.reports[0].to_dict(), "diagnosis": self.diagnoses[0].to_dict()}
                           if self.reports else None)
        elif self.reports:
            report, incident = self.reports[0], self.diagnoses[0]
            if report.failure:
                out.print()
                link = jaeger_link(config.jaeger_url, report.trace_id) if self.jaeger else None
                page = self.page.target.path if self.page else None
                for line in diagnosis(report, link, page):
                    say(out, line, style="red", indent="   ")
            if incident.fault not in ("none", "inventory", "payment"):  # the seed's two: above
                out.print()
                for line in diagnosis_lines(incident):
                    say(out, Text(line), style="yellow")


def _why_no_trace(outcome: OrderOutcome) -> str:
    if outcome.trace_id and not outcome.sampled:
        return "🔎 " + _("No trace recorded: the sampler dropped this order's trace "
                        "(OTEL_TRACES_SAMPLER), so there is no trace id to look up")
    return "🔎 " + _("No trace recorded (OTEL_SDK_DISABLED=true)")
