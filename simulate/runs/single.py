"""A single order (or --compare's two): log, trace id, view and analysis, export summary."""
from __future__ import annotations

import re

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rich.console import Console

from ..config import RunConfig
from ..report.analysis import Analysis, analyse
from ..report.compare import compare_table, comparison
from ..report.diagnosis import diagnosis
from ..report.logs import ConsoleLog, JsonLog
from ..report.records import SpanRecord, from_readable
from ..report.view import render, render_linked
from ..tracing.accounting import ExportReport
from ..tracing.otlp_file import OtlpJsonFileProcessor
from ..tracing.pipeline import ExportPipeline
from ..tracing.providers import Telemetry
from ..world.clock import Clock, RealClock, VirtualClock
from ..world.log import LogSink
from ..world.profile import profile_for
from ..world.scenarios import SCENARIOS
from ..world.services.base import Runtime
from ..world.system import OrderOutcome, build_system, place_order
from .common import OutputError, input_error, open_output
from .pages import PageFile, SinglePage


def make_clock(speed: float) -> Clock:
    return VirtualClock() if speed == 0 else RealClock(speed=speed)


def run_order(telemetry: Telemetry, clock: Clock, log: LogSink | None, scenario: str,
              optimizations: frozenset[str]) -> OrderOutcome:
    """One order through a freshly built system, then its email worker's poll."""
    runtime = Runtime(telemetry=telemetry, clock=clock, log=log,
                      profile=profile_for(optimizations), optimizations=optimizations)
    system = build_system(runtime, SCENARIOS[scenario])
    outcome = place_order(system)
    clock.drain()  # fire-and-forget work belongs to this order's trace too
    system.email_worker.poll()  # after the response, as a real consumer would
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


def run_single(config: RunConfig) -> int:
    try:
        output = open_output(config.output)
        page_file = PageFile.for_run(config)
    except OutputError as exc:
        return input_error(str(exc))
    err = Console(stderr=True, highlight=False)
    # With --log-format json, stdout carries only the JSON log lines (pipe them to a log
    # shipper); the human-readable rest goes to stderr.
    out = err if config.log_format == "json" else Console(highlight=False)
    captured = InMemorySpanExporter()  # the view is drawn from what was really recorded
    extra: list = [SimpleSpanProcessor(captured)]
    if output is not None:
        extra.append(OtlpJsonFileProcessor(output))
    pipeline = ExportPipeline(config.export, extra_processors=tuple(extra))
    page = SinglePage(page_file, config) if page_file else None
    with pipeline.capturing_sdk_logs():
        return _run(config, pipeline, captured, out, err, page)


def _run(config: RunConfig, pipeline: ExportPipeline, captured: InMemorySpanExporter,
         out: Console, err: Console, page: SinglePage | None = None) -> int:
    telemetry = Telemetry(pipeline.processors, sampler=config.sampler)
    quiet = config.json
    log: LogSink | None = JsonLog() if config.log_format == "json" else (
        None if quiet else ConsoleLog(out))
    log = page.tee(log) if page else log
    clock = make_clock(config.speed)
    plans = [frozenset(), config.optimizations] if config.compare else [config.optimizations]
    reports: list[Analysis] = []
    trace_ids: list[str] = []
    code = 0
    try:
        for plan in plans:
            if config.compare and not quiet:
                out.rule(f"--optimize {','.join(sorted(plan))}" if plan else "baseline", style="dim")
            outcome = run_order(telemetry, clock, log, config.scenario, plan)
            if not quiet:
                out.print(f"🔎 Trace ID: {outcome.trace_id}" if outcome.trace_id else
                          "🔎 No trace recorded (OTEL_SDK_DISABLED=true or not sampled)", style="bold")
            spans, linked = _trace_spans(captured, outcome.trace_id)
            if not spans or outcome.trace_id is None:
                continue
            trace_ids.append(outcome.trace_id)
            report = analyse(spans, outcome.trace_id)
            reports.append(report)
            if page:
                page.add(spans, linked, plan)
            if not quiet and not config.compare and config.view:
                render(spans, out, report)
                render_linked(linked, spans, out)
            if not quiet and not config.compare and report.failure:
                out.print()
                link = (f"{config.jaeger_url}/trace/{outcome.trace_id}"
                        if config.export.exporter == "otlp" else None)
                for line in diagnosis(report, link):
                    out.print(line, style="red", soft_wrap=True)
    except KeyboardInterrupt:
        err.print("interrupted: flushing the spans recorded so far", style="yellow")
        code = 130
    if code == 0:
        _print_results(config, out, reports)
    telemetry.shutdown(timeout_millis=pipeline.shutdown_budget_ms())
    delivery = pipeline.report()
    _print_export(delivery, out, err, quiet)
    if delivery and delivery.ok and delivery.exported and not quiet:
        for trace_id in trace_ids:
            out.print(f"🔗 Jaeger: {config.jaeger_url}/trace/{trace_id}")
    if config.output and not quiet:
        out.print(f"💾 Spans written to {config.output} (OTLP/JSON lines)", style="dim")
    if page:
        page.finish(reports, err if quiet else out)
    return code


def _print_results(config: RunConfig, out: Console, reports: list[Analysis]) -> None:
    if config.compare and len(reports) == 2:
        switches = sorted(config.optimizations)
        if config.json:
            out.print_json(data=comparison(reports[0], reports[1], switches))
        else:
            out.print()
            out.print(compare_table(reports[0], reports[1], switches))
    elif config.json:
        out.print_json(data=reports[0].to_dict() if reports else None)


def _print_export(report: ExportReport | None, out: Console, err: Console, quiet: bool) -> None:
    if report is None or (report.ended == 0 and report.ok):
        return
    if report.ok:
        if not quiet:
            out.print(f"📤 Exported {report.exported} spans to {report.destination}", style="dim")
        return
    undelivered = report.failed + report.dropped
    reason = _short_reason(report.error)
    err.print(f"⚠ Could not export {undelivered} of {report.ended} spans to {report.destination}"
              f"{': ' + reason if reason else ''}. Is a collector listening there? Start one (README: "
              f"'See the trace in Jaeger'), point --endpoint at yours, or use --no-export.",
              style="yellow", soft_wrap=True)


def _short_reason(error: str | None) -> str:
    if not error:
        return ""
    match = re.search(r"error code: (?:StatusCode\.)?([A-Z_]+)", error)  # gRPC
    if match:
        return match.group(1)
    if "NewConnectionError" in error or "Connection refused" in error:  # HTTP
        return "connection refused"
    if "timed out" in error.lower() or "timeout" in error.lower():
        return "no answer before the export timeout"
    status = re.search(r"code: (\d{3})", error)
    return f"HTTP {status.group(1)}" if status else error.splitlines()[0][:100]
