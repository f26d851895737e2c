"""Command line: flags -> build the system -> place the order -> report -> exit code."""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Sequence

from rich.console import Console

from . import __version__
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from .analysis import analyse, from_readable
from .clock import Clock, RealClock, VirtualClock
from .compare import compare_table, comparison
from .console import ConsoleLog, NullLog
from .export import DEFAULT_ENDPOINT, EXPORTERS, ExportPipeline, SettingsError, resolve
from .profile import OPTIMIZATIONS, SCENARIOS, profile_for
from .services.base import Runtime
from .system import OrderOutcome, build_system, place_order
from .telemetry import ExportReport, Telemetry
from .view import render

EPILOG = """\
environment (flags win over these):
  OTEL_TRACES_EXPORTER                 otlp (default), console or none
  OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT OTLP gRPC endpoint (default http://localhost:4317)
  OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT  export timeout in milliseconds, as the spec says (default 1000)
  OTEL_EXPORTER_OTLP[_TRACES]_INSECURE true: plaintext even for a non-http scheme
  OTEL_RESOURCE_ATTRIBUTES             extra resource attributes on all five services
  OTEL_TRACES_SAMPLER[_ARG]            sampler (parent-based, so whole traces are kept or dropped)
  OTEL_SDK_DISABLED=true               no spans at all; the log still runs

examples:
  python main.py                       one successful order
  python main.py --fail inventory      out of stock: check-inventory fails
  python main.py --fail payment        payment declined: process-payment fails
  python main.py --no-export           no collector needed, nothing sent
  python main.py --optimize all --compare   the seed's three optimisations, measured
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse style: usage line + one error line, exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description=(
        "Simulate one order through API Gateway -> Order Service -> Inventory, Payment and "
        "Notification services, print its emoji log and trace id, and export the trace over OTLP."),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fail", choices=[s for s in SCENARIOS if s != "none"],
                        help="run a failure scenario: 'inventory' (the item's stock is 0) or "
                             "'payment' (the payment gateway declines the card)")
    parser.add_argument("--exporter", choices=EXPORTERS,
                        help="where spans go: otlp (default, gRPC), console (print span JSON) or none")
    parser.add_argument("--no-export", action="store_true",
                        help="do not export spans (same as --exporter none)")
    parser.add_argument("--endpoint", metavar="URL",
                        help=f"OTLP gRPC endpoint, http(s)://host:port (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help="time scale: 1 = real time (default), 10 = ten times faster, 0 = no "
                             "sleeping at all; span timestamps always show the profile's durations")
    view = parser.add_argument_group("trace view and analysis")
    view.add_argument("--no-view", action="store_true",
                      help="do not draw the trace tree, waterfall and performance analysis")
    view.add_argument("--json", action="store_true",
                      help="print the analysis as JSON instead of the log and the view")
    view.add_argument("--optimize", metavar="LIST",
                      help="switch on the seed's optimisations: any of parallel (Inventory and "
                           "Payment together), cache (stock from memory, no db.query), async "
                           "(notification not awaited), comma-separated, or all")
    view.add_argument("--compare", action="store_true",
                      help="run the baseline and the --optimize system back to back and print "
                           "a side-by-side table, measured against predicted savings")
    parser.add_argument("--version", action="version", version=f"ordertrace {__version__}")
    return parser


def make_clock(speed: float) -> Clock:
    return VirtualClock() if speed == 0 else RealClock(speed=speed)


def parse_optimizations(value: str | None) -> frozenset[str]:
    """``parallel,cache`` / ``all`` -> the set of switches; ValueError on an unknown one."""
    if not value:
        return frozenset()
    names = {v.strip().lower() for v in value.split(",") if v.strip()}
    if "all" in names:
        return frozenset(OPTIMIZATIONS)
    unknown = names - set(OPTIMIZATIONS)
    if unknown or not names:
        raise ValueError(f"argument --optimize: unknown optimisation {', '.join(sorted(unknown)) or value!r}"
                         f" (choose from {', '.join(OPTIMIZATIONS)}, all)")
    return frozenset(names)


def run_order(telemetry: Telemetry, clock: Clock, log, scenario: str,
              optimizations: frozenset[str]) -> OrderOutcome:
    """One order through a freshly built system with these optimisations."""
    runtime = Runtime(telemetry=telemetry, clock=clock, log=log,
                      profile=profile_for(optimizations), optimizations=optimizations)
    outcome = place_order(build_system(runtime, SCENARIOS[scenario]))
    clock.drain()  # fire-and-forget work belongs to this order's trace too
    return outcome


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.speed < 0:
        parser.error(f"argument --speed: must be >= 0, got {args.speed:g}")
    try:
        optimizations = parse_optimizations(args.optimize)
        settings = resolve("none" if args.no_export else args.exporter, args.endpoint)
    except ValueError as exc:
        parser.error(str(exc))
    if args.compare and not optimizations:
        parser.error("--compare needs --optimize (what to compare the baseline with)")
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # failures are summarised once, below

    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    captured = InMemorySpanExporter()  # the view is drawn from what was really recorded
    pipeline = ExportPipeline(settings, extra_processors=(SimpleSpanProcessor(captured),))
    telemetry = Telemetry(pipeline.processors)
    log = NullLog() if args.json else ConsoleLog(out)
    clock = make_clock(args.speed)
    plans = [frozenset(), optimizations] if args.compare else [optimizations]
    reports: list[dict] = []
    code = 0
    try:
        for plan in plans:
            if args.compare and not args.json:
                out.rule(f"--optimize {','.join(sorted(plan))}" if plan else "baseline", style="dim")
            outcome = run_order(telemetry, clock, log, args.fail or "none", plan)
            if not args.json:
                out.print(f"🔎 Trace ID: {outcome.trace_id}" if outcome.trace_id else
                          "🔎 No trace recorded (OTEL_SDK_DISABLED=true or not sampled)", style="bold")
            spans = [s for s in from_readable(captured.get_finished_spans())
                     if outcome.trace_id and f"{s.trace_id:032x}" == outcome.trace_id]
            captured.clear()
            if spans:
                report = analyse(spans)
                report["trace_id"] = outcome.trace_id
                reports.append(report)
                if not args.json and not args.compare and not args.no_view:
                    render(spans, out, report)
    except KeyboardInterrupt:
        err.print("interrupted: flushing the spans recorded so far", style="yellow")
        code = 130
    if code == 0 and args.compare and len(reports) == 2:
        switches = sorted(optimizations)
        if args.json:
            out.print_json(data=comparison(reports[0], reports[1], switches))
        else:
            out.print()
            out.print(compare_table(reports[0], reports[1], switches))
    elif code == 0 and args.json:
        out.print_json(data=reports[0] if reports else None)
    telemetry.shutdown(timeout_millis=pipeline.shutdown_budget_ms())
    _report(pipeline.report(), out, err)
    return code


def _report(report: ExportReport | None, out: Console, err: Console) -> None:
    if report is None or (report.ended == 0 and report.ok):
        return
    if report.ok:
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
    match = re.search(r"error code: (?:StatusCode\.)?([A-Z_]+)", error)
    return match.group(1) if match else error.splitlines()[0][:120]
